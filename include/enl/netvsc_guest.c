// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's reading of RNDIS messages from the receive buffer and the
 * header it writes in front of each frame; see netvsc_guest.h.  The host
 * chooses where a message sits in the buffer, so nothing here assumes any
 * alignment: fields are copied out byte-wise.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#else
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#endif

#include <enl/netvsc_guest.h>

static u32 rd32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void wr32(u8 *p, u32 v)
{
	memcpy(p, &v, sizeof(v));
}

static u32 bad(struct enl_rndis_rx *r, const char *why)
{
	r->kind = ENL_RNDIS_RX_BAD;
	r->bad = why;
	return r->kind;
}

/* A data message: the frame and its PPIs, by the checks both ends share. */
static u32 parse_data(const u8 *msg, u32 mlen, struct enl_rndis_rx *r)
{
	struct enl_rndis_pkt_info pi;

	if (enl_rndis_parse_packet(msg, mlen, &pi))
		return bad(r, "data message: frame or PPIs outside it, or malformed PPIs");
	/* RSC fragments only come to a guest that asked for RSC: we never do */
	if (pi.rsc_present)
		return bad(r, "RSC fragment not negotiated");
	if (pi.data_len < 14)
		return bad(r, "frame shorter than an Ethernet header");
	r->data_off = pi.data_offset;
	r->data_len = pi.data_len;
	if (ENL_PPI_PRESENT(&pi, ENL_PPI_TCPIP_CHKSUM)) {
		r->has_csum = true;
		r->csum = pi.csum;
	}
	if (ENL_PPI_PRESENT(&pi, ENL_PPI_IEEE_8021Q)) {
		r->has_vlan = true;
		r->vlan_tci = (u16)(ENL_VLAN_ID(pi.vlan) | ENL_VLAN_CFI(pi.vlan) << 12 |
				    ENL_VLAN_PRI(pi.vlan) << 13);
	}
	if (ENL_PPI_PRESENT(&pi, ENL_PPI_NBL_HASH_VALUE)) {
		r->has_hash = true;
		r->hash = pi.hash;
	}
	return r->kind;
}

u32 enl_rndis_rx_parse(const u8 *msg, u32 len, struct enl_rndis_rx *r)
{
	u32 mlen;

	memset(r, 0, sizeof(*r));
	if (len < 8)
		return bad(r, "message shorter than 8 bytes");
	r->type = rd32(msg);
	mlen = rd32(msg + 4);
	if (mlen < 8 || mlen > len)
		return bad(r, "message length outside its range");

	switch (r->type) {
	case ENL_RNDIS_MSG_PACKET:
		r->kind = ENL_RNDIS_RX_DATA;
		return parse_data(msg, mlen, r);
	case ENL_RNDIS_MSG_INDICATE: {
		u32 boff, blen;

		if (mlen < 8 + sizeof(struct enl_rndis_indicate_status))
			return bad(r, "indication too short");
		r->status = rd32(msg + 8);
		blen = rd32(msg + 12);
		boff = rd32(msg + 16);
		/* the offset counts from the indication's body (byte 8) */
		if (blen && (boff > mlen - 8 || blen > mlen - 8 - boff))
			return bad(r, "indication buffer outside the message");
		r->buf_off = blen ? 8 + boff : 0;
		r->buf_len = blen;
		r->kind = ENL_RNDIS_RX_INDICATE;
		return r->kind;
	}
	case ENL_RNDIS_MSG_INIT | ENL_RNDIS_MSG_COMPLETION:
	case ENL_RNDIS_MSG_QUERY | ENL_RNDIS_MSG_COMPLETION:
	case ENL_RNDIS_MSG_SET | ENL_RNDIS_MSG_COMPLETION:
	case ENL_RNDIS_MSG_KEEPALIVE | ENL_RNDIS_MSG_COMPLETION:
		/* request id and status at least */
		if (mlen < 16)
			return bad(r, "completion too short");
		r->req_id = rd32(msg + 8);
		r->status = rd32(msg + 12);
		r->kind = ENL_RNDIS_RX_CMPLT;
		return r->kind;
	default:
		r->kind = ENL_RNDIS_RX_IGNORE;
		return r->kind;
	}
}

