// SPDX-License-Identifier: GPL-2.0-only
/*
 * enl_vmbus: channel messages.  Posting (HvPostMessage with retries),
 * waiting for the host's answers, sorting what the host sends, and the
 * connection itself (version walk, offers, unload).
 *
 * Answers (VERSION_RESPONSE, OPENCHANNEL_RESULT, GPADL_CREATED/TORNDOWN,
 * MODIFYCHANNEL_RESPONSE, UNLOAD_RESPONSE) complete their waiter right in
 * the interrupt; offers, rescinds and ALLOFFERS_DELIVERED go in order to
 * one ordered workqueue, which may itself wait for answers.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/slab.h>
#include "enl_vmbus_priv.h"

u32 enl_vmbus_proto_version;
struct workqueue_struct *enl_vmbus_wq;
bool enl_vmbus_unloading;

static u32 enl_msg_conn_id = VMBUS_MESSAGE_CONNECTION_ID;
static LIST_HEAD(enl_waiters);
static DEFINE_SPINLOCK(enl_waiters_lock);
static DECLARE_COMPLETION(enl_alloffers);
static void *enl_int_page, *enl_mon_pages;

u32 enl_vmbus_version(void)
{
	return enl_vmbus_proto_version;
}
EXPORT_SYMBOL_GPL(enl_vmbus_version);

/*
 * HvPostMessage with the stock driver's patience: a host short of message
 * buffers (or, outside INITIATE_CONTACT, of the connection for a moment)
 * gets up to 200 tries with a growing pause.  -ENXIO: a contact on a
 * connection id the host does not have (an old host), not logged here;
 * the version walk decides.
 */
static int enl_post_conn(u32 conn_id, const void *msg, u32 len)
{
	struct vmbus_msg_hdr h;
	unsigned int tries;
	u64 st = 0;
	int ret = -EIO;

	if (len < sizeof(h))
		return -EINVAL;
	memcpy(&h, msg, sizeof(h));
	for (tries = 0; tries < 200; tries++) {
		st = enl_hv_post_message(conn_id, msg, len);
		ret = enl_vmbus_post_errno(h.msgtype, st);
		if (ret != -EAGAIN)
			break;
		usleep_range(100 + tries * 50, 200 + tries * 100);
	}
	if (ret == -ENXIO || !ret)
		return ret;
	pr_err("HvPostMessage of message %u to connection %u failed: status %#llx\n",
	       h.msgtype, conn_id, st);
	return -EIO;
}

int enl_post(const void *msg, u32 len)
{
	return enl_post_conn(READ_ONCE(enl_msg_conn_id), msg, len);
}

void enl_waiter_init(struct enl_msg_waiter *w, u32 type, u32 key)
{
	INIT_LIST_HEAD(&w->node);
	w->type = type;
	w->key = key;
	w->any_key = false;
	w->error = 0;
	w->len = 0;
	init_completion(&w->done);
}

void enl_waiter_add(struct enl_msg_waiter *w)
{
	unsigned long flags;

	spin_lock_irqsave(&enl_waiters_lock, flags);
	list_add_tail(&w->node, &enl_waiters);
	spin_unlock_irqrestore(&enl_waiters_lock, flags);
}

void enl_waiter_del(struct enl_msg_waiter *w)
{
	unsigned long flags;

	spin_lock_irqsave(&enl_waiters_lock, flags);
	list_del_init(&w->node);
	spin_unlock_irqrestore(&enl_waiters_lock, flags);
}

int enl_post_and_wait(const void *msg, u32 len, struct enl_msg_waiter *w,
		      unsigned long timeout)
{
	int ret;

	enl_waiter_add(w);
	ret = enl_post(msg, len);
	if (!ret && !wait_for_completion_timeout(&w->done, timeout))
		ret = -ETIMEDOUT;
	enl_waiter_del(w);
	if (!ret)
		ret = w->error;
	return ret;
}

/* Rescind: whoever waits for an answer about this channel gives up. */
void enl_waiters_abort_relid(u32 relid)
{
	struct enl_msg_waiter *w;
	unsigned long flags;

	spin_lock_irqsave(&enl_waiters_lock, flags);
	list_for_each_entry(w, &enl_waiters, node) {
		if ((w->type == CHANNELMSG_OPENCHANNEL_RESULT ||
		     w->type == CHANNELMSG_MODIFYCHANNEL_RESPONSE) &&
		    w->key == relid && !completion_done(&w->done)) {
			w->error = -ENODEV;
			complete(&w->done);
		}
	}
	spin_unlock_irqrestore(&enl_waiters_lock, flags);
}

