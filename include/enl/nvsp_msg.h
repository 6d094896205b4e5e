/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * NVSP: the synthetic network adapter's VMBus protocol (netvsc <-> netvsp).
 * Little-endian, packed.  See shared/PROTOCOL-devices.md section 3.
 *
 * Every NVSP message is a u32 type followed by a 36-byte body union: 40
 * bytes.  Linux sends and expects 40 bytes whatever the version (6.1 reads
 * up to 28 bytes of a completion before it looks at the type), so the host
 * always sends the whole 40.
 *
 * Init (primary channel): INIT (one per version, newest first, until
 * status SUCCESS), NDIS_CONFIG and NDIS_VER (no completion), SEND_RECV_BUF,
 * SEND_SEND_BUF, then RNDIS (include/enl/rndis_msg.h) in SEND_RNDIS_PKT
 * messages.  The host's answers to INIT, *_BUF and SUBCHANNEL are type-11
 * completion packets carrying the request's transaction id; everything RNDIS
 * the host sends goes in transfer-page packets into the receive buffer.
 */
#ifndef ENL_NVSP_MSG_H
#define ENL_NVSP_MSG_H

#include <enl/types.h>

#ifdef __KERNEL__
#include <linux/errno.h>
#else
#include <errno.h>
#include <stdbool.h>
#endif

/* Class GUID of the synthetic network adapter (HV_NIC_GUID). */
#define ENL_NVSP_NIC_GUID_STR	"f8615163-df3e-46c5-913f-f2d2f965ed0e"
#define ENL_NVSP_NIC_GUID_BYTES \
	0x63, 0x51, 0x61, 0xf8, 0x3e, 0xdf, 0xc5, 0x46, \
	0x91, 0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e

/* ---- protocol versions ------------------------------------------------ */

#define ENL_NVSP_VER_1		0x00000002u
#define ENL_NVSP_VER_2		0x00030002u
#define ENL_NVSP_VER_4		0x00040000u
#define ENL_NVSP_VER_5		0x00050000u
#define ENL_NVSP_VER_6		0x00060000u
#define ENL_NVSP_VER_61		0x00060001u
#define ENL_NVSP_VER_INVALID	0xFFFFFFFFu

/* NDIS versions the guest announces in SEND_NDIS_VER (major << 16 | minor). */
#define ENL_NDIS_VER_6_1	0x00060001u	/* NVSP <= 4 */
#define ENL_NDIS_VER_6_30	0x0006001eu	/* NVSP >= 5 */

/* ---- message types ---------------------------------------------------- */

enum enl_nvsp_msg_type {
	ENL_NVSP_MSG_NONE = 0,
	ENL_NVSP_MSG_INIT = 1,
	ENL_NVSP_MSG_INIT_COMPLETE = 2,

	/* version 1 */
	ENL_NVSP_MSG1_SEND_NDIS_VER = 100,
	ENL_NVSP_MSG1_SEND_RECV_BUF = 101,
	ENL_NVSP_MSG1_SEND_RECV_BUF_COMPLETE = 102,
	ENL_NVSP_MSG1_REVOKE_RECV_BUF = 103,
	ENL_NVSP_MSG1_SEND_SEND_BUF = 104,
	ENL_NVSP_MSG1_SEND_SEND_BUF_COMPLETE = 105,
	ENL_NVSP_MSG1_REVOKE_SEND_BUF = 106,
	ENL_NVSP_MSG1_SEND_RNDIS_PKT = 107,
	ENL_NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE = 108,

	/* version 2 (109..124 are chimney/VMQ messages nobody sends) */
	ENL_NVSP_MSG2_SEND_NDIS_CONFIG = 125,
	ENL_NVSP_MSG2_MAX = 127,

	/* version 4 */
	ENL_NVSP_MSG4_SEND_VF_ASSOCIATION = 128,
	ENL_NVSP_MSG4_SWITCH_DATA_PATH = 129,
	ENL_NVSP_MSG4_UPLINK_CONNECT_STATE_DEPRECATED = 130,

