import type { ReplicaId } from '../causal/replica-id.js';
import { ByteReader } from '../codec/byte-reader.js';
import { isAscii } from '../codec/byte-writer.js';
import type { ReplicaTable } from '../codec/replica-table.js';
import { compareUtf8, utf8 } from '../codec/string-table.js';
import { type Key, readKey } from '../codec/value.js';
import type { DotFun } from './dot-fun.js';
import type { LwwEntry } from './entry-values.js';
import { ReplicaScratch } from './held-dots.js';
import type { MapSource } from './lazy-map.js';
import {
  bySeqSource,
  type DotsOfReplica,
  type DotsSource,
  indexOfSeq,
  type OwnerSource,
} from './lazy-owners.js';
import { LwwColumns, rangeHolding } from './lww-columns.js';

/**
 * The order of a snapshot's keys: numbers ascending, then strings in shortlex order of their
 * UTF-8 ({@link compareUtf8}); ASCII strings compare as they are, without being encoded.
 */
export function compareKeys(a: Key, b: Key): number {
  if (typeof a === 'number') return typeof b === 'number' ? a - b : -1;
  if (typeof b === 'number') return 1;
  if (isAscii(a) && isAscii(b)) {
    return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
  }
  return compareUtf8(utf8(a), utf8(b));
}

/** Where a replica's dots are in a block: how many, the lowest and highest seq. */
interface Span {
  readonly block: number;
  readonly replica: number;
  readonly count: number;
  readonly min: number;
  readonly max: number;
}

/**
 * The rows of a blocked snapshot (docs/protocol.md §3.10): its keys cut into blocks, each block
 * the rows of format 2 for its keys, decoded on first use. An index of each block's key count,
 * byte length and first key finds a key's block by binary search; its spans (per replica, the
 * count, lowest and highest seq of the dots the block holds) find a dot's block the same way,
 * so a merge that overwrites a stored key decodes that key's block, not all of them. Opening a
 * 100k-key document to show one value decodes one block of `SNAPSHOT_BLOCK_KEYS` keys. A block
 * written by many replicas has no spans (they would cost about as much as its dots): its dots
 * are known once it is decoded, which the first merge that asks about dots then does.
 *
 * {@link LwwBlocks.read} checks every block before it returns, as a snapshot from a peer needs;
 * {@link LwwBlocks.open} checks none, for bytes the caller's own storage holds under a checksum
 * that matched: a block is checked (its rows; its length, key count, first key and spans against
 * the index) when first used, and throws its `DecodeError` there. What spans blocks (their key
 * order, a dot held in two, the spans) is not checked then: our writer cannot get it wrong.
 */
export class LwwBlocks implements MapSource<Key, DotFun<LwwEntry>>, OwnerSource, DotsSource {
  readonly size: number;
  readonly ids: readonly ReplicaId[];
  readonly #table: ReplicaTable;
  /** Every block's spans, block by block, replicas ascending in each. */
  readonly #spans: readonly Span[];
  /** Where each block's spans start in `#spans`; one more entry marks the end. */
  readonly #spanStart: Uint32Array;
  /** Blocks without spans, whose dots are known only decoded. */
  readonly #unspanned: number[];
  /**
   * Per replica: how many dots it holds in all, and its highest seq; until the blocks without
   * spans are decoded and counted in, what the spans say.
   */
  #tally: { count: Float64Array; max: Float64Array; complete: boolean };
  /** First key of each block. */
  readonly #first: readonly Key[];
  /** Index of each block's first key; one more entry holds the key count. */
  readonly #keyStart: Uint32Array;
  /** Where each block's bytes start in `#bytes`; one more entry marks the end. */
  readonly #byteStart: Uint32Array;
  readonly #bytes: Uint8Array;
  readonly #blocks: (LwwColumns | undefined)[];
  /** The spans of each replica, blocks ascending: grouped when first asked for. */
  #byReplica: Span[][] | undefined;
  /** The table's slots the blocks' decodes share: made with the first. */
  #scratch: ReplicaScratch | undefined;

