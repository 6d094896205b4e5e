// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of include/enl/ic.c: IC framing and the version negotiation,
 * host side (build the request, check the answer) and guest side (answer
 * in place), including malformed counts and sizes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <enl/ic_msg.h>

static const struct enl_ic_version fw[] = ENL_IC_FW_VERSIONS;
static const struct enl_ic_version hb[] = ENL_IC_HEARTBEAT_VERSIONS;
static const struct enl_ic_version v10[] = { ENL_IC_VER(1, 0) };
static const struct enl_ic_version v42[] = { ENL_IC_VER(4, 2) };

static struct enl_icmsg_hdr ic_hdr(const u8 *p)
{
	struct enl_icmsg_hdr h;

	memcpy(&h, p + ENL_IC_HDR_OFF, sizeof(h));
	return h;
}

static struct enl_ic_negotiate neg_of(const u8 *p)
{
	struct enl_ic_negotiate n;

	memcpy(&n, p + ENL_IC_BODY_OFF, sizeof(n));
	return n;
}

static void test_layout(void **state)
{
	u8 buf[256];
	struct enl_ic_pipe_hdr pipe;
	struct enl_icmsg_hdr h;
	int len = enl_ic_build_negotiate(buf, sizeof(buf), 7, fw, 2, hb, 2);

	/* 8 pipe + 20 IC + 8 negotiate + 4 versions */
	assert_int_equal(len, 52);
	assert_int_equal(ENL_IC_NEGOTIATE_LEN(2, 2), 52);
	memcpy(&pipe, buf, sizeof(pipe));
	assert_int_equal(pipe.msgsize, 44);
	h = ic_hdr(buf);
	assert_int_equal(h.msgtype, ENL_IC_MSG_NEGOTIATE);
	assert_int_equal(h.msgsize, 24);
	assert_int_equal(h.trans_id, 7);
	assert_int_equal(h.flags, ENL_IC_FLAG_TRANSACTION | ENL_IC_FLAG_REQUEST);
	assert_int_equal(neg_of(buf).framever_count, 2);
	assert_int_equal(neg_of(buf).msgver_count, 2);
	/* versions in order: fw 3.0 1.0, msg 3.0 1.0 (raw bytes) */
	static const u8 want[16] = { 3, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0 };
	assert_memory_equal(buf + 36, want, 16);
	/* bad arguments */
	assert_int_equal(enl_ic_build_negotiate(buf, 51, 0, fw, 2, hb, 2), -ENOSPC);
	assert_int_equal(enl_ic_build_negotiate(buf, sizeof(buf), 0, fw, 0, hb, 2), -EINVAL);
	assert_int_equal(enl_ic_build_negotiate(buf, sizeof(buf), 0, fw, 2, hb, 0), -EINVAL);
	assert_int_equal(enl_ic_build_hdr(buf, 27, 1, fw[0], hb[0], 0, 0, 0), -ENOSPC);
	assert_int_equal(enl_ic_build_hdr(buf, 60, 1, fw[0], hb[0], 40, 0, 0), -ENOSPC);
	assert_int_equal(enl_ic_build_hdr(buf, 68, 1, fw[0], hb[0], 40, 0, 0), 28);
}

static void test_negotiate_round_trip(void **state)
{
	u8 buf[256];
	struct enl_ic_version gf, gm, hf, hm;
	struct enl_icmsg_hdr h;
	int len = enl_ic_build_negotiate(buf, sizeof(buf), 1, fw, 2, hb, 2);
	int ans;

	assert_int_equal(enl_ic_answer_negotiate(buf, (u32)len, fw, 2, hb, 2,
						 &gf, &gm, &ans), 0);
	assert_int_equal(ans, 1);
	assert_int_equal(gf.major, 3);
	assert_int_equal(gm.major, 3);
	h = ic_hdr(buf);
	assert_int_equal(h.flags, ENL_IC_FLAG_TRANSACTION | ENL_IC_FLAG_RESPONSE);
	assert_int_equal(h.msgsize, 16);
	assert_int_equal(h.status, ENL_IC_STATUS_OK);
	assert_int_equal(neg_of(buf).framever_count, 1);
	assert_int_equal(neg_of(buf).msgver_count, 1);

	assert_int_equal(enl_ic_parse_negotiate_answer(buf, (u32)len, fw, 2, hb, 2,
						       &hf, &hm), 0);
	assert_int_equal(hf.major, 3);
	assert_int_equal(hf.minor, 0);
	assert_int_equal(hm.major, 3);
}

static void test_negotiate_older_guest(void **state)
{
	u8 buf[256];
	struct enl_ic_version gf, gm, hf, hm;
	int len = enl_ic_build_negotiate(buf, sizeof(buf), 1, fw, 2, hb, 2);
	int ans;

	/* a guest that only knows 1.0 messages */
	assert_int_equal(enl_ic_answer_negotiate(buf, (u32)len, fw, 2, v10, 1,
						 &gf, &gm, &ans), 0);
	assert_int_equal(enl_ic_parse_negotiate_answer(buf, (u32)len, fw, 2, hb, 2,
						       &hf, &hm), 0);
	assert_int_equal(hm.major, 1);
	assert_int_equal(hf.major, 3);
}

