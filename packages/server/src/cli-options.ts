import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { HeliosError } from '@helios/core';
import { type EpochCalendarOptions, epochCalendar } from './epoch-calendar.js';
import { AUTO_FOLD_DEFAULTS, resolveAutoFold } from './fold-job.js';
import {
  type AutoFoldOptions,
  type ConnectionLimits,
  DEFAULT_LIMITS,
  type PeerConfig,
  type QuicOptions,
  resolveLimits,
} from './options.js';
import { DEFAULT_RIGHTS_POLICY, type RightsPolicy, resolveRightsPolicy } from './rights-desk.js';

export const USAGE = `helios-relay — a Helios regional relay

Usage: helios-relay --region <name> [options]

Options (each also read from the environment variable in brackets):
  --region <name>          region of this relay, e.g. us-east-1          [HELIOS_REGION]
  --port <n>               port for Socket.IO, /metrics, /healthz (4100) [HELIOS_PORT]
  --host <addr>            address to listen on (127.0.0.1)              [HELIOS_HOST]
  --db <path>              SQLite file (./data/<region>.sqlite)          [HELIOS_DB]
  --pg <url>               Postgres instead of SQLite (shared by nodes)  [HELIOS_PG_URL]
  --pg-schema <name>       Postgres schema of this region (helios); every node of one
                           region uses the same one                      [HELIOS_PG_SCHEMA]
  --redis <url>            Redis for the Socket.IO adapter (several nodes per region)
                                                                         [HELIOS_REDIS_URL]
  --deployment <name>      deployment name (default); nodes share Redis channels only
                           within one deployment and region              [HELIOS_DEPLOYMENT]
  --peer <region>=<url>    a relay of another region; repeat per region  [HELIOS_PEERS, comma-separated]
  --peer-token <secret>    shared secret between the relays              [HELIOS_PEER_TOKEN]
  --peer-transport <ws|quic>  how peer links dial (ws); quic falls back to ws for a peer
                           whose UDP port does not answer, and also accepts peer links
                           over QUIC (docs/quic.md)                      [HELIOS_PEER_TRANSPORT]
  --quic-cert <file>       PEM certificate (chain) of the QUIC listener; without it and
                           --quic-key a self-signed one (development)   [HELIOS_QUIC_CERT]
  --quic-key <file>        PEM private key of --quic-cert                [HELIOS_QUIC_KEY]
  --quic-ca <file>         PEM CA the peers' certificates must chain to; without it they
                           are not verified (the peer token authenticates) [HELIOS_QUIC_CA]
  --quic-port <n>          UDP port of the QUIC listener (the --port)    [HELIOS_QUIC_PORT]
  --peer-quic-port <region>=<n>  a peer's UDP port, when not its URL's port
  --rtt-file <path>        regions.json: inject half the p50 RTT on each peer link
                                                                         [HELIOS_RTT_FILE]
  --peer-latency <region>=<ms>  one-way delay on one peer link (overrides --rtt-file)
  --jwt-secret <secret>    verify client tokens as HS256 JWTs            [HELIOS_JWT_SECRET]
  --jwt-public-key <file>  verify client tokens with this PEM key (RS256) [HELIOS_JWT_PUBLIC_KEY]
  --anonymous              no authentication (development only)          [HELIOS_ANONYMOUS=1]
  --hooks <file>           ES module exporting authorize and/or authenticate (which
                           replaces --jwt-* and --anonymous)             [HELIOS_HOOKS]
  --open-access            without an authorize hook, let every authenticated user
                           read and write every document (required then, except
                           with --anonymous)                             [HELIOS_OPEN_ACCESS=1]
  --cors <origins>         comma-separated origins allowed, or *         [HELIOS_CORS_ORIGINS]
  --admin-token <secret>   enables the read-only /admin/ endpoint for this Bearer token
                           (16 characters or more; docs/devtools.md)     [HELIOS_ADMIN_TOKEN]
  --limit <name>=<n>       one of the connection and user limits, e.g.
                           maxConnectionsPerUser=8; repeat per limit (names and defaults
                           in docs/production.md#limits)      [HELIOS_LIMITS, comma-separated]
  --rights <name>=<n>      how the relay hands out bounded-counter rights: maxGrant (10),
                           lowWater (20) or peerWaitMs (2000); repeat per setting
                                                              [HELIOS_RIGHTS, comma-separated]
  --epoch-period-days <n>  replica ids carry an epoch, one per n days (from the Unix
                           epoch); clients renew theirs once a period (docs/compaction.md)
                                                                         [HELIOS_EPOCH_PERIOD_DAYS]
  --retire-after <n>       retire the epochs more than n periods old (needs
                           --epoch-period-days); their writers' ids are refused
                                                                         [HELIOS_RETIRE_AFTER]
  --auto-fold <on|name=n>  fold counters of retired epochs once causally stable; on, or
                           intervalMs (10000), graceMs (86400000) or docsPerTick (100);
                           repeat per setting (needs --retire-after)
                                                              [HELIOS_AUTO_FOLD, comma-separated]
  --log-level <level>      pino level (info)                             [HELIOS_LOG_LEVEL]
  --help                   this text

SIGTERM or SIGINT stops accepting connections, flushes commits and exits.`;

