import { InvalidArgumentError, MAX_EPOCH } from '@helios/core';
import { describe, expect, it } from 'vitest';
import { epochCalendar } from './epoch-calendar.js';

const DAY = 86_400_000;

describe('epochCalendar', () => {
  it('numbers the periods from the Unix epoch and retires those retireAfter periods old', () => {
    let now = 20_000 * DAY + 5;
    const calendar = epochCalendar({ periodMs: DAY, retireAfter: 2, now: () => now });
    expect(calendar.replicaEpoch()).toBe(20_000);
    expect(calendar.retiredEpochsBelow?.()).toBe(19_998);
    // Read at every handshake: the next period moves both.
    now += DAY;
    expect(calendar.replicaEpoch()).toBe(20_001);
    expect(calendar.retiredEpochsBelow?.()).toBe(19_999);
    // Early periods retire nothing below 0.
    now = DAY;
    expect(calendar.retiredEpochsBelow?.()).toBe(0);
  });

  it('retires nothing without retireAfter', () => {
    const calendar = epochCalendar({ periodMs: 30 * DAY, now: () => 700 * 30 * DAY });
    expect(calendar.replicaEpoch()).toBe(700);
    expect(calendar.retiredEpochsBelow).toBeUndefined();
  });

  it('refuses periods that are not positive or run out of epochs, and fractional retireAfter', () => {
    const now = () => Date.UTC(2026, 11, 3);
    for (const periodMs of [0, -DAY, Number.NaN, Number.POSITIVE_INFINITY, 60_000]) {
      expect(() => epochCalendar({ periodMs, now })).toThrow(InvalidArgumentError);
    }
    // The shortest period whose epoch today is still MAX_EPOCH is accepted.
    expect(epochCalendar({ periodMs: Math.floor(now() / MAX_EPOCH), now }).replicaEpoch()).toBe(
      MAX_EPOCH,
    );
    for (const retireAfter of [0, -1, 1.5, Number.NaN]) {
      expect(() => epochCalendar({ periodMs: DAY, retireAfter, now })).toThrow(
        InvalidArgumentError,
      );
    }
  });
});
