// SPDX-License-Identifier: GPL-2.0-only
/*
 * VSP socket server.  Runs on the main thread; every handler takes the bus
 * lock, because the VMBus server is also driven from vCPU threads.  Sends
 * never block: a daemon that cannot keep up is disconnected and may come
 * back, and its channels carry on in the guest meanwhile.
 */
#include "vsp_server.h"
#include "vm.h"
#include "layout.h"

#include <enl/hv_tlfs.h>
#include <enl/vsp_proto.h>
#include "hostside-vsp/common/vsp_common.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS	64
#define MAX_STATUS	256
#define LOG_BUDGET	200	/* guest-caused log lines before going quiet */
/*
 * A guest waits for GPADL_TORNDOWN and UNLOAD_RESPONSE without a timeout,
 * and those wait for the daemon to let go of the pages: a daemon that does
 * not within this long is cut off, so a hung daemon cannot hang the guest.
 */
#define RELEASE_TIMEOUT_MS 10000

struct vsp_client {
	int fd;
	uint32_t role;
	bool dead;
	char name[VSP_NAME_LEN];
};

/* Host-side resources of one channel slot (same index as bus.chan[]). */
struct chan_host {
	int kick_fd;		/* KVM_HYPERV_EVENTFD on the connection id */
	int call_fd;		/* irqfd to the target VP's SINT 2, while open */
	uint32_t call_vp;
	uint32_t cookie;
};

struct status_kv {
	bool used;
	uint32_t relid;
	char key[VSP_KEY_LEN];
	char value[VSP_VALUE_LEN];
	uint64_t time_ms;
};

struct vsp_server {
	struct vm *vm;
	int listen_fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct vsp_client *clients[MAX_CLIENTS];
	struct chan_host ch[VMBUS_MAX_CHANNELS];
	struct status_kv kv[MAX_STATUS];
	uint64_t teardown_since[VMBUS_MAX_GPADLS];	/* ms, 0: none */
	unsigned int log_budget;
	/* scratch space for one message each way, and for status text */
	uint8_t tx[VSP_MSG_MAX];
	uint8_t rx[VSP_MSG_MAX];
	char text[VSP_MSG_MAX - 64];
};

static struct chan_host *host_of(struct vsp_server *v, struct vmbus_channel *ch)
{
	return &v->ch[ch - v->vm->bus.chan];
}

static void client_send(struct vsp_client *c, const void *msg, size_t len,
			const int *fds, int nfds)
{
	int err;

	if (!c || c->dead)
		return;
	err = vspc_send(c->fd, msg, len, fds, nfds, MSG_DONTWAIT);
	if (err) {
		enl_err("VSP client %s: send failed (%s); disconnecting it",
			c->name[0] ? c->name : "?", strerror(-err));
		c->dead = true;
	}
}

static void hdr_init(void *msg, uint32_t type, size_t len)
{
	struct vsp_hdr *h = msg;

	memset(msg, 0, len);
	h->type = type;
	h->len = (uint32_t)len;
}

static uint64_t sief_gpa(struct vm *vm, uint32_t vp)
{
	uint64_t evt = vp < vm->ncpus ? vm->vcpus[vp].synic.evt_page : 0;

	return (evt & HV_SYNIC_PAGE_ENABLE) ? (evt & HV_SYNIC_PAGE_GPA_MASK) : 0;
}

/* ---- per-channel host resources ------------------------------------------ */

static void call_fd_close(struct vm *vm, struct chan_host *h)
{
	struct kvm_irqfd irqfd = { 0 };

	if (h->call_fd < 0)
		return;
	irqfd.fd = (uint32_t)h->call_fd;
	irqfd.gsi = SYNIC_GSI_BASE + h->call_vp;
	irqfd.flags = KVM_IRQFD_FLAG_DEASSIGN;
	ioctl(vm->vm_fd, KVM_IRQFD, &irqfd);
	close(h->call_fd);
	h->call_fd = -1;
}