int enl_rndis_query_info(const u8 *msg, u32 len, u32 *status, u32 *off,
			 u32 *ilen)
{
	u32 mlen, ioff, il;

	if (len < 8 + sizeof(struct enl_rndis_query_cmplt))
		return -EPROTO;
	mlen = rd32(msg + 4);
	if (mlen < 8 + sizeof(struct enl_rndis_query_cmplt) || mlen > len ||
	    rd32(msg) != (ENL_RNDIS_MSG_QUERY | ENL_RNDIS_MSG_COMPLETION))
		return -EPROTO;
	*status = rd32(msg + 12);
	if (*status)
		return -EIO;
	il = rd32(msg + 16);
	ioff = rd32(msg + 20);
	if (!il) {
		*off = 0;
		*ilen = 0;
		return 0;
	}
	/* info_offset counts from the request id (byte 8) */
	if (ioff > mlen - 8 || il > mlen - 8 - ioff)
		return -EPROTO;
	*off = 8 + ioff;
	*ilen = il;
	return 0;
}

int enl_netvsc_xfer_check(const struct enl_pkt *p, u32 buf_len, u32 max_range,
			  const char **why)
{
	u32 i;

	if (p->type != VMBUS_PKT_XFER_PAGES) {
		*why = "not a transfer-page packet";
		return -EPROTO;
	}
	if (p->pageset_id != ENL_NVSP_RECV_BUF_ID) {
		*why = "transfer-page set is not the receive buffer";
		return -EPROTO;
	}
	if (!p->range_count) {
		*why = "no ranges";
		return -EPROTO;
	}
	for (i = 0; i < p->range_count; i++) {
		struct vmbus_xfer_range x = enl_pkt_xfer_range(p, i);

		if (x.byte_offset > buf_len || x.byte_count > buf_len - x.byte_offset) {
			*why = "range outside the receive buffer";
			return -EPROTO;
		}
		if (x.byte_count > max_range) {
			*why = "range longer than a receive section";
			return -EPROTO;
		}
	}
	return 0;
}

u32 enl_rndis_tx_header(u8 *buf, u32 frame_len,
			const struct enl_rndis_tx_info *ti)
{
	u8 *pkt = buf + 8;
	u32 ppi = 0, hdr, room = ENL_RNDIS_TX_HDR_MAX - 8 - sizeof(struct enl_rndis_packet);

	memset(buf, 0, 8 + sizeof(struct enl_rndis_packet));
	if (ti->hash)
		ppi += enl_rndis_put_ppi(pkt + 36 + ppi, room - ppi,
					 ENL_PPI_NBL_HASH_VALUE, ti->hash_val);
	if (ti->vlan)
		ppi += enl_rndis_put_ppi(pkt + 36 + ppi, room - ppi,
					 ENL_PPI_IEEE_8021Q, ti->vlan_val);
	if (ti->lso)
		ppi += enl_rndis_put_ppi(pkt + 36 + ppi, room - ppi,
					 ENL_PPI_TCP_LARGESEND, ti->lso_val);
	else if (ti->csum)
		ppi += enl_rndis_put_ppi(pkt + 36 + ppi, room - ppi,
					 ENL_PPI_TCPIP_CHKSUM, ti->csum_val);
	hdr = 8 + sizeof(struct enl_rndis_packet) + ppi;
	wr32(buf, ENL_RNDIS_MSG_PACKET);
	wr32(buf + 4, hdr + frame_len);
	wr32(pkt + offsetof(struct enl_rndis_packet, data_offset),
	     sizeof(struct enl_rndis_packet) + ppi);
	wr32(pkt + offsetof(struct enl_rndis_packet, data_len), frame_len);
	if (ppi) {
		wr32(pkt + offsetof(struct enl_rndis_packet, ppi_offset),
		     sizeof(struct enl_rndis_packet));
		wr32(pkt + offsetof(struct enl_rndis_packet, ppi_len), ppi);
	}
	return hdr;
}
