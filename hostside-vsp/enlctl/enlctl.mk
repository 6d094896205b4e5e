# SPDX-License-Identifier: GPL-2.0-only
# enlctl, the operator's command-line tool.  Included by the top-level
# Makefile; links the code shared by both ends of the VSP socket
# (hostside-vsp/common, VSP_COMMON_OBJS from vmm.mk's common.mk).

# Every .c here: a command group is one file (enlctl.h).
ENLCTL_SRCS := $(sort $(patsubst $(TOP)/%,%,$(wildcard $(TOP)/hostside-vsp/enlctl/*.c)))
ENLCTL_OBJS := $(patsubst %.c,$(OBJ)/enlctl/%.o,$(ENLCTL_SRCS))

daemons: $(BIN)/enlctl

$(OBJ)/enlctl/%.o: $(TOP)/%.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -I$(TOP) -MMD -MP -c -o $@ $<

$(BIN)/enlctl: $(ENLCTL_OBJS) $(VSP_COMMON_OBJS) $(VMCONF_OBJS)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(HOST_LDFLAGS)

-include $(ENLCTL_OBJS:.o=.d)
