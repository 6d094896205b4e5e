// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness over enl-netvsp's protocol (hostside-vsp/netvsp/nvsp.c
 * with include/enl/nvsp.c and rndis.c): each input is a sequence of
 * records, each one packet as the guest would put it in the ring (raw),
 * an NVSP message built around fuzzed bytes, an RNDIS stream sent from a
 * send-buffer section or from GPA ranges (control or data channel), or a
 * frame from the tap.  The first byte picks the starting state: fresh, or
 * with buffers and RNDIS set up.  Sends, frames and buffers are fake; ASan
 * catches any access outside them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hostside-vsp/netvsp/netvsp.h"

#define RAM_PAGES	8
#define PAGE		4096u
#define RECV_GPADL	7
#define SEND_GPADL	8
#define RECV_SIZE	(16 * NETVSP_RECV_SECTION)
#define SEND_SIZE	(8 * NETVSP_SEND_SECTION)

static u8 ram[RAM_PAGES * PAGE];
static u8 *recv_buf, *send_buf;
static struct netvsp_dev dev;

static int f_send(void *ctx, unsigned int q, const struct enl_iov *iov, unsigned int n)
{
	unsigned int i;
	volatile u8 sink = 0;

	/* touch every byte: a bad length shows up here */
	for (i = 0; i < n; i++) {
		const u8 *p = iov[i].base;
		u32 j;

		for (j = 0; j < iov[i].len; j++)
			sink ^= p[j];
	}
	(void)sink;
	/* a completion of an xfer packet: the guest takes sections back at once */
	return 0;
}

static void *f_gpadl(void *ctx, u32 id, size_t *len)
{
	if (id == RECV_GPADL) { *len = RECV_SIZE; return recv_buf; }
	if (id == SEND_GPADL) { *len = SEND_SIZE; return send_buf; }
	return NULL;
}

static int f_gpa_iov(void *ctx, const struct enl_pkt_gpa_range *r, struct iovec *iov,
		     unsigned int max)
{
	u32 i, left = r->byte_count, off = r->byte_offset;
	unsigned int n = 0;

	for (i = 0; i < r->pfn_count && left; i++) {
		u32 c = PAGE - off < left ? PAGE - off : left;

		if (r->pfn[i] >= RAM_PAGES)
			return -ERANGE;
		if (n >= max)
			return -E2BIG;
		iov[n].iov_base = ram + r->pfn[i] * PAGE + off;
		iov[n].iov_len = c;
		n++;
		left -= c;
		off = 0;
	}
	return (int)n;
}

static int f_tx(void *ctx, unsigned int q, const struct netvsp_vnet_hdr *h,
		const struct iovec *iov, int n)
{
	volatile u8 sink = 0;
	int i;

	for (i = 0; i < n; i++) {
		const u8 *p = iov[i].iov_base;
		size_t j;

		for (j = 0; j < iov[i].iov_len; j++)
			sink ^= p[j];
	}
	(void)sink;
	/* the header must stay inside the frame the tap gets */
	if ((h->flags & 1) && h->csum_start + h->csum_offset + 2u >
	    (u32)(iov[0].iov_len + (n > 1 ? iov[1].iov_len : 0) + (n > 2 ? iov[2].iov_len : 0)))
		abort();
	return 0;
}

static void packet(const u8 *p, u32 len)
{
	_Alignas(8) u8 b[4096];

	if (len > sizeof(b))
		len = sizeof(b);
	memcpy(b, p, len);
	netvsp_handle_packet(&dev, 0, b, len);
}

static void nvsp_inband(const u8 *body, u32 len, u32 type)
{
	_Alignas(8) u8 b[16 + 40];
	struct vmbus_pkt_desc d = { VMBUS_PKT_INBAND, 2, sizeof(b) / 8, 1, 1 };

	memset(b, 0, sizeof(b));
	memcpy(b, &d, 16);
	memcpy(b + 16, &type, 4);
	memcpy(b + 20, body, len < 36 ? len : 36);
	netvsp_handle_packet(&dev, 0, b, sizeof(b));
}

