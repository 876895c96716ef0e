// A shopping cart shared by two devices: an OR-Map from item to Quantity. Quantities from both
// devices add up; removing a line removes the units the remover had seen; a line never goes
// below zero.

import { createClient } from '@helios/client';
import { Quantity } from '@helios/core';
import { exitIfHung, startDevRelay, until } from './support/example-kit.mjs';

exitIfHung();

// A relay for one region, in this process (see support/example-kit.mjs).
const { relay, url } = await startDevRelay('eu-central-1');

const phone = createClient({ relays: [url], persistence: 'memory', dbName: 'cart-phone' });
const laptop = createClient({ relays: [url], persistence: 'memory', dbName: 'cart-laptop' });
// `crdtMap(id, valueType)`: each key holds a CRDT of `valueType`, here a quantity.
const phoneCart = phone.crdtMap('cart:user-7', Quantity);
const laptopCart = laptop.crdtMap('cart:user-7', Quantity);
await Promise.all([phoneCart.loaded, laptopCart.loaded]);

/** Adds `n` of `item`: `update` runs a Quantity mutator on that key's quantity. */
const add = (cart, item, n) => cart.update(item, (line, me) => Quantity.increment(line, me, n));
/** Takes one `item` away: the receipt fails (`quantity-below-zero`) if there is none. */
const takeOne = (cart, item) => cart.update(item, (line, me) => Quantity.decrement(line, me));
const show = (cart) => JSON.stringify(Object.fromEntries([...cart.value].sort()));

add(phoneCart, 'espresso-beans', 2);
add(laptopCart, 'espresso-beans', 1); // concurrent with the phone's: both count
add(laptopCart, 'milk-frother', 1);
await until(phoneCart, (cart) => cart.size === 2 && cart.get('espresso-beans') === 3);
await until(laptopCart, (cart) => cart.size === 2 && cart.get('espresso-beans') === 3);
console.log(`phone:  ${show(phoneCart)}`);
console.log(`laptop: ${show(laptopCart)}`);

// Offline, the phone removes the frother while the laptop adds one more. The remove drops the
// unit the phone had seen; the laptop's new unit was unseen, so the line comes back with just
// that one. (A PN-Counter line would come back with the laptop's whole running total, 2.)
phone.setOnline(false);
phoneCart.remove('milk-frother');
add(laptopCart, 'milk-frother', 1);
await laptop.flush('relay');
phone.setOnline(true);
await until(phoneCart, (cart) => cart.get('milk-frother') === 1);
await until(laptopCart, (cart) => cart.get('milk-frother') === 1);
console.log(`after remove ∥ increment: ${show(phoneCart)} = ${show(laptopCart)}`);

// Both devices offline take the last frother away. Both took the same unit: the line goes to
// zero and leaves the cart, never to −1. A third "−" on either has nothing to take: its receipt
// fails and nothing changes.
phone.setOnline(false);
laptop.setOnline(false);
takeOne(phoneCart, 'milk-frother');
takeOne(laptopCart, 'milk-frother');
const none = takeOne(laptopCart, 'milk-frother');
console.log(`a third "−": ${none.error?.code}`);
phone.setOnline(true);
laptop.setOnline(true);
await Promise.all([phone.flush('relay'), laptop.flush('relay')]);
await until(phoneCart, (cart) => !cart.has('milk-frother') && cart.size === 1);
await until(laptopCart, (cart) => !cart.has('milk-frother') && cart.size === 1);
console.log(`after two concurrent "−" at 1: ${show(phoneCart)} = ${show(laptopCart)}`);

await Promise.all([phone.close(), laptop.close()]);
await relay.close();
// expect: phone:  {"espresso-beans":3,"milk-frother":1}
// expect: laptop: {"espresso-beans":3,"milk-frother":1}
// expect: after remove ∥ increment: {"espresso-beans":3,"milk-frother":1} = {"espresso-beans":3,"milk-frother":1}
// expect: a third "−": quantity-below-zero
// expect: after two concurrent "−" at 1: {"espresso-beans":3} = {"espresso-beans":3}