static int call_fd_open(struct vm *vm, struct chan_host *h, uint32_t vp)
{
	struct kvm_irqfd irqfd = { 0 };

	call_fd_close(vm, h);
	h->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (h->call_fd < 0) {
		enl_err("eventfd: %s", strerror(errno));
		return -1;
	}
	irqfd.fd = (uint32_t)h->call_fd;
	irqfd.gsi = SYNIC_GSI_BASE + vp;
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
		enl_err("KVM_IRQFD for VP %u: %s", vp, strerror(errno));
		close(h->call_fd);
		h->call_fd = -1;
		return -1;
	}
	h->call_vp = vp;
	return 0;
}

static int kick_fd_open(struct vm *vm, struct chan_host *h, uint32_t conn_id)
{
	struct kvm_hyperv_eventfd ev = { 0 };

	h->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (h->kick_fd < 0) {
		enl_err("eventfd: %s", strerror(errno));
		return -1;
	}
	ev.conn_id = conn_id;
	ev.fd = h->kick_fd;
	if (ioctl(vm->vm_fd, KVM_HYPERV_EVENTFD, &ev) < 0) {
		enl_err("KVM_HYPERV_EVENTFD %u: %s", conn_id, strerror(errno));
		close(h->kick_fd);
		h->kick_fd = -1;
		return -1;
	}
	return 0;
}

/* ---- messages to daemons ---------------------------------------------------- */

static void send_gpadl(struct vsp_server *v, struct vsp_client *c,
		       const struct vmbus_gpadl *g)
{
	struct vsp_gpadl *m = (struct vsp_gpadl *)v->tx;
	uint32_t first = 0;

	do {
		uint32_t count = g->npages - first;
		size_t len;

		if (count > VSP_GPADL_PART_PFNS)
			count = VSP_GPADL_PART_PFNS;
		len = sizeof(*m) + (size_t)count * 8;
		hdr_init(m, VSP_GPADL, len);
		m->relid = g->relid;
		m->gpadl = g->handle;
		m->total_pages = g->npages;
		m->first = first;
		m->count = count;
		m->byte_offset = g->byte_offset;
		m->byte_count = g->byte_count;
		memcpy(m->pfn, g->pfns + first, (size_t)count * 8);
		client_send(c, m, len, NULL, 0);
		first += count;
	} while (first < g->npages);
}

static void send_open(struct vsp_server *v, struct vmbus_channel *ch)
{
	struct chan_host *h = host_of(v, ch);
	struct vsp_channel_open m;
	int fds[2] = { h->kick_fd, h->call_fd };

	if (h->kick_fd < 0 || h->call_fd < 0)
		return;
	hdr_init(&m, VSP_CHANNEL_OPEN, sizeof(m));
	m.relid = ch->relid;
	m.sub_channel_index = ch->sub_channel_index;
	m.ring_gpadl = ch->ring_gpadl;
	m.ring_pages = ch->ring_pages;
	m.downstream_offset = ch->downstream_offset;
	m.target_vp = ch->target_vp;
	m.sief_gpa = sief_gpa(v->vm, ch->target_vp);
	m.connection_id = ch->connection_id;
	m.vmbus_version = v->vm->bus.version;
	memcpy(m.user_data, ch->user_data, sizeof(m.user_data));
	client_send(ch->owner, &m, sizeof(m), fds, 2);
}

static void send_relid(struct vsp_client *c, uint32_t type, uint32_t relid)
{
	struct vsp_relid m;

	hdr_init(&m, type, sizeof(m));
	m.relid = relid;
	client_send(c, &m, sizeof(m), NULL, 0);
}

static void send_target(struct vsp_server *v, struct vmbus_channel *ch)
{
	struct chan_host *h = host_of(v, ch);
	struct vsp_channel_target m;

	hdr_init(&m, VSP_CHANNEL_TARGET, sizeof(m));
	m.relid = ch->relid;
	m.target_vp = ch->target_vp;
	m.sief_gpa = sief_gpa(v->vm, ch->target_vp);
	client_send(ch->owner, &m, sizeof(m), &h->call_fd, 1);
}

/* ---- VMBus server ops (ctx is the struct vm) ------------------------------- */

static int op_post(void *ctx, uint32_t vp, uint32_t sint, const void *msg,
		   uint32_t len)
{
	return synic_post(ctx, vp, sint, msg, len);
}

static bool op_pfn_ok(void *ctx, uint64_t pfn)
{
	return pfn < (1ull << 40) && vm_gpa(ctx, pfn << 12, 4096);
}

