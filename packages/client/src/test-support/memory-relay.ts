import { type CrdtState, type CrdtType, typeOfEncoded } from '@helios/core';
import {
  decodeMessage,
  encodeMessage,
  type Message,
  PROTOCOL_VERSION,
  type PushEntry,
} from '@helios/core/protocol';
import type { Clock } from '../clock.js';
import type { MemoryPeer, MemoryRefusal, MemoryTransport } from '../transport/memory-transport.js';

export interface MemoryRelayOptions {
  readonly url: string;
  readonly region: string;
  readonly clock: Clock;
  /**
   * Admits a handshake (returns anything) or refuses it (throws; the error's `code`, default
   * `unauthenticated`, is the refusal's). Default: everyone.
   */
  readonly authenticate?: (hello: MemoryPeer['hello']) => unknown;
  /**
   * Peer regions it pretends to replicate to: each has a push at once after the ack, told (to a
   * client that asked, `regionTrail`) as `region-replicated` in this order, then `replicated`.
   * Default: none (one region).
   */
  readonly peerRegions?: readonly string[];
}

interface Doc {
  readonly type: CrdtType<unknown, unknown>;
  readonly state: CrdtState<unknown>;
}

/**
 * A stand-in relay for client tests on a {@link MemoryTransport}: it speaks the client protocol
 * over in-memory connections and does what a single relay's clients see, built on
 * `@helios/core`'s merge and codec only: a welcome, a sync reply with its whole state, pushes
 * merged, acknowledged, replicated (one region: at once) and fanned out to subscribers.
 *
 * It validates nothing (no context, rights or rate checks), peers with no one and stores nothing:
 * tests of those relay behaviours run against real relays (`Resources` in harness.ts).
 */
export class MemoryRelay {
  readonly url: string;
  readonly #options: MemoryRelayOptions;
  readonly #docs = new Map<string, Doc>();
  readonly #subscribers = new Map<string, Set<MemoryPeer>>();
  /** Every message a client sent, decoded, in order. */
  readonly received: Message[] = [];
  /** Every message this relay sent, in order. */
  readonly sent: Message[] = [];
  /** Refuses the pushes `refuse` picks with its code (instead of merging them). */
  refuse: ((entry: PushEntry) => string | undefined) | undefined;

  constructor(transport: MemoryTransport, options: MemoryRelayOptions) {
    this.url = options.url;
    this.#options = options;
    transport.listen(options.url, (peer) => this.#admit(peer));
  }

  /** The relay's value of `doc`, if it has the document. */
  value(doc: string): unknown {
    const d = this.#docs.get(doc);
    return d?.type.value(d.state);
  }

  async #admit(peer: MemoryPeer): Promise<MemoryRefusal | undefined> {
    try {
      await this.#options.authenticate?.(peer.hello);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      return {
        code: typeof code === 'string' ? code : 'unauthenticated',
        message: (err as Error).message,
      };
    }
    peer.onMessage = (bytes) => this.#receive(peer, decodeMessage(bytes));
    peer.onClose = () => {
      for (const peers of this.#subscribers.values()) peers.delete(peer);
    };
    this.#send(peer, {
      kind: 'welcome',
      protocol: PROTOCOL_VERSION,
      region: this.#options.region,
      relayId: `memory-${this.#options.region}`,
      time: this.#options.clock.now(),
      limits: { maxMessageBytes: 1 << 20, maxDeltasPerSecond: 1_000, maxDriftMs: 60_000 },
    });
    return undefined;
  }

  #receive(peer: MemoryPeer, message: Message): void {
    this.received.push(message);
    if (message.kind === 'subscribe') {
      for (const sub of message.docs) {
        const doc = this.#doc(sub.doc, sub.type);
        const peers = this.#subscribers.get(sub.doc) ?? new Set();
        peers.add(peer);
        this.#subscribers.set(sub.doc, peers);
        const delta = doc.type.deltaSince(doc.state, sub.digest);
        this.#send(peer, { kind: 'sync', doc: sub.doc, delta: doc.type.encode(delta) });
      }
    } else if (message.kind === 'push') {
      const acked: number[] = [];
      const replicated: Message[] = [];
      for (const entry of message.entries) {
        const code = this.refuse?.(entry);
        if (code !== undefined) {
          const message = `refused: ${code}`;
          this.#send(peer, {
            kind: 'error',
            code,
            message,
            push: entry.id,
            doc: entry.doc,
          } as Message);
          continue;
        }
        const doc = this.#docs.get(entry.doc) ?? this.#doc(entry.doc, undefined, entry.delta);
        const delta = doc.type.decode(entry.delta);
        doc.type.merge(doc.state, delta);
        acked.push(entry.id);
        for (const other of this.#subscribers.get(entry.doc) ?? []) {
          this.#send(other, { kind: 'delta', doc: entry.doc, delta: entry.delta });
        }
        const regions = peer.hello.regionTrail ? (this.#options.peerRegions ?? []) : [];
        for (const region of regions) {
          replicated.push({
            kind: 'region-replicated',
            doc: entry.doc,
            region,
            dots: delta.context,
          });
        }
        replicated.push({ kind: 'replicated', doc: entry.doc, dots: delta.context });
      }
      // One region: durable everywhere once acknowledged, and said so after the ack.
      if (acked.length > 0) this.#send(peer, { kind: 'ack', ids: acked });
      for (const m of replicated) this.#send(peer, m);
    }
  }

  /** The document `id`, created empty of the type its encoded empty state (or a delta) names. */
  #doc(id: string, typeBytes: Uint8Array | undefined, delta?: Uint8Array): Doc {
    let doc = this.#docs.get(id);
    if (!doc) {
      const type = typeOfEncoded((typeBytes ?? delta)!) as CrdtType<unknown, unknown>;
      doc = { type, state: type.empty() };
      this.#docs.set(id, doc);
    }
    return doc;
  }

  /** The messages of `kind` (about `doc`, if given) this relay sent. */
  sentOf(kind: Message['kind'], doc?: string): Message[] {
    return this.sent.filter(
      (m) => m.kind === kind && (doc === undefined || ('doc' in m && m.doc === doc)),
    );
  }

  #send(peer: MemoryPeer, message: Message): void {
    this.sent.push(message);
    peer.send(encodeMessage(message));
  }
}
