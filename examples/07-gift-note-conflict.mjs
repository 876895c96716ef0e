// Resolving a conflict with a Multi-Value Register. Two people edit the gift note offline; a
// last-writer-wins register would silently drop one text. An MV-Register keeps both versions
// visible (`conflicted`) until someone writes a value that has seen them: that resolves it.
import { createClient } from '@helios/client';
import { exitIfHung, startDevRelay, until } from './support/example-kit.mjs';

exitIfHung();

// A relay for one region, in this process (see support/example-kit.mjs).
const { relay, url } = await startDevRelay('eu-west-1');

// Both start offline (`offline: true`): nothing reaches the relay until `setOnline(true)`.
const ana = createClient({
  relays: [url],
  persistence: 'memory',
  dbName: 'note-ana',
  offline: true,
});
const ben = createClient({
  relays: [url],
  persistence: 'memory',
  dbName: 'note-ben',
  offline: true,
});
const anaNote = ana.mvRegister('gift-note:order-19');
const benNote = ben.mvRegister('gift-note:order-19');
await Promise.all([anaNote.loaded, benNote.loaded]);

anaNote.set('Happy birthday, Sam!');
benNote.set('Happy 30th, Sam');
console.log(`ana offline: ${JSON.stringify(anaNote.values)}`);

ana.setOnline(true);
ben.setOnline(true);
// Neither write saw the other: both stay, on both devices.
await Promise.all([until(anaNote, (v) => v.length === 2), until(benNote, (v) => v.length === 2)]);
console.log(
  `ana sees conflicted=${anaNote.conflicted}: ${JSON.stringify([...anaNote.values].sort())}`,
);
console.log(
  `ben sees conflicted=${benNote.conflicted}: ${JSON.stringify([...benNote.values].sort())}`,
);

// Ana merges the two texts. Her write has seen both versions, so it replaces them everywhere.
const receipt = anaNote.resolve('Happy 30th birthday, Sam!');
await receipt.wait('relay');
await until(benNote, (v) => v.length === 1);
console.log(
  `resolved: ana ${JSON.stringify(anaNote.values)}, ben ${JSON.stringify(benNote.values)}`,
);
console.log(`conflicted now: ${anaNote.conflicted || benNote.conflicted}`);

await Promise.all([ana.close(), ben.close()]);
await relay.close();
// expect: ana offline: ["Happy birthday, Sam!"]
// expect: ana sees conflicted=true: ["Happy 30th, Sam","Happy birthday, Sam!"]
// expect: ben sees conflicted=true: ["Happy 30th, Sam","Happy birthday, Sam!"]
// expect: resolved: ana ["Happy 30th birthday, Sam!"], ben ["Happy 30th birthday, Sam!"]
// expect: conflicted now: false
