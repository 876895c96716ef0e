// A shopping cart shared by two devices: an OR-Map from item to PN-Counter (the quantity).
// Quantities from both devices add up; removing a line removes what the remover had seen.

import { createClient } from '@helios/client';
import { PNCounter } from '@helios/core';
import { exitIfHung, startDevRelay, until } from './support/example-kit.mjs';

exitIfHung();

// A relay for one region, in this process (see support/example-kit.mjs).
const { relay, url } = await startDevRelay('eu-central-1');

const phone = createClient({ relays: [url], persistence: 'memory', dbName: 'cart-phone' });
const laptop = createClient({ relays: [url], persistence: 'memory', dbName: 'cart-laptop' });
// `crdtMap(id, valueType)`: each key holds a CRDT of `valueType`, here a counter.
const phoneCart = phone.crdtMap('cart:user-7', PNCounter);
const laptopCart = laptop.crdtMap('cart:user-7', PNCounter);
await Promise.all([phoneCart.loaded, laptopCart.loaded]);

/** Adds `n` of `item`: `update` runs a PN-Counter mutator on that key's counter. */
const add = (cart, item, n) => cart.update(item, (line, me) => PNCounter.increment(line, me, n));
const show = (cart) => JSON.stringify(Object.fromEntries([...cart.value].sort()));

add(phoneCart, 'espresso-beans', 2);
add(laptopCart, 'espresso-beans', 1); // concurrent with the phone's: both count
add(laptopCart, 'milk-frother', 1);
await until(phoneCart, (cart) => cart.size === 2 && cart.get('espresso-beans') === 3);
await until(laptopCart, (cart) => cart.get('espresso-beans') === 3);
console.log(`phone:  ${show(phoneCart)}`);
console.log(`laptop: ${show(laptopCart)}`);

// Offline, the phone removes the frother while the laptop raises its quantity. The remove
// drops only what the phone had seen (quantity 1); the laptop's raise was unseen, so the line
// survives with the quantity the laptop had (2). A remove never swallows an unseen increment.
phone.setOnline(false);
phoneCart.remove('milk-frother');
add(laptopCart, 'milk-frother', 1);
await laptop.flush('relay');
phone.setOnline(true);
await until(phoneCart, (cart) => cart.get('milk-frother') === 2);
await until(laptopCart, (cart) => cart.get('milk-frother') === 2);
console.log(`after remove ∥ increment: ${show(phoneCart)} = ${show(laptopCart)}`);

await Promise.all([phone.close(), laptop.close()]);
await relay.close();
// expect: phone:  {"espresso-beans":3,"milk-frother":1}
// expect: laptop: {"espresso-beans":3,"milk-frother":1}
// expect: after remove ∥ increment: {"espresso-beans":3,"milk-frother":2} = {"espresso-beans":3,"milk-frother":2}
