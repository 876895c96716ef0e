/**
 * Writes from SQL (schema version 3): functions that check a call against the document's type
 * and queue it in `sql_writes`, then NOTIFY; the relay applies each as a delta of its own
 * replica and deletes it in the same transaction as the commit (see docs/sql.md).
 */
export function sqlWritesSql(schema: string) {
  const s = `"${schema}"`;
  /* A SQL string literal of the schema's name, for the NOTIFY payload. */
  const name = `'${schema}'`;
  return {
    ddl: `
      CREATE TABLE IF NOT EXISTS ${s}.sql_writes (
        id bigserial PRIMARY KEY,
        doc text NOT NULL,
        op text NOT NULL CHECK (op IN ('increment', 'set', 'add', 'remove')),
        key text,
        arg jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE IF NOT EXISTS ${s}.sql_write_failures (
        id bigint PRIMARY KEY,
        doc text NOT NULL,
        op text NOT NULL,
        key text,
        arg jsonb NOT NULL,
        error text NOT NULL,
        failed_at timestamptz NOT NULL DEFAULT now()
      );

      -- Which operations a document type takes; keyed: applied to the value under a map key.
      CREATE OR REPLACE FUNCTION ${s}.write_fits(doc_type text, op text, keyed boolean)
      RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
        SELECT CASE op
          WHEN 'increment' THEN CASE WHEN keyed
            THEN doc_type IN ('or-map<g-counter>', 'or-map<pn-counter>')
            ELSE doc_type IN ('g-counter', 'pn-counter') END
          WHEN 'set' THEN CASE WHEN keyed
            THEN doc_type IN ('lww-map', 'or-map<lww-register>', 'or-map<mv-register>')
            ELSE doc_type IN ('lww-register', 'mv-register') END
          WHEN 'add' THEN NOT keyed AND doc_type IN ('aw-set', 'or-set', 'rw-set')
          WHEN 'remove' THEN NOT keyed AND (doc_type IN ('aw-set', 'or-set', 'rw-set', 'lww-map')
            OR doc_type LIKE 'or-map<%')
          ELSE false
        END
      $$;

      CREATE OR REPLACE FUNCTION ${s}.enqueue_write(p_doc text, p_op text, p_key text, p_arg jsonb)
      RETURNS bigint LANGUAGE plpgsql AS $$
      DECLARE
        doc_type text;
        queued bigint;
      BEGIN
        IF p_arg IS NULL THEN
          RAISE EXCEPTION 'helios.%: the value is NULL', p_op
            USING ERRCODE = 'null_value_not_allowed', HINT = 'for a JSON null, pass ''null''::jsonb';
        END IF;
        SELECT type INTO doc_type FROM ${s}.document_values WHERE doc = p_doc;
        IF doc_type IS NULL THEN
          RAISE EXCEPTION 'helios.%: there is no document %', p_op, quote_literal(p_doc)
            USING ERRCODE = 'no_data_found',
            HINT = 'SQL writes change existing documents: a client creates a document, and its type';
        END IF;
        IF NOT ${s}.write_fits(doc_type, p_op, p_key IS NOT NULL) THEN
          RAISE EXCEPTION 'helios.%: document % is a %, which % does not apply to',
            p_op, quote_literal(p_doc), doc_type,
            CASE WHEN p_key IS NULL THEN p_op ELSE p_op || ' with a key' END
            USING ERRCODE = 'wrong_object_type', HINT = 'see docs/sql.md for what applies to each type';
        END IF;
        IF p_op = 'increment' AND (jsonb_typeof(p_arg) <> 'number' OR p_arg::numeric = 0
            OR abs(p_arg::numeric) > 9007199254740991
            OR (p_arg::numeric < 0 AND doc_type IN ('g-counter', 'or-map<g-counter>'))) THEN
          RAISE EXCEPTION 'helios.increment: % is not a step % can take', p_arg, doc_type
            USING ERRCODE = 'invalid_parameter_value',
            HINT = 'a non-zero integer of at most 2^53 - 1; a g-counter only grows';
        END IF;
        IF p_op IN ('add', 'remove') AND jsonb_typeof(p_arg) NOT IN ('string', 'number') THEN
          RAISE EXCEPTION 'helios.%: an element or key is a string or a number, not %',
            p_op, jsonb_typeof(p_arg) USING ERRCODE = 'invalid_parameter_value';
        END IF;
        INSERT INTO ${s}.sql_writes (doc, op, key, arg) VALUES (p_doc, p_op, p_key, p_arg)
          RETURNING id INTO queued;
        PERFORM pg_notify('helios_sql_writes', ${name});
        RETURN queued;
      END $$;

      -- Used by the commit statement: a batch that applies a queued write another node has
      -- applied meanwhile (it took over the queue while this one still worked) writes nothing.
      CREATE OR REPLACE FUNCTION ${s}.refuse_reapplied(expected integer, deleted bigint)
      RETURNS boolean LANGUAGE plpgsql AS $$
      BEGIN
        IF coalesce(expected, 0) <> deleted THEN
          RAISE EXCEPTION 'helios: % of the SQL writes this commit applies were applied already',
            coalesce(expected, 0) - deleted USING ERRCODE = 'HL410';
        END IF;
        RETURN true;
      END $$;

      CREATE OR REPLACE FUNCTION ${s}.increment(doc text, by bigint DEFAULT 1) RETURNS bigint
        LANGUAGE sql AS $$ SELECT ${s}.enqueue_write(doc, 'increment', NULL, to_jsonb(by)) $$;
      CREATE OR REPLACE FUNCTION ${s}.increment(doc text, key text, by bigint) RETURNS bigint
        LANGUAGE sql AS $$ SELECT ${s}.enqueue_write(doc, 'increment', key, to_jsonb(by)) $$;
      CREATE OR REPLACE FUNCTION ${s}.decrement(doc text, by bigint DEFAULT 1) RETURNS bigint
        LANGUAGE sql AS $$ SELECT ${s}.enqueue_write(doc, 'increment', NULL, to_jsonb(-by)) $$;
      CREATE OR REPLACE FUNCTION ${s}.decrement(doc text, key text, by bigint) RETURNS bigint
        LANGUAGE sql AS $$ SELECT ${s}.enqueue_write(doc, 'increment', key, to_jsonb(-by)) $$;
      CREATE OR REPLACE FUNCTION ${s}.set(doc text, value jsonb) RETURNS bigint
        LANGUAGE sql AS $$ SELECT ${s}.enqueue_write(doc, 'set', NULL, value) $$;
      CREATE OR REPLACE FUNCTION ${s}.set(doc text, key text, value jsonb) RETURNS bigint
        LANGUAGE sql AS $$ SELECT ${s}.enqueue_write(doc, 'set', key, value) $$;
      CREATE OR REPLACE FUNCTION ${s}.add(doc text, element jsonb) RETURNS bigint
        LANGUAGE sql AS $$ SELECT ${s}.enqueue_write(doc, 'add', NULL, element) $$;
      CREATE OR REPLACE FUNCTION ${s}.add(doc text, element text) RETURNS bigint
        LANGUAGE sql AS $$ SELECT ${s}.enqueue_write(doc, 'add', NULL, to_jsonb(element)) $$;
      CREATE OR REPLACE FUNCTION ${s}.remove(doc text, element jsonb) RETURNS bigint
        LANGUAGE sql AS $$ SELECT ${s}.enqueue_write(doc, 'remove', NULL, element) $$;
      CREATE OR REPLACE FUNCTION ${s}.remove(doc text, element text) RETURNS bigint
        LANGUAGE sql AS $$ SELECT ${s}.enqueue_write(doc, 'remove', NULL, to_jsonb(element)) $$;

      -- 'pending', 'applied', 'failed: <why>' (what only the relay could check), or 'unknown'
      -- for an id no write function returned.
      CREATE OR REPLACE FUNCTION ${s}.write_status(id bigint) RETURNS text LANGUAGE sql STABLE AS $$
        SELECT CASE
          WHEN EXISTS (SELECT 1 FROM ${s}.sql_writes w WHERE w.id = $1) THEN 'pending'
          WHEN $1 < 1 OR $1 > (SELECT CASE WHEN is_called THEN last_value ELSE 0 END
            FROM ${s}.sql_writes_id_seq) THEN 'unknown'
          ELSE coalesce((SELECT 'failed: ' || f.error FROM ${s}.sql_write_failures f
            WHERE f.id = $1), 'applied')
        END
      $$;`,

    /* The oldest queued writes: $1 how many. */
    pending: `SELECT id, doc, op, key, arg FROM ${s}.sql_writes ORDER BY id LIMIT $1`,

    /* Moves a write the relay refused to the failures: $1 id, $2 why. */
    fail: `
      WITH gone AS (DELETE FROM ${s}.sql_writes WHERE id = $1 RETURNING *)
      INSERT INTO ${s}.sql_write_failures (id, doc, op, key, arg, error)
      SELECT id, doc, op, key, arg, $2 FROM gone`,
  };
}
