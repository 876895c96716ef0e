// Helios from SQL (docs/sql.md): with a Postgres store, every committed document's value is
// also a row of `document_values`, and SQL functions write to documents through the relay,
// which applies them as its own deltas: durable, and sent to every client at once.
// Needs the Postgres of HELIOS_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test).
import { createClient } from '@helios/client';
import { createRelay, PostgresStore } from '@helios/server';
import pg from 'pg';
import { pino } from 'pino';
import { exitIfHung, until } from './support/example-kit.mjs';

exitIfHung();

const connectionString =
  process.env.HELIOS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
// A schema of its own, so the example never touches another store (the default is `helios`).
const schema = `helios_example_${process.pid}`;
const store = await PostgresStore.open({ connectionString, region: 'eu-west-1', schema });
const relay = createRelay({
  region: 'eu-west-1',
  store,
  anonymous: true,
  logger: pino({ level: 'silent' }),
});
const { url } = await relay.listen(0);
const sql = new pg.Pool({ connectionString });

try {
  // An app likes a post and tags it, as any Helios app does.
  const app = createClient({ relays: [url], persistence: 'memory', dbName: 'sql-example' });
  const likes = app.counter('likes:post-42');
  const tags = app.awSet('tags:post-42');
  likes.increment(3);
  tags.add('news');
  await app.flush('relay');

  // SQL reads the replicated values: the relay wrote them in the same commit as the changes.
  const read = async (doc) =>
    (await sql.query(`SELECT value FROM ${schema}.document_values WHERE doc = $1`, [doc])).rows[0]
      .value;
  console.log(`SQL reads likes: ${await read('likes:post-42')}`);
  const counters = await sql.query(`SELECT doc, value FROM ${schema}.counters`);
  console.log(`counters view: ${counters.rows.map((r) => `${r.doc} = ${r.value}`).join(', ')}`);

  // A backend job writes from SQL: the app sees it live.
  await sql.query(`SELECT ${schema}.increment('likes:post-42', 10)`);
  await sql.query(`SELECT ${schema}.add('tags:post-42', 'featured')`);
  console.log(`the app sees ${await until(likes, (n) => n === 13)} likes`);
  console.log(`and tags ${[...(await until(tags, (t) => t.size === 2))].sort().join(', ')}`);
  // A client gets a change only once it is committed, with its value: SQL already reads it.
  console.log(`SQL reads tags: ${JSON.stringify(await read('tags:post-42'))}`);

  // A call that does not fit the document is refused by SQL itself, and queues nothing.
  try {
    await sql.query(`SELECT ${schema}.add('likes:post-42', 'oops')`);
  } catch (err) {
    console.log(`SQL error: ${err.message}`);
  }
  await app.close();
} finally {
  await relay.close();
  await sql.query(`DROP SCHEMA ${schema} CASCADE`);
  await sql.end();
}

// expect: SQL reads likes: 3
// expect: counters view: likes:post-42 = 3
// expect: the app sees 13 likes
// expect: and tags featured, news
// expect: SQL reads tags: ["featured","news"]
// expect: SQL error: helios.add: document 'likes:post-42' is a pn-counter, which add does not apply to
