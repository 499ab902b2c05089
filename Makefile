# pubtrail build.  See README.md.  Plain make, out-of-tree objects, pkg-config.
#
#   make            build the proto and net libraries, daemon/pubtraild, client/pubtrail
#   make check      install missing packages, build, run every test
#   make run        install missing packages, build, start pubtraild
#                   [ORIGIN=NAME] [DATA=DIR] [LISTEN=HOST:PORT] [ARGS=...] (serving
#                   the citizen page of build/web at /)
#   make asan       every test under AddressSanitizer + UBSan (build-asan/)
#   make valgrind   every unit test under valgrind (memcheck)
#   make install    PREFIX=/usr/local DESTDIR= (binaries, man pages, web page,
#                   systemd unit, sysusers.d file, sample pubtraild.conf)
#   make deb        a Debian package built from this tree ($(BUILD)/deb/)
#   make clean

PREFIX  ?= /usr/local
# Where `make install` puts the config, the systemd unit and the sysusers.d
# file (the Debian package: /etc, /lib/systemd/system, /usr/lib/sysusers.d).
SYSCONFDIR  ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
# Sub-makes of check, asan, valgrind, bench, soak and run build in parallel
# (one job per CPU) unless make was already given -j.
JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
PAR     := $(if $(findstring -j,$(MAKEFLAGS)),,-j$(JOBS))
DESTDIR ?=
BUILD   ?= build
CC      ?= cc
VERSION := 0.1.0

# Debian 12 packages the build and the tests need.  `make deps` installs exactly
# the missing ones (needs root); it does nothing when all are present.
# iso-codes and openjdk-17-jdk-headless are the two maintained ISO 4217 sources
# the client's currency table is checked against (tests/integration/
# test_iso4217.py).  python3-stdnum checks the forms of persons' national
# numbers (tests/integration/test_persnum.py).
DEB_PKGS := build-essential pkg-config libssl-dev liblmdb-dev libevent-dev \
	libmsgpack-dev check libjansson-dev libcsv-dev libinih-dev lmdb-utils \
	python3 python3-msgpack python3-cryptography golang-go \
	golang-golang-x-mod-dev valgrind curl libcurl4-openssl-dev nginx-light \
	openssl libqrencode-dev libpng-dev chromium nodejs zbar-tools \
	libsystemd-dev systemd strace iso-codes openjdk-17-jdk-headless \
	libutf8proc-dev libicu-dev python3-jsonschema python3-stdnum libreoffice-calc-nogui zlib1g-dev time
BENCH_PKGS :=
# `make deb` and its test (tests/integration/test_package.py) also need these.
DEB_BUILD_PKGS := debhelper dpkg-dev
FUZZ_PKGS := clang libclang-rt-14-dev

PKGS := libcrypto libevent libevent_pthreads libcurl msgpack jansson inih lmdb check libqrencode libpng libsystemd libutf8proc icu-uc icu-i18n zlib

WARN := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wpointer-arith -Wformat=2 -Wvla -Werror
CPPFLAGS += -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DPT_VERSION=\"$(VERSION)\" -Iproto -Inet -MMD -MP
# An object's .d names it both ways: BUILD=$PWD/build (as tests pass it to
# make run, make deb) and BUILD=build are the same files, and a .d written
# under one spelling only would leave objects stale for the other, to be
# relinked later under running tests.
DEPTARGETS = -MT $(abspath $@) -MT $(patsubst $(CURDIR)/%,%,$(abspath $@))
CPPFLAGS += -DPT_WEB_ROOT=\"$(PREFIX)/share/pubtrail/web\"
CFLAGS   ?= -O2 -g
CFLAGS   += $(WARN)
ifeq ($(SAN),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
endif
ifeq ($(CRASHPOINTS),1)
CPPFLAGS += -DPT_CRASHPOINTS
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
CPPFLAGS += $(PKG_CFLAGS)
LIBS_PROTO  = $(shell pkg-config --libs libcrypto msgpack 2>/dev/null || echo -lcrypto -lmsgpackc)
LIBS_LMDB   = $(shell pkg-config --libs lmdb 2>/dev/null || echo -llmdb)
LIBS_EVENT  = $(shell pkg-config --libs libevent libevent_pthreads 2>/dev/null || echo -levent -levent_pthreads)
LIBS_JSON   = $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)
LIBS_INI    = $(shell pkg-config --libs inih 2>/dev/null || echo -linih)
LIBS_CURL   = $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)
LIBS_Z      = $(shell pkg-config --libs zlib 2>/dev/null || echo -lz)
LIBS_SYSTEMD = $(shell pkg-config --libs libsystemd 2>/dev/null || echo -lsystemd)
LIBS_CHECK  = $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)
LIBS_DAEMON = $(LIBS_LMDB) $(LIBS_CURL) $(LIBS_Z) $(LIBS_EVENT) $(LIBS_JSON) $(LIBS_INI) $(LIBS_SYSTEMD) $(LIBS_PROTO) -lpthread -lm
LIBS_QR     = $(shell pkg-config --libs libqrencode libpng 2>/dev/null || echo -lqrencode -lpng16)
LIBS_UTF8   = $(shell pkg-config --libs libutf8proc 2>/dev/null || echo -lutf8proc)
LIBS_ICU    = $(shell pkg-config --libs icu-i18n icu-uc 2>/dev/null || echo -licui18n -licuuc)
LIBS_CLIENT = $(LIBS_CURL) $(LIBS_Z) $(LIBS_EVENT) $(LIBS_JSON) -lcsv $(LIBS_LMDB) $(LIBS_QR) $(LIBS_UTF8) $(LIBS_ICU) $(LIBS_PROTO) -lpthread -lm

