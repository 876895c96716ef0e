import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CausalContext } from '../causal/causal-context.js';
import { causalReadiness } from '../causal/readiness.js';
import { epochOf, FOLD_REPLICA, newEpochReplicaId } from '../causal/replica-epoch.js';
import { type DecodeError, InvalidArgumentError, type ValidationError } from '../errors.js';
import { validateDelta } from '../validation/validate-delta.js';
import { GCounter, PNCounter } from './counter.js';
import type { CrdtState } from './crdt-type.js';
import type { DotFun } from './dot-fun.js';
import type { CounterEntry } from './entry-values.js';

type Counter = typeof PNCounter | typeof GCounter;
type State = CrdtState<DotFun<CounterEntry>>;

/** Writers of epochs 0, 0, 1, 1, 2, 3, and an application id that has no epoch. */
const WRITERS = [
  ...[0, 0, 1, 1, 2, 3].map((epoch, i) =>
    newEpochReplicaId(epoch, () => new Uint8Array(8).fill(i)),
  ),
  'app-writer',
];

interface Op {
  readonly writer: number;
  readonly down: boolean;
  readonly amount: number;
}

const ops = fc.array(
  fc.record({
    writer: fc.integer({ min: 0, max: WRITERS.length - 1 }),
    down: fc.boolean(),
    amount: fc.integer({ min: 1, max: 5 }),
  }),
  { maxLength: 40 },
);

/** Each write's delta, in the order made, and the counter's exact value. */
function history(T: Counter, script: readonly Op[]): { deltas: State[]; total: number } {
  const own = WRITERS.map(() => T.empty());
  const deltas: State[] = [];
  let total = 0;
  for (const op of script) {
    const actor = { replica: WRITERS[op.writer]! };
    const down = op.down && T === PNCounter;
    const d = down
      ? PNCounter.decrement(own[op.writer]!, actor, op.amount)
      : T.increment(own[op.writer]!, actor, op.amount);
    T.merge(own[op.writer]!, d);
    deltas.push(d);
    total += down ? -op.amount : op.amount;
  }
  return { deltas, total };
}

/** Whether `frontier` retires the writer of `delta`. */
function retiredDelta(delta: State, frontier: number): boolean {
  const epoch = epochOf(delta.store[0]!.replica);
  return epoch !== undefined && epoch < frontier;
}

/**
 * A replica that has received every delta of the writers `frontier` retires (the fold's
 * precondition) and the others picked by `pick`, in the order `order` gives, some twice.
 */
function replicaOf(
  T: Counter,
  deltas: readonly State[],
  frontier: number,
  pick: readonly boolean[],
  order: readonly number[],
): State {
  const s = T.empty();
  const chosen = deltas.filter((d, i) => retiredDelta(d, frontier) || pick[i % pick.length]);
  if (chosen.length > 0) {
    for (const k of order) T.merge(s, T.decode(T.encode(chosen[k % chosen.length]!)));
  }
  for (const d of chosen) T.merge(s, d);
  return s;
}

function folded(T: Counter, s: State, frontier: number): State {
  return T.join(s, T.fold(s, frontier));
}

const replicaArgs = fc.tuple(
  fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
  fc.array(fc.nat(), { maxLength: 20 }),
);
const frontiers = fc.integer({ min: 1, max: 4 });

