import {
  decodeMessage,
  encodeMessage,
  type Message,
  PROTOCOL_VERSION,
  type ReplicaId,
  type Welcome,
} from '@helios/core';
import { io, type Socket } from 'socket.io-client';

export interface RelayConnectionOptions {
  /** Relay URLs, home region first. */
  readonly relays: readonly string[];
  /** The token for the relay's authenticate hook (called on every connection attempt). */
  readonly token: () => string | undefined | Promise<string | undefined>;
  /** The replica ids this client may write as. */
  readonly replicas: () => readonly ReplicaId[];
  /** How often to check, while on another relay, whether home is back (ms). */
  readonly homeProbeMs?: number;
  readonly onWelcome: (welcome: Welcome, url: string, rttMs: number) => void;
  readonly onMessage: (message: Message) => void;
  readonly onState: (state: 'online' | 'offline' | 'connecting', url: string | null) => void;
}

/**
 * One Socket.IO connection to the best reachable relay: the home relay first, then the others in
 * order when it is unreachable, and back home as soon as home answers again.
 */
export class RelayConnection {
  readonly #options: RelayConnectionOptions;
  #socket: Socket | undefined;
  #index = 0;
  #attempt = 0;
  #wanted = true;
  #closed = false;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #probe: ReturnType<typeof setInterval> | undefined;
  #url: string | null = null;

  constructor(options: RelayConnectionOptions) {
    if (options.relays.length === 0) throw new Error('createClient needs at least one relay URL');
    this.#options = options;
  }

  get connected(): boolean {
    return this.#socket?.connected ?? false;
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
    } else if (!this.#socket && !this.#closed) {
      this.#connect(0);
    }
  }

  /** Starts a new connection to the same relay (e.g. to announce other replica ids). */
  reconnect(): void {
    if (this.#closed || !this.#wanted || (!this.#socket && this.#retry === undefined)) return;
    void this.#connect(this.#index);
  }

  /** Sends if connected; returns whether it was sent (callers re-send after reconnecting). */
  send(message: Message): boolean {
    if (!this.#socket?.connected) return false;
    this.#socket.emit('h', encodeMessage(message));
    return true;
  }

  close(): void {
    this.#closed = true;
    this.#teardown();
  }

  #teardown(): void {
    clearTimeout(this.#retry);
    clearInterval(this.#probe);
    this.#retry = undefined;
    this.#probe = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.removeAllListeners();
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
    } catch {
      token = undefined;
    }
    if (this.#closed || !this.#wanted || this.#url !== url) return;
    const started = Date.now();
    const socket = io(url, {
      auth: {
        protocol: PROTOCOL_VERSION,
        replicas: [...this.#options.replicas()],
        ...(token !== undefined ? { token } : {}),
      },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: 5_000,
    });
    this.#socket = socket;
    socket.on('h', (payload: ArrayBuffer | Uint8Array) => {
      let message: Message;
      try {
        message = decodeMessage(payload instanceof Uint8Array ? payload : new Uint8Array(payload));
      } catch {
        return; // a relay of another version or a corrupted frame: ignore it
      }
      if (message.kind === 'welcome') {
        this.#attempt = 0;
        this.#options.onState('online', url);
        this.#options.onWelcome(message, url, Date.now() - started);
        if (index > 0) this.#probeHome();
      }
      this.#options.onMessage(message);
    });
    const failed = () => {
      if (this.#socket !== socket) return;
      this.#options.onState('connecting', url);
      this.#scheduleNext();
    };
    socket.on('connect_error', failed);
    socket.on('disconnect', failed);
  }

  /** Tries the next relay, wrapping to home, with a backoff once every relay has failed. */
  #scheduleNext(): void {
    this.#teardown();
    this.#attempt++;
    const next = (this.#index + 1) % this.#options.relays.length;
    const lap = Math.floor(this.#attempt / this.#options.relays.length);
    const delay = lap === 0 ? 50 : Math.min(5_000, 250 * 2 ** (lap - 1));
    this.#retry = setTimeout(() => void this.#connect(next), delay);
  }

  /** While away from home, checks home's /healthz; switches back when it answers. */
  #probeHome(): void {
    clearInterval(this.#probe);
    const home = this.#options.relays[0]!;
    this.#probe = setInterval(async () => {
      try {
        const res = await fetch(new URL('/healthz', home), { signal: AbortSignal.timeout(2_000) });
        if (res.ok && this.#index !== 0 && !this.#closed) void this.#connect(0);
      } catch {
        // still away
      }
    }, this.#options.homeProbeMs ?? 3_000);
  }
}
