import { type CausalContext, type CrdtState, DecodeError } from '@helios/core';
import type { Message } from '@helios/core/protocol';
import { CausalGate, HOLD_MAX_MS, type Incoming } from './causal-gate.js';
import type { ClientStorage } from './client-storage.js';
import type { Clock } from './clock.js';
import type { AnyDocument, DocumentRegistry } from './document-registry.js';
import type { QueuedWrite } from './queued-write.js';
import type { RelayConnection } from './relay-connection.js';
import type { ClientStatus } from './status.js';
import { foldStored } from './stored-state.js';

export interface SyncSessionOptions {
  readonly clock: Clock;
  readonly documents: DocumentRegistry;
  readonly storage: ClientStorage;
  readonly connection: RelayConnection;
  /**
   * Resolves when documents may be read: storage is open and the replica slot's lock is held (a
   * read begun before could miss the slot's last holder's final commits).
   */
  readonly readable: () => Promise<unknown>;
  /**
   * Resolves when the client can write (a replica slot is held): a document is loaded, and takes
   * writes, once it is read and this resolved, whichever comes last.
   */
  readonly ready: () => Promise<void>;
  /** Stores a delta from the relay that brought something. */
  readonly store: (write: QueuedWrite) => void;
  /**
   * A document starts empty though storage may hold dots of this client's replica id (its load
   * failed): resolves once writes mint under an id that cannot have minted them.
   */
  readonly lost: () => Promise<void>;
  /** Reports a document that could not be loaded, decoded or merged. */
  readonly onError: (error: NonNullable<ClientStatus['lastError']>) => void;
  readonly isClosed: () => boolean;
  /**
   * A merge brought dots the document had not seen (`fresh`) and changed it: where its conflicts
   * are described (the event stream).
   */
  readonly merged?: (doc: AnyDocument, delta: CrdtState<unknown>, fresh: CausalContext) => void;
}

/**
 * How remote state gets into the open documents: loading them from local storage, subscribing
 * them on each connection, merging the relay's sync replies and deltas and other tabs' writes,
 * and holding deltas that arrive before what they replace (see {@link CausalGate}) until they
 * are ready or a repair brings what they wait for.
 */
export class SyncSession {
  readonly #options: SyncSessionOptions;
  /** Other tabs' writes to documents still loading. */
  readonly #early = new Map<string, Uint8Array[]>();
  /** Per document: deltas held until causally ready, and whether its sync reply came. */
  readonly #gates = new Map<string, CausalGate>();

  constructor(options: SyncSessionOptions) {
    this.#options = options;
  }

  /** Loads a document just opened from local storage, then subscribes it. */
  async load(doc: AnyDocument): Promise<void> {
    let failed = false;
    try {
      await this.#options.readable();
      const stored = await this.#options.storage.current.load(doc.id);
      // Nothing is in memory yet (writes wait for the load): the snapshot is the state.
      if (stored.snapshot) doc.adopt(doc.type.decodeStored(stored.snapshot));
      for (const delta of stored.deltas) doc.type.merge(doc.state, doc.type.decodeStored(delta));
      doc.storedSinceSnapshot = stored.deltas.length;
      doc.storedBytesSinceSnapshot = stored.deltas.reduce((sum, d) => sum + d.length, 0);
      doc.snapshotBytes = stored.snapshot?.length ?? 0;
    } catch (err) {
      // Unreadable local data must not block the app: start empty; the relay fills it in.
      this.#options.onError({ code: 'load-failed', message: (err as Error).message, doc: doc.id });
      failed = true;
    }
    await this.#options.ready().catch(() => {}); // a failed start fails the writes, not the load
    // Writes wait for this: the lost state may hold dots our id would otherwise mint again.
    if (failed) await this.#options.lost().catch(() => {});
    // Other tabs' writes that came while loading: they wait for what they replace like any other.
    for (const bytes of this.#early.get(doc.id) ?? []) {
      const delta = this.#decode(doc, bytes);
      if (delta) this.#offer(doc, { delta, bytes, fromRelay: false });
    }
    this.#early.delete(doc.id);
    doc.finishLoading();
    this.#subscribe([doc]);
  }

