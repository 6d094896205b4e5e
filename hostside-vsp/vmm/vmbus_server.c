// SPDX-License-Identifier: GPL-2.0-only
/*
 * VMBus control plane, host side.  Every guest message is checked for size
 * and for the state it may arrive in; a bad one is dropped, or answered
 * with a failure where the guest waits for an answer.  Nothing here trusts
 * a length, relid, handle, page number or VP index from the guest.
 */
#include "vmbus_server.h"

#include <enl/hv_tlfs.h>
#include <enl/vmbus_guest.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATUS_UNSUCCESSFUL	VMBUS_STATUS_UNSUCCESSFUL
#define MAX_RANGES		64

/* Versions: the one list, enl_vmbus_versions[] (include/enl/vmbus_guest.c),
 * which the guest module walks too. */

__attribute__((format(printf, 2, 3)))
static void slog(struct vmbus_server *s, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (!s->ops->log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	s->ops->log(s->ctx, buf);
}

const char *vmbus_version_str(uint32_t version, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u", version >> 16, version & 0xffff);
	return buf;
}

int vmbus_server_parse_version(const char *str, uint32_t *version)
{
	unsigned int major, minor, i;
	char tail;

	if (sscanf(str, "%u.%u%c", &major, &minor, &tail) != 2 ||
	    major > 0xffff || minor > 0xffff)
		return -EINVAL;
	for (i = 0; i < ENL_VMBUS_NR_VERSIONS; i++) {
		if (enl_vmbus_versions[i] == (major << 16 | minor)) {
			*version = enl_vmbus_versions[i];
			return 0;
		}
	}
	return -EINVAL;
}

static void send_msg(struct vmbus_server *s, void *msg, uint32_t len,
		     uint32_t type)
{
	struct vmbus_msg_hdr *h = msg;

	h->msgtype = type;
	h->padding = 0;
	if (s->ops->post(s->ctx, s->target_vp, s->msg_sint, msg, len) < 0)
		slog(s, "could not queue message %u for the guest", type);
}

void vmbus_server_init(struct vmbus_server *s,
		       const struct vmbus_server_ops *ops, void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->ctx = ctx;
	s->msg_sint = HV_VMBUS_SINT;
	s->version_max = enl_vmbus_versions[0];
}

static void gpadl_free(struct vmbus_server *s, struct vmbus_gpadl *g)
{
	s->gpadl_pages -= g->cap;
	free(g->pfns);
	memset(g, 0, sizeof(*g));
}

void vmbus_server_fini(struct vmbus_server *s)
{
	unsigned int i;

	for (i = 0; i < VMBUS_MAX_GPADLS; i++)
		if (s->gpadl[i].used)
			gpadl_free(s, &s->gpadl[i]);
}

struct vmbus_channel *vmbus_server_channel(struct vmbus_server *s,
					   uint32_t relid)
{
	unsigned int i;

	for (i = 0; i < VMBUS_MAX_CHANNELS; i++)
		if (s->chan[i].state != CHAN_FREE && s->chan[i].relid == relid)
			return &s->chan[i];
	return NULL;
}

struct vmbus_gpadl *vmbus_server_gpadl(struct vmbus_server *s, uint32_t handle)
{
	unsigned int i;

	for (i = 0; i < VMBUS_MAX_GPADLS; i++)
		if (s->gpadl[i].used && s->gpadl[i].handle == handle)
			return &s->gpadl[i];
	return NULL;
}

struct vmbus_channel *vmbus_server_find_instance(struct vmbus_server *s,
						 const enl_guid_t *instance,
						 uint16_t sub_channel_index)
{
	unsigned int i;

	for (i = 0; i < VMBUS_MAX_CHANNELS; i++) {
		struct vmbus_channel *ch = &s->chan[i];

		if (ch->state != CHAN_FREE && !ch->withdrawn &&
		    ch->sub_channel_index == sub_channel_index &&
		    !memcmp(&ch->if_instance, instance, sizeof(*instance)))
			return ch;
	}
	return NULL;
}

/* ---- messages to the guest ---------------------------------------------- */

static void send_offer(struct vmbus_server *s, struct vmbus_channel *ch)
{
	struct vmbus_offer_channel o;

	memset(&o, 0, sizeof(o));
	o.if_type = ch->if_type;
	o.if_instance = ch->if_instance;
	o.chn_flags = ch->chn_flags;
	o.mmio_megabytes = ch->mmio_megabytes;
	memcpy(o.user_defined, ch->user_defined, sizeof(o.user_defined));
	o.sub_channel_index = ch->sub_channel_index;
	o.child_relid = ch->relid;
	/* No monitor page: guests signal with HvSignalEvent on their own
	 * connection id, which KVM turns into the channel's kick eventfd. */
	o.monitor_allocated = 0;
	o.is_dedicated_interrupt = 1;
	o.connection_id = ch->connection_id;
	ch->state = CHAN_OFFERED;
	send_msg(s, &o, sizeof(o), CHANNELMSG_OFFERCHANNEL);
}

static void send_relid(struct vmbus_server *s, uint32_t type, uint32_t relid)
{
	struct vmbus_relid_msg m = { .child_relid = relid };

	send_msg(s, &m, sizeof(m), type);
}

static void send_gpadl_created(struct vmbus_server *s, uint32_t relid,
			       uint32_t handle, uint32_t status)
{
	struct vmbus_gpadl_created m = {
		.child_relid = relid, .gpadl = handle,
		.creation_status = status,
	};

	send_msg(s, &m, sizeof(m), CHANNELMSG_GPADL_CREATED);
}

static void send_torndown(struct vmbus_server *s, uint32_t handle)
{
	struct vmbus_gpadl_torndown m = { .gpadl = handle };

	send_msg(s, &m, sizeof(m), CHANNELMSG_GPADL_TORNDOWN);
}

static void send_open_result(struct vmbus_server *s, uint32_t relid,
			     uint32_t openid, uint32_t status)
{
	struct vmbus_open_result m = {
		.child_relid = relid, .openid = openid, .status = status,
	};

	send_msg(s, &m, sizeof(m), CHANNELMSG_OPENCHANNEL_RESULT);
}

/* ---- channel and GPADL life cycle --------------------------------------- */

const char *vmbus_chan_state_str(enum vmbus_chan_state st)
{
	static const char *const names[] = {
		[CHAN_FREE] = "free", [CHAN_PENDING] = "pending",
		[CHAN_OFFERED] = "offered", [CHAN_OPENING] = "opening",
		[CHAN_OPEN] = "open", [CHAN_CLOSING] = "closing",
		[CHAN_RESCINDING] = "rescinding", [CHAN_RESCINDED] = "rescinded",
	};

	return (unsigned int)st < sizeof(names) / sizeof(names[0]) ?
	       names[st] : "?";
}

/*
 * Close ch on the host side if it is opening or open.  A guest waiting for
 * its OPEN_RESULT gets a failure.  Returns with ch in OFFERED or CLOSING
 * (when the daemon still has to let go); other states are left alone.
 */
static void channel_close(struct vmbus_server *s, struct vmbus_channel *ch)
{
	bool wait = false;

	if (ch->state != CHAN_OPENING && ch->state != CHAN_OPEN)
		return;
	if (ch->state == CHAN_OPENING && s->state == VMBUS_CONNECTED)
		send_open_result(s, ch->relid, ch->openid, STATUS_UNSUCCESSFUL);
	if (s->ops->chan_close)
		wait = s->ops->chan_close(s->ctx, ch);
	ch->state = wait ? CHAN_CLOSING : CHAN_OFFERED;
}

void vmbus_server_open_done(struct vmbus_server *s, struct vmbus_channel *ch,
			    uint32_t hv_status)
{
	if (ch->state != CHAN_OPENING)
		return;
	if (hv_status == HV_STATUS_SUCCESS) {
		ch->state = CHAN_OPEN;
	} else {
		slog(s, "OPENCHANNEL relid %u failed: status %#x from the host side",
		     ch->relid, hv_status);
		ch->state = CHAN_OFFERED;
	}
	send_open_result(s, ch->relid, ch->openid, hv_status);
}

void vmbus_server_close_done(struct vmbus_server *s, struct vmbus_channel *ch)
{
	if (ch->state == CHAN_CLOSING)
		ch->state = CHAN_OFFERED;
}

static bool any_tearing(struct vmbus_server *s)
{
	unsigned int i;

	for (i = 0; i < VMBUS_MAX_GPADLS; i++)
		if (s->gpadl[i].used && s->gpadl[i].state == GPADL_TEARING)
			return true;
	return false;
}

static void finish_unload(struct vmbus_server *s)
{
	struct vmbus_msg_hdr m;

	if (s->state != VMBUS_UNLOADING || any_tearing(s))
		return;
	send_msg(s, &m, sizeof(m), CHANNELMSG_UNLOAD_RESPONSE);
	s->state = VMBUS_DISCONNECTED;
	s->offers_requested = false;
	s->unloads++;
	if (s->ops->unloaded)
		s->ops->unloaded(s->ctx);
}

/*
 * Start tearing a GPADL down.  reply: the guest asked and waits for
 * GPADL_TORNDOWN; otherwise (unload, reset) nobody waits for a message.
 */
static void gpadl_teardown(struct vmbus_server *s, struct vmbus_gpadl *g,
			   bool reply)
{
	struct vmbus_channel *ch = vmbus_server_channel(s, g->relid);
	bool wait = false;
	uint32_t handle = g->handle;

	if (g->state == GPADL_TEARING)
		return;
	if (g->state == GPADL_CREATED && ch && s->ops->gpadl_teardown)
		wait = s->ops->gpadl_teardown(s->ctx, ch, g);
	if (wait) {
		g->state = GPADL_TEARING;
		g->reply_torndown = reply;	/* the daemon answers later */
		return;
	}
	gpadl_free(s, g);
	if (reply)
		send_torndown(s, handle);
}

void vmbus_server_gpadl_released(struct vmbus_server *s, uint32_t handle)
{
	struct vmbus_gpadl *g = vmbus_server_gpadl(s, handle);
	bool reply;

	if (!g || g->state != GPADL_TEARING)
		return;
	reply = g->reply_torndown && s->state == VMBUS_CONNECTED;
	gpadl_free(s, g);
	if (reply)
		send_torndown(s, handle);
	finish_unload(s);
}

/* The guest let go of ch's relid (or never held it). */
static void chan_released(struct vmbus_server *s, struct vmbus_channel *ch)
{
	ch->state = CHAN_RESCINDED;
	if (ch->withdrawn && s->ops->released)
		s->ops->released(s->ctx, ch);
}

/* Forget everything the guest set up: it left (UNLOAD) or started over. */
static void reset_guest_state(struct vmbus_server *s)
{
	unsigned int i;

	/* Nobody waits for an answer any more (no OPEN_RESULT either). */
	s->state = VMBUS_DISCONNECTED;
	for (i = 0; i < VMBUS_MAX_CHANNELS; i++) {
		struct vmbus_channel *ch = &s->chan[i];

		channel_close(s, ch);
		if (ch->state == CHAN_RESCINDING)
			chan_released(s, ch);
		else if (vmbus_chan_known(ch))
			ch->state = CHAN_PENDING;
	}
	for (i = 0; i < VMBUS_MAX_GPADLS; i++) {
		struct vmbus_gpadl *g = &s->gpadl[i];

		if (!g->used)
			continue;
		/* A teardown the old guest asked for: the new one never did. */
		g->reply_torndown = false;
		gpadl_teardown(s, g, false);
	}
	s->offers_requested = false;
}

/* ---- message handlers ---------------------------------------------------- */

static bool version_known(uint32_t v)
{
	size_t i;

	for (i = 0; i < ENL_VMBUS_NR_VERSIONS; i++)
		if (enl_vmbus_versions[i] == v)
			return true;
	return false;
}

static void on_initiate_contact(struct vmbus_server *s, uint32_t conn_id,
				const void *p, uint32_t len)
{
	struct vmbus_initiate_contact m;
	struct vmbus_version_response r;
	char vb[16];
	bool ok;

	if (len < sizeof(m)) {
		slog(s, "INITIATE_CONTACT too short (%u bytes)", len);
		return;
	}
	memcpy(&m, p, sizeof(m));
	if (!s->ops->vp_ok(s->ctx, m.target_vcpu)) {
		slog(s, "INITIATE_CONTACT names VP %u, which does not exist",
		     m.target_vcpu);
		return;
	}
	/* Whatever still waits for the guest was meant for an earlier
	 * connection (a kexec'd kernel must not see its offers). */
	if (s->ops->flush)
		s->ops->flush(s->ctx);
	if (s->state != VMBUS_DISCONNECTED) {
		/* A new kernel (kexec, crash) that never sent UNLOAD. */
		slog(s, "INITIATE_CONTACT while connected: resetting the bus");
		reset_guest_state(s);
	}

	ok = version_known(m.version_requested) &&
	     m.version_requested <= s->version_max;
	/*
	 * From 5.0 the guest names its message SINT and uses connection 4.
	 * Only SINT 2 is routed here; a guest asking for another one is told
	 * no and falls back to 4.1, where SINT 2 is implied.
	 */
	if (ok && m.version_requested >= VMBUS_VERSION_WIN10_V5)
		ok = conn_id == VMBUS_MESSAGE_CONNECTION_ID_4 &&
		     m.msg_sint == HV_VMBUS_SINT;
	else if (ok)
		ok = conn_id == VMBUS_MESSAGE_CONNECTION_ID;

	s->target_vp = m.target_vcpu;
	s->msg_sint = (ok && m.version_requested >= VMBUS_VERSION_WIN10_V5) ?
		      m.msg_sint : HV_VMBUS_SINT;
	memset(&r, 0, sizeof(r));
	r.version_supported = ok;
	if (ok) {
		s->state = VMBUS_CONNECTED;
		s->version = m.version_requested;
		s->offers_requested = false;
		s->msg_conn_id = m.version_requested >= VMBUS_VERSION_WIN10_V5 ?
				 VMBUS_MESSAGE_CONNECTION_ID_4 :
				 VMBUS_MESSAGE_CONNECTION_ID;
		/* The field exists from 5.0 on; before, it is padding. */
		if (s->version >= VMBUS_VERSION_WIN10_V5)
			r.msg_conn_id = s->msg_conn_id;
		slog(s, "guest connected, VMBus %s",
		     vmbus_version_str(s->version, vb, sizeof(vb)));
	}
	send_msg(s, &r, sizeof(r), CHANNELMSG_VERSION_RESPONSE);
	if (ok && s->ops->connected)
		s->ops->connected(s->ctx, s->version);
}

static void on_request_offers(struct vmbus_server *s)
{
	struct vmbus_msg_hdr m;
	unsigned int i, pass;

	/* Primary channels before their subchannels. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < VMBUS_MAX_CHANNELS; i++) {
			struct vmbus_channel *ch = &s->chan[i];

			if (ch->state == CHAN_PENDING &&
			    (ch->sub_channel_index != 0) == pass)
				send_offer(s, ch);
		}
	s->offers_requested = true;
	send_msg(s, &m, sizeof(m), CHANNELMSG_ALLOFFERS_DELIVERED);
}

static void on_open(struct vmbus_server *s, const void *p, uint32_t len)
{
	struct vmbus_open_channel m;
	struct vmbus_channel *ch;
	struct vmbus_gpadl *g;
	const char *why = NULL;

	if (len < sizeof(m)) {
		slog(s, "OPENCHANNEL too short (%u bytes)", len);
		return;
	}
	memcpy(&m, p, sizeof(m));
	ch = vmbus_server_channel(s, m.child_relid);
	g = vmbus_server_gpadl(s, m.ring_gpadl);
	if (!ch || !vmbus_chan_known(ch))
		why = "unknown relid";
	else if (ch->state == CHAN_RESCINDING)
		why = "channel rescinded";
	else if (ch->state == CHAN_OPENING || ch->state == CHAN_OPEN)
		why = "channel already open";
	else if (!g || g->state != GPADL_CREATED || g->relid != ch->relid)
		why = "no such ring GPADL on this channel";
	else if (g->rangecount != 1 || g->byte_offset != 0 ||
		 (uint64_t)g->byte_count != (uint64_t)g->npages * 4096)
		why = "ring GPADL is not whole pages in one range";
	else if (g->npages < 4 || m.downstream_page_offset < 2 ||
		 m.downstream_page_offset > g->npages - 2)
		why = "ring page offset out of range";
	else if (!s->ops->vp_ok(s->ctx, m.target_vp))
		why = "target VP does not exist";
	if (why) {
		slog(s, "OPENCHANNEL relid %u refused: %s", m.child_relid, why);
		send_open_result(s, m.child_relid, m.openid,
				 STATUS_UNSUCCESSFUL);
		return;
	}
	ch->state = CHAN_OPENING;
	ch->openid = m.openid;
	ch->ring_gpadl = m.ring_gpadl;
	ch->ring_pages = g->npages;
	ch->downstream_offset = m.downstream_page_offset;
	ch->target_vp = m.target_vp;
	memcpy(ch->user_data, m.user_data, sizeof(ch->user_data));
	/* The owning daemon decides; its answer usually comes later. */
	if (!s->ops->chan_open) {
		vmbus_server_open_done(s, ch, HV_STATUS_SUCCESS);
	} else {
		uint32_t st = s->ops->chan_open(s->ctx, ch);

		if (st != HV_STATUS_SUCCESS)
			vmbus_server_open_done(s, ch, st);
	}
}

static void on_close(struct vmbus_server *s, const void *p, uint32_t len)
{
	struct vmbus_relid_msg m;
	struct vmbus_channel *ch;

	if (len < sizeof(m)) {
		slog(s, "CLOSECHANNEL too short (%u bytes)", len);
		return;
	}
	memcpy(&m, p, sizeof(m));
	ch = vmbus_server_channel(s, m.child_relid);
	if (ch && ch->state == CHAN_RESCINDING)
		return;		/* closed on our side at the rescind */
	if (!ch || (ch->state != CHAN_OPEN && ch->state != CHAN_OPENING)) {
		slog(s, "CLOSECHANNEL for relid %u, which is not open",
		     m.child_relid);
		return;
	}
	channel_close(s, ch);
}

/* Take more range data; returns false if the GPADL is malformed. */
static bool gpadl_feed(struct vmbus_server *s, struct vmbus_gpadl *g,
		       const uint8_t *p, uint32_t words)
{
	uint32_t i;

	for (i = 0; i < words; i++) {
		uint64_t w;

		memcpy(&w, p + 8 * i, 8);
		if (g->ranges_done == g->rangecount) {
			slog(s, "GPADL %#x: more data than its ranges", g->handle);
			return false;
		}
		if (g->want_range_hdr) {
			uint32_t count = (uint32_t)w, offset = (uint32_t)(w >> 32);
			uint64_t pages = ((uint64_t)offset + count + 4095) / 4096;
			uint64_t *n;

			if (offset >= 4096 || count == 0 ||
			    g->npages + pages > VMBUS_GPADL_MAX_PAGES) {
				slog(s, "GPADL %#x: bad range (offset %u, %u bytes)",
				     g->handle, offset, count);
				return false;
			}
			if (s->gpadl_pages + pages > VMBUS_GPADL_TOTAL_PAGES) {
				slog(s, "GPADL %#x: the guest's GPADLs exceed %u pages",
				     g->handle, VMBUS_GPADL_TOTAL_PAGES);
				return false;
			}
			if (g->ranges_done == 0) {
				g->byte_offset = offset;
				g->byte_count = count;
			}
			n = realloc(g->pfns, (g->npages + pages) * sizeof(*n));
			if (!n) {
				slog(s, "GPADL %#x: out of memory", g->handle);
				return false;
			}
			g->pfns = n;
			s->gpadl_pages += g->npages + pages - g->cap;
			g->cap = (uint32_t)(g->npages + pages);
			g->range_pages_left = (uint32_t)pages;
			g->want_range_hdr = false;
			continue;
		}
		if (!s->ops->pfn_ok(s->ctx, w)) {
			slog(s, "GPADL %#x: page %#llx is not guest RAM",
			     g->handle, (unsigned long long)w);
			return false;
		}
		g->pfns[g->npages++] = w;
		if (--g->range_pages_left == 0) {
			g->ranges_done++;
			g->want_range_hdr = true;
		}
	}
	return true;
}

static void gpadl_progress(struct vmbus_server *s, struct vmbus_gpadl *g,
			   const uint8_t *data, uint32_t bytes)
{
	struct vmbus_channel *ch;
	uint32_t relid = g->relid, handle = g->handle;

	if (bytes % 8 || !gpadl_feed(s, g, data, bytes / 8)) {
		if (bytes % 8)
			slog(s, "GPADL %#x: data not in whole page numbers",
			     handle);
		gpadl_free(s, g);
		send_gpadl_created(s, relid, handle, STATUS_UNSUCCESSFUL);
		return;
	}
	if (g->ranges_done < g->rangecount)
		return;
	g->state = GPADL_CREATED;
	s->stats_gpadls++;
	ch = vmbus_server_channel(s, relid);
	if (ch && s->ops->gpadl_created)
		s->ops->gpadl_created(s->ctx, ch, g);
	send_gpadl_created(s, relid, handle, 0);
}

static void on_gpadl_header(struct vmbus_server *s, const uint8_t *p,
			    uint32_t len)
{
	struct vmbus_gpadl_header m;
	struct vmbus_channel *ch;
	struct vmbus_gpadl *g = NULL;
	const char *why = NULL;
	unsigned int i;

	if (len < sizeof(m)) {
		slog(s, "GPADL_HEADER too short (%u bytes)", len);
		return;
	}
	memcpy(&m, p, sizeof(m));
	ch = vmbus_server_channel(s, m.child_relid);
	if (!ch || !vmbus_chan_known(ch) || ch->state == CHAN_RESCINDING)
		why = "unknown or rescinded relid";
	else if (m.gpadl == 0)
		why = "handle 0";
	else if (vmbus_server_gpadl(s, m.gpadl))
		why = "handle already in use";
	else if (m.rangecount == 0 || m.rangecount > MAX_RANGES)
		why = "bad range count";
	else if (len == sizeof(m))
		why = "no range data";
	if (!why) {
		for (i = 0; i < VMBUS_MAX_GPADLS && !g; i++)
			if (!s->gpadl[i].used)
				g = &s->gpadl[i];
		if (!g)
			why = "too many GPADLs";
	}
	if (why) {
		slog(s, "GPADL_HEADER %#x on relid %u refused: %s", m.gpadl,
		     m.child_relid, why);
		send_gpadl_created(s, m.child_relid, m.gpadl,
				   STATUS_UNSUCCESSFUL);
		return;
	}
	memset(g, 0, sizeof(*g));
	g->used = true;
	g->state = GPADL_RECEIVING;
	g->handle = m.gpadl;
	g->relid = m.child_relid;
	g->rangecount = m.rangecount;
	g->want_range_hdr = true;
	gpadl_progress(s, g, p + sizeof(m), len - (uint32_t)sizeof(m));
}

static void on_gpadl_body(struct vmbus_server *s, const uint8_t *p,
			  uint32_t len)
{
	struct vmbus_gpadl_body m;
	struct vmbus_gpadl *g;

	if (len <= sizeof(m)) {
		slog(s, "GPADL_BODY too short (%u bytes)", len);
		return;
	}
	memcpy(&m, p, sizeof(m));
	g = vmbus_server_gpadl(s, m.gpadl);
	if (!g || g->state != GPADL_RECEIVING) {
		slog(s, "GPADL_BODY for GPADL %#x, which expects none", m.gpadl);
		return;
	}
	s->stats_gpadl_bodies++;
	gpadl_progress(s, g, p + sizeof(m), len - (uint32_t)sizeof(m));
}

static void on_gpadl_teardown(struct vmbus_server *s, const void *p,
			      uint32_t len)
{
	struct vmbus_gpadl_teardown m;
	struct vmbus_channel *ch;
	struct vmbus_gpadl *g;

	if (len < sizeof(m)) {
		slog(s, "GPADL_TEARDOWN too short (%u bytes)", len);
		return;
	}
	memcpy(&m, p, sizeof(m));
	g = vmbus_server_gpadl(s, m.gpadl);
	if (!g || g->relid != m.child_relid) {
		/* Answer anyway: the guest would otherwise wait forever. */
		slog(s, "GPADL_TEARDOWN of unknown GPADL %#x", m.gpadl);
		send_torndown(s, m.gpadl);
		return;
	}
	if (g->state == GPADL_TEARING)
		return;
	ch = vmbus_server_channel(s, g->relid);
	/* Tearing down an open channel's ring closes the channel first. */
	if (ch && (ch->state == CHAN_OPEN || ch->state == CHAN_OPENING) &&
	    ch->ring_gpadl == g->handle) {
		slog(s, "GPADL_TEARDOWN of the ring of open relid %u: closing it",
		     ch->relid);
		channel_close(s, ch);
	}
	gpadl_teardown(s, g, true);
}

static void on_relid_released(struct vmbus_server *s, const void *p,
			      uint32_t len)
{
	struct vmbus_relid_msg m;
	struct vmbus_channel *ch;

	if (len < sizeof(m)) {
		slog(s, "RELID_RELEASED too short (%u bytes)", len);
		return;
	}
	memcpy(&m, p, sizeof(m));
	ch = vmbus_server_channel(s, m.child_relid);
	if (!ch || ch->state != CHAN_RESCINDING) {
		slog(s, "RELID_RELEASED for relid %u, which was not rescinded",
		     m.child_relid);
		return;
	}
	chan_released(s, ch);
}

static void on_unload(struct vmbus_server *s)
{
	reset_guest_state(s);
	s->state = VMBUS_UNLOADING;
	slog(s, "guest unloading VMBus");
	finish_unload(s);
}

static void on_modify(struct vmbus_server *s, const void *p, uint32_t len)
{
	struct vmbus_modify_channel m;
	struct vmbus_modify_channel_response r;
	struct vmbus_channel *ch;
	bool ok;

	if (len < sizeof(m)) {
		slog(s, "MODIFYCHANNEL too short (%u bytes)", len);
		return;
	}
	memcpy(&m, p, sizeof(m));
	ch = vmbus_server_channel(s, m.child_relid);
	ok = ch && (ch->state == CHAN_OPEN || ch->state == CHAN_OPENING) &&
	     s->ops->vp_ok(s->ctx, m.target_vp);
	if (ok && ch->target_vp != m.target_vp) {
		uint32_t old = ch->target_vp;

		ch->target_vp = m.target_vp;
		if (s->ops->chan_target && !s->ops->chan_target(s->ctx, ch)) {
			ch->target_vp = old;
			ok = false;
		}
	}
	if (!ok)
		slog(s, "MODIFYCHANNEL relid %u to VP %u refused",
		     m.child_relid, m.target_vp);
	/* Only 5.3 guests wait for an answer. */
	if (s->version >= VMBUS_VERSION_WIN10_V5_3) {
		r.child_relid = m.child_relid;
		r.status = ok ? 0 : STATUS_UNSUCCESSFUL;
		send_msg(s, &r, sizeof(r), CHANNELMSG_MODIFYCHANNEL_RESPONSE);
	}
}

uint64_t vmbus_server_post(struct vmbus_server *s, uint32_t conn_id,
			   uint32_t msg_type, const void *payload, uint32_t len)
{
	struct vmbus_msg_hdr h;

	/*
	 * Messages go to connection id 1, or 4 from VMBus 5.0 on.  A host
	 * capped below 5.0 behaves like Hyper-V before 2016 and has no
	 * connection 4 at all: a guest's 5.x INITIATE_CONTACT there fails at
	 * the hypercall, which tells it to try 4.x on connection 1.
	 */
	if (conn_id != VMBUS_MESSAGE_CONNECTION_ID &&
	    (conn_id != VMBUS_MESSAGE_CONNECTION_ID_4 ||
	     s->version_max < VMBUS_VERSION_WIN10_V5))
		return HV_STATUS_INVALID_CONNECTION_ID;
	if (msg_type != HV_MESSAGE_TYPE_VMBUS || len > HV_MESSAGE_PAYLOAD_MAX)
		return HV_STATUS_INVALID_PARAMETER;
	s->stats_messages++;
	if (len < sizeof(h)) {
		slog(s, "channel message too short (%u bytes)", len);
		goto drop;
	}
	memcpy(&h, payload, sizeof(h));
	if (h.msgtype == CHANNELMSG_INITIATE_CONTACT) {
		on_initiate_contact(s, conn_id, payload, len);
		return HV_STATUS_SUCCESS;
	}
	if (s->state != VMBUS_CONNECTED) {
		/* Linux frees its channels after UNLOAD and releases their
		 * relids then: expected, and already done on our side. */
		if (h.msgtype == CHANNELMSG_RELID_RELEASED)
			return HV_STATUS_SUCCESS;
		slog(s, "channel message %u before INITIATE_CONTACT", h.msgtype);
		goto drop;
	}
	if (conn_id != s->msg_conn_id)
		return HV_STATUS_INVALID_CONNECTION_ID;

	switch (h.msgtype) {
	case CHANNELMSG_REQUESTOFFERS:
		on_request_offers(s);
		break;
	case CHANNELMSG_OPENCHANNEL:
		on_open(s, payload, len);
		break;
	case CHANNELMSG_CLOSECHANNEL:
		on_close(s, payload, len);
		break;
	case CHANNELMSG_GPADL_HEADER:
		on_gpadl_header(s, payload, len);
		break;
	case CHANNELMSG_GPADL_BODY:
		on_gpadl_body(s, payload, len);
		break;
	case CHANNELMSG_GPADL_TEARDOWN:
		on_gpadl_teardown(s, payload, len);
		break;
	case CHANNELMSG_RELID_RELEASED:
		on_relid_released(s, payload, len);
		break;
	case CHANNELMSG_UNLOAD:
		on_unload(s);
		break;
	case CHANNELMSG_MODIFYCHANNEL:
		on_modify(s, payload, len);
		break;
	default:
		slog(s, "unsupported channel message %u", h.msgtype);
		goto drop;
	}
	return HV_STATUS_SUCCESS;
drop:
	s->stats_dropped++;
	return HV_STATUS_SUCCESS;
}

/* ---- host-side requests --------------------------------------------------- */

struct vmbus_channel *vmbus_server_add_offer(struct vmbus_server *s,
					     const enl_guid_t *type,
					     const enl_guid_t *instance,
					     uint16_t chn_flags,
					     uint16_t mmio_megabytes,
					     uint16_t sub_channel_index,
					     const uint8_t *user_defined)
{
	struct vmbus_channel *ch = NULL;
	bool used[VMBUS_MAX_CHANNELS + 1] = { false };
	uint32_t relid = 1;
	unsigned int i;

	if (vmbus_server_find_instance(s, instance, sub_channel_index))
		return NULL;
	/* One pass: a free slot and the relids in use (many channels). */
	for (i = 0; i < VMBUS_MAX_CHANNELS; i++) {
		if (s->chan[i].state != CHAN_FREE)
			used[s->chan[i].relid] = true;
		else if (!ch)
			ch = &s->chan[i];
	}
	if (!ch)
		return NULL;
	/* The lowest free relid: it indexes the guest's event bitmap. */
	while (used[relid])
		relid++;
	memset(ch, 0, sizeof(*ch));
	ch->relid = relid;
	ch->state = CHAN_PENDING;
	ch->connection_id = VMBUS_CONN_ID_BASE + ch->relid;
	ch->if_type = *type;
	ch->if_instance = *instance;
	ch->chn_flags = chn_flags;
	ch->mmio_megabytes = mmio_megabytes;
	ch->sub_channel_index = sub_channel_index;
	if (user_defined)
		memcpy(ch->user_defined, user_defined, sizeof(ch->user_defined));
	return ch;
}

void vmbus_server_publish(struct vmbus_server *s, struct vmbus_channel *ch)
{
	if (ch->state == CHAN_PENDING && s->state == VMBUS_CONNECTED &&
	    s->offers_requested)
		send_offer(s, ch);
}

int vmbus_server_remove_offer(struct vmbus_server *s, struct vmbus_channel *ch)
{
	unsigned int i;

	if (ch->state != CHAN_PENDING && ch->state != CHAN_RESCINDED)
		return -EBUSY;
	for (i = 0; i < VMBUS_MAX_GPADLS; i++)
		if (s->gpadl[i].used && s->gpadl[i].relid == ch->relid)
			gpadl_free(s, &s->gpadl[i]);
	memset(ch, 0, sizeof(*ch));
	ch->state = CHAN_FREE;
	/* An UNLOAD may have been waiting for one of those GPADLs. */
	finish_unload(s);
	return 0;
}

int vmbus_server_rescind(struct vmbus_server *s, uint32_t relid)
{
	struct vmbus_channel *ch = vmbus_server_channel(s, relid);

	if (!ch)
		return -ENOENT;
	if (ch->state == CHAN_RESCINDING || ch->state == CHAN_RESCINDED)
		return -EALREADY;
	channel_close(s, ch);
	if (vmbus_chan_known(ch) && s->state == VMBUS_CONNECTED) {
		ch->state = CHAN_RESCINDING;
		send_relid(s, CHANNELMSG_RESCIND_CHANNELOFFER, relid);
		if (s->ops->chan_rescinded)
			s->ops->chan_rescinded(s->ctx, ch);
	} else {
		if (s->ops->chan_rescinded)
			s->ops->chan_rescinded(s->ctx, ch);
		/* last: a withdrawn channel is freed here */
		chan_released(s, ch);
	}
	return 0;
}

int vmbus_server_withdraw(struct vmbus_server *s, uint32_t relid)
{
	struct vmbus_channel *ch = vmbus_server_channel(s, relid);

	if (!ch)
		return -ENOENT;
	if (ch->withdrawn)
		return -EALREADY;
	ch->withdrawn = true;
	if (ch->state == CHAN_RESCINDED) {
		chan_released(s, ch);
		return 0;
	}
	if (ch->state == CHAN_RESCINDING)
		return 0;	/* freed at its RELID_RELEASED */
	return vmbus_server_rescind(s, relid);
}

int vmbus_server_reoffer(struct vmbus_server *s, uint32_t relid)
{
	struct vmbus_channel *ch = vmbus_server_channel(s, relid);

	if (!ch)
		return -ENOENT;
	if (ch->state == CHAN_RESCINDING)
		return -EBUSY;
	if (ch->state != CHAN_RESCINDED)
		return -EALREADY;
	ch->state = CHAN_PENDING;
	vmbus_server_publish(s, ch);
	return 0;
}
