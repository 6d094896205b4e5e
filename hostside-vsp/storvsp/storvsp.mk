# SPDX-License-Identifier: GPL-2.0-only
# enl-storvsp, the synthetic SCSI controller daemon.  Included by the
# top-level Makefile; links libvsp (hostside-vsp/lib/lib.mk).

STORVSP_DIR  := hostside-vsp/storvsp
# The target without main.c: what the unit tests and the fuzzer link.
STORVSP_CORE := $(STORVSP_DIR)/vstor.c $(STORVSP_DIR)/scsi.c \
		$(STORVSP_DIR)/backend.c $(STORVSP_DIR)/spec.c include/enl/vstor.c
STORVSP_SRCS := $(STORVSP_DIR)/main.c $(STORVSP_DIR)/pool.c $(STORVSP_CORE)
STORVSP_OBJS := $(patsubst %.c,$(OBJ)/storvsp/%.o,$(STORVSP_SRCS))

daemons: $(BIN)/enl-storvsp

$(OBJ)/storvsp/%.o: $(TOP)/%.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -I$(TOP) -MMD -MP -c -o $@ $<

# liburing (Debian's liburing-dev) for the io_uring backend.
$(BIN)/enl-storvsp: $(STORVSP_OBJS) $(VMCONF_OBJ) $(LIBVSP_A)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(HOST_LDFLAGS) -luring

-include $(STORVSP_OBJS:.o=.d)

# Unit tests (tests/unit/test_storvsp*.c): the protocol and the SCSI target
# against a fake guest RAM and a memory or file backend.  unit.mk comes
# later, so paths and flags are spelled out here.
UNIT_SRCS_test_storvsp := $(STORVSP_CORE) include/enl/vmbus_packet.c
UNIT_LDLIBS_test_storvsp := -luring
$(BUILD)/tests/unit/test_storvsp: UNIT_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all

# The real daemon against the fake enl-host and guest (test_libvsp_fake.h).
UNIT_SRCS_test_storvsp_daemon := $(LIBVSP_SRCS)
$(BUILD)/tests/unit/test_storvsp_daemon: | $(BIN)/enl-storvsp
$(BUILD)/tests/unit/test_storvsp_daemon: UNIT_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all

# The fuzzer over the VSTOR parser and the SCSI target (fuzz.mk comes later).
FUZZ_SRCS_fuzz_storvsp := $(STORVSP_DIR)/vstor.c $(STORVSP_DIR)/scsi.c \
			  include/enl/vstor.c include/enl/vmbus_packet.c
