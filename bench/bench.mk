# SPDX-License-Identifier: GPL-2.0-only
# Benchmarks (bench/README.md): not tests, never in make test.  Each is a
# MANUAL scenario of the nested test bed (tests/integration/bench-*) whose
# one L1 step boots the guests under comparison one after the other;
# its check prints the table, kept in build/bench/<name>.txt.
#
#   make bench            both
#   make bench-storage    enl_storvsc, hv_storvsc, virtio-blk, raw file
#   make bench-net        enl_netvsc, hv_netvsc, virtio-net (vhost)
#
# One retry (a benchmark boots three guests: an emulation flake should not
# cost a whole rerun by hand, nor three).

.PHONY: bench bench-storage bench-net

BENCH_RETRY ?= 1

bench: deps
	@$(MAKE) --no-print-directory nested-tools
	@$(TOP)/bench/run-bench bench-storage bench-net

bench-storage bench-net: deps
	@$(MAKE) --no-print-directory nested-tools
	@$(TOP)/bench/run-bench $@
