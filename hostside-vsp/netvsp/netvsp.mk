# SPDX-License-Identifier: GPL-2.0-only
# enl-netvsp, the synthetic network adapter daemon.  Included by the
# top-level Makefile; links libvsp (hostside-vsp/lib/lib.mk).

NETVSP_DIR  := hostside-vsp/netvsp
# The target without main.c and the tap: what the unit tests and the
# fuzzer link.
NETVSP_CORE := $(NETVSP_DIR)/nvsp.c $(NETVSP_DIR)/spec.c include/enl/nvsp.c \
	       include/enl/rndis.c
NETVSP_SRCS := $(NETVSP_DIR)/main.c $(NETVSP_DIR)/tap.c $(NETVSP_CORE)
NETVSP_OBJS := $(patsubst %.c,$(OBJ)/netvsp/%.o,$(NETVSP_SRCS))

daemons: $(BIN)/enl-netvsp

$(OBJ)/netvsp/%.o: $(TOP)/%.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -I$(TOP) -MMD -MP -c -o $@ $<

# the VM file (--config): vmconf, which checks disks with storvsp's parser
$(BIN)/enl-netvsp: $(NETVSP_OBJS) $(VMCONF_OBJS) $(LIBVSP_A)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(HOST_LDFLAGS)

-include $(NETVSP_OBJS:.o=.d)

# Unit tests: the protocol against a fake guest (unit.mk comes later).
UNIT_SRCS_test_netvsp := $(NETVSP_CORE) include/enl/vmbus_packet.c
$(BUILD)/tests/unit/test_netvsp: UNIT_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all

# The fuzzer over NVSP + RNDIS as the daemon parses them (fuzz.mk comes later).
FUZZ_SRCS_fuzz_netvsp := $(NETVSP_CORE) include/enl/vmbus_packet.c

# Its channel code (main.c, included by the test) on libvsp against a fake
# enl-host and guest: what a kill leaves for the next daemon.
UNIT_SRCS_test_netvsp_chan := $(NETVSP_DIR)/tap.c $(NETVSP_CORE) $(LIBVSP_SRCS) \
	$(VMCONF_SRCS)
$(BUILD)/tests/unit/test_netvsp_chan: UNIT_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all
