// Vitest's jsdom environment replaces the global Uint8Array and ArrayBuffer with jsdom's, but
// the relay, socket.io and IndexedDB in this same process make Node's, so `instanceof` checks
// fail between the two (the relay refuses every frame as "not binary"). A browser has a single
// realm: give the tests a single realm too, Node's, as Vitest's own VM environment does.
const NodeUint8Array = Object.getPrototypeOf(Buffer.prototype).constructor as Uint8ArrayConstructor;
const NodeArrayBuffer = Buffer.alloc(0).buffer.constructor as ArrayBufferConstructor;
globalThis.Uint8Array = NodeUint8Array;
globalThis.ArrayBuffer = NodeArrayBuffer;
