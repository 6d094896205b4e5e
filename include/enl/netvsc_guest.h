/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest network driver's reading of what the host puts in its receive
 * buffer (enl_netvsc), and the RNDIS header it puts in front of a frame:
 * pure, so that the unit tests and the fuzzer run the very checks the
 * module runs.  Nothing the host wrote is trusted; every offset and length
 * is checked against the message it sits in before anything is read.
 */
#ifndef ENL_NETVSC_GUEST_H
#define ENL_NETVSC_GUEST_H

#include <enl/types.h>
#include <enl/vmbus_packet.h>
#include <enl/nvsp_msg.h>
#include <enl/rndis_msg.h>

#ifndef __KERNEL__
#include <stdbool.h>
#endif

/* what one RNDIS message from the host is */
enum enl_rndis_rx_kind {
	ENL_RNDIS_RX_BAD,	/* refused: bad says why */
	ENL_RNDIS_RX_DATA,	/* a frame */
	ENL_RNDIS_RX_CMPLT,	/* the answer to one of our requests */
	ENL_RNDIS_RX_INDICATE,	/* a status indication */
	ENL_RNDIS_RX_IGNORE,	/* well formed, of no interest (keepalive ...) */
};

/* RX checksum PPI bits the driver acts on */
#define ENL_RX_CSUM_TCP_OK	(1u << 3)
#define ENL_RX_CSUM_UDP_OK	(1u << 4)
#define ENL_RX_CSUM_IP_OK	(1u << 5)

struct enl_rndis_rx {
	u32 kind;		/* enum enl_rndis_rx_kind */
	u32 type;		/* the RNDIS message type */
	/* DATA: the frame at msg + data_off, data_len bytes */
	u32 data_off;
	u32 data_len;
	bool has_csum, has_vlan, has_hash;
	u32 csum;		/* checksum PPI value */
	u16 vlan_tci;		/* 802.1Q: vid | cfi << 12 | pri << 13 */
	u32 hash;
	/* CMPLT: the request id (the caller checks the rest by type) */
	u32 req_id;
	/* INDICATE: status and its buffer at msg + buf_off, buf_len bytes */
	u32 status;
	u32 buf_off;
	u32 buf_len;
	const char *bad;
};

/*
 * One RNDIS message of len bytes (a transfer-page range).  The message's
 * own length must fit in len; a frame must lie inside it, PPIs must tile
 * ppi_len exactly (each at least 12 bytes plus a value, value offset 12);
 * an indication's buffer must lie inside it.  Fills *r; returns r->kind.
 */
u32 enl_rndis_rx_parse(const u8 *msg, u32 len, struct enl_rndis_rx *r);

/*
 * A QUERY_CMPLT of len bytes: status 0 and an information buffer inside
 * the message (info_offset counts from the request id, byte 8).  0 with
 * *off (from msg) and *ilen set, else -EPROTO or -EIO (the host's
 * refusal, *status set).
 */
int enl_rndis_query_info(const u8 *msg, u32 len, u32 *status, u32 *off,
			 u32 *ilen);

/*
 * A transfer-page packet's ranges: the page set must be the receive
 * buffer's, every range inside the buffer (buf_len bytes) and no longer
 * than the host's sub-allocation (max_range).  0 or -EPROTO (*bad set).
 */
int enl_netvsc_xfer_check(const struct enl_pkt *p, u32 buf_len, u32 max_range,
			  const char **bad);

/* per-packet info the guest puts in front of a frame */
struct enl_rndis_tx_info {
	bool csum;		/* checksum PPI */
	u32 csum_val;
	bool lso;		/* LSOv2 PPI */
	u32 lso_val;
	bool vlan;		/* 802.1Q PPI */
	u32 vlan_val;
	bool hash;		/* hash PPI */
	u32 hash_val;
};

/* TX checksum PPI bits; the TCP header offset goes in bits 16..25 */
#define ENL_TX_CSUM_IPV4	(1u << 0)
#define ENL_TX_CSUM_IPV6	(1u << 1)
#define ENL_TX_CSUM_TCP		(1u << 2)
#define ENL_TX_CSUM_UDP		(1u << 3)
#define ENL_TX_CSUM_THOFF_SHIFT	16
/* TX LSOv2 PPI: MSS bits 0..19, TCP header offset 20..29, bit 30 set, bit 31 IPv6 */
#define ENL_TX_LSO_THOFF_SHIFT	20
#define ENL_TX_LSO_TYPE2	(1u << 30)
#define ENL_TX_LSO_IPV6		(1u << 31)

/* Largest header enl_rndis_tx_header() writes: message + 4 PPIs. */
#define ENL_RNDIS_TX_HDR_MAX	(8 + 36 + 4 * 16)

/*
 * Write the ENL_RNDIS_MSG_PACKET header for a frame of frame_len bytes into
 * buf (ENL_RNDIS_TX_HDR_MAX bytes at least); returns the header's length
 * (the frame follows it directly).  msg_len is header + frame.
 */
u32 enl_rndis_tx_header(u8 *buf, u32 frame_len,
			const struct enl_rndis_tx_info *ti);

#endif
