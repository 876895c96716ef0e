import { readValue, type Value, valueEquals, writeValue } from '../codec/value.js';
import type { EntryValueKind } from './dot-store.js';

/** A replica's running totals in a counter: increments `p` and decrements `n`. */
export interface CounterEntry {
  readonly p: number;
  readonly n: number;
}

/** A last-writer-wins entry: the hybrid-clock time of the write and the value written. */
export interface LwwEntry<V extends Value = Value> {
  readonly wall: number;
  readonly counter: number;
  readonly value: V;
}

export const counterValues: EntryValueKind<CounterEntry> = {
  equals: (a, b) => a.p === b.p && a.n === b.n,
  write(w, e) {
    w.uint(e.p);
    w.uint(e.n);
  },
  read: (r) => ({ p: r.uint(), n: r.uint() }),
};

/** G-Counter entries are counter entries whose `n` is always 0, so only `p` is written. */
export const growOnlyValues: EntryValueKind<CounterEntry> = {
  equals: counterValues.equals,
  write: (w, e) => w.uint(e.p),
  read: (r) => ({ p: r.uint(), n: 0 }),
};

/** The wall time and a "counter follows" bit share a varint: the counter is nearly always 0. */
export const lwwValues: EntryValueKind<LwwEntry> = {
  equals: (a, b) => a.wall === b.wall && a.counter === b.counter && valueEquals(a.value, b.value),
  write(w, e) {
    w.uint(e.wall * 2 + (e.counter > 0 ? 1 : 0));
    if (e.counter > 0) w.uint(e.counter);
    writeValue(w, e.value, true);
  },
  read(r) {
    const packed = r.uint();
    const wall = Math.floor(packed / 2);
    const counter = packed % 2 === 1 ? r.uint() : 0;
    if (packed % 2 === 1 && counter === 0) r.fail('invariant', 'a zero counter written out');
    return { wall, counter, value: readValue(r) };
  },
};

export const plainValues: EntryValueKind<Value> = {
  equals: valueEquals,
  write: (w, v) => writeValue(w, v, true),
  read: readValue,
};

/** Set elements carry no payload: the dot alone says "added here". */
export const presence: EntryValueKind<true> = {
  equals: () => true,
  write: () => {},
  read: () => true,
};

/** Remove-Wins Set entries: `true` for an add, `false` for a remove. */
export const addOrRemove: EntryValueKind<boolean> = {
  equals: (a, b) => a === b,
  write: (w, added) => w.u8(added ? 1 : 0),
  read(r) {
    const b = r.u8();
    if (b > 1) r.fail('bad-tag', `an add/remove flag is 0 or 1, not ${b}`);
    return b === 1;
  },
};
