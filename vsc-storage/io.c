// SPDX-License-Identifier: GPL-2.0-only
/*
 * The data path.  queuecommand turns a SCSI command into one EXECUTE_SRB
 * packet: inband when there is no data, else GPA-direct with exactly one
 * page range covering the whole scatterlist (the host template's 4 KiB
 * virt boundary makes the list page-contiguous, checked again here).
 *
 * Ownership of a sent command: the transaction id is in the channel's
 * request table until someone takes it out with enl_vmbus_request_take().
 * Whoever takes it (the completion path, or the error handler reaping a
 * dead channel) owns the command; the host can no longer complete it, and
 * a second completion with the same id is rejected as unknown.
 *
 * The error handler must not give a command back to the midlayer while
 * the host may still write into its pages or the completion path may
 * still touch it, so it waits: for the command's state to leave SENT and
 * for the channel's completion counter to drop to 0 (the completion path
 * raises it before it takes an id and drops it after scsi_done()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/blk-mq.h>
#include <linux/kernel.h>
#include <linux/scatterlist.h>
#include <scsi/scsi.h>
#include <scsi/scsi_cmnd.h>
#include <scsi/scsi_device.h>
#include <scsi/scsi_host.h>
#include <scsi/scsi_proto.h>
#include <enl/vstor_guest.h>
#include "enl_storvsc.h"

#define ENL_PFN_SHIFT	12
#define ENL_PFN_SIZE	4096u

/* The midlayer puts our per-command area right behind its scsi_cmnd. */
static struct scsi_cmnd *enl_cmd_of(struct enl_storvsc_cmd *c)
{
	return (struct scsi_cmnd *)c - 1;
}

/*
 * Largest packet queuecommand writes for a transfer of max_xfer bytes: the
 * GPA-direct header, one range with its PFNs, the VSTOR packet, the ring's
 * trailer.  probe sizes can_queue so that a queue's worth always fits.
 */
u32 enl_storvsc_max_pkt(u32 max_xfer)
{
	u32 pfns = max_xfer / ENL_PFN_SIZE + 1;

	return sizeof(struct vmbus_pkt_gpa_direct) +
	       sizeof(struct vmbus_gpa_range) + pfns * 8 +
	       sizeof(struct enl_vstor_packet) + VMBUS_PKT_TRAILER_LEN;
}

/*
 * The scatterlist as one GPA range: 4 KiB frame numbers (whatever the
 * kernel's page size), the byte offset into the first.  Every element but
 * the first must start on a frame, every one but the last end on one;
 * else the list cannot be one range and the command is refused.
 */
static int enl_storvsc_map_sg(struct enl_storvsc *h, struct scsi_cmnd *cmd,
			      struct enl_storvsc_cmd *c, u32 *npfn, u32 *offset)
{
	struct scatterlist *sg;
	u64 total = 0;
	u32 n = 0;
	int i;

	scsi_for_each_sg(cmd, sg, scsi_sg_count(cmd), i) {
		phys_addr_t start = sg_phys(sg);
		phys_addr_t end = start + sg->length;
		u64 pfn, last;

		if (!sg->length)
			return -EINVAL;
		if (i > 0 && (start & (ENL_PFN_SIZE - 1)))
			return -EINVAL;
		if (i < scsi_sg_count(cmd) - 1 && (end & (ENL_PFN_SIZE - 1)))
			return -EINVAL;
		if (i == 0)
			*offset = start & (ENL_PFN_SIZE - 1);
		last = (end - 1) >> ENL_PFN_SHIFT;
		for (pfn = start >> ENL_PFN_SHIFT; pfn <= last; pfn++) {
			if (n >= ARRAY_SIZE(c->pfns))
				return -EINVAL;
			c->pfns[n++] = pfn;
		}
		total += sg->length;
	}
	if (!n || total != scsi_bufflen(cmd) || total > h->max_xfer)
		return -EINVAL;
	*npfn = n;
	return 0;
}

static void enl_storvsc_build(struct enl_storvsc *h, struct scsi_cmnd *cmd,
			      struct enl_vstor_packet *p)
{
	struct enl_vmscsi_request *srb = &p->srb;