  /** Reads the index; with `checked`, every block from `r` too, else only their bytes. */
  private constructor(r: ByteReader, table: ReplicaTable, checked: boolean) {
    this.#table = table;
    this.ids = table.ids;
    const replicas = table.ids.length;
    const count = new Float64Array(replicas);
    const max = new Float64Array(replicas);
    const spans: Span[] = [];
    const blocks = r.length(4);
    const first: Key[] = [];
    const keyStart = new Uint32Array(blocks + 1);
    const byteStart = new Uint32Array(blocks + 1);
    const spanStart = new Uint32Array(blocks + 1);
    const unspanned: number[] = [];
    for (let b = 0; b < blocks; b++) {
      const keys = r.uint();
      const end = byteStart[b]! + r.uint();
      if (keys === 0) r.fail('invariant', `block ${b} holds no key`);
      r.charge(keys);
      keyStart[b + 1] = keyStart[b]! + keys;
      first.push(readKey(r));
      let replica = -1;
      const n = r.length(4);
      if (n === 0) unspanned.push(b);
      for (let k = n; k > 0; k--) {
        replica += 1 + r.uint();
        const held = r.uint();
        const min = r.uint();
        const span = { block: b, replica, count: held, min, max: min + r.uint() };
        if (replica >= replicas || held === 0) r.fail('invariant', `a span of block ${b} is void`);
        spans.push(span);
        count[replica]! += held;
        if (span.max > max[replica]!) max[replica] = span.max;
      }
      if (end > r.remaining) r.fail('truncated', `block ${b} ends past the input`);
      byteStart[b + 1] = end;
      spanStart[b + 1] = spans.length;
    }
    this.#spans = spans;
    this.#spanStart = spanStart;
    this.#unspanned = unspanned;
    this.#tally = { count, max, complete: unspanned.length === 0 };
    this.#first = first;
    this.#keyStart = keyStart;
    this.#byteStart = byteStart;
    this.size = keyStart[blocks]!;
    this.#blocks = new Array(blocks).fill(undefined);
    if (checked) {
      this.#bytes = new Uint8Array(0);
      this.#readAll(r);
    } else {
      this.#bytes = r.view(byteStart[blocks]!);
    }
  }

  /**
   * Reads the rows after the context of a blocked snapshot, every block with it: refuses, as
   * a format 2 snapshot's rows, anything a store may not hold, and beyond that a block whose
   * length, key count, first key or spans are not what the index says, keys out of order across
   * blocks, and a dot held in two blocks.
   */
  static read(r: ByteReader, table: ReplicaTable): LwwBlocks {
    return new LwwBlocks(r, table, true);
  }

  /** Reads the index of a blocked snapshot's rows after the context; the blocks wait. */
  static open(r: ByteReader, table: ReplicaTable): LwwBlocks {
    return new LwwBlocks(r, table, false);
  }

  find(key: Key): number {
    const first = this.#first;
    let lo = 0;
    let hi = first.length - 1;
    let b = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(first[mid]!, key) <= 0) {
        b = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (b < 0) return -1;
    const i = this.#block(b).find(key);
    return i < 0 ? -1 : this.#keyStart[b]! + i;
  }

