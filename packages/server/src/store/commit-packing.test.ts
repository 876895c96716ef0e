import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packBatch, unpackBatch } from './commit-packing.js';
import type { CommitBatch } from './relay-store.js';

/** A delta as the relay holds one: a view into a larger buffer (the frame it came in). */
const delta = fc
  .tuple(fc.uint8Array({ maxLength: 40 }), fc.nat(8), fc.nat(8))
  .map(([bytes, before, after]) => {
    const frame = new Uint8Array(before + bytes.length + after).fill(0xee);
    frame.set(bytes, before);
    return frame.subarray(before, before + bytes.length);
  });

const batch: fc.Arbitrary<CommitBatch> = fc.record(
  {
    changes: fc.array(
      fc.record({
        doc: fc.constantFrom('cart-1', 'cart-2', 'notes/ü', ''),
        origin: fc.constantFrom('us-east-1', 'eu-west-1'),
        delta,
      }),
      { maxLength: 50 },
    ),
    cursors: fc.array(fc.record({ peer: fc.constantFrom('eu-west-1'), upTo: fc.nat() })),
    requests: fc.array(fc.nat()),
  },
  { requiredKeys: ['changes'] },
);

describe('commit packing (the SQLite store → its worker)', () => {
  it('unpacks to the batch it packed: every change, in order, byte for byte, and the rest as is', () => {
    fc.assert(
      fc.property(batch, (b) => {
        const { packed, transfer } = packBatch(b);
        // What the worker receives: a structured clone with the buffers moved.
        const received = structuredClone(packed, { transfer });
        const back = unpackBatch(received);
        expect(back.changes.map((c) => ({ ...c, delta: [...c.delta] }))).toEqual(
          b.changes.map((c) => ({ ...c, delta: [...c.delta] })),
        );
        expect({ ...back, changes: undefined }).toEqual({ ...b, changes: undefined });
      }),
      { numRuns: 300 },
    );
  });

  it('copies only the deltas, not the buffers they are views of', () => {
    const frame = new Uint8Array(64 * 1024);
    const changes = Array.from({ length: 100 }, (_, i) => ({
      doc: `cart-${i % 3}`,
      origin: 'us-east-1',
      delta: frame.subarray(i * 10, i * 10 + 7),
    }));
    const { packed, transfer } = packBatch({ changes });
    expect(packed.deltas.bytes.byteLength).toBe(700);
    expect(packed.docs).toEqual(['cart-0', 'cart-1', 'cart-2']);
    // Two name indices and one end per change, then the deltas' own bytes.
    expect(transfer.reduce((n, b) => n + b.byteLength, 0)).toBe(100 * 2 * 4 + 100 * 4 + 700);
  });
});
