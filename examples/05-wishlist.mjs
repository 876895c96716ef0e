// A wishlist in an Add-Wins Set: an element is present if some add of it was not seen by a
// remove. When one device removes an item while another adds it again, the add wins.
import { createClient } from '@helios/client';
import { exitIfHung, startDevRelay, until } from './support/example-kit.mjs';

exitIfHung();

// A relay for one region, in this process (see support/example-kit.mjs).
const { relay, url } = await startDevRelay('ap-southeast-2');

const tablet = createClient({ relays: [url], persistence: 'memory', dbName: 'wish-tablet' });
const phone = createClient({ relays: [url], persistence: 'memory', dbName: 'wish-phone' });
const onTablet = tablet.awSet('wishlist:user-7');
const onPhone = phone.awSet('wishlist:user-7');
await Promise.all([onTablet.loaded, onPhone.loaded]);
const show = (set) => [...set.value].sort().join(', ');

onTablet.add('teapot');
onTablet.add('mug');
await until(onPhone, (s) => s.size === 2);
console.log(`phone sees: ${show(onPhone)}`);

// Both devices go offline and edit concurrently.
tablet.setOnline(false);
phone.setOnline(false);
onTablet.remove('mug'); // the tablet removes the mug…
onPhone.add('mug'); // …while the phone adds it again (say, a second one for a friend)
onPhone.remove('teapot'); // and removes the teapot, which nobody re-added
onTablet.add('kettle');
console.log(`offline tablet: ${show(onTablet)} | phone: ${show(onPhone)}`);

tablet.setOnline(true);
phone.setOnline(true);
// The phone's add of the mug was not seen by the tablet's remove: the mug stays.
const converged = (s) => s.size === 2 && s.has('mug') && s.has('kettle');
await Promise.all([until(onTablet, converged), until(onPhone, converged)]);
console.log(`after sync tablet: ${show(onTablet)} | phone: ${show(onPhone)}`);

await Promise.all([tablet.close(), phone.close()]);
await relay.close();
// expect: phone sees: mug, teapot
// expect: offline tablet: kettle, teapot | phone: mug
// expect: after sync tablet: kettle, mug | phone: kettle, mug
