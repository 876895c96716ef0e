import { baseSeed, createRng } from '@helios/test-kit';
import { describe, expect, it } from 'vitest';
import { CausalContext } from '../causal/causal-context.js';
import { DecodeError } from '../errors.js';
import { decodeMessage, encodeMessage } from './message-codec.js';
import type { Message } from './messages.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s/g, ''), 'hex'));

const WELCOME: Message = {
  kind: 'welcome',
  protocol: 1,
  region: 'eu',
  relayId: 'eu-1',
  time: 1764072000000,
  limits: { maxMessageBytes: 1048576, maxDeltasPerSecond: 5000, maxDriftMs: 60000 },
};

/** One message of every kind, the relay ↔ relay ones with and without their optional fields. */
const SAMPLES: readonly Message[] = [
  WELCOME,
  { ...WELCOME, epoch: '9f86d081884c7d65' },
  { kind: 'sync', doc: 'cart', delta: new Uint8Array([1, 2, 3]) },
  { kind: 'delta', doc: 'cart', delta: new Uint8Array([4]) },
  { kind: 'ack', ids: [1, 2, 300] },
  { kind: 'replicated', doc: 'cart', dots: new CausalContext() },
  {
    kind: 'region-replicated',
    doc: 'cart',
    region: 'ap-south',
    dots: new CausalContext().add('r1', 3),
  },
  { kind: 'error', code: 'forbidden', message: 'no', push: 1, doc: 'cart' },
  { kind: 'subscribe', docs: [] },
  { kind: 'unsubscribe', docs: ['cart'] },
  { kind: 'push', entries: [{ id: 1, doc: 'cart', delta: new Uint8Array([5, 6]) }] },
  { kind: 'feed-request', after: 7 },
  { kind: 'feed-request', after: 0, afterDoc: 'cart' },
  { kind: 'feed-batch', after: 6, entries: [{ seq: 7, doc: 'cart', delta: new Uint8Array([7]) }] },
  {
    kind: 'feed-batch',
    after: 300,
    entries: [
      { seq: 304, doc: 'cart', delta: new Uint8Array([1]) },
      { seq: 310, doc: 'a', delta: new Uint8Array([2, 3]) },
    ],
  },
  { kind: 'feed-ack', upTo: 7 },
  { kind: 'feed-closed', below: 3, upTo: 4_000_000 },
  { kind: 'feed-closed', below: 65_536, upTo: 0 },
  { kind: 'replica-epoch', epoch: 4, retiredBelow: 3 },
  { kind: 'replica-epoch', epoch: 0, retiredBelow: 0 },
  {
    kind: 'feed-state',
    upTo: 300,
    entries: [
      { doc: 'a', state: new Uint8Array([1]) },
      { doc: 'cart', state: new Uint8Array([2, 3]) },
    ],
    next: 'cart',
  },
  { kind: 'feed-state', upTo: 0, entries: [] },
  { kind: 'rights-request', id: 3, doc: 'stock', to: 'a1b2c3d4e5f6a7', amount: 5 },
  { kind: 'rights-grant', id: 3, doc: 'stock', from: 'relay:eu:9f86d081', granted: 0 },
  {
    kind: 'rights-grant',
    id: 3,
    doc: 'stock',
    from: 'relay:eu:9f86d081',
    granted: 5,
    delta: new Uint8Array([9]),
  },
  { kind: 'presence-set', doc: 'cart', state: { name: 'Ada', looking: 'cart', at: [1, -2.5] } },
  { kind: 'presence-set', doc: 'cart' },
  {
    kind: 'presence',
    doc: 'cart',
    entries: [
      { id: 'eu-1/abc', region: 'eu', user: 'ada', state: { looking: 'cart' } },
      { id: 'eu-1/def', region: 'eu' },
    ],
  },
  {
    kind: 'peer-presence',
    entries: [
      { doc: 'cart', id: 'us-1/xyz', state: null },
      { doc: 'cart', id: 'us-1/uvw', user: 'bob' },
    ],
  },
];

