import { DEFAULT_DECODE_LIMITS, GCounter } from '@helios/core';
import { describe, expect, it } from 'vitest';
import { DocumentCache } from './documents.js';
import { MemoryStore } from './store/memory-store.js';

/** A store whose reads take a turn of the event loop, as a worker's or a database's do. */
class SlowStore extends MemoryStore {
  override async load(doc: string) {
    await new Promise((r) => setImmediate(r));
    return super.load(doc);
  }
}

describe('DocumentCache', () => {
  it('creates one object for a new document asked for twice at once', async () => {
    const cache = new DocumentCache(new SlowStore({ region: 'eu' }), DEFAULT_DECODE_LIMITS);
    const [a, b] = await Promise.all([
      cache.getOrCreate('likes', GCounter),
      cache.getOrCreate('likes', GCounter),
    ]);
    expect(a).toBe(b);
    expect(cache.peek('likes')).toBe(a);
  });

  it('evicts the least recently used document without subscribers', async () => {
    const cache = new DocumentCache(new MemoryStore({ region: 'eu' }), DEFAULT_DECODE_LIMITS, 2);
    await cache.getOrCreate('a', GCounter);
    await cache.getOrCreate('b', GCounter);
    cache.hit('b'); // already the newest: nothing moves
    cache.hit('a');
    cache.hit('a');
    await cache.getOrCreate('c', GCounter);
    expect(cache.peek('b')).toBeUndefined();
    expect(cache.peek('a')).toBeDefined();
    cache.hit('a');
    await cache.getOrCreate('d', GCounter);
    expect(cache.peek('c')).toBeUndefined();
    expect(cache.peek('a')).toBeDefined();
  });
});
