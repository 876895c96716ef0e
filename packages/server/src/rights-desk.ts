import { randomInt } from 'node:crypto';
import {
  type AnyCrdtState,
  type BoundedCounterState,
  BoundedCounterType,
  type DocumentId,
  MAX_REPLICA_ID_LENGTH,
  type ReplicaId,
} from '@helios/core';
import {
  type RightsGrant,
  type RightsRequest,
  relayReplicaId,
  relayReplicaRegion,
} from '@helios/core/protocol';
import type { Logger } from 'pino';
import type { RelayDocument } from './documents.js';
import { RelayError } from './errors.js';
import type { RelayMetrics } from './metrics.js';

/** How a region's relay hands out and gathers the rights of bounded counters. */
export interface RightsPolicy {
  /** The most rights one client request is granted (default 10): no client drains a region. */
  readonly maxGrant: number;
  /**
   * When a grant leaves the region's relay fewer rights than this (default 20), it asks the
   * reachable peer region holding the most for more, in the background.
   */
  readonly lowWater: number;
  /** How long a request the region cannot cover waits for a peer's transfer (ms, default 2000). */
  readonly peerWaitMs: number;
}

export const DEFAULT_RIGHTS_POLICY: RightsPolicy = { maxGrant: 10, lowWater: 20, peerWaitMs: 2000 };

/**
 * `given` over {@link DEFAULT_RIGHTS_POLICY}. Throws a `RangeError` naming a bad value: `maxGrant`
 * is a positive integer, `lowWater` an integer and `peerWaitMs` a number, both at least 0.
 */
export function resolveRightsPolicy(given: Partial<RightsPolicy> = {}): RightsPolicy {
  const policy = { ...DEFAULT_RIGHTS_POLICY, ...given };
  const { maxGrant, lowWater, peerWaitMs } = policy;
  if (!(Number.isSafeInteger(maxGrant) && maxGrant > 0)) {
    throw new RangeError(`rights.maxGrant must be a positive integer, got ${String(maxGrant)}`);
  }
  if (!(Number.isSafeInteger(lowWater) && lowWater >= 0)) {
    throw new RangeError(`rights.lowWater must be an integer ≥ 0, got ${String(lowWater)}`);
  }
  if (!(Number.isFinite(peerWaitMs) && peerWaitMs >= 0)) {
    throw new RangeError(`rights.peerWaitMs must be a number ≥ 0, got ${String(peerWaitMs)}`);
  }
  return policy;
}

/** How often a request waiting for a peer's transfer looks at the document again (ms). */
const WAIT_POLL_MS = 20;
/** Peer requests remembered, so a request delivered twice is granted once. */
const REMEMBERED_REQUESTS = 1_000;

/** What the desk needs of its node. */
export interface RightsPort {
  /** The relay's own replica, or undefined when it holds no rights (several nodes per region). */
  readonly replica: ReplicaId | undefined;
  readonly logger: Logger;
  readonly metrics: RelayMetrics;
  /** The document, loaded, or undefined if it was never written. */
  document(id: DocumentId): Promise<RelayDocument | undefined>;
  /** Commits a write of the relay's own replica; it goes on as any write does. */
  writeOwn(doc: RelayDocument, delta: AnyCrdtState): Promise<number>;
  /** The peer regions whose links are up now. */
  reachablePeers(): readonly string[];
  /** Sends a request to the relay of peer region `region`. */
  askPeer(region: string, request: RightsRequest): void;
}

/** What a request was granted: a transfer the relay committed, or nothing. */
export type Grant = Omit<RightsGrant, 'kind' | 'id' | 'doc'>;

/** An ask to a peer for one document's rights, still unanswered. */
interface Asking {
  readonly id: number;
  readonly region: string;
  /** `refused` is set when the peer answered that it gave nothing. */
  readonly answer: { refused: boolean };
  readonly done: Promise<boolean>;
}

