import type { Socket } from 'socket.io';

/** engine.io's socket under a Socket.IO connection: what writes its packets. */
type EngineConnection = Socket['conn'];

/** The part of a Node stream that {@link coalesceWrites} uses. */
interface Corkable {
  cork(): void;
  uncork(): void;
}

/**
 * The TCP socket under a connection's WebSocket transport, or `undefined` (long-polling, or a
 * ws version that no longer keeps it as `_socket`: then writes simply go out uncoalesced).
 */
function tcpOf(conn: EngineConnection): Corkable | undefined {
  if (conn.transport.name !== 'websocket') return undefined;
  const tcp = (conn.transport as unknown as { socket?: { _socket?: Partial<Corkable> } }).socket
    ?._socket;
  return typeof tcp?.cork === 'function' && typeof tcp.uncork === 'function'
    ? (tcp as Corkable)
    : undefined;
}

/**
 * Makes a connection put what it sends within one tick into one `writev` instead of one per
 * WebSocket frame. A group commit sends a client several messages at once (ack, fan-out,
 * `replicated`), engine.io sends the first packet of a burst at once and the rest when that
 * write completes, and ws writes every frame separately: without this, a relay pays one
 * syscall per frame, its largest single cost under load (see bench/RELAY.md). Only the
 * syscalls change: bytes, order and framing on the wire are the same. Installed on engine.io's
 * socket as it opens, so Socket.IO's CONNECT reply and the relay's `welcome` leave together.
 *
 * - The first packet of a tick finds the transport idle: it is marked busy until the end of the
 *   tick (the current microtasks included), so that packet and the ones after it wait in
 *   engine.io's buffer, as they would behind a write in flight; the transport's `ready` event
 *   then flushes them together. The ack, fan-out and `replicated` messages that one group
 *   commit sends a client so leave in one write.
 * - Every engine.io flush is corked for its duration, so the frames it writes go out together.
 *
 * Socket.IO drops a `volatile` emit while the transport is busy, so on such a connection only
 * the first volatile emit of a tick would leave: the relay sends none.
 */
export function coalesceWrites(conn: EngineConnection): void {
  conn.on('packetCreate', () => {
    const transport = conn.transport;
    // Long-polling has its own batching (one response per poll), and its `writable` means a
    // poll is pending. A busy transport flushes by itself when its write completes.
    if (transport.name !== 'websocket' || !transport.writable) return;
    transport.writable = false;
    process.nextTick(() => {
      transport.writable = true;
      transport.emit('ready'); // what the transport emits when a write completes
    });
  });
  // `flush` and `drain` are emitted synchronously around one transport.send: same transport.
  let flushing: Corkable | undefined;
  conn.on('flush', () => {
    flushing = tcpOf(conn);
    flushing?.cork();
  });
  conn.on('drain', () => {
    flushing?.uncork();
    flushing = undefined;
  });
}
