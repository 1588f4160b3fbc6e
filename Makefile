# SPDX-License-Identifier: GPL-2.0-or-later
#
# tgtx build. The tree is a stack of layers (folders, see "Layers" below and
# doc/architecture.md). Every .c file of a layer (except the program mains
# listed below) goes into that layer's static library libtgtx-<layer>.a;
# unit tests link only their layer and the layers below it. Programs link
# libtgtx.a (every target-side layer). New files are picked up automatically;
# a new folder needs a line in the layer table.
#
#   make            release build in build/rel
#   make check      dependency check, format check, then an ASan/UBSan build
#                   in build/san + all tests (unit, system, fuzz for a
#                   bounded time, iscsi-test-cu conformance)
#   make check-deps the layer rules alone (scripts/check-deps.sh)
#   make bench      release build + benchmarks
#   make install    DESTDIR=... PREFIX=/usr/local

# The first rule below is a library rule; plain `make` must mean `make all`.
.DEFAULT_GOAL := all

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
# Project headers are named from these roots ("core/log.h",
# "bs_xorshare/log/sharelog.h") or, beside the includer, by their bare name.
# -iquote keeps <iscsi/iscsi.h> meaning libiscsi's header, not usr/iscsi/.
INCLUDE_ROOTS := usr .
CFLAGS_ALL := -std=c11 -D_GNU_SOURCE -g $(WARN) \
	$(addprefix -iquote ,$(INCLUDE_ROOTS)) -pthread -MMD -MP
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
PROGS_SBIN := tgtxd tgtxadm tgtx-admin tgtxcli
PROGS_BIN := tgtx-xorshare
MAIN_SRCS := usr/tgtxd.c usr/tgtxadm.c usr/tgtx-admin.c \
	bs_xorshare/codec/tgtx-xorshare.c usr/tgtxcli.c

# ---- Layers ----------------------------------------------------------------
# One line per folder that holds C files:
#
#   LAYER_<name> := <folder> <layers whose headers it may #include>
#
# A layer may always include its own folder. <layer>:<glob> grants headers
# of that layer matching the glob only (no linking); "*" grants everything.
# The table is the design: scripts/check-deps.sh (first step of `make check`)
# fails on any #include it does not allow and on any folder not listed here,
# and unit tests link exactly their layer's closure below. Keep it acyclic.
#
#                   folder             may include
LAYER_core       := usr/core
LAYER_bs         := usr/bs             core
# node keys, pins, TLS 1.3 contexts and the TLS pump (OpenSSL only)
LAYER_tls        := usr/tls            core
LAYER_scsi       := usr/scsi           core bs
LAYER_iscsi      := usr/iscsi          core scsi tls
LAYER_mgmt       := usr/mgmt           core bs scsi iscsi
LAYER_metrics    := usr/metrics        core bs scsi iscsi
LAYER_admin      := usr/admin          core mgmt
LAYER_cli        := usr/cli            core mgmt admin
LAYER_progs      := usr                core bs scsi iscsi mgmt metrics admin cli tls
# xorshare: codec (secret sharing) < share log < store (a bs backend)
LAYER_codec      := bs_xorshare/codec  core
LAYER_xslog      := bs_xorshare/log    core codec
LAYER_xsstore    := bs_xorshare/store  core bs scsi codec xslog
# share-location tables, node keys, gossip (OpenSSL only, no libiscsi)
LAYER_gossip     := replicator/gossip  core tls
LAYER_replicator := replicator         core codec xslog gossip tls xsstore:bs_xorshare.h \
	admin mgmt:mgmt_client.h mgmt:mgmt_proto.h mgmt:mgmt_path.h
LAYER_recovery   := recovery           core codec replicator gossip xslog:sl_seed.h \
	mgmt:mgmt_path.h
