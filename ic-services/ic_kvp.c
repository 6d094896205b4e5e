// SPDX-License-Identifier: GPL-2.0-only
/*
 * enl_ic KVP: the host's key-value requests go to Debian's hv_kvp_daemon
 * through /dev/vmbus/hv_kvp with the upstream character-device ABI
 * (struct enl_kvp_daemon_msg in include/enl/ic_msg.h), so the daemon runs
 * unmodified on our modules:
 *
 *   daemon opens, writes REGISTER1 -> we queue REGISTER1 + "3.1" for it
 *   to read; from then on the host's NEGOTIATE is answered (before, it
 *   waits in the ring, as with the stock driver);
 *   host request -> converted (UTF-16 -> UTF-8), read by the daemon, its
 *   answer written back -> converted and sent to the host; one at a time,
 *   the next packet is read only after the answer; a daemon silent for
 *   ENL_KVP_TIMEOUT, or gone, gets the host E_FAIL.
 *
 * IP-address operations are answered E_FAIL (no NIC support yet).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include "ic.h"

#define ENL_KVP_TIMEOUT		(30 * HZ)

static const struct enl_ic_version enl_kvp_versions[] = ENL_IC_KVP_VERSIONS;

/* Where the daemon is.  Transitions under lock. */
enum enl_kvp_state {
	ENL_KVP_NO_DAEMON,	/* the device is not open */
	ENL_KVP_HANDSHAKE,	/* open; REGISTER1 not written yet */
	ENL_KVP_READY,		/* registered, nothing asked */
	ENL_KVP_TO_DAEMON,	/* a request waits to be read */
	ENL_KVP_AT_DAEMON,	/* read; its answer waits to be written */
};

struct enl_kvp {
	struct kref ref;		/* the device's, and an open file's */
	struct miscdevice misc;
	spinlock_t lock;		/* everything below */
	struct enl_ic_dev *ic;		/* NULL once the device is gone */
	enum enl_kvp_state state;
	bool out_ready;			/* out holds a message to read */
	struct enl_kvp_daemon_msg *out;
	u8 *req;			/* the host's request, answered in place */
	u32 req_len;
	u64 req_trans_id;
	bool req_pending;		/* a host request waits for its answer */
	wait_queue_head_t wq;
	struct delayed_work timeout;
};

/* Only one enl_ic KVP device exists (the host offers one KVP channel);
 * the misc device finds it here.  Under enl_kvp_mutex.
 */
static struct enl_kvp *enl_kvp_the;
static DEFINE_MUTEX(enl_kvp_mutex);

/* Answer the host's pending request with status (and whatever the
 * daemon's answer put into req).  lock held.
 */
static void enl_kvp_answer(struct enl_kvp *k, u32 status)
{
	struct enl_icmsg_hdr hdr;

	if (!k->req_pending || !k->ic)
		return;
	memcpy(&hdr, k->req + ENL_IC_HDR_OFF, sizeof(hdr));
	hdr.status = status;
	hdr.flags = ENL_IC_FLAG_TRANSACTION | ENL_IC_FLAG_RESPONSE;
	memcpy(k->req + ENL_IC_HDR_OFF, &hdr, sizeof(hdr));
	enl_ic_answer(k->ic, k->req, k->req_len, k->req_trans_id);
	k->req_pending = false;
	enl_ic_resume(k->ic);
}

static bool enl_kvp_can_negotiate(struct enl_ic_dev *ic)
{
	struct enl_kvp *k = ic->priv;
	bool ok;

	spin_lock_bh(&k->lock);
	ok = k->state >= ENL_KVP_READY;
	spin_unlock_bh(&k->lock);
	return ok;
}

static int enl_kvp_handle(struct enl_ic_dev *ic, void *buf, u32 len,
			  const struct enl_icmsg_hdr *hdr, u64 trans_id)
{
	struct enl_kvp *k = ic->priv;
	u8 *p = buf;
	int ret;

	if (len > ic->buf_len)
		return -EPROTO;
	spin_lock_bh(&k->lock);
	if (k->req_pending) {
		/* the framework reads no packet while one waits */
		spin_unlock_bh(&k->lock);
		return -EBUSY;
	}
	memcpy(k->req, p, len);
	k->req_len = len;
	k->req_trans_id = trans_id;
	k->req_pending = true;
	if (k->state != ENL_KVP_READY) {
		/* the daemon left after the negotiation */
		enl_kvp_answer(k, ENL_IC_STATUS_FAIL);
		spin_unlock_bh(&k->lock);
		return ENL_IC_DEFER;
	}
	ret = enl_ic_kvp_to_daemon(k->req + ENL_IC_BODY_OFF,
				   len - (u32)ENL_IC_BODY_OFF, k->out);
	if (ret) {
		if (ret == -EPROTO)
			pr_warn_ratelimited("kvp: malformed request from the host\n");
		enl_kvp_answer(k, ENL_IC_STATUS_FAIL);
		spin_unlock_bh(&k->lock);
		return ENL_IC_DEFER;
	}
	k->state = ENL_KVP_TO_DAEMON;
	k->out_ready = true;
	mod_delayed_work(system_wq, &k->timeout, ENL_KVP_TIMEOUT);
	spin_unlock_bh(&k->lock);
	wake_up_interruptible(&k->wq);
	return ENL_IC_DEFER;
}

