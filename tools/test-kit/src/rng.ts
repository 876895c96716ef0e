/**
 * The seeded PRNG of every randomized test and benchmark, and how their seeds are chosen, so
 * that the seed a failure prints replays it exactly.
 */

/** A small seeded PRNG (mulberry32) with the helpers randomized tests need. */
export interface Rng {
  /** The seed this generator started from. */
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Uniform integer in [lo, hi] (inclusive). */
  range(lo: number, hi: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Shuffles `items` in place and returns it. */
  shuffle<T>(items: T[]): T[];
  /** `n` random bytes (e.g. for `newReplicaId`). */
  bytes(n: number): Uint8Array;
  /** An independent generator seeded from this one, so sub-streams do not disturb each other. */
  fork(): Rng;
}

/** Mulberry32: 32 bits of state, good enough statistics for scheduling, and trivially seedable. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const rng: Rng = {
    seed: seed >>> 0,
    next,
    int,
    range: (lo, hi) => lo + int(hi - lo + 1),
    chance: (p) => next() < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('pick from an empty list');
      return items[int(items.length)]!;
    },
    shuffle<T>(items: T[]): T[] {
      for (let i = items.length - 1; i > 0; i--) {
        const j = int(i + 1);
        const tmp = items[i]!;
        items[i] = items[j]!;
        items[j] = tmp;
      }
      return items;
    },
    bytes(n) {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = int(256);
      return out;
    },
    fork: () => createRng(int(2 ** 32)),
  };
  return rng;
}

/**
 * The seed of a randomized test: `HELIOS_SEED` when set (to replay a failure), else a fresh
 * random one. Schedule `i` of a run uses `scheduleSeed(base, i)`, and `scheduleSeed(s, 0) === s`,
 * so the seed printed for a failing schedule replays it as the first schedule of a new run.
 */
export function baseSeed(env: string | undefined = process.env.HELIOS_SEED): number {
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isSafeInteger(n))
      throw new RangeError(`HELIOS_SEED must be an integer, not ${env}`);
    return n >>> 0;
  }
  return Math.floor(Math.random() * 2 ** 32) >>> 0;
}

export function scheduleSeed(base: number, i: number): number {
  return (base + i) >>> 0;
}
