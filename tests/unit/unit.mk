# SPDX-License-Identifier: GPL-2.0-only
# Unit tests (cmocka).  Included by the top-level Makefile.
#
#   make unit        build every tests/unit/test_*.c, run them all, then run
#                    the ACPICA check of the ACPI tables; fails if any fails.
#
# Adding a test: drop tests/unit/test_NAME.c in and, if it links code from
# the tree, list those sources below as UNIT_SRCS_test_NAME (paths relative
# to the top, or generated files under $(BUILD)); extra libraries go in
# UNIT_LDLIBS_test_NAME.  Each test becomes $(UNIT_BUILD)/test_NAME and
# prints cmocka's own report.  Sources include headers by their path from
# the top ("hostside-vsp/vmm/acpi.h"); include/ is on the path too.

UNIT_DIR    := tests/unit
UNIT_BUILD  := $(BUILD)/tests/unit
# Tests run on the build machine: same warnings as the host programs, but
# linked dynamically (libcmocka-dev ships no static library).
UNIT_CFLAGS := $(HOST_CFLAGS) -I$(TOP) -MMD -MP
UNIT_LDLIBS := -lcmocka -pthread

# ---- per-test sources ---------------------------------------------------
UNIT_SRCS_test_acpi := hostside-vsp/vmm/acpi.c $(VMM_DSDT_C)
UNIT_SRCS_test_vmbus_server := hostside-vsp/vmm/vmbus_server.c include/enl/vmbus_guest.c
UNIT_SRCS_test_vsp_server := hostside-vsp/vmm/vsp_server.c hostside-vsp/vmm/vsp_bus.c \
	hostside-vsp/vmm/vsp_status.c hostside-vsp/vmm/vmbus_server.c \
	hostside-vsp/vmm/synic.c $(VSP_COMMON_SRCS) include/enl/vmbus_guest.c
UNIT_SRCS_test_vsp_server_common := $(VSP_COMMON_SRCS)
UNIT_SRCS_test_devices := hostside-vsp/vmm/uart.c hostside-vsp/vmm/rtc.c
UNIT_SRCS_test_ring := include/enl/ring.c
UNIT_SRCS_test_ic := include/enl/ic.c
UNIT_SRCS_test_vmbus_guest := include/enl/vmbus_guest.c
UNIT_SRCS_test_packet := include/enl/vmbus_packet.c
UNIT_SRCS_test_vstor_guest := include/enl/vstor_guest.c
UNIT_SRCS_test_netvsc_guest := include/enl/netvsc_guest.c include/enl/rndis.c include/enl/vmbus_packet.c
UNIT_SRCS_test_libvsp := $(LIBVSP_SRCS)
UNIT_SRCS_test_libvsp_icvsp := $(LIBVSP_SRCS) hostside-vsp/icvsp/icvsp.c \
	hostside-vsp/icvsp/heartbeat.c hostside-vsp/icvsp/shutdown.c \
	hostside-vsp/icvsp/timesync.c hostside-vsp/icvsp/kvp.c hostside-vsp/icvsp/fcopy.c \
	hostside-vsp/icvsp/vss.c hostside-vsp/icvsp/imgcopy.c
# the VSS test waits out a step's timeout: 1 s there, not 10; a copy 2 s
$(UNIT_BUILD)/obj/hostside-vsp/icvsp/vss.o: UNIT_CFLAGS += -DVSS_STEP_TIMEOUT_MS=1000 -DVSS_COPY_TIMEOUT_MS=2000
UNIT_SRCS_test_libvsp_chans := $(LIBVSP_SRCS)
$(UNIT_BUILD)/test_libvsp_chans: UNIT_CFLAGS += $(UNIT_SANITIZE)
# These run under ASan/UBSan (their objects inherit the flags).
UNIT_SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all
$(addprefix $(UNIT_BUILD)/,test_ring test_ic test_vmbus_guest test_packet test_vstor_guest test_netvsp test_netvsc_guest test_libvsp test_libvsp_icvsp \
		test_vmbus_server test_devices): \
	UNIT_CFLAGS += $(UNIT_SANITIZE)
$(UNIT_BUILD)/test_vsp_server $(UNIT_BUILD)/test_vsp_server_common: \
	UNIT_CFLAGS += $(UNIT_SANITIZE)
# test_vsp_server also runs the real enlctl against the server.
$(UNIT_BUILD)/test_vsp_server: | $(BIN)/enlctl
# test_libvsp_icvsp also runs the real enl-icvsp (and kills it with -9).
$(UNIT_BUILD)/test_libvsp_icvsp: | $(BIN)/enl-icvsp
# --------------------------------------------------------------------------

