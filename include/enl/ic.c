// SPDX-License-Identifier: GPL-2.0-only
/*
 * Integration-service framing and version negotiation, both ends.  Pure:
 * no allocation, every access checked against the given length.  Builds
 * in the kernel (__KERNEL__) and in user space.
 */
#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <string.h>
#endif

#include <enl/ic_msg.h>

static bool ver_eq(struct enl_ic_version a, struct enl_ic_version b)
{
	return a.major == b.major && a.minor == b.minor;
}

static bool ver_in(struct enl_ic_version v, const struct enl_ic_version *list,
		   unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (ver_eq(v, list[i]))
			return true;
	return false;
}

int enl_ic_build_hdr(void *buf, u32 buf_len, u16 msgtype,
		     struct enl_ic_version framever, struct enl_ic_version msgver,
		     u16 body_len, u8 trans_id, u8 flags)
{
	struct enl_ic_pipe_hdr pipe;
	struct enl_icmsg_hdr ic;

	if (buf_len < ENL_IC_BODY_OFF || buf_len - ENL_IC_BODY_OFF < body_len)
		return -ENOSPC;
	memset(&pipe, 0, sizeof(pipe));
	pipe.msgsize = (u32)(sizeof(ic) + body_len);
	memset(&ic, 0, sizeof(ic));
	ic.framever = framever;
	ic.msgtype = msgtype;
	ic.msgver = msgver;
	ic.msgsize = body_len;
	ic.status = ENL_IC_STATUS_OK;
	ic.trans_id = trans_id;
	ic.flags = flags;
	memcpy(buf, &pipe, sizeof(pipe));
	memcpy((u8 *)buf + ENL_IC_HDR_OFF, &ic, sizeof(ic));
	return (int)ENL_IC_BODY_OFF;
}

int enl_ic_parse_hdr(const void *buf, u32 len, struct enl_icmsg_hdr *hdr)
{
	if (len < ENL_IC_BODY_OFF)
		return -EPROTO;
	memcpy(hdr, (const u8 *)buf + ENL_IC_HDR_OFF, sizeof(*hdr));
	return (int)(len - ENL_IC_BODY_OFF);
}

int enl_ic_build_negotiate(void *buf, u32 buf_len, u8 trans_id,
			   const struct enl_ic_version *fw, unsigned int nfw,
			   const struct enl_ic_version *msg, unsigned int nmsg)
{
	struct enl_ic_negotiate neg;
	u32 len, body;
	int err;

	if (!nfw || !nmsg || nfw > ENL_IC_MAX_VERSIONS ||
	    nmsg > ENL_IC_MAX_VERSIONS)
		return -EINVAL;
	len = (u32)ENL_IC_NEGOTIATE_LEN(nfw, nmsg);
	body = len - (u32)ENL_IC_BODY_OFF;
	if (buf_len < len)
		return -ENOSPC;
	/* The versions in the header of a NEGOTIATE are the oldest ones. */
	err = enl_ic_build_hdr(buf, buf_len, ENL_IC_MSG_NEGOTIATE,
			       fw[nfw - 1], msg[nmsg - 1], (u16)body, trans_id,
			       ENL_IC_FLAG_TRANSACTION | ENL_IC_FLAG_REQUEST);
	if (err < 0)
		return err;
	memset(&neg, 0, sizeof(neg));
	neg.framever_count = (u16)nfw;
	neg.msgver_count = (u16)nmsg;
	memcpy((u8 *)buf + ENL_IC_BODY_OFF, &neg, sizeof(neg));
	memcpy((u8 *)buf + ENL_IC_BODY_OFF + sizeof(neg), fw, nfw * sizeof(*fw));
	memcpy((u8 *)buf + ENL_IC_BODY_OFF + sizeof(neg) + nfw * sizeof(*fw),
	       msg, nmsg * sizeof(*msg));
	return (int)len;
}

int enl_ic_parse_negotiate_answer(const void *buf, u32 len,
				  const struct enl_ic_version *fw, unsigned int nfw,
				  const struct enl_ic_version *msg, unsigned int nmsg,
				  struct enl_ic_version *fw_out,
				  struct enl_ic_version *msg_out)
{
	const u8 *p = buf;
	struct enl_icmsg_hdr ic;
	struct enl_ic_negotiate neg;
	struct enl_ic_version v[2];