	/* version 5 */
	ENL_NVSP_MSG5_OID_QUERY_EX = 131,
	ENL_NVSP_MSG5_OID_QUERY_EX_COMPLETE = 132,
	ENL_NVSP_MSG5_SUBCHANNEL = 133,
	ENL_NVSP_MSG5_SEND_INDIRECTION_TABLE = 134,

	/* version 6 */
	ENL_NVSP_MSG6_PD_API = 135,
	ENL_NVSP_MSG6_PD_POST_BATCH = 136,
};

/* Status values in completions.  Note success is 1, not 0. */
enum enl_nvsp_status {
	ENL_NVSP_STAT_NONE = 0,
	ENL_NVSP_STAT_SUCCESS = 1,
	ENL_NVSP_STAT_FAIL = 2,
	ENL_NVSP_STAT_PROTOCOL_TOO_NEW = 3,
	ENL_NVSP_STAT_PROTOCOL_TOO_OLD = 4,
	ENL_NVSP_STAT_INVALID_RNDIS_PKT = 5,
	ENL_NVSP_STAT_BUSY = 6,
	ENL_NVSP_STAT_PROTOCOL_UNSUPPORTED = 7,
};

/* Buffer ids Linux uses; the receive buffer id is the xfer pageset id. */
#define ENL_NVSP_RECV_BUF_ID	0xCAFEu
#define ENL_NVSP_SEND_BUF_ID	0u

/* SEND_RNDIS_PKT.channel_type */
#define ENL_NVSP_CHANNEL_DATA		0u
#define ENL_NVSP_CHANNEL_CONTROL	1u
/* SEND_RNDIS_PKT.send_buf_section_index when no section is used */
#define ENL_NVSP_NO_SECTION		0xFFFFFFFFu

/* SEND_NDIS_CONFIG.capability bits */
#define ENL_NVSP_CAP_VMQ		(1ull << 0)
#define ENL_NVSP_CAP_CHIMNEY		(1ull << 1)
#define ENL_NVSP_CAP_SRIOV		(1ull << 2)
#define ENL_NVSP_CAP_IEEE8021Q		(1ull << 3)
#define ENL_NVSP_CAP_CORRELATION_ID	(1ull << 4)
#define ENL_NVSP_CAP_TEAMING		(1ull << 5)
#define ENL_NVSP_CAP_VSUBNETID		(1ull << 6)
#define ENL_NVSP_CAP_RSC		(1ull << 7)

/* SUBCHANNEL.op */
#define ENL_NVSP_SUBCHANNEL_NONE	0u
#define ENL_NVSP_SUBCHANNEL_ALLOCATE	1u

/* SWITCH_DATA_PATH.active_datapath */
#define ENL_NVSP_DATAPATH_SYNTHETIC	0u
#define ENL_NVSP_DATAPATH_VF		1u

/* vRSS limits: the send indirection table has 16 entries. */
#define ENL_NVSP_SEND_TABLE_SIZE	16u
#define ENL_NVSP_MAX_CHANNELS		64u

/* Transaction id Linux puts on packets that ask for no completion. */
#define ENL_NVSP_TRANS_ID_NO_RESPONSE	(~(u64)0 - 2)

/* Largest inbound packet the Linux guest accepts (descriptor included). */
#define ENL_NVSP_GUEST_MAX_PKT		4624u

/* ---- message bodies --------------------------------------------------- */

struct enl_nvsp_init {
	u32 min_ver;
	u32 max_ver;
} __attribute__((packed));

struct enl_nvsp_init_complete {
	u32 negotiated_ver;
	u32 max_mdl_chain_len;
	u32 status;
} __attribute__((packed));

struct enl_nvsp_ndis_ver {
	u32 major;
	u32 minor;
} __attribute__((packed));

struct enl_nvsp_ndis_config {
	u32 mtu;		/* interface MTU + 14 */
	u32 reserved;
	u64 capability;		/* ENL_NVSP_CAP_* */
} __attribute__((packed));

