// SPDX-License-Identifier: GPL-2.0-only
/*
 * enl-icvsp framework: the parts every integration service shares.  On
 * each open: NEGOTIATE (framework 3.0/1.0 and the service's versions),
 * signalling the guest again shortly after the open because a guest may
 * miss an interrupt that arrives before it finished opening; then the
 * service takes over.  Responses are routed to the service; anything else
 * the guest sends is logged and dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "icvsp.h"
#include "hostside-vsp/common/vsp_common.h"

static const struct enl_ic_version ic_fw_versions[] = ENL_IC_FW_VERSIONS;
#define IC_NR_FW (sizeof(ic_fw_versions) / sizeof(ic_fw_versions[0]))

/* Largest IC packet we accept from the guest (KVP's are ~2.6 KiB). */
#define IC_PKT_MAX 8192

void ic_status(struct ic_chan *ic, const char *key, const char *fmt, ...)
{
	char k[VSP_KEY_LEN], val[VSP_VALUE_LEN];
	va_list ap;

	snprintf(k, sizeof(k), "%s_%s", ic->svc->name, key);
	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	vsp_status_set(ic->v, vsp_chan_relid(ic->ch), k, "%s", val);
}

void ic_timer(struct ic_chan *ic, unsigned int ms)
{
	vsp_chan_timer(ic->ch, ms);
}

static int send_ic(struct ic_chan *ic, const void *pkt, u32 len, u64 *tid)
{
	u64 id = ic->next_trans_id++;
	int err;

	err = vsp_chan_send(ic->ch, VMBUS_PKT_INBAND, 0, id, pkt, len);
	if (!err && tid)
		*tid = id;
	return err;
}

int ic_send_request(struct ic_chan *ic, const void *body, u16 len,
		    u64 *trans_id)
{
	u8 pkt[IC_PKT_MAX];
	int off;

	off = enl_ic_build_hdr(pkt, sizeof(pkt), ic->svc->msgtype, ic->fw,
			       ic->msgver, len, (u8)ic->next_trans_id,
			       ENL_IC_FLAG_TRANSACTION | ENL_IC_FLAG_REQUEST);
	if (off < 0)
		return off;
	memcpy(pkt + off, body, len);
	return send_ic(ic, pkt, (u32)off + len, trans_id);
}

static void send_negotiate(struct ic_chan *ic)
{
	u8 pkt[256];
	int len, err;

	len = enl_ic_build_negotiate(pkt, sizeof(pkt), (u8)ic->next_trans_id,
				     ic_fw_versions, IC_NR_FW,
				     ic->svc->versions, ic->svc->nversions);
	if (len < 0) {
		vsp_err("%s: cannot build NEGOTIATE: %s", ic->svc->name,
			strerror(-len));
		return;
	}
	err = send_ic(ic, pkt, (u32)len, &ic->negotiate_trans_id);
	if (err)
		vsp_info("%s: NEGOTIATE not sent (%s), will retry",
			 ic->svc->name, strerror(-err));
}

static int on_open(struct vsp_chan *ch)
{
	struct ic_chan *ic = vsp_chan_priv(ch);

	if (ic->refuse_opens) {
		if (ic->refuse_opens > 0)
			ic->refuse_opens--;
		/* a test option: loud, also under -q */
		vsp_err("%s: REFUSING open of channel %u (--refuse-open; %s)",
			 ic->svc->name, vsp_chan_relid(ch),
			 ic->refuse_opens < 0 ? "every open" :
			 ic->refuse_opens ? "more to refuse" :
			 "the next open will be served");
		ic_status(ic, "state", "refused");
		return -ECONNREFUSED;
	}
	vsp_info("%s: channel %u open", ic->svc->name, vsp_chan_relid(ch));
	ic->state = IC_NEGOTIATING;
	ic->negotiate_ticks = 0;
	ic->negotiate_trans_id = 0;
	if (ic->priv)
		memset(ic->priv, 0, ic->svc->priv_size);
	ic_status(ic, "state", "negotiating");
	send_negotiate(ic);
	vsp_chan_timer(ch, IC_FIRST_SIGNAL_MS);
	return 0;
}

