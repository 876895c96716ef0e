import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { describe, expect, it, vi } from 'vitest';
import { describeRelayStoreConformance } from '../test-support/store-conformance.js';
import { tempDir } from '../test-support/temp-dir.js';
import { StoreClosedError, StoreError } from './errors.js';
import type { EngineCall } from './sqlite-protocol.js';
import { SqliteStore } from './sqlite-store.js';

describeRelayStoreConformance(
  'SqliteStore',
  async (region) => {
    const dir = await tempDir('helios-sqlite-');
    // A folder that does not exist yet: open must create it.
    const path = join(dir.path, 'nested', 'relay.db');
    const opened: SqliteStore[] = [await SqliteStore.open({ path, region })];
    return {
      store: opened[0]!,
      reopen: async () => {
        const store = await SqliteStore.open({ path, region });
        opened.push(store);
        return store;
      },
      cleanup: async () => {
        for (const store of opened) await store.close();
        await dir.remove();
      },
    };
  },
  { persistent: true },
);

/**
 * The size of each batch a store sends its worker with `method` (calls whose first argument is
 * the batch), recorded until `post.mockRestore()`.
 */
function batchesSent(method: 'claimReplicas' | 'load') {
  const batches: number[] = [];
  const original = Worker.prototype.postMessage;
  const post = vi.spyOn(Worker.prototype, 'postMessage').mockImplementation(function (
    this: Worker,
    call: EngineCall,
  ) {
    if (call.method === method) batches.push((call.args[0] as unknown[]).length);
    original.call(this, call);
  });
  return { batches, post };
}

