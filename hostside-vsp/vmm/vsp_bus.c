// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VSP server's VMBus side: the VMBus server's ops (what the guest did,
 * told to the owning daemon), the daemons' channel messages (offers, open
 * answers, closes, GPADL releases, status, in-flight regions) and each
 * channel's host resources (kick and call eventfds, in-flight memfd).
 *
 * Who decides what: the guest's OPENCHANNEL is answered only when the
 * owning daemon has answered CHANNEL_OPEN (VSP_OPEN_REPLY), or has not
 * within VSP_OPEN_TIMEOUT_MS, or when nobody serves the channel.  A
 * guest's close completes at the daemon's CLOSE_DONE.  docs/vsp-socket.md
 * describes the protocol; vmbus_server.h the channel states.
 */
#include "vsp_server_int.h"

#include <enl/hv_tlfs.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* ---- KVM ------------------------------------------------------------------ */

static int kvm_kick_set(void *ctx, uint32_t conn_id, int fd, bool assign)
{
	struct vm *vm = ctx;
	struct kvm_hyperv_eventfd ev = {
		.conn_id = conn_id, .fd = fd,
		.flags = assign ? 0 : KVM_HYPERV_EVENTFD_DEASSIGN,
	};

	return ioctl(vm->vm_fd, KVM_HYPERV_EVENTFD, &ev) < 0 ? -errno : 0;
}

static int kvm_call_set(void *ctx, uint32_t vp, int fd, bool assign)
{
	struct vm *vm = ctx;
	struct kvm_irqfd irqfd = {
		.fd = (uint32_t)fd, .gsi = SYNIC_GSI_BASE + vp,
		.flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};

	return ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0 ? -errno : 0;
}

static uint64_t kvm_now_ms(void *ctx)
{
	return vspc_now_ms();
}

const struct vsp_host_ops vsp_kvm_host_ops = {
	.kick_set = kvm_kick_set,
	.call_set = kvm_call_set,
	.now_ms = kvm_now_ms,
};

/* ---- per-channel host resources ------------------------------------------- */

struct chan_host *vsp_host_of(struct vsp_server *v,
			      const struct vmbus_channel *ch)
{
	return &v->ch[ch - v->vm->bus.chan];
}

static uint64_t sief_gpa(struct vm *vm, uint32_t vp)
{
	uint64_t evt = vp < vm->ncpus ? vm->vcpus[vp].synic.evt_page : 0;

	return (evt & HV_SYNIC_PAGE_ENABLE) ? (evt & HV_SYNIC_PAGE_GPA_MASK) : 0;
}

static void call_fd_close(struct vsp_server *v, struct chan_host *h)
{
	if (h->call_fd < 0)
		return;
	v->host->call_set(v->vm, h->call_vp, h->call_fd, false);
	close(h->call_fd);
	h->call_fd = -1;
}

/* A new call irqfd for VP vp; the old one goes only once it is there. */
static int call_fd_open(struct vsp_server *v, struct chan_host *h, uint32_t vp)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), err;

	if (fd < 0) {
		enl_err("eventfd: %s", strerror(errno));
		return -1;
	}
	err = v->host->call_set(v->vm, vp, fd, true);
	if (err) {
		enl_err("KVM_IRQFD for VP %u: %s", vp, strerror(-err));
		close(fd);
		return -1;
	}
	call_fd_close(v, h);
	h->call_fd = fd;
	h->call_vp = vp;
	return 0;
}

static int kick_fd_open(struct vsp_server *v, struct chan_host *h,
			uint32_t conn_id)
{
	int err;

	if (h->kick_fd >= 0)
		return 0;
	h->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (h->kick_fd < 0) {
		enl_err("eventfd: %s", strerror(errno));
		return -1;
	}
	err = v->host->kick_set(v->vm, conn_id, h->kick_fd, true);
	if (err) {
		enl_err("KVM_HYPERV_EVENTFD %u: %s", conn_id, strerror(-err));
		close(h->kick_fd);
		h->kick_fd = -1;
		return -1;
	}
	return 0;
}

