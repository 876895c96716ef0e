import { describe, expect, it } from 'vitest';
import { RefusedWriteError } from './client-error.js';
import { Receipt } from './receipt.js';

describe('Receipt', () => {
  it('tells its listeners of every level reached and of a failure, once', async () => {
    const receipt = new Receipt('likes', undefined);
    const seen: string[] = [];
    receipt.subscribe((level) => seen.push(receipt.error ? `failed at ${level}` : level));
    const relay = receipt.wait('relay');
    receipt.reach('local');
    receipt.reach('local'); // no change: no call
    const refusal = new RefusedWriteError('counter-increment', 'likes', 'too far in one delta');
    receipt.fail(refusal);
    receipt.fail(new Error('a second failure is not news'));
    expect(seen).toEqual(['local', 'failed at local']);
    expect(receipt.error).toBe(refusal);
    await expect(relay).rejects.toBe(refusal);
    await expect(receipt.wait('global')).rejects.toBe(refusal);
    await expect(receipt.wait('local')).resolves.toBeUndefined();
  });

  it('stops calling a listener once it unsubscribed', () => {
    const receipt = new Receipt('likes', undefined);
    const seen: string[] = [];
    const off = receipt.subscribe((level) => seen.push(level));
    receipt.reach('local');
    off();
    receipt.fail(new Error('refused'));
    expect(seen).toEqual(['local']);
  });
});
