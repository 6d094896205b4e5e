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

/* ---- shutdown, time sync, KVP ------------------------------------------- */

/* A request as the host daemon builds it: headers + body. */
static u32 request(u8 *buf, u32 cap, u16 type, struct enl_ic_version mv,
		   const void *body, u16 len)
{
	int off = enl_ic_build_hdr(buf, cap, type, ENL_IC_VER(3, 0), mv, len, 7,
				   ENL_IC_FLAG_TRANSACTION | ENL_IC_FLAG_REQUEST);

	assert_int_equal(off, ENL_IC_BODY_OFF);
	memcpy(buf + off, body, len);
	return (u32)off + len;
}

static void test_shutdown(void **state)
{
	static const u32 ok[] = { 0, 1, 2, 3 };
	struct enl_ic_shutdown body;
	u8 buf[4096];
	u32 len, i;

	for (i = 0; i < 4; i++) {
		enl_ic_build_shutdown(&body, ok[i]);
		len = request(buf, sizeof(buf), ENL_IC_MSG_SHUTDOWN,
			      ENL_IC_VER(3, 2), &body, sizeof(body));
		assert_int_equal(len, 2088);
		assert_int_equal(enl_ic_answer_shutdown(buf, len), (int)ok[i]);
		assert_int_equal(ic_hdr(buf).status, ENL_IC_STATUS_OK);
		assert_int_equal(ic_hdr(buf).flags,
				 ENL_IC_FLAG_TRANSACTION | ENL_IC_FLAG_RESPONSE);
	}
	/* hibernation and unknown actions: answered FAIL */
	for (i = 4; i < 8; i++) {
		enl_ic_build_shutdown(&body, i == 7 ? 0xffffffff : i);
		len = request(buf, sizeof(buf), ENL_IC_MSG_SHUTDOWN,
			      ENL_IC_VER(3, 0), &body, sizeof(body));
		assert_int_equal(enl_ic_answer_shutdown(buf, len), -EOPNOTSUPP);
		assert_int_equal(ic_hdr(buf).status, ENL_IC_STATUS_FAIL);
	}
	/* one byte short, or another type: not answered at all */
	enl_ic_build_shutdown(&body, 0);
	len = request(buf, sizeof(buf), ENL_IC_MSG_SHUTDOWN, ENL_IC_VER(3, 0),
		      &body, sizeof(body));
	assert_int_equal(enl_ic_answer_shutdown(buf, len - 1), -EPROTO);
	assert_int_equal(ic_hdr(buf).flags & ENL_IC_FLAG_RESPONSE, 0);
	assert_int_equal(enl_ic_answer_shutdown(buf, 10), -EPROTO);
	len = request(buf, sizeof(buf), ENL_IC_MSG_TIMESYNC, ENL_IC_VER(3, 0),
		      &body, sizeof(body));
	assert_int_equal(enl_ic_answer_shutdown(buf, len), -EPROTO);
}

static void test_timesync(void **state)
{
	u8 body[64], buf[256];
	u64 t = ENL_IC_TIME_UNIX_OFFSET + 17000000000ull * 10000000ull, h, r;
	u8 fl;
	int n;
	u32 len;

	/* 3.0: 25 bytes, no reference counter */
	n = enl_ic_build_timesync(body, sizeof(body), ENL_IC_VER(3, 0),
				  ENL_IC_TIMESYNC_SYNC, t, 99);
	assert_int_equal(n, 25);
	len = request(buf, sizeof(buf), ENL_IC_MSG_TIMESYNC, ENL_IC_VER(3, 0),
		      body, (u16)n);
	assert_int_equal(enl_ic_answer_timesync(buf, len, &h, &r, &fl), 0);
	assert_true(h == t && r == 0 && fl == ENL_IC_TIMESYNC_SYNC);
	assert_int_equal(ic_hdr(buf).flags & ENL_IC_FLAG_RESPONSE,
			 ENL_IC_FLAG_RESPONSE);
	assert_int_equal(enl_ic_answer_timesync(buf, len - 1, &h, &r, &fl), -EPROTO);
	/* 4.0: 22 bytes with the reference counter */
	n = enl_ic_build_timesync(body, sizeof(body), ENL_IC_VER(4, 0),
				  ENL_IC_TIMESYNC_SAMPLE, t, 12345);
	assert_int_equal(n, 22);
	len = request(buf, sizeof(buf), ENL_IC_MSG_TIMESYNC, ENL_IC_VER(4, 0),
		      body, (u16)n);
	assert_int_equal(enl_ic_answer_timesync(buf, len, &h, &r, &fl), 0);
	assert_true(h == t && r == 12345 && fl == ENL_IC_TIMESYNC_SAMPLE);
	assert_int_equal(enl_ic_answer_timesync(buf, len - 1, &h, &r, &fl), -EPROTO);
	/* a 4.0 body sized for 3.0 ... and the other way round */
	len = request(buf, sizeof(buf), ENL_IC_MSG_TIMESYNC, ENL_IC_VER(3, 0),
		      body, 22);
	assert_int_equal(enl_ic_answer_timesync(buf, len, &h, &r, &fl), -EPROTO);
	assert_int_equal(enl_ic_build_timesync(body, 24, ENL_IC_VER(3, 0), 0, t, 0),
			 -ENOSPC);
	assert_int_equal(enl_ic_build_timesync(body, 21, ENL_IC_VER(4, 0), 0, t, 0),
			 -ENOSPC);
	assert_int_equal(enl_ic_answer_timesync(buf, 20, &h, &r, &fl), -EPROTO);
}

