import {
  type AnyCrdtState,
  type AnyCrdtType,
  type CrdtState,
  newReplicaId,
  type ReplicaId,
} from '@helios/core';
import {
  decodeMessage,
  type ErrorEvent,
  encodeMessage,
  type Message,
  PROTOCOL_VERSION,
  type Welcome,
} from '@helios/core/protocol';
import { socketParser } from '@helios/transport';
import { io, type Socket } from 'socket.io-client';

/**
 * A minimal Helios protocol client for tests: one socket, documents held as plain CRDT
 * states, pushes with ids, and promises for acks. It speaks the wire protocol directly, so relay
 * tests do not depend on the client SDK.
 */
export class ProtocolClient {
  readonly replica: ReplicaId;
  readonly socket: Socket;
  readonly docs = new Map<string, { type: AnyCrdtType; state: AnyCrdtState }>();
  readonly errors: ErrorEvent[] = [];
  readonly received: Message[] = [];
  welcome: Welcome | undefined;
  #nextId = 1;
  readonly #acks = new Map<number, { resolve: () => void; reject: (e: ErrorEvent) => void }>();
  readonly #waiters: { test: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];

  constructor(
    url: string,
    options: {
      replica?: ReplicaId;
      token?: string;
      replicas?: ReplicaId[];
      /** Connect as a peer relay of this region instead of as a client. */
      peer?: string;
      /** The only transport to use (WebSocket by default, as the shipped clients do). */
      transport?: 'websocket' | 'polling';
      /** Ask for `region-replicated` notices (`HelloAuth.regionTrail`). */
      regionTrail?: boolean;
    } = {},
  ) {
    this.replica = options.replica ?? newReplicaId();
    this.socket = io(url, {
      auth: {
        protocol: PROTOCOL_VERSION,
        ...(options.peer !== undefined
          ? { peer: options.peer, relayId: `${options.peer}-test` }
          : { replicas: options.replicas ?? [this.replica] }),
        ...(options.token !== undefined ? { token: options.token } : {}),
        ...(options.regionTrail ? { regionTrail: true } : {}),
      },
      transports: [options.transport ?? 'websocket'],
      parser: socketParser,
      reconnection: false,
      forceNew: true,
    });
    this.socket.on('h', (payload: ArrayBuffer | Uint8Array) => this.#receive(payload));
  }

  /** Resolves once connected and welcomed; rejects with the relay's refusal. */
  async ready(): Promise<Welcome> {
    if (this.welcome) return this.welcome;
    const refused = new Promise<never>((_, reject) =>
      this.socket.once('connect_error', (err: Error & { data?: unknown }) => reject(err)),
    );
    return Promise.race([
      this.waitFor((m): m is Welcome => m.kind === 'welcome'),
      refused,
    ]) as Promise<Welcome>;
  }

  #receive(payload: ArrayBuffer | Uint8Array): void {
    const m = decodeMessage(payload instanceof Uint8Array ? payload : new Uint8Array(payload));
    this.received.push(m);
    switch (m.kind) {
      case 'welcome':
        this.welcome = m;
        break;
      case 'sync':
      case 'delta': {
        const doc = this.docs.get(m.doc);
        if (doc) doc.type.merge(doc.state, doc.type.decode(m.delta));
        break;
      }
      case 'ack':
        for (const id of m.ids) {
          this.#acks.get(id)?.resolve();
          this.#acks.delete(id);
        }
        break;
      case 'error':
        this.errors.push(m);
        if (m.push !== undefined) {
          this.#acks.get(m.push)?.reject(m);
          this.#acks.delete(m.push);
        }
        break;
    }
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const w = this.#waiters[i]!;
      if (w.test(m)) {
        this.#waiters.splice(i, 1);
        w.resolve(m);
      }
    }
  }

  /** Resolves with the next message that passes `test` (or one already received). */
  waitFor<M extends Message>(test: (m: Message) => m is M, timeoutMs = 10_000): Promise<M> {
    const seen = this.received.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise<M>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting (${timeoutMs} ms)`)),
        timeoutMs,
      );
      this.#waiters.push({
        test,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as M);
        },
      });
    });
  }

  sendRaw(bytes: Uint8Array): void {
    this.socket.emit('h', bytes);
  }

  send(message: Message): void {
    this.sendRaw(encodeMessage(message));
  }

  /** Subscribes and resolves when the relay's sync reply is merged. */
  async subscribe<S>(
    doc: string,
    type: AnyCrdtType,
    state: CrdtState<S> = type.empty(),
  ): Promise<void> {
    this.docs.set(doc, { type, state });
    this.send({
      kind: 'subscribe',
      docs: [{ doc, type: type.encode(type.empty()), digest: type.digest(state) }],
    });
    await this.waitFor(
      (m): m is Message => (m.kind === 'sync' || m.kind === 'error') && 'doc' in m && m.doc === doc,
    );
  }

  /** Applies `mutate`'s delta locally and pushes it; resolves on the relay's ack. */
  write(
    doc: string,
    mutate: (state: AnyCrdtState, me: { replica: ReplicaId }) => AnyCrdtState,
  ): Promise<void> {
    const entry = this.docs.get(doc);
    if (!entry) throw new Error(`not subscribed to ${doc}`);
    const delta = mutate(entry.state, { replica: this.replica });
    entry.type.merge(entry.state, delta);
    return this.pushBytes(doc, entry.type.encode(delta));
  }

  pushBytes(doc: string, delta: Uint8Array): Promise<void> {
    const id = this.#nextId++;
    const acked = new Promise<void>((resolve, reject) => this.#acks.set(id, { resolve, reject }));
    this.send({ kind: 'push', entries: [{ id, doc, delta }] });
    return acked;
  }

  // biome-ignore lint/suspicious/noExplicitAny: documents of any type.
  value(doc: string): any {
    const entry = this.docs.get(doc);
    return entry ? entry.type.value(entry.state) : undefined;
  }

  close(): void {
    this.socket.close();
  }
}

/** Polls `check` until it returns true or `timeoutMs` passes (then throws `message`). */
export async function eventually(
  check: () => boolean,
  message: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms: ${message}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
