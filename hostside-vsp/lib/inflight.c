// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvsp: the in-flight region of a channel.  enl-host keeps a memfd per
 * channel across daemon restarts (VSP_INFLIGHT_GET); libvsp records in it
 * every packet a daemon takes off the guest-to-host ring with
 * vsp_chan_take() until vsp_chan_complete(), so that the next daemon can
 * finish what a dead one left (the idea of vhost-user's inflight fd, with
 * a layout of our own: lib/README.md "In-flight region").
 *
 * Crash consistency.  A daemon may die between any two stores; the order
 * of a take is:
 *   1. copy the packet into a free slot, with its seq (taken_seq + 1) and
 *      the ring read index before and after it;
 *   2. slot state = INFLIGHT (release);
 *   3. publish the ring's new read index (the guest may reuse the bytes);
 *   4. header taken_seq = seq (release).
 * Dying before 2 leaves a free slot and the packet in the ring; between 2
 * and 4 a slot whose seq is taken_seq + 1: the next daemon looks at the
 * ring's read index (only the daemon moves it) and publishes rd_after
 * itself if it still is rd_before, so the packet is neither lost nor
 * replayed twice.  Completion is one store (state = FREE); dying between
 * the daemon's answer to the guest and that store would replay a request
 * the guest has had its answer to, and whose buffers it may have reused:
 * a read replayed then writes into someone else's memory, a write puts
 * stale bytes on the disk.  So vsp_chan_send_done() marks the slot
 * ANSWERING with the host-to-guest ring's write index before it writes
 * the answer (under ch->lock, so nothing else writes that ring until the
 * slot is FREE again): the next daemon replays such a slot only if the
 * index has not moved, i.e. the answer never reached the guest (exactly
 * once).  vsp_chan_complete() after a plain send keeps at-least-once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vsp_internal.h"

ENL_SIZE_ASSERT(struct vsp_inflight_hdr, 64);
ENL_SIZE_ASSERT(struct vsp_inflight_slot, VSP_INFLIGHT_SLOT_HDR);

static u32 slot_size_for(u32 pkt_max)
{
	return (VSP_INFLIGHT_SLOT_HDR + pkt_max + 63u) & ~63u;
}

u64 vsp_inflight_size(const struct vsp_offer_params *p)
{
	u64 n;

	if (!p->inflight_slots)
		return 0;
	n = VSP_INFLIGHT_SLOTS_OFF +
	    (u64)p->inflight_slots * slot_size_for(p->inflight_pkt_max);
	return (n + VSP_PAGE_SIZE - 1) & ~(u64)(VSP_PAGE_SIZE - 1);
}

int vsp_inflight_check_params(const struct vsp_offer_params *p)
{
	if (!p->inflight_slots)
		return 0;
	if (p->inflight_slots > VSP_INFLIGHT_MAX_SLOTS ||
	    p->inflight_pkt_max < sizeof(struct vmbus_pkt_desc) ||
	    p->inflight_pkt_max > VSP_INFLIGHT_MAX_PKT ||
	    vsp_inflight_size(p) > VSP_INFLIGHT_MAX)
		return -EINVAL;
	return 0;
}

static struct vsp_inflight_hdr *hdr_of(struct vsp_inflight *inf)
{
	return (struct vsp_inflight_hdr *)inf->base;
}

static struct vsp_inflight_slot *slot_of(struct vsp_inflight *inf, u32 i)
{
	return (struct vsp_inflight_slot *)(inf->base + VSP_INFLIGHT_SLOTS_OFF +
					    (size_t)i * inf->slot_size);
}

int vsp_inflight_map(struct vsp_chan *ch, int fd, u64 size)
{
	struct vsp_inflight *inf = &ch->inf;
	u64 need = vsp_inflight_size(&ch->params);
	struct stat st;
	void *p;
	int err = 0;

	/* enl-host keeps an existing region's size: it may be larger than
	 * asked for, never smaller, and must be what the memfd holds. */
	if (size < need || size > VSP_INFLIGHT_MAX || size & (VSP_PAGE_SIZE - 1) ||
	    fstat(fd, &st) || (u64)st.st_size < size) {
		err = -EPROTO;
		goto out;
	}
	vsp_inflight_unmap(ch);
	inf->free = calloc(ch->params.inflight_slots, sizeof(u32));
	inf->replay = calloc(ch->params.inflight_slots, sizeof(u32));
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!inf->free || !inf->replay || p == MAP_FAILED) {
		err = p == MAP_FAILED ? -errno : -ENOMEM;
		if (p != MAP_FAILED)
			munmap(p, size);
		free(inf->free);
		free(inf->replay);
		inf->free = inf->replay = NULL;
		goto out;
	}
	inf->base = p;
	inf->size = size;
	inf->nslots = ch->params.inflight_slots;
	inf->pkt_max = ch->params.inflight_pkt_max;
	inf->slot_size = slot_size_for(inf->pkt_max);
