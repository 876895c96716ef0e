import { assertKey, type Key, type Value } from '../codec/value.js';
import { checkRegisterWrite, checkTimestamps, type DeltaCheck, underMapKey } from './admission.js';
import { type ConflictDescription, type ConflictScope, registerConflicts } from './conflicts.js';
import { type Actor, type CrdtState, CrdtType } from './crdt-type.js';
import { type DotFun, dotFunKind } from './dot-fun.js';
import { type DotMap, dotMapKind, singletonDotMap } from './dot-map.js';
import { type LwwEntry, lwwValues } from './entry-values.js';
import { type ClockedActor, describeLww, lwwWinner, stamp } from './lww.js';
import { lwwMapSnapshot } from './lww-snapshot.js';
import { entryAt, removingContext, replacingContext } from './mutation.js';
import { registerType } from './registry.js';
import { TypeIds } from './type-ids.js';

export type LWWMapState = CrdtState<DotMap<DotFun<LwwEntry>>>;

/**
 * A map whose every key is a last-writer-wins register. Removing a key drops the writes the
 * remover has seen; a concurrent write to the key survives (no tombstones are kept, so a delete
 * cannot win against a write it never saw).
 */
export class LWWMapType extends CrdtType<DotMap<DotFun<LwwEntry>>, Map<Key, Value>> {
  readonly typeId = TypeIds.lwwMap;
  readonly name = 'lww-map';
  readonly registers = dotFunKind(lwwValues);
  readonly kind = dotMapKind(this.registers);
  /** Columnar, lazily decoded snapshots: see `lwwMapSnapshot`. */
  override readonly snapshotCodec = lwwMapSnapshot;

  override checkDelta(
    current: DotMap<DotFun<LwwEntry>>,
    delta: DotMap<DotFun<LwwEntry>>,
    check: DeltaCheck,
  ): void {
    // A key the delta leaves out may be removed (map semantics); a key it holds is written.
    const underKey = underMapKey(check);
    for (const [key, entries] of delta.entries) {
      checkRegisterWrite(this.registers, current.entries.get(key) ?? [], entries, underKey);
      checkTimestamps(entries, check);
    }
  }

  override conflicts(merged: DotMap<DotFun<LwwEntry>>, delta: DotMap<DotFun<LwwEntry>>): number {
    let n = 0;
    for (const [key, entries] of delta.entries) {
      n += registerConflicts(merged.entries.get(key) ?? [], entries);
    }
    return n;
  }

  override describeConflicts(
    merged: DotMap<DotFun<LwwEntry>>,
    delta: DotMap<DotFun<LwwEntry>>,
    scope: ConflictScope,
  ): ConflictDescription[] {
    const out: ConflictDescription[] = [];
    for (const [key, entries] of delta.entries) {
      const found =
        entries.length > 0 ? describeLww(merged.entries.get(key) ?? [], scope) : undefined;
      if (found) out.push({ ...found, key });
    }
    return out;
  }

  value(state: LWWMapState): Map<Key, Value> {
    const out = new Map<Key, Value>();
    for (const [key, entries] of state.store.entries) out.set(key, lwwWinner(entries)!.value.value);
    return out;
  }

  get(state: LWWMapState, key: Key): Value | undefined {
    const entries = state.store.entries.get(key);
    return entries === undefined ? undefined : lwwWinner(entries)!.value.value;
  }

  /** Sets `key` to `value`. Returns the delta. */
  set(state: LWWMapState, actor: ClockedActor, key: Key, value: Value): LWWMapState {
    assertKey(key);
    const entry = stamp(actor, value);
    const next = state.context.next(actor.replica);
    const observed = state.store.entries.get(key) ?? [];
    return {
      context: replacingContext(observed, next),
      store: singletonDotMap(this.registers, key, [entryAt(next, entry)]),
    };
  }

  /** Removes `key` as this replica sees it. Returns the delta. */
  remove(state: LWWMapState, actor: Actor, key: Key): LWWMapState {
    assertKey(key);
    return {
      context: removingContext(state.store.entries.get(key), state.context.next(actor.replica)),
      store: this.kind.empty(),
    };
  }
}

export const LWWMap: LWWMapType = new LWWMapType();
registerType(LWWMap.typeId, () => LWWMap);
