// SPDX-License-Identifier: GPL-2.0-only
/*
 * RNDIS message checks, both ends: headers, OID requests, data messages
 * and their per-packet info.  Pure: no allocation, every read bounded by
 * the given length (the buffers are guest or host memory we do not trust),
 * so enl_netvsc, enl-netvsp, the unit tests and the fuzzer share them.
 */
#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <string.h>
#endif

#include <enl/rndis_msg.h>

static u32 get_u32(const void *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

struct rndis_type_row {
	u32 type;
	u8 body_min;
	const char *name;
};

static const struct rndis_type_row rndis_types[] = {
	{ ENL_RNDIS_MSG_PACKET, sizeof(struct enl_rndis_packet), "PACKET" },
	{ ENL_RNDIS_MSG_INIT, sizeof(struct enl_rndis_init_req), "INIT" },
	{ ENL_RNDIS_MSG_INIT_C, sizeof(struct enl_rndis_init_cmplt), "INIT_C" },
	{ ENL_RNDIS_MSG_HALT, sizeof(struct enl_rndis_halt_req), "HALT" },
	{ ENL_RNDIS_MSG_QUERY, sizeof(struct enl_rndis_oid_req), "QUERY" },
	{ ENL_RNDIS_MSG_QUERY_C, sizeof(struct enl_rndis_query_cmplt), "QUERY_C" },
	{ ENL_RNDIS_MSG_SET, sizeof(struct enl_rndis_oid_req), "SET" },
	{ ENL_RNDIS_MSG_SET_C, sizeof(struct enl_rndis_set_cmplt), "SET_C" },
	{ ENL_RNDIS_MSG_RESET, sizeof(struct enl_rndis_reset_req), "RESET" },
	{ ENL_RNDIS_MSG_RESET_C, sizeof(struct enl_rndis_reset_cmplt), "RESET_C" },
	{ ENL_RNDIS_MSG_INDICATE, sizeof(struct enl_rndis_indicate_status),
	  "INDICATE" },
	{ ENL_RNDIS_MSG_KEEPALIVE, sizeof(struct enl_rndis_keepalive_req),
	  "KEEPALIVE" },
	{ ENL_RNDIS_MSG_KEEPALIVE_C, sizeof(struct enl_rndis_keepalive_cmplt),
	  "KEEPALIVE_C" },
};

static const struct rndis_type_row *rndis_row(u32 type)
{
	unsigned int i;

	for (i = 0; i < ENL_ARRAY_SIZE(rndis_types); i++)
		if (rndis_types[i].type == type)
			return &rndis_types[i];
	return NULL;
}

int enl_rndis_body_min(u32 type)
{
	const struct rndis_type_row *r = rndis_row(type);

	return r ? r->body_min : -1;
}

const char *enl_rndis_msg_name(u32 type)
{
	const struct rndis_type_row *r = rndis_row(type);

	return r ? r->name : "?";
}

int enl_rndis_check_hdr(const void *buf, u32 len, u32 *type, u32 *msg_len)
{
	u32 t, ml;
	int need;

	if (len < ENL_RNDIS_HDR_SIZE)
		return -EMSGSIZE;
	t = get_u32(buf);
	ml = get_u32((const u8 *)buf + 4);
	*type = t;
	*msg_len = ml;
	need = enl_rndis_body_min(t);
	if (need < 0)
		return -EPROTO;
	if (ml < ENL_RNDIS_HDR_SIZE + (u32)need || ml > len)
		return -EMSGSIZE;
	return 0;
}

int enl_rndis_check_buf(u32 msg_len, u32 min_off, u32 off, u32 len)
{
	u32 body;

	if (len == 0)
		return 0;
	if (msg_len < ENL_RNDIS_HDR_SIZE)
		return -EINVAL;
	body = msg_len - ENL_RNDIS_HDR_SIZE;
	if (off < min_off || off > body || len > body - off)
		return -EINVAL;
	return 0;
}

int enl_rndis_parse_oid_req(const void *buf, u32 msg_len,
			    struct enl_rndis_oid_req *req, const u8 **info)
{
	const u8 *body = (const u8 *)buf + ENL_RNDIS_HDR_SIZE;

	*info = NULL;
	if (msg_len < ENL_RNDIS_HDR_SIZE + sizeof(*req))
		return -EINVAL;
	memcpy(req, body, sizeof(*req));
	if (enl_rndis_check_buf(msg_len, sizeof(*req), req->info_buf_offset,
				req->info_buflen))
		return -EINVAL;
	if (req->info_buflen)
		*info = body + req->info_buf_offset;
	return 0;
}

int enl_rndis_parse_packet(const void *buf, u32 msg_len,
			   struct enl_rndis_pkt_info *out)
{
	const u8 *body = (const u8 *)buf + ENL_RNDIS_HDR_SIZE;
	struct enl_rndis_packet p;
	u32 pos, end;

	memset(out, 0, sizeof(*out));
	if (msg_len < ENL_RNDIS_HDR_SIZE + sizeof(p))
		return -EINVAL;
	memcpy(&p, body, sizeof(p));
	if (p.data_len == 0 ||
	    enl_rndis_check_buf(msg_len, sizeof(p), p.data_offset, p.data_len))
		return -EINVAL;
	if (p.num_oob_data_elements || p.oob_data_len)
		return -EINVAL;
	out->data_offset = ENL_RNDIS_HDR_SIZE + p.data_offset;
	out->data_len = p.data_len;
	if (p.ppi_len == 0)
		return 0;
	if (enl_rndis_check_buf(msg_len, sizeof(p), p.ppi_offset, p.ppi_len))
		return -EINVAL;

	pos = p.ppi_offset;
	end = p.ppi_offset + p.ppi_len;
	while (pos < end) {
		struct enl_rndis_ppi h;
		u32 t, v;

		if (end - pos < sizeof(h))
			return -EINVAL;
		memcpy(&h, body + pos, sizeof(h));
		if (h.size < sizeof(h) + sizeof(u32) || h.size > end - pos ||
		    h.ppi_offset < sizeof(h) || h.ppi_offset > h.size - sizeof(u32))
			return -EINVAL;
		v = get_u32(body + pos + h.ppi_offset);
		t = ENL_RNDIS_PPI_TYPE(h.type);
		if (h.type & ENL_RNDIS_PPI_INTERNAL) {
			if (t == ENL_PPI_INTERNAL_RSC_FRAG_ID) {
				out->rsc_present = 1;
				memcpy(&out->rsc, &v, sizeof(out->rsc));
			}
		} else if (t < 32) {
			out->present |= 1u << t;
			switch (t) {
			case ENL_PPI_TCPIP_CHKSUM:
				out->csum = v;
				break;
			case ENL_PPI_TCP_LARGESEND:
				out->lso = v;
				break;
			case ENL_PPI_IEEE_8021Q:
				out->vlan = v;
				break;
			case ENL_PPI_NBL_HASH_VALUE:
				out->hash = v;
				break;
			default:
				break;
			}
		}
		pos += h.size;
	}
	return 0;
}

u32 enl_rndis_put_ppi(void *dst, u32 room, u32 type, u32 value)
{
	struct enl_rndis_ppi h = {
		.size = sizeof(h) + sizeof(u32),
		.type = type,
		.ppi_offset = sizeof(h),
	};

	if (room < h.size)
		return 0;
	memcpy(dst, &h, sizeof(h));
	memcpy((u8 *)dst + sizeof(h), &value, sizeof(value));
	return h.size;
}

const char *enl_rndis_oid_name(u32 oid)
{
	switch (oid) {
	case ENL_OID_GEN_SUPPORTED_LIST: return "GEN_SUPPORTED_LIST";
	case ENL_OID_GEN_MAXIMUM_FRAME_SIZE: return "GEN_MAXIMUM_FRAME_SIZE";
	case ENL_OID_GEN_LINK_SPEED: return "GEN_LINK_SPEED";
	case ENL_OID_GEN_CURRENT_PACKET_FILTER: return "GEN_CURRENT_PACKET_FILTER";
	case ENL_OID_GEN_MAXIMUM_TOTAL_SIZE: return "GEN_MAXIMUM_TOTAL_SIZE";
	case ENL_OID_GEN_MEDIA_CONNECT_STATUS: return "GEN_MEDIA_CONNECT_STATUS";
	case ENL_OID_GEN_NETWORK_LAYER_ADDRESSES: return "GEN_NETWORK_LAYER_ADDRESSES";
	case ENL_OID_GEN_RECEIVE_SCALE_CAPABILITIES: return "GEN_RECEIVE_SCALE_CAPABILITIES";
	case ENL_OID_GEN_RECEIVE_SCALE_PARAMETERS: return "GEN_RECEIVE_SCALE_PARAMETERS";
	case ENL_OID_GEN_RNDIS_CONFIG_PARAMETER: return "GEN_RNDIS_CONFIG_PARAMETER";
	case ENL_OID_GEN_FRIENDLY_NAME: return "GEN_FRIENDLY_NAME";
	case ENL_OID_802_3_PERMANENT_ADDRESS: return "802_3_PERMANENT_ADDRESS";
	case ENL_OID_802_3_CURRENT_ADDRESS: return "802_3_CURRENT_ADDRESS";
	case ENL_OID_802_3_MULTICAST_LIST: return "802_3_MULTICAST_LIST";
	case ENL_OID_TCP_OFFLOAD_PARAMETERS: return "TCP_OFFLOAD_PARAMETERS";
	case ENL_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES:
		return "TCP_OFFLOAD_HARDWARE_CAPABILITIES";
	case ENL_OID_OFFLOAD_ENCAPSULATION: return "OFFLOAD_ENCAPSULATION";
	default: return "?";
	}
}

/* ---- RSS --------------------------------------------------------------- */

u32 enl_toeplitz(const u8 *key, u32 key_len, const u8 *in, u32 len)
{
	/* the 32 key bits at the input bit now; shifted left one per bit */
	u32 window, hash = 0, i;
	int b;

	if (key_len < len + 4)
		return 0;
	window = (u32)key[0] << 24 | (u32)key[1] << 16 | (u32)key[2] << 8 | key[3];
	for (i = 0; i < len; i++) {
		for (b = 7; b >= 0; b--) {
			if (in[i] & (1u << b))
				hash ^= window;
			window <<= 1;
			if (key[i + 4] & (1u << b))
				window |= 1;
		}
	}
	return hash;
}

bool enl_rss_hash_frame(const u8 *key, u32 key_len, u32 hashinfo,
			const u8 *frame, u32 len, u32 *hash)
{
	u8 in[36];
	u32 n, l3 = 14, l4;
	u16 et;

	if (len < l3)
		return false;
	et = (u16)(frame[12] << 8 | frame[13]);
	if (et == 0x8100 && len >= l3 + 4) {
		et = (u16)(frame[16] << 8 | frame[17]);
		l3 += 4;
	}
	if (et == 0x0800) {
		u32 ihl;

		if (!(hashinfo & (ENL_NDIS_HASH_IPV4 | ENL_NDIS_HASH_TCP_IPV4)) ||
		    len < l3 + 20 || frame[l3] >> 4 != 4)
			return false;
		ihl = (frame[l3] & 0xfu) * 4;
		if (ihl < 20 || len < l3 + ihl)
			return false;
		memcpy(in, frame + l3 + 12, 8);
		n = 8;
		l4 = l3 + ihl;
		/* TCP, not a fragment (no offset, no more-fragments) */
		if ((hashinfo & ENL_NDIS_HASH_TCP_IPV4) && frame[l3 + 9] == 6 &&
		    !(((frame[l3 + 6] & 0x3fu) << 8 | frame[l3 + 7])) && len >= l4 + 4) {
			memcpy(in + n, frame + l4, 4);
			n += 4;
		} else if (!(hashinfo & ENL_NDIS_HASH_IPV4)) {
			return false;
		}
	} else if (et == 0x86dd) {
		if (!(hashinfo & (ENL_NDIS_HASH_IPV6 | ENL_NDIS_HASH_TCP_IPV6)) ||
		    len < l3 + 40 || frame[l3] >> 4 != 6)
			return false;
		memcpy(in, frame + l3 + 8, 32);
		n = 32;
		l4 = l3 + 40;
		if ((hashinfo & ENL_NDIS_HASH_TCP_IPV6) && frame[l3 + 6] == 6 &&
		    len >= l4 + 4) {
			memcpy(in + n, frame + l4, 4);
			n += 4;
		} else if (!(hashinfo & ENL_NDIS_HASH_IPV6)) {
			return false;
		}
	} else {
		return false;
	}
	if (key_len < n + 4)
		return false;
	*hash = enl_toeplitz(key, key_len, in, n);
	return true;
}