/**
 * The region's rights of bounded counters, held by the relay's own replica (docs/architecture.md
 * §5.2). A client asks for rights; the desk gives it at most {@link RightsPolicy.maxGrant} of the
 * relay's, by a transfer committed and sent on as any write. A relay that runs low asks the
 * reachable peer holding the most (as this relay's state counts them) for more, one ask per
 * document at a time; a peer gives half of what it holds (at least one, if it has any), never
 * more than asked. Every move is the type's `transfer`, which spends only rights its writer
 * holds: rights are never created here, and the counter's bound holds at every replica whatever
 * is lost, repeated or cut off.
 */
/**
 * The relay's own replica, which holds its region's rights: made from the store's epoch, so it
 * is the same after a restart and never shared with another store. None when several nodes
 * share the region's store (they would mint the same dots), or when the region's name leaves no
 * room for it in a replica id.
 */
export function rightsReplica(
  region: string,
  epoch: string,
  sharedStore: boolean,
): ReplicaId | undefined {
  const replica = relayReplicaId(region, epoch);
  return !sharedStore && replica.length <= MAX_REPLICA_ID_LENGTH ? replica : undefined;
}

export class RightsDesk {
  readonly #port: RightsPort;
  readonly #policy: RightsPolicy;
  /**
   * Ids of this relay's asks. Peers remember the ids they answered (a repeat gets the first
   * answer), so they start at random: a restarted relay must not reuse the ids of its last life.
   */
  #nextId = randomInt(2 ** 47);
  readonly #asking = new Map<DocumentId, Asking>();
  /** Peer requests answered: `region/doc/id` → the rights granted. */
  readonly #answered = new Map<string, Grant>();

  constructor(port: RightsPort, policy: Partial<RightsPolicy> = {}) {
    this.#port = port;
    this.#policy = resolveRightsPolicy(policy);
  }