/* Which waiter key an answer carries. */
static u32 enl_answer_key(u32 type, const u8 *buf)
{
	u32 key = 0;

	switch (type) {
	case CHANNELMSG_OPENCHANNEL_RESULT:
		memcpy(&key, buf + offsetof(struct vmbus_open_result, child_relid), 4);
		break;
	case CHANNELMSG_GPADL_CREATED:
		memcpy(&key, buf + offsetof(struct vmbus_gpadl_created, gpadl), 4);
		break;
	case CHANNELMSG_GPADL_TORNDOWN:
		memcpy(&key, buf + offsetof(struct vmbus_gpadl_torndown, gpadl), 4);
		break;
	case CHANNELMSG_MODIFYCHANNEL_RESPONSE:
		memcpy(&key, buf + offsetof(struct vmbus_modify_channel_response,
					    child_relid), 4);
		break;
	}
	return key;
}

static bool enl_complete_waiter(u32 type, const void *buf, u32 len)
{
	struct enl_msg_waiter *w;
	unsigned long flags;
	u32 key = enl_answer_key(type, buf);
	bool found = false;

	spin_lock_irqsave(&enl_waiters_lock, flags);
	list_for_each_entry(w, &enl_waiters, node) {
		if (w->type != type || completion_done(&w->done))
			continue;
		if (!w->any_key && w->key != key)
			continue;
		memset(w->msg, 0, sizeof(w->msg));
		memcpy(w->msg, buf, len);
		w->len = len;
		complete(&w->done);
		found = true;
		break;
	}
	spin_unlock_irqrestore(&enl_waiters_lock, flags);
	return found;
}

struct enl_queued_msg {
	struct work_struct work;
	u32 len;
	u8 buf[ENL_VMBUS_MSG_MAX];
};

static void enl_msg_work(struct work_struct *work)
{
	struct enl_queued_msg *q = container_of(work, struct enl_queued_msg, work);
	struct vmbus_offer_channel o;
	struct vmbus_relid_msg r;
	struct vmbus_msg_hdr h;

	memcpy(&h, q->buf, sizeof(h));
	switch (h.msgtype) {
	case CHANNELMSG_OFFERCHANNEL:
		memcpy(&o, q->buf, sizeof(o));
		enl_vmbus_handle_offer(&o);
		break;
	case CHANNELMSG_RESCIND_CHANNELOFFER:
		memcpy(&r, q->buf, sizeof(r));
		enl_vmbus_handle_rescind(r.child_relid);
		break;
	case CHANNELMSG_ALLOFFERS_DELIVERED:
		complete(&enl_alloffers);
		break;
	}
	kfree(q);
}

void enl_vmbus_on_message(const void *buf, u32 len)
{
	struct enl_queued_msg *q;
	int type = enl_vmbus_check_host_msg(buf, len);

	if (type < 0) {
		enl_ratelimited("dropped malformed channel message (%u bytes)\n", len);
		return;
	}
	switch (type) {
	case CHANNELMSG_OFFERCHANNEL:
	case CHANNELMSG_RESCIND_CHANNELOFFER:
	case CHANNELMSG_ALLOFFERS_DELIVERED:
		if (type == CHANNELMSG_RESCIND_CHANNELOFFER) {
			struct vmbus_relid_msg r;

			/* stop sends and waits on that channel at once */
			memcpy(&r, buf, sizeof(r));
			enl_waiters_abort_relid(r.child_relid);
			enl_vmbus_rescind_early(r.child_relid);
		}
		q = kmalloc(sizeof(*q), GFP_ATOMIC);
		if (!q) {
			enl_ratelimited("out of memory: dropped channel message %d\n",
					type);
			return;
		}
		memset(q->buf, 0, sizeof(q->buf));
		memcpy(q->buf, buf, len);
		q->len = len;
		INIT_WORK(&q->work, enl_msg_work);
		queue_work(enl_vmbus_wq, &q->work);
		return;
	default:
		if (!enl_complete_waiter(type, buf, len))
			enl_ratelimited("unexpected channel message %d\n", type);
	}
}

/* ---- connection -------------------------------------------------------- */

