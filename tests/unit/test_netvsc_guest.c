// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of include/enl/netvsc_guest.c: how enl_netvsc reads what the
 * host puts in its receive buffer (frames with their per-packet info,
 * answers, indications, the transfer-page ranges around them) and the
 * RNDIS header it writes in front of a frame.  The malformed PPIs that
 * send the stock driver into an endless loop are refused here.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <enl/netvsc_guest.h>

static u8 buf[4096];

static void put32(u32 off, u32 v)
{
	memcpy(buf + off, &v, 4);
}

/* a data message: header, PPIs (n of them, each type/value), frame of flen */
static u32 data_msg(u32 flen, u32 n, const u32 *types, const u32 *vals)
{
	u32 ppi = n * 16, i, len = 8 + 36 + ppi + flen;

	memset(buf, 0, sizeof(buf));
	put32(0, ENL_RNDIS_MSG_PACKET);
	put32(4, len);
	put32(8, 36 + ppi);		/* data_offset */
	put32(12, flen);
	put32(8 + 20, n ? 36 : 0);	/* ppi_offset */
	put32(8 + 24, ppi);
	for (i = 0; i < n; i++) {
		put32(44 + 16 * i, 16);
		put32(44 + 16 * i + 4, types[i]);
		put32(44 + 16 * i + 8, 12);
		put32(44 + 16 * i + 12, vals[i]);
	}
	for (i = 0; i < flen; i++)
		buf[44 + ppi + i] = (u8)i;
	return len;
}

static void test_data_plain(void **state)
{
	struct enl_rndis_rx r;
	u32 len = data_msg(60, 0, NULL, NULL);

	(void)state;
	assert_int_equal(enl_rndis_rx_parse(buf, len, &r), ENL_RNDIS_RX_DATA);
	assert_int_equal(r.data_off, 44);
	assert_int_equal(r.data_len, 60);
	assert_false(r.has_csum);
	/* the range may be longer than the message (section padding) */
	assert_int_equal(enl_rndis_rx_parse(buf, len + 100, &r), ENL_RNDIS_RX_DATA);
	/* but not shorter */
	assert_int_equal(enl_rndis_rx_parse(buf, len - 1, &r), ENL_RNDIS_RX_BAD);
	assert_non_null(r.bad);
}

static void test_data_ppis(void **state)
{
	const u32 t[3] = { ENL_PPI_TCPIP_CHKSUM, ENL_PPI_IEEE_8021Q, ENL_PPI_NBL_HASH_VALUE };
	/* vlan: pri 5, cfi 0, vid 0x123 -> wire 5 | 0x123 << 4 */
	const u32 v[3] = { ENL_RX_CSUM_TCP_OK | ENL_RX_CSUM_IP_OK, 5 | 0x123 << 4, 0xabcdef };
	struct enl_rndis_rx r;
	u32 len = data_msg(100, 3, t, v);

	(void)state;
	assert_int_equal(enl_rndis_rx_parse(buf, len, &r), ENL_RNDIS_RX_DATA);
	assert_int_equal(r.data_off, 44 + 48);
	assert_true(r.has_csum);
	assert_int_equal(r.csum, ENL_RX_CSUM_TCP_OK | ENL_RX_CSUM_IP_OK);
	assert_true(r.has_vlan);
	assert_int_equal(r.vlan_tci, 0x123 | 5 << 13);
	assert_true(r.has_hash);
	assert_int_equal(r.hash, 0xabcdef);
}

