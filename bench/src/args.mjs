/** The benchmark command line: `<suite> [--flag] [--flag value]`. */

/** Flags followed by a value of their own (`--peer-transport quic`), not by a suite name. */
const TAKES_VALUE = new Set(['--peer-transport']);

/**
 * The arguments that are not flags nor a flag's value: the suite name, in practice.
 * @param {readonly string[]} args
 */
export function positionals(args) {
  return args.filter((a, i) => !a.startsWith('--') && !TAKES_VALUE.has(args[i - 1] ?? ''));
}
