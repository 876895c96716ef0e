import {
  type AnyCrdtState,
  BoundedCounter,
  type BoundedCounterState,
  CausalContext,
  type ReplicaId,
} from '@helios/core';
import { type RightsRequest, relayReplicaId } from '@helios/core/protocol';
import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { RelayDocument } from './documents.js';
import { RelayMetrics } from './metrics.js';
import { RightsDesk } from './rights-desk.js';

const REGIONS = ['a', 'b', 'c'] as const;
type Region = (typeof REGIONS)[number];
const relayOf = (r: Region) => relayReplicaId(r, `${r}0000000`);
const clientOf = (r: Region) => `client-${r}`;
const INITIAL = 30;
const silent = pino({ level: 'silent' });

/**
 * Three regions' desks over in-memory documents: what a relay writes is merged at once and
 * queued for the other regions (their feeds), asks are queued for the peer, and links can be cut.
 * Nothing is lost: a cut link delivers later, as a feed does.
 */
function world() {
  const owner = { replica: 'owner' };
  const seed = BoundedCounter.empty();
  BoundedCounter.merge(seed, BoundedCounter.increment(seed, owner, INITIAL));
  for (const [r, n] of [
    ['a', 20],
    ['b', 10],
  ] as const) {
    BoundedCounter.merge(seed, BoundedCounter.transfer(seed, owner, relayOf(r), n));
  }
  const docs = new Map<Region, RelayDocument>();
  const feeds = new Map<string, AnyCrdtState[]>();
  const asks = new Map<string, RightsRequest[]>();
  const cut = new Set<Region>();
  const up = (x: Region, y: Region) => !cut.has(x) && !cut.has(y);
  const write = (r: Region, delta: AnyCrdtState) => {
    BoundedCounter.merge(docs.get(r)!.state as BoundedCounterState, delta as BoundedCounterState);
    for (const to of REGIONS) if (to !== r) feeds.get(`${r}->${to}`)!.push(delta);
  };
  const desks = new Map<Region, RightsDesk>();
  for (const r of REGIONS) {
    const state = BoundedCounter.empty();
    BoundedCounter.merge(state, seed);
    docs.set(r, {
      id: 'stock',
      type: BoundedCounter,
      state,
      lastSeq: 0,
      snapshotSeq: 0,
      changesSinceSnapshot: 0,
      changeBytesSinceSnapshot: 0,
      snapshotBytes: 0,
      subscribers: 0,
      replicated: new CausalContext(),
    });
    for (const to of REGIONS) {
      if (to === r) continue;
      feeds.set(`${r}->${to}`, []);
      asks.set(`${r}->${to}`, []);
    }
    desks.set(
      r,
      new RightsDesk(
        {
          region: r,
          replica: relayOf(r),
          logger: silent,
          metrics: new RelayMetrics({ region: r }),
          document: async (id) => (id === 'stock' ? docs.get(r) : undefined),
          writeOwn: async (_doc, delta) => {
            write(r, delta);
            return 0;
          },
          reachablePeers: () => REGIONS.filter((p) => p !== r && up(r, p)),
          askPeer: (peer, request) => asks.get(`${r}->${peer}`)!.push(request),
          siblings: () => [],
          askSibling: () => {},
        },
        { maxGrant: 4, lowWater: 6, peerWaitMs: 0 },
      ),
    );
  }
  const stateAt = (r: Region) => docs.get(r)!.state as BoundedCounterState;
  return { docs, feeds, asks, cut, up, write, desks, stateAt };
}

const region = fc.constantFrom(...REGIONS);
const op = fc.oneof(
  fc.record({
    kind: fc.constant('draw' as const),
    at: region,
    amount: fc.integer({ min: 0, max: 8 }),
  }),
  fc.record({ kind: fc.constant('sell' as const), at: region, n: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('return' as const), at: region }),
  fc.record({ kind: fc.constant('feed' as const), from: region, to: region }),
  fc.record({ kind: fc.constant('ask' as const), from: region, to: region, twice: fc.boolean() }),
  fc.record({ kind: fc.constant('cut' as const), at: region }),
  fc.record({ kind: fc.constant('heal' as const), at: region }),
);

