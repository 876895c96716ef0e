import { MVRegister } from '@helios/core';
import type { ErrorEvent } from '@helios/core/protocol';
import { freePort, TcpProxy } from '@helios/test-kit';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createRelay, type Relay } from './relay.js';
import { MemoryStore } from './store/memory-store.js';
import { eventually, ProtocolClient } from './test-support/protocol-client.js';

/**
 * A dot names one write for good: its content is fixed where it is first merged. Clients cannot
 * change it (`dot-conflict`, `foreign-dot`); a replay is acknowledged but goes nowhere; a peer
 * region that brings a known dot with other content is not merged, and the relay counts it.
 */
const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
});

async function clientOf(url: string, replica?: string): Promise<ProtocolClient> {
  const c = new ProtocolClient(url, replica === undefined ? {} : { replica });
  open.push(c);
  await c.ready();
  return c;
}

function relayOf(region: string, peers: { region: string; url: string }[] = []): Relay {
  const relay = createRelay({
    region,
    store: new MemoryStore({ region }),
    anonymous: true,
    logger: pino({ level: 'silent' }),
    peers,
  });
  open.push(relay);
  return relay;
}

async function dotConflicts(relay: Relay): Promise<number> {
  const metric = await relay.metrics.dotConflicts.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}

describe('dot integrity', () => {
  it('refuses its owner rewriting a live dot; a replay of a superseded one is acked and goes nowhere', async () => {
    const { url } = await relayOf('us-east-1').listen();
    const writer = await clientOf(url);
    const reader = await clientOf(url);
    await writer.subscribe('note', MVRegister);
    await reader.subscribe('note', MVRegister);
    await writer.write('note', (s, me) => MVRegister.set(s, me, 'first'));
    const first = MVRegister.encode(MVRegister.set(MVRegister.empty(), writer, 'first'));
    const forged = MVRegister.encode(MVRegister.set(MVRegister.empty(), writer, 'forged'));
    await expect(writer.pushBytes('note', forged)).rejects.toMatchObject({ code: 'dot-conflict' });
    // A plain retransmission of the live write is acknowledged.
    await writer.pushBytes('note', first);
    await writer.write('note', (s, me) => MVRegister.set(s, me, 'second'));
    await eventually(() => reader.value('note')?.[0] === 'second', 'the reader sees "second"');
    // Dot 1 is superseded now: its content can no longer be checked, and no longer matters.
    const deltasBefore = reader.received.filter((m) => m.kind === 'delta').length;
    await writer.pushBytes('note', forged);
    // The replay is neither merged nor sent on: a fresh subscriber and the reader see "second".
    const late = await clientOf(url);
    await late.subscribe('note', MVRegister);
    expect(late.value('note')).toEqual(['second']);
    expect(reader.received.filter((m) => m.kind === 'delta').length).toBe(deltasBefore);
  });

  it('a writer that uses one replica id in two regions at once: the conflict is counted, not merged, and the next write repairs it', async () => {
    const [east, west] = [await freePort(), await freePort()];
    const eastToWest = new TcpProxy(west);
    const westToEast = new TcpProxy(east);
    open.push(eastToWest, westToEast);
    const toWest = await eastToWest.listen();
    const toEast = await westToEast.listen();
    eastToWest.cut();
    westToEast.cut();
    const eastRelay = relayOf('us-east-1', [{ region: 'eu-west-1', url: toWest }]);
    const westRelay = relayOf('eu-west-1', [{ region: 'us-east-1', url: toEast }]);
    const eastUrl = (await eastRelay.listen(east)).url;
    const westUrl = (await westRelay.listen(west)).url;

    const replica = 'equivocating';
    const inEast = await clientOf(eastUrl, replica);
    const inWest = await clientOf(westUrl, replica);
    await inEast.subscribe('note', MVRegister);
    await inWest.subscribe('note', MVRegister);
    // The same dot (replica:1) with two contents, one per region, while the link is down.
    await inEast.write('note', (s, me) => MVRegister.set(s, me, 'east'));
    await inWest.write('note', (s, me) => MVRegister.set(s, me, 'west'));
    eastToWest.heal();
    westToEast.heal();
    await waitFor(
      async () => (await dotConflicts(eastRelay)) > 0 && (await dotConflicts(westRelay)) > 0,
    );
    // Each region kept the content it merged first: the one entry differs until superseded.
    const readEast = await clientOf(eastUrl);
    const readWest = await clientOf(westUrl);
    await readEast.subscribe('note', MVRegister);
    await readWest.subscribe('note', MVRegister);
    expect(readEast.value('note')).toEqual(['east']);
    expect(readWest.value('note')).toEqual(['west']);
    // A later write supersedes the dot everywhere: the regions agree again.
    await inEast.write('note', (s, me) => MVRegister.set(s, me, 'settled'));
    await eventually(
      () => readEast.value('note')?.[0] === 'settled' && readWest.value('note')?.[0] === 'settled',
      'both regions read "settled"',
    );
    expect(readWest.value('note')).toEqual(['settled']);
    const refusals: ErrorEvent[] = [inEast, inWest].flatMap((c) => c.errors);
    expect(refusals).toEqual([]);
  });
});

/** Polls an asynchronous check until it holds, for at most 10 s. */
async function waitFor(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('not reached within 10 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}
