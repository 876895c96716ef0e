import QuicLogger, { Handler, LogLevel, type LogRecord } from '@matrixai/logger';
import type { Logger } from 'pino';

/** Hands @matrixai/quic's log records to the relay's pino logger, at debug level. */
class PinoHandler extends Handler {
  readonly #logger: Logger;

  constructor(logger: Logger) {
    super();
    this.#logger = logger;
  }

  override handle(record: LogRecord): void {
    if (this.#logger.isLevelEnabled('debug')) this.#logger.debug({ quic: record.keys }, record.msg);
  }

  emit(): void {}
}

/**
 * The library's logger for QUIC peer links: its warnings and errors only (it logs every
 * connection and stream at INFO), at the relay's debug level. What matters to an operator (a
 * peer refused, a link down) the relay logs itself.
 */
export function quicLogger(logger: Logger): QuicLogger {
  return new QuicLogger('quic', LogLevel.WARN, [new PinoHandler(logger)]);
}
