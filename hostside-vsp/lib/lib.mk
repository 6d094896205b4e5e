# SPDX-License-Identifier: GPL-2.0-only
# libvsp: the static library every VSP daemon links.  It also carries the
# pure-C cores from include/enl/ (ring buffers, IC framing, packets) and
# hostside-vsp/common (VSP_COMMON_SRCS, defined by vmm.mk's common.mk).
# Included by the top-level Makefile.

LIBVSP_DIR  := hostside-vsp/lib
LIBVSP_A    := $(BUILD)/lib/libvsp.a
LIBVSP_SRCS := $(LIBVSP_DIR)/transport.c $(LIBVSP_DIR)/conn.c \
	       $(LIBVSP_DIR)/loop.c $(LIBVSP_DIR)/ctl.c $(LIBVSP_DIR)/chan.c \
	       $(LIBVSP_DIR)/inflight.c $(LIBVSP_DIR)/gpadl.c $(LIBVSP_DIR)/util.c \
	       include/enl/ring.c include/enl/ic.c include/enl/vmbus_packet.c \
	       $(VSP_COMMON_SRCS)
LIBVSP_OBJS := $(patsubst %.c,$(OBJ)/libvsp/%.o,$(LIBVSP_SRCS))

.PHONY: libvsp daemons
libvsp: $(LIBVSP_A)

$(OBJ)/libvsp/%.o: $(TOP)/%.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -MMD -MP -c -o $@ $<

$(LIBVSP_A): $(LIBVSP_OBJS)
	@mkdir -p $(@D)
	@rm -f $@
	$(AR) rcs $@ $^

-include $(LIBVSP_OBJS:.o=.d)
