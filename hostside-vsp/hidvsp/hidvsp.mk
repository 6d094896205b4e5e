# SPDX-License-Identifier: GPL-2.0-only
# enl-hidvsp, the synthetic mouse and keyboard daemon.  Included by the
# top-level Makefile; links libvsp (hostside-vsp/lib/lib.mk).

HIDVSP_DIR  := hostside-vsp/hidvsp
HIDVSP_SRCS := $(HIDVSP_DIR)/main.c $(HIDVSP_DIR)/mouse.c $(HIDVSP_DIR)/keyboard.c \
	       $(HIDVSP_DIR)/input.c include/enl/synthhid.c
HIDVSP_OBJS := $(patsubst %.c,$(OBJ)/hidvsp/%.o,$(HIDVSP_SRCS))

daemons: $(BIN)/enl-hidvsp

$(OBJ)/hidvsp/%.o: $(TOP)/%.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -I$(TOP) -MMD -MP -c -o $@ $<

$(BIN)/enl-hidvsp: $(HIDVSP_OBJS) $(VMCONF_OBJS) $(LIBVSP_A)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(HOST_LDFLAGS)

-include $(HIDVSP_OBJS:.o=.d)

# Unit test (tests/unit/test_synthhid.c): the shared parsers and the
# daemon's input layer (keymap, commands) with the senders stubbed.
# unit.mk comes later, so paths and flags are spelled out here.
# It also runs the real enl-hidvsp against the fake enl-host and guest of
# tests/unit/test_libvsp_fake.h.
UNIT_SRCS_test_synthhid := include/enl/synthhid.c $(HIDVSP_DIR)/input.c $(LIBVSP_SRCS)
$(BUILD)/tests/unit/test_synthhid: | $(BIN)/enl-hidvsp
$(BUILD)/tests/unit/test_synthhid: UNIT_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all
