import { it } from 'vitest';
it('probe', async () => {
  console.log('buf', Buffer.from('a') instanceof Uint8Array, new ArrayBuffer(1) instanceof ArrayBuffer, Buffer.from('a').buffer instanceof ArrayBuffer, new Uint8Array(2).buffer instanceof ArrayBuffer, (new TextEncoder().encode('x')) instanceof Uint8Array);
});