static void test_data_bad(void **state)
{
	const u32 t[2] = { ENL_PPI_TCPIP_CHKSUM, 77 };
	const u32 v[2] = { 0, 0 };
	struct enl_rndis_rx r;
	u32 len;

	(void)state;
	/* frame past the message */
	len = data_msg(60, 0, NULL, NULL);
	put32(12, 61);
	assert_int_equal(enl_rndis_rx_parse(buf, len, &r), ENL_RNDIS_RX_BAD);
	/* data offset inside the header */
	len = data_msg(60, 0, NULL, NULL);
	put32(8, 20);
	assert_int_equal(enl_rndis_rx_parse(buf, len, &r), ENL_RNDIS_RX_BAD);
	/* data offset wraps */
	len = data_msg(60, 0, NULL, NULL);
	put32(8, 0xfffffff0u);
	assert_int_equal(enl_rndis_rx_parse(buf, len, &r), ENL_RNDIS_RX_BAD);
	/* message length 0 or past the range */
	len = data_msg(60, 0, NULL, NULL);
	put32(4, 0);
	assert_int_equal(enl_rndis_rx_parse(buf, len, &r), ENL_RNDIS_RX_BAD);
	put32(4, 0xffffffffu);
	assert_int_equal(enl_rndis_rx_parse(buf, len, &r), ENL_RNDIS_RX_BAD);

	/* an unknown PPI type is skipped */
	len = data_msg(60, 2, t, v);
	assert_int_equal(enl_rndis_rx_parse(buf, len, &r), ENL_RNDIS_RX_DATA);
	/* PPI of size 0: the stock driver's endless loop */
	put32(44, 0);
	assert_int_equal(enl_rndis_rx_parse(buf, len, &r), ENL_RNDIS_RX_BAD);
	/* value offset not 12 */
	len = data_msg(60, 2, t, v);
	put32(44 + 8, 16);
	assert_int_equal(enl_rndis_rx_parse(buf, len, &r), ENL_RNDIS_RX_BAD);
	/* sizes that do not tile ppi_len */
	len = data_msg(60, 2, t, v);
	put32(44 + 16, 20);
	assert_int_equal(enl_rndis_rx_parse(buf, len, &r), ENL_RNDIS_RX_BAD);
	/* ppi_len past the message */
	len = data_msg(60, 2, t, v);
	put32(8 + 24, 0x10000);
	assert_int_equal(enl_rndis_rx_parse(buf, len, &r), ENL_RNDIS_RX_BAD);
	/* an internal (RSC) PPI we never negotiated */
	len = data_msg(60, 1, (const u32[]){ 0x80000001u }, v);
	assert_int_equal(enl_rndis_rx_parse(buf, len, &r), ENL_RNDIS_RX_BAD);
	/* shorter than 8 bytes */
	assert_int_equal(enl_rndis_rx_parse(buf, 7, &r), ENL_RNDIS_RX_BAD);
}

static void test_indicate(void **state)
{
	struct enl_rndis_rx r;

	(void)state;
	memset(buf, 0, sizeof(buf));
	put32(0, ENL_RNDIS_MSG_INDICATE);
	put32(4, 8 + 12 + 4);
	put32(8, ENL_RNDIS_STATUS_LINK_SPEED_CHANGE);
	put32(12, 4);
	put32(16, 12);
	put32(20, 100000);
	assert_int_equal(enl_rndis_rx_parse(buf, 24, &r), ENL_RNDIS_RX_INDICATE);
	assert_int_equal(r.status, ENL_RNDIS_STATUS_LINK_SPEED_CHANGE);
	assert_int_equal(r.buf_off, 20);
	assert_int_equal(r.buf_len, 4);
	/* buffer past the message */
	put32(16, 13);
	assert_int_equal(enl_rndis_rx_parse(buf, 24, &r), ENL_RNDIS_RX_BAD);
	put32(16, 12);
	put32(12, 0xfffffffcu);
	assert_int_equal(enl_rndis_rx_parse(buf, 24, &r), ENL_RNDIS_RX_BAD);
	/* no buffer: fine */
	put32(12, 0);
	assert_int_equal(enl_rndis_rx_parse(buf, 24, &r), ENL_RNDIS_RX_INDICATE);
	assert_int_equal(r.buf_len, 0);
}

static void test_query(void **state)
{
	struct enl_rndis_rx r;
	u32 st, off, il;

	(void)state;
	memset(buf, 0, sizeof(buf));
	put32(0, ENL_RNDIS_MSG_QUERY | ENL_RNDIS_MSG_COMPLETION);
	put32(4, 8 + 16 + 6);
	put32(8, 42);		/* request id */
	put32(12, 0);		/* status */
	put32(16, 6);		/* info length */
	put32(20, 16);		/* info offset from the request id */
	assert_int_equal(enl_rndis_rx_parse(buf, 30, &r), ENL_RNDIS_RX_CMPLT);
	assert_int_equal(r.req_id, 42);
	assert_int_equal(enl_rndis_query_info(buf, 30, &st, &off, &il), 0);
	assert_int_equal(off, 24);
	assert_int_equal(il, 6);
	/* info past the message */
	put32(16, 7);
	assert_int_equal(enl_rndis_query_info(buf, 30, &st, &off, &il), -EPROTO);
	put32(16, 6);
	put32(20, 0xfffffff8u);
	assert_int_equal(enl_rndis_query_info(buf, 30, &st, &off, &il), -EPROTO);
	/* the host's refusal */
	put32(20, 16);
	put32(12, 0xc0000001u);
	assert_int_equal(enl_rndis_query_info(buf, 30, &st, &off, &il), -EIO);
	assert_int_equal(st, 0xc0000001u);
	/* not a query answer */
	put32(0, ENL_RNDIS_MSG_SET | ENL_RNDIS_MSG_COMPLETION);
	assert_int_equal(enl_rndis_query_info(buf, 30, &st, &off, &il), -EPROTO);
	/* a completion too short for its status */
	put32(4, 12);
	assert_int_equal(enl_rndis_rx_parse(buf, 12, &r), ENL_RNDIS_RX_BAD);
}

