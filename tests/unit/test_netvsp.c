// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the NVSP and RNDIS checks shared by both ends
 * (include/enl/nvsp.c, rndis.c): a catalogue of malformed input from the
 * other side of the bus, each with the verdict the code acts on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <enl/nvsp_msg.h>
#include <enl/rndis_msg.h>
#include "hostside-vsp/netvsp/netvsp.h"

/* ---- NVSP ---------------------------------------------------------------- */

static void test_nvsp_init_ok(void **state)
{
	struct enl_nvsp_msg in = { .type = ENL_NVSP_MSG_INIT }, out;

	(void)state;
	in.init.min_ver = in.init.max_ver = ENL_NVSP_VER_61;
	assert_int_equal(enl_nvsp_parse(&in, sizeof(in), &out), 0);
	assert_int_equal(out.init.max_ver, ENL_NVSP_VER_61);
	/* the 12-byte form (type + body) is enough */
	assert_int_equal(enl_nvsp_parse(&in, 12, &out), 0);
}

static void test_nvsp_short(void **state)
{
	struct enl_nvsp_msg in = { .type = ENL_NVSP_MSG1_SEND_RNDIS_PKT }, out;

	(void)state;
	assert_int_equal(enl_nvsp_parse(&in, 0, &out), -EMSGSIZE);
	assert_int_equal(enl_nvsp_parse(&in, 3, &out), -EMSGSIZE);
	assert_int_equal(enl_nvsp_parse(&in, 4 + 11, &out), -EMSGSIZE);
	assert_int_equal(enl_nvsp_parse(&in, 4 + 12, &out), 0);
	in.type = ENL_NVSP_MSG1_SEND_RECV_BUF;
	assert_int_equal(enl_nvsp_parse(&in, 4 + 5, &out), -EMSGSIZE);
	in.type = ENL_NVSP_MSG2_SEND_NDIS_CONFIG;
	assert_int_equal(enl_nvsp_parse(&in, 4 + 15, &out), -EMSGSIZE);
}

static void test_nvsp_unknown_and_long(void **state)
{
	u8 big[100];
	struct enl_nvsp_msg out;
	u32 t = 9999;

	(void)state;
	memset(big, 0xAB, sizeof(big));
	memcpy(big, &t, 4);
	assert_int_equal(enl_nvsp_parse(big, sizeof(big), &out), -EPROTO);
	t = ENL_NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE;
	memcpy(big, &t, 4);
	assert_int_equal(enl_nvsp_parse(big, sizeof(big), &out), 0);
	assert_int_equal(out.rndis_pkt_complete.status, 0xABABABABu);
	assert_string_equal(enl_nvsp_msg_name(ENL_NVSP_MSG5_SUBCHANNEL), "SUBCHANNEL");
}

static void test_nvsp_versions(void **state)
{
	(void)state;
	assert_true(enl_nvsp_version_supported(ENL_NVSP_VER_61));
	assert_true(enl_nvsp_version_supported(ENL_NVSP_VER_2));
	assert_false(enl_nvsp_version_supported(ENL_NVSP_VER_1));
	assert_false(enl_nvsp_version_supported(0x70000));
}

/* ---- RNDIS headers and OID requests -------------------------------------- */

static u32 put_hdr(u8 *b, u32 type, u32 len)
{
	memcpy(b, &type, 4);
	memcpy(b + 4, &len, 4);
	return len;
}

static void test_rndis_hdr(void **state)
{
	u8 b[64] = { 0 };
	u32 t, ml;

	(void)state;
	assert_int_equal(enl_rndis_check_hdr(b, 7, &t, &ml), -EMSGSIZE);
	put_hdr(b, ENL_RNDIS_MSG_INIT, 24);
	assert_int_equal(enl_rndis_check_hdr(b, 24, &t, &ml), 0);
	assert_int_equal(ml, 24);
	/* msg_len past the bytes present */
	assert_int_equal(enl_rndis_check_hdr(b, 23, &t, &ml), -EMSGSIZE);
	/* msg_len shorter than the type's body */
	put_hdr(b, ENL_RNDIS_MSG_INIT, 23);
	assert_int_equal(enl_rndis_check_hdr(b, 64, &t, &ml), -EMSGSIZE);
	put_hdr(b, ENL_RNDIS_MSG_QUERY, 8);
	assert_int_equal(enl_rndis_check_hdr(b, 64, &t, &ml), -EMSGSIZE);
	put_hdr(b, 0x77, 8);
	assert_int_equal(enl_rndis_check_hdr(b, 64, &t, &ml), -EPROTO);
	put_hdr(b, ENL_RNDIS_MSG_HALT, 0xFFFFFFFFu);
	assert_int_equal(enl_rndis_check_hdr(b, 64, &t, &ml), -EMSGSIZE);
}

static u32 oid_req(u8 *b, u32 oid, u32 off, u32 len, u32 msg_len)
{
	struct enl_rndis_oid_req r = {
		.req_id = 7, .oid = oid, .info_buflen = len, .info_buf_offset = off,
	};

	put_hdr(b, ENL_RNDIS_MSG_QUERY, msg_len);
	memcpy(b + 8, &r, sizeof(r));
	return msg_len;
}