/* an RNDIS stream from a send section (index, size fuzzed) or GPA pages */
static void rndis_stream(const u8 *data, u32 len, u8 how)
{
	_Alignas(8) u8 b[16 + 8 + 8 + 2 * 8 + 40];
	struct vmbus_pkt_desc d = { VMBUS_PKT_INBAND, 2, (16 + 40) / 8, 1, 2 };
	struct enl_nvsp_msg m = { .type = ENL_NVSP_MSG1_SEND_RNDIS_PKT };
	u32 off = 0;

	m.rndis_pkt.channel_type = how & 1;
	if (how & 2) {
		u32 sec = (how >> 2) & 7;

		if (len > NETVSP_SEND_SECTION)
			len = NETVSP_SEND_SECTION;
		memcpy(send_buf + sec * NETVSP_SEND_SECTION, data, len);
		m.rndis_pkt.send_buf_section_index = (how & 0x20) ? 1000 : sec;
		m.rndis_pkt.send_buf_section_size = (how & 0x40) ? len + 9 : len;
		memcpy(b, &d, 16);
		memcpy(b + 16, &m, 40);
		netvsp_handle_packet(&dev, 0, b, 16 + 40);
		return;
	}
	/* GPA direct: one range over pages 1-2 */
	if (len > 2 * PAGE - 100)
		len = 2 * PAGE - 100;
	off = how >> 4;
	memcpy(ram + PAGE + off, data, len);
	{
		u32 hdr[2] = { 0, 1 }, range[2] = { len ? len : 1, off };
		u64 pfn[2] = { 1, 2 };
		u32 pages = (off + (len ? len : 1) + PAGE - 1) / PAGE;

		d.type = VMBUS_PKT_GPA_DIRECT;
		d.offset8 = (u16)((16 + 8 + 8 + 8 * pages) / 8);
		d.len8 = (u16)(d.offset8 + 5);
		memcpy(b, &d, 16);
		memcpy(b + 16, hdr, 8);
		memcpy(b + 24, range, 8);
		memcpy(b + 32, pfn, 8 * pages);
		m.rndis_pkt.send_buf_section_index = ENL_NVSP_NO_SECTION;
		memcpy(b + d.offset8 * 8, &m, 40);
		netvsp_handle_packet(&dev, 0, b, d.len8 * 8u);
	}
}

static void ready(void)
{
	u8 body[36] = { 0 };
	u32 v = ENL_NVSP_VER_61, g = RECV_GPADL;
	u16 id = ENL_NVSP_RECV_BUF_ID;
	struct { struct enl_rndis_hdr h; struct enl_rndis_init_req i; } init = {
		{ ENL_RNDIS_MSG_INIT, sizeof(init) }, { 1, 1, 0, 0x4000 } };
	struct { struct enl_rndis_hdr h; struct enl_rndis_oid_req q; u32 f; } set = {
		{ ENL_RNDIS_MSG_SET, sizeof(set) },
		{ 2, ENL_OID_GEN_CURRENT_PACKET_FILTER, 4, 20, 0 }, 0xD };

	memcpy(body, &v, 4);
	memcpy(body + 4, &v, 4);
	nvsp_inband(body, 8, ENL_NVSP_MSG_INIT);
	memcpy(body, &g, 4);
	memcpy(body + 4, &id, 2);
	nvsp_inband(body, 6, ENL_NVSP_MSG1_SEND_RECV_BUF);
	g = SEND_GPADL;
	memcpy(body, &g, 4);
	nvsp_inband(body, 6, ENL_NVSP_MSG1_SEND_SEND_BUF);
	rndis_stream((const u8 *)&init, sizeof(init), 1);
	rndis_stream((const u8 *)&set, sizeof(set), 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const u8 mac[6] = { 2, 0, 0, 0, 0, 1 };
	struct netvsp_io io = { .send = f_send, .gpadl = f_gpadl, .gpa_iov = f_gpa_iov,
				.tx = f_tx };
	size_t pos = 1;

	if (!recv_buf) {
		recv_buf = malloc(RECV_SIZE);
		send_buf = malloc(SEND_SIZE);
	}
	if (!size)
		return 0;
	netvsp_dev_init(&dev, mac, 2, &io);
	if (data[0] & 1)
		ready();
	/* records: kind, len (2 bytes), bytes */
	while (pos + 3 <= size) {
		u8 kind = data[pos];
		u32 len = (u32)data[pos + 1] | (u32)data[pos + 2] << 8;

		pos += 3;
		if (len > size - pos)
			len = (u32)(size - pos);
		switch (kind & 3) {
		case 0:
			packet(data + pos, len);
			break;
		case 1:
			if (len >= 4) {
				u32 t;

				memcpy(&t, data + pos, 4);
				nvsp_inband(data + pos + 4, len - 4, t);
			}
			break;
		case 2:
			rndis_stream(data + pos, len, kind >> 2 | (kind & 0x80 ? 0x40 : 0));
			break;
		case 3: {
			u8 frame[NETVSP_FRAME_MAX + 64];
			struct netvsp_vnet_hdr h = { 0 };

			if (len >= sizeof(h)) {
				memcpy(&h, data + pos, sizeof(h));
				len -= (u32)sizeof(h);
				if (len > sizeof(frame))
					len = sizeof(frame);
				memcpy(frame, data + pos + sizeof(h), len);
				netvsp_rx_frame(&dev, 0, &h, frame, len);
				/* the guest gives every section back */
				{
					u32 i;

					for (i = 0; i < dev.nsections; i++) {
						_Alignas(8) u8 c[24] = { 0 };
						struct vmbus_pkt_desc d = { VMBUS_PKT_COMPLETION, 2, 3, 0,
							(u64)dev.s.generation << 32 | i };

						memcpy(c, &d, 16);
						if (dev.sec_busy && dev.sec_busy[i])
							netvsp_handle_packet(&dev, 0, c, sizeof(c));
					}
				}
			}
			break;
		}
		}
		pos += len;
	}
	netvsp_dev_destroy(&dev);
	return 0;
}