	memset(p, 0, sizeof(*p));
	p->operation = ENL_VSTOR_OP_EXECUTE_SRB;
	p->flags = ENL_VSTOR_FLAG_REQUEST_COMPLETION;
	srb->length = ENL_VMSCSI_SIZE;
	srb->port_number = h->shost->host_no;
	srb->path_id = cmd->device->channel;
	srb->target_id = cmd->device->id;
	srb->lun = cmd->device->lun;
	srb->cdb_length = cmd->cmd_len;
	memcpy(srb->cdb, cmd->cmnd, cmd->cmd_len);
	srb->sense_info_length = ENL_STORVSC_SENSE;
	srb->data_transfer_length = scsi_bufflen(cmd);
	/* simple queue tag, as the stock driver sends it */
	srb->queue_tag = 0xff;
	srb->queue_action = 0x20;
	srb->srb_flags = ENL_SRB_FLAGS_DISABLE_SYNCH_TRANSFER |
			 ENL_SRB_FLAGS_QUEUE_ACTION_ENABLE |
			 ENL_SRB_FLAGS_NO_QUEUE_FREEZE;
	srb->time_out_value = 60;
	switch (cmd->sc_data_direction) {
	case DMA_TO_DEVICE:
		srb->data_in = ENL_VSTOR_DATA_WRITE;
		srb->srb_flags |= ENL_SRB_FLAGS_DATA_OUT;
		break;
	case DMA_FROM_DEVICE:
		srb->data_in = ENL_VSTOR_DATA_READ;
		srb->srb_flags |= ENL_SRB_FLAGS_DATA_IN;
		break;
	default:
		srb->data_in = ENL_VSTOR_DATA_NONE;
		break;
	}
}

/* The channel for a command: its hardware queue's, once that is open. */
static struct enl_storvsc_chan *enl_storvsc_pick(struct enl_storvsc *h,
						 struct scsi_cmnd *cmd)
{
	u32 hwq = blk_mq_unique_tag_to_hwq(blk_mq_unique_tag(scsi_cmd_to_rq(cmd)));
	struct enl_storvsc_chan *chan = NULL;

	if (hwq < ENL_STORVSC_MAX_CHANNELS)
		/* pairs with the release in main.c: a channel seen is open */
		chan = smp_load_acquire(&h->chans[hwq]);
	if (!chan || READ_ONCE(chan->dead))
		chan = h->chans[0];
	return chan;
}

/* Send on chan; 0 once the host has it, else a negative errno. */
static int enl_storvsc_send(struct enl_storvsc *h, struct enl_storvsc_chan *chan,
			    struct scsi_cmnd *cmd, struct enl_storvsc_cmd *c,
			    u32 npfn, u32 offset)
{
	u64 id;
	int ret;

	c->chan = chan;
	atomic_set(&c->state, ENL_CMD_SENT);
	ret = enl_vmbus_request_add(chan->ch, c, &id);
	if (ret)
		goto out_idle;
	c->trans_id = id;
	atomic_inc(&h->inflight);
	if (npfn)
		ret = enl_vmbus_send_gpa_direct(chan->ch, id, c->pfns, npfn, offset,
						scsi_bufflen(cmd), &c->pkt,
						sizeof(c->pkt));
	else
		ret = enl_vmbus_send(chan->ch, VMBUS_PKT_INBAND,
				     VMBUS_PKT_FLAG_COMPLETION_REQUESTED, id,
				     &c->pkt, sizeof(c->pkt));
	if (!ret)
		return 0;
	if (enl_vmbus_request_take(chan->ch, id) != c) {
		/*
		 * Not sent, yet a "completion" for the id came first: the
		 * completion path owns the command now and finishes it.
		 */
		return 0;
	}
	atomic_dec(&h->inflight);
out_idle:
	atomic_set(&c->state, ENL_CMD_IDLE);
	return ret;
}