/** The relay's command-line settings after merging flags and environment. */
export interface CliSettings {
  readonly help: boolean;
  readonly region: string;
  readonly port: number;
  readonly host: string;
  readonly db: string;
  readonly pg: string | undefined;
  readonly pgSchema: string | undefined;
  readonly redis: string | undefined;
  readonly deployment: string | undefined;
  readonly peers: PeerConfig[];
  readonly peerToken: string | undefined;
  /** How peer links dial: Socket.IO over WebSocket, or QUIC falling back to it. */
  readonly peerTransport: 'ws' | 'quic';
  /** QUIC peer links' settings (PEM contents read from the files given); none when not used. */
  readonly quic: QuicOptions | undefined;
  /** Bearer token of the admin endpoint; none disables it. */
  readonly adminToken: string | undefined;
  readonly jwtSecret: string | undefined;
  readonly jwtPublicKey: string | undefined;
  readonly anonymous: boolean;
  /** The hooks module's path as given; relative to the working directory. */
  readonly hooks: string | undefined;
  /** Every authenticated user may read and write every document (no authorize hook). */
  readonly openAccess: boolean;
  readonly cors: readonly string[] | '*' | undefined;
  /** Limits given with `--limit`; the others keep their defaults. */
  readonly limits: Partial<ConnectionLimits>;
  /** Bounded-counter rights settings given with `--rights`; the others keep their defaults. */
  readonly rights: Partial<RightsPolicy>;
  /** The replica-epoch calendar (`--epoch-period-days`, `--retire-after`); none: no epochs. */
  readonly epochs: EpochCalendarOptions | undefined;
  /** The automatic fold's settings (`--auto-fold`); none: off. */
  readonly autoFold: AutoFoldOptions | undefined;
  readonly logLevel: string;
}

/** Thrown for unusable settings (code `usage`); the CLI prints it with the usage and exits 2. */
export class CliError extends HeliosError<'usage'> {
  constructor(message: string) {
    super('usage', message);
  }
}

function pairs(values: readonly string[], what: string): [string, string][] {
  return values.map((v) => {
    const at = v.indexOf('=');
    if (at <= 0) throw new CliError(`${what} must look like <region>=<value>, got "${v}"`);
    return [v.slice(0, at), v.slice(at + 1)];
  });
}

/**
 * `--<flag> name=value` arguments: names of `defaults`, numbers that `check` (the relay's own
 * rule, so a bad value is a usage error here rather than at start) accepts.
 */
function parseNamed<T extends object>(
  flag: string,
  args: readonly string[],
  defaults: T,
  check: (given: Partial<T>) => unknown,
): Partial<T> {
  const given: Record<string, number> = {};
  for (const arg of args) {
    const at = arg.indexOf('=');
    const name = at > 0 ? arg.slice(0, at) : arg;
    if (at <= 0 || !Object.hasOwn(defaults, name)) {
      throw new CliError(
        `--${flag} must look like <name>=<number> with one of ${Object.keys(defaults).join(', ')}; got "${arg}"`,
      );
    }
    given[name] = Number(arg.slice(at + 1));
  }
  try {
    check(given as Partial<T>);
  } catch (err) {
    throw new CliError(
      `--${(err as Error).message.replace(/^(limits|rights|autoFold)\./, `${flag} `)}`,
    );
  }
  return given as Partial<T>;
}

/** `--limit name=value` arguments: names of {@link ConnectionLimits}, positive numbers. */
export function parseLimits(args: readonly string[]): Partial<ConnectionLimits> {
  return parseNamed('limit', args, DEFAULT_LIMITS, resolveLimits);
}

/** `--rights name=value` arguments: the settings of a {@link RightsPolicy}. */
export function parseRights(args: readonly string[]): Partial<RightsPolicy> {
  return parseNamed('rights', args, DEFAULT_RIGHTS_POLICY, resolveRightsPolicy);
}

