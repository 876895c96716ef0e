import type { Dot } from '../causal/dot.js';
import { assertKey, type Key } from '../codec/value.js';
import { type Actor, type CrdtState, CrdtType } from './crdt-type.js';
import { type DotFun, dotFunKind } from './dot-fun.js';
import { type DotMap, dotMapKind, singletonDotMap } from './dot-map.js';
import { addOrRemove, presence } from './entry-values.js';
import { entryAt, removingContext, replacingContext } from './mutation.js';
import { registerType } from './registry.js';
import { TypeIds } from './type-ids.js';

/** Sets store, per element, the dots of the adds that keep it in the set. */
export type ElementDots = DotFun<true>;
export type SetState = CrdtState<DotMap<ElementDots>>;

const elementDots = dotFunKind(presence);

abstract class ObservedRemoveSet extends CrdtType<DotMap<ElementDots>, Set<Key>> {
  readonly kind = dotMapKind(elementDots);

  value(state: SetState): Set<Key> {
    return new Set(state.store.entries.keys());
  }

  has(state: SetState, element: Key): boolean {
    return state.store.entries.has(element);
  }

  /** Removes `element` as this replica sees it: concurrent adds survive. Returns the delta. */
  remove(state: SetState, actor: Actor, element: Key): SetState {
    assertKey(element);
    return {
      context: removingContext(state.store.entries.get(element), state.context.next(actor.replica)),
      store: this.kind.empty(),
    };
  }
}

/**
 * Add-Wins Set: the compact observed-remove set (an optimized OR-Set / ORSWOT). An element is
 * present if some add of it has not been seen by a remove. Re-adding an element replaces the
 * dots this replica has seen, so an element costs one dot per concurrent adder, never one per
 * add. For wishlists and tag sets.
 */
export class AWSetType extends ObservedRemoveSet {
  readonly typeId = TypeIds.awSet;
  readonly name = 'aw-set';

  /** Adds `element`. Returns the delta. */
  add(state: SetState, actor: Actor, element: Key): SetState {
    assertKey(element);
    const next = state.context.next(actor.replica);
    const observed = state.store.entries.get(element) ?? [];
    return {
      context: replacingContext(observed, next),
      store: singletonDotMap(elementDots, element, [entryAt(next, true as const)]),
    };
  }
}

/** What {@link ORSetType.add} returns: the delta, and the tag that names this add. */
export interface TaggedAdd {
  readonly delta: SetState;
  readonly tag: Dot;
}

/**
 * OR-Set with addressable instances: every add is an instance named by its tag (its dot), and
 * stays until a remove that has seen it. `remove(element)` removes all instances seen;
 * `removeTag(tag)` removes one. Metadata is one dot per live instance. Use it when each add is
 * attributed (who tagged what); use the Add-Wins Set when only membership matters.
 */
export class ORSetType extends ObservedRemoveSet {
  readonly typeId = TypeIds.orSet;
  readonly name = 'or-set';

  /** Adds a new instance of `element`; the returned tag names it. */
  add(state: SetState, actor: Actor, element: Key): TaggedAdd {
    assertKey(element);
    const tag = state.context.next(actor.replica);
    return {
      tag,
      delta: {
        context: replacingContext([], tag),
        store: singletonDotMap(elementDots, element, [entryAt(tag, true as const)]),
      },
    };
  }

  /** The live instances of `element`, as tags. */
  tags(state: SetState, element: Key): Dot[] {
    return (state.store.entries.get(element) ?? []).map((e) => ({
      replica: e.replica,
      seq: e.seq,
    }));
  }

  /** Removes the one instance named by `tag` (nothing if it is not live here). */
  removeTag(state: SetState, actor: Actor, tag: Dot): SetState {
    const live = state.store.owners.get(tag.replica)?.has(tag.seq) ?? false;
    const removed = live ? [entryAt(tag, true as const)] : [];
    return {
      context: removingContext(removed, state.context.next(actor.replica)),
      store: this.kind.empty(),
    };
  }
}

export type RWSetState = CrdtState<DotMap<DotFun<boolean>>>;
const addsAndRemoves = dotFunKind(addOrRemove);

/**
 * Remove-Wins Set: an element is present when every operation on it not yet superseded is an
 * add; a remove concurrent with an add wins. Each add or remove supersedes the operations its
 * replica has seen on that element. A removed element keeps its latest remove (one dot) until
 * it is added again: that record is what lets the remove win against adds it never saw.
 */
export class RWSetType extends CrdtType<DotMap<DotFun<boolean>>, Set<Key>> {
  readonly typeId = TypeIds.rwSet;
  readonly name = 'rw-set';
  readonly kind = dotMapKind(addsAndRemoves);

  value(state: RWSetState): Set<Key> {
    const out = new Set<Key>();
    for (const [element, ops] of state.store.entries) {
      if (ops.every((e) => e.value)) out.add(element);
    }
    return out;
  }

  has(state: RWSetState, element: Key): boolean {
    return state.store.entries.get(element)?.every((e) => e.value) ?? false;
  }

  add(state: RWSetState, actor: Actor, element: Key): RWSetState {
    return this.#record(state, actor, element, true);
  }

  remove(state: RWSetState, actor: Actor, element: Key): RWSetState {
    return this.#record(state, actor, element, false);
  }

  #record(state: RWSetState, actor: Actor, element: Key, added: boolean): RWSetState {
    assertKey(element);
    const next = state.context.next(actor.replica);
    const observed = state.store.entries.get(element) ?? [];
    return {
      context: replacingContext(observed, next),
      store: singletonDotMap(addsAndRemoves, element, [entryAt(next, added)]),
    };
  }
}

export const AWSet: AWSetType = new AWSetType();
export const ORSet: ORSetType = new ORSetType();
export const RWSet: RWSetType = new RWSetType();
registerType(AWSet.typeId, () => AWSet);
registerType(ORSet.typeId, () => ORSet);
registerType(RWSet.typeId, () => RWSet);
