import type { DotFun } from './dot-fun.js';

/**
 * Whether a register (a dot function of writes) that `delta` wrote to holds concurrent writes
 * side by side once merged: 1 if so, else 0. The conflict count of the register types, and of
 * each key of a map of registers.
 */
export function registerConflicts(merged: DotFun<unknown>, delta: DotFun<unknown>): number {
  return delta.length > 0 && merged.length > 1 ? 1 : 0;
}
