import { DecodeError, ValidationError, type WireErrorCode } from '@helios/core';
import type { Message } from '@helios/core/protocol';
import type { Logger } from 'pino';
import { RelayError } from './errors.js';
import type { RelayMetrics } from './metrics.js';
import { ReplyCap } from './reply-cap.js';

/** Replies a second to frames refused whole (`rate-limited`, not binary, undecodable). */
const MAX_FRAME_REPLIES = 10;

/** Where a refusal points: the push entry and the document it concerns. */
export interface Where {
  readonly push?: number;
  readonly doc?: string;
}

/**
 * How a client session says no: an `error` message with the wire code of what went wrong,
 * counted in the metrics. Refusals of whole frames are answered at most
 * {@link MAX_FRAME_REPLIES} times a second, so a flood cannot make the relay talk as much.
 */
export class SessionRefusals {
  readonly #send: (message: Message) => void;
  readonly #metrics: RelayMetrics;
  readonly #logger: Logger;
  readonly #replies: ReplyCap;

  constructor(
    send: (message: Message) => void,
    metrics: RelayMetrics,
    logger: Logger,
    now: () => number,
  ) {
    this.#send = send;
    this.#metrics = metrics;
    this.#logger = logger;
    this.#replies = new ReplyCap(MAX_FRAME_REPLIES, now);
  }

  refuse(code: WireErrorCode, text: string, where: Where = {}): void {
    this.#metrics.refused.inc({ code });
    this.#send({ kind: 'error', code, message: text, ...where });
  }

  /** Refuses a whole frame: counted always, answered at most {@link MAX_FRAME_REPLIES} a second. */
  refuseFrame(code: WireErrorCode, text: string): void {
    if (this.#replies.allow()) this.refuse(code, text);
    else this.#metrics.refused.inc({ code });
  }

  /** Refuses with the wire code `err` carries; an error that carries none is `internal`. */
  refuseError(err: unknown, where: Where = {}, wholeFrame = false): void {
    const [code, text]: [WireErrorCode | undefined, string] =
      err instanceof DecodeError
        ? [`decode/${err.code}`, err.message]
        : err instanceof ValidationError
          ? [err.rule, err.message]
          : err instanceof RelayError
            ? [err.code, err.message]
            : [undefined, 'the relay could not handle this message'];
    if (code === undefined) {
      this.#logger.error({ err }, 'unexpected error while handling a client message');
    }
    if (wholeFrame) this.refuseFrame(code ?? 'internal', text);
    else this.refuse(code ?? 'internal', text, where);
  }
}
