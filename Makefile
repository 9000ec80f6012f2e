# dbrepl — build, test, install.
#
#   make            build every program of cmd/ into bin/
#   make check      deps, build, unit + integration tests, then all again
#                   under AddressSanitizer + UndefinedBehaviorSanitizer
#   make demo       the whole pipeline on embedded defaults (DEMO_SECONDS=60)
#   make check-fresh  as root: `make demo` in a minimal Debian 12 root
#                   (mmdebstrap + chroot), as on a machine that has nothing
#   make bench      benchmarks against the peer tools (not part of check)
#   make fuzz       libFuzzer on the record decoders and the pgoutput decoder (FUZZ_SECONDS each)
#   make install    PREFIX=/usr/local
#   make deps       apt-get the Debian packages below that are missing
#
# Layout: cmd/NAME.c is one program (bin/NAME) linked with lib/*.c;
# tests/peers/NAME/*.c is one test peer (bin/peers/NAME); tests/unit/test_*.c
# are cmocka tests; tests/integration/*.sh are run by tests/run-integration.sh.

PREFIX   ?= /usr/local
VERSION  := 0.1.0
CC       ?= cc
BUILD    ?= build
BINDIR   ?= bin
SAN      ?=

OPT      ?= -O2 -g
# The libraries' flags come from pkg-config when the Makefile is read. On a
# fresh machine that is before `make deps` has installed them, so every
# target that depends on deps builds in a second make (see demo, check,
# bench), which reads them again; PKG_MISSING stops a build without them
# with a message instead of a missing header.
PKGS     := libpq rdkafka msgpack jansson libcrypto
PKG_MISSING := $(shell pkg-config --exists $(PKGS) 2>/dev/null || echo yes)
CFLAGS   := $(OPT) -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
            -Wno-missing-field-initializers -Ilib \
            -DDBREPL_VERSION='"$(VERSION)"' \
            $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) \
            -lsybdb -lpthread -lm
ifneq ($(SAN),)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif

# kpub runs on mimalloc instead of glibc's malloc. librdkafka allocates each
# message, its header list and every header apart and frees them in bursts
# as deliveries are reported; glibc spent half of kpub's main thread on that
# (perf), and kpub runs about a tenth faster on mimalloc than on glibc tuned
# with mallopt (tests/bench/kpub.sh).
# Linked ahead of libc, it serves every library in the process. Not under
# the sanitizers, which bring their own allocator.
ifeq ($(SAN),)
$(BINDIR)/kpub: PROG_LIBS := -Wl,--push-state,--no-as-needed -lmimalloc -Wl,--pop-state
endif

DEB_PACKAGES := build-essential pkg-config postgresql-15 postgresql-15-wal2json \
                libpq-dev librdkafka-dev kcat freetds-dev freetds-bin \
                libmsgpack-dev libcmocka-dev libjansson-dev libmimalloc-dev clang \
                libclang-rt-14-dev groff graphviz python3-yaml time procps \
                iproute2 jq git ca-certificates mmdebstrap libssl-dev