int enl_storvsc_queuecommand(struct Scsi_Host *shost, struct scsi_cmnd *cmd)
{
	struct enl_storvsc *h = shost_priv(shost);
	struct enl_storvsc_cmd *c = scsi_cmd_priv(cmd);
	struct enl_storvsc_chan *chan;
	u32 npfn = 0, offset = 0;
	int ret;

	if (cmd->cmd_len > ENL_VSTOR_CDB_MAX ||
	    cmd->sc_data_direction == DMA_BIDIRECTIONAL) {
		cmd->result = DID_ERROR << 16;
		goto done;
	}
	enl_storvsc_build(h, cmd, &c->pkt);
	if (scsi_bufflen(cmd) && enl_storvsc_map_sg(h, cmd, c, &npfn, &offset)) {
		scmd_printk(KERN_WARNING, cmd,
			    "%u-byte buffer in %u segments is not one page range\n",
			    scsi_bufflen(cmd), scsi_sg_count(cmd));
		cmd->result = DID_ERROR << 16;
		goto done;
	}

	chan = enl_storvsc_pick(h, cmd);
	ret = enl_storvsc_send(h, chan, cmd, c, npfn, offset);
	if ((ret == -ENODEV || ret == -EIO) && chan != h->chans[0]) {
		/* a subchannel went away (rescinded, failed): use the primary */
		WRITE_ONCE(chan->dead, true);
		chan = h->chans[0];
		ret = enl_storvsc_send(h, chan, cmd, c, npfn, offset);
	}
	switch (ret) {
	case 0:
		return 0;
	case -EAGAIN:
	case -ENOMEM:
		/* the ring is full (or no id now): the block layer retries */
		return SCSI_MLQUEUE_HOST_BUSY;
	case -ENODEV:
	case -EIO:
		/* closed, rescinded or failed: no completion could come */
		WRITE_ONCE(chan->dead, true);
		cmd->result = DID_NO_CONNECT << 16;
		break;
	default:
		cmd->result = DID_ERROR << 16;
		break;
	}
done:
	scsi_done(cmd);
	return 0;
}

/* ---- completions ---------------------------------------------------------- */

/*
 * The host's answer to cmd, checked and mapped by include/enl/vstor_guest.c
 * (nothing in it is trusted; a refused answer fails the command with
 * DID_ERROR, which the midlayer retries a bounded number of times).
 */
static void enl_storvsc_result(struct enl_storvsc_chan *chan,
			       struct scsi_cmnd *cmd, struct enl_storvsc_cmd *c,
			       const struct enl_pkt *p)
{
	bool block_rw = !blk_rq_is_passthrough(scsi_cmd_to_rq(cmd));
	struct enl_vstor_verdict v = {
		.kind = ENL_VSTOR_V_ERROR,
		.resid = scsi_bufflen(cmd),
		.bad = "not a completion packet",
	};
	u32 n;

	if (p->type == VMBUS_PKT_COMPLETION) {
		enl_vstor_guest_verdict(p->payload, p->payload_len,
					scsi_bufflen(cmd), block_rw, &v);
	}
	if (v.bad)
		dev_warn_ratelimited(&chan->h->vdev->dev,
				     "completion refused (%s): command fails\n",
				     v.bad);
	scsi_set_resid(cmd, v.resid);
	switch (v.kind) {
	case ENL_VSTOR_V_STATUS:
		/* the verdict checked the packet's length: our own copy */
		memcpy(&c->pkt, p->payload, sizeof(c->pkt));
		n = min_t(u32, v.sense_len, SCSI_SENSE_BUFFERSIZE);
		memcpy(cmd->sense_buffer, c->pkt.srb.sense_data, n);
		cmd->result = v.scsi_status;
		break;
	case ENL_VSTOR_V_NO_CONNECT:
		/* main.c's rescan takes the device away when it sees this */
		cmd->result = DID_NO_CONNECT << 16;
		break;
	case ENL_VSTOR_V_RESET:
		cmd->result = DID_RESET << 16;
		break;
	default:
		cmd->result = DID_ERROR << 16;
		break;
	}
}

