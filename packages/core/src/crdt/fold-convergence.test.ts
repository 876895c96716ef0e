import { baseSeed, scheduleSeed } from '@helios/test-kit';
import { describe, expect, it } from 'vitest';
import { epochOf, newEpochReplicaId } from '../causal/replica-epoch.js';
import { newReplicaId } from '../causal/replica-id.js';
import { CrdtSim } from '../test-support/crdt-sim.js';
import { GCounter, PNCounter } from './counter.js';
import type { CrdtState } from './crdt-type.js';
import type { DotFun } from './dot-fun.js';
import type { CounterEntry } from './entry-values.js';

/**
 * Randomized convergence with folds: two relays (replicas 0 and 1, which never write) and five
 * writers of epochs 0, 0, 1, 2, 3 on a network that loses, duplicates and reorders. Writers of
 * the oldest epochs retire one epoch at a time; once a relay holds all their writes (the fold's
 * precondition, which real relays learn from every region's acknowledgements), it folds, and
 * sometimes both relays fold the same epoch concurrently. Stale copies of retired writers'
 * deltas are delivered again after the folds. Every replica must end equal to the oracle, with
 * the exact total, and every relay's state must hold no retired entry.
 *
 * HELIOS_SEED=<n> replays a schedule; HELIOS_SCHEDULES sets the count.
 */
const SCHEDULES = Number(process.env.HELIOS_SCHEDULES ?? 200);
const BASE = baseSeed();
const RELAYS = 2;
const EPOCHS = [0, 0, 1, 2, 3];

type State = CrdtState<DotFun<CounterEntry>>;

function run(
  T: typeof PNCounter | typeof GCounter,
  seed: number,
): { folds: number; stale: number } {
  const idRng = (n: number) => new Uint8Array(n).map((_, i) => (seed * 31 + i * 7) & 0xff);
  const ids = [
    ...Array.from({ length: RELAYS }, (_, i) => newReplicaId(() => idRng(7).map((b) => b ^ i))),
    ...EPOCHS.map((e, i) => newEpochReplicaId(e, () => idRng(8).map((b) => b ^ (i + 16)))),
  ];
  const sim = new CrdtSim({
    type: T,
    nodes: ids.length,
    replicaIds: ids,
    seed,
    dropRate: (seed % 4) * 0.1,
    duplicateRate: 0.25,
    reorderRate: 0.4,
  });
  const rng = sim.rng;
  let total = 0;
  let frontier = 0;
  const sent: State[][] = ids.map(() => []);
  const writers = (): number[] =>
    EPOCHS.map((_, k) => k + RELAYS).filter((i) => epochOf(ids[i]!)! >= frontier);

  const write = (n: number): void => {
    for (let k = 0; k < n; k++) {
      const i = rng.pick(writers());
      const amount = rng.range(1, 4);
      const down = T === PNCounter && rng.chance(0.3);
      const d = sim.mutate(i, (s, r) =>
        down ? PNCounter.decrement(s, r, amount) : T.increment(s, r, amount),
      );
      sent[i]!.push(d);
      total += down ? -amount : amount;
      sim.deliver(rng.int(4));
    }
  };

  const replayStale = (): number => {
    let n = 0;
    for (let i = RELAYS; i < ids.length; i++) {
      for (const d of sent[i]!) {
        if (!rng.chance(0.3)) continue;
        const to = rng.int(ids.length);
        T.merge(sim.replicas[to]!.state, T.decode(T.encode(d)));
        n++;
      }
    }
    return n;
  };

  let folds = 0;
  let stale = 0;
  write(15);
  for (const next of [1, 2, 3]) {
    if (rng.chance(0.3)) break;
    frontier = next;
    // The writers of epoch next - 1 have retired. Folders learn all their writes: causal
    // stability, which relays establish from every region's receipts.
    const folders = rng.chance(0.4) ? [0, 1] : [rng.int(RELAYS)];
    for (const f of folders) {
      EPOCHS.forEach((epoch, k) => {
        if (epoch < frontier) for (const d of sent[k + RELAYS]!) T.merge(sim.replicas[f]!.state, d);
      });
    }
    // Folders that already folded this far skip it (the other region's fold got there first).
    for (const f of folders) {
      if (sim.replicas[f]!.state.context.frontier >= frontier) continue;
      sim.mutate(f, (s) => T.fold(s, frontier));
      folds++;
    }
    stale += replayStale();
    write(8);
  }
  sim.antiEntropy();
  sim.deliver();
  stale += replayStale();
  sim.antiEntropy();

  const divergence = sim.divergence();
  if (divergence !== undefined) throw new Error(divergence);
  const value = T.value(sim.oracle);
  if (value !== total) throw new Error(`value ${value}, expected ${total}`);
  for (const r of sim.replicas) {
    for (const e of r.state.store) {
      if (r.state.context.isRetired(e.replica)) throw new Error(`retired entry ${e.replica} kept`);
    }
    if (r.state.context.frontier !== frontier) throw new Error('a replica missed a fold');
  }
  return { folds, stale };
}

describe.each([
  ['pn-counter', PNCounter],
  ['g-counter', GCounter],
] as const)('%s with folds', (name, T) => {
  it('converges to the exact total under drops, duplicates, reordering and late replays', () => {
    const failures: string[] = [];
    let folds = 0;
    let stale = 0;
    for (let i = 0; i < SCHEDULES; i++) {
      const seed = scheduleSeed(BASE, i);
      try {
        const r = run(T, seed);
        folds += r.folds;
        stale += r.stale;
      } catch (err) {
        failures.push(`HELIOS_SEED=${seed}: ${err instanceof Error ? err.stack : String(err)}`);
      }
    }
    console.log(
      `fold convergence ${name}: ${SCHEDULES} schedules, ${failures.length} failures, ${folds} folds, ${stale} stale deltas replayed (base seed ${BASE})`,
    );
    expect(failures.length, `first failure, replay with ${failures[0]}`).toBe(0);
    expect(folds).toBeGreaterThan(SCHEDULES / 2);
    expect(stale).toBeGreaterThan(SCHEDULES);
  });
});
