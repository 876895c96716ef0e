/**
 * `@helios/core/protocol`: the wire protocol between clients, relays and peer regions — its
 * messages, their binary codec, and the Socket.IO parser that carries each as one binary frame.
 * What the client and the relay speak; an application has no use for it.
 *
 * @module
 */
export * from './protocol/message-codec.js';
export * from './protocol/messages.js';
export * from './protocol/socket-parser.js';