LAYER_test       := test/*             *

# System libraries a layer's code needs beyond LDLIBS_ALL (unit tests of the
# layer and of the layers above it get them).
LDLIBS_replicator := -liscsi
# tgtxcli: JSON and line editing (its layer stays out of libtgtx.a)
LDLIBS_cli := -ljansson -ledit

# Gossip/recovery programs (issue 12) link their layer libraries, never
# libtgtx.a; their rules are in the "gossip and recovery" block below.
MAIN_SRCS += recovery/tgtx-recover.c
MAIN_SRCS += replicator/tgtx-replicd.c

# Unit test test_<word>_*.c belongs to layer <word>, or to TEST_LAYER_<word>.
TEST_LAYER_xs       := xsstore
TEST_LAYER_sharelog := xsstore
TEST_LAYER_sv       := replicator
TEST_LAYER_peer     := replicator
# test_xorshare_*: the codec alone (proves it links without the store)
TEST_LAYER_xorshare := codec

# every LAYER_* variable (not from the environment)
LAYERS := $(sort $(patsubst LAYER_%,%,$(foreach v,$(filter LAYER_%,$(.VARIABLES)), \
	$(if $(filter-out environment%,$(origin $(v))),$(v)))))
layer_dir = $(firstword $(LAYER_$(1)))
# direct dependencies that link (not header-only grants, not "*")
layer_deps = $(filter-out * %.h,$(wordlist 2,99,$(LAYER_$(1))))
# the layer and every layer below it (breadth first: a cycle cannot hang make)
layer_closure = $(call layer_closure_,$(1),)
layer_closure_ = $(if $(1),$(call layer_closure_,$(filter-out $(1) $(2), \
	$(sort $(foreach l,$(1),$(call layer_deps,$(l))))),$(sort $(1) $(2))),$(2))
layer_srcs = $(filter-out $(MAIN_SRCS),$(sort \
	$(wildcard $(call layer_dir,$(1))/*.c)))
# layers that build a library: those with sources, tests excluded
LIB_LAYERS := $(filter-out test,$(foreach l,$(LAYERS), \
	$(if $(call layer_srcs,$(l)),$(l))))
layer_lib = $(if $(filter $(1),$(LIB_LAYERS)),$(BUILD)/libtgtx-$(1).a)
layer_libs = $(foreach l,$(call layer_closure,$(1)),$(call layer_lib,$(l)))
layer_ldlibs = $(sort $(foreach l,$(call layer_closure,$(1)),$(LDLIBS_$(l))))

define LIB_RULE_TEMPLATE
$(BUILD)/libtgtx-$(1).a: $(patsubst %.c,$(BUILD)/%.o,$(call layer_srcs,$(1)))
	@rm -f $$@
	ar rcs $$@ $$^
endef
$(foreach l,$(LIB_LAYERS),$(eval $(call LIB_RULE_TEMPLATE,$(l))))

# libtgtx.a: every target-side layer (usr/ and bs_xorshare/), for programs.
# replicator/ and recovery/ stay out: tgtxd links libtgtx.a whole and must not
# need libiscsi; their programs link their own layer libraries. So does cli/
# (tgtxcli alone needs jansson and libedit).
LIB_SRCS := $(sort $(foreach l,$(filter-out replicator recovery gossip cli,$(LIB_LAYERS)), \
	$(call layer_srcs,$(l))))
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

.PHONY: check-deps format-check all check check-unit check-system check-fuzz check-conformance \
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

$(BUILD)/tgtxcli: $(BUILD)/usr/tgtxcli.o $(call layer_lib,cli) $(LIB)
	$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LDLIBS_ALL) $(LDLIBS_cli)

$(BUILD)/test/fuzz/fuzz_saveconfig: test/fuzz/fuzz_saveconfig.c \
		$(call layer_lib,cli) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(call layer_lib,cli) \
		$(LIB) $(LDLIBS_ALL) $(LDLIBS_cli)

# A unit test links its layer's closure whole (every object of those layers
# must resolve below them, so a call into a higher layer fails to link) and
# nothing else.
unit_word = $(word 2,$(subst _, ,$(notdir $(1))))
unit_layer = $(or $(TEST_LAYER_$(call unit_word,$(1))),$(call unit_word,$(1)))

define UNIT_RULE_TEMPLATE
$(BUILD)/$(1:.c=): $(1) $(call layer_libs,$(call unit_layer,$(1)))
ifeq ($(filter $(call unit_layer,$(1)),$(filter-out test progs,$(LAYERS))),)
	@echo "$(1): no layer '$(call unit_layer,$(1))': name it test_<layer>_*.c or add TEST_LAYER_$(call unit_word,$(1)) to the Makefile" >&2; exit 1
else
	@mkdir -p $$(dir $$@)
	$$(CC) $$(CFLAGS_ALL) $$(LDFLAGS_ALL) -o $$@ $$< -Wl,--whole-archive \
		$(call layer_libs,$(call unit_layer,$(1))) -Wl,--no-whole-archive \
		$(call layer_ldlibs,$(call unit_layer,$(1))) $$(LDLIBS_ALL) -lcmocka
endif
endef
$(foreach t,$(UNIT_SRCS),$(eval $(call UNIT_RULE_TEMPLATE,$(t))))

$(BUILD)/test/tools/%: test/tools/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< $(LIB) $(LDLIBS_ALL) -liscsi

$(BUILD)/test/fuzz/%: test/fuzz/%.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< -Wl,--whole-archive $(LIB) \
		-Wl,--no-whole-archive $(LDLIBS_ALL)

# ---- gossip and recovery (issue 12) ------------------------------------------
# tgtx-recover, the gossip test tools and the fuzzers of the gossip/kit
# parsers link the recovery layer's closure (recovery, gossip, core).
RECOVERY_LIBS = $(call layer_libs,recovery)
GOSSIP_TOOLS := $(addprefix $(BUILD)/test/tools/,tgtx-gossip tgtx-gossip-sim \
	tgtx-gossip-seeds)
GOSSIP_FUZZ := $(addprefix $(BUILD)/test/fuzz/,fuzz_slt fuzz_gossip fuzz_kit)
$(BUILD)/tgtx-recover: $(BUILD)/recovery/tgtx-recover.o $(RECOVERY_LIBS)
	$(CC) $(LDFLAGS_ALL) -o $@ $< -Wl,--start-group $(RECOVERY_LIBS) \
		-Wl,--end-group $(call layer_ldlibs,recovery) $(LDLIBS_ALL)
$(GOSSIP_TOOLS) $(GOSSIP_FUZZ): $(BUILD)/test/%: test/%.c $(RECOVERY_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< -Wl,--start-group \
		$(RECOVERY_LIBS) -Wl,--end-group $(call layer_ldlibs,recovery) \
		$(LDLIBS_ALL)
.PHONY: gossip-sim-bench install-recover
all: $(BUILD)/tgtx-recover
tests: $(BUILD)/tgtx-recover
install: install-recover
install-recover: $(BUILD)/tgtx-recover
	install -d $(DESTDIR)$(SBINDIR)
	install -m 755 $(BUILD)/tgtx-recover $(DESTDIR)$(SBINDIR)
# the 1,000-node simulation of doc/gossip.md
gossip-sim-bench: $(BUILD)/test/tools/tgtx-gossip-sim
	$(BUILD)/test/tools/tgtx-gossip-sim --nodes 1000 --volumes 200 \
		--churn 2 --partition 20:60 --seed 1

tests: $(BINS) $(UNIT_BINS) $(TOOL_BINS)
tools: $(TOOL_BINS)
fuzzers: $(FUZZ_BINS)

# Everything the test suite needs, under ASan/UBSan, then every test.
check:
	$(MAKE) check-deps
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
	test/bench/run-restore-bench.sh build/rel

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

FORMAT_FILES = $(sort $(foreach l,$(LAYERS), \
	$(wildcard $(call layer_dir,$(l))/*.[ch])))

# ---- replicator (issue 11): its test driver and fuzzer link the
# replicator layer (and what it needs) instead of libtgtx.a.
$(BUILD)/test/tools/tgtx-sharevol: test/tools/tgtx-sharevol.c \
		$(call layer_libs,replicator)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< -Wl,--start-group \
		$(call layer_libs,replicator) -Wl,--end-group \
		$(call layer_ldlibs,replicator) $(LDLIBS_ALL)

$(BUILD)/test/fuzz/fuzz_share_volume: test/fuzz/fuzz_share_volume.c \
		$(call layer_libs,replicator)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS_ALL) -o $@ $< -Wl,--start-group \
		$(call layer_libs,replicator) -Wl,--end-group \
		$(call layer_ldlibs,replicator) $(LDLIBS_ALL)

$(BUILD)/tgtx-replicd: $(BUILD)/replicator/tgtx-replicd.o \
		$(call layer_libs,replicator)
	$(CC) $(LDFLAGS_ALL) -o $@ $< -Wl,--start-group \
		$(call layer_libs,replicator) -Wl,--end-group \
		$(call layer_ldlibs,replicator) $(LDLIBS_ALL)
.PHONY: install-replicd
all tests: $(BUILD)/tgtx-replicd
install: install-replicd
install-replicd: $(BUILD)/tgtx-replicd
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR)
	install -m 755 $(BUILD)/tgtx-replicd $(DESTDIR)$(SBINDIR)
	install -m 644 conf/tgtx-replicd.service $(DESTDIR)$(UNITDIR)
# ---- end replicator

format:
	clang-format -i $(FORMAT_FILES)

# The style is part of the contract: any drift from .clang-format fails.
format-check:
	@echo "clang-format --dry-run --Werror (all sources)"
	@clang-format --dry-run --Werror $(FORMAT_FILES)

# The layer table is the design: every #include must follow it.
check-deps:
	@scripts/check-deps.sh $(addprefix -r ,$(INCLUDE_ROOTS)) \
		$(foreach l,$(LAYERS),'$(l)=$(LAYER_$(l))')

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