static void test_rndis_oid_req(void **state)
{
	u8 b[128] = { 0 };
	struct enl_rndis_oid_req r;
	const u8 *info;

	(void)state;
	assert_int_equal(enl_rndis_parse_oid_req(b, oid_req(b, 1, 20, 4, 32), &r, &info), 0);
	assert_ptr_equal(info, b + 28);
	assert_int_equal(enl_rndis_parse_oid_req(b, oid_req(b, 1, 0, 0, 28), &r, &info), 0);
	assert_null(info);
	/* buffer past the message */
	assert_int_equal(enl_rndis_parse_oid_req(b, oid_req(b, 1, 20, 5, 32), &r, &info), -EINVAL);
	/* buffer overlapping the request */
	assert_int_equal(enl_rndis_parse_oid_req(b, oid_req(b, 1, 16, 4, 32), &r, &info), -EINVAL);
	/* offset + length wrapping around */
	assert_int_equal(enl_rndis_parse_oid_req(b, oid_req(b, 1, 0xFFFFFFF0u, 0x20, 32), &r, &info), -EINVAL);
	assert_int_equal(enl_rndis_parse_oid_req(b, oid_req(b, 1, 20, 0xFFFFFFFFu, 32), &r, &info), -EINVAL);
	/* message too short for the request itself */
	assert_int_equal(enl_rndis_parse_oid_req(b, 27, &r, &info), -EINVAL);
}

/* ---- data messages and PPIs ---------------------------------------------- */

/* A PACKET message: ppis (already built) then a frame of flen bytes. */
static u32 data_msg(u8 *b, const u8 *ppis, u32 plen, u32 flen)
{
	struct enl_rndis_packet p = { 0 };
	u32 ml = 8 + 36 + plen + flen;

	p.ppi_offset = plen ? 36 : 0;
	p.ppi_len = plen;
	p.data_offset = 36 + plen;
	p.data_len = flen;
	put_hdr(b, ENL_RNDIS_MSG_PACKET, ml);
	memcpy(b + 8, &p, sizeof(p));
	if (plen)
		memcpy(b + 44, ppis, plen);
	memset(b + 44 + plen, 0x5A, flen);
	return ml;
}

static void test_rndis_packet_ppis(void **state)
{
	u8 ppis[64], b[256];
	struct enl_rndis_pkt_info info;
	u32 n = 0, ml;

	(void)state;
	n += enl_rndis_put_ppi(ppis + n, sizeof(ppis) - n, ENL_PPI_TCPIP_CHKSUM,
			       ENL_CSUM_TX_IPV4 | ENL_CSUM_TX_TCP | (34u << 16));
	n += enl_rndis_put_ppi(ppis + n, sizeof(ppis) - n, ENL_PPI_IEEE_8021Q,
			       ENL_VLAN_PPI(3, 0, 42));
	n += enl_rndis_put_ppi(ppis + n, sizeof(ppis) - n, ENL_PPI_NBL_HASH_VALUE, 0x1234);
	assert_int_equal(n, 48);
	assert_int_equal(enl_rndis_put_ppi(ppis, 15, 0, 0), 0);
	ml = data_msg(b, ppis, n, 60);
	assert_int_equal(enl_rndis_parse_packet(b, ml, &info), 0);
	assert_int_equal(info.data_offset, 8 + 36 + 48);
	assert_int_equal(info.data_len, 60);
	assert_true(ENL_PPI_PRESENT(&info, ENL_PPI_TCPIP_CHKSUM));
	assert_false(ENL_PPI_PRESENT(&info, ENL_PPI_TCP_LARGESEND));
	assert_int_equal(ENL_CSUM_TX_TCP_HDR_OFF(info.csum), 34);
	assert_int_equal(ENL_VLAN_ID(info.vlan), 42);
	assert_int_equal(ENL_VLAN_PRI(info.vlan), 3);
	assert_int_equal(info.hash, 0x1234);
}

/* Each malformed PPI block that would make Linux spin must be refused. */
static void test_rndis_packet_bad_ppis(void **state)
{
	u8 ppis[64], b[256];
	struct enl_rndis_pkt_info info;
	struct enl_rndis_ppi h;
	u32 ml;

	(void)state;
	enl_rndis_put_ppi(ppis, sizeof(ppis), ENL_PPI_TCPIP_CHKSUM, 1);
	enl_rndis_put_ppi(ppis + 16, sizeof(ppis), ENL_PPI_IEEE_8021Q, 1);
	/* size 0 */
	memcpy(&h, ppis, sizeof(h));
	h.size = 0;
	memcpy(ppis, &h, sizeof(h));
	ml = data_msg(b, ppis, 32, 60);
	assert_int_equal(enl_rndis_parse_packet(b, ml, &info), -EINVAL);
	/* size past ppi_len */
	h.size = 40;
	memcpy(ppis, &h, sizeof(h));
	ml = data_msg(b, ppis, 32, 60);
	assert_int_equal(enl_rndis_parse_packet(b, ml, &info), -EINVAL);
	/* ppi_offset >= size */
	h.size = 16;
	h.ppi_offset = 16;
	memcpy(ppis, &h, sizeof(h));
	ml = data_msg(b, ppis, 32, 60);
	assert_int_equal(enl_rndis_parse_packet(b, ml, &info), -EINVAL);
	/* ppi_offset inside the header */
	h.ppi_offset = 4;
	memcpy(ppis, &h, sizeof(h));
	ml = data_msg(b, ppis, 32, 60);
	assert_int_equal(enl_rndis_parse_packet(b, ml, &info), -EINVAL);
	/* sizes that do not add up to ppi_len (a tail too short for a header) */
	h.ppi_offset = 12;
	memcpy(ppis, &h, sizeof(h));
	ml = data_msg(b, ppis, 16 + 8, 60);
	assert_int_equal(enl_rndis_parse_packet(b, ml, &info), -EINVAL);
	/* the good form parses */
	ml = data_msg(b, ppis, 32, 60);
	assert_int_equal(enl_rndis_parse_packet(b, ml, &info), 0);
}

