import { HeliosError } from '@helios/core';
import { RefusedWriteError } from './client-error.js';
import type { ClientEventLog } from './client-events.js';
import type { Clock } from './clock.js';
import { Receipt, type TrailObserver } from './receipt.js';

/**
 * Turns the steps of own writes' receipts into `write` events: a receipt reports each step to
 * {@link observe} (one function for all), which adds the write's dot, the region and the time.
 * Writes without a dot (none was minted, or the write waits for its document to load and a
 * second receipt carries it) have no trail.
 */
export class WriteTrail {
  readonly #log: ClientEventLog;
  readonly #clock: Clock;
  readonly #homeRegion: () => string | null;

  constructor(log: ClientEventLog, clock: Clock, homeRegion: () => string | null) {
    this.#log = log;
    this.#clock = clock;
    this.#homeRegion = homeRegion;
  }

  /** The observer every own write's receipt is created with. */
  readonly observe: TrailObserver = (receipt, stage, region, error) => {
    const dot = receipt.dot;
    if (dot === undefined) return;
    const where = region ?? (stage === 'relay' ? this.#homeRegion() : null);
    this.#log.emit({
      type: 'write',
      doc: receipt.doc,
      replica: dot.replica,
      seq: dot.seq,
      stage,
      ...(where ? { region: where } : {}),
      ...(error ? { error: errorOf(error) } : {}),
      at: this.#clock.now(),
    });
  };

  /** A write was applied to the in-memory replica. */
  pending(receipt: Receipt): void {
    this.observe(receipt, 'pending');
  }
}

/** A failure as an event says it: the relay's code for a refusal, else the error's own. */
function errorOf(error: Error): { code: string; message: string } {
  if (error instanceof RefusedWriteError) return { code: error.relayCode, message: error.message };
  const code = error instanceof HeliosError ? String(error.code) : error.name;
  return { code, message: error.message };
}

/**
 * A write to a document still loading, or made before the client holds a replica slot: its
 * receipt now, the write once `until` resolved (`write` then applies it, with a receipt of its own
 * whose steps and failure this one follows; that one carries the dot and the trail).
 */
export function writeWhenLoaded(
  doc: string,
  until: Promise<unknown>,
  write: () => Receipt,
): Receipt {
  const receipt = new Receipt(doc, undefined);
  until.then(
    () => {
      try {
        const applied = write();
        applied.subscribe((level) => receipt.reach(level));
        // Any failure of the applied write, even after 'local' (a relay refusal), is this one's.
        applied.wait('global').catch((err: Error) => receipt.fail(err));
      } catch (err) {
        receipt.fail(err as Error);
      }
    },
    (err: Error) => receipt.fail(err),
  );
  return receipt;
}