static void test_utf16(void **state)
{
	u8 w[64];
	char o[64];
	int n;

	/* ASCII, two-, three- and four-byte UTF-8 */
	n = enl_ic_utf8_to_utf16("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10, w,
				 sizeof(w));
	assert_int_equal(n, 2 * (1 + 1 + 1 + 2 + 1));
	assert_int_equal(w[0], 'a');
	assert_int_equal(w[2] | w[3] << 8, 0xe9);
	assert_int_equal(w[4] | w[5] << 8, 0x20ac);
	assert_int_equal(w[6] | w[7] << 8, 0xd83d);
	assert_int_equal(w[8] | w[9] << 8, 0xde00);
	assert_int_equal(w[10] | w[11], 0);
	assert_int_equal(enl_ic_utf16_to_utf8(w, (u32)n, o, sizeof(o)), 10);
	assert_string_equal(o, "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	/* room: exactly, and one byte short */
	assert_int_equal(enl_ic_utf8_to_utf16("ab", 2, w, 6), 6);
	assert_int_equal(enl_ic_utf8_to_utf16("ab", 2, w, 5), -ENOSPC);
	assert_int_equal(enl_ic_utf8_to_utf16("", 0, w, 2), 2);
	assert_int_equal(enl_ic_utf8_to_utf16("", 0, w, 1), -ENOSPC);
	assert_int_equal(enl_ic_utf8_to_utf16("\xf0\x9f\x98\x80", 4, w, 5), -ENOSPC);
	assert_int_equal(enl_ic_utf16_to_utf8((const u8 *)"a\0b\0", 4, o, 3), 2);
	assert_int_equal(enl_ic_utf16_to_utf8((const u8 *)"a\0b\0", 4, o, 2), -ENOSPC);
	/* bad UTF-8: overlong, surrogate, > U+10FFFF, truncated, stray
	 * continuation, an embedded NUL */
	assert_int_equal(enl_ic_utf8_to_utf16("\xc0\xaf", 2, w, 64), -EILSEQ);
	assert_int_equal(enl_ic_utf8_to_utf16("\xed\xa0\x80", 3, w, 64), -EILSEQ);
	assert_int_equal(enl_ic_utf8_to_utf16("\xf4\x90\x80\x80", 4, w, 64), -EILSEQ);
	assert_int_equal(enl_ic_utf8_to_utf16("\xe2\x82", 2, w, 64), -EILSEQ);
	assert_int_equal(enl_ic_utf8_to_utf16("\x80", 1, w, 64), -EILSEQ);
	assert_int_equal(enl_ic_utf8_to_utf16("a\0b", 3, w, 64), -EILSEQ);
	/* bad UTF-16: lone low, lone high, high at the end, odd length */
	assert_int_equal(enl_ic_utf16_to_utf8((const u8 *)"\x00\xdc", 2, o, 64), -EILSEQ);
	assert_int_equal(enl_ic_utf16_to_utf8((const u8 *)"\x3d\xd8" "a\0", 4, o, 64), -EILSEQ);
	assert_int_equal(enl_ic_utf16_to_utf8((const u8 *)"\x3d\xd8", 2, o, 64), -EILSEQ);
	assert_int_equal(enl_ic_utf16_to_utf8((const u8 *)"a\0b", 3, o, 64), -EILSEQ);
	/* stops at the NUL unit, even with bytes after it */
	assert_int_equal(enl_ic_utf16_to_utf8((const u8 *)"a\0\0\0\x00\xdc", 6, o, 64), 1);
}

/* What a guest's KVP driver + daemon would answer: key/value in place. */
static void kvp_guest_answer(struct enl_ic_kvp_msg *m, const char *key,
			     const char *value, u32 type)
{
	struct enl_ic_kvp_value *d = m->op == ENL_IC_KVP_ENUMERATE ?
				     &m->u.en.data : &m->u.data;
	int n = enl_ic_utf8_to_utf16(key, (u32)strlen(key), d->key, sizeof(d->key));

	assert_true(n > 0);
	d->key_size = (u32)n;
	d->value_type = type;
	if (type == ENL_IC_KVP_REG_SZ) {
		n = enl_ic_utf8_to_utf16(value, (u32)strlen(value), d->value,
					 sizeof(d->value));
		assert_true(n > 0);
		d->value_size = (u32)n;
	} else {
		u64 v = 4000000000ull;

		memcpy(d->value, &v, type == ENL_IC_KVP_REG_U32 ? 4 : 8);
		d->value_size = type == ENL_IC_KVP_REG_U32 ? 4 : 8;
	}
}

static void test_kvp(void **state)
{
	static struct enl_ic_kvp_msg m;
	static struct enl_ic_kvp_result r;
	static char key[600], value[2100];

	/* SET: UTF-16 key and value with their NULs, REG_SZ */
	assert_int_equal(enl_ic_build_kvp(&m, ENL_IC_KVP_SET, 0, 0, "k", "v w"), 0);
	assert_int_equal(m.op, ENL_IC_KVP_SET);
	assert_int_equal(m.u.data.key_size, 4);
	assert_int_equal(m.u.data.value_size, 8);
	assert_int_equal(m.u.data.value_type, ENL_IC_KVP_REG_SZ);
	assert_int_equal(m.u.data.key[0], 'k');
	assert_int_equal(m.u.data.key[1] | m.u.data.key[2] | m.u.data.key[3], 0);
	/* key at the limit (255 units + NUL = 512 bytes) and past it */
	memset(key, 'k', 255);
	key[255] = 0;
	assert_int_equal(enl_ic_build_kvp(&m, ENL_IC_KVP_SET, 0, 0, key, "v"), 0);
	assert_int_equal(m.u.data.key_size, 512);
	key[255] = 'k';
	key[256] = 0;
	assert_int_equal(enl_ic_build_kvp(&m, ENL_IC_KVP_SET, 0, 0, key, "v"), -ENOSPC);
	assert_int_equal(enl_ic_build_kvp(&m, ENL_IC_KVP_DELETE, 0, 0, key, NULL), -ENOSPC);
	/* value at the limit (1023 units + NUL) and past it */
	memset(value, 'v', 1023);
	value[1023] = 0;
	assert_int_equal(enl_ic_build_kvp(&m, ENL_IC_KVP_SET, 1, 0, "k", value), 0);
	assert_int_equal(m.u.data.value_size, 2048);
	value[1023] = 'v';
	value[1024] = 0;
	assert_int_equal(enl_ic_build_kvp(&m, ENL_IC_KVP_SET, 1, 0, "k", value), -ENOSPC);
	/* pools and ops out of range, bad UTF-8, no key */
	assert_int_equal(enl_ic_build_kvp(&m, ENL_IC_KVP_GET, 5, 0, "k", NULL), -EINVAL);
	assert_int_equal(enl_ic_build_kvp(&m, ENL_IC_KVP_GET_IP_INFO, 0, 0, "k", NULL), -EINVAL);
	assert_int_equal(enl_ic_build_kvp(&m, ENL_IC_KVP_GET, 0, 0, "\xff", NULL), -EILSEQ);
	assert_int_equal(enl_ic_build_kvp(&m, ENL_IC_KVP_GET, 0, 0, "", NULL), -EINVAL);
	assert_int_equal(enl_ic_build_kvp(&m, ENL_IC_KVP_SET, 0, 0, "k", NULL), -EINVAL);
	/* DELETE: key_size + key only */
	assert_int_equal(enl_ic_build_kvp(&m, ENL_IC_KVP_DELETE, 4, 0, "ab", NULL), 0);
	assert_int_equal(m.u.del.key_size, 6);
	assert_int_equal(m.pool, 4);
	/* ENUMERATE answered: key and value decoded */
	assert_int_equal(enl_ic_build_kvp(&m, ENL_IC_KVP_ENUMERATE, 2, 3, NULL, NULL), 0);
	assert_int_equal(m.u.en.index, 3);
	kvp_guest_answer(&m, "OSName", "Debian GNU/Linux \xc3\xa9", ENL_IC_KVP_REG_SZ);
	assert_int_equal(enl_ic_parse_kvp_answer(&m, sizeof(m), ENL_IC_KVP_ENUMERATE, &r), 0);
	assert_string_equal(r.key, "OSName");
	assert_string_equal(r.value, "Debian GNU/Linux \xc3\xa9");
	/* numbers as decimal */
	kvp_guest_answer(&m, "n", NULL, ENL_IC_KVP_REG_U64);
	assert_int_equal(enl_ic_parse_kvp_answer(&m, sizeof(m), ENL_IC_KVP_ENUMERATE, &r), 0);
	assert_string_equal(r.value, "4000000000");
	kvp_guest_answer(&m, "n", NULL, ENL_IC_KVP_REG_U32);
	assert_int_equal(enl_ic_parse_kvp_answer(&m, sizeof(m), ENL_IC_KVP_ENUMERATE, &r), 0);
	assert_string_equal(r.value, "4000000000");
	/* hostile answers: sizes past the fields, bad UTF-16, short body,
	 * unknown type, a SET answer parsed as data */
	kvp_guest_answer(&m, "k", "v", ENL_IC_KVP_REG_SZ);
	m.u.en.data.key_size = 514;
	assert_int_equal(enl_ic_parse_kvp_answer(&m, sizeof(m), ENL_IC_KVP_ENUMERATE, &r), -EPROTO);
	m.u.en.data.key_size = 4;
	m.u.en.data.value_size = 2050;
	assert_int_equal(enl_ic_parse_kvp_answer(&m, sizeof(m), ENL_IC_KVP_ENUMERATE, &r), -EPROTO);
	m.u.en.data.value_size = 4;
	m.u.en.data.value[1] = 0xdc;	/* lone low surrogate */
	assert_int_equal(enl_ic_parse_kvp_answer(&m, sizeof(m), ENL_IC_KVP_ENUMERATE, &r), -EPROTO);
	kvp_guest_answer(&m, "k", "v", ENL_IC_KVP_REG_SZ);
	assert_int_equal(enl_ic_parse_kvp_answer(&m, sizeof(m) - 1, ENL_IC_KVP_ENUMERATE, &r), -EPROTO);
	m.u.en.data.value_type = 11;	/* Windows' REG_QWORD */
	assert_int_equal(enl_ic_parse_kvp_answer(&m, sizeof(m), ENL_IC_KVP_ENUMERATE, &r), -EPROTO);
	assert_int_equal(enl_ic_parse_kvp_answer(&m, sizeof(m), ENL_IC_KVP_SET, &r), -EPROTO);
	/* the largest key and value a guest may answer decode in full */
	assert_int_equal(enl_ic_build_kvp(&m, ENL_IC_KVP_GET, 0, 0, "k", NULL), 0);
	memset(value, 0, sizeof(value));
	memset(value, 'x', 1023);
	kvp_guest_answer(&m, "k", value, ENL_IC_KVP_REG_SZ);
	assert_int_equal(m.u.data.value_size, 2048);
	assert_int_equal(enl_ic_parse_kvp_answer(&m, 4 + sizeof(m.u.data), ENL_IC_KVP_GET, &r), 0);
	assert_int_equal(strlen(r.value), 1023);
}

/* The guest kernel's side of KVP: host request -> daemon message ->
 * daemon answer -> host answer. */
static void test_kvp_daemon(void **state)
{
	static struct enl_ic_kvp_msg m;
	static struct enl_kvp_daemon_msg d;
	static struct enl_ic_kvp_result r;
	static char big[1100];

	/* SET: UTF-8 key and value for the daemon, sizes with the NUL */
	assert_int_equal(enl_ic_build_kvp(&m, ENL_IC_KVP_SET, 0, 0, "k\xc3\xa9", "v w"), 0);
	assert_int_equal(enl_ic_kvp_to_daemon(&m, sizeof(m), &d), 0);
	assert_int_equal(d.h.hdr.op, ENL_IC_KVP_SET);
	assert_int_equal(d.h.hdr.pool, 0);
	assert_string_equal((char *)d.u.data.key, "k\xc3\xa9");
	assert_int_equal(d.u.data.key_size, 4);
	assert_string_equal((char *)d.u.data.value, "v w");
	assert_int_equal(d.u.data.value_size, 4);
	/* the daemon says OK: nothing else changes */
	d.h.error = 0;
	assert_int_equal(enl_ic_kvp_from_daemon(&m, sizeof(m), &d), ENL_IC_STATUS_OK);
	/* REG_U32 and REG_U64 values become decimal strings */
	m.u.data.value_type = ENL_IC_KVP_REG_U32;
	memcpy(m.u.data.value, (u32[]){ 4000000000u }, 4);
	assert_int_equal(enl_ic_kvp_to_daemon(&m, sizeof(m), &d), 0);
	assert_string_equal((char *)d.u.data.value, "4000000000");
	assert_int_equal(d.u.data.value_size, 11);
	m.u.data.value_type = 11;
	assert_int_equal(enl_ic_kvp_to_daemon(&m, sizeof(m), &d), -EPROTO);
	/* ENUMERATE: the index out, key and value back as UTF-16 */
	assert_int_equal(enl_ic_build_kvp(&m, ENL_IC_KVP_ENUMERATE, 2, 5, NULL, NULL), 0);
	assert_int_equal(enl_ic_kvp_to_daemon(&m, sizeof(m), &d), 0);
	assert_int_equal(d.u.en.index, 5);
	assert_int_equal(d.h.hdr.pool, 2);
	memset(&d, 0, sizeof(d));
	strcpy((char *)d.u.en.data.key, "OSName");
	strcpy((char *)d.u.en.data.value, "Debian");
	assert_int_equal(enl_ic_kvp_from_daemon(&m, sizeof(m), &d), ENL_IC_STATUS_OK);
	assert_int_equal(m.u.en.data.key_size, 14);
	assert_int_equal(m.u.en.data.value_size, 14);
	assert_int_equal(enl_ic_parse_kvp_answer(&m, sizeof(m), ENL_IC_KVP_ENUMERATE, &r), 0);
	assert_string_equal(r.key, "OSName");
	assert_string_equal(r.value, "Debian");
	/* "no more": the daemon's status goes to the host, body untouched */
	d.h.error = ENL_IC_STATUS_CONT;
	assert_int_equal(enl_ic_kvp_from_daemon(&m, sizeof(m), &d), ENL_IC_STATUS_CONT);
	/* GET: value only; the daemon leaves the sizes 0 (the stock
	 * kernel takes the string lengths) */
	assert_int_equal(enl_ic_build_kvp(&m, ENL_IC_KVP_GET, 1, 0, "k", NULL), 0);
	assert_int_equal(enl_ic_kvp_to_daemon(&m, sizeof(m), &d), 0);
	assert_int_equal(d.u.data.value_size, ENL_IC_KVP_VALUE_BYTES);
	memset(&d, 0, sizeof(d));
	strcpy((char *)d.u.data.value, "xxxxx");
	assert_int_equal(enl_ic_kvp_from_daemon(&m, 4 + sizeof(m.u.data), &d), ENL_IC_STATUS_OK);
	assert_int_equal(enl_ic_parse_kvp_answer(&m, sizeof(m), ENL_IC_KVP_GET, &r), 0);
	assert_string_equal(r.value, "xxxxx");
	assert_int_equal(m.u.data.value_size, 12);
	/* a daemon value without its NUL, or too long for the host's
	 * field (1023 units + NUL) */
	memset(d.u.data.value, 'x', sizeof(d.u.data.value));
	assert_int_equal(enl_ic_kvp_from_daemon(&m, sizeof(m), &d), ENL_IC_STATUS_FAIL);
	d.u.data.value[1024] = 0;
	assert_int_equal(enl_ic_kvp_from_daemon(&m, sizeof(m), &d), ENL_IC_STATUS_FAIL);
	d.u.data.value[1023] = 0;
	assert_int_equal(enl_ic_kvp_from_daemon(&m, sizeof(m), &d), ENL_IC_STATUS_OK);
	/* bad UTF-8 from the daemon */
	d.u.data.value_size = 2;
	d.u.data.value[0] = (u8)0xff;
	assert_int_equal(enl_ic_kvp_from_daemon(&m, sizeof(m), &d), ENL_IC_STATUS_FAIL);
	/* DELETE */
	assert_int_equal(enl_ic_build_kvp(&m, ENL_IC_KVP_DELETE, 3, 0, "gone", NULL), 0);
	assert_int_equal(enl_ic_kvp_to_daemon(&m, 4 + 4 + 512, &d), 0);
	assert_string_equal((char *)d.u.del.key, "gone");
	assert_int_equal(d.u.del.key_size, 5);
	assert_int_equal(enl_ic_kvp_to_daemon(&m, 4 + 4 + 511, &d), -EPROTO);
	/* hostile requests: short, pools out of range, IP ops, sizes past
	 * their fields, bad UTF-16 */
	assert_int_equal(enl_ic_kvp_to_daemon(&m, 3, &d), -EPROTO);
	assert_int_equal(enl_ic_build_kvp(&m, ENL_IC_KVP_GET, 0, 0, "k", NULL), 0);
	assert_int_equal(enl_ic_kvp_to_daemon(&m, sizeof(m.u.data) + 3, &d), -EPROTO);
	m.pool = 5;
	assert_int_equal(enl_ic_kvp_to_daemon(&m, sizeof(m), &d), -EPROTO);
	m.pool = 0;
	m.op = ENL_IC_KVP_GET_IP_INFO;
	assert_int_equal(enl_ic_kvp_to_daemon(&m, sizeof(m), &d), -EOPNOTSUPP);
	m.op = 200;
	assert_int_equal(enl_ic_kvp_to_daemon(&m, sizeof(m), &d), -EOPNOTSUPP);
	m.op = ENL_IC_KVP_GET;
	m.u.data.key_size = 514;
	assert_int_equal(enl_ic_kvp_to_daemon(&m, sizeof(m), &d), -EPROTO);
	m.u.data.key_size = 2;
	m.u.data.key[0] = 0x00;
	m.u.data.key[1] = 0xdc;
	assert_int_equal(enl_ic_kvp_to_daemon(&m, sizeof(m), &d), -EPROTO);
	/* a key at the limit: 255 units, 511 UTF-8 bytes + NUL fit the
	 * daemon's 512; 255 two-byte characters (510 + NUL) too */
	memset(big, 'k', 255);
	big[255] = 0;
	assert_int_equal(enl_ic_build_kvp(&m, ENL_IC_KVP_GET, 0, 0, big, NULL), 0);
	assert_int_equal(enl_ic_kvp_to_daemon(&m, sizeof(m), &d), 0);
	assert_int_equal(d.u.data.key_size, 256);
	for (int i = 0; i < 255; i++)
		memcpy(big + 2 * i, "\xc3\xa9", 2);
	big[510] = 0;
	assert_int_equal(enl_ic_build_kvp(&m, ENL_IC_KVP_GET, 0, 0, big, NULL), 0);
	assert_int_equal(enl_ic_kvp_to_daemon(&m, sizeof(m), &d), 0);
	assert_int_equal(d.u.data.key_size, 511);
	/* 255 three-byte characters do not fit the daemon's key */
	for (int i = 0; i < 255; i++)
		memcpy(big + 3 * i, "\xe2\x82\xac", 3);
	big[765] = 0;
	assert_int_equal(enl_ic_build_kvp(&m, ENL_IC_KVP_GET, 0, 0, big, NULL), 0);
	assert_int_equal(enl_ic_kvp_to_daemon(&m, sizeof(m), &d), -EPROTO);
}

static void test_fcopy(void **state)
{
	static struct enl_ic_fcopy_start st, o;
	static struct enl_ic_fcopy_write w, wo;
	static char name[800];
	struct enl_ic_fcopy_hdr h = { .op = ENL_IC_FCOPY_COMPLETE }, ho;

	/* START: UTF-16 names on the wire, UTF-8 for the daemon */
	assert_int_equal(enl_ic_build_fcopy_start(&st, "f\xc3\xa9.bin", "/tmp/x",
						  ENL_IC_FCOPY_CREATE_PATH, 10485760), 0);
	assert_int_equal(st.file_name[0], 'f');
	assert_int_equal(st.file_name[2] | st.file_name[3] << 8, 0xe9);
	assert_int_equal(enl_ic_fcopy_to_daemon(&st, sizeof(st), &o, sizeof(o)),
			 (int)sizeof(o));
	assert_string_equal((char *)o.file_name, "f\xc3\xa9.bin");
	assert_string_equal((char *)o.path_name, "/tmp/x");
	assert_int_equal(o.copy_flags, ENL_IC_FCOPY_CREATE_PATH);
	assert_true(o.file_size == 10485760);
	assert_int_equal(enl_ic_fcopy_to_daemon(&st, sizeof(st) - 1, &o, sizeof(o)), -EPROTO);
	assert_int_equal(enl_ic_fcopy_to_daemon(&st, sizeof(st), &o, sizeof(o) - 1), -ENOSPC);
	/* names: 259 units fit, 260 do not; empty ones are refused */
	memset(name, 'n', 259);
	name[259] = 0;
	assert_int_equal(enl_ic_build_fcopy_start(&st, name, "/", 0, 0), 0);
	assert_int_equal(enl_ic_fcopy_to_daemon(&st, sizeof(st), &o, sizeof(o)),
			 (int)sizeof(o));
	assert_int_equal(strlen((char *)o.file_name), 259);
	name[259] = 'n';
	assert_int_equal(enl_ic_build_fcopy_start(&st, name, "/", 0, 0), -ENOSPC);
	assert_int_equal(enl_ic_build_fcopy_start(&st, "", "/", 0, 0), -EINVAL);
	assert_int_equal(enl_ic_build_fcopy_start(&st, "a", "\xff", 0, 0), -EILSEQ);
	/* 259 two-byte characters do not fit the daemon's 520 bytes with NUL */
	for (int i = 0; i < 259; i++)
		memcpy(name + 2 * i, "\xc3\xa9", 2);
	name[518] = 0;
	assert_int_equal(enl_ic_build_fcopy_start(&st, name, "/", 0, 0), 0);
	assert_int_equal(enl_ic_fcopy_to_daemon(&st, sizeof(st), &o, sizeof(o)),
			 (int)sizeof(o));
	for (int i = 0; i < 259; i++)
		memcpy(name + 3 * i, "\xe2\x82\xac", 3);
	name[777] = 0;
	assert_int_equal(enl_ic_build_fcopy_start(&st, name, "/", 0, 0), 0);
	assert_int_equal(enl_ic_fcopy_to_daemon(&st, sizeof(st), &o, sizeof(o)), -EPROTO);
	/* a name without its NUL, bad UTF-16, an empty name from the host */
	assert_int_equal(enl_ic_build_fcopy_start(&st, "a", "/", 0, 0), 0);
	memset(st.file_name, 'a', sizeof(st.file_name));
	assert_int_equal(enl_ic_fcopy_to_daemon(&st, sizeof(st), &o, sizeof(o)), -EPROTO);
	memset(st.file_name, 0, sizeof(st.file_name));
	assert_int_equal(enl_ic_fcopy_to_daemon(&st, sizeof(st), &o, sizeof(o)), -EPROTO);
	st.file_name[1] = 0xdc;
	assert_int_equal(enl_ic_fcopy_to_daemon(&st, sizeof(st), &o, sizeof(o)), -EPROTO);
	/* WRITE: passed as it came; sizes past the data refused */
	memset(&w, 0, sizeof(w));
	w.hdr.op = ENL_IC_FCOPY_WRITE;
	w.offset = 6144;
	w.size = ENL_IC_FCOPY_DATA;
	w.data[0] = 42;
	assert_int_equal(enl_ic_fcopy_to_daemon(&w, sizeof(w), &wo, sizeof(wo)),
			 (int)sizeof(wo));
	assert_memory_equal(&w, &wo, sizeof(w));
	w.size = ENL_IC_FCOPY_DATA + 1;
	assert_int_equal(enl_ic_fcopy_to_daemon(&w, sizeof(w), &wo, sizeof(wo)), -EPROTO);
	w.size = 1;
	assert_int_equal(enl_ic_fcopy_to_daemon(&w, sizeof(w) - 1, &wo, sizeof(wo)), -EPROTO);
	/* COMPLETE, CANCEL: the header; unknown ops and short bodies refused */
	assert_int_equal(enl_ic_fcopy_to_daemon(&h, sizeof(h), &ho, sizeof(ho)),
			 (int)sizeof(ho));
	assert_int_equal(ho.op, ENL_IC_FCOPY_COMPLETE);
	assert_int_equal(enl_ic_fcopy_to_daemon(&h, sizeof(h) - 1, &ho, sizeof(ho)), -EPROTO);
	h.op = 9;
	assert_int_equal(enl_ic_fcopy_to_daemon(&h, sizeof(h), &ho, sizeof(ho)), -EPROTO);
}

/* ---- VSS -------------------------------------------------------------------- */

static void test_vss(void **state)
{
	static const struct enl_ic_version vss[] = ENL_IC_VSS_VERSIONS;
	struct enl_ic_vss_msg m, d;
	struct enl_icmsg_hdr h;
	u8 buf[8192], big[6300];
	u32 len, st, flags;
	u8 op, i;

	/* the daemon's message: 12 bytes, the answer over the header */
	assert_int_equal(sizeof(m), 12);
	assert_int_equal(offsetof(struct enl_ic_vss_msg, h.error), 0);
	assert_int_equal(vss[0].major, 5);
	assert_int_equal(vss[0].minor, 0);
	assert_string_equal(enl_ic_vss_op_name(ENL_IC_VSS_FREEZE), "FREEZE");
	assert_string_equal(enl_ic_vss_op_name(200), "unknown op");
	assert_int_equal(enl_ic_build_vss(&m, ENL_IC_VSS_OP_COUNT), -EINVAL);

	/* FREEZE, THAW, HOT_BACKUP go to the daemon, not answered yet */
	for (i = ENL_IC_VSS_HOT_BACKUP; i <= ENL_IC_VSS_THAW; i++) {
		if (i == ENL_IC_VSS_GET_DM_INFO || i == ENL_IC_VSS_BU_COMPLETE)
			continue;
		assert_int_equal(enl_ic_build_vss(&m, i), 0);
		len = request(buf, sizeof(buf), ENL_IC_MSG_VSS, vss[0], &m, sizeof(m));
		assert_int_equal(len, ENL_IC_BODY_OFF + 12);
		assert_int_equal(enl_ic_vss_parse_request(buf, len, &op),
				 ENL_IC_VSS_TO_DAEMON);
		assert_int_equal(op, i);
		assert_int_equal(ic_hdr(buf).flags & ENL_IC_FLAG_RESPONSE, 0);

		/* the daemon says OK: the host reads OK, its op echoed */
		memset(&d, 0, sizeof(d));
		assert_int_equal(enl_ic_vss_from_daemon(&d, sizeof(d), &st), 0);
		assert_int_equal(st, 0);
		enl_ic_vss_answer(buf, len, st, true);
		h = ic_hdr(buf);
		assert_int_equal(h.flags, ENL_IC_FLAG_TRANSACTION | ENL_IC_FLAG_RESPONSE);
		assert_int_equal(enl_ic_vss_parse_answer(&h, buf + ENL_IC_BODY_OFF,
							 len - ENL_IC_BODY_OFF, i,
							 &st, &flags), 0);
		assert_int_equal(st, ENL_IC_STATUS_OK);
		assert_int_equal(flags, i == ENL_IC_VSS_HOT_BACKUP ?
				 ENL_IC_VSS_HBU_NO_AUTO_RECOVERY : 0);
		/* an answer to another op is not ours */
		assert_int_equal(enl_ic_vss_parse_answer(&h, buf + ENL_IC_BODY_OFF,
							 len - ENL_IC_BODY_OFF,
							 (u8)(i + 1), &st, &flags),
				 -EPROTO);
	}

	/* the daemon's error goes to the host as the status */
	enl_ic_build_vss(&m, ENL_IC_VSS_FREEZE);
	len = request(buf, sizeof(buf), ENL_IC_MSG_VSS, vss[0], &m, sizeof(m));
	d.h.error = ENL_IC_STATUS_FAIL;
	assert_int_equal(enl_ic_vss_from_daemon(&d, sizeof(d), &st), 0);
	assert_int_equal(st, ENL_IC_STATUS_FAIL);
	/* a write of another size is refused */
	assert_int_equal(enl_ic_vss_from_daemon(&d, 11, &st), -EINVAL);
	assert_int_equal(enl_ic_vss_from_daemon(&d, 13, &st), -EINVAL);
	enl_ic_vss_answer(buf, len, st, true);
	h = ic_hdr(buf);
	assert_int_equal(enl_ic_vss_parse_answer(&h, buf + ENL_IC_BODY_OFF, 12,
						 ENL_IC_VSS_FREEZE, &st, &flags), 0);
	assert_int_equal(st, ENL_IC_STATUS_FAIL);

	/* no daemon: HOT_BACKUP answered FAIL without the flag */
	enl_ic_build_vss(&m, ENL_IC_VSS_HOT_BACKUP);
	len = request(buf, sizeof(buf), ENL_IC_MSG_VSS, vss[0], &m, sizeof(m));
	enl_ic_vss_answer(buf, len, ENL_IC_STATUS_FAIL, false);
	h = ic_hdr(buf);
	assert_int_equal(enl_ic_vss_parse_answer(&h, buf + ENL_IC_BODY_OFF, 12,
						 ENL_IC_VSS_HOT_BACKUP, &st, &flags), 0);
	assert_int_equal(st, ENL_IC_STATUS_FAIL);
	assert_int_equal(flags, 0);

	/* GET_DM_INFO and the rest: answered in place, OK, flags 0 */
	for (i = 0; i < 10; i++) {
		if (i == ENL_IC_VSS_FREEZE || i == ENL_IC_VSS_THAW ||
		    i == ENL_IC_VSS_HOT_BACKUP)
			continue;
		memset(&m, 0, sizeof(m));
		m.h.hdr.op = i;
		m.flags = 0xffffffff;
		len = request(buf, sizeof(buf), ENL_IC_MSG_VSS, vss[0], &m, sizeof(m));
		assert_int_equal(enl_ic_vss_parse_request(buf, len, &op),
				 ENL_IC_VSS_ANSWER);
		h = ic_hdr(buf);
		assert_int_equal(h.status, ENL_IC_STATUS_OK);
		assert_int_equal(h.flags, ENL_IC_FLAG_TRANSACTION | ENL_IC_FLAG_RESPONSE);
		if (i == ENL_IC_VSS_GET_DM_INFO) {
			assert_int_equal(enl_ic_vss_parse_answer(&h, buf + ENL_IC_BODY_OFF,
								 12, i, &st, &flags), 0);
			assert_int_equal(flags, 0);
		}
	}

	/* Hyper-V's long FREEZE (LUN data after the 12 bytes) is fine */
	memset(big, 0xa5, sizeof(big));
	enl_ic_build_vss(&m, ENL_IC_VSS_FREEZE);
	memcpy(big, &m, sizeof(m));
	len = request(buf, sizeof(buf), ENL_IC_MSG_VSS, vss[0], big, sizeof(big));
	assert_int_equal(enl_ic_vss_parse_request(buf, len, &op), ENL_IC_VSS_TO_DAEMON);

	/* short, or not VSS: -EPROTO, untouched */
	enl_ic_build_vss(&m, ENL_IC_VSS_FREEZE);
	len = request(buf, sizeof(buf), ENL_IC_MSG_VSS, vss[0], &m, sizeof(m));
	assert_int_equal(enl_ic_vss_parse_request(buf, len - 1, &op), -EPROTO);
	assert_int_equal(enl_ic_vss_parse_request(buf, 10, &op), -EPROTO);
	enl_ic_vss_answer(buf, len - 1, 0, true);	/* too short: left alone */
	assert_int_equal(ic_hdr(buf).flags & ENL_IC_FLAG_RESPONSE, 0);
	len = request(buf, sizeof(buf), ENL_IC_MSG_KVP, vss[0], &m, sizeof(m));
	assert_int_equal(enl_ic_vss_parse_request(buf, len, &op), -EPROTO);

	/* the host refuses: a request (no RESPONSE flag), another type,
	 * a short body */
	enl_ic_build_vss(&m, ENL_IC_VSS_THAW);
	len = request(buf, sizeof(buf), ENL_IC_MSG_VSS, vss[0], &m, sizeof(m));
	h = ic_hdr(buf);
	assert_int_equal(enl_ic_vss_parse_answer(&h, buf + ENL_IC_BODY_OFF, 12,
						 ENL_IC_VSS_THAW, &st, &flags), -EPROTO);
	h.flags = ENL_IC_FLAG_TRANSACTION | ENL_IC_FLAG_RESPONSE;
	assert_int_equal(enl_ic_vss_parse_answer(&h, buf + ENL_IC_BODY_OFF, 11,
						 ENL_IC_VSS_THAW, &st, &flags), -EPROTO);
	h.msgtype = ENL_IC_MSG_KVP;
	assert_int_equal(enl_ic_vss_parse_answer(&h, buf + ENL_IC_BODY_OFF, 12,
						 ENL_IC_VSS_THAW, &st, &flags), -EPROTO);
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
		cmocka_unit_test(test_shutdown),
		cmocka_unit_test(test_timesync),
		cmocka_unit_test(test_utf16),
		cmocka_unit_test(test_kvp),
		cmocka_unit_test(test_kvp_daemon),
		cmocka_unit_test(test_fcopy),
		cmocka_unit_test(test_vss),
	};

	return cmocka_run_group_tests_name("ic", tests, NULL, NULL);
}
