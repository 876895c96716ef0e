import { assertReplicaId, MAX_REPLICA_ID_LENGTH, type ReplicaId } from '../causal/replica-id.js';
import type { ByteWriter } from '../codec/byte-writer.js';
import {
  declareTransientRule,
  InvalidArgumentError,
  StateRefusalError,
  ValidationError,
} from '../errors.js';
import { type CounterOrder, checkCounterDelta, type DeltaCheck } from './admission.js';
import { type Actor, type CrdtState, CrdtType } from './crdt-type.js';
import { type DotEntry, type DotFun, dotFunKind } from './dot-fun.js';
import type { EntryValueKind } from './dot-store.js';
import type { JsonValue } from './json-value.js';
import { assertAmount, replaceOwnEntry } from './mutation.js';
import { registerType } from './registry.js';
import { TypeIds } from './type-ids.js';

declare module '../errors.js' {
  interface TypeRuleCodes {
    /** A bounded counter's delta spends more rights than its writer holds. */
    'insufficient-rights': true;
  }
}

/**
 * A bounded counter's replica was asked to decrement, or to give away, more than the rights it
 * holds: nothing was applied. `available` is what it could have spent.
 */
export class InsufficientRightsError extends StateRefusalError<'insufficient-rights'> {
  readonly requested: number;
  readonly available: number;

  constructor(requested: number, available: number) {
    super(
      'insufficient-rights',
      `this replica holds rights to ${available}, not the ${requested} asked for`,
    );
    this.requested = requested;
    this.available = available;
  }
}

/** A replica's increments `p` and decrements `n`, in total over its history. */
export interface BoundedTotals {
  readonly kind: 'totals';
  readonly p: number;
  readonly n: number;
}

/** The rights a replica gave one other replica, `to`, in total over its history (never 0). */
export interface RightsGiven {
  readonly kind: 'given';
  readonly to: ReplicaId;
  readonly amount: number;
}

/**
 * One entry of a bounded counter: one *part* of its replica's running totals, either its
 * increments and decrements or the rights it gave one replica. A write replaces only the part
 * it changes, so a relay that has given rights to thousands of clients sends one small entry
 * per grant, not its whole list. Every total only grows, and only its replica writes it.
 */
export type BoundedEntry = BoundedTotals | RightsGiven;

/** Everything a replica did to a bounded counter, as a state knows it (see `accounts`). */
export interface RightsAccount {
  /** What it added. */
  readonly p: number;
  /** What it took. */
  readonly n: number;
  /** What it gave, by recipient. */
  readonly given: ReadonlyMap<ReplicaId, number>;
  /** The sum of {@link given}. */
  readonly givenAway: number;
}

export type BoundedCounterState = CrdtState<DotFun<BoundedEntry>>;

const NO_TOTALS: BoundedTotals = { kind: 'totals', p: 0, n: 0 };

/** The part of a replica's totals an entry holds: '' for its totals, else the recipient. */
function partOf(e: BoundedEntry): string {
  return e.kind === 'totals' ? '' : e.to;
}

/** The largest magnitude of a lower bound: its zigzag varint stays a safe integer. */
export const MAX_COUNTER_BOUND = 2 ** 52 - 1;

/** `total + by`, refused when it would leave the safe integers. */
function raised(total: number, by: number): number {
  if (total + by > Number.MAX_SAFE_INTEGER) {
    throw new InvalidArgumentError('counter would exceed Number.MAX_SAFE_INTEGER');
  }
  return total + by;
}

/** An entry is written as its part's tag (0: totals, 1: rights given), then its totals. */
const boundedValues: EntryValueKind<BoundedEntry> = {
  equals: (a, b) =>
    a.kind === 'totals'
      ? b.kind === 'totals' && a.p === b.p && a.n === b.n
      : b.kind === 'given' && a.to === b.to && a.amount === b.amount,
  write(w, e) {
    if (e.kind === 'totals') {
      w.uint(0);
      w.uint(e.p);
      w.uint(e.n);
    } else {
      w.uint(1);
      w.string(e.to);
      w.uint(e.amount);
    }
  },
  read(r) {
    const tag = r.uint();
    if (tag === 0) return { kind: 'totals', p: r.uint(), n: r.uint() };
    if (tag !== 1) r.fail('invariant', `bounded counter entry of unknown part ${tag}`);
    const to = r.string();
    if (to.length === 0 || to.length > MAX_REPLICA_ID_LENGTH) {
      r.fail('invariant', 'replica id is empty or too long');
    }
    const amount = r.uint();
    if (amount === 0) r.fail('invariant', `no rights given to ${to} written out`);
    return { kind: 'given', to, amount };
  },
};

