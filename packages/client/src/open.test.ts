import 'fake-indexeddb/auto';
import { AWSet, CausalContext, GCounter, orMap, PNCounter, RWSet } from '@helios/core';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientError } from './client-error.js';
import { AWSetHandle, CounterHandle, CrdtMapHandle, RWSetHandle } from './handles.js';
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
});