describe.each([
  ['pn-counter', PNCounter],
  ['g-counter', GCounter],
] as const)('%s folds', (_name, T: Counter) => {
  it('keep the value exact', () => {
    fc.assert(
      fc.property(ops, frontiers, replicaArgs, (script, frontier, [pick, order]) => {
        const { deltas } = history(T, script);
        const s = replicaOf(T, deltas, frontier, pick, order);
        const after = folded(T, s, frontier);
        expect(T.value(after)).toBe(T.value(s));
        expect(T.value(T.decode(T.encode(after)))).toBe(T.value(s));
        for (const e of after.store) expect(after.context.isRetired(e.replica)).toBe(false);
      }),
    );
  });

  it('made by two replicas that meet the precondition are the same bytes', () => {
    fc.assert(
      fc.property(ops, frontiers, replicaArgs, replicaArgs, (script, frontier, a, b) => {
        const { deltas } = history(T, script);
        const fa = T.fold(replicaOf(T, deltas, frontier, ...a), frontier);
        const fb = T.fold(replicaOf(T, deltas, frontier, ...b), frontier);
        expect(T.encode(fa)).toEqual(T.encode(fb));
      }),
    );
  });

  it('commute with merges and with each other, and converge to the exact total', () => {
    fc.assert(
      fc.property(
        ops,
        frontiers,
        frontiers,
        replicaArgs,
        replicaArgs,
        replicaArgs,
        (script, fa, fb, a, b, c) => {
          const { deltas, total } = history(T, script);
          const x = folded(T, replicaOf(T, deltas, fa, ...a), fa);
          const y = folded(T, replicaOf(T, deltas, fb, ...b), fb);
          const z = replicaOf(T, deltas, 0, ...c);
          expect(T.equals(T.join(x, y), T.join(y, x))).toBe(true);
          expect(T.equals(T.join(T.join(x, y), z), T.join(x, T.join(y, z)))).toBe(true);
          expect(T.equals(T.join(x, x), x)).toBe(true);
          // Everything delivered everywhere: one state, whoever folded what, whatever the order.
          const all = [x, y, z, ...deltas];
          const one = all.reduce((s, d) => T.join(s, d), T.empty());
          const other = [...all].reverse().reduce((s, d) => T.join(s, d), T.empty());
          expect(T.equals(one, other)).toBe(true);
          expect(T.value(one)).toBe(T === GCounter ? sumUp(script) : total);
          // A fold made on the joined state is the one already there, or a later one.
          const f = Math.max(fa, fb);
          expect(T.equals(one, T.join(one, T.fold(replicaOf(T, deltas, f, [true], []), f)))).toBe(
            true,
          );
        },
      ),
    );
  });

  it('ignore late duplicates of folded writes', () => {
    fc.assert(
      fc.property(ops, frontiers, replicaArgs, (script, frontier, args) => {
        const { deltas } = history(T, script);
        const s = folded(T, replicaOf(T, deltas, frontier, ...args), frontier);
        const value = T.value(s);
        const bytes = T.encode(s);
        for (const d of deltas.filter((d) => retiredDelta(d, frontier))) {
          expect(T.merge(s, T.decode(T.encode(d)))).toBe(false);
        }
        expect(T.value(s)).toBe(value);
        expect(T.encode(s)).toEqual(bytes);
      }),
    );
  });
});

function sumUp(script: readonly Op[]): number {
  return script.reduce((n, op) => n + op.amount, 0);
}

describe('causal readiness of folds', () => {
  it('a fold, and a late delta of a folded replica, are ready for a strict receiver', () => {
    const s = PNCounter.empty();
    const old = { replica: newEpochReplicaId(0) };
    const first = PNCounter.increment(s, old);
    PNCounter.merge(s, first);
    const second = PNCounter.increment(s, old);
    PNCounter.merge(s, second);
    // A first fold at frontier 3 names fold dots 1–3: only the fold itself is an event.
    const fold = PNCounter.fold(s, 3);
    expect(causalReadiness(fold.context, new CausalContext()).ready).toBe(true);
    expect(causalReadiness(fold.context, s.context).ready).toBe(true);
    PNCounter.merge(s, fold);
    // The replica's second write names its first: two dots, both seen through the frontier.
    expect(second.context.size).toBe(2);
    expect(causalReadiness(second.context, s.context).unseen.isEmpty).toBe(true);
  });
});

describe('a counter written once by many retired replicas', () => {
  it('folds to a state of a few bytes, context included', () => {
    const s = PNCounter.empty();
    for (let i = 0; i < 1000; i++) {
      const actor = { replica: newEpochReplicaId(i % 3) };
      PNCounter.merge(s, PNCounter.increment(s, actor, 2));
    }
    const before = PNCounter.encode(s).length;
    PNCounter.merge(s, PNCounter.fold(s, 3));
    const bytes = PNCounter.encode(s);
    expect(PNCounter.value(PNCounter.decode(bytes))).toBe(2000);
    expect(before).toBeGreaterThan(12_000); // 10 bytes of id, a range and an entry each
    expect(bytes.length).toBeLessThan(32);
    expect([...s.context.replicas()]).toEqual([FOLD_REPLICA]);
  });
});