static void on_close(struct vsp_chan *ch)
{
	struct ic_chan *ic = vsp_chan_priv(ch);

	vsp_info("%s: channel %u closed", ic->svc->name, vsp_chan_relid(ch));
	if (ic->state == IC_READY && ic->svc->on_close)
		ic->svc->on_close(ic);
	ic->state = IC_CLOSED;
	ic_status(ic, "state", vsp_chan_is_rescinded(ch) ? "rescinded" : "closed");
}

static void on_rescind(struct vsp_chan *ch)
{
	struct ic_chan *ic = vsp_chan_priv(ch);

	if (ic->refuse_opens < 0) {
		/* --refuse-open without a count: until the operator
		 * withdraws the offer; its reoffer is then served. */
		ic->refuse_opens = 0;
		vsp_err("%s: channel %u rescinded: --refuse-open refusal lifted, the next open will be served",
			 ic->svc->name, vsp_chan_relid(ch));
	}
	ic_status(ic, "state", "rescinded");
}

static void on_timer(struct vsp_chan *ch)
{
	struct ic_chan *ic = vsp_chan_priv(ch);

	if (ic->state == IC_READY) {
		if (ic->svc->on_timer)
			ic->svc->on_timer(ic);
		return;
	}
	if (ic->state != IC_NEGOTIATING)
		return;
	/* No answer yet: poke the guest; now and then send it again. */
	if (++ic->negotiate_ticks % IC_NEGOTIATE_RESEND == 0 ||
	    !ic->negotiate_trans_id)
		send_negotiate(ic);
	else
		vsp_chan_signal(ch);
	vsp_chan_timer(ch, IC_NEGOTIATE_TICK_MS);
}

static void on_negotiate_answer(struct ic_chan *ic, const u8 *payload,
				u32 len, u64 trans_id)
{
	int err;

	if (ic->state != IC_NEGOTIATING || trans_id != ic->negotiate_trans_id) {
		vsp_dbg("%s: stale NEGOTIATE answer dropped", ic->svc->name);
		return;
	}
	err = enl_ic_parse_negotiate_answer(payload, len, ic_fw_versions,
					    IC_NR_FW, ic->svc->versions,
					    ic->svc->nversions, &ic->fw,
					    &ic->msgver);
	if (err == -ENOENT) {
		vsp_err("%s: the guest speaks none of our versions",
			ic->svc->name);
		ic->state = IC_NO_VERSION;
		ic_status(ic, "state", "no-common-version");
		vsp_chan_timer(ic->ch, 0);
		return;
	}
	if (err) {
		vsp_err("%s: malformed NEGOTIATE answer dropped", ic->svc->name);
		return;
	}
	vsp_info("%s: negotiated framework %u.%u, message %u.%u",
		 ic->svc->name, ic->fw.major, ic->fw.minor, ic->msgver.major,
		 ic->msgver.minor);
	ic->state = IC_READY;
	vsp_chan_timer(ic->ch, 0);
	ic_status(ic, "version", "%u.%u", ic->msgver.major, ic->msgver.minor);
	if (ic->svc->on_ready)
		ic->svc->on_ready(ic);
}

static void handle_packet(struct ic_chan *ic, const u8 *pkt, u32 len)
{
	struct enl_icmsg_hdr h;
	struct enl_pkt k;
	int body, err;

	err = enl_pkt_parse(pkt, len, &k);
	if (err || k.type != VMBUS_PKT_INBAND) {
		vsp_dbg("%s: packet type %u ignored (%d)", ic->svc->name, k.type,
			err);
		return;
	}
	body = enl_ic_parse_hdr(k.payload, k.payload_len, &h);
	if (body < 0) {
		vsp_dbg("%s: short IC packet (%u bytes) ignored", ic->svc->name,
			k.payload_len);
		return;
	}
	if (!(h.flags & ENL_IC_FLAG_RESPONSE)) {
		vsp_dbg("%s: IC message type %u from the guest ignored",
			ic->svc->name, h.msgtype);
		return;
	}
	if (h.msgtype == ENL_IC_MSG_NEGOTIATE) {
		on_negotiate_answer(ic, k.payload, k.payload_len, k.trans_id);
		return;
	}
	if (ic->state == IC_READY && h.msgtype == ic->svc->msgtype &&
	    ic->svc->on_response)
		ic->svc->on_response(ic, &h, k.trans_id,
				     k.payload + ENL_IC_BODY_OFF, (u32)body);
}

