// SPDX-License-Identifier: GPL-2.0-only
/*
 * NVSP on the primary channel, one step at a time: INIT with the newest
 * version first until the host accepts one, NDIS config and version,
 * then the receive buffer (a GPADL the host writes frames and RNDIS
 * answers into, as transfer pages) and the send buffer (sections small
 * frames are copied into), then RNDIS.  Every answer is checked before a
 * value of it is used.  Detach undoes it all in the order the host
 * expects: filter 0, HALT, revoke both buffers, close, GPADLs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/cpumask.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include "enl_netvsc.h"

static unsigned int max_channels = 8;
module_param(max_channels, uint, 0444);
MODULE_PARM_DESC(max_channels,
		 "Queue pairs (channels) at most, the primary included (default 8, limit 16; also at most the CPUs)");

/* what we speak, newest first */
static const u32 enl_nvsp_versions[] = {
	ENL_NVSP_VER_61, ENL_NVSP_VER_6, ENL_NVSP_VER_5, ENL_NVSP_VER_4, ENL_NVSP_VER_2,
};

/* trans id of the NVSP messages that ask for no completion (as the stock driver) */
#define ENL_NVSP_NO_RESPONSE	(U64_MAX - 2)

/*
 * One step on the primary channel; the answer must be a completion of
 * the type the step expects and at least need bytes long (type included).
 */
static int enl_nvsp_step(struct enl_netvsc *nd, struct enl_nvsp_msg *req,
			 struct enl_nvsp_msg *resp, u32 want_type, u32 need)
{
	u32 got = 0;
	int ret;

	memset(resp, 0, sizeof(*resp));
	ret = enl_vmbus_send_wait(nd->vdev->channel, req, sizeof(*req), resp,
				  sizeof(*resp), &got, ENL_NETVSC_TIMEOUT);
	if (ret) {
		dev_err(&nd->vdev->dev, "NVSP message %u: no answer (%d)\n",
			req->type, ret);
		return ret;
	}
	if (got < need || resp->type != want_type) {
		dev_err(&nd->vdev->dev,
			"NVSP message %u: bad answer (%u bytes, type %u)\n",
			req->type, got, got >= 4 ? resp->type : 0);
		return -EPROTO;
	}
	return 0;
}

static int enl_nvsp_send_nowait(struct enl_netvsc *nd, struct enl_nvsp_msg *m)
{
	return enl_vmbus_send(nd->vdev->channel, VMBUS_PKT_INBAND, 0,
			      ENL_NVSP_NO_RESPONSE, m, sizeof(*m));
}

static int enl_nvsp_negotiate(struct enl_netvsc *nd, u32 mtu)
{
	struct enl_nvsp_msg req, resp;
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(enl_nvsp_versions); i++) {
		memset(&req, 0, sizeof(req));
		req.type = ENL_NVSP_MSG_INIT;
		req.init.min_ver = enl_nvsp_versions[i];
		req.init.max_ver = enl_nvsp_versions[i];
		ret = enl_nvsp_step(nd, &req, &resp, ENL_NVSP_MSG_INIT_COMPLETE, 16);
		if (ret)
			return ret;
		if (resp.init_complete.status == ENL_NVSP_STAT_SUCCESS)
			break;
	}
	if (i == ARRAY_SIZE(enl_nvsp_versions)) {
		dev_err(&nd->vdev->dev, "the host speaks none of NVSP 6.1 ... 2\n");
		return -EPROTONOSUPPORT;
	}
	nd->nvsp_ver = enl_nvsp_versions[i];

	/* NDIS config: our MTU and 802.1Q; no SR-IOV, no RSC */
	memset(&req, 0, sizeof(req));
	req.type = ENL_NVSP_MSG2_SEND_NDIS_CONFIG;
	req.ndis_config.mtu = mtu + ETH_HLEN;
	req.ndis_config.capability = ENL_NVSP_CAP_IEEE8021Q;
	if (nd->nvsp_ver >= ENL_NVSP_VER_5)
		req.ndis_config.capability |= ENL_NVSP_CAP_TEAMING;
	ret = enl_nvsp_send_nowait(nd, &req);
	if (ret)
		return ret;

	/* NDIS 6.30 from NVSP 5 on, 6.1 before */
	memset(&req, 0, sizeof(req));
	req.type = ENL_NVSP_MSG1_SEND_NDIS_VER;
	req.ndis_ver.major = 6;
	req.ndis_ver.minor = nd->nvsp_ver >= ENL_NVSP_VER_5 ? 30 : 1;
	return enl_nvsp_send_nowait(nd, &req);
}

