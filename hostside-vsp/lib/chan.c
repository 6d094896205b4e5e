// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvsp: channels.  On CHANNEL_OPEN the ring GPADL is mapped and split
 * into the guest-to-host ring (we read it) and the host-to-guest ring (we
 * write it); the daemon's on_open then decides, and its answer goes back
 * to enl-host as OPEN_REPLY.  The ring indices live in guest memory and are never reset
 * here: a restarted daemon carries on where the last one stopped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <string.h>
#include <unistd.h>

#include <enl/hv_tlfs.h>

#include "vsp_internal.h"

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static bool loop_chan(const struct vsp_chan *ch)
{
	return !(ch->params.flags & VSP_CHAN_WORKER);
}

static void chan_stop(struct vsp_chan *ch);

struct vsp_chan *vsp_chan_new(struct vsp *v, const struct vsp_offer_params *p,
			      const struct vsp_chan_ops *ops, void *priv)
{
	struct vsp_chan *ch = calloc(1, sizeof(*ch));

	if (!ch)
		return NULL;
	ch->worker_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ch->worker_fd < 0) {
		free(ch);
		return NULL;
	}
	pthread_mutex_init(&ch->lock, NULL);
	ch->v = v;
	ch->ops = ops;
	ch->priv = priv;
	ch->primary = ch;
	ch->params = *p;
	ch->cookie = ++v->next_cookie;
	ch->kick_fd = -1;
	ch->call_fd = -1;
	ch->deferred_fds[0] = ch->deferred_fds[1] = -1;
	return ch;
}

void vsp_chan_free(struct vsp_chan *ch)
{
	vsp_worker_stop(ch);
	vsp_loop_del_chan(ch);
	close_fd(&ch->kick_fd);
	close_fd(&ch->call_fd);
	close_fd(&ch->deferred_fds[0]);
	close_fd(&ch->deferred_fds[1]);
	close_fd(&ch->worker_fd);
	vsp_inflight_unmap(ch);
	pthread_mutex_destroy(&ch->lock);
	free(ch);
}

/* Check the open against the GPADLs and map the rings: 0 or -errno. */
static int map_rings(struct vsp *v, struct vsp_chan *ch,
		     const struct vsp_channel_open *m)
{
	struct vsp_gpadl_map *g;
	u32 down, total;
	u8 *va;
	int err;

	g = vsp_gpadl_find(v->gpadls, m->relid, m->ring_gpadl);
	if (!g || g->received != g->total_pages) {
		vsp_err("relid %u: ring GPADL %u unknown or incomplete",
			m->relid, m->ring_gpadl);
		return -ENOENT;
	}
	total = g->total_pages;
	down = m->downstream_offset;
	/* Each ring: a header page and at least one data page (total is
	 * checked first: total - 2 must not wrap). */
	if (g->byte_offset != 0 || total < 4 || down < 2 || down > total - 2 ||
	    (m->ring_pages && m->ring_pages != total)) {
		vsp_err("relid %u: bad ring layout (%u pages, second ring at %u)",
			m->relid, total, down);
		return -EINVAL;
	}
	if (m->sief_gpa & (VSP_PAGE_SIZE - 1)) {
		vsp_err("relid %u: SIEF page %#llx not page aligned", m->relid,
			(unsigned long long)m->sief_gpa);
		return -EINVAL;
	}
	pthread_mutex_lock(&v->lock);
	err = vsp_gpadl_mmap(&v->ram, g);
	pthread_mutex_unlock(&v->lock);
	if (err) {
		vsp_err("relid %u: cannot map ring GPADL %u: %s", m->relid,
			m->ring_gpadl, strerror(-err));
		return err;
	}
	va = g->va;
	if (enl_ring_init(&ch->in, va, va + VSP_PAGE_SIZE,
			  (down - 1) * VSP_PAGE_SIZE) ||
	    enl_ring_init(&ch->out, va + (size_t)down * VSP_PAGE_SIZE,
			  va + (size_t)(down + 1) * VSP_PAGE_SIZE,
			  (total - down - 1) * VSP_PAGE_SIZE)) {
		vsp_err("relid %u: ring too large", m->relid);
		return -EINVAL;
	}
	ch->ring_gpadl = g;
	g->users++;
	return 0;
}

