import type { DocumentId } from '@helios/core';
import type { ReplicaEpochs } from '@helios/core/protocol';
import type { Logger } from 'pino';
import { EpochAnnouncer } from './epoch-announcer.js';
import { type AutoFoldSchedule, FoldJob, type FoldJobStatus, resolveAutoFold } from './fold-job.js';
import { type Closure, type PeerClosure, stableFrontier } from './fold-stability.js';
import type { MergeCore } from './merge-core.js';
import type { RelayMetrics } from './metrics.js';
import type { NodeSlot } from './node-slot.js';
import type { RelayOptions } from './options.js';
import type { PeerChannel } from './peer-channel.js';
import type { PeerLink } from './peer-link.js';
import { RegionClosure } from './region-closure.js';
import type { Replication } from './replication.js';
import { foldRetired } from './retirement.js';

/** `GET /admin/fold`: this region's closure, its peers' receipts, and the fold job. */
export interface AdminFold {
  /** This region's closure receipt, as announced to its peers; none before one. */
  readonly closure: (Closure & { readonly at: number }) | undefined;
  /** Each peer region's receipt and how far its feed is merged here. */
  readonly peers: readonly PeerClosure[];
  /** Epochs below this could be folded now (0: none), before the grace period. */
  readonly stableFrontier: number;
  /** The automatic job's schedule and work; absent when `autoFold` is off. */
  readonly job?: FoldJobStatus & { readonly intervalMs: number; readonly graceMs: number };
}

/** What folding needs of the relay node. */
export interface FoldingParts {
  readonly options: RelayOptions;
  readonly region: string;
  readonly core: MergeCore;
  readonly slot: NodeSlot;
  readonly replication: Replication;
  readonly links: readonly PeerLink[];
  readonly metrics: RelayMetrics;
  readonly logger: Logger;
  readonly now: () => number;
  /** Sends a message to every client connected to this node. */
  readonly toClients: (message: ReplicaEpochs) => void;
}

/**
 * A relay node's part in folding retired replicas (docs/compaction.md): its region's closure
 * receipt, the stability rule over its peers' receipts, the manual fold and the scheduled one,
 * and telling its clients when epochs move.
 */
export class NodeFolding {
  readonly #parts: FoldingParts;
  readonly #closure: RegionClosure;
  readonly #peerRegions: readonly string[];
  readonly #schedule: AutoFoldSchedule | undefined;
  readonly #job: FoldJob | undefined;
  readonly #epochs: EpochAnnouncer;

  constructor(parts: FoldingParts) {
    this.#parts = parts;
    this.#epochs = new EpochAnnouncer(parts.options, parts.toClients);
    const { options, core, replication, logger, now } = parts;
    this.#closure = new RegionClosure({
      retiredBelow: () => this.#retiredBelow(),
      drain: () => core.barrier(),
      head: () => replication.feedHead(),
      shared: options.redisUrl !== undefined,
      logger,
      now,
      closed: (below) => parts.metrics.closedBelow.set(below),
    });
    this.#peerRegions = (options.peers ?? []).map((p) => p.region);
    const schedule = options.autoFold && resolveAutoFold(options.autoFold);
    this.#schedule = schedule;
    this.#job =
      schedule &&
      new FoldJob(
        {
          ...parts,
          regions: [parts.region, ...this.#peerRegions],
          store: options.store,
          docs: core.docs,
          frontier: () => this.#dueFrontier(),
          fold: (doc, frontier) => this.fold(doc, frontier),
        },
        schedule,
      );
  }

  #retiredBelow(): number {
    return this.#parts.options.retiredEpochsBelow?.() ?? 0;
  }

  /** Folds counter `doc` to `frontier` (see {@link foldRetired}): the caller vouches for it. */
  async fold(doc: DocumentId, frontier: number): Promise<boolean> {
    const { core, slot } = this.#parts;
    const folded = await foldRetired(
      { core, slot, retiredBelow: this.#retiredBelow() },
      doc,
      frontier,
    );
    if (folded) this.#parts.metrics.folds.inc();
    return folded;
  }

  /** The highest frontier causally stable here now (see {@link stableFrontier}). */
  stableFrontier(): number {
    const peers = this.#parts.links.map((l) => l.closure);
    return stableFrontier(this.#closure.current, this.#peerRegions, peers);
  }

  /** The stable frontier once the grace period since this region's closure is over, else 0. */
  #dueFrontier(): number {
    const closedAt = this.#closure.current?.at;
    const frontier = this.stableFrontier();
    const graceMs = this.#schedule?.graceMs ?? 0;
    const due = closedAt !== undefined && this.#parts.now() - closedAt >= graceMs;
    this.#parts.metrics.foldFrontier.set(due ? frontier : 0);
    return due ? frontier : 0;
  }

  /** Sends this region's closure receipt to a peer relay just welcomed, and later ones. */
  servePeer(channel: PeerChannel): void {
    this.#closure.serve(channel);
  }

  status(): AdminFold {
    const [job, schedule] = [this.#job, this.#schedule];
    return {
      closure: this.#closure.current,
      peers: this.#parts.links.map((l) => l.closure),
      stableFrontier: this.stableFrontier(),
      ...(job && schedule
        ? { job: { ...job.status, intervalMs: schedule.intervalMs, graceMs: schedule.graceMs } }
        : {}),
    };
  }

  /** Starts announcing closure and epoch changes and, with `autoFold`, the fold job. */
  start(): void {
    this.#closure.start();
    this.#epochs.start();
    this.#job?.start();
  }

  stop(): void {
    this.#closure.stop();
    this.#epochs.stop();
    this.#job?.stop();
  }
}
