/**
 * `--peer-transport ws|quic` of the multi-region suites that start five relays (faults,
 * convergence): how the relays' peer links dial each other (the relay CLI's flag of the same
 * name, docs/quic.md). The default, `ws`, is what the published figures were taken with.
 */

/** @typedef {'ws' | 'quic'} PeerTransport */

/**
 * The transport named on the command line (`--peer-transport quic` or `--peer-transport=quic`),
 * `ws` when none is. Throws on any other value, so a typo does not run the wrong benchmark.
 * @param {readonly string[]} [argv]
 * @returns {PeerTransport}
 */
export function peerTransportFlag(argv = process.argv) {
  const at = argv.indexOf('--peer-transport');
  const eq = argv.find((a) => a.startsWith('--peer-transport='));
  const value = at >= 0 ? argv[at + 1] : eq?.slice('--peer-transport='.length);
  if (value === undefined) return 'ws';
  if (value === 'ws' || value === 'quic') return value;
  throw new Error(`--peer-transport takes ws or quic, not ${value}`);
}

/**
 * What a suite's results file is named after besides the suite: nothing for `ws` (its files
 * keep their names, `faults.json`), `quic` for QUIC (`faults-quic.json`).
 * @param {PeerTransport} transport
 * @returns {string | undefined}
 */
export function transportVariant(transport) {
  return transport === 'ws' ? undefined : transport;
}
