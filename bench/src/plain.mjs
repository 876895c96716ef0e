/**
 * A plain-JS rendering of a Helios state, for msgpackr to encode: what a developer would send
 * without Helios' codec. It is deliberately not naive: replica ids are written once (as the
 * keys of `ctx`) and dots refer to them by index, as Helios' own replica table does, so the
 * comparison is codec against codec rather than against repeated 14-character ids.
 *
 *   { t: typeTag, ctx: { [replica]: [start, end, ...] }, store }
 *
 * where a dot-fun store is `[[replicaIndex, seq, ...entryFields], ...]` and a dot-map store is
 * the flat list `[key, innerStore, key, innerStore, ...]`.
 */

/**
 * @param {number | readonly number[]} typeTag the type id (and parameters, for an OR-Map)
 * @param {{ context: import('@helios/core').CausalContext, store: unknown }} state
 */
export function toPlain(typeTag, state) {
  /** @type {Record<string, number[]>} */
  const ctx = {};
  /** @type {Map<string, number>} */
  const index = new Map();
  for (const replica of state.context.replicas()) {
    index.set(replica, index.size);
    ctx[replica] = [...state.context.rangesOf(replica)];
  }
  return { t: typeTag, ctx, store: storeToPlain(state.store, index) };
}

/**
 * @param {unknown} store
 * @param {Map<string, number>} index
 * @returns {unknown[]}
 */
function storeToPlain(store, index) {
  if (Array.isArray(store)) {
    return store.map((e) => [index.get(e.replica), e.seq, ...entryFields(e.value)]);
  }
  const map = /** @type {import('@helios/core').DotMap<unknown>} */ (store);
  const out = [];
  for (const [key, inner] of map.entries) out.push(key, storeToPlain(inner, index));
  return out;
}

/**
 * The fields of a dot-fun entry value: none for a set element, totals for a counter, the
 * timestamp and value for a last-writer-wins entry.
 * @param {unknown} v
 * @returns {unknown[]}
 */
function entryFields(v) {
  if (v === true) return [];
  if (typeof v === 'object' && v !== null && 'p' in v && 'n' in v) return [v.p, v.n];
  if (typeof v === 'object' && v !== null && 'wall' in v && 'counter' in v && 'value' in v) {
    return [v.wall, v.counter, v.value];
  }
  throw new TypeError(`no plain form for entry value ${JSON.stringify(v)}`);
}
