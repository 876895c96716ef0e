import 'fake-indexeddb/auto';
import {
  BoundedCounter,
  boundedCounter,
  InsufficientRightsError,
  InvalidArgumentError,
} from '@helios/core';
import { afterEach, describe, expect, it } from 'vitest';
import { BoundedCounterHandle } from './bounded-counter-handle.js';
import { RIGHTS_ANSWER_TIMEOUT_MS } from './rights-requests.js';
import { MemoryWorld } from './test-support/memory-world.js';

let world = new MemoryWorld();
afterEach(async () => {
  await world.close();
  world = new MemoryWorld();
});

describe('BoundedCounterHandle', () => {
  it('is what open(id, BoundedCounter) gives, for any bound', async () => {
    const client = world.client(['memory://nowhere'], { offline: true });
    expect(client.open('stock', BoundedCounter)).toBeInstanceOf(BoundedCounterHandle);
    const seats = client.open('seats', boundedCounter(-2));
    expect(seats).toBeInstanceOf(BoundedCounterHandle);
    await seats.loaded;
    expect(seats.value).toBe(-2);
  });

  it('refuses a decrement beyond its rights at once, offline, and applies nothing', async () => {
    const client = world.client(['memory://nowhere'], { offline: true });
    const stock = client.open('stock', BoundedCounter);
    await client.ready;
    await stock.loaded;
    expect(stock.localRights).toBe(0);
    stock.increment(3);
    expect([stock.value, stock.localRights]).toEqual([3, 3]);
    let changes = 0;
    stock.subscribe(() => changes++);
    const refused = stock.decrement(4);
    expect(refused.error).toBeInstanceOf(InsufficientRightsError);
    expect(refused.error).toMatchObject({ code: 'insufficient-rights', available: 3 });
    expect(refused.dot).toBeUndefined();
    await expect(refused.wait()).rejects.toBeInstanceOf(InsufficientRightsError);
    expect(stock.transfer('someone-else', 4).error).toBeInstanceOf(InsufficientRightsError);
    expect([stock.value, stock.localRights, changes]).toEqual([3, 3, 0]);
    await world.reach(stock.decrement(3), 'local');
    expect([stock.value, stock.localRights]).toEqual([0, 0]);
  });

  it('moves rights to another client, which may then spend them', async () => {
    const relay = world.relay('eu-west-1');
    const a = world.client([relay.url]);
    const b = world.client([relay.url]);
    const atA = a.open('stock', BoundedCounter);
    const atB = b.open('stock', BoundedCounter);
    await Promise.all([a.ready, b.ready]);
    await world.reach(atA.increment(5), 'relay');
    await world.clock.until(() => atB.value === 5, 'b sees the stock');
    // B sees the stock, but holds no rights to it.
    expect(atB.decrement().error).toBeInstanceOf(InsufficientRightsError);
    await world.reach(atA.transfer(b.replica!, 2), 'relay');
    await world.clock.until(() => atB.localRights === 2, 'b holds the rights');
    expect([atA.value, atA.localRights]).toEqual([5, 3]);
    await world.reach(atB.decrement(2), 'relay');
    await world.clock.until(() => atA.value === 3, 'a sees the sale');
    expect([atB.value, atB.localRights, atA.localRights]).toEqual([3, 0, 3]);
  });

  it('a draw no relay answers fails after RIGHTS_ANSWER_TIMEOUT_MS, and one offline at once', async () => {
    // This in-memory relay, like a relay of an older version, does not answer rights requests.
    const relay = world.relay('eu-west-1');
    const client = world.client([relay.url]);
    const stock = client.open('stock', BoundedCounter);
    await client.ready;
    await world.clock.until(() => client.status.connection === 'online', 'online');
    const draw = stock.draw(2);
    const failed = expect(draw).rejects.toMatchObject({ code: 'closed' });
    await world.clock.advance(RIGHTS_ANSWER_TIMEOUT_MS);
    await failed;
    client.setOnline(false);
    await expect(stock.draw(1)).rejects.toMatchObject({ code: 'closed' });
    await expect(stock.draw(0)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect((await stock.take()).error).toBeInstanceOf(InsufficientRightsError);
  });
});
