// SPDX-License-Identifier: GPL-2.0-only
/*
 * enl_ic time sync: every message from the host carries its clock.  The
 * latest (host time, local raw monotonic time at receipt) pair feeds a
 * PTP clock named "hyperv", as the in-tree driver's, so chrony can follow
 * the host through /dev/ptpN; a SYNC message also sets the system clock
 * (from a work item: the message arrives in the channel's tasklet).
 *
 * Message 4.0 says when the host time was taken, in the partition
 * reference counter; older versions do not, and the time of receipt is
 * used.  A 4.0 sample older than ENL_TS_MAX_AGE is refused, as upstream.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/ptp_clock_kernel.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <linux/workqueue.h>
#include <asm/hyperv-tlfs.h>
#include <asm/msr.h>
#include "ic.h"

#define ENL_TS_MAX_AGE_NS	(600ull * NSEC_PER_SEC)

static const struct enl_ic_version enl_ts_versions[] = ENL_IC_TIMESYNC_VERSIONS;

struct enl_ts {
	spinlock_t lock;		/* host_ns, raw_ns */
	u64 host_ns;			/* host's Unix time in ns ... */
	u64 raw_ns;			/* ... at this local raw monotonic time */
	bool have_sample;
	struct work_struct sync_work;
	struct ptp_clock_info ptp_info;
	struct ptp_clock *ptp;
};

/* The host's clock now, extrapolated from the last sample. */
static int enl_ts_host_now(struct enl_ts *ts, struct timespec64 *out)
{
	unsigned long flags;
	u64 host, raw;
	bool have;

	spin_lock_irqsave(&ts->lock, flags);
	host = ts->host_ns;
	raw = ts->raw_ns;
	have = ts->have_sample;
	spin_unlock_irqrestore(&ts->lock, flags);
	if (!have)
		return -ENODATA;
	*out = ns_to_timespec64(host + (ktime_get_raw_ns() - raw));
	return 0;
}

static void enl_ts_sync_work(struct work_struct *work)
{
	struct enl_ts *ts = container_of(work, struct enl_ts, sync_work);
	struct timespec64 now;

	if (enl_ts_host_now(ts, &now))
		return;
	if (do_settimeofday64(&now))
		pr_warn_ratelimited("timesync: cannot set the clock\n");
}

static int enl_ts_handle(struct enl_ic_dev *ic, void *buf, u32 len,
			 const struct enl_icmsg_hdr *hdr, u64 trans_id)
{
	struct enl_ts *ts = ic->priv;
	unsigned long flags;
	u64 hosttime, ref, age = 0, host_ns;
	u8 tflags;
	int ret = enl_ic_answer_timesync(buf, len, &hosttime, &ref, &tflags);

	if (ret) {
		pr_warn_ratelimited("timesync: malformed request (%u bytes)\n", len);
		return ret;
	}
	if (hosttime < ENL_IC_TIME_UNIX_OFFSET) {
		pr_warn_ratelimited("timesync: host time before 1970 ignored\n");
		return 0;
	}
	host_ns = (hosttime - ENL_IC_TIME_UNIX_OFFSET) * 100;
	if (hdr->msgver.major >= 4) {
		u64 now_ref;

		/* the partition reference counter, 100 ns units */
		rdmsrl(HV_X64_MSR_TIME_REF_COUNT, now_ref);
		if (now_ref < ref || (now_ref - ref) * 100 > ENL_TS_MAX_AGE_NS) {
			pr_warn_ratelimited("timesync: stale sample ignored\n");
			return 0;
		}
		age = (now_ref - ref) * 100;
	}
	spin_lock_irqsave(&ts->lock, flags);
	ts->host_ns = host_ns + age;
	ts->raw_ns = ktime_get_raw_ns();
	ts->have_sample = true;
	spin_unlock_irqrestore(&ts->lock, flags);
	if (tflags & ENL_IC_TIMESYNC_SYNC)
		schedule_work(&ts->sync_work);
	return 0;
}

static int enl_ts_ptp_gettime(struct ptp_clock_info *info,
			      struct timespec64 *ts64)
{
	struct enl_ts *ts = container_of(info, struct enl_ts, ptp_info);

	return enl_ts_host_now(ts, ts64);
}

/* The host's clock cannot be steered from here. */
static int enl_ts_ptp_settime(struct ptp_clock_info *info,
			      const struct timespec64 *ts64)
{
	return -EOPNOTSUPP;
}

static int enl_ts_ptp_adjfine(struct ptp_clock_info *info, long delta)
{
	return -EOPNOTSUPP;
}

static int enl_ts_ptp_adjtime(struct ptp_clock_info *info, s64 delta)
{
	return -EOPNOTSUPP;
}

static int enl_ts_ptp_enable(struct ptp_clock_info *info,
			     struct ptp_clock_request *req, int on)
{
	return -EOPNOTSUPP;
}

static int enl_ts_init(struct enl_ic_dev *ic)
{
	struct enl_ts *ts = kzalloc(sizeof(*ts), GFP_KERNEL);

	if (!ts)
		return -ENOMEM;
	spin_lock_init(&ts->lock);
	INIT_WORK(&ts->sync_work, enl_ts_sync_work);
	ts->ptp_info = (struct ptp_clock_info){
		.owner = THIS_MODULE,
		.name = "hyperv",	/* as the in-tree driver's */
		.gettime64 = enl_ts_ptp_gettime,
		.settime64 = enl_ts_ptp_settime,
		.adjfine = enl_ts_ptp_adjfine,
		.adjtime = enl_ts_ptp_adjtime,
		.enable = enl_ts_ptp_enable,
	};
	ts->ptp = ptp_clock_register(&ts->ptp_info, &ic->vdev->dev);
	if (IS_ERR(ts->ptp)) {
		/* time sync still works without the PTP clock */
		pr_warn("timesync: no PTP clock (%ld)\n", PTR_ERR(ts->ptp));
		ts->ptp = NULL;
	}
	ic->priv = ts;
	return 0;
}

static void enl_ts_exit(struct enl_ic_dev *ic)
{
	struct enl_ts *ts = ic->priv;

	if (ts->ptp)
		ptp_clock_unregister(ts->ptp);
	cancel_work_sync(&ts->sync_work);
	kfree(ts);
	ic->priv = NULL;
}

const struct enl_ic_service enl_ic_timesync = {
	.name = "timesync",
	.class_id = ENL_GUID_TIMESYNC,
	.msgtype = ENL_IC_MSG_TIMESYNC,
	.versions = enl_ts_versions,
	.nversions = ARRAY_SIZE(enl_ts_versions),
	.handle = enl_ts_handle,
	.init = enl_ts_init,
	.exit = enl_ts_exit,
};
