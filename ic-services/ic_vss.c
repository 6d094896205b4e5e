// SPDX-License-Identifier: GPL-2.0-only
/*
 * enl_ic VSS (backup): the host's FREEZE, THAW and HOT_BACKUP go to
 * Debian's hv_vss_daemon through /dev/vmbus/hv_vss with the upstream
 * character-device ABI, so the unmodified daemon runs on enl_ic:
 *
 *   daemon opens, writes a 12-byte message with op REGISTER1 and reads
 *   back a u32, our version (129); a legacy daemon writes REGISTER and
 *   reads nothing;
 *   host request -> the 12-byte message with its op, read by the daemon,
 *   which freezes or thaws and writes the 12 bytes back, its status for
 *   the host (0 or E_FAIL) in the first four.
 *
 * The other operations (GET_DM_INFO, CREATE, ...) are answered here, as
 * the stock driver does.  One request at a time.  No daemon (or one that
 * has not registered) fails the request at once; a daemon silent for the
 * stock driver's timeouts (15 minutes for FREEZE: freezing waits for
 * dirty data to reach the disk; 30 s otherwise) or one that closes the
 * device fails it then.  The NEGOTIATE does not wait for the daemon.
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

#define ENL_VSS_FREEZE_TIMEOUT	(15 * 60 * HZ)
#define ENL_VSS_TIMEOUT		(30 * HZ)

static const struct enl_ic_version enl_vss_versions[] = ENL_IC_VSS_VERSIONS;

enum enl_vss_state {
	ENL_VSS_NO_DAEMON,
	ENL_VSS_HANDSHAKE,	/* open; not registered, or our version unread */
	ENL_VSS_READY,
	ENL_VSS_TO_DAEMON,	/* a request waits to be read */
	ENL_VSS_AT_DAEMON,	/* read; the answer waits to be written */
};

struct enl_vss {
	struct kref ref;		/* the device's, and an open file's */
	struct miscdevice misc;
	spinlock_t lock;		/* everything below */
	struct enl_ic_dev *ic;		/* NULL once the device is gone */
	enum enl_vss_state state;
	u8 out[sizeof(struct enl_ic_vss_msg)];	/* for the daemon to read */
	u32 out_len;			/* 0: nothing to read */
	u8 *req;			/* the host's request, answered in place */
	u32 req_len;
	u64 req_trans_id;
	bool req_pending;
	wait_queue_head_t wq;
	struct delayed_work timeout;
};

static struct enl_vss *enl_vss_the;	/* under enl_vss_mutex */
static DEFINE_MUTEX(enl_vss_mutex);

/* lock held */
static void enl_vss_reply(struct enl_vss *vs, u32 status, bool daemon_answered)
{
	if (!vs->req_pending || !vs->ic)
		return;
	enl_ic_vss_answer(vs->req, vs->req_len, status, daemon_answered);
	enl_ic_answer(vs->ic, vs->req, vs->req_len, vs->req_trans_id);
	vs->req_pending = false;
	enl_ic_resume(vs->ic);
}

static void enl_vss_free(struct kref *ref)
{
	struct enl_vss *vs = container_of(ref, struct enl_vss, ref);

	kfree(vs->req);
	kfree(vs);
}

static int enl_vss_handle(struct enl_ic_dev *ic, void *buf, u32 len,
			  const struct enl_icmsg_hdr *hdr, u64 trans_id)
{
	struct enl_vss *vs = ic->priv;
	struct enl_ic_vss_msg m;
	int verdict;
	u8 op;

	verdict = enl_ic_vss_parse_request(buf, len, &op);
	if (verdict < 0) {
		/* dropped, as the stock driver: the host times out */
		pr_warn_ratelimited("vss: malformed request (%u bytes)\n", len);
		return verdict;
	}
	if (verdict == ENL_IC_VSS_ANSWER)
		return 0;	/* answered in place */
	if (len > ic->buf_len)
		return -EPROTO;
	spin_lock_bh(&vs->lock);
	if (vs->req_pending) {
		spin_unlock_bh(&vs->lock);
		return -EBUSY;
	}
	memcpy(vs->req, buf, len);
	vs->req_len = len;
	vs->req_trans_id = trans_id;
	vs->req_pending = true;
	if (vs->state != ENL_VSS_READY) {
		/* no daemon: nothing can freeze; the host learns at once */
		pr_info_ratelimited("vss: %s refused: no hv_vss_daemon\n",
				    enl_ic_vss_op_name(op));
		enl_vss_reply(vs, ENL_IC_STATUS_FAIL, false);
		spin_unlock_bh(&vs->lock);
		return ENL_IC_DEFER;
	}
	enl_ic_build_vss(&m, op);
	memcpy(vs->out, &m, sizeof(m));
	vs->out_len = sizeof(m);
	vs->state = ENL_VSS_TO_DAEMON;
	mod_delayed_work(system_wq, &vs->timeout, op == ENL_IC_VSS_FREEZE ?
			 ENL_VSS_FREEZE_TIMEOUT : ENL_VSS_TIMEOUT);
	spin_unlock_bh(&vs->lock);
	wake_up_interruptible(&vs->wq);
	return ENL_IC_DEFER;
}

