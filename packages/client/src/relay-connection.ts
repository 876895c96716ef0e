import type { HandshakeRefusal, ReplicaId } from '@helios/core';
import {
  decodeMessage,
  encodeMessage,
  type Message,
  PROTOCOL_VERSION,
  type PushEntry,
  type Welcome,
} from '@helios/core/protocol';
import type { Transport, TransportConnection } from '@helios/transport';
import { backoffMs } from './backoff.js';
import type { Clock, TimerHandle } from './clock.js';

export interface RelayConnectionOptions {
  /** How relays are reached. */
  readonly transport: Transport;
  /** Where time is read and timers are set. */
  readonly clock: Clock;
  /** Relay URLs, home region first. */
  readonly relays: readonly string[];
  /** The token for the relay's authenticate hook (called on every connection attempt). */
  readonly token: () => string | undefined | Promise<string | undefined>;
  /** The replica ids this client may write as. */
  readonly replicas: () => readonly ReplicaId[];
  /** How often to check, while on another relay, whether home is back (ms). */
  readonly homeProbeMs?: number;
  /** A uniform draw in [0, 1) for the backoff's jitter ({@link backoffMs}); default `Math.random`. */
  readonly random?: () => number;
  /** Ask for per-region replication notices in the handshake (`HelloAuth.regionTrail`). */
  readonly regionTrail?: boolean;
  readonly onWelcome: (welcome: Welcome, url: string, rttMs: number) => void;
  readonly onMessage: (message: Message) => void;
  readonly onState: (state: 'online' | 'offline' | 'connecting', url: string | null) => void;
  /**
   * A relay refused the handshake (`code` is the relay's: `unauthenticated`, `protocol-version`…,
   * with what else it said, e.g. `retiredBelow`), or the token function threw (`token-failed`),
   * so the relay was not dialled.
   */
  readonly onRefused: (refusal: Refusal, url: string) => void;
}

/** A refused handshake as the client reports it: the relay's code (or `token-failed`) and why. */
export type Refusal = HandshakeRefusal & { readonly message: string };

/** Push entries per message when re-sending the outbox. */
const PUSH_BATCH = 200;

/**
 * Handshake refusals that clear up by themselves: a relay shutting down or overloaded. Any other
 * (credentials, protocol version, replica ownership, a hook's own code) lasts until something
 * changes on the client, so the relay that said it is held back, longer each time, instead of
 * being asked again after the usual failover delay.
 */
const PASSING_REFUSALS = new Set(['unavailable', 'rate-limited']);
const HOLD_MIN_MS = 1_000;
const HOLD_MAX_MS = 30_000;
/**
 * While the browser reports no network, how often home is dialled anyway, in case the flag is
 * wrong (some VPNs and captive portals leave it false).
 */
const OFFLINE_RETRY_MS = 5_000;

