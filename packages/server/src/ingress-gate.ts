import type { Socket } from 'socket.io';

type Connection = Socket['conn'];
type DataListener = (data: unknown) => void;

/** The part of ws's `WebSocket` that stops and restarts reading from its TCP socket. */
interface Reader {
  pause(): void;
  resume(): void;
}

/**
 * The WebSocket under a connection's transport, or `undefined` (long-polling cannot be paused:
 * its frames are held, and dropped past the bound, instead).
 */
function readerOf(conn: Connection): Reader | undefined {
  if (conn.transport.name !== 'websocket') return undefined;
  const ws = (conn.transport as unknown as { socket?: Partial<Reader> }).socket;
  return typeof ws?.pause === 'function' && typeof ws.resume === 'function'
    ? (ws as Reader)
    : undefined;
}

function sizeOf(data: unknown): number {
  if (typeof data === 'string') return data.length;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}

export interface IngressGateOptions {
  /** Charges one frame of `bytes` to the budgets; returns how long to wait before the next. */
  readonly charge: (bytes: number) => number;
  /** The connection has to wait `ms` for its budget. */
  readonly throttled: (ms: number) => void;
  /** Frames that arrive while reading is paused are held, up to this many bytes. */
  readonly maxHeldBytes: number;
  /** A frame arrived with `maxHeldBytes` already held: it was dropped. */
  readonly dropped: () => void;
}

/** The gate of each engine.io connection (one per connection, for its whole life). */
const gates = new WeakMap<Connection, IngressGate>();

/**
 * Every frame a client connection receives, of any event and payload, passes here before
 * Socket.IO decodes it: it is charged to the connection's budget, and when that is spent, or
 * when the connection's queue is full (`pause('queue')`), the relay stops reading the
 * connection's WebSocket until the budget has refilled or the queue has drained. TCP then holds
 * the client back, so a flood costs the relay no more than the budget allows. The few frames
 * that were already read when reading paused are held and handed on, in order, when it resumes.
 *
 * This sits between engine.io and Socket.IO (it wraps the `data` listeners of the engine.io
 * socket), because Socket.IO's own middleware only sees decoded events. Until a session
 * attaches (during the handshake) and after it detaches, frames pass straight through; once the
 * connection is closing, they are dropped.
 */
export class IngressGate {
  readonly #conn: Connection;
  readonly #deliver: DataListener[];
  #options: IngressGateOptions | undefined;
  /** Why reading is paused (`budget`, `queue`): it resumes when no reason is left. */
  readonly #pausedFor = new Set<string>();
  readonly #held: unknown[] = [];
  #heldBytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** The gate of `conn`, installed on first use. */
  static of(conn: Connection): IngressGate {
    let gate = gates.get(conn);
    if (gate === undefined) {
      gate = new IngressGate(conn);
      gates.set(conn, gate);
    }
    return gate;
  }

  private constructor(conn: Connection) {
    this.#conn = conn;
    // Socket.IO's client listens to `data` from the start; frames now reach it through us.
    this.#deliver = conn.listeners('data') as DataListener[];
    conn.removeAllListeners('data');
    conn.on('data', (data: unknown) => this.#receive(data));
    conn.on('upgrade', () => {
      if (this.#pausedFor.size > 0) readerOf(conn)?.pause();
    });
  }

  /** A session starts charging the connection's frames. */
  attach(options: IngressGateOptions): void {
    this.detach();
    this.#options = options;
  }

  /** The session ended: frames held for it are dropped, later ones pass straight through. */
  detach(): void {
    this.#options = undefined;
    clearTimeout(this.#timer);
    this.#pausedFor.clear();
    this.#held.length = 0;
    this.#heldBytes = 0;
    readerOf(this.#conn)?.resume();
  }

  /** Reading is paused (for the budget, the queue, or a closing connection). */
  get paused(): boolean {
    return this.#pausedFor.size > 0;
  }

  #receive(data: unknown): void {
    // Closing (e.g. closed for staying over budget): nothing more is handled.
    if (this.#conn.readyState !== 'open') return;
    const options = this.#options;
    if (options === undefined) {
      this.#hand(data);
      return;
    }
    if (this.#pausedFor.size === 0 && this.#held.length === 0) {
      this.#admit(data, options);
      return;
    }
    const size = sizeOf(data);
    if (this.#heldBytes + size > options.maxHeldBytes && this.#held.length > 0) {
      options.dropped();
      return;
    }
    this.#held.push(data);
    this.#heldBytes += size;
  }

  #hand(data: unknown): void {
    for (const listener of this.#deliver) listener.call(this.#conn, data);
  }

  #admit(data: unknown, options: IngressGateOptions): void {
    const wait = options.charge(sizeOf(data));
    this.#hand(data);
    if (wait > 0 && this.#options === options) {
      options.throttled(wait);
      this.pause('budget');
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.resume('budget'), wait);
    }
  }

  /** Stops reading the connection for `reason` (until `resume(reason)`). */
  pause(reason: string): void {
    if (this.#options === undefined) return;
    if (this.#pausedFor.size === 0) readerOf(this.#conn)?.pause();
    this.#pausedFor.add(reason);
  }

  /** Ends the pause for `reason`; reading resumes, held frames first, when no reason is left. */
  resume(reason: string): void {
    if (!this.#pausedFor.delete(reason) || this.#pausedFor.size > 0) return;
    while (this.#held.length > 0 && this.#pausedFor.size === 0 && this.#options !== undefined) {
      const data = this.#held.shift();
      this.#heldBytes -= sizeOf(data);
      if (this.#conn.readyState === 'open') this.#admit(data, this.#options);
    }
    if (this.#pausedFor.size === 0) readerOf(this.#conn)?.resume();
  }
}