static void enl_vss_timeout(struct work_struct *work)
{
	struct enl_vss *vs = container_of(to_delayed_work(work), struct enl_vss,
					  timeout);

	spin_lock_bh(&vs->lock);
	if (vs->req_pending && (vs->state == ENL_VSS_TO_DAEMON ||
				vs->state == ENL_VSS_AT_DAEMON)) {
		pr_warn_ratelimited("vss: hv_vss_daemon did not answer in time\n");
		vs->out_len = 0;
		vs->state = ENL_VSS_READY;
		enl_vss_reply(vs, ENL_IC_STATUS_FAIL, false);
	}
	spin_unlock_bh(&vs->lock);
}

static int enl_vss_open(struct inode *inode, struct file *f)
{
	struct enl_vss *vs;
	int ret = 0;

	mutex_lock(&enl_vss_mutex);
	vs = enl_vss_the;
	if (!vs) {
		ret = -ENODEV;
	} else {
		spin_lock_bh(&vs->lock);
		if (vs->state != ENL_VSS_NO_DAEMON)
			ret = -EBUSY;	/* one daemon at a time */
		else
			vs->state = ENL_VSS_HANDSHAKE;
		spin_unlock_bh(&vs->lock);
	}
	if (!ret) {
		f->private_data = vs;
		kref_get(&vs->ref);
	}
	mutex_unlock(&enl_vss_mutex);
	return ret;
}

static int enl_vss_release(struct inode *inode, struct file *f)
{
	struct enl_vss *vs = f->private_data;

	spin_lock_bh(&vs->lock);
	vs->state = ENL_VSS_NO_DAEMON;
	vs->out_len = 0;
	/* the daemon is gone: nobody will answer what waits */
	enl_vss_reply(vs, ENL_IC_STATUS_FAIL, false);
	spin_unlock_bh(&vs->lock);
	kref_put(&vs->ref, enl_vss_free);
	return 0;
}