static bool op_vp_ok(void *ctx, uint32_t vp)
{
	return vp < ((struct vm *)ctx)->ncpus;
}

static void op_gpadl_created(void *ctx, struct vmbus_channel *ch,
			     const struct vmbus_gpadl *g)
{
	struct vm *vm = ctx;

	if (ch->owner && vm->vsp)
		send_gpadl(vm->vsp, ch->owner, g);
}

static bool op_gpadl_teardown(void *ctx, struct vmbus_channel *ch,
			      const struct vmbus_gpadl *g)
{
	struct vm *vm = ctx;
	struct vsp_client *c = ch->owner;
	struct vsp_gpadl_ref m;

	if (!c || c->dead)
		return false;
	hdr_init(&m, VSP_GPADL_TEARDOWN, sizeof(m));
	m.relid = ch->relid;
	m.gpadl = g->handle;
	client_send(c, &m, sizeof(m), NULL, 0);
	if (c->dead)
		return false;
	vm->vsp->teardown_since[g - vm->bus.gpadl] = vspc_now_ms();
	return true;
}

static void op_chan_open(void *ctx, struct vmbus_channel *ch)
{
	struct vm *vm = ctx;
	struct chan_host *h = host_of(vm->vsp, ch);

	if (call_fd_open(vm, h, ch->target_vp) < 0)
		return;
	if (ch->owner)
		send_open(vm->vsp, ch);
}

static void op_chan_close(void *ctx, struct vmbus_channel *ch)
{
	struct vm *vm = ctx;

	if (ch->owner)
		send_relid(ch->owner, VSP_CHANNEL_CLOSE, ch->relid);
	call_fd_close(vm, host_of(vm->vsp, ch));
}

static void op_chan_target(void *ctx, struct vmbus_channel *ch)
{
	struct vm *vm = ctx;

	if (call_fd_open(vm, host_of(vm->vsp, ch), ch->target_vp) < 0)
		return;
	if (ch->owner)
		send_target(vm->vsp, ch);
}

static void op_chan_rescinded(void *ctx, struct vmbus_channel *ch)
{
	if (ch->owner)
		send_relid(ch->owner, VSP_CHANNEL_RESCINDED, ch->relid);
}

static void op_connected(void *ctx, uint32_t version)
{
	char vb[16];

	enl_log("guest connected to VMBus %s",
		vmbus_version_str(version, vb, sizeof(vb)));
}

static void op_unloaded(void *ctx)
{
	enl_log("guest left VMBus (UNLOAD)");
}

static void op_log(void *ctx, const char *msg)
{
	struct vm *vm = ctx;
	struct vsp_server *v = vm->vsp;

	/* Guest-caused: loud enough to debug, bounded so it cannot flood. */
	if (getenv("ENL_HOST_DEBUG")) {
		enl_err("vmbus: %s", msg);
		return;
	}
	if (!v || v->log_budget >= LOG_BUDGET)
		return;
	if (++v->log_budget == LOG_BUDGET)
		enl_err("vmbus: %s (further VMBus messages suppressed)", msg);
	else
		enl_err("vmbus: %s", msg);
}

const struct vmbus_server_ops vsp_bus_ops = {
	.post = op_post,
	.pfn_ok = op_pfn_ok,
	.vp_ok = op_vp_ok,
	.gpadl_created = op_gpadl_created,
	.gpadl_teardown = op_gpadl_teardown,
	.chan_open = op_chan_open,
	.chan_close = op_chan_close,
	.chan_target = op_chan_target,
	.chan_rescinded = op_chan_rescinded,
	.connected = op_connected,
	.unloaded = op_unloaded,
	.log = op_log,
};

void vsp_server_sief_changed(struct vsp_server *v, uint32_t vp)
{
	unsigned int i;

	for (i = 0; i < VMBUS_MAX_CHANNELS; i++) {
		struct vmbus_channel *ch = &v->vm->bus.chan[i];

		if (ch->state != CHAN_FREE && ch->open && ch->owner &&
		    ch->target_vp == vp && v->ch[i].call_fd >= 0)
			send_target(v, ch);
	}
}

/* ---- status ------------------------------------------------------------------ */