static void test_rndis_packet_bad_data(void **state)
{
	u8 b[256];
	struct enl_rndis_pkt_info info;
	struct enl_rndis_packet p;
	u32 ml = data_msg(b, NULL, 0, 60);

	(void)state;
	memcpy(&p, b + 8, sizeof(p));
	p.data_len = 61;
	memcpy(b + 8, &p, sizeof(p));
	assert_int_equal(enl_rndis_parse_packet(b, ml, &info), -EINVAL);
	p.data_len = 0;
	memcpy(b + 8, &p, sizeof(p));
	assert_int_equal(enl_rndis_parse_packet(b, ml, &info), -EINVAL);
	p.data_len = 60;
	p.data_offset = 20;	/* inside the packet header */
	memcpy(b + 8, &p, sizeof(p));
	assert_int_equal(enl_rndis_parse_packet(b, ml, &info), -EINVAL);
	p.data_offset = 36;
	p.num_oob_data_elements = 1;
	memcpy(b + 8, &p, sizeof(p));
	assert_int_equal(enl_rndis_parse_packet(b, ml, &info), -EINVAL);
	p.num_oob_data_elements = 0;
	p.ppi_offset = 36;
	p.ppi_len = 0xFFFFFFF0u;
	memcpy(b + 8, &p, sizeof(p));
	assert_int_equal(enl_rndis_parse_packet(b, ml, &info), -EINVAL);
	assert_int_equal(enl_rndis_parse_packet(b, 40, &info), -EINVAL);
}


/* ---- enl-netvsp's protocol against a fake guest ------------------------- */

#define RECV_GPADL	7
#define SEND_GPADL	8
#define RECV_SIZE	(64 * NETVSP_RECV_SECTION)
#define SEND_SIZE	(16 * NETVSP_SEND_SECTION)
#define RAM_PAGES	16

static _Alignas(4096) u8 recv_buf[RECV_SIZE];
static _Alignas(4096) u8 send_buf[SEND_SIZE];
static _Alignas(4096) u8 ram[RAM_PAGES * 4096];

/* what the daemon sent: the last packet, and counts */
static u8 last[4096];
static u32 last_len, nsent, ntx;
static struct netvsp_vnet_hdr last_hdr;
static u8 last_frame[70000];
static u32 last_frame_len;

static int f_send(void *ctx, unsigned int q, const struct enl_iov *iov, unsigned int n)
{
	unsigned int i;

	(void)ctx; (void)q;
	last_len = 0;
	for (i = 0; i < n; i++) {
		memcpy(last + last_len, iov[i].base, iov[i].len);
		last_len += iov[i].len;
	}
	nsent++;
	return 0;
}

static void *f_gpadl(void *ctx, u32 id, size_t *len)
{
	(void)ctx;
	if (id == RECV_GPADL) { *len = sizeof(recv_buf); return recv_buf; }
	if (id == SEND_GPADL) { *len = sizeof(send_buf); return send_buf; }
	return NULL;
}

static int f_gpa_iov(void *ctx, const struct enl_pkt_gpa_range *r, struct iovec *iov,
		     unsigned int max)
{
	u32 i, left = r->byte_count, off = r->byte_offset;
	unsigned int n = 0;

	(void)ctx;
	for (i = 0; i < r->pfn_count && left; i++) {
		u32 take = 4096 - off < left ? 4096 - off : left;

		if (r->pfn[i] >= RAM_PAGES || n >= max)
			return -ERANGE;
		iov[n++] = (struct iovec){ ram + r->pfn[i] * 4096 + off, take };
		left -= take;
		off = 0;
	}
	return (int)n;
}

static int f_tx(void *ctx, unsigned int q, const struct netvsp_vnet_hdr *h,
		const struct iovec *iov, int n)
{
	int i;

	(void)ctx; (void)q;
	last_hdr = *h;
	last_frame_len = 0;
	for (i = 0; i < n; i++) {
		memcpy(last_frame + last_frame_len, iov[i].iov_base, iov[i].iov_len);
		last_frame_len += (u32)iov[i].iov_len;
	}
	ntx++;
	return 0;
}

static const u8 test_mac[6] = { 0x02, 0x15, 0x5d, 0xe0, 0x00, 0x02 };
static struct netvsp_dev dev;

static int dev_setup(void **state)
{
	struct netvsp_io io = { .send = f_send, .gpadl = f_gpadl, .gpa_iov = f_gpa_iov,
				.tx = f_tx };

	(void)state;
	nsent = ntx = 0;
	return netvsp_dev_init(&dev, test_mac, 1, &io);
}

static int dev_teardown(void **state)
{
	(void)state;
	netvsp_dev_destroy(&dev);
	return 0;
}

/* an inband NVSP packet asking for a completion */
static int nvsp_inband(const struct enl_nvsp_msg *m, u64 tid)
{
	_Alignas(8) u8 b[16 + 40];
	struct vmbus_pkt_desc d = { VMBUS_PKT_INBAND, 2, sizeof(b) / 8,
				    VMBUS_PKT_FLAG_COMPLETION_REQUESTED, tid };

	memcpy(b, &d, 16);
	memcpy(b + 16, m, 40);
	return netvsp_handle_packet(&dev, 0, b, sizeof(b));
}

/* the completion just sent: its NVSP body */
static struct enl_nvsp_msg last_completion(u64 tid)
{
	struct vmbus_pkt_desc d;
	struct enl_nvsp_msg m;

