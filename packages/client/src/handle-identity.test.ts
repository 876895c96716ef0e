import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryWorld } from './test-support/memory-world.js';

let world = new MemoryWorld();
afterEach(async () => {
  await world.close();
  world = new MemoryWorld();
});

describe('handle value identity', () => {
  it('a write that leaves the value as it was keeps the value object and emits nothing', async () => {
    const client = world.client(['memory://nowhere'], { offline: true });
    const wishlist = client.awSet<string>('wishlist');
    await wishlist.loaded;
    wishlist.add('mug');
    const value = wishlist.value;
    const emitted: ReadonlySet<string>[] = [];
    const subscription = wishlist.value$.subscribe((v) => emitted.push(v));
    // Removing an element that is not there mints a dot: the state grows, the value does not.
    wishlist.remove('tea');
    expect(wishlist.value).toBe(value);
    wishlist.remove('mug');
    expect(wishlist.value).not.toBe(value);
    expect(emitted).toEqual([value, wishlist.value]);
    expect(emitted[1]).not.toBe(value);
    subscription.unsubscribe();
  });
});
