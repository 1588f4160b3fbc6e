# SPDX-License-Identifier: GPL-2.0-or-later
#
# tgtx build. Every .c file under usr/<area>/ and bs_xorshare/ (except the
# program mains listed below) goes into one static library; programs link it.
# New source files are picked up automatically.
#
#   make            release build in build/rel
#   make check      ASan/UBSan build in build/san + all tests (unit, system,
#                   fuzz for a bounded time, iscsi-test-cu conformance)
#   make bench      release build + benchmarks
#   make install    DESTDIR=... PREFIX=/usr/local

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc

SAN ?=
ifeq ($(SAN),asan)
BUILD ?= build/san
else ifeq ($(SAN),fuzz)
BUILD ?= build/fuzz
CC := clang
else
BUILD ?= build/rel
endif

WARN := -Wall -Wextra -Werror -Wno-unused-parameter -Wformat=2 \
	-Wno-format-nonliteral
CFLAGS_ALL := -std=c11 -D_GNU_SOURCE -g $(WARN) -I. -Iusr -Ibs_xorshare -pthread \
	-MMD -MP
LDLIBS_ALL := -luring -lssl -lcrypto -lpthread -lm

ifeq ($(SAN),asan)
CFLAGS_ALL += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
LDFLAGS_ALL := -fsanitize=address,undefined
else ifeq ($(SAN),fuzz)
CFLAGS_ALL += -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer-no-link,address,undefined -DTGTX_FUZZ
LDFLAGS_ALL := -fsanitize=fuzzer,address,undefined
else
CFLAGS_ALL += -O2
LDFLAGS_ALL :=
endif
CFLAGS_ALL += $(CFLAGS)
LDFLAGS_ALL += $(LDFLAGS)

# Program mains (not part of the library)
PROGS_SBIN := tgtxd tgtxadm tgtx-admin
PROGS_BIN := tgtx-xorshare
MAIN_SRCS := usr/tgtxd.c usr/tgtxadm.c usr/tgtx-admin.c \
	bs_xorshare/codec/tgtx-xorshare.c

LIB_SRCS := $(filter-out $(MAIN_SRCS),$(sort $(wildcard usr/*/*.c) \
	$(wildcard bs_xorshare/*.c) $(wildcard bs_xorshare/*/*.c)))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB := $(BUILD)/libtgtx.a

UNIT_SRCS := $(sort $(wildcard test/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:%.c=$(BUILD)/%)
# Small libiscsi programs used by system tests and benchmarks
TOOL_SRCS := $(sort $(wildcard test/tools/*.c))
TOOL_BINS := $(TOOL_SRCS:%.c=$(BUILD)/%)
FUZZ_SRCS := $(sort $(wildcard test/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRCS:%.c=$(BUILD)/%)

BINS := $(addprefix $(BUILD)/,$(PROGS_SBIN) $(PROGS_BIN))

.PHONY: format-check all check check-unit check-system check-fuzz check-conformance \
	bench install clean format tests tools fuzzers

all: $(BINS) $(TOOL_BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

# The daemon keeps every backing store: they register from constructors.
$(BUILD)/tgtxd: $(BUILD)/usr/tgtxd.o $(LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $< -Wl,--whole-archive $(LIB) \
		-Wl,--no-whole-archive $(LDLIBS_ALL)

$(BUILD)/tgtxadm: $(BUILD)/usr/tgtxadm.o $(LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/tgtx-admin: $(BUILD)/usr/tgtx-admin.o $(LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/tgtx-xorshare: $(BUILD)/bs_xorshare/codec/tgtx-xorshare.o $(LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/test/unit/%: test/unit/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< -Wl,--whole-archive $(LIB) \
		-Wl,--no-whole-archive $(LDLIBS_ALL) -lcmocka

$(BUILD)/test/tools/%: test/tools/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LIB) $(LDLIBS_ALL) -liscsi

$(BUILD)/test/fuzz/%: test/fuzz/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< -Wl,--whole-archive $(LIB) \
		-Wl,--no-whole-archive $(LDLIBS_ALL)

tests: $(BINS) $(UNIT_BINS) $(TOOL_BINS)
tools: $(TOOL_BINS)
fuzzers: $(FUZZ_BINS)

# Everything the test suite needs, under ASan/UBSan, then every test.
check:
	$(MAKE) format-check
	$(MAKE) all
	$(MAKE) SAN=asan tests
	$(MAKE) SAN=fuzz fuzzers
	test/run-checks.sh build/san build/fuzz

check-unit:
	$(MAKE) SAN=asan tests
	test/run-checks.sh --only unit build/san build/fuzz

check-system:
	$(MAKE) SAN=asan tests
	test/run-checks.sh --only system build/san build/fuzz

check-fuzz:
	$(MAKE) SAN=fuzz fuzzers
	test/run-checks.sh --only fuzz build/san build/fuzz

check-conformance:
	$(MAKE) SAN=asan tests
	test/run-checks.sh --only conformance build/san build/fuzz

bench:
	$(MAKE) all tools
	test/bench/run-bench.sh build/rel

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/tgtx/conf.d
	install -m 755 $(addprefix $(BUILD)/,$(PROGS_SBIN)) $(DESTDIR)$(SBINDIR)
	install -m 755 $(addprefix $(BUILD)/,$(PROGS_BIN)) $(DESTDIR)$(BINDIR)
	install -m 644 doc/man/*.1 $(DESTDIR)$(MANDIR)/man1
	install -m 644 doc/man/*.8 $(DESTDIR)$(MANDIR)/man8
	install -m 644 conf/tgtxd.service $(DESTDIR)$(UNITDIR)
	[ -e $(DESTDIR)$(SYSCONFDIR)/tgtx/targets.conf ] || \
		install -m 644 conf/targets.conf $(DESTDIR)$(SYSCONFDIR)/tgtx

FORMAT_FILES = $(LIB_SRCS) $(MAIN_SRCS) $(wildcard usr/*/*.h \
	bs_xorshare/*.h bs_xorshare/*/*.h test/*/*.c test/*/*.h)

format:
	clang-format -i $(FORMAT_FILES)

# The style is part of the contract: any drift from .clang-format fails.
format-check:
	@echo "clang-format --dry-run --Werror (all sources)"
	@clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