	memcpy(&d, last, 16);
	assert_int_equal(d.type, VMBUS_PKT_COMPLETION);
	assert_int_equal(d.trans_id, tid);
	memset(&m, 0, sizeof(m));
	memcpy(&m, last + 16, last_len - 16 < 40 ? last_len - 16 : 40);
	return m;
}

static void handshake(void)
{
	struct enl_nvsp_msg m = { .type = ENL_NVSP_MSG_INIT }, r;

	m.init.min_ver = m.init.max_ver = ENL_NVSP_VER_61;
	assert_int_equal(nvsp_inband(&m, 1), 0);
	r = last_completion(1);
	assert_int_equal(r.type, ENL_NVSP_MSG_INIT_COMPLETE);
	assert_int_equal(r.init_complete.status, ENL_NVSP_STAT_SUCCESS);
	assert_int_equal(last_len, 16 + 40);

	memset(&m, 0, sizeof(m));
	m.type = ENL_NVSP_MSG1_SEND_RECV_BUF;
	m.send_buf.gpadl_handle = RECV_GPADL;
	m.send_buf.id = ENL_NVSP_RECV_BUF_ID;
	nvsp_inband(&m, 2);
	r = last_completion(2);
	assert_int_equal(r.recv_buf_complete.status, ENL_NVSP_STAT_SUCCESS);
	assert_int_equal(r.recv_buf_complete.num_sections, 1);
	assert_int_equal(r.recv_buf_complete.section.sub_alloc_size, NETVSP_RECV_SECTION);
	assert_int_equal(r.recv_buf_complete.section.num_sub_allocs, 64);

	memset(&m, 0, sizeof(m));
	m.type = ENL_NVSP_MSG1_SEND_SEND_BUF;
	m.send_buf.gpadl_handle = SEND_GPADL;
	nvsp_inband(&m, 3);
	r = last_completion(3);
	assert_int_equal(r.send_buf_complete.status, ENL_NVSP_STAT_SUCCESS);
	assert_int_equal(r.send_buf_complete.section_size, NETVSP_SEND_SECTION);
}

static void test_dev_versions(void **state)
{
	struct enl_nvsp_msg m = { .type = ENL_NVSP_MSG_INIT }, r;

	(void)state;
	m.init.min_ver = m.init.max_ver = 0x70000;
	nvsp_inband(&m, 9);
	r = last_completion(9);
	assert_int_equal(r.init_complete.status, ENL_NVSP_STAT_FAIL);
	m.init.min_ver = m.init.max_ver = ENL_NVSP_VER_2;
	nvsp_inband(&m, 10);
	r = last_completion(10);
	assert_int_equal(r.init_complete.status, ENL_NVSP_STAT_SUCCESS);
	assert_int_equal(r.init_complete.negotiated_ver, ENL_NVSP_VER_2);
	/* a buffer the guest never made */
	memset(&m, 0, sizeof(m));
	m.type = ENL_NVSP_MSG1_SEND_RECV_BUF;
	m.send_buf.gpadl_handle = 99;
	nvsp_inband(&m, 11);
	r = last_completion(11);
	assert_int_equal(r.recv_buf_complete.status, ENL_NVSP_STAT_FAIL);
}

/*
 * Put an RNDIS message at page 1 of the fake RAM and send it as a
 * GPA-direct SEND_RNDIS_PKT (control or data).  Returns the NVSP status of
 * the completion.
 */
static u32 rndis_gpa(const void *msg, u32 len, u32 channel, u64 tid)
{
	_Alignas(8) u8 b[16 + 8 + 8 + 3 * 8 + 40];
	struct vmbus_pkt_desc d = { VMBUS_PKT_GPA_DIRECT, (16 + 8 + 8 + 24) / 8,
				    sizeof(b) / 8, VMBUS_PKT_FLAG_COMPLETION_REQUESTED, tid };
	u32 hdr[2] = { 0, 1 }, range[2] = { len, 0 };
	u64 pfn[3] = { 1, 2, 3 };
	struct enl_nvsp_msg m = { .type = ENL_NVSP_MSG1_SEND_RNDIS_PKT };
	struct enl_nvsp_msg r;
	u32 pages = (len + 4095) / 4096;

	assert_true(pages <= 3);
	memcpy(ram + 4096, msg, len);
	d.offset8 = (u16)((16 + 8 + 8 + 8 * pages) / 8);
	d.len8 = (u16)((16 + 8 + 8 + 8 * pages + 40) / 8);
	memcpy(b, &d, 16);
	memcpy(b + 16, hdr, 8);
	memcpy(b + 24, range, 8);
	memcpy(b + 32, pfn, 8 * pages);
	m.rndis_pkt.channel_type = channel;
	m.rndis_pkt.send_buf_section_index = ENL_NVSP_NO_SECTION;
	memcpy(b + d.offset8 * 8, &m, 40);
	netvsp_handle_packet(&dev, 0, b, d.len8 * 8u);
	r = last_completion(tid);
	assert_int_equal(r.type, ENL_NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE);
	return r.rndis_pkt_complete.status;
}

/* The RNDIS message the daemon put in the receive buffer (last xfer packet). */
static const u8 *xfer_msg(u32 *len, u64 *tid)
{
	struct vmbus_pkt_xfer_pages x;
	struct vmbus_xfer_range rg;

	memcpy(&x, last, sizeof(x));
	memcpy(&rg, last + sizeof(x), sizeof(rg));
	assert_int_equal(x.d.type, VMBUS_PKT_XFER_PAGES);
	assert_int_equal(x.pageset_id, ENL_NVSP_RECV_BUF_ID);
	assert_true(rg.byte_offset + rg.byte_count <= RECV_SIZE);
	assert_true(rg.byte_count <= NETVSP_RECV_SECTION);
	*len = rg.byte_count;
	*tid = x.d.trans_id;
	return recv_buf + rg.byte_offset;
}