static void test_negotiate_no_match(void **state)
{
	u8 buf[256];
	struct enl_ic_version gf, gm, hf, hm;
	int len = enl_ic_build_negotiate(buf, sizeof(buf), 1, fw, 2, hb, 2);
	int ans;

	assert_int_equal(enl_ic_answer_negotiate(buf, (u32)len, fw, 2, v42, 1,
						 &gf, &gm, &ans), -ENOENT);
	assert_int_equal(ans, 1);
	assert_int_equal(neg_of(buf).framever_count, 0);
	assert_int_equal(neg_of(buf).msgver_count, 0);
	assert_int_equal(ic_hdr(buf).status, ENL_IC_STATUS_FAIL);
	assert_int_equal(enl_ic_parse_negotiate_answer(buf, (u32)len, fw, 2, hb, 2,
						       &hf, &hm), -ENOENT);
	/* framework mismatch too */
	len = enl_ic_build_negotiate(buf, sizeof(buf), 1, v42, 1, hb, 2);
	assert_int_equal(enl_ic_answer_negotiate(buf, (u32)len, fw, 2, hb, 2,
						 &gf, &gm, &ans), -ENOENT);
}

static void test_guest_malformed(void **state)
{
	u8 buf[512], copy[512];
	struct enl_ic_negotiate n;
	struct enl_ic_version gf, gm;
	int len, ans;

	/* too short to even answer: untouched */
	len = enl_ic_build_negotiate(buf, sizeof(buf), 1, fw, 2, hb, 2);
	memcpy(copy, buf, sizeof(buf));
	assert_int_equal(enl_ic_answer_negotiate(buf, 43, fw, 2, hb, 2, &gf, &gm,
						 &ans), -EPROTO);
	assert_int_equal(ans, 0);
	assert_memory_equal(buf, copy, sizeof(buf));
	assert_int_equal(enl_ic_answer_negotiate(buf, 0, fw, 2, hb, 2, &gf, &gm,
						 &ans), -EPROTO);

	/* counts promise more versions than the packet holds */
	n = neg_of(buf);
	n.framever_count = 2;
	n.msgver_count = 3;
	memcpy(buf + ENL_IC_BODY_OFF, &n, sizeof(n));
	assert_int_equal(enl_ic_answer_negotiate(buf, (u32)len, fw, 2, hb, 2, &gf,
						 &gm, &ans), -EPROTO);
	assert_int_equal(ans, 1);
	assert_int_equal(neg_of(buf).framever_count, 0);
	assert_int_equal(ic_hdr(buf).status, ENL_IC_STATUS_FAIL);

	/* huge counts */
	len = enl_ic_build_negotiate(buf, sizeof(buf), 1, fw, 2, hb, 2);
	n = neg_of(buf);
	n.framever_count = 0xffff;
	memcpy(buf + ENL_IC_BODY_OFF, &n, sizeof(n));
	assert_int_equal(enl_ic_answer_negotiate(buf, sizeof(buf), fw, 2, hb, 2,
						 &gf, &gm, &ans), -EPROTO);
	/* over the 100-version cap even if the buffer were big enough */
	n.framever_count = 101;
	n.msgver_count = 0;
	memcpy(buf + ENL_IC_BODY_OFF, &n, sizeof(n));
	assert_int_equal(enl_ic_answer_negotiate(buf, sizeof(buf), fw, 2, hb, 2,
						 &gf, &gm, &ans), -EPROTO);
	/* zero versions offered: nothing to match */
	n.framever_count = 0;
	memcpy(buf + ENL_IC_BODY_OFF, &n, sizeof(n));
	assert_int_equal(enl_ic_answer_negotiate(buf, sizeof(buf), fw, 2, hb, 2,
						 &gf, &gm, &ans), -ENOENT);
	/* not a NEGOTIATE */
	len = enl_ic_build_hdr(buf, sizeof(buf), ENL_IC_MSG_HEARTBEAT, fw[0], hb[0],
			       40, 0, ENL_IC_FLAG_REQUEST);
	assert_int_equal(enl_ic_answer_negotiate(buf, 68, fw, 2, hb, 2, &gf, &gm,
						 &ans), -EPROTO);
}

