import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ContextRanges, JsonValue } from '@helios/core';
import { MAX_DOCUMENT_ID_LENGTH } from '@helios/core/protocol';
import type { RelayConflict } from './conflict-log.js';
import type { AdminFold } from './node-folding.js';
import type { PeerFeedStatus } from './replication.js';

/** A document as `GET /admin/documents/:id` shows it. */
export interface AdminDocument {
  readonly id: string;
  /** The type's name, e.g. `or-map<pn-counter>`. */
  readonly type: string;
  /** The value in JSON form (`CrdtType.toJson`). */
  readonly value: JsonValue;
  /** The causal context: per replica, the ranges of sequence numbers the relay has. */
  readonly context: ContextRanges;
  /** The store position of the last change to it this relay knows of. */
  readonly lastSeq: number;
}

/** `GET /admin/replication`: each peer region's link and place in this region's feed. */
export interface AdminReplication {
  readonly region: string;
  readonly relayId: string;
  readonly peers: readonly (PeerFeedStatus & { readonly connected: boolean })[];
}

/** What the admin endpoint reads from the relay. */
export interface AdminSource {
  /** The admin token; none (or empty) disables the endpoint. */
  readonly token: string | undefined;
  document(id: string): Promise<AdminDocument | undefined>;
  replication(): AdminReplication;
  conflicts(doc: string | undefined): readonly RelayConflict[];
  fold(): AdminFold;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Whether the request carries `Authorization: Bearer <token>`. Both sides are hashed first, so
 * the comparison takes the same time whatever the length or content of a guess.
 */
function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization;
  const given = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : '';
  return timingSafeEqual(digest(given), digest(token));
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** A document id from a URL path segment: decoded, 1 to 256 characters; undefined otherwise. */
function documentId(segment: string): string | undefined {
  if (segment.length > MAX_DOCUMENT_ID_LENGTH * 12) return undefined; // %-encoded, at most 12×
  let id: string;
  try {
    id = decodeURIComponent(segment);
  } catch {
    return undefined;
  }
  return id.length > 0 && id.length <= MAX_DOCUMENT_ID_LENGTH ? id : undefined;
}

/**
 * Serves `/admin/…` when an admin token is configured (else a 404, as for any unknown path):
 * `GET /admin/documents/:id`, `GET /admin/replication`, `GET /admin/conflicts?doc=`,
 * `GET /admin/fold`, as JSON,
 * to requests that carry the token. docs/devtools.md documents them.
 */
export async function serveAdmin(
  source: AdminSource,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const token = source.token;
  if (token === undefined || token === '') {
    res.writeHead(404).end();
    return;
  }
  if (!authorized(req, token)) {
    res.setHeader('www-authenticate', 'Bearer realm="helios-admin"');
    json(res, 401, { error: 'unauthorized', message: 'an admin token is required' });
    return;
  }
  if (req.method !== 'GET') {
    res.setHeader('allow', 'GET');
    json(res, 405, { error: 'method-not-allowed', message: 'the admin endpoint is read-only' });
    return;
  }
  const path = url.pathname;
  if (path === '/admin/replication') {
    json(res, 200, source.replication());
  } else if (path === '/admin/fold') {
    json(res, 200, source.fold());
  } else if (path === '/admin/conflicts') {
    const doc = url.searchParams.get('doc') ?? undefined;
    if (doc !== undefined && (doc.length === 0 || doc.length > MAX_DOCUMENT_ID_LENGTH)) {
      json(res, 400, {
        error: 'invalid-argument',
        message: 'doc is a document id of 1 to 256 characters',
      });
      return;
    }
    json(res, 200, { conflicts: source.conflicts(doc) });
  } else if (path.startsWith('/admin/documents/')) {
    const id = documentId(path.slice('/admin/documents/'.length));
    if (id === undefined) {
      json(res, 400, {
        error: 'invalid-argument',
        message: 'a document id has 1 to 256 characters',
      });
      return;
    }
    const doc = await source.document(id);
    if (doc === undefined) json(res, 404, { error: 'not-found', message: `no document ${id}` });
    else json(res, 200, doc);
  } else {
    json(res, 404, { error: 'not-found', message: 'unknown admin path' });
  }
}
