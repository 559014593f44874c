-- marketiq embeddings 0.2.0: text embedded into real[] vectors, by the builtin hashing embedder
-- (offline, deterministic) or any OpenAI-compatible service, and embedding columns that the
-- background worker keeps in sync with their text.

-- ------------------------------------------------------------------ embedding one text

CREATE FUNCTION marketiq.embed(input text, provider text DEFAULT 'builtin', dims int DEFAULT NULL)
RETURNS real[] AS 'MODULE_PATHNAME', 'mq_embed'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.embed(text, text, int) IS
'the embedding of a text as a real[] vector: provider ''builtin'' (offline feature hashing, dims NULL = 256, deterministic) or ''openai'' (the OpenAI-compatible service configured by marketiq.openai_base_url, dims NULL = the model''s own size); NULL for NULL, empty or featureless text';

CREATE FUNCTION marketiq.embedding_features(input text, dims int DEFAULT 256)
RETURNS TABLE (kind text, feature text, hash bigint, bucket int, sign int, count int, weight float8)
AS 'MODULE_PATHNAME', 'mq_embedding_features'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 100;
COMMENT ON FUNCTION marketiq.embedding_features(text, int) IS
'the features the builtin embedder extracts from a text (words, word bigrams, character 3-5-grams, CJK characters and bigrams), each with its 64-bit hash, bucket (1-based) and sign at dims dimensions, count and weight 1 + ln(count), in order of first appearance';

CREATE FUNCTION marketiq.cosine_similarity(a real[], b real[])
RETURNS float8 AS 'MODULE_PATHNAME', 'mq_cosine_similarity_float4'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.cosine_similarity(real[], real[]) IS
'cosine of the angle between two vectors of the same dimension (1: same direction, 0: unrelated, -1: opposite); NULL if either is all zeros';

CREATE FUNCTION marketiq.cosine_similarity(a float8[], b float8[])
RETURNS float8 AS 'MODULE_PATHNAME', 'mq_cosine_similarity_float8'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION marketiq.cosine_similarity(float8[], float8[]) IS
'cosine of the angle between two vectors of the same dimension (1: same direction, 0: unrelated, -1: opposite); NULL if either is all zeros';

-- ------------------------------------------------------------------ embedding columns

-- One row per embedding column.  The text and embedding columns are named by the column's trigger
-- (marketiq_embed_<id>: its column list starts with them), so renames and pg_dump keep them right.
CREATE TABLE marketiq.embedding_columns (
    id serial PRIMARY KEY,
    tbl regclass NOT NULL,
    provider text NOT NULL
        CONSTRAINT embedding_columns_provider_check CHECK (provider IN ('builtin', 'openai')),
    dims int
        CONSTRAINT embedding_columns_dims_check CHECK (dims BETWEEN 1 AND 16000),
    model_dims int,
    model text,
    batch_size int NOT NULL
        CONSTRAINT embedding_columns_batch_size_check CHECK (batch_size BETWEEN 1 AND 2048),
    owner regrole NOT NULL,
    created_at timestamptz NOT NULL,
    last_success timestamptz,
    last_error text,
    last_error_at timestamptz,
    connect_failures int NOT NULL DEFAULT 0,
    paused_until timestamptz
);
COMMENT ON TABLE marketiq.embedding_columns IS
'embedding columns: the table, provider, requested dims (NULL: the model''s own), the length and model fixed by the first vectors, batch size, the owner (the role the worker embeds as), and the last success and error';

-- One row per table row whose embedding is due (or failed).
CREATE TABLE marketiq.embedding_queue (
    column_id int NOT NULL,
    key text[] NOT NULL,
    enqueued_at timestamptz NOT NULL,
    attempts int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    failed boolean NOT NULL DEFAULT false,
    last_error text,
    claimed_by bigint,
    claimed_at timestamptz,
    PRIMARY KEY (column_id, key)
);
CREATE INDEX embedding_queue_due ON marketiq.embedding_queue (column_id, next_attempt_at) WHERE NOT failed;
COMMENT ON TABLE marketiq.embedding_queue IS
'rows whose embedding is due: the embedding column, the row''s primary key (text forms of its key columns), attempts so far, when to try next, whether it failed for good, and the processor that has claimed it';

-- claim tokens of processors
CREATE SEQUENCE marketiq.embedding_claim_seq;

CREATE TABLE marketiq.embedding_errors (
    id bigserial PRIMARY KEY,
    column_id int NOT NULL,
    "time" timestamptz NOT NULL,
    tbl regclass NOT NULL,
    embedding_col name NOT NULL,
    keys text[] NOT NULL,
    attempt int,
    message text NOT NULL,
    owner regrole NOT NULL
);
CREATE INDEX embedding_errors_column ON marketiq.embedding_errors (column_id, id);
COMMENT ON TABLE marketiq.embedding_errors IS
'every batch that failed (the last 1,000 per column): when, the table and embedding column, the primary keys of its rows, the attempt (NULL: no connection could be made, which is not an attempt) and the error';

