import { randomInt } from 'node:crypto';
import {
  type AnyCrdtState,
  type BoundedCounterState,
  BoundedCounterType,
  type DocumentId,
  type ReplicaId,
} from '@helios/core';
import { type RightsGrant, type RightsRequest, relayReplicaRegion } from '@helios/core/protocol';
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

/** Another node of the region, and the replica holding its rights. */
export interface SiblingNode {
  readonly relayId: string;
  readonly replica: ReplicaId;
}

/** What the desk needs of its node. */
export interface RightsPort {
  /** The node's region. */
  readonly region: string;
  /**
   * The node's own replica, or undefined while it holds none (no node slot, see NodeSlot).
   * Read in the same turn as the write that spends its rights ({@link writeOwn}).
   */
  readonly replica: ReplicaId | undefined;
  readonly logger: Logger;
  readonly metrics: RelayMetrics;
  /**
   * The document, loaded and holding every change committed to it (by any node of the region),
   * or undefined if it was never written.
   */
  document(id: DocumentId): Promise<RelayDocument | undefined>;
  /**
   * Commits a write of the node's own replica, fenced by its node slot; it goes on as any write
   * does. Called in the same turn as {@link replica} was read.
   */
  writeOwn(doc: RelayDocument, delta: AnyCrdtState): Promise<number>;
  /** The peer regions whose links are up now. */
  reachablePeers(): readonly string[];
  /** Sends a request to the relay of peer region `region`. */
  askPeer(region: string, request: RightsRequest): void;
  /** The other nodes of the region heard alive (none in a region of one node). */
  siblings(): readonly SiblingNode[];
  /** Sends a request to node `relayId` of the region. */
  askSibling(relayId: string, request: RightsRequest): void;
}

/** What a request was granted: a transfer the relay committed, or nothing. */
export type Grant = Omit<RightsGrant, 'kind' | 'id' | 'doc'>;

/** Where an ask goes: a peer region's relay, or (with `relayId`) a node of this region. */
interface Target {
  readonly region: string;
  readonly relayId?: string;
}

/** An ask to a peer region or a node of this region for one document's rights, still unanswered. */
interface Asking {
  readonly id: number;
  /** The region answering (this node's own for a node of the region). */
  readonly region: string;
  /** The replica the rights are asked for: this node's when it asked. */
  readonly to: ReplicaId;
  /** `refused` is set when the peer answered that it gave nothing. */
  readonly answer: { refused: boolean };
  readonly done: Promise<boolean>;
}