/**
 * Whether `e` is later than `seen`, the latest entry of its part so far. A delta delivered late
 * can bring back an older entry of a part for a while; the latest (the greatest seq) holds the
 * part's totals, as a counter's latest entry does (see `latestByReplica`).
 */
function later(seen: DotEntry<BoundedEntry> | undefined, e: DotEntry<BoundedEntry>): boolean {
  return seen === undefined || e.seq > seen.seq;
}

/** The latest entries of a replica's parts: its totals, and what it gave each recipient. */
interface Parts {
  totals: DotEntry<BoundedEntry> | undefined;
  readonly given: Map<ReplicaId, DotEntry<BoundedEntry>>;
}

/** The amount of a part's latest entry that holds rights given (0 for totals). */
function amountOf(e: DotEntry<BoundedEntry>): number {
  return e.value.kind === 'given' ? e.value.amount : 0;
}

/** Every replica's account, from the latest entry of each part of its totals. */
function accountsIn(store: DotFun<BoundedEntry>): Map<ReplicaId, RightsAccount> {
  const latest = new Map<ReplicaId, Parts>();
  for (const e of store) {
    let parts = latest.get(e.replica);
    if (parts === undefined) {
      parts = { totals: undefined, given: new Map() };
      latest.set(e.replica, parts);
    }
    const v = e.value;
    if (v.kind === 'totals') {
      if (later(parts.totals, e)) parts.totals = e;
    } else if (later(parts.given.get(v.to), e)) parts.given.set(v.to, e);
  }
  const accounts = new Map<ReplicaId, RightsAccount>();
  for (const [replica, parts] of latest) {
    const totals = parts.totals?.value.kind === 'totals' ? parts.totals.value : NO_TOTALS;
    const given = new Map<ReplicaId, number>();
    let givenAway = 0;
    for (const [to, e] of parts.given) {
      given.set(to, amountOf(e));
      givenAway += amountOf(e);
    }
    accounts.set(replica, { p: totals.p, n: totals.n, given, givenAway });
  }
  return accounts;
}

/**
 * The rights of `replica` among `entries`: what it added, less what it took, plus what others
 * gave it, less what it gave away. Reads only the entries that count for it, without building
 * every replica's account: admission and every decrement ask for one replica's rights.
 */
function rightsIn(entries: Iterable<DotEntry<BoundedEntry>>, replica: ReplicaId): number {
  let totals: DotEntry<BoundedEntry> | undefined;
  const gave = new Map<ReplicaId, DotEntry<BoundedEntry>>(); // by recipient
  const got = new Map<ReplicaId, DotEntry<BoundedEntry>>(); // by giver
  for (const e of entries) {
    const v = e.value;
    if (e.replica === replica) {
      if (v.kind === 'totals') {
        if (later(totals, e)) totals = e;
      } else if (later(gave.get(v.to), e)) gave.set(v.to, e);
    } else if (v.kind === 'given' && v.to === replica && later(got.get(e.replica), e)) {
      got.set(e.replica, e);
    }
  }
  let rights = totals?.value.kind === 'totals' ? totals.value.p - totals.value.n : 0;
  for (const e of gave.values()) rights -= amountOf(e);
  for (const e of got.values()) rights += amountOf(e);
  return rights;
}

/** Admission compares entries part by part, total by total. */
const boundedOrder: CounterOrder<BoundedEntry> = {
  samePart: (a, b) => partOf(a) === partOf(b),
  zero: (like) => (like.kind === 'totals' ? NO_TOTALS : { ...like, amount: 0 }),
  join(a, b) {
    if (a.kind === 'totals' && b.kind === 'totals') {
      return { kind: 'totals', p: Math.max(a.p, b.p), n: Math.max(a.n, b.n) };
    }
    return a.kind === 'given' && b.kind === 'given' && b.amount > a.amount ? b : a;
  },
  covers: (a, b) =>
    a.kind === 'totals'
      ? b.kind === 'totals' && a.p >= b.p && a.n >= b.n
      : b.kind === 'given' && a.amount >= b.amount,
  step(from, to) {
    if (from.kind === 'totals' && to.kind === 'totals') {
      return Math.max(to.p - from.p, to.n - from.n);
    }
    return from.kind === 'given' && to.kind === 'given' ? to.amount - from.amount : 0;
  },
  show: (e) => (e.kind === 'totals' ? `(+${e.p}, -${e.n})` : `(${e.amount} to ${e.to})`),
};

