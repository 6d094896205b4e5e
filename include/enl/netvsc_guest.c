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

/*
 * The PPIs of a data message: at pkt + ppi_off (pkt = the rndis_packet,
 * byte 8), ppi_len bytes, which they must tile exactly.  Unknown types are
 * skipped, known ones need a whole value.
 */
static u32 parse_ppis(const u8 *pkt, u32 ppi_off, u32 ppi_len,
		      struct enl_rndis_rx *r)
{
	u32 pos = 0;

	while (pos < ppi_len) {
		const u8 *p = pkt + ppi_off + pos;
		u32 size, type, voff;

		if (ppi_len - pos < sizeof(struct rndis_ppi))
			return bad(r, "PPI header past ppi_len");
		size = rd32(p);
		type = rd32(p + 4);
		voff = rd32(p + 8);
		/* the stock driver loops for ever on these: we refuse */
		if (size < sizeof(struct rndis_ppi) + 4 || size > ppi_len - pos)
			return bad(r, "PPI size");
		if (voff != sizeof(struct rndis_ppi))
			return bad(r, "PPI value offset");
		if (type & 0x80000000u) {
			/* internal PPIs (RSC fragments): we never asked for RSC */
			return bad(r, "internal PPI (RSC) not negotiated");
		}
		switch (type) {
		case PPI_CHECKSUM:
			r->has_csum = true;
			r->csum = rd32(p + voff);
			break;
		case PPI_VLAN: {
			u32 v = rd32(p + voff);

			/* wire: pri 0..2, cfi 3, vid 4..15 */
			r->has_vlan = true;
			r->vlan_tci = (u16)(((v >> 4) & 0xfff) | ((v >> 3) & 1) << 12 |
					    (v & 7) << 13);
			break;
		}
		case PPI_HASH:
			r->has_hash = true;
			r->hash = rd32(p + voff);
			break;
		default:
			break;
		}
		pos += size;
	}
	return ENL_RNDIS_RX_DATA;
}

static u32 parse_data(const u8 *msg, u32 mlen, struct enl_rndis_rx *r)
{
	const u8 *pkt = msg + 8;
	u32 plen = mlen - 8;
	u32 doff, dlen, ppi_off, ppi_len;

	if (plen < sizeof(struct rndis_packet))
		return bad(r, "data message shorter than its header");
	doff = rd32(pkt + offsetof(struct rndis_packet, data_offset));
	dlen = rd32(pkt + offsetof(struct rndis_packet, data_len));
	ppi_off = rd32(pkt + offsetof(struct rndis_packet, ppi_offset));
	ppi_len = rd32(pkt + offsetof(struct rndis_packet, ppi_len));
	if (doff < sizeof(struct rndis_packet) || doff > plen || dlen > plen - doff)
		return bad(r, "frame outside the message");
	if (dlen < 14)
		return bad(r, "frame shorter than an Ethernet header");
	r->data_off = 8 + doff;
	r->data_len = dlen;
	if (!ppi_len)
		return ENL_RNDIS_RX_DATA;
	if (ppi_off < sizeof(struct rndis_packet) || ppi_off > plen ||
	    ppi_len > plen - ppi_off)
		return bad(r, "PPIs outside the message");
	return parse_ppis(pkt, ppi_off, ppi_len, r);
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
	case RNDIS_MSG_PACKET:
		r->kind = ENL_RNDIS_RX_DATA;
		return parse_data(msg, mlen, r);
	case RNDIS_MSG_INDICATE: {
		u32 boff, blen;

		if (mlen < 8 + sizeof(struct rndis_indicate))
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
	case RNDIS_MSG_INIT | RNDIS_MSG_COMPLETION:
	case RNDIS_MSG_QUERY | RNDIS_MSG_COMPLETION:
	case RNDIS_MSG_SET | RNDIS_MSG_COMPLETION:
	case RNDIS_MSG_KEEPALIVE | RNDIS_MSG_COMPLETION:
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

	if (len < 8 + sizeof(struct rndis_query_cmplt))
		return -EPROTO;
	mlen = rd32(msg + 4);
	if (mlen < 8 + sizeof(struct rndis_query_cmplt) || mlen > len ||
	    rd32(msg) != (RNDIS_MSG_QUERY | RNDIS_MSG_COMPLETION))
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
	if (p->pageset_id != NVSP_RECV_BUF_ID) {
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

static u32 put_ppi(u8 *p, u32 type, u32 val)
{
	wr32(p, sizeof(struct rndis_ppi) + 4);
	wr32(p + 4, type);
	wr32(p + 8, sizeof(struct rndis_ppi));
	wr32(p + 12, val);
	return sizeof(struct rndis_ppi) + 4;
}

u32 enl_rndis_tx_header(u8 *buf, u32 frame_len,
			const struct enl_rndis_tx_info *ti)
{
	u8 *pkt = buf + 8;
	u32 ppi = 0, hdr;

	memset(buf, 0, 8 + sizeof(struct rndis_packet));
	if (ti->hash)
		ppi += put_ppi(pkt + 36 + ppi, PPI_HASH, ti->hash_val);
	if (ti->vlan)
		ppi += put_ppi(pkt + 36 + ppi, PPI_VLAN, ti->vlan_val);
	if (ti->lso)
		ppi += put_ppi(pkt + 36 + ppi, PPI_LSO, ti->lso_val);
	else if (ti->csum)
		ppi += put_ppi(pkt + 36 + ppi, PPI_CHECKSUM, ti->csum_val);
	hdr = 8 + sizeof(struct rndis_packet) + ppi;
	wr32(buf, RNDIS_MSG_PACKET);
	wr32(buf + 4, hdr + frame_len);
	wr32(pkt + offsetof(struct rndis_packet, data_offset),
	     sizeof(struct rndis_packet) + ppi);
	wr32(pkt + offsetof(struct rndis_packet, data_len), frame_len);
	if (ppi) {
		wr32(pkt + offsetof(struct rndis_packet, ppi_offset),
		     sizeof(struct rndis_packet));
		wr32(pkt + offsetof(struct rndis_packet, ppi_len), ppi);
	}
	return hdr;
}
