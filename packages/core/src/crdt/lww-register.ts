import type { Value } from '../codec/value.js';
import { checkRegisterWrite, checkTimestamps, type DeltaCheck } from './admission.js';
import { type ConflictDescription, type ConflictScope, registerConflicts } from './conflicts.js';
import { type CrdtState, CrdtType } from './crdt-type.js';
import { type DotFun, dotFunKind } from './dot-fun.js';
import { type LwwEntry, lwwValues } from './entry-values.js';
import { type ClockedActor, describeLww, lwwWinner, stamp } from './lww.js';
import { entryAt, replacingContext } from './mutation.js';
import { registerType } from './registry.js';
import { TypeIds } from './type-ids.js';

export type LWWRegisterState = CrdtState<DotFun<LwwEntry>>;

/**
 * Last-writer-wins register. A write replaces every write it has seen; among concurrent writes
 * (kept until the next write replaces them) the greatest hybrid-clock timestamp wins.
 * The value is `undefined` until the first write.
 */
export class LWWRegisterType extends CrdtType<DotFun<LwwEntry>, Value | undefined> {
  readonly typeId = TypeIds.lwwRegister;
  readonly name = 'lww-register';
  readonly kind = dotFunKind(lwwValues);

  override checkDelta(current: DotFun<LwwEntry>, delta: DotFun<LwwEntry>, check: DeltaCheck): void {
    checkRegisterWrite(this.kind, current, delta, check);
    checkTimestamps(delta, check);
  }

  override conflicts(merged: DotFun<LwwEntry>, delta: DotFun<LwwEntry>): number {
    return registerConflicts(merged, delta);
  }

  override describeConflicts(
    merged: DotFun<LwwEntry>,
    delta: DotFun<LwwEntry>,
    scope: ConflictScope,
  ): ConflictDescription[] {
    const found = delta.length > 0 ? describeLww(merged, scope) : undefined;
    return found ? [found] : [];
  }

  value(state: LWWRegisterState): Value | undefined {
    return lwwWinner(state.store)?.value.value;
  }

  /** Writes `value` with the actor's clock. Returns the delta. */
  set(state: LWWRegisterState, actor: ClockedActor, value: Value): LWWRegisterState {
    const entry = stamp(actor, value);
    const next = state.context.next(actor.replica);
    return { context: replacingContext(state.store, next), store: [entryAt(next, entry)] };
  }
}

export const LWWRegister: LWWRegisterType = new LWWRegisterType();
registerType(LWWRegister.typeId, () => LWWRegister);
