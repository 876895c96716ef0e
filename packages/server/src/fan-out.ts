import type { AnyCrdtState } from '@helios/core';
import type { RelayDocument } from './documents.js';

interface Pending {
  readonly bytes: Uint8Array[];
  readonly deltas: AnyCrdtState[];
  readonly origins: Set<string | undefined>;
}

/**
 * Fans committed deltas out to a document's subscribers once per tick: the deltas one group
 * commit brought to a document (all resolved in the same microtask run) are joined into a
 * single delta and sent as one message. A busy document then costs one broadcast per commit,
 * not one per write; joins are idempotent, so a writer receiving its own delta back inside the
 * joined one is harmless.
 */
export class FanOut {
  readonly #emit: (doc: RelayDocument, delta: Uint8Array, except: string | undefined) => void;
  readonly #pending = new Map<RelayDocument, Pending>();
  #scheduled = false;

  /** `emit` sends one encoded delta to the document's room, except to socket `except`. */
  constructor(emit: (doc: RelayDocument, delta: Uint8Array, except: string | undefined) => void) {
    this.#emit = emit;
  }

  /** Queues a committed delta (its bytes and decoded form) written through `origin`. */
  add(
    doc: RelayDocument,
    bytes: Uint8Array,
    delta: AnyCrdtState,
    origin: string | undefined,
  ): void {
    let pending = this.#pending.get(doc);
    if (pending === undefined) {
      pending = { bytes: [], deltas: [], origins: new Set() };
      this.#pending.set(doc, pending);
    }
    pending.bytes.push(bytes);
    pending.deltas.push(delta);
    pending.origins.add(origin);
    if (this.#scheduled) return;
    this.#scheduled = true;
    // A tick, not setImmediate: the messages then leave in the same write as the commit's acks
    // (see write-coalescing.ts) instead of one event-loop iteration later.
    process.nextTick(() => this.flush());
  }

  /** Sends everything queued now. */
  flush(): void {
    this.#scheduled = false;
    const batch = [...this.#pending];
    this.#pending.clear();
    for (const [doc, { bytes, deltas, origins }] of batch) {
      const only = origins.size === 1 ? [...origins][0] : undefined;
      if (bytes.length === 1) {
        this.#emit(doc, bytes[0]!, only);
        continue;
      }
      const joined = doc.type.clone(deltas[0]!);
      for (let i = 1; i < deltas.length; i++) doc.type.merge(joined, deltas[i]!);
      this.#emit(doc, doc.type.encode(joined), only);
    }
  }
}
