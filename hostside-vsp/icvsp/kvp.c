// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVP IC: the host's side of the guest's key-value pools.  The guest
 * kernel hands each request to its hv_kvp_daemon and answers one request
 * at a time (it does not even answer the negotiation before that daemon
 * registered), so one operator command runs at a time, as a series of
 * requests: get / set / delete are one, list is an ENUMERATE per index
 * until the guest says "no more" (S_CONT), pool after pool.
 *
 * Command words: "kvp list POOL|all", "kvp get POOL KEY",
 * "kvp set POOL KEY VALUE", "kvp delete POOL KEY".  Each guest answer
 * must come within KVP_REQ_TIMEOUT_MS, else the command fails with
 * ETIMEDOUT; a stale answer (matched by transaction id) is dropped.
 * Status: kvp_state = ready | busy | timeout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "icvsp.h"

#define KVP_REQ_TIMEOUT_MS	5000
#define KVP_RETRY_MS		5	/* the ring was full: try again */
#define KVP_LIST_MAX		256	/* per pool: a guest cannot keep us busy */
#define KVP_TEXT_MAX		(VSP_MSG_MAX - 64)

static const struct enl_ic_version kvp_versions[] = ENL_IC_KVP_VERSIONS;

static const char *const pool_names[ENL_IC_KVP_POOL_COUNT] = {
	"external", "guest", "auto", "auto_external", "auto_internal",
};

struct kvp_state {
	u32 req_id;		/* operator command running; 0: none */
	u8 op;
	u8 pool, last_pool;	/* list: the pool now, and the last one */
	u32 index;
	u64 trans_id;
	unsigned int items;
	char key[ENL_IC_KVP_KEY_UTF8];
	char *text;		/* list's output so far */
	size_t text_len;
	struct enl_ic_kvp_msg msg;	/* the request in flight */
	bool retry;		/* msg not sent yet: the ring was full */
	u64 deadline_ms;	/* of the request in flight */
};

