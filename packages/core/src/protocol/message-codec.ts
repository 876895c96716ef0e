import { ByteReader } from '../codec/byte-reader.js';
import { ByteWriter } from '../codec/byte-writer.js';
import type { DecodeLimits } from '../codec/limits.js';
import { writeContext } from '../codec/replica-table.js';
import {
  closedBelow,
  context,
  docId,
  pushId,
  regionName,
  replica,
  replicaEpochs,
} from './message-fields.js';
import {
  type FeedEntry,
  MAX_DOCUMENT_ID_LENGTH,
  MAX_RIGHTS_REQUEST,
  type Message,
  PROTOCOL_VERSION,
  type Subscription,
} from './messages.js';
import {
  readPresenceName,
  readPresenceState,
  readPresenceUser,
  writePresenceState,
} from './presence-state.js';

/**
 * Binary framing of {@link Message}s: a version byte, a kind byte, then the fields in a fixed
 * order. CRDT deltas travel as their own encoding (length-prefixed), so a relay can forward
 * one without re-encoding it. docs/protocol.md documents every byte.
 */
const KINDS = [
  'welcome',
  'sync',
  'delta',
  'ack',
  'replicated',
  'error',
  'subscribe',
  'unsubscribe',
  'push',
  'feed-request',
  'feed-batch',
  'feed-ack',
  'feed-state',
  'rights-request',
  'rights-grant',
  'presence-set',
  'presence',
  'peer-presence',
  'region-replicated',
  'feed-closed',
  'replica-epoch',
] as const satisfies readonly Message['kind'][];

const KIND_CODE = new Map<Message['kind'], number>(KINDS.map((k, i) => [k, i + 1] as const));

export function encodeMessage(m: Message): Uint8Array {
  const w = new ByteWriter(32);
  w.u8(PROTOCOL_VERSION);
  w.u8(KIND_CODE.get(m.kind)!);
  switch (m.kind) {
    case 'welcome':
      w.uint(m.protocol);
      w.string(m.region);
      w.string(m.relayId);
      w.uint(m.time);
      w.uint(m.limits.maxMessageBytes);
      w.uint(m.limits.maxDeltasPerSecond);
      w.uint(m.limits.maxDriftMs);
      optionalString(w, m.epoch);
      break;
    case 'sync':
    case 'delta':
      w.string(m.doc);
      blob(w, m.delta);
      break;
    case 'ack':
      w.uint(m.ids.length);
      for (const id of m.ids) w.uint(id);
      break;
    case 'replicated':
      w.string(m.doc);
      writeContext(w, m.dots);
      break;
    case 'region-replicated':
      w.string(m.doc);
      w.string(m.region);
      writeContext(w, m.dots);
      break;
    case 'error':
      w.string(m.code);
      w.string(m.message);
      w.uint(m.push === undefined ? 0 : m.push + 1);
      w.string(m.doc ?? '');
      break;
    case 'subscribe':
      w.uint(m.docs.length);
      for (const s of m.docs) {
        w.string(s.doc);
        blob(w, s.type);
        writeContext(w, s.digest.context);
        writeContext(w, s.digest.live);
      }
      break;
    case 'unsubscribe':
      w.uint(m.docs.length);
      for (const doc of m.docs) w.string(doc);
      break;
    case 'push':
      w.uint(m.entries.length);
      for (const e of m.entries) {
        w.uint(e.id);
        w.string(e.doc);
        blob(w, e.delta);
      }
      break;
    case 'feed-request':
      w.uint(m.after);
      optionalString(w, m.afterDoc);
      break;
    case 'feed-batch': {
      // `after` travels as the seqs skipped before the first entry: one byte, mostly.
      const skip = (m.entries[0]?.seq ?? 0) - 1 - m.after;
      if (!(m.after >= 0 && skip >= 0 && Number.isSafeInteger(skip))) {
        throw new RangeError('a feed batch has entries, after its `after` (≥ 0)');
      }
      w.uint(m.entries.length);
      for (const e of m.entries) {
        w.uint(e.seq);
        w.string(e.doc);
        blob(w, e.delta);
      }
      w.uint(skip);
      break;
    }
    case 'feed-ack':
      w.uint(m.upTo);
      break;
    case 'feed-closed':
      w.uint(m.below);
      w.uint(m.upTo);
      break;
    case 'replica-epoch':
      w.uint(m.epoch);
      w.uint(m.retiredBelow);
      break;
    case 'feed-state':
      w.uint(m.upTo);
      w.uint(m.entries.length);
      for (const e of m.entries) {
        w.string(e.doc);
        blob(w, e.state);
      }
      w.string(m.next ?? '');
      break;
    case 'rights-request':
      w.uint(m.id);
      w.string(m.doc);
      w.string(m.to);
      w.uint(m.amount);
      break;
    case 'rights-grant':
      w.uint(m.id);
      w.string(m.doc);
      w.string(m.from);
      w.uint(m.granted);
      blob(w, m.delta ?? new Uint8Array(0));
      break;
    case 'presence-set':
      w.string(m.doc);
      writePresenceState(w, m.state);
      break;
    case 'presence':
      w.string(m.doc);
      w.uint(m.entries.length);
      for (const e of m.entries) {
        w.string(e.id);
        w.string(e.region);
        w.string(e.user ?? '');
        writePresenceState(w, e.state);
      }
      break;
    case 'peer-presence':
      w.uint(m.entries.length);
      for (const e of m.entries) {
        w.string(e.doc);
        w.string(e.id);
        w.string(e.user ?? '');
        writePresenceState(w, e.state);
      }
      break;
  }
  return w.finish();
}

