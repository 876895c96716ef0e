import { CausalContext, causalReadiness, type DecodeLimits, decodeState } from '@helios/core';
import type { FeedEntry } from '@helios/core/protocol';
import type { Logger } from 'pino';
import type { DocumentCache } from './documents.js';
import type { PeerWait } from './node-ports.js';

/** How often a link whose feed waits checks whether what the waiting entry names has arrived. */
export const WAIT_POLL_MS = 50;
/**
 * How long a feed entry waits for the writes it names before it is merged anyway: longer than
 * replication between regions takes, short enough that a document whose entry names a write
 * that never comes (refused where it was made, or from a region cut off from this one but not
 * from the origin) is not held up for long.
 */
export const WAIT_MAX_MS = 5_000;

/** A feed entry, or a backfill page's document state (no seq). */
export type PeerEntry = {
  readonly doc: string;
  readonly delta: Uint8Array;
  readonly seq?: number;
};

/** A feed entry held back until it is causally ready. */
export interface Held {
  readonly entry: FeedEntry;
  readonly wait: PeerWait;
  /** When it was first held (the link's clock). */
  readonly since: number;
  /** Merge it whatever it waits for (see {@link releaseHeld}). */
  force: boolean;
}

/** What {@link releaseHeld} looks at besides the held entries. */
export interface HeldContext {
  readonly peer: string;
  readonly docs: DocumentCache;
  readonly decodeLimits: DecodeLimits;
  readonly logger: Logger;
  /** The link's clock now. */
  readonly now: number;
  /** Feed batches received behind the held entries, not merged yet. */
  readonly queued: readonly (readonly PeerEntry[])[];
}

/**
 * Whether the held entries (in feed order) should be merged again: the first held entry of some
 * document can go now, as what it names has arrived (on another link), comes later in this same
 * feed (see {@link ahead}), or it waited {@link WAIT_MAX_MS} and goes anyway (then it is marked
 * `force`). Its document's later entries follow it. None waits on itself: what an entry names was
 * committed in another region before its origin committed it (docs/architecture.md §2.1), so
 * every wait is for older commits, which the other links bring.
 */
export function releaseHeld(held: readonly Held[], context: HeldContext): boolean {
  const decided = new Set<string>();
  let any = false;
  for (const [i, h] of held.entries()) {
    if (decided.has(h.entry.doc)) continue;
    decided.add(h.entry.doc);
    const doc = context.docs.peek(h.entry.doc);
    // Not in memory any more (evicted): merging it again reloads the document, checks again.
    if (
      doc === undefined ||
      causalReadiness(h.wait.context, doc.state.context, 'one-writer').ready
    ) {
      any = true;
      continue;
    }
    const later = ahead(
      h.entry.doc,
      [held.slice(i + 1).map((l) => l.entry), ...context.queued],
      context.decodeLimits,
    );
    if (causalReadiness(h.wait.context, doc.state.context, 'one-writer', later).ready) {
      // What it names comes later in this feed: its origin did not have it either.
      h.force = any = true;
    } else if (context.now - h.since >= WAIT_MAX_MS) {
      // What it names has not come (a region cut off from this one but not from the origin,
      // or a write refused or never pushed where it was made): merged, it may show a value
      // next to one its writer had replaced, until the rest arrives. Replication goes on.
      h.force = any = true;
      context.logger.warn(
        {
          peer: context.peer,
          doc: h.entry.doc,
          seq: h.entry.seq,
          waitsFor: h.wait.unseen.toString(),
        },
        `peer entry waited ${WAIT_MAX_MS} ms for writes it names; merged without them`,
      );
    }
  }
  return any;
}

/**
 * The writes that later entries of this feed (`batches`: the held entries after the waiting
 * one, then the batches received behind) bring to `doc`: their origin committed them later, so
 * it had not seen them when it committed the waiting entry. That happens when two tabs of one
 * browser profile (two replicas, one connection each) push a write and one that replaces it in
 * the other order. Waiting for a later entry of the same feed would wait for nothing.
 */
function ahead(
  doc: string,
  batches: readonly (readonly PeerEntry[])[],
  decodeLimits: DecodeLimits,
): CausalContext {
  const writes = new CausalContext();
  for (const batch of batches) {
    for (const e of batch) {
      if (e.doc !== doc) continue;
      try {
        const { type, state } = decodeState(e.delta, decodeLimits);
        writes.join(type.liveDots(state));
      } catch {
        // undecodable: skipped when its turn comes
      }
    }
  }
  return writes;
}
