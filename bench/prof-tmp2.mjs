import { AWSet, newReplicaId } from '@helios/core';
const actors = [0, 1, 2].map(() => ({ replica: newReplicaId() }));
const el = (i) => `item-${String(i).padStart(5, '0')}`;
const merged = AWSet.empty();
actors.forEach((actor, r) => {
  const s = AWSet.empty();
  for (let i = r * 400; i < r * 400 + 500; i++) AWSet.merge(s, AWSet.add(s, actor, el(i)));
  AWSet.merge(merged, s);
});
for (let i = 0; i < 1300; i++) if (i % 13 < 3) AWSet.merge(merged, AWSet.remove(merged, el(i)));
let b;
for (let round = 0; round < 3; round++) {
let t0 = performance.now();
for (let k = 0; k < 300; k++) b = AWSet.encode(merged);
console.log('encode ms', (performance.now() - t0) / 300, b.length);
t0 = performance.now();
for (let k = 0; k < 300; k++) AWSet.decode(b);
console.log('decode ms', (performance.now() - t0) / 300);
}
for (const r of merged.context.replicas()) console.log(merged.context.rangesOf(r).length);