static void do_open(struct vsp *v, struct vsp_chan *ch,
		    const struct vsp_channel_open *m, int kick_fd, int call_fd)
{
	int err;

	err = map_rings(v, ch, m);
	if (err)
		goto refuse;
	fcntl(kick_fd, F_SETFL, fcntl(kick_fd, F_GETFL) | O_NONBLOCK);
	ch->kick_fd = kick_fd;
	ch->open_msg = *m;
	ch->rescinded = false;
	pthread_mutex_lock(&ch->lock);
	ch->call_fd = call_fd;
	ch->sief_gpa = m->sief_gpa;
	ch->warned_sief = false;
	ch->open_gen++;
	pthread_mutex_unlock(&ch->lock);
	kick_fd = call_fd = -1;
	if (ch->inf.base && (err = vsp_inflight_attach(ch)))
		vsp_err("relid %u: in-flight region not usable for this open (%s)",
			ch->relid, strerror(-err));
	/* We want to hear about every packet the guest writes. */
	ENL_WR_ONCE(ch->in.hdr->interrupt_mask, 0);
	ENL_MB();
	/* Sends from on_open must work: open before asking the daemon. */
	pthread_mutex_lock(&ch->lock);
	vsp_chan_set_state(ch, VSP_CS_OPEN);
	pthread_mutex_unlock(&ch->lock);
	err = ch->ops->on_open ? ch->ops->on_open(ch) : 0;
	if (err > 0 || err < -4095)
		err = -EIO;	/* not an errno: refuse all the same */
	if (err) {
		vsp_info("relid %u: open refused by the daemon: %s", ch->relid,
			 strerror(-err));
		goto unmap;
	}
	if (loop_chan(ch))
		err = vsp_loop_add_chan(ch);
	if (err) {
		vsp_err("relid %u: cannot serve the channel: %s", ch->relid,
			strerror(-err));
		vsp_chan_shutdown(ch);		/* on_open said yes: on_close */
		vsp_send_open_reply(v, m->relid, (u32)-err);
		return;
	}
	vsp_dbg("relid %u open: rings %u + %u bytes", m->relid, ch->in.size,
		ch->out.size);
	vsp_send_open_reply(v, m->relid, 0);
	if (!loop_chan(ch)) {
		err = vsp_worker_start(ch);
		if (err) {
			/* Too late to refuse: the guest sees a closed ring. */
			vsp_chan_fail(ch, "no worker thread");
			vsp_chan_reap(v);
		}
		return;
	}
	vsp_chan_first_kick(ch);
	return;
unmap:
	chan_stop(ch);
refuse:
	close_fd(&kick_fd);
	close_fd(&call_fd);
	vsp_send_open_reply(v, m->relid, (u32)-err);
}

void vsp_chan_handle_open(struct vsp *v, const struct vsp_channel_open *m,
			  int kick_fd, int call_fd)
{
	struct vsp_chan *ch = vsp_chan_by_relid(v, m->relid);

	if (!ch) {
		vsp_err("CHANNEL_OPEN for relid %u, not ours", m->relid);
		close_fd(&kick_fd);
		close_fd(&call_fd);
		vsp_send_open_reply(v, m->relid, ENXIO);
		return;
	}
	if (vsp_chan_state(ch) != VSP_CS_CLOSED) {
		/* enl-host reopened without a close (should not happen). */
		vsp_err("relid %u: opened again while open", m->relid);
		vsp_chan_shutdown(ch);
	}
	if (ch->inflight_asked && !ch->inflight_answered) {
		/* The region is on its way (INFLIGHT follows): requests a
		 * dead daemon left must be replayed before new packets. */
		ch->deferred_msg = *m;
		ch->deferred_fds[0] = kick_fd;
		ch->deferred_fds[1] = call_fd;
		pthread_mutex_lock(&ch->lock);
		vsp_chan_set_state(ch, VSP_CS_WAIT_REGION);
		pthread_mutex_unlock(&ch->lock);
		return;
	}
	do_open(v, ch, m, kick_fd, call_fd);
}

