#!/bin/sh
# test/free_port.sh: print a free TCP port on 127.0.0.1 for a throw-away cluster, one per run
# (derived from the caller's process id), so that several runs on one machine (checkouts side by
# side, the demo beside the tests, a benchmark) do not race for pg_createcluster's default 5432.
# A port is taken if something accepts a connection on it (bash's /dev/tcp; dash has none).
p=$((20000 + PPID % 20000))
while bash -c "exec 3<>/dev/tcp/127.0.0.1/$p" 2>/dev/null; do p=$((p + 1)); done
echo $p