	if (enl_ic_parse_hdr(buf, len, &ic) < 0)
		return -EPROTO;
	if (ic.msgtype != ENL_IC_MSG_NEGOTIATE ||
	    !(ic.flags & ENL_IC_FLAG_RESPONSE))
		return -EPROTO;
	if (len < ENL_IC_NEGOTIATE_LEN(0, 0))
		return -EPROTO;
	memcpy(&neg, p + ENL_IC_BODY_OFF, sizeof(neg));
	if (neg.framever_count == 0 && neg.msgver_count == 0)
		return -ENOENT;
	if (neg.framever_count != 1 || neg.msgver_count != 1 ||
	    len < ENL_IC_NEGOTIATE_LEN(1, 1))
		return -EPROTO;
	memcpy(v, p + ENL_IC_BODY_OFF + sizeof(neg), sizeof(v));
	if (!ver_in(v[0], fw, nfw) || !ver_in(v[1], msg, nmsg))
		return -EPROTO;
	if (ic.status != ENL_IC_STATUS_OK)
		return -ENOENT;
	*fw_out = v[0];
	*msg_out = v[1];
	return 0;
}

/* First of ours (preference order) among theirs[0..n). */
static bool choose(const struct enl_ic_version *ours, unsigned int nours,
		   const u8 *theirs, unsigned int n, struct enl_ic_version *out)
{
	struct enl_ic_version v;
	unsigned int i, j;

	for (i = 0; i < nours; i++) {
		for (j = 0; j < n; j++) {
			memcpy(&v, theirs + j * sizeof(v), sizeof(v));
			if (ver_eq(v, ours[i])) {
				*out = v;
				return true;
			}
		}
	}
	return false;
}

static void write_answer(u8 *p, bool ok, struct enl_ic_version f,
			 struct enl_ic_version m)
{
	struct enl_icmsg_hdr ic;
	struct enl_ic_negotiate neg;
	struct enl_ic_version v[2] = { f, m };

	memcpy(&neg, p + ENL_IC_BODY_OFF, sizeof(neg));
	neg.framever_count = ok ? 1 : 0;
	neg.msgver_count = ok ? 1 : 0;
	memcpy(p + ENL_IC_BODY_OFF, &neg, sizeof(neg));
	memcpy(p + ENL_IC_BODY_OFF + sizeof(neg), v, sizeof(v));

	memcpy(&ic, p + ENL_IC_HDR_OFF, sizeof(ic));
	if (ok) {
		ic.framever = f;
		ic.msgver = m;
	}
	ic.msgsize = (u16)(sizeof(neg) + sizeof(v));
	ic.status = ok ? ENL_IC_STATUS_OK : ENL_IC_STATUS_FAIL;
	ic.flags = ENL_IC_FLAG_TRANSACTION | ENL_IC_FLAG_RESPONSE;
	memcpy(p + ENL_IC_HDR_OFF, &ic, sizeof(ic));
}

int enl_ic_answer_negotiate(void *buf, u32 len,
			    const struct enl_ic_version *fw, unsigned int nfw,
			    const struct enl_ic_version *msg, unsigned int nmsg,
			    struct enl_ic_version *fw_out,
			    struct enl_ic_version *msg_out, int *answerable)
{
	u8 *p = buf;
	struct enl_icmsg_hdr ic;
	struct enl_ic_negotiate neg;
	struct enl_ic_version f = { 0, 0 }, m = { 0, 0 };
	const u8 *list;
	bool ok;

	*answerable = 0;
	/* The answer needs room for the counts and two versions. */
	if (len < ENL_IC_NEGOTIATE_LEN(1, 1))
		return -EPROTO;
	*answerable = 1;
	memcpy(&ic, p + ENL_IC_HDR_OFF, sizeof(ic));
	memcpy(&neg, p + ENL_IC_BODY_OFF, sizeof(neg));
	if (ic.msgtype != ENL_IC_MSG_NEGOTIATE ||
	    neg.framever_count > ENL_IC_MAX_VERSIONS ||
	    neg.msgver_count > ENL_IC_MAX_VERSIONS ||
	    len < ENL_IC_NEGOTIATE_LEN(neg.framever_count, neg.msgver_count)) {
		write_answer(p, false, f, m);
		return -EPROTO;
	}
	list = p + ENL_IC_BODY_OFF + sizeof(neg);
	ok = choose(fw, nfw, list, neg.framever_count, &f) &&
	     choose(msg, nmsg, list + neg.framever_count * sizeof(f),
		    neg.msgver_count, &m);
	write_answer(p, ok, f, m);
	if (!ok)
		return -ENOENT;
	if (fw_out)
		*fw_out = f;
	if (msg_out)
		*msg_out = m;
	return 0;
}