/**
 * The rights of bounded counters a relay node holds for its region, as its own replica
 * (docs/architecture.md §5.2; one per node, see NodeSlot). A client asks for rights; the desk
 * gives it at most {@link RightsPolicy.maxGrant} of the node's, by a transfer committed and sent
 * on as any write. A node asks another relay for more, one ask per document at a time: when it
 * holds none as a client asks, another node of its region (over the cluster's channel) or else
 * a peer region's relay (over the peer link); when it runs low, a peer region's only. The one
 * asked gives half of what it holds (at least one, if it has any), never more than asked. Every
 * move is the type's `transfer`, which spends only rights its writer holds: rights are never
 * created here, and the counter's bound holds at every replica whatever is lost, repeated or
 * cut off.
 */
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
   * A client asks for `amount` rights of `docId` for its replica `to`. Granted from the node's
   * rights; when it holds none, from another node of the region's or a reachable peer region's,
   * once its transfer has arrived (at most `peerWaitMs`). Nothing is granted, at once, when no
   * reachable relay holds any. An `amount` of 0 only names the relay's replica (the grant's
   * `from`).
   * @throws {RelayError} `unavailable` while the node holds no replica (no node slot).
   */
  async forClient(docId: DocumentId, to: ReplicaId, amount: number): Promise<Grant> {
    let doc = await this.#counter(docId);
    if (doc === undefined || amount === 0) return this.#none();
    const want = Math.min(amount, this.#policy.maxGrant);
    let grant = await this.#give(doc, to, want);
    let decided: 'here' | 'after-ask' | 'none' = 'here';
    if (grant.granted === 0 && (await this.#refill(doc, want, 'need'))) {
      // The document may have been evicted and reloaded meanwhile: mint on the current one.
      doc = await this.#counter(docId);
      if (doc !== undefined) grant = await this.#give(doc, to, want);
      decided = 'after-ask';
    }
    if (grant.granted === 0) decided = 'none';
    this.#port.metrics.rightsRequests.inc({ decided });
    this.#port.metrics.rightsGranted.inc({ to: 'client' }, grant.granted);
    if (doc !== undefined && grant.granted > 0 && this.#mine(doc) < this.#policy.lowWater) {
      void this.#refill(doc, this.#policy.lowWater, 'low');
    }
    return grant;
  }

  /**
   * Peer region `region` asks for rights for its relay's replica: it gets half of what this
   * relay holds (rounded up), at most what it asked. A request seen before gets its first answer.
   */
  forPeer(region: string, request: RightsRequest): Promise<Grant> {
    return this.#forRelay(region, request, 'peer');
  }

  /** Another node of the region (`relayId`) asks, as a peer region does ({@link forPeer}). */
  forSibling(relayId: string, request: RightsRequest): Promise<Grant> {
    return this.#forRelay(`${this.#port.region}/${relayId}`, request, 'node', this.#port.region);
  }

  /**
   * Answers a relay's ask: `asker` names it (a region, or a region and node) for remembering the
   * requests answered; `region` is the region its replica `request.to` must be of.
   */
  async #forRelay(
    asker: string,
    request: RightsRequest,
    to: 'peer' | 'node',
    region = asker,
  ): Promise<Grant> {
    const key = `${asker}/${request.doc}/${request.id}`;
    const seen = this.#answered.get(key);
    if (seen !== undefined) return seen;
    const doc = await this.#counter(request.doc);
    const amount = request.amount;
    const bad = !(Number.isSafeInteger(amount) && amount > 0);
    if (doc === undefined || bad || relayReplicaRegion(request.to) !== region) return this.#none();
    const half = Math.ceil(this.#mine(doc) / 2);
    const grant = await this.#give(doc, request.to, Math.min(request.amount, half));
    if (this.#answered.size >= REMEMBERED_REQUESTS) {
      this.#answered.delete(this.#answered.keys().next().value!);
    }
    this.#answered.set(key, { from: grant.from, granted: grant.granted });
    this.#port.metrics.rightsGranted.inc({ to }, grant.granted);
    return grant;
  }

  /**
   * A peer region (or, with this node's own region, a node of it) answered an ask; one that
   * gave nothing ends the wait for it at once.
   */
  peerAnswered(region: string, grant: RightsGrant): void {
    const asking = this.#asking.get(grant.doc);
    if (asking?.id === grant.id && asking.region === region && grant.granted === 0) {
      asking.answer.refused = true;
    }
  }

  async #counter(id: DocumentId): Promise<RelayDocument | undefined> {
    this.#me();
    const doc = await this.#port.document(id);
    return doc?.type instanceof BoundedCounterType ? doc : undefined;
  }

  /** The node's replica; it may be lost while the desk waits (the node then grants nothing). */
  #me(): ReplicaId {
    const me = this.#port.replica;
    if (me === undefined) {
      throw new RelayError('unavailable', 'this relay node holds no rights now: ask again later');
    }
    return me;
  }

  #none(): Grant {
    return { from: this.#me(), granted: 0 };
  }

  #mine(doc: RelayDocument): number {
    const me = this.#port.replica;
    if (me === undefined) return 0;
    return (doc.type as BoundedCounterType).localRights(doc.state as BoundedCounterState, me);
  }

  /** Transfers up to `want` of the relay's rights to `to`, and commits it. */
  async #give(doc: RelayDocument, to: ReplicaId, want: number): Promise<Grant> {
    const me = this.#me();
    const n = Math.min(want, this.#mine(doc));
    if (n <= 0 || to === me) return this.#none();
    const type = doc.type as BoundedCounterType;
    const delta = type.transfer(doc.state as BoundedCounterState, { replica: me }, to, n);
    await this.#port.writeOwn(doc, delta);
    return { from: me, granted: n, delta: type.encode(delta) };
  }

  /**
   * Asks another relay for `want` rights of `doc` or more (whom: {@link #richest}), unless an
   * ask is out already; resolves with whether this node holds rights once the transfer arrived,
   * the one asked gave nothing, or `peerWaitMs` passed.
   */
  #refill(doc: RelayDocument, want: number, why: 'need' | 'low'): Promise<boolean> {
    const me = this.#port.replica;
    if (me === undefined) return Promise.resolve(false); // the slot was lost meanwhile
    const pending = this.#asking.get(doc.id);
    // An ask for a replica this node held before (it lost its slot since) is not waited for.
    if (pending !== undefined && pending.to === me) return pending.done;
    const target = this.#richest(doc, why);
    if (target === undefined) return Promise.resolve(this.#mine(doc) > 0);
    const id = this.#nextId++;
    const amount = Math.max(want, this.#policy.lowWater - this.#mine(doc));
    const before = this.#mine(doc);
    const answer = { refused: false };
    const done = this.#waitFor(doc, me, before, answer).finally(() => {
      if (this.#asking.get(doc.id) === asking) this.#asking.delete(doc.id);
    });
    const asking: Asking = { id, region: target.region, to: me, answer, done };
    this.#asking.set(doc.id, asking);
    const request: RightsRequest = { kind: 'rights-request', id, doc: doc.id, to: me, amount };
    if (target.relayId === undefined) this.#port.askPeer(target.region, request);
    else this.#port.askSibling(target.relayId, request);
    return asking.done;
  }

  /**
   * Waits until `me`'s rights of `doc` grew past `before`, the one asked refused, `peerWaitMs`
   * passed, or the node holds `me` no more; resolves with whether it holds rights then.
   */
  async #waitFor(
    doc: RelayDocument,
    me: ReplicaId,
    before: number,
    answer: { readonly refused: boolean },
  ): Promise<boolean> {
    const started = Date.now();
    const until = started + this.#policy.peerWaitMs;
    let current = doc;
    const waiting = () =>
      this.#mine(current) <= before &&
      !answer.refused &&
      this.#port.replica === me &&
      Date.now() < until;
    while (waiting()) {
      await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
      // A node that lost its slot meanwhile holds none (and refuses with `unavailable`).
      current = (await this.#counter(doc.id).catch(() => undefined)) ?? current;
    }
    const outcome =
      this.#mine(current) > before ? 'arrived' : answer.refused ? 'refused' : 'waiting';
    this.#port.metrics.rightsAskSeconds.observe({ outcome }, (Date.now() - started) / 1000);
    return this.#mine(current) > 0;
  }

  /**
   * Whom to ask for rights of `doc`: the reachable relay replica holding the most, as this state
   * counts, of a peer region whose link is up or (for a client's request this node cannot cover,
   * `need`) of another node of this region heard alive. Those nodes come first when one holds
   * any: they are a round trip within the region away. Running `low` asks peer regions only: a
   * region's nodes share its clients, so moving rights between them ahead of demand would only
   * move them back and forth; and it asks only a replica holding twice the low mark or more,
   * which stays above the mark after giving half, so that the last units of a counter do not go
   * back and forth between regions that are all low while their buyers ask. Replicas of this
   * region that no live node holds (a slot no node took again yet) are never asked.
   */
  #richest(doc: RelayDocument, why: 'need' | 'low'): Target | undefined {
    const type = doc.type as BoundedCounterType;
    const reachable = new Set(this.#port.reachablePeers());
    const siblings = new Map(
      why === 'need' ? this.#port.siblings().map((s) => [s.replica, s.relayId]) : [],
    );
    let best: { target: Target; rights: number; near: boolean } | undefined;
    for (const [replica, rights] of type.rightsByReplica(doc.state as BoundedCounterState)) {
      const region = relayReplicaRegion(replica);
      if (region === undefined || replica === this.#port.replica) continue;
      const relayId = region === this.#port.region ? siblings.get(replica) : undefined;
      if (relayId === undefined && !reachable.has(region)) continue;
      const near = relayId !== undefined;
      // A node of the region before a peer region; the one holding more among equals.
      const better = best === undefined || (near !== best.near ? near : rights > best.rights);
      if (rights >= (why === 'low' ? 2 * this.#policy.lowWater : 1) && better) {
        best = { target: near ? { region, relayId } : { region }, rights, near };
      }
    }
    return best?.target;
  }
}