/* A completion packet for trans_id; p is the parsed packet. */
static void enl_storvsc_complete(struct enl_storvsc_chan *chan,
				 const struct enl_pkt *p)
{
	struct enl_storvsc *h = chan->h;
	struct enl_storvsc_cmd *c;
	struct scsi_cmnd *cmd;

	c = enl_vmbus_request_take(chan->ch, p->trans_id);
	if (!c) {
		if (atomic_inc_return(&h->bad_ids) <= 10)
			dev_warn(&h->vdev->dev,
				 "completion for unknown transaction %#llx dropped\n",
				 p->trans_id);
		return;
	}
	cmd = enl_cmd_of(c);
	enl_storvsc_result(chan, cmd, c, p);
	atomic_set_release(&c->state, ENL_CMD_DONE);
	scsi_done(cmd);
	atomic_dec(&h->inflight);
}

static void enl_storvsc_packet(struct enl_storvsc_chan *chan, u32 len)
{
	struct enl_storvsc *h = chan->h;
	struct enl_vstor_packet notice;
	struct enl_pkt p;

	if (enl_pkt_parse(chan->pkt, len, &p)) {
		chan->bad_pkts++;
		dev_warn_ratelimited(&h->vdev->dev, "malformed packet dropped\n");
		return;
	}
	if (p.trans_id != ENL_VSTOR_TRANS_ID_NOTICE) {
		atomic_inc(&chan->completing);
		enl_storvsc_complete(chan, &p);
		/* full barrier: the command is done before the count drops */
		atomic_dec_return(&chan->completing);
		if (wq_has_sleeper(&h->wq))
			wake_up(&h->wq);
		return;
	}
	/* host notices: ENUMERATE_BUS, REMOVE_DEVICE (both mean "rescan") */
	if (p.type != VMBUS_PKT_INBAND || p.payload_len < sizeof(notice)) {
		chan->bad_pkts++;
		dev_warn_ratelimited(&h->vdev->dev, "malformed notice dropped\n");
		return;
	}
	memcpy(&notice, p.payload, sizeof(notice));
	enl_storvsc_notice(h, notice.operation);
}

void enl_storvsc_callback(struct enl_vmbus_channel *ch, void *ctx)
{
	struct enl_storvsc_chan *chan = ctx;
	u32 len;
	int ret;

	while ((ret = enl_vmbus_recv(ch, chan->pkt, sizeof(chan->pkt), &len)) > 0)
		enl_storvsc_packet(chan, len);
	if (ret == -EMSGSIZE)
		enl_vmbus_chan_fail(ch, "storage packet larger than 80 bytes");
	if (ret < 0) {
		WRITE_ONCE(chan->dead, true);
		wake_up(&chan->h->wq);
	}
	enl_vmbus_recv_done(ch);
}

/* ---- error handling --------------------------------------------------------- */

static bool enl_storvsc_chan_quiet(struct enl_storvsc_chan *chan)
{
	return !atomic_read(&chan->completing);
}

/* No completion is on its way through the midlayer on any channel. */
static bool enl_storvsc_all_quiet(struct enl_storvsc *h)
{
	struct enl_storvsc_chan *chan;
	unsigned int i;

	for (i = 0; i < ENL_STORVSC_MAX_CHANNELS; i++) {
		/* as in enl_storvsc_pick(): a channel seen is an open one */
		chan = smp_load_acquire(&h->chans[i]);
		if (chan && !enl_storvsc_chan_quiet(chan))
			return false;
	}
	return true;
}

static bool enl_storvsc_cmd_settled(struct enl_storvsc_cmd *c)
{
	return atomic_read_acquire(&c->state) != ENL_CMD_SENT &&
	       enl_storvsc_chan_quiet(c->chan);
}

static bool enl_storvsc_chan_gone(struct enl_storvsc_chan *chan)
{
	return READ_ONCE(chan->dead) || enl_vmbus_chan_rescinded(chan->ch);
}

/*
 * A channel that can no longer deliver a completion: take the command's
 * id back so that nothing can complete it later; true if we did.
 */
static bool enl_storvsc_reap(struct enl_storvsc_cmd *c)
{
	struct enl_storvsc *h = c->chan->h;

	if (enl_vmbus_request_take(c->chan->ch, c->trans_id) != c)
		return false;
	atomic_set_release(&c->state, ENL_CMD_DONE);
	atomic_dec(&h->inflight);
	return true;
}