static int enl_nvsp_recv_buf(struct enl_netvsc *nd, u32 mtu)
{
	struct enl_nvsp_msg req, resp;
	u32 sub, num;
	int ret;

	nd->recv_buf_size = nd->nvsp_ver <= ENL_NVSP_VER_2 ? ENL_NETVSC_RECV_BUF_OLD :
							 ENL_NETVSC_RECV_BUF;
	nd->recv_buf = vzalloc(nd->recv_buf_size);
	if (!nd->recv_buf)
		return -ENOMEM;
	ret = enl_vmbus_gpadl_create(nd->vdev->channel, nd->recv_buf,
				     nd->recv_buf_size, &nd->recv_gpadl);
	if (ret) {
		dev_err(&nd->vdev->dev, "receive buffer GPADL failed (%d)\n", ret);
		if (ret != -ETIMEDOUT)
			vfree(nd->recv_buf);
		nd->recv_buf = NULL;
		return ret;
	}

	memset(&req, 0, sizeof(req));
	req.type = ENL_NVSP_MSG1_SEND_RECV_BUF;
	req.send_buf.gpadl_handle = nd->recv_gpadl;
	req.send_buf.id = ENL_NVSP_RECV_BUF_ID;
	ret = enl_nvsp_step(nd, &req, &resp, ENL_NVSP_MSG1_SEND_RECV_BUF_COMPLETE, 28);
	if (ret)
		return ret;
	if (resp.recv_buf_complete.status != ENL_NVSP_STAT_SUCCESS) {
		dev_err(&nd->vdev->dev, "host refused the receive buffer (status %u)\n",
			resp.recv_buf_complete.status);
		return -EIO;
	}
	sub = resp.recv_buf_complete.section.sub_alloc_size;
	num = resp.recv_buf_complete.section.num_sub_allocs;
	if (resp.recv_buf_complete.num_sections != 1 ||
	    resp.recv_buf_complete.section.offset != 0 || sub < ENL_NETVSC_MIN_SECTION ||
	    !num || (u64)sub * num > nd->recv_buf_size) {
		dev_err(&nd->vdev->dev,
			"receive buffer layout refused: %u sections, offset %u, %u x %u bytes\n",
			resp.recv_buf_complete.num_sections,
			resp.recv_buf_complete.section.offset, num, sub);
		return -EPROTO;
	}
	nd->recv_section = sub;
	if (sub < mtu + ETH_HLEN + 8 + sizeof(struct enl_rndis_packet))
		dev_warn(&nd->vdev->dev,
			 "receive sections of %u bytes are too small for MTU %u\n",
			 sub, mtu);
	return 0;
}

