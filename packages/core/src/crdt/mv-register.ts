import { compareDots } from '../causal/dot.js';
import { assertValue, type Value } from '../codec/value.js';
import { checkRegisterWrite, type DeltaCheck } from './admission.js';
import {
  type ConflictDescription,
  type ConflictScope,
  describeMv,
  registerConflicts,
} from './conflicts.js';
import { type Actor, type CrdtState, CrdtType } from './crdt-type.js';
import { type DotFun, dotFunKind } from './dot-fun.js';
import { plainValues } from './entry-values.js';
import { entryAt, replacingContext } from './mutation.js';
import { registerType } from './registry.js';
import { TypeIds } from './type-ids.js';

export type MVRegisterState = CrdtState<DotFun<Value>>;

/**
 * Multi-value register: a write replaces the writes it has seen, and concurrent writes all
 * stay, so the application sees every version and can resolve them by writing again.
 * No clock is involved.
 */
export class MVRegisterType extends CrdtType<DotFun<Value>, Value[]> {
  readonly typeId = TypeIds.mvRegister;
  readonly name = 'mv-register';
  readonly kind = dotFunKind(plainValues);

  override checkDelta(current: DotFun<Value>, delta: DotFun<Value>, check: DeltaCheck): void {
    checkRegisterWrite(this.kind, current, delta, check);
  }

  override conflicts(merged: DotFun<Value>, delta: DotFun<Value>): number {
    return registerConflicts(merged, delta);
  }

  override describeConflicts(
    merged: DotFun<Value>,
    delta: DotFun<Value>,
    scope: ConflictScope,
  ): ConflictDescription[] {
    const found = delta.length > 0 ? describeMv(merged, scope) : undefined;
    return found ? [found] : [];
  }

  /** The concurrent values, in a deterministic order (by writer, then sequence). */
  value(state: MVRegisterState): Value[] {
    return state.store
      .slice()
      .sort(compareDots)
      .map((e) => e.value);
  }

  /** Writes `value`, replacing every value this replica has seen. Returns the delta. */
  set(state: MVRegisterState, actor: Actor, value: Value): MVRegisterState {
    assertValue(value);
    const next = state.context.next(actor.replica);
    return { context: replacingContext(state.store, next), store: [entryAt(next, value)] };
  }
}

export const MVRegister: MVRegisterType = new MVRegisterType();
registerType(MVRegister.typeId, () => MVRegister);