  /**
   * A client asks for `amount` rights of `docId` for its replica `to`. Granted from the relay's
   * rights; when it holds none, from a reachable peer's, once its transfer has arrived (at most
   * `peerWaitMs`). Nothing is granted, at once, when no reachable region holds any. An
   * `amount` of 0 only names the relay's replica (the grant's `from`).
   * @throws {RelayError} `unavailable` in a region of several nodes, which holds no rights.
   */
  async forClient(docId: DocumentId, to: ReplicaId, amount: number): Promise<Grant> {
    let doc = await this.#counter(docId);
    if (doc === undefined || amount === 0) return this.#none();
    const want = Math.min(amount, this.#policy.maxGrant);
    let grant = await this.#give(doc, to, want);
    let decided: 'here' | 'after-ask' | 'none' = 'here';
    if (grant.granted === 0 && (await this.#refill(doc, want))) {
      // The document may have been evicted and reloaded meanwhile: mint on the current one.
      doc = await this.#counter(docId);
      if (doc !== undefined) grant = await this.#give(doc, to, want);
      decided = 'after-ask';
    }
    if (grant.granted === 0) decided = 'none';
    this.#port.metrics.rightsRequests.inc({ decided });
    this.#port.metrics.rightsGranted.inc({ to: 'client' }, grant.granted);
    if (doc !== undefined && grant.granted > 0 && this.#mine(doc) < this.#policy.lowWater) {
      void this.#refill(doc, this.#policy.lowWater);
    }
    return grant;
  }

  /**
   * Peer region `region` asks for rights for its relay's replica: it gets half of what this
   * relay holds (rounded up), at most what it asked. A request seen before gets its first answer.
   */
  async forPeer(region: string, request: RightsRequest): Promise<Grant> {
    const key = `${region}/${request.doc}/${request.id}`;
    const seen = this.#answered.get(key);
    if (seen !== undefined) return seen;
    const doc = await this.#counter(request.doc);
    if (doc === undefined || relayReplicaRegion(request.to) !== region) return this.#none();
    const half = Math.ceil(this.#mine(doc) / 2);
    const grant = await this.#give(doc, request.to, Math.min(request.amount, half));
    if (this.#answered.size >= REMEMBERED_REQUESTS) {
      this.#answered.delete(this.#answered.keys().next().value!);
    }
    this.#answered.set(key, { from: grant.from, granted: grant.granted });
    this.#port.metrics.rightsGranted.inc({ to: 'peer' }, grant.granted);
    return grant;
  }

  /** A peer answered an ask; one that gave nothing ends the wait for it at once. */
  peerAnswered(region: string, grant: RightsGrant): void {
    const asking = this.#asking.get(grant.doc);
    if (asking?.id === grant.id && asking.region === region && grant.granted === 0) {
      asking.answer.refused = true;
    }
  }

  async #counter(id: DocumentId): Promise<RelayDocument | undefined> {
    if (this.#port.replica === undefined) {
      throw new RelayError('unavailable', 'a region of several relay nodes holds no rights');
    }
    const doc = await this.#port.document(id);
    return doc?.type instanceof BoundedCounterType ? doc : undefined;
  }

  #none(): Grant {
    return { from: this.#port.replica!, granted: 0 };
  }

  #mine(doc: RelayDocument): number {
    const me = this.#port.replica;
    if (me === undefined) return 0;
    return (doc.type as BoundedCounterType).localRights(doc.state as BoundedCounterState, me);
  }

  /** Transfers up to `want` of the relay's rights to `to`, and commits it. */
  async #give(doc: RelayDocument, to: ReplicaId, want: number): Promise<Grant> {
    const me = this.#port.replica!;
    const n = Math.min(want, this.#mine(doc));
    if (n <= 0 || to === me) return this.#none();
    const type = doc.type as BoundedCounterType;
    const delta = type.transfer(doc.state as BoundedCounterState, { replica: me }, to, n);
    await this.#port.writeOwn(doc, delta);
    return { from: me, granted: n, delta: type.encode(delta) };
  }

  /**
   * Asks the reachable peer that holds the most rights of `doc` for `want` or more, unless an
   * ask is out already; resolves with whether the relay holds rights once the peer's transfer
   * arrived, it gave nothing, or `peerWaitMs` passed.
   */
  #refill(doc: RelayDocument, want: number): Promise<boolean> {
    const pending = this.#asking.get(doc.id);
    if (pending !== undefined) return pending.done;
    const peer = this.#richestPeer(doc);
    if (peer === undefined) return Promise.resolve(this.#mine(doc) > 0);
    const id = this.#nextId++;
    const amount = Math.max(want, this.#policy.lowWater - this.#mine(doc));
    const before = this.#mine(doc);
    const answer = { refused: false };
    const asking: Asking = {
      id,
      region: peer,
      answer,
      done: this.#waitFor(doc, before, answer).finally(() => this.#asking.delete(doc.id)),
    };
    this.#asking.set(doc.id, asking);
    this.#port.askPeer(peer, {
      kind: 'rights-request',
      id,
      doc: doc.id,
      to: this.#port.replica!,
      amount,
    });
    return asking.done;
  }

  async #waitFor(
    doc: RelayDocument,
    before: number,
    answer: { readonly refused: boolean },
  ): Promise<boolean> {
    const started = Date.now();
    const until = started + this.#policy.peerWaitMs;
    let current = doc;
    while (this.#mine(current) <= before && !answer.refused && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
      current = (await this.#counter(doc.id)) ?? current;
    }
    const outcome =
      this.#mine(current) > before ? 'arrived' : answer.refused ? 'refused' : 'waiting';
    this.#port.metrics.rightsAskSeconds.observe({ outcome }, (Date.now() - started) / 1000);
    return this.#mine(current) > 0;
  }

  /** The reachable peer region whose relay holds the most rights of `doc`, as this state counts. */
  #richestPeer(doc: RelayDocument): string | undefined {
    const type = doc.type as BoundedCounterType;
    const reachable = new Set(this.#port.reachablePeers());
    let best: string | undefined;
    let most = 0;
    for (const [replica, rights] of type.rightsByReplica(doc.state as BoundedCounterState)) {
      const region = relayReplicaRegion(replica);
      if (region === undefined || !reachable.has(region)) continue;
      if (rights > most) {
        most = rights;
        best = region;
      }
    }
    return best;
  }
}