static int enl_try_version(u32 version)
{
	struct vmbus_initiate_contact m;
	struct vmbus_version_response r;
	struct enl_msg_waiter *w;
	int ret;

	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	enl_waiter_init(w, CHANNELMSG_VERSION_RESPONSE, 0);
	w->any_key = true;
	enl_vmbus_build_contact(&m, version, enl_hv_vp_index(0),
				virt_to_phys(enl_int_page),
				virt_to_phys(enl_mon_pages),
				virt_to_phys(enl_mon_pages) + PAGE_SIZE);
	enl_waiter_add(w);
	ret = enl_post_conn(enl_vmbus_contact_conn_id(version), &m, sizeof(m));
	if (!ret && !wait_for_completion_timeout(&w->done, 5 * HZ))
		ret = -ETIMEDOUT;
	enl_waiter_del(w);
	if (!ret) {
		memset(&r, 0, sizeof(r));
		memcpy(&r, w->msg, min_t(u32, w->len, sizeof(r)));
		if (!r.version_supported) {
			ret = -EPROTONOSUPPORT;
		} else {
			WRITE_ONCE(enl_msg_conn_id,
				   enl_vmbus_msg_conn_id(version, r.msg_conn_id));
			enl_vmbus_proto_version = version;
		}
	}
	kfree(w);
	return ret;
}

int enl_vmbus_connect(void)
{
	enum enl_vmbus_walk step = ENL_WALK_GIVE_UP;
	bool told_old = false;
	unsigned int i;
	u32 v;
	int ret = -EPROTONOSUPPORT;

	enl_int_page = (void *)get_zeroed_page(GFP_KERNEL);
	enl_mon_pages = (void *)__get_free_pages(GFP_KERNEL | __GFP_ZERO, 1);
	if (!enl_int_page || !enl_mon_pages) {
		ret = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < ENL_VMBUS_NR_VERSIONS; i++) {
		v = enl_vmbus_versions[i];
		ret = enl_try_version(v);
		step = enl_vmbus_walk_step(v, ret);
		if (step != ENL_WALK_OLDER)
			break;
		if (ret == -ENXIO && !told_old) {
			/* said once: every 5.x contact ends the same way */
			pr_info("host has no connection id %u (a host older than VMBus 5.0): stepping down\n",
				enl_vmbus_contact_conn_id(v));
			told_old = true;
		}
	}
	if (step != ENL_WALK_CONNECTED) {
		if (!ret || ret == -ENXIO)
			ret = -EPROTONOSUPPORT;
		pr_err("no VMBus version agreed with the host (%d)\n", ret);
		goto fail;
	}
	pr_info("VMBus version %u.%u\n", enl_vmbus_proto_version >> 16,
		enl_vmbus_proto_version & 0xffff);
	return 0;
fail:
	free_page((unsigned long)enl_int_page);
	free_pages((unsigned long)enl_mon_pages, 1);
	enl_int_page = NULL;
	enl_mon_pages = NULL;
	return ret;
}

int enl_vmbus_request_offers(void)
{
	struct vmbus_msg_hdr m = { .msgtype = CHANNELMSG_REQUESTOFFERS };
	int ret;

	reinit_completion(&enl_alloffers);
	ret = enl_post(&m, sizeof(m));
	if (ret)
		return ret;
	if (!wait_for_completion_timeout(&enl_alloffers, 30 * HZ)) {
		pr_warn("no ALLOFFERS_DELIVERED after 30 s: carrying on\n");
		return 0;
	}
	/* the offers queued before it have been handled as well */
	flush_workqueue(enl_vmbus_wq);
	return 0;
}

void enl_vmbus_disconnect(void)
{
	struct vmbus_msg_hdr m = { .msgtype = CHANNELMSG_UNLOAD };
	struct enl_msg_waiter *w;
	int ret = -ENOMEM;

	w = kzalloc(sizeof(*w), GFP_KERNEL);
	if (w) {
		enl_waiter_init(w, CHANNELMSG_UNLOAD_RESPONSE, 0);
		w->any_key = true;
		ret = enl_post_and_wait(&m, sizeof(m), w, 15 * HZ);
		kfree(w);
	}
	if (ret)
		pr_warn("UNLOAD not answered (%d)\n", ret);
	else
		pr_info("unloaded from the host\n");
	enl_vmbus_proto_version = 0;
	WRITE_ONCE(enl_msg_conn_id, VMBUS_MESSAGE_CONNECTION_ID);
	/* the host has let go of these pages with UNLOAD (or never used them) */
	free_page((unsigned long)enl_int_page);
	free_pages((unsigned long)enl_mon_pages, 1);
	enl_int_page = NULL;
	enl_mon_pages = NULL;
}
