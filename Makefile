# casetrail - build, test, demo, install. Plain make + pkg-config.
#
#   make            build ./casetrail (-Wall -Wextra -Werror)
#   make check      build with ASan+UBSan, run unit and integration tests
#   make fuzz       libFuzzer targets (clang) into build-fuzz/, each for FUZZ_SECONDS
#   make fuzz-smoke the fuzz targets without libFuzzer over their seeds (make check runs it)
#   make demo       ingest the bundled examples and print the reports
#   make deps       install missing Debian packages (no-op when all present)
#   make bench      benchmarks (see Benchmarks in README.md; USRP=MAILDIR adds the
#                   usrp-users ingest against the 33-rule build)
#   make accuracy              tag accuracy on every labelled source, held-out parts apart
#                              (SHARED=DIR, USRP=MAILDIR; see tests/qa/README.md)
#   make accuracy CORPUS=DIR   cases, routing and tags against one labelled corpus
#   make install PREFIX=/usr/local DESTDIR=   binary, man pages, rules, examples, docs, completion
#   make uninstall PREFIX=/usr/local DESTDIR= removes exactly what install put there

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/casetrail
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/casetrail
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
CC ?= cc
# Every library the code calls directly (gnutls: certificate pinning in ingest/mailnet_p.h;
# librsvg and cairo: the charts of mailed reports as PNG, report/mail.c; libpq: the
# PostgreSQL backend of store/db.h).
PKGS = libetpan libpcre2-8 sqlite3 libcurl jansson inih gnutls librsvg-2.0 cairo libpq
BUILD ?= build
SANITIZE ?=

# Debian packages the build and the tests need. libetpan-dev pulls the GnuTLS
# flavour of libcurl, so that is the one we use.
DEB_BUILD = gcc make pkg-config libetpan-dev libpcre2-dev libsqlite3-dev \
	libcurl4-gnutls-dev libjansson-dev libinih-dev libcmocka-dev libgnutls28-dev libpq-dev \
	librsvg2-dev fonts-dejavu-core
DEB_TEST = dovecot-imapd dovecot-pop3d python3 openssl sqlite3 procps man-db groff-base systemd \
	bash-completion postgresql

# libetpan.pc leaks Debian's -specs=no-pie-link.specs into its libs; the
# objects are built as PIE, so the link is a plain PIE link without it.
# The pkg-config flags are computed only once the packages are there: make
# remakes $(BUILD)/pkg.mk (after `deps`) and re-reads the Makefile before it
# builds anything ("Remaking Makefiles" in the GNU make manual). Goals that
# compile nothing do not read it, so they install nothing.
NOPKG_GOALS = clean deps deps-test help check-layout uninstall
ifneq ($(filter-out $(NOPKG_GOALS),$(or $(MAKECMDGOALS),all)),)
include $(BUILD)/pkg.mk
endif

WARN = -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wstrict-prototypes \
	-Wmissing-prototypes -Wvla -Wformat=2 -Wno-format-nonliteral
OPT ?= -O2 -g
CFLAGS_ALL = -std=gnu11 $(OPT) $(WARN) -D_GNU_SOURCE -DPCRE2_CODE_UNIT_WIDTH=8 -pthread $(PKG_CFLAGS) \
	-DCT_DATADIR='"$(DATADIR)"' $(CFLAGS)
ifneq ($(SANITIZE),)
CFLAGS_ALL += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS_ALL = -fsanitize=$(SANITIZE)
endif
LIBS_ALL = $(PKG_LIBS) -lpthread -lm $(LDFLAGS)