LIB_SRC  := $(wildcard lib/*.c)
LIB_OBJ  := $(LIB_SRC:lib/%.c=$(BUILD)/lib/%.o)
LIB_A    := $(BUILD)/libdbrepl.a
CMD_SRC  := $(wildcard cmd/*.c)
PROGS    := $(CMD_SRC:cmd/%.c=$(BINDIR)/%)
PEER_DIRS:= $(patsubst %/,%,$(dir $(wildcard tests/peers/*/main.c)))
PEERS    := $(PEER_DIRS:tests/peers/%=$(BINDIR)/peers/%)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNITS    := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
MAN1     := $(wildcard man/*.1)
MAN5     := $(wildcard man/*.5)
MAN7     := $(wildcard man/*.7)

.PHONY: all peers units check check-plain check-san check-fresh unit integration \
        demo bench fuzz fuzz-run install deps clean pkg-ok
.DELETE_ON_ERROR:

all: $(PROGS) peers

peers: $(PEERS)

units: $(UNITS)

$(BUILD)/lib/%.o: lib/%.c $(wildcard lib/*.h) | pkg-ok
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIB_A): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BINDIR)/%: cmd/%.c $(LIB_A) $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_A) $(PROG_LIBS) $(LDLIBS)

# A peer is every .c of its directory; it may use lib/ too.
.SECONDEXPANSION:
$(BINDIR)/peers/%: $$(wildcard tests/peers/%/*.c) $$(wildcard tests/peers/%/*.h) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/peers/$* $(LDFLAGS) -o $@ $(filter %.c,$^) $(LIB_A) $(LDLIBS)

$(BUILD)/tests/test_%: tests/unit/test_%.c $(LIB_A) $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_A) $(LDLIBS) -lcmocka

# promtool, the Prometheus project's checker of the text format, for the
# metrics tests: taken out of Debian's prometheus package (a static binary)
# without installing the package, which would also install and start a
# Prometheus server on the machine.
PROMTOOL := build/tools/promtool
$(PROMTOOL):
	@mkdir -p $(dir $@)deb
	rm -f $(dir $@)deb/prometheus_*.deb
	cd $(dir $@)deb && apt-get download prometheus 2>/dev/null || \
	  { echo "make: apt-get download prometheus failed (for promtool); try apt-get update" >&2; exit 1; }
	dpkg-deb --fsys-tarfile $(dir $@)deb/prometheus_*.deb | tar -xO ./usr/bin/promtool >$@.tmp
	chmod 755 $@.tmp && mv $@.tmp $@ && rm -rf $(dir $@)deb

pkg-ok:
	@if [ -n "$(PKG_MISSING)" ]; then \
	  echo "make: pkg-config does not find all of: $(PKGS); run 'make deps' first" >&2; \
	  exit 1; fi

# ---- tests -----------------------------------------------------------------

unit: units
	tests/run-unit.sh $(UNITS)

integration: all
	BIN=$(abspath $(BINDIR)) tests/run-integration.sh

check-plain:
	$(MAKE) all units $(PROMTOOL)
	tests/run-unit.sh $(UNITS)
	BIN=$(abspath $(BINDIR)) PROMTOOL=$(abspath $(PROMTOOL)) tests/run-integration.sh

check-san:
	$(MAKE) SAN=1 BUILD=build/san BINDIR=build/san/bin OPT="-O1 -g" all units
	$(MAKE) $(PROMTOOL)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:$(ASAN_OPTIONS) \
	LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp):print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	PROMTOOL=$(abspath $(PROMTOOL)) \
	  sh -c 'tests/run-unit.sh $(patsubst $(BUILD)/%,build/san/%,$(UNITS)) && \
	         BIN=$(abspath build/san/bin) DBREPL_SANITIZED=1 tests/run-integration.sh'

check: deps
	$(MAKE) check-plain
	$(MAKE) check-san

# deps first, then a new make for the build (see PKG_MISSING).
demo: deps
	$(MAKE) all
	examples/demo.sh

bench: deps
	$(MAKE) all
	tests/bench/run.sh

# What a newcomer does, on a machine that has nothing: a minimal Debian 12
# root (mmdebstrap, only make and git added), the project cloned into it,
# `make demo` inside it with chroot. Needs root. FRESH_KEEP=1 keeps the root
# (under build/) for a look afterwards.
check-fresh: deps
	tests/fresh-root.sh

FUZZ_SECONDS ?= 30
fuzz: deps
	$(MAKE) fuzz-run

fuzz-run:
	@mkdir -p $(BUILD)/fuzz
	for f in tests/fuzz/fuzz_*.c; do \
	  n=$$(basename $$f .c); \
	  clang -g -O1 -std=c11 -D_GNU_SOURCE -Ilib -fsanitize=fuzzer,address,undefined \
	    $(shell pkg-config --cflags $(PKGS)) -o $(BUILD)/fuzz/$$n $$f $(LIB_SRC) $(LDLIBS) || exit 1; \
	  mkdir -p $(BUILD)/fuzz/$$n.corpus; \
	  $(BUILD)/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    $(BUILD)/fuzz/$$n.corpus tests/fuzz/corpus || exit 1; \
	done

# ---- install ---------------------------------------------------------------

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	           $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man7
	install -m 755 $(PROGS) $(DESTDIR)$(PREFIX)/bin/
	$(if $(MAN1),install -m 644 $(MAN1) $(DESTDIR)$(PREFIX)/share/man/man1/)
	$(if $(MAN5),install -m 644 $(MAN5) $(DESTDIR)$(PREFIX)/share/man/man5/)
	$(if $(MAN7),install -m 644 $(MAN7) $(DESTDIR)$(PREFIX)/share/man/man7/)

# Installs only what is missing; as root directly, otherwise through sudo.
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing $$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

clean:
	rm -rf $(BUILD) $(BINDIR)