out:
	close(fd);
	return err;
}

void vsp_inflight_unmap(struct vsp_chan *ch)
{
	struct vsp_inflight *inf = &ch->inf;

	if (inf->base)
		munmap(inf->base, inf->size);
	free(inf->free);
	free(inf->replay);
	memset(inf, 0, sizeof(*inf));
}

/* A fresh region: magic last, so a half-done setup is set up again. */
static void region_init(struct vsp_chan *ch)
{
	struct vsp_inflight *inf = &ch->inf;
	struct vsp_inflight_hdr *h = hdr_of(inf);

	__atomic_store_n(&h->magic, 0, __ATOMIC_RELEASE);
	memset(inf->base + sizeof(h->magic), 0, inf->size - sizeof(h->magic));
	h->version = VSP_INFLIGHT_VERSION;
	h->nslots = inf->nslots;
	h->slot_size = inf->slot_size;
	h->ring_size = ch->in.size;
	h->ring_gpadl = ch->ring_gpadl->id;
	h->ring_pfn0 = ch->ring_gpadl->pfn[0];
	__atomic_store_n(&h->magic, VSP_INFLIGHT_MAGIC, __ATOMIC_RELEASE);
}

static int cmp_seq(const void *a, const void *b, void *arg)
{
	struct vsp_inflight *inf = arg;
	u64 x = slot_of(inf, *(const u32 *)a)->seq;
	u64 y = slot_of(inf, *(const u32 *)b)->seq;

	return x < y ? -1 : x > y;
}

static bool ring_index_ok(const struct vsp_chan *ch, u32 idx)
{
	return idx < ch->in.size && !(idx & 7);
}

/*
 * One recorded slot: keep it (true) or free it.  *pending is set when it
 * is the take a dead daemon was in the middle of (seq == taken + 1).
 */
static bool slot_check(struct vsp_chan *ch, struct vsp_inflight_slot *s,
		       u64 taken, u32 i, bool *pending)
{
	struct vsp_inflight *inf = &ch->inf;
	u32 len = s->len, rb = s->rd_before, ra = s->rd_after, rd;
	u64 seq = s->seq;

	*pending = false;
	if (len < sizeof(struct vmbus_pkt_desc) || len > inf->pkt_max ||
	    len & 7 || !ring_index_ok(ch, rb) || !ring_index_ok(ch, ra) ||
	    rb == ra || seq == 0 || seq > taken + 1) {
		vsp_err("relid %u: in-flight slot %u is corrupt, dropped",
			ch->relid, i);
		return false;
	}
	if (seq <= taken)
		return true;
	/* (an ANSWERING slot was taken completely: seq <= taken) */
	/* Dead between the slot and the header: did it publish the read
	 * index?  Only the daemon moves it, so it is one or the other. */
	*pending = true;
	rd = ENL_LOAD_ACQUIRE(&ch->in.hdr->read_index);
	if (rd == rb) {
		ENL_STORE_RELEASE(&ch->in.hdr->read_index, ra);
		vsp_dbg("relid %u: finished an interrupted take (read index %u -> %u)",
			ch->relid, rb, ra);
		return true;
	}
	if (rd == ra)
		return true;
	vsp_err("relid %u: in-flight slot %u does not match the ring (read index %u, slot %u..%u), dropped",
		ch->relid, i, rd, rb, ra);
	return false;
}

