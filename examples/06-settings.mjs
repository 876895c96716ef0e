// User settings in an LWW-Map: each key is a last-writer-wins register. Writes to different
// keys never conflict; on the same key, the write with the greater hybrid-clock timestamp wins
// on every replica, so concurrent edits settle on one value without asking anybody.
import { createClient } from '@helios/client';
import { exitIfHung, startDevRelay, until } from './support/example-kit.mjs';

exitIfHung();

// A relay for one region, in this process (see support/example-kit.mjs).
const { relay, url } = await startDevRelay('us-west-2');

const desktop = createClient({ relays: [url], persistence: 'memory', dbName: 'prefs-desktop' });
const phone = createClient({ relays: [url], persistence: 'memory', dbName: 'prefs-phone' });
const onDesktop = desktop.lwwMap('settings:user-7');
const onPhone = phone.lwwMap('settings:user-7');
await Promise.all([onDesktop.loaded, onPhone.loaded]);
const show = (map) => JSON.stringify(Object.fromEntries([...map.value].sort()));

onDesktop.set('theme', 'dark');
onDesktop.set('fontSize', 14);
onPhone.set('language', 'fr');
await until(onPhone, (m) => m.size === 3);
console.log(`phone: ${show(onPhone)}`);

// Offline on both devices: the same key is edited twice, and a key is deleted.
desktop.setOnline(false);
phone.setOnline(false);
onDesktop.set('theme', 'light');
await new Promise((r) => setTimeout(r, 20)); // the phone's edit is clearly later…
onPhone.set('theme', 'solarized'); // …so it wins everywhere
onPhone.delete('fontSize');
console.log(`phone reads theme = ${onPhone.get('theme')}, fontSize = ${onPhone.get('fontSize')}`);

desktop.setOnline(true);
phone.setOnline(true);
const settled = (m) => m.get('theme') === 'solarized' && !m.has('fontSize');
await Promise.all([until(onDesktop, settled), until(onPhone, settled)]);
console.log(`desktop: ${show(onDesktop)}`);
console.log(`phone:   ${show(onPhone)}`);

await Promise.all([desktop.close(), phone.close()]);
await relay.close();
// expect: phone: {"fontSize":14,"language":"fr","theme":"dark"}
// expect: phone reads theme = solarized, fontSize = undefined
// expect: desktop: {"language":"fr","theme":"solarized"}
// expect: phone:   {"language":"fr","theme":"solarized"}
