export { startProxy, TcpProxy } from './tcp-proxy.js';
