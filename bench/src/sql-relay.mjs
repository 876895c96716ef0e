/**
 * A relay process of the SQL benchmark (`sql.mjs`): the Postgres store in schema `argv[2]`,
 * with the read model on or off (`argv[3]`: `on` | `off`), JWT auth with the secret in
 * `HELIOS_BENCH_JWT_SECRET`, open access. It times every commit the relay hands its store and
 * answers the parent's `stats` message with the durations since the last `reset`.
 */
import { createRelay, PostgresStore } from '@helios/server';
import { pino } from 'pino';

const [schema, readModelArg] = process.argv.slice(2);
const connectionString = /** @type {string} */ (process.env.HELIOS_TEST_PG_URL);
const store = await PostgresStore.open({
  connectionString,
  region: 'us-east-1',
  schema,
  readModel: readModelArg === 'on',
});

/** @type {number[]} */
let commitMs = [];
// The relay calls the store's methods on the store itself (its private fields): bind each.
const timed = new Proxy(store, {
  get(target, key) {
    const value = Reflect.get(target, key, target);
    if (key === 'commit') {
      return async (/** @type {Parameters<PostgresStore['commit']>} */ ...args) => {
        const started = performance.now();
        try {
          return await target.commit(...args);
        } finally {
          commitMs.push(performance.now() - started);
        }
      };
    }
    return typeof value === 'function' ? value.bind(target) : value;
  },
});

const relay = createRelay({
  region: 'us-east-1',
  store: timed,
  jwt: { secret: /** @type {string} */ (process.env.HELIOS_BENCH_JWT_SECRET) },
  openAccess: true,
  logger: pino({ level: 'error' }),
});
const { url } = await relay.listen(0);
console.log(`sql bench relay listening on ${url}`);

process.on('message', (/** @type {string} */ message) => {
  if (message === 'reset') commitMs = [];
  if (message === 'stats') process.send?.({ commitMs });
});
process.on('SIGTERM', () => {
  relay.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
