import { AWSet, newReplicaId, PNCounter, LWWMap, HybridLogicalClock } from '@helios/core';
import { opsPerSec } from './src/timing.mjs';
const actors = [0, 1, 2].map(() => ({ replica: newReplicaId() }));
const el = (i) => `item-${String(i).padStart(5, '0')}`;
const merged = AWSet.empty();
actors.forEach((actor, r) => {
  const s = AWSet.empty();
  for (let i = r * 400; i < r * 400 + 500; i++) AWSet.merge(s, AWSet.add(s, actor, el(i)));
  AWSet.merge(merged, s);
});
for (let i = 0; i < 1300; i++) if (i % 13 < 3) AWSet.merge(merged, AWSet.remove(merged, el(i)));
if (process.argv[2] === 'mixed') {
  const a = { replica: newReplicaId() };
  const c = PNCounter.empty();
  const clock = new HybridLogicalClock({ replica: a.replica });
  const m = LWWMap.empty();
  const d = PNCounter.increment(c, a);
  const l = LWWMap.set(m, clock, 'k', 'abcdefghij');
  console.log('pn', opsPerSec(() => PNCounter.decode(PNCounter.encode(d)), { targetMs: 100, runs: 3 }));
  console.log('lww', opsPerSec(() => LWWMap.decode(LWWMap.encode(l)), { targetMs: 100, runs: 3 }));
}


for (let k = 0; k < 8; k++) {
  const t0 = performance.now(); let n = 0;
  while (performance.now() - t0 < 250) { AWSet.decode(AWSet.encode(merged)); n++; }
  console.log('aw window', k, (n / 0.25).toFixed(0));
}
