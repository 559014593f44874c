#!/bin/sh
# bench/embed_worker.sh: does the background worker keep up with 1,000 inserted rows a second?
#
#   flock /tmp/marketiq-bench.lock sh bench/embed_worker.sh [seconds] [rows_per_second]
#
# Builds and installs marketiq into ./tmp_install, starts a throw-away cluster (pg_virtualenv) with
# marketiq preloaded and its worker on (naptime 1 s), creates a table with a builtin embedding
# column (256 dims, batch_size 64), then inserts rows_per_second rows a second (default 1,000;
# ~100-character texts, 100 rows a transaction) for `seconds` (default 60) while sampling the
# backlog (rows queued and not yet embedded) every second; prints the backlog over time, its
# maximum, and how long the queue took to drain after the load stopped.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
pgver=15

if [ "${1:-}" = "--inside" ]; then
	seconds=$2
	rate=$3
	psql="psql -X -q -v ON_ERROR_STOP=1"
	$psql <<'SQL'
CREATE EXTENSION marketiq;
CREATE TABLE load_texts (id bigint PRIMARY KEY, body text, at timestamptz DEFAULT clock_timestamp());
SELECT marketiq.embed_column('load_texts', 'body');
CREATE TABLE backlog (at timestamptz, pending bigint, inserted bigint, embedded bigint);
-- insert `rate` rows a second for `seconds`, 100 rows a transaction, paced by the clock
CREATE PROCEDURE load(seconds int, rate int) LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz := clock_timestamp();
    n bigint := 0;
    due bigint;
    k int;
BEGIN
    LOOP
        EXIT WHEN clock_timestamp() >= t0 + seconds * interval '1 second';
        due := floor(extract(epoch FROM clock_timestamp() - t0) * rate);
        IF n < due THEN
            k := least(due - n, 100);
            INSERT INTO load_texts (id, body)
            SELECT n + i, (SELECT string_agg((ARRAY['great', 'service', 'fast', 'delivery', 'late', 'refund',
                          'product', 'quality', 'price', 'support', 'friendly', 'broken', 'package', 'order',
                          'customer', 'happy', 'again', 'never', 'value', 'shipping'])[1 + ((hashint8((n + i) * 32 + j) & 2147483647) % 20)], ' ')
                           FROM generate_series(1, 16) j)
            FROM generate_series(1, k) i;
            n := n + k;
            COMMIT;
        ELSE
            PERFORM pg_sleep(0.005);
        END IF;
    END LOOP;
END $$;
SQL
	echo "bench: inserting $rate rows a second for $seconds s"
	$psql -c "CALL load($seconds, $rate)" &
	loader=$!
	i=0
	while [ $i -lt $((seconds + 120)) ]; do
		$psql -c "INSERT INTO backlog SELECT clock_timestamp(), (SELECT count(*) FROM marketiq.embedding_queue),
		          (SELECT count(*) FROM load_texts), (SELECT count(*) FROM load_texts WHERE body_embedding IS NOT NULL)"
		if [ $i -gt "$seconds" ] && [ "$($psql -At -c 'SELECT count(*) FROM marketiq.embedding_queue')" = 0 ]; then
			break
		fi
		sleep 1
		i=$((i + 1))
	done
	wait $loader
	echo
	echo "== backlog (rows queued, not yet embedded), every 5 s =="
	$psql -c "SELECT round(extract(epoch FROM at - (SELECT min(at) FROM backlog))) AS second, inserted, embedded, pending
	          FROM backlog WHERE (extract(epoch FROM at - (SELECT min(at) FROM backlog))::int % 5) = 0 ORDER BY at"
	$psql -c "SELECT max(pending) AS max_backlog, round(avg(pending)) AS mean_backlog,
	                 (SELECT inserted FROM backlog ORDER BY at DESC LIMIT 1) AS rows_inserted,
	                 round(extract(epoch FROM max(at) FILTER (WHERE pending > 0) - min(at))::numeric, 1) AS seconds_until_drained,
	                 round((SELECT max(inserted) FROM backlog) / extract(epoch FROM max(at) FILTER (WHERE pending > 0) - min(at))::numeric) AS rows_per_second
	          FROM backlog"
	$psql -c "SELECT count(*) FILTER (WHERE body_embedding = marketiq.embed(body)) AS right_vectors, count(*) AS rows FROM load_texts"
	exit 0
fi

make -s -j"$(nproc)"
rm -rf tmp_install
make -s install DESTDIR="$top/tmp_install"
PGPORT=$(sh test/free_port.sh) pg_virtualenv -t -v $pgver \
	-o "extension_destdir=$top/tmp_install" \
	-o "dynamic_library_path=$top/tmp_install/usr/lib/postgresql/$pgver/lib:/usr/lib/postgresql/$pgver/lib" \
	-o shared_preload_libraries=marketiq -o marketiq.worker_databases=postgres -o marketiq.worker_naptime=1 \
	sh bench/embed_worker.sh --inside "${1:-60}" "${2:-1000}"
