/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * RNDIS as carried by NVSP (include/enl/nvsp_msg.h): control messages,
 * data packets with per-packet info (PPI), the OIDs netvsc uses and the
 * NDIS offload / RSS structures inside their information buffers.
 * Little-endian.  See shared/PROTOCOL-devices.md sections 3.4 - 3.8.
 *
 * Every message starts with {u32 type, u32 msg_len}.  Offsets inside a
 * message body (info_buf_offset, status_buf_offset, data_offset,
 * per_pkt_info_offset) count from the end of that 8-byte header, i.e. from
 * the start of the body struct.  Nothing in here is trusted: the checks in
 * include/enl/rndis.c bound every length and offset by the bytes present.
 */
#ifndef ENL_RNDIS_MSG_H
#define ENL_RNDIS_MSG_H

#include <enl/types.h>

#ifdef __KERNEL__
#include <linux/errno.h>
#else
#include <errno.h>
#include <stdbool.h>
#endif

/* ---- message types ---------------------------------------------------- */

#define ENL_RNDIS_MSG_COMPLETION	0x80000000u
#define ENL_RNDIS_MSG_PACKET		0x00000001u
#define ENL_RNDIS_MSG_INIT		0x00000002u
#define ENL_RNDIS_MSG_INIT_C		0x80000002u
#define ENL_RNDIS_MSG_HALT		0x00000003u
#define ENL_RNDIS_MSG_QUERY		0x00000004u
#define ENL_RNDIS_MSG_QUERY_C		0x80000004u
#define ENL_RNDIS_MSG_SET		0x00000005u
#define ENL_RNDIS_MSG_SET_C		0x80000005u
#define ENL_RNDIS_MSG_RESET		0x00000006u
#define ENL_RNDIS_MSG_RESET_C		0x80000006u
#define ENL_RNDIS_MSG_INDICATE		0x00000007u
#define ENL_RNDIS_MSG_KEEPALIVE		0x00000008u
#define ENL_RNDIS_MSG_KEEPALIVE_C	0x80000008u

/* ---- status codes (NDIS_STATUS) --------------------------------------- */

#define ENL_RNDIS_STATUS_SUCCESS		0x00000000u
#define ENL_RNDIS_STATUS_PENDING		0x00000103u
#define ENL_RNDIS_STATUS_MEDIA_CONNECT		0x4001000Bu
#define ENL_RNDIS_STATUS_MEDIA_DISCONNECT	0x4001000Cu
#define ENL_RNDIS_STATUS_LINK_SPEED_CHANGE	0x40010013u
#define ENL_RNDIS_STATUS_NETWORK_CHANGE		0x40010018u
#define ENL_RNDIS_STATUS_FAILURE		0xC0000001u
#define ENL_RNDIS_STATUS_RESOURCES		0xC000009Au
#define ENL_RNDIS_STATUS_NOT_SUPPORTED		0xC00000BBu
#define ENL_RNDIS_STATUS_INVALID_PACKET		0xC001000Fu
#define ENL_RNDIS_STATUS_INVALID_LENGTH		0xC0010014u
#define ENL_RNDIS_STATUS_INVALID_DATA		0xC0010015u
#define ENL_RNDIS_STATUS_BUFFER_TOO_SHORT	0xC0010016u
#define ENL_RNDIS_STATUS_INVALID_OID		0xC0010017u

/* INIT / INIT_C values */
#define ENL_RNDIS_MAJOR_VERSION		1u
#define ENL_RNDIS_MINOR_VERSION		0u
#define ENL_RNDIS_DF_CONNECTIONLESS	0x00000001u
#define ENL_RNDIS_MEDIUM_802_3		0x00000000u

/* ---- OIDs ------------------------------------------------------------- */