describe('RightsDesk', () => {
  it('moves rights without making any, whatever the schedule of draws, sales, asks, duplicates and partitions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
        const w = world();
        let sold = 0;
        const deliverFeed = (from: Region, to: Region) => {
          for (const delta of w.feeds.get(`${from}->${to}`)!.splice(0)) {
            BoundedCounter.merge(w.stateAt(to), delta as BoundedCounterState);
          }
        };
        const deliverAsks = async (from: Region, to: Region, twice: boolean) => {
          for (const request of w.asks.get(`${from}->${to}`)!.splice(0)) {
            const first = await w.desks.get(to)!.forPeer(from, request);
            // A request delivered again (a retry) is granted once.
            if (twice)
              expect(await w.desks.get(to)!.forPeer(from, request)).toEqual({
                from: first.from,
                granted: first.granted,
              });
          }
        };
        for (const o of ops) {
          switch (o.kind) {
            case 'draw':
              await w.desks.get(o.at)!.forClient('stock', clientOf(o.at), o.amount);
              break;
            case 'sell': {
              const me = { replica: clientOf(o.at) };
              if (BoundedCounter.localRights(w.stateAt(o.at), me.replica) >= o.n) {
                w.write(o.at, BoundedCounter.decrement(w.stateAt(o.at), me, o.n));
                sold += o.n;
              }
              break;
            }
            case 'return': {
              const me = { replica: clientOf(o.at) };
              const n = BoundedCounter.localRights(w.stateAt(o.at), me.replica);
              if (n > 0)
                w.write(o.at, BoundedCounter.transfer(w.stateAt(o.at), me, relayOf(o.at), n));
              break;
            }
            case 'feed':
              if (o.from !== o.to && w.up(o.from, o.to)) deliverFeed(o.from, o.to);
              break;
            case 'ask':
              if (o.from !== o.to && w.up(o.from, o.to)) await deliverAsks(o.from, o.to, o.twice);
              break;
            case 'cut':
              w.cut.add(o.at);
              break;
            case 'heal':
              w.cut.delete(o.at);
              break;
          }
          for (const r of REGIONS) {
            const state = w.stateAt(r);
            expect(BoundedCounter.value(state)).toBeGreaterThanOrEqual(0);
            // What a region's own writers hold, it counts exactly: never below zero.
            expect(BoundedCounter.localRights(state, relayOf(r))).toBeGreaterThanOrEqual(0);
            expect(BoundedCounter.localRights(state, clientOf(r))).toBeGreaterThanOrEqual(0);
          }
        }
        // Heal and let every feed through (an ask left unanswered moved nothing).
        w.cut.clear();
        for (const from of REGIONS)
          for (const to of REGIONS) if (from !== to) deliverFeed(from, to);
        // Every region ends with the same state (entries in any order).
        const canonical = (r: Region) =>
          JSON.stringify(
            [...w.stateAt(r).store].sort((x, y) =>
              `${x.replica}:${x.seq}` < `${y.replica}:${y.seq}` ? -1 : 1,
            ),
          );
        expect(new Set(REGIONS.map(canonical)).size).toBe(1);
        const state = w.stateAt('a');
        const holders: ReplicaId[] = [
          'owner',
          ...REGIONS.flatMap((r) => [relayOf(r), clientOf(r)]),
        ];
        const rights = holders.map((h) => BoundedCounter.localRights(state, h));
        expect(rights.every((n) => n >= 0)).toBe(true);
        expect(rights.reduce((x, y) => x + y, 0)).toBe(INITIAL - sold);
        expect(BoundedCounter.value(state)).toBe(INITIAL - sold);
      }),
      { numRuns: 200 },
    );
  });
});

describe('whom a node asks', () => {
  /** Node `a` of region a holding `mine`, a sibling node `theirs`, peer region b `peer`. */
  function node(mine: number, theirs: number, peer = 20) {
    const me = relayOf('a');
    const sibling = `${me}.1`;
    const owner = { replica: 'owner' };
    const state = BoundedCounter.empty();
    BoundedCounter.merge(state, BoundedCounter.increment(state, owner, peer + mine + theirs));
    for (const [to, n] of [
      [me, mine],
      [sibling, theirs],
      [relayOf('b'), peer],
    ] as const) {
      if (n > 0) BoundedCounter.merge(state, BoundedCounter.transfer(state, owner, to, n));
    }
    const doc: RelayDocument = {
      id: 'stock',
      type: BoundedCounter,
      state,
      lastSeq: 0,
      snapshotSeq: 0,
      changesSinceSnapshot: 0,
      changeBytesSinceSnapshot: 0,
      snapshotBytes: 0,
      subscribers: 0,
      replicated: new CausalContext(),
    };
    const asked: string[] = [];
    const desk = new RightsDesk(
      {
        region: 'a',
        replica: me,
        logger: silent,
        metrics: new RelayMetrics({ region: 'a' }),
        document: async () => doc,
        writeOwn: async (_doc, delta) => {
          BoundedCounter.merge(state, delta as BoundedCounterState);
          return 0;
        },
        reachablePeers: () => ['b'],
        askPeer: (peer, request) => asked.push(`peer ${peer} for ${request.to}`),
        siblings: () => [{ relayId: 'node-2', replica: sibling }],
        askSibling: (relayId, request) => asked.push(`node ${relayId} for ${request.to}`),
      },
      { maxGrant: 4, lowWater: 6, peerWaitMs: 0 },
    );
    return { desk, asked, me };
  }

  it('holding none, asks a node of its region before a richer peer region', async () => {
    const { desk, asked, me } = node(0, 5);
    expect(await desk.forClient('stock', 'client-a', 2)).toMatchObject({ granted: 0 });
    expect(asked).toEqual([`node node-2 for ${me}`]);
  });

  it('running low, asks peer regions only: nodes of a region do not top each other up', async () => {
    const { desk, asked, me } = node(7, 30);
    expect(await desk.forClient('stock', 'client-a', 4)).toMatchObject({ granted: 4 });
    expect(asked).toEqual([`peer b for ${me}`]);
  });

  it('running low, leaves a peer alone that holds less than twice the low mark; holding none, asks it', async () => {
    // The last units of a counter would otherwise go back and forth between low regions, and a
    // buyer's request find none where they were a moment ago.
    const low = node(7, 0, 11);
    expect(await low.desk.forClient('stock', 'client-a', 4)).toMatchObject({ granted: 4 });
    expect(low.asked).toEqual([]);
    const empty = node(0, 0, 11);
    expect(await empty.desk.forClient('stock', 'client-a', 2)).toMatchObject({ granted: 0 });
    expect(empty.asked).toEqual([`peer b for ${empty.me}`]);
  });
});
