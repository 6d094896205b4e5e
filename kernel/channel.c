// SPDX-License-Identifier: GPL-2.0-only
/*
 * enl_vmbus: channels.  GPADLs, open and close, sending and receiving
 * packets through the shared ring core (include/enl/ring.c), completion
 * ids, send-and-wait for init handshakes, target CPU changes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include "enl_vmbus_priv.h"

static atomic_t enl_next_gpadl = ATOMIC_INIT(0xe1000);

struct enl_vmbus_channel *enl_chan_alloc(const struct vmbus_offer_channel *o)
{
	struct enl_vmbus_channel *ch = kzalloc(sizeof(*ch), GFP_KERNEL);

	if (!ch)
		return NULL;
	ch->offer = *o;
	ch->relid = o->child_relid;
	ch->conn_id = o->connection_id;
	ch->subidx = o->sub_channel_index;
	INIT_LIST_HEAD(&ch->node);
	INIT_LIST_HEAD(&ch->sc_list);
	INIT_LIST_HEAD(&ch->sc_node);
	mutex_init(&ch->lock);
	spin_lock_init(&ch->out_lock);
	tasklet_setup(&ch->tasklet, enl_chan_tasklet);
	xa_init_flags(&ch->reqs, XA_FLAGS_ALLOC1 | XA_FLAGS_LOCK_IRQ);
	ch->state = ENL_CHAN_OFFERED;
	return ch;
}

void enl_chan_free(struct enl_vmbus_channel *ch)
{
	tasklet_kill(&ch->tasklet);
	xa_destroy(&ch->reqs);
	if (ch->kobj_added)
		enl_chan_sysfs_del(ch);	/* frees ch in the kobject release */
	else
		kfree(ch);
}

/* ---- GPADL --------------------------------------------------------------- */

struct enl_pfn_ctx {
	u8 *buf;
};

static u64 enl_buf_pfn(void *ctx, u32 i)
{
	struct enl_pfn_ctx *c = ctx;
	u8 *p = c->buf + (size_t)i * PAGE_SIZE;

	return is_vmalloc_addr(p) ? vmalloc_to_pfn(p) : PHYS_PFN(virt_to_phys(p));
}

static u32 enl_new_gpadl_handle(void)
{
	u32 h;

	do {
		h = (u32)atomic_inc_return(&enl_next_gpadl);
	} while (!h);
	return h;
}

int enl_vmbus_gpadl_create(struct enl_vmbus_channel *ch, void *buf, u32 size,
			   u32 *handle)
{
	struct enl_pfn_ctx pc = { .buf = buf };
	struct vmbus_gpadl_created r;
	struct enl_msg_waiter *w;
	u32 npages, n, i, h;
	u8 *msg;
	int len, ret;

	if (!size || (size & (PAGE_SIZE - 1)) || offset_in_page(buf) ||
	    size / PAGE_SIZE > ENL_GPADL_MAX_PAGES)
		return -EINVAL;
	if (READ_ONCE(ch->rescinded))
		return -ENODEV;
	npages = size / PAGE_SIZE;
	w = kzalloc(sizeof(*w), GFP_KERNEL);
	msg = kzalloc(ENL_VMBUS_MSG_MAX, GFP_KERNEL);
	if (!w || !msg) {
		ret = -ENOMEM;
		goto out;
	}
	h = enl_new_gpadl_handle();
	enl_waiter_init(w, CHANNELMSG_GPADL_CREATED, h);
	enl_waiter_add(w);
	n = enl_gpadl_msg_count(npages);
	ret = 0;
	for (i = 0; i < n && !ret; i++) {
		len = enl_gpadl_build_msg(msg, ch->relid, h, npages, enl_buf_pfn,
					  &pc, i);
		ret = len < 0 ? len : enl_post(msg, len);
	}
	if (!ret && !wait_for_completion_timeout(&w->done, ENL_MSG_TIMEOUT))
		ret = -ETIMEDOUT;
	enl_waiter_del(w);
	if (!ret) {
		memcpy(&r, w->msg, sizeof(r));
		if (r.creation_status || r.child_relid != ch->relid) {
			pr_warn("relid %u: GPADL %#x refused (status %#x)\n",
				ch->relid, h, r.creation_status);
			ret = -EIO;
		} else {
			*handle = h;
		}
	} else if (ret == -ETIMEDOUT) {
		pr_warn("relid %u: no GPADL_CREATED for %#x\n", ch->relid, h);
	}
out:
	kfree(msg);
	kfree(w);
	return ret;
}
EXPORT_SYMBOL_GPL(enl_vmbus_gpadl_create);