/*
 * A control message: the NVSP completion and one transfer-page packet with
 * the answer (callers read it from the section it went to).
 */
static void control(const void *msg, u32 len, u32 *rlen)
{
	u32 before = nsent;

	assert_int_equal(rndis_gpa(msg, len, ENL_NVSP_CHANNEL_CONTROL, 77),
			 ENL_NVSP_STAT_SUCCESS);
	assert_int_equal(nsent, before + 2);
	*rlen = 0;
}

static void test_dev_rndis(void **state)
{
	struct { struct enl_rndis_hdr h; struct enl_rndis_init_req i; } init = {
		{ ENL_RNDIS_MSG_INIT, sizeof(init) }, { 5, 1, 0, 0x4000 } };
	struct { struct enl_rndis_hdr h; struct enl_rndis_oid_req q; } query = {
		{ ENL_RNDIS_MSG_QUERY, sizeof(query) },
		{ 6, ENL_OID_802_3_PERMANENT_ADDRESS, 0, 0, 0 } };
	struct enl_rndis_init_cmplt ic;
	struct enl_rndis_query_cmplt qc;
	u32 rlen;
	u64 tid;
	const u8 *r;

	(void)state;
	handshake();
	control(&init, sizeof(init), &rlen);
	/* the section with INIT_C is section 0 (lowest free first) */
	r = recv_buf;
	memcpy(&ic, r + 8, sizeof(ic));
	assert_int_equal(ic.req_id, 5);
	assert_int_equal(ic.status, ENL_RNDIS_STATUS_SUCCESS);
	assert_int_equal(ic.max_pkt_per_msg, NETVSP_MAX_PKT_PER_MSG);
	assert_int_equal(netvsp_rx_free(&dev), 63);

	control(&query, sizeof(query), &rlen);
	r = recv_buf + NETVSP_RECV_SECTION;
	memcpy(&qc, r + 8, sizeof(qc));
	assert_int_equal(qc.req_id, 6);
	assert_int_equal(qc.status, ENL_RNDIS_STATUS_SUCCESS);
	assert_int_equal(qc.info_buflen, 6);
	assert_memory_equal(r + 8 + qc.info_buf_offset, test_mac, 6);

	/* the guest gives section 1 back; a made-up completion is refused */
	{
		_Alignas(8) u8 c[24] = { 0 };
		struct vmbus_pkt_desc d = { VMBUS_PKT_COMPLETION, 2, 3, 0,
					    (u64)dev.s.generation << 32 | 1 };

		memcpy(c, &d, 16);
		assert_int_equal(netvsp_handle_packet(&dev, 0, c, sizeof(c)), 0);
		assert_int_equal(netvsp_handle_packet(&dev, 0, c, sizeof(c)), -EINVAL);
		d.trans_id = (u64)dev.s.generation << 32 | 5000;
		memcpy(c, &d, 16);
		assert_int_equal(netvsp_handle_packet(&dev, 0, c, sizeof(c)), -EINVAL);
		assert_int_equal(netvsp_rx_free(&dev), 63);
	}

	/* a query whose buffer lies outside the message: refused */
	query.q.info_buflen = 8;
	query.q.info_buf_offset = 20;
	assert_int_equal(rndis_gpa(&query, sizeof(query), ENL_NVSP_CHANNEL_CONTROL, 78),
			 ENL_NVSP_STAT_INVALID_RNDIS_PKT);

	/* receive: nothing before a packet filter, then a frame */
	{
		u8 frame[60] = { 0 };
		struct netvsp_vnet_hdr h = { 0 };
		struct { struct enl_rndis_hdr h; struct enl_rndis_oid_req q; u32 f; } set = {
			{ ENL_RNDIS_MSG_SET, sizeof(set) },
			{ 7, ENL_OID_GEN_CURRENT_PACKET_FILTER, 4, 20, 0 }, 0xD };
		struct enl_rndis_pkt_info info;
		u32 len;

		frame[12] = 0x08;
		assert_int_equal(netvsp_rx_frame(&dev, 0, &h, frame, sizeof(frame)), -ENODEV);
		control(&set, sizeof(set), &rlen);
		assert_int_equal(netvsp_rx_frame(&dev, 0, &h, frame, sizeof(frame)), 0);
		r = xfer_msg(&len, &tid);
		assert_int_equal(enl_rndis_parse_packet(r, len, &info), 0);
		assert_int_equal(info.data_len, 60);
	}
}

