import { HeliosError } from '@helios/core';

/** Why the relay refused a connection or a message. Sent to clients as the error's `code`. */
export type RelayErrorCode =
  | 'protocol-version'
  | 'unauthenticated'
  | 'forbidden'
  | 'replica-owned'
  | 'bad-hello'
  | 'rate-limited'
  | 'too-many-connections'
  | 'too-many-replicas'
  | 'unknown-document'
  | 'too-large'
  | 'wrong-role'
  | 'unavailable';

export class RelayError extends HeliosError<RelayErrorCode> {}
