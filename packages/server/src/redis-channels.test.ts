import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { AWSet } from '@helios/core';
import { pino } from 'pino';
import { createClient } from 'redis';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RelayOptions } from './options.js';
import { RedisChannelError, redisChannelKey } from './redis-channels.js';
import { createRelay, type Relay } from './relay.js';
import { MemoryStore } from './store/memory-store.js';
import { eventually, ProtocolClient } from './test-support/protocol-client.js';
import { checkTestRedis, TEST_REDIS_URL } from './test-support/redis.js';
import { RelayProcess } from './test-support/relay-process.js';
import { tempDir } from './test-support/temp-dir.js';

/**
 * Relays on one Redis, each with its own in-memory store: whatever one relay's clients see of
 * another relay's writes came through Redis. Deployment names carry a random suffix, so other
 * runs on the same Redis are other deployments.
 */
const RUN = randomBytes(4).toString('hex');
const relays: Relay[] = [];
const clients: ProtocolClient[] = [];

beforeAll(checkTestRedis);

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const r of relays.splice(0)) await r.close();
});

async function startRelay(options: Partial<RelayOptions> & { region: string }): Promise<string> {
  const relay = createRelay({
    store: new MemoryStore({ region: options.region }),
    anonymous: true,
    redisUrl: TEST_REDIS_URL,
    logger: pino({ level: 'silent' }),
    ...options,
  });
  relays.push(relay);
  return (await relay.listen(0)).url;
}

async function subscriber(url: string, doc: string): Promise<ProtocolClient> {
  const c = new ProtocolClient(url);
  clients.push(c);
  await c.ready();
  await c.subscribe(doc, AWSet);
  return c;
}

/** The adapter's request channels (subscribed by name, not pattern) under `key`. */
/**
 * The request channels subscribed under `key`, once there are any (for at most 5 s): the
 * adapter subscribes without being awaited, so a relay may be listening a moment before.
 */
async function requestChannels(key: string): Promise<string[]> {
  const redis = createClient({ url: TEST_REDIS_URL });
  await redis.connect();
  try {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const channels = (await redis.pubSubChannels(`${key}-request*`)).sort();
      if (channels.length > 0 || Date.now() > deadline) return channels;
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await redis.close();
  }
}

const items = (c: ProtocolClient, doc: string) => [...(c.value(doc) as Set<string>)].sort();

describe('Redis channels per deployment and region', () => {
  it('live writes reach the nodes of the same deployment and region, and no other', async () => {
    const doc = 'cart';
    const prod = `prod-${RUN}`;
    const prodA = await startRelay({ region: 'us-east-1', deployment: prod });
    const prodB = await startRelay({ region: 'us-east-1', deployment: prod });
    const staging = await startRelay({ region: 'us-east-1', deployment: `staging-${RUN}` });
    const prodEu = await startRelay({ region: 'eu-west-1', deployment: prod });
    const a = await subscriber(prodA, doc);
    const b = await subscriber(prodB, doc);
    const s = await subscriber(staging, doc);
    const e = await subscriber(prodEu, doc);

    await a.write(doc, (st, me) => AWSet.add(st, me, 'prod-1'));
    await eventually(() => items(b, doc).includes('prod-1'), 'prod node B sees prod-1');
    await s.write(doc, (st, me) => AWSet.add(st, me, 'staging'));
    await e.write(doc, (st, me) => AWSet.add(st, me, 'prod-eu'));
    // Redis delivers one subscriber connection's messages in publish order: once node B has
    // prod-2, every node would have received the staging and eu writes published before it.
    await a.write(doc, (st, me) => AWSet.add(st, me, 'prod-2'));
    await eventually(() => items(b, doc).includes('prod-2'), 'prod node B sees prod-2');
    await new Promise((r) => setTimeout(r, 200));

    expect(items(a, doc)).toEqual(['prod-1', 'prod-2']);
    expect(items(b, doc)).toEqual(['prod-1', 'prod-2']);
    expect(items(s, doc)).toEqual(['staging']);
    expect(items(e, doc)).toEqual(['prod-eu']);
    // Each node's own state, which a new subscriber is sent, went through the cross-node
    // messages (serverSideEmit) rather than the room broadcasts: those are namespaced too.
    expect(items(await subscriber(prodB, doc), doc)).toEqual(['prod-1', 'prod-2']);
    expect(items(await subscriber(staging, doc), doc)).toEqual(['staging']);
    expect(items(await subscriber(prodEu, doc), doc)).toEqual(['prod-eu']);
  });

  it('without a deployment name the channels are helios:default:<region>', async () => {
    const region = `r-${RUN}`;
    await startRelay({ region });
    expect(await requestChannels(`helios:default:${region}`)).toEqual([
      `helios:default:${region}-request#/#`,
    ]);
  });

  it('the CLI takes the deployment from --deployment or HELIOS_DEPLOYMENT', async () => {
    const dir = await tempDir('helios-redis-');
    const cli = (deployment: string) => [
      '--region',
      'us-east-1',
      '--port',
      '0',
      '--db',
      join(dir.path, `${deployment}.sqlite`),
      '--redis',
      TEST_REDIS_URL,
      '--anonymous',
    ];
    const started: RelayProcess[] = [];
    try {
      started.push(await RelayProcess.start([...cli('flag'), '--deployment', `flag-${RUN}`]));
      started.push(await RelayProcess.start(cli('env'), { HELIOS_DEPLOYMENT: `env-${RUN}` }));
      for (const name of [`flag-${RUN}`, `env-${RUN}`]) {
        expect(await requestChannels(`helios:${name}:us-east-1`)).toEqual([
          `helios:${name}:us-east-1-request#/#`,
        ]);
      }
    } finally {
      for (const p of started) await p.stop('SIGKILL');
      await dir.remove();
    }
  });

  it('names that cannot be part of a channel prefix are refused at createRelay', () => {
    expect(redisChannelKey('prod', 'us-east-1')).toBe('helios:prod:us-east-1');
    const store = new MemoryStore({ region: 'us-east-1' });
    const refused = (options: Partial<RelayOptions>) => {
      try {
        createRelay({
          region: 'us-east-1',
          store,
          anonymous: true,
          logger: pino({ level: 'silent' }),
          ...options,
        });
      } catch (err) {
        return err;
      }
      return undefined;
    };
    for (const deployment of ['', 'prod*', 'prod#1', 'a:b', '-x', 'x'.repeat(65)]) {
      const err = refused({ deployment, redisUrl: TEST_REDIS_URL });
      expect(err, deployment).toBeInstanceOf(RedisChannelError);
      expect(err).toMatchObject({ code: 'bad-deployment' });
    }
    expect(refused({ region: 'us east', redisUrl: TEST_REDIS_URL })).toMatchObject({
      name: 'RedisChannelError',
      code: 'bad-region',
    });
    // Without Redis, neither name goes into a channel.
    expect(refused({ region: 'us east', deployment: 'a:b' })).toBeUndefined();
  });
});
