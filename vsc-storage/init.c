// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VSTOR handshake, all on the primary channel and one step at a time:
 * BEGIN_INIT, QUERY_PROTOCOL_VERSION newest first until the host accepts
 * one, QUERY_PROPERTIES, END_INIT; then, if the host offers more
 * channels, CREATE_SUB_CHANNELS.  Each step is an inband packet that asks
 * for a completion; enl_vmbus_send_wait() matches the answer by its
 * transaction id, so a late or stray answer cannot be taken for another
 * step's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/string.h>
#include "enl_storvsc.h"

/* What we speak, newest first: the versions the stock 6.1/6.12 drivers offer. */
static const u16 enl_storvsc_versions[] = {
	ENL_VSTOR_VER_WIN10,
	ENL_VSTOR_VER_WIN8_1,
	ENL_VSTOR_VER_WIN8,
};

/*
 * One step: send req, take the answer into resp.  The host must answer
 * with a whole COMPLETE_IO packet; anything shorter or of another
 * operation is a protocol error, not a refusal.  Returns 0 with
 * resp->status left for the caller, or a negative errno.
 */
static int enl_storvsc_step(struct enl_storvsc *h, struct enl_vstor_packet *req,
			    struct enl_vstor_packet *resp, unsigned long timeout)
{
	u32 got = 0;
	int ret;

	req->flags = ENL_VSTOR_FLAG_REQUEST_COMPLETION;
	memset(resp, 0, sizeof(*resp));
	ret = enl_vmbus_send_wait(h->chans[0]->ch, req, sizeof(*req), resp,
				  sizeof(*resp), &got, timeout);
	if (ret) {
		dev_err(&h->vdev->dev, "VSTOR operation %u: no answer (%d)\n",
			req->operation, ret);
		return ret;
	}
	if (got < sizeof(*resp) || resp->operation != ENL_VSTOR_OP_COMPLETE_IO) {
		dev_err(&h->vdev->dev,
			"VSTOR operation %u: bad answer (%u bytes, operation %u)\n",
			req->operation, got, got >= 4 ? resp->operation : 0);
		return -EPROTO;
	}
	return 0;
}

/* A step that must succeed. */
static int enl_storvsc_op(struct enl_storvsc *h, u32 op,
			  struct enl_vstor_packet *resp)
{
	struct enl_vstor_packet req = { .operation = op };
	int ret;

	ret = enl_storvsc_step(h, &req, resp, ENL_STORVSC_INIT_TIMEOUT);
	if (ret)
		return ret;
	if (resp->status) {
		dev_err(&h->vdev->dev, "VSTOR operation %u refused: status %#x\n",
			op, resp->status);
		return -EIO;
	}
	return 0;
}

static int enl_storvsc_negotiate(struct enl_storvsc *h)
{
	struct enl_vstor_packet req, resp;
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(enl_storvsc_versions); i++) {
		memset(&req, 0, sizeof(req));
		req.operation = ENL_VSTOR_OP_QUERY_PROTOCOL_VERSION;
		req.version.major_minor = enl_storvsc_versions[i];
		req.version.revision = ENL_VSTOR_REVISION;
		ret = enl_storvsc_step(h, &req, &resp, ENL_STORVSC_INIT_TIMEOUT);
		if (ret)
			return ret;
		/* a non-zero status only says "not this one": try the next */
		if (!resp.status) {
			h->version = enl_storvsc_versions[i];
			return 0;
		}
	}
	dev_err(&h->vdev->dev, "the host speaks none of VSTOR 6.2, 6.0, 5.1\n");
	return -EPROTONOSUPPORT;
}

/*
 * Properties: max_transfer_bytes sets max_sectors and the PFN list size;
 * a host that says 0 or something not page-sized gets the stock minimum
 * treatment (one page, rounded down), one that says more than we hold in
 * a command gets our limit.
 */
static void enl_storvsc_take_props(struct enl_storvsc *h,
				   const struct enl_vstor_channel_properties *p)
{
	u32 xfer = round_down(p->max_transfer_bytes, 4096);
	u32 max_sc = 0;

	if (!xfer) {
		dev_warn(&h->vdev->dev, "host max transfer %u bytes: using 4 KiB\n",
			 p->max_transfer_bytes);
		xfer = 4096;
	}
	h->max_xfer = min_t(u32, xfer, ENL_STORVSC_MAX_XFER);

	if ((p->flags & ENL_VSTOR_PROP_MULTI_CHANNEL) &&
	    enl_vstor_version_multichannel(h->version))
		max_sc = p->max_channel_cnt;
	/* a queue per CPU at most, as many as the host grants, our array */
	h->sc_requested = min3(max_sc, num_online_cpus() - 1,
			       (unsigned int)ENL_STORVSC_MAX_CHANNELS - 1);
}

int enl_storvsc_handshake(struct enl_storvsc *h)
{
	struct enl_vstor_packet resp;
	int ret;

	ret = enl_storvsc_op(h, ENL_VSTOR_OP_BEGIN_INIT, &resp);
	if (ret)
		return ret;
	ret = enl_storvsc_negotiate(h);
	if (ret)
		return ret;
	ret = enl_storvsc_op(h, ENL_VSTOR_OP_QUERY_PROPERTIES, &resp);
	if (ret)
		return ret;
	enl_storvsc_take_props(h, &resp.props);
	ret = enl_storvsc_op(h, ENL_VSTOR_OP_END_INIT, &resp);
	if (ret)
		return ret;
	dev_info(&h->vdev->dev, "VSTOR %u.%u, max transfer %u KiB, %u subchannels wanted\n",
		 h->version >> 8, h->version & 0xff, h->max_xfer / 1024,
		 h->sc_requested);
	return 0;
}

/*
 * Ask for subchannels; the host offers them afterwards, one by one, and
 * enl_vmbus hands each to main.c's subchannel callback.  Nothing waits
 * for them: until a subchannel is open its queue sends on the primary.
 */
int enl_storvsc_request_subchannels(struct enl_storvsc *h, u16 count)
{
	struct enl_vstor_packet req = {
		.operation = ENL_VSTOR_OP_CREATE_SUB_CHANNELS,
	};
	struct enl_vstor_packet resp;
	int ret;

	req.sub_channel_count = count;
	ret = enl_storvsc_step(h, &req, &resp, ENL_STORVSC_INIT_TIMEOUT);
	if (!ret && resp.status) {
		dev_warn(&h->vdev->dev, "host refused %u subchannels: status %#x\n",
			 count, resp.status);
		ret = -EIO;
	}
	return ret;
}

/*
 * RESET_BUS, from the host-reset handler.  The host answers once it has
 * dropped its queues; the caller still waits for each command's own
 * completion.
 */
int enl_storvsc_reset_bus(struct enl_storvsc *h)
{
	struct enl_vstor_packet req = { .operation = ENL_VSTOR_OP_RESET_BUS };
	struct enl_vstor_packet resp;
	int ret;

	ret = enl_storvsc_step(h, &req, &resp, ENL_STORVSC_RESET_TIMEOUT);
	if (!ret && resp.status)
		ret = -EIO;
	return ret;
}