static ssize_t enl_vss_read(struct file *f, char __user *ubuf, size_t count,
			    loff_t *ppos)
{
	struct enl_vss *vs = f->private_data;
	u8 m[sizeof(vs->out)];
	u32 len;
	int ret;

	for (;;) {
		spin_lock_bh(&vs->lock);
		if (!vs->ic) {
			spin_unlock_bh(&vs->lock);
			return -ENODEV;
		}
		len = vs->out_len;
		if (len) {
			if (count < len) {
				spin_unlock_bh(&vs->lock);
				return -EINVAL;
			}
			memcpy(m, vs->out, len);
			vs->out_len = 0;
			if (vs->state == ENL_VSS_TO_DAEMON)
				vs->state = ENL_VSS_AT_DAEMON;
			else if (vs->state == ENL_VSS_HANDSHAKE)
				vs->state = ENL_VSS_READY;	/* it has our version */
			spin_unlock_bh(&vs->lock);
			break;
		}
		spin_unlock_bh(&vs->lock);
		if (f->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(vs->wq, READ_ONCE(vs->out_len) ||
					       !READ_ONCE(vs->ic));
		if (ret)
			return ret;
	}
	return copy_to_user(ubuf, m, len) ? -EFAULT : (ssize_t)len;
}

/*
 * lock held: the daemon's REGISTER or REGISTER1.  A REGISTER1 daemon is
 * ready once it has read our version (enl_vss_read): a request before
 * that would take the version's place.
 */
static int enl_vss_register(struct enl_vss *vs, const struct enl_ic_vss_msg *m)
{
	u32 ours = ENL_VSS_DAEMON_VERSION;

	switch (m->h.hdr.op) {
	case ENL_VSS_OP_REGISTER:
		vs->state = ENL_VSS_READY;	/* it reads no answer */
		break;
	case ENL_VSS_OP_REGISTER1:
		memcpy(vs->out, &ours, sizeof(ours));
		vs->out_len = sizeof(ours);
		vs->state = ENL_VSS_HANDSHAKE;
		break;
	default:
		return -EINVAL;
	}
	pr_info("vss: hv_vss_daemon registered (protocol %u)\n", m->h.hdr.op);
	return 0;
}

static ssize_t enl_vss_write(struct file *f, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	struct enl_vss *vs = f->private_data;
	struct enl_ic_vss_msg m;
	u32 status;
	int ret = 0;

	/* the daemon writes whole messages only, as upstream checks */
	if (count != sizeof(m))
		return -EINVAL;
	if (copy_from_user(&m, ubuf, sizeof(m)))
		return -EFAULT;
	spin_lock_bh(&vs->lock);
	if (!vs->ic) {
		spin_unlock_bh(&vs->lock);
		return -ENODEV;
	}
	switch (vs->state) {
	case ENL_VSS_HANDSHAKE:
	case ENL_VSS_READY:
		ret = enl_vss_register(vs, &m);
		break;
	case ENL_VSS_AT_DAEMON:
		enl_ic_vss_from_daemon(&m, sizeof(m), &status);
		vs->state = ENL_VSS_READY;
		cancel_delayed_work(&vs->timeout);
		enl_vss_reply(vs, status, true);
		break;
	default:
		/* an answer before the request was read */
		ret = -EINVAL;
		break;
	}
	spin_unlock_bh(&vs->lock);
	wake_up_interruptible(&vs->wq);
	return ret ? ret : (ssize_t)count;
}

static __poll_t enl_vss_poll(struct file *f, poll_table *wait)
{
	struct enl_vss *vs = f->private_data;

	poll_wait(f, &vs->wq, wait);
	if (!READ_ONCE(vs->ic))
		return EPOLLERR | EPOLLHUP;
	return READ_ONCE(vs->out_len) ? EPOLLIN | EPOLLRDNORM : 0;
}

static const struct file_operations enl_vss_fops = {
	.owner = THIS_MODULE,
	.open = enl_vss_open,
	.release = enl_vss_release,
	.read = enl_vss_read,
	.write = enl_vss_write,
	.poll = enl_vss_poll,
	.llseek = noop_llseek,
};

static int enl_vss_init(struct enl_ic_dev *ic)
{
	struct enl_vss *vs;
	int ret;

	mutex_lock(&enl_vss_mutex);
	if (enl_vss_the) {
		mutex_unlock(&enl_vss_mutex);
		dev_warn(&ic->vdev->dev, "a second VSS channel is not served\n");
		return -EBUSY;
	}
	vs = kzalloc(sizeof(*vs), GFP_KERNEL);
	if (vs)
		vs->req = kzalloc(ic->buf_len, GFP_KERNEL);
	if (!vs || !vs->req) {
		ret = -ENOMEM;
		goto fail;
	}
	kref_init(&vs->ref);
	vs->ic = ic;
	spin_lock_init(&vs->lock);
	init_waitqueue_head(&vs->wq);
	INIT_DELAYED_WORK(&vs->timeout, enl_vss_timeout);
	vs->misc.minor = MISC_DYNAMIC_MINOR;
	vs->misc.name = "vmbus/hv_vss";		/* as upstream */
	vs->misc.fops = &enl_vss_fops;
	ic->priv = vs;
	ret = misc_register(&vs->misc);
	if (ret)
		goto fail;
	enl_vss_the = vs;
	mutex_unlock(&enl_vss_mutex);
	return 0;
fail:
	ic->priv = NULL;
	if (vs)
		kfree(vs->req);
	kfree(vs);
	mutex_unlock(&enl_vss_mutex);
	return ret;
}

static void enl_vss_exit(struct enl_ic_dev *ic)
{
	struct enl_vss *vs = ic->priv;

	mutex_lock(&enl_vss_mutex);
	enl_vss_the = NULL;
	mutex_unlock(&enl_vss_mutex);
	misc_deregister(&vs->misc);
	spin_lock_bh(&vs->lock);
	vs->ic = NULL;
	vs->req_pending = false;
	spin_unlock_bh(&vs->lock);
	cancel_delayed_work_sync(&vs->timeout);
	wake_up_interruptible(&vs->wq);
	ic->priv = NULL;
	kref_put(&vs->ref, enl_vss_free);
}

const struct enl_ic_service enl_ic_vss = {
	.name = "vss",
	.class_id = ENL_GUID_VSS,
	.msgtype = ENL_IC_MSG_VSS,
	.versions = enl_vss_versions,
	.nversions = ARRAY_SIZE(enl_vss_versions),
	.handle = enl_vss_handle,
	.init = enl_vss_init,
	.exit = enl_vss_exit,
};
