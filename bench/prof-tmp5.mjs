import { newReplicaId, PNCounter } from '@helios/core';
import { pack, unpack } from 'msgpackr';
const a = { replica: newReplicaId() };
const c = PNCounter.empty();
for (let i = 0; i < 1000; i++) PNCounter.merge(c, PNCounter.increment(c, a));
const d = PNCounter.increment(c, a);
const b = PNCounter.encode(d);
const plain = { t: 2, ctx: { [a.replica]: [1000, 1001] }, store: [[0, 1001, 1001, 0]] };
const mode = process.argv[2] ?? 'all';
for (let k = 0; k < 6; k++) {
  let t0 = performance.now(); let n = 0;
  while (performance.now() - t0 < 200) { for (let j = 0; j < 100; j++) { if (mode === 'enc' || mode === 'all') PNCounter.encode(d); if (mode === 'dec' || mode === 'all') PNCounter.decode(b); } n += 100; }
  const h = n / 0.2;
  t0 = performance.now(); n = 0;
  while (performance.now() - t0 < 200) { for (let j = 0; j < 100; j++) unpack(pack(plain)); n += 100; }
  console.log(mode, 'helios', h.toFixed(0), 'msgpackr', (n / 0.2).toFixed(0));
}
