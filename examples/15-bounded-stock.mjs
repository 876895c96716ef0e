// Stock that never goes below zero: a Bounded Counter. The shop adds the stock and with it the
// rights to take it; it gives some of its rights to each till, and a till sells only the rights
// it holds, offline too. Tills that sell at the same time can never oversell together.
import { createClient } from '@helios/client';
import { BoundedCounter } from '@helios/core';
import { exitIfHung, startDevRelay, until } from './support/example-kit.mjs';

exitIfHung();

const { relay, url } = await startDevRelay('us-east-1');
const open = (name) => {
  const client = createClient({ relays: [url], persistence: 'memory', dbName: `stock-${name}` });
  return { client, stock: client.open('stock:mug', BoundedCounter) };
};
const shop = open('shop');
const till1 = open('till-1');
const till2 = open('till-2');
await Promise.all(
  [shop, till1, till2].flatMap(({ client, stock }) => [client.ready, stock.loaded]),
);

shop.stock.increment(3); // 3 mugs in stock, all the shop's to sell
shop.stock.transfer(till1.client.replica, 2); // till 1 may sell 2 of them
shop.stock.transfer(till2.client.replica, 1); // till 2 the last one
await until(till2.stock, () => till2.stock.localRights === 1);
await until(till1.stock, () => till1.stock.localRights === 2);
console.log(
  `stock ${till1.stock.value}: till 1 may sell ${till1.stock.localRights}, till 2 ${till2.stock.localRights}`,
);

// Both tills lose the network and keep selling.
till1.client.setOnline(false);
till2.client.setOnline(false);
till1.stock.decrement(2);
const third = till1.stock.decrement(); // a third sale at till 1: it holds no rights left
console.log(`till 1, third sale: ${third.error?.code}`);
till2.stock.decrement();
console.log(`offline: till 1 sees ${till1.stock.value}, till 2 sees ${till2.stock.value}`);

till1.client.setOnline(true);
till2.client.setOnline(true);
console.log(`online again: the shop sees ${await until(shop.stock, (n) => n === 0)}`);
console.log(`one more sale at till 2: ${till2.stock.decrement().error?.code}`);

await Promise.all([shop, till1, till2].map(({ client }) => client.close()));
await relay.close();
// expect: stock 3: till 1 may sell 2, till 2 1
// expect: till 1, third sale: insufficient-rights
// expect: offline: till 1 sees 1, till 2 sees 2
// expect: online again: the shop sees 0
// expect: one more sale at till 2: insufficient-rights
