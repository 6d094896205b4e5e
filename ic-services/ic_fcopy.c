// SPDX-License-Identifier: GPL-2.0-only
/*
 * enl_ic file copy: the host's file-copy requests go to Debian's
 * hv_fcopy_daemon through /dev/vmbus/hv_fcopy with the upstream (6.1)
 * character-device ABI, on every kernel we build for (6.12's in-tree
 * driver dropped it):
 *
 *   daemon opens, writes an int version; for version 1 it reads back a
 *   u32 1;
 *   host request -> START with UTF-8 names, WRITE as it came, COMPLETE /
 *   CANCEL their header (include/enl/ic.c) -> read by the daemon, which
 *   writes one int: the status for the host.  One request at a time; a
 *   daemon silent for ENL_FCOPY_TIMEOUT, gone, or not there fails the
 *   request (E_FAIL).  The NEGOTIATE is answered without the daemon, as
 *   the stock driver does.
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

#define ENL_FCOPY_TIMEOUT	(30 * HZ)
#define ENL_FCOPY_OUT_MAX	sizeof(struct enl_ic_fcopy_write)

static const struct enl_ic_version enl_fc_versions[] = ENL_IC_FCOPY_VERSIONS;

enum enl_fc_state {
	ENL_FC_NO_DAEMON,
	ENL_FC_HANDSHAKE,	/* open; its version not written yet */
	ENL_FC_READY,
	ENL_FC_TO_DAEMON,	/* a request waits to be read */
	ENL_FC_AT_DAEMON,	/* read; its status waits to be written */
};

struct enl_fc {
	struct kref ref;		/* the device's, and an open file's */
	struct miscdevice misc;
	spinlock_t lock;		/* everything below */
	struct enl_ic_dev *ic;		/* NULL once the device is gone */
	enum enl_fc_state state;
	u8 *out;			/* message for the daemon */
	u32 out_len;			/* 0: nothing to read */
	u8 *req;			/* the host's request, answered in place */
	u32 req_len;
	u64 req_trans_id;
	bool req_pending;
	wait_queue_head_t wq;
	struct delayed_work timeout;
};

static struct enl_fc *enl_fc_the;	/* under enl_fc_mutex */
static DEFINE_MUTEX(enl_fc_mutex);

/* lock held */
static void enl_fc_answer(struct enl_fc *fc, u32 status)
{
	struct enl_icmsg_hdr hdr;

	if (!fc->req_pending || !fc->ic)
		return;
	memcpy(&hdr, fc->req + ENL_IC_HDR_OFF, sizeof(hdr));
	hdr.status = status;
	hdr.flags = ENL_IC_FLAG_TRANSACTION | ENL_IC_FLAG_RESPONSE;
	memcpy(fc->req + ENL_IC_HDR_OFF, &hdr, sizeof(hdr));
	enl_ic_answer(fc->ic, fc->req, fc->req_len, fc->req_trans_id);
	fc->req_pending = false;
	enl_ic_resume(fc->ic);
}

static void enl_fc_free(struct kref *ref)
{
	struct enl_fc *fc = container_of(ref, struct enl_fc, ref);

	kfree(fc->out);
	kfree(fc->req);
	kfree(fc);
}

static int enl_fc_handle(struct enl_ic_dev *ic, void *buf, u32 len,
			 const struct enl_icmsg_hdr *hdr, u64 trans_id)
{
	struct enl_fc *fc = ic->priv;
	int n;

	if (len > ic->buf_len)
		return -EPROTO;
	spin_lock_bh(&fc->lock);
	if (fc->req_pending) {
		spin_unlock_bh(&fc->lock);
		return -EBUSY;
	}
	memcpy(fc->req, buf, len);
	fc->req_len = len;
	fc->req_trans_id = trans_id;
	fc->req_pending = true;
	if (fc->state != ENL_FC_READY) {
		/* no daemon: the host learns at once */
		enl_fc_answer(fc, ENL_IC_STATUS_FAIL);
		spin_unlock_bh(&fc->lock);
		return ENL_IC_DEFER;
	}
	n = enl_ic_fcopy_to_daemon(fc->req + ENL_IC_BODY_OFF,
				   len - (u32)ENL_IC_BODY_OFF, fc->out,
				   ENL_FCOPY_OUT_MAX);
	if (n < 0) {
		pr_warn_ratelimited("fcopy: malformed request from the host\n");
		enl_fc_answer(fc, ENL_IC_STATUS_FAIL);
		spin_unlock_bh(&fc->lock);
		return ENL_IC_DEFER;
	}
	fc->out_len = (u32)n;
	fc->state = ENL_FC_TO_DAEMON;
	mod_delayed_work(system_wq, &fc->timeout, ENL_FCOPY_TIMEOUT);
	spin_unlock_bh(&fc->lock);
	wake_up_interruptible(&fc->wq);
	return ENL_IC_DEFER;
}

