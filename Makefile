# casetrail - build, test, demo, install. Plain make + pkg-config.
#
#   make            build ./casetrail (-Wall -Wextra -Werror)
#   make check      build with ASan+UBSan, run unit and integration tests
#   make demo       ingest the bundled examples and print the reports
#   make deps       install missing Debian packages (no-op when all present)
#   make bench      benchmarks (see bench/README in README.md)
#   make accuracy CORPUS=DIR   accuracy against a labelled corpus
#   make install PREFIX=/usr/local

PREFIX ?= /usr/local
CC ?= cc
PKGS = libetpan libpcre2-8 sqlite3 libcurl jansson inih
BUILD ?= build
SANITIZE ?=

# Debian packages the build and the tests need. libetpan-dev pulls the GnuTLS
# flavour of libcurl, so that is the one we use.
DEB_BUILD = gcc make pkg-config libetpan-dev libpcre2-dev libsqlite3-dev \
	libcurl4-gnutls-dev libjansson-dev libinih-dev libcmocka-dev
DEB_TEST = dovecot-imapd dovecot-pop3d python3 openssl sqlite3 procps

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN = -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wstrict-prototypes \
	-Wmissing-prototypes -Wvla -Wformat=2 -Wno-format-nonliteral
OPT ?= -O2 -g
CFLAGS_ALL = -std=gnu11 $(OPT) $(WARN) -D_GNU_SOURCE -DPCRE2_CODE_UNIT_WIDTH=8 -pthread $(PKG_CFLAGS) \
	-DCT_DATADIR='"$(PREFIX)/share/casetrail"' $(CFLAGS)
ifneq ($(SANITIZE),)
CFLAGS_ALL += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS_ALL = -fsanitize=$(SANITIZE)
endif
LIBS_ALL = $(PKG_LIBS) -lpthread -lm $(LDFLAGS)

LIB_SRC := $(sort $(wildcard cli/*.c ingest/*.c classify/*.c store/*.c report/*.c))
LIB_SRC := $(filter-out cli/main.c,$(LIB_SRC))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(sort $(wildcard tests/bench/*.c))
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)

.PHONY: all deps check unit integration demo bench accuracy install clean FORCE

all: deps casetrail

# Installs what is missing, quietly; a no-op when everything is present.
deps:
	@sh tests/deps.sh $(DEB_BUILD)

deps-test:
	@sh tests/deps.sh $(DEB_TEST)

$(BUILD)/%.o: %.c $(wildcard */*.h) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -c $< -o $@

# The installed rule set's path is compiled in: a new PREFIX rebuilds what uses it.
PREFIX_STAMP := $(BUILD)/.prefix$(subst /,_,$(PREFIX))
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

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LIB_OBJ) $(LIBS_ALL) $(CMOCKA_LIBS) $(LDFLAGS_ALL)

$(BUILD)/bench/%: tests/bench/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LIB_OBJ) $(LIBS_ALL) $(LDFLAGS_ALL)

# make check: everything under ASan+UBSan in its own build directory.
check: deps deps-test
	$(MAKE) BUILD=build-san SANITIZE=address,undefined OPT="-O1 -g" check-run

check-run: $(BUILD)/casetrail $(UNIT_BIN)
	@sh tests/run-unit.sh $(UNIT_BIN)
	@CASETRAIL=$(CURDIR)/$(BUILD)/casetrail BUILD=$(CURDIR)/$(BUILD) sh tests/run-integration.sh

unit: $(UNIT_BIN)
	@sh tests/run-unit.sh $(UNIT_BIN)

demo: all
	@sh examples/demo.sh ./casetrail

bench: all $(BENCH_BIN)
	@CASETRAIL=$(CURDIR)/casetrail BUILD=$(CURDIR)/$(BUILD) sh tests/bench/run.sh

accuracy: all
	@test -n "$(CORPUS)" || { echo "usage: make accuracy CORPUS=DIR" >&2; exit 2; }
	@python3 tests/accuracy.py --casetrail ./casetrail --corpus "$(CORPUS)"

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/casetrail
	install -m 755 casetrail $(DESTDIR)$(PREFIX)/bin/casetrail
	install -m 644 config/casetrail.conf.example config/rules.conf $(DESTDIR)$(PREFIX)/share/casetrail/

clean:
	rm -rf build build-san casetrail

-include $(LIB_OBJ:.o=.d) $(BUILD)/cli/main.d