/** `--auto-fold` arguments: `on`, or settings of {@link AutoFoldOptions}; none: off. */
export function parseAutoFold(args: readonly string[]): AutoFoldOptions | undefined {
  if (args.length === 0) return undefined;
  return parseNamed(
    'auto-fold',
    args.filter((a) => a !== 'on'),
    AUTO_FOLD_DEFAULTS,
    resolveAutoFold,
  );
}

/** The epoch calendar of `--epoch-period-days` and `--retire-after`; none without a period. */
function epochOptions(
  periodDays: string | undefined,
  retireAfter: string | undefined,
): EpochCalendarOptions | undefined {
  if (periodDays === undefined) {
    if (retireAfter !== undefined) throw new CliError('--retire-after needs --epoch-period-days');
    return undefined;
  }
  const options = {
    periodMs: Number(periodDays) * 86_400_000,
    ...(retireAfter !== undefined ? { retireAfter: Number(retireAfter) } : {}),
  };
  try {
    epochCalendar(options);
  } catch (err) {
    throw new CliError(
      `--epoch-period-days ${periodDays}, --retire-after ${retireAfter}: ${(err as Error).message}`,
    );
  }
  return options;
}

/** One-way delays per peer region from a regions.json with p50 round-trip times. */
export function oneWayFromRttFile(path: string, self: string): Map<string, number> {
  const data = JSON.parse(readFileSync(path, 'utf8')) as {
    rttMs: { a: string; b: string; p50: number }[];
  };
  const out = new Map<string, number>();
  for (const { a, b, p50 } of data.rttMs) {
    if (a === self) out.set(b, p50 / 2);
    if (b === self) out.set(a, p50 / 2);
  }
  return out;
}

/** A UDP port given as `text`, 1–65535 (a usage error otherwise). */
function udpPort(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new CliError(`bad ${what}: ${text}`);
  return n;
}

/**
 * The QUIC settings of `--quic-*` (or `HELIOS_QUIC_*`), the PEM files read; undefined when QUIC
 * is neither the peer transport nor configured.
 */
function quicOptions(
  values: Partial<Record<'quic-cert' | 'quic-key' | 'quic-ca' | 'quic-port', string>>,
  env: NodeJS.ProcessEnv,
  peerTransport: 'ws' | 'quic',
): QuicOptions | undefined {
  const file = (flag: 'quic-cert' | 'quic-key' | 'quic-ca', name: string) => {
    const path = values[flag] ?? env[name];
    return path === undefined ? undefined : readFileSync(path, 'utf8');
  };
  const [cert, key, ca] = [
    file('quic-cert', 'HELIOS_QUIC_CERT'),
    file('quic-key', 'HELIOS_QUIC_KEY'),
    file('quic-ca', 'HELIOS_QUIC_CA'),
  ];
  if ((cert === undefined) !== (key === undefined))
    throw new CliError('--quic-cert and --quic-key go together: pass both or neither');
  const portText = values['quic-port'] ?? env.HELIOS_QUIC_PORT;
  const port = portText === undefined ? undefined : udpPort(portText, '--quic-port');
  const given = { cert, key, ca, port };
  const set = Object.entries(given).filter(([, v]) => v !== undefined);
  if (set.length === 0 && peerTransport === 'ws') return undefined;
  return Object.fromEntries(set) as QuicOptions;
}

