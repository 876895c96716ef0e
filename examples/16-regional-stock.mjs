// Stock held by the regions' relays (docs/architecture.md §5.2). The shop deposits its stock
// with its region's relay; a buyer takes a unit and the relay gives it the rights to it; a
// buyer in another region, whose relay holds none yet, gets them through its relay, which asks
// the richer region for rights. Nothing is oversold: rights are moved, never made.
import { createClient } from '@helios/client';
import { BoundedCounter } from '@helios/core';
import { exitIfHung, startDevRegions, statusWhere, until } from './support/example-kit.mjs';

exitIfHung();

const { relays, urls } = await startDevRegions(['us-east-1', 'eu-west-1']);
const open = async (name, region) => {
  const client = createClient({
    relays: [urls.get(region)],
    persistence: 'memory',
    dbName: `stock-${name}`,
  });
  const stock = client.open('stock:mug', BoundedCounter);
  await statusWhere(client, (s) => s.connection === 'online');
  await stock.loaded;
  return { client, stock };
};
const shop = await open('shop', 'us-east-1');
shop.stock.increment(4);
await (await shop.stock.deposit(4)).wait('relay'); // the us-east-1 relay now holds the 4 rights

const alice = await open('alice', 'us-east-1');
await until(alice.stock, (n) => n === 4);
console.log(`alice sees ${alice.stock.value}, may take ${alice.stock.available} here`);
const first = await alice.stock.take(); // drawn from her relay, then spent
console.log(`alice buys one: ${first.error?.code ?? 'ok'}, ${alice.stock.value} left`);

const bruno = await open('bruno', 'eu-west-1');
await until(bruno.stock, (n) => n === 3);
console.log(`bruno's region holds ${bruno.stock.available} of the ${bruno.stock.value}`);
const second = await bruno.stock.take(3); // eu-west-1 asks us-east-1 for rights first
console.log(`bruno buys three: ${second.error?.code ?? 'ok'}`);
await until(alice.stock, (n) => n === 0);
const last = await alice.stock.take();
console.log(`alice tries again: ${last.error?.code}, the stock is ${alice.stock.value}`);

await Promise.all([shop, alice, bruno].map(({ client }) => client.close()));
await Promise.all([...relays.values()].map((relay) => relay.close()));
// expect: alice sees 4, may take 4 here
// expect: alice buys one: ok, 3 left
// expect: bruno's region holds 0 of the 3
// expect: bruno buys three: ok
// expect: alice tries again: insufficient-rights, the stock is 0
