# The openai embedding provider against a mock OpenAI-compatible server (t/mock_openai.py, started
# here on 127.0.0.1 with a free port): the request and its Bearer key, vectors placed by index,
# 429 then success (Retry-After), repeated 500 until failed (visible in the status view, then
# retried), a server that is down (rows stay pending, nothing lost, no attempt counted), wrong
# dimension and count (batch errors, nothing written), timeouts and cancellation, no stale write
# when the text changes while a request is in flight, and the key never readable by a
# non-superuser, never in a table, a message or the server log.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use mq;
use PostgreSQL::Test::Utils;
use Test::More;
use HTTP::Tiny;
use IPC::Run;
use JSON::PP;
use Cwd qw(abs_path);

my $key = 'sk-test-SECRET-123';
my $tmp = abs_path(PostgreSQL::Test::Utils::tempdir);

# the mock server
my $portfile = "$tmp/mock.port";
my $mock = IPC::Run::start([ '/usr/bin/python3', "$FindBin::RealBin/mock_openai.py", $portfile,
		'--max-requests', '500', '--lifetime', '600' ],
	'>', "$tmp/mock.log", '2>&1');
for (my $i = 0; $i < 100 && !-e $portfile; $i++) { select(undef, undef, undef, 0.1); }
ok(-e $portfile, 'mock server started');
my $port = PostgreSQL::Test::Utils::slurp_file($portfile);
my $http = HTTP::Tiny->new(timeout => 10);
my $mockurl = "http://127.0.0.1:$port";

# Set the mock's script and default behaviour.
sub mock
{
	my (%c) = @_;
	my $r = $http->post("$mockurl/control", { content => encode_json(\%c) });
	die "mock control failed: $r->{status}" unless $r->{success};
}

# The requests the mock received since the last reset.
sub requests
{
	my $r = $http->get("$mockurl/requests");
	return decode_json($r->{content});
}

sub reset_mock { $http->post("$mockurl/reset"); }

# the key, with surrounding whitespace the reader must trim
PostgreSQL::Test::Utils::append_to_file("$tmp/key", "  $key \n");
chmod 0600, "$tmp/key";

my $node = mq::new_node('openai', conf => "max_worker_processes = 16\n");
$node->start;
$node->safe_psql('postgres', qq{
	CREATE EXTENSION marketiq;
	ALTER SYSTEM SET marketiq.openai_base_url = '$mockurl/v1';
	ALTER SYSTEM SET marketiq.openai_model = 'mock-embed';
	ALTER SYSTEM SET marketiq.openai_api_key_file = '$tmp/key';
	SELECT pg_reload_conf();
	CREATE ROLE alice LOGIN;
	GRANT USAGE, CREATE ON SCHEMA public TO alice;
	GRANT USAGE ON SCHEMA marketiq TO alice;
});

# ---------------------------------------------------------------- one text, synchronously
is($node->safe_psql('postgres', "SELECT marketiq.embed('hello', 'openai')"),
	'{5,532,0,0.5,0.5,0.5,0.5,0.5}', 'embed() with the openai provider returns the service\'s vector');
is($node->safe_psql('postgres', "SELECT marketiq.embed('hello', 'openai', 4)"),
	'{5,532,0,0.5}', 'dims is sent as "dimensions"');
is($node->safe_psql('postgres', "SELECT marketiq.embed('  ', 'openai') IS NULL"), 't',
	'a blank text is not sent and has no vector');
my $reqs = requests();
is(scalar(@$reqs), 2, 'two requests');
is($reqs->[0]{authorization}, "Bearer $key", 'the key, trimmed, is sent as a Bearer header');
is_deeply($reqs->[0]{body}, { model => 'mock-embed', input => ['hello'] }, 'the request body');
is($reqs->[1]{body}{dimensions}, 4, 'dimensions in the second request');