describe('message codec', () => {
  it('round-trips a message of every kind', () => {
    for (const message of SAMPLES) {
      expect(decodeMessage(encodeMessage(message))).toEqual(message);
    }
  });

  it('keeps messages without the optional fields byte-identical to version 1 as shipped', () => {
    expect(hex(encodeMessage(WELCOME))).toBe(
      '0101' + '01' + '026575' + '0465752d31' + '80948ad7ab33' + '808040' + '8827' + 'e0d403',
    );
    expect(hex(encodeMessage({ kind: 'feed-request', after: 7 }))).toBe('010a07');
  });

  it('gives region-replicated kind 19 and refuses an empty or oversized region name', () => {
    const bytes = encodeMessage({
      kind: 'region-replicated',
      doc: 'cart',
      region: 'eu',
      dots: new CausalContext(),
    });
    expect(bytes[1]).toBe(19);
    const withRegion = (region: string) => {
      const b = Array.from(bytes);
      const at = 2 + 1 + 4; // version, kind, doc length + 'cart'
      return new Uint8Array([
        ...b.slice(0, at),
        region.length,
        ...Buffer.from(region),
        ...b.slice(at + 3),
      ]);
    };
    expect(decodeMessage(withRegion('us')).kind).toBe('region-replicated');
    expect(() => decodeMessage(withRegion(''))).toThrow(/region name/);
    // The next code is not a message kind yet.
    expect(() => decodeMessage(new Uint8Array([1, 22]))).toThrow(/unknown message kind/);
  });

  it('gives feed-closed kind 20, replica-epoch kind 21, and refuses epochs out of range', () => {
    expect(hex(encodeMessage({ kind: 'feed-closed', below: 2, upTo: 300 }))).toBe(
      '0114' + '02' + 'ac02',
    );
    expect(hex(encodeMessage({ kind: 'replica-epoch', epoch: 4, retiredBelow: 3 }))).toBe(
      '011504' + '03',
    );
    for (const text of [
      '0114 00 07',
      '0114 818004 07',
      '0114 02',
      '0114 02 07 00',
      '0115 03 04',
      '0115 808004 00',
    ]) {
      expect(() => decodeMessage(fromHex(text)), text).toThrow(DecodeError);
    }
  });

  it('encodes the backfill fields as docs/protocol.md §2.4 shows', () => {
    expect(hex(encodeMessage({ kind: 'feed-request', after: 0, afterDoc: 'cart' }))).toBe(
      '010a' + '00' + '0463617274',
    );
    const page = encodeMessage({
      kind: 'feed-state',
      upTo: 300,
      entries: [{ doc: 'cart', state: new Uint8Array([0xaa, 0xbb]) }],
      next: 'cart',
    });
    expect(hex(page)).toBe('010d' + 'ac02' + '01' + '0463617274' + '02aabb' + '0463617274');
    const last = encodeMessage({ kind: 'feed-state', upTo: 300, entries: [] });
    expect(hex(last)).toBe('010d' + 'ac02' + '00' + '00');
    expect(hex(encodeMessage({ ...WELCOME, epoch: 'e1' }))).toMatch(/e0d403026531$/);
  });

  it('refuses malformed backfill messages with DecodeError', () => {
    const bad = [
      '010a 07 00', // feed-request with an empty afterDoc
      '010d ac02 01 00 01aa 00', // feed-state entry with an empty document id
      '010d ac02 02 0461626364 01aa', // two entries announced, one present
      '010d ac02 00', // feed-state without its `next`
      '010d ac02 00 00 00', // a trailing byte
      `010d 00 00 8102${'61'.repeat(257)}`, // `next` longer than a document id
      '0101 01 026575 0465752d31 00 808040 8827 e0d403 00', // welcome with an empty epoch
    ];
    for (const text of bad) {
      expect(() => decodeMessage(fromHex(text)), text).toThrow(DecodeError);
    }
  });

  it('encodes a feed batch’s `after` as the seqs it skips, as docs/protocol.md §2.3 shows', () => {
    const entry = { seq: 7, doc: 'cart', delta: new Uint8Array([0xaa]) };
    expect(hex(encodeMessage({ kind: 'feed-batch', after: 6, entries: [entry] }))).toBe(
      '010b' + '01' + '07' + '0463617274' + '01aa' + '00',
    );
    const skipping = encodeMessage({ kind: 'feed-batch', after: 3, entries: [entry] });
    expect(hex(skipping)).toMatch(/01aa03$/);
    expect(decodeMessage(skipping)).toMatchObject({ after: 3 });
    expect(
      decodeMessage(encodeMessage({ kind: 'feed-batch', after: 0, entries: [entry] })),
    ).toMatchObject({ after: 0 });
  });

  it('refuses malformed feed batches with DecodeError, and will not encode one', () => {
    const bad = [
      '010b 00 00', // no entries
      '010b 01 07 0463617274 01aa', // no `after` (a frame of a relay before it existed)
      '010b 01 07 0463617274 01aa 07', // `after` −1: seq 7 skips 7 positions
      '010b 01 07 0463617274 01aa 80 80 80 80 80 80 80 80 10', // a skip past 2^53
      '010b 01 00 0463617274 01aa 00', // seq 0
      '010b 02 07 0463617274 01aa 07 0461626364 01bb 00', // the same seq twice
      '010b 02 08 0463617274 01aa 07 0461626364 01bb 00', // seqs going down
      '010b 01 07 0463617274 01aa 00 00', // a trailing byte
    ];
    for (const text of bad) {
      expect(() => decodeMessage(fromHex(text)), text).toThrow(DecodeError);
    }
    const entry = { seq: 7, doc: 'cart', delta: new Uint8Array([0xaa]) };
    for (const after of [7, 8, -1, 0.5]) {
      expect(() => encodeMessage({ kind: 'feed-batch', after, entries: [entry] })).toThrow(
        RangeError,
      );
    }
    expect(() => encodeMessage({ kind: 'feed-batch', after: 0, entries: [] })).toThrow(RangeError);
  });

  it('encodes rights requests and grants as docs/protocol.md §2.5 shows, and refuses bad ones', () => {
    const request = { kind: 'rights-request', id: 3, doc: 'd', to: 'r', amount: 5 } as const;
    expect(hex(encodeMessage(request))).toBe('010e' + '03' + '0164' + '0172' + '05');
    const grant = { kind: 'rights-grant', id: 3, doc: 'd', from: 'r', granted: 0 } as const;
    expect(hex(encodeMessage(grant))).toBe('010f' + '03' + '0164' + '0172' + '00' + '00');
    const bad = [
      '010e 03 0164 0172 8080808020', // asks for more than 2^32
      '010e 03 0164 00 05', // an empty replica id
      '010f 03 0164 0172 00 0109', // a transfer that grants nothing
    ];
    for (const text of bad) {
      expect(() => decodeMessage(fromHex(text)), text).toThrow(DecodeError);
    }
  });

  it('encodes presence as docs/protocol.md §2.6 shows, and refuses hostile presence bytes', () => {
    expect(hex(encodeMessage({ kind: 'presence-set', doc: 'd', state: 'x' }))).toBe(
      '0110' + '0164' + '01' + '06' + '0178',
    );
    expect(hex(encodeMessage({ kind: 'presence-set', doc: 'd' }))).toBe('0110' + '0164' + '00');
    const entry = { id: 'i', region: 'r', state: true };
    expect(hex(encodeMessage({ kind: 'presence', doc: 'd', entries: [entry] }))).toBe(
      '0111' + '0164' + '01' + '0169' + '0172' + '00' + '01' + '02',
    );
    const bad = [
      '0110 00 00', // an empty document id
      '0110 0164 02', // a state flag that is neither 0 nor 1
      '0110 0164 01 07 01ff', // a byte array: not JSON
      `0110 0164 01 06 8108 ${'61'.repeat(1025)}`, // a 1,028-byte state: over 1 KiB
      '0110 0164 01 0a', // an unknown value tag
      '0110 0164 00 00', // a trailing byte
      '0111 0164 01 00 0172 00 00', // an entry with an empty id
      `0111 0164 01 0169 0172 81 01 ${'61'.repeat(129)} 00`, // a user name over 128 characters
      '0111 0164 05 0169 0172 00 00', // five entries announced, one present
      '0112 01 0164 0169 00 01 08 02 08 00', // an array of two holding one
    ];
    for (const text of bad) {
      expect(() => decodeMessage(fromHex(text)), text).toThrow(DecodeError);
    }
    // Nesting past the reader's depth limit is refused before any size is looked at.
    const deep = `0110 0164 01 ${'0801'.repeat(40)} 00`;
    expect(() => decodeMessage(fromHex(deep))).toThrow(DecodeError);
  });

  it('fuzz: mutated and truncated messages decode or throw DecodeError, nothing else', () => {
    // HELIOS_FUZZ_RUNS and HELIOS_SEED as in codec/fuzz.test.ts.
    const runs = Number(process.env.HELIOS_FUZZ_RUNS ?? 20_000);
    const seed = baseSeed();
    const rng = createRng(seed);
    const encoded = SAMPLES.map(encodeMessage);
    const limits = { maxBytes: 4096, maxDepth: 8, maxElements: 500 };
    for (let run = 0; run < runs; run++) {
      const bytes = Uint8Array.from(encoded[rng.int(encoded.length)]!);
      for (let flips = rng.range(1, 4); flips > 0; flips--) {
        bytes[rng.range(2, bytes.length - 1)] = rng.int(256);
      }
      const input = rng.chance(0.3) ? bytes.subarray(0, rng.range(2, bytes.length)) : bytes;
      try {
        const message = decodeMessage(input, limits);
        // Whatever decodes re-encodes to a message that decodes to the same thing.
        expect(decodeMessage(encodeMessage(message), limits)).toEqual(message);
      } catch (err) {
        if (!(err instanceof DecodeError)) {
          throw new Error(`seed ${seed}, input ${hex(input)}: ${String(err)}`);
        }
      }
    }
  });
});
