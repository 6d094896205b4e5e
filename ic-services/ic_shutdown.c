// SPDX-License-Identifier: GPL-2.0-only
/*
 * enl_ic shutdown: the host asks for a power-off or a reboot.  The answer
 * (OK, or FAIL for hibernation, which we do not offer) goes back first;
 * the orderly power-off / reboot runs afterwards from a work item, since
 * the request arrives in the channel's tasklet.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/printk.h>
#include <linux/reboot.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include "ic.h"

static const struct enl_ic_version enl_sd_versions[] = ENL_IC_SHUTDOWN_VERSIONS;

struct enl_sd {
	struct work_struct work;
	bool reboot;
};

static void enl_sd_work(struct work_struct *work)
{
	struct enl_sd *sd = container_of(work, struct enl_sd, work);

	if (sd->reboot)
		orderly_reboot();
	else
		orderly_poweroff(true);
}

static int enl_sd_handle(struct enl_ic_dev *ic, void *buf, u32 len,
			 const struct enl_icmsg_hdr *hdr, u64 trans_id)
{
	struct enl_sd *sd = ic->priv;
	int action = enl_ic_answer_shutdown(buf, len);

	if (action == -EPROTO) {
		pr_warn_ratelimited("shutdown: malformed request (%u bytes)\n", len);
		return action;
	}
	if (action < 0) {
		pr_info("shutdown: the host asked for hibernation, refused\n");
		return 0;	/* the FAIL answer goes back */
	}
	sd->reboot = action == ENL_IC_SHUTDOWN_REBOOT ||
		     action == ENL_IC_SHUTDOWN_REBOOT_FORCE;
	pr_info("shutdown: the host asks for a %s\n",
		sd->reboot ? "reboot" : "power-off");
	schedule_work(&sd->work);
	return 0;
}

static int enl_sd_init(struct enl_ic_dev *ic)
{
	struct enl_sd *sd = kzalloc(sizeof(*sd), GFP_KERNEL);

	if (!sd)
		return -ENOMEM;
	INIT_WORK(&sd->work, enl_sd_work);
	ic->priv = sd;
	return 0;
}

static void enl_sd_exit(struct enl_ic_dev *ic)
{
	struct enl_sd *sd = ic->priv;

	cancel_work_sync(&sd->work);
	kfree(sd);
	ic->priv = NULL;
}

const struct enl_ic_service enl_ic_shutdown = {
	.name = "shutdown",
	.class_id = ENL_GUID_SHUTDOWN,
	.msgtype = ENL_IC_MSG_SHUTDOWN,
	.versions = enl_sd_versions,
	.nversions = ARRAY_SIZE(enl_sd_versions),
	.handle = enl_sd_handle,
	.init = enl_sd_init,
	.exit = enl_sd_exit,
};
