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
  | 'bad-checksum'
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

/**
 * The rules a CRDT type's own admission check ({@link CrdtType.checkDelta}) brings beyond those
 * below, by name. A type module adds its rule here by module augmentation
 * (`declare module '../errors.js' { interface TypeRuleCodes { 'my-rule': true } }`), which makes
 * it a {@link ValidationRule} and a wire error code without an edit to this file.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by the type modules' augmentations.
export interface TypeRuleCodes {}

/** The rule of {@link validateDelta} that a delta broke. */
export type ValidationRule =
  | 'no-replica'
  | 'foreign-dot'
  | 'replica-retired'
  | 'unknown-context'
  | 'dot-conflict'
  | 'unattributed'
  | 'foreign-removal'
  | 'counter-increment'
  | 'counter-decrease'
  | 'register-write'
  | 'clock-drift'
  | 'type-mismatch'
  | keyof TypeRuleCodes;

/**
 * Rules that refuse a delta only while its receiver lacks an event its writer had seen: another
 * region's write after a failover (`unknown-context`), a removal that restarted a counter in a
 * map (`counter-decrease`), rights given by another replica. Replication brings the event, and
 * the same delta pushed again is then accepted.
 */
const transientRules = new Set<ValidationRule>(['unknown-context', 'counter-decrease']);

/**
 * Declares that a type's `rule` is one a delta may pass later (see {@link isTransientRule}): a
 * writer keeps a write it refuses and pushes it again. Called by the type's module.
 */
export function declareTransientRule(rule: ValidationRule): void {
  transientRules.add(rule);
}

/** Whether a refusal with `code` may pass later, once the receiver has caught up. */
export function isTransientRule(code: string): boolean {
  return transientRules.has(code as ValidationRule);
}

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
 * A mutator refused a write that the replica's state does not allow now, though its arguments are
 * fine: rights a bounded counter's replica lacks, units a quantity lacks. Nothing was applied.
 * The client's handles turn it into a failed receipt rather than throwing it, since the state
 * can change under a button between render and click.
 */
export class StateRefusalError<Code extends string = string> extends HeliosError<Code> {}

/** A value handed to a mutator cannot be stored (not finite, too deep, not encodable…). */
export class InvalidArgumentError extends HeliosError<'invalid-argument'> {
  constructor(message: string) {
    super('invalid-argument', message);
  }
}