int vsp_inflight_attach(struct vsp_chan *ch)
{
	struct vsp_inflight *inf = &ch->inf;
	struct vsp_inflight_hdr *h = hdr_of(inf);
	u64 taken, new_taken;
	u32 nfree = 0, nreplay = 0;
	bool seen_pending = false;

	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != VSP_INFLIGHT_MAGIC) {
		region_init(ch);	/* new, or zeroed by a guest close */
	} else if (h->version != VSP_INFLIGHT_VERSION ||
		   h->nslots != inf->nslots || h->slot_size != inf->slot_size ||
		   h->ring_size != ch->in.size) {
		vsp_err("relid %u: in-flight region of another layout (%u slots of %u, ring %u): its requests are lost",
			ch->relid, h->nslots, h->slot_size, h->ring_size);
		region_init(ch);
	} else if (h->ring_gpadl != ch->ring_gpadl->id ||
		   h->ring_pfn0 != ch->ring_gpadl->pfn[0]) {
		/* Another open of the guest's (enl-host zeroes the region
		 * when the guest closes; this does not rely on it): those
		 * requests died with it. */
		vsp_info("relid %u: in-flight region of an earlier open, reset",
			 ch->relid);
		region_init(ch);
	}
	taken = new_taken = __atomic_load_n(&h->taken_seq, __ATOMIC_ACQUIRE);
	for (u32 i = 0; i < inf->nslots; i++) {
		struct vsp_inflight_slot *s = slot_of(inf, i);
		u32 st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
		bool pending = false, keep = false;

		if (st == VSP_SLOT_ANSWERING) {
			u32 wr = ENL_LOAD_ACQUIRE(&ch->out.hdr->write_index);

			if (s->seq > taken) {
				vsp_err("relid %u: in-flight slot %u answered before its take ended, dropped",
					ch->relid, i);
			} else if (wr != s->wr_before) {
				/* the answer is in the ring: done */
				vsp_dbg("relid %u: in-flight slot %u was answered",
					ch->relid, i);
			} else {
				__atomic_store_n(&s->state, VSP_SLOT_INFLIGHT,
						 __ATOMIC_RELEASE);
				keep = slot_check(ch, s, taken, i, &pending);
			}
			if (!keep)
				__atomic_store_n(&s->state, VSP_SLOT_FREE,
						 __ATOMIC_RELEASE);
		} else if (st == VSP_SLOT_INFLIGHT)
			keep = slot_check(ch, s, taken, i, &pending);
		else if (st != VSP_SLOT_FREE)
			vsp_err("relid %u: in-flight slot %u in state %u, dropped",
				ch->relid, i, st);
		if (keep && pending && seen_pending) {
			vsp_err("relid %u: two interrupted takes in the in-flight region, slot %u dropped",
				ch->relid, i);
			keep = false;
		}
		if (keep && pending) {
			seen_pending = true;
			new_taken = s->seq;
		}
		if (keep) {
			inf->replay[nreplay++] = i;
		} else {
			if (st != VSP_SLOT_FREE)
				__atomic_store_n(&s->state, VSP_SLOT_FREE,
						 __ATOMIC_RELEASE);
			inf->free[nfree++] = i;
		}
	}
	if (new_taken != taken)
		__atomic_store_n(&h->taken_seq, new_taken, __ATOMIC_RELEASE);
	qsort_r(inf->replay, nreplay, sizeof(u32), cmp_seq, inf);
	pthread_mutex_lock(&ch->lock);
	inf->nfree = nfree;
	inf->nreplay = nreplay;
	inf->ready = true;
	pthread_mutex_unlock(&ch->lock);
	if (nreplay)
		vsp_info("relid %u: %u in-flight request(s) to finish", ch->relid,
			 nreplay);
	return 0;
}

static u64 token_of(const struct vsp_chan *ch, u32 slot)
{
	return (u64)ch->open_gen << 32 | (slot + 1);
}

void vsp_inflight_replay(struct vsp_chan *ch)
{
	struct vsp_inflight *inf = &ch->inf;
	u32 n = inf->nreplay;
	u64 gen;

	pthread_mutex_lock(&ch->lock);
	gen = ch->open_gen;
	pthread_mutex_unlock(&ch->lock);
	inf->nreplay = 0;
	for (u32 k = 0; k < n && vsp_chan_open_now(ch); k++) {
		struct vsp_inflight_slot *s = slot_of(inf, inf->replay[k]);
		u64 token = gen << 32 | (inf->replay[k] + 1);

		if (ch->ops->on_replay) {
			ch->ops->on_replay(ch, s->pkt, s->len, token);
		} else {
			vsp_err("relid %u: no on_replay: in-flight request dropped",
				ch->relid);
			vsp_chan_complete(ch, token);
		}
	}
}

