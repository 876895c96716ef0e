import 'fake-indexeddb/auto';
import { AWSet, CausalContext, GCounter, orMap, PNCounter, RWSet } from '@helios/core';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientError } from './client-error.js';
import { AWSetHandle, CounterHandle, CrdtMapHandle, RWSetHandle } from './handles.js';
import { Resources } from './test-support/harness.js';

const res = new Resources();
afterEach(() => res.closeAll());

describe('client.open(id, Type)', () => {
  it('gives the handle class of the type, and the named openers are the same handles', () => {
    const client = res.client(['http://127.0.0.1:9'], { offline: true });
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
    const client = res.client(['http://127.0.0.1:9'], { offline: true });
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
