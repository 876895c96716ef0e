// Two devices edit the same cart offline, then exchange only what the other lacks.
// The cart is an OR-Map of quantities: item → Quantity.
import { newReplicaId, orMap, Quantity } from '@helios/core';

const Cart = orMap(Quantity);
const phone = { replica: newReplicaId(), state: Cart.empty() };
const laptop = { replica: newReplicaId(), state: Cart.empty() };

/** Applies a mutation locally: the mutator returns a delta, the replica merges it. */
function edit(device, key, mutate) {
  const delta = Cart.update(device.state, key, (line) => mutate(line, device));
  Cart.merge(device.state, delta);
  return delta;
}

edit(phone, 'espresso-beans', (line, d) => Quantity.increment(line, d, 2));
edit(laptop, 'espresso-beans', (line, d) => Quantity.increment(line, d, 1));
edit(laptop, 'milk-frother', (line, d) => Quantity.increment(line, d, 1));

// Back online: each side sends a digest, the other answers with exactly what is missing.
const toLaptop = Cart.deltaSince(phone.state, Cart.digest(laptop.state));
const toPhone = Cart.deltaSince(laptop.state, Cart.digest(phone.state));
Cart.merge(laptop.state, Cart.decode(Cart.encode(toLaptop)));
Cart.merge(phone.state, Cart.decode(Cart.encode(toPhone)));

const show = (s) =>
  JSON.stringify(Object.fromEntries([...Cart.value(s)].sort(([a], [b]) => (a < b ? -1 : 1))));
console.log(show(phone.state));
console.log(show(laptop.state));
console.log(`converged: ${Cart.equals(phone.state, laptop.state)}`);
// expect: {"espresso-beans":3,"milk-frother":1}
// expect: {"espresso-beans":3,"milk-frother":1}
// expect: converged: true