void vsp_inflight_detach(struct vsp_chan *ch)
{
	pthread_mutex_lock(&ch->lock);
	ch->inf.ready = false;
	ch->inf.nreplay = 0;
	pthread_mutex_unlock(&ch->lock);
}

int vsp_chan_take(struct vsp_chan *ch, void *buf, u32 buf_len, u32 *len,
		  u64 *token)
{
	struct vsp_inflight *inf = &ch->inf;
	struct vsp_inflight_hdr *h;
	struct vsp_inflight_slot *s;
	u64 seq;
	u32 i;
	int r;

	*token = 0;
	*len = 0;
	if (!vsp_chan_open_now(ch))
		return -ENOTCONN;
	if (!inf->ready)
		return vsp_chan_recv(ch, buf, buf_len, len);
	pthread_mutex_lock(&ch->lock);
	if (!inf->nfree) {
		pthread_mutex_unlock(&ch->lock);
		return -EBUSY;
	}
	i = inf->free[--inf->nfree];
	pthread_mutex_unlock(&ch->lock);

	r = enl_ring_read(&ch->in, buf, buf_len, len);
	if (r == 1 && *len > inf->pkt_max) {
		/* Leave it in the ring: forget the private cursor. */
		ch->in.in_batch = false;
		r = -EMSGSIZE;
	}
	if (r != 1) {
		pthread_mutex_lock(&ch->lock);
		inf->free[inf->nfree++] = i;
		pthread_mutex_unlock(&ch->lock);
		if (r == -EPROTO)
			vsp_chan_fail(ch, "guest-to-host ring corrupt");
		else
			enl_ring_commit(&ch->in);	/* ends the batch */
		return r;
	}
	h = hdr_of(inf);
	s = slot_of(inf, i);
	seq = h->taken_seq + 1;		/* only this thread writes it */
	memcpy(s->pkt, buf, *len);
	s->len = *len;
	s->seq = seq;
	s->rd_before = ch->in.published;
	s->rd_after = ch->in.cursor;
	__atomic_store_n(&s->state, VSP_SLOT_INFLIGHT, __ATOMIC_RELEASE);
	if (enl_ring_commit(&ch->in))
		vsp_chan_signal(ch);
	__atomic_store_n(&h->taken_seq, seq, __ATOMIC_RELEASE);
	*token = token_of(ch, i);
	return 1;
}

struct vsp_inflight_slot *vsp_inflight_slot_of(struct vsp_chan *ch, u64 token)
{
	struct vsp_inflight *inf = &ch->inf;
	u32 i = (u32)token - 1;
	struct vsp_inflight_slot *s;

	if (!token || !inf->ready || token >> 32 != ch->open_gen || i >= inf->nslots)
		return NULL;
	s = slot_of(inf, i);
	if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != VSP_SLOT_INFLIGHT) {
		vsp_dbg("relid %u: in-flight token of slot %u completed twice",
			ch->relid, i);
		return NULL;
	}
	return s;
}

void vsp_inflight_free_slot(struct vsp_chan *ch, struct vsp_inflight_slot *s,
			    u64 token)
{
	if (ch->v->test_dead_at_release)
		return;
	__atomic_store_n(&s->state, VSP_SLOT_FREE, __ATOMIC_RELEASE);
	ch->inf.free[ch->inf.nfree++] = (u32)token - 1;
}

void vsp_chan_complete(struct vsp_chan *ch, u64 token)
{
	struct vsp_inflight_slot *s;

	pthread_mutex_lock(&ch->lock);
	s = vsp_inflight_slot_of(ch, token);
	if (s)
		vsp_inflight_free_slot(ch, s, token);
	pthread_mutex_unlock(&ch->lock);
}

unsigned int vsp_chan_inflight_count(struct vsp_chan *ch)
{
	unsigned int n;

	pthread_mutex_lock(&ch->lock);
	n = ch->inf.ready ? ch->inf.nslots - ch->inf.nfree : 0;
	pthread_mutex_unlock(&ch->lock);
	return n;
}
