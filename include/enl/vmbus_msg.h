/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VMBus channel messages: the control plane between the guest's bus driver
 * and the host, carried in SynIC messages (HvPostMessage one way, the SIMP
 * slot of SINT 2 the other).  Layouts as the stock Linux guest sends them.
 */
#ifndef ENL_VMBUS_MSG_H
#define ENL_VMBUS_MSG_H

#include <enl/types.h>
#include <enl/guid.h>

#define VMBUS_VERSION(major, minor)	(((u32)(major) << 16) | (minor))
#define VMBUS_VERSION_WIN8		VMBUS_VERSION(2, 4)
#define VMBUS_VERSION_WIN8_1		VMBUS_VERSION(3, 0)
#define VMBUS_VERSION_WIN10		VMBUS_VERSION(4, 0)
#define VMBUS_VERSION_WIN10_V4_1	VMBUS_VERSION(4, 1)
#define VMBUS_VERSION_WIN10_V5		VMBUS_VERSION(5, 0)
#define VMBUS_VERSION_WIN10_V5_1	VMBUS_VERSION(5, 1)
#define VMBUS_VERSION_WIN10_V5_2	VMBUS_VERSION(5, 2)
#define VMBUS_VERSION_WIN10_V5_3	VMBUS_VERSION(5, 3)

/* HvPostMessage connection ids */
#define VMBUS_MESSAGE_CONNECTION_ID	1	/* before 5.0 */
#define VMBUS_EVENT_CONNECTION_ID	2
#define VMBUS_MONITOR_CONNECTION_ID	3
#define VMBUS_MESSAGE_CONNECTION_ID_4	4	/* INITIATE_CONTACT from 5.0 */

/* Event flags live in a 2048-bit bitmap: relids are below that. */
#define VMBUS_MAX_RELID			2047

enum vmbus_msgtype {
	CHANNELMSG_INVALID = 0,
	CHANNELMSG_OFFERCHANNEL = 1,
	CHANNELMSG_RESCIND_CHANNELOFFER = 2,
	CHANNELMSG_REQUESTOFFERS = 3,
	CHANNELMSG_ALLOFFERS_DELIVERED = 4,
	CHANNELMSG_OPENCHANNEL = 5,
	CHANNELMSG_OPENCHANNEL_RESULT = 6,
	CHANNELMSG_CLOSECHANNEL = 7,
	CHANNELMSG_GPADL_HEADER = 8,
	CHANNELMSG_GPADL_BODY = 9,
	CHANNELMSG_GPADL_CREATED = 10,
	CHANNELMSG_GPADL_TEARDOWN = 11,
	CHANNELMSG_GPADL_TORNDOWN = 12,
	CHANNELMSG_RELID_RELEASED = 13,
	CHANNELMSG_INITIATE_CONTACT = 14,
	CHANNELMSG_VERSION_RESPONSE = 15,
	CHANNELMSG_UNLOAD = 16,
	CHANNELMSG_UNLOAD_RESPONSE = 17,
	CHANNELMSG_TL_CONNECT_REQUEST = 21,
	CHANNELMSG_MODIFYCHANNEL = 22,
	CHANNELMSG_TL_CONNECT_RESULT = 23,
	CHANNELMSG_MODIFYCHANNEL_RESPONSE = 24,
	CHANNELMSG_COUNT
};

struct vmbus_msg_hdr {
	u32 msgtype;
	u32 padding;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vmbus_msg_hdr, 8);

#define VMBUS_CHAN_FLAG_PIPE_MODE	0x0010
#define VMBUS_OFFER_USER_DATA		120

struct vmbus_offer_channel {
	struct vmbus_msg_hdr hdr;
	enl_guid_t if_type;		/* device class */
	enl_guid_t if_instance;
	u64 interrupt_latency;		/* 100 ns units */
	u32 if_revision;
	u32 server_ctx_size;
	u16 chn_flags;
	u16 mmio_megabytes;
	u8 user_defined[VMBUS_OFFER_USER_DATA];
	u16 sub_channel_index;		/* 0: primary channel */
	u16 reserved;
	u32 child_relid;
	u8 monitorid;
	u8 monitor_allocated;		/* bit 0 */
	u16 is_dedicated_interrupt;	/* bit 0 */
	u32 connection_id;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vmbus_offer_channel, 196);