# ---------------------------------------------------------------- the key is the superuser's
my ($ret, $out, $err);
($ret, $out, $err) = $node->psql('postgres', "SET ROLE alice; SHOW marketiq.openai_api_key_file");
isnt($ret, 0, 'a non-superuser cannot read the key file setting');
like($err, qr/permission denied|must be superuser/, '... with a permission error');
for my $guc (qw(openai_base_url openai_model openai_api_key_file))
{
	($ret, $out, $err) = $node->psql('postgres', "SET ROLE alice; SET marketiq.$guc = 'x'");
	like($err, qr/permission denied to set parameter/, "marketiq.$guc is superuser-only");
}
($ret, $out, $err) = $node->psql('postgres', "SET ROLE alice; SELECT pg_read_file('$tmp/key')");
like($err, qr/permission denied/, 'a non-superuser cannot read the key file itself');
($ret, $out, $err) = $node->psql('postgres', "SET ROLE alice; ALTER ROLE alice SET marketiq.openai_base_url = 'http://evil'");
isnt($ret, 0, 'a non-superuser cannot redirect the key with ALTER ROLE');

# ---------------------------------------------------------------- an embedding column
$node->safe_psql('postgres', q{
	SET ROLE alice;
	CREATE TABLE tickets (id int PRIMARY KEY, body text);
	INSERT INTO tickets SELECT i, 'ticket number ' || i || repeat('!', i % 5) FROM generate_series(1, 10) i;
	INSERT INTO tickets VALUES (11, NULL), (12, '   ');
	SELECT marketiq.embed_column('tickets', 'body', provider => 'openai', batch_size => 4);
});
reset_mock();
# the vector of a text, as the mock computes it: [characters, code points mod 997, index, 0.5...]
my $right = q{(body_embedding[1] = length(body) AND body_embedding[2] =
	(SELECT sum(ascii(c)) FROM regexp_split_to_table(body, '') c) % 997 AND array_length(body_embedding, 1) = 8)};
is($node->safe_psql('postgres', "SET ROLE alice; SELECT marketiq.process_embeddings()"), '11',
	'process_embeddings embeds 11 rows (10 texts and a blank one)');
is($node->safe_psql('postgres', "SELECT count(*) FILTER (WHERE $right), count(body_embedding) FROM tickets"),
	'10|10', 'every vector is its own text\'s (placed by index, the mock answers in reverse order)');
is(scalar(@{ requests() }), 3, 'in batches of 4: three requests');
is($node->safe_psql('postgres', "SELECT provider, dims, model, embedded, pending, failed FROM marketiq.embedding_status"),
	'openai|8|mock-embed|10|0|0', 'the status view: dims and model fixed by the first response');

# ---------------------------------------------------------------- 429, then success
mock(script => ['429'], default => 'ok');
$node->safe_psql('postgres', "INSERT INTO tickets VALUES (20, 'rate limited once')");
($ret, $out, $err) = $node->psql('postgres', "SELECT marketiq.process_embeddings()");
is($out, '0', '429: nothing embedded');
like($err, qr/HTTP 429/, '429: reported as a warning');
is($node->safe_psql('postgres', "SELECT pending, failed, paused_until > now() FROM marketiq.embedding_status"),
	'1|0|t', '429: the row stays pending, the column waits for Retry-After');
is($node->safe_psql('postgres', "SELECT attempt, message ~ '429' FROM marketiq.embedding_errors ORDER BY id DESC LIMIT 1"),
	'1|t', '429: attempt 1 recorded in embedding_errors');
is($node->safe_psql('postgres', "SELECT marketiq.process_embeddings()"), '0', 'not retried before Retry-After');
sleep(2);
is($node->safe_psql('postgres', "SELECT marketiq.process_embeddings()"), '1', '429 then success: embedded after Retry-After');
is($node->safe_psql('postgres', "SELECT $right FROM tickets WHERE id = 20"), 't', '... with the right vector');

# ---------------------------------------------------------------- repeated 500: failed after max attempts
mock(script => [], default => '500');
$node->safe_psql('postgres', "INSERT INTO tickets VALUES (21, 'server keeps failing'), (22, 'me too')");
my $settings = "SET marketiq.embedding_max_attempts = 3; SET marketiq.embedding_max_backoff = 0;";
for my $i (1 .. 3)
{
	($ret, $out, $err) = $node->psql('postgres', "$settings SELECT marketiq.process_embeddings()");
	is($out, '0', "500, attempt $i: nothing embedded");
}
unlike($err, qr/\Q$key\E/, 'the warning does not contain the key (the mock echoed it)');
is($node->safe_psql('postgres', "SELECT pending, failed FROM marketiq.embedding_status"), '0|2',
	'after 3 attempts the rows are failed, visible in the status view');
is($node->safe_psql('postgres', "SELECT string_agg(attempt::text, ',' ORDER BY id) FROM marketiq.embedding_errors WHERE message ~ 'HTTP 500'"),
	'1,2,3', 'attempts 1, 2, 3 in embedding_errors');
