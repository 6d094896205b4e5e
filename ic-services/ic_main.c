// SPDX-License-Identifier: GPL-2.0-only
/*
 * enl_ic: one VMBus driver for every integration service.  Opens the
 * channel, answers NEGOTIATE for the service's versions, and hands the
 * service's own requests to it; see ic.h.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include "ic.h"

#define ENL_IC_BUF_BYTES	(2 * PAGE_SIZE)

/*
 * Pages per ring, header page included.  IC messages are small: four pages
 * are plenty.  More makes the ring GPADL too big for one GPADL_HEADER
 * message, which is how the test bed exercises GPADL_BODY end to end.
 */
static unsigned int ring_pages = 4;
module_param(ring_pages, uint, 0444);
MODULE_PARM_DESC(ring_pages, "pages per channel ring, 2..256 (default 4)");

static const struct enl_ic_service *const enl_ic_services[] = {
	&enl_ic_heartbeat,
	&enl_ic_shutdown,
	&enl_ic_timesync,
	&enl_ic_kvp,
	&enl_ic_fcopy,
	&enl_ic_vss,
};

static const struct enl_ic_version enl_ic_fw_versions[] = ENL_IC_FW_VERSIONS;

/*
 * One packet from the host: answer it in place and send it back.  0 when
 * done with it; ENL_IC_DEFER when the service answers later or the
 * NEGOTIATE must wait (then held_len says the packet stays in buf).
 * Under rx_lock.
 */
static int enl_ic_packet(struct enl_ic_dev *ic, u8 *pkt, u32 pkt_len)
{
	struct enl_pkt pk;
	struct enl_icmsg_hdr hdr;
	struct enl_ic_version fw, mv;
	u8 *p;
	u32 len;
	int answerable, ret;

	ret = enl_pkt_parse(pkt, pkt_len, &pk);
	if (ret || pk.type != VMBUS_PKT_INBAND) {
		pr_warn_ratelimited("%s: packet type %u ignored (%d)\n",
				    ic->svc->name, pk.type, ret);
		return 0;
	}
	/* answered in place: the writable view of pk.payload */
	p = pkt + (pk.payload - pkt);
	len = pk.payload_len;
	if (enl_ic_parse_hdr(p, len, &hdr) < 0) {
		pr_warn_ratelimited("%s: short IC packet (%u bytes)\n", ic->svc->name, len);
		return 0;
	}
	if (hdr.msgtype == ENL_IC_MSG_NEGOTIATE) {
		if (ic->svc->can_negotiate && !ic->svc->can_negotiate(ic)) {
			ic->held_len = pkt_len;
			return ENL_IC_DEFER;
		}
		ic->requests++;
		ret = enl_ic_answer_negotiate(p, len, enl_ic_fw_versions,
					      ARRAY_SIZE(enl_ic_fw_versions),
					      ic->svc->versions, ic->svc->nversions,
					      &fw, &mv, &answerable);
		if (!ret) {
			if (!ic->negotiated || fw.major != ic->fw.major ||
			    mv.major != ic->msgver.major || mv.minor != ic->msgver.minor)
				pr_info("%s: IC framework %u.%u, message version %u.%u\n",
					ic->svc->name, fw.major, fw.minor, mv.major, mv.minor);
			ic->fw = fw;
			ic->msgver = mv;
			ic->negotiated = true;
		} else {
			pr_warn_ratelimited("%s: no common IC version (%d)\n",
					    ic->svc->name, ret);
		}
		if (!answerable)
			return 0;
	} else if (hdr.msgtype == ic->svc->msgtype) {
		ic->requests++;
		ret = ic->svc->handle(ic, p, len, &hdr, pk.trans_id);
		if (ret == ENL_IC_DEFER)
			return ENL_IC_DEFER;
		if (ret)
			return 0;
	} else {
		pr_warn_ratelimited("%s: IC message type %u ignored\n",
				    ic->svc->name, hdr.msgtype);
		return 0;
	}
	ret = enl_vmbus_send(ic->ch, VMBUS_PKT_INBAND, 0, pk.trans_id, p, len);
	if (ret)
		pr_warn_ratelimited("%s: answer not sent (%d)\n", ic->svc->name, ret);
	return 0;
}

int enl_ic_answer(struct enl_ic_dev *ic, const void *buf, u32 len, u64 trans_id)
{
	int ret = enl_vmbus_send(ic->ch, VMBUS_PKT_INBAND, 0, trans_id, buf, len);

	if (ret)
		pr_warn_ratelimited("%s: answer not sent (%d)\n", ic->svc->name, ret);
	return ret;
}

/*
 * Read and answer packets until the ring is empty or a service defers.
 * The channel runs in raw-callback mode: while a request or a NEGOTIATE
 * waits (paused), the inbound interrupts stay masked, so packets the host
 * adds meanwhile (a resent NEGOTIATE) neither interrupt nor reschedule
 * the tasklet; enl_ic_resume() reads them.  rx_lock held.
 */
static void enl_ic_read(struct enl_ic_dev *ic)
{
	u32 len;
	int ret;

	enl_vmbus_rx_mask(ic->ch);
	for (;;) {
		ret = 0;
		if (ic->held_len) {
			len = ic->held_len;
			ic->held_len = 0;
			if (enl_ic_packet(ic, ic->buf, len) == ENL_IC_DEFER)
				ic->paused = true;
		}
		while (!ic->paused) {
			ret = enl_vmbus_recv(ic->ch, ic->buf, ic->buf_len, &len);
			if (ret <= 0)
				break;
			if (enl_ic_packet(ic, ic->buf, len) == ENL_IC_DEFER)
				ic->paused = true;
		}
		if (ret == -EMSGSIZE)
			enl_vmbus_chan_fail(ic->ch, "IC packet larger than the buffer");
		enl_vmbus_recv_done(ic->ch);
		if (ic->paused || ret < 0)
			return;		/* masked until the resume */
		if (!enl_vmbus_rx_unmask(ic->ch))
			return;
		/* packets came while we unmasked: once more */
		enl_vmbus_rx_mask(ic->ch);
	}
}