  keyAt(index: number): Key {
    const b = rangeHolding(this.#keyStart, index);
    return this.#block(b).keyAt(index - this.#keyStart[b]!);
  }

  valueAt(index: number): DotFun<LwwEntry> {
    const b = rangeHolding(this.#keyStart, index);
    return this.#block(b).valueAt(index - this.#keyStart[b]!);
  }

  dotSummary(r: number): { count: number; maxSeq: number } {
    const tally = this.#completeTally();
    return { count: tally.count[r]!, maxSeq: tally.max[r]! };
  }

  /** The tally with the blocks without spans decoded and counted in. */
  #completeTally(): { count: Float64Array; max: Float64Array } {
    const tally = this.#tally;
    if (tally.complete) return tally;
    for (const b of this.#unspanned) {
      const block = this.#block(b);
      const held = block.held;
      held.replica.forEach((i, at) => {
        tally.count[i]! += held.count[at]!;
        if (held.max[at]! > tally.max[i]!) tally.max[i] = held.max[at]!;
      });
    }
    this.#tally = { ...tally, complete: true };
    return tally;
  }

  /**
   * Replica `r`'s `seq → key`. Where its spans follow one another block by block (one writer's
   * keys written in order: the usual case), a seq is looked up in the one block whose span
   * holds it, and the blocks before count its index; otherwise from all its dots at once.
   */
  bySeq(r: number): MapSource<number, Key> {
    if (this.#unspanned.length > 0) return bySeqSource(r, this);
    const spans = this.#spansOf(r);
    for (let k = 1; k < spans.length; k++) {
      if (spans[k]!.min <= spans[k - 1]!.max) return bySeqSource(r, this);
    }
    const before = new Uint32Array(spans.length + 1);
    spans.forEach((s, k) => {
      before[k + 1] = before[k]! + s.count;
    });
    /** Span k's block's dots of `r`, and where in them global index `i` is. */
    const local = (k: number) => this.#block(spans[k]!.block).dotsOf(r);
    const at = (i: number) => rangeHolding(before, i);
    return {
      size: before[spans.length]!,
      find: (seq) => {
        // The first span whose highest seq is not below `seq`: spans ascend.
        let lo = 0;
        let hi = spans.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (spans[mid]!.max < seq) lo = mid + 1;
          else hi = mid;
        }
        if (lo === spans.length || spans[lo]!.min > seq) return -1;
        const i = indexOfSeq(local(lo).seqs, seq);
        return i < 0 ? -1 : before[lo]! + i;
      },
      keyAt: (i) => {
        const k = at(i);
        return local(k).seqs[i - before[k]!]!;
      },
      valueAt: (i) => {
        const k = at(i);
        return this.#block(spans[k]!.block).keyAt(local(k).keys[i - before[k]!]!);
      },
    };
  }

  /** Replica `r`'s dots across every block (which this decodes), seqs ascending. */
  dotsOf(r: number): DotsOfReplica {
    const parts: { seqs: Float64Array; keys: Uint32Array; offset: number }[] = [];
    let n = 0;
    for (let b = 0; b < this.#blocks.length; b++) {
      const { seqs, keys } = this.#block(b).dotsOf(r);
      parts.push({ seqs, keys, offset: this.#keyStart[b]! });
      n += seqs.length;
    }
    const seqs = new Float64Array(n);
    const keys = new Uint32Array(n);
    let at = 0;
    let ascending = true;
    for (const part of parts) {
      for (let i = 0; i < part.seqs.length; i++, at++) {
        seqs[at] = part.seqs[i]!;
        keys[at] = part.offset + part.keys[i]!;
        if (at > 0 && seqs[at]! <= seqs[at - 1]!) ascending = false;
      }
    }
    if (ascending) return { seqs, keys };
    // Blocks in key order hold one writer's dots in seq order unless keys were written out of
    // order: then sort the dots, their keys alongside.
    const order = Array.from(seqs.keys()).sort((a, b) => seqs[a]! - seqs[b]!);
    return {
      seqs: Float64Array.from(order, (i) => seqs[i]!),
      keys: Uint32Array.from(order, (i) => keys[i]!),
    };
  }

  #sharedScratch(): ReplicaScratch {
    this.#scratch ??= new ReplicaScratch(this.ids.length);
    return this.#scratch;
  }

  /** Replica `r`'s spans, blocks ascending. */
  #spansOf(r: number): readonly Span[] {
    if (this.#byReplica === undefined) {
      const groups: Span[][] = this.ids.map(() => []);
      for (const span of this.#spans) groups[span.replica]!.push(span);
      this.#byReplica = groups;
    }
    return this.#byReplica[r]!;
  }

  /** Block `b`, decoded (and checked, as any rows are) on first use. */
  #block(b: number): LwwColumns {
    let block = this.#blocks[b];
    if (block === undefined) {
      const r = new ByteReader(this.#bytes.subarray(this.#byteStart[b], this.#byteStart[b + 1]));
      block = new LwwColumns(r, this.#table, this.#sharedScratch());
      r.end();
      this.#checkAgainstIndex(r, block, b);
      this.#blocks[b] = block;
    }
    return block;
  }

  /**
   * Refuses block `b` unless it is what the index says: as many keys, from its first key on, and,
   * if it has spans, one for each replica holding dots in it, with their count, lowest and
   * highest seq.
   */
  #checkAgainstIndex(r: ByteReader, block: LwwColumns, b: number): void {
    if (block.size !== this.#keyStart[b + 1]! - this.#keyStart[b]!) {
      r.fail('invariant', `block ${b} holds another count of keys than the index says`);
    }
    if (compareKeys(block.keyAt(0), this.#first[b]!) !== 0) {
      r.fail('invariant', `block ${b} starts with another key than the index says`);
    }
    const from = this.#spanStart[b]!;
    const to = this.#spanStart[b + 1]!;
    if (from === to) return; // no spans
    if (to - from !== block.held.replica.length) {
      r.fail('invariant', `block ${b} holds dots of another count of replicas than its spans say`);
    }
    for (let k = from; k < to; k++) {
      const span = this.#spans[k]!;
      const { count, maxSeq } = block.dotSummary(span.replica);
      if (count !== span.count || block.minSeq(span.replica) !== span.min || maxSeq !== span.max) {
        r.fail(
          'invariant',
          `block ${b}'s span of ${this.ids[span.replica]}'s dots is not what it holds`,
        );
      }
    }
  }

  /**
   * Decodes every block from `r`, as the index says they are, and checks what no block can
   * check alone.
   */
  #readAll(r: ByteReader): void {
    const from = r.offset;
    let last: Key | undefined;
    for (let b = 0; b < this.#blocks.length; b++) {
      const block = new LwwColumns(r, this.#table, this.#sharedScratch());
      if (r.offset - from !== this.#byteStart[b + 1]) {
        r.fail('invariant', `block ${b} is not as long as the index says`);
      }
      this.#checkAgainstIndex(r, block, b);
      if (last !== undefined && compareKeys(last, block.keyAt(0)) >= 0) {
        r.fail('invariant', `block ${b} does not start after the end of block ${b - 1}`);
      }
      last = block.keyAt(block.size - 1);
      this.#blocks[b] = block;
    }
    // Blocks whose spans of a replica follow one another cannot share its dots: the usual case.
    // Otherwise the sorted dots show any repeat. Spans from the decoded blocks, with or without
    // spans in the index: per row, not per replica of the table.
    const highest = this.#sharedScratch().max;
    const overlapping = new Set<number>();
    try {
      for (const block of this.#blocks) {
        const held = block!.held;
        held.replica.forEach((i, at) => {
          if (held.min[at]! <= highest[i]!) overlapping.add(i);
          if (held.max[at]! > highest[i]!) highest[i] = held.max[at]!;
        });
      }
    } finally {
      for (const block of this.#blocks) for (const i of block?.held.replica ?? []) highest[i] = 0;
    }
    for (const i of overlapping) {
      const { seqs } = this.dotsOf(i);
      for (let j = 1; j < seqs.length; j++) {
        if (seqs[j] === seqs[j - 1])
          r.fail('invariant', `dot ${this.ids[i]}:${seqs[j]} held twice`);
      }
    }
  }
}
