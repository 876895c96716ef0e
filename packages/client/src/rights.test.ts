import 'fake-indexeddb/auto';
import { BoundedCounter, InsufficientRightsError } from '@helios/core';
import { afterEach, describe, expect, it } from 'vitest';
import { Resources, until } from './test-support/harness.js';

const res = new Resources();
afterEach(() => res.closeAll());

/** A relay, and an owner who added `units` of stock and deposited them with it. */
async function shop(units: number) {
  const { relay, url } = await res.relay({ region: 'eu-west-1' });
  const owner = res.client([url]);
  const stock = owner.open('stock', BoundedCounter);
  await until(() => owner.status.connection === 'online', 'the owner is online');
  stock.increment(units);
  await (await stock.deposit(units)).wait('relay');
  return { relay, url, stock };
}

describe('BoundedCounterHandle with rights held by the relay', () => {
  it('a client with no rights takes from its relay, and sees what is available here', async () => {
    const { relay, url, stock: atOwner } = await shop(6);
    expect(atOwner.localRights).toBe(0);
    const buyer = res.client([url]);
    const stock = buyer.open('stock', BoundedCounter);
    await buyer.ready;
    await until(() => stock.value === 6 && buyer.status.connection === 'online', 'synced');
    expect([stock.localRights, stock.available]).toEqual([0, 6]);
    const sale = await stock.take(2);
    expect(sale.error).toBeUndefined();
    await sale.wait('relay');
    expect([stock.value, stock.localRights, stock.available]).toEqual([4, 0, 4]);
    await until(() => atOwner.value === 4, 'the owner sees the sale');
    // A lease to spend offline: drawn now, spent with the connection gone.
    expect(await stock.draw(3)).toBe(3);
    buyer.setOnline(false);
    expect(stock.decrement(3).error).toBeUndefined();
    expect(stock.decrement().error).toBeInstanceOf(InsufficientRightsError);
    expect(stock.value).toBe(1);
    buyer.setOnline(true);
    await buyer.flush('relay');
    await until(() => atOwner.value === 1, 'the offline sales arrive');
    expect(relay.replica).toMatch(/^relay:eu-west-1:/);
  });

  it('fails at once with insufficient-rights when neither it nor its relay holds any', async () => {
    const { url } = await shop(1);
    const buyer = res.client([url]);
    const stock = buyer.open('stock', BoundedCounter);
    await buyer.ready;
    await until(() => stock.value === 1 && buyer.status.connection === 'online', 'synced');
    expect((await stock.take()).error).toBeUndefined();
    const started = Date.now();
    const refused = await stock.take();
    expect(refused.error).toBeInstanceOf(InsufficientRightsError);
    await expect(stock.draw(1)).rejects.toBeInstanceOf(InsufficientRightsError);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(stock.value).toBe(0);
  });

  it('gives unused rights back on release, and after the lease lies idle', async () => {
    const { url } = await shop(10);
    const buyer = res.client([url]);
    const stock = buyer.open('stock', BoundedCounter);
    await buyer.ready;
    await until(() => stock.value === 10 && buyer.status.connection === 'online', 'synced');
    expect(await stock.draw(4)).toBe(4);
    stock.decrement();
    expect(stock.leased).toBe(3);
    await stock.release()!.wait('relay');
    expect([stock.localRights, stock.available, stock.value]).toEqual([0, 9, 9]);
    expect(stock.release()).toBeUndefined();
    stock.leaseIdleMs = 50;
    expect(await stock.draw(2)).toBe(2);
    await until(() => stock.localRights === 0, 'the idle lease goes back');
    expect(stock.available).toBe(9);
  });

  it('gives rights to the relay node it is connected to, not to a richer replica no node holds', async () => {
    const { relay, url } = await res.relay({ region: 'eu-west-1' });
    const owner = res.client([url]);
    const atOwner = owner.open('stock', BoundedCounter);
    await until(() => owner.status.connection === 'online', 'the owner is online');
    atOwner.increment(13);
    // A slot of the region's store that no node holds now (its node died), richest of all.
    const parked = `${relay.replica!}.5`;
    await atOwner.transfer(parked, 10).wait('relay');
    await (await atOwner.deposit(3)).wait('relay');
    const buyer = res.client([url]);
    const stock = buyer.open('stock', BoundedCounter);
    await buyer.ready;
    await until(() => stock.value === 13 && buyer.status.connection === 'online', 'synced');
    expect(await stock.draw(3)).toBe(3); // the deposit reached the live relay
    stock.decrement();
    await stock.release()!.wait('relay');
    expect(await stock.draw(2)).toBe(2); // and so did the release
  });
});
