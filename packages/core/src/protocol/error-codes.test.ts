import { describe, expectTypeOf, it } from 'vitest';
import type { DecodeErrorCode, ValidationRule } from '../errors.js';
import type { RelayErrorCode, WireCode, WireErrorCode } from './error-codes.js';
import type { ErrorEvent } from './messages.js';

// Compile-time checks (the typecheck of the tests runs them): the union a relay sends covers
// its own refusals, every admission rule and every decode reason, and a code read from the wire
// stays open to codes of later relays.
describe('wire error codes', () => {
  it('cover what a relay refuses with, and stay open when read', () => {
    expectTypeOf<RelayErrorCode>().toExtend<WireErrorCode>();
    expectTypeOf<ValidationRule>().toExtend<WireErrorCode>();
    expectTypeOf<`decode/${DecodeErrorCode}`>().toExtend<WireErrorCode>();
    expectTypeOf<'decode/nonsense'>().not.toExtend<WireErrorCode>();
    expectTypeOf<ErrorEvent['code']>().toEqualTypeOf<WireCode>();
    expectTypeOf<'a-code-of-a-later-relay'>().toExtend<WireCode>();
  });
});