  /** A new connection: its deltas are in causal order only after each document's sync reply. */
  connected(): void {
    for (const gate of this.#gates.values()) gate.synced = false;
    this.#subscribe(this.#options.documents.documents().filter((d) => d.isLoaded));
  }

  /** A relay's `sync` reply or `delta` event. */
  received(message: Extract<Message, { kind: 'sync' | 'delta' }>): void {
    const doc = this.#options.documents.get(message.doc);
    if (!doc?.isLoaded) return;
    const delta = this.#decode(doc, message.delta);
    if (!delta) return;
    const incoming: Incoming = { delta, bytes: message.delta, fromRelay: true };
    const gate = this.#gateOf(doc);
    if (message.kind === 'delta' && !gate.synced) {
      // Before this connection's sync reply the relay's deltas may race it: held if early.
      this.#offer(doc, incoming);
      return;
    }
    // A sync reply is a state; the relay's deltas after it come in causal order (CausalGate).
    this.#mergeIncoming(doc, incoming);
    if (message.kind === 'sync') gate.synced = true;
    this.#releaseHeld(doc, message.kind === 'sync' ? undefined : delta);
  }

  /** Another tab's write, which it stored before sharing it. */
  fromOtherTab(id: string, bytes: Uint8Array): void {
    const doc = this.#options.documents.get(id);
    if (!doc) return;
    if (!doc.isLoaded) {
      // Loading may have read storage before the other tab committed: apply after loading.
      const early = this.#early.get(id) ?? [];
      early.push(bytes);
      this.#early.set(id, early);
      return;
    }
    const delta = this.#decode(doc, bytes);
    if (delta) this.#offer(doc, { delta, bytes, fromRelay: false });
  }

  /** Stops every hold timer. */
  close(): void {
    for (const gate of this.#gates.values()) gate.settle();
  }

  #subscribe(docs: readonly AnyDocument[]): void {
    // Unsent anyway, and the next connection subscribes every loaded document: a digest lists
    // every live dot, which for a lazily decoded snapshot means decoding all of it, and an
    // offline start (or one still dialling) must not pay that before its first value.
    if (docs.length === 0 || !this.#options.connection.connected) return;
    this.#options.connection.send({
      kind: 'subscribe',
      docs: docs.map((d) => ({
        doc: d.id,
        type: d.type.encode(d.type.empty()),
        digest: d.type.digest(d.state),
      })),
    });
  }

