#!/bin/sh
# test/run.sh: the set-up commands of the README, and the developer loop.
#
#   sh test/run.sh demo     install missing Debian packages, build, install, then run the demo
#                           (test/demo.sql) in a throw-away cluster
#   sh test/run.sh test     install missing Debian packages, build, install, then run every test
#                           suite (pg_regress, then the TAP tests of test/t/) in throw-away clusters;
#                           the last line printed is "regress: N passed, N failed"
#   sh test/run.sh devtest  build, install into ./tmp_install only, and run every suite against that
#                           (several checkouts can run at once; nothing is installed system-wide)
#
# Run as root on Debian 12 (packages are installed with apt-get); as another user the packages
# must already be there and `make install` must be allowed.  Throw-away clusters come from
# pg_virtualenv (postgresql-common), which also runs PostgreSQL as a non-root user for us.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
mode=${1:-test}
pgver=15

# Debian packages the build, the demo and the tests need.
PACKAGES="build-essential postgresql-$pgver postgresql-server-dev-$pgver postgresql-common
libopenblas-dev libgsl-dev postgresql-$pgver-cron libipc-run-perl libcurl4-openssl-dev python3"

install_packages() {
	missing=
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "run.sh: missing Debian packages:$missing (install them as root)" >&2
		exit 1
	fi
	echo "run.sh: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends $missing
}

build() {
	make -s -j"$(nproc)" PG_CONFIG=/usr/lib/postgresql/$pgver/bin/pg_config
}

# pg_virtualenv options for a cluster that loads the extension from ./tmp_install
destdir_opts() {
	echo "-o extension_destdir=$top/tmp_install -o dynamic_library_path=$top/tmp_install/usr/lib/postgresql/$pgver/lib:/usr/lib/postgresql/$pgver/lib"
}

# Run pg_regress (make installcheck) in a throw-away cluster; leaves the counts in $log.
run_regress() {
	log=$(mktemp)
	status=0
	# shellcheck disable=SC2086
	PGPORT=$(sh test/free_port.sh) pg_virtualenv -t -v $pgver $1 \
		make -s installcheck PG_CONFIG=/usr/lib/postgresql/$pgver/bin/pg_config >"$log" 2>&1 || status=$?
	cat "$log"
	[ -f regression.diffs ] && [ $status -ne 0 ] && head -200 regression.diffs
	reg_pass=$(grep -c -E ' \.\.\. ok( |$)' "$log" || true)
	reg_fail=$(grep -c -E ' \.\.\. (FAILED|failed)' "$log" || true)
	if [ $status -ne 0 ] && [ "$reg_fail" -eq 0 ]; then
		reg_fail=1	# the suite did not run at all
	fi
	rm -f "$log"
}

# Run the TAP suites of test/t (if any) with prove, as the postgres user; sets tap_pass/tap_fail.
run_tap() {
	tap_pass=0
	tap_fail=0
	ls test/t/*.pl >/dev/null 2>&1 || return 0
	tapdir=$(mktemp -d)
	chmod 755 "$tapdir"
	cp -r test/t "$tapdir/t"
	chown -R postgres "$tapdir"
	log=$(mktemp)
	chmod 644 "$log"
	status=0
	# shellcheck disable=SC2086
	( cd "$tapdir" && runuser -u postgres -- env PATH="/usr/lib/postgresql/$pgver/bin:$PATH" \
		PG_REGRESS=/usr/lib/postgresql/$pgver/lib/pgxs/src/test/regress/pg_regress \
		MARKETIQ_DESTDIR="${1:-}" PG_TEST_TIMEOUT_DEFAULT=90 \
		prove -I /usr/lib/postgresql/$pgver/lib/pgxs/src/test/perl -v t/*.pl ) >"$log" 2>&1 || status=$?
	cat "$log"
	tap_pass=$(grep -c -E '^ok [0-9]' "$log" || true)
	tap_fail=$(grep -c -E '^not ok [0-9]' "$log" || true)
	if [ $status -ne 0 ] && [ "$tap_fail" -eq 0 ]; then
		tap_fail=1
	fi
	rm -rf "$tapdir" "$log"
}

case "$mode" in
demo)
	install_packages
	build
	make -s install PG_CONFIG=/usr/lib/postgresql/$pgver/bin/pg_config
	PGPORT=$(sh test/free_port.sh) pg_virtualenv -t -v $pgver psql -X -q -v ON_ERROR_STOP=1 -f test/demo.sql
	;;
test | devtest)
	if [ "$mode" = test ]; then
		install_packages
		build
		make -s install PG_CONFIG=/usr/lib/postgresql/$pgver/bin/pg_config
		opts=
		dest=
	else
		build
		rm -rf tmp_install
		make -s install DESTDIR="$top/tmp_install" PG_CONFIG=/usr/lib/postgresql/$pgver/bin/pg_config
		opts=$(destdir_opts)
		dest="$top/tmp_install"
	fi
	run_regress "$opts"
	run_tap "$dest"
	passed=$((reg_pass + tap_pass))
	failed=$((reg_fail + tap_fail))
	echo "pg_regress: $reg_pass passed, $reg_fail failed; TAP: $tap_pass passed, $tap_fail failed"
	echo "regress: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	;;
*)
	echo "usage: sh test/run.sh demo | test | devtest" >&2
	exit 2
	;;
esac