static int enl_nvsp_send_buf(struct enl_netvsc *nd)
{
	struct enl_nvsp_msg req, resp;
	u32 sec;
	int ret;

	nd->send_buf_size = ENL_NETVSC_SEND_BUF;
	nd->send_buf = vzalloc(nd->send_buf_size);
	if (!nd->send_buf)
		return -ENOMEM;
	ret = enl_vmbus_gpadl_create(nd->vdev->channel, nd->send_buf,
				     nd->send_buf_size, &nd->send_gpadl);
	if (ret) {
		dev_err(&nd->vdev->dev, "send buffer GPADL failed (%d)\n", ret);
		if (ret != -ETIMEDOUT)
			vfree(nd->send_buf);
		nd->send_buf = NULL;
		return ret;
	}

	memset(&req, 0, sizeof(req));
	req.type = ENL_NVSP_MSG1_SEND_SEND_BUF;
	req.send_buf.gpadl_handle = nd->send_gpadl;
	req.send_buf.id = ENL_NVSP_SEND_BUF_ID;
	ret = enl_nvsp_step(nd, &req, &resp, ENL_NVSP_MSG1_SEND_SEND_BUF_COMPLETE, 12);
	if (ret)
		return ret;
	if (resp.send_buf_complete.status != ENL_NVSP_STAT_SUCCESS) {
		dev_err(&nd->vdev->dev, "host refused the send buffer (status %u)\n",
			resp.send_buf_complete.status);
		return -EIO;
	}
	sec = resp.send_buf_complete.section_size;
	if (sec < ENL_NETVSC_MIN_SECTION || sec > nd->send_buf_size) {
		dev_err(&nd->vdev->dev, "send section size %u refused\n", sec);
		return -EPROTO;
	}
	nd->send_section = sec;
	nd->send_sections = nd->send_buf_size / sec;
	nd->send_map = bitmap_zalloc(nd->send_sections, GFP_KERNEL);
	if (!nd->send_map)
		return -ENOMEM;
	return 0;
}

/* ---- channels ------------------------------------------------------------ */

int enl_netvsc_chan_open(struct enl_netvsc *nd, struct enl_vmbus_channel *ch,
			 u16 index)
{
	struct enl_netvsc_chan *c;
	int ret;

	c = kvzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->nd = nd;
	c->ch = ch;
	c->index = index;
	skb_queue_head_init(&c->tx_inflight);
	u64_stats_init(&c->rx.syncp);
	u64_stats_init(&c->tx.syncp);
	netif_napi_add(nd->ndev, &c->napi, enl_netvsc_poll);
	/*
	 * Queue i interrupts CPU i (modulo the CPUs), as the stock driver's
	 * channels land (primary on CPU 0): the bus's round robin over all
	 * offers put our primary on CPU 1, behind the integration services.
	 * Not open yet, so this only picks the VP the open names.
	 */
	enl_vmbus_set_target_cpu(ch, cpumask_local_spread(index, NUMA_NO_NODE));
	/* NAPI runs before the open: the host may answer at once */
	napi_enable(&c->napi);
	enl_vmbus_set_raw_callback(ch, true);
	ret = enl_vmbus_open(ch, ENL_NETVSC_RING, ENL_NETVSC_RING, NULL, 0,
			     enl_netvsc_callback, c);
	if (ret) {
		napi_disable(&c->napi);
		netif_napi_del(&c->napi);
		kvfree(c);
		return ret;
	}
	/* the xmit path may use it from now on */
	smp_store_release(&nd->chans[index], c);
	return 0;
}

/* enl_vmbus's offer work: a subchannel the host made for us. */
static void enl_netvsc_sc_offer(struct enl_vmbus_channel *primary,
				struct enl_vmbus_channel *sc)
{
	struct enl_vmbus_device *vdev = enl_vmbus_chan_device(primary);
	struct enl_netvsc *nd = dev_get_drvdata(&vdev->dev);
	u16 idx = enl_vmbus_subchannel_index(sc);
	int ret;

	if (!nd)
		return;
	mutex_lock(&nd->sc_lock);
	if (nd->state != ENL_NETVSC_ATTACHED || !idx || idx > nd->sc_requested ||
	    idx >= ENL_NETVSC_MAX_CHANNELS || nd->chans[idx]) {
		dev_warn(&vdev->dev, "subchannel %u not asked for: left closed\n", idx);
		goto out;
	}
	ret = enl_netvsc_chan_open(nd, sc, idx);
	if (ret) {
		dev_warn(&vdev->dev, "subchannel %u not opened (%d)\n", idx, ret);
		goto out;
	}
	atomic_inc(&nd->sc_open);
	wake_up(&nd->sc_wq);
out:
	mutex_unlock(&nd->sc_lock);
}

