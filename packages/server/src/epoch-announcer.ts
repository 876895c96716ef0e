import type { ReplicaEpochs } from '@helios/core/protocol';
import type { RelayOptions } from './options.js';
import { replicaEpochs } from './welcome.js';

/** How often the relay looks whether the deployment's replica epochs moved. */
const EPOCH_POLL_MS = 1_000;

/**
 * Tells the clients connected to this node when the deployment's replica epochs move (a new
 * lease period begins, or more epochs retire), not only at their handshakes: a tab connected
 * for days would otherwise keep writing under an id of an epoch that then retires, and every
 * write it pushed afterwards would be refused (`replica-retired`). Told the new epoch, a
 * client renews its id and reconnects (docs/compaction.md), while its old id is still valid.
 */
export class EpochAnnouncer {
  readonly #options: Pick<RelayOptions, 'replicaEpoch' | 'retiredEpochsBelow'>;
  readonly #announce: (epochs: ReplicaEpochs) => void;
  #last: string | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** `announce` sends the message to every client connected to this node. */
  constructor(
    options: Pick<RelayOptions, 'replicaEpoch' | 'retiredEpochsBelow'>,
    announce: (epochs: ReplicaEpochs) => void,
  ) {
    this.#options = options;
    this.#announce = announce;
  }

  /** Looks now and every second until {@link stop}; nothing when the deployment names no epoch. */
  start(): void {
    if (this.#options.replicaEpoch === undefined || this.#timer !== undefined) return;
    this.check();
    this.#timer = setInterval(() => this.check(), EPOCH_POLL_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Announces the epochs if they changed since the last look (the first look only records). */
  check(): void {
    const epochs = replicaEpochs(this.#options);
    if (epochs === undefined) return;
    const key = `${epochs.epoch}/${epochs.retiredBelow}`;
    if (this.#last !== undefined && key !== this.#last) this.#announce(epochs);
    this.#last = key;
  }
}