/* a transfer-page packet with the given ranges */
static u32 xfer_pkt(u8 *p, u16 pageset, u32 n, const u32 *off, const u32 *cnt)
{
	struct vmbus_pkt_xfer_pages h;
	u32 hdr = sizeof(h) + 8 * n, len = hdr + 16, i;

	memset(&h, 0, sizeof(h));
	h.d.type = VMBUS_PKT_XFER_PAGES;
	h.d.offset8 = (u16)(hdr / 8);
	h.d.len8 = (u16)(len / 8);
	h.d.trans_id = 7;
	h.pageset_id = pageset;
	h.range_count = n;
	memcpy(p, &h, sizeof(h));
	for (i = 0; i < n; i++) {
		memcpy(p + sizeof(h) + 8 * i, &cnt[i], 4);
		memcpy(p + sizeof(h) + 8 * i + 4, &off[i], 4);
	}
	memset(p + hdr, 0, 16);
	return len;
}

static void test_xfer(void **state)
{
	u8 p[256] __attribute__((aligned(8)));
	const u32 off[2] = { 0, 4096 };
	const u32 cnt[2] = { 1500, 1600 };
	const char *why;
	struct enl_pkt pk;
	u32 len;

	(void)state;
	len = xfer_pkt(p, ENL_NVSP_RECV_BUF_ID, 2, off, cnt);
	assert_int_equal(enl_pkt_parse(p, len, &pk), 0);
	assert_int_equal(enl_netvsc_xfer_check(&pk, 8192, 2048, &why), 0);
	/* the second range ends past a 5000-byte buffer */
	assert_int_equal(enl_netvsc_xfer_check(&pk, 5000, 2048, &why), -EPROTO);
	/* ranges longer than the host's sections */
	assert_int_equal(enl_netvsc_xfer_check(&pk, 8192, 1550, &why), -EPROTO);
	/* another page set */
	len = xfer_pkt(p, 0x1234, 2, off, cnt);
	assert_int_equal(enl_pkt_parse(p, len, &pk), 0);
	assert_int_equal(enl_netvsc_xfer_check(&pk, 8192, 2048, &why), -EPROTO);
	/* an offset that wraps */
	len = xfer_pkt(p, ENL_NVSP_RECV_BUF_ID, 1, (const u32[]){ 0xffffff00u },
		       (const u32[]){ 0x200 });
	assert_int_equal(enl_pkt_parse(p, len, &pk), 0);
	assert_int_equal(enl_netvsc_xfer_check(&pk, 8192, 2048, &why), -EPROTO);
}

static void test_tx_header(void **state)
{
	struct enl_rndis_tx_info ti;
	struct enl_rndis_rx r;
	u8 hdr[ENL_RNDIS_TX_HDR_MAX + 64];
	u32 h, i;

	(void)state;
	memset(&ti, 0, sizeof(ti));
	h = enl_rndis_tx_header(hdr, 20, &ti);
	assert_int_equal(h, 44);
	memset(hdr + h, 0xee, 20);
	assert_int_equal(enl_rndis_rx_parse(hdr, h + 20, &r), ENL_RNDIS_RX_DATA);
	assert_int_equal(r.data_off, 44);
	assert_int_equal(r.data_len, 20);

	/* every PPI: the host reads them the way we read the host's */
	ti.hash = true;
	ti.hash_val = 0x1234;
	ti.vlan = true;
	ti.vlan_val = 2 | 0x10 << 4;
	ti.lso = true;
	ti.lso_val = 1448 | 34 << ENL_TX_LSO_THOFF_SHIFT | ENL_TX_LSO_TYPE2;
	ti.csum = true;	/* not sent beside LSO */
	h = enl_rndis_tx_header(hdr, 40, &ti);
	assert_int_equal(h, 44 + 3 * 16);
	assert_true(h <= ENL_RNDIS_TX_HDR_MAX);
	for (i = 0; i < 40; i++)
		hdr[h + i] = (u8)i;
	assert_int_equal(enl_rndis_rx_parse(hdr, h + 40, &r), ENL_RNDIS_RX_DATA);
	assert_true(r.has_hash);
	assert_int_equal(r.hash, 0x1234);
	assert_true(r.has_vlan);
	assert_int_equal(r.vlan_tci, 0x10 | 2 << 13);
	assert_false(r.has_csum);
	assert_int_equal(r.data_len, 40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_plain),
		cmocka_unit_test(test_data_ppis),
		cmocka_unit_test(test_data_bad),
		cmocka_unit_test(test_indicate),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_xfer),
		cmocka_unit_test(test_tx_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