/* The guest's open ended: what was in flight died with it. */
static void inflight_zero(struct chan_host *h)
{
	if (h->inflight_fd >= 0 &&
	    fallocate(h->inflight_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      0, (off_t)h->inflight_size) < 0)
		enl_err("in-flight region: cannot clear it: %s", strerror(errno));
}

/* Everything of a channel slot, when the offer goes away. */
static void chan_host_release(struct vsp_server *v, struct chan_host *h,
			      uint32_t conn_id)
{
	call_fd_close(v, h);
	if (h->kick_fd >= 0) {
		v->host->kick_set(v->vm, conn_id, h->kick_fd, false);
		close(h->kick_fd);
	}
	if (h->inflight_fd >= 0)
		close(h->inflight_fd);
	memset(h, 0, sizeof(*h));
	h->kick_fd = h->call_fd = h->inflight_fd = -1;
}

static void remove_offer(struct vsp_server *v, struct vmbus_channel *ch)
{
	uint32_t conn_id = ch->connection_id;
	struct chan_host *h = vsp_host_of(v, ch);

	if (vmbus_server_remove_offer(&v->vm->bus, ch) == 0)
		chan_host_release(v, h, conn_id);
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
		vsp_hdr_init(m, VSP_GPADL, len);
		m->relid = g->relid;
		m->gpadl = g->handle;
		m->total_pages = g->npages;
		m->first = first;
		m->count = count;
		m->byte_offset = g->byte_offset;
		m->byte_count = g->byte_count;
		memcpy(m->pfn, g->pfns + first, (size_t)count * 8);
		vsp_client_send(c, m, len, NULL, 0);
		first += count;
	} while (first < g->npages && !c->dead);
}

static void send_open(struct vsp_server *v, struct vmbus_channel *ch)
{
	struct chan_host *h = vsp_host_of(v, ch);
	struct vsp_channel_open m;
	int fds[2] = { h->kick_fd, h->call_fd };

	vsp_hdr_init(&m, VSP_CHANNEL_OPEN, sizeof(m));
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
	vsp_client_send(ch->owner, &m, sizeof(m), fds, 2);
}

static void send_relid(struct vsp_client *c, uint32_t type, uint32_t relid)
{
	struct vsp_relid m;

	vsp_hdr_init(&m, type, sizeof(m));
	m.relid = relid;
	vsp_client_send(c, &m, sizeof(m), NULL, 0);
}

static void send_target(struct vsp_server *v, struct vmbus_channel *ch)
{
	struct chan_host *h = vsp_host_of(v, ch);
	struct vsp_channel_target m;

	vsp_hdr_init(&m, VSP_CHANNEL_TARGET, sizeof(m));
	m.relid = ch->relid;
	m.target_vp = ch->target_vp;
	m.sief_gpa = sief_gpa(v->vm, ch->target_vp);
	vsp_client_send(ch->owner, &m, sizeof(m), &h->call_fd, 1);
}

/* Tell the owner to stop; its CLOSE_DONE is then due. */
static void send_close(struct vsp_server *v, struct vmbus_channel *ch)
{
	struct chan_host *h = vsp_host_of(v, ch);

	send_relid(ch->owner, VSP_CHANNEL_CLOSE, ch->relid);
	h->closes_pending++;
	if (!h->close_since)
		h->close_since = vsp_now(v);
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

	if (!vm->vsp || !c || c->dead)
		return false;
	vsp_hdr_init(&m, VSP_GPADL_TEARDOWN, sizeof(m));
	m.relid = ch->relid;
	m.gpadl = g->handle;
	vsp_client_send(c, &m, sizeof(m), NULL, 0);
	if (c->dead)
		return false;
	vm->vsp->teardown_since[g - vm->bus.gpadl] = vsp_now(vm->vsp);
	return true;
}

