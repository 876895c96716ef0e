import { assertReplicaId, type ReplicaId } from '../causal/replica-id.js';
import type { ByteWriter } from '../codec/byte-writer.js';
import {
  declareTransientRule,
  InvalidArgumentError,
  StateRefusalError,
  ValidationError,
} from '../errors.js';
import { checkCounterDelta, type DeltaCheck } from './admission.js';
import {
  accountsIn,
  type BoundedEntry,
  type BoundedTotals,
  boundedOrder,
  boundedValues,
  NO_TOTALS,
  type RightsAccount,
  rightsIn,
  sumOfTotals,
} from './bounded-entries.js';
import { type Actor, type CrdtState, CrdtType } from './crdt-type.js';
import { type DotEntry, type DotFun, dotFunKind } from './dot-fun.js';
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

export type {
  BoundedEntry,
  BoundedTotals,
  RightsAccount,
  RightsGiven,
} from './bounded-entries.js';

export type BoundedCounterState = CrdtState<DotFun<BoundedEntry>>;

/** The largest magnitude of a lower bound: its zigzag varint stays a safe integer. */
export const MAX_COUNTER_BOUND = 2 ** 52 - 1;

/** `total + by`, refused when it would leave the safe integers. */
function raised(total: number, by: number): number {
  if (total + by > Number.MAX_SAFE_INTEGER) {
    throw new InvalidArgumentError('counter would exceed Number.MAX_SAFE_INTEGER');
  }
  return total + by;
}

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
    return this.lower + Math.max(0, sumOfTotals(state.store));
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
