// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the code each side runs on bytes the other side
 * controls, as shipped in include/enl/: the ring reader and writer with
 * hostile shared indices and packet descriptors, the IC message parsers
 * and answerers of both sides, and the guest's VMBus message check.
 *
 * Every packet the reader returns, and the input itself, also go through
 * enl_pkt_parse() and its range iterators.
 *
 * Input: byte 0 selects the data-area size (8 choices), the next 16 bytes
 * are the shared header fields (write_index, read_index, pending_send_sz,
 * feature_bits), the rest fills the data area; then the same bytes are fed
 * to the message parsers.  Every result is checked against the API's
 * promises (lengths inside the buffer, descriptor consistent).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <enl/ring.h>
#include <enl/ic_msg.h>
#include <enl/vmbus_guest.h>
#include <enl/vmbus_packet.h>

#define MAX_DATA	8192

/* A parsed packet's ranges must lie inside it: walk them all. */
static void check_pkt(const u8 *pkt, u32 len)
{
	struct enl_pkt_gpa_iter it = { 0, 0 };
	struct enl_pkt_gpa_range g;
	struct enl_pkt k;
	u32 i, n = 0;

	if (enl_pkt_parse(pkt, len, &k))
		return;
	if (k.payload < pkt || k.payload + k.payload_len != pkt + len)
		abort();
	while (enl_pkt_next_gpa_range(&k, &it, &g) == 1) {
		const u8 *end = (const u8 *)(g.pfn + g.pfn_count);

		if (g.byte_offset >= 4096 || !g.byte_count || end > k.payload)
			abort();
		n++;
	}
	if (k.type == VMBUS_PKT_GPA_DIRECT && n != k.range_count)
		abort();
	for (i = 0; k.type == VMBUS_PKT_XFER_PAGES && i < k.range_count; i++)
		enl_pkt_xfer_range(&k, i);
}

static void fuzz_ring(const uint8_t *data, size_t size)
{
	static const u32 sizes[8] = { 8, 16, 64, 256, 1024, 2048, 4096, 8192 };
	static u8 hdr_page[ENL_RING_HDR_SIZE] __attribute__((aligned(8)));
	static u8 area[MAX_DATA] __attribute__((aligned(8)));
	static u8 buf[MAX_DATA + 64] __attribute__((aligned(8)));
	struct enl_ring_hdr *h = (struct enl_ring_hdr *)hdr_page;
	struct enl_ring r;
	u32 n, len, sz, i;
	bool sig;
	int ret;

	if (size < 17)
		return;
	sz = sizes[data[0] & 7];
	memset(hdr_page, 0, sizeof(hdr_page));
	memcpy(&h->write_index, data + 1, 4);
	memcpy(&h->read_index, data + 5, 4);
	memcpy(&h->pending_send_sz, data + 9, 4);
	memcpy(&h->feature_bits, data + 13, 4);
	memset(area, 0, sz);
	n = (u32)(size - 17) < sz ? (u32)(size - 17) : sz;
	memcpy(area, data + 17, n);
	if (enl_ring_init(&r, h, area, sz))
		abort();

	/* Reader: drain what the "writer" left, with a big and a small buffer. */
	for (i = 0; i < 64; i++) {
		u32 cap = (data[0] & 0x80) ? 40 : sizeof(buf);

		ret = enl_ring_read(&r, buf, cap, &len);
		if (ret == 1) {
			const struct vmbus_pkt_desc *d = (const void *)buf;

			if (len > cap || len < sizeof(*d) ||
			    (u32)d->len8 * 8 != len ||
			    (u32)d->offset8 * 8 < 16 || (u32)d->offset8 * 8 > len)
				abort();
			check_pkt(buf, len);
			continue;
		}
		if (ret == -EMSGSIZE) {
			if (len <= cap)
				abort();
			break;
		}
		if (ret != 0 && ret != -EPROTO)
			abort();
		break;
	}
	enl_ring_commit(&r);
	enl_ring_empty(&r);
	enl_ring_unmask_interrupts(&r);

	/* Writer on the same hostile indices. */
	for (i = 0; i < 4; i++) {
		struct enl_iov iov = { .base = data, .len = (u32)(size % 300) };

		ret = enl_ring_send(&r, VMBUS_PKT_INBAND, 0, i, &iov, 1, &sig);
		if (ret && ret != -EAGAIN && ret != -EMSGSIZE && ret != -EPROTO)
			abort();
		if (ret)
			break;
	}
	enl_ring_free_bytes(&r);
	enl_ring_request_space(&r, (u32)size);
}

