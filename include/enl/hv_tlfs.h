/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Hyper-V hypervisor interface facts used on both sides of the bus:
 * CPUID leaves and bits, synthetic MSRs, hypercall codes and status values,
 * and the SynIC message slot.  Compiles in the kernel and in user space.
 */
#ifndef ENL_HV_TLFS_H
#define ENL_HV_TLFS_H

#include <enl/types.h>

/* CPUID leaves */
#define HV_CPUID_VENDOR			0x40000000
#define HV_CPUID_INTERFACE		0x40000001
#define HV_CPUID_VERSION		0x40000002
#define HV_CPUID_FEATURES		0x40000003
#define HV_CPUID_ENLIGHTENMENT		0x40000004
#define HV_CPUID_LIMITS			0x40000005
#define HV_CPUID_HW_FEATURES		0x40000006
#define HV_CPUID_MIN_MAX_LEAF		0x40000005
#define HV_CPUID_INTERFACE_HV1		0x31237648	/* "Hv#1" */

/* HV_CPUID_FEATURES.EAX: partition privilege mask, low half */
#define HV_MSR_VP_RUNTIME_AVAILABLE	(1u << 0)
#define HV_MSR_TIME_REF_COUNT_AVAILABLE	(1u << 1)
#define HV_MSR_SYNIC_AVAILABLE		(1u << 2)
#define HV_MSR_SYNTIMER_AVAILABLE	(1u << 3)
#define HV_MSR_APIC_ACCESS_AVAILABLE	(1u << 4)
#define HV_MSR_HYPERCALL_AVAILABLE	(1u << 5)
#define HV_MSR_VP_INDEX_AVAILABLE	(1u << 6)
#define HV_MSR_RESET_AVAILABLE		(1u << 7)
#define HV_MSR_REFERENCE_TSC_AVAILABLE	(1u << 9)
#define HV_ACCESS_FREQUENCY_MSRS	(1u << 11)
/* HV_CPUID_FEATURES.EBX: partition privilege mask, high half */
#define HV_POST_MESSAGES		(1u << 4)
#define HV_SIGNAL_EVENTS		(1u << 5)
/* HV_CPUID_FEATURES.EDX */
#define HV_FEATURE_FREQUENCY_MSRS_AVAILABLE	(1u << 8)
#define HV_STIMER_DIRECT_MODE_AVAILABLE	(1u << 19)
/* HV_CPUID_ENLIGHTENMENT.EAX */
#define HV_RELAXED_TIMING_RECOMMENDED	(1u << 5)
#define HV_DEPRECATING_AEOI_RECOMMENDED	(1u << 9)

/* Synthetic MSRs */
#define HV_X64_MSR_GUEST_OS_ID		0x40000000
#define HV_X64_MSR_HYPERCALL		0x40000001
#define HV_X64_MSR_VP_INDEX		0x40000002
#define HV_X64_MSR_TIME_REF_COUNT	0x40000020
#define HV_X64_MSR_REFERENCE_TSC	0x40000021
#define HV_X64_MSR_SCONTROL		0x40000080
#define HV_X64_MSR_SVERSION		0x40000081
#define HV_X64_MSR_SIEFP		0x40000082
#define HV_X64_MSR_SIMP			0x40000083
#define HV_X64_MSR_EOM			0x40000084
#define HV_X64_MSR_SINT0		0x40000090

#define HV_SYNIC_CONTROL_ENABLE		(1ull << 0)
#define HV_SYNIC_PAGE_ENABLE		(1ull << 0)
#define HV_SYNIC_PAGE_GPA_MASK		(~0xfffull)
#define HV_SYNIC_SINT_COUNT		16
#define HV_SYNIC_SINT_MASKED		(1ull << 16)
#define HV_SYNIC_SINT_AUTO_EOI		(1ull << 17)

/* VMBus uses SINT 2 for both its messages and its events. */
#define HV_VMBUS_SINT			2

/* Hypercall input value: code bits 0-15, fast bit 16, rep count 32-43 */
#define HV_HYPERCALL_CODE_MASK		0xffffull
#define HV_HYPERCALL_FAST		(1ull << 16)
#define HV_HYPERCALL_VARHEAD_MASK	(0x3ffull << 17)
#define HV_HYPERCALL_REP_COUNT_MASK	(0xfffull << 32)
#define HV_HYPERCALL_REP_START_MASK	(0xfffull << 48)

#define HVCALL_POST_MESSAGE		0x005c
#define HVCALL_SIGNAL_EVENT		0x005d

/* Hypercall status values */
#define HV_STATUS_SUCCESS		0x0000
#define HV_STATUS_INVALID_HYPERCALL_CODE 0x0002
#define HV_STATUS_INVALID_HYPERCALL_INPUT 0x0003
#define HV_STATUS_INVALID_ALIGNMENT	0x0004
#define HV_STATUS_INVALID_PARAMETER	0x0005
#define HV_STATUS_INVALID_PORT_ID	0x0011
#define HV_STATUS_INVALID_CONNECTION_ID	0x0012
#define HV_STATUS_INSUFFICIENT_BUFFERS	0x0013

#define HV_MESSAGE_SIZE			256
#define HV_MESSAGE_PAYLOAD_MAX		240

/* HvPostMessage input, in the page at the input GPA. */
struct hv_post_message_input {
	u32 connection_id;
	u32 reserved;
	u32 message_type;
	u32 payload_size;
	u8 payload[HV_MESSAGE_PAYLOAD_MAX];
} __attribute__((packed));
ENL_SIZE_ASSERT(struct hv_post_message_input, 256);
ENL_OFFSET_ASSERT(struct hv_post_message_input, payload_size, 12);
ENL_OFFSET_ASSERT(struct hv_post_message_input, payload, 16);

#define HV_MESSAGE_TYPE_NONE		0x00000000
#define HV_MESSAGE_TYPE_VMBUS		0x00000001

#define HV_MESSAGE_FLAG_PENDING		0x01

/* One SynIC message slot of the SIMP page (one slot per SINT). */
struct hv_message {
	u32 message_type;
	u8 payload_size;
	u8 message_flags;
	u16 reserved;
	u64 sender;
	u8 payload[HV_MESSAGE_PAYLOAD_MAX];
} __attribute__((packed));
ENL_SIZE_ASSERT(struct hv_message, HV_MESSAGE_SIZE);
ENL_OFFSET_ASSERT(struct hv_message, message_flags, 5);
ENL_OFFSET_ASSERT(struct hv_message, sender, 8);
ENL_OFFSET_ASSERT(struct hv_message, payload, 16);

/* SIEF page: one 256-byte (2048-bit) event-flag bitmap per SINT. */
#define HV_EVENT_FLAGS_BYTES		256

#endif