/**
 * Bounded counter (escrow; Balegas et al., "Putting consistency back into eventual
 * consistency", 2015, and AntidoteDB's `bcounter`): a counter whose value never goes below its
 * lower bound, at any replica, whatever the interleaving, without coordination on the write path.
 *
 * Each replica holds *rights*: what it added (`p`), plus what others gave it, less what it took
 * (`n`) and gave away. A replica decrements, or gives rights to another ({@link transfer}), only
 * within its own rights, and only it writes its entry, so no two replicas spend the same unit.
 * The value is the bound plus all increments less all decrements, which is the bound plus every
 * replica's rights. A replica that has received a decrement before the increment whose rights
 * paid for it (deltas delivered out of order: the transfer that carried them is still on its
 * way) would compute less than the bound: it shows the bound until that increment arrives.
 * Once every delta is in, or whenever what a replica holds is causally closed, the value is
 * exactly `bound + Σp − Σn`; it never counts an increment twice.
 *
 * Cost: one entry per replica that ever wrote, and one per giver and recipient of rights; a
 * write's delta carries the one entry it changes.
 * There is no upper bound: that needs a second set of rights (to increment), minted by whoever
 * creates the counter, and is left out.
 */
export class BoundedCounterType extends CrdtType<DotFun<BoundedEntry>, number> {
  readonly typeId = TypeIds.boundedCounter;
  readonly name: string;
  readonly kind = dotFunKind(boundedValues);
  /** The value never goes below it; a new counter starts there. */
  readonly lower: number;

  constructor(lower: number) {
    super();
    if (!Number.isSafeInteger(lower) || Math.abs(lower) > MAX_COUNTER_BOUND) {
      throw new InvalidArgumentError(
        `a bound is an integer of magnitude at most ${MAX_COUNTER_BOUND}, not ${lower}`,
      );
    }
    this.lower = lower;
    this.name = `bounded-counter(min ${lower})`;
  }

  override writeParams(w: ByteWriter): void {
    w.uint(this.lower >= 0 ? this.lower * 2 : -this.lower * 2 - 1);
  }

  /**
   * A writer's entries grow as a PN-Counter's do (`foreign-removal`, `counter-decrease`,
   * `counter-increment`, rights given included), and a delta may not take a writer's rights
   * below zero as this receiver counts them (`insufficient-rights`). A receiver that has not yet
   * seen a transfer the writer spent refuses its delta for now; replication brings the transfer.
   */
  override checkDelta(
    current: DotFun<BoundedEntry>,
    delta: DotFun<BoundedEntry>,
    check: DeltaCheck,
  ): void {
    checkCounterDelta(this.kind, current, delta, check, boundedOrder);
    const removed = new Set<DotEntry<BoundedEntry>>();
    this.kind.someRemoved(current, delta, check.context, (replica, seq) => {
      removed.add(current.find((e) => e.replica === replica && e.seq === seq)!);
      return false;
    });
    function* after(): Iterable<DotEntry<BoundedEntry>> {
      for (const e of current) if (!removed.has(e)) yield e;
      for (const e of delta) if (!check.seen(e.replica, e.seq)) yield e;
    }
    for (const writer of check.writer) {
      const now = rightsIn(after(), writer);
      if (now < 0 && now < rightsIn(current, writer)) {
        throw new ValidationError(
          'insufficient-rights',
          `the delta spends rights replica ${writer} does not hold here (it would have ${now})`,
        );
      }
    }
  }

  /**
   * The bound plus all increments less all decrements; the bound while the decrements seen
   * exceed the increments seen (see above).
   */
  value(state: BoundedCounterState): number {
    const totals = new Map<ReplicaId, DotEntry<BoundedEntry>>();
    for (const e of state.store) {
      if (e.value.kind === 'totals' && later(totals.get(e.replica), e)) totals.set(e.replica, e);
    }
    let sum = 0;
    for (const { value } of totals.values()) if (value.kind === 'totals') sum += value.p - value.n;
    return this.lower + Math.max(0, sum);
  }

  /** `{"value": …, "bound": …}`: SQL readers see the floor beside the value (docs/sql.md). */
  override toJson(state: BoundedCounterState): JsonValue {
    return { value: this.value(state), bound: this.lower };
  }