/* A data frame in a send-buffer section, with a checksum PPI. */
static void test_dev_tx(void **state)
{
	struct { struct enl_rndis_hdr h; struct enl_rndis_init_req i; } init = {
		{ ENL_RNDIS_MSG_INIT, sizeof(init) }, { 5, 1, 0, 0x4000 } };
	_Alignas(8) u8 b[16 + 40];
	struct vmbus_pkt_desc d = { VMBUS_PKT_INBAND, 2, sizeof(b) / 8,
				    VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 40 };
	struct enl_nvsp_msg m = { .type = ENL_NVSP_MSG1_SEND_RNDIS_PKT }, r;
	u8 *sec = send_buf + 3 * NETVSP_SEND_SECTION;
	struct enl_rndis_packet p = { 0 };
	u32 rlen, ml;

	(void)state;
	handshake();
	control(&init, sizeof(init), &rlen);
	p.ppi_offset = 36;
	p.ppi_len = 16;
	p.data_offset = 36 + 16;
	p.data_len = 74;
	ml = 8 + 36 + 16 + 74;
	memset(sec, 0, NETVSP_SEND_SECTION);
	memcpy(sec, &(struct enl_rndis_hdr){ ENL_RNDIS_MSG_PACKET, ml }, 8);
	memcpy(sec + 8, &p, sizeof(p));
	enl_rndis_put_ppi(sec + 44, 16, ENL_PPI_TCPIP_CHKSUM,
			  ENL_CSUM_TX_IPV4 | ENL_CSUM_TX_TCP | (34u << 16));
	sec[60 + 12] = 0x08;	/* IPv4 */
	m.rndis_pkt.channel_type = ENL_NVSP_CHANNEL_DATA;
	m.rndis_pkt.send_buf_section_index = 3;
	m.rndis_pkt.send_buf_section_size = ml;
	memcpy(b, &d, 16);
	memcpy(b + 16, &m, 40);
	netvsp_handle_packet(&dev, 0, b, sizeof(b));
	r = last_completion(40);
	assert_int_equal(r.rndis_pkt_complete.status, ENL_NVSP_STAT_SUCCESS);
	assert_int_equal(ntx, 1);
	assert_int_equal(last_frame_len, 74);
	assert_int_equal(last_hdr.flags, 1);
	assert_int_equal(last_hdr.csum_start, 34);
	assert_int_equal(last_hdr.csum_offset, 16);

	/* a section index past the buffer, a size past the section */
	m.rndis_pkt.send_buf_section_index = 16;
	memcpy(b + 16, &m, 40);
	netvsp_handle_packet(&dev, 0, b, sizeof(b));
	r = last_completion(40);
	assert_int_equal(r.rndis_pkt_complete.status, ENL_NVSP_STAT_INVALID_RNDIS_PKT);
	m.rndis_pkt.send_buf_section_index = 3;
	m.rndis_pkt.send_buf_section_size = NETVSP_SEND_SECTION + 1;
	memcpy(b + 16, &m, 40);
	netvsp_handle_packet(&dev, 0, b, sizeof(b));
	r = last_completion(40);
	assert_int_equal(r.rndis_pkt_complete.status, ENL_NVSP_STAT_INVALID_RNDIS_PKT);
	/* a checksum offset past the frame */
	m.rndis_pkt.send_buf_section_size = ml;
	enl_rndis_put_ppi(sec + 44, 16, ENL_PPI_TCPIP_CHKSUM,
			  ENL_CSUM_TX_IPV4 | ENL_CSUM_TX_TCP | (70u << 16));
	memcpy(b + 16, &m, 40);
	netvsp_handle_packet(&dev, 0, b, sizeof(b));
	r = last_completion(40);
	assert_int_equal(r.rndis_pkt_complete.status, ENL_NVSP_STAT_INVALID_RNDIS_PKT);
	assert_int_equal(ntx, 1);
	assert_int_equal(atomic_load(&dev.st.drops[NETVSP_DROP_TX_MALFORMED]), 3);
}


/* Send one data frame (with PPIs) from send section 2; the NVSP status. */
static u32 tx_section(const u8 *ppis, u32 plen, const u8 *frame, u32 flen)
{
	_Alignas(8) u8 b[16 + 40];
	struct vmbus_pkt_desc d = { VMBUS_PKT_INBAND, 2, sizeof(b) / 8,
				    VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 41 };
	struct enl_nvsp_msg m = { .type = ENL_NVSP_MSG1_SEND_RNDIS_PKT }, r;
	u8 *sec = send_buf + 2 * NETVSP_SEND_SECTION;
	struct enl_rndis_packet p = { 0 };
	u32 ml = 8 + 36 + plen + flen;

	assert_true(ml <= NETVSP_SEND_SECTION);
	p.ppi_offset = plen ? 36 : 0;
	p.ppi_len = plen;
	p.data_offset = 36 + plen;
	p.data_len = flen;
	memcpy(sec, &(struct enl_rndis_hdr){ ENL_RNDIS_MSG_PACKET, ml }, 8);
	memcpy(sec + 8, &p, sizeof(p));
	memcpy(sec + 44, ppis, plen);
	memcpy(sec + 44 + plen, frame, flen);
	m.rndis_pkt.channel_type = ENL_NVSP_CHANNEL_DATA;
	m.rndis_pkt.send_buf_section_index = 2;
	m.rndis_pkt.send_buf_section_size = ml;
	memcpy(b, &d, 16);
	memcpy(b + 16, &m, 40);
	netvsp_handle_packet(&dev, 0, b, sizeof(b));
	r = last_completion(41);
	return r.rndis_pkt_complete.status;
}

/* An Ethernet + IPv4 + TCP frame of len bytes, as Linux hands it for LSO. */
static void lso_frame(u8 *f, u32 len)
{
	memset(f, 0, len);
	f[12] = 0x08;
	f[14] = 0x45;			/* IPv4, ihl 5; tot_len and csum zeroed */
	f[14 + 9] = 6;			/* TCP */
	memcpy(f + 14 + 12, "\xc6\x12\x00\x02\xc6\x12\x00\x01", 8);
	f[34 + 12] = 5 << 4;		/* doff 5 */
}