/* SEND_RECV_BUF and SEND_SEND_BUF */
struct enl_nvsp_send_buf {
	u32 gpadl_handle;
	u16 id;
} __attribute__((packed));

struct enl_nvsp_recv_section {
	u32 offset;
	u32 sub_alloc_size;
	u32 num_sub_allocs;
	u32 end_offset;
} __attribute__((packed));

struct enl_nvsp_recv_buf_complete {
	u32 status;
	u32 num_sections;	/* Linux requires 1 */
	struct enl_nvsp_recv_section section;
} __attribute__((packed));

struct enl_nvsp_send_buf_complete {
	u32 status;
	u32 section_size;
} __attribute__((packed));

/* REVOKE_RECV_BUF and REVOKE_SEND_BUF */
struct enl_nvsp_revoke_buf {
	u16 id;
} __attribute__((packed));

struct enl_nvsp_rndis_pkt {
	u32 channel_type;		/* ENL_NVSP_CHANNEL_* */
	u32 send_buf_section_index;	/* or ENL_NVSP_NO_SECTION */
	u32 send_buf_section_size;	/* bytes used in that section */
} __attribute__((packed));

struct enl_nvsp_rndis_pkt_complete {
	u32 status;
} __attribute__((packed));

struct enl_nvsp_vf_association {
	u32 allocated;
	u32 serial;
} __attribute__((packed));

struct enl_nvsp_switch_data_path {
	u32 active_datapath;
} __attribute__((packed));

struct enl_nvsp_subchannel_req {
	u32 op;
	u32 num_subchannels;
} __attribute__((packed));

struct enl_nvsp_subchannel_complete {
	u32 status;
	u32 num_subchannels;	/* granted, <= requested */
} __attribute__((packed));

/*
 * Host -> guest, inband, no completion.  offset counts from the start of
 * this body (Linux < NVSP 6.1 reads it so; it re-bases to the whole message
 * only for packets >= 104 bytes), followed by count u32 channel numbers.
 */
struct enl_nvsp_indirection_table {
	u32 count;		/* ENL_NVSP_SEND_TABLE_SIZE */
	u32 offset;
} __attribute__((packed));

#define ENL_NVSP_BODY_SIZE	36u

struct enl_nvsp_msg {
	u32 type;		/* enum enl_nvsp_msg_type */
	union {
		struct enl_nvsp_init init;
		struct enl_nvsp_init_complete init_complete;
		struct enl_nvsp_ndis_ver ndis_ver;
		struct enl_nvsp_ndis_config ndis_config;
		struct enl_nvsp_send_buf send_buf;
		struct enl_nvsp_recv_buf_complete recv_buf_complete;
		struct enl_nvsp_send_buf_complete send_buf_complete;
		struct enl_nvsp_revoke_buf revoke_buf;
		struct enl_nvsp_rndis_pkt rndis_pkt;
		struct enl_nvsp_rndis_pkt_complete rndis_pkt_complete;
		struct enl_nvsp_vf_association vf_association;
		struct enl_nvsp_switch_data_path switch_data_path;
		struct enl_nvsp_subchannel_req subchannel_req;
		struct enl_nvsp_subchannel_complete subchannel_complete;
		struct enl_nvsp_indirection_table indirection_table;
		u8 raw[ENL_NVSP_BODY_SIZE];
	} __attribute__((packed));
} __attribute__((packed));

#define ENL_NVSP_MSG_SIZE	40u
/* The shortest completion 6.1 reads before it looks at the type. */
#define ENL_NVSP_MSG_SIZE_V1	28u

/* Indirection table message as the host sends it: message + 16 entries. */
struct enl_nvsp_indirection_msg {
	u32 type;		/* ENL_NVSP_MSG5_SEND_INDIRECTION_TABLE */
	struct enl_nvsp_indirection_table hdr;	/* offset = 8 (after hdr) */
	u32 table[ENL_NVSP_SEND_TABLE_SIZE];
} __attribute__((packed));

