// Last-writer-wins vs multi-value, with @helios/core alone: two replicas write the same
// register concurrently. An LWW-Register keeps the write with the greatest hybrid-clock
// timestamp (wall ms, counter, replica) and drops the other; an MV-Register keeps both until a
// write that has seen them replaces them.
import { HybridLogicalClock, LWWRegister, MVRegister, newReplicaId } from '@helios/core';

// A hybrid logical clock is a "clocked actor": it names its replica and stamps LWW writes.
// The time source is injected here so the output is deterministic: B's clock is 5 ms ahead.
const a = new HybridLogicalClock({ replica: newReplicaId(), now: () => 1_700_000_000_000 });
const b = new HybridLogicalClock({ replica: newReplicaId(), now: () => 1_700_000_000_005 });

// LWW: both write offline, then exchange deltas.
const lwwA = LWWRegister.empty();
const lwwB = LWWRegister.empty();
const fromA = LWWRegister.set(lwwA, a, 'ship Monday');
const fromB = LWWRegister.set(lwwB, b, 'ship Tuesday');
LWWRegister.merge(lwwA, fromA);
LWWRegister.merge(lwwB, fromB);
LWWRegister.merge(lwwA, fromB);
LWWRegister.merge(lwwB, fromA);
console.log(`LWW: A ${LWWRegister.value(lwwA)}, B ${LWWRegister.value(lwwB)} (A's write is gone)`);

// MV: the same two writes; both versions stay visible on both replicas.
const mvA = MVRegister.empty();
const mvB = MVRegister.empty();
const mvFromA = MVRegister.set(mvA, a, 'ship Monday');
const mvFromB = MVRegister.set(mvB, b, 'ship Tuesday');
MVRegister.merge(mvA, mvFromA);
MVRegister.merge(mvB, mvFromB);
MVRegister.merge(mvA, mvFromB);
MVRegister.merge(mvB, mvFromA);
console.log(
  `MV: A ${JSON.stringify(MVRegister.value(mvA).sort())}, equal: ${MVRegister.equals(mvA, mvB)}`,
);

// A resolves: a write made after seeing both versions supersedes both, everywhere.
const resolution = MVRegister.set(mvA, a, 'ship Monday, by express');
MVRegister.merge(mvA, resolution);
MVRegister.merge(mvB, resolution);
console.log(
  `MV resolved: ${JSON.stringify(MVRegister.value(mvB))}, equal: ${MVRegister.equals(mvA, mvB)}`,
);
// expect: LWW: A ship Tuesday, B ship Tuesday (A's write is gone)
// expect: MV: A ["ship Monday","ship Tuesday"], equal: true
// expect: MV resolved: ["ship Monday, by express"], equal: true
