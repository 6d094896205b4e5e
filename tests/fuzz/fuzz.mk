# SPDX-License-Identifier: GPL-2.0-only
# libFuzzer harnesses, built with clang under ASan and UBSan.
#
#   make fuzz [FUZZ_SECONDS=N]   run every harness for N seconds (default 60)
#
# A crash, leak or sanitizer report fails the target; the reproducer is left
# in build/fuzz/<harness>/.  Corpora grow in build/fuzz/<harness>/corpus.

FUZZ_DIR     := tests/fuzz
FUZZ_BUILD   := $(BUILD)/fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  := -std=c11 -D_GNU_SOURCE -g -O1 -Wall -Wextra -Werror \
		-Wno-unused-parameter -I$(TOP)/include -I$(TOP) \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined

FUZZ_SRCS_fuzz_vmbus_server := hostside-vsp/vmm/vmbus_server.c include/enl/vmbus_guest.c
FUZZ_SRCS_fuzz_ring_ic      := include/enl/ring.c include/enl/ic.c include/enl/vmbus_guest.c \
			       include/enl/vmbus_packet.c
FUZZ_SRCS_fuzz_synthhid     := include/enl/synthhid.c
FUZZ_SRCS_fuzz_vstor_guest  := include/enl/vstor_guest.c include/enl/vmbus_packet.c
FUZZ_SRCS_fuzz_netvsc_guest := include/enl/netvsc_guest.c include/enl/rndis.c include/enl/vmbus_packet.c

FUZZ_TARGETS := $(patsubst $(FUZZ_DIR)/%.c,%,$(sort $(wildcard $(FUZZ_DIR)/fuzz_*.c)))
FUZZ_BINS    := $(addprefix $(FUZZ_BUILD)/bin/,$(FUZZ_TARGETS))

define fuzz_rule
$(FUZZ_BUILD)/bin/$(1): $(FUZZ_DIR)/$(1).c $(FUZZ_SRCS_$(1)) $(wildcard include/enl/*.h) hostside-vsp/vmm/vmbus_server.h tests/unit/vmbus_sim.h
	@mkdir -p $$(@D)
	$$(FUZZ_CC) $$(FUZZ_CFLAGS) -o $$@ $(FUZZ_DIR)/$(1).c $(FUZZ_SRCS_$(1))
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_rule,$(t))))

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)

# Harnesses run FUZZ_JOBS at a time (default: one per core), each into
# its own log; the summary lines come out in harness order.
FUZZ_JOBS ?= $(shell nproc 2>/dev/null || echo 1)

fuzz: fuzz-build
	@printf '%s\n' $(FUZZ_TARGETS) | xargs -P $(FUZZ_JOBS) -I{} sh -c '\
		d=$(FUZZ_BUILD)/{}; mkdir -p $$d/corpus; rm -f $$d/failed; \
		cd $$d && $(FUZZ_BUILD)/bin/{} -max_total_time=$(FUZZ_SECONDS) \
			-max_len=4096 -print_final_stats=1 corpus >$$d/log 2>&1 || \
			touch $$d/failed'; \
	fail=0; for t in $(FUZZ_TARGETS); do \
		d=$(FUZZ_BUILD)/$$t; \
		echo "== fuzz $$t for $(FUZZ_SECONDS) s"; \
		if [ -e $$d/failed ]; then fail=1; tail -40 $$d/log; fi; \
		grep -E '^stat::number_of_executed_runs|^#[0-9]+.*DONE' $$d/log | tail -2; \
	done; \
	if [ $$fail = 0 ]; then echo "fuzz: clean"; else echo "fuzz: FAILED"; exit 1; fi
