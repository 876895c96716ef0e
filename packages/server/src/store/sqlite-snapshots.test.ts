import { join } from 'node:path';
import { LWWMap } from '@helios/core';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRelay } from '../relay.js';
import { eventually, ProtocolClient } from '../test-support/protocol-client.js';
import { tempDir } from '../test-support/temp-dir.js';
import { SqliteEngine } from './sqlite-engine.js';
import { SqliteStore } from './sqlite-store.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
  vi.restoreAllMocks();
});

/** The `synchronous = …` pragmas the engine sets, in order, and the connection they were set on. */
function watchSyncPragmas() {
  const set: string[] = [];
  const original = Database.prototype.pragma;
  let db: Database.Database | undefined;
  vi.spyOn(Database.prototype, 'pragma').mockImplementation(function (
    this: Database.Database,
    source: string,
    options?: Database.PragmaOptions,
  ) {
    db = this;
    const level = /^synchronous = (\w+)$/.exec(source)?.[1];
    if (level !== undefined) set.push(level);
    return original.call(this, source, options);
  });
  /** The connection's level now: 1 NORMAL, 2 FULL. */
  const level = () => original.call(db!, 'synchronous', { simple: true });
  return { set, level };
}

describe('SQLite snapshots', () => {
  it('are written without a sync of their own, and commits stay synced', async () => {
    const dir = await tempDir('helios-sqlite-');
    try {
      const sync = watchSyncPragmas();
      const engine = SqliteEngine.open({ path: join(dir.path, 'relay.db'), region: 'eu' });
      open.push(engine);
      expect(sync.set).toEqual(['FULL']);
      const [seq] = engine.commit({
        changes: [{ doc: 'd', origin: 'eu', delta: new Uint8Array([1]) }],
      });
      engine.saveSnapshot('d', new Uint8Array([2]), seq!);
      expect(sync.set).toEqual(['FULL', 'NORMAL', 'FULL']);
      expect(sync.level()).toBe(2);
      // A refused snapshot (past the head) leaves the connection synced too.
      expect(() => engine.saveSnapshot('d', new Uint8Array([3]), seq! + 5)).toThrow();
      expect(sync.set).toEqual(['FULL', 'NORMAL', 'FULL', 'NORMAL', 'FULL']);
      expect(sync.level()).toBe(2);
      expect(engine.load('d')?.snapshotSeq).toBe(seq);
    } finally {
      await dir.remove();
    }
  });

  it('of a store opened with synchronous: normal change no pragma', async () => {
    const dir = await tempDir('helios-sqlite-');
    try {
      const sync = watchSyncPragmas();
      const engine = SqliteEngine.open({
        path: join(dir.path, 'relay.db'),
        region: 'eu',
        synchronous: 'normal',
      });
      open.push(engine);
      const [seq] = engine.commit({
        changes: [{ doc: 'd', origin: 'eu', delta: new Uint8Array([1]) }],
      });
      engine.saveSnapshot('d', new Uint8Array([2]), seq!);
      expect(sync.set).toEqual(['NORMAL']);
      expect(sync.level()).toBe(1);
    } finally {
      await dir.remove();
    }
  });

  it('are taken every 16 changes of a small document by a relay on SQLite', async () => {
    const dir = await tempDir('helios-sqlite-');
    try {
      const store = await SqliteStore.open({ path: join(dir.path, 'relay.db'), region: 'eu' });
      expect(store.snapshotEvery).toBe(16);
      const relay = createRelay({
        region: 'eu',
        store,
        anonymous: true,
        logger: pino({ level: 'silent' }),
      });
      open.push(relay);
      const { url } = await relay.listen(0);
      const c = new ProtocolClient(url);
      open.push(c);
      await c.ready();
      await c.subscribe('prefs', LWWMap);
      const actor = (replica: string) => ({
        replica,
        now: () => ({ wall: Date.now(), counter: 0, replica }),
      });
      for (let i = 0; i < 15; i++) {
        await c.write('prefs', (s, me) => LWWMap.set(s, actor(me.replica), 'k', i));
      }
      expect((await store.load('prefs'))?.snapshotSeq).toBe(0);
      await c.write('prefs', (s, me) => LWWMap.set(s, actor(me.replica), 'k', 15));
      let covered = 0;
      await eventually(() => {
        void store.load('prefs').then((d) => {
          covered = d?.snapshotSeq ?? 0;
        });
        return covered > 0;
      }, 'the relay snapshots the document after its 16th change');
      const stored = await store.load('prefs');
      expect(LWWMap.decode(stored!.snapshot!).store.entries.get('k')?.[0]?.value.value).toBe(15);
    } finally {
      await dir.remove();
    }
  });
});
