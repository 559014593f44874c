-- embed_queue: embedding columns kept in sync by a trigger and a queue (src/embed/queue.c),
-- processed here by process_embeddings() (no background worker in this cluster: each call runs
-- a "marketiq embed" worker connected as the column's owner).  Expected vectors are always
-- compared with marketiq.embed() of the row's current text, which embed_builtin checks against
-- the independent reference.
CREATE ROLE regress_emb_alice LOGIN;
CREATE ROLE regress_emb_bob LOGIN;
CREATE ROLE regress_emb_group NOLOGIN;
GRANT USAGE ON SCHEMA marketiq TO regress_emb_alice, regress_emb_bob, regress_emb_group;
GRANT CREATE ON SCHEMA public TO regress_emb_alice, regress_emb_bob, regress_emb_group;

SET ROLE regress_emb_alice;
CREATE TABLE feedback (id int PRIMARY KEY, body text, stars int);
INSERT INTO feedback VALUES
    (1, 'Great service, fast delivery', 5),
    (2, 'Late delivery, I want a refund', 1),
    (3, NULL, 3),
    (4, '...', 2);
-- who writes the embeddings: a log filled by a trigger of alice's
CREATE TABLE feedback_writes (id int, writer name, session_writer name, body text, emb real[]);
CREATE FUNCTION log_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.body_embedding IS DISTINCT FROM OLD.body_embedding AND NEW.body_embedding IS NOT NULL THEN
        INSERT INTO feedback_writes VALUES (NEW.id, current_user, session_user, NEW.body, NEW.body_embedding);
    END IF;
    RETURN NEW;
END $$;

-- ---------------------------------------------------------------- embed_column: column, trigger, backfill
-- rows 1, 2 and 4 have a text (4 has no features: it will get a NULL vector); 3 is NULL
SELECT marketiq.embed_column('feedback', 'body') AS queued;
CREATE TRIGGER log_write AFTER UPDATE OF body_embedding ON feedback FOR EACH ROW EXECUTE FUNCTION log_write();
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'feedback'::regclass AND attnum > 0 ORDER BY attnum;
-- named by the column's registry id (<id> below; earlier tests may have used ids already)
SELECT replace(tgname, c.id::text, '<id>') AS tgname, tgenabled
FROM pg_trigger, marketiq.embedding_columns c
WHERE tgrelid = 'feedback'::regclass AND tgname LIKE 'marketiq%' AND c.tbl = 'feedback'::regclass ORDER BY 1;
SELECT replace(col_description('feedback'::regclass, 4), 'column ' || c.id || ')', 'column <id>)')
FROM marketiq.embedding_columns c WHERE c.tbl = 'feedback'::regclass;
SELECT tbl, text_col, embedding_col, provider, dims, owner, embedded, pending, failed, last_error, last_success IS NULL AS never
FROM marketiq.embedding_status;
SELECT key, attempts, failed FROM marketiq.embedding_queue ORDER BY key;

-- ---------------------------------------------------------------- process_embeddings without the worker
SELECT marketiq.process_embeddings() AS embedded;
SELECT id, body_embedding IS NOT NULL AS has_vector, body_embedding IS NOT DISTINCT FROM marketiq.embed(body) AS right_vector
FROM feedback ORDER BY id;
SELECT embedded, pending, failed, last_success IS NOT NULL AS succeeded FROM marketiq.embedding_status;
-- the writes ran as alice, the column's owner, in a worker connected as alice (not as the caller)
SELECT id, writer, session_writer FROM feedback_writes ORDER BY id;
SELECT marketiq.process_embeddings() AS nothing_left;

-- ---------------------------------------------------------------- insert, update, delete
INSERT INTO feedback VALUES (5, 'Friendly staff', 4);
UPDATE feedback SET stars = 2 WHERE id = 1;                 -- text untouched: nothing to do
UPDATE feedback SET body = body WHERE id = 2;                -- the same text: nothing to do
UPDATE feedback SET body = 'Delivery was late' WHERE id = 4;   -- a new text: queued, vector cleared
SELECT id, body_embedding IS NULL AS cleared FROM feedback WHERE id IN (1, 2, 4, 5) ORDER BY id;
SELECT key FROM marketiq.embedding_queue ORDER BY key;
-- a row deleted while queued leaves the queue; NULL text is never queued and has no vector
INSERT INTO feedback VALUES (6, 'to be deleted', 1);
DELETE FROM feedback WHERE id = 6;
UPDATE feedback SET body = NULL WHERE id = 5;
SELECT key FROM marketiq.embedding_queue ORDER BY key;
SELECT marketiq.process_embeddings() AS embedded;
SELECT id, body, body_embedding IS NOT DISTINCT FROM marketiq.embed(body) AS right_vector FROM feedback ORDER BY id;
-- a text set to NULL loses its vector at once
UPDATE feedback SET body = NULL WHERE id = 1;
SELECT body_embedding IS NULL AS cleared FROM feedback WHERE id = 1;
UPDATE feedback SET body = 'Great service, fast delivery' WHERE id = 1;

-- updated twice while queued: one queue row, and the final vector is the final text's
UPDATE feedback SET body = 'first version' WHERE id = 2;
UPDATE feedback SET body = 'second version, much better' WHERE id = 2;
SELECT count(*) AS queue_rows FROM marketiq.embedding_queue WHERE key = '{2}';
SELECT marketiq.process_embeddings() AS embedded;
SELECT body_embedding = marketiq.embed('second version, much better') AS final_text FROM feedback WHERE id = 2;

-- an embedding written by hand on insert is replaced by the text's
INSERT INTO feedback VALUES (7, 'Refund took weeks', 1, '{1,2,3}');
SELECT body_embedding IS NULL AS cleared FROM feedback WHERE id = 7;
-- a new key (the row moved): the old key leaves the queue, the new one is embedded
UPDATE feedback SET id = 70 WHERE id = 7;
SELECT key FROM marketiq.embedding_queue ORDER BY key;
-- max_rows bounds the work of one call
INSERT INTO feedback SELECT i, 'review ' || i, 3 FROM generate_series(100, 149) i;
SELECT marketiq.process_embeddings(10) AS embedded;
SELECT pending FROM marketiq.embedding_status;
SELECT marketiq.process_embeddings() AS embedded;
SELECT count(*) FILTER (WHERE body_embedding IS NOT DISTINCT FROM marketiq.embed(body)) AS right,
       count(*) AS total FROM feedback;
-- every committed write is one write of the right vector: one per text version (rows 1 and 2
-- twice, as their text changed after their first embedding; 4, 70 and the 50 reviews once)
SELECT id, count(*) AS writes, bool_and(emb = marketiq.embed(body)) AS right_vectors
FROM feedback_writes WHERE id < 100 GROUP BY id ORDER BY id;
SELECT count(*) AS writes, bool_and(emb = marketiq.embed(body)) AS right_vectors FROM feedback_writes WHERE id >= 100;
SELECT embedded, pending, failed FROM marketiq.embedding_status;

-- TRUNCATE empties the column's queue
INSERT INTO feedback VALUES (200, 'about to be truncated', 1);
CREATE TABLE feedback_copy AS SELECT * FROM feedback;
TRUNCATE feedback;
SELECT count(*) AS queued FROM marketiq.embedding_queue;
INSERT INTO feedback SELECT id, body, stars FROM feedback_copy;
DROP TABLE feedback_copy;
SELECT marketiq.process_embeddings() > 0 AS embedded_again;

-- renaming the text or embedding column keeps everything working (the trigger names them)
DROP TRIGGER log_write ON feedback;
ALTER TABLE feedback RENAME COLUMN body TO review;
ALTER TABLE feedback RENAME COLUMN body_embedding TO review_vec;
UPDATE feedback SET review = 'renamed and changed' WHERE id = 1;
SELECT marketiq.process_embeddings() AS embedded;
SELECT review_vec = marketiq.embed('renamed and changed') AS right_vector FROM feedback WHERE id = 1;
SELECT text_col, embedding_col, pending FROM marketiq.embedding_status;
ALTER TABLE feedback RENAME COLUMN review TO body;
ALTER TABLE feedback RENAME COLUMN review_vec TO body_embedding;

-- ---------------------------------------------------------------- failures, retry
-- the builtin embedder refuses texts over 1 MB: the row fails at once, visible and retryable
INSERT INTO feedback VALUES (300, repeat('x', 1048577), 1);
SELECT marketiq.process_embeddings() AS embedded;
SELECT pending, failed, last_error FROM marketiq.embedding_status;
SELECT tbl, embedding_col, keys, attempt, message FROM marketiq.embedding_errors;
SELECT marketiq.retry_embeddings('feedback') AS retried;
SELECT pending, failed FROM marketiq.embedding_status;
UPDATE feedback SET body = 'shorter now' WHERE id = 300;
SELECT marketiq.process_embeddings() AS embedded;
SELECT pending, failed FROM marketiq.embedding_status;
SELECT marketiq.retry_embeddings() AS nothing_to_retry;

-- ---------------------------------------------------------------- keys of other types
-- composite key, a text key that is also the text, a timestamptz key printed under an odd DateStyle
CREATE TABLE tickets (shop text, n int, ts timestamptz, note text, PRIMARY KEY (shop, n));
INSERT INTO tickets VALUES ('a', 1, '2024-01-02 03:04:05+00', 'printer broken'), ('b, "c"', 2, NULL, '售后服务很好');
SELECT marketiq.embed_column('tickets', 'note', 'note_vec', dims => 32, batch_size => 1);
CREATE TABLE words (w text PRIMARY KEY);
INSERT INTO words VALUES ('delivery'), ('退款');
SELECT marketiq.embed_column('words', 'w', dims => 16);
SET datestyle = 'SQL, DMY';
SET timezone = 'Asia/Tokyo';
CREATE TABLE events (at timestamptz PRIMARY KEY, what text);
INSERT INTO events VALUES ('2024-02-03 04:05:06.789+01', 'odd date style');
SELECT marketiq.embed_column('events', 'what', dims => 8);
SELECT key FROM marketiq.embedding_queue q JOIN marketiq.embedding_columns c ON c.id = q.column_id
WHERE c.tbl = 'events'::regclass;
RESET datestyle;
RESET timezone;
SELECT marketiq.process_embeddings() AS embedded;
SELECT shop, n, note_vec = marketiq.embed(note, dims => 32) AS right_vector FROM tickets ORDER BY shop;
SELECT w, w_embedding = marketiq.embed(w, dims => 16) AS right_vector FROM words ORDER BY w;
SELECT what, what_embedding = marketiq.embed(what, dims => 8) AS right_vector FROM events;
UPDATE words SET w = 'refund' WHERE w = 'delivery';        -- the key is the text
SELECT marketiq.process_embeddings() AS embedded;
SELECT w, w_embedding = marketiq.embed(w, dims => 16) AS right_vector FROM words ORDER BY w;

-- ---------------------------------------------------------------- who sees what
RESET ROLE;
SET ROLE regress_emb_bob;
SELECT count(*) AS bob_sees FROM marketiq.embedding_status;
SELECT count(*) AS bob_queue FROM marketiq.embedding_queue;
SELECT marketiq.process_embeddings() AS bob_processes_nothing;
SELECT marketiq.retry_embeddings() AS bob_retries_nothing;
SELECT marketiq.retry_embeddings('feedback');
SELECT marketiq.drop_embedding_column('feedback', 'body_embedding');
SELECT marketiq.embed_column('feedback', 'body', 'bob_vec');
-- nobody writes the registry directly
INSERT INTO marketiq.embedding_queue (column_id, key, enqueued_at, next_attempt_at) VALUES (1, '{1}', now(), now());
UPDATE marketiq.embedding_columns SET owner = 'regress_emb_bob';
RESET ROLE;
-- a role that cannot log in cannot own an embedding column (the worker connects as the owner)
SET ROLE regress_emb_group;
CREATE TABLE group_table (id int PRIMARY KEY, t text);
SELECT marketiq.embed_column('group_table', 't');
RESET ROLE;

-- ---------------------------------------------------------------- bad arguments
SET ROLE regress_emb_alice;
CREATE TABLE no_key (t text);
SELECT marketiq.embed_column('no_key', 't');
SELECT marketiq.embed_column('feedback', 'missing');
SELECT marketiq.embed_column('feedback', 'stars');
SELECT marketiq.embed_column('feedback', 'body');
SELECT marketiq.embed_column('feedback', 'body', 'other', provider => 'word2vec');
SELECT marketiq.embed_column('feedback', 'body', 'other', dims => 0);
SELECT marketiq.embed_column('feedback', 'body', 'other', batch_size => 0);
SELECT marketiq.embed_column('feedback', 'body', 'other', batch_size => 5000);
ALTER TABLE no_key ADD COLUMN a_text_column_whose_name_is_long_enough_to_overflow_it text;
ALTER TABLE no_key ADD PRIMARY KEY (t);
SELECT marketiq.embed_column('no_key', 'a_text_column_whose_name_is_long_enough_to_overflow_it');
SELECT marketiq.embed_column(NULL, 'body');
SELECT marketiq.embed_column('feedback', NULL);
CREATE VIEW feedback_view AS SELECT * FROM feedback;
SELECT marketiq.embed_column('feedback_view', 'body');
CREATE TABLE parted (id int PRIMARY KEY, t text) PARTITION BY RANGE (id);
SELECT marketiq.embed_column('parted', 't');
SELECT marketiq.process_embeddings(0);
SELECT marketiq.drop_embedding_column('feedback', 'stars');
SELECT marketiq.retry_embeddings('parted');
SELECT marketiq._embed_trigger();
-- the trigger refuses to serve another table (someone attaching it by hand)
CREATE TABLE hijack (id int PRIMARY KEY, t text, e real[]);
CREATE TRIGGER hijack BEFORE INSERT OR UPDATE OF t, e ON hijack FOR EACH ROW
    EXECUTE FUNCTION marketiq._embed_trigger('1');
INSERT INTO hijack VALUES (1, 'x');
DROP TABLE hijack;

-- ---------------------------------------------------------------- dropping
-- objects of yours that use the column must go first
SELECT marketiq.drop_embedding_column('feedback', 'body_embedding');
DROP VIEW feedback_view;
SELECT marketiq.drop_embedding_column('feedback', 'body_embedding');
SELECT count(*) AS columns_left FROM pg_attribute WHERE attrelid = 'feedback'::regclass AND attname = 'body_embedding';
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgrelid = 'feedback'::regclass AND tgname LIKE 'marketiq%';
SELECT tbl FROM marketiq.embedding_status ORDER BY tbl::text;
-- a dropped table disappears from the status view at once; its registration goes at the next
-- worker pass or process_embeddings()
DROP TABLE events;
SELECT tbl FROM marketiq.embedding_status ORDER BY tbl::text;
SELECT count(*) AS registrations FROM marketiq.embedding_columns;
SELECT marketiq.process_embeddings() AS nothing;
SELECT count(*) AS registrations FROM marketiq.embedding_columns;
SELECT marketiq.drop_embedding_column('tickets', 'note_vec');
SELECT marketiq.drop_embedding_column('words', 'w_embedding');
DROP TABLE feedback, feedback_writes, tickets, words, no_key, parted;
DROP FUNCTION log_write();
SELECT count(*) AS registrations_left FROM marketiq.embedding_columns;
RESET ROLE;
DROP OWNED BY regress_emb_alice, regress_emb_bob, regress_emb_group;
DROP ROLE regress_emb_alice, regress_emb_bob, regress_emb_group;