/*
 * VSTOR has no way to abort one command; the host completes every command
 * it received.  So an abort waits for that completion (it already went
 * to scsi_done(), which ignored it: the command belongs to the error
 * handler now) and reports success; a command on a dead channel is
 * reaped.  Else FAILED, and the midlayer escalates to a host reset.
 */
int enl_storvsc_eh_abort(struct scsi_cmnd *cmd)
{
	struct enl_storvsc *h = shost_priv(cmd->device->host);
	struct enl_storvsc_cmd *c = scsi_cmd_priv(cmd);

	if (atomic_read(&c->state) == ENL_CMD_IDLE)
		return SUCCESS;
	wait_event_timeout(h->wq, enl_storvsc_cmd_settled(c) ||
			   enl_storvsc_chan_gone(c->chan), ENL_STORVSC_ABORT_WAIT);
	if (!enl_storvsc_cmd_settled(c) && enl_storvsc_chan_gone(c->chan))
		enl_storvsc_reap(c);
	/* reaped, or the completion path owns it: wait for it to let go */
	wait_event_timeout(h->wq, enl_storvsc_cmd_settled(c), HZ);
	if (!enl_storvsc_cmd_settled(c)) {
		scmd_printk(KERN_WARNING, cmd, "abort: the host still holds the command\n");
		return FAILED;
	}
	return SUCCESS;
}

static bool enl_storvsc_reap_one(struct scsi_cmnd *cmd, void *data)
{
	struct enl_storvsc_cmd *c = scsi_cmd_priv(cmd);

	if (atomic_read(&c->state) == ENL_CMD_SENT && enl_storvsc_chan_gone(c->chan))
		enl_storvsc_reap(c);
	return true;
}

/* Outside the error handler: a reaped command is finished here. */
static bool enl_storvsc_fail_one(struct scsi_cmnd *cmd, void *data)
{
	struct enl_storvsc_cmd *c = scsi_cmd_priv(cmd);

	if (atomic_read(&c->state) != ENL_CMD_SENT || !enl_storvsc_chan_gone(c->chan))
		return true;
	if (enl_vmbus_request_take(c->chan->ch, c->trans_id) != c)
		return true;	/* the completion path has it */
	cmd->result = DID_NO_CONNECT << 16;
	atomic_set_release(&c->state, ENL_CMD_DONE);
	scsi_done(cmd);
	atomic_dec(&c->chan->h->inflight);
	return true;
}

/*
 * The host took the controller away (rescind): commands on dead channels
 * can never complete, so finish them now, before the midlayer's removal
 * waits for them.
 */
void enl_storvsc_fail_dead(struct enl_storvsc *h)
{
	scsi_host_busy_iter(h->shost, enl_storvsc_fail_one, NULL);
	wake_up(&h->wq);
}

static bool enl_storvsc_drained(struct enl_storvsc *h)
{
	return !atomic_read(&h->inflight) && enl_storvsc_all_quiet(h);
}

/*
 * Host reset: RESET_BUS, then wait until every command sent has come
 * back (the host answers each one, reset or not).  Commands on channels
 * that died are reaped; if live channels still hold commands after the
 * wait, FAILED: the midlayer then takes the devices offline.
 */
int enl_storvsc_eh_host_reset(struct scsi_cmnd *cmd)
{
	struct Scsi_Host *shost = cmd->device->host;
	struct enl_storvsc *h = shost_priv(shost);
	int ret;

	ret = enl_storvsc_reset_bus(h);
	if (ret)
		shost_printk(KERN_WARNING, shost, "bus reset not answered (%d)\n", ret);
	wait_event_timeout(h->wq, enl_storvsc_drained(h), ENL_STORVSC_DRAIN_WAIT);
	if (!enl_storvsc_drained(h)) {
		scsi_host_busy_iter(shost, enl_storvsc_reap_one, NULL);
		wait_event_timeout(h->wq, enl_storvsc_drained(h), HZ);
	}
	if (!enl_storvsc_drained(h)) {
		shost_printk(KERN_ERR, shost, "host reset: %d commands still outstanding\n",
			     atomic_read(&h->inflight));
		return FAILED;
	}
	return SUCCESS;
}
