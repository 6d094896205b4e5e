// SPDX-License-Identifier: GPL-2.0-only
/*
 * enlctl's requests: the status report (text or JSON) and rescind/reoffer.
 *
 * The report can be longer than one message (hundreds of channels, each
 * with its daemon's keys), so it is paged by relid: CTL_STATUS.relid is
 * the first relid wanted (0: from the start, with the VMBus header), and
 * CTL_REPLY.next the relid to ask for next (0: that was the end).  A page
 * holds whole channels only, so the pages put together are always valid
 * JSON.  Text that daemons chose (names, keys, values) is escaped in both
 * forms: it can neither break the JSON nor send escape sequences or fake
 * lines to a terminal.
 */
#include "vsp_server_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for a page's text in one CTL_REPLY, NUL included. */
#define PAGE_MAX (VSP_MSG_MAX - sizeof(struct vsp_ctl_reply) - 1)
/* What a page's end needs: the JSON closers and a NUL. */
#define PAGE_TAIL 8

static const struct {
	enl_guid_t guid;
	const char *name;
} classes[] = {
	{ ENL_GUID_NETWORK, "network" }, { ENL_GUID_SCSI, "scsi" },
	{ ENL_GUID_MOUSE, "mouse" }, { ENL_GUID_KEYBOARD, "keyboard" },
	{ ENL_GUID_HEARTBEAT, "heartbeat" }, { ENL_GUID_SHUTDOWN, "shutdown" },
	{ ENL_GUID_TIMESYNC, "timesync" }, { ENL_GUID_KVP, "kvp" },
	{ ENL_GUID_VSS, "vss" }, { ENL_GUID_FCOPY, "fcopy" },
};

static const char *class_name(const enl_guid_t *g)
{
	size_t i;

	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (!memcmp(&classes[i].guid, g, sizeof(*g)))
			return classes[i].name;
	return "unknown";
}

__attribute__((format(printf, 2, 3)))
static void out(struct outbuf *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = o->cap - o->len;
		char *p;

		if (o->oom)
			return;
		if (o->p) {
			va_start(ap, fmt);
			n = vsnprintf(o->p + o->len, room, fmt, ap);
			va_end(ap);
			if (n < 0)
				return;
			if ((size_t)n < room) {
				o->len += (size_t)n;
				return;
			}
		}
		p = realloc(o->p, o->cap ? 2 * o->cap : 4096);
		if (!p) {
			o->oom = true;
			return;
		}
		o->p = p;
		o->cap = o->cap ? 2 * o->cap : 4096;
	}
}

/* Daemon-supplied text in JSON: escape everything that could break it. */
static void out_json_str(struct outbuf *o, const char *s)
{
	out(o, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			out(o, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			out(o, "\\u%04x", c);
		else
			out(o, "%c", c);
	}
	out(o, "\"");
}

/* Daemon-supplied text for a terminal: printable ASCII only. */
static void out_text_str(struct outbuf *o, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\\')
			out(o, "\\\\");
		else if (c < 0x20 || c >= 0x7f)
			out(o, "\\x%02x", c);
		else
			out(o, "%c", c);
	}
}

static const char *bus_state_str(const struct vmbus_server *s)
{
	switch (s->state) {
	case VMBUS_CONNECTED:
		return "connected";
	case VMBUS_UNLOADING:
		return "unloading";
	default:
		return "disconnected";
	}
}

