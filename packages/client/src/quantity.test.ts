import 'fake-indexeddb/auto';
import { InvalidArgumentError, Quantity, QuantityBelowZeroError } from '@helios/core';
import { afterEach, describe, expect, it } from 'vitest';
import { QuantityHandle } from './handles.js';
import { MemoryWorld } from './test-support/memory-world.js';

let world = new MemoryWorld();
afterEach(async () => {
  await world.close();
  world = new MemoryWorld();
});

describe('QuantityHandle', () => {
  it('is what open(id, Quantity) gives; a decrement beyond the value is a failed receipt', async () => {
    const client = world.client(['memory://nowhere'], { offline: true });
    const seats = client.open('seats', Quantity);
    expect(seats).toBeInstanceOf(QuantityHandle);
    await client.ready;
    await seats.loaded;
    seats.increment(2);
    let changes = 0;
    seats.subscribe(() => changes++);
    const refused = seats.decrement(3);
    expect(refused.error).toBeInstanceOf(QuantityBelowZeroError);
    expect(refused.error).toMatchObject({ code: 'quantity-below-zero', available: 2 });
    expect(refused.dot).toBeUndefined();
    await expect(refused.wait()).rejects.toBeInstanceOf(QuantityBelowZeroError);
    expect([seats.value, changes]).toEqual([2, 0]);
    // Bad arguments are a programming error, and throw.
    expect(() => seats.increment(0)).toThrow(InvalidArgumentError);
    await world.reach(seats.decrement(2), 'local');
    expect(seats.value).toBe(0);
    seats.increment(4);
    await world.reach(seats.reset(), 'local');
    expect(seats.value).toBe(0);
  });

  it('a cart line in crdtMap(Quantity): "−" on a line gone to zero fails its receipt', async () => {
    const client = world.client(['memory://nowhere'], { offline: true });
    const cart = client.crdtMap('cart', Quantity);
    await client.ready;
    await cart.loaded;
    cart.update('sku', (line, me) => Quantity.increment(line, me, 1));
    await world.reach(
      cart.update('sku', (line, me) => Quantity.decrement(line, me)),
      'local',
    );
    expect(cart.value.has('sku')).toBe(false);
    const refused = cart.update('sku', (line, me) => Quantity.decrement(line, me));
    expect(refused.error).toBeInstanceOf(QuantityBelowZeroError);
  });

  it('through a relay: three clients at 2 each take one away offline and converge to 1', async () => {
    const relay = world.relay('eu-west-1');
    const clients = [0, 1, 2].map(() => world.client([relay.url]));
    const lines = clients.map((c) => c.open('seats', Quantity));
    await Promise.all(clients.map((c) => c.ready));
    await world.reach(lines[0]!.increment(2), 'relay');
    await world.clock.until(() => lines.every((l) => l.value === 2), 'all see 2');
    for (const c of clients) c.setOnline(false);
    const takes = lines.map((l) => l.decrement());
    expect(lines.map((l) => l.value)).toEqual([1, 1, 1]);
    for (const c of clients) c.setOnline(true);
    await Promise.all(takes.map((t) => world.reach(t, 'relay')));
    await world.clock.until(() => lines.every((l) => l.value === 1), 'all converge to 1');
  });
});
