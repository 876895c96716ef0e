/**
 * What the cart workload checks at the end (see cart.mjs): that every member of a cart shows the
 * same documents, which writes were concurrent (from their recorded causal contexts) and what
 * every replica shows for them, and that no add or remove of a quantity was lost.
 */
import { compareTimestamps } from '@helios/core';

/**
 * A write of the workload, with what its writer had seen when it wrote it.
 * @typedef {{
 *   user: number, cart: number, kind: 'inc' | 'dec' | 'lww' | 'mv', doc: string, key: string,
 *   ctx: import('@helios/core').CausalContext, dot?: import('@helios/core').Dot,
 *   ts?: import('@helios/core').Timestamp, value?: import('@helios/core').Value,
 *   deltaBytes: number, stateBytes: number,
 *   measured: boolean,
 * }} Write
 */

/** Canonical text of a value, so replicas can be compared. */
function canonical(/** @type {Map<unknown, unknown>} */ value) {
  return JSON.stringify([...value].sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)));
}

/** Every member of every cart shows the same three documents. */
export function convergedCarts(
  /** @type {{ cart: number, cartDoc: { value: Map<unknown, unknown> }, opts: { value: Map<unknown, unknown> }, notes: { value: Map<unknown, unknown> } }[]} */ users,
) {
  /** @type {Map<number, string>} */
  const first = new Map();
  for (const x of users) {
    const text = `${canonical(x.cartDoc.value)}|${canonical(x.opts.value)}|${canonical(x.notes.value)}`;
    const seen = first.get(x.cart);
    if (seen === undefined) first.set(x.cart, text);
    else if (seen !== text) return false;
  }
  return true;
}

/**
 * Concurrency per document key from the recorded causal contexts: w1 ∥ w2 iff neither writer
 * had seen the other's dot when writing. Also checks what every replica shows at the end: each
 * variant is the LWW winner among the writes no other write has seen, and each note holds
 * exactly those writes' values (several = still conflicted).
 * @param {Write[]} writes
 * @param {{ cart: number, opts: { get(k: string): unknown }, notes: { value: Map<unknown, unknown> } }[]} users
 */
export function analyseConflicts(writes, users) {
  /** @type {Map<string, Write[]>} */
  const byKey = new Map();
  for (const w of writes) {
    if (!w.dot) continue;
    const k = `${w.doc}|${w.key}`;
    const list = byKey.get(k) ?? [];
    list.push(w);
    byKey.set(k, list);
  }
  const out = {
    counter: { concurrent: 0, pairs: 0 },
    lww: { concurrent: 0, pairs: 0 },
    mv: { concurrent: 0, pairs: 0 },
    lwwLost: 0,
    lwwMismatch: 0,
    mvOpenAtEnd: 0,
    mvMismatch: 0,
  };
  const seenBy = (/** @type {Write} */ x, /** @type {Write} */ w) =>
    x !== w &&
    x.ctx.has(
      /** @type {import('@helios/core').Dot} */ (w.dot).replica,
      /** @type {import('@helios/core').Dot} */ (w.dot).seq,
    );
  for (const list of byKey.values()) {
    const first = /** @type {Write} */ (list[0]);
    const kind = first.kind === 'lww' ? 'lww' : first.kind === 'mv' ? 'mv' : 'counter';
    const concurrent = new Set();
    const lost = new Set();
    for (let i = 0; i < list.length; i++) {
      const a = /** @type {Write} */ (list[i]);
      for (let j = i + 1; j < list.length; j++) {
        const b = /** @type {Write} */ (list[j]);
        if (seenBy(a, b) || seenBy(b, a)) continue;
        out[kind].pairs++;
        concurrent.add(a);
        concurrent.add(b);
        if (kind === 'lww' && a.ts && b.ts) lost.add(compareTimestamps(a.ts, b.ts) < 0 ? a : b);
      }
    }
    out[kind].concurrent += concurrent.size;
    out.lwwLost += lost.size;
    if (kind === 'counter') continue;
    // What survives: the writes no other write of this key has seen.
    const maximal = list.filter((w) => !list.some((x) => seenBy(x, w)));
    const members = users.filter((x) => x.cart === first.cart);
    if (kind === 'lww') {
      const winner = maximal.reduce((best, w) =>
        compareTimestamps(
          /** @type {import('@helios/core').Timestamp} */ (w.ts),
          /** @type {import('@helios/core').Timestamp} */ (best.ts),
        ) > 0
          ? w
          : best,
      );
      const want = JSON.stringify(winner.value);
      for (const m of members)
        if (JSON.stringify(m.opts.get(first.key)) !== want) out.lwwMismatch++;
    } else {
      if (maximal.length > 1) out.mvOpenAtEnd++;
      const want = JSON.stringify(maximal.map((w) => w.value).sort());
      for (const m of members) {
        const shown = /** @type {unknown[] | undefined} */ (m.notes.value.get(first.key)) ?? [];
        if (JSON.stringify([...shown].sort()) !== want) out.mvMismatch++;
      }
    }
  }
  return out;
}

/**
 * Quantities every replica shows against adds − removes written, per cart and item.
 */
export function incrementsLost(
  /** @type {{ cart: number, cartDoc: { value: Map<unknown, unknown> } }[]} */ users,
  /** @type {Write[]} */ writes,
) {
  /** @type {Map<string, number>} */
  const expected = new Map();
  for (const w of writes) {
    if (w.kind !== 'inc' && w.kind !== 'dec') continue;
    const k = `${w.cart}|${w.key}`;
    expected.set(k, (expected.get(k) ?? 0) + (w.kind === 'inc' ? 1 : -1));
  }
  let lost = 0;
  let extra = 0;
  let checked = 0;
  for (const x of users) {
    for (const [k, want] of expected) {
      const [cart, item] = k.split('|');
      if (Number(cart) !== x.cart) continue;
      const shown = /** @type {number | undefined} */ (x.cartDoc.value.get(item)) ?? 0;
      checked++;
      if (shown < want) lost += want - shown;
      if (shown > want) extra += shown - want;
    }
  }
  return { lost, extra, checked };
}