SELECT pg_catalog.pg_extension_config_dump('marketiq.embedding_columns', '');
SELECT pg_catalog.pg_extension_config_dump('marketiq.embedding_columns_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('marketiq.embedding_queue', '');
SELECT pg_catalog.pg_extension_config_dump('marketiq.embedding_errors', '');
SELECT pg_catalog.pg_extension_config_dump('marketiq.embedding_errors_id_seq', '');

ALTER TABLE marketiq.embedding_columns ENABLE ROW LEVEL SECURITY;
ALTER TABLE marketiq.embedding_queue ENABLE ROW LEVEL SECURITY;
ALTER TABLE marketiq.embedding_errors ENABLE ROW LEVEL SECURITY;
CREATE POLICY embedding_columns_owner ON marketiq.embedding_columns
    FOR SELECT USING (pg_catalog.pg_has_role(owner, 'USAGE'));
CREATE POLICY embedding_queue_owner ON marketiq.embedding_queue
    FOR SELECT USING (EXISTS (SELECT 1 FROM marketiq.embedding_columns c WHERE c.id = column_id));
CREATE POLICY embedding_errors_owner ON marketiq.embedding_errors
    FOR SELECT USING (pg_catalog.pg_has_role(owner, 'USAGE'));
REVOKE ALL ON marketiq.embedding_columns, marketiq.embedding_queue, marketiq.embedding_errors FROM PUBLIC;
GRANT SELECT ON marketiq.embedding_columns, marketiq.embedding_queue, marketiq.embedding_errors TO PUBLIC;
REVOKE ALL ON SEQUENCE marketiq.embedding_claim_seq FROM PUBLIC;

CREATE FUNCTION marketiq._embed_trigger()
RETURNS trigger AS 'MODULE_PATHNAME', 'mq_embed_trigger'
LANGUAGE C;
COMMENT ON FUNCTION marketiq._embed_trigger() IS
'internal: the trigger of an embedding column (created by embed_column): queues rows whose text is new or changed and clears their embedding';

CREATE FUNCTION marketiq._embedded_count(tbl regclass, col name)
RETURNS bigint AS 'MODULE_PATHNAME', 'mq_embedded_count'
LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION marketiq._embedded_count(regclass, name) IS
'internal: rows of tbl whose column col is not NULL, counted with the caller''s rights (NULL without the right to read them)';

CREATE FUNCTION marketiq.embed_column(tbl regclass, text_col name, embedding_col name DEFAULT NULL,
                                      provider text DEFAULT 'builtin', dims int DEFAULT NULL,
                                      batch_size int DEFAULT 64)
RETURNS bigint AS 'MODULE_PATHNAME', 'mq_embed_column'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION marketiq.embed_column(regclass, name, name, text, int, int) IS
'adds a real[] column (default <text_col>_embedding) that the worker keeps equal to the embedding of text_col: a trigger queues every inserted or changed text by primary key, and every existing row is queued now; returns the rows queued';

CREATE FUNCTION marketiq.process_embeddings(max_rows int DEFAULT NULL)
RETURNS int AS 'MODULE_PATHNAME', 'mq_process_embeddings'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION marketiq.process_embeddings(int) IS
'embeds the due rows of the embedding columns you can see now (at most max_rows; NULL: all), each column''s in a background worker connected as its owner, and returns the rows embedded; for servers without the worker, and for pg_cron';

CREATE FUNCTION marketiq.retry_embeddings(tbl regclass DEFAULT NULL)
RETURNS bigint AS 'MODULE_PATHNAME', 'mq_retry_embeddings'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION marketiq.retry_embeddings(regclass) IS
'makes failed and backing-off rows of the embedding columns of tbl (NULL: all you can see) due again with fresh attempts; returns how many';

CREATE FUNCTION marketiq.drop_embedding_column(tbl regclass, embedding_col name)
RETURNS void AS 'MODULE_PATHNAME', 'mq_drop_embedding_column'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION marketiq.drop_embedding_column(regclass, name) IS
'drops an embedding column: the column, its triggers, its queue and its errors';

CREATE VIEW marketiq.embedding_status WITH (security_invoker = true) AS
SELECT c.tbl,
       ta.attname AS text_col,
       ea.attname AS embedding_col,
       c.provider,
       coalesce(c.dims, c.model_dims) AS dims,
       c.model,
       c.owner,
       marketiq._embedded_count(c.tbl, ea.attname) AS embedded,
       (SELECT count(*) FROM marketiq.embedding_queue q WHERE q.column_id = c.id AND NOT q.failed) AS pending,
       (SELECT count(*) FROM marketiq.embedding_queue q WHERE q.column_id = c.id AND q.failed) AS failed,
       c.last_error,
       c.last_error_at,
       c.last_success,
       c.paused_until
FROM marketiq.embedding_columns c
JOIN pg_catalog.pg_trigger t ON t.tgrelid = c.tbl AND t.tgname = 'marketiq_embed_' || c.id
JOIN pg_catalog.pg_attribute ta ON ta.attrelid = c.tbl AND ta.attnum = t.tgattr[0]
JOIN pg_catalog.pg_attribute ea ON ea.attrelid = c.tbl AND ea.attnum = t.tgattr[1];
COMMENT ON VIEW marketiq.embedding_status IS
'one row per embedding column you can see: table, text and embedding columns, provider, dims, rows embedded (with a vector), pending and failed (NULL texts count as neither), the last error and success, and until when the column waits after failures';
GRANT SELECT ON marketiq.embedding_status TO PUBLIC;
