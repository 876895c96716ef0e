import { join } from 'node:path';
import {
  BLOCKED_SNAPSHOT_FLAG,
  type ClockedActor,
  LWWMap,
  type LWWMapState,
  SNAPSHOT_FORMAT_VERSION,
  STATE_FORMAT_VERSION,
} from '@helios/core';
import { freePort } from '@helios/test-kit';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay } from './relay.js';
import { SqliteStore } from './store/sqlite-store.js';
import { eventually, ProtocolClient } from './test-support/protocol-client.js';
import { tempDir } from './test-support/temp-dir.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

const REGION = 'eu-west-1';

function actorOf(replica: string): ClockedActor {
  return { replica, now: () => ({ wall: Date.now(), counter: 0, replica }) };
}

async function relayOn(
  path: string,
  region = REGION,
  port = 0,
  peers: readonly { region: string; port: number }[] = [],
) {
  const store = await SqliteStore.open({ path, region, synchronous: 'normal' });
  const relay = createRelay({
    region,
    store,
    anonymous: true,
    logger: pino({ level: 'silent' }),
    snapshotEvery: 3,
    peers: peers.map((p) => ({ region: p.region, url: `http://127.0.0.1:${p.port}` })),
  });
  open.push(relay);
  const { url } = await relay.listen(port);
  return { relay, store, url };
}

async function reader(url: string): Promise<ProtocolClient> {
  const c = new ProtocolClient(url);
  open.push(c);
  await c.ready();
  await c.subscribe('prefs', LWWMap);
  return c;
}

/**
 * Upgrading a relay whose SQLite store holds snapshots of the delta format (version 1): they load,
 * the next snapshot is written in the snapshot format (version 2), and that loads after a restart.
 */
describe('relay snapshots across the format change', () => {
  it('loads a version-1 snapshot, then writes and reloads a version-2 one', async () => {
    const dir = await tempDir('helios-snapshot-format-');
    try {
      const path = join(dir.path, 'relay.db');
      const writer = actorOf('abcdefabcdef01');
      const old: LWWMapState = LWWMap.empty();
      const deltas: Uint8Array[] = [];
      for (let i = 0; i < 40; i++) {
        const delta = LWWMap.set(old, writer, `k${i}`, `old-${i}`);
        LWWMap.merge(old, delta);
        deltas.push(LWWMap.encode(delta));
      }
      // What the previous release left: the changes, a version-1 snapshot of all but the last.
      const before = await SqliteStore.open({ path, region: REGION });
      const seqs = await before.commit({
        changes: deltas.map((delta) => ({ doc: 'prefs', delta, origin: REGION })),
      });
      const upTo = seqs[seqs.length - 2]!;
      const partial = LWWMap.empty();
      for (const bytes of deltas.slice(0, -1)) LWWMap.merge(partial, LWWMap.decode(bytes));
      await before.saveSnapshot('prefs', LWWMap.encode(partial), upTo);
      expect((await before.load('prefs'))!.snapshot![0]! >> 6).toBe(STATE_FORMAT_VERSION);
      await before.close();

      const first = await relayOn(path);
      const c = await reader(first.url);
      expect(c.value('prefs').get('k3')).toBe('old-3');
      expect(c.value('prefs').size).toBe(40);
      // Enough writes to weigh as much as the snapshot: the relay then rewrites it.
      for (let i = 0; i < 40; i++) {
        await c.write('prefs', (s, me) => LWWMap.set(s, actorOf(me.replica), `n${i}`, `new-${i}`));
      }
      let format = 0;
      await eventually(() => {
        void first.store.load('prefs').then((d) => {
          format = (d?.snapshot?.[0] ?? 0) >> 6;
        });
        return format === SNAPSHOT_FORMAT_VERSION;
      }, 'the relay writes a version-2 snapshot');
      c.close();
      await first.relay.close();

      const second = await relayOn(path);
      const fresh = await reader(second.url);
      expect(fresh.value('prefs').size).toBe(80);
      expect(fresh.value('prefs').get('k39')).toBe('old-39');
      expect(fresh.value('prefs').get('n39')).toBe('new-39');
    } finally {
      await dir.remove();
    }
  });
});

describe('backfill of LWW-Maps in the snapshot format', () => {
  it('a new region receives the whole map from feed-state pages of blocked version-2 snapshots', async () => {
    const dir = await tempDir('helios-snapshot-backfill-');
    try {
      const [portA, portC] = [await freePort(), await freePort()];
      const pathA = join(dir.path, 'a.db');
      // Region A alone (no peers: it releases its feed at once) until snapshots replace its feed.
      const alone = await relayOn(pathA, 'a', portA);
      const w = await reader(alone.url);
      for (let i = 0; i < 30; i++) {
        await w.write('prefs', (s, me) => LWWMap.set(s, actorOf(me.replica), `k${i}`, `v${i}`));
      }
      await eventuallyAsync(async () => {
        const stored = await alone.store.load('prefs');
        return (
          (await alone.store.feedStart()) > 0 &&
          stored?.snapshot?.[0] ===
            ((SNAPSHOT_FORMAT_VERSION << 6) | BLOCKED_SNAPSHOT_FLAG | LWWMap.typeId)
        );
      }, 'A released its feed and holds a blocked version-2 snapshot');
      w.close();
      await alone.relay.close();

      await relayOn(pathA, 'a', portA, [{ region: 'c', port: portC }]);
      const c = await relayOn(join(dir.path, 'c.db'), 'c', portC, [{ region: 'a', port: portA }]);
      await eventuallyAsync(async () => {
        const stored = await c.store.load('prefs');
        if (stored === undefined) return false;
        const merged = LWWMap.empty();
        for (const bytes of [stored.snapshot, ...stored.changes.map((ch) => ch.delta)]) {
          if (bytes !== null) LWWMap.merge(merged, LWWMap.decode(bytes));
        }
        return LWWMap.value(merged).size === 30;
      }, 'C holds all of A’s map');
      // What C merged from the backfill page is the snapshot, as A sent it.
      const atStore = await c.store.load('prefs');
      const formats = [atStore!.snapshot, ...atStore!.changes.map((ch) => ch.delta)]
        .filter((b): b is Uint8Array => b !== null)
        .map((b) => b[0]! >> 6);
      expect(formats).toContain(SNAPSHOT_FORMAT_VERSION);
      const atC = await reader(c.url);
      expect(atC.value('prefs').get('k29')).toBe('v29');
      expect(atC.value('prefs').size).toBe(30);
    } finally {
      await dir.remove();
    }
  });
});

async function eventuallyAsync(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not reached: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
