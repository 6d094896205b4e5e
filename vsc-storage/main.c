// SPDX-License-Identifier: GPL-2.0-only
/*
 * enl_storvsc: the VMBus driver of the synthetic SCSI controller.  Probe
 * opens the primary channel, runs the VSTOR handshake, sizes the SCSI
 * host from the host's properties (max_sectors, sg_tablesize, can_queue,
 * one hardware queue per channel), adds it, asks for subchannels and
 * scans.  Remove takes the SCSI host away first (the midlayer drains
 * every command; the host answers each one), then closes the channels.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blkdev.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <scsi/scsi.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_devinfo.h>
#include <scsi/scsi_host.h>
#include "enl_storvsc.h"

static unsigned int max_subchannels = ENL_STORVSC_MAX_CHANNELS - 1;
module_param(max_subchannels, uint, 0444);
MODULE_PARM_DESC(max_subchannels,
		 "Subchannels to ask the host for, at most (default and limit 15; also at most CPUs - 1)");

/* The OPENCHANNEL user data the stock driver sends: 24 zero bytes. */
static const u8 enl_storvsc_open_ud[sizeof(struct enl_vstor_channel_properties)];

/* ---- SCSI host ------------------------------------------------------------ */

static int enl_storvsc_slave_alloc(struct scsi_device *sdev)
{
	/*
	 * REPORT LUNS also at SCSI-2 levels, VPD pages whatever the level
	 * (serial and identity live there); no REPORT SUPPORTED OPCODES,
	 * which the host need not implement.
	 */
	sdev->sdev_bflags |= BLIST_REPORTLUN2 | BLIST_TRY_VPD_PAGES;
	sdev->no_report_opcodes = 1;
	return 0;
}

static int enl_storvsc_slave_configure(struct scsi_device *sdev)
{
	/*
	 * The host completes every command, however slow its backend; the
	 * error handler only helps if the host is gone, so give it time.
	 */
	blk_queue_rq_timeout(sdev->request_queue, ENL_STORVSC_CMD_TIMEOUT);
	return 0;
}

static struct scsi_host_template enl_storvsc_template = {
	.module = THIS_MODULE,
	.name = "enl_storvsc",
	.proc_name = "enl_storvsc",
	.queuecommand = enl_storvsc_queuecommand,
	.eh_abort_handler = enl_storvsc_eh_abort,
	.eh_host_reset_handler = enl_storvsc_eh_host_reset,
	.slave_alloc = enl_storvsc_slave_alloc,
	.slave_configure = enl_storvsc_slave_configure,
	.cmd_size = sizeof(struct enl_storvsc_cmd),
	.this_id = -1,
	/* one GPA range per command: segments must meet on 4 KiB frames */
	.virt_boundary_mask = 4096 - 1,
	/* WRITE SAME is for discard only (the sd driver's choice) */
	.no_write_same = 1,
};

/* ---- rescans --------------------------------------------------------------- */

/*
 * The host changed the bus (a disk added or removed).  Ask every device
 * the midlayer has added whether it is still there: a removed LUN answers
 * INVALID_LUN, which io.c turns into DID_NO_CONNECT, and the device goes.
 * Devices still being scanned are the scan's business, not ours.  Then
 * scan for new ones.
 */
static void enl_storvsc_rescan(struct work_struct *w)
{
	struct enl_storvsc *h = container_of(w, struct enl_storvsc, rescan_work);
	struct scsi_device *sdev;
	int res;

	shost_for_each_device(sdev, h->shost) {
		if (!sdev->is_visible)
			continue;
		res = scsi_test_unit_ready(sdev, 10 * HZ, 1, NULL);
		if (res > 0 && host_byte(res) == DID_NO_CONNECT) {
			sdev_printk(KERN_INFO, sdev, "gone from the host: removing\n");
			scsi_remove_device(sdev);
		}
	}
	scsi_scan_host(h->shost);
}

/* From the channel callback; notices before the host is added are dropped. */
void enl_storvsc_notice(struct enl_storvsc *h, u32 op)
{
	if (op != ENL_VSTOR_OP_ENUMERATE_BUS && op != ENL_VSTOR_OP_REMOVE_DEVICE) {
		dev_dbg(&h->vdev->dev, "host notice %u ignored\n", op);
		return;
	}
	spin_lock(&h->lock);
	if (h->state == ENL_STORVSC_RUNNING)
		queue_work(system_long_wq, &h->rescan_work);
	spin_unlock(&h->lock);
}

