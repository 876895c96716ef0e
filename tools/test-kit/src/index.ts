export { freePort } from './free-port.js';
export {
  type LinkConditions,
  LinkModel,
  type LinkModelOptions,
  type LinkStats,
  type NodeName,
} from './link-model.js';
export { NetworkSim, type NetworkSimOptions, type NetworkStats } from './network-sim.js';
export { baseSeed, createRng, type Rng, scheduleSeed } from './rng.js';
export { type SegmentLoss, startProxy, TcpProxy, type TcpProxyOptions } from './tcp-proxy.js';
export { type DatagramCounters, UdpProxy, type UdpProxyOptions } from './udp-proxy.js';