#define ENL_OID_GEN_SUPPORTED_LIST		0x00010101u
#define ENL_OID_GEN_HARDWARE_STATUS		0x00010102u
#define ENL_OID_GEN_MEDIA_SUPPORTED		0x00010103u
#define ENL_OID_GEN_MEDIA_IN_USE		0x00010104u
#define ENL_OID_GEN_MAXIMUM_LOOKAHEAD		0x00010105u
#define ENL_OID_GEN_MAXIMUM_FRAME_SIZE		0x00010106u
#define ENL_OID_GEN_LINK_SPEED			0x00010107u
#define ENL_OID_GEN_TRANSMIT_BLOCK_SIZE		0x0001010Au
#define ENL_OID_GEN_RECEIVE_BLOCK_SIZE		0x0001010Bu
#define ENL_OID_GEN_VENDOR_ID			0x0001010Cu
#define ENL_OID_GEN_VENDOR_DESCRIPTION		0x0001010Du
#define ENL_OID_GEN_CURRENT_PACKET_FILTER	0x0001010Eu
#define ENL_OID_GEN_CURRENT_LOOKAHEAD		0x0001010Fu
#define ENL_OID_GEN_DRIVER_VERSION		0x00010110u
#define ENL_OID_GEN_MAXIMUM_TOTAL_SIZE		0x00010111u
#define ENL_OID_GEN_MAC_OPTIONS			0x00010113u
#define ENL_OID_GEN_MEDIA_CONNECT_STATUS	0x00010114u
#define ENL_OID_GEN_MAXIMUM_SEND_PACKETS	0x00010115u
#define ENL_OID_GEN_NETWORK_LAYER_ADDRESSES	0x00010118u
#define ENL_OID_GEN_RECEIVE_SCALE_CAPABILITIES	0x00010203u
#define ENL_OID_GEN_RECEIVE_SCALE_PARAMETERS	0x00010204u
#define ENL_OID_GEN_RNDIS_CONFIG_PARAMETER	0x0001021Bu
#define ENL_OID_GEN_XMIT_OK			0x00020101u
#define ENL_OID_GEN_RCV_OK			0x00020102u
#define ENL_OID_GEN_XMIT_ERROR			0x00020103u
#define ENL_OID_GEN_RCV_ERROR			0x00020104u
#define ENL_OID_GEN_RCV_NO_BUFFER		0x00020105u
#define ENL_OID_GEN_FRIENDLY_NAME		0x00020216u
#define ENL_OID_802_3_PERMANENT_ADDRESS		0x01010101u
#define ENL_OID_802_3_CURRENT_ADDRESS		0x01010102u
#define ENL_OID_802_3_MULTICAST_LIST		0x01010103u
#define ENL_OID_802_3_MAXIMUM_LIST_SIZE		0x01010104u
#define ENL_OID_OFFLOAD_ENCAPSULATION		0x0101010Au
#define ENL_OID_TCP_OFFLOAD_CURRENT_CONFIG	0xFC01020Bu
#define ENL_OID_TCP_OFFLOAD_PARAMETERS		0xFC01020Cu
#define ENL_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES 0xFC01020Du

/* CURRENT_PACKET_FILTER bits */
#define ENL_RNDIS_FILTER_DIRECTED	0x00000001u
#define ENL_RNDIS_FILTER_MULTICAST	0x00000002u
#define ENL_RNDIS_FILTER_ALL_MULTICAST	0x00000004u
#define ENL_RNDIS_FILTER_BROADCAST	0x00000008u
#define ENL_RNDIS_FILTER_PROMISCUOUS	0x00000020u

/* MEDIA_CONNECT_STATUS values: 0 means connected. */
#define ENL_RNDIS_MEDIA_CONNECTED	0u
#define ENL_RNDIS_MEDIA_DISCONNECTED	1u

/* RNDIS_CONFIG_PARAMETER parameter types */
#define ENL_RNDIS_CONFIG_PARAM_INTEGER	0u
#define ENL_RNDIS_CONFIG_PARAM_STRING	2u

/* ---- message bodies (after the 8-byte header) ------------------------- */

struct enl_rndis_hdr {
	u32 type;
	u32 msg_len;		/* whole message, header included */
};

#define ENL_RNDIS_HDR_SIZE	8u

