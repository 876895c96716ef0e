import { createSocket, type Socket } from 'node:dgram';
import { LinkModel, type NodeName } from './link-model.js';
import { StreamLane } from './stream-lane.js';

/** Where a {@link UdpProxy} sits: the link model it obeys, and the names of its two ends. */
export interface UdpProxyOptions {
  /** The model of the network the proxy is part of. Default: one of its own (no faults). */
  readonly links?: LinkModel;
  /** The sending side's node (the client of each flow). Default `'client'`. */
  readonly from?: NodeName;
  /** The target's node. Default `'target'`. */
  readonly to?: NodeName;
  /**
   * One path in each direction: a datagram never leaves before one its direction carried
   * earlier, so jitter delays without reordering, as a path's queue does (and as
   * {@link TcpProxy} delivers its chunks); the model's duplication and reordering do not apply,
   * its loss does. Default false: each datagram's jitter is its own, so jitter alone reorders
   * (netem's delay), and duplicates and `reorderRate` apply.
   */
  readonly ordered?: boolean;
}

/** What crossed one direction of a {@link UdpProxy}. */
export interface DatagramCounters {
  /** Datagrams handed to the receiving side. */
  datagrams: number;
  /** Their bytes. */
  bytes: number;
  /** Datagrams the model lost (by chance, or because the link was cut). */
  dropped: number;
}

/** One client address:port and the upstream socket that stands for it towards the target. */
interface Flow {
  readonly address: string;
  readonly port: number;
  upstream: Socket;
}

/**
 * A loopback UDP proxy to one target port, the datagram counterpart of {@link TcpProxy}, for
 * benchmarks and tests of transports over UDP (QUIC). Each client flow (the client's
 * address:port) gets an upstream socket of its own, so the target sees one source port per
 * client, and what the target sends back to that socket goes back to that client.
 *
 * Every datagram obeys the {@link LinkModel} (its own, or one shared by a mesh of proxies, ends
 * named `from` and `to`), as a message of an unordered link: lost with the direction's
 * `dropRate`, delayed by its latency plus a uniform jitter (so jitter alone reorders), lost while
 * the direction is cut. {@link cut} and {@link heal} black the link out and back (nothing is
 * refused or reset: datagrams just vanish, as on a dead path). {@link rebind} gives every flow a
 * new upstream socket, hence a new source port: a NAT that lost its table. Datagrams the target
 * sends to a forgotten source port are lost; the client's next datagram goes out from the new
 * port, which a QUIC peer sees as a path change (connection migration).
 */
export class UdpProxy {
  /** The link model the proxy obeys. */
  readonly links: LinkModel;
  readonly from: NodeName;
  readonly to: NodeName;
  /** From the clients to the target. */
  readonly up: DatagramCounters = { datagrams: 0, bytes: 0, dropped: 0 };
  /** From the target back to the clients. */
  readonly down: DatagramCounters = { datagrams: 0, bytes: 0, dropped: 0 };
  /** Upstream sockets opened: one per flow, and one more per flow at each {@link rebind}. */
  bindings = 0;
  /** The port the proxy listens on (0 until {@link listen} resolves). */
  port = 0;
  readonly #target: number;
  readonly #server: Socket;
  readonly #flows = new Map<string, Flow>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  /** When ordered: each direction's deliveries, made in the order the datagrams were read. */
  readonly #lanes: { up: StreamLane<() => void>; down: StreamLane<() => void> } | undefined;
  #closed = false;

  constructor(targetPort: number, options: UdpProxyOptions = {}) {
    this.#target = targetPort;
    this.links = options.links ?? new LinkModel({ seed: targetPort });
    this.from = options.from ?? 'client';
    this.to = options.to ?? 'target';
    const lane = () => new StreamLane<() => void>((deliver) => deliver());
    this.#lanes = options.ordered ? { up: lane(), down: lane() } : undefined;
    this.#server = createSocket('udp4');
    this.#server.on('message', (msg, rinfo) => this.#fromClient(msg, rinfo.address, rinfo.port));
    // A datagram refused by a closed port (ICMP) is the sender's problem, not the proxy's.
    this.#server.on('error', () => {});
  }