static void fuzz_ic(const uint8_t *data, size_t size)
{
	static const struct enl_ic_version fw[] = ENL_IC_FW_VERSIONS;
	static const struct enl_ic_version hb[] = ENL_IC_HEARTBEAT_VERSIONS;
	struct enl_ic_version fo, mo;
	struct enl_icmsg_hdr hdr;
	u8 *buf;
	u32 len = (u32)size;
	int ret, answerable;

	/* An exact-size heap copy: ASan catches any read or write past it. */
	buf = malloc(len ? len : 1);
	if (!buf)
		return;

	memcpy(buf, data, len);
	ret = enl_ic_parse_hdr(buf, len, &hdr);
	if (ret != -EPROTO && (ret < 0 || (u32)ret + ENL_IC_BODY_OFF != len))
		abort();

	/* guest side */
	memcpy(buf, data, len);
	enl_ic_answer_negotiate(buf, len, fw, 2, hb, 2, &fo, &mo, &answerable);
	memcpy(buf, data, len);
	enl_ic_answer_heartbeat(buf, len);
	memcpy(buf, data, len);
	ret = enl_ic_answer_shutdown(buf, len);
	if (ret >= 0 && (ret > 3 || len < ENL_IC_BODY_OFF + 2060))
		abort();
	{
		u64 h, r;
		u8 fl;

		memcpy(buf, data, len);
		enl_ic_answer_timesync(buf, len, &h, &r, &fl);
	}

	/* host side: KVP answers of both kinds, as the body after the
	 * headers and as the whole input */
	{
		static struct enl_ic_kvp_result res;
		static struct enl_ic_kvp_msg m;
		static char u8s[ENL_IC_KVP_VALUE_UTF8];
		static u8 u16s[ENL_IC_KVP_VALUE_BYTES];
		u8 op;
		int n;

		for (op = 0; op <= ENL_IC_KVP_ENUMERATE; op++) {
			memcpy(buf, data, len);
			if (enl_ic_parse_kvp_answer(buf, len, op, &res) == 0 &&
			    (strlen(res.key) >= sizeof(res.key) ||
			     strlen(res.value) >= sizeof(res.value)))
				abort();
		}
		memcpy(buf, data, len);
		n = enl_ic_utf16_to_utf8(buf, len, u8s, sizeof(u8s));
		if (n >= 0 && (u32)n != strlen(u8s))
			abort();
		/* UTF-8 -> UTF-16 -> UTF-8 gives the input back */
		n = enl_ic_utf8_to_utf16((const char *)data, len, u16s, sizeof(u16s));
		if (n >= 0) {
			if (n < 2 || n & 1 || u16s[n - 1] || u16s[n - 2])
				abort();
			n = enl_ic_utf16_to_utf8(u16s, (u32)n, u8s, sizeof(u8s));
			if (n != (int)len || memcmp(u8s, data, len))
				abort();
		}
		/* guest kernel: the host's request for the daemon, and a
		 * daemon's answer (the input) back into a request */
		{
			static struct enl_kvp_daemon_msg dm;

			memcpy(buf, data, len);
			if (enl_ic_kvp_to_daemon(buf, len, &dm) == 0 &&
			    (dm.h.hdr.pool >= ENL_IC_KVP_POOL_COUNT ||
			     dm.h.hdr.op > ENL_IC_KVP_ENUMERATE))
				abort();
			memset(&dm, 0, sizeof(dm));
			memcpy(&dm, data, len < sizeof(dm) ? len : sizeof(dm));
			op = len ? data[0] % 4 : 0;
			if (enl_ic_build_kvp(&m, op, 0, 0, "k", "v") == 0) {
				enl_ic_kvp_from_daemon(&m, sizeof(m), &dm);
				enl_ic_kvp_from_daemon(&m, len % (sizeof(m) + 1), &dm);
			}
		}
		/* guest kernel: a file-copy request for the daemon */
		{
			static u8 fo[sizeof(struct enl_ic_fcopy_write)];

			memcpy(buf, data, len);
			n = enl_ic_fcopy_to_daemon(buf, len, fo, sizeof(fo));
			if (n > (int)sizeof(fo))
				abort();
		}
		/* requests built from the input as a key and a value */
		if (len < sizeof(u8s)) {
			memcpy(u8s, data, len);
			u8s[len] = 0;
			op = len ? data[0] % 6 : 0;
			if (enl_ic_build_kvp(&m, op, len ? data[len - 1] % 7 : 0,
					     0, u8s, u8s) == 0 &&
			    (op == ENL_IC_KVP_GET || op == ENL_IC_KVP_SET) &&
			    (m.u.data.key_size > ENL_IC_KVP_KEY_BYTES ||
			     m.u.data.value_size > ENL_IC_KVP_VALUE_BYTES))
				abort();
			if (op == ENL_IC_KVP_DELETE &&
			    m.u.del.key_size > ENL_IC_KVP_KEY_BYTES)
				abort();
		}
	}

	/* VSS, guest kernel: the host's request (answered in place, or for
	 * the daemon), the daemon's answer back into it; host: the guest's
	 * answer to each op */
	{
		struct enl_ic_vss_msg vm;
		u32 st, fl;
		u8 op;

		memcpy(buf, data, len);
		ret = enl_ic_vss_parse_request(buf, len, &op);
		if (ret >= 0 && len < ENL_IC_BODY_OFF + sizeof(vm))
			abort();
		if (ret == ENL_IC_VSS_TO_DAEMON) {
			if (op != ENL_IC_VSS_FREEZE && op != ENL_IC_VSS_THAW &&
			    op != ENL_IC_VSS_HOT_BACKUP)
				abort();
			if (enl_ic_vss_from_daemon(data, len, &st) == 0 &&
			    len != sizeof(vm))
				abort();
			enl_ic_vss_answer(buf, len, len ? data[0] : 0, true);
		}
		memcpy(buf, data, len);
		enl_ic_vss_answer(buf, len, ENL_IC_STATUS_FAIL, false);
		memcpy(buf, data, len);
		if (enl_ic_parse_hdr(buf, len, &hdr) >= 0)
			for (op = 0; op < ENL_IC_VSS_OP_COUNT; op++)
				if (enl_ic_vss_parse_answer(&hdr, buf + ENL_IC_BODY_OFF,
							    len - ENL_IC_BODY_OFF, op,
							    &st, &fl) == 0 &&
				    (hdr.msgtype != ENL_IC_MSG_VSS ||
				     buf[ENL_IC_BODY_OFF] != op))
					abort();
		(void)enl_ic_vss_op_name(len ? data[0] : 0);
	}

	/* host side */
	memcpy(buf, data, len);
	enl_ic_parse_negotiate_answer(buf, len, fw, 2, hb, 2, &fo, &mo);

	/* the guest's check of VMBus channel messages */
	memcpy(buf, data, len);
	ret = enl_vmbus_check_host_msg(buf, len);
	if (ret > 0 && len < enl_vmbus_host_msg_min_len((u32)ret))
		abort();
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	u64 *copy = malloc(size ? size : 1);

	/* the input as a packet, in an exact-size aligned copy */
	if (copy) {
		memcpy(copy, data, size);
		check_pkt((const u8 *)copy, (u32)size);
		free(copy);
	}
	fuzz_ring(data, size);
	fuzz_ic(data, size);
	return 0;
}
