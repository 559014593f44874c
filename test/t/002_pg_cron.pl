# Retraining with pg_cron (Debian's postgresql-15-cron 1.4, minute schedules): a cron job whose
# command is marketiq.train() creates a version, both when its command is run by hand and when
# pg_cron runs it at the next minute.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use mq;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = mq::new_node('cron', preload => 'pg_cron,marketiq',
	conf => "cron.database_name = 'postgres'\ncron.use_background_workers = on\nmax_worker_processes = 16\n");
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION pg_cron;
	CREATE EXTENSION marketiq;
	CREATE TABLE touches (k text, v float8);
	INSERT INTO touches VALUES ('email', 1), ('search', 2);
	SELECT marketiq.create_model('attribution', 'SELECT marketiq._test_accum(k, v) FROM public.touches');
	SELECT cron.schedule('retrain-attribution', '* * * * *', $$SELECT marketiq.train('attribution')$$);
});

# the command pg_cron will run, run by hand, creates a version
my $command = $node->safe_psql('postgres', "SELECT command FROM cron.job WHERE jobname = 'retrain-attribution'");
is($command, "SELECT marketiq.train('attribution')", 'the cron job runs marketiq.train');
# (pg_cron may already have run it once, if a minute started in between: compare with the count)
my $before = $node->safe_psql('postgres', "SELECT count(*) FROM marketiq.model_versions WHERE name = 'attribution'");
my $version = $node->safe_psql('postgres', $command);
is($node->safe_psql('postgres',
	"SELECT count(*) = $before + 1 AND max(version) = $version FROM marketiq.model_versions WHERE name = 'attribution'"),
	't', 'its command creates a new version');

# and pg_cron itself runs it at the next minute
ok($node->poll_query_until('postgres',
	"SELECT count(*) >= 1 FROM marketiq.model_versions WHERE name = 'attribution' AND version > $version"),
	'pg_cron ran marketiq.train and created another version');
is($node->safe_psql('postgres',
	"SELECT status FROM cron.job_run_details WHERE command = \$\$SELECT marketiq.train('attribution')\$\$ ORDER BY runid LIMIT 1"),
	'succeeded', 'pg_cron recorded its run as succeeded');

$node->stop;
done_testing();
