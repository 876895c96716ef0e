// Add vs remove, side by side, with @helios/core alone (no relay): what each set type does when
// one replica removes an element while another, concurrently, adds it.
//   Add-Wins Set:    a remove drops only the adds it has seen; the unseen add survives.
//   Remove-Wins Set: a remove beats every add it has not seen.
//   OR-Set:          like Add-Wins, but each add is an instance with a tag you can remove.
import { AWSet, newReplicaId, ORSet, RWSet } from '@helios/core';

/** Two replicas of a set type, and the pure-delta way of editing them. */
function pair(Type) {
  const a = { replica: newReplicaId(), state: Type.empty() };
  const b = { replica: newReplicaId(), state: Type.empty() };
  /** Applies a mutator's delta locally and returns it, to send to the other replica. */
  const edit = (r, mutate) => {
    const result = mutate(r.state, r);
    const delta = result.delta ?? result; // ORSet.add returns { delta, tag }
    Type.merge(r.state, delta);
    return delta;
  };
  const show = (r) => JSON.stringify([...Type.value(r.state)].sort());
  return { a, b, edit, show };
}

for (const [name, Type] of [
  ['Add-Wins Set', AWSet],
  ['Remove-Wins Set', RWSet],
  ['OR-Set', ORSet],
]) {
  const { a, b, edit, show } = pair(Type);
  // Both replicas start with {scarf}.
  Type.merge(
    b.state,
    edit(a, (s, me) => Type.add(s, me, 'scarf')),
  );
  // Concurrently: A removes the scarf, B adds it again. Neither has seen the other's edit.
  const removal = edit(a, (s, me) => Type.remove(s, me, 'scarf'));
  const readd = edit(b, (s, me) => Type.add(s, me, 'scarf'));
  // Exchange the deltas, in either order: the result is the same on both.
  Type.merge(a.state, readd);
  Type.merge(b.state, removal);
  console.log(`${name}: A ${show(a)}, B ${show(b)}`);
}

// An OR-Set add returns a tag naming that instance: `removeTag` removes exactly that one.
const me = { replica: newReplicaId() };
const badges = ORSet.empty();
const first = ORSet.add(badges, me, 'badge');
ORSet.merge(badges, first.delta);
ORSet.merge(badges, ORSet.add(badges, me, 'badge').delta);
console.log(`OR-Set instances of badge: ${ORSet.tags(badges, 'badge').length}`);
ORSet.merge(badges, ORSet.removeTag(badges, me, first.tag));
console.log(
  `after removeTag(first): has ${ORSet.has(badges, 'badge')}, instances ${ORSet.tags(badges, 'badge').length}`,
);
// expect: Add-Wins Set: A ["scarf"], B ["scarf"]
// expect: Remove-Wins Set: A [], B []
// expect: OR-Set: A ["scarf"], B ["scarf"]
// expect: OR-Set instances of badge: 2
// expect: after removeTag(first): has true, instances 1