struct enl_rndis_init_req {
	u32 req_id;
	u32 major;
	u32 minor;
	u32 max_xfer_size;
};

struct enl_rndis_init_cmplt {
	u32 req_id;
	u32 status;
	u32 major;
	u32 minor;
	u32 dev_flags;
	u32 medium;
	u32 max_pkt_per_msg;		/* guest's TX batch limit */
	u32 max_xfer_size;
	u32 pkt_alignment_factor;	/* batch alignment = 1 << this */
	u32 af_list_offset;
	u32 af_list_size;
};

struct enl_rndis_halt_req {
	u32 req_id;
};

/* QUERY and SET requests share the layout. */
struct enl_rndis_oid_req {
	u32 req_id;
	u32 oid;
	u32 info_buflen;
	u32 info_buf_offset;	/* from the start of this struct */
	u32 dev_vc_handle;
};

struct enl_rndis_query_cmplt {
	u32 req_id;
	u32 status;
	u32 info_buflen;
	u32 info_buf_offset;	/* from the start of this struct */
};

struct enl_rndis_set_cmplt {
	u32 req_id;
	u32 status;
};

struct enl_rndis_reset_req {
	u32 reserved;
};

struct enl_rndis_reset_cmplt {
	u32 status;
	u32 addressing_reset;
};

struct enl_rndis_indicate_status {
	u32 status;
	u32 status_buflen;
	u32 status_buf_offset;	/* from the start of this struct */
};

struct enl_rndis_keepalive_req {
	u32 req_id;
};

struct enl_rndis_keepalive_cmplt {
	u32 req_id;
	u32 status;
};

/* Data message; every offset counts from the start of this struct. */
struct enl_rndis_packet {
	u32 data_offset;
	u32 data_len;
	u32 oob_data_offset;
	u32 oob_data_len;
	u32 num_oob_data_elements;
	u32 ppi_offset;
	u32 ppi_len;
	u32 vc_handle;
	u32 reserved;
};

struct enl_rndis_config_param {
	u32 name_offset;	/* from the start of this struct */
	u32 name_length;	/* bytes, UTF-16LE */
	u32 type;		/* ENL_RNDIS_CONFIG_PARAM_* */
	u32 value_offset;
	u32 value_length;
};

/* Whole messages as they sit in a buffer. */
struct enl_rndis_msg {
	struct enl_rndis_hdr hdr;
	union {
		struct enl_rndis_init_req init_req;
		struct enl_rndis_init_cmplt init_cmplt;
		struct enl_rndis_halt_req halt_req;
		struct enl_rndis_oid_req oid_req;
		struct enl_rndis_query_cmplt query_cmplt;
		struct enl_rndis_set_cmplt set_cmplt;
		struct enl_rndis_reset_req reset_req;
		struct enl_rndis_reset_cmplt reset_cmplt;
		struct enl_rndis_indicate_status indicate;
		struct enl_rndis_keepalive_req keepalive_req;
		struct enl_rndis_keepalive_cmplt keepalive_cmplt;
		struct enl_rndis_packet pkt;
	};
};

/*
 * Largest control response Linux takes (its response buffer): a 52-byte
 * message head + a 4096-byte information buffer.
 */
#define ENL_RNDIS_MAX_RESPONSE		(52u + 4096u)
/* Linux's PERMANENT_ADDRESS buffer is 6 bytes; anything longer fails. */
#define ENL_RNDIS_MAC_LEN		6u

/* ---- per-packet info -------------------------------------------------- */

struct enl_rndis_ppi {
	u32 size;		/* this header + value, >= 12 */
	u32 type;		/* type in bits 0-30, bit 31 = internal */
	u32 ppi_offset;		/* value offset from this header: 12 */
};

#define ENL_RNDIS_PPI_SIZE		12u
#define ENL_RNDIS_PPI_INTERNAL		0x80000000u
#define ENL_RNDIS_PPI_TYPE(t)		((t) & 0x7FFFFFFFu)

