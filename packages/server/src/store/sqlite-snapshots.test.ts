import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { LWWMap } from '@helios/core';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRelay } from '../relay.js';
import { eventually, ProtocolClient } from '../test-support/protocol-client.js';
import { tempDir } from '../test-support/temp-dir.js';
import { StoreError } from './errors.js';
import { SqliteEngine } from './sqlite-engine.js';
import type { EngineCall } from './sqlite-protocol.js';
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
      expect(
        engine.saveSnapshots([{ doc: 'd', snapshot: new Uint8Array([2]), upToSeq: seq! }]),
      ).toBe(seq);
      expect(sync.set).toEqual(['FULL', 'NORMAL', 'FULL']);
      expect(sync.level()).toBe(2);
      // A snapshot past the head is left out (the store refuses it); the connection is synced.
      engine.saveSnapshots([{ doc: 'd', snapshot: new Uint8Array([3]), upToSeq: seq! + 5 }]);
      expect(sync.set).toEqual(['FULL', 'NORMAL', 'FULL', 'NORMAL', 'FULL']);
      expect(sync.level()).toBe(2);
      expect(engine.load(['d'])[0]?.snapshotSeq).toBe(seq);
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
      expect(
        engine.saveSnapshots([{ doc: 'd', snapshot: new Uint8Array([2]), upToSeq: seq! }]),
      ).toBe(seq);
      expect(sync.set).toEqual(['NORMAL']);
      expect(sync.level()).toBe(1);
    } finally {
      await dir.remove();
    }
  });

  it('saved in one turn go to the worker as one transaction; one past the head is refused alone', async () => {
    const dir = await tempDir('helios-sqlite-');
    try {
      const store = await SqliteStore.open({ path: join(dir.path, 'relay.db'), region: 'eu' });
      open.push(store);
      const batches: number[] = [];
      const original = Worker.prototype.postMessage;
      vi.spyOn(Worker.prototype, 'postMessage').mockImplementation(function (
        this: Worker,
        call: EngineCall,
      ) {
        if (call.method === 'saveSnapshots') batches.push((call.args[0] as unknown[]).length);
        original.call(this, call);
      });
      const docs = Array.from({ length: 30 }, (_, i) => `d${i}`);
      const seqs = await store.commit({
        changes: docs.map((doc) => ({ doc, origin: 'eu', delta: new Uint8Array([1]) })),
      });
      const saved = docs.map((doc, i) => store.saveSnapshot(doc, new Uint8Array([2]), seqs[i]!));
      const ahead = store.saveSnapshot('d0', new Uint8Array([3]), seqs.at(-1)! + 1);
      await Promise.all(saved);
      const refused = await ahead.catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(StoreError);
      expect((refused as StoreError).code).toBe('invalid-argument');
      expect(batches).toEqual([31]);
      for (const [i, doc] of docs.entries()) {
        const stored = await store.load(doc);
        expect(stored?.snapshotSeq).toBe(seqs[i]);
        expect(stored?.snapshot).toEqual(new Uint8Array([2]));
      }
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