/** The browser's view of the device's network: `false` only where it reports none. */
function deviceOffline(): boolean {
  return (globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine === false;
}

/** Where the `online` event fires (the window or worker scope); undefined outside a browser. */
function networkEvents():
  | Pick<EventTarget, 'addEventListener' | 'removeEventListener'>
  | undefined {
  const scope = globalThis as Partial<EventTarget>;
  return typeof scope.addEventListener === 'function' &&
    typeof scope.removeEventListener === 'function'
    ? (scope as EventTarget)
    : undefined;
}

/**
 * One connection (over the client's {@link Transport}) to the best reachable relay: the home relay first, then the others in
 * order when it is unreachable, and back home as soon as home answers again. A relay that
 * refuses the handshake for a lasting reason is held back (see {@link PASSING_REFUSALS}). While
 * the browser reports that the device has no network, no other region is dialled: when the
 * network is back, home is dialled first, so a short blip does not move the client away.
 */
export class RelayConnection {
  readonly #options: RelayConnectionOptions;
  #conn: TransportConnection | undefined;
  #index = 0;
  #attempt = 0;
  #wanted = true;
  #closed = false;
  #retry: TimerHandle | undefined;
  #probe: TimerHandle | undefined;
  #url: string | null = null;
  /** Listening for the browser's `online` event while the device has no network. */
  #onNetwork: (() => void) | undefined;
  /** Relays (by index) held back after a lasting refusal: until when, and for how long last time. */
  readonly #held = new Map<number, { until: number; ms: number }>();

  constructor(options: RelayConnectionOptions) {
    if (options.relays.length === 0) throw new Error('createClient needs at least one relay URL');
    this.#options = options;
  }

  get connected(): boolean {
    return this.#conn?.connected ?? false;
  }

  get url(): string | null {
    return this.#url;
  }

  start(): void {
    this.#connect(0);
  }

  /** Goes offline (closes the connection) or back online. */
  setOnline(online: boolean): void {
    this.#wanted = online;
    if (!online) {
      this.#teardown();
      this.#options.onState('offline', this.#url);
    } else if (!this.#conn && !this.#closed) {
      this.#connect(0);
    }
  }

  /** Starts a new connection to the same relay (e.g. to announce other replica ids). */
  reconnect(): void {
    if (this.#closed || !this.#wanted || (!this.#conn && this.#retry === undefined)) return;
    void this.#connect(this.#index);
  }

  /** Sends if connected; returns whether it was sent (callers re-send after reconnecting). */
  send(message: Message): boolean {
    if (!this.#conn?.connected) return false;
    this.#conn.send(encodeMessage(message));
    return true;
  }

  /**
   * Pushes writes, at most {@link PUSH_BATCH} per message; stops at the first that cannot be sent
   * (the outbox is pushed again on the next connection).
   */
  push(items: readonly PushEntry[]): void {
    for (let i = 0; i < items.length; i += PUSH_BATCH) {
      const entries = items
        .slice(i, i + PUSH_BATCH)
        .map(({ id, doc, delta }) => ({ id, doc, delta }));
      if (!this.send({ kind: 'push', entries })) return;
    }
  }

  close(): void {
    this.#closed = true;
    this.#teardown();
  }

  #teardown(): void {
    this.#options.clock.clearTimeout(this.#retry);
    this.#options.clock.clearTimeout(this.#probe);
    if (this.#onNetwork) networkEvents()?.removeEventListener('online', this.#onNetwork);
    this.#onNetwork = undefined;
    this.#retry = undefined;
    this.#probe = undefined;
    const socket = this.#conn;
    this.#conn = undefined;
    socket?.close();
  }

  async #connect(index: number): Promise<void> {
    if (this.#closed || !this.#wanted) return;
    this.#teardown();
    this.#index = index;
    const url = this.#options.relays[index]!;
    this.#url = url;
    this.#options.onState('connecting', url);
    let token: string | undefined;
    try {
      token = await this.#options.token();
    } catch (err) {
      if (this.#closed || !this.#wanted || this.#url !== url) return;
      // Dialling without a token would only be refused, and hide why: report the app's error.
      this.#refused(index, {
        code: 'token-failed',
        message: err instanceof Error ? err.message : String(err),
      });
      this.#scheduleNext();
      return;
    }
    if (this.#closed || !this.#wanted || this.#url !== url) return;
    const clock = this.#options.clock;
    const started = clock.now();
    const failed = () => {
      if (this.#conn !== socket) return;
      this.#options.onState('connecting', url);
      this.#scheduleNext();
    };
    const socket = this.#options.transport.connect(
      url,
      {
        protocol: PROTOCOL_VERSION,
        replicas: [...this.#options.replicas()],
        ...(token !== undefined ? { token } : {}),
        ...(this.#options.regionTrail ? { regionTrail: true } : {}),
      },
      {
        message: (payload) => {
          let message: Message;
          try {
            message = decodeMessage(payload);
          } catch {
            return; // a relay of another version or a corrupted frame: ignore it
          }
          if (message.kind === 'welcome') {
            this.#attempt = 0;
            this.#held.delete(index);
            this.#options.onState('online', url);
            this.#options.onWelcome(message, url, clock.now() - started);
            if (index > 0) this.#probeHome();
          }
          this.#options.onMessage(message);
        },
        refused: (error) => {
          if (this.#conn === socket && error.code !== undefined) {
            this.#refused(index, { ...error, code: error.code });
          }
          failed();
        },
        closed: failed,
      },
    );
    this.#conn = socket;
  }

  #refused(index: number, refusal: Refusal): void {
    if (!PASSING_REFUSALS.has(refusal.code)) {
      const last = this.#held.get(index)?.ms;
      const ms = last === undefined ? HOLD_MIN_MS : Math.min(HOLD_MAX_MS, last * 2);
      this.#held.set(index, { until: this.#options.clock.now() + ms, ms });
    }
    this.#options.onRefused(refusal, this.#options.relays[index]!);
  }

  #isHeld(index: number): boolean {
    return (this.#held.get(index)?.until ?? 0) > this.#options.clock.now();
  }

  /**
   * Tries the next relay, wrapping to home, with a backoff once every relay has failed
   * ({@link backoffMs}: jittered, so that a crowd does not come back all at once). A relay
   * held back is skipped for the first one free sooner; when all are held, the first to be free.
   */
  #scheduleNext(): void {
    this.#teardown();
    this.#attempt++;
    const events = networkEvents();
    if (deviceOffline() && events) {
      // Every relay would fail now, and the first to answer once the network is back would
      // win: wait for it, then go home first.
      this.#onNetwork = () => this.#homeFirst();
      events.addEventListener('online', this.#onNetwork);
      this.#retry = this.#options.clock.setTimeout(() => this.#homeFirst(), OFFLINE_RETRY_MS);
      return;
    }
    const count = this.#options.relays.length;
    const lap = Math.floor(this.#attempt / count);
    const now = this.#options.clock.now();
    const earliest = now + (lap === 0 ? 50 : backoffMs(lap, this.#options.random));
    let next = 0;
    let at = Number.POSITIVE_INFINITY;
    for (let step = 1; step <= count; step++) {
      const index = (this.#index + step) % count;
      const free = Math.max(earliest, this.#held.get(index)?.until ?? 0);
      if (free < at) [next, at] = [index, free];
    }
    this.#retry = this.#options.clock.setTimeout(() => void this.#connect(next), at - now);
  }

  /** Starts over from home (unless it is held back): the network came back, or may have. */
  #homeFirst(): void {
    if (this.#closed || !this.#wanted) return;
    this.#attempt = 0;
    if (!this.#isHeld(0)) {
      void this.#connect(0);
      return;
    }
    this.#index = 0;
    this.#scheduleNext();
  }

  /**
   * While away from home, asks the transport whether home answers (Socket.IO: its /healthz),
   * every `homeProbeMs`; switches back when it does.
   */
  #probeHome(): void {
    const { clock, transport, relays } = this.#options;
    clock.clearTimeout(this.#probe);
    const every = this.#options.homeProbeMs ?? 3_000;
    const tick = () => {
      this.#probe = clock.setTimeout(tick, every);
      void transport.probe(relays[0]!).then((up) => {
        // Home answering does not mean it admits us: after a refusal, wait out its hold.
        if (up && this.#index !== 0 && !this.#closed && !this.#isHeld(0)) void this.#connect(0);
      });
    };
    this.#probe = clock.setTimeout(tick, every);
  }
}