LIB_SRC := $(sort $(wildcard base/*.c config/*.c ingest/*.c classify/*.c store/*.c report/*.c cli/*.c))
LIB_SRC := $(filter-out cli/main.c,$(LIB_SRC))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(sort $(wildcard tests/bench/*.c))
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)
# Fuzz targets (tests/fuzz/README.md): linked with libFuzzer in build-fuzz/
# (FUZZ_ENGINE=libfuzzer), with tests/fuzz/driver.c everywhere else.
FUZZ_TARGETS ?= $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_BIN := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)
FUZZ_RUNS ?= 200
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang-14
ifeq ($(FUZZ_ENGINE),libfuzzer)
FUZZ_MAIN =
FUZZ_LDFLAGS = -fsanitize=fuzzer
else
FUZZ_MAIN = tests/fuzz/driver.c
FUZZ_LDFLAGS =
endif

.PHONY: all deps deps-test check check-run check-layout unit demo bench accuracy install uninstall clean help \
	fuzz fuzz-run fuzz-smoke

all: deps casetrail

# Installs what is missing, quietly; a no-op when everything is present.
deps:
	@sh tests/deps.sh $(DEB_BUILD)

deps-test:
	@sh tests/deps.sh $(DEB_TEST)

$(BUILD)/pkg.mk: Makefile | deps
	@mkdir -p $(BUILD)
	@pkg-config --exists --print-errors $(PKGS) cmocka
	@{ echo "PKG_CFLAGS := $$(pkg-config --cflags $(PKGS))"; \
	   echo "PKG_LIBS := $$(pkg-config --libs $(PKGS) | sed 's/-specs=[^ ]*//g')"; \
	   echo "CMOCKA_LIBS := $$(pkg-config --libs cmocka)"; } >$@.tmp && mv -f $@.tmp $@

# Each object depends on the headers it includes: -MMD -MP writes them to
# the .d file beside it, read at the end of this Makefile.
$(BUILD)/%.o: %.c $(BUILD)/pkg.mk
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

# The installed rule set's path is compiled in: a new PREFIX rebuilds what uses it.
PREFIX_STAMP := $(BUILD)/.prefix$(subst /,_,$(DATADIR))
$(PREFIX_STAMP):
	@mkdir -p $(BUILD) && rm -f $(BUILD)/.prefix* && touch $@
$(BUILD)/cli/cmd_ingest.o: $(PREFIX_STAMP)

$(BUILD)/libcasetrail.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/casetrail: $(BUILD)/cli/main.o $(LIB_OBJ)
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LIBS_ALL) $(LDFLAGS_ALL)

casetrail: $(BUILD)/casetrail
	cp $< $@.tmp && mv -f $@.tmp $@

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -MF $@.d -MT $@ -o $@ $< $(LIB_OBJ) $(LIBS_ALL) $(CMOCKA_LIBS) $(LDFLAGS_ALL)

$(BUILD)/bench/%: tests/bench/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -MF $@.d -MT $@ -o $@ $< $(LIB_OBJ) $(LIBS_ALL) $(LDFLAGS_ALL)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_MAIN) $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -MF $@.d -MT $@ -o $@ $< $(FUZZ_MAIN) $(LIB_OBJ) $(LIBS_ALL) $(LDFLAGS_ALL) $(FUZZ_LDFLAGS)

# make check: everything under ASan+UBSan in its own build directory.
check: deps deps-test
	$(MAKE) BUILD=build-san SANITIZE=address,undefined OPT="-O1 -g" check-run

check-run: check-layout $(BUILD)/casetrail $(UNIT_BIN) $(FUZZ_BIN)
	@sh tests/run-unit.sh $(UNIT_BIN)
	@sh tests/fuzz/run.sh smoke $(FUZZ_RUNS) $(FUZZ_BIN)
	@CASETRAIL=$(CURDIR)/$(BUILD)/casetrail BUILD=$(CURDIR)/$(BUILD) sh tests/run-integration.sh

# Folders include each other only by their public headers, downwards.
check-layout:
	@sh tests/check-layout.sh

# The fuzz targets over their seeds and FUZZ_RUNS mutations of each, without libFuzzer.
fuzz-smoke: $(FUZZ_BIN)
	@sh tests/fuzz/run.sh smoke $(FUZZ_RUNS) $(FUZZ_BIN)

# libFuzzer with clang, ASan and UBSan; make fuzz FUZZ_TARGETS=mime FUZZ_SECONDS=600 for one.
fuzz: deps
	$(MAKE) BUILD=build-fuzz CC=$(FUZZ_CC) SANITIZE=address,undefined OPT="-O1 -g" \
		FUZZ_ENGINE=libfuzzer CFLAGS="-fsanitize=fuzzer-no-link" fuzz-run

