import type { DecodeErrorCode, ValidationRule } from '../errors.js';

/** Why a relay refused a connection or a message (the code of its `RelayError`). */
export type RelayErrorCode =
  | 'protocol-version'
  | 'unauthenticated'
  | 'forbidden'
  | 'replica-owned'
  | 'replica-retired'
  | 'bad-hello'
  | 'rate-limited'
  | 'too-many-connections'
  | 'too-many-replicas'
  | 'unknown-document'
  | 'too-large'
  | 'wrong-role'
  | 'unavailable';

/**
 * What a refused handshake says beyond its code and message (Socket.IO `connect_error`'s `data`,
 * docs/protocol.md §1.2).
 */
export interface HandshakeRefusal {
  readonly code: WireCode;
  /**
   * With `replica-retired`: the deployment's `retiredEpochsBelow`, so the client drops exactly
   * the ids it announced of epochs below it (relays before it leave it out).
   */
  readonly retiredBelow?: number;
}

/**
 * Every code a relay of this version sends, in an `error` message or a refused handshake: its
 * own refusals, the admission rules a delta broke, `decode/<reason>` for bytes it could not
 * decode, and `internal` for a failure of its own. Relays of later versions may send others, so
 * code that reads one from the wire types it as {@link WireCode}.
 */
export type WireErrorCode =
  | RelayErrorCode
  | ValidationRule
  | `decode/${DecodeErrorCode}`
  | 'internal';

/** A code read from the wire: one of {@link WireErrorCode}, or a newer relay's own. */
export type WireCode = WireErrorCode | (string & {});
