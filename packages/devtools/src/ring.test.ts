import fc from 'fast-check';
import { expect, it } from 'vitest';
import { Ring } from './ring.js';

it('a Ring holds the last `capacity` items pushed, oldest first', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 8 }),
      fc.array(fc.integer(), { maxLength: 40 }),
      (capacity, items) => {
        const ring = new Ring<number>(capacity);
        for (const item of items) ring.push(item);
        expect(ring.toArray()).toEqual(items.slice(-capacity));
        expect(ring.size).toBe(Math.min(capacity, items.length));
        ring.clear();
        expect(ring.toArray()).toEqual([]);
      },
    ),
  );
});