PROTO_SRC  := $(sort $(wildcard proto/*.c))
NET_SRC    := $(sort $(wildcard net/*.c))
DAEMON_SRC := $(filter-out daemon/main.c,$(sort $(wildcard daemon/*.c)))
CLIENT_SRC := $(filter-out client/main.c,$(sort $(wildcard client/*.c)))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
TOOL_SRC   := $(sort $(wildcard tests/tools/*.c))
BENCH_SRC  := $(sort $(wildcard bench/*.c))

PROTO_OBJ  := $(PROTO_SRC:%.c=$(BUILD)/%.o)
NET_OBJ    := $(NET_SRC:%.c=$(BUILD)/%.o)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(BUILD)/%.o)
CLIENT_OBJ := $(CLIENT_SRC:%.c=$(BUILD)/%.o)

LIB_PROTO  := $(BUILD)/libpubtrail-proto.a
LIB_NET    := $(BUILD)/libpubtrail-net.a
LIB_DAEMON := $(BUILD)/libpubtraild.a
LIB_CLIENT := $(BUILD)/libpubtrail-client.a
PUBTRAILD  := $(BUILD)/pubtraild
PUBTRAIL   := $(BUILD)/pubtrail
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_BIN   := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)
BENCH_BIN  := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.SECONDARY:
.PHONY: web all deps check unit integration asan valgrind run install clean bench fuzz soak deb
all: $(PUBTRAILD) $(PUBTRAIL) daemon/pubtraild client/pubtrail

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(DEPTARGETS) $(CFLAGS) -c $< -o $@

$(LIB_PROTO): $(PROTO_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(LIB_NET): $(NET_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(LIB_DAEMON): $(DAEMON_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(LIB_CLIENT): $(CLIENT_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(PUBTRAILD): $(BUILD)/daemon/main.o $(LIB_DAEMON) $(LIB_NET) $(LIB_PROTO)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_DAEMON)
$(PUBTRAIL): $(BUILD)/client/main.o $(LIB_CLIENT) $(LIB_NET) $(LIB_PROTO)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CLIENT)

# The programs also appear where the layout says they live.
daemon/pubtraild: $(PUBTRAILD)
	ln -sf $(if $(filter /%,$(PUBTRAILD)),,../)$(PUBTRAILD) $@
client/pubtrail: $(PUBTRAIL)
	ln -sf $(if $(filter /%,$(PUBTRAIL)),,../)$(PUBTRAIL) $@

# Unit tests: one Check binary per tests/unit/test_<module>.c; each may use
# proto, net, daemon and client code (and includes their headers by name).
$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(DEPTARGETS) -Idaemon -Iclient $(CFLAGS) -c $< -o $@

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB_DAEMON) $(LIB_CLIENT) $(LIB_NET) $(LIB_PROTO)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_CHECK) $(LIBS_DAEMON) $(LIBS_CLIENT)

# The store's suites (tests/unit/test_store*.c) share the helpers in
# tests/unit/store_fixture.c.
$(filter $(BUILD)/tests/test_store%,$(UNIT_BIN)): $(BUILD)/tests/unit/store_fixture.o

# Test tools (load generators, shims' helpers): plain programs.
$(BUILD)/tools/%: $(BUILD)/tests/tools/%.o $(LIB_DAEMON) $(LIB_CLIENT) $(LIB_NET) $(LIB_PROTO)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_DAEMON) $(LIBS_CLIENT)

# Benchmark programs (bench/*.c): plain programs like the test tools.
$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIB_DAEMON) $(LIB_CLIENT) $(LIB_NET) $(LIB_PROTO)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS_DAEMON) $(LIBS_CLIENT)

deps:
	@sh tests/deps.sh $(DEB_PKGS)
	@command -v npm >/dev/null 2>&1 || sh tests/deps.sh npm

# The citizen page (web/, docs/WEB.md): its npm packages come from
# web/package-lock.json (`npm ci`); the files a browser loads are assembled
# in $(BUILD)/web: our HTML, CSS and modules, and the libraries' own ES
# module builds with their licences.  No bundler, no transpiler.
WEB_SRC := $(sort $(wildcard web/*.html web/*.css web/js/*.js web/img/*))
WEB_OUT := $(BUILD)/web
web: $(WEB_OUT)/.built
web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@
$(WEB_OUT)/.built: $(WEB_SRC) web/node_modules/.package-lock.json Makefile
	rm -rf $(WEB_OUT)
	mkdir -p $(WEB_OUT)/js $(WEB_OUT)/lib/msgpack/utils
	cp web/*.html web/*.css $(WEB_OUT)/
	cp web/js/*.js $(WEB_OUT)/js/
	cp web/node_modules/@msgpack/msgpack/dist.esm/*.mjs $(WEB_OUT)/lib/msgpack/
	cp web/node_modules/@msgpack/msgpack/dist.esm/utils/*.mjs $(WEB_OUT)/lib/msgpack/utils/
	cp web/node_modules/@msgpack/msgpack/LICENSE $(WEB_OUT)/lib/msgpack/LICENSE.txt
	cp web/node_modules/uplot/dist/uPlot.esm.js web/node_modules/uplot/dist/uPlot.min.css $(WEB_OUT)/lib/
	cp web/node_modules/uplot/LICENSE $(WEB_OUT)/lib/uPlot-LICENSE.txt
	@touch $@

unit: all $(UNIT_BIN)
	@BUILD=$(BUILD) sh tests/run-unit.sh $(UNIT_BIN)

check: deps
	@sh tests/deps.sh $(DEB_BUILD_PKGS)
	@$(MAKE) $(PAR) --no-print-directory all web $(UNIT_BIN) $(TOOL_BIN)
	@BUILD=$(abspath $(BUILD)) sh tests/run.sh $(UNIT_BIN)

asan: deps
	@$(MAKE) $(PAR) --no-print-directory BUILD=build-asan SAN=1 all
	@$(MAKE) $(PAR) --no-print-directory BUILD=build-asan SAN=1 check

valgrind: deps
	@$(MAKE) $(PAR) --no-print-directory BUILD=build-vg CFLAGS="-O1 -g" all
	@$(MAKE) $(PAR) --no-print-directory BUILD=build-vg CFLAGS="-O1 -g" $(patsubst $(BUILD)/%,build-vg/%,$(UNIT_BIN))
	@VALGRIND=1 BUILD=$(abspath build-vg) sh tests/run-unit.sh $(patsubst $(BUILD)/%,build-vg/%,$(UNIT_BIN))

# Benchmarks: figures and ratios, never assertions (bench/README.md).
bench: deps
	@sh tests/deps.sh $(BENCH_PKGS)
	@$(MAKE) $(PAR) --no-print-directory all web $(BENCH_BIN) $(TOOL_BIN)
	@BUILD=$(abspath $(BUILD)) sh bench/run.sh

# libFuzzer targets (clang); each also replays its corpus in `make check`.
fuzz: deps
	@sh tests/deps.sh $(FUZZ_PKGS)
	@sh tests/fuzz/run.sh

# Longer runs of the fault and crash tests.
soak: deps
	@$(MAKE) $(PAR) --no-print-directory all $(UNIT_BIN) $(TOOL_BIN)
	@BUILD=$(abspath $(BUILD)) sh tests/soak.sh

# make run [ORIGIN=NAME] [DATA=DIR] [LISTEN=HOST:PORT] [ARGS='more options']
run: deps
	@$(MAKE) $(PAR) --no-print-directory all web
	@printf '[pubtraild]\nweb_root = %s\n' '$(abspath $(WEB_OUT))' > $(BUILD)/run.conf
	@$(if $(DATA),mkdir -p -m 0700 '$(patsubst %/,%,$(dir $(DATA:%/=%)))')
	$(if $(filter /%,$(PUBTRAILD)),,./)$(PUBTRAILD) --config $(BUILD)/run.conf \
		$(if $(DATA),--data '$(DATA)') \
		$(if $(LISTEN),--listen '$(LISTEN)') \
		$(if $(ORIGIN),--origin '$(ORIGIN)') $(ARGS)

install: all web
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(PUBTRAIL) $(DESTDIR)$(PREFIX)/bin/pubtrail
	install -m 0755 $(PUBTRAILD) $(DESTDIR)$(PREFIX)/sbin/pubtraild
	for m in man/*.1; do [ -f "$$m" ] && install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man1/ || true; done
	for m in man/*.5; do [ -f "$$m" ] && install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man5/ || true; done
	for m in man/*.8; do [ -f "$$m" ] && install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man8/ || true; done
	cd $(WEB_OUT) && find . -type f ! -name .built -exec install -D -m 0644 {} \
		$(DESTDIR)$(PREFIX)/share/pubtrail/web/{} \;
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
		$(DESTDIR)$(SYSCONFDIR)/pubtrail $(DESTDIR)$(PREFIX)/share/pubtrail
	sed -e 's|@SBINDIR@|$(PREFIX)/sbin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		dist/pubtraild.service.in > $(BUILD)/pubtraild.service
	install -m 0644 $(BUILD)/pubtraild.service $(DESTDIR)$(UNITDIR)/pubtraild.service
	install -m 0644 dist/pubtrail.sysusers $(DESTDIR)$(SYSUSERSDIR)/pubtrail.conf
	sed -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		-e 's|@WEBROOT@|$(PREFIX)/share/pubtrail/web|g' \
		dist/pubtraild.conf.in > $(BUILD)/pubtraild.conf
	install -m 0644 $(BUILD)/pubtraild.conf \
		$(DESTDIR)$(PREFIX)/share/pubtrail/pubtraild.conf.example
	@# An operator's config is never overwritten.
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/pubtrail/pubtraild.conf ]; then \
		echo "install: kept $(DESTDIR)$(SYSCONFDIR)/pubtrail/pubtraild.conf" \
		"(the new sample is $(PREFIX)/share/pubtrail/pubtraild.conf.example)"; \
	else \
		echo install -m 0644 $(BUILD)/pubtraild.conf \
			$(DESTDIR)$(SYSCONFDIR)/pubtrail/pubtraild.conf; \
		install -m 0644 $(BUILD)/pubtraild.conf \
			$(DESTDIR)$(SYSCONFDIR)/pubtrail/pubtraild.conf; \
	fi

# A Debian package (debian/) built from a copy of this tree in
# $(BUILD)/deb/pubtrail-$(VERSION): the .deb lands in $(BUILD)/deb/.  Install
# it with `apt install ./$(BUILD)/deb/pubtrail_$(VERSION)_*.deb`.
deb: deps
	@sh tests/deps.sh $(DEB_BUILD_PKGS)
	@$(MAKE) --no-print-directory web
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/pubtrail-$(VERSION)
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		git ls-files -z --cached --others --exclude-standard | \
		tar --null --ignore-failed-read -cf - -T - 2>/dev/null; \
	else \
		tar -cf - --exclude='./build*' --exclude=./.git \
			--exclude=./web/node_modules .; \
	fi | tar -xf - -C $(BUILD)/deb/pubtrail-$(VERSION)
	@# The web page's npm packages, when already fetched (`npm ci` otherwise).
	@if [ -d web/node_modules ]; then cp -a web/node_modules \
		$(BUILD)/deb/pubtrail-$(VERSION)/web/; fi
	cd $(BUILD)/deb/pubtrail-$(VERSION) && \
		DEB_BUILD_OPTIONS="parallel=$(JOBS) $(DEB_BUILD_OPTIONS)" \
		dpkg-buildpackage -b --no-sign
	@ls $(BUILD)/deb/*.deb

clean:
	rm -rf build build-asan build-vg daemon/pubtraild client/pubtrail

-include $(shell find $(BUILD) -path $(BUILD)/deb -prune -o -name '*.d' -type f -print 2>/dev/null)