/* Queues usable now: channels open without a gap from the primary on. */
u16 enl_netvsc_open_queues(struct enl_netvsc *nd)
{
	u16 n = 0;

	while (n < ENL_NETVSC_MAX_CHANNELS && READ_ONCE(nd->chans[n]))
		n++;
	return max_t(u16, n, 1);
}

/*
 * Ask for num_chans - 1 subchannels and wait (bounded) for the host's
 * offers; then spread RSS over what is open.  Fewer than asked is not an
 * error: the queues are what opened.
 */
int enl_netvsc_subchannels(struct enl_netvsc *nd)
{
	u16 want = min(nd->num_chans, nd->max_chans) - 1, granted, n;
	struct enl_nvsp_msg req, resp;
	int ret;

	if (!want)
		return 0;
	mutex_lock(&nd->sc_lock);
	nd->sc_requested = want;
	mutex_unlock(&nd->sc_lock);
	enl_vmbus_set_subchannel_cb(nd->vdev->channel, enl_netvsc_sc_offer);

	memset(&req, 0, sizeof(req));
	req.type = ENL_NVSP_MSG5_SUBCHANNEL;
	req.subchannel_req.op = 1;	/* allocate */
	req.subchannel_req.num_subchannels = want;
	ret = enl_nvsp_step(nd, &req, &resp, ENL_NVSP_MSG5_SUBCHANNEL, 12);
	if (ret)
		return ret;
	if (resp.subchannel_complete.status != ENL_NVSP_STAT_SUCCESS) {
		dev_warn(&nd->vdev->dev, "host refused %u subchannels (status %u)\n",
			 want, resp.subchannel_complete.status);
		return 0;
	}
	granted = min_t(u32, resp.subchannel_complete.num_subchannels, want);
	nd->sc_granted = granted;
	if (!wait_event_timeout(nd->sc_wq, atomic_read(&nd->sc_open) >= granted,
				ENL_NETVSC_TIMEOUT))
		dev_warn(&nd->vdev->dev, "%u of %u subchannels offered in time\n",
			 atomic_read(&nd->sc_open), granted);
	n = enl_netvsc_open_queues(nd);
	if (n > 1 && enl_rndis_set_rss(nd, n))
		dev_warn(&nd->vdev->dev, "RSS over %u queues refused\n", n);
	return 0;
}

/* Before the close: nothing reads the rings from here on. */
static void enl_netvsc_napi_off(struct enl_netvsc *nd)
{
	unsigned int i;

	for (i = 0; i < ENL_NETVSC_MAX_CHANNELS; i++)
		if (nd->chans[i])
			napi_disable(&nd->chans[i]->napi);
}

/* After the channels are closed: no completion will come. */
static void enl_netvsc_chans_free(struct enl_netvsc *nd)
{
	unsigned int i;

	for (i = 0; i < ENL_NETVSC_MAX_CHANNELS; i++) {
		struct enl_netvsc_chan *c = nd->chans[i];

		if (!c)
			continue;
		netif_napi_del(&c->napi);
		enl_netvsc_tx_reap(c);
		WRITE_ONCE(nd->chans[i], NULL);
		/* the xmit path (RCU) may still hold it */
		synchronize_net();
		kvfree(c);
	}
}

static void enl_netvsc_buffers_free(struct enl_netvsc *nd)
{
	struct enl_vmbus_channel *ch = nd->vdev->channel;

	/* a GPADL the host did not give back keeps its pages */
	if (nd->recv_buf) {
		if (enl_vmbus_gpadl_destroy(ch, nd->recv_gpadl) != -ETIMEDOUT)
			vfree(nd->recv_buf);
		nd->recv_buf = NULL;
	}
	if (nd->send_buf) {
		if (enl_vmbus_gpadl_destroy(ch, nd->send_gpadl) != -ETIMEDOUT)
			vfree(nd->send_buf);
		nd->send_buf = NULL;
	}
	bitmap_free(nd->send_map);
	nd->send_map = NULL;
}

