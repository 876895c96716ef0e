#!/usr/bin/env node
import { pino } from 'pino';
import { CliError, parseCli, USAGE } from './cli-options.js';
import { epochCalendar } from './epoch-calendar.js';
import { HooksModuleError, loadHooksModule, type RelayHooks } from './hooks-module.js';
import { createRelay } from './relay.js';

import { SqliteStore } from './store/sqlite-store.js';

async function main(): Promise<void> {
  let settings: ReturnType<typeof parseCli>;
  try {
    settings = parseCli(process.argv.slice(2), process.env);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(err instanceof CliError ? 2 : 1);
  }
  if (settings.help) {
    console.log(USAGE);
    return;
  }
  const hooks: RelayHooks = settings.hooks ? await loadHooksModule(settings.hooks) : {};
  if (
    hooks.authenticate &&
    (settings.jwtSecret !== undefined || settings.jwtPublicKey !== undefined || settings.anonymous)
  ) {
    // createRelay would silently prefer the hook: say which one runs instead of guessing.
    throw new HooksModuleError(
      'authentication-conflict',
      '--hooks: the module exports authenticate, which replaces --jwt-secret, --jwt-public-key ' +
        'and --anonymous; pass none of them',
    );
  }
  // Checked before the store is opened, like the hooks: a refused start leaves nothing behind.
  const authenticated =
    hooks.authenticate !== undefined ||
    settings.jwtSecret !== undefined ||
    settings.jwtPublicKey !== undefined;
  if (settings.openAccess && hooks.authorize) {
    throw new Error(
      '--open-access contradicts the authorize hook of --hooks: pass one of them, not both',
    );
  }
  if (authenticated && !hooks.authorize && !settings.openAccess) {
    throw new Error(
      'no authorize hook: every authenticated user could read and write every document. ' +
        'Export authorize from a module named by --hooks, or pass --open-access ' +
        '(HELIOS_OPEN_ACCESS=1) to allow exactly that',
    );
  }
  const logger = pino({
    name: 'helios-relay',
    level: settings.logLevel,
    base: { region: settings.region },
  });
  const store = settings.pg
    ? await (await import('./store/postgres-store.js')).PostgresStore.open({
        connectionString: settings.pg,
        region: settings.region,
        ...(settings.pgSchema !== undefined ? { schema: settings.pgSchema } : {}),
      })
    : await SqliteStore.open({ path: settings.db, region: settings.region });
  const relay = createRelay({
    region: settings.region,
    store,
    peers: settings.peers,
    logger,
    anonymous: settings.anonymous,
    ...hooks,
    ...(settings.openAccess ? { openAccess: true } : {}),
    ...(Object.keys(settings.limits).length > 0 ? { limits: settings.limits } : {}),
    ...(Object.keys(settings.rights).length > 0 ? { rights: settings.rights } : {}),
    ...(settings.epochs !== undefined ? epochCalendar(settings.epochs) : {}),
    ...(settings.autoFold !== undefined ? { autoFold: settings.autoFold } : {}),
    ...(settings.peerToken !== undefined ? { peerToken: settings.peerToken } : {}),
    peerTransport: settings.peerTransport,
    ...(settings.quic !== undefined ? { quic: settings.quic } : {}),
    ...(settings.adminToken !== undefined ? { adminToken: settings.adminToken } : {}),
    ...(settings.redis !== undefined ? { redisUrl: settings.redis } : {}),
    ...(settings.deployment !== undefined ? { deployment: settings.deployment } : {}),
    ...(settings.cors !== undefined ? { corsOrigins: settings.cors } : {}),
    ...(settings.jwtSecret !== undefined || settings.jwtPublicKey !== undefined
      ? {
          jwt: {
            ...(settings.jwtSecret !== undefined ? { secret: settings.jwtSecret } : {}),
            ...(settings.jwtPublicKey !== undefined
              ? { publicKey: settings.jwtPublicKey, algorithms: ['RS256'] }
              : {}),
          },
        }
      : {}),
  });
  const { url } = await relay.listen(settings.port, settings.host);
  logger.info({ url, peers: settings.peers.map((p) => p.region) }, 'relay listening');
  // Tests and scripts wait for this line on stdout.
  console.log(`helios-relay ${settings.region} listening on ${url}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    relay.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
