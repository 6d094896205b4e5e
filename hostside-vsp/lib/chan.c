// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvsp: channels.  On CHANNEL_OPEN the ring GPADL is mapped and split
 * into the guest-to-host ring (we read it) and the host-to-guest ring (we
 * write it).  The ring indices live in guest memory and are never reset
 * here: a restarted daemon carries on where the last one stopped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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

void vsp_chan_handle_open(struct vsp *v, const struct vsp_channel_open *m,
			  int kick_fd, int call_fd)
{
	struct vsp_chan *ch = vsp_chan_by_relid(v, m->relid);
	struct vsp_gpadl_map *g;
	u8 *va;
	u32 down, total;
	int err;

	if (!ch) {
		vsp_err("CHANNEL_OPEN for relid %u, not ours", m->relid);
		goto fail;
	}
	if (ch->open) {
		/* enl-host reopened without a close (should not happen). */
		vsp_err("relid %u: opened again while open", m->relid);
		vsp_chan_shutdown(ch);
	}
	g = vsp_gpadl_find(v->gpadls, m->relid, m->ring_gpadl);
	if (!g || g->received != g->total_pages) {
		vsp_err("relid %u: ring GPADL %u unknown or incomplete",
			m->relid, m->ring_gpadl);
		goto fail;
	}
	total = g->total_pages;
	down = m->downstream_offset;
	/* Each ring: a header page and at least one data page. */
	if (g->byte_offset != 0 || down < 2 || down > total - 2 ||
	    (m->ring_pages && m->ring_pages != total)) {
		vsp_err("relid %u: bad ring layout (%u pages, second ring at %u)",
			m->relid, total, down);
		goto fail;
	}
	if (m->sief_gpa & (VSP_PAGE_SIZE - 1)) {
		vsp_err("relid %u: SIEF page %#llx not page aligned", m->relid,
			(unsigned long long)m->sief_gpa);
		goto fail;
	}
	err = vsp_gpadl_mmap(&v->ram, g);
	if (err) {
		vsp_err("relid %u: cannot map ring GPADL %u: %s", m->relid,
			m->ring_gpadl, strerror(-err));
		goto fail;
	}
	va = g->va;
	if (enl_ring_init(&ch->in, va, va + VSP_PAGE_SIZE,
			  (down - 1) * VSP_PAGE_SIZE) ||
	    enl_ring_init(&ch->out, va + (size_t)down * VSP_PAGE_SIZE,
			  va + (size_t)(down + 1) * VSP_PAGE_SIZE,
			  (total - down - 1) * VSP_PAGE_SIZE)) {
		vsp_err("relid %u: ring too large", m->relid);
		goto fail;
	}
	fcntl(kick_fd, F_SETFL, fcntl(kick_fd, F_GETFL) | O_NONBLOCK);
	ch->kick_fd = kick_fd;
	ch->call_fd = call_fd;
	ch->sief_gpa = m->sief_gpa;
	ch->warned_sief = false;
	ch->open_msg = *m;
	ch->ring_gpadl = g;
	g->users++;
	ch->open = true;
	ch->close_pending = false;
	ch->rescinded = false;
	/* We want to hear about every packet the guest writes. */
	ENL_WR_ONCE(ch->in.hdr->interrupt_mask, 0);
	ENL_MB();
	vsp_dbg("relid %u open: rings %u + %u bytes", m->relid, ch->in.size,
		ch->out.size);
	if (ch->ops->on_open)
		ch->ops->on_open(ch);
	if (ch->open && ch->ops->on_kick)
		ch->ops->on_kick(ch);
	return;
fail:
	close_fd(&kick_fd);
	close_fd(&call_fd);
}

static void chan_stop(struct vsp_chan *ch)
{
	ch->open = false;
	ch->timer_due_ms = 0;
	close_fd(&ch->kick_fd);
	close_fd(&ch->call_fd);
	if (ch->ring_gpadl)
		ch->ring_gpadl->users--;
	ch->ring_gpadl = NULL;
}

void vsp_chan_shutdown(struct vsp_chan *ch)
{
	if (ch->close_pending) {
		ch->close_pending = false;
		if (ch->ops->on_close)
			ch->ops->on_close(ch);
		return;
	}
	if (!ch->open)
		return;
	chan_stop(ch);
	if (ch->ops->on_close)
		ch->ops->on_close(ch);
}

void vsp_chan_fail(struct vsp_chan *ch, const char *why)
{
	if (!ch->open)
		return;
	vsp_err("relid %u: %s; channel dropped until the guest reopens it",
		ch->relid, why);
	chan_stop(ch);
	ch->close_pending = true;
}

void vsp_chan_reap(struct vsp *v)
{
	for (struct vsp_chan *ch = v->chans; ch; ch = ch->next)
		if (ch->close_pending)
			vsp_chan_shutdown(ch);
}

u32 vsp_chan_relid(const struct vsp_chan *ch) { return ch->relid; }
u32 vsp_chan_connection_id(const struct vsp_chan *ch) { return ch->connection_id; }
void *vsp_chan_priv(const struct vsp_chan *ch) { return ch->priv; }
struct vsp *vsp_chan_vsp(const struct vsp_chan *ch) { return ch->v; }
bool vsp_chan_is_open(const struct vsp_chan *ch) { return ch->open; }
bool vsp_chan_is_rescinded(const struct vsp_chan *ch) { return ch->rescinded; }

const struct vsp_channel_open *vsp_chan_open_info(const struct vsp_chan *ch)
{
	return ch->open ? &ch->open_msg : NULL;
}

int vsp_chan_signal(struct vsp_chan *ch)
{
	u64 one = 1;
	u32 *word;

	if (!ch->open)
		return -ENOTCONN;
	if (!ch->sief_gpa) {
		if (!ch->warned_sief)
			vsp_err("relid %u: guest has no SIEF page yet, cannot signal",
				ch->relid);
		ch->warned_sief = true;
		return -ENXIO;
	}
	/* bit relid of the SINT 2 event-flag bitmap, in 32-bit words */
	word = vsp_gpa(ch->v, ch->sief_gpa + HV_VMBUS_SINT * HV_EVENT_FLAGS_BYTES +
		       (ch->relid / 32) * 4, 4);
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

static int after_write(struct vsp_chan *ch, int err, bool signal)
{
	if (err == -EPROTO)
		vsp_chan_fail(ch, "host-to-guest ring indices corrupt");
	if (err)
		return err;
	if (signal)
		vsp_chan_signal(ch);
	return 0;
}

int vsp_chan_sendv(struct vsp_chan *ch, u16 type, u16 flags, u64 trans_id,
		   const struct enl_iov *iov, unsigned int niov)
{
	bool signal;
	int err;

	if (!ch->open)
		return -ENOTCONN;
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
	bool signal;
	int err;

	if (!ch->open)
		return -ENOTCONN;
	err = enl_ring_write(&ch->out, iov, niov, &signal);
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
	if (!ch->open)
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
	ch->timer_due_ms = ms ? vsp_now_ms() + ms : 0;
}

void *vsp_chan_gpadl(struct vsp_chan *ch, u32 gpadl, size_t *len)
{
	struct vsp_gpadl_map *g = vsp_gpadl_find(ch->v->gpadls, ch->relid, gpadl);

	if (!g || vsp_gpadl_mmap(&ch->v->ram, g))
		return NULL;
	*len = g->map_len;
	return g->va;
}