static void render_header(struct vsp_server *v, struct outbuf *o, bool json)
{
	struct vmbus_server *s = &v->vm->bus;
	bool up = s->state != VMBUS_DISCONNECTED;
	char vb[16];

	vmbus_version_str(s->version, vb, sizeof(vb));
	if (json)
		out(o, "{\"vmbus\":{\"state\":\"%s\",\"version\":\"%s\",\"target_vp\":%u,\"messages\":%llu,\"dropped\":%llu,\"unloads\":%u,\"gpadls\":%llu,\"gpadl_bodies\":%llu},\"channels\":[",
		    bus_state_str(s), up ? vb : "", s->target_vp,
		    (unsigned long long)s->stats_messages,
		    (unsigned long long)s->stats_dropped, s->unloads,
		    (unsigned long long)s->stats_gpadls,
		    (unsigned long long)s->stats_gpadl_bodies);
	else
		out(o, "vmbus: %s%s%s (messages %llu, dropped %llu, unloads %u, gpadls %llu, gpadl bodies %llu)\n",
		    bus_state_str(s), up ? ", version " : "", up ? vb : "",
		    (unsigned long long)s->stats_messages,
		    (unsigned long long)s->stats_dropped, s->unloads,
		    (unsigned long long)s->stats_gpadls,
		    (unsigned long long)s->stats_gpadl_bodies);
}

static void render_channel(struct vsp_server *v, struct outbuf *o, bool json,
			   bool comma, struct vmbus_channel *ch, uint64_t now)
{
	struct chan_host *h = vsp_host_of(v, ch);
	struct vsp_client *c = ch->owner;
	const struct vmbus_gpadl *ring = NULL;
	char cls[VSPC_GUID_STR_LEN], inst[VSPC_GUID_STR_LEN];
	bool kfirst = true;
	unsigned int k;

	if (ch->state >= CHAN_OPENING && ch->state <= CHAN_CLOSING)
		ring = vmbus_server_gpadl(&v->vm->bus, ch->ring_gpadl);
	vspc_guid_format(&ch->if_type, cls);
	vspc_guid_format(&ch->if_instance, inst);
	if (json) {
		out(o, "%s{\"relid\":%u,\"class\":\"%s\",\"class_id\":\"%s\",\"instance\":\"%s\",\"subchannel\":%u,\"state\":\"%s\",\"open\":%s,\"target_vp\":%u,\"ring_pages\":%u,\"inflight_bytes\":%llu,\"daemon\":",
		    comma ? "," : "", ch->relid, class_name(&ch->if_type), cls,
		    inst, ch->sub_channel_index, vmbus_chan_state_str(ch->state),
		    ch->state == CHAN_OPEN ? "true" : "false", ch->target_vp,
		    ring ? ring->npages : 0,
		    (unsigned long long)(h->inflight_fd >= 0 ? h->inflight_size : 0));
		if (c)
			out_json_str(o, c->name);
		else
			out(o, "null");
		out(o, ",\"status\":{");
	} else {
		out(o, "relid %-4u %-10s %s  sub %u  %-10s vp %u  ring %u pages  daemon ",
		    ch->relid, class_name(&ch->if_type), inst,
		    ch->sub_channel_index, vmbus_chan_state_str(ch->state),
		    ch->target_vp, ring ? ring->npages : 0);
		out_text_str(o, c ? c->name : "(none)");
		out(o, "\n");
	}
	for (k = 0; k < VSP_STATUS_PER_CHANNEL; k++) {
		struct status_kv *kv = &h->kv[k];
		uint64_t age = now >= kv->time_ms ? now - kv->time_ms : 0;

		if (!kv->used)
			continue;
		if (json) {
			out(o, "%s", kfirst ? "" : ",");
			out_json_str(o, kv->key);
			out(o, ":{\"value\":");
			out_json_str(o, kv->value);
			out(o, ",\"age_ms\":%llu}", (unsigned long long)age);
		} else {
			out(o, "           ");
			out_text_str(o, kv->key);
			out(o, " = ");
			out_text_str(o, kv->value);
			out(o, " (%llu.%llu s ago)\n",
			    (unsigned long long)age / 1000,
			    (unsigned long long)age % 1000 / 100);
		}
		kfirst = false;
	}
	if (json)
		out(o, "}}");
}

/*
 * One page of the report from relid `first` on; *next is the relid the
 * next page starts at, 0 when this one ends the report.  Returns 0, or
 * -ENOMEM.
 */
