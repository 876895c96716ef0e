import { HeliosError, type WireCode } from '@helios/core';

export type ClientErrorCode = 'invalid-argument' | 'type-mismatch' | 'closed' | 'refused';

/** A misuse of the client, or a write that a relay refused for good. */
export class ClientError extends HeliosError<ClientErrorCode> {}

/**
 * A write the relay refused for good (code `refused`): it stays applied locally and is never
 * pushed again. `relayCode` is the relay's reason, e.g. `counter-increment` or `forbidden`
 * (docs/protocol.md lists them), for a program to branch on without parsing the message.
 */
export class RefusedWriteError extends ClientError {
  /** The relay's refusal code. */
  readonly relayCode: WireCode;
  /** The document written. */
  readonly doc: string;

  constructor(relayCode: WireCode, doc: string, message: string) {
    super('refused', `the relay refused the write to ${doc}: ${relayCode}: ${message}`);
    this.relayCode = relayCode;
    this.doc = doc;
  }
}
