import { type HandshakeRefusal, HeliosError, type RelayErrorCode } from '@helios/core';

/** Why the relay refused a connection or a message (defined in core, shared with clients). */
export type { RelayErrorCode };

/** A refusal of the relay's; a handshake refusal also sends `refusal` (§1.2 of protocol.md). */
export class RelayError extends HeliosError<RelayErrorCode> {
  /** What a refused handshake says beyond `code` and the message (`connect_error`'s `data`). */
  readonly refusal: HandshakeRefusal;

  constructor(
    code: RelayErrorCode,
    message: string,
    { cause, ...details }: ErrorOptions & Omit<HandshakeRefusal, 'code'> = {},
  ) {
    super(code, message, cause === undefined ? undefined : { cause });
    this.refusal = { code, ...details };
  }
}