ENL_SIZE_ASSERT(struct enl_nvsp_init, 8);
ENL_SIZE_ASSERT(struct enl_nvsp_init_complete, 12);
ENL_SIZE_ASSERT(struct enl_nvsp_ndis_ver, 8);
ENL_SIZE_ASSERT(struct enl_nvsp_ndis_config, 16);
ENL_OFFSET_ASSERT(struct enl_nvsp_ndis_config, capability, 8);
ENL_SIZE_ASSERT(struct enl_nvsp_send_buf, 6);
ENL_SIZE_ASSERT(struct enl_nvsp_recv_section, 16);
ENL_SIZE_ASSERT(struct enl_nvsp_recv_buf_complete, 24);
ENL_OFFSET_ASSERT(struct enl_nvsp_recv_buf_complete, section, 8);
ENL_SIZE_ASSERT(struct enl_nvsp_send_buf_complete, 8);
ENL_SIZE_ASSERT(struct enl_nvsp_revoke_buf, 2);
ENL_SIZE_ASSERT(struct enl_nvsp_rndis_pkt, 12);
ENL_SIZE_ASSERT(struct enl_nvsp_rndis_pkt_complete, 4);
ENL_SIZE_ASSERT(struct enl_nvsp_subchannel_req, 8);
ENL_SIZE_ASSERT(struct enl_nvsp_subchannel_complete, 8);
ENL_SIZE_ASSERT(struct enl_nvsp_indirection_table, 8);
ENL_SIZE_ASSERT(struct enl_nvsp_msg, ENL_NVSP_MSG_SIZE);
ENL_OFFSET_ASSERT(struct enl_nvsp_msg, init, 4);
ENL_OFFSET_ASSERT(struct enl_nvsp_msg, raw, 4);
ENL_SIZE_ASSERT(struct enl_nvsp_indirection_msg, 12 + 4 * ENL_NVSP_SEND_TABLE_SIZE);
ENL_OFFSET_ASSERT(struct enl_nvsp_indirection_msg, table, 12);
/* 6.1's message-size check reads a RECV_BUF_COMPLETE to its end. */
ENL_STATIC_ASSERT(4 + sizeof(struct enl_nvsp_recv_buf_complete) ==
		  ENL_NVSP_MSG_SIZE_V1, "v1 completion size");

/*
 * Receive-buffer transfer pages: the RNDIS messages the host sends sit in
 * sub-allocations of the guest's receive buffer; a type-7 packet names
 * them by (offset, count) and carries a SEND_RNDIS_PKT message.  The guest
 * completes the packet with {SEND_RNDIS_PKT_COMPLETE, status}.
 * The most ranges one packet may carry and still fit the guest's 4624-byte
 * packet limit: 24-byte xfer header + 8 per range + 40-byte NVSP message.
 */
#define ENL_NVSP_XFER_MAX_RANGES	((ENL_NVSP_GUEST_MAX_PKT - 24u - 40u - 8u) / 8u)
#define ENL_NVSP_MIN_SECTION_SIZE	68u	/* Linux's minimum for both buffers */

/* ---- checks shared by both ends (include/enl/nvsp.c) ----------------- */

/* Versions the host speaks (the ones stock 6.1 and 6.12 offer, down to 2). */
static inline bool enl_nvsp_version_supported(u32 v)
{
	return v == ENL_NVSP_VER_61 || v == ENL_NVSP_VER_6 ||
	       v == ENL_NVSP_VER_5 || v == ENL_NVSP_VER_4 ||
	       v == ENL_NVSP_VER_2;
}

/*
 * Copy a received NVSP payload into *out (zero-filled to 40 bytes) and check
 * it is long enough for its type: 0, -EMSGSIZE (shorter than the type's
 * body), -EPROTO (unknown type).  Longer payloads are cut at 40 bytes.
 */
int enl_nvsp_parse(const void *payload, u32 len, struct enl_nvsp_msg *out);

/* Body bytes a message type needs after its u32 type; -1 if unknown. */
int enl_nvsp_body_min(u32 type);

/* A message type's name for logs and tests ("?" if unknown). */
const char *enl_nvsp_msg_name(u32 type);

#endif
