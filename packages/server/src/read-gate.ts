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