void vsp_chan_run_deferred_open(struct vsp_chan *ch)
{
	struct vsp_channel_open m = ch->deferred_msg;
	int kick_fd = ch->deferred_fds[0], call_fd = ch->deferred_fds[1];

	if (vsp_chan_state(ch) != VSP_CS_WAIT_REGION)
		return;
	pthread_mutex_lock(&ch->lock);
	vsp_chan_set_state(ch, VSP_CS_CLOSED);
	pthread_mutex_unlock(&ch->lock);
	ch->deferred_fds[0] = ch->deferred_fds[1] = -1;
	do_open(ch->v, ch, &m, kick_fd, call_fd);
}

void vsp_chan_first_kick(struct vsp_chan *ch)
{
	if (ch->inf.ready)
		vsp_inflight_replay(ch);
	if (vsp_chan_open_now(ch) && ch->ops->on_kick)
		ch->ops->on_kick(ch);
}

/* Everything but the callback: loop thread, worker stopped. */
static void chan_stop(struct vsp_chan *ch)
{
	pthread_mutex_lock(&ch->lock);
	vsp_chan_set_state(ch, VSP_CS_CLOSED);
	close_fd(&ch->call_fd);
	pthread_mutex_unlock(&ch->lock);
	__atomic_store_n(&ch->timer_due_ms, 0, __ATOMIC_RELAXED);
	vsp_loop_del_chan(ch);
	close_fd(&ch->kick_fd);
	if (ch->ring_gpadl)
		ch->ring_gpadl->users--;
	ch->ring_gpadl = NULL;
	vsp_inflight_detach(ch);
}

void vsp_chan_shutdown(struct vsp_chan *ch)
{
	enum vsp_chan_state s = vsp_chan_state(ch);

	if (s == VSP_CS_WAIT_REGION) {
		/* never reached the daemon */
		close_fd(&ch->deferred_fds[0]);
		close_fd(&ch->deferred_fds[1]);
		pthread_mutex_lock(&ch->lock);
		vsp_chan_set_state(ch, VSP_CS_CLOSED);
		pthread_mutex_unlock(&ch->lock);
		return;
	}
	vsp_worker_stop(ch);
	/* (a worker may have failed the channel meanwhile: read again) */
	s = vsp_chan_state(ch);
	if (s != VSP_CS_OPEN && s != VSP_CS_FAILED)
		return;
	chan_stop(ch);
	if (ch->ops->on_close)
		ch->ops->on_close(ch);
}

void vsp_chan_fail(struct vsp_chan *ch, const char *why)
{
	bool was_open;

	pthread_mutex_lock(&ch->lock);
	was_open = vsp_chan_open_now(ch);
	if (was_open)
		vsp_chan_set_state(ch, VSP_CS_FAILED);
	pthread_mutex_unlock(&ch->lock);
	if (!was_open)
		return;
	vsp_err("relid %u: %s; channel dropped until the guest reopens it",
		ch->relid, why);
	/* The loop does the rest (it may be another thread). */
	vsp_wake(ch->v);
}

void vsp_chan_reap(struct vsp *v)
{
	for (struct vsp_chan *ch = v->chans; ch; ch = ch->next)
		if (vsp_chan_state(ch) == VSP_CS_FAILED)
			vsp_chan_shutdown(ch);
}