static uint32_t op_chan_open(void *ctx, struct vmbus_channel *ch)
{
	struct vm *vm = ctx;
	struct vsp_server *v = vm->vsp;
	struct vsp_client *c = ch->owner;
	struct chan_host *h;

	if (!v || !c || c->dead) {
		enl_err("relid %u: the guest opens it, but no daemon serves it",
			ch->relid);
		return VMBUS_STATUS_UNSUCCESSFUL;
	}
	h = vsp_host_of(v, ch);
	if (h->kick_fd < 0 || call_fd_open(v, h, ch->target_vp) < 0) {
		enl_err("relid %u: no kick or call eventfd; the open fails",
			ch->relid);
		return VMBUS_STATUS_UNSUCCESSFUL;
	}
	h->open_since = vsp_now(v);
	if (h->closes_pending) {
		h->open_deferred = true;	/* sent at CLOSE_DONE */
		return HV_STATUS_SUCCESS;
	}
	send_open(v, ch);
	if (c->dead) {
		call_fd_close(v, h);
		return VMBUS_STATUS_UNSUCCESSFUL;
	}
	return HV_STATUS_SUCCESS;	/* the daemon's OPEN_REPLY decides */
}

static bool op_chan_close(void *ctx, struct vmbus_channel *ch)
{
	struct vm *vm = ctx;
	struct vsp_server *v = vm->vsp;
	struct vsp_client *c = ch->owner;
	struct chan_host *h;
	bool wait = false;

	if (!v)
		return false;
	h = vsp_host_of(v, ch);
	h->open_since = 0;
	h->open_deferred = false;
	if (c && !c->dead) {
		send_close(v, ch);
		wait = !c->dead;
	}
	call_fd_close(v, h);
	if (!wait)
		inflight_zero(h);
	return wait;
}

static bool op_chan_target(void *ctx, struct vmbus_channel *ch)
{
	struct vm *vm = ctx;

	if (!vm->vsp)
		return true;
	/* The old irqfd stays in place if the new one cannot be had. */
	if (call_fd_open(vm->vsp, vsp_host_of(vm->vsp, ch), ch->target_vp) < 0) {
		enl_err("relid %u: no call eventfd for VP %u; the move is refused",
			ch->relid, ch->target_vp);
		return false;
	}
	if (ch->owner)
		send_target(vm->vsp, ch);
	return true;
}

static void op_chan_rescinded(void *ctx, struct vmbus_channel *ch)
{
	if (ch->owner)
		send_relid(ch->owner, VSP_CHANNEL_RESCINDED, ch->relid);
}

/* A withdrawn channel the guest let go of: nobody needs it any more. */
static void op_released(void *ctx, struct vmbus_channel *ch)
{
	struct vm *vm = ctx;
	uint32_t relid = ch->relid;

	if (!vm->vsp)
		return;
	remove_offer(vm->vsp, ch);
	enl_log("relid %u withdrawn and released", relid);
}

static void op_flush(void *ctx)
{
	synic_discard(ctx);
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
	if (!v || v->log_budget >= VSP_LOG_BUDGET)
		return;
	if (++v->log_budget == VSP_LOG_BUDGET)
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
	.released = op_released,
	.flush = op_flush,
	.connected = op_connected,
	.unloaded = op_unloaded,
	.log = op_log,
};

void vsp_server_sief_changed(struct vsp_server *v, uint32_t vp)
{
	unsigned int i;

	for (i = 0; i < VMBUS_MAX_CHANNELS; i++) {
		struct vmbus_channel *ch = &v->vm->bus.chan[i];

		if ((ch->state == CHAN_OPEN || ch->state == CHAN_OPENING) &&
		    ch->owner && ch->target_vp == vp && v->ch[i].call_fd >= 0)
			send_target(v, ch);
	}
}

