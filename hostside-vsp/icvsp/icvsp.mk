# SPDX-License-Identifier: GPL-2.0-only
# enl-icvsp, the integration-services daemon.  Included by the top-level
# Makefile; links libvsp (hostside-vsp/lib/lib.mk).

ICVSP_DIR  := hostside-vsp/icvsp
ICVSP_SRCS := $(ICVSP_DIR)/main.c $(ICVSP_DIR)/icvsp.c $(ICVSP_DIR)/heartbeat.c \
	      $(ICVSP_DIR)/shutdown.c $(ICVSP_DIR)/timesync.c $(ICVSP_DIR)/kvp.c \
	      $(ICVSP_DIR)/fcopy.c $(ICVSP_DIR)/vss.c $(ICVSP_DIR)/imgcopy.c
ICVSP_OBJS := $(patsubst %.c,$(OBJ)/icvsp/%.o,$(ICVSP_SRCS))

daemons: $(BIN)/enl-icvsp

$(OBJ)/icvsp/%.o: $(TOP)/%.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -I$(TOP) -MMD -MP -c -o $@ $<

$(BIN)/enl-icvsp: $(ICVSP_OBJS) $(VMCONF_OBJS) $(LIBVSP_A)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(HOST_LDFLAGS)

-include $(ICVSP_OBJS:.o=.d)
