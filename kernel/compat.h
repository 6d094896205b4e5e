/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The differences between the kernel series enlighten supports (Debian
 * 12's 6.1 and 6.12), in one place.  Code uses the ENL_ names below and
 * never tests LINUX_VERSION_CODE itself.
 */
#ifndef ENL_COMPAT_H
#define ENL_COMPAT_H

#include <linux/version.h>
#include <linux/device.h>

/* 6.3 made bus_type.uevent take a const device, 6.11 .match a const driver */
#if KERNEL_VERSION(6, 3, 0) <= LINUX_VERSION_CODE
#define ENL_UEVENT_DEV_CONST const
#else
#define ENL_UEVENT_DEV_CONST
#endif

#if KERNEL_VERSION(6, 11, 0) <= LINUX_VERSION_CODE
#define ENL_MATCH_DRV_CONST const
#else
#define ENL_MATCH_DRV_CONST
#endif

/* container_of() on a possibly const pointer, keeping the constness */
#define enl_container_of(ptr, type, member) \
	container_of((typeof(ptr))(ptr), type, member)

#endif