static int render_page(struct vsp_server *v, struct outbuf *o, bool json,
		       uint32_t first, uint32_t *next)
{
	struct vmbus_server *s = &v->vm->bus;
	uint64_t now = vsp_now(v);
	struct vmbus_channel *by_relid[VMBUS_MAX_RELID + 1] = { NULL };
	uint32_t relid;
	unsigned int i;
	bool any = false;

	for (i = 0; i < VMBUS_MAX_CHANNELS; i++)
		if (s->chan[i].state != CHAN_FREE &&
		    s->chan[i].relid <= VMBUS_MAX_RELID)
			by_relid[s->chan[i].relid] = &s->chan[i];
	o->len = 0;
	o->oom = false;
	*next = 0;
	if (first == 0)
		render_header(v, o, json);
	for (relid = first ? first : 1; relid <= VMBUS_MAX_RELID; relid++) {
		struct vmbus_channel *ch = by_relid[relid];
		size_t mark = o->len;

		if (!ch)
			continue;
		/* Only the report's very first channel has no comma. */
		render_channel(v, o, json, json && (first || any), ch, now);
		if (o->len + PAGE_TAIL > PAGE_MAX && any) {
			o->len = mark;
			*next = relid;
			break;
		}
		any = true;
	}
	if (json && !*next)
		out(o, "]}\n");
	if (o->oom)
		return -ENOMEM;
	if (o->len > PAGE_MAX)
		return -EMSGSIZE;	/* one channel larger than a page */
	return 0;
}

static void ctl_reply(struct vsp_server *v, struct vsp_client *c,
		      uint32_t status, uint32_t next, const char *text,
		      size_t n)
{
	struct vsp_ctl_reply *r = (struct vsp_ctl_reply *)v->tx;

	if (n > PAGE_MAX)
		n = PAGE_MAX;
	vsp_hdr_init(r, VSP_CTL_REPLY, sizeof(*r) + n + 1);
	r->status = status;
	r->next = next;
	memcpy(r->text, text, n);
	r->text[n] = 0;
	vsp_client_send(c, r, sizeof(*r) + n + 1, NULL, 0);
}

void vsp_on_ctl_status(struct vsp_server *v, struct vsp_client *c,
		       const void *p)
{
	const struct vsp_ctl *m = p;
	uint32_t next;
	int err;

	if (m->relid > VMBUS_MAX_RELID) {
		ctl_reply(v, c, EINVAL, 0, "no such relid\n", 14);
		return;
	}
	err = render_page(v, &v->text, m->flags & VSP_CTL_FLAG_JSON, m->relid,
			  &next);
	if (err) {
		static const char msg[] = "cannot render the status report\n";

		ctl_reply(v, c, (uint32_t)-err, 0, msg, sizeof(msg) - 1);
		return;
	}
	ctl_reply(v, c, 0, next, v->text.p, v->text.len);
}

static void on_rescind_reoffer(struct vsp_server *v, struct vsp_client *c,
			       const struct vsp_ctl *m, bool rescind)
{
	char text[128];
	int r, n;

	r = rescind ? vmbus_server_rescind(&v->vm->bus, m->relid) :
		      vmbus_server_reoffer(&v->vm->bus, m->relid);
	if (r == 0)
		n = snprintf(text, sizeof(text), "relid %u %s\n", m->relid,
			     rescind ? "rescinded" : "offered again");
	else
		n = snprintf(text, sizeof(text), "relid %u: %s\n", m->relid,
			     r == -ENOENT ? "no such channel" :
			     r == -EBUSY ? "the guest has not released it yet" :
			     rescind ? "already rescinded" : "not rescinded");
	ctl_reply(v, c, (uint32_t)-r, 0, text, (size_t)n);
}

void vsp_on_ctl_rescind(struct vsp_server *v, struct vsp_client *c,
			const void *p)
{
	on_rescind_reoffer(v, c, p, true);
}

void vsp_on_ctl_reoffer(struct vsp_server *v, struct vsp_client *c,
			const void *p)
{
	on_rescind_reoffer(v, c, p, false);
}