  /**
   * Listens on 127.0.0.1:`port` (default: one the OS picks) and resolves with the port. A
   * benchmark binds it to the number of a {@link TcpProxy} of the same link: a QUIC peer dials
   * the UDP port of the URL it was given.
   */
  async listen(port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.bind(port, '127.0.0.1', () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    this.port = this.#server.address().port;
    return this.port;
  }

  /** Client flows seen so far (each with its upstream socket). */
  get flows(): number {
    return this.#flows.size;
  }

  /** True while the clients' datagrams cannot reach the target. */
  get isCut(): boolean {
    return !this.links.reachable(this.from, this.to);
  }

  /** Blacks the link out: every datagram, either way, is lost until {@link heal}. */
  cut(): void {
    this.links.cut(this.from, this.to);
    this.links.cut(this.to, this.from);
  }

  /** Ends a blackout (both directions between the proxy's ends, in its link model). */
  heal(): void {
    this.links.heal(this.from, this.to);
  }

  /**
   * Gives every flow a new upstream socket (a new source port towards the target) and closes
   * the old one: a NAT that lost its table. Resolves once the new sockets are bound.
   */
  async rebind(): Promise<void> {
    await Promise.all(
      [...this.#flows.values()].map(async (flow) => {
        const old = flow.upstream;
        flow.upstream = await this.#bindUpstream(flow);
        old.close();
      }),
    );
  }

  /** Stops listening, closes every flow and drops what is still in flight. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#lanes?.up.close();
    this.#lanes?.down.close();
    for (const flow of this.#flows.values()) flow.upstream.close();
    this.#flows.clear();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #fromClient(msg: Buffer, address: string, port: number): void {
    const key = `${address}:${port}`;
    let flow = this.#flows.get(key);
    if (flow === undefined) {
      const created: Flow = { address, port, upstream: this.#openUpstream({ address, port }) };
      this.#flows.set(key, created);
      flow = created;
    }
    const sending = flow;
    // The socket is looked up when the datagram leaves: one in flight across a rebind goes out
    // from the new port, as a NAT would send it.
    this.#carry(msg, this.from, this.to, this.up, (m) =>
      sending.upstream.send(m, this.#target, '127.0.0.1'),
    );
  }

  #carry(
    msg: Buffer,
    from: NodeName,
    to: NodeName,
    counters: DatagramCounters,
    send: (msg: Buffer) => void,
  ): void {
    if (this.#closed) return;
    const now = performance.now();
    const lane = counters === this.up ? this.#lanes?.up : this.#lanes?.down;
    const arrivals = this.links.plan(from, to, now, lane !== undefined);
    if (arrivals.length === 0) counters.dropped++;
    for (const at of arrivals) {
      const deliver = (): void => {
        // A cut that began while the datagram was in flight loses it too.
        if (this.#closed || !this.links.reachable(from, to)) {
          counters.dropped++;
          return;
        }
        counters.datagrams++;
        counters.bytes += msg.length;
        send(msg);
      };
      if (lane) {
        lane.push(deliver, at);
        continue;
      }
      if (at <= now) {
        deliver();
        continue;
      }
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        deliver();
      }, at - now);
      this.#timers.add(timer);
    }
  }

  /** A bound upstream socket for `client`, forwarding what the target sends back to it. */
  #openUpstream(client: { address: string; port: number }): Socket {
    const socket = createSocket('udp4');
    this.bindings++;
    socket.on('error', () => {});
    socket.on('message', (msg) => {
      // Only the flow's current socket is listened to: after a rebind the old one is closed.
      this.#carry(msg, this.to, this.from, this.down, (m) =>
        this.#server.send(m, client.port, client.address),
      );
    });
    socket.bind(0, '127.0.0.1');
    return socket;
  }

  async #bindUpstream(client: { address: string; port: number }): Promise<Socket> {
    const socket = this.#openUpstream(client);
    await new Promise<void>((resolve) => socket.once('listening', () => resolve()));
    return socket;
  }
}
