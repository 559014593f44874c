# The background worker keeps embedding columns in sync: a backfill and rows inserted while it
# runs are embedded within a few naptimes, in a worker connected as the column's owner; after a
# kill -9 in the middle of a batch (the postmaster restarts everything) every row is embedded
# exactly once with the right vector: an audit trigger counts the committed writes.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use mq;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $node = mq::new_node('embedworker',
	conf => "marketiq.worker_databases = 'postgres'\nmarketiq.worker_naptime = 1\nrestart_after_crash = on\n");
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION marketiq;
	CREATE ROLE alice LOGIN;
	GRANT USAGE, CREATE ON SCHEMA public TO alice;
	GRANT USAGE ON SCHEMA marketiq TO alice;
	SET ROLE alice;
	CREATE TABLE reviews (id int PRIMARY KEY, body text);
	-- every committed write of an embedding, with who wrote it
	CREATE TABLE audit (id int, body text, emb real[], writer name, session_writer name);
	CREATE FUNCTION audit_write() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		IF NEW.body_embedding IS NOT NULL THEN
			INSERT INTO audit VALUES (NEW.id, NEW.body, NEW.body_embedding, current_user, session_user);
			PERFORM pg_sleep(coalesce(current_setting('audit.sleep', true), '0')::float8);
		END IF;
		RETURN NEW;
	END $$;
	INSERT INTO reviews SELECT i, 'review ' || i || ': ' || (ARRAY['great service', 'late delivery', '物流很快', '退款'])[1 + i % 4]
	FROM generate_series(1, 200) i;
	SELECT marketiq.embed_column('reviews', 'body', dims => 64, batch_size => 20);
	CREATE TRIGGER audit_write AFTER UPDATE OF body_embedding ON reviews FOR EACH ROW EXECUTE FUNCTION audit_write();
});

my $right = "body_embedding = marketiq.embed(body, dims => 64)";

# backfill, by the worker alone
ok($node->poll_query_until('postgres', "SELECT count(*) = 200 FROM reviews WHERE $right"),
	'the backfill is embedded by the worker');
is($node->safe_psql('postgres', "SELECT count(*), count(DISTINCT id) FROM audit"), '200|200', 'one write per row');
is($node->safe_psql('postgres', "SELECT string_agg(DISTINCT writer || '/' || session_writer, ',') FROM audit"), 'alice/alice',
	'the writes ran in a worker connected as the column\'s owner, never as a superuser');
is($node->safe_psql('postgres', "SELECT pending, failed, embedded FROM marketiq.embedding_status"), '0|0|200', 'status');

# rows inserted and updated while the worker runs
$node->safe_psql('postgres', q{
	INSERT INTO reviews SELECT i, 'late review ' || i FROM generate_series(201, 300) i;
	UPDATE reviews SET body = body || ' (edited)' WHERE id <= 50;
});
ok($node->poll_query_until('postgres', "SELECT count(*) = 300 FROM reviews WHERE $right"),
	'rows inserted or changed while it runs are embedded within a few naptimes');

# many small transactions committing while batches are claimed and read (a batch must never
# claim a queue row whose table row its read cannot see): two sessions insert row by row while
# the worker and a third session calling process_embeddings() in a loop compete for the rows
$node->safe_psql('postgres', q{
	CREATE PROCEDURE trickle(first int, n int) LANGUAGE plpgsql AS $$
	BEGIN
		FOR i IN first..first + n - 1 LOOP
			INSERT INTO reviews VALUES (i, 'trickle ' || i);
			COMMIT;
			PERFORM pg_sleep(0.001);
		END LOOP;
	END $$;
});
my $bg1 = IPC::Run::start([ 'psql', '-XAtq', '-d', $node->connstr('postgres'), '-c', 'CALL trickle(10001, 3000)' ]);
my $bg2 = IPC::Run::start([ 'psql', '-XAtq', '-d', $node->connstr('postgres'), '-c', 'CALL trickle(20001, 3000)' ]);
for (1 .. 30)
{
	$node->safe_psql('postgres', 'SELECT marketiq.process_embeddings()');
	select(undef, undef, undef, 0.1);
}
$bg1->finish;
$bg2->finish;
ok($node->poll_query_until('postgres', "SELECT count(*) = 6300 FROM reviews WHERE $right"),
	'rows committed one by one while two processors compete are all embedded');
is($node->safe_psql('postgres', "SELECT count(*) FROM marketiq.embedding_queue"), '0', 'none left behind');
is($node->safe_psql('postgres', "SELECT count(*), count(DISTINCT id) FROM audit WHERE id > 10000"), '6000|6000',
	'each written once, though two processors competed for them');

# kill -9 in the middle of a batch: the audit trigger makes each write slow, so the job spends
# its time inside the write transaction of a batch
$node->safe_psql('postgres', q{
	ALTER ROLE alice SET audit.sleep = '0.05';
	TRUNCATE audit;
	INSERT INTO reviews SELECT i, 'crash test ' || i || ' 很好' FROM generate_series(1001, 1200) i;
});
ok($node->poll_query_until('postgres', "SELECT count(*) BETWEEN 1 AND 150 FROM audit"),
	'the worker is part way through the 200 new rows');
my $pid = $node->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'marketiq embed'");
ok($pid =~ /^\d+$/, 'an embedding job is running');
my $committed = $node->safe_psql('postgres', "SELECT count(*) FROM audit");
kill 'KILL', $pid;
# the postmaster restarts every process; the worker comes back, releases the dead job's claims
ok($node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'marketiq worker'"),
	'the worker is back after the crash');
$node->safe_psql('postgres', "ALTER ROLE alice RESET audit.sleep");
ok($node->poll_query_until('postgres', "SELECT count(*) = 200 FROM reviews WHERE id BETWEEN 1001 AND 1200 AND $right"),
	'after the restart every row is embedded');
is($node->safe_psql('postgres', "SELECT count(*), count(DISTINCT id) FROM audit"), '200|200',
	'exactly once: one committed write per row (the killed batch\'s writes were rolled back)');
is($node->safe_psql('postgres', "SELECT count(*) FROM audit a JOIN reviews r USING (id) WHERE a.emb = marketiq.embed(r.body, dims => 64)"),
	'200', 'every write has the right vector');
cmp_ok($committed, '>', 0, "some batches had committed before the kill ($committed rows)");
is($node->safe_psql('postgres', "SELECT count(*) FROM marketiq.embedding_queue"), '0', 'the queue is empty');
ok($node->log_contains(qr/released the claims on \d+ queued embeddings/), 'the dead job\'s claims were released at restart');

# a dropped table's registration is cleaned up by the worker
$node->safe_psql('postgres', "SET ROLE alice; DROP TABLE reviews");
ok($node->poll_query_until('postgres', "SELECT count(*) = 0 FROM marketiq.embedding_columns"),
	'the registration of a dropped table is removed by the worker');

$node->stop;
done_testing();