static void enl_kvp_free(struct kref *ref)
{
	struct enl_kvp *k = container_of(ref, struct enl_kvp, ref);

	kfree(k->out);
	kfree(k->req);
	kfree(k);
}

static void enl_kvp_timeout(struct work_struct *work)
{
	struct enl_kvp *k = container_of(to_delayed_work(work), struct enl_kvp,
					 timeout);

	spin_lock_bh(&k->lock);
	if (k->req_pending && (k->state == ENL_KVP_TO_DAEMON ||
			       k->state == ENL_KVP_AT_DAEMON)) {
		pr_warn_ratelimited("kvp: hv_kvp_daemon did not answer in time\n");
		k->out_ready = false;
		k->state = ENL_KVP_READY;
		enl_kvp_answer(k, ENL_IC_STATUS_FAIL);
	}
	spin_unlock_bh(&k->lock);
}

static int enl_kvp_open(struct inode *inode, struct file *f)
{
	struct enl_kvp *k;
	int ret = 0;

	mutex_lock(&enl_kvp_mutex);
	k = enl_kvp_the;
	if (!k) {
		ret = -ENODEV;
	} else {
		spin_lock_bh(&k->lock);
		if (k->state != ENL_KVP_NO_DAEMON)
			ret = -EBUSY;		/* one daemon at a time */
		else
			k->state = ENL_KVP_HANDSHAKE;
		spin_unlock_bh(&k->lock);
	}
	if (!ret) {
		f->private_data = k;
		kref_get(&k->ref);
	}
	mutex_unlock(&enl_kvp_mutex);
	return ret;
}

static int enl_kvp_release(struct inode *inode, struct file *f)
{
	struct enl_kvp *k = f->private_data;

	spin_lock_bh(&k->lock);
	k->state = ENL_KVP_NO_DAEMON;
	k->out_ready = false;
	/* what the daemon took with it fails */
	enl_kvp_answer(k, ENL_IC_STATUS_FAIL);
	spin_unlock_bh(&k->lock);
	kref_put(&k->ref, enl_kvp_free);
	return 0;
}

static ssize_t enl_kvp_read(struct file *f, char __user *ubuf, size_t count,
			    loff_t *ppos)
{
	struct enl_kvp *k = f->private_data;
	struct enl_kvp_daemon_msg *m;
	int ret;

	if (count < sizeof(*m))
		return -EINVAL;
	m = kmalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	for (;;) {
		spin_lock_bh(&k->lock);
		if (!k->ic) {
			spin_unlock_bh(&k->lock);
			kfree(m);
			return -ENODEV;		/* the device is gone */
		}
		if (k->out_ready) {
			memcpy(m, k->out, sizeof(*m));
			k->out_ready = false;
			if (k->state == ENL_KVP_TO_DAEMON)
				k->state = ENL_KVP_AT_DAEMON;
			spin_unlock_bh(&k->lock);
			break;
		}
		spin_unlock_bh(&k->lock);
		if (f->f_flags & O_NONBLOCK) {
			kfree(m);
			return -EAGAIN;
		}
		ret = wait_event_interruptible(k->wq, READ_ONCE(k->out_ready) ||
					       !READ_ONCE(k->ic));
		if (ret) {
			kfree(m);
			return ret;
		}
	}
	ret = copy_to_user(ubuf, m, sizeof(*m)) ? -EFAULT : sizeof(*m);
	kfree(m);
	return ret;
}