u32 vsp_chan_relid(const struct vsp_chan *ch) { return ch->relid; }
u32 vsp_chan_connection_id(const struct vsp_chan *ch) { return ch->connection_id; }
void *vsp_chan_priv(const struct vsp_chan *ch) { return ch->priv; }
void vsp_chan_set_priv(struct vsp_chan *ch, void *priv) { ch->priv = priv; }
struct vsp *vsp_chan_vsp(const struct vsp_chan *ch) { return ch->v; }
bool vsp_chan_is_open(const struct vsp_chan *ch) { return vsp_chan_open_now(ch); }
bool vsp_chan_is_rescinded(const struct vsp_chan *ch) { return ch->rescinded; }
u16 vsp_chan_sub_index(const struct vsp_chan *ch) { return ch->params.sub_channel_index; }
struct vsp_chan *vsp_chan_primary(struct vsp_chan *ch) { return ch->primary; }

const struct vsp_channel_open *vsp_chan_open_info(const struct vsp_chan *ch)
{
	return vsp_chan_open_now(ch) ? &ch->open_msg : NULL;
}

/* Address of the 32-bit SIEF word holding bit relid, or 0 if it would not
 * be an address (sief_gpa is page aligned when it gets here; the check is
 * what keeps a wrapped sum from ever reaching vsp_gpa()). */
static u64 sief_word_gpa(u64 sief_gpa, u32 relid)
{
	u64 off = HV_VMBUS_SINT * HV_EVENT_FLAGS_BYTES + (u64)(relid / 32) * 4;

	if (sief_gpa & (VSP_PAGE_SIZE - 1) || sief_gpa > UINT64_MAX - off)
		return 0;
	return sief_gpa + off;
}

/* ch->lock held */
static int signal_locked(struct vsp_chan *ch)
{
	u64 one = 1, wgpa;
	u32 *word;

	if (!vsp_chan_open_now(ch))
		return -ENOTCONN;
	if (!ch->sief_gpa) {
		if (!ch->warned_sief)
			vsp_err("relid %u: guest has no SIEF page yet, cannot signal",
				ch->relid);
		ch->warned_sief = true;
		return -ENXIO;
	}
	/* bit relid of the SINT 2 event-flag bitmap, in 32-bit words */
	wgpa = sief_word_gpa(ch->sief_gpa, ch->relid);
	word = wgpa ? vsp_gpa(ch->v, wgpa, 4) : NULL;
	if (!word) {
		if (!ch->warned_sief)
			vsp_err("relid %u: SIEF page %#llx is not guest RAM",
				ch->relid, (unsigned long long)ch->sief_gpa);
		ch->warned_sief = true;
		return -EFAULT;
	}
	__atomic_fetch_or(word, 1u << (ch->relid % 32), __ATOMIC_SEQ_CST);
	if (write(ch->call_fd, &one, sizeof(one)) != sizeof(one))
		return -errno;
	return 0;
}

int vsp_chan_signal(struct vsp_chan *ch)
{
	int err;

	pthread_mutex_lock(&ch->lock);
	err = signal_locked(ch);
	pthread_mutex_unlock(&ch->lock);
	return err;
}

/* ch->lock held; unlocks */
static int after_write(struct vsp_chan *ch, int err, bool signal)
{
	if (!err && signal)
		signal_locked(ch);
	pthread_mutex_unlock(&ch->lock);
	if (err == -EPROTO)
		vsp_chan_fail(ch, "host-to-guest ring indices corrupt");
	return err;
}

int vsp_chan_sendv(struct vsp_chan *ch, u16 type, u16 flags, u64 trans_id,
		   const struct enl_iov *iov, unsigned int niov)
{
	bool signal = false;
	int err;

	pthread_mutex_lock(&ch->lock);
	if (!vsp_chan_open_now(ch)) {
		pthread_mutex_unlock(&ch->lock);
		return -ENOTCONN;
	}
	err = enl_ring_send(&ch->out, type, flags, trans_id, iov, niov, &signal);
	return after_write(ch, err, signal);
}