/* ---- channels -------------------------------------------------------------- */

static struct enl_storvsc_chan *enl_storvsc_chan_open(struct enl_storvsc *h,
						      struct enl_vmbus_channel *ch,
						      u16 index)
{
	struct enl_storvsc_chan *chan;
	int ret;

	chan = kzalloc(sizeof(*chan), GFP_KERNEL);
	if (!chan)
		return ERR_PTR(-ENOMEM);
	chan->h = h;
	chan->ch = ch;
	chan->index = index;
	ret = enl_vmbus_open(ch, ENL_STORVSC_RING, ENL_STORVSC_RING,
			     enl_storvsc_open_ud, sizeof(enl_storvsc_open_ud),
			     enl_storvsc_callback, chan);
	if (ret) {
		kfree(chan);
		return ERR_PTR(ret);
	}
	return chan;
}

/* enl_vmbus's offer work: one subchannel the host created for us. */
static void enl_storvsc_sc_offer(struct enl_vmbus_channel *primary,
				 struct enl_vmbus_channel *sc)
{
	struct enl_vmbus_device *vdev = enl_vmbus_chan_device(primary);
	struct enl_storvsc *h = dev_get_drvdata(&vdev->dev);
	u16 idx = enl_vmbus_subchannel_index(sc);
	struct enl_storvsc_chan *chan;

	if (!h)
		return;
	mutex_lock(&h->sc_lock);
	if (READ_ONCE(h->state) == ENL_STORVSC_REMOVING)
		goto out;
	if (!idx || idx > h->sc_requested || h->chans[idx]) {
		dev_warn(&vdev->dev, "subchannel %u not asked for: left closed\n", idx);
		goto out;
	}
	chan = enl_storvsc_chan_open(h, sc, idx);
	if (IS_ERR(chan)) {
		dev_warn(&vdev->dev, "subchannel %u not opened (%ld)\n", idx,
			 PTR_ERR(chan));
		goto out;
	}
	/* queuecommand may use it from now on */
	smp_store_release(&h->chans[idx], chan);
	dev_dbg(&vdev->dev, "subchannel %u open (relid %u)\n", idx,
		enl_vmbus_chan_relid(sc));
out:
	mutex_unlock(&h->sc_lock);
}

/*
 * Commands the outbound ring always has room for: the ring's data area
 * over the largest packet, less one packet of slack for the ring's
 * "never completely full" rule.
 */
static u32 enl_storvsc_queue_depth(struct enl_storvsc *h)
{
	u32 n = (ENL_STORVSC_RING - 4096) / enl_storvsc_max_pkt(h->max_xfer);

	return max_t(u32, n, 2) - 1;
}

static void enl_storvsc_free_chans(struct enl_storvsc *h)
{
	unsigned int i;

	for (i = 0; i < ENL_STORVSC_MAX_CHANNELS; i++) {
		kfree(h->chans[i]);
		h->chans[i] = NULL;
	}
}

/* ---- VMBus driver ----------------------------------------------------------- */

