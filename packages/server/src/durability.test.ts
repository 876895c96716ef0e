import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AWSet, newReplicaId } from '@helios/core';
import { freePort } from '@helios/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { ProtocolClient } from './test-support/protocol-client.js';
import { RelayProcess } from './test-support/relay-process.js';

const dir = mkdtempSync(join(tmpdir(), 'helios-durability-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ROUNDS = Number(process.env.HELIOS_DURABILITY_ROUNDS ?? 50);

describe('durability under SIGKILL', () => {
  it(`every acked delta survives ${ROUNDS} random kills of the relay`, async () => {
    const db = join(dir, 'relay.sqlite');
    const port = await freePort();
    const args = ['--region', 'us-east-1', '--port', String(port), '--db', db, '--anonymous'];
    const replica = newReplicaId();
    const acked = new Set<string>();
    let sent = 0;
    let kills = 0;

    for (let round = 0; round < ROUNDS; round++) {
      const relay = await RelayProcess.start(args);
      const client = new ProtocolClient(relay.url, { replica });
      await client.ready();
      await client.subscribe('items', AWSet);
      // Stream pushes without waiting for acks, a few per millisecond, and kill the relay at a
      // random moment of the stream: mid-commit, between commit and ack, or while idle.
      const killAfterMs = 20 + Math.random() * 150;
      const started = Date.now();
      const pending: Promise<void>[] = [];
      while (Date.now() - started < killAfterMs) {
        for (let i = 0; i < 5; i++) {
          const item = `r${round}-${sent++}`;
          pending.push(
            client
              .write('items', (s, me) => AWSet.add(s, me, item))
              .then(
                () => void acked.add(item),
                () => {},
              ),
          );
        }
        await new Promise((r) => setTimeout(r, 1));
      }
      await relay.stop('SIGKILL');
      kills++;
      client.close();
      await Promise.allSettled(
        pending.map((p) => Promise.race([p, new Promise((r) => setTimeout(r, 200))])),
      );
    }

    const relay = await RelayProcess.start(args);
    const reader = new ProtocolClient(relay.url);
    await reader.ready();
    await reader.subscribe('items', AWSet);
    const items = reader.value('items') as Set<string>;
    const lost = [...acked].filter((item) => !items.has(item));
    reader.close();
    await relay.stop();
    console.log(
      `durability: ${kills} SIGKILL rounds, ${sent} pushes sent, ${acked.size} acked, ${items.size} present, acked lost: ${lost.length}`,
    );
    expect(acked.size).toBeGreaterThan(ROUNDS);
    expect(lost).toEqual([]);
  });
});
