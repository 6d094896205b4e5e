// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for enl_netvsc's reading of the host's receive path:
 * a ring packet as enl_vmbus hands it over (enl_pkt_parse(), then the
 * transfer-page check against a small receive buffer), and each range's
 * RNDIS message through enl_rndis_rx_parse() and, for query answers,
 * enl_rndis_query_info().  Whatever the host writes, every offset the
 * parsers return lies inside the message they were given (ASan sees the
 * buffers' exact ends).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <enl/netvsc_guest.h>

#define RECV_BUF 4096u

static void check_msg(const u8 *msg, u32 len)
{
	struct enl_rndis_rx r;
	u32 st, off, il;
	u8 *copy = malloc(len ? len : 1);

	if (!copy)
		return;
	memcpy(copy, msg, len);
	switch (enl_rndis_rx_parse(copy, len, &r)) {
	case ENL_RNDIS_RX_DATA:
		if (r.data_off > len || r.data_len > len - r.data_off)
			abort();
		/* what the module copies into the skb */
		if (r.data_len && copy[r.data_off + r.data_len - 1] == 0x5a)
			copy[0] ^= 1;
		break;
	case ENL_RNDIS_RX_INDICATE:
		if (r.buf_len && (r.buf_off > len || r.buf_len > len - r.buf_off))
			abort();
		break;
	case ENL_RNDIS_RX_BAD:
		if (!r.bad)
			abort();
		break;
	default:
		break;
	}
	if (!enl_rndis_query_info(copy, len, &st, &off, &il) && il &&
	    (off > len || il > len - off))
		abort();
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static u8 recv[RECV_BUF];
	const char *why;
	struct enl_pkt p;
	u32 split, i;
	u8 *pkt;

	if (size < 2 || size > 2 * RECV_BUF)
		return 0;
	/* the first two bytes: where the packet ends and the buffer starts */
	split = (data[0] | data[1] << 8) % (size - 1);
	data += 2;
	size -= 2;
	memset(recv, 0, sizeof(recv));
	memcpy(recv, data + split, size - split > RECV_BUF ? RECV_BUF : size - split);

	/* each message on its own, at the exact length */
	check_msg(data + split, (u32)(size - split));

	pkt = malloc(split ? split : 1);
	if (!pkt)
		return 0;
	memcpy(pkt, data, split);
	if (!enl_pkt_parse(pkt, split, &p) &&
	    !enl_netvsc_xfer_check(&p, RECV_BUF, 2048, &why)) {
		for (i = 0; i < p.range_count; i++) {
			struct vmbus_xfer_range x = enl_pkt_xfer_range(&p, i);

			if (x.byte_offset > RECV_BUF ||
			    x.byte_count > RECV_BUF - x.byte_offset || x.byte_count > 2048)
				abort();
			check_msg(recv + x.byte_offset, x.byte_count);
		}
	}
	free(pkt);
	return 0;
}