static void kvp_done(struct ic_chan *ic, u32 status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void kvp_done(struct ic_chan *ic, u32 status, const char *fmt, ...)
{
	struct kvp_state *k = ic_priv(ic);
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (status || !k->text)
		vsp_command_reply(ic->v, k->req_id, status, "%s", msg);
	else
		vsp_command_reply(ic->v, k->req_id, 0, "%s%s", k->text, msg);
	free(k->text);
	k->text = NULL;
	k->text_len = 0;
	k->req_id = 0;
	ic_timer(ic, 0);
	ic_status(ic, "state", "ready");
}

__attribute__((format(printf, 2, 3)))
static void kvp_out(struct kvp_state *k, const char *fmt, ...)
{
	va_list ap;
	char *grown;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || k->text_len + (size_t)n >= KVP_TEXT_MAX)
		return;		/* the reply has a size limit: cut */
	grown = realloc(k->text, k->text_len + (size_t)n + 1);
	if (!grown)
		return;
	k->text = grown;
	va_start(ap, fmt);
	vsnprintf(k->text + k->text_len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	k->text_len += (size_t)n;
}

/* Put k->msg into the ring; a full ring is retried from the timer. */
static int kvp_xmit(struct ic_chan *ic)
{
	struct kvp_state *k = ic_priv(ic);
	int err = ic_send_request(ic, &k->msg, sizeof(k->msg), &k->trans_id);

	k->retry = err == -EAGAIN;
	if (err && !k->retry)
		return err;
	ic_timer(ic, k->retry ? KVP_RETRY_MS : KVP_REQ_TIMEOUT_MS);
	return 0;
}

/* Send the request the command is at; 0 or -errno. */
static int kvp_send(struct ic_chan *ic, const char *key, const char *value)
{
	struct kvp_state *k = ic_priv(ic);
	int err = enl_ic_build_kvp(&k->msg, k->op, k->pool, k->index, key, value);

	if (err)
		return err;
	k->deadline_ms = vsp_now_ms() + KVP_REQ_TIMEOUT_MS;
	return kvp_xmit(ic);
}

static int parse_pool(const char *s, bool all_ok, u8 *pool, u8 *last)
{
	char *end;
	long n;

	if (all_ok && !strcmp(s, "all")) {
		*pool = 0;
		*last = ENL_IC_KVP_POOL_COUNT - 1;
		return 0;
	}
	n = strtol(s, &end, 10);
	if (*end || end == s || n < 0 || n >= ENL_IC_KVP_POOL_COUNT)
		return -EINVAL;
	*pool = *last = (u8)n;
	return 0;
}

static void kvp_command(struct ic_chan *ic, u32 req_id, int nw, char **w)
{
	struct kvp_state *k = ic_priv(ic);
	static const struct {
		const char *word;
		u8 op;
		int nw;
	} ops[] = {
		{ "list", ENL_IC_KVP_ENUMERATE, 3 }, { "get", ENL_IC_KVP_GET, 4 },
		{ "set", ENL_IC_KVP_SET, 5 }, { "delete", ENL_IC_KVP_DELETE, 4 },
	};
	int i, op = -1, err;

	for (i = 0; i < (int)(sizeof(ops) / sizeof(ops[0])); i++)
		if (nw >= 2 && !strcmp(w[1], ops[i].word) && nw == ops[i].nw)
			op = ops[i].op;
	if (op < 0) {
		vsp_command_reply(ic->v, req_id, EINVAL,
				  "kvp takes list POOL|all, get POOL KEY, set POOL KEY VALUE, delete POOL KEY");
		return;
	}
	if (k->req_id) {
		vsp_command_reply(ic->v, req_id, EBUSY,
				  "a kvp command is running already");
		return;
	}
	if (parse_pool(w[2], op == ENL_IC_KVP_ENUMERATE, &k->pool,
		       &k->last_pool)) {
		vsp_command_reply(ic->v, req_id, EINVAL,
				  "pool \"%s\": 0 to %u%s", w[2],
				  ENL_IC_KVP_POOL_COUNT - 1,
				  op == ENL_IC_KVP_ENUMERATE ? " or all" : "");
		return;
	}
	k->op = (u8)op;
	k->index = 0;
	k->items = 0;
	snprintf(k->key, sizeof(k->key), "%s", nw > 3 ? w[3] : "");
	err = kvp_send(ic, nw > 3 ? w[3] : NULL, nw > 4 ? w[4] : NULL);
	if (err) {
		vsp_command_reply(ic->v, req_id, (u32)-err,
				  err == -EILSEQ ? "key or value is not valid UTF-8 (or holds a NUL)" :
				  err == -ENOSPC ? "key (255 UTF-16 units) or value (1023) too long" :
				  "request not sent: %s", strerror(-err));
		return;
	}
	k->req_id = req_id;
	ic_status(ic, "state", "busy");
}

static void kvp_response(struct ic_chan *ic, const struct enl_icmsg_hdr *h,
			 u64 trans_id, const u8 *body, u32 body_len)
{
	struct kvp_state *k = ic_priv(ic);
	struct enl_ic_kvp_result *r;
	int err;

	if (!k->req_id || k->retry || trans_id != k->trans_id) {
		vsp_dbg("kvp: stale answer dropped");
		return;
	}
	switch (k->op) {
	case ENL_IC_KVP_SET:
	case ENL_IC_KVP_DELETE:
		if (h->status == ENL_IC_STATUS_OK)
			kvp_done(ic, 0, "%s %s in pool %u\n",
				 k->op == ENL_IC_KVP_SET ? "set" : "deleted",
				 k->key, k->pool);
		else
			kvp_done(ic, h->status == ENL_IC_STATUS_NOT_FOUND ||
				 k->op == ENL_IC_KVP_DELETE ? ENOENT : EIO,
				 "the guest refused it (status %#x)", h->status);
		return;
	}
	if (h->status != ENL_IC_STATUS_OK) {
		if (k->op == ENL_IC_KVP_GET) {
			kvp_done(ic, ENOENT, "no key \"%s\" in pool %u (status %#x)",
				 k->key, k->pool, h->status);
			return;
		}
		/* S_CONT or a failure: this pool is done */
		if (!k->items)
			kvp_out(k, "pool %u (%s): empty\n", k->pool,
				pool_names[k->pool]);
		goto next_pool;
	}
	r = malloc(sizeof(*r));
	err = r ? enl_ic_parse_kvp_answer(body, body_len, k->op, r) : -ENOMEM;
	if (err) {
		free(r);
		kvp_done(ic, EPROTO, "malformed answer from the guest");
		return;
	}
	if (k->op == ENL_IC_KVP_GET) {
		kvp_done(ic, 0, "%s\n", r->value);
		free(r);
		return;
	}
	kvp_out(k, "pool %u (%s): %s = %s\n", k->pool, pool_names[k->pool],
		r->key, r->value);
	free(r);
	k->items++;
	if (++k->index < KVP_LIST_MAX) {
		err = kvp_send(ic, NULL, NULL);
		if (err)
			kvp_done(ic, (u32)-err, "request not sent");
		return;
	}
next_pool:
	if (k->pool >= k->last_pool) {
		kvp_done(ic, 0, "%s", "");
		return;
	}
	k->pool++;
	k->index = 0;
	k->items = 0;
	err = kvp_send(ic, NULL, NULL);
	if (err)
		kvp_done(ic, (u32)-err, "request not sent");
}

static void kvp_timer(struct ic_chan *ic)
{
	struct kvp_state *k = ic_priv(ic);

	u64 now = vsp_now_ms();
	int err;

	if (!k->req_id)
		return;
	if (k->retry && now < k->deadline_ms) {
		err = kvp_xmit(ic);
		if (err)
			kvp_done(ic, (u32)-err, "request not sent: %s", strerror(-err));
		return;
	}
	if (!k->retry && now < k->deadline_ms) {
		ic_timer(ic, (unsigned int)(k->deadline_ms - now));
		return;
	}
	ic_status(ic, "state", "timeout");
	kvp_done(ic, ETIMEDOUT,
		 "the guest did not answer within %u ms (is its hv_kvp_daemon running?)",
		 KVP_REQ_TIMEOUT_MS);
}

static void kvp_ready(struct ic_chan *ic)
{
	ic_status(ic, "state", "ready");
}

static void kvp_close(struct ic_chan *ic)
{
	struct kvp_state *k = ic_priv(ic);

	if (k->req_id)
		kvp_done(ic, EPIPE, "the guest closed the KVP channel before it answered");
}

const struct ic_service ic_kvp = {
	.name = "kvp",
	.if_type = ENL_GUID_KVP,
	/* 656e6c00-6b76-4000-8000-000000000001 ("kv") */
	.default_instance = ENL_GUID(0x656e6c00, 0x6b76, 0x4000, 0x80, 0x00,
				     0x00, 0x00, 0x00, 0x00, 0x00, 0x01),
	.msgtype = ENL_IC_MSG_KVP,
	.versions = kvp_versions,
	.nversions = sizeof(kvp_versions) / sizeof(kvp_versions[0]),
	.priv_size = sizeof(struct kvp_state),
	.on_ready = kvp_ready,
	.on_response = kvp_response,
	.on_timer = kvp_timer,
	.on_close = kvp_close,
	.command = "kvp",
	.on_command = kvp_command,
};
