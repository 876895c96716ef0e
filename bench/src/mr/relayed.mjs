/**
 * Map writes relayed between two clients, Helios beside y-websocket (the peer doing the same
 * job), in one harness: one server process each, a writer and a reader client each, every
 * client socket through a byte-counting TCP proxy. The writer sets keys of a shared map (100
 * keys, 10-character values) at a steady rate; the reader timestamps each write as it shows.
 *
 * Helios: a relay of the real CLI without peers (SQLite, durable commit before ack and
 * fan-out), clients of @helios/client with an LWW-Map. y-websocket 2.1.0: its own server
 * (`bin/server.cjs`: `ws` + `setupWSConnection`), in memory, clients `WebsocketProvider` with a
 * `Y.Map`. The runs alternate (Helios, Yjs, Helios, Yjs) so load from elsewhere hits both.
 */

import { startProxy } from '@helios/test-kit';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { packageVersion } from '../results.mjs';
import { startSingleRelay, startYWebsocket } from './cluster.mjs';
import {
  closeAll,
  cpuPressure,
  nodeClient,
  p50p99,
  pressureRow,
  r2,
  sleep,
  until,
} from './common.mjs';

const KEYS = 100;
const key = (/** @type {number} */ i) => `key${i % KEYS}`;
const val = (/** @type {number} */ i) => `v${String(i).padStart(9, '0')}`;

/**
 * @typedef {{ set(k: string, v: string): void, get(k: string): unknown, onChange(f: () => void): void, close(): Promise<void> }} MapEnd
 * @typedef {{ writer: MapEnd, reader: MapEnd, proxies: import('@helios/test-kit').TcpProxy[] }} Pair
 */

/**
 * @param {{ quick: boolean, log: (s: string) => void }} opts
 */
export async function runRelayed({ quick, log }) {
  const perRound = quick ? 200 : 1000;
  const rounds = 2;
  const gapMs = 20;
  const pressure0 = cpuPressure();
  const relay = await startSingleRelay();
  const yws = await startYWebsocket();
  /** @type {Pair[]} */
  const pairs = [];
  try {
    const helios = await heliosPair(relay.port);
    const yjs = await yjsPair(yws.port);
    pairs.push(helios, yjs);
    log(`relayed: ${rounds} rounds × ${perRound} writes, one every ${gapMs} ms, per system`);
    const stats = {
      helios: { ms: /** @type {number[]} */ ([]), bytes: [0, 0, 0, 0], writes: 0 },
      yjs: { ms: /** @type {number[]} */ ([]), bytes: [0, 0, 0, 0], writes: 0 },
    };
    let next = 0;
    for (let round = 0; round < rounds; round++) {
      for (const [name, pair] of /** @type {const} */ ([
        ['helios', helios],
        ['yjs', yjs],
      ])) {
        const from = next;
        next += perRound;
        const ms = await drive(pair, from, next, gapMs);
        const s = stats[name];
        s.ms.push(...ms);
        s.writes += perRound;
        pair.proxies.forEach((p, i) => {
          s.bytes[i * 2] = /** @type {number} */ (s.bytes[i * 2]) + p.bytesUp;
          s.bytes[i * 2 + 1] = /** @type {number} */ (s.bytes[i * 2 + 1]) + p.bytesDown;
        });
      }
    }
    const h = p50p99(stats.helios.ms);
    const y = p50p99(stats.yjs.ms);
    const perOp = (/** @type {{ bytes: number[], writes: number }} */ s) =>
      s.bytes.reduce((a, b) => a + b, 0) / s.writes;
    const hb = perOp(stats.helios);
    const yb = perOp(stats.yjs);
    const split = (/** @type {{ bytes: number[], writes: number }} */ s) =>
      `writer ↑${r2((s.bytes[0] ?? 0) / s.writes)} ↓${r2((s.bytes[1] ?? 0) / s.writes)}, reader ↑${r2((s.bytes[2] ?? 0) / s.writes)} ↓${r2((s.bytes[3] ?? 0) / s.writes)}`;
    const setup = `${stats.helios.writes} writes per system (${rounds} alternating rounds), one every ${gapMs} ms, ${KEYS} keys, 10-character string values; Helios acks and fans out after its durable SQLite commit, y-websocket ${packageVersion('y-websocket')} keeps documents in memory`;
    log(
      `relayed: helios p50 ${h.p50} p99 ${h.p99} ms, ${r2(hb)} B/write; yjs p50 ${y.p50} p99 ${y.p99} ms, ${r2(yb)} B/write`,
    );
    return [
      {
        metric: 'mapWriteRelayedP50Ms',
        value: h.p50,
        unit: 'ms',
        better: 'lower',
        peer: 'y-websocket',
        peerValue: y.p50,
        ratio: r2(y.p50 / h.p50),
        note: `writer set → value shown by the reader, through the server; ${setup}`,
      },
      {
        metric: 'mapWriteRelayedP99Ms',
        value: h.p99,
        unit: 'ms',
        better: 'lower',
        peer: 'y-websocket',
        peerValue: y.p99,
        ratio: r2(y.p99 / h.p99),
        note: 'writer set → value shown by the reader, through the server',
      },
      {
        metric: 'mapWriteWireBytesPerOp',
        value: r2(hb),
        unit: 'B',
        better: 'lower',
        peer: 'y-websocket',
        peerValue: r2(yb),
        ratio: r2(yb / hb),
        note: `both clients' sockets, both directions, all framing, per write (Helios: ${split(stats.helios)}; y-websocket: ${split(stats.yjs)}); y-websocket's server echoes each update to its writer, Helios acks it`,
      },
      pressureRow(pressure0),
    ];
  } finally {
    for (const p of pairs) {
      await p.writer.close().catch(() => {});
      await p.reader.close().catch(() => {});
      for (const x of p.proxies) await x.close();
    }
    await relay.stop();
    await yws.stop();
  }
}

