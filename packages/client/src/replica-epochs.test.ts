import 'fake-indexeddb/auto';
import { epochOf, isEpochReplicaId } from '@helios/core';
import { createRelay, MemoryStore } from '@helios/server';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type HeliosClient } from './index.js';
import { freshDb } from './test-support/fresh-db.js';
import { until } from './test-support/harness.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

/** A relay announcing the deployment's replica epochs from `epochs` (none when absent). */
async function relay(epochs?: { current: number; retired: number }): Promise<string> {
  const r = createRelay({
    region: 'us-east-1',
    store: new MemoryStore({ region: 'us-east-1' }),
    anonymous: true,
    logger: pino({ level: 'silent' }),
    ...(epochs
      ? { replicaEpoch: () => epochs.current, retiredEpochsBelow: () => epochs.retired }
      : {}),
  });
  open.push(r);
  return (await r.listen(0)).url;
}

function client(url: string, dbName = freshDb()): HeliosClient {
  const c = createClient({ relays: [url], dbName, homeProbeMs: 100 });
  open.push(c);
  return c;
}

describe('replica ids of the relay’s epoch', () => {
  it('mints ids of the announced epoch, renews them as epochs move on and retire, and loses no write', async () => {
    const epochs = { current: 3, retired: 0 };
    const url = await relay(epochs);
    const a = client(url);
    const likes = a.counter('likes');
    await likes.loaded;
    // Written under the slot's compact id, before the relay named an epoch.
    await likes.increment(1).wait('relay');
    await until(() => epochOf(a.replica ?? '') === 3, 'a renews its slot to an epoch-3 id');
    await until(() => a.status.connection === 'online', 'a reconnects with it');
    await likes.increment(2).wait('relay');

    // The lease period moves on while a stays connected: the relay tells it (within a second),
    // and a renews its slot again, without waiting for a handshake of its own.
    epochs.current = 4;
    await until(() => epochOf(a.replica ?? '') === 4, 'a renews its slot to an epoch-4 id');
    await until(() => a.status.connection === 'online', 'a reconnects with it');
    await likes.increment(4).wait('relay');

    // Epoch 3 retires while a is offline. a still announces its former epoch-3 id at its next
    // handshake, which is refused as a whole (`replica-retired`, naming the bound); a drops the
    // ids the bound retires and is admitted.
    a.setOnline(false);
    await until(() => a.status.connection === 'offline', 'offline');
    epochs.retired = 4;
    a.setOnline(true);
    await until(() => a.status.lastError?.code === 'replica-retired', 'the handshake is refused');
    await until(() => a.status.connection === 'online', 'a is admitted with its own id');
    expect(epochOf(a.replica ?? '')).toBe(4);
    await likes.increment(8).wait('relay');

    const b = client(url);
    const seen = b.counter('likes');
    await until(() => seen.value === 15, 'a reader sees every write once');
  }, 30_000);

  it('keeps the renewed id across a restart, and compact ids with a relay that names no epoch', async () => {
    const dbName = freshDb();
    const url = await relay({ current: 7, retired: 0 });
    const a = client(url, dbName);
    await until(() => epochOf(a.replica ?? '') === 7, 'renewed to epoch 7');
    const renewed = a.replica;
    await a.counter('likes').increment(1).wait('relay');
    await a.close();

    const plain = await relay();
    const again = client(plain, dbName);
    const likes = again.counter('likes');
    await likes.loaded;
    expect(again.replica).toBe(renewed);
    await likes.increment(1).wait('relay');

    const fresh = client(plain);
    await fresh.counter('likes').increment(1).wait('relay');
    expect(isEpochReplicaId(fresh.replica ?? '')).toBe(false);
  }, 30_000);
});
