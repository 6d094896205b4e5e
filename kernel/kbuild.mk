# SPDX-License-Identifier: GPL-2.0-only
# Kbuild file of the guest modules.  kernel/kernel.mk (and dkms-install)
# copies it as "Kbuild" to the top of a staged tree that mirrors the
# repository (kernel/, ic-services/, include/enl/) and runs Kbuild there.

obj-m := enl_vmbus.o enl_ic.o

enl_vmbus-y := kernel/bus.o kernel/conn.o kernel/channel.o kernel/hv.o \
	       include/enl/ring.o include/enl/vmbus_guest.o \
	       include/enl/vmbus_packet.o

enl_ic-y := ic-services/ic_main.o ic-services/ic_heartbeat.o include/enl/ic.o

ccflags-y := -I$(src)/include -I$(src)/kernel/include -I$(src)/kernel