/**
 * Writes `from`..`to − 1` at one per `gapMs`; returns write → shown latencies (ms). Byte
 * counters are reset before the first write and read by the caller after the last is shown.
 * @param {Pair} pair
 */
async function drive(pair, from, to, gapMs) {
  const sent = new Float64Array(to - from);
  const shown = new Float64Array(to - from).fill(Number.NaN);
  let nextShown = from;
  let written = from;
  pair.reader.onChange(() => {
    const now = performance.now();
    // One writer, one server: writes show in order.
    while (nextShown < written && pair.reader.get(key(nextShown)) === val(nextShown)) {
      shown[nextShown - from] = now;
      nextShown++;
    }
  });
  for (const p of pair.proxies) p.reset();
  const start = performance.now();
  for (let i = from; i < to; i++) {
    const wait = start + (i - from) * gapMs - performance.now();
    if (wait > 1) await sleep(wait);
    sent[i - from] = performance.now();
    written = i + 1;
    pair.writer.set(key(i), val(i));
  }
  if (!(await until(() => nextShown >= to, 30_000))) {
    throw new Error(`only ${nextShown - from} of ${to - from} writes reached the reader`);
  }
  // Let acks and echoes of the last writes land before the counters are read.
  await sleep(300);
  pair.reader.onChange(() => {});
  return Array.from(shown, (t, i) => t - /** @type {number} */ (sent[i]));
}

/** A Helios writer and reader of one LWW-Map, each through its own counting proxy. */
async function heliosPair(/** @type {number} */ port) {
  const proxies = [await startProxy(port), await startProxy(port)];
  const [wc, rc] = proxies.map((p) => nodeClient([p.url]));
  const clients = /** @type {import('@helios/client').HeliosClient[]} */ ([wc, rc]);
  const maps = clients.map((c) => c.lwwMap('relayed'));
  await Promise.all(maps.map((m) => m.loaded));
  await until(() => clients.every((c) => c.status.connection === 'online'), 20_000);
  /** @type {() => void} */
  let listener = () => {};
  const [wm, rm] = /** @type {import('@helios/client').LWWMapHandle<string>[]} */ (maps);
  rm.subscribe(() => listener());
  return {
    proxies,
    writer: {
      set: (k, v) => void wm.set(k, v),
      get: (k) => wm.get(k),
      onChange: () => {},
      close: () => closeAll([clients[0]]),
    },
    reader: {
      set: (k, v) => void rm.set(k, v),
      get: (k) => rm.get(k),
      onChange: (f) => {
        listener = f;
      },
      close: () => closeAll([clients[1]]),
    },
  };
}

/** A y-websocket writer and reader of one Y.Map, each through its own counting proxy. */
async function yjsPair(/** @type {number} */ port) {
  const proxies = [await startProxy(port), await startProxy(port)];
  const ends = proxies.map((p) => {
    const doc = new Y.Doc();
    const provider = new WebsocketProvider(`ws://127.0.0.1:${p.port}`, 'relayed', doc, {
      WebSocketPolyfill: /** @type {any} */ (WebSocket),
      disableBc: true,
    });
    return { doc, provider, map: doc.getMap('m') };
  });
  await until(() => ends.every((e) => e.provider.synced), 20_000);
  /** @type {() => void} */
  let listener = () => {};
  const [w, r] = /** @type {(typeof ends)[number][]} */ (ends);
  r.map.observe(() => listener());
  const close = async (/** @type {(typeof ends)[number]} */ e) => {
    e.provider.destroy();
    e.doc.destroy();
  };
  return {
    proxies,
    writer: {
      set: (k, v) => void w.map.set(k, v),
      get: (k) => w.map.get(k),
      onChange: () => {},
      close: () => close(w),
    },
    reader: {
      set: (k, v) => void r.map.set(k, v),
      get: (k) => r.map.get(k),
      onChange: (f) => {
        listener = f;
      },
      close: () => close(r),
    },
  };
}