/* ---- messages from daemons -------------------------------------------------- */

static const char *class_of(const struct vmbus_channel *ch, char *buf)
{
	vspc_guid_format(&ch->if_type, buf);
	return buf;
}

static struct vmbus_channel *owned(struct vsp_server *v, struct vsp_client *c,
				   uint32_t relid)
{
	struct vmbus_channel *ch = vmbus_server_channel(&v->vm->bus, relid);

	return ch && ch->owner == c ? ch : NULL;
}

/* A daemon serving a channel again: tell it what the guest set up. */
static void catch_up(struct vsp_server *v, struct vsp_client *c,
		     struct vmbus_channel *ch)
{
	struct vmbus_server *s = &v->vm->bus;
	struct chan_host *h = vsp_host_of(v, ch);
	unsigned int i;

	for (i = 0; i < VMBUS_MAX_GPADLS && !c->dead; i++) {
		struct vmbus_gpadl *g = &s->gpadl[i];

		if (g->used && g->state == GPADL_CREATED && g->relid == ch->relid)
			send_gpadl(v, c, g);
	}
	/* Open in the guest all along: its OPEN_REPLY answers nobody. */
	if (ch->state == CHAN_OPEN &&
	    (h->call_fd >= 0 || call_fd_open(v, h, ch->target_vp) == 0))
		send_open(v, ch);
	if (ch->state == CHAN_RESCINDING || ch->state == CHAN_RESCINDED)
		send_relid(c, VSP_CHANNEL_RESCINDED, ch->relid);
}

void vsp_on_offer(struct vsp_server *v, struct vsp_client *c, const void *p)
{
	const struct vsp_offer *m = p;
	struct vmbus_server *s = &v->vm->bus;
	struct vsp_offer_result r;
	struct vmbus_channel *ch, *primary = NULL;
	char cls[VSPC_GUID_STR_LEN];
	bool fresh = false;

	vsp_hdr_init(&r, VSP_OFFER_RESULT, sizeof(r));
	r.cookie = m->cookie;
	/* A subchannel belongs to a primary (same class and instance, index
	 * 0) that this daemon serves. */
	if (m->sub_channel_index) {
		primary = vmbus_server_find_instance(s, &m->if_instance, 0);
		if (!primary || primary->owner != c ||
		    memcmp(&primary->if_type, &m->if_type, sizeof(m->if_type))) {
			r.status = ENOENT;
			goto reply;
		}
	}
	ch = vmbus_server_find_instance(s, &m->if_instance,
					m->sub_channel_index);
	if (ch) {
		/* A daemon coming back for its channel. */
		if ((ch->owner && ch->owner != c) ||
		    memcmp(&ch->if_type, &m->if_type, sizeof(m->if_type))) {
			r.status = EEXIST;
			goto reply;
		}
	} else if (m->flags & VSP_OFFER_EXISTING) {
		/* a restarted daemon asking for what it had: nothing here */
		r.status = ENOENT;
		goto reply;
	} else {
		ch = vmbus_server_add_offer(s, &m->if_type, &m->if_instance,
					    m->chn_flags, m->mmio_megabytes,
					    m->sub_channel_index,
					    m->user_defined);
		if (!ch) {
			r.status = ENOSPC;
			goto reply;
		}
		fresh = true;
	}
	/* The guest must never see an offer whose signals go nowhere. */
	if (kick_fd_open(v, vsp_host_of(v, ch), ch->connection_id) < 0) {
		if (fresh)
			remove_offer(v, ch);
		r.status = EIO;
		goto reply;
	}
	ch->owner = c;
	vsp_host_of(v, ch)->cookie = m->cookie;
	r.relid = ch->relid;
	r.connection_id = ch->connection_id;
	vsp_client_send(c, &r, sizeof(r), NULL, 0);
	enl_log("%s serves relid %u (class %s, subchannel %u)", c->name,
		ch->relid, class_of(ch, cls), ch->sub_channel_index);
	if (!fresh)
		catch_up(v, c, ch);
	vmbus_server_publish(s, ch);
	return;
reply:
	vsp_client_send(c, &r, sizeof(r), NULL, 0);
}

