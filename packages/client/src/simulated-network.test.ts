import 'fake-indexeddb/auto';
import { baseSeed } from '@helios/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import type { Receipt } from './receipt.js';
import { MemoryWorld, reached } from './test-support/memory-world.js';

/**
 * Clients and a relay over test-kit's simulated network (the link model every simulated network
 * of the tests takes its decisions from): each message arrives after a jittered latency, and now
 * and then one is lost, which breaks its connection, as it would a Socket.IO stream.
 * `HELIOS_SEED=<n>` replays one network.
 */
const SEED = baseSeed();
let world: MemoryWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('clients on a lossy, jittery network', () => {
  it('reconnect as often as the network breaks, lose no write and converge', async () => {
    world = new MemoryWorld({
      seed: SEED,
      conditions: { latencyMs: 20, jitterMs: 60, dropRate: 0.05 },
    });
    const { clock, links } = world;
    const rng = links.rng.fork();
    const relay = world.relay('eu-west-1');
    const likes = [world.client([relay.url]), world.client([relay.url])].map((c) =>
      c.counter('likes'),
    );
    const receipts: Receipt[] = [];
    for (let i = 0; i < 40; i++) {
      receipts.push(likes[i % 2]!.increment());
      await clock.advance(rng.int(50));
    }
    const replay = `(replay: HELIOS_SEED=${SEED})`;
    await clock.until(() => likes.every((l) => l.value === 40), `both clients read 40 ${replay}`);
    await clock.until(
      () => receipts.every((r) => reached(r, 'relay')),
      `every write acked ${replay}`,
    );
    expect(relay.value('likes'), replay).toBe(40);
    expect(links.stats.dropped, `the network lost nothing ${replay}`).toBeGreaterThan(0);
  });
});