static void enl_fc_timeout(struct work_struct *work)
{
	struct enl_fc *fc = container_of(to_delayed_work(work), struct enl_fc,
					 timeout);

	spin_lock_bh(&fc->lock);
	if (fc->req_pending && (fc->state == ENL_FC_TO_DAEMON ||
				fc->state == ENL_FC_AT_DAEMON)) {
		pr_warn_ratelimited("fcopy: hv_fcopy_daemon did not answer in time\n");
		fc->out_len = 0;
		fc->state = ENL_FC_READY;
		enl_fc_answer(fc, ENL_IC_STATUS_FAIL);
	}
	spin_unlock_bh(&fc->lock);
}

static int enl_fc_open(struct inode *inode, struct file *f)
{
	struct enl_fc *fc;
	int ret = 0;

	mutex_lock(&enl_fc_mutex);
	fc = enl_fc_the;
	if (!fc) {
		ret = -ENODEV;
	} else {
		spin_lock_bh(&fc->lock);
		if (fc->state != ENL_FC_NO_DAEMON)
			ret = -EBUSY;
		else
			fc->state = ENL_FC_HANDSHAKE;
		spin_unlock_bh(&fc->lock);
	}
	if (!ret) {
		f->private_data = fc;
		kref_get(&fc->ref);
	}
	mutex_unlock(&enl_fc_mutex);
	return ret;
}

static int enl_fc_release(struct inode *inode, struct file *f)
{
	struct enl_fc *fc = f->private_data;

	spin_lock_bh(&fc->lock);
	fc->state = ENL_FC_NO_DAEMON;
	fc->out_len = 0;
	enl_fc_answer(fc, ENL_IC_STATUS_FAIL);
	spin_unlock_bh(&fc->lock);
	kref_put(&fc->ref, enl_fc_free);
	return 0;
}

