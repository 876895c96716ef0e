/**
 * Caps that bound what decoding untrusted bytes may cost. Every collection length is checked
 * against the element budget and the bytes left before anything is allocated.
 */
export interface DecodeLimits {
  /** Largest input accepted, in bytes. */
  readonly maxBytes: number;
  /** Deepest nesting of values and nested CRDTs. */
  readonly maxDepth: number;
  /** Total collection elements (entries, dots, ranges, array items) across one input. */
  readonly maxElements: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  maxBytes: 16 * 1024 * 1024,
  maxDepth: 32,
  maxElements: 4_000_000,
};
