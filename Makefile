# SPDX-License-Identifier: GPL-2.0-only
# enlighten: top-level build.  Each component adds its rules through a
# fragment (*.mk) so that components can be worked on independently.

SHELL      := /bin/bash
TOP        := $(abspath .)
BUILD      := $(TOP)/build
BIN        := $(BUILD)/bin
OBJ        := $(BUILD)/obj
# Downloads (Debian kernel packages) live outside the source tree.
ENL_CACHE  ?= $(HOME)/.cache/enlighten
export ENL_CACHE

CC         ?= cc
HOST_CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror \
	       -Wno-unused-parameter -I$(TOP)/include -pthread $(ENL_EXTRA_CFLAGS)
# enl-host and the daemons run inside the L1 busybox initramfs: link static.
HOST_LDFLAGS := -static -pthread
# make test fuzzes each harness this long; make fuzz defaults to longer.
TEST_FUZZ_SECONDS ?= 25

.PHONY: all test test-full demo shell deps clean unit nested help fuzz checkpatch
.DEFAULT_GOAL := all

all: host daemons modules

include hostside-vsp/vmm/vmm.mk
-include hostside-vsp/lib/lib.mk
-include hostside-vsp/icvsp/icvsp.mk
-include hostside-vsp/hidvsp/hidvsp.mk
-include hostside-vsp/storvsp/storvsp.mk
-include hostside-vsp/netvsp/netvsp.mk
-include hostside-vsp/enlctl/enlctl.mk
-include tests/unit/unit.mk
-include tests/nested/nested.mk
-include bench/bench.mk
-include kernel/kernel.mk
-include packaging/packaging.mk
include tests/fuzz/fuzz.mk

help:
	@echo "make            build host programs into build/bin"
	@echo "make deps       install Debian packages, fetch guest kernels"
	@echo "make test       unit tests + nested-QEMU integration scenarios"
	@echo "make demo       one guest: its disk, NIC and integration services at work, explained"
	@echo "make shell      boot a guest under enl-host, interactive shell"
	@echo "make fuzz       run the libFuzzer harnesses (FUZZ_SECONDS=60)"
	@echo "make install    install host programs, units, DKMS source (DESTDIR=, PREFIX=)"
	@echo "make deb        Debian packages into build/deb (deb-check: and lintian)"
	@echo "make checkpatch the kernel's checkpatch.pl over the kernel-side C (downloads ~140 MB once)"
	@echo "make clean      remove build/"

# deps is cheap when everything is there; demo/test call it every time.
deps:
	@$(TOP)/scripts/deps.sh

# Each phase timed; a summary of the times and one closing count at the
# end (scripts/test-phases.sh).
test: deps
	@MAKE='$(MAKE)' FUZZ_SECONDS=$(TEST_FUZZ_SECONDS) $(TOP)/scripts/test-phases.sh \
		all unit dkms-check deb-check fuzz nested

# Every scenario, also those marked SUITE=full (comparisons that add no
# feature coverage): docs/testbed.md.
test-full:
	@ENL_SUITE=full $(MAKE) --no-print-directory test

# Developer check, not part of make test (its first run downloads Debian's
# linux-source-6.1 for checkpatch.pl); flags and ignored rules, with their
# reasons, in scripts/checkpatch.sh.
checkpatch:
	@$(TOP)/scripts/checkpatch.sh

clean:
	rm -rf $(BUILD)
