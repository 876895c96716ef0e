/**
 * `@helios/core/codec`: the byte reader and writer of the binary encoding, for authors of CRDT
 * types (a parametrized type writes its parameters with them) and of encoders of their own.
 *
 * @module
 */
export * from './codec/byte-reader.js';
export * from './codec/byte-writer.js';
