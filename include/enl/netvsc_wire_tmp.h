/* SPDX-License-Identifier: GPL-2.0-only */
/* TEMPORARY until include/enl/nvsp_msg.h and rndis_msg.h land. */
#ifndef ENL_NETVSC_WIRE_TMP_H
#define ENL_NETVSC_WIRE_TMP_H

#include <enl/types.h>

#define NVSP_MSG_INIT			1
#define NVSP_MSG_INIT_COMPLETE		2
#define NVSP_MSG_SEND_NDIS_VER		100
#define NVSP_MSG_SEND_RECV_BUF		101
#define NVSP_MSG_SEND_RECV_BUF_COMPLETE	102
#define NVSP_MSG_REVOKE_RECV_BUF	103
#define NVSP_MSG_SEND_SEND_BUF		104
#define NVSP_MSG_SEND_SEND_BUF_COMPLETE	105
#define NVSP_MSG_REVOKE_SEND_BUF	106
#define NVSP_MSG_SEND_RNDIS_PKT		107
#define NVSP_MSG_SEND_RNDIS_PKT_COMPLETE 108
#define NVSP_MSG_SEND_NDIS_CONFIG	125
#define NVSP_MSG_SUBCHANNEL		133
#define NVSP_MSG_SEND_INDIRECTION_TABLE	134

#define NVSP_STAT_SUCCESS		1
#define NVSP_STAT_FAIL			2

#define NVSP_VER_1	0x2
#define NVSP_VER_2	0x30002
#define NVSP_VER_4	0x40000
#define NVSP_VER_5	0x50000
#define NVSP_VER_6	0x60000
#define NVSP_VER_61	0x60001

#define NVSP_RECV_BUF_ID	0xcafe
#define NVSP_SEND_BUF_ID	0
#define NVSP_NO_SECTION		0xffffffffu

struct nvsp_msg {
	u32 type;
	union {
		struct { u32 min_ver, max_ver; } init;
		struct { u32 negotiated_ver, max_mdl_chain_len, status; } init_complete;
		struct { u32 major, minor; } ndis_ver;
		struct { u32 mtu, reserved; u64 capability; } __attribute__((packed)) ndis_config;
		struct { u32 gpadl_handle; u16 id; } __attribute__((packed)) send_buf;
		struct { u32 status, num_sections, offset, sub_alloc_size, num_sub_allocs, end_offset; } recv_buf_complete;
		struct { u32 status, section_size; } send_buf_complete;
		struct { u16 id; } revoke;
		struct { u32 channel_type, section_index, section_size; } rndis_pkt;
		struct { u32 status; } rndis_pkt_complete;
		struct { u32 op, num_subchannels; } subchannel_req;
		struct { u32 status, num_subchannels; } subchannel_complete;
		struct { u32 count, offset; } indirection;
		u8 raw[36];
	};
} __attribute__((packed));
ENL_SIZE_ASSERT(struct nvsp_msg, 40);

#define NDIS_CONFIG_CAP_IEEE8021Q	(1ull << 3)
#define NDIS_CONFIG_CAP_TEAMING		(1ull << 5)
#define NDIS_CONFIG_CAP_RSC		(1ull << 7)

/* RNDIS */
#define RNDIS_MSG_PACKET	1
#define RNDIS_MSG_INIT		2
#define RNDIS_MSG_HALT		3
#define RNDIS_MSG_QUERY		4
#define RNDIS_MSG_SET		5
#define RNDIS_MSG_INDICATE	7
#define RNDIS_MSG_KEEPALIVE	8
#define RNDIS_MSG_COMPLETION	0x80000000u

