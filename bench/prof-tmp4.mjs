import { AWSet, newReplicaId } from '@helios/core';
const actors = [0, 1, 2].map(() => ({ replica: newReplicaId() }));
const el = (i) => `item-${String(i).padStart(5, '0')}`;
const merged = AWSet.empty();
actors.forEach((actor, r) => {
  const s = AWSet.empty();
  for (let i = r * 400; i < r * 400 + 500; i++) AWSet.merge(s, AWSet.add(s, actor, el(i)));
  AWSet.merge(merged, s);
});
const b = AWSet.encode(merged);
const what = process.argv[2];
for (let k = 0; k < (process.argv[3] ? +process.argv[3] : 8); k++) {
  const t0 = performance.now(); let n = 0;
  while (performance.now() - t0 < 250) { if (what === 'enc') AWSet.encode(merged); else AWSet.decode(b); n++; }
  console.log(what, k, (n / 0.25).toFixed(0));
}