describe('retired replicas', () => {
  const old = newEpochReplicaId(0);
  const current = newEpochReplicaId(1);

  it('may not write once the fold has reached them', () => {
    const s = PNCounter.empty();
    PNCounter.merge(s, PNCounter.increment(s, { replica: old }));
    PNCounter.merge(s, PNCounter.fold(s, 1));
    expect(() => PNCounter.increment(s, { replica: old })).toThrow(InvalidArgumentError);
    expect(() => PNCounter.fold(s, 1)).toThrow(InvalidArgumentError);
    expect(PNCounter.value(PNCounter.join(s, PNCounter.increment(s, { replica: current })))).toBe(
      2,
    );
  });

  it('cannot fold from a client: the fold dot is a relay replica', () => {
    const s = PNCounter.empty();
    PNCounter.merge(s, PNCounter.increment(s, { replica: old }));
    const fold = PNCounter.fold(s, 1);
    expect(() => validateDelta(PNCounter, s, fold, { replicas: new Set([old]) })).toThrow(
      expect.objectContaining({ code: 'foreign-dot' }) as ValidationError,
    );
  });

  it('are refused when they write to a relay that has the fold, which changes nothing', () => {
    const relay = PNCounter.empty();
    const writer = PNCounter.empty();
    PNCounter.merge(writer, PNCounter.increment(writer, { replica: old }));
    PNCounter.merge(relay, writer);
    PNCounter.merge(relay, PNCounter.fold(relay, 1));
    const bytes = PNCounter.encode(relay);
    // The writer has not heard of the fold, and writes again.
    const late = PNCounter.increment(writer, { replica: old });
    expect(() => validateDelta(PNCounter, relay, late, { replicas: new Set([old]) })).toThrow(
      expect.objectContaining({ code: 'replica-retired' }) as ValidationError,
    );
    expect(PNCounter.encode(relay)).toEqual(bytes);
  });

  it('are refused in the store of a decoded state: the fold already counts them', () => {
    // A fold dot and an entry of an epoch-1 writer, which the frontier 1 does not retire…
    const s = PNCounter.join(
      { context: new CausalContext().addRange(FOLD_REPLICA, 1, 1), store: [] },
      PNCounter.increment(PNCounter.empty(), { replica: current }),
    );
    const bytes = PNCounter.encode(s);
    expect(PNCounter.value(PNCounter.decode(bytes))).toBe(1);
    // …then its epoch byte rewritten to 0: the fold retires it, so its entry would count twice.
    const at = bytes.indexOf(0x01, bytes.indexOf(0x00, 2));
    const forged = bytes.slice();
    forged[at] = 0x00;
    expect(() => PNCounter.decode(forged)).toThrow(
      expect.objectContaining({ code: 'invariant' }) as DecodeError,
    );
  });

  it('encode their ids in 10 bytes, and bytes written before epoch ids still decode', () => {
    const s = PNCounter.empty();
    PNCounter.merge(s, PNCounter.increment(s, { replica: current }));
    PNCounter.merge(s, PNCounter.increment(s, { replica: 'bob' }));
    expect(PNCounter.equals(PNCounter.decode(PNCounter.encode(s)), s)).toBe(true);
    // header, table head, escape, the id's 10 bytes, its context (2), one entry (its dot with
    // the store's size folded in, p, n: state format 3).
    const one = PNCounter.encode(PNCounter.increment(PNCounter.empty(), { replica: current }));
    expect(one.length).toBe(1 + 1 + 1 + 10 + 2 + 3);
    // Encoded by the codec before this change (commit d21459c).
    const compactOld = Buffer.from(
      '42050123456789abcdfedcba9876543202020100020100030000000301',
      'hex',
    );
    expect(PNCounter.value(PNCounter.decode(compactOld))).toBe(5);
    const stringOld = Buffer.from(
      '420603626f620365766514303030313032303330343035303630376161626201000100010003000002000100020002000200',
      'hex',
    );
    const decoded = PNCounter.decode(stringOld);
    expect(PNCounter.value(decoded)).toBe(6);
    // A 20-hex-digit id written before reads as an epoch id (see docs/compaction.md).
    expect([...decoded.context.replicas()]).toContain('0001020304050607aabb');
    expect(PNCounter.encode(decoded).length).toBeLessThan(stringOld.length);
  });
});
