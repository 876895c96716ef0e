/**
 * Byte strings (deltas) laid end to end in one buffer, with where each ends: how many deltas
 * cross between the SQLite worker and the relay's thread as two transferable buffers instead
 * of one cloned object each.
 */
export interface DeltaColumn {
  /** Where each delta ends in `bytes` (the first starts at 0). */
  readonly ends: Uint32Array;
  readonly bytes: Uint8Array;
}

/** The column of the `count` deltas `deltaAt` gives, copied into one buffer. */
export function packDeltas(count: number, deltaAt: (i: number) => Uint8Array): DeltaColumn {
  const ends = new Uint32Array(count);
  let size = 0;
  for (let i = 0; i < count; i++) {
    size += deltaAt(i).length;
    ends[i] = size;
  }
  const bytes = new Uint8Array(size);
  for (let i = 0; i < count; i++) bytes.set(deltaAt(i), i === 0 ? 0 : ends[i - 1]!);
  return { ends, bytes };
}

/** The deltas of `column`, each a view of its buffer (no copy). */
export function unpackDeltas(column: DeltaColumn): Uint8Array[] {
  const deltas: Uint8Array[] = new Array(column.ends.length);
  let start = 0;
  for (let i = 0; i < deltas.length; i++) {
    const end = column.ends[i]!;
    deltas[i] = column.bytes.subarray(start, end);
    start = end;
  }
  return deltas;
}

/** The buffers to transfer with a column. */
export function columnBuffers(column: DeltaColumn): ArrayBuffer[] {
  return [column.ends.buffer as ArrayBuffer, column.bytes.buffer as ArrayBuffer];
}
