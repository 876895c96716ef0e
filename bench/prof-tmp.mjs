import { HybridLogicalClock, LWWMap, newReplicaId, AWSet } from '@helios/core';
const n = 1540;
const deltas = [];
for (let i = 0; i < n; i++) {
  const clock = new HybridLogicalClock({ replica: newReplicaId() });
  deltas.push(LWWMap.encode(LWWMap.set(LWWMap.empty(), clock, 'v', i)));
}
const which = process.argv[2];
if (which === 'b31') {
  for (let k = 0; k < 10; k++) {
    const t0 = performance.now();
    const target = LWWMap.empty();
    for (const b of deltas) LWWMap.merge(target, LWWMap.decode(b));
    console.log('b31', performance.now() - t0);
  }
} else {
  const actors = [0, 1, 2].map(() => ({ replica: newReplicaId() }));
  const merged = AWSet.empty();
  for (const [r, actor] of actors.entries()) {
    const s = AWSet.empty();
    for (let i = r * 400; i < r * 400 + 500; i++) AWSet.merge(s, AWSet.add(s, actor, 'item-' + i));
    AWSet.merge(merged, s);
  }
  let t0 = performance.now();
  let b;
  for (let k = 0; k < 200; k++) b = AWSet.encode(merged);
  console.log('encode', (performance.now() - t0) / 200);
  t0 = performance.now();
  for (let k = 0; k < 200; k++) AWSet.decode(b);
  console.log('decode', (performance.now() - t0) / 200);
}