static ssize_t enl_kvp_write(struct file *f, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	struct enl_kvp *k = f->private_data;
	struct enl_kvp_daemon_msg *m;
	u32 status;

	if (count < sizeof(*m))
		return -EINVAL;
	m = memdup_user(ubuf, sizeof(*m));
	if (IS_ERR(m))
		return PTR_ERR(m);
	spin_lock_bh(&k->lock);
	if (!k->ic) {
		spin_unlock_bh(&k->lock);
		kfree(m);
		return -ENODEV;
	}
	switch (k->state) {
	case ENL_KVP_HANDSHAKE:
		if (m->h.hdr.op != ENL_KVP_OP_REGISTER1 &&
		    m->h.hdr.op != ENL_KVP_OP_REGISTER) {
			spin_unlock_bh(&k->lock);
			kfree(m);
			return -EINVAL;
		}
		memset(k->out, 0, sizeof(*k->out));
		k->out->h.hdr.op = m->h.hdr.op;
		memcpy(k->out->u.version, ENL_KVP_DAEMON_VERSION,
		       sizeof(ENL_KVP_DAEMON_VERSION));
		k->out_ready = true;
		k->state = ENL_KVP_READY;
		pr_info_ratelimited("kvp: hv_kvp_daemon registered\n");
		/* a NEGOTIATE may wait for this */
		enl_ic_resume(k->ic);
		break;
	case ENL_KVP_AT_DAEMON:
		status = enl_ic_kvp_from_daemon(k->req + ENL_IC_BODY_OFF,
						k->req_len - (u32)ENL_IC_BODY_OFF, m);
		k->state = ENL_KVP_READY;
		cancel_delayed_work(&k->timeout);
		enl_kvp_answer(k, status);
		break;
	default:
		/* an answer nobody waits for any more (timed out): dropped */
		break;
	}
	spin_unlock_bh(&k->lock);
	kfree(m);
	wake_up_interruptible(&k->wq);
	return count;
}

static __poll_t enl_kvp_poll(struct file *f, poll_table *wait)
{
	struct enl_kvp *k = f->private_data;

	poll_wait(f, &k->wq, wait);
	if (!READ_ONCE(k->ic))
		return EPOLLERR | EPOLLHUP;
	return READ_ONCE(k->out_ready) ? EPOLLIN | EPOLLRDNORM : 0;
}

static const struct file_operations enl_kvp_fops = {
	.owner = THIS_MODULE,
	.open = enl_kvp_open,
	.release = enl_kvp_release,
	.read = enl_kvp_read,
	.write = enl_kvp_write,
	.poll = enl_kvp_poll,
	.llseek = noop_llseek,
};

static int enl_kvp_init(struct enl_ic_dev *ic)
{
	struct enl_kvp *k;
	int ret;

	mutex_lock(&enl_kvp_mutex);
	if (enl_kvp_the) {
		mutex_unlock(&enl_kvp_mutex);
		dev_warn(&ic->vdev->dev, "a second KVP channel is not served\n");
		return -EBUSY;
	}
	k = kzalloc(sizeof(*k), GFP_KERNEL);
	if (k) {
		k->out = kzalloc(sizeof(*k->out), GFP_KERNEL);
		k->req = kzalloc(ic->buf_len, GFP_KERNEL);
	}
	if (!k || !k->out || !k->req) {
		ret = -ENOMEM;
		goto fail;
	}
	kref_init(&k->ref);
	k->ic = ic;
	spin_lock_init(&k->lock);
	init_waitqueue_head(&k->wq);
	INIT_DELAYED_WORK(&k->timeout, enl_kvp_timeout);
	k->misc.minor = MISC_DYNAMIC_MINOR;
	k->misc.name = "vmbus/hv_kvp";	/* /dev/vmbus/hv_kvp, as upstream */
	k->misc.fops = &enl_kvp_fops;
	ic->priv = k;
	ret = misc_register(&k->misc);
	if (ret)
		goto fail;
	enl_kvp_the = k;
	mutex_unlock(&enl_kvp_mutex);
	return 0;
fail:
	ic->priv = NULL;
	if (k) {
		kfree(k->out);
		kfree(k->req);
		kfree(k);
	}
	mutex_unlock(&enl_kvp_mutex);
	return ret;
}

static void enl_kvp_exit(struct enl_ic_dev *ic)
{
	struct enl_kvp *k = ic->priv;

	mutex_lock(&enl_kvp_mutex);
	enl_kvp_the = NULL;
	mutex_unlock(&enl_kvp_mutex);
	misc_deregister(&k->misc);
	/* The channel is closed: an open daemon's file keeps k (its
	 * reference) but reaches the channel no more, and its reads fail.
	 */
	spin_lock_bh(&k->lock);
	k->ic = NULL;
	k->req_pending = false;
	spin_unlock_bh(&k->lock);
	cancel_delayed_work_sync(&k->timeout);
	wake_up_interruptible(&k->wq);
	ic->priv = NULL;
	kref_put(&k->ref, enl_kvp_free);
}

const struct enl_ic_service enl_ic_kvp = {
	.name = "kvp",
	.class_id = ENL_GUID_KVP,
	.msgtype = ENL_IC_MSG_KVP,
	.versions = enl_kvp_versions,
	.nversions = ARRAY_SIZE(enl_kvp_versions),
	.handle = enl_kvp_handle,
	.can_negotiate = enl_kvp_can_negotiate,
	.init = enl_kvp_init,
	.exit = enl_kvp_exit,
};
