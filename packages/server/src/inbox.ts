import type { ClientToRelay } from '@helios/core';

interface Received {
  readonly bytes: Uint8Array;
  /** Decoded when it reaches the head of the inbox. */
  message: ClientToRelay | undefined;
  /** Entries (push) or documents (subscribe) handed out already. */
  offset: number;
}

/** A piece of one message that is handled in one go, and the entries it holds. */
export interface WorkUnit {
  readonly message: ClientToRelay;
  readonly entries: number;
}

/**
 * A connection's frames received and not yet handled, in order. It is bounded: `full` says when
 * the relay should stop reading the connection, `drained` when it may read again. Messages are
 * decoded only when they come up (a flood costs no decoding before its turn) and handed out in
 * units of at most `maxEntries` push entries or subscriptions, so one large message cannot hold
 * the relay for long.
 */
export class Inbox {
  readonly #maxMessages: number;
  readonly #maxBytes: number;
  readonly #decode: (bytes: Uint8Array) => ClientToRelay;
  readonly #items: Received[] = [];
  #bytes = 0;

  constructor(
    bounds: { readonly maxMessages: number; readonly maxBytes: number },
    decode: (bytes: Uint8Array) => ClientToRelay,
  ) {
    this.#maxMessages = bounds.maxMessages;
    this.#maxBytes = bounds.maxBytes;
    this.#decode = decode;
  }

  get empty(): boolean {
    return this.#items.length === 0;
  }

  /** Messages queued. */
  get length(): number {
    return this.#items.length;
  }

  /** Bytes of the messages queued. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Over its bounds: stop reading the connection. */
  get full(): boolean {
    return this.#items.length > this.#maxMessages || this.#bytes > this.#maxBytes;
  }

  /** Down to half its bounds: reading may resume. */
  get drained(): boolean {
    return this.#items.length <= this.#maxMessages / 2 && this.#bytes <= this.#maxBytes / 2;
  }

  push(bytes: Uint8Array): void {
    this.#items.push({ bytes, message: undefined, offset: 0 });
    this.#bytes += bytes.length;
  }

  /**
   * The next unit of at most `maxEntries`, taken off the inbox. Throws what decoding the next
   * message throws (that message is dropped). `undefined` when the inbox is empty.
   */
  next(maxEntries: number): WorkUnit | undefined {
    const head = this.#items[0];
    if (head === undefined) return undefined;
    let message: ClientToRelay;
    try {
      message = head.message ??= this.#decode(head.bytes);
    } catch (err) {
      this.#shift();
      throw err;
    }
    const from = head.offset;
    let unit: WorkUnit;
    let left: number;
    switch (message.kind) {
      case 'push': {
        const entries = message.entries.slice(from, from + maxEntries);
        unit = { message: { kind: 'push', entries }, entries: entries.length };
        left = message.entries.length - from - entries.length;
        break;
      }
      case 'subscribe': {
        const docs = message.docs.slice(from, from + maxEntries);
        unit = { message: { kind: 'subscribe', docs }, entries: docs.length };
        left = message.docs.length - from - docs.length;
        break;
      }
      default:
        unit = { message, entries: message.kind === 'unsubscribe' ? message.docs.length : 0 };
        left = 0;
    }
    if (left > 0) head.offset = from + unit.entries;
    else this.#shift();
    return unit;
  }

  clear(): void {
    this.#items.length = 0;
    this.#bytes = 0;
  }

  #shift(): void {
    const item = this.#items.shift();
    if (item !== undefined) this.#bytes -= item.bytes.length;
  }
}