/* Close everything; the GPADLs go after the close from VMBus 4.0 on. */
static void enl_netvsc_teardown(struct enl_netvsc *nd)
{
	bool gpadl_first = enl_vmbus_version() < (4 << 16);

	enl_vmbus_set_subchannel_cb(nd->vdev->channel, NULL);
	mutex_lock(&nd->sc_lock);
	nd->sc_requested = 0;
	mutex_unlock(&nd->sc_lock);
	/* no subchannel opens (and adds a NAPI) from here on */
	mutex_lock(&nd->sc_lock);
	enl_netvsc_napi_off(nd);
	mutex_unlock(&nd->sc_lock);
	if (gpadl_first)
		enl_netvsc_buffers_free(nd);
	enl_vmbus_close(nd->vdev->channel);	/* subchannels too */
	enl_netvsc_chans_free(nd);
	if (!gpadl_first)
		enl_netvsc_buffers_free(nd);
	nd->sc_granted = 0;
	atomic_set(&nd->sc_open, 0);
}

/* Under rtnl.  On failure everything is closed again. */
int enl_netvsc_attach(struct enl_netvsc *nd, u32 mtu)
{
	int ret;

	ret = enl_netvsc_chan_open(nd, nd->vdev->channel, 0);
	if (ret) {
		dev_err(&nd->vdev->dev, "cannot open the channel (%d)\n", ret);
		return ret;
	}
	ret = enl_nvsp_negotiate(nd, mtu);
	if (!ret)
		ret = enl_nvsp_recv_buf(nd, mtu);
	if (!ret)
		ret = enl_nvsp_send_buf(nd);
	if (!ret) {
		mutex_lock(&nd->sc_lock);
		nd->state = ENL_NETVSC_ATTACHED;
		mutex_unlock(&nd->sc_lock);
		ret = enl_rndis_init(nd, mtu);
	}
	if (!ret) {
		nd->max_chans = min3(enl_rndis_rss_queues(nd), num_online_cpus(),
				     clamp_t(unsigned int, max_channels, 1,
					     ENL_NETVSC_MAX_CHANNELS));
		ret = enl_netvsc_subchannels(nd);
	}
	if (ret) {
		mutex_lock(&nd->sc_lock);
		nd->state = ENL_NETVSC_DETACHED;
		mutex_unlock(&nd->sc_lock);
		enl_netvsc_teardown(nd);
		return ret;
	}
	dev_info(&nd->vdev->dev,
		 "NVSP %u.%u, %u queues, receive buffer %u KiB in %u-byte sections, send buffer %u x %u bytes\n",
		 nd->nvsp_ver >> 16, nd->nvsp_ver & 0xffff, enl_netvsc_open_queues(nd),
		 nd->recv_buf_size / 1024, nd->recv_section, nd->send_sections,
		 nd->send_section);
	return 0;
}

/* Under rtnl, with the TX queues stopped. */
void enl_netvsc_detach(struct enl_netvsc *nd)
{
	struct enl_nvsp_msg m;

	if (nd->rndis_up) {
		enl_rndis_set_filter(nd, 0);
		enl_rndis_halt(nd);
		nd->rndis_up = false;
	}
	if (nd->recv_buf && nd->chans[0]) {
		/* no completion asked for these */
		memset(&m, 0, sizeof(m));
		m.type = ENL_NVSP_MSG1_REVOKE_RECV_BUF;
		m.revoke_buf.id = ENL_NVSP_RECV_BUF_ID;
		enl_nvsp_send_nowait(nd, &m);
		memset(&m, 0, sizeof(m));
		m.type = ENL_NVSP_MSG1_REVOKE_SEND_BUF;
		m.revoke_buf.id = ENL_NVSP_SEND_BUF_ID;
		enl_nvsp_send_nowait(nd, &m);
	}
	mutex_lock(&nd->sc_lock);
	if (nd->state == ENL_NETVSC_ATTACHED)
		nd->state = ENL_NETVSC_DETACHED;
	mutex_unlock(&nd->sc_lock);
	if (nd->chans[0])
		enl_netvsc_teardown(nd);
}
