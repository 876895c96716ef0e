import type { Receipt } from './receipt.js';

/** A delta on its way to local storage: an own write (with its receipt) or a relay's delta. */
export interface QueuedWrite {
  readonly doc: string;
  readonly delta: Uint8Array;
  /** Set for own writes, which go to the outbox; undefined for deltas from the relay. */
  readonly receipt: Receipt | undefined;
  /**
   * Other tabs' writes this one may depend on, not yet stored: the write is committed after
   * them (`OtherTabWrites.barrier`).
   */
  readonly after?: Promise<void> | undefined;
}