/**
 * A field added after version 1 shipped goes last and only when present, so messages without
 * it stay byte-identical to what older peers and clients decode.
 */
function optionalString(w: ByteWriter, value: string | undefined): void {
  if (value !== undefined) w.string(value);
}

function blob(w: ByteWriter, bytes: Uint8Array): void {
  w.uint(bytes.length);
  w.bytes(bytes);
}

/**
 * Decodes one message from untrusted bytes.
 * @throws {DecodeError} for anything malformed, of another protocol version, or past `limits`.
 */
export function decodeMessage(bytes: Uint8Array, limits?: DecodeLimits): Message {
  const r = new ByteReader(bytes, limits);
  const version = r.u8();
  if (version !== PROTOCOL_VERSION) {
    r.fail('bad-version', `protocol ${version} is not ${PROTOCOL_VERSION}`);
  }
  const code = r.u8();
  const kind = KINDS[code - 1];
  if (kind === undefined) return r.fail('bad-tag', `unknown message kind ${code}`);
  const m = readBody(r, kind);
  r.end();
  return m;
}

function readBody(r: ByteReader, kind: Message['kind']): Message {
  switch (kind) {
    case 'welcome': {
      const welcome = {
        kind,
        protocol: r.uint(),
        region: r.string(),
        relayId: r.string(),
        time: r.uint(),
        limits: { maxMessageBytes: r.uint(), maxDeltasPerSecond: r.uint(), maxDriftMs: r.uint() },
      };
      if (r.remaining === 0) return welcome;
      const epoch = r.string();
      if (epoch === '') r.fail('invariant', 'an epoch, when present, is not empty');
      return { ...welcome, epoch };
    }
    case 'sync':
    case 'delta':
      return { kind, doc: docId(r), delta: r.bytes(r.uint()) };
    case 'ack': {
      const n = r.length();
      const ids: number[] = [];
      for (let i = 0; i < n; i++) ids.push(r.uint());
      return { kind, ids };
    }
    case 'replicated':
      return { kind, doc: docId(r), dots: context(r) };
    case 'region-replicated':
      return { kind, doc: docId(r), region: regionName(r), dots: context(r) };
    case 'error': {
      const code = r.string();
      const message = r.string();
      const push = r.uint();
      const doc = r.string();
      return {
        kind,
        code,
        message,
        ...(push > 0 ? { push: push - 1 } : {}),
        ...(doc !== '' ? { doc } : {}),
      };
    }
    case 'subscribe': {
      const n = r.length(4);
      const docs: Subscription[] = [];
      for (let i = 0; i < n; i++) {
        docs.push({
          doc: docId(r),
          type: r.bytes(r.uint()),
          digest: { context: context(r), live: context(r) },
        });
      }
      return { kind, docs };
    }
    case 'unsubscribe': {
      const n = r.length(2);
      const docs: string[] = [];
      for (let i = 0; i < n; i++) docs.push(docId(r));
      return { kind, docs };
    }
    case 'push': {
      const n = r.length(3);
      const entries = [];
      for (let i = 0; i < n; i++) {
        entries.push({ id: pushId(r), doc: docId(r), delta: r.bytes(r.uint()) });
      }
      return { kind, entries };
    }
    case 'feed-request': {
      const after = r.uint();
      return r.remaining === 0 ? { kind, after } : { kind, after, afterDoc: docId(r) };
    }
    case 'feed-batch': {
      const n = r.length(3);
      if (n === 0) r.fail('invariant', 'a feed batch holds at least one entry');
      const entries: FeedEntry[] = [];
      for (let i = 0; i < n; i++) {
        const seq = r.uint();
        if (seq <= (entries[i - 1]?.seq ?? 0)) r.fail('invariant', 'feed seqs increase, from 1');
        entries.push({ seq, doc: docId(r), delta: r.bytes(r.uint()) });
      }
      const after = entries[0]!.seq - 1 - r.uint();
      if (after < 0) r.fail('invariant', 'a feed batch continues from a position ≥ 0');
      return { kind, after, entries };
    }
    case 'feed-ack':
      return { kind, upTo: r.uint() };
    case 'feed-closed':
      return { kind, below: closedBelow(r), upTo: r.uint() };
    case 'replica-epoch':
      return { kind, ...replicaEpochs(r) };
    case 'feed-state': {
      const upTo = r.uint();
      const n = r.length(3);
      const entries = [];
      for (let i = 0; i < n; i++) entries.push({ doc: docId(r), state: r.bytes(r.uint()) });
      // Document ids are never empty, so an empty `next` marks the last page.
      const next = r.string();
      if (next.length > MAX_DOCUMENT_ID_LENGTH) {
        r.fail('invariant', `a document id has 1 to ${MAX_DOCUMENT_ID_LENGTH} characters`);
      }
      return next === '' ? { kind, upTo, entries } : { kind, upTo, entries, next };
    }
    case 'rights-request': {
      const request = { kind, id: pushId(r), doc: docId(r), to: replica(r), amount: r.uint() };
      if (request.amount > MAX_RIGHTS_REQUEST) {
        r.fail('invariant', `a rights request asks for at most ${MAX_RIGHTS_REQUEST}`);
      }
      return request;
    }
    case 'rights-grant': {
      const grant = { kind, id: pushId(r), doc: docId(r), from: replica(r), granted: r.uint() };
      const delta = r.bytes(r.uint());
      if (delta.length > 0 && grant.granted === 0) {
        r.fail('invariant', 'a grant of nothing carries no transfer');
      }
      return delta.length > 0 ? { ...grant, delta } : grant;
    }
    case 'presence-set':
      return { kind, doc: docId(r), ...readPresenceState(r) };
    case 'presence': {
      const doc = docId(r);
      const n = r.length(4);
      const entries = [];
      for (let i = 0; i < n; i++) {
        entries.push({
          id: readPresenceName(r, false),
          region: readPresenceName(r, false),
          ...readPresenceUser(r),
          ...readPresenceState(r),
        });
      }
      return { kind, doc, entries };
    }
    case 'peer-presence': {
      const n = r.length(5);
      const entries = [];
      for (let i = 0; i < n; i++) {
        entries.push({
          doc: docId(r),
          id: readPresenceName(r, false),
          ...readPresenceUser(r),
          ...readPresenceState(r),
        });
      }
      return { kind, entries };
    }
  }
}
