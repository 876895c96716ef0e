/**
 * The SQL of {@link PostgresStore}, for one schema. Kept apart from the class so the statements
 * and the reasons for their shape can be read in one place.
 */
export function postgresSql(schema: string) {
  const s = `"${schema}"`;
  return {
    schema: `
      CREATE SCHEMA IF NOT EXISTS ${s};
      CREATE TABLE IF NOT EXISTS ${s}.meta (key text PRIMARY KEY, value text NOT NULL);
      CREATE TABLE IF NOT EXISTS ${s}.heads (region text PRIMARY KEY, seq bigint NOT NULL);
      CREATE TABLE IF NOT EXISTS ${s}.changes (
        seq bigint PRIMARY KEY,
        doc text NOT NULL,
        origin text NOT NULL,
        delta bytea NOT NULL
      );
      CREATE INDEX IF NOT EXISTS changes_doc_seq ON ${s}.changes (doc, seq);
      CREATE INDEX IF NOT EXISTS changes_origin_seq ON ${s}.changes (origin, seq);
      CREATE TABLE IF NOT EXISTS ${s}.docs (doc text PRIMARY KEY, last_seq bigint NOT NULL);
      CREATE TABLE IF NOT EXISTS ${s}.snapshots (
        doc text PRIMARY KEY,
        seq bigint NOT NULL,
        state bytea NOT NULL
      );
      CREATE TABLE IF NOT EXISTS ${s}.cursors (peer text PRIMARY KEY, up_to bigint NOT NULL);
      CREATE TABLE IF NOT EXISTS ${s}.released (region text PRIMARY KEY, up_to bigint NOT NULL);
      CREATE TABLE IF NOT EXISTS ${s}.replicas (replica text PRIMARY KEY, user_id text NOT NULL);
      CREATE TABLE IF NOT EXISTS ${s}.relay_slots (slot int PRIMARY KEY, generation bigint NOT NULL);
    `,

    /* $1 region, $2 a fresh epoch (kept only if the schema has none yet). */
    initRegion: `
      WITH meta AS (
        INSERT INTO ${s}.meta (key, value) VALUES ('region', $1), ('epoch', $2)
        ON CONFLICT DO NOTHING
      ), head AS (
        INSERT INTO ${s}.heads (region, seq) VALUES ($1, 0) ON CONFLICT DO NOTHING
      )
      INSERT INTO ${s}.released (region, up_to) VALUES ($1, 0) ON CONFLICT DO NOTHING`,

    storedMeta: `
      SELECT key, value FROM ${s}.meta WHERE key IN ('region', 'epoch', 'version', 'sql_replica')`,

    /* $1 the schema version now in place. */
    setVersion: `
      INSERT INTO ${s}.meta (key, value) VALUES ('version', $1)
      ON CONFLICT (key) DO UPDATE SET value = excluded.value`,

    /*
     * One statement, so one round trip while the head row is locked. Every other part reads
     * `head`, so none of them runs (or takes a row lock) before the head row is locked: commits
     * lock rows in the same order and cannot deadlock. Returns the new head; the batch's seqs
     * are the $2 values ending there. The documents' new values go to the read model in the
     * same statement, so no reader sees the changes without them or the other way round.
     * $1 region, $2 change count, $3 docs, $4 origins, $5 deltas, $6 peers, $7 cursor positions,
     * $8 value docs, $9 their types, $10 their values (JSON texts), $11 their bases (null: the
     * value holds every change), $12 the SQL writes the changes apply. A value whose document had a change after its basis (another
     * node's, before this commit) would be wrong: then the whole statement fails with HL409.
     * Also returns, per document changed, the seq of its last change before this commit
     * (`prior_seq`, 0 for none): with the head row locked, none lies between the two.
     */
    commit: `
      WITH head AS (
        UPDATE ${s}.heads SET seq = seq + $2::bigint WHERE region = $1 RETURNING seq
      ), inserted AS (
        INSERT INTO ${s}.changes (seq, doc, origin, delta)
        SELECT head.seq - $2::bigint + t.ord, t.doc, t.origin, t.delta
        FROM head, unnest($3::text[], $4::text[], $5::bytea[]) WITH ORDINALITY AS t(doc, origin, delta, ord)
        RETURNING seq, doc
      ), doc_heads AS (
        INSERT INTO ${s}.docs AS d (doc, last_seq)
        SELECT doc, max(seq) FROM inserted GROUP BY doc
        ON CONFLICT (doc) DO UPDATE
        SET last_seq = GREATEST(d.last_seq, excluded.last_seq), prior_seq = d.last_seq
        RETURNING doc, prior_seq
      ), cursor_rows AS (
        INSERT INTO ${s}.cursors AS c (peer, up_to)
        SELECT t.peer, t.up_to FROM head, unnest($6::text[], $7::bigint[]) AS t(peer, up_to)
        ON CONFLICT (peer) DO UPDATE SET up_to = GREATEST(c.up_to, excluded.up_to)
      ), value_rows AS (
        INSERT INTO ${s}.document_values AS v (doc, type, value, updated_at)
        SELECT t.doc, t.type, t.value::jsonb, now()
        FROM head, unnest($8::text[], $9::text[], $10::text[]) AS t(doc, type, value)
        ON CONFLICT (doc) DO UPDATE
        SET type = excluded.type, value = excluded.value, updated_at = excluded.updated_at
      ), applied AS (
        DELETE FROM ${s}.sql_writes w USING head WHERE w.id = ANY($12::bigint[]) RETURNING w.id
      ), stale AS (
        SELECT array_agg(h.doc) AS docs
        FROM doc_heads h JOIN unnest($8::text[], $11::bigint[]) AS b(doc, basis) ON b.doc = h.doc
        WHERE h.prior_seq > b.basis
      )
      SELECT head.seq,
        (SELECT array_agg(h.doc) FROM doc_heads h) AS head_docs,
        (SELECT array_agg(h.prior_seq) FROM doc_heads h) AS prior_seqs
      FROM head, stale
      WHERE ${s}.refuse_stale_values(stale.docs)
      AND ${s}.refuse_reapplied(cardinality($12::bigint[]), (SELECT count(*) FROM applied))`,

    /*
     * Taken first by a commit whose values a node computed without another node's change (see
     * PostgresStore): while it is held no other commit can land, so the store state it reads
     * stays the latest until its own commit. $1 region.
     */
    lockHead: `SELECT seq FROM ${s}.heads WHERE region = $1 FOR UPDATE`,

    /* $1 docs. */
    lastSeqs: `SELECT doc, last_seq FROM ${s}.docs WHERE doc = ANY($1::text[])`,

    /*
     * The snapshot row and the changes after it, read in one statement (one MVCC snapshot); with
     * $2, only what comes after seq $2 (the snapshot only if it is past $2).
     */
    load: `
      WITH snap AS (SELECT seq, state FROM ${s}.snapshots WHERE doc = $1 AND seq > $2)
      SELECT NULL::bigint AS seq, state AS bytes, NULL::text AS origin, seq AS snap_seq FROM snap
      UNION ALL
      SELECT c.seq, c.delta, c.origin, NULL FROM ${s}.changes c
      WHERE c.doc = $1 AND c.seq > GREATEST($2, COALESCE((SELECT seq FROM snap), 0))
      ORDER BY seq NULLS FIRST`,

    /*
     * `load` of several documents at once, each after its own seq: $1 docs, $2 the seqs (a
     * commit that catches up reads every document it lacks changes of in one round trip, while
     * it holds the head row that every other node's commit waits for).
     */
    loadAfter: `
      WITH wanted AS (
        SELECT t.doc, t.after, sn.seq AS snap_seq, sn.state
        FROM unnest($1::text[], $2::bigint[]) AS t(doc, after)
        LEFT JOIN ${s}.snapshots sn ON sn.doc = t.doc AND sn.seq > t.after
      )
      SELECT doc, NULL::bigint AS seq, state AS bytes, NULL::text AS origin, snap_seq
      FROM wanted WHERE snap_seq IS NOT NULL
      UNION ALL
      SELECT c.doc, c.seq, c.delta, c.origin, NULL FROM wanted w
      JOIN ${s}.changes c ON c.doc = w.doc AND c.seq > GREATEST(w.after, COALESCE(w.snap_seq, 0))
      ORDER BY doc, seq NULLS FIRST`,

    /*
     * Does nothing when $2 is past the head (the caller then throws). A snapshot older than the
     * stored one does not replace it: the changes between them are gone. Feed changes stay
     * until released. $1 doc, $2 up-to seq, $3 state, $4 region.
     */
    saveSnapshot: `
      WITH head AS (
        SELECT seq FROM ${s}.heads WHERE region = $4
      ), snap AS (
        INSERT INTO ${s}.snapshots AS sn (doc, seq, state)
        SELECT $1, $2::bigint, $3::bytea FROM head WHERE $2::bigint <= head.seq
        ON CONFLICT (doc) DO UPDATE SET seq = excluded.seq, state = excluded.state
        WHERE sn.seq <= excluded.seq
      ), gone AS (
        DELETE FROM ${s}.changes c USING head
        WHERE c.doc = $1 AND c.seq <= $2::bigint AND $2::bigint <= head.seq
        AND (c.origin <> $4 OR c.seq <= (SELECT up_to FROM ${s}.released WHERE region = $4))
      )
      SELECT seq FROM head`,

    /* $1 region, $2 released up to. Does nothing when $2 is past the head. */
    release: `
      WITH head AS (
        SELECT seq FROM ${s}.heads WHERE region = $1
      ), rel AS (
        UPDATE ${s}.released r SET up_to = GREATEST(r.up_to, $2::bigint)
        FROM head WHERE r.region = $1 AND $2::bigint <= head.seq
        RETURNING r.up_to
      ), gone AS (
        DELETE FROM ${s}.changes c USING rel, ${s}.snapshots sn
        WHERE c.origin = $1 AND c.seq <= rel.up_to AND sn.doc = c.doc AND c.seq <= sn.seq
      )
      SELECT seq FROM head`,

    readFeed: `
      SELECT seq, doc, origin, delta FROM ${s}.changes
      WHERE origin = $1 AND seq > $2 ORDER BY seq LIMIT $3`,

    getCursor: `SELECT up_to FROM ${s}.cursors WHERE peer = $1`,

    feedStart: `SELECT up_to FROM ${s}.released WHERE region = $1`,

    /* $1 the last id of the previous page ('' first), $2 the page size. */
    documents: `SELECT doc FROM ${s}.docs WHERE doc > $1 ORDER BY doc LIMIT $2`,

    replicaOwner: `SELECT user_id FROM ${s}.replicas WHERE replica = $1`,

    /*
     * Insert-or-keep returning the owner. DO UPDATE (a no-op) rather than DO NOTHING: it waits
     * for a concurrent claim of the same replica and returns that row, where a separate read
     * could miss it.
     */
    claimReplica: `
      INSERT INTO ${s}.replicas AS r (replica, user_id) VALUES ($1, $2)
      ON CONFLICT (replica) DO UPDATE SET user_id = r.user_id
      RETURNING user_id`,

    lastSeq: `SELECT last_seq FROM ${s}.docs WHERE doc = $1`,

    countChanges: `SELECT count(*) AS n FROM ${s}.changes`,
  };
}