static void on_kick(struct vsp_chan *ch)
{
	struct ic_chan *ic = vsp_chan_priv(ch);
	u8 pkt[IC_PKT_MAX] __attribute__((aligned(8)));
	u32 len;
	int r;

	while ((r = vsp_chan_recv(ch, pkt, sizeof(pkt), &len)) != 0) {
		if (r == -EMSGSIZE) {
			/* Too big for any IC message: skip it. */
			u8 *big = malloc(len);

			if (!big || vsp_chan_recv(ch, big, len, &len) < 0) {
				free(big);
				return;
			}
			vsp_dbg("%s: %u-byte packet dropped", ic->svc->name, len);
			free(big);
			continue;
		}
		if (r < 0)
			return;		/* closed or corrupt ring */
		handle_packet(ic, pkt, len);
		if (!vsp_chan_is_open(ch))
			return;
	}
}

static const struct vsp_chan_ops ic_chan_ops = {
	.on_open = on_open,
	.on_kick = on_kick,
	.on_timer = on_timer,
	.on_close = on_close,
	.on_rescind = on_rescind,
};

/* backup DIR and a LUN PATH pair for each of 64 disks */
#define IC_CMD_WORDS 130

void ic_command(struct ic_chan *const *ics, unsigned int n, struct vsp *v,
		u32 req_id, const char *line)
{
	char buf[VSP_CMD_LEN], *words[IC_CMD_WORDS];
	struct ic_chan *ic = NULL;
	unsigned int i;
	int nw;

	snprintf(buf, sizeof(buf), "%s", line);
	nw = vspc_cmd_split(buf, words, IC_CMD_WORDS);
	if (nw <= 0) {
		vsp_command_reply(v, req_id, EINVAL, "bad command line");
		return;
	}
	for (i = 0; i < n; i++)
		if (ics[i] && ics[i]->svc->command &&
		    !strcmp(ics[i]->svc->command, words[0]))
			ic = ics[i];
	if (!ic) {
		vsp_command_reply(v, req_id, ENOENT,
				  "unknown command \"%s\" (or its service is turned off)",
				  words[0]);
		return;
	}
	if (ic->state != IC_READY) {
		vsp_command_reply(v, req_id, ENODEV,
				  "the guest has not opened and negotiated the %s channel (state %s)%s",
				  ic->svc->name,
				  ic->state == IC_CLOSED ? "closed" :
				  ic->state == IC_NEGOTIATING ? "negotiating" :
				  "no common version",
				  ic->svc->msgtype == ENL_IC_MSG_KVP &&
				  ic->state == IC_NEGOTIATING ?
				  "; a guest answers KVP only while its hv_kvp_daemon runs" :
				  "");
		return;
	}
	ic->svc->on_command(ic, req_id, nw, words);
}

int ic_offer(struct vsp *v, const struct ic_service *svc,
	     const enl_guid_t *instance, int refuse_opens, struct ic_chan **out)
{
	struct vsp_offer_params p;
	struct ic_chan *ic = calloc(1, sizeof(*ic));
	struct timespec ts;
	int err;

	if (!ic)
		return -ENOMEM;
	if (svc->priv_size && !(ic->priv = calloc(1, svc->priv_size))) {
		free(ic);
		return -ENOMEM;
	}
	ic->svc = svc;
	ic->v = v;
	ic->refuse_opens = refuse_opens;
	ic->instance = instance ? *instance : svc->default_instance;
	/* Transaction ids unlike a previous run's: stale answers left in the
	 * ring by it do not match. */
	clock_gettime(CLOCK_REALTIME, &ts);
	ic->next_trans_id = ((u64)ts.tv_sec << 20) ^ (u64)ts.tv_nsec;

	memset(&p, 0, sizeof(p));
	p.if_type = svc->if_type;
	p.if_instance = ic->instance;
	err = vsp_offer(v, &p, &ic_chan_ops, ic, &ic->ch);
	if (err) {
		free(ic->priv);
		free(ic);
		return err;
	}
	ic_status(ic, "state", "offered");
	*out = ic;
	return 0;
}

void ic_stop(struct ic_chan *ic)
{
	if (ic && ic->state == IC_READY && ic->svc->on_stop)
		ic->svc->on_stop(ic);
}

void ic_free(struct ic_chan *ic)
{
	if (!ic)
		return;
	free(ic->priv);
	free(ic);
}
