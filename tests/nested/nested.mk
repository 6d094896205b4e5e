# SPDX-License-Identifier: GPL-2.0-only
# The nested-QEMU test bed (tests/nested/, docs/testbed.md).
#
#   make nested [SCENARIOS='boot-6.1-* err-*']   integration scenarios
#   make demo   [KERNEL=6.1|6.12] [CPUS=1|2] [STACK=stock|enl]
#                                                 one guest: disk, NIC and
#                                                 integration services at
#                                                 work, explained
#   make shell  [KERNEL=6.1|6.12] [CPUS=N] [STACK=stock|enl]
#                                                 shell in an L2 guest, that
#                                                 stack's modules loaded
#   make l1-shell                                 second terminal: a shell
#                                                 in that L1, enlctl at hand
#
# Each target runs deps (cheap when all is there) and builds enl-host
# first; they run one after the other so that a parallel make cannot build
# before deps has installed the compiler.

NESTED_DIR := $(TOP)/tests/nested
KVMCAPS    := $(BUILD)/nested/kvmcaps
KERNEL     ?= 6.1
CPUS       ?= 2
STACK      ?= stock

.PHONY: nested-tools l1-shell

$(KVMCAPS): $(NESTED_DIR)/kvmcaps.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -o $@ $< $(HOST_LDFLAGS)

nested-tools: host daemons $(KVMCAPS)

nested: deps
	@$(MAKE) --no-print-directory nested-tools
	@$(NESTED_DIR)/run $(SCENARIOS)

demo: deps
	@$(MAKE) --no-print-directory nested-tools
	@$(NESTED_DIR)/run --demo --kernel $(KERNEL) --cpus $(CPUS) --stack $(STACK)

shell: deps
	@$(MAKE) --no-print-directory nested-tools
	@$(NESTED_DIR)/run --shell --kernel $(KERNEL) --cpus $(CPUS) --stack $(STACK)

l1-shell:
	@$(NESTED_DIR)/run --l1-shell
