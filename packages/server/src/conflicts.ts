import type { AnyCrdtState, AnyCrdtType, DotMap, Key } from '@helios/core';

/**
 * Counts the keys a merged delta left with concurrent values side by side: LWW and
 * multi-value siblings. Counters and sets merge concurrent writes without conflict by design.
 */
export function conflictsAfterMerge(
  type: AnyCrdtType,
  state: AnyCrdtState,
  delta: AnyCrdtState,
): number {
  switch (type.name) {
    case 'lww-register':
    case 'mv-register':
      return delta.store.length > 0 && state.store.length > 1 ? 1 : 0;
    case 'lww-map':
    case 'or-map<lww-register>':
    case 'or-map<mv-register>': {
      let n = 0;
      const merged = state.store as DotMap<unknown[]>;
      for (const key of (delta.store as DotMap<unknown[]>).entries.keys() as Iterable<Key>) {
        if ((merged.entries.get(key)?.length ?? 0) > 1) n++;
      }
      return n;
    }
    default:
      return 0;
  }
}
