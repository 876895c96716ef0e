import { join } from 'node:path';
import { AWSet } from '@helios/core';
import { freePort } from '@helios/test-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { proxiedLink } from './test-support/mesh-links.js';
import { PEER_TRANSPORTS } from './test-support/peer-transports.js';
import { eventually, ProtocolClient } from './test-support/protocol-client.js';
import { RelayProcess } from './test-support/relay-process.js';
import { tempDir } from './test-support/temp-dir.js';

let dir: { path: string; remove(): Promise<void> };
beforeAll(async () => {
  dir = await tempDir('helios-peer-kill-');
});
afterAll(async () => {
  await dir.remove();
});

const open: { close(): unknown }[] = [];
const relays: RelayProcess[] = [];
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
  for (const r of relays.splice(0)) await r.stop('SIGKILL');
});

async function startRelay(args: string[]): Promise<RelayProcess> {
  // RelayProcess spreads process.env under ours: blank out inherited HELIOS_* settings.
  const blank: Record<string, string> = {};
  for (const k of Object.keys(process.env)) if (k.startsWith('HELIOS_')) blank[k] = '';
  const relay = await RelayProcess.start(args, blank);
  relays.push(relay);
  return relay;
}

async function clientOf(url: string): Promise<ProtocolClient> {
  const c = new ProtocolClient(url);
  open.push(c);
  await c.ready();
  await c.subscribe('items', AWSet);
  return c;
}

/**
 * Streams writes of `${prefix}-0`, `${prefix}-1`, … without waiting for acks, one every
 * `everyMs`, until `stop()`; what was acknowledged lands in `acked`.
 */
function stream(c: ProtocolClient, prefix: string, acked: Set<string>, everyMs: number) {
  const pending: Promise<void>[] = [];
  let writing = true;
  const done = (async () => {
    for (let i = 0; writing; i++) {
      const item = `${prefix}-${i}`;
      pending.push(
        c
          .write('items', (s, me) => AWSet.add(s, me, item))
          .then(() => {
            acked.add(item);
          }),
      );
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    /**
     * Stops writing and waits for the acks, or with `close` ends the client instead: it hears
     * no more acks, so what it has is final (writes the killed relay never acked never settle).
     */
    async stop(close = false): Promise<void> {
      writing = false;
      await done;
      if (close) c.close();
      else await Promise.all(pending);
    },
  };
}

/** What a client that just subscribed sees: the relay's own state. */
async function itemsAt(url: string): Promise<Set<string>> {
  const c = await clientOf(url);
  const items = new Set(c.value('items') as Set<string>);
  c.close();
  return items;
}

const missing = (acked: ReadonlySet<string>, held: ReadonlySet<string>) =>
  [...acked].filter((item) => !held.has(item));

describe.each(PEER_TRANSPORTS)('a peer relay killed with SIGKILL, over %s', (peerTransport) => {
  it('while writes flow both ways: restarted, both regions hold every acked write', async () => {
    const [usPort, euPort] = [await freePort(), await freePort()];
    // us-east-1 reaches eu-west-1 through a proxy, to see which transport carries its link.
    const toEu = await proxiedLink(euPort, peerTransport, (p) => open.push(p));
    const argsOf = (region: string, port: number, peer: string, peerPort: number) => [
      ...['--region', region, '--port', String(port), '--anonymous'],
      ...['--db', join(dir.path, `${region}-${peerTransport}.sqlite`)],
      ...['--peer', `${peer}=http://127.0.0.1:${peerPort}`, '--peer-token', 'peer-secret'],
      ...['--peer-transport', peerTransport],
    ];
    const euArgs = argsOf('eu-west-1', euPort, 'us-east-1', usPort);
    const us = await startRelay(argsOf('us-east-1', usPort, 'eu-west-1', toEu.port));
    let eu = await startRelay(euArgs);

    const acked = new Set<string>();
    const atUs = stream(await clientOf(us.url), 'us', acked, 10);
    const atEu = stream(await clientOf(eu.url), 'eu', acked, 1);
    await new Promise((r) => setTimeout(r, 300));
    // Killed mid-stream: mid-commit, between commit and ack, or mid-batch towards us-east-1.
    await eu.stop('SIGKILL');
    await atEu.stop(true);
    // Down longer than a QUIC dial waits for an answer (3 s), so us-east-1's link goes through
    // a dial that neither transport answers: it must come back over QUIC all the same.
    await new Promise((r) => setTimeout(r, 3_500));
    await atUs.stop();
    eu = await startRelay(euArgs);
    const atEuAgain = stream(await clientOf(eu.url), 'eu-again', acked, 1);
    await new Promise((r) => setTimeout(r, 200));
    await atEuAgain.stop();
    expect(acked.size).toBeGreaterThan(0);

    for (const [region, url] of [
      ['us-east-1', us.url],
      ['eu-west-1', eu.url],
    ] as const) {
      // Bounded: a fresh client per look, at most 20 s.
      const deadline = Date.now() + 20_000;
      let lost = missing(acked, await itemsAt(url));
      while (lost.length > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        lost = missing(acked, await itemsAt(url));
      }
      console.log(
        `peer kill over ${peerTransport}: ${region} lost ${lost.length} of ${acked.size}`,
      );
      expect(lost).toEqual([]);
    }

    // The link us-east-1 → eu-west-1 runs over the chosen transport after the restart: a write
    // at eu-west-1 reaches us-east-1 through the TCP proxy only over WebSocket.
    const tcpBytes = toEu.bytesDown;
    const writer = await clientOf(eu.url);
    await writer.write('items', (s, me) => AWSet.add(s, me, 'after-restart'));
    const reader = await clientOf(us.url);
    await eventually(
      () => (reader.value('items') as Set<string>).has('after-restart'),
      'us-east-1 has the write made after the restart',
    );
    if (peerTransport === 'quic') expect(toEu.bytesDown).toBe(tcpBytes);
    else expect(toEu.bytesDown).toBeGreaterThan(tcpBytes);
  });
});