int enl_ic_answer_heartbeat(void *buf, u32 len)
{
	u8 *p = buf;
	struct enl_icmsg_hdr ic;
	struct enl_ic_heartbeat hb;

	if (len < ENL_IC_BODY_OFF + sizeof(hb))
		return -EPROTO;
	memcpy(&ic, p + ENL_IC_HDR_OFF, sizeof(ic));
	if (ic.msgtype != ENL_IC_MSG_HEARTBEAT)
		return -EPROTO;
	memcpy(&hb, p + ENL_IC_BODY_OFF, sizeof(hb));
	hb.seq += 1;
	memcpy(p + ENL_IC_BODY_OFF, &hb, sizeof(hb));
	ic.flags = ENL_IC_FLAG_TRANSACTION | ENL_IC_FLAG_RESPONSE;
	ic.status = ENL_IC_STATUS_OK;
	memcpy(p + ENL_IC_HDR_OFF, &ic, sizeof(ic));
	return 0;
}

/* ---- shutdown ---------------------------------------------------------------- */

void enl_ic_build_shutdown(struct enl_ic_shutdown *body, u32 flags)
{
	static const char why[] = "enlighten: shutdown requested by the host";

	memset(body, 0, sizeof(*body));
	body->reason_code = 0;
	body->timeout_seconds = 0;
	body->flags = flags;
	memcpy(body->display_message, why, sizeof(why));
}

/* Answer in place: response flags and status, the body as it came. */
static void answer_status(u8 *p, u32 status)
{
	struct enl_icmsg_hdr ic;

	memcpy(&ic, p + ENL_IC_HDR_OFF, sizeof(ic));
	ic.flags = ENL_IC_FLAG_TRANSACTION | ENL_IC_FLAG_RESPONSE;
	ic.status = status;
	memcpy(p + ENL_IC_HDR_OFF, &ic, sizeof(ic));
}

int enl_ic_answer_shutdown(void *buf, u32 len)
{
	u8 *p = buf;
	struct enl_icmsg_hdr ic;
	u32 flags;

	if (len < ENL_IC_BODY_OFF + sizeof(struct enl_ic_shutdown))
		return -EPROTO;
	memcpy(&ic, p + ENL_IC_HDR_OFF, sizeof(ic));
	if (ic.msgtype != ENL_IC_MSG_SHUTDOWN)
		return -EPROTO;
	memcpy(&flags, p + ENL_IC_BODY_OFF +
	       offsetof(struct enl_ic_shutdown, flags), sizeof(flags));
	switch (flags) {
	case ENL_IC_SHUTDOWN_POWEROFF:
	case ENL_IC_SHUTDOWN_POWEROFF_FORCE:
	case ENL_IC_SHUTDOWN_REBOOT:
	case ENL_IC_SHUTDOWN_REBOOT_FORCE:
		answer_status(p, ENL_IC_STATUS_OK);
		return (int)flags;
	default:
		/* hibernation is not ours to offer */
		answer_status(p, ENL_IC_STATUS_FAIL);
		return -EOPNOTSUPP;
	}
}

/* ---- time sync ---------------------------------------------------------------- */

int enl_ic_build_timesync(void *body, u32 body_cap,
			  struct enl_ic_version msgver, u8 flags,
			  u64 hosttime, u64 refcount)
{
	struct enl_ic_timesync_ref r;
	struct enl_ic_timesync t;

	if (msgver.major >= 4) {
		if (body_cap < sizeof(r))
			return -ENOSPC;
		memset(&r, 0, sizeof(r));
		r.parenttime = hosttime;
		r.vmreferencetime = refcount;
		r.flags = flags;
		memcpy(body, &r, sizeof(r));
		return (int)sizeof(r);
	}
	if (body_cap < sizeof(t))
		return -ENOSPC;
	memset(&t, 0, sizeof(t));
	t.parenttime = hosttime;
	t.flags = flags;
	memcpy(body, &t, sizeof(t));
	return (int)sizeof(t);
}

int enl_ic_answer_timesync(void *buf, u32 len, u64 *hosttime, u64 *refcount,
			   u8 *flags)
{
	u8 *p = buf;
	struct enl_icmsg_hdr ic;

	if (len < ENL_IC_BODY_OFF)
		return -EPROTO;
	memcpy(&ic, p + ENL_IC_HDR_OFF, sizeof(ic));
	if (ic.msgtype != ENL_IC_MSG_TIMESYNC)
		return -EPROTO;
	if (ic.msgver.major >= 4) {
		struct enl_ic_timesync_ref t;

		if (len - ENL_IC_BODY_OFF < sizeof(t))
			return -EPROTO;
		memcpy(&t, p + ENL_IC_BODY_OFF, sizeof(t));
		*hosttime = t.parenttime;
		*refcount = t.vmreferencetime;
		*flags = t.flags;
	} else {
		struct enl_ic_timesync t;

		if (len - ENL_IC_BODY_OFF < sizeof(t))
			return -EPROTO;
		memcpy(&t, p + ENL_IC_BODY_OFF, sizeof(t));
		*hosttime = t.parenttime;
		*refcount = 0;
		*flags = t.flags;
	}
	answer_status(p, ENL_IC_STATUS_OK);
	return 0;
}

