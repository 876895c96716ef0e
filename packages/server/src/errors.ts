import { HeliosError, type RelayErrorCode } from '@helios/core';

/** Why the relay refused a connection or a message (defined in core, shared with clients). */
export type { RelayErrorCode };

export class RelayError extends HeliosError<RelayErrorCode> {}
