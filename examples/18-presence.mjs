// Presence (docs/presence.md): who else has a document open, from which region, and what they
// look at. Ephemeral: never stored, forwarded by the relays to every region, gone when a
// connection closes. The relay stamps who and where; the app sets only the state.
import { createClient } from '@helios/client';
import { orMap, Quantity } from '@helios/core';
import { exitIfHung, startDevRegions, statusWhere } from './support/example-kit.mjs';

exitIfHung();

const { relays, urls } = await startDevRegions(['eu-west-1', 'ap-southeast-1']);
const device = async (name, region) => {
  const client = createClient({ relays: [urls.get(region)], persistence: 'memory', dbName: name });
  const cart = client.open('cart', orMap(Quantity)); // the relay takes presence of subscribers
  await statusWhere(client, (s) => s.connection === 'online');
  await cart.loaded;
  return { client, here: client.presence('cart') };
};

/** Resolves once `ok(others)` holds for the handle's others. */
const othersWhere = (here, ok) =>
  new Promise((resolve) => {
    const check = () => {
      if (!ok(here.others)) return;
      stop();
      resolve(here.others);
    };
    const stop = here.subscribe(check);
    check();
  });
const show = (others) => others.map((o) => `${o.state.device} in ${o.region}`).join(', ');

const phone = await device('phone', 'eu-west-1');
const laptop = await device('laptop', 'ap-southeast-1');
phone.here.set({ device: 'phone', looking: 'cart' });
laptop.here.set({ device: 'laptop', looking: 'catalog' });
console.log(`phone sees: ${show(await othersWhere(phone.here, (o) => o.length === 1))}`);
console.log(`laptop sees: ${show(await othersWhere(laptop.here, (o) => o.length === 1))}`);

laptop.here.set({ device: 'laptop', looking: 'checkout' });
const moved = await othersWhere(phone.here, (o) => o[0]?.state.looking === 'checkout');
console.log(`the laptop moved on: ${moved[0].state.looking}`);

try {
  phone.here.set({ device: 'phone', note: 'x'.repeat(2000) });
} catch (err) {
  console.log(`a 2 KB state: ${err.code}`);
}

await laptop.client.close(); // its relay removes the entry, and tells eu-west-1
await othersWhere(phone.here, (o) => o.length === 0);
console.log(`laptop closed: the phone sees ${phone.here.others.length} others`);

await phone.client.close();
await Promise.all([...relays.values()].map((relay) => relay.close()));
// expect: phone sees: laptop in ap-southeast-1
// expect: laptop sees: phone in eu-west-1
// expect: the laptop moved on: checkout
// expect: a 2 KB state: invalid-argument
// expect: laptop closed: the phone sees 0 others
