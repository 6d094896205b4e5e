// SPDX-License-Identifier: GPL-2.0-only
/*
 * enl_ic heartbeat: the host sends a sequence number, the guest answers
 * with the number plus one (include/enl/ic.c does the packet work).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/printk.h>
#include "ic.h"

static const struct enl_ic_version enl_hb_versions[] = ENL_IC_HEARTBEAT_VERSIONS;

static int enl_hb_handle(struct enl_ic_dev *ic, void *buf, u32 len,
			 const struct enl_icmsg_hdr *hdr, u64 trans_id)
{
	int ret = enl_ic_answer_heartbeat(buf, len);

	if (ret)
		pr_warn_ratelimited("heartbeat: malformed request (%u bytes)\n", len);
	return ret;
}

const struct enl_ic_service enl_ic_heartbeat = {
	.name = "heartbeat",
	.class_id = ENL_GUID_HEARTBEAT,
	.msgtype = ENL_IC_MSG_HEARTBEAT,
	.versions = enl_hb_versions,
	.nversions = ARRAY_SIZE(enl_hb_versions),
	.handle = enl_hb_handle,
};
