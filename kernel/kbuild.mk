# SPDX-License-Identifier: GPL-2.0-only
# Kbuild file of the guest modules.  kernel/kernel.mk (for `make modules`
# and for the DKMS package) copies it as "Kbuild" to the top of a staged
# tree that mirrors the repository (the module folders and include/enl/),
# with one line in front of it:
#
#   ENL_MODULE_DIRS := kernel ic-services ...
#
# the folders that hold a module.kbuild fragment.  Each fragment adds its
# module (obj-m += NAME.o, NAME-y := objects, paths from the top), so a
# new module folder needs no change here.

ifeq ($(strip $(ENL_MODULE_DIRS)),)
# a tree staged by hand: every fragment there is
ENL_MODULE_DIRS := $(patsubst $(src)/%/module.kbuild,%,$(wildcard $(src)/*/module.kbuild))
endif

include $(foreach d,$(ENL_MODULE_DIRS),$(src)/$(d)/module.kbuild)

# include/enl (wire formats, pure logic) and enl_vmbus's driver API for
# every module; enl_vmbus's own files find its private headers beside them.
ccflags-y += -I$(src)/include -I$(src)/kernel/include -I$(src)/kernel
