/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VMBus packets as they sit in a channel's ring buffers (see
 * shared/PROTOCOL.md "Ring buffers").  Every packet starts with a 16-byte
 * descriptor; offset8 and len8 count 8-byte units from the descriptor's
 * first byte.  The payload (from offset8 * 8 up to len8 * 8) is padded to
 * 8 bytes, and the writer follows each packet with a u64 trailer that
 * readers skip.  Used by the guest modules and by the host daemons alike.
 */
#ifndef ENL_VMBUS_PACKET_H
#define ENL_VMBUS_PACKET_H

#include <enl/types.h>
#include <enl/vmbus_msg.h>	/* struct vmbus_gpa_range */

enum vmbus_pkt_type {
	VMBUS_PKT_INBAND = 0x6,		/* data inside the ring */
	VMBUS_PKT_XFER_PAGES = 0x7,	/* data in a transfer-page set */
	VMBUS_PKT_GPA_DIRECT = 0x9,	/* data in guest pages listed inline */
	VMBUS_PKT_COMPLETION = 0xB,	/* answer to a packet that asked for one */
};

/* descriptor flags */
#define VMBUS_PKT_FLAG_COMPLETION_REQUESTED	0x0001

struct vmbus_pkt_desc {
	u16 type;		/* enum vmbus_pkt_type */
	u16 offset8;		/* payload offset from the descriptor, / 8 */
	u16 len8;		/* whole packet without trailer, / 8 */
	u16 flags;
	u64 trans_id;		/* echoed in the completion */
};
ENL_SIZE_ASSERT(struct vmbus_pkt_desc, 16);
ENL_OFFSET_ASSERT(struct vmbus_pkt_desc, offset8, 2);
ENL_OFFSET_ASSERT(struct vmbus_pkt_desc, len8, 4);
ENL_OFFSET_ASSERT(struct vmbus_pkt_desc, flags, 6);
ENL_OFFSET_ASSERT(struct vmbus_pkt_desc, trans_id, 8);

/* Largest packet a descriptor can describe (len8 is a u16). */
#define VMBUS_PKT_MAX_LEN	(0xffffu * 8)

/* After each packet: the writer's write index before the packet, << 32. */
typedef u64 vmbus_pkt_trailer_t;
#define VMBUS_PKT_TRAILER_LEN	8

/*
 * GPA-direct packet (type 9): descriptor, then this header, then range_count
 * ranges, each a struct vmbus_gpa_range followed by its PFNs.  offset8
 * covers everything up to the end of the ranges.
 */
struct vmbus_pkt_gpa_direct {
	struct vmbus_pkt_desc d;
	u32 reserved;
	u32 range_count;
	/* struct vmbus_gpa_range + u64 pfn[] ... */
};
ENL_SIZE_ASSERT(struct vmbus_pkt_gpa_direct, 24);

/*
 * Transfer-page packet (type 7): data lives in a transfer-page set (for
 * netvsc: the receive buffer GPADL) and ranges point into it.
 */
struct vmbus_xfer_range {
	u32 byte_count;
	u32 byte_offset;
};
ENL_SIZE_ASSERT(struct vmbus_xfer_range, 8);

struct vmbus_pkt_xfer_pages {
	struct vmbus_pkt_desc d;
	u16 pageset_id;
	u8 sender_owns_set;
	u8 reserved;
	u32 range_count;
	struct vmbus_xfer_range range[];
};
ENL_SIZE_ASSERT(struct vmbus_pkt_xfer_pages, 24);
ENL_OFFSET_ASSERT(struct vmbus_pkt_xfer_pages, range_count, 20);

/* Round a byte count up to the 8-byte packet granule. */
#define VMBUS_PKT_ALIGN(n)	(((n) + 7u) & ~7u)

#endif
