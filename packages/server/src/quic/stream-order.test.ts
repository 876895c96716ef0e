import { describe, expect, it } from 'vitest';
import { MAX_WAITING, StreamOrder } from './stream-order.js';

const message = (n: number) => new Uint8Array([n]);

describe('StreamOrder', () => {
  it('hands on the messages of server streams in the order of their ids', () => {
    const out: number[] = [];
    const order = new StreamOrder((m) => out.push(m[0]!));
    order.completed(11, [message(3)]);
    order.completed(7, [message(2)]);
    expect(out).toEqual([]);
    order.completed(3, [message(1)]);
    expect(out).toEqual([1, 2, 3]);
    order.completed(15, [message(4), message(5)]);
    expect(out).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses ids that are no server unidirectional stream, repeated, or too far ahead', () => {
    const order = new StreamOrder(() => {});
    expect(() => order.completed(0, [])).toThrow(/unexpected stream 0/);
    expect(() => order.completed(2, [])).toThrow(/unexpected stream/);
    order.completed(3, []);
    expect(() => order.completed(3, [])).toThrow(/unexpected stream 3/);
    for (let i = 0; i < MAX_WAITING; i++) order.completed(11 + 4 * i, []);
    expect(() => order.completed(11 + 4 * MAX_WAITING, [])).toThrow(/out of order/);
  });
});
