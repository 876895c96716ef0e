export { freePort } from './free-port.js';
export { baseSeed, createRng, type Rng, scheduleSeed } from './rng.js';
export { startProxy, TcpProxy } from './tcp-proxy.js';
