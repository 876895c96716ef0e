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
import { type DotEntry, type DotFun, dotFunKind, latestByReplica } from './dot-fun.js';
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

/** Rights one replica gave another, in total over its history. */
export interface RightsGiven {
  readonly to: ReplicaId;
  readonly amount: number;
}

/**
 * A replica's running totals in a bounded counter: its increments `p`, its decrements `n`, and
 * the rights it gave to each other replica (sorted by recipient, one row each, none zero).
 * Every total only grows, and only its replica writes it.
 */
export interface BoundedEntry {
  readonly p: number;
  readonly n: number;
  readonly given: readonly RightsGiven[];
}

export type BoundedCounterState = CrdtState<DotFun<BoundedEntry>>;

const NOTHING: BoundedEntry = { p: 0, n: 0, given: [] };

/** The largest magnitude of a lower bound: its zigzag varint stays a safe integer. */
export const MAX_COUNTER_BOUND = 2 ** 52 - 1;

/** What `entry` gave `to` in total. */
function givenTo(entry: BoundedEntry, to: ReplicaId): number {
  for (const g of entry.given) if (g.to === to) return g.amount;
  return 0;
}

function givenAway(entry: BoundedEntry): number {
  let total = 0;
  for (const g of entry.given) total += g.amount;
  return total;
}

/** `total + by`, refused when it would leave the safe integers. */
function raised(total: number, by: number): number {
  if (total + by > Number.MAX_SAFE_INTEGER) {
    throw new InvalidArgumentError('counter would exceed Number.MAX_SAFE_INTEGER');
  }
  return total + by;
}

const boundedValues: EntryValueKind<BoundedEntry> = {
  equals: (a, b) =>
    a.p === b.p &&
    a.n === b.n &&
    a.given.length === b.given.length &&
    a.given.every((g, i) => g.to === b.given[i]!.to && g.amount === b.given[i]!.amount),
  write(w, e) {
    w.uint(e.p);
    w.uint(e.n);
    w.uint(e.given.length);
    for (const g of e.given) {
      w.string(g.to);
      w.uint(g.amount);
    }
  },
  read(r) {
    const p = r.uint();
    const n = r.uint();
    const count = r.length(3); // a recipient of one byte at least, its length, the amount
    const given: RightsGiven[] = [];
    for (let i = 0; i < count; i++) {
      const to = r.string();
      if (to.length === 0 || to.length > MAX_REPLICA_ID_LENGTH) {
        r.fail('invariant', 'replica id is empty or too long');
      }
      if (i > 0 && to <= given[i - 1]!.to) {
        r.fail('invariant', 'rights given are listed once per recipient, in order');
      }
      const amount = r.uint();
      if (amount === 0) r.fail('invariant', `no rights given to ${to} written out`);
      given.push({ to, amount });
    }
    return { p, n, given };
  },
};

/**
 * The rights of `replica` in a state whose replicas' latest entries are `latest`: what it added,
 * less what it took, plus what others gave it, less what it gave away.
 */
function rightsIn(latest: Iterable<DotEntry<BoundedEntry>>, replica: ReplicaId): number {
  let rights = 0;
  for (const { replica: owner, value } of latest) {
    if (owner === replica) rights += value.p - value.n - givenAway(value);
    rights += givenTo(value, replica);
  }
  return rights;
}

/** Admission compares entries total by total: increments, decrements, rights given to each. */
const boundedOrder: CounterOrder<BoundedEntry> = {
  totals(entries, replica) {
    let p = 0;
    let n = 0;
    const given = new Map<ReplicaId, number>();
    for (const e of entries) {
      if (e.replica !== replica) continue;
      p = Math.max(p, e.value.p);
      n = Math.max(n, e.value.n);
      for (const g of e.value.given) given.set(g.to, Math.max(given.get(g.to) ?? 0, g.amount));
    }
    const rows = [...given].map(([to, amount]) => ({ to, amount }));
    return { p, n, given: rows.sort((a, b) => (a.to < b.to ? -1 : 1)) };
  },
  covers: (a, b) => a.p >= b.p && a.n >= b.n && b.given.every((g) => givenTo(a, g.to) >= g.amount),
  step(from, to) {
    let step = Math.max(to.p - from.p, to.n - from.n);
    for (const g of to.given) step = Math.max(step, g.amount - givenTo(from, g.to));
    return step;
  },
  show: (e) => `(+${e.p}, -${e.n}${e.given.map((g) => `, ${g.amount} to ${g.to}`).join('')})`,
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
 * Cost: one entry per replica that ever wrote, each with a row per replica it gave rights to.
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
    const removed = new Set<string>();
    this.kind.someRemoved(current, delta, check.context, (replica, seq) => {
      removed.add(`${replica}:${seq}`);
      return false;
    });
    const after = current
      .filter((e) => !removed.has(`${e.replica}:${e.seq}`))
      .concat(delta.filter((e) => !check.seen(e.replica, e.seq)));
    const latestBefore = [...latestByReplica(current).values()];
    const latestAfter = [...latestByReplica(after).values()];
    for (const writer of check.writer) {
      const now = rightsIn(latestAfter, writer);
      if (now < 0 && now < rightsIn(latestBefore, writer)) {
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
    let sum = 0;
    for (const { value } of latestByReplica(state.store).values()) sum += value.p - value.n;
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
    return rightsIn(latestByReplica(state.store).values(), replica);
  }

  /** Adds `amount` (a positive safe integer, default 1), and as much to the actor's rights. */
  increment(state: BoundedCounterState, actor: Actor, amount = 1): BoundedCounterState {
    assertAmount(amount);
    return replaceOwnEntry(state, actor, (e = NOTHING) => ({ ...e, p: raised(e.p, amount) }));
  }

  /**
   * Subtracts `amount` (a positive safe integer, default 1) from the actor's rights.
   * @throws {InsufficientRightsError} when the actor holds fewer rights; nothing is returned.
   */
  decrement(state: BoundedCounterState, actor: Actor, amount = 1): BoundedCounterState {
    assertAmount(amount);
    this.#spend(state, actor, amount);
    return replaceOwnEntry(state, actor, (e = NOTHING) => ({ ...e, n: raised(e.n, amount) }));
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
    return replaceOwnEntry(state, actor, (e = NOTHING) => {
      const rows = e.given.filter((g) => g.to !== to);
      rows.push({ to, amount: raised(givenTo(e, to), amount) });
      return { ...e, given: rows.sort((a, b) => (a.to < b.to ? -1 : 1)) };
    });
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