is($node->safe_psql('postgres', "SELECT keys FROM marketiq.embedding_errors ORDER BY id DESC LIMIT 1"), '{21,22}',
	'embedding_errors names the rows by key');
like($node->safe_psql('postgres', "SELECT message FROM marketiq.embedding_errors ORDER BY id DESC LIMIT 1"),
	qr/Bearer \[redacted\]/, 'the key echoed by the server is redacted from the message');
is($node->safe_psql('postgres', "$settings SELECT marketiq.process_embeddings()"), '0', 'failed rows are not retried by themselves');
mock(script => [], default => 'ok');
is($node->safe_psql('postgres', "SET ROLE alice; SELECT marketiq.retry_embeddings('tickets')"), '2', 'retry_embeddings makes them due');
is($node->safe_psql('postgres', "SELECT marketiq.process_embeddings()"), '2', 'and they are embedded');
is($node->safe_psql('postgres', "SELECT count(*) FROM tickets WHERE id IN (21, 22) AND $right"), '2', '... right');

# ---------------------------------------------------------------- the server is down
my $closed = PostgreSQL::Test::Cluster::get_free_port();
$node->safe_psql('postgres', "INSERT INTO tickets VALUES (30, 'nobody listens'), (31, 'still nobody')");
my $down = "SET marketiq.openai_base_url = 'http://127.0.0.1:$closed/v1'; SET marketiq.embedding_max_attempts = 1;";
($ret, $out, $err) = $node->psql('postgres', "$down SELECT marketiq.process_embeddings()");
is($out, '0', 'server down: nothing embedded');
like($err, qr/could not connect/, 'server down: reported');
is($node->safe_psql('postgres', "SELECT pending, failed FROM marketiq.embedding_status"), '2|0',
	'server down: the rows stay pending (a connection never made is not an attempt)');
is($node->safe_psql('postgres', "SELECT max(attempts) FROM marketiq.embedding_queue"), '0', 'no attempt counted');
is($node->safe_psql('postgres', "SELECT attempt IS NULL FROM marketiq.embedding_errors ORDER BY id DESC LIMIT 1"), 't',
	'the error is logged without an attempt number');
is($node->safe_psql('postgres', "SELECT paused_until > now() FROM marketiq.embedding_status"), 't',
	'the column waits (capped backoff)');
($ret, $out, $err) = $node->psql('postgres', "$down SET marketiq.embedding_max_backoff = 0; SELECT marketiq.embed('x', 'openai')");
like($err, qr/embedding service unreachable/, 'embed() gives up on an unreachable service');
$node->safe_psql('postgres', "SELECT marketiq.retry_embeddings()");
is($node->safe_psql('postgres', "SELECT marketiq.process_embeddings()"), '2', 'back up: nothing was lost');