UNIT_TESTS := $(patsubst $(UNIT_DIR)/%.c,%,$(sort $(wildcard $(UNIT_DIR)/test_*.c)))
UNIT_BINS  := $(addprefix $(UNIT_BUILD)/,$(UNIT_TESTS))

# Object of a source: $(UNIT_BUILD)/obj/<path from the top>.o
unit_objs = $(addprefix $(UNIT_BUILD)/obj/,$(patsubst $(TOP)/%,%,$(patsubst %.c,%.o,$(abspath $(1)))))

$(UNIT_BUILD)/obj/%.o: $(TOP)/%.c
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -c -o $@ $<

define unit_test_rule
$(UNIT_BUILD)/$(1): $(call unit_objs,$(UNIT_DIR)/$(1).c $(UNIT_SRCS_$(1)))
	$$(CC) $$(UNIT_CFLAGS) -o $$@ $$^ $$(UNIT_LDLIBS) $$(UNIT_LDLIBS_$(1))
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_test_rule,$(t))))

# ACPI tables checked with ACPICA's tools (iasl -d, re-assembly, acpiexec)
# for a small and the largest vCPU count.
UNIT_ACPI_DUMP     := $(UNIT_BUILD)/acpi_dump
UNIT_ACPI_DUMP_DIR := $(UNIT_BUILD)/acpi-tables
UNIT_ACPI_NCPUS    := 2 255

$(UNIT_ACPI_DUMP): $(call unit_objs,$(UNIT_DIR)/acpi_dump.c hostside-vsp/vmm/acpi.c $(VMM_DSDT_C))
	$(CC) $(UNIT_CFLAGS) -o $@ $^

# Shell loops of the two steps, shared by `unit` and the single-step targets.
define unit_run_sh
fail=0; \
for t in $(UNIT_BINS); do \
	echo "== $${t#$(TOP)/}"; \
	"$$t" || { echo "** $${t##*/} FAILED"; fail=1; }; \
done
endef
define unit_acpi_check_sh
for n in $(UNIT_ACPI_NCPUS); do \
	d=$(UNIT_ACPI_DUMP_DIR)/ncpus-$$n; \
	rm -rf "$$d"; mkdir -p "$$d"; \
	{ $(UNIT_ACPI_DUMP) $$n "$$d" && \
	  IASL=$(IASL) $(TOP)/$(UNIT_DIR)/acpi_iasl_check.sh "$$d"; } || fail=1; \
done
endef

.PHONY: unit-build unit-run unit-acpi-check
unit-build: $(UNIT_BINS) $(UNIT_ACPI_DUMP)

unit-run: unit-build
	@$(unit_run_sh); exit $$fail

unit-acpi-check: unit-build
	@fail=0; $(unit_acpi_check_sh); exit $$fail

# Both steps always run; either failing fails `make unit`.
unit: unit-build
	@$(unit_run_sh); \
	$(unit_acpi_check_sh); \
	if [ $$fail = 0 ]; then echo "unit: all passed"; else echo "unit: FAILED"; fi; \
	exit $$fail

UNIT_ALL_OBJS := $(sort $(foreach t,$(UNIT_TESTS),$(call unit_objs,$(UNIT_DIR)/$(t).c $(UNIT_SRCS_$(t)))) \
		 $(call unit_objs,$(UNIT_DIR)/acpi_dump.c))
-include $(UNIT_ALL_OBJS:.o=.d)

# tsan_libvsp: libvsp's worker threads under ThreadSanitizer.  TSan cannot
# share objects with the ASan builds above, so it compiles its sources in
# one go; it runs with the other tests (UNIT_BINS).  clang: gcc's TSan does
# not model the fences of the ring core (-Wtsan).
UNIT_TSAN_CC   ?= clang
UNIT_TSAN      := $(UNIT_BUILD)/tsan_libvsp
UNIT_TSAN_SRCS := $(UNIT_DIR)/tsan_libvsp.c $(LIBVSP_SRCS)
$(UNIT_TSAN): $(addprefix $(TOP)/,$(UNIT_TSAN_SRCS)) $(wildcard $(TOP)/hostside-vsp/lib/*.h) \
		$(TOP)/$(UNIT_DIR)/test_libvsp_fake.h
	@mkdir -p $(@D)
	$(UNIT_TSAN_CC) $(HOST_CFLAGS) -I$(TOP) -fsanitize=thread -o $@ $(filter %.c,$^) $(UNIT_LDLIBS)
unit-build: $(UNIT_TSAN)
UNIT_BINS += $(UNIT_TSAN)

# Generated sources (the DSDT) when BUILD lies outside the tree
# (make BUILD=/tmp/x unit): unit_objs then keeps their absolute path.
$(UNIT_BUILD)/obj/$(BUILD)/%.o: $(BUILD)/%.c
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -c -o $@ $<
