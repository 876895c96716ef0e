import type { AnyCrdtState } from '@helios/core';
import type { Push } from '@helios/core/protocol';
import type { RelayDocument } from './documents.js';
import type { LocalWrite } from './local-write.js';
import type { SessionPort } from './node-ports.js';

/** One entry of a client's push. */
export type PushEntry = Push['entries'][number];

/** Push entries acked together once `durable` resolves (or refused if it rejects). */
export interface AckGroup {
  readonly entries: readonly PushEntry[];
  readonly durable: Promise<unknown>;
}

/**
 * The commits of one slice of a connection's push: the deltas it merges are committed as one
 * unit (joined per document when the connection writes as one replica), and its replays
 * (deltas merged here before) are confirmed once the commits queued before them are durable. One promise per slice instead of one per delta: a relay under load
 * merges tens of thousands of deltas a second, and per-delta promises, metric updates and
 * outlet turns were a large part of its CPU time (bench/RELAY.md).
 */
export class SliceCommits {
  readonly #node: SessionPort;
  readonly #socket: string;
  readonly #bulk: boolean;
  readonly #oneWriter: boolean;
  #writes: LocalWrite[] = [];
  #entries: PushEntry[] = [];
  readonly #groups: AckGroup[] = [];

  /** `oneWriter`: the connection writes as one replica, so its deltas may be joined. */
  constructor(node: SessionPort, socket: string, bulk: boolean, oneWriter: boolean) {
    this.#node = node;
    this.#socket = socket;
    this.#bulk = bulk;
    this.#oneWriter = oneWriter;
  }

  /** Joins a validated delta into `doc` now; it commits with the others at {@link seal}. */
  write(entry: PushEntry, doc: RelayDocument, delta: AnyCrdtState): void {
    this.#node.mergeLocal(doc, delta);
    this.#writes.push({ doc, bytes: entry.delta, delta });
    this.#entries.push(entry);
  }

  /** A delta every dot of which was merged before: acked once those commits are durable. */
  replay(entry: PushEntry, doc: RelayDocument): void {
    // Its dots may be in the writes not yet queued: they go first.
    this.seal();
    this.#groups.push({ entries: [entry], durable: this.#node.confirmReplay(doc) });
  }

  /**
   * Queues the commit of the writes merged since the last seal; the slice calls it before it
   * yields (no merged delta waits outside the commit queue across a turn) and at its end.
   * Returns every group so far.
   */
  seal(): readonly AckGroup[] {
    if (this.#writes.length > 0) {
      const lane = this.#bulk ? 'bulk' : 'interactive';
      const durable = this.#node.commitLocal(this.#writes, this.#socket, lane, this.#oneWriter);
      this.#groups.push({ entries: this.#entries, durable });
      this.#writes = [];
      this.#entries = [];
    }
    return this.#groups;
  }
}