int vsp_chan_send(struct vsp_chan *ch, u16 type, u16 flags, u64 trans_id,
		  const void *buf, u32 len)
{
	struct enl_iov iov = { .base = buf, .len = len };

	return vsp_chan_sendv(ch, type, flags, trans_id, &iov, len ? 1 : 0);
}

int vsp_chan_send_raw(struct vsp_chan *ch, const struct enl_iov *iov,
		      unsigned int niov)
{
	bool signal = false;
	int err;

	pthread_mutex_lock(&ch->lock);
	if (!vsp_chan_open_now(ch)) {
		pthread_mutex_unlock(&ch->lock);
		return -ENOTCONN;
	}
	err = enl_ring_write(&ch->out, iov, niov, &signal);
	return after_write(ch, err, signal);
}

int vsp_chan_send_done(struct vsp_chan *ch, u64 token, u16 type, u16 flags,
		       u64 trans_id, const void *buf, u32 len)
{
	struct enl_iov iov = { .base = buf, .len = len };
	struct vsp_inflight_slot *s;
	bool signal = false;
	int err;

	pthread_mutex_lock(&ch->lock);
	if (!vsp_chan_open_now(ch)) {
		pthread_mutex_unlock(&ch->lock);
		return -ENOTCONN;
	}
	s = vsp_inflight_slot_of(ch, token);
	if (s) {
		s->wr_before = ENL_RD_ONCE(ch->out.hdr->write_index);
		__atomic_store_n(&s->state, VSP_SLOT_ANSWERING, __ATOMIC_RELEASE);
	}
	err = enl_ring_send(&ch->out, type, flags, trans_id, &iov, len ? 1 : 0,
			    &signal);
	if (s && !err)
		vsp_inflight_free_slot(ch, s, token);
	else if (s)
		/* not sent (ring full): still the daemon's to answer */
		__atomic_store_n(&s->state, VSP_SLOT_INFLIGHT, __ATOMIC_RELEASE);
	return after_write(ch, err, signal);
}

int vsp_chan_send_completion(struct vsp_chan *ch, u64 trans_id,
			     const void *buf, u32 len)
{
	return vsp_chan_send(ch, VMBUS_PKT_COMPLETION, 0, trans_id, buf, len);
}

int vsp_chan_recv(struct vsp_chan *ch, void *buf, u32 buf_len, u32 *len)
{
	int r;

	*len = 0;
	if (!vsp_chan_open_now(ch))
		return -ENOTCONN;
	r = enl_ring_read(&ch->in, buf, buf_len, len);
	if (r == -EPROTO) {
		vsp_chan_fail(ch, "guest-to-host ring corrupt");
		return r;
	}
	if (enl_ring_commit(&ch->in))
		vsp_chan_signal(ch);
	return r;
}

void vsp_chan_timer(struct vsp_chan *ch, unsigned int ms)
{
	u64 one = 1;

	__atomic_store_n(&ch->timer_due_ms, ms ? vsp_now_ms() + ms : 0,
			 __ATOMIC_RELAXED);
	/* A worker asleep in poll() must recompute its timeout (a wake-up
	 * of itself costs one spare round); the loop recomputes at every
	 * round (callers run on it or before it). */
	if (!loop_chan(ch) && write(ch->worker_fd, &one, sizeof(one)) < 0) {
		/* counter non-zero already: the worker wakes anyway */
	}
}

void *vsp_chan_gpadl(struct vsp_chan *ch, u32 gpadl, size_t *len)
{
	struct vsp *v = ch->v;
	struct vsp_gpadl_map *g;
	void *va = NULL;

	/* Workers call this: the list belongs to the loop thread. */
	pthread_mutex_lock(&v->lock);
	g = vsp_gpadl_find(v->gpadls, ch->relid, gpadl);
	if (g && !vsp_gpadl_mmap(&v->ram, g)) {
		*len = g->map_len;
		va = g->va;
	}
	pthread_mutex_unlock(&v->lock);
	return va;
}