  /** Decodes a delta for `doc`; undecodable bytes are reported and give undefined. */
  #decode(doc: AnyDocument, bytes: Uint8Array): CrdtState<unknown> | undefined {
    try {
      return doc.type.decode(bytes);
    } catch (err) {
      const code = err instanceof DecodeError ? `decode/${err.code}` : 'merge-failed';
      this.#options.onError({ code, message: (err as Error).message, doc: doc.id });
      return undefined;
    }
  }

  /**
   * Merges a delta into a document. Returns whether it is worth storing: it brought a dot the
   * document had not seen, or changed its store. Dots alone do not tell: a delta of known dots
   * can still remove an entry (a relay's sync reply after the relay took in deltas out of
   * order, typically). False for a relay's copy of our own or another tab's write, and for an
   * empty sync reply.
   */
  #mergeQuietly(doc: AnyDocument, delta: CrdtState<unknown>): boolean {
    try {
      const known = doc.state.context.includes(delta.context);
      const fresh = known ? undefined : delta.context.subtract(doc.state.context);
      const changed = doc.apply(delta);
      if (changed && fresh) this.#options.merged?.(doc, delta, fresh);
      return changed || !known;
    } catch (err) {
      this.#options.onError({ code: 'merge-failed', message: (err as Error).message, doc: doc.id });
      return false;
    }
  }

  /**
   * Merges a delta that may be merged now. A relay sends our own writes, and those of this
   * profile's other tabs (which stored them in this database before sharing them), back to us:
   * those are not stored again, and neither are other tabs' writes.
   */
  #mergeIncoming(doc: AnyDocument, incoming: Incoming): void {
    if (this.#mergeQuietly(doc, incoming.delta) && incoming.fromRelay) {
      this.#options.store({ doc: doc.id, delta: incoming.bytes, receipt: undefined });
    }
  }

  #gateOf(doc: AnyDocument): CausalGate {
    let gate = this.#gates.get(doc.id);
    if (gate === undefined) {
      gate = new CausalGate(() => doc.state.context, this.#options.clock);
      this.#gates.set(doc.id, gate);
    }
    return gate;
  }

  /**
   * A delta that may arrive before a write it replaces: merged if it is causally ready (with the
   * held deltas it makes ready), else held until it is, or until a repair covers it.
   */
  #offer(doc: AnyDocument, incoming: Incoming): void {
    const gate = this.#gateOf(doc);
    const { ready, overflow } = gate.buffer.add(incoming, this.#options.clock.now());
    for (const r of ready) this.#mergeIncoming(doc, r);
    if (overflow) {
      // Too much is waiting: what is held (and this one) comes back with the repair.
      gate.buffer.clear();
      void this.#repair(doc, gate, true);
    }
    this.#watchHeld(doc, gate);
  }

  /** Merges the held deltas that what was just merged (`grown`; a whole state: all) made ready. */
  #releaseHeld(doc: AnyDocument, grown: CrdtState<unknown> | undefined): void {
    const gate = this.#gates.get(doc.id);
    if (!gate || gate.buffer.size === 0) return;
    for (const r of gate.buffer.release(grown?.context)) this.#mergeIncoming(doc, r);
    this.#watchHeld(doc, gate);
  }

  /** Repairs the document when its oldest held delta has waited too long. */
  #watchHeld(doc: AnyDocument, gate: CausalGate): void {
    const { clock, isClosed } = this.#options;
    if (gate.buffer.size === 0 || isClosed()) {
      gate.settle();
      return;
    }
    if (gate.timer !== undefined) return;
    const since = gate.buffer.heldSince ?? clock.now();
    gate.timer = clock.setTimeout(
      () => {
        gate.timer = undefined;
        if (gate.buffer.size === 0 || isClosed()) {
          gate.settle();
          return;
        }
        if (clock.now() - (gate.buffer.heldSince ?? clock.now()) < gate.delay) {
          this.#watchHeld(doc, gate); // what waited was released; a newer one waits now
          return;
        }
        gate.delay = Math.min(HOLD_MAX_MS, gate.delay * 2);
        void this.#repair(doc, gate).finally(() => this.#watchHeld(doc, gate));
      },
      Math.max(0, since + gate.delay - clock.now()),
    );
  }

  /**
   * Brings a document whatever its held deltas wait for, as whole states: what this profile's
   * tabs stored (another tab's write waits for what that tab had merged, which it stored
   * first), then, when connected, a new sync reply from the relay. Each releases what it covers.
   * After an overflow (`dropped`), the relay's reply also brings back what was dropped.
   */
  async #repair(doc: AnyDocument, gate: CausalGate, dropped = false): Promise<void> {
    try {
      const state = foldStored(doc.type, await this.#options.storage.current.load(doc.id));
      if (this.#options.isClosed()) return;
      this.#mergeQuietly(doc, state);
      this.#releaseHeld(doc, undefined);
    } catch {
      // Storage is not readable: the relay's reply below still repairs.
    }
    // Not connected: the next connection subscribes anyway.
    if ((dropped || gate.buffer.size > 0) && this.#options.connection.connected) {
      this.#subscribe([doc]);
    }
  }
}