static const struct {
	enl_guid_t guid;
	const char *name;
} classes[] = {
	{ ENL_GUID_NETWORK, "network" }, { ENL_GUID_SCSI, "scsi" },
	{ ENL_GUID_MOUSE, "mouse" }, { ENL_GUID_KEYBOARD, "keyboard" },
	{ ENL_GUID_HEARTBEAT, "heartbeat" }, { ENL_GUID_SHUTDOWN, "shutdown" },
	{ ENL_GUID_TIMESYNC, "timesync" }, { ENL_GUID_KVP, "kvp" },
	{ ENL_GUID_VSS, "vss" },
};

static const char *class_name(const enl_guid_t *g)
{
	size_t i;

	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
		if (!memcmp(&classes[i].guid, g, sizeof(*g)))
			return classes[i].name;
	return "unknown";
}

struct outbuf {
	char *p;
	size_t len, cap;
};

__attribute__((format(printf, 2, 3)))
static void out(struct outbuf *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len >= o->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n < o->cap - o->len ? (size_t)n : o->cap - o->len - 1;
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

static const char *chan_state_str(const struct vmbus_channel *ch)
{
	switch (ch->state) {
	case CHAN_OFFERED:
		return ch->open ? "open" : ch->offer_sent ? "offered" : "pending";
	case CHAN_RESCINDING:
		return "rescinding";
	case CHAN_HIDDEN:
		return "rescinded";
	default:
		return "free";
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

static void render_status(struct vsp_server *v, struct outbuf *o, bool json)
{
	struct vmbus_server *s = &v->vm->bus;
	uint64_t now = vspc_now_ms();
	char vb[16], cls[VSPC_GUID_STR_LEN], inst[VSPC_GUID_STR_LEN];
	unsigned int i, k;
	bool first = true;

	vmbus_version_str(s->version, vb, sizeof(vb));
	if (json)
		out(o, "{\"vmbus\":{\"state\":\"%s\",\"version\":\"%s\",\"target_vp\":%u,\"messages\":%llu,\"dropped\":%llu,\"unloads\":%u,\"gpadls\":%llu,\"gpadl_bodies\":%llu},\"channels\":[",
		    bus_state_str(s), s->state == VMBUS_DISCONNECTED ? "" : vb,
		    s->target_vp, (unsigned long long)s->stats_messages,
		    (unsigned long long)s->stats_dropped, s->unloads,
		    (unsigned long long)s->stats_gpadls,
		    (unsigned long long)s->stats_gpadl_bodies);
	else
		out(o, "vmbus: %s%s%s (messages %llu, dropped %llu, unloads %u, gpadls %llu, gpadl bodies %llu)\n",
		    bus_state_str(s), s->state == VMBUS_DISCONNECTED ? "" :
		    ", version ", s->state == VMBUS_DISCONNECTED ? "" : vb,
		    (unsigned long long)s->stats_messages,
		    (unsigned long long)s->stats_dropped, s->unloads,
		    (unsigned long long)s->stats_gpadls,
		    (unsigned long long)s->stats_gpadl_bodies);

	for (i = 0; i < VMBUS_MAX_CHANNELS; i++) {
		struct vmbus_channel *ch = &s->chan[i];
		struct vsp_client *c = ch->owner;
		const struct vmbus_gpadl *ring = NULL;
		bool kfirst = true;

		if (ch->state == CHAN_FREE)
			continue;
		if (ch->open)
			ring = vmbus_server_gpadl(s, ch->ring_gpadl);
		vspc_guid_format(&ch->if_type, cls);
		vspc_guid_format(&ch->if_instance, inst);
		if (json) {
			out(o, "%s{\"relid\":%u,\"class\":\"%s\",\"class_id\":\"%s\",\"instance\":\"%s\",\"subchannel\":%u,\"state\":\"%s\",\"open\":%s,\"target_vp\":%u,\"ring_pages\":%u,\"daemon\":",
			    first ? "" : ",", ch->relid, class_name(&ch->if_type),
			    cls, inst, ch->sub_channel_index,
			    chan_state_str(ch), ch->open ? "true" : "false",
			    ch->target_vp, ring ? ring->npages : 0);
			if (c)
				out_json_str(o, c->name);
			else
				out(o, "null");
			out(o, ",\"status\":{");
		} else {
			out(o, "relid %-3u %-10s %s  %-10s vp %u  ring %u pages  daemon %s\n",
			    ch->relid, class_name(&ch->if_type), inst,
			    chan_state_str(ch), ch->target_vp,
			    ring ? ring->npages : 0, c ? c->name : "(none)");
		}
		first = false;
		for (k = 0; k < MAX_STATUS; k++) {
			struct status_kv *kv = &v->kv[k];
			uint64_t age = now >= kv->time_ms ? now - kv->time_ms : 0;

			if (!kv->used || kv->relid != ch->relid)
				continue;
			if (json) {
				out(o, "%s\"%s\":{\"value\":", kfirst ? "" : ",",
				    kv->key);
				out_json_str(o, kv->value);
				out(o, ",\"age_ms\":%llu}", (unsigned long long)age);
			} else {
				out(o, "          %s = %s (%llu.%llu s ago)\n",
				    kv->key, kv->value,
				    (unsigned long long)age / 1000,
				    (unsigned long long)age % 1000 / 100);
			}
			kfirst = false;
		}
		if (json)
			out(o, "}}");
	}
	if (json)
		out(o, "]}\n");
}

/* ---- requests from clients ---------------------------------------------------- */

static void ctl_reply(struct vsp_server *v, struct vsp_client *c,
		      uint32_t status, const char *text)
{
	struct vsp_ctl_reply *r = (struct vsp_ctl_reply *)v->tx;
	size_t n = strnlen(text, VSP_MSG_MAX - sizeof(*r) - 1);

	hdr_init(r, VSP_CTL_REPLY, sizeof(*r) + n + 1);
	r->status = status;
	memcpy(r->text, text, n);
	r->text[n] = 0;
	client_send(c, r, sizeof(*r) + n + 1, NULL, 0);
}

static void on_hello(struct vsp_server *v, struct vsp_client *c,
		     const struct vsp_hello *m)
{
	struct vsp_welcome w;
	struct vm *vm = v->vm;

	if (c->role) {
		enl_err("VSP client %s said HELLO twice", c->name);
		c->dead = true;
		return;
	}
	if (m->version != VSP_PROTO_VERSION ||
	    (m->role != VSP_ROLE_DAEMON && m->role != VSP_ROLE_CONTROL)) {
		enl_err("VSP client speaks protocol %u role %u; enl-host speaks %u",
			m->version, m->role, VSP_PROTO_VERSION);
		c->dead = true;
		return;
	}
	c->role = m->role;
	memcpy(c->name, m->name, sizeof(c->name));
	c->name[sizeof(c->name) - 1] = 0;
	hdr_init(&w, VSP_WELCOME, sizeof(w));
	w.version = VSP_PROTO_VERSION;
	w.ncpus = vm->ncpus;
	w.ram_size = vm->ram_size;
	w.lowmem_size = vm->lowmem_size;
	w.highmem_gpa = ENL_MMIO_HOLE_END;
	if (c->role == VSP_ROLE_DAEMON)
		client_send(c, &w, sizeof(w), &vm->mem_fd, 1);
	else
		client_send(c, &w, sizeof(w), NULL, 0);
	enl_log("VSP client %s connected (%s)", c->name,
		c->role == VSP_ROLE_DAEMON ? "daemon" : "control");
}

static void on_offer(struct vsp_server *v, struct vsp_client *c,
		     const struct vsp_offer *m)
{
	struct vmbus_server *s = &v->vm->bus;
	struct vsp_offer_result r;
	struct vmbus_channel *ch;
	unsigned int i;

	hdr_init(&r, VSP_OFFER_RESULT, sizeof(r));
	r.cookie = m->cookie;
	ch = vmbus_server_find_instance(s, &m->if_instance,
					m->sub_channel_index);
	if (ch) {
		/* A daemon coming back for its channel. */
		if ((ch->owner && ch->owner != c) ||
		    memcmp(&ch->if_type, &m->if_type, sizeof(m->if_type))) {
			r.status = EEXIST;
			client_send(c, &r, sizeof(r), NULL, 0);
			return;
		}
	} else {
		ch = vmbus_server_add_offer(s, &m->if_type, &m->if_instance,
					    m->chn_flags, m->mmio_megabytes,
					    m->sub_channel_index,
					    m->user_defined);
		if (!ch) {
			r.status = ENOSPC;
			client_send(c, &r, sizeof(r), NULL, 0);
			return;
		}
		if (kick_fd_open(v->vm, host_of(v, ch), ch->connection_id) < 0) {
			r.status = EIO;
			client_send(c, &r, sizeof(r), NULL, 0);
			return;
		}
	}
	ch->owner = c;
	host_of(v, ch)->cookie = m->cookie;
	r.relid = ch->relid;
	r.connection_id = ch->connection_id;
	client_send(c, &r, sizeof(r), NULL, 0);
	enl_log("%s serves relid %u (%s)", c->name, ch->relid,
		class_name(&ch->if_type));

	/* Bring a restarted daemon up to date with what the guest has. */
	for (i = 0; i < VMBUS_MAX_GPADLS; i++) {
		struct vmbus_gpadl *g = &s->gpadl[i];

		if (g->used && g->state == GPADL_CREATED && g->relid == ch->relid)
			send_gpadl(v, c, g);
	}
	if (ch->open)
		send_open(v, ch);
	if (ch->state == CHAN_RESCINDING || ch->state == CHAN_HIDDEN)
		send_relid(c, VSP_CHANNEL_RESCINDED, ch->relid);
}

static struct vmbus_channel *owned(struct vsp_server *v, struct vsp_client *c,
				   uint32_t relid)
{
	struct vmbus_channel *ch = vmbus_server_channel(&v->vm->bus, relid);

	return ch && ch->owner == c ? ch : NULL;
}

static void on_status_set(struct vsp_server *v, struct vsp_client *c,
			  const struct vsp_status_set *m)
{
	struct status_kv *kv = NULL, *free_kv = NULL;
	char key[VSP_KEY_LEN];
	unsigned int i;

	if (!owned(v, c, m->relid))
		return;
	if (!vspc_status_key_ok(m->key))
		return;
	memcpy(key, m->key, sizeof(key));
	for (i = 0; i < MAX_STATUS && !kv; i++) {
		if (v->kv[i].used && v->kv[i].relid == m->relid &&
		    !strcmp(v->kv[i].key, key))
			kv = &v->kv[i];
		else if (!v->kv[i].used && !free_kv)
			free_kv = &v->kv[i];
	}
	if (!kv)
		kv = free_kv;
	if (!kv)
		return;
	kv->used = true;
	kv->relid = m->relid;
	memcpy(kv->key, key, sizeof(kv->key));
	memcpy(kv->value, m->value, sizeof(kv->value));
	kv->value[sizeof(kv->value) - 1] = 0;
	kv->time_ms = vspc_now_ms();
}

static void on_ctl(struct vsp_server *v, struct vsp_client *c,
		   const struct vsp_ctl *m, uint32_t type)
{
	char *text = v->text;
	struct outbuf o = { .p = text, .cap = sizeof(v->text) };
	int r;

	if (type == VSP_CTL_STATUS) {
		text[0] = 0;
		render_status(v, &o, m->flags & VSP_CTL_FLAG_JSON);
		ctl_reply(v, c, 0, text);
		return;
	}
	r = type == VSP_CTL_RESCIND ? vmbus_server_rescind(&v->vm->bus, m->relid) :
				      vmbus_server_reoffer(&v->vm->bus, m->relid);
	if (r == 0) {
		snprintf(text, sizeof(v->text), "relid %u %s\n", m->relid,
			 type == VSP_CTL_RESCIND ? "rescinded" : "offered again");
		ctl_reply(v, c, 0, text);
		return;
	}
	snprintf(text, sizeof(v->text), "relid %u: %s\n", m->relid,
		 r == -ENOENT ? "no such channel" :
		 r == -EBUSY ? "the guest has not released it yet" :
		 type == VSP_CTL_RESCIND ? "already rescinded" : "not rescinded");
	ctl_reply(v, c, (uint32_t)-r, text);
}

static const struct {
	uint32_t type;
	uint32_t min_len;
	uint32_t role;		/* 0: before HELLO */
} rules[] = {
	{ VSP_HELLO, sizeof(struct vsp_hello), 0 },
	{ VSP_OFFER, sizeof(struct vsp_offer), VSP_ROLE_DAEMON },
	{ VSP_CLOSE_DONE, sizeof(struct vsp_relid), VSP_ROLE_DAEMON },
	{ VSP_GPADL_RELEASED, sizeof(struct vsp_gpadl_ref), VSP_ROLE_DAEMON },
	{ VSP_STATUS_SET, sizeof(struct vsp_status_set), VSP_ROLE_DAEMON },
	{ VSP_CTL_STATUS, sizeof(struct vsp_ctl), VSP_ROLE_CONTROL },
	{ VSP_CTL_RESCIND, sizeof(struct vsp_ctl), VSP_ROLE_CONTROL },
	{ VSP_CTL_REOFFER, sizeof(struct vsp_ctl), VSP_ROLE_CONTROL },
};

static void client_message(struct vsp_server *v, struct vsp_client *c,
			   const uint8_t *buf, size_t len)
{
	struct vsp_hdr h;
	size_t i;

	if (len < sizeof(h))
		goto bad;
	memcpy(&h, buf, sizeof(h));
	if (h.len != len)
		goto bad;
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].type == h.type)
			break;
	if (i == sizeof(rules) / sizeof(rules[0]) || len < rules[i].min_len ||
	    rules[i].role != c->role)
		goto bad;

	switch (h.type) {
	case VSP_HELLO:
		on_hello(v, c, (const void *)buf);
		break;
	case VSP_OFFER:
		on_offer(v, c, (const void *)buf);
		break;
	case VSP_CLOSE_DONE:
		break;	/* ordering alone matters: teardowns follow closes */
	case VSP_GPADL_RELEASED: {
		const struct vsp_gpadl_ref *m = (const void *)buf;
		struct vmbus_gpadl *g = vmbus_server_gpadl(&v->vm->bus, m->gpadl);

		if (g && owned(v, c, g->relid))
			vmbus_server_gpadl_released(&v->vm->bus, m->gpadl);
		break;
	}
	case VSP_STATUS_SET:
		on_status_set(v, c, (const void *)buf);
		break;
	default:
		on_ctl(v, c, (const void *)buf, h.type);
		break;
	}
	return;
bad:
	enl_err("VSP client %s sent a malformed or unexpected message; disconnecting it",
		c->name[0] ? c->name : "?");
	c->dead = true;
}

static void client_drop(struct vsp_server *v, unsigned int idx)
{
	struct vsp_client *c = v->clients[idx];
	struct vmbus_server *s = &v->vm->bus;
	unsigned int i;

	for (i = 0; i < VMBUS_MAX_CHANNELS; i++)
		if (s->chan[i].owner == c)
			s->chan[i].owner = NULL;
	/* Nobody is left to use these pages: let the guest have them. */
	for (i = 0; i < VMBUS_MAX_GPADLS; i++) {
		struct vmbus_gpadl *g = &s->gpadl[i];
		struct vmbus_channel *ch;

		if (!g->used || g->state != GPADL_TEARING)
			continue;
		ch = vmbus_server_channel(s, g->relid);
		if (!ch || !ch->owner)
			vmbus_server_gpadl_released(s, g->handle);
	}
	if (c->role == VSP_ROLE_DAEMON)
		enl_log("VSP daemon %s disconnected", c->name);
	close(c->fd);
	free(c);
	v->clients[idx] = NULL;
}

static void client_read(struct vsp_server *v, struct vsp_client *c)
{
	int fds[VSP_MAX_FDS], nfds;
	int n = vspc_recv(c->fd, v->rx, sizeof(v->rx), fds, &nfds, MSG_DONTWAIT);

	if (n == -EAGAIN || n == -EINTR)
		return;
	if (n <= 0) {
		c->dead = true;
		return;
	}
	/* Clients never send descriptors. */
	vspc_close_fds(fds, nfds);
	client_message(v, c, v->rx, (size_t)n);
}

static void accept_client(struct vsp_server *v)
{
	struct vsp_client *c;
	unsigned int i;
	int fd = accept4(v->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	for (i = 0; i < MAX_CLIENTS && v->clients[i]; i++)
		;
	c = i < MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		enl_err("too many VSP clients; refusing one");
		close(fd);
		return;
	}
	c->fd = fd;
	v->clients[i] = c;
}

int vsp_server_pollfds(struct vsp_server *v, struct pollfd *p, int max)
{
	int n = 0;
	unsigned int i;

	if (max < 1)
		return 0;
	p[n++] = (struct pollfd){ .fd = v->listen_fd, .events = POLLIN };
	for (i = 0; i < MAX_CLIENTS && n < max; i++)
		p[n++] = (struct pollfd){
			.fd = v->clients[i] ? v->clients[i]->fd : -1,
			.events = POLLIN,
		};
	return n;
}

/* Cut off daemons that sit on a GPADL the guest wants back. */
static void check_release_timeouts(struct vsp_server *v)
{
	struct vmbus_server *s = &v->vm->bus;
	uint64_t now = vspc_now_ms();
	unsigned int i;

	for (i = 0; i < VMBUS_MAX_GPADLS; i++) {
		struct vmbus_gpadl *g = &s->gpadl[i];
		struct vmbus_channel *ch;
		struct vsp_client *c;

		if (!g->used || g->state != GPADL_TEARING) {
			v->teardown_since[i] = 0;
			continue;
		}
		if (!v->teardown_since[i] ||
		    now - v->teardown_since[i] < RELEASE_TIMEOUT_MS)
			continue;
		ch = vmbus_server_channel(s, g->relid);
		c = ch ? ch->owner : NULL;
		if (c && !c->dead) {
			enl_err("VSP daemon %s did not release GPADL %#x of relid %u within %d s; disconnecting it",
				c->name, g->handle, g->relid,
				RELEASE_TIMEOUT_MS / 1000);
			c->dead = true;
		}
	}
}

void vsp_server_handle(struct vsp_server *v, const struct pollfd *p, int n)
{
	unsigned int i;

	pthread_mutex_lock(&v->vm->bus_lock);
	check_release_timeouts(v);
	for (i = 1; i < (unsigned int)n && i <= MAX_CLIENTS; i++) {
		struct vsp_client *c = v->clients[i - 1];

		if (c && p[i].fd == c->fd && (p[i].revents & (POLLIN | POLLHUP | POLLERR)))
			client_read(v, c);
	}
	for (i = 0; i < MAX_CLIENTS; i++)
		if (v->clients[i] && v->clients[i]->dead)
			client_drop(v, i);
	if (n > 0 && (p[0].revents & POLLIN))
		accept_client(v);
	pthread_mutex_unlock(&v->vm->bus_lock);
}

struct vsp_server *vsp_server_create(struct vm *vm, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vsp_server *v;
	unsigned int i;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		enl_err("--socket %s: path too long (at most %zu bytes)", path,
			sizeof(sa.sun_path) - 1);
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		enl_err("out of memory");
		return NULL;
	}
	v->vm = vm;
	for (i = 0; i < VMBUS_MAX_CHANNELS; i++)
		v->ch[i].kick_fd = v->ch[i].call_fd = -1;
	strcpy(sa.sun_path, path);
	strcpy(v->path, path);

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		enl_err("socket: %s", strerror(errno));
		free(v);
		return NULL;
	}
	/* A socket file nobody answers on is left over from a dead host. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		enl_err("--socket %s: another enl-host is serving it; choose another path",
			path);
		close(fd);
		free(v);
		return NULL;
	}
	if (errno == ECONNREFUSED)
		unlink(path);
	close(fd);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 16) < 0) {
		enl_err("--socket %s: cannot listen there: %s (does its directory exist?)",
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(v);
		return NULL;
	}
	chmod(path, 0660);
	v->listen_fd = fd;
	return v;
}

void vsp_server_destroy(struct vsp_server *v)
{
	unsigned int i;

	if (!v)
		return;
	for (i = 0; i < MAX_CLIENTS; i++)
		if (v->clients[i]) {
			close(v->clients[i]->fd);
			free(v->clients[i]);
		}
	for (i = 0; i < VMBUS_MAX_CHANNELS; i++) {
		if (v->ch[i].call_fd >= 0)
			close(v->ch[i].call_fd);
		if (v->ch[i].kick_fd >= 0)
			close(v->ch[i].kick_fd);
	}
	close(v->listen_fd);
	unlink(v->path);
	free(v);
}
