# SPDX-License-Identifier: GPL-2.0-only
# hostside-vsp/common: code both ends of the VSP socket link (see
# vsp_common.h).  Included from hostside-vsp/vmm/vmm.mk, so it is defined
# before lib.mk, enlctl.mk and the tests read these variables.
#
#   VSP_COMMON_SRCS   sources, relative to the top; libvsp compiles them
#                     into libvsp.a with its own rule, unit tests list them
#   VSP_COMMON_OBJS   the same compiled for enl-host and enlctl
#   VMBUS_VERSIONS_SRC the one VMBus version list (enl_vmbus_versions[]),
#                     shared with the guest module

VSP_COMMON_DIR  := hostside-vsp/common
VSP_COMMON_SRCS := $(VSP_COMMON_DIR)/transport.c $(VSP_COMMON_DIR)/util.c \
		   $(VSP_COMMON_DIR)/ctl.c
VSP_COMMON_OBJS := $(patsubst %.c,$(OBJ)/common/%.o,$(VSP_COMMON_SRCS))
VMBUS_VERSIONS_SRC := include/enl/vmbus_guest.c
VMBUS_VERSIONS_OBJ := $(patsubst %.c,$(OBJ)/common/%.o,$(VMBUS_VERSIONS_SRC))

$(OBJ)/common/%.o: $(TOP)/%.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -I$(TOP) -MMD -MP -c -o $@ $<

# The VM file (vmconf.c), for enl-host and the daemons; it checks disks
# with enl-storvsp's --disk parser.
VMCONF_SRCS := $(VSP_COMMON_DIR)/vmconf.c hostside-vsp/storvsp/spec.c
VMCONF_OBJS := $(patsubst %.c,$(OBJ)/common/%.o,$(VMCONF_SRCS))
VMCONF_OBJ  := $(firstword $(VMCONF_OBJS))

# cmocka: tests/unit/test_vmconf.c (unit.mk comes later)
UNIT_SRCS_test_vmconf := $(VMCONF_SRCS)
# it also runs the real programs with bad files
$(BUILD)/tests/unit/test_vmconf: | $(BIN)/enl-host $(BIN)/enl-storvsp $(BIN)/enl-icvsp $(BIN)/enl-netvsp $(BIN)/enlctl
$(BUILD)/tests/unit/test_vmconf: UNIT_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all

-include $(VMCONF_OBJS:.o=.d)
-include $(VSP_COMMON_OBJS:.o=.d) $(VMBUS_VERSIONS_OBJ:.o=.d)