  /**
   * What `replica` may decrement or give away, as this state counts it. Never negative at the
   * replica itself; elsewhere it is negative for a while when a decrement arrived before the
   * transfer that covered it.
   */
  localRights(state: BoundedCounterState, replica: ReplicaId): number {
    return rightsIn(state.store, replica);
  }

  /**
   * The rights of every replica the state names (those that wrote, and those given rights), as
   * {@link localRights} counts them, in one pass over the state.
   */
  rightsByReplica(state: BoundedCounterState): Map<ReplicaId, number> {
    const rights = new Map<ReplicaId, number>();
    const add = (replica: ReplicaId, amount: number) =>
      rights.set(replica, (rights.get(replica) ?? 0) + amount);
    for (const [owner, account] of accountsIn(state.store)) {
      add(owner, account.p - account.n - account.givenAway);
      for (const [to, amount] of account.given) add(to, amount);
    }
    return rights;
  }

  /**
   * What every replica that wrote did, as this state knows it: its increments, decrements and
   * the rights it gave, by recipient. Who holds rights, and who gave them whom, is read here.
   */
  accounts(state: BoundedCounterState): ReadonlyMap<ReplicaId, RightsAccount> {
    return accountsIn(state.store);
  }

  /** Adds `amount` (a positive safe integer, default 1), and as much to the actor's rights. */
  increment(state: BoundedCounterState, actor: Actor, amount = 1): BoundedCounterState {
    assertAmount(amount);
    return this.#changeTotals(state, actor, (e) => ({ ...e, p: raised(e.p, amount) }));
  }

  /**
   * Subtracts `amount` (a positive safe integer, default 1) from the actor's rights.
   * @throws {InsufficientRightsError} when the actor holds fewer rights; nothing is returned.
   */
  decrement(state: BoundedCounterState, actor: Actor, amount = 1): BoundedCounterState {
    assertAmount(amount);
    this.#spend(state, actor, amount);
    return this.#changeTotals(state, actor, (e) => ({ ...e, n: raised(e.n, amount) }));
  }

  /**
   * Gives `amount` of the actor's rights to replica `to`, which may then spend them once it
   * has merged this delta. The value does not change.
   * @throws {InsufficientRightsError} when the actor holds fewer rights.
   */
  transfer(
    state: BoundedCounterState,
    actor: Actor,
    to: ReplicaId,
    amount: number,
  ): BoundedCounterState {
    assertReplicaId(to);
    if (to === actor.replica) throw new InvalidArgumentError('a replica cannot give itself rights');
    assertAmount(amount);
    this.#spend(state, actor, amount);
    return replaceOwnEntry<BoundedEntry>(
      state,
      actor,
      (e) => ({ kind: 'given', to, amount: raised(e?.kind === 'given' ? e.amount : 0, amount) }),
      (e) => e.kind === 'given' && e.to === to,
    );
  }

  /** The delta that replaces the actor's totals (increments, decrements) with `change(totals)`. */
  #changeTotals(
    state: BoundedCounterState,
    actor: Actor,
    change: (totals: BoundedTotals) => BoundedTotals,
  ): BoundedCounterState {
    return replaceOwnEntry<BoundedEntry>(
      state,
      actor,
      (e) => change(e?.kind === 'totals' ? e : NO_TOTALS),
      (e) => e.kind === 'totals',
    );
  }

  #spend(state: BoundedCounterState, actor: Actor, amount: number): void {
    const available = this.localRights(state, actor.replica);
    if (available < amount) throw new InsufficientRightsError(amount, Math.max(0, available));
  }
}

const byBound = new Map<number, BoundedCounterType>();

/** The bounded counter whose value never goes below `lower`; one instance per bound. */
export function boundedCounter(lower: number): BoundedCounterType {
  let type = byBound.get(lower);
  if (type === undefined) {
    type = new BoundedCounterType(lower);
    byBound.set(lower, type);
  }
  return type;
}

/** The bounded counter with floor 0: stock, seats, quotas. */
export const BoundedCounter: BoundedCounterType = boundedCounter(0);

// A writer may spend rights another replica gave it in a transfer this receiver has not yet seen.
declareTransientRule('insufficient-rights');

registerType(TypeIds.boundedCounter, (r) => {
  const zigzag = r.uint();
  const lower = zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
  if (Math.abs(lower) > MAX_COUNTER_BOUND) r.fail('invariant', `bound ${lower} out of range`);
  return boundedCounter(lower);
});
