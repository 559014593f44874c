# marketiq: PGXS build.
#
#   make                 build the module and the install/upgrade scripts
#   make install         install into the PostgreSQL found by pg_config
#   make installcheck    run the pg_regress suite against a running server
#   make demo / test     the two set-up commands of the README (see test/run.sh)
#   make devtest         developer loop: install into ./tmp_install and run every suite in a
#                        throw-away cluster that loads the extension from there (no system install)
#   make bench           the benchmarks of bench/ (never run by CI)

EXTENSION  = marketiq
MODULE_big = marketiq
OBJS       = $(patsubst %.c,%.o,$(sort $(wildcard src/*/*.c)))

# Install scripts are generated from the per-module pieces src/<module>/<module>--<version>.sql.
SQL_PIECES      := $(sort $(wildcard src/*/*--*.sql))
VERSIONS        := $(shell sh src/sqlgen.sh versions)
VERSION_LATEST  := $(lastword $(VERSIONS))
CONTROL_VERSION := $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" $(EXTENSION).control)
ifneq ($(VERSION_LATEST),$(CONTROL_VERSION))
$(error default_version $(CONTROL_VERSION) in $(EXTENSION).control is not the newest piece version $(VERSION_LATEST))
endif
DATA_built = $(foreach v,$(VERSIONS),$(EXTENSION)--$(v).sql) $(shell sh src/sqlgen.sh upgrades)

# Regression tests: every sql/*.sql, in name order, against expected/*.out.
REGRESS      = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --load-extension=$(EXTENSION)

PG_CPPFLAGS = -DMARKETIQ_VERSION='"$(CONTROL_VERSION)"' -Iinclude -I/usr/include/x86_64-linux-gnu/openblas-pthread
PG_CFLAGS   = -Wall -Wmissing-prototypes -Wpointer-arith -Werror=vla -Wendif-labels \
              -Wformat-security -fno-strict-aliasing -Werror=implicit-function-declaration
SHLIB_LINK  = -lopenblas -lgsl -lcurl -lm

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(EXTENSION)--%.sql: src/sqlgen.sh $(SQL_PIECES)
	sh src/sqlgen.sh script $* > $@

$(OBJS): $(wildcard include/*.h)
src/core/util.o: $(EXTENSION).control

.PHONY: demo test devtest bench
demo:
	sh test/run.sh demo
test:
	sh test/run.sh test
devtest:
	sh test/run.sh devtest
bench:
	sh bench/run.sh