enum enl_rndis_ppi_type {
	ENL_PPI_TCPIP_CHKSUM = 0,
	ENL_PPI_IPSEC = 1,
	ENL_PPI_TCP_LARGESEND = 2,
	ENL_PPI_CLASSIFICATION_HANDLE = 3,
	ENL_PPI_SG_LIST = 5,
	ENL_PPI_IEEE_8021Q = 6,
	ENL_PPI_ORIGINAL = 7,
	ENL_PPI_NBL_HASH_VALUE = 8,
	ENL_PPI_NBL_HASH_INFO = 12,
};

/* internal PPI types (bit 31 set) */
#define ENL_PPI_INTERNAL_RSC_FRAG_ID	1u

/* TCPIP_CHKSUM value, transmit (guest -> host) */
#define ENL_CSUM_TX_IPV4		(1u << 0)
#define ENL_CSUM_TX_IPV6		(1u << 1)
#define ENL_CSUM_TX_TCP			(1u << 2)
#define ENL_CSUM_TX_UDP			(1u << 3)
#define ENL_CSUM_TX_IP_HDR		(1u << 4)
#define ENL_CSUM_TX_TCP_HDR_OFF(v)	(((v) >> 16) & 0x3FFu)
/* TCPIP_CHKSUM value, receive (host -> guest) */
#define ENL_CSUM_RX_TCP_FAILED		(1u << 0)
#define ENL_CSUM_RX_UDP_FAILED		(1u << 1)
#define ENL_CSUM_RX_IP_FAILED		(1u << 2)
#define ENL_CSUM_RX_TCP_OK		(1u << 3)
#define ENL_CSUM_RX_UDP_OK		(1u << 4)
#define ENL_CSUM_RX_IP_OK		(1u << 5)
#define ENL_CSUM_RX_LOOPBACK		(1u << 6)
#define ENL_CSUM_RX_TCP_VALUE_INVALID	(1u << 7)
#define ENL_CSUM_RX_IP_VALUE_INVALID	(1u << 8)

/* TCP_LARGESEND value (LSOv2 transmit) */
#define ENL_LSO_MSS(v)			((v) & 0xFFFFFu)
#define ENL_LSO_TCP_HDR_OFF(v)		(((v) >> 20) & 0x3FFu)
#define ENL_LSO_TYPE_V2			(1u << 30)
#define ENL_LSO_IPV6			(1u << 31)

/* IEEE_8021Q value */
#define ENL_VLAN_PRI(v)			((v) & 0x7u)
#define ENL_VLAN_CFI(v)			(((v) >> 3) & 0x1u)
#define ENL_VLAN_ID(v)			(((v) >> 4) & 0xFFFu)
#define ENL_VLAN_PPI(pri, cfi, id) \
	((u32)(((pri) & 0x7u) | (((cfi) & 1u) << 3) | (((id) & 0xFFFu) << 4)))

/* internal RSC fragment id value */
struct enl_rndis_rsc_frag {
	u8 version;		/* 1 */
	u8 flags;		/* ENL_RSC_FRAG_* */
	u16 id;
};

#define ENL_RSC_FRAG_SUBALLOC	0x1u
#define ENL_RSC_FRAG_FIRST	0x2u
#define ENL_RSC_FRAG_LAST	0x4u

/* ---- NDIS objects in information buffers ------------------------------ */

struct enl_ndis_obj_header {
	u8 type;
	u8 revision;
	u16 size;
};

#define ENL_NDIS_OBJ_TYPE_DEFAULT		0x80u
#define ENL_NDIS_OBJ_TYPE_RSS_CAPABILITIES	0x88u
#define ENL_NDIS_OBJ_TYPE_RSS_PARAMETERS	0x89u
#define ENL_NDIS_OBJ_TYPE_OFFLOAD		0xA7u

/* OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES reply */
struct enl_ndis_csum_offload {
	u32 ip4_txenc;
	u32 ip4_txcsum;
	u32 ip4_rxenc;
	u32 ip4_rxcsum;
	u32 ip6_txenc;
	u32 ip6_txcsum;
	u32 ip6_rxenc;
	u32 ip6_rxcsum;
};

