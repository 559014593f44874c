#!/bin/sh
# bench/run.sh: run the benchmarks (never part of the test suite).
#
#   sh bench/run.sh                 every bench/*.sql except harness.sql (floors.sql first)
#   sh bench/run.sh attribution     only bench/floors.sql and bench/attribution.sql
#
# Builds and installs marketiq into ./tmp_install (no system install), starts a throw-away
# cluster with pg_virtualenv that loads it from there, generates the bench data set with
# test/sample_data.sql (BENCH_USERS users, default 1,000,000, about 9.5M touchpoints;
# BENCH_CUSTOMERS customers with orders, default 1,000,000) in schema "bench", runs each file
# on one core (max_parallel_workers_per_gather = 0 unless a file says otherwise) and prints
# every benchmark as a ratio against its floor, both measured in this run.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
pgver=15

if [ "${1:-}" = "--inside" ]; then
	shift
	export PGOPTIONS="-c max_parallel_workers_per_gather=0 -c work_mem=256MB -c client_min_messages=notice"
	psql="psql -X -q -v ON_ERROR_STOP=1"
	$psql -c "CREATE EXTENSION IF NOT EXISTS marketiq" -c "SELECT marketiq.version()"
	$psql -f bench/harness.sql
	echo "bench: generating data (${BENCH_USERS:-1000000} users, ${BENCH_CUSTOMERS:-1000000} customers)"
	start=$(date +%s)
	$psql -v schema=bench -v users="${BENCH_USERS:-1000000}" -v customers="${BENCH_CUSTOMERS:-1000000}" \
		-f test/sample_data.sql
	$psql -c "VACUUM ANALYZE"
	echo "bench: data ready in $(( $(date +%s) - start )) s"
	$psql -c "SELECT (SELECT count(*) FROM bench.touchpoints) AS touchpoints, (SELECT count(DISTINCT user_id) FROM bench.touchpoints) AS users, (SELECT count(*) FROM bench.orders) AS orders"
	files="bench/floors.sql"
	if [ $# -gt 0 ]; then
		for b in "$@"; do files="$files bench/$b.sql"; done
	else
		for f in bench/*.sql; do
			case "$f" in bench/harness.sql | bench/floors.sql) ;; *) files="$files $f" ;; esac
		done
	fi
	for f in $files; do
		echo "bench: $f"
		$psql -f "$f" >/dev/null
	done
	echo
	echo "== benchmark ratios (best of N runs each, measured in this run, one core) =="
	$psql -c "SELECT * FROM bench_report"
	exit 0
fi

make -s -j"$(nproc)"
rm -rf tmp_install
make -s install DESTDIR="$top/tmp_install"
PGPORT=$(sh test/free_port.sh) pg_virtualenv -t -v $pgver \
	-o "extension_destdir=$top/tmp_install" \
	-o "dynamic_library_path=$top/tmp_install/usr/lib/postgresql/$pgver/lib:/usr/lib/postgresql/$pgver/lib" \
	-o shared_buffers=2GB -o max_wal_size=8GB -o checkpoint_timeout=30min \
	sh bench/run.sh --inside "$@"
