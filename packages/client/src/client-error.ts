import { HeliosError } from '@helios/core';

export type ClientErrorCode = 'invalid-argument' | 'type-mismatch' | 'closed' | 'refused';

/** A misuse of the client, or a write that a relay refused for good. */
export class ClientError extends HeliosError<ClientErrorCode> {}