static void test_host_malformed_answers(void **state)
{
	u8 buf[256], good[256];
	struct enl_ic_version hf, hm, gf, gm;
	struct enl_ic_negotiate n;
	struct enl_icmsg_hdr h;
	int len, ans;

	len = enl_ic_build_negotiate(good, sizeof(good), 1, fw, 2, hb, 2);
	assert_int_equal(enl_ic_answer_negotiate(good, (u32)len, fw, 2, hb, 2, &gf,
						 &gm, &ans), 0);

	/* our own request echoed back (no RESPONSE flag) */
	len = enl_ic_build_negotiate(buf, sizeof(buf), 1, fw, 2, hb, 2);
	assert_int_equal(enl_ic_parse_negotiate_answer(buf, (u32)len, fw, 2, hb, 2,
						       &hf, &hm), -EPROTO);
	/* short */
	memcpy(buf, good, sizeof(buf));
	assert_int_equal(enl_ic_parse_negotiate_answer(buf, 27, fw, 2, hb, 2,
						       &hf, &hm), -EPROTO);
	assert_int_equal(enl_ic_parse_negotiate_answer(buf, 40, fw, 2, hb, 2,
						       &hf, &hm), -EPROTO);
	/* counts other than 1/1 */
	n = neg_of(good);
	n.framever_count = 2;
	memcpy(buf + ENL_IC_BODY_OFF, &n, sizeof(n));
	assert_int_equal(enl_ic_parse_negotiate_answer(buf, (u32)len, fw, 2, hb, 2,
						       &hf, &hm), -EPROTO);
	n.framever_count = 1;
	n.msgver_count = 0;
	memcpy(buf + ENL_IC_BODY_OFF, &n, sizeof(n));
	assert_int_equal(enl_ic_parse_negotiate_answer(buf, (u32)len, fw, 2, hb, 2,
						       &hf, &hm), -EPROTO);
	/* a version we never offered */
	memcpy(buf, good, sizeof(buf));
	memcpy(buf + 40, &v42[0], 4);
	assert_int_equal(enl_ic_parse_negotiate_answer(buf, (u32)len, fw, 2, hb, 2,
						       &hf, &hm), -EPROTO);
	memcpy(buf, good, sizeof(buf));
	memcpy(buf + 36, &v42[0], 4);
	assert_int_equal(enl_ic_parse_negotiate_answer(buf, (u32)len, fw, 2, hb, 2,
						       &hf, &hm), -EPROTO);
	/* wrong message type */
	memcpy(buf, good, sizeof(buf));
	h = ic_hdr(buf);
	h.msgtype = ENL_IC_MSG_HEARTBEAT;
	memcpy(buf + ENL_IC_HDR_OFF, &h, sizeof(h));
	assert_int_equal(enl_ic_parse_negotiate_answer(buf, (u32)len, fw, 2, hb, 2,
						       &hf, &hm), -EPROTO);
	/* counts 1/1 with a failure status */
	memcpy(buf, good, sizeof(buf));
	h = ic_hdr(buf);
	h.status = ENL_IC_STATUS_FAIL;
	memcpy(buf + ENL_IC_HDR_OFF, &h, sizeof(h));
	assert_int_equal(enl_ic_parse_negotiate_answer(buf, (u32)len, fw, 2, hb, 2,
						       &hf, &hm), -ENOENT);
	/* the minimal valid answer: exactly 44 bytes */
	assert_int_equal(enl_ic_parse_negotiate_answer(good, 44, fw, 2, hb, 2,
						       &hf, &hm), 0);
}

static void test_heartbeat(void **state)
{
	u8 buf[128];
	struct enl_ic_heartbeat m = { .seq = 41 };
	struct enl_icmsg_hdr h;

	assert_int_equal(enl_ic_build_hdr(buf, sizeof(buf), ENL_IC_MSG_HEARTBEAT,
					  fw[0], hb[0], sizeof(m), 3,
					  ENL_IC_FLAG_TRANSACTION | ENL_IC_FLAG_REQUEST), 28);
	memcpy(buf + 28, &m, sizeof(m));
	assert_int_equal(enl_ic_answer_heartbeat(buf, 67), -EPROTO);
	assert_int_equal(enl_ic_answer_heartbeat(buf, 68), 0);
	memcpy(&m, buf + 28, sizeof(m));
	assert_int_equal(m.seq, 42);
	h = ic_hdr(buf);
	assert_int_equal(h.flags, ENL_IC_FLAG_TRANSACTION | ENL_IC_FLAG_RESPONSE);
	assert_int_equal(h.trans_id, 3);
	assert_int_equal(enl_ic_parse_hdr(buf, 68, &h), 40);
	assert_int_equal(enl_ic_parse_hdr(buf, 27, &h), -EPROTO);
	/* not a heartbeat */
	h.msgtype = ENL_IC_MSG_SHUTDOWN;
	memcpy(buf + ENL_IC_HDR_OFF, &h, sizeof(h));
	assert_int_equal(enl_ic_answer_heartbeat(buf, 68), -EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_negotiate_round_trip),
		cmocka_unit_test(test_negotiate_older_guest),
		cmocka_unit_test(test_negotiate_no_match),
		cmocka_unit_test(test_guest_malformed),
		cmocka_unit_test(test_host_malformed_answers),
		cmocka_unit_test(test_heartbeat),
	};

	return cmocka_run_group_tests_name("ic", tests, NULL, NULL);
}