fuzz-run: $(FUZZ_BIN)
	@sh tests/fuzz/run.sh fuzz $(FUZZ_SECONDS) $(FUZZ_BIN)

unit: $(UNIT_BIN)
	@sh tests/run-unit.sh $(UNIT_BIN)

demo: all
	@sh examples/demo.sh ./casetrail

bench: all $(BENCH_BIN)
	@CASETRAIL=$(CURDIR)/casetrail BUILD=$(CURDIR)/$(BUILD) USRP="$(USRP)" sh tests/bench/run.sh

SHARED ?= ../shared
USRP ?=
# make accuracy CORPUS=DIR STORE=postgresql://... runs it on that (empty) store
STORE ?=
accuracy: all
ifeq ($(CORPUS),)
	@sh tests/qa/report.sh --casetrail ./casetrail --shared "$(SHARED)" $(if $(USRP),--usrp "$(USRP)")
else
	@python3 tests/accuracy.py --casetrail ./casetrail --corpus "$(CORPUS)" $(if $(STORE),--db "$(STORE)")
endif

# What make install puts where (DESTDIR is prepended to each); uninstall
# removes these files and then casetrail's own directories, nothing else.
MAN1 = doc/casetrail.1
MAN5 = doc/casetrail.conf.5 doc/casetrail-rules.5
DOCS = README.md report/SCHEMA.md ingest/TICKETS.md
INSTALLED = $(BINDIR)/casetrail \
	$(MAN1:doc/%=$(MANDIR)/man1/%) $(MAN5:doc/%=$(MANDIR)/man5/%) \
	$(DATADIR)/rules.conf $(DATADIR)/casetrail.conf.example \
	$(addprefix $(DOCDIR)/,$(notdir $(DOCS))) \
	$(DOCDIR)/examples/systemd/casetrail-ingest.service $(DOCDIR)/examples/systemd/casetrail-ingest.timer \
	$(DOCDIR)/examples/cron/casetrail \
	$(BASHCOMPDIR)/casetrail
OWN_DIRS = $(DOCDIR)/examples/systemd $(DOCDIR)/examples/cron $(DOCDIR)/examples $(DOCDIR) $(DATADIR)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)/examples/systemd $(DESTDIR)$(DOCDIR)/examples/cron \
		$(DESTDIR)$(BASHCOMPDIR)
	install -m 755 casetrail $(DESTDIR)$(BINDIR)/casetrail
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 644 config/rules.conf config/casetrail.conf.example $(DESTDIR)$(DATADIR)/
	install -m 644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	sed 's|@BINDIR@|$(BINDIR)|g' dist/systemd/casetrail-ingest.service.in >$(DESTDIR)$(DOCDIR)/examples/systemd/casetrail-ingest.service
	chmod 644 $(DESTDIR)$(DOCDIR)/examples/systemd/casetrail-ingest.service
	install -m 644 dist/systemd/casetrail-ingest.timer $(DESTDIR)$(DOCDIR)/examples/systemd/
	sed 's|@BINDIR@|$(BINDIR)|g' dist/cron/casetrail.in >$(DESTDIR)$(DOCDIR)/examples/cron/casetrail
	chmod 644 $(DESTDIR)$(DOCDIR)/examples/cron/casetrail
	install -m 644 dist/casetrail.bash-completion $(DESTDIR)$(BASHCOMPDIR)/casetrail

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	@for d in $(addprefix $(DESTDIR),$(OWN_DIRS)); do [ ! -d "$$d" ] || rmdir "$$d" 2>/dev/null || echo "uninstall: kept $$d: it holds files install did not put there"; done

clean:
	rm -rf build build-san build-fuzz casetrail

help:
	@sed -n '3,/^$$/s/^# \{0,1\}//p' Makefile

-include $(LIB_OBJ:.o=.d) $(BUILD)/cli/main.d $(UNIT_BIN:=.d) $(BENCH_BIN:=.d) $(FUZZ_BIN:=.d)