struct enl_ndis_lsov1_offload {
	u32 encap;
	u32 maxsize;
	u32 minsegs;
	u32 opts;
};

struct enl_ndis_ipsecv1_offload {
	u32 encap;
	u32 ah_esp;
	u32 xport_tun;
	u32 ip4_opts;
	u32 flags;
	u32 ip4_ah;
	u32 ip4_esp;
};

struct enl_ndis_lsov2_offload {
	u32 ip4_encap;
	u32 ip4_maxsz;
	u32 ip4_minsg;
	u32 ip6_encap;
	u32 ip6_maxsz;
	u32 ip6_minsg;
	u32 ip6_opts;
};

struct enl_ndis_ipsecv2_offload {
	u32 encap;
	u16 ip6;
	u16 ip4opt;
	u16 ip6ext;
	u16 ah;
	u16 esp;
	u16 ah_esp;
	u16 xport;
	u16 tun;
	u16 xport_tun;
	u16 lso;
	u16 extseq;
	u16 pad;
	u32 udp_esp;
	u32 auth;
	u32 crypto;
	u32 sa_caps;
};

struct enl_ndis_rsc_offload {
	u16 ip4;
	u16 ip6;
};

struct enl_ndis_encap_offload {
	u32 flags;
	u32 maxhdr;
};

struct enl_ndis_offload {
	struct enl_ndis_obj_header header;	/* type OFFLOAD */
	struct enl_ndis_csum_offload csum;
	struct enl_ndis_lsov1_offload lsov1;
	struct enl_ndis_ipsecv1_offload ipsecv1;
	struct enl_ndis_lsov2_offload lsov2;
	u32 flags;
	/* NDIS 6.1 */
	struct enl_ndis_ipsecv2_offload ipsecv2;
	/* NDIS 6.30 */
	struct enl_ndis_rsc_offload rsc;
	struct enl_ndis_encap_offload encap_gre;
};

/* header.size by revision: 1 = up to lsov2+flags, 2 = + ipsecv2, 3 = all */
#define ENL_NDIS_OFFLOAD_SIZE_REV1	112u
#define ENL_NDIS_OFFLOAD_SIZE_REV2	156u
#define ENL_NDIS_OFFLOAD_SIZE_REV3	168u

/* encapsulation bits (ip4_txenc, lsov2.ip4_encap, ...) */
#define ENL_NDIS_ENCAP_NONE		0x0000u
#define ENL_NDIS_ENCAP_NULL		0x0001u
#define ENL_NDIS_ENCAP_8023		0x0002u
#define ENL_NDIS_ENCAP_8023PQ		0x0004u
#define ENL_NDIS_ENCAP_8023PQ_OOB	0x0008u

/* csum capability bits (ip4_txcsum etc.) */
#define ENL_NDIS_CSUM_IP4OPT		0x001u	/* ip6: IP6EXT */
#define ENL_NDIS_CSUM_TCPOPT		0x004u
#define ENL_NDIS_CSUM_TCP		0x010u
#define ENL_NDIS_CSUM_UDP		0x040u
#define ENL_NDIS_CSUM_IP4		0x100u
/* lsov2.ip6_opts */
#define ENL_NDIS_LSOV2_IP6EXT		0x001u
#define ENL_NDIS_LSOV2_TCP6OPT		0x004u

/* OID_TCP_OFFLOAD_PARAMETERS set (guest -> host) */
struct enl_ndis_offload_params {
	struct enl_ndis_obj_header header;	/* type DEFAULT */
	u8 ip_v4_csum;
	u8 tcp_ip_v4_csum;
	u8 udp_ip_v4_csum;
	u8 tcp_ip_v6_csum;
	u8 udp_ip_v6_csum;
	u8 lso_v1;
	u8 ip_sec_v1;
	u8 lso_v2_ipv4;
	u8 lso_v2_ipv6;
	u8 tcp_connection_ip_v4;
	u8 tcp_connection_ip_v6;
	u8 pad0;
	u32 flags;
	u8 ip_sec_v2;
	u8 ip_sec_v2_ip_v4;
	u8 rsc_ip_v4;
	u8 rsc_ip_v6;
	u8 encapsulated_packet_task_offload;
	u8 encapsulation_types;
	u8 pad1[2];
};

