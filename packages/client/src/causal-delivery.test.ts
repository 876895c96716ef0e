import 'fake-indexeddb/auto';
import { MVRegister, type MVRegisterState, newReplicaId } from '@helios/core';
import { encodeMessage, PROTOCOL_VERSION } from '@helios/core/protocol';
import { socketParser } from '@helios/transport';
import { io } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { MVRegisterHandle } from './handles.js';
import { tabChannelName } from './tab-channel.js';
import { freshDb, Resources, sleep, until } from './test-support/harness.js';

/**
 * A reader never shows a value next to one its writer had replaced (docs/architecture.md
 * §2.1): deltas that arrive before a write they replace wait for it.
 */
const res = new Resources();
afterEach(() => res.closeAll());

/** v1 by one replica; v2 by another, replacing v1; v3 by a third, replacing v2 (naming only v2). */
function chain(): [Uint8Array, Uint8Array, Uint8Array] {
  const state: MVRegisterState = MVRegister.empty();
  const out = ['v1', 'v2', 'v3'].map((value) => {
    const delta = MVRegister.set(state, { replica: newReplicaId() }, value);
    MVRegister.merge(state, delta);
    return MVRegister.encode(delta);
  });
  return out as [Uint8Array, Uint8Array, Uint8Array];
}

/** Every value the handle showed, from now on. */
function record(handle: MVRegisterHandle<string>): string[] {
  const shown: string[] = [handle.values.join()];
  handle.subscribe(() => shown.push(handle.values.join()));
  return shown;
}

let posted = 0;

/** Posts a write as another tab of the profile would, once stored. */
function fromAnotherTab(dbName: string, doc: string, delta: Uint8Array): void {
  const channel = new BroadcastChannel(tabChannelName(dbName));
  const commit = ++posted;
  channel.postMessage({
    kind: 'writes',
    tab: 'another',
    commit,
    writes: [{ doc, delta }],
    stored: true,
  });
  channel.close();
}

/** A bare protocol connection that pushes deltas as `replicas`. */
async function rawWriter(url: string, replicas: string[]) {
  const socket = io(url, {
    auth: { protocol: PROTOCOL_VERSION, replicas },
    transports: ['websocket'],
    parser: socketParser,
    forceNew: true,
    reconnection: false,
  });
  await new Promise((resolve) => socket.once('connect', () => resolve(undefined)));
  let id = 0;
  return {
    push(doc: string, delta: Uint8Array): void {
      socket.emit('h', encodeMessage({ kind: 'push', entries: [{ id: ++id, doc, delta }] }));
    },
    close: () => socket.close(),
  };
}

describe('causal delivery in the client', () => {
  it("another tab's writes out of order: v3 and v2 wait for v1, [v1, v3] is never shown", async () => {
    const dbName = freshDb();
    const client = res.client(['http://127.0.0.1:9'], { dbName, offline: true });
    const note = client.mvRegister<string>('note');
    await note.loaded;
    const shown = record(note);
    const [v1, v2, v3] = chain();
    fromAnotherTab(dbName, 'note', v3);
    fromAnotherTab(dbName, 'note', v2);
    await sleep(50);
    expect(note.values).toEqual([]);
    fromAnotherTab(dbName, 'note', v1);
    await until(() => note.values.join() === 'v3', 'v3 shows');
    expect(shown).toEqual(['', 'v1', 'v2', 'v3']);
  });

  it("a held write is released by the relay's sync reply, which brings what it waits for", async () => {
    const { url } = await res.relay({ region: 'us-east-1' });
    const dbName = freshDb();
    const client = res.client([url], { dbName });
    const note = client.mvRegister<string>('note');
    await note.loaded;
    const [v1, v2, v3] = chain();
    const writer = res.track(
      await rawWriter(url, [
        MVRegister.decode(v1).store[0]!.replica,
        MVRegister.decode(v2).store[0]!.replica,
      ]),
    );
    writer.push('note', v1);
    await until(() => note.values.join() === 'v1', 'v1 arrives');
    const shown = record(note);

    client.setOnline(false);
    writer.push('note', v2); // the relay has v2; this client, offline, does not
    await sleep(100);
    fromAnotherTab(dbName, 'note', v3);
    await sleep(50);
    expect(note.values).toEqual(['v1']);

    client.setOnline(true);
    await until(() => note.values.join() === 'v3', 'v3 shows after the sync reply');
    expect(shown).toEqual(['v1', 'v2', 'v3']);
  });

  it('three regions, a slow link: a client in the region it reaches late never shows [v1, v3]', async () => {
    const mesh = await res.mesh(['us', 'eu', 'sa']);
    const [a, c] = [res.client([mesh.url('us')]), res.client([mesh.url('us')])];
    const b = res.client([mesh.url('eu')]);
    const reader = res.client([mesh.url('sa')]);
    const [noteA, noteB, noteC, noteR] = [a, b, c, reader].map((x) => x.mvRegister<string>('note'));
    await Promise.all([noteA, noteB, noteC, noteR].map((n) => n!.loaded));
    await until(
      () => [a, b, c, reader].every((x) => x.status.connection === 'online'),
      'all online',
    );
    const shown = record(noteR!);
    mesh.links.get('sa->eu')!.cut();

    await noteA!.set('v1').wait('relay');
    await until(() => noteB!.values.join() === 'v1', 'eu has v1');
    await until(() => noteR!.values.join() === 'v1', 'sa has v1');
    await noteB!.set('v2').wait('relay');
    await until(() => noteC!.values.join() === 'v2', 'us has v2');
    await noteC!.set('v3').wait('relay');
    await sleep(300); // v3 reaches sa, and waits there for v2
    expect(noteR!.values).toEqual(['v1']);

    mesh.links.get('sa->eu')!.heal();
    await until(() => noteR!.values.join() === 'v3', 'sa shows v3', 20_000);
    expect(shown.filter((v) => v.includes('v1') && v.includes('v3'))).toEqual([]);
    expect([...new Set(shown)]).toEqual(['', 'v1', 'v2', 'v3']);
  });
});