/* ---- KVP strings ---------------------------------------------------------------- */

int enl_ic_utf8_to_utf16(const char *in, u32 len, u8 *out, u32 cap)
{
	const u8 *s = (const u8 *)in;
	u32 i = 0, o = 0;

	while (i < len) {
		u32 c = s[i], need, min;

		if (c < 0x80) {
			need = 0;
			min = 0;
		} else if ((c & 0xe0) == 0xc0) {
			need = 1;
			min = 0x80;
			c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2;
			min = 0x800;
			c &= 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			need = 3;
			min = 0x10000;
			c &= 0x07;
		} else {
			return -EILSEQ;
		}
		if (len - i - 1 < need)
			return -EILSEQ;
		for (i++; need; need--, i++) {
			if ((s[i] & 0xc0) != 0x80)
				return -EILSEQ;
			c = (c << 6) | (s[i] & 0x3f);
		}
		/* a NUL would end the string early on the other side */
		if (c == 0 || c < min || c > 0x10ffff ||
		    (c >= 0xd800 && c <= 0xdfff))
			return -EILSEQ;
		if (c >= 0x10000) {
			u16 hi = (u16)(0xd800 + ((c - 0x10000) >> 10));
			u16 lo = (u16)(0xdc00 + ((c - 0x10000) & 0x3ff));

			if (cap - o < 4 + 2 || o > cap)
				return -ENOSPC;
			out[o++] = (u8)hi;
			out[o++] = (u8)(hi >> 8);
			out[o++] = (u8)lo;
			out[o++] = (u8)(lo >> 8);
		} else {
			if (cap - o < 2 + 2 || o > cap)
				return -ENOSPC;
			out[o++] = (u8)c;
			out[o++] = (u8)(c >> 8);
		}
	}
	if (cap < 2 || cap - o < 2)
		return -ENOSPC;
	out[o++] = 0;
	out[o++] = 0;
	return (int)o;
}