/* header.size: 22 for NVSP <= 4 (up to ip_sec_v2_ip_v4), 28 after */
#define ENL_NDIS_OFFLOAD_PARAMS_SIZE_V4	22u
#define ENL_NDIS_OFFLOAD_PARAMS_SIZE	28u

/* offload parameter values */
#define ENL_NDIS_OFFLOAD_PARAM_NO_CHANGE	0u
/* checksum fields */
#define ENL_NDIS_OFFLOAD_PARAM_TX_RX_DISABLED	1u
#define ENL_NDIS_OFFLOAD_PARAM_TX_ENABLED_RX_DISABLED 2u
#define ENL_NDIS_OFFLOAD_PARAM_RX_ENABLED_TX_DISABLED 3u
#define ENL_NDIS_OFFLOAD_PARAM_TX_RX_ENABLED	4u
/* lso / rsc fields */
#define ENL_NDIS_OFFLOAD_PARAM_DISABLED		1u
#define ENL_NDIS_OFFLOAD_PARAM_ENABLED		2u

/* OID_GEN_RECEIVE_SCALE_CAPABILITIES reply (18 bytes, packed) */
struct enl_ndis_rss_caps {
	struct enl_ndis_obj_header header;	/* type RSS_CAPABILITIES, rev 2 */
	u32 cap_flag;
	u32 num_int_msg;
	u32 num_recv_que;
	u16 num_indirect_tabent;
} __attribute__((packed));

#define ENL_NDIS_RSS_CAPS_HASH_TCP_IPV4		0x00000100u
#define ENL_NDIS_RSS_CAPS_HASH_TCP_IPV6		0x00000200u
#define ENL_NDIS_RSS_CAPS_HASH_TCP_IPV6_EX	0x00000400u
#define ENL_NDIS_RSS_CAPS_MSI_X			0x20000000u

/* OID_GEN_RECEIVE_SCALE_PARAMETERS set (40 bytes, natural alignment) */
struct enl_ndis_rss_params {
	struct enl_ndis_obj_header header;	/* type RSS_PARAMETERS, rev 2 */
	u16 flag;
	u16 base_cpu_number;
	u32 hashinfo;
	u16 indirect_tabsize;		/* bytes */
	u16 pad0;
	u32 indirect_taboffset;		/* from the start of this struct */
	u16 hashkey_size;
	u16 pad1;
	u32 hashkey_offset;
	u32 processor_masks_offset;
	u32 num_processor_masks;
	u32 processor_masks_entry_size;
};

#define ENL_NDIS_RSS_PARAM_FLAG_DISABLE		0x0010u
#define ENL_NDIS_HASH_FUNC_TOEPLITZ		0x00000001u
#define ENL_NDIS_HASH_IPV4			0x00000100u
#define ENL_NDIS_HASH_TCP_IPV4			0x00000200u
#define ENL_NDIS_HASH_IPV6			0x00000400u
#define ENL_NDIS_HASH_IPV6_EX			0x00000800u
#define ENL_NDIS_HASH_TCP_IPV6			0x00001000u
#define ENL_NDIS_HASH_TCP_IPV6_EX		0x00002000u
#define ENL_NDIS_RSS_MAX_TABLE_ENTRIES		128u
#define ENL_NDIS_RSS_KEY_SIZE			40u

