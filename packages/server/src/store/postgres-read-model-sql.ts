/**
 * The read model of the Postgres store (schema version 2): each document's current value as
 * `jsonb`, written by the relay in the same transaction as the changes that made it, and views
 * for the common shapes. What SQL users, BI tools and backend jobs read; see docs/sql.md.
 */
export function readModelSql(schema: string) {
  const s = `"${schema}"`;
  return {
    tables: `
      CREATE TABLE IF NOT EXISTS ${s}.document_values (
        doc text PRIMARY KEY,
        type text NOT NULL,
        value jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX IF NOT EXISTS document_values_type ON ${s}.document_values (type);
      -- The document's last_seq before its latest commit: a commit compares it with the basis
      -- of the value it writes (see the store's commit statement).
      ALTER TABLE ${s}.docs ADD COLUMN IF NOT EXISTS prior_seq bigint NOT NULL DEFAULT 0;
      CREATE OR REPLACE FUNCTION ${s}.refuse_stale_values(stale text[]) RETURNS boolean
      LANGUAGE plpgsql AS $$
      BEGIN
        IF stale IS NOT NULL THEN
          RAISE EXCEPTION 'helios: the values of % lack a change another node committed', stale
            USING ERRCODE = 'HL409', DETAIL = array_to_json(stale)::text;
        END IF;
        RETURN true;
      END $$;
      COMMENT ON TABLE ${s}.document_values IS
        'Helios read model: each document''s value as JSON (docs/sql.md), written with each commit';

      CREATE OR REPLACE VIEW ${s}.counters AS
        SELECT doc, type, (value #>> '{}')::bigint AS value, updated_at
        FROM ${s}.document_values WHERE type IN ('g-counter', 'pn-counter');

      CREATE OR REPLACE VIEW ${s}.registers AS
        SELECT doc, type, value, updated_at
        FROM ${s}.document_values WHERE type IN ('lww-register', 'mv-register');

      CREATE OR REPLACE VIEW ${s}.map_entries AS
        SELECT v.doc, v.type, e.key, e.value, v.updated_at
        FROM ${s}.document_values v, jsonb_each(v.value) AS e(key, value)
        WHERE v.type = 'lww-map' OR v.type LIKE 'or-map<%';

      CREATE OR REPLACE VIEW ${s}.set_elements AS
        SELECT v.doc, v.type, e.element, v.updated_at
        FROM ${s}.document_values v, jsonb_array_elements(v.value) AS e(element)
        WHERE v.type IN ('aw-set', 'or-set', 'rw-set');`,

    /*
     * Documents without a value row (stored before the read model existed), a page at a time:
     * $1 the last id of the previous page ('' first), $2 the page size.
     */
    missingValues: `
      SELECT d.doc FROM ${s}.docs d
      WHERE d.doc > $1 AND NOT EXISTS (SELECT 1 FROM ${s}.document_values v WHERE v.doc = d.doc)
      ORDER BY d.doc LIMIT $2`,

    /* $1 doc, $2 type, $3 value (JSON text). Never replaces a row a relay has written. */
    insertValue: `
      INSERT INTO ${s}.document_values (doc, type, value) VALUES ($1, $2, $3::jsonb)
      ON CONFLICT (doc) DO NOTHING`,
  };
}
