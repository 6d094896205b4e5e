# SPDX-License-Identifier: GPL-2.0-only
# enl-host build rules.  The lead owns this file; the block below between
# the ACPI/AML markers is maintained with the ACPI tables (acpi.c, dsdt.asl).

# ---- BEGIN ACPI/AML block --------------------------------------------------
# dsdt.asl --iasl--> $(VMM_DSDT_AML) --od--> $(VMM_DSDT_C) (a C array:
# enl_dsdt_aml[], enl_dsdt_aml_len, declared in acpi.c).  enl-host links
# hostside-vsp/vmm/acpi.c together with $(VMM_DSDT_O); the unit tests
# compile $(VMM_DSDT_C) themselves.  iasl reads layout.h through its
# preprocessor.  -we: warnings fail the build; -vw 6033: allow the _HID
# "VMBUS", which Linux matches but which is not a PNP/ACPI-format ID.
VMM_ACPI_DIR   := hostside-vsp/vmm
VMM_GEN        := $(BUILD)/gen/vmm
VMM_DSDT_ASL   := $(VMM_ACPI_DIR)/dsdt.asl
VMM_DSDT_AML   := $(VMM_GEN)/dsdt.aml
VMM_DSDT_C     := $(VMM_GEN)/dsdt_aml.c
VMM_DSDT_O     := $(OBJ)/vmm/dsdt_aml.o
IASL           ?= iasl
IASL_FLAGS     := -vs -we -vw 6033 -I $(TOP)/$(VMM_ACPI_DIR)

$(VMM_DSDT_AML): $(VMM_DSDT_ASL) $(VMM_ACPI_DIR)/layout.h
	@mkdir -p $(@D)
	@rm -f $@
	$(IASL) $(IASL_FLAGS) -p $(basename $@) $< >$(@D)/iasl-dsdt.log 2>&1 || \
		{ cat $(@D)/iasl-dsdt.log; rm -f $@; exit 1; }

$(VMM_DSDT_C): $(VMM_DSDT_AML)
	@mkdir -p $(@D)
	@{ echo '/* Generated from $(VMM_DSDT_ASL) by iasl; do not edit. */'; \
	   echo '#include <stddef.h>'; \
	   echo 'extern const unsigned char enl_dsdt_aml[];'; \
	   echo 'extern const size_t enl_dsdt_aml_len;'; \
	   echo 'const unsigned char enl_dsdt_aml[] = {'; \
	   od -An -v -tx1 $< | sed -e 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g' -e 's/^/\t/'; \
	   echo '};'; \
	   echo 'const size_t enl_dsdt_aml_len = sizeof(enl_dsdt_aml);'; \
	 } >$@.tmp && mv $@.tmp $@

$(VMM_DSDT_O): $(VMM_DSDT_C)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -c -o $@ $<
# ---- END ACPI/AML block ----------------------------------------------------

# ---- enl-host ----------------------------------------------------------------
# Code shared with libvsp, and the VMBus version list shared with the guest.
include hostside-vsp/common/common.mk

VMM_SRCS := main.c vm.c vcpu.c cpuid.c boot.c pio.c hyperv.c uart.c rtc.c acpi.c \
	    synic.c vmbus_server.c vsp_server.c vsp_bus.c vsp_status.c
VMM_OBJS := $(addprefix $(OBJ)/vmm/,$(VMM_SRCS:.c=.o)) $(VMM_DSDT_O) \
	    $(VSP_COMMON_OBJS) $(VMBUS_VERSIONS_OBJ)
# --disk is checked with enl-storvsp's own parser before the guest boots
# (vmconf links it).
VMM_OBJS += $(VMCONF_OBJS)
# --nic is checked with enl-netvsp's parser likewise.
VMM_OBJS += $(OBJ)/vmm/netvsp/spec.o
VMM_DEPS := $(VMM_OBJS:.o=.d)

.PHONY: host
host: $(BIN)/enl-host

$(OBJ)/vmm/%.o: $(VMM_ACPI_DIR)/%.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -I$(TOP) -MMD -MP -c -o $@ $<

$(BIN)/enl-host: $(VMM_OBJS)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(HOST_LDFLAGS)

$(OBJ)/vmm/netvsp/spec.o: hostside-vsp/netvsp/spec.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -I$(TOP) -MMD -MP -c -o $@ $<

-include $(VMM_DEPS)