static int enl_storvsc_probe(struct enl_vmbus_device *vdev,
			     const struct enl_vmbus_device_id *id)
{
	struct enl_storvsc_chan *chan;
	struct Scsi_Host *shost;
	struct enl_storvsc *h;
	int ret;

	shost = scsi_host_alloc(&enl_storvsc_template, sizeof(*h));
	if (!shost)
		return -ENOMEM;
	h = shost_priv(shost);
	h->vdev = vdev;
	h->shost = shost;
	h->state = ENL_STORVSC_PROBING;
	spin_lock_init(&h->lock);
	mutex_init(&h->sc_lock);
	atomic_set(&h->inflight, 0);
	init_waitqueue_head(&h->wq);
	INIT_WORK(&h->rescan_work, enl_storvsc_rescan);
	dev_set_drvdata(&vdev->dev, h);

	chan = enl_storvsc_chan_open(h, vdev->channel, 0);
	if (IS_ERR(chan)) {
		ret = PTR_ERR(chan);
		dev_err(&vdev->dev, "cannot open the channel (%d)\n", ret);
		goto err_put;
	}
	h->chans[0] = chan;
	ret = enl_storvsc_handshake(h);
	if (ret)
		goto err_close;
	h->sc_requested = min_t(u16, h->sc_requested, max_subchannels);

	/* the stock limits: 8 paths, 2 targets, LUNs 0..254 */
	shost->max_channel = ENL_VSTOR_MAX_PATHS - 1;
	shost->max_id = ENL_VSTOR_MAX_TARGETS;
	shost->max_lun = 255;
	shost->max_cmd_len = ENL_VSTOR_CDB_MAX;
	shost->max_sectors = h->max_xfer >> 9;
	shost->sg_tablesize = h->max_xfer / 4096 + 1;
	shost->can_queue = enl_storvsc_queue_depth(h);
	shost->cmd_per_lun = shost->can_queue;
	shost->nr_hw_queues = 1 + h->sc_requested;

	ret = scsi_add_host(shost, &vdev->dev);
	if (ret) {
		dev_err(&vdev->dev, "SCSI host not added (%d)\n", ret);
		goto err_close;
	}
	spin_lock_bh(&h->lock);
	h->state = ENL_STORVSC_RUNNING;
	spin_unlock_bh(&h->lock);

	if (h->sc_requested) {
		enl_vmbus_set_subchannel_cb(vdev->channel, enl_storvsc_sc_offer);
		ret = enl_storvsc_request_subchannels(h, h->sc_requested);
		if (ret) {
			/* one channel still works: the queues share the primary */
			enl_vmbus_set_subchannel_cb(vdev->channel, NULL);
			dev_warn(&vdev->dev, "running on the primary channel only (%d)\n",
				 ret);
		}
	}
	dev_info(&vdev->dev, "%s: %u hardware queues of %d commands, %u KiB per command\n",
		 dev_name(&shost->shost_gendev), shost->nr_hw_queues,
		 shost->can_queue, h->max_xfer / 1024);
	scsi_scan_host(shost);
	return 0;

err_close:
	enl_vmbus_close(vdev->channel);
err_put:
	enl_storvsc_free_chans(h);
	dev_set_drvdata(&vdev->dev, NULL);
	scsi_host_put(shost);
	return ret;
}

static void enl_storvsc_remove(struct enl_vmbus_device *vdev)
{
	struct enl_storvsc *h = dev_get_drvdata(&vdev->dev);
	struct Scsi_Host *shost = h->shost;

	/* no rescan, no new subchannel from here on */
	mutex_lock(&h->sc_lock);
	spin_lock_bh(&h->lock);
	h->state = ENL_STORVSC_REMOVING;
	spin_unlock_bh(&h->lock);
	mutex_unlock(&h->sc_lock);
	enl_vmbus_set_subchannel_cb(vdev->channel, NULL);
	cancel_work_sync(&h->rescan_work);

	/*
	 * The midlayer waits for every command; the channels still run.  A
	 * rescinded primary answers nothing more: fail what it holds.
	 */
	if (enl_vmbus_chan_rescinded(vdev->channel)) {
		unsigned int i;

		for (i = 0; i < ENL_STORVSC_MAX_CHANNELS; i++)
			if (h->chans[i])
				WRITE_ONCE(h->chans[i]->dead, true);
		enl_storvsc_fail_dead(h);
	}
	scsi_remove_host(shost);
	enl_vmbus_close(vdev->channel);	/* subchannels too */
	enl_storvsc_free_chans(h);
	dev_set_drvdata(&vdev->dev, NULL);
	scsi_host_put(shost);
}

static const struct enl_vmbus_device_id enl_storvsc_ids[] = {
	{ .guid = ENL_GUID_SCSI },
	{ }
};

static struct enl_vmbus_driver enl_storvsc_driver = {
	.name = "enl_storvsc",
	.id_table = enl_storvsc_ids,
	.probe = enl_storvsc_probe,
	.remove = enl_storvsc_remove,
};

static int __init enl_storvsc_init(void)
{
	return enl_vmbus_driver_register(&enl_storvsc_driver);
}

static void __exit enl_storvsc_exit(void)
{
	enl_vmbus_driver_unregister(&enl_storvsc_driver);
}

module_init(enl_storvsc_init);
module_exit(enl_storvsc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("enlighten synthetic SCSI controller (VSTOR)");
/* modalias vmbus:<class GUID bytes in hex>, for udev and modprobe */
MODULE_ALIAS("vmbus:d96361baa104294db60572e2ffb1dc7f");
