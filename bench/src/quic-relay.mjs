/**
 * A relay process of the QUIC benchmark (`quic.mjs`): `argv[2]` is a JSON
 * {@link RelaySpec}. SQLite store at `db`, anonymous clients, the peers' URLs as given (the
 * proxies in front of them), and the peer links over Socket.IO (`ws`) or QUIC (`quic`).
 *
 * With `quic`, the relay must listen for QUIC on UDP at its HTTP port. A server that does not
 * support `peerTransport: 'quic'` yet takes the string for a transport object and fails calling
 * it (`… is not a function`), or ignores it and listens on TCP only; either way this process
 * then prints `quic unsupported: <why>` and exits with code 3, so the benchmark skips the
 * contender instead of measuring something else under its name. Any other failure is a failure.
 */
import { createSocket } from 'node:dgram';
import { createRelay, SqliteStore } from '@helios/server';
import { pino } from 'pino';

/**
 * @typedef {{ region: string, port: number, db: string, peers: { region: string, url: string }[],
 *   transport: 'ws' | 'quic', peerToken: string }} RelaySpec
 */

/** Exit code of a relay asked for QUIC peer links by a server that has none. */
const UNSUPPORTED = 3;

const spec = /** @type {RelaySpec} */ (JSON.parse(/** @type {string} */ (process.argv[2])));

/** @param {string} why */
function unsupported(why) {
  console.log(`quic unsupported: ${why}`);
  process.exit(UNSUPPORTED);
}

/** True when something holds UDP 127.0.0.1:`port` (binding it fails with EADDRINUSE). */
function udpPortTaken(/** @type {number} */ port) {
  return new Promise((resolve) => {
    const probe = createSocket('udp4');
    probe.once('error', () => resolve(true));
    probe.bind(port, '127.0.0.1', () => probe.close(() => resolve(false)));
  });
}

/** The failure of a server that took the string `'quic'` for a transport object. */
const calledTheString = (/** @type {unknown} */ err) =>
  spec.transport === 'quic' && err instanceof TypeError && /is not a function/.test(err.message);

process.on('uncaughtException', (err) => {
  if (calledTheString(err)) unsupported(`a peer link failed to dial: ${err.message}`);
  console.error(err);
  process.exit(1);
});

const store = await SqliteStore.open({ path: spec.db, region: spec.region });
/** @type {Parameters<typeof createRelay>[0]} */
const options = {
  region: spec.region,
  store,
  anonymous: true,
  peerToken: spec.peerToken,
  logger: pino({ level: 'warn' }),
  peers: spec.peers,
  // Option of the QUIC peer transport (issue #17): UDP at the HTTP port, peers dialled at the
  // UDP port of their URL. Cast, as the installed server's types may not know it yet.
  ...(spec.transport === 'quic' ? /** @type {object} */ ({ peerTransport: 'quic' }) : {}),
};
/** @type {ReturnType<typeof createRelay> | undefined} */
let relay;
try {
  relay = createRelay(options);
  await relay.listen(spec.port);
} catch (err) {
  if (!calledTheString(err)) throw err;
  unsupported(
    `peerTransport 'quic' is not a transport here: ${/** @type {Error} */ (err).message}`,
  );
}
if (spec.transport === 'quic' && !(await udpPortTaken(spec.port))) {
  unsupported(`nothing listens on UDP 127.0.0.1:${spec.port} (the relay's HTTP port)`);
}
console.log(`quic bench relay ${spec.region} (${spec.transport}) listening on ${spec.port}`);

process.on('SIGTERM', () => {
  /** @type {NonNullable<typeof relay>} */ (relay).close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
