/**
 * `@helios/core/protocol`: the wire protocol between clients, relays and peer regions — its
 * messages and their binary codec. What the client and the relay speak; an application has no
 * use for it. How the encoded messages travel (Socket.IO, the single-frame parser) is
 * `@helios/transport`'s business.
 *
 * @module
 */
export * from './protocol/message-codec.js';
export * from './protocol/messages.js';
export * from './protocol/presence-state.js';
export * from './protocol/relay-replica.js';
