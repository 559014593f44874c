# The marketiq background worker: scheduled models retrain by themselves, failures are recorded
# and do not stop the others, the worker survives kill -9, pg_terminate_backend and a restart,
# reloads its settings on SIGHUP, applies marketiq.job_timeout, and stops when unlisted.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use mq;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = mq::new_node('worker',
	conf => "marketiq.worker_databases = 'postgres'\nmarketiq.worker_naptime = 1\nrestart_after_crash = on\n");
$node->start;

# launcher and database worker, named in pg_stat_activity
ok($node->poll_query_until('postgres',
	"SELECT count(*) = 2 FROM pg_stat_activity WHERE backend_type IN ('marketiq launcher', 'marketiq worker')"),
	'launcher and database worker are running');

$node->safe_psql('postgres', q{
	CREATE EXTENSION marketiq;
	CREATE ROLE analyst LOGIN;
	GRANT USAGE ON SCHEMA marketiq TO analyst;
	CREATE TABLE events (k text, v float8);
	INSERT INTO events VALUES ('a', 1), ('b', 2);
	GRANT SELECT ON events TO analyst;
	SET ROLE analyst;
	SELECT marketiq.create_model('fast', 'SELECT marketiq._test_accum(k, v) FROM public.events', interval '1 second');
	SELECT marketiq.create_model('broken', 'SELECT marketiq._test_accum(k, v / 0) FROM public.events', interval '1 second');
	SELECT marketiq.create_model('manual_only', 'SELECT marketiq._test_accum(k, v) FROM public.events');
});

# a scheduled model retrains by itself within a few naptimes; a failing one is recorded; the
# others go on; a model without a schedule is never trained by the worker
ok($node->poll_query_until('postgres',
	"SELECT count(*) >= 3 FROM marketiq.model_versions WHERE name = 'fast'"),
	'scheduled model retrained three times by itself');
ok($node->poll_query_until('postgres',
	"SELECT count(*) >= 2 FROM marketiq.job_runs WHERE name = 'broken' AND status = 'failed' AND error = 'division by zero'"),
	'failing model recorded with its error, more than once');
is($node->safe_psql('postgres', "SELECT deployed_version IS NOT NULL FROM marketiq.models WHERE name = 'fast'"),
	't', 'scheduled versions are deployed');
is($node->safe_psql('postgres', "SELECT count(*) FROM marketiq.job_runs WHERE name = 'manual_only'"),
	'0', 'a model without a schedule is left alone');
is($node->safe_psql('postgres', "SELECT count(*) FROM marketiq.job_runs WHERE name = 'fast' AND owner::text <> 'analyst'"),
	'0', 'scheduled runs train as the owner');
is($node->safe_psql('postgres', "SELECT kind FROM marketiq.job_runs WHERE name = 'fast' ORDER BY id LIMIT 1"),
	'scheduled', 'runs are recorded as scheduled');

# pg_terminate_backend of the database worker: the launcher starts a new one within a naptime
my $pid = $node->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'marketiq worker'");
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
ok($node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'marketiq worker' AND pid <> $pid"),
	'database worker restarted by the launcher after pg_terminate_backend');

# kill -9 in the middle of a training run: the postmaster restarts everything, the run left
# "running" is marked failed when the worker starts again, and scheduling resumes
$node->safe_psql('postgres', q{
	SET ROLE analyst;
	SELECT marketiq.create_model('slow', 'SELECT marketiq._test_accum(k, v) FROM public.events, pg_sleep(30)', interval '1 hour');
});
ok($node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM marketiq.job_runs WHERE name = 'slow' AND status = 'running'"),
	'slow run started');
my $jobpid = $node->safe_psql('postgres',
	"SELECT pid FROM marketiq.job_runs WHERE name = 'slow' AND status = 'running'");
my $before = $node->safe_psql('postgres', "SELECT count(*) FROM marketiq.model_versions WHERE name = 'fast'");
kill 'KILL', $jobpid;
ok($node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM marketiq.job_runs WHERE name = 'slow' AND status = 'failed' AND error LIKE 'the run did not finish%'"),
	'run interrupted by kill -9 marked failed after the restart');
ok($node->poll_query_until('postgres',
	"SELECT count(*) > $before FROM marketiq.model_versions WHERE name = 'fast'"),
	'scheduling resumed after the crash');

# kill -9 of the database worker itself: it comes back (after the crash restart) and resumes
$pid = $node->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'marketiq worker'");
$before = $node->safe_psql('postgres', "SELECT count(*) FROM marketiq.model_versions WHERE name = 'fast'");
kill 'KILL', $pid;
ok($node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'marketiq worker' AND pid <> $pid"),
	'database worker back after kill -9');
ok($node->poll_query_until('postgres',
	"SELECT count(*) > $before FROM marketiq.model_versions WHERE name = 'fast'"),
	'and it resumes retraining');

# SIGHUP: a longer naptime spaces the runs out
$node->safe_psql('postgres', "SELECT marketiq.drop_model('broken'); SELECT marketiq.drop_model('slow')");
$node->safe_psql('postgres', "ALTER SYSTEM SET marketiq.worker_naptime = '4s'; SELECT pg_reload_conf()");
sleep(2);
my $t0 = $node->safe_psql('postgres', "SELECT now()");
ok($node->poll_query_until('postgres',
	"SELECT count(*) >= 3 FROM marketiq.job_runs WHERE name = 'fast' AND started_at > '$t0'"),
	'runs go on after the reload');
is($node->safe_psql('postgres', qq{
	SELECT min(gap) >= interval '3 seconds' FROM (
	  SELECT started_at - lag(started_at) OVER (ORDER BY started_at) AS gap
	  FROM marketiq.job_runs WHERE name = 'fast' AND started_at > '$t0') s}),
	't', 'SIGHUP changed the naptime (runs at least 3 s apart with naptime 4s)');
$node->safe_psql('postgres', "ALTER SYSTEM SET marketiq.worker_naptime = '1s'; SELECT pg_reload_conf()");

# marketiq.job_timeout cancels a training query that runs too long; the failure is recorded
$node->safe_psql('postgres', "ALTER SYSTEM SET marketiq.job_timeout = '500ms'; SELECT pg_reload_conf()");
$node->safe_psql('postgres', q{
	SET ROLE analyst;
	SELECT marketiq.create_model('too_slow', 'SELECT marketiq._test_accum(k, v) FROM public.events, pg_sleep(5)', interval '1 hour');
});
ok($node->poll_query_until('postgres',
	"SELECT count(*) = 1 FROM marketiq.job_runs WHERE name = 'too_slow' AND status = 'failed' AND error = 'canceling statement due to statement timeout'"),
	'job_timeout cancels a slow training query');
$node->safe_psql('postgres', "ALTER SYSTEM RESET marketiq.job_timeout; SELECT pg_reload_conf()");

# a server restart: the worker comes back and goes on
$before = $node->safe_psql('postgres', "SELECT count(*) FROM marketiq.model_versions WHERE name = 'fast'");
$node->restart;
ok($node->poll_query_until('postgres',
	"SELECT count(*) > $before + 1 FROM marketiq.model_versions WHERE name = 'fast'"),
	'worker resumes after a server restart');

# emptying marketiq.worker_databases and reloading stops the database workers
$node->safe_psql('postgres', "ALTER SYSTEM SET marketiq.worker_databases = ''; SELECT pg_reload_conf()");
ok($node->poll_query_until('postgres',
	"SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'marketiq worker'"),
	'database worker stopped when unlisted');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'marketiq launcher'"),
	'1', 'the launcher stays');

$node->stop;
done_testing();
