import type { Logger } from 'pino';
import type { Closure } from './fold-stability.js';
import type { PeerChannel } from './peer-channel.js';

/** What the closure of this region needs of the relay node. */
export interface ClosureParts {
  /** The deployment's `retiredEpochsBelow`, never lower than a value it returned before. */
  readonly retiredBelow: () => number;
  /** Resolves once every commit queued so far is durable (and in the feed). */
  readonly drain: () => Promise<void>;
  /** The position of the last change in this region's feed, as the store has it. */
  readonly head: () => Promise<number>;
  /**
   * Several nodes share the region: one node cannot vouch for the others' commits, so the
   * region announces no closure (and so nothing is folded automatically; docs/compaction.md).
   */
  readonly shared: boolean;
  readonly logger: Logger;
  readonly now: () => number;
  /** Called with each new receipt's `below` (the node's metric). */
  readonly closed: (below: number) => void;
}

/** How often the relay looks whether `retiredEpochsBelow` was raised. */
const CLOSURE_POLL_MS = 1_000;

/**
 * This region's closure receipt (docs/compaction.md): once `retiredEpochsBelow` is raised to
 * `E`, no handshake or push of an id of an epoch below `E` is accepted any more (both read it
 * synchronously before they merge), so after the commits queued until then are durable, the
 * feed's head is the position after which it holds none of their writes. The receipt is sent
 * to every peer relay served (`feed-closed`, on the control lane, after the welcome), over
 * Socket.IO and QUIC alike, and again whenever more epochs retire.
 */
export class RegionClosure {
  readonly #parts: ClosureParts;
  readonly #channels = new Set<PeerChannel>();
  #current: (Closure & { readonly at: number }) | undefined;
  #closing = false;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(parts: ClosureParts) {
    this.#parts = parts;
  }

  /** The receipt this region announces, and when it was established; none before. */
  get current(): (Closure & { readonly at: number }) | undefined {
    return this.#current;
  }

  /** Looks at `retiredEpochsBelow` now and every second until {@link stop}. */
  start(): void {
    if (this.#parts.shared || this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.check(), CLOSURE_POLL_MS);
    this.#timer.unref();
    void this.check();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Establishes a new receipt if more epochs are retired than the current one says, and sends
   * it to every peer. Resolves once done (at once when nothing changed or a check is running).
   */
  async check(): Promise<void> {
    const below = this.#parts.retiredBelow();
    if (this.#parts.shared || this.#closing || below <= (this.#current?.below ?? 0)) return;
    this.#closing = true;
    try {
      // Every push accepted before `below` was read here is merged and queued: once those
      // commits are durable, the head bounds every write of the newly retired replicas.
      await this.#parts.drain();
      const upTo = await this.#parts.head();
      this.#current = { below, upTo, at: this.#parts.now() };
      this.#parts.logger.info({ closure: this.#current }, 'retired epochs closed in this region');
      this.#parts.closed(below);
      for (const channel of this.#channels) this.#send(channel);
    } catch (err) {
      this.#parts.logger.warn({ err }, 'closing retired epochs failed; will retry');
    } finally {
      this.#closing = false;
    }
  }

  /** Sends the receipt to a peer relay just welcomed, and every later one until it leaves. */
  serve(channel: PeerChannel): void {
    this.#channels.add(channel);
    channel.onClose(() => this.#channels.delete(channel));
    this.#send(channel);
  }

  #send(channel: PeerChannel): void {
    const c = this.#current;
    if (c !== undefined && channel.open) {
      channel.send({ kind: 'feed-closed', below: c.below, upTo: c.upTo });
    }
  }
}

/**
 * `read` as it never goes down: a relay that announced a closure must keep refusing what it
 * closed, even if the deployment's setting is lowered by mistake.
 */
export function ratchet(read: (() => number) | undefined): () => number {
  let highest = 0;
  return () => {
    highest = Math.max(highest, read?.() ?? 0);
    return highest;
  };
}