/** node:util's parseArgs errors (unknown option, missing value) are usage errors too. */
function usageErrors<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv): CliSettings {
  const { values } = usageErrors(() =>
    parseArgs({
      args: [...argv],
      options: {
        region: { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        db: { type: 'string' },
        pg: { type: 'string' },
        'pg-schema': { type: 'string' },
        redis: { type: 'string' },
        deployment: { type: 'string' },
        peer: { type: 'string', multiple: true },
        'peer-token': { type: 'string' },
        'peer-transport': { type: 'string' },
        'quic-cert': { type: 'string' },
        'quic-key': { type: 'string' },
        'quic-ca': { type: 'string' },
        'quic-port': { type: 'string' },
        'peer-quic-port': { type: 'string', multiple: true },
        'admin-token': { type: 'string' },
        'rtt-file': { type: 'string' },
        'peer-latency': { type: 'string', multiple: true },
        'jwt-secret': { type: 'string' },
        'jwt-public-key': { type: 'string' },
        anonymous: { type: 'boolean' },
        hooks: { type: 'string' },
        'open-access': { type: 'boolean' },
        cors: { type: 'string' },
        limit: { type: 'string', multiple: true },
        rights: { type: 'string', multiple: true },
        'epoch-period-days': { type: 'string' },
        'retire-after': { type: 'string' },
        'auto-fold': { type: 'string', multiple: true },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }),
  );
  const help = values.help ?? false;
  const region = values.region ?? env.HELIOS_REGION ?? '';
  if (!help && region === '') throw new CliError('--region is required');
  const port = Number(values.port ?? env.HELIOS_PORT ?? 4100);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`bad port ${port}`);
  const peerArgs =
    values.peer ?? (env.HELIOS_PEERS ? env.HELIOS_PEERS.split(',').filter(Boolean) : []);
  const rttFile = values['rtt-file'] ?? env.HELIOS_RTT_FILE;
  const latencies = rttFile ? oneWayFromRttFile(rttFile, region) : new Map<string, number>();
  for (const [peer, ms] of pairs(values['peer-latency'] ?? [], '--peer-latency')) {
    const n = Number(ms);
    if (!Number.isFinite(n) || n < 0) throw new CliError(`bad latency for ${peer}: ${ms}`);
    latencies.set(peer, n);
  }
  const quicPorts = new Map<string, number>();
  for (const [peer, n] of pairs(values['peer-quic-port'] ?? [], '--peer-quic-port')) {
    quicPorts.set(peer, udpPort(n, `--peer-quic-port ${peer}`));
  }
  const peers = pairs(peerArgs, '--peer').map(([peerRegion, url]) => {
    const quicPort = quicPorts.get(peerRegion);
    return {
      region: peerRegion,
      url,
      latencyMs: latencies.get(peerRegion) ?? 0,
      ...(quicPort !== undefined ? { quicPort } : {}),
    };
  });
  const peerTransport = values['peer-transport'] ?? env.HELIOS_PEER_TRANSPORT ?? 'ws';
  if (peerTransport !== 'ws' && peerTransport !== 'quic') {
    throw new CliError(`--peer-transport must be ws or quic, got "${peerTransport}"`);
  }
  const epochs = epochOptions(
    values['epoch-period-days'] ?? env.HELIOS_EPOCH_PERIOD_DAYS,
    values['retire-after'] ?? env.HELIOS_RETIRE_AFTER,
  );
  const autoFold = parseAutoFold(
    values['auto-fold'] ??
      (env.HELIOS_AUTO_FOLD ? env.HELIOS_AUTO_FOLD.split(',').filter(Boolean) : []),
  );
  if (autoFold !== undefined && epochs?.retireAfter === undefined) {
    throw new CliError('--auto-fold folds retired epochs: it needs --retire-after');
  }
  const cors = values.cors ?? env.HELIOS_CORS_ORIGINS;
  const keyFile = values['jwt-public-key'] ?? env.HELIOS_JWT_PUBLIC_KEY;
  return {
    help,
    region,
    port,
    host: values.host ?? env.HELIOS_HOST ?? '127.0.0.1',
    db: values.db ?? env.HELIOS_DB ?? `./data/${region}.sqlite`,
    pg: values.pg ?? env.HELIOS_PG_URL,
    pgSchema: values['pg-schema'] ?? env.HELIOS_PG_SCHEMA,
    redis: values.redis ?? env.HELIOS_REDIS_URL,
    deployment: values.deployment ?? env.HELIOS_DEPLOYMENT,
    peers,
    peerToken: values['peer-token'] ?? env.HELIOS_PEER_TOKEN,
    peerTransport,
    quic: quicOptions(values, env, peerTransport),
    adminToken: values['admin-token'] ?? env.HELIOS_ADMIN_TOKEN,
    jwtSecret: values['jwt-secret'] ?? env.HELIOS_JWT_SECRET,
    jwtPublicKey: keyFile ? readFileSync(keyFile, 'utf8') : undefined,
    anonymous: values.anonymous ?? env.HELIOS_ANONYMOUS === '1',
    hooks: values.hooks ?? env.HELIOS_HOOKS,
    openAccess: values['open-access'] ?? env.HELIOS_OPEN_ACCESS === '1',
    cors: cors === undefined ? undefined : cors === '*' ? '*' : cors.split(',').filter(Boolean),
    limits: parseLimits(
      values.limit ?? (env.HELIOS_LIMITS ? env.HELIOS_LIMITS.split(',').filter(Boolean) : []),
    ),
    rights: parseRights(
      values.rights ?? (env.HELIOS_RIGHTS ? env.HELIOS_RIGHTS.split(',').filter(Boolean) : []),
    ),
    epochs,
    autoFold,
    logLevel: values['log-level'] ?? env.HELIOS_LOG_LEVEL ?? 'info',
  };
}
