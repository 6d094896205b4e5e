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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