describe('SqliteStore', () => {
  it('commits concurrent replica claims together, and still binds each replica to one user', async () => {
    const dir = await tempDir('helios-sqlite-');
    const path = join(dir.path, 'relay.db');
    const store = await SqliteStore.open({ path, region: 'eu' });
    // What the store asks its worker: the claims' transactions are the `claimReplicas` calls.
    const { batches, post } = batchesSent('claimReplicas');
    try {
      // 300 clients connecting at once, each new replica also claimed by a second user, and
      // one replica taken before.
      expect(await store.claimReplica('taken', 'mallory')).toBe('mallory');
      batches.length = 0;
      const owners = await Promise.all([
        store.claimReplica('taken', 'alice'),
        ...Array.from({ length: 300 }, (_, i) => [
          store.claimReplica(`r${i}`, `u${i}`),
          store.claimReplica(`r${i}`, `thief${i}`),
        ]).flat(),
      ]);
      expect(owners[0]).toBe('mallory');
      expect(owners.slice(1)).toEqual(
        Array.from({ length: 300 }, (_, i) => [`u${i}`, `u${i}`]).flat(),
      );
      // Made in one turn: one transaction.
      expect(batches).toEqual([601]);
    } finally {
      post.mockRestore();
      await store.close();
    }
    // Durable, and still refused to another user after a restart.
    const again = await SqliteStore.open({ path, region: 'eu' });
    try {
      expect(await again.claimReplica('r7', 'thief7')).toBe('u7');
      expect(await again.claimReplica('taken', 'alice')).toBe('mallory');
    } finally {
      await again.close();
      await dir.remove();
    }
  });

  it('loads the documents asked for in one turn in one call, each with its own changes', async () => {
    const dir = await tempDir('helios-sqlite-');
    const store = await SqliteStore.open({ path: join(dir.path, 'relay.db'), region: 'eu' });
    const changes = Array.from({ length: 150 }, (_, i) => ({
      doc: `d${i % 100}`,
      origin: 'eu',
      delta: Uint8Array.of(i % 256, i >> 8),
    }));
    await store.commit({ changes });
    await store.saveSnapshot('d3', Uint8Array.of(42), 4);
    // What the store asks its worker: each `load` call carries a batch of documents.
    const { batches: loads, post } = batchesSent('load');
    try {
      // A restart's crowd: 100 documents and one never written, asked for in one turn.
      const ids = [...Array.from({ length: 100 }, (_, i) => `d${i}`), 'never'];
      const docs = await Promise.all(ids.map((id) => store.load(id)));
      // 64 per read at most: a commit never waits behind more than one batch.
      expect(loads).toEqual([64, 37]);
      expect(docs[100]).toBeUndefined();
      for (let i = 0; i < 100; i++) {
        const own = changes
          .map((c, seq) => ({ ...c, seq: seq + 1 }))
          .filter((c) => c.doc === `d${i}`);
        const doc = docs[i]!;
        if (i === 3) {
          // d3's first change (seq 4) is in its snapshot.
          expect(doc.snapshot).toEqual(Uint8Array.of(42));
          expect(doc.snapshotSeq).toBe(4);
        } else expect(doc.snapshot).toBeNull();
        expect(doc.changes.map((c) => [c.seq, c.doc, c.origin, [...c.delta]])).toEqual(
          own
            .filter((c) => c.seq > doc.snapshotSeq)
            .map((c) => [c.seq, c.doc, c.origin, [...c.delta]]),
        );
      }
    } finally {
      post.mockRestore();
      await store.close();
      await dir.remove();
    }
  });

  it('uses WAL and refuses a file of another region', async () => {
    const dir = await tempDir('helios-sqlite-');
    try {
      const path = join(dir.path, 'relay.db');
      const store = await SqliteStore.open({ path, region: 'eu', synchronous: 'normal' });
      await store.close();
      const db = new Database(path, { readonly: true });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('page_size', { simple: true })).toBe(1024);
      db.close();
      const refused = await SqliteStore.open({ path, region: 'us' }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(StoreError);
      expect((refused as StoreError).code).toBe('region-mismatch');
    } finally {
      await dir.remove();
    }
  });

  it('keeps the page size of a file created with another', async () => {
    const dir = await tempDir('helios-sqlite-');
    try {
      const path = join(dir.path, 'relay.db');
      const old = new Database(path);
      old.pragma('page_size = 4096');
      old.pragma('journal_mode = WAL');
      old.close();
      const store = await SqliteStore.open({ path, region: 'eu' });
      const [seq] = await store.commit({
        changes: [{ doc: 'd', origin: 'eu', delta: new Uint8Array([1, 2, 3]) }],
      });
      expect((await store.load('d'))?.changes.map((c) => c.seq)).toEqual([seq]);
      await store.close();
      const db = new Database(path, { readonly: true });
      expect(db.pragma('page_size', { simple: true })).toBe(4096);
      db.close();
    } finally {
      await dir.remove();
    }
  });

  it('close resolves in a process with nothing else to do, which then exits 0', async () => {
    const dir = await tempDir('helios-sqlite-');
    try {
      const script = builtChildScript('sqlite-close-child.mjs');
      const child = spawn(process.execPath, [script, join(dir.path, 'relay.db')], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(out).toBe('closed\n');
      expect(code).toBe(0);
    } finally {
      await dir.remove();
    }
  });

  it('checkpoints the write-ahead log on a thread of its own, not in a commit', async () => {
    const dir = await tempDir('helios-sqlite-');
    const path = join(dir.path, 'relay.db');
    const store = await SqliteStore.open({ path, region: 'eu' });
    try {
      const sizeBefore = statSync(path).size;
      // About 500 pages of log: below the 1,000 at which a writer alone checkpoints, so only the
      // checkpointer copies them into the database file, and the file grows.
      for (let i = 0; i < 20; i++) {
        await store.commit({
          changes: Array.from({ length: 100 }, (_, j) => ({
            doc: `doc-${j % 10}`,
            origin: 'eu',
            delta: new Uint8Array(60).fill(i),
          })),
        });
      }
      const deadline = Date.now() + 5_000;
      while (statSync(path).size < sizeBefore + 150_000 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(statSync(path).size).toBeGreaterThanOrEqual(sizeBefore + 150_000);
      expect(await store.countChanges()).toBe(2_000);
    } finally {
      await store.close();
      await dir.remove();
    }
  });

  it('writes on a thread of its own: the event loop runs while a commit is written', async () => {
    const dir = await tempDir('helios-sqlite-');
    const store = await SqliteStore.open({ path: join(dir.path, 'relay.db'), region: 'eu' });
    try {
      const changes = Array.from({ length: 20_000 }, (_, i) => ({
        doc: `doc-${i % 100}`,
        origin: 'eu',
        delta: new Uint8Array(64),
      }));
      const turns: string[] = [];
      const committed = store.commit({ changes }).then(() => turns.push('committed'));
      // On the loop's thread (better-sqlite3 is synchronous), the whole commit would be over
      // before this callback could run.
      setImmediate(() => turns.push('loop ran'));
      await committed;
      expect(turns).toEqual(['loop ran', 'committed']);
      expect(await store.countChanges()).toBe(20_000);
    } finally {
      await store.close();
      await dir.remove();
    }
  });

  it('drops released changes in steps, keeping those no snapshot covers yet', async () => {
    const dir = await tempDir('helios-sqlite-');
    const store = await SqliteStore.open({ path: join(dir.path, 'relay.db'), region: 'eu' });
    try {
      // 2,500 feed changes, alternating between two documents: more than two steps' worth.
      const changes = Array.from({ length: 2_500 }, (_, i) => ({
        doc: i % 2 === 0 ? 'a' : 'b',
        origin: 'eu',
        delta: Uint8Array.of(i & 255),
      }));
      const seqs = await store.commit({ changes });
      // `a` has a snapshot up to the 2,001st change; `b` up to its 1,000th.
      await store.saveSnapshot('a', Uint8Array.of(1), seqs[2_000]!);
      await store.saveSnapshot('b', Uint8Array.of(2), seqs[1_999]!);
      await store.release(seqs.at(-1)!);
      expect(await store.feedStart()).toBe(seqs.at(-1));
      const kept = (await store.readFeed(0, 10_000)).map((c) => c.seq);
      const expected = seqs.filter((seq, i) =>
        i % 2 === 0 ? seq > seqs[2_000]! : seq > seqs[1_999]!,
      );
      expect(kept).toEqual(expected);
      expect(await store.countChanges()).toBe(expected.length);
    } finally {
      await store.close();
      await dir.remove();
    }
  });

  it('fails calls after close with StoreClosedError, and close twice is fine', async () => {
    const dir = await tempDir('helios-sqlite-');
    const store = await SqliteStore.open({ path: join(dir.path, 'relay.db'), region: 'eu' });
    const pending = store.commit({
      changes: [{ doc: 'a', origin: 'eu', delta: Uint8Array.of(1) }],
    });
    // Asked for in the same turn as the close, so still waiting to join a batch when it came.
    const loaded = store.load('a');
    const claimed = store.claimReplica('r', 'alice');
    await store.close();
    // A call made before close is answered first.
    expect(await pending).toEqual([1]);
    expect((await loaded)?.changes.map((c) => c.seq)).toEqual([1]);
    expect(await claimed).toBe('alice');
    await expect(store.lastSeq('a')).rejects.toBeInstanceOf(StoreClosedError);
    await store.close();
    await dir.remove();
  });

  it('gets a new epoch, keeping its data, once the epoch row is deleted (docs/production.md)', async () => {
    const dir = await tempDir('helios-sqlite-');
    try {
      const path = join(dir.path, 'relay.db');
      const store = await SqliteStore.open({ path, region: 'eu' });
      const [seq] = await store.commit({
        changes: [{ doc: 'a', origin: 'eu', delta: Uint8Array.of(1) }],
      });
      const { epoch } = store;
      await store.close();
      const db = new Database(path);
      db.prepare(`DELETE FROM meta WHERE key = 'epoch'`).run();
      db.close();
      const restored = await SqliteStore.open({ path, region: 'eu' });
      expect(restored.epoch).not.toBe(epoch);
      expect(await restored.lastSeq('a')).toBe(seq);
      await restored.close();
    } finally {
      await dir.remove();
    }
  });

  it('keeps every commit that resolved before the process was SIGKILLed', async () => {
    const child = builtChildScript();
    const dir = await tempDir('helios-sqlite-kill-');
    try {
      const path = join(dir.path, 'relay.db');
      const acked = await runAndKill(child, path, 300);
      expect(acked.length).toBeGreaterThanOrEqual(300);

      const store = await SqliteStore.open({ path, region: 'eu' });
      try {
        const feed = await store.readFeed(0, 1_000_000);
        const bySeq = new Map(feed.map((c) => [c.seq, c]));
        for (const { i, seq } of acked) {
          const stored = bySeq.get(seq);
          expect(stored, `commit ${i} (seq ${seq}) was acknowledged but is missing`).toBeDefined();
          expect(stored!.doc).toBe(`doc${i % 7}`);
          expect(Buffer.from(stored!.delta).toString()).toBe(`change ${i}`);
        }
        expect(await store.getCursor('us')).toBeGreaterThanOrEqual(acked.at(-1)!.i);
      } finally {
        await store.close();
      }
    } finally {
      await dir.remove();
    }
  });
});

/**
 * The child imports the compiled store: vitest runs TypeScript, a plain `node` child cannot.
 * `npm test` builds first (pretest); a stale build would test old code, so refuse it.
 */
function builtChildScript(name = 'sqlite-commit-child.mjs'): string {
  const script = fileURLToPath(new URL(`../test-support/${name}`, import.meta.url));
  const built = fileURLToPath(new URL('../../dist/store/sqlite-store.js', import.meta.url));
  const source = fileURLToPath(new URL('./sqlite-store.ts', import.meta.url));
  if (!existsSync(built) || statSync(built).mtimeMs < statSync(source).mtimeMs) {
    throw new Error(
      `${built} is missing or older than its source: run "npx tsc -b" (npm test does)`,
    );
  }
  return script;
}

/** Runs the child until it has acknowledged `count` commits, then SIGKILLs it mid-stream. */
function runAndKill(
  script: string,
  path: string,
  count: number,
): Promise<{ i: number; seq: number }[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, path], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: { i: number; seq: number }[] = [];
    let pending = '';
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const [i, seq] = line.split(' ').map(Number);
        acked.push({ i: i!, seq: seq! });
      }
      if (!killed && acked.length >= count) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`child exited early (code ${code}): ${stderr}`));
    });
  });
}
