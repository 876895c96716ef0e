import 'fake-indexeddb/auto';
import {
  type Actor,
  AWSet,
  CausalContext,
  type CrdtState,
  CrdtType,
  GCounter,
  GCounterType,
  orMap,
  PNCounter,
  RWSet,
} from '@helios/core';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientError } from './client-error.js';
import {
  AWSetHandle,
  CounterHandle,
  CrdtMapHandle,
  DocumentHandle,
  GCounterHandle,
  RWSetHandle,
} from './handles.js';
import { MemoryWorld } from './test-support/memory-world.js';

let world = new MemoryWorld();
afterEach(async () => {
  await world.close();
  world = new MemoryWorld();
});

describe('client.open(id, Type)', () => {
  it('gives the handle class of the type, and the named openers are the same handles', () => {
    const client = world.client(['memory://nowhere'], { offline: true });
    const likes = client.open('likes', PNCounter);
    expect(likes).toBeInstanceOf(CounterHandle);
    expect(client.counter('likes')).toBe(likes);
    expect(client.open('tags', AWSet)).toBeInstanceOf(AWSetHandle);
    expect(client.open('banned', RWSet)).toBeInstanceOf(RWSetHandle);
    const cart = client.open('cart', orMap(PNCounter));
    expect(cart).toBeInstanceOf(CrdtMapHandle);
    expect(client.crdtMap('cart', PNCounter)).toBe(cart);
  });

  it('refuses another type for an open id, and a type without a handle', () => {
    const client = world.client(['memory://nowhere'], { offline: true });
    client.open('likes', PNCounter);
    expect(() => client.open('likes', GCounter)).toThrow(
      expect.objectContaining({ code: 'type-mismatch' }),
    );
    expect(() => client.open('cart', orMap(PNCounter))).not.toThrow();
    expect(() => client.open('cart', orMap(GCounter))).toThrow(
      expect.objectContaining({ code: 'type-mismatch' }),
    );
    const notAType = { name: 'nope', context: CausalContext } as never;
    expect(() => client.open('x', notAType)).toThrow(ClientError);
  });

  it('opens a type with no handle of its own with the generic DocumentHandle, whose mutate takes its mutators', async () => {
    type Store = (typeof GCounter.kind)['empty'] extends () => infer S ? S : never;
    /** A type of its own class (a new type, say), sharing the G-Counter's payload. */
    class VisitsType extends CrdtType<Store, number> {
      readonly typeId = GCounter.typeId;
      readonly name = 'visits';
      readonly kind = GCounter.kind;
      value(state: CrdtState<Store>): number {
        return GCounter.value(state);
      }
      visit(state: CrdtState<Store>, actor: Actor): CrdtState<Store> {
        return GCounter.increment(state, actor);
      }
    }
    const Visits = new VisitsType();
    const client = world.client(['memory://nowhere'], { offline: true });
    const visits = client.open('visits', Visits);
    expect(visits.constructor).toBe(DocumentHandle);
    await visits.loaded;
    visits.mutate((s, a) => Visits.visit(s, a));
    visits.mutate((s, a) => Visits.visit(s, a));
    expect(visits.value).toBe(2);
  });

  it('gives a subclass of a type the handle of the type it extends', async () => {
    class PageViewsType extends GCounterType {}
    const client = world.client(['memory://nowhere'], { offline: true });
    const views = client.open('views', new PageViewsType());
    expect(views).toBeInstanceOf(GCounterHandle);
    await views.loaded;
    views.increment(3);
    expect(views.value).toBe(3);
  });
});
