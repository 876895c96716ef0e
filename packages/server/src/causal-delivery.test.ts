import {
  type CrdtState,
  MVRegister,
  type MVRegisterState,
  newReplicaId,
  type Value,
} from '@helios/core';
import type { Message } from '@helios/core/protocol';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay, type Relay } from './relay.js';
import { MemoryStore } from './store/memory-store.js';
import { meshLinks } from './test-support/mesh-links.js';
import { eventually, ProtocolClient } from './test-support/protocol-client.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
  logs.clear();
});

const REGIONS = ['us', 'eu', 'sa'] as const;
type Region = (typeof REGIONS)[number];

/** What each relay logged (debug and up), by message. */
const logs = new Map<Region, string[]>();
const logged = (region: Region, text: string) =>
  (logs.get(region) ?? []).filter((m) => m.includes(text)).length;
const HELD = 'held back';
const FORCED = 'merged without them';

/** Three peered relays; `links.get('sa->eu')` is the proxy sa pulls eu's feed through. */
async function startMesh() {
  const { ports, links } = await meshLinks(REGIONS, (proxy) => open.push(proxy));
  const urls = new Map<Region, string>();
  for (const region of REGIONS) {
    const relay: Relay = createRelay({
      region,
      store: new MemoryStore({ region }),
      anonymous: true,
      logger: pino(
        { level: 'debug' },
        {
          write: (line: string) => {
            const list = logs.get(region) ?? [];
            list.push(JSON.parse(line).msg);
            logs.set(region, list);
          },
        },
      ),
      peers: REGIONS.filter((r) => r !== region).map((r) => ({
        region: r,
        url: links.get(`${region}->${r}`)!.url,
      })),
    });
    open.push(relay);
    urls.set(region, (await relay.listen(ports.get(region)!)).url);
  }
  return { urls, links };
}

async function clientOf(url: string): Promise<ProtocolClient> {
  const c = new ProtocolClient(url);
  open.push(c);
  await c.ready();
  return c;
}

/** Every value `client` held for `doc`, replaying the sync and delta messages it received. */
function valuesSeen(client: ProtocolClient, doc: string): Value[][] {
  const state: CrdtState<unknown> = MVRegister.empty();
  const values: Value[][] = [];
  for (const m of client.received as Message[]) {
    if ((m.kind === 'sync' || m.kind === 'delta') && m.doc === doc) {
      MVRegister.merge(state as never, MVRegister.decode(m.delta));
      values.push(MVRegister.value(state as never));
    }
  }
  return values;
}