static void test_dev_lso_vlan(void **state)
{
	struct { struct enl_rndis_hdr h; struct enl_rndis_init_req i; } init = {
		{ ENL_RNDIS_MSG_INIT, sizeof(init) }, { 5, 1, 0, 0x4000 } };
	u8 f[4000], ppis[32];
	u32 rlen, n;

	(void)state;
	handshake();
	control(&init, sizeof(init), &rlen);

	/* LSOv2, mss 1448, TCP at 34: a GSO frame with the IP length filled in */
	lso_frame(f, 3000);
	n = enl_rndis_put_ppi(ppis, sizeof(ppis), ENL_PPI_TCP_LARGESEND,
			      1448u | 34u << 20 | ENL_LSO_TYPE_V2);
	assert_int_equal(tx_section(ppis, n, f, 3000), ENL_NVSP_STAT_SUCCESS);
	assert_int_equal(last_hdr.gso_type, 1);
	assert_int_equal(last_hdr.gso_size, 1448);
	assert_int_equal(last_hdr.hdr_len, 54);
	assert_int_equal(last_hdr.csum_start, 34);
	assert_int_equal(last_frame[16] << 8 | last_frame[17], 3000 - 14);
	/* the IPv4 header checksum is valid */
	assert_int_equal(netvsp_csum_fold(netvsp_csum_add(0, last_frame + 14, 20)), 0xFFFF);
	assert_int_equal(atomic_load(&dev.st.tx_gso), 1);

	/* LSO whose TCP offset is not where the IP header ends: refused */
	n = enl_rndis_put_ppi(ppis, sizeof(ppis), ENL_PPI_TCP_LARGESEND,
			      1448u | 38u << 20 | ENL_LSO_TYPE_V2);
	assert_int_equal(tx_section(ppis, n, f, 3000), ENL_NVSP_STAT_INVALID_RNDIS_PKT);
	/* LSO claiming IPv6 on an IPv4 frame: refused */
	n = enl_rndis_put_ppi(ppis, sizeof(ppis), ENL_PPI_TCP_LARGESEND,
			      1448u | 34u << 20 | ENL_LSO_TYPE_V2 | ENL_LSO_IPV6);
	assert_int_equal(tx_section(ppis, n, f, 3000), ENL_NVSP_STAT_INVALID_RNDIS_PKT);

	/* 802.1Q PPI: the tag goes into the frame after the MACs */
	lso_frame(f, 100);
	n = enl_rndis_put_ppi(ppis, sizeof(ppis), ENL_PPI_IEEE_8021Q, ENL_VLAN_PPI(5, 0, 100));
	assert_int_equal(tx_section(ppis, n, f, 100), ENL_NVSP_STAT_SUCCESS);
	assert_int_equal(last_frame_len, 104);
	assert_int_equal(last_frame[12], 0x81);
	assert_int_equal(last_frame[13], 0x00);
	assert_int_equal((last_frame[14] << 8 | last_frame[15]), 5 << 13 | 100);
	assert_int_equal(last_frame[16], 0x08);
}

static void test_dev_rx_vlan_csum(void **state)
{
	struct { struct enl_rndis_hdr h; struct enl_rndis_init_req i; } init = {
		{ ENL_RNDIS_MSG_INIT, sizeof(init) }, { 5, 1, 0, 0x4000 } };
	struct { struct enl_rndis_hdr h; struct enl_rndis_oid_req q; u32 f; } set = {
		{ ENL_RNDIS_MSG_SET, sizeof(set) },
		{ 7, ENL_OID_GEN_CURRENT_PACKET_FILTER, 4, 20, 0 }, 0xD };
	struct netvsp_vnet_hdr h = { 0 };
	struct enl_rndis_pkt_info info;
	u8 f[200], g[200];
	u32 rlen, len;
	u64 tid;
	const u8 *r;

	(void)state;
	handshake();
	control(&init, sizeof(init), &rlen);
	control(&set, sizeof(set), &rlen);
	/* tagged IPv4/TCP frame with a checksum left to us */
	memset(f, 0, sizeof(f));
	f[12] = 0x81; f[14] = 0x20; f[15] = 42;		/* pri 1, vid 42 */
	f[16] = 0x08;
	memcpy(g, f, sizeof(f));
	g[18] = 0x45; g[18 + 9] = 6;
	h.flags = 1;
	h.csum_start = 18 + 20;
	h.csum_offset = 16;
	assert_int_equal(netvsp_rx_frame(&dev, 0, &h, g, 120), 0);
	r = xfer_msg(&len, &tid);
	assert_int_equal(enl_rndis_parse_packet(r, len, &info), 0);
	assert_int_equal(info.data_len, 116);
	assert_true(ENL_PPI_PRESENT(&info, ENL_PPI_IEEE_8021Q));
	assert_int_equal(ENL_VLAN_ID(info.vlan), 42);
	assert_int_equal(ENL_VLAN_PRI(info.vlan), 1);
	assert_true(info.csum & ENL_CSUM_RX_TCP_OK);
	assert_int_equal(r[info.data_offset + 12], 0x08);
	/* the TCP checksum over [csum_start, end) now folds to all ones */
	assert_int_equal(netvsp_csum_fold(netvsp_csum_add(0, r + info.data_offset + 34, 116 - 34)),
			 0xFFFF);
	/* a checksum offset past the frame: dropped */
	h.csum_start = 110;
	h.csum_offset = 16;
	memcpy(g, f, sizeof(f));
	assert_int_equal(netvsp_rx_frame(&dev, 0, &h, g, 120), -EMSGSIZE);
	/* larger than a section: dropped */
	{
		static u8 big[NETVSP_RECV_SECTION];
		struct netvsp_vnet_hdr z = { 0 };

		assert_int_equal(netvsp_rx_frame(&dev, 0, &z, big, sizeof(big)), -EMSGSIZE);
	}
	/* link down: dropped */
	atomic_store(&dev.link_up, false);
	h.flags = 0;
	assert_int_equal(netvsp_rx_frame(&dev, 0, &h, g, 120), -ENODEV);
}