ENL_SIZE_ASSERT(struct enl_rndis_hdr, ENL_RNDIS_HDR_SIZE);
ENL_SIZE_ASSERT(struct enl_rndis_init_req, 16);
ENL_SIZE_ASSERT(struct enl_rndis_init_cmplt, 44);
ENL_OFFSET_ASSERT(struct enl_rndis_init_cmplt, max_pkt_per_msg, 24);
ENL_OFFSET_ASSERT(struct enl_rndis_init_cmplt, pkt_alignment_factor, 32);
ENL_SIZE_ASSERT(struct enl_rndis_oid_req, 20);
ENL_OFFSET_ASSERT(struct enl_rndis_oid_req, info_buf_offset, 12);
ENL_SIZE_ASSERT(struct enl_rndis_query_cmplt, 16);
ENL_SIZE_ASSERT(struct enl_rndis_set_cmplt, 8);
ENL_SIZE_ASSERT(struct enl_rndis_reset_cmplt, 8);
ENL_SIZE_ASSERT(struct enl_rndis_indicate_status, 12);
ENL_SIZE_ASSERT(struct enl_rndis_keepalive_cmplt, 8);
ENL_SIZE_ASSERT(struct enl_rndis_packet, 36);
ENL_OFFSET_ASSERT(struct enl_rndis_packet, ppi_offset, 20);
ENL_OFFSET_ASSERT(struct enl_rndis_packet, ppi_len, 24);
ENL_SIZE_ASSERT(struct enl_rndis_config_param, 20);
ENL_OFFSET_ASSERT(struct enl_rndis_msg, pkt, 8);
ENL_SIZE_ASSERT(struct enl_rndis_msg, 8 + 44);
ENL_SIZE_ASSERT(struct enl_rndis_ppi, ENL_RNDIS_PPI_SIZE);
ENL_SIZE_ASSERT(struct enl_rndis_rsc_frag, 4);
ENL_SIZE_ASSERT(struct enl_ndis_obj_header, 4);
ENL_SIZE_ASSERT(struct enl_ndis_csum_offload, 32);
ENL_SIZE_ASSERT(struct enl_ndis_lsov1_offload, 16);
ENL_SIZE_ASSERT(struct enl_ndis_ipsecv1_offload, 28);
ENL_SIZE_ASSERT(struct enl_ndis_lsov2_offload, 28);
ENL_SIZE_ASSERT(struct enl_ndis_ipsecv2_offload, 44);
ENL_OFFSET_ASSERT(struct enl_ndis_ipsecv2_offload, udp_esp, 28);
ENL_OFFSET_ASSERT(struct enl_ndis_offload, lsov2, 80);
ENL_OFFSET_ASSERT(struct enl_ndis_offload, ipsecv2, ENL_NDIS_OFFLOAD_SIZE_REV1);
ENL_OFFSET_ASSERT(struct enl_ndis_offload, rsc, ENL_NDIS_OFFLOAD_SIZE_REV2);
ENL_SIZE_ASSERT(struct enl_ndis_offload, ENL_NDIS_OFFLOAD_SIZE_REV3);
ENL_OFFSET_ASSERT(struct enl_ndis_offload_params, flags, 16);
ENL_OFFSET_ASSERT(struct enl_ndis_offload_params, rsc_ip_v4,
		  ENL_NDIS_OFFLOAD_PARAMS_SIZE_V4);
ENL_SIZE_ASSERT(struct enl_ndis_offload_params, ENL_NDIS_OFFLOAD_PARAMS_SIZE);
ENL_SIZE_ASSERT(struct enl_ndis_rss_caps, 18);
ENL_SIZE_ASSERT(struct enl_ndis_rss_params, 40);
ENL_OFFSET_ASSERT(struct enl_ndis_rss_params, indirect_taboffset, 16);
ENL_OFFSET_ASSERT(struct enl_ndis_rss_params, hashkey_offset, 24);
/* A PERMANENT_ADDRESS or offload reply fits Linux's response buffer. */
ENL_STATIC_ASSERT(ENL_RNDIS_HDR_SIZE + sizeof(struct enl_rndis_query_cmplt) +
		  ENL_NDIS_OFFLOAD_SIZE_REV3 <= ENL_RNDIS_MAX_RESPONSE,
		  "offload reply fits");

