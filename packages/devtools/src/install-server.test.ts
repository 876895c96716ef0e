// @vitest-environment node
import { expect, it } from 'vitest';
import { DevtoolsError } from './devtools-error.js';
import { installDevtools } from './install.js';
import { FakeSource } from './test-support/fake-source.js';

it('on a server (no window), installDevtools says so with a typed error', () => {
  expect(() => installDevtools(new FakeSource())).toThrow(
    expect.objectContaining({ name: 'DevtoolsError', code: 'invalid-option' }),
  );
  expect(() => installDevtools(new FakeSource())).toThrow(DevtoolsError);
});