# ---------------------------------------------------------------- wrong dimension, wrong count, bad JSON
for my $case (['wrong_dim', qr/9 dimensions; the column's have 8/], ['wrong_count', qr/0 vectors for 1 inputs/],
	['bad_json', qr/not valid JSON/], ['401', qr/HTTP 401: invalid api key/])
{
	my ($b, $re) = @$case;
	mock(script => [$b], default => 'ok');
	$node->safe_psql('postgres', "INSERT INTO tickets VALUES (40, 'case $b')");
	($ret, $out, $err) = $node->psql('postgres', "SELECT marketiq.process_embeddings()");
	is($out, '0', "$b: nothing embedded");
	like($err, $re, "$b: an error for the batch");
	is($node->safe_psql('postgres', "SELECT body_embedding IS NULL FROM tickets WHERE id = 40"), 't', "$b: nothing written");
	$node->safe_psql('postgres', "SELECT marketiq.retry_embeddings()");
	is($node->safe_psql('postgres', "SELECT marketiq.process_embeddings()"), '1', "$b: fine on retry");
	$node->safe_psql('postgres', "DELETE FROM tickets WHERE id = 40");
}

# ---------------------------------------------------------------- timeouts and cancellation
mock(script => [], default => 'slow', delay => 3);
($ret, $out, $err) = $node->psql('postgres', "SET statement_timeout = '500ms'; SELECT marketiq.embed('x', 'openai')");
like($err, qr/canceling statement due to statement timeout/, 'a request in flight is cancelled by statement_timeout');
$node->safe_psql('postgres', "INSERT INTO tickets VALUES (50, 'too slow')");
($ret, $out, $err) = $node->psql('postgres', "SET marketiq.openai_timeout = '1s'; SELECT marketiq.process_embeddings()");
like($err, qr/timed out/, 'marketiq.openai_timeout: the request times out');
is($node->safe_psql('postgres', "SELECT attempts, failed FROM marketiq.embedding_queue"), '1|f', 'a timeout is an attempt');
$node->safe_psql('postgres', "SELECT marketiq.retry_embeddings()");

# ---------------------------------------------------------------- no stale write
# the text changes while its batch is at the service: the old text's vector must never be
# written; the same call then claims the row again and embeds the new text
$node->safe_psql('postgres', q{
	CREATE TABLE writes (id int, len real, at timestamptz DEFAULT clock_timestamp());
	GRANT INSERT ON writes TO alice;
	CREATE FUNCTION log_write() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		IF NEW.body_embedding IS NOT NULL THEN INSERT INTO writes (id, len) VALUES (NEW.id, NEW.body_embedding[1]); END IF;
		RETURN NEW;
	END $$;
	CREATE TRIGGER log_write AFTER UPDATE OF body_embedding ON tickets FOR EACH ROW EXECUTE FUNCTION log_write();
});
mock(script => [], default => 'slow', delay => 3);
reset_mock();
mock(script => [], default => 'slow', delay => 3);
my ($bout, $berr) = ('', '');
my $bg = IPC::Run::start([ 'psql', '-XAtq', '-d', $node->connstr('postgres'), '-c', 'SELECT marketiq.process_embeddings()' ],
	'>', \$bout, '2>', \$berr);
ok($node->poll_query_until('postgres', "SELECT count(*) = 1 FROM marketiq.embedding_queue WHERE claimed_by IS NOT NULL"),
	'the batch is claimed and at the service');
$node->safe_psql('postgres', "UPDATE tickets SET body = 'changed while in flight' WHERE id = 50");
$bg->finish;
my @sent = map { $_->{body}{input}[0] } @{ requests() };
is_deeply(\@sent, ['too slow', 'changed while in flight'], 'the old text was at the service when the text changed, then the new one');
is($node->safe_psql('postgres', "SELECT string_agg(len::text, ',') FROM writes WHERE id = 50"), '23',
	'no stale write: only the new text\'s vector (23 characters) was written, never the old one (8)');
is($node->safe_psql('postgres', "SELECT body = 'changed while in flight' AND $right FROM tickets WHERE id = 50"), 't',
	'the row has the new text\'s vector');
is($bout, "1\n", 'one row embedded');
is($node->safe_psql('postgres', "SELECT count(*) FROM marketiq.embedding_queue"), '0', 'and nothing is left in the queue');
mock(script => [], default => 'ok');

# ---------------------------------------------------------------- another model, another size
$node->safe_psql('postgres', "INSERT INTO tickets VALUES (60, 'a new model')");
($ret, $out, $err) = $node->psql('postgres', "SET marketiq.openai_model = 'other-model'; SELECT marketiq.process_embeddings()");
like($err, qr/embedded with model "mock-embed" but marketiq.openai_model is "other-model"/,
	'vectors of two models are never mixed in one column');
$node->safe_psql('postgres', "SELECT marketiq.retry_embeddings()");
is($node->safe_psql('postgres', "SELECT marketiq.process_embeddings()"), '1', 'fine with the column\'s model');

# ---------------------------------------------------------------- the key is nowhere
my $dump = $node->safe_psql('postgres', q{
	SELECT string_agg(t::text, ' ') FROM (
	  SELECT c::text AS t FROM marketiq.embedding_columns c UNION ALL
	  SELECT q::text FROM marketiq.embedding_queue q UNION ALL
	  SELECT e::text FROM marketiq.embedding_errors e) s});
unlike($dump, qr/\Q$key\E/, 'the key is in no marketiq table');
like($dump, qr/\[redacted\]/, '(the errors that echoed it are there, redacted)');
$node->stop;
my $log = PostgreSQL::Test::Utils::slurp_file($node->logfile);
like($log, qr/HTTP 500/, 'the server log has the errors');
unlike($log, qr/\Q$key\E/, 'the server log never contains the key');

$mock->kill_kill;
done_testing();
