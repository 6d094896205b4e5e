// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checking VMBus packets taken from a ring: what the guest's drivers and
 * the host's daemons run on every packet the other side wrote.  Pure C,
 * built into the kernel modules and into libvsp alike.
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/string.h>
#define ENL_EXPORT(sym)	EXPORT_SYMBOL_GPL(sym)
#else
#define ENL_EXPORT(sym)
#include <errno.h>
#include <string.h>
#endif
#include <enl/vmbus_packet.h>

/* Pages spanned by byte_count bytes starting byte_offset into a page. */
static u32 gpa_range_pages(u32 byte_offset, u32 byte_count)
{
	u64 end = (u64)byte_offset + byte_count;

	return (u32)((end + VMBUS_PKT_PAGE_SIZE - 1) / VMBUS_PKT_PAGE_SIZE);
}

static int parse_gpa_direct(struct enl_pkt *p)
{
	u32 off = 0, i;

	for (i = 0; i < p->range_count; i++) {
		struct vmbus_gpa_range r;
		u32 pages;

		if (p->ranges_len - off < sizeof(r))
			return -EPROTO;
		memcpy(&r, p->ranges + off, sizeof(r));
		off += sizeof(r);
		if (r.byte_count == 0 || r.byte_offset >= VMBUS_PKT_PAGE_SIZE)
			return -EPROTO;
		pages = gpa_range_pages(r.byte_offset, r.byte_count);
		if ((p->ranges_len - off) / 8 < pages)
			return -EPROTO;
		off += pages * 8;
	}
	return 0;
}

int enl_pkt_parse(const void *pkt, u32 len, struct enl_pkt *p)
{
	struct vmbus_pkt_desc d;
	const u8 *b = pkt;
	u32 hdr_len;

	memset(p, 0, sizeof(*p));
	if (len < sizeof(d))
		return -EPROTO;
	memcpy(&d, b, sizeof(d));
	hdr_len = (u32)d.offset8 * 8;
	if ((u32)d.len8 * 8 != len || hdr_len < sizeof(d) || hdr_len > len)
		return -EPROTO;
	p->type = d.type;
	p->flags = d.flags;
	p->trans_id = d.trans_id;
	p->payload = b + hdr_len;
	p->payload_len = len - hdr_len;

	switch (d.type) {
	case VMBUS_PKT_INBAND:
	case VMBUS_PKT_COMPLETION:
		return 0;
	case VMBUS_PKT_XFER_PAGES: {
		struct vmbus_pkt_xfer_pages x;

		if (hdr_len < sizeof(x))
			return -EPROTO;
		memcpy(&x, b, sizeof(x));
		p->pageset_id = x.pageset_id;
		p->sender_owns_set = x.sender_owns_set;
		p->range_count = x.range_count;
		p->ranges = b + sizeof(x);
		p->ranges_len = hdr_len - (u32)sizeof(x);
		if (p->range_count > p->ranges_len / sizeof(struct vmbus_xfer_range))
			return -EPROTO;
		return 0;
	}
	case VMBUS_PKT_GPA_DIRECT: {
		struct vmbus_pkt_gpa_direct g;

		if (hdr_len < sizeof(g))
			return -EPROTO;
		memcpy(&g, b, sizeof(g));
		p->range_count = g.range_count;
		p->ranges = b + sizeof(g);
		p->ranges_len = hdr_len - (u32)sizeof(g);
		/* each range takes at least 16 bytes: bounds the loop */
		if (p->range_count > p->ranges_len / 16)
			return -EPROTO;
		return parse_gpa_direct(p);
	}
	default:
		return -EOPNOTSUPP;
	}
}

ENL_EXPORT(enl_pkt_parse);

int enl_pkt_next_gpa_range(const struct enl_pkt *p, struct enl_pkt_gpa_iter *it,
			   struct enl_pkt_gpa_range *r)
{
	struct vmbus_gpa_range h;

	/* enl_pkt_parse() checked that every range fits */
	if (p->type != VMBUS_PKT_GPA_DIRECT || it->index >= p->range_count)
		return 0;
	memcpy(&h, p->ranges + it->off, sizeof(h));
	r->byte_count = h.byte_count;
	r->byte_offset = h.byte_offset;
	r->pfn_count = gpa_range_pages(h.byte_offset, h.byte_count);
	r->pfn = (const u64 *)(p->ranges + it->off + sizeof(h));
	it->off += (u32)sizeof(h) + r->pfn_count * 8;
	it->index++;
	return 1;
}

ENL_EXPORT(enl_pkt_next_gpa_range);

struct vmbus_xfer_range enl_pkt_xfer_range(const struct enl_pkt *p, u32 i)
{
	struct vmbus_xfer_range r = { 0, 0 };

	if (p->type == VMBUS_PKT_XFER_PAGES && i < p->range_count)
		memcpy(&r, p->ranges + (size_t)i * sizeof(r), sizeof(r));
	return r;
}

ENL_EXPORT(enl_pkt_xfer_range);