void vsp_on_open_reply(struct vsp_server *v, struct vsp_client *c,
		       const void *p)
{
	const struct vsp_open_reply *m = p;
	struct vmbus_channel *ch = owned(v, c, m->relid);
	struct chan_host *h;

	if (!ch)
		return;
	h = vsp_host_of(v, ch);
	/* An answer to an open given up meanwhile (closed, timed out). */
	if (h->closes_pending || ch->state != CHAN_OPENING) {
		if (ch->state == CHAN_OPEN && m->status)
			enl_err("%s: relid %u: the daemon refuses a channel the guest has open (%s)",
				c->name, ch->relid, strerror((int)m->status));
		return;
	}
	h->open_since = 0;
	if (m->status) {
		enl_err("%s refused to open relid %u: %s", c->name, ch->relid,
			strerror((int)m->status));
		call_fd_close(v, h);
		vmbus_server_open_done(&v->vm->bus, ch, VMBUS_STATUS_UNSUCCESSFUL);
		return;
	}
	vmbus_server_open_done(&v->vm->bus, ch, HV_STATUS_SUCCESS);
}

/* The daemon let go of the channel: a guest's close completes. */
static void close_finished(struct vsp_server *v, struct vmbus_channel *ch)
{
	struct chan_host *h = vsp_host_of(v, ch);

	h->closes_pending = 0;
	h->close_since = 0;
	/* The daemon let go of the last open: its requests are gone.  (OPEN
	 * cannot be: a new open waits for this, see open_deferred.) */
	if (ch->state != CHAN_OPEN)
		inflight_zero(h);
	vmbus_server_close_done(&v->vm->bus, ch);
	if (h->open_deferred) {
		h->open_deferred = false;
		if (ch->state == CHAN_OPENING && ch->owner)
			send_open(v, ch);
	}
}

void vsp_on_close_done(struct vsp_server *v, struct vsp_client *c,
		       const void *p)
{
	const struct vsp_relid *m = p;
	struct vmbus_channel *ch = owned(v, c, m->relid);
	struct chan_host *h;

	if (!ch)
		return;
	h = vsp_host_of(v, ch);
	if (h->closes_pending > 1) {
		h->closes_pending--;
		return;
	}
	if (h->closes_pending == 1)
		close_finished(v, ch);
}

void vsp_on_gpadl_released(struct vsp_server *v, struct vsp_client *c,
			   const void *p)
{
	const struct vsp_gpadl_ref *m = p;
	struct vmbus_gpadl *g = vmbus_server_gpadl(&v->vm->bus, m->gpadl);

	if (g && owned(v, c, g->relid))
		vmbus_server_gpadl_released(&v->vm->bus, m->gpadl);
}

void vsp_on_status_set(struct vsp_server *v, struct vsp_client *c,
		       const void *p)
{
	const struct vsp_status_set *m = p;
	struct vmbus_channel *ch = owned(v, c, m->relid);
	struct status_kv *kv = NULL, *free_kv = NULL;
	struct chan_host *h;
	unsigned int i;

	if (!ch || !vspc_status_key_ok(m->key))
		return;
	h = vsp_host_of(v, ch);
	for (i = 0; i < VSP_STATUS_PER_CHANNEL && !kv; i++) {
		if (h->kv[i].used && !strncmp(h->kv[i].key, m->key, VSP_KEY_LEN))
			kv = &h->kv[i];
		else if (!h->kv[i].used && !free_kv)
			free_kv = &h->kv[i];
	}
	if (!kv)
		kv = free_kv;
	if (!kv)
		return;		/* this channel's keys are all taken */
	kv->used = true;
	memcpy(kv->key, m->key, sizeof(kv->key));
	memcpy(kv->value, m->value, sizeof(kv->value));
	kv->value[sizeof(kv->value) - 1] = 0;
	kv->time_ms = vsp_now(v);
}