struct rndis_hdr { u32 type, len; };
struct rndis_packet {
	u32 data_offset, data_len, oob_offset, oob_len, num_oob;
	u32 ppi_offset, ppi_len, vc_handle, reserved;
};
ENL_SIZE_ASSERT(struct rndis_packet, 36);
struct rndis_ppi { u32 size; u32 type; u32 ppi_offset; };
struct rndis_init_req { u32 req_id, major, minor, max_xfer; };
struct rndis_init_cmplt {
	u32 req_id, status, major, minor, dev_flags, medium, max_pkt_per_msg,
	    max_xfer, pkt_align_factor, af_list_offset, af_list_size;
};
struct rndis_query_req { u32 req_id, oid, info_len, info_offset, dev_vc_handle; };
struct rndis_query_cmplt { u32 req_id, status, info_len, info_offset; };
struct rndis_set_req { u32 req_id, oid, info_len, info_offset, dev_vc_handle; };
struct rndis_set_cmplt { u32 req_id, status; };
struct rndis_halt_req { u32 req_id; };
struct rndis_indicate { u32 status, buflen, offset; };

#define RNDIS_OID_MAX_FRAME_SIZE	0x00010106
#define RNDIS_OID_LINK_SPEED		0x00010107
#define RNDIS_OID_PACKET_FILTER		0x0001010e
#define RNDIS_OID_MEDIA_CONNECT		0x00010114
#define RNDIS_OID_PERMANENT_ADDRESS	0x01010101
#define RNDIS_OID_OFFLOAD_HW_CAPS	0xfc01020d
#define RNDIS_OID_OFFLOAD_PARAMS	0xfc01020c
#define RNDIS_OID_RSS_CAPS		0x00010203
#define RNDIS_OID_RSS_PARAMS		0x00010204

#define RNDIS_STATUS_MEDIA_CONNECT	0x4001000b
#define RNDIS_STATUS_MEDIA_DISCONNECT	0x4001000c
#define RNDIS_STATUS_NETWORK_CHANGE	0x40010018
#define RNDIS_STATUS_LINK_SPEED_CHANGE	0x40010013

#define RNDIS_FILTER_DIRECTED		0x1
#define RNDIS_FILTER_MULTICAST		0x2
#define RNDIS_FILTER_ALL_MULTICAST	0x4
#define RNDIS_FILTER_BROADCAST		0x8
#define RNDIS_FILTER_PROMISCUOUS	0x20

#define PPI_CHECKSUM	0
#define PPI_LSO		2
#define PPI_VLAN	6
#define PPI_HASH	8

struct ndis_obj_hdr { u8 type, revision; u16 size; };
#define NDIS_OBJ_TYPE_OFFLOAD		0xa7
#define NDIS_OBJ_TYPE_OFFLOAD_PARAMS	0x80
#define NDIS_OBJ_TYPE_RSS_CAPS		0x88

struct ndis_offload {
	struct ndis_obj_hdr hdr;
	u32 ip4_txenc, ip4_txcsum, ip4_rxenc, ip4_rxcsum;
	u32 ip6_txenc, ip6_txcsum, ip6_rxenc, ip6_rxcsum;
	u32 lsov1[4];
	u32 ipsecv1[7];
	u32 lso_ip4_encap, lso_ip4_maxsz, lso_ip4_minsg;
	u32 lso_ip6_encap, lso_ip6_maxsz, lso_ip6_minsg, lso_ip6_opts;
	u32 flags;
	u32 ipsecv2[8];
	u8 rsc_ip4, rsc_ip6, rsc_pad[2];
	u32 encap[2];
} __attribute__((packed));
ENL_SIZE_ASSERT(struct ndis_offload, 156);

/* offload params SET, 28 bytes at revision 3 */
struct ndis_offload_params {
	struct ndis_obj_hdr hdr;
	u8 ip_v4_csum, tcp_ip_v4_csum, udp_ip_v4_csum, tcp_ip_v6_csum, udp_ip_v6_csum;
	u8 lso_v1, ipsec_v1, lso_v2_ipv4, lso_v2_ipv6, tcp_conn_ip_v4, tcp_conn_ip_v6;
	u8 reserved;
	u32 flags;
	u8 ipsec_v2, ipsec_v2_ipv4, rsc_ip_v4, rsc_ip_v6, encap_enabled, encap_type;
	u8 pad[2];
} __attribute__((packed));
ENL_SIZE_ASSERT(struct ndis_offload_params, 28);
#define NDIS_OFFLOAD_PARAMS_TX_RX_ENABLED 4
#define NDIS_OFFLOAD_PARAMS_LSOV2_ENABLED 2


#endif
