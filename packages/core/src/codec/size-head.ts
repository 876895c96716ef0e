import type { ByteReader } from './byte-reader.js';
import type { ByteWriter } from './byte-writer.js';

/**
 * The size of a collection in state format 3, folded with its first entry's head. Nearly every
 * delta's map holds one key and its register one entry, so a collection of one is written as its
 * entry's first varint doubled plus one, saving the count byte; any other size `n` as `n * 2`.
 */
export function writeSizeHead(w: ByteWriter, size: number, headOfOne: number): void {
  w.uint(size === 1 ? headOfOne * 2 + 1 : size * 2);
}

/**
 * Reads what {@link writeSizeHead} wrote, refusing a size the input cannot hold (each entry takes
 * at least `minBytesEach` bytes) and charging the entries against the element budget. Returns
 * the raw head: read it with {@link sizeOf} and {@link firstHeadOf}.
 */
export function readSizeHead(r: ByteReader, minBytesEach = 1): number {
  const head = r.uint();
  if (head === 2) r.fail('bad-tag', 'a collection of one is written as its entry');
  const n = sizeOf(head);
  if (n > 1 && n * minBytesEach > r.remaining) {
    r.fail('truncated', `a length of ${n} does not fit in the ${r.remaining} bytes left`);
  }
  r.charge(n);
  return head;
}

/** The size a head of {@link readSizeHead} announces. */
export function sizeOf(head: number): number {
  return head % 2 === 1 ? 1 : head / 2;
}

/** The first varint of the only entry, folded into `head`, or undefined when there are several. */
export function firstHeadOf(head: number): number | undefined {
  return head % 2 === 1 ? (head - 1) / 2 : undefined;
}
