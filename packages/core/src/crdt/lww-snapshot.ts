import { CausalContext } from '../causal/causal-context.js';
import { ByteWriter, isAscii } from '../codec/byte-writer.js';
import { checksum32 } from '../codec/checksum.js';
import { readContext, writeContext } from '../codec/replica-table.js';
import { compareUtf8, utf8 } from '../codec/string-table.js';
import { type Key, writeKey } from '../codec/value.js';
import type { SnapshotCodec } from './crdt-type.js';
import type { DotFun } from './dot-fun.js';
import type { DotMap } from './dot-map.js';
import type { LwwEntry } from './entry-values.js';
import { LazyMap } from './lazy-map.js';
import { LazyOwners } from './lazy-owners.js';
import { LwwBlocks } from './lww-blocks.js';
import { LwwColumns } from './lww-columns.js';
import { type DotSpans, writeLwwRows } from './lww-rows-writer.js';

type Store = DotMap<DotFun<LwwEntry>>;

/** Shortlex order of ASCII strings: their UTF-8 order ({@link compareUtf8}), without encoding. */
const shortlexAscii = (a: string, b: string): number =>
  a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;

/**
 * The keys of `store`: numbers ascending, then strings in shortlex order of their UTF-8, with
 * their UTF-8 byte lengths. Keys are ASCII nearly always: then they sort as they are, no key
 * encoded (a 100k-key snapshot would otherwise allocate 200k objects just to order its keys).
 */
function sortedKeys(store: Store): { numeric: number[]; strings: string[]; lengths: number[] } {
  const numeric: number[] = [];
  const strings: string[] = [];
  let ascii = true;
  for (const key of store.entries.keys()) {
    if (typeof key === 'number') numeric.push(key);
    else {
      strings.push(key);
      if (ascii && !isAscii(key)) ascii = false;
    }
  }
  numeric.sort((a, b) => a - b);
  if (ascii) {
    strings.sort(shortlexAscii);
    return { numeric, strings, lengths: strings.map((s) => s.length) };
  }
  const encoded = strings.map((s) => ({ s, bytes: utf8(s) }));
  encoded.sort((a, b) => compareUtf8(a.bytes, b.bytes));
  return {
    numeric,
    strings: encoded.map((e) => e.s),
    lengths: encoded.map((e) => e.bytes.length),
  };
}

/**
 * Keys per block of a blocked snapshot. Opening a document to show one value decodes the block
 * of its key: 1,024 keys decode in well under a millisecond even before the JIT has seen the
 * code, and a block's restarted runs cost a few dozen bytes, under 1 % of its keys' bytes.
 */
export const SNAPSHOT_BLOCK_KEYS = 1024;

/**
 * Most replicas a block lists spans for. A span costs 4–5 bytes; past this, as in a map whose
 * keys each have their own writer, they would cost about as much as the dots themselves, and
 * the block goes without: its dots are then known only once it is decoded.
 */
export const SPANNED_REPLICAS = 16;

/**
 * The snapshot codec of LWW-Maps (docs/protocol.md §3.9 and §3.10), writing blocks of
 * `blockKeys` keys with spans for at most `spannedReplicas` replicas each (other values only for
 * tests: readers take any).
 *
 * It writes the blocked layout: a checksum of what follows, the context, an index of the blocks
 * (key count, byte length, first key, and the span of each replica's dots in it) and the blocks,
 * each the rows of format 2 for its keys: columns of runs in which a map written by a few replicas
 * costs little more than its keys and values. It reads that and format 2, whose rows are one
 * block without an index.
 *
 * Why blocks: a state decoded for a merge or a peer is checked in full before it is returned,
 * which is linear in its rows, but a client opening its own stored document to show one value
 * should pay for that value. With `trusted` (bytes this program's own storage kept, see
 * `CrdtType.decodeStored`) the read checks the checksum and the index, and decodes (and checks)
 * a block when a key of it is first read, merged or iterated over. Only the JS strings and
 * objects of read entries are made, either way.
 */
export function lwwMapSnapshotCodec(
  blockKeys = SNAPSHOT_BLOCK_KEYS,
  spannedReplicas = SPANNED_REPLICAS,
): SnapshotCodec<Store> {
  return {
    write(w, state) {
      const body = new ByteWriter(1024);
      const table = writeContext(body, state.context);
      const { numeric, strings, lengths } = sortedKeys(state.store);
      const entriesOf = (k: Key) => state.store.entries.get(k)!;
      const n = numeric.length;
      const total = n + strings.length;
      const blocks: { keys: number; first: Key; spans: DotSpans; bytes: Uint8Array }[] = [];
      for (let from = 0; from < total; from += blockKeys) {
        const to = Math.min(total, from + blockKeys);
        const [sFrom, sTo] = [Math.max(from - n, 0), Math.max(to - n, 0)];
        const block = new ByteWriter(1024);
        const range = {
          numeric: numeric.slice(Math.min(from, n), Math.min(to, n)),
          strings: strings.slice(sFrom, sTo),
          lengths: lengths.slice(sFrom, sTo),
          entriesOf,
        };
        const spans: DotSpans = new Map();
        writeLwwRows(block, table, range, spans);
        blocks.push({
          keys: to - from,
          first: from < n ? numeric[from]! : strings[from - n]!,
          spans,
          bytes: block.finish(),
        });
      }
      body.uint(blocks.length);
      for (const b of blocks) {
        body.uint(b.keys);
        body.uint(b.bytes.length);
        writeKey(body, b.first);
        writeSpans(body, b.spans, spannedReplicas);
      }
      for (const b of blocks) body.bytes(b.bytes);
      const bytes = body.finish();
      const sum = checksum32(bytes);
      for (let shift = 0; shift < 32; shift += 8) w.u8((sum >>> shift) & 0xff);
      w.bytes(bytes);
    },
    read(r, { blocked, trusted }) {
      const context = new CausalContext();
      if (!blocked) {
        const table = readContext(r, context);
        const columns = new LwwColumns(r, table);
        return {
          context,
          store: { entries: new LazyMap(columns), owners: new LazyOwners(columns) },
        };
      }
      let sum = 0;
      for (let shift = 0; shift < 32; shift += 8) sum += r.u8() * 2 ** shift;
      if (checksum32(r.ahead()) !== sum) {
        r.fail('bad-checksum', 'the snapshot is not as it was written: damaged or cut short');
      }
      const table = readContext(r, context);
      const rows = trusted ? LwwBlocks.open(r, table) : LwwBlocks.read(r, table);
      return { context, store: { entries: new LazyMap(rows), owners: new LazyOwners(rows) } };
    },
  };
}

/**
 * A block's spans: the count of replicas holding dots in it, then for each (table order) the
 * gap from the previous one's index, its count of dots, its lowest seq, its highest minus that.
 * More than `most` replicas: 0, no spans (a block always holds a dot, so 0 says it).
 */
function writeSpans(w: ByteWriter, spans: DotSpans, most: number): void {
  if (spans.size > most) {
    w.uint(0);
    return;
  }
  w.uint(spans.size);
  let prev = -1;
  for (const i of [...spans.keys()].sort((a, b) => a - b)) {
    const { count, min, max } = spans.get(i)!;
    w.uint(i - prev - 1);
    w.uint(count);
    w.uint(min);
    w.uint(max - min);
    prev = i;
  }
}

/** The LWW-Map's snapshot codec. */
export const lwwMapSnapshot: SnapshotCodec<Store> = lwwMapSnapshotCodec();