/* Garbage packets: refused, counted, never answered with a body it cannot take. */
static void test_dev_garbage(void **state)
{
	_Alignas(8) u8 b[64];
	unsigned int i;

	(void)state;
	for (i = 0; i < 2000; i++) {
		unsigned int j;

		for (j = 0; j < sizeof(b); j++)
			b[j] = (u8)(i * 131 + j * 29);
		netvsp_handle_packet(&dev, 0, b, sizeof(b));
	}
	assert_true(atomic_load(&dev.st.drops[NETVSP_DROP_BAD_PACKET]) > 0);
}

/* ---- RSS hash --------------------------------------------------------- */

/* The verification key and vectors of Microsoft's RSS documentation. */
static const u8 rss_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* An Ethernet + IPv4 + TCP frame from 66.9.149.187:2794 to 161.142.100.80:1766. */
static u32 rss_frame(u8 *f, bool vlan)
{
	u32 l3 = vlan ? 18 : 14;

	memset(f, 0, 80);
	if (vlan) {
		f[12] = 0x81;
		f[14] = 0x00;
		f[15] = 0x05;
		f[16] = 0x08;
	} else {
		f[12] = 0x08;
	}
	f[l3] = 0x45;
	f[l3 + 9] = 6;
	memcpy(f + l3 + 12, (const u8[]){ 66, 9, 149, 187, 161, 142, 100, 80 }, 8);
	f[l3 + 20] = 2794 >> 8;
	f[l3 + 21] = 2794 & 0xff;
	f[l3 + 22] = 1766 >> 8;
	f[l3 + 23] = 1766 & 0xff;
	return l3 + 40;
}

static void test_rss_hash(void **state)
{
	const u8 in4[12] = { 66, 9, 149, 187, 161, 142, 100, 80, 0x0a, 0xea, 0x06, 0xe6 };
	u8 f[80];
	u32 h = 0, len;

	(void)state;
	assert_int_equal(enl_toeplitz(rss_key, 40, in4, 8), 0x323e8fc2);
	assert_int_equal(enl_toeplitz(rss_key, 40, in4, 12), 0x51ccc178);
	/* a key too short for the input: no hash */
	assert_int_equal(enl_toeplitz(rss_key, 11, in4, 8), 0);

	len = rss_frame(f, false);
	assert_true(enl_rss_hash_frame(rss_key, 40, ENL_NDIS_HASH_FUNC_TOEPLITZ |
				       ENL_NDIS_HASH_IPV4 | ENL_NDIS_HASH_TCP_IPV4, f, len, &h));
	assert_int_equal(h, 0x51ccc178);
	/* IPv4 only: addresses only */
	assert_true(enl_rss_hash_frame(rss_key, 40, ENL_NDIS_HASH_IPV4, f, len, &h));
	assert_int_equal(h, 0x323e8fc2);
	/* tagged: the same */
	len = rss_frame(f, true);
	assert_true(enl_rss_hash_frame(rss_key, 40, ENL_NDIS_HASH_TCP_IPV4, f, len, &h));
	assert_int_equal(h, 0x51ccc178);
	/* a fragment is hashed on its addresses, or not at all */
	len = rss_frame(f, false);
	f[14 + 6] = 0x20;
	assert_true(enl_rss_hash_frame(rss_key, 40, ENL_NDIS_HASH_IPV4 | ENL_NDIS_HASH_TCP_IPV4,
				       f, len, &h));
	assert_int_equal(h, 0x323e8fc2);
	assert_false(enl_rss_hash_frame(rss_key, 40, ENL_NDIS_HASH_TCP_IPV4, f, len, &h));
	/* truncated, bad IHL, IPv6 not asked for, ARP, short key */
	len = rss_frame(f, false);
	assert_false(enl_rss_hash_frame(rss_key, 40, ENL_NDIS_HASH_IPV4, f, 30, &h));
	f[14] = 0x44;
	assert_false(enl_rss_hash_frame(rss_key, 40, ENL_NDIS_HASH_IPV4, f, len, &h));
	f[14] = 0x4f;
	assert_false(enl_rss_hash_frame(rss_key, 40, ENL_NDIS_HASH_IPV4, f, 40, &h));
	f[14] = 0x45;
	assert_false(enl_rss_hash_frame(rss_key, 40, ENL_NDIS_HASH_IPV6, f, len, &h));
	assert_false(enl_rss_hash_frame(rss_key, 11, ENL_NDIS_HASH_IPV4, f, len, &h));
	f[12] = 0x08;
	f[13] = 0x06;
	assert_false(enl_rss_hash_frame(rss_key, 40, ENL_NDIS_HASH_IPV4, f, len, &h));
	assert_false(enl_rss_hash_frame(rss_key, 40, ENL_NDIS_HASH_IPV4, f, 10, &h));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nvsp_init_ok),
		cmocka_unit_test(test_nvsp_short),
		cmocka_unit_test(test_nvsp_unknown_and_long),
		cmocka_unit_test(test_nvsp_versions),
		cmocka_unit_test(test_rndis_hdr),
		cmocka_unit_test(test_rndis_oid_req),
		cmocka_unit_test(test_rndis_packet_ppis),
		cmocka_unit_test(test_rndis_packet_bad_ppis),
		cmocka_unit_test(test_rndis_packet_bad_data),
		cmocka_unit_test(test_rss_hash),
		cmocka_unit_test_setup_teardown(test_dev_versions, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_dev_rndis, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_dev_tx, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_dev_lso_vlan, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_dev_rx_vlan_csum, dev_setup, dev_teardown),
		cmocka_unit_test_setup_teardown(test_dev_garbage, dev_setup, dev_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
