import type { Socket } from 'socket.io';

/** The part of `ws`'s WebSocket that stops and restarts reading. */
interface Pausable {
  pause(): void;
  resume(): void;
}

/**
 * Stops reading a connection's WebSocket while its queued work is over bounds, so TCP holds the
 * sender back instead of the relay buffering whatever it sends. Long-polling cannot be stopped:
 * there the frames already read are bounded by the session instead (it drops past a hard limit).
 * A stopped connection's heartbeat replies wait unread too, so the session stops only bulk
 * writers and connections in debt, for less than the heartbeat timeout before it closes them.
 */
export class ReadGate {
  readonly #socket: Socket;
  #paused: Pausable | undefined;

  constructor(socket: Socket) {
    this.#socket = socket;
  }

  get stopped(): boolean {
    return this.#paused !== undefined;
  }

  /**
   * For a connection the relay is closing, once its last frames are written: it is never read
   * again, and its TCP connection is destroyed after `graceMs`. What the peer still sends (a
   * flood's backlog, up to the TCP buffers) stays unread in the kernel and costs the relay
   * nothing, where the WebSocket would parse all of it to reach the peer's close frame behind
   * it. The grace gives the peer time to read the relay's last frames (a reset would drop
   * them from its buffers) and to close its side. After an upgrade from long-polling the
   * handshake's TCP connection is not the WebSocket's: then the connection is read to its
   * end, as any other closing one.
   */
  abandon(graceMs: number): void {
    const transport = this.#socket.conn.transport as {
      name: string;
      socket?: { _socket?: unknown };
    };
    const tcp = this.#socket.request.socket;
    if (transport.name !== 'websocket' || transport.socket?._socket !== tcp) {
      this.set(true);
      return;
    }
    // `ws` resumes a socket it paused once its parser has room: without its listener, nothing
    // is left that would read.
    tcp.removeAllListeners('data');
    tcp.pause();
    this.#paused = undefined;
    setTimeout(() => tcp.destroy(), graceMs).unref();
  }

  /** Stops (`open` false) or restarts reading. */
  set(open: boolean): void {
    if (open) {
      this.#paused?.resume();
      this.#paused = undefined;
      return;
    }
    if (this.#paused !== undefined) return;
    const transport = this.#socket.conn.transport as { name: string; socket?: Partial<Pausable> };
    const ws = transport.name === 'websocket' ? transport.socket : undefined;
    if (typeof ws?.pause !== 'function' || typeof ws.resume !== 'function') return;
    ws.pause();
    this.#paused = ws as Pausable;
  }
}