void vsp_on_inflight_get(struct vsp_server *v, struct vsp_client *c,
			 const void *p)
{
	const struct vsp_inflight_msg *m = p;
	struct vmbus_channel *ch = owned(v, c, m->relid);
	struct vsp_inflight_msg r;
	struct chan_host *h;

	vsp_hdr_init(&r, VSP_INFLIGHT, sizeof(r));
	r.relid = m->relid;
	if (!ch) {
		r.status = ENOENT;
		goto reply;
	}
	h = vsp_host_of(v, ch);
	if (h->inflight_fd < 0) {
		if (m->size == 0 || m->size > VSP_INFLIGHT_MAX ||
		    m->size % VSPC_PAGE_SIZE) {
			r.status = EINVAL;
			goto reply;
		}
		h->inflight_fd = memfd_create("enl-inflight", MFD_CLOEXEC);
		if (h->inflight_fd < 0 ||
		    ftruncate(h->inflight_fd, (off_t)m->size) < 0) {
			r.status = (uint32_t)errno;
			enl_err("relid %u: no in-flight region: %s", ch->relid,
				strerror(errno));
			if (h->inflight_fd >= 0)
				close(h->inflight_fd);
			h->inflight_fd = -1;
			goto reply;
		}
		h->inflight_size = m->size;
	}
	r.size = h->inflight_size;
	vsp_client_send(c, &r, sizeof(r), &h->inflight_fd, 1);
	return;
reply:
	vsp_client_send(c, &r, sizeof(r), NULL, 0);
}

/* ---- daemons leaving, withdrawing, deadlines --------------------------------- */

/* ch's daemon is done with it: finish what waited for that daemon. */
static void disown(struct vsp_server *v, struct vmbus_channel *ch)
{
	struct vmbus_server *s = &v->vm->bus;
	struct chan_host *h = vsp_host_of(v, ch);

	ch->owner = NULL;
	if (h->closes_pending)
		close_finished(v, ch);
	h->open_deferred = false;
	if (ch->state == CHAN_OPENING) {
		h->open_since = 0;
		call_fd_close(v, h);
		vmbus_server_open_done(s, ch, VMBUS_STATUS_UNSUCCESSFUL);
	}
}

void vsp_on_withdraw(struct vsp_server *v, struct vsp_client *c, const void *p)
{
	const struct vsp_relid *m = p;
	struct vmbus_server *s = &v->vm->bus;
	struct vmbus_channel *ch = vmbus_server_channel(s, m->relid);
	struct vsp_withdraw_result r;
	unsigned int i;

	vsp_hdr_init(&r, VSP_WITHDRAW_RESULT, sizeof(r));
	r.relid = m->relid;
	if (!ch)
		r.status = ENOENT;
	else if (ch->withdrawn)
		r.status = EALREADY;
	else if (ch->owner != c)
		r.status = EPERM;
	else if (!ch->sub_channel_index)
		r.status = EINVAL;	/* the device itself: not the daemon's to drop */
	if (r.status) {
		enl_err("%s: WITHDRAW of relid %u refused: %s", c->name,
			m->relid, strerror((int)r.status));
		vsp_client_send(c, &r, sizeof(r), NULL, 0);
		return;
	}
	/* GPADLs waiting for this daemon's release: it holds none now. */
	for (i = 0; i < VMBUS_MAX_GPADLS; i++) {
		struct vmbus_gpadl *g = &s->gpadl[i];

		if (g->used && g->state == GPADL_TEARING && g->relid == ch->relid)
			vmbus_server_gpadl_released(s, g->handle);
	}
	disown(v, ch);
	enl_log("%s withdraws relid %u (subchannel %u)", c->name, ch->relid,
		ch->sub_channel_index);
	vsp_client_send(c, &r, sizeof(r), NULL, 0);
	/* may free ch (the guest never had it) */
	vmbus_server_withdraw(s, m->relid);
}

