import { MAX_REPLICA_ID_LENGTH, type ReplicaId } from '../causal/replica-id.js';
import type { CounterOrder } from './admission.js';
import type { DotEntry, DotFun } from './dot-fun.js';
import type { EntryValueKind } from './dot-store.js';

/*
 * What a Bounded Counter's state holds (bounded-counter.ts): entries that are each one part of a
 * replica's running totals, their encoding, how admission compares them, and the accounts and
 * rights read from them.
 */

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

export const NO_TOTALS: BoundedTotals = { kind: 'totals', p: 0, n: 0 };

/** The part of a replica's totals an entry holds: '' for its totals, else the recipient. */
function partOf(e: BoundedEntry): string {
  return e.kind === 'totals' ? '' : e.to;
}

/** An entry is written as its part's tag (0: totals, 1: rights given), then its totals. */
export const boundedValues: EntryValueKind<BoundedEntry> = {
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
export function accountsIn(store: DotFun<BoundedEntry>): Map<ReplicaId, RightsAccount> {
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
export function rightsIn(entries: Iterable<DotEntry<BoundedEntry>>, replica: ReplicaId): number {
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
export const boundedOrder: CounterOrder<BoundedEntry> = {
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

/** Σp − Σn over every replica's latest totals. */
export function sumOfTotals(store: DotFun<BoundedEntry>): number {
  const totals = new Map<ReplicaId, DotEntry<BoundedEntry>>();
  for (const e of store) {
    if (e.value.kind === 'totals' && later(totals.get(e.replica), e)) totals.set(e.replica, e);
  }
  let sum = 0;
  for (const { value } of totals.values()) if (value.kind === 'totals') sum += value.p - value.n;
  return sum;
}
