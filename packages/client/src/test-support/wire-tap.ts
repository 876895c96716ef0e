import { decodeMessage, type Message } from '@helios/core/protocol';
import { asBytes } from '@helios/transport';
import { Socket } from 'socket.io-client';

/** One protocol frame seen on a client's Socket.IO connection. */
export interface TappedFrame {
  readonly direction: 'in' | 'out';
  /** The relay URL of the connection. */
  readonly url: string;
  /** The replica ids the connection announced: tells the clients of one relay apart. */
  readonly replicas: readonly string[];
  readonly bytes: number;
  readonly message: Message;
}

interface SocketInternals {
  emit(event: string, ...args: unknown[]): unknown;
  emitEvent(args: unknown[]): void;
  io: { uri: string };
  auth: unknown;
}

/**
 * Records every protocol frame that crosses the wire of any client in this process, decoded,
 * by wrapping socket.io-client's Socket: what the relay really sent, not what the client did
 * with it. `stop()` unwraps.
 */
export class WireTap {
  readonly frames: TappedFrame[] = [];
  readonly #proto = Socket.prototype as unknown as SocketInternals;
  readonly #emit = this.#proto.emit;
  readonly #emitEvent = this.#proto.emitEvent;

  constructor() {
    const record = (direction: 'in' | 'out', socket: SocketInternals, payload: unknown) => {
      const bytes = asBytes(payload);
      if (bytes === undefined) return;
      try {
        this.frames.push({
          direction,
          url: socket.io.uri,
          replicas: (socket.auth as { replicas?: string[] } | undefined)?.replicas ?? [],
          bytes: bytes.length,
          message: decodeMessage(bytes),
        });
      } catch {
        // not a protocol frame
      }
    };
    const emit = this.#emit;
    const emitEvent = this.#emitEvent;
    this.#proto.emit = function (this: SocketInternals, event: string, ...args: unknown[]) {
      if (event === 'h') record('out', this, args[0]);
      return emit.call(this, event, ...args);
    };
    this.#proto.emitEvent = function (this: SocketInternals, args: unknown[]) {
      if (args[0] === 'h') record('in', this, args[1]);
      emitEvent.call(this, args);
    };
  }

  /** Frames received of one kind, optionally for one document, since `from` (an index). */
  received<K extends Message['kind']>(
    kind: K,
    doc?: string,
    from = 0,
  ): (TappedFrame & { message: Extract<Message, { kind: K }> })[] {
    return this.frames
      .slice(from)
      .filter(
        (f): f is TappedFrame & { message: Extract<Message, { kind: K }> } =>
          f.direction === 'in' &&
          f.message.kind === kind &&
          (doc === undefined || ('doc' in f.message && f.message.doc === doc)),
      );
  }

  /** Frames sent of one kind since `from`. */
  sent<K extends Message['kind']>(
    kind: K,
    from = 0,
  ): (TappedFrame & { message: Extract<Message, { kind: K }> })[] {
    return this.frames
      .slice(from)
      .filter(
        (f): f is TappedFrame & { message: Extract<Message, { kind: K }> } =>
          f.direction === 'out' && f.message.kind === kind,
      );
  }

  stop(): void {
    this.#proto.emit = this.#emit;
    this.#proto.emitEvent = this.#emitEvent;
  }
}
