/**
 * Puts the messages of the acceptor's batch streams back in the order they were sent. The
 * acceptor sends each `feed-batch` and `feed-state` on a new unidirectional stream, so a small
 * batch no longer waits behind a large one on the wire, and QUIC finishes them in any order
 * (a large batch's stream interleaves with the next ones). A peer link merges its peer's feed in
 * order and takes each batch's last seq as its new position, so a batch handed on before the
 * one sent ahead of it would make the link skip that one: the link gets them in stream order.
 *
 * A server opens its unidirectional streams with ids 3, 7, 11, … in the order it sends them
 * (RFC 9000 §2.1), so that order is the sending order. Messages of a stream that completes
 * early wait here for the ones before it, at most {@link MAX_WAITING} streams' worth: the
 * acceptor has at most a window of batches in flight, so more means a broken or hostile peer.
 */
export class StreamOrder {
  /** Id of the next server-initiated unidirectional stream to hand on. */
  #next = 3;
  readonly #waiting = new Map<number, Uint8Array[]>();
  readonly #deliver: (message: Uint8Array) => void;

  constructor(deliver: (message: Uint8Array) => void) {
    this.#deliver = deliver;
  }

  /**
   * Stream `id` is complete with `messages`: hands on its messages and those of the completed
   * streams after it, once every stream before it has been. Throws for an id that is not a
   * server-initiated unidirectional stream's, was handed on already, or would wait past the
   * bound.
   */
  completed(id: number, messages: Uint8Array[]): void {
    if (id % 4 !== 3 || id < this.#next || this.#waiting.has(id))
      throw new Error(`unexpected stream ${id}`);
    if (this.#waiting.size >= MAX_WAITING) throw new Error('too many streams out of order');
    this.#waiting.set(id, messages);
    for (let ready = this.#waiting.get(this.#next); ready; ready = this.#waiting.get(this.#next)) {
      this.#waiting.delete(this.#next);
      this.#next += 4;
      for (const message of ready) this.#deliver(message);
    }
  }
}

/** Streams that may wait for an earlier one: ten times what a feed window puts in flight. */
export const MAX_WAITING = 128;