describe('causal delivery between regions', () => {
  it('[v1, v3] is never shown where v2 comes late: the feed with v3 waits for the one with v2', async () => {
    const { urls, links } = await startMesh();
    // us writes v1; eu, having it, writes v2 (replacing v1); us, having v2, writes v3 (naming
    // only v2). sa gets us's feed at once and eu's feed late.
    const [a, c] = [await clientOf(urls.get('us')!), await clientOf(urls.get('us')!)];
    const b = await clientOf(urls.get('eu')!);
    const reader = await clientOf(urls.get('sa')!);
    for (const client of [a, b, c, reader]) await client.subscribe('note', MVRegister);
    links.get('sa->eu')!.cut();

    await a.write('note', (s, me) => MVRegister.set(s, me, 'v1'));
    await eventually(() => b.value('note').join() === 'v1', 'eu has v1');
    await eventually(() => reader.value('note').join() === 'v1', 'sa has v1');
    await b.write('note', (s, me) => MVRegister.set(s, me, 'v2'));
    await eventually(() => c.value('note').join() === 'v2', 'us has v2');
    await c.write('note', (s, me) => MVRegister.set(s, me, 'v3'));

    // sa has v3 in us's feed but not v2: it must keep showing v1 alone.
    const probe = await clientOf(urls.get('us')!);
    await probe.subscribe('note', MVRegister);
    expect(probe.value('note')).toEqual(['v3']);
    await eventually(() => logged('sa', HELD) > 0, 'v3 reaches sa and is held back');
    expect(reader.value('note')).toEqual(['v1']);

    links.get('sa->eu')!.heal();
    await eventually(() => reader.value('note').join() === 'v3', 'sa shows v3', 20_000);
    const seen = valuesSeen(reader, 'note').map((v) => v.join());
    expect(seen.filter((v) => v.includes('v1') && v.includes('v3'))).toEqual([]);
    expect([...new Set(seen)]).toEqual(['', 'v1', 'v2', 'v3']);
    // A new reader in sa reads the relay's own state: converged.
    const fresh = await clientOf(urls.get('sa')!);
    await fresh.subscribe('note', MVRegister);
    expect(fresh.value('note')).toEqual(['v3']);
  });

  it('a held entry holds up only its document; everything arrives', async () => {
    const { urls, links } = await startMesh();
    const us = await clientOf(urls.get('us')!);
    const eu = await clientOf(urls.get('eu')!);
    const reader = await clientOf(urls.get('sa')!);
    for (const client of [us, eu, reader]) await client.subscribe('note', MVRegister);
    for (const client of [us, eu, reader]) await client.subscribe('other', MVRegister);
    links.get('sa->eu')!.cut();

    await eu.write('note', (s, me) => MVRegister.set(s, me, 'from-eu'));
    await eventually(() => us.value('note').join() === 'from-eu', 'us has it');
    // us replaces eu's write, then writes another document: sa holds the first back only.
    await us.write('note', (s, me) => MVRegister.set(s, me, 'from-us'));
    for (let i = 0; i < 5; i++) await us.write('other', (s, me) => MVRegister.set(s, me, i));
    await eventually(() => reader.value('other').join() === '4', 'the other document flows');
    expect(logged('sa', HELD)).toBeGreaterThan(0);
    expect(reader.value('note')).toEqual([]);

    links.get('sa->eu')!.heal();
    await eventually(() => reader.value('note').join() === 'from-us', 'sa has it all', 20_000);
    const seen = valuesSeen(reader, 'note').map((v) => v.join());
    expect([...new Set(seen)]).toEqual(['', 'from-eu', 'from-us']);
    expect(logged('sa', FORCED)).toBe(0);
  });

  it('tabs pushing a write after the one that replaced it: the later entry of the same feed counts', async () => {
    const { urls } = await startMesh();
    // w by one client; then two tabs of one profile (replicas t1, t2, one connection here: a
    // relay lets a tab write as any of its profile's replicas): x replaces w, y replaces x, and y
    // reaches the relay first. us commits y, then x (which still removes w there), and sa gets
    // them in that order: y names x, which comes behind it in the same feed.
    const w = await clientOf(urls.get('us')!);
    const reader = await clientOf(urls.get('sa')!);
    await w.subscribe('note', MVRegister);
    await reader.subscribe('note', MVRegister);
    await w.write('note', (s, me) => MVRegister.set(s, me, 'w'));
    await eventually(() => reader.value('note').join() === 'w', 'sa has w');
    const [t1, t2] = [newReplicaId(), newReplicaId()];
    const state: MVRegisterState = MVRegister.clone(w.docs.get('note')!.state as MVRegisterState);
    const x = MVRegister.set(state, { replica: t1 }, 'x');
    MVRegister.merge(state, x);
    const y = MVRegister.set(state, { replica: t2 }, 'y');
    const tabs = new ProtocolClient(urls.get('us')!, { replicas: [t1, t2] });
    open.push(tabs);
    await tabs.ready();
    await tabs.pushBytes('note', MVRegister.encode(y));
    await tabs.pushBytes('note', MVRegister.encode(x));
    await eventually(() => reader.value('note').join() === 'y', 'sa shows y', 20_000);
    // sa did not wait out the time limit for x: it came behind y in us's feed.
    expect(logged('sa', FORCED)).toBe(0);
    const fresh = await clientOf(urls.get('sa')!);
    await fresh.subscribe('note', MVRegister);
    expect(fresh.value('note')).toEqual(['y']);
  });
});
