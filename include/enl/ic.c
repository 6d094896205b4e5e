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
