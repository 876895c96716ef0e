import { expect, it } from 'vitest';
import { isDevtoolsSource } from './source.js';
import { FakeSource } from './test-support/fake-source.js';

it('isDevtoolsSource: an event stream with subscribe and history, and inspect', () => {
  expect(isDevtoolsSource(new FakeSource())).toBe(true);
  const events = { subscribe: () => () => {}, history: () => [] };
  for (const not of [
    null,
    3,
    {},
    { events, inspect: 1 },
    { events: {}, inspect: () => [] },
    { inspect: () => [] },
  ]) {
    expect(isDevtoolsSource(not)).toBe(false);
  }
  expect(isDevtoolsSource({ events: { ...events, history: undefined }, inspect: () => [] })).toBe(
    false,
  );
});
