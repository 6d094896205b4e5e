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

#define VMBUS_PKT_PAGE_SIZE	4096u

/*
 * A packet taken from a ring (descriptor + payload, no trailer), checked
 * by enl_pkt_parse().  The pointers point into the caller's copy, which
 * must be 8-byte aligned and must not change while they are used.
 */
struct enl_pkt {
	u16 type;		/* enum vmbus_pkt_type */
	u16 flags;
	u64 trans_id;
	const u8 *payload;	/* bytes offset8 * 8 .. len8 * 8 */
	u32 payload_len;
	/* GPA direct and transfer pages: ranges, each checked to fit */
	u32 range_count;
	const u8 *ranges;	/* the first range */
	u32 ranges_len;		/* bytes from ranges up to offset8 * 8 */
	/* transfer pages */
	u16 pageset_id;
	u8 sender_owns_set;
};

/*
 * Check a packet: len8 * 8 == len, 16 <= offset8 * 8 <= len, a known type
 * (inband, transfer pages, GPA direct, completion: else -EOPNOTSUPP), and
 * for the last two every range inside the descriptor area: a transfer-page
 * range is 8 bytes; a GPA range has byte_offset < 4096, byte_count > 0 and
 * exactly as many page numbers as those span.  0 or -EPROTO.
 */
int enl_pkt_parse(const void *pkt, u32 len, struct enl_pkt *p);

/* A GPA-direct range of a parsed packet. */
struct enl_pkt_gpa_range {
	u32 byte_count;
	u32 byte_offset;	/* into the first page, < 4096 */
	u32 pfn_count;
	const u64 *pfn;
};

/* Position in a packet's GPA ranges; start from { 0, 0 }. */
struct enl_pkt_gpa_iter {
	u32 index;
	u32 off;
};

/*
 * The next GPA range of a parsed GPA-direct packet: 1 with *r filled, 0
 * after the last one.
 */
int enl_pkt_next_gpa_range(const struct enl_pkt *p, struct enl_pkt_gpa_iter *it,
			   struct enl_pkt_gpa_range *r);

/*
 * Range i (< range_count) of a parsed transfer-page packet.  The caller
 * still checks offset + count against its own transfer-page set.
 */
struct vmbus_xfer_range enl_pkt_xfer_range(const struct enl_pkt *p, u32 i);

#endif