int enl_vmbus_gpadl_destroy(struct enl_vmbus_channel *ch, u32 handle)
{
	struct vmbus_gpadl_teardown m;
	struct enl_msg_waiter *w;
	int ret;

	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	memset(&m, 0, sizeof(m));
	m.hdr.msgtype = CHANNELMSG_GPADL_TEARDOWN;
	m.child_relid = ch->relid;
	m.gpadl = handle;
	enl_waiter_init(w, CHANNELMSG_GPADL_TORNDOWN, handle);
	ret = enl_post_and_wait(&m, sizeof(m), w, ENL_MSG_TIMEOUT);
	kfree(w);
	if (ret) {
		pr_warn("relid %u: GPADL %#x teardown not answered (%d): keeping its pages\n",
			ch->relid, handle, ret);
		return -ETIMEDOUT;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(enl_vmbus_gpadl_destroy);

/* ---- open / close -------------------------------------------------------- */

int enl_vmbus_open(struct enl_vmbus_channel *ch, u32 send_bytes,
		   u32 recv_bytes, const void *user_data, u32 ud_len,
		   enl_vmbus_chan_cb cb, void *ctx)
{
	struct vmbus_open_channel m;
	struct vmbus_open_result r;
	struct enl_msg_waiter *w = NULL;
	u8 *buf = NULL;
	u32 handle = 0;
	int ret;

	if (send_bytes < 2 * PAGE_SIZE || recv_bytes < 2 * PAGE_SIZE ||
	    (send_bytes | recv_bytes) & (PAGE_SIZE - 1) ||
	    send_bytes > ENL_RING_MAX_DATA || recv_bytes > ENL_RING_MAX_DATA ||
	    ud_len > VMBUS_OFFER_USER_DATA || !cb)
		return -EINVAL;

	mutex_lock(&ch->lock);
	if (ch->state != ENL_CHAN_OFFERED) {
		ret = -EBUSY;
		goto unlock;
	}
	if (ch->rescinded) {
		ret = -ENODEV;
		goto unlock;
	}
	ch->state = ENL_CHAN_OPENING;
	buf = vzalloc(send_bytes + recv_bytes);
	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!buf || !w) {
		ret = -ENOMEM;
		goto fail;
	}
	/* the guest's outbound ring first, then the inbound one */
	enl_ring_init(&ch->out, buf, buf + PAGE_SIZE, send_bytes - PAGE_SIZE);
	enl_ring_init(&ch->in, buf + send_bytes, buf + send_bytes + PAGE_SIZE,
		      recv_bytes - PAGE_SIZE);
	ch->out.hdr->feature_bits = ENL_RING_FEAT_PENDING_SEND_SZ;
	ch->in.hdr->feature_bits = ENL_RING_FEAT_PENDING_SEND_SZ;
	ch->ring_buf = buf;
	ch->send_bytes = send_bytes;
	ch->recv_bytes = recv_bytes;
	ch->failed = false;
	ch->cb = cb;
	ch->cb_ctx = ctx;

	ret = enl_vmbus_gpadl_create(ch, buf, send_bytes + recv_bytes, &handle);
	if (ret)
		goto fail;
	ch->ring_gpadl = handle;

	memset(&m, 0, sizeof(m));
	m.hdr.msgtype = CHANNELMSG_OPENCHANNEL;
	m.child_relid = ch->relid;
	m.openid = ch->relid;
	m.ring_gpadl = handle;
	m.target_vp = ch->target_vp;
	m.downstream_page_offset = send_bytes >> PAGE_SHIFT;
	if (ud_len)
		memcpy(m.user_data, user_data, ud_len);
	enl_waiter_init(w, CHANNELMSG_OPENCHANNEL_RESULT, ch->relid);
	/* interrupts may come as soon as the host has the open */
	WRITE_ONCE(ch->state, ENL_CHAN_OPEN);
	ret = enl_post_and_wait(&m, sizeof(m), w, ENL_MSG_TIMEOUT);
	if (!ret) {
		memcpy(&r, w->msg, sizeof(r));
		if (r.status) {
			pr_warn("relid %u: open refused (status %#x)\n",
				ch->relid, r.status);
			ret = -EIO;
		}
	}
	if (ret) {
		WRITE_ONCE(ch->state, ENL_CHAN_OPENING);
		tasklet_kill(&ch->tasklet);
		goto fail;
	}
	kfree(w);
	/* anything the host wrote before our result arrived */
	tasklet_schedule(&ch->tasklet);
	mutex_unlock(&ch->lock);
	return 0;

fail:
	if (handle && enl_vmbus_gpadl_destroy(ch, handle) == -ETIMEDOUT)
		buf = NULL;	/* the host may still use it: leak */
	vfree(buf);
	kfree(w);
	ch->ring_buf = NULL;
	ch->ring_gpadl = 0;
	ch->cb = NULL;
	ch->state = ENL_CHAN_OFFERED;
unlock:
	mutex_unlock(&ch->lock);
	/* rescind handled while we tried: nobody else gives its relid back */
	enl_sc_release(ch);
	return ret;
}
EXPORT_SYMBOL_GPL(enl_vmbus_open);

static void enl_chan_close_locked(struct enl_vmbus_channel *ch, bool talk)
{
	struct vmbus_relid_msg m;
	void *buf = ch->ring_buf;

	if (ch->state != ENL_CHAN_OPEN)
		return;
	WRITE_ONCE(ch->state, ENL_CHAN_CLOSING);
	/* no completion can come any more: wake whoever waits for one */
	enl_chan_abort_xacts(ch, -ENODEV);
	tasklet_kill(&ch->tasklet);
	if (talk) {
		memset(&m, 0, sizeof(m));
		m.hdr.msgtype = CHANNELMSG_CLOSECHANNEL;
		m.child_relid = ch->relid;
		enl_post(&m, sizeof(m));
		if (enl_vmbus_gpadl_destroy(ch, ch->ring_gpadl) == -ETIMEDOUT)
			buf = NULL;
	}
	vfree(buf);
	ch->ring_buf = NULL;
	ch->ring_gpadl = 0;
	ch->cb = NULL;
	ch->state = ENL_CHAN_OFFERED;
}

/*
 * Closing a primary closes its open subchannels first (the stock order);
 * the bound keeps a driver that keeps opening them from holding us here.
 */
static void enl_close_subchannels(struct enl_vmbus_channel *primary)
{
	struct enl_vmbus_channel *sc, *open;
	unsigned int n;

	for (n = 0; n <= VMBUS_MAX_RELID; n++) {
		open = NULL;
		mutex_lock(&enl_channels_lock);
		list_for_each_entry(sc, &primary->sc_list, sc_node) {
			if (READ_ONCE(sc->state) == ENL_CHAN_OPEN) {
				open = sc;
				break;
			}
		}
		mutex_unlock(&enl_channels_lock);
		/* subchannels are freed only with their primary: open stays */
		if (!open)
			break;
		enl_vmbus_close(open);
	}
}

void enl_vmbus_close(struct enl_vmbus_channel *ch)
{
	if (!ch->primary)
		enl_close_subchannels(ch);
	mutex_lock(&ch->lock);
	enl_chan_close_locked(ch, true);
	mutex_unlock(&ch->lock);
	/* a rescinded subchannel's relid goes back once it is closed */
	enl_sc_release(ch);
}
EXPORT_SYMBOL_GPL(enl_vmbus_close);

/* Unload: the host forgets everything with UNLOAD; just free. */
void enl_chan_force_close(struct enl_vmbus_channel *ch)
{
	mutex_lock(&ch->lock);
	enl_chan_close_locked(ch, false);
	mutex_unlock(&ch->lock);
}

/* ---- data ---------------------------------------------------------------- */

void enl_vmbus_chan_fail(struct enl_vmbus_channel *ch, const char *why)
{
	if (!xchg(&ch->failed, true))
		pr_err("relid %u: channel failed: %s\n", ch->relid, why);
	/* nothing is read from the ring any more: no completion will come */
	enl_chan_abort_xacts(ch, -EIO);
}
EXPORT_SYMBOL_GPL(enl_vmbus_chan_fail);

static int enl_send_iov(struct enl_vmbus_channel *ch, const struct enl_iov *iov,
			unsigned int niov)
{
	unsigned long flags;
	bool signal = false;
	int ret;

	spin_lock_irqsave(&ch->out_lock, flags);
	if (READ_ONCE(ch->state) != ENL_CHAN_OPEN || READ_ONCE(ch->rescinded))
		ret = -ENODEV;
	else if (READ_ONCE(ch->failed))
		ret = -EIO;
	else
		ret = enl_ring_write(&ch->out, iov, niov, &signal);
	spin_unlock_irqrestore(&ch->out_lock, flags);
	if (ret == -EPROTO) {
		enl_vmbus_chan_fail(ch, "outbound ring indices corrupt");
		return -EIO;
	}
	if (signal) {
		ch->events_out++;
		enl_hv_signal_event(ch->conn_id);
	}
	return ret;
}

int enl_vmbus_send(struct enl_vmbus_channel *ch, u16 type, u16 flags,
		   u64 trans_id, const void *data, u32 len)
{
	struct vmbus_pkt_desc d;
	struct enl_iov iov[2];

	if (len > VMBUS_PKT_MAX_LEN - sizeof(d))
		return -EMSGSIZE;
	d.type = type;
	d.offset8 = sizeof(d) / 8;
	d.len8 = (u16)(VMBUS_PKT_ALIGN(sizeof(d) + len) / 8);
	d.flags = flags;
	d.trans_id = trans_id;
	iov[0].base = &d;
	iov[0].len = sizeof(d);
	iov[1].base = data;
	iov[1].len = len;
	return enl_send_iov(ch, iov, len ? 2 : 1);
}
EXPORT_SYMBOL_GPL(enl_vmbus_send);

int enl_vmbus_send_gpa_direct(struct enl_vmbus_channel *ch, u64 trans_id,
			      const u64 *pfns, u32 npages, u32 byte_offset,
			      u32 byte_count, const void *data, u32 len)
{
	struct vmbus_pkt_gpa_direct h;
	struct vmbus_gpa_range r;
	struct enl_iov iov[4];
	u64 hdr_len;

	if (!npages || byte_offset >= PAGE_SIZE || !byte_count ||
	    (u64)byte_offset + byte_count > (u64)npages * PAGE_SIZE)
		return -EINVAL;
	hdr_len = sizeof(h) + sizeof(r) + (u64)npages * 8;
	if (hdr_len + len > VMBUS_PKT_MAX_LEN)
		return -EMSGSIZE;
	memset(&h, 0, sizeof(h));
	h.d.type = VMBUS_PKT_GPA_DIRECT;
	h.d.offset8 = (u16)(hdr_len / 8);
	h.d.len8 = (u16)(VMBUS_PKT_ALIGN(hdr_len + len) / 8);
	h.d.flags = VMBUS_PKT_FLAG_COMPLETION_REQUESTED;
	h.d.trans_id = trans_id;
	h.range_count = 1;
	r.byte_count = byte_count;
	r.byte_offset = byte_offset;
	iov[0].base = &h;
	iov[0].len = sizeof(h);
	iov[1].base = &r;
	iov[1].len = sizeof(r);
	iov[2].base = pfns;
	iov[2].len = npages * 8;
	iov[3].base = data;
	iov[3].len = len;
	return enl_send_iov(ch, iov, len ? 4 : 3);
}
EXPORT_SYMBOL_GPL(enl_vmbus_send_gpa_direct);

int enl_vmbus_send_gpa_ranges(struct enl_vmbus_channel *ch, u64 trans_id,
			      const void *ranges, u32 ranges_len,
			      u32 range_count, const void *data, u32 len)
{
	struct vmbus_pkt_gpa_direct h;
	struct enl_iov iov[3];
	u64 hdr_len;

	/* the ranges are the caller's, but their bytes must fill whole u64s */
	if (!range_count || ranges_len < range_count * 16 || ranges_len % 8)
		return -EINVAL;
	hdr_len = sizeof(h) + (u64)ranges_len;
	if (hdr_len + len > VMBUS_PKT_MAX_LEN)
		return -EMSGSIZE;
	memset(&h, 0, sizeof(h));
	h.d.type = VMBUS_PKT_GPA_DIRECT;
	h.d.offset8 = (u16)(hdr_len / 8);
	h.d.len8 = (u16)(VMBUS_PKT_ALIGN(hdr_len + len) / 8);
	h.d.flags = VMBUS_PKT_FLAG_COMPLETION_REQUESTED;
	h.d.trans_id = trans_id;
	h.range_count = range_count;
	iov[0].base = &h;
	iov[0].len = sizeof(h);
	iov[1].base = ranges;
	iov[1].len = ranges_len;
	iov[2].base = data;
	iov[2].len = len;
	return enl_send_iov(ch, iov, len ? 3 : 2);
}
EXPORT_SYMBOL_GPL(enl_vmbus_send_gpa_ranges);

int enl_vmbus_request_add(struct enl_vmbus_channel *ch, void *ctx, u64 *trans_id)
{
	u32 id;
	int ret;

	if (!ctx)
		return -EINVAL;
	ret = xa_alloc_cyclic_irq(&ch->reqs, &id, ctx, xa_limit_32b,
				  &ch->next_req, GFP_ATOMIC);
	if (ret < 0)
		return ret;
	*trans_id = id;
	return 0;
}
EXPORT_SYMBOL_GPL(enl_vmbus_request_add);

void *enl_vmbus_request_take(struct enl_vmbus_channel *ch, u64 trans_id)
{
	unsigned long flags, id = (unsigned long)trans_id;
	void *ctx = NULL;

	if (!trans_id || trans_id > U32_MAX)
		return NULL;
	xa_lock_irqsave(&ch->reqs, flags);
	/* an id of a waiting enl_vmbus_send_wait() is not the driver's */
	if (!xa_get_mark(&ch->reqs, id, ENL_XA_XACT))
		ctx = __xa_erase(&ch->reqs, id);
	xa_unlock_irqrestore(&ch->reqs, flags);
	return ctx;
}
EXPORT_SYMBOL_GPL(enl_vmbus_request_take);

/* ---- send and wait ------------------------------------------------------- */

/* One waiting enl_vmbus_send_wait(); lives on its caller's stack. */
struct enl_xact {
	struct completion done;
	void *resp;
	u32 resp_len;
	u32 got;
	int error;
};

/*
 * Hand a completion packet to the send_wait() it answers.  Under the
 * xarray's lock, so a waiter that gives up either still finds its entry
 * (nobody touched its buffer) or finds it gone (filled and completed).
 */
static bool enl_xact_complete(struct enl_vmbus_channel *ch, const void *pkt,
			      u32 len)
{
	struct vmbus_pkt_desc d;
	struct enl_xact *x = NULL;
	struct enl_pkt p;
	unsigned long flags;
	u32 n;

	if (len < sizeof(d))
		return false;
	memcpy(&d, pkt, sizeof(d));
	/* cheap test first: most packets are not completions */
	if (d.type != VMBUS_PKT_COMPLETION || !d.trans_id || d.trans_id > U32_MAX)
		return false;
	if (enl_pkt_parse(pkt, len, &p))
		return false;
	xa_lock_irqsave(&ch->reqs, flags);
	if (xa_get_mark(&ch->reqs, (unsigned long)p.trans_id, ENL_XA_XACT))
		x = __xa_erase(&ch->reqs, (unsigned long)p.trans_id);
	if (x) {
		n = min(p.payload_len, x->resp_len);
		if (n)
			memcpy(x->resp, p.payload, n);
		x->got = n;
		x->error = 0;
		complete(&x->done);
	}
	xa_unlock_irqrestore(&ch->reqs, flags);
	return x;
}

void enl_chan_abort_xacts(struct enl_vmbus_channel *ch, int error)
{
	struct enl_xact *x;
	unsigned long flags, id;

	xa_lock_irqsave(&ch->reqs, flags);
	xa_for_each_marked(&ch->reqs, id, x, ENL_XA_XACT) {
		__xa_erase(&ch->reqs, id);
		x->error = error;
		complete(&x->done);
	}
	xa_unlock_irqrestore(&ch->reqs, flags);
}

int enl_vmbus_send_wait(struct enl_vmbus_channel *ch, const void *req,
			u32 req_len, void *resp, u32 resp_len, u32 *resp_got,
			unsigned long timeout)
{
	unsigned long deadline = jiffies + timeout, flags;
	struct enl_xact x = { .resp = resp, .resp_len = resp_len };
	u32 id;
	int ret;

	might_sleep();
	if (resp_got)
		*resp_got = 0;
	if ((resp_len && !resp) || !timeout)
		return -EINVAL;
	init_completion(&x.done);
	/* allocated and marked in one go: no moment where it looks the driver's */
	xa_lock_irqsave(&ch->reqs, flags);
	ret = __xa_alloc_cyclic(&ch->reqs, &id, &x, xa_limit_32b, &ch->next_req,
				GFP_ATOMIC);
	if (ret >= 0)
		__xa_set_mark(&ch->reqs, id, ENL_XA_XACT);
	xa_unlock_irqrestore(&ch->reqs, flags);
	if (ret < 0)
		return ret;

	for (;;) {
		ret = enl_vmbus_send(ch, VMBUS_PKT_INBAND,
				     VMBUS_PKT_FLAG_COMPLETION_REQUESTED, id, req,
				     req_len);
		if (ret != -EAGAIN)
			break;
		/* ring full: the host is reading; init handshakes are rare */
		if (time_after(jiffies, deadline)) {
			ret = -ETIMEDOUT;
			break;
		}
		usleep_range(500, 1000);
	}
	if (!ret && !wait_for_completion_timeout(&x.done,
						 max_t(long, deadline - jiffies, 1)))
		ret = -ETIMEDOUT;

	xa_lock_irqsave(&ch->reqs, flags);
	if (__xa_erase(&ch->reqs, id) != &x) {
		/* completed (or aborted) meanwhile: that result counts */
		ret = x.error;
	} else if (!ret) {
		ret = -ETIMEDOUT;
	}
	xa_unlock_irqrestore(&ch->reqs, flags);
	if (!ret && resp_got)
		*resp_got = x.got;
	return ret;
}
EXPORT_SYMBOL_GPL(enl_vmbus_send_wait);

int enl_vmbus_recv(struct enl_vmbus_channel *ch, void *buf, u32 buf_len, u32 *len)
{
	int ret;

	for (;;) {
		*len = 0;
		if (READ_ONCE(ch->failed) || READ_ONCE(ch->state) != ENL_CHAN_OPEN)
			return -EIO;
		ret = enl_ring_read(&ch->in, buf, buf_len, len);
		if (ret == -EPROTO) {
			enl_vmbus_chan_fail(ch, "inbound ring corrupt");
			return -EIO;
		}
		/* completions of enl_vmbus_send_wait() never reach the driver */
		if (ret <= 0 || !enl_xact_complete(ch, buf, *len))
			return ret;
	}
}
EXPORT_SYMBOL_GPL(enl_vmbus_recv);

void enl_vmbus_recv_done(struct enl_vmbus_channel *ch)
{
	if (READ_ONCE(ch->state) != ENL_CHAN_OPEN)
		return;
	if (enl_ring_commit(&ch->in)) {
		ch->events_out++;
		enl_hv_signal_event(ch->conn_id);
	}
}
EXPORT_SYMBOL_GPL(enl_vmbus_recv_done);

void enl_chan_tasklet(struct tasklet_struct *t)
{
	struct enl_vmbus_channel *ch = from_tasklet(ch, t, tasklet);
	enl_vmbus_chan_cb cb = READ_ONCE(ch->cb);

	if (READ_ONCE(ch->state) != ENL_CHAN_OPEN || READ_ONCE(ch->failed) || !cb)
		return;
	if (READ_ONCE(ch->raw_cb)) {
		cb(ch, ch->cb_ctx);
		return;
	}
	/* no interrupts while we drain; then look once more */
	enl_ring_mask_interrupts(&ch->in);
	cb(ch, ch->cb_ctx);
	if (READ_ONCE(ch->failed))
		return;
	if (enl_ring_unmask_interrupts(&ch->in))
		tasklet_schedule(&ch->tasklet);
}

bool enl_vmbus_want_space(struct enl_vmbus_channel *ch, u32 bytes)
{
	unsigned long flags;
	bool ret = false;

	spin_lock_irqsave(&ch->out_lock, flags);
	if (READ_ONCE(ch->state) == ENL_CHAN_OPEN)
		ret = enl_ring_request_space(&ch->out, bytes);
	spin_unlock_irqrestore(&ch->out_lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(enl_vmbus_want_space);

void enl_vmbus_set_raw_callback(struct enl_vmbus_channel *ch, bool raw)
{
	WRITE_ONCE(ch->raw_cb, raw);
}
EXPORT_SYMBOL_GPL(enl_vmbus_set_raw_callback);

void enl_vmbus_rx_mask(struct enl_vmbus_channel *ch)
{
	if (READ_ONCE(ch->state) == ENL_CHAN_OPEN)
		enl_ring_mask_interrupts(&ch->in);
}
EXPORT_SYMBOL_GPL(enl_vmbus_rx_mask);

bool enl_vmbus_rx_unmask(struct enl_vmbus_channel *ch)
{
	if (READ_ONCE(ch->state) != ENL_CHAN_OPEN || READ_ONCE(ch->failed))
		return false;
	return enl_ring_unmask_interrupts(&ch->in);
}
EXPORT_SYMBOL_GPL(enl_vmbus_rx_unmask);

int enl_ring_avail(struct enl_vmbus_channel *ch, bool out, u32 *read_avail,
		   u32 *write_avail)
{
	struct enl_ring *r = out ? &ch->out : &ch->in;
	int f;

	if (READ_ONCE(ch->state) != ENL_CHAN_OPEN)
		return -ENODEV;
	f = enl_ring_free_bytes(r);
	if (f < 0)
		return f;
	*write_avail = (u32)f;
	*read_avail = r->size - (u32)f;
	return 0;
}

/* ---- target CPU ---------------------------------------------------------- */

int enl_vmbus_set_target_cpu(struct enl_vmbus_channel *ch, unsigned int cpu)
{
	struct vmbus_modify_channel m;
	struct vmbus_modify_channel_response r;
	struct enl_msg_waiter *w;
	int ret = 0;

	if (cpu >= nr_cpu_ids || !cpu_online(cpu))
		return -EINVAL;
	mutex_lock(&ch->lock);
	if (ch->state != ENL_CHAN_OPEN) {
		ch->target_cpu = cpu;
		ch->target_vp = enl_hv_vp_index(cpu);
		goto out;
	}
	if (enl_vmbus_proto_version < VMBUS_VERSION_WIN10_V4_1) {
		ret = -EOPNOTSUPP;
		goto out;
	}
	memset(&m, 0, sizeof(m));
	m.hdr.msgtype = CHANNELMSG_MODIFYCHANNEL;
	m.child_relid = ch->relid;
	m.target_vp = enl_hv_vp_index(cpu);
	if (enl_vmbus_proto_version < VMBUS_VERSION_WIN10_V5_3) {
		ret = enl_post(&m, sizeof(m));
	} else {
		w = kzalloc(sizeof(*w), GFP_KERNEL);
		if (!w) {
			ret = -ENOMEM;
			goto out;
		}
		enl_waiter_init(w, CHANNELMSG_MODIFYCHANNEL_RESPONSE, ch->relid);
		ret = enl_post_and_wait(&m, sizeof(m), w, ENL_MSG_TIMEOUT);
		if (!ret) {
			memcpy(&r, w->msg, sizeof(r));
			if (r.status)
				ret = -EIO;
		}
		kfree(w);
	}
	if (!ret) {
		ch->target_cpu = cpu;
		ch->target_vp = m.target_vp;
		pr_info("relid %u: now on CPU %u (VP %u)\n", ch->relid, cpu,
			ch->target_vp);
	} else {
		pr_warn("relid %u: cannot move to CPU %u (%d)\n", ch->relid, cpu, ret);
	}
out:
	mutex_unlock(&ch->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(enl_vmbus_set_target_cpu);

unsigned int enl_vmbus_target_cpu(struct enl_vmbus_channel *ch)
{
	return READ_ONCE(ch->target_cpu);
}
EXPORT_SYMBOL_GPL(enl_vmbus_target_cpu);

void enl_vmbus_set_subchannel_cb(struct enl_vmbus_channel *primary,
				 enl_vmbus_subchannel_cb cb)
{
	mutex_lock(&enl_channels_lock);
	primary->sc_cb = cb;
	mutex_unlock(&enl_channels_lock);
}
EXPORT_SYMBOL_GPL(enl_vmbus_set_subchannel_cb);

u16 enl_vmbus_subchannel_index(struct enl_vmbus_channel *ch)
{
	return ch->subidx;
}
EXPORT_SYMBOL_GPL(enl_vmbus_subchannel_index);

struct enl_vmbus_device *enl_vmbus_chan_device(struct enl_vmbus_channel *ch)
{
	return ch->device;
}
EXPORT_SYMBOL_GPL(enl_vmbus_chan_device);

u32 enl_vmbus_chan_relid(struct enl_vmbus_channel *ch)
{
	return ch->relid;
}
EXPORT_SYMBOL_GPL(enl_vmbus_chan_relid);

bool enl_vmbus_chan_rescinded(struct enl_vmbus_channel *ch)
{
	return READ_ONCE(ch->rescinded);
}
EXPORT_SYMBOL_GPL(enl_vmbus_chan_rescinded);

const u8 *enl_vmbus_offer_user_data(struct enl_vmbus_channel *ch)
{
	return ch->offer.user_defined;
}
EXPORT_SYMBOL_GPL(enl_vmbus_offer_user_data);
