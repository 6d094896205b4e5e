/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fixed-width types and compile-time layout checks for the wire formats in
 * include/enl/, the same names in the kernel and in user space.
 */
#ifndef ENL_TYPES_H
#define ENL_TYPES_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <linux/kernel.h>
#define ENL_ARRAY_SIZE(a) ARRAY_SIZE(a)
#define ENL_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#include <stddef.h>
#include <stdint.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
#define ENL_STATIC_ASSERT(c, m) _Static_assert(c, m)
#define ENL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define ENL_SIZE_ASSERT(type, size) \
	ENL_STATIC_ASSERT(sizeof(type) == (size), #type " size")
#define ENL_OFFSET_ASSERT(type, field, off) \
	ENL_STATIC_ASSERT(offsetof(type, field) == (off), #type "." #field " offset")

#endif