void vsp_bus_client_gone(struct vsp_server *v, struct vsp_client *c)
{
	struct vmbus_server *s = &v->vm->bus;
	unsigned int i;

	/* Nobody is left to use these pages: let the guest have them. */
	for (i = 0; i < VMBUS_MAX_GPADLS; i++) {
		struct vmbus_gpadl *g = &s->gpadl[i];
		struct vmbus_channel *ch;

		if (!g->used || g->state != GPADL_TEARING)
			continue;
		ch = vmbus_server_channel(s, g->relid);
		if (!ch || !ch->owner || ch->owner == c)
			vmbus_server_gpadl_released(s, g->handle);
	}
	for (i = 0; i < VMBUS_MAX_CHANNELS; i++) {
		struct vmbus_channel *ch = &s->chan[i];

		if (ch->state == CHAN_FREE || ch->owner != c)
			continue;
		disown(v, ch);
		/* Never shown to the guest: nothing to keep it for. */
		if (ch->state == CHAN_PENDING)
			remove_offer(v, ch);
	}
}

void vsp_bus_check_deadlines(struct vsp_server *v)
{
	struct vmbus_server *s = &v->vm->bus;
	uint64_t now = vsp_now(v);
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
		    now - v->teardown_since[i] < VSP_RELEASE_TIMEOUT_MS)
			continue;
		ch = vmbus_server_channel(s, g->relid);
		c = ch ? ch->owner : NULL;
		if (c && !c->dead) {
			enl_err("VSP daemon %s did not release GPADL %#x of relid %u within %d s; disconnecting it",
				c->name, g->handle, g->relid,
				VSP_RELEASE_TIMEOUT_MS / 1000);
			vsp_client_kill(c);
			c->dead = true;
		}
	}
	for (i = 0; i < VMBUS_MAX_CHANNELS; i++) {
		struct vmbus_channel *ch = &s->chan[i];
		struct chan_host *h = &v->ch[i];
		struct vsp_client *c = ch->owner;

		if (ch->state == CHAN_FREE || !c || c->dead)
			continue;
		if (ch->state == CHAN_OPENING && h->open_since &&
		    now - h->open_since >= VSP_OPEN_TIMEOUT_MS) {
			enl_err("VSP daemon %s did not answer the open of relid %u within %d ms; the open fails",
				c->name, ch->relid, VSP_OPEN_TIMEOUT_MS);
			h->open_since = 0;
			/* In case it opens after all: stop it again (a
			 * deferred open was never sent: nothing to stop). */
			if (h->open_deferred)
				h->open_deferred = false;
			else
				send_close(v, ch);
			call_fd_close(v, h);
			vmbus_server_open_done(s, ch, VMBUS_STATUS_UNSUCCESSFUL);
		}
		if (h->close_since &&
		    now - h->close_since >= VSP_RELEASE_TIMEOUT_MS) {
			enl_err("VSP daemon %s did not close relid %u within %d s; disconnecting it",
				c->name, ch->relid, VSP_RELEASE_TIMEOUT_MS / 1000);
			c->dead = true;
		}
	}
}

void vsp_bus_fini(struct vsp_server *v)
{
	unsigned int i;

	for (i = 0; i < VMBUS_MAX_CHANNELS; i++) {
		struct chan_host *h = &v->ch[i];

		/* enl-host exits: close, no KVM calls on a VM going away. */
		if (h->call_fd >= 0)
			close(h->call_fd);
		if (h->kick_fd >= 0)
			close(h->kick_fd);
		if (h->inflight_fd >= 0)
			close(h->inflight_fd);
	}
}