int enl_ic_utf16_to_utf8(const u8 *in, u32 in_bytes, char *out, u32 cap)
{
	u32 i, o = 0;

	if (in_bytes & 1)
		return -EILSEQ;
	for (i = 0; i < in_bytes; i += 2) {
		u32 c = in[i] | (u32)in[i + 1] << 8;
		u32 n;

		if (c == 0)
			break;
		if (c >= 0xdc00 && c <= 0xdfff)
			return -EILSEQ;		/* low half without a high one */
		if (c >= 0xd800 && c <= 0xdbff) {
			u32 lo;

			if (in_bytes - i < 4)
				return -EILSEQ;
			lo = in[i + 2] | (u32)in[i + 3] << 8;
			if (lo < 0xdc00 || lo > 0xdfff)
				return -EILSEQ;
			c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
			i += 2;
		}
		n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
		if (cap - o < n + 1)
			return -ENOSPC;
		switch (n) {
		case 1:
			out[o++] = (char)c;
			break;
		case 2:
			out[o++] = (char)(0xc0 | c >> 6);
			out[o++] = (char)(0x80 | (c & 0x3f));
			break;
		case 3:
			out[o++] = (char)(0xe0 | c >> 12);
			out[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (c & 0x3f));
			break;
		default:
			out[o++] = (char)(0xf0 | c >> 18);
			out[o++] = (char)(0x80 | ((c >> 12) & 0x3f));
			out[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
			out[o++] = (char)(0x80 | (c & 0x3f));
		}
	}
	if (cap - o < 1)
		return -ENOSPC;
	out[o] = 0;
	return (int)o;
}

/* ---- KVP messages ----------------------------------------------------------------- */

int enl_ic_build_kvp(struct enl_ic_kvp_msg *m, u8 op, u8 pool, u32 index,
		     const char *key, const char *value)
{
	struct enl_ic_kvp_value *d = op == ENL_IC_KVP_ENUMERATE ?
				     &m->u.en.data : &m->u.data;
	int n;

	memset(m, 0, sizeof(*m));
	if (op > ENL_IC_KVP_ENUMERATE || pool >= ENL_IC_KVP_POOL_COUNT)
		return -EINVAL;
	m->op = op;
	m->pool = pool;
	if (op == ENL_IC_KVP_ENUMERATE) {
		m->u.en.index = index;
		return 0;
	}
	if (!key || !key[0])
		return -EINVAL;
	if (op == ENL_IC_KVP_DELETE) {
		n = enl_ic_utf8_to_utf16(key, (u32)strlen(key), m->u.del.key,
					 sizeof(m->u.del.key));
		if (n < 0)
			return n;
		m->u.del.key_size = (u32)n;
		return 0;
	}
	n = enl_ic_utf8_to_utf16(key, (u32)strlen(key), d->key, sizeof(d->key));
	if (n < 0)
		return n;
	d->key_size = (u32)n;
	d->value_type = ENL_IC_KVP_REG_SZ;
	if (op == ENL_IC_KVP_SET) {
		if (!value)
			return -EINVAL;
		n = enl_ic_utf8_to_utf16(value, (u32)strlen(value), d->value,
					 sizeof(d->value));
		if (n < 0)
			return n;
		d->value_size = (u32)n;
	}
	return 0;
}

static int u64_to_dec(u64 v, char *out, u32 cap)
{
	char tmp[21];
	u32 n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (cap < n + 1)
		return -ENOSPC;
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = 0;
	return (int)n;
}

int enl_ic_parse_kvp_answer(const void *body, u32 body_len, u8 op,
			    struct enl_ic_kvp_result *r)
{
	const u8 *p = body;
	u32 off = op == ENL_IC_KVP_ENUMERATE ?
		  (u32)offsetof(struct enl_ic_kvp_msg, u.en.data) :
		  (u32)offsetof(struct enl_ic_kvp_msg, u.data);
	const u8 *d = p + off;
	u32 type, key_size, value_size;

	r->key[0] = 0;
	r->value[0] = 0;
	if ((op != ENL_IC_KVP_GET && op != ENL_IC_KVP_ENUMERATE) ||
	    body_len < off || body_len - off < sizeof(struct enl_ic_kvp_value))
		return -EPROTO;
	/* Fields one by one (the struct is too big for a kernel stack);
	 * each is read once.
	 */
	memcpy(&type, d + offsetof(struct enl_ic_kvp_value, value_type), 4);
	memcpy(&key_size, d + offsetof(struct enl_ic_kvp_value, key_size), 4);
	memcpy(&value_size, d + offsetof(struct enl_ic_kvp_value, value_size), 4);
	d += offsetof(struct enl_ic_kvp_value, key);
	if (key_size > ENL_IC_KVP_KEY_BYTES || value_size > ENL_IC_KVP_VALUE_BYTES)
		return -EPROTO;
	if (enl_ic_utf16_to_utf8(d, key_size & ~1u, r->key, sizeof(r->key)) < 0)
		return -EPROTO;
	d += ENL_IC_KVP_KEY_BYTES;
	switch (type) {
	case ENL_IC_KVP_REG_SZ:
		if (enl_ic_utf16_to_utf8(d, value_size & ~1u, r->value,
					 sizeof(r->value)) < 0)
			return -EPROTO;
		break;
	case ENL_IC_KVP_REG_U32: {
		u32 v;

		memcpy(&v, d, sizeof(v));
		u64_to_dec(v, r->value, sizeof(r->value));
		break;
	}
	case ENL_IC_KVP_REG_U64: {
		u64 v;

		memcpy(&v, d, sizeof(v));
		u64_to_dec(v, r->value, sizeof(r->value));
		break;
	}
	default:
		return -EPROTO;
	}
	return 0;
}

/* ---- KVP: the guest kernel between the host and hv_kvp_daemon ------------------ */

/* UTF-16 field (size bytes as the host says, at most cap) -> UTF-8 string
 * in out (outcap); the daemon's size (NUL included), or -EPROTO.
 */
static int kvp_str_to_daemon(const u8 *in, u32 size, u32 cap, u8 *out,
			     u32 outcap)
{
	int n;

	if (size > cap)
		return -EPROTO;
	n = enl_ic_utf16_to_utf8(in, size & ~1u, (char *)out, outcap);
	return n < 0 ? -EPROTO : n + 1;
}

int enl_ic_kvp_to_daemon(const void *body, u32 body_len,
			 struct enl_kvp_daemon_msg *out)
{
	const u8 *p = body;
	const u32 data_off = (u32)offsetof(struct enl_ic_kvp_msg, u.data);
	const u32 en_off = (u32)offsetof(struct enl_ic_kvp_msg, u.en.data);
	const u32 vsz = (u32)sizeof(struct enl_ic_kvp_value);
	const u8 *d;
	u32 type, key_size, value_size, index;
	u8 op, pool;
	int n;

	memset(out, 0, sizeof(*out));
	if (body_len < 4)
		return -EPROTO;
	op = p[0];
	pool = p[1];
	if (op > ENL_IC_KVP_ENUMERATE)
		return -EOPNOTSUPP;
	if (pool >= ENL_IC_KVP_POOL_COUNT)
		return -EPROTO;
	out->h.hdr.op = op;
	out->h.hdr.pool = pool;
	switch (op) {
	case ENL_IC_KVP_ENUMERATE:
		/* the answer goes into the data after the index */
		if (body_len < en_off || body_len - en_off < vsz)
			return -EPROTO;
		memcpy(&index, p + data_off, 4);
		out->u.en.index = index;
		return 0;
	case ENL_IC_KVP_DELETE:
		if (body_len < data_off + 4 + ENL_IC_KVP_KEY_BYTES)
			return -EPROTO;
		memcpy(&key_size, p + data_off, 4);
		n = kvp_str_to_daemon(p + data_off + 4, key_size,
				      ENL_IC_KVP_KEY_BYTES, out->u.del.key,
				      sizeof(out->u.del.key));
		if (n < 0)
			return n;
		out->u.del.key_size = (u32)n;
		return 0;
	}
	/* GET, SET */
	if (body_len < data_off || body_len - data_off < vsz)
		return -EPROTO;
	d = p + data_off;
	memcpy(&type, d + offsetof(struct enl_ic_kvp_value, value_type), 4);
	memcpy(&key_size, d + offsetof(struct enl_ic_kvp_value, key_size), 4);
	memcpy(&value_size, d + offsetof(struct enl_ic_kvp_value, value_size), 4);
	n = kvp_str_to_daemon(d + offsetof(struct enl_ic_kvp_value, key),
			      key_size, ENL_IC_KVP_KEY_BYTES, out->u.data.key,
			      sizeof(out->u.data.key));
	if (n < 0)
		return n;
	out->u.data.key_size = (u32)n;
	if (op == ENL_IC_KVP_GET) {
		/* hv_kvp_daemon copies value_size bytes of the stored value
		 * into its answer: ask for the whole field (the stock
		 * driver leaves it 0, and its GETs come back empty)
		 */
		out->u.data.value_size = ENL_IC_KVP_VALUE_BYTES;
		return 0;
	}
	d += offsetof(struct enl_ic_kvp_value, value);
	out->u.data.value_type = type;
	switch (type) {
	case ENL_IC_KVP_REG_SZ:
		n = kvp_str_to_daemon(d, value_size, ENL_IC_KVP_VALUE_BYTES,
				      out->u.data.value, sizeof(out->u.data.value));
		break;
	case ENL_IC_KVP_REG_U32: {
		u32 v;

		memcpy(&v, d, 4);
		n = u64_to_dec(v, (char *)out->u.data.value,
			       sizeof(out->u.data.value));
		n = n < 0 ? -EPROTO : n + 1;
		break;
	}
	case ENL_IC_KVP_REG_U64: {
		u64 v;

		memcpy(&v, d, 8);
		n = u64_to_dec(v, (char *)out->u.data.value,
			       sizeof(out->u.data.value));
		n = n < 0 ? -EPROTO : n + 1;
		break;
	}
	default:
		return -EPROTO;
	}
	if (n < 0)
		return n;
	out->u.data.value_size = (u32)n;
	return 0;
}

/*
 * A daemon's UTF-8 string (NUL-terminated within cap bytes) into a UTF-16
 * field of fcap bytes; the field's size, or -EPROTO.  The daemon does not
 * fill in the sizes of what it answers (the stock kernel takes the string
 * lengths), so size is not used.
 */
static int kvp_str_from_daemon(const u8 *in, u32 size, u32 cap, u8 *field,
			       u32 fcap)
{
	u32 len = 0;
	int n;

	while (len < cap && in[len])
		len++;
	if (len == cap)
		return -EPROTO;		/* no NUL */
	n = enl_ic_utf8_to_utf16((const char *)in, len, field, fcap);
	return n < 0 ? -EPROTO : n;
}

u32 enl_ic_kvp_from_daemon(void *body, u32 body_len,
			   const struct enl_kvp_daemon_msg *in)
{
	u8 *p = body;
	const struct enl_ic_kvp_value *src;
	u32 off, ksz, vsz, type = ENL_IC_KVP_REG_SZ;
	u8 *d, *key, *val;
	int kn = 0, vn;

	if (in->h.error)
		return in->h.error;
	if (body_len < 4)
		return ENL_IC_STATUS_FAIL;
	if (p[0] == ENL_IC_KVP_GET) {
		off = (u32)offsetof(struct enl_ic_kvp_msg, u.data);
		src = &in->u.data;
	} else if (p[0] == ENL_IC_KVP_ENUMERATE) {
		off = (u32)offsetof(struct enl_ic_kvp_msg, u.en.data);
		src = &in->u.en.data;
	} else {
		return ENL_IC_STATUS_OK;	/* SET, DELETE: the status is all */
	}
	if (body_len < off || body_len - off < sizeof(struct enl_ic_kvp_value))
		return ENL_IC_STATUS_FAIL;
	d = p + off;
	key = d + offsetof(struct enl_ic_kvp_value, key);
	val = d + offsetof(struct enl_ic_kvp_value, value);
	if (p[0] == ENL_IC_KVP_ENUMERATE) {
		kn = kvp_str_from_daemon(src->key, src->key_size,
					 ENL_IC_KVP_KEY_BYTES, key,
					 ENL_IC_KVP_KEY_BYTES);
		if (kn < 0)
			return ENL_IC_STATUS_FAIL;
	}
	vn = kvp_str_from_daemon(src->value, src->value_size,
				 ENL_IC_KVP_VALUE_BYTES, val,
				 ENL_IC_KVP_VALUE_BYTES);
	if (vn < 0)
		return ENL_IC_STATUS_FAIL;
	/* sizes: the UTF-16 bytes written, NUL included */
	if (p[0] == ENL_IC_KVP_ENUMERATE) {
		ksz = (u32)kn;
		memcpy(d + offsetof(struct enl_ic_kvp_value, key_size), &ksz, 4);
	}
	vsz = (u32)vn;
	memcpy(d + offsetof(struct enl_ic_kvp_value, value_size), &vsz, 4);
	memcpy(d + offsetof(struct enl_ic_kvp_value, value_type), &type, 4);
	return ENL_IC_STATUS_OK;
}

/* ---- file copy --------------------------------------------------------------------- */

int enl_ic_build_fcopy_start(struct enl_ic_fcopy_start *m, const char *file_name,
			     const char *path_name, u32 flags, u64 size)
{
	int n;

	memset(m, 0, sizeof(*m));
	if (!file_name[0] || !path_name[0])
		return -EINVAL;
	m->hdr.op = ENL_IC_FCOPY_START;
	n = enl_ic_utf8_to_utf16(file_name, (u32)strlen(file_name), m->file_name,
				 sizeof(m->file_name));
	if (n < 0)
		return n;
	n = enl_ic_utf8_to_utf16(path_name, (u32)strlen(path_name), m->path_name,
				 sizeof(m->path_name));
	if (n < 0)
		return n;
	m->copy_flags = flags;
	m->file_size = size;
	return 0;
}

int enl_ic_fcopy_to_daemon(const void *body, u32 body_len, void *out, u32 cap)
{
	const u8 *p = body;
	struct enl_ic_fcopy_hdr h;
	u32 size;

	if (body_len < sizeof(h))
		return -EPROTO;
	memcpy(&h, p, sizeof(h));
	switch (h.op) {
	case ENL_IC_FCOPY_START: {
		struct enl_ic_fcopy_start *o = out;
		u32 flags;
		u64 fsize;

		if (body_len < sizeof(*o))
			return -EPROTO;
		if (cap < sizeof(*o))
			return -ENOSPC;
		memset(o, 0, sizeof(*o));
		o->hdr = h;
		/* each name must fit the daemon's field with its NUL */
		if (enl_ic_utf16_to_utf8(p + offsetof(struct enl_ic_fcopy_start, file_name),
					 ENL_IC_FCOPY_PATH_BYTES, (char *)o->file_name,
					 sizeof(o->file_name)) <= 0 ||
		    enl_ic_utf16_to_utf8(p + offsetof(struct enl_ic_fcopy_start, path_name),
					 ENL_IC_FCOPY_PATH_BYTES, (char *)o->path_name,
					 sizeof(o->path_name)) <= 0)
			return -EPROTO;
		memcpy(&flags, p + offsetof(struct enl_ic_fcopy_start, copy_flags), 4);
		memcpy(&fsize, p + offsetof(struct enl_ic_fcopy_start, file_size), 8);
		o->copy_flags = flags;
		o->file_size = fsize;
		return (int)sizeof(*o);
	}
	case ENL_IC_FCOPY_WRITE:
		if (body_len < sizeof(struct enl_ic_fcopy_write))
			return -EPROTO;
		if (cap < sizeof(struct enl_ic_fcopy_write))
			return -ENOSPC;
		memcpy(&size, p + offsetof(struct enl_ic_fcopy_write, size), 4);
		if (size > ENL_IC_FCOPY_DATA)
			return -EPROTO;
		memcpy(out, p, sizeof(struct enl_ic_fcopy_write));
		return (int)sizeof(struct enl_ic_fcopy_write);
	case ENL_IC_FCOPY_COMPLETE:
	case ENL_IC_FCOPY_CANCEL:
		if (cap < sizeof(h))
			return -ENOSPC;
		memcpy(out, &h, sizeof(h));
		return (int)sizeof(h);
	default:
		return -EPROTO;
	}
}

/* ---- VSS ------------------------------------------------------------------------ */

const char *enl_ic_vss_op_name(u8 op)
{
	static const char *const names[ENL_IC_VSS_OP_COUNT] = {
		"CREATE", "DELETE", "HOT_BACKUP", "GET_DM_INFO",
		"BU_COMPLETE", "FREEZE", "THAW", "AUTO_RECOVER",
	};

	return op < ENL_IC_VSS_OP_COUNT ? names[op] : "unknown op";
}

int enl_ic_build_vss(struct enl_ic_vss_msg *m, u8 op)
{
	memset(m, 0, sizeof(*m));
	if (op >= ENL_IC_VSS_OP_COUNT)
		return -EINVAL;
	m->h.hdr.op = op;
	return 0;
}

int enl_ic_vss_parse_request(void *buf, u32 len, u8 *op)
{
	u8 *p = buf;
	struct enl_icmsg_hdr ic;
	u32 flags = 0;

	if (len < ENL_IC_BODY_OFF + sizeof(struct enl_ic_vss_msg))
		return -EPROTO;
	memcpy(&ic, p + ENL_IC_HDR_OFF, sizeof(ic));
	if (ic.msgtype != ENL_IC_MSG_VSS)
		return -EPROTO;
	*op = p[ENL_IC_BODY_OFF + offsetof(struct enl_ic_vss_msg, h.hdr.op)];
	switch (*op) {
	case ENL_IC_VSS_FREEZE:
	case ENL_IC_VSS_THAW:
	case ENL_IC_VSS_HOT_BACKUP:
		return ENL_IC_VSS_TO_DAEMON;
	case ENL_IC_VSS_GET_DM_INFO:
		/* no dynamic disks here: the flags say nothing */
		memcpy(p + ENL_IC_BODY_OFF + offsetof(struct enl_ic_vss_msg, flags),
		       &flags, sizeof(flags));
		break;
	default:
		/* CREATE, DELETE, BU_COMPLETE, AUTO_RECOVER and unknown ones:
		 * the stock driver says OK without doing anything
		 */
		break;
	}
	answer_status(p, ENL_IC_STATUS_OK);
	return ENL_IC_VSS_ANSWER;
}

void enl_ic_vss_answer(void *buf, u32 len, u32 status, bool daemon_answered)
{
	u8 *p = buf;
	u32 flags = ENL_IC_VSS_HBU_NO_AUTO_RECOVERY;

	if (len < ENL_IC_BODY_OFF + sizeof(struct enl_ic_vss_msg))
		return;
	if (daemon_answered &&
	    p[ENL_IC_BODY_OFF + offsetof(struct enl_ic_vss_msg, h.hdr.op)] ==
	    ENL_IC_VSS_HOT_BACKUP)
		memcpy(p + ENL_IC_BODY_OFF + offsetof(struct enl_ic_vss_msg, flags),
		       &flags, sizeof(flags));
	answer_status(p, status);
}

int enl_ic_vss_from_daemon(const void *msg, u32 len, u32 *status)
{
	struct enl_ic_vss_msg m;

	if (len != sizeof(m))
		return -EINVAL;
	memcpy(&m, msg, sizeof(m));
	*status = m.h.error;
	return 0;
}

int enl_ic_vss_parse_answer(const struct enl_icmsg_hdr *hdr, const void *body,
			    u32 body_len, u8 op, u32 *status, u32 *flags)
{
	struct enl_ic_vss_msg m;

	if (hdr->msgtype != ENL_IC_MSG_VSS ||
	    !(hdr->flags & ENL_IC_FLAG_RESPONSE) ||
	    body_len < sizeof(m))
		return -EPROTO;
	memcpy(&m, body, sizeof(m));
	/* answered in place: our operation must still be there */
	if (m.h.hdr.op != op)
		return -EPROTO;
	*status = hdr->status;
	*flags = m.flags;
	return 0;
}