static void enl_ic_callback(struct enl_vmbus_channel *ch, void *ctx)
{
	struct enl_ic_dev *ic = ctx;

	spin_lock(&ic->rx_lock);
	if (!ic->paused)
		enl_ic_read(ic);
	spin_unlock(&ic->rx_lock);
}

static void enl_ic_resume_work(struct work_struct *work)
{
	struct enl_ic_dev *ic = container_of(work, struct enl_ic_dev, resume_work);

	spin_lock_bh(&ic->rx_lock);
	ic->paused = false;
	/* a service may resume before the open or during the close */
	if (ic->open)
		enl_ic_read(ic);
	spin_unlock_bh(&ic->rx_lock);
}

void enl_ic_resume(struct enl_ic_dev *ic)
{
	schedule_work(&ic->resume_work);
}

static int enl_ic_probe(struct enl_vmbus_device *vdev,
			const struct enl_vmbus_device_id *id)
{
	const struct enl_ic_service *svc = enl_ic_services[id->driver_data];
	struct enl_ic_dev *ic;
	int ret;

	ic = kzalloc(sizeof(*ic), GFP_KERNEL);
	if (!ic)
		return -ENOMEM;
	ic->buf_len = ENL_IC_BUF_BYTES;
	ic->buf = kzalloc(ic->buf_len, GFP_KERNEL);
	if (!ic->buf) {
		ret = -ENOMEM;
		goto fail;
	}
	ic->vdev = vdev;
	ic->ch = vdev->channel;
	ic->svc = svc;
	spin_lock_init(&ic->rx_lock);
	INIT_WORK(&ic->resume_work, enl_ic_resume_work);
	dev_set_drvdata(&vdev->dev, ic);
	if (svc->init) {
		ret = svc->init(ic);
		if (ret)
			goto fail;
	}
	enl_vmbus_set_raw_callback(ic->ch, true);
	ret = enl_vmbus_open(ic->ch, ring_pages * PAGE_SIZE,
			     ring_pages * PAGE_SIZE, NULL, 0, enl_ic_callback, ic);
	if (ret) {
		dev_err(&vdev->dev, "%s: cannot open the channel (%d)\n", svc->name, ret);
		if (svc->exit)
			svc->exit(ic);
		goto fail;
	}
	spin_lock_bh(&ic->rx_lock);
	ic->open = true;
	spin_unlock_bh(&ic->rx_lock);
	/* packets that came while a service held the reader back */
	enl_ic_resume(ic);
	dev_info(&vdev->dev, "%s service bound (relid %u)\n", svc->name,
		 enl_vmbus_chan_relid(ic->ch));
	return 0;
fail:
	dev_set_drvdata(&vdev->dev, NULL);
	kfree(ic->buf);
	kfree(ic);
	return ret;
}

static void enl_ic_remove(struct enl_vmbus_device *vdev)
{
	struct enl_ic_dev *ic = dev_get_drvdata(&vdev->dev);

	spin_lock_bh(&ic->rx_lock);
	ic->open = false;
	spin_unlock_bh(&ic->rx_lock);
	enl_vmbus_close(ic->ch);
	/* the service first: it stops asking for resumes */
	if (ic->svc->exit)
		ic->svc->exit(ic);
	cancel_work_sync(&ic->resume_work);
	dev_set_drvdata(&vdev->dev, NULL);
	kfree(ic->buf);
	kfree(ic);
}

/* driver_data: index in enl_ic_services[] */
static const struct enl_vmbus_device_id enl_ic_ids[] = {
	{ .guid = ENL_GUID_HEARTBEAT, .driver_data = 0 },
	{ .guid = ENL_GUID_SHUTDOWN, .driver_data = 1 },
	{ .guid = ENL_GUID_TIMESYNC, .driver_data = 2 },
	{ .guid = ENL_GUID_KVP, .driver_data = 3 },
	{ .guid = ENL_GUID_FCOPY, .driver_data = 4 },
	{ .guid = ENL_GUID_VSS, .driver_data = 5 },
	{ }
};

static struct enl_vmbus_driver enl_ic_driver = {
	.name = "enl_ic",
	.id_table = enl_ic_ids,
	.probe = enl_ic_probe,
	.remove = enl_ic_remove,
};

static int __init enl_ic_init(void)
{
	if (ring_pages < 2 || ring_pages > 256) {
		pr_err("ring_pages=%u: must be 2..256\n", ring_pages);
		return -EINVAL;
	}
	return enl_vmbus_driver_register(&enl_ic_driver);
}

static void __exit enl_ic_exit(void)
{
	enl_vmbus_driver_unregister(&enl_ic_driver);
}

module_init(enl_ic_init);
module_exit(enl_ic_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("enlighten integration services (heartbeat, shutdown, time sync, KVP, file copy, VSS)");
/* modalias vmbus:<class GUID bytes in hex>, for udev and modprobe */
MODULE_ALIAS("vmbus:394f16571591784eab55382f3bd5422d");
MODULE_ALIAS("vmbus:31600b0e13523449818b38d90ced39db");
MODULE_ALIAS("vmbus:30e62795aed07b49adcee80ab0175caf");
MODULE_ALIAS("vmbus:e7f4a0a9455a964db8278a841e8c03e6");
MODULE_ALIAS("vmbus:e34bd134e4dec8419ae76b174977c192");
MODULE_ALIAS("vmbus:292efa3523ea364296ae3a6ebacba440");