/* ---- checks shared by both ends (include/enl/rndis.c) ---------------- */

/*
 * Check the 8-byte header of the RNDIS message at buf (len bytes present):
 * msg_len >= 8 + the type's fixed body and <= len.  Returns the message
 * type in *type and its length in *msg_len.  0, -EMSGSIZE (too short or
 * msg_len past the bytes present), -EPROTO (unknown type).
 */
int enl_rndis_check_hdr(const void *buf, u32 len, u32 *type, u32 *msg_len);

/* Fixed body bytes a message type needs after the header; -1 if unknown. */
int enl_rndis_body_min(u32 type);

/*
 * Bounds of a buffer (offset, length) counted from the start of a message
 * body, inside a message of msg_len bytes, at or after min_off: 0 or
 * -EINVAL.  A zero length is always fine (offset ignored).
 */
int enl_rndis_check_buf(u32 msg_len, u32 min_off, u32 off, u32 len);

/*
 * A QUERY or SET request (buf holds msg_len checked bytes): the request in
 * *req and its information buffer in *info (NULL when info_buflen is 0).
 * 0 or -EINVAL (buffer outside the message or overlapping the request).
 */
int enl_rndis_parse_oid_req(const void *buf, u32 msg_len,
			    struct enl_rndis_oid_req *req, const u8 **info);

/* The per-packet info of a data message, as found. */
struct enl_rndis_pkt_info {
	u32 data_offset;	/* of the frame, from the start of the message */
	u32 data_len;
	u32 present;		/* bit n: PPI type n seen (n < 32) */
	u32 csum;		/* ENL_PPI_TCPIP_CHKSUM value */
	u32 lso;		/* ENL_PPI_TCP_LARGESEND value */
	u32 vlan;		/* ENL_PPI_IEEE_8021Q value */
	u32 hash;		/* ENL_PPI_NBL_HASH_VALUE value */
	u32 rsc_present;	/* internal RSC fragment id seen */
	struct enl_rndis_rsc_frag rsc;
};

#define ENL_PPI_PRESENT(info, t)	(((info)->present >> (t)) & 1u)

/*
 * A data message (type PACKET, buf holds msg_len checked bytes): frame
 * bounds and PPIs.  Every PPI needs size >= 12 + 4, 12 <= ppi_offset,
 * ppi_offset + 4 <= size, and the sizes must add up to ppi_len exactly
 * (Linux loops forever on the malformed ones).  Unknown PPI types are
 * skipped; OOB data must be absent.  0 or -EINVAL.
 */
int enl_rndis_parse_packet(const void *buf, u32 msg_len,
			   struct enl_rndis_pkt_info *out);

/*
 * Append a PPI carrying a u32 value at dst (room bytes left): returns the
 * bytes written (16) or 0 if it does not fit.
 */
u32 enl_rndis_put_ppi(void *dst, u32 room, u32 type, u32 value);

/* The longest RSS key we keep (NDIS RSS parameters revision 2). */
#define ENL_RSS_KEY_MAX		40u

/* Toeplitz hash of len input bytes under key (key_len >= len + 4). */
u32 enl_toeplitz(const u8 *key, u32 key_len, const u8 *in, u32 len);

/*
 * The RSS hash of an Ethernet frame the way the guest configured it
 * (hashinfo: ENL_NDIS_HASH_* bits): over the IPv4/IPv6 source and
 * destination, and the TCP ports when the TCP type of that family is on
 * (IPv4 without fragments, IPv6 with TCP as the next header).  Returns
 * true with *hash set, or false: not hashed (another protocol, a
 * truncated frame, a type the guest did not ask for, a short key).
 */
bool enl_rss_hash_frame(const u8 *key, u32 key_len, u32 hashinfo,
			const u8 *frame, u32 len, u32 *hash);

/* A message type's and an OID's name for logs and tests ("?" if unknown). */
const char *enl_rndis_msg_name(u32 type);
const char *enl_rndis_oid_name(u32 oid);

#endif