static ssize_t enl_fc_read(struct file *f, char __user *ubuf, size_t count,
			   loff_t *ppos)
{
	struct enl_fc *fc = f->private_data;
	u8 *m;
	u32 len;
	int ret;

	m = kmalloc(ENL_FCOPY_OUT_MAX, GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	for (;;) {
		spin_lock_bh(&fc->lock);
		if (!fc->ic) {
			spin_unlock_bh(&fc->lock);
			kfree(m);
			return -ENODEV;
		}
		len = fc->out_len;
		if (len) {
			if (count < len) {
				spin_unlock_bh(&fc->lock);
				kfree(m);
				return -EINVAL;
			}
			memcpy(m, fc->out, len);
			fc->out_len = 0;
			if (fc->state == ENL_FC_TO_DAEMON)
				fc->state = ENL_FC_AT_DAEMON;
			spin_unlock_bh(&fc->lock);
			break;
		}
		spin_unlock_bh(&fc->lock);
		if (f->f_flags & O_NONBLOCK) {
			kfree(m);
			return -EAGAIN;
		}
		ret = wait_event_interruptible(fc->wq, READ_ONCE(fc->out_len) ||
					       !READ_ONCE(fc->ic));
		if (ret) {
			kfree(m);
			return ret;
		}
	}
	ret = copy_to_user(ubuf, m, len) ? -EFAULT : (int)len;
	kfree(m);
	return ret;
}

static ssize_t enl_fc_write(struct file *f, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	struct enl_fc *fc = f->private_data;
	int val;

	if (count != sizeof(val))
		return -EINVAL;
	if (copy_from_user(&val, ubuf, sizeof(val)))
		return -EFAULT;
	spin_lock_bh(&fc->lock);
	if (!fc->ic) {
		spin_unlock_bh(&fc->lock);
		return -ENODEV;
	}
	switch (fc->state) {
	case ENL_FC_HANDSHAKE:
		if (val != 0 && val != ENL_FCOPY_DAEMON_VERSION) {
			spin_unlock_bh(&fc->lock);
			return -EINVAL;
		}
		if (val) {
			/* version 1 daemons read ours back */
			u32 ours = ENL_FCOPY_DAEMON_VERSION;

			memcpy(fc->out, &ours, sizeof(ours));
			fc->out_len = sizeof(ours);
		}
		fc->state = ENL_FC_READY;
		pr_info_ratelimited("fcopy: hv_fcopy_daemon registered\n");
		break;
	case ENL_FC_AT_DAEMON:
		fc->state = ENL_FC_READY;
		cancel_delayed_work(&fc->timeout);
		enl_fc_answer(fc, (u32)val);
		break;
	default:
		break;	/* a status nobody waits for any more */
	}
	spin_unlock_bh(&fc->lock);
	wake_up_interruptible(&fc->wq);
	return count;
}

static __poll_t enl_fc_poll(struct file *f, poll_table *wait)
{
	struct enl_fc *fc = f->private_data;

	poll_wait(f, &fc->wq, wait);
	if (!READ_ONCE(fc->ic))
		return EPOLLERR | EPOLLHUP;
	return READ_ONCE(fc->out_len) ? EPOLLIN | EPOLLRDNORM : 0;
}

static const struct file_operations enl_fc_fops = {
	.owner = THIS_MODULE,
	.open = enl_fc_open,
	.release = enl_fc_release,
	.read = enl_fc_read,
	.write = enl_fc_write,
	.poll = enl_fc_poll,
	.llseek = noop_llseek,
};

static int enl_fc_init(struct enl_ic_dev *ic)
{
	struct enl_fc *fc;
	int ret;

	mutex_lock(&enl_fc_mutex);
	if (enl_fc_the) {
		mutex_unlock(&enl_fc_mutex);
		dev_warn(&ic->vdev->dev, "a second file-copy channel is not served\n");
		return -EBUSY;
	}
	fc = kzalloc(sizeof(*fc), GFP_KERNEL);
	if (fc) {
		fc->out = kzalloc(ENL_FCOPY_OUT_MAX, GFP_KERNEL);
		fc->req = kzalloc(ic->buf_len, GFP_KERNEL);
	}
	if (!fc || !fc->out || !fc->req) {
		ret = -ENOMEM;
		goto fail;
	}
	kref_init(&fc->ref);
	fc->ic = ic;
	spin_lock_init(&fc->lock);
	init_waitqueue_head(&fc->wq);
	INIT_DELAYED_WORK(&fc->timeout, enl_fc_timeout);
	fc->misc.minor = MISC_DYNAMIC_MINOR;
	fc->misc.name = "vmbus/hv_fcopy";	/* as upstream 6.1 */
	fc->misc.fops = &enl_fc_fops;
	ic->priv = fc;
	ret = misc_register(&fc->misc);
	if (ret)
		goto fail;
	enl_fc_the = fc;
	mutex_unlock(&enl_fc_mutex);
	return 0;
fail:
	ic->priv = NULL;
	if (fc) {
		kfree(fc->out);
		kfree(fc->req);
		kfree(fc);
	}
	mutex_unlock(&enl_fc_mutex);
	return ret;
}

static void enl_fc_exit(struct enl_ic_dev *ic)
{
	struct enl_fc *fc = ic->priv;

	mutex_lock(&enl_fc_mutex);
	enl_fc_the = NULL;
	mutex_unlock(&enl_fc_mutex);
	misc_deregister(&fc->misc);
	spin_lock_bh(&fc->lock);
	fc->ic = NULL;
	fc->req_pending = false;
	spin_unlock_bh(&fc->lock);
	cancel_delayed_work_sync(&fc->timeout);
	wake_up_interruptible(&fc->wq);
	ic->priv = NULL;
	kref_put(&fc->ref, enl_fc_free);
}

const struct enl_ic_service enl_ic_fcopy = {
	.name = "fcopy",
	.class_id = ENL_GUID_FCOPY,
	.msgtype = ENL_IC_MSG_FCOPY,
	.versions = enl_fc_versions,
	.nversions = ARRAY_SIZE(enl_fc_versions),
	.handle = enl_fc_handle,
	.init = enl_fc_init,
	.exit = enl_fc_exit,
};