ENL_OFFSET_ASSERT(struct vmbus_offer_channel, chn_flags, 56);
ENL_OFFSET_ASSERT(struct vmbus_offer_channel, sub_channel_index, 180);
ENL_OFFSET_ASSERT(struct vmbus_offer_channel, child_relid, 184);
ENL_OFFSET_ASSERT(struct vmbus_offer_channel, connection_id, 192);

/* RESCIND_CHANNELOFFER, CLOSECHANNEL and RELID_RELEASED */
struct vmbus_relid_msg {
	struct vmbus_msg_hdr hdr;
	u32 child_relid;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vmbus_relid_msg, 12);

struct vmbus_open_channel {
	struct vmbus_msg_hdr hdr;
	u32 child_relid;
	u32 openid;
	u32 ring_gpadl;
	u32 target_vp;
	u32 downstream_page_offset;	/* where the host-to-guest ring starts */
	u8 user_data[VMBUS_OFFER_USER_DATA];
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vmbus_open_channel, 148);

struct vmbus_open_result {
	struct vmbus_msg_hdr hdr;
	u32 child_relid;
	u32 openid;
	u32 status;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vmbus_open_result, 20);

struct vmbus_gpa_range {
	u32 byte_count;
	u32 byte_offset;
	/* followed by the range's page frame numbers, u64 each */
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vmbus_gpa_range, 8);

struct vmbus_gpadl_header {
	struct vmbus_msg_hdr hdr;
	u32 child_relid;
	u32 gpadl;
	u16 range_buflen;	/* can wrap for large GPADLs: not trusted */
	u16 rangecount;
	/* followed by rangecount ranges, continued in GPADL_BODY messages */
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vmbus_gpadl_header, 20);

struct vmbus_gpadl_body {
	struct vmbus_msg_hdr hdr;
	u32 msgnumber;
	u32 gpadl;
	/* followed by more of the range data, u64 each */
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vmbus_gpadl_body, 16);

#define VMBUS_GPADL_HEADER_PFNS	26	/* after one range header */
#define VMBUS_GPADL_BODY_PFNS	28

struct vmbus_gpadl_created {
	struct vmbus_msg_hdr hdr;
	u32 child_relid;
	u32 gpadl;
	u32 creation_status;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vmbus_gpadl_created, 20);

struct vmbus_gpadl_teardown {
	struct vmbus_msg_hdr hdr;
	u32 child_relid;
	u32 gpadl;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vmbus_gpadl_teardown, 16);

struct vmbus_gpadl_torndown {
	struct vmbus_msg_hdr hdr;
	u32 gpadl;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vmbus_gpadl_torndown, 12);

struct vmbus_initiate_contact {
	struct vmbus_msg_hdr hdr;
	u32 version_requested;
	u32 target_vcpu;	/* VP index that receives the messages */
	union {
		u64 interrupt_page;	/* before 5.0 */
		struct {
			u8 msg_sint;	/* from 5.0 */
			u8 msg_vtl;
			u8 reserved[6];
		} __attribute__((packed));
	};
	u64 monitor_page1;
	u64 monitor_page2;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vmbus_initiate_contact, 40);

struct vmbus_version_response {
	struct vmbus_msg_hdr hdr;
	u8 version_supported;
	u8 connection_state;
	u16 padding;
	u32 msg_conn_id;	/* from 5.0: where later messages go */
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vmbus_version_response, 16);

struct vmbus_modify_channel {
	struct vmbus_msg_hdr hdr;
	u32 child_relid;
	u32 target_vp;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vmbus_modify_channel, 16);

struct vmbus_modify_channel_response {
	struct vmbus_msg_hdr hdr;
	u32 child_relid;
	u32 status;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vmbus_modify_channel_response, 16);

#endif
