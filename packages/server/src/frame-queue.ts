/** A connection's frames not handled yet, oldest first, and their total size. */
export class FrameQueue {
  readonly #items: Uint8Array[] = [];
  #bytes = 0;

  /** Frames queued. */
  get frames(): number {
    return this.#items.length;
  }

  /** Bytes of the frames queued. */
  get bytes(): number {
    return this.#bytes;
  }

  push(frame: Uint8Array): void {
    this.#items.push(frame);
    this.#bytes += frame.length;
  }

  shift(): Uint8Array | undefined {
    const frame = this.#items.shift();
    if (frame !== undefined) this.#bytes -= frame.length;
    return frame;
  }

  clear(): void {
    this.#items.length = 0;
    this.#bytes = 0;
  }
}
