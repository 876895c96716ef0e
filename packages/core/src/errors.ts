/**
 * Every error Helios throws on purpose is a {@link HeliosError}: a class per family, a string
 * `code` that programs can switch on, and a message a person can act on.
 */
export class HeliosError<Code extends string = string> extends Error {
  /** Machine-readable reason, stable across releases. */
  readonly code: Code;

  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Why a byte sequence was refused by the decoder. */
export type DecodeErrorCode =
  | 'truncated'
  | 'trailing-bytes'
  | 'bad-version'
  | 'bad-tag'
  | 'unknown-type'
  | 'wrong-type'
  | 'overflow'
  | 'bad-utf8'
  | 'limit-bytes'
  | 'limit-depth'
  | 'limit-elements'
  | 'invariant';

/** Untrusted bytes did not decode. Nothing was allocated past the configured caps. */
export class DecodeError extends HeliosError<DecodeErrorCode> {
  /** Byte offset at which decoding stopped. */
  readonly offset: number;

  constructor(code: DecodeErrorCode, message: string, offset: number) {
    super(code, `${message} (at byte ${offset})`);
    this.offset = offset;
  }
}

/** The rule of {@link validateDelta} that a delta broke. */
export type ValidationRule =
  | 'no-replica'
  | 'foreign-dot'
  | 'unknown-context'
  | 'dot-conflict'
  | 'unattributed'
  | 'foreign-removal'
  | 'counter-increment'
  | 'counter-decrease'
  | 'insufficient-rights'
  | 'register-write'
  | 'clock-drift'
  | 'type-mismatch';

/** A well-formed delta that the receiver must not accept. */
export class ValidationError extends HeliosError<ValidationRule> {
  /** Same as `code`: the name of the broken rule. */
  get rule(): ValidationRule {
    return this.code;
  }
}

/** A timestamp lies further in the future than the clock's drift bound allows. */
export class ClockDriftError extends HeliosError<'clock-drift'> {
  readonly driftMs: number;
  readonly maxDriftMs: number;

  constructor(driftMs: number, maxDriftMs: number) {
    super(
      'clock-drift',
      `timestamp is ${driftMs} ms ahead of this clock; the bound is ${maxDriftMs} ms`,
    );
    this.driftMs = driftMs;
    this.maxDriftMs = maxDriftMs;
  }
}

/**
 * A bounded counter's replica was asked to decrement, or to give away, more than the rights it
 * holds: nothing was applied. `available` is what it could have spent.
 */
export class InsufficientRightsError extends HeliosError<'insufficient-rights'> {
  readonly requested: number;
  readonly available: number;

  constructor(requested: number, available: number) {
    super(
      'insufficient-rights',
      `this replica holds rights to ${available}, not the ${requested} asked for`,
    );
    this.requested = requested;
    this.available = available;
  }
}

/** A value handed to a mutator cannot be stored (not finite, too deep, not encodable…). */
export class InvalidArgumentError extends HeliosError<'invalid-argument'> {
  constructor(message: string) {
    super('invalid-argument', message);
  }
}
