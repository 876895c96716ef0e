import { ByteWriter } from '../codec/byte-writer.js';
import {
  BLOCKED_SNAPSHOT_FLAG,
  type CrdtState,
  SNAPSHOT_FORMAT_VERSION,
} from '../crdt/crdt-type.js';
import type { DotFun } from '../crdt/dot-fun.js';
import type { DotMap } from '../crdt/dot-map.js';
import type { LwwEntry } from '../crdt/entry-values.js';
import { LWWMap } from '../crdt/lww-map.js';
import { lwwMapSnapshotCodec } from '../crdt/lww-snapshot.js';

/**
 * An LWW-Map snapshot as `encodeSnapshot` writes it, but in blocks of `blockKeys` keys: small
 * ones, so that the states of tests span several blocks; with spans for at most
 * `spannedReplicas` replicas per block (0: none).
 */
export function blockedSnapshot(
  s: CrdtState<DotMap<DotFun<LwwEntry>>>,
  blockKeys: number,
  spannedReplicas?: number,
): Uint8Array {
  const w = new ByteWriter();
  w.u8((SNAPSHOT_FORMAT_VERSION << 6) | BLOCKED_SNAPSHOT_FLAG | LWWMap.typeId);
  lwwMapSnapshotCodec(blockKeys, spannedReplicas).write(w, s);
  return w.finish();
}
