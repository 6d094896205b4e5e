// SPDX-License-Identifier: GPL-2.0-only
/*
 * enl_netvsc: the VMBus driver of the synthetic network adapter and its
 * net_device.  Probe attaches (channel, NVSP, buffers, RNDIS: nvsp.c) and
 * registers the net_device; remove unregisters it and detaches.  An MTU
 * or channel-count change detaches and attaches again under rtnl with the
 * TX queues stopped, as the protocol has no other way to change them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>
#include "enl_netvsc.h"

/* ---- link, filter ---------------------------------------------------------- */

static void enl_netvsc_link_work(struct work_struct *w)
{
	struct enl_netvsc *nd = container_of(to_delayed_work(w), struct enl_netvsc,
					     link_work);

	/* the second half of a NETWORK_CHANGE: the link comes back */
	if (nd->ndev->reg_state == NETREG_REGISTERED) {
		nd->link_up = true;
		netif_carrier_on(nd->ndev);
	}
}

static u32 enl_netvsc_filter_of(struct net_device *ndev)
{
	u32 f = ENL_RNDIS_FILTER_DIRECTED | ENL_RNDIS_FILTER_ALL_MULTICAST |
		ENL_RNDIS_FILTER_BROADCAST;

	if (ndev->flags & IFF_PROMISC)
		f |= ENL_RNDIS_FILTER_PROMISCUOUS;
	return f;
}

static void enl_netvsc_filter_work(struct work_struct *w)
{
	struct enl_netvsc *nd = container_of(w, struct enl_netvsc, filter_work);

	rtnl_lock();
	if (nd->rndis_up && netif_running(nd->ndev))
		enl_rndis_set_filter(nd, enl_netvsc_filter_of(nd->ndev));
	rtnl_unlock();
}

/* ---- net_device ---------------------------------------------------------------- */

static void enl_netvsc_set_queues(struct enl_netvsc *nd, unsigned int n)
{
	netif_set_real_num_tx_queues(nd->ndev, n);
	netif_set_real_num_rx_queues(nd->ndev, n);
}

static int enl_netvsc_open(struct net_device *ndev)
{
	struct enl_netvsc *nd = netdev_priv(ndev);
	int ret;

	if (!nd->rndis_up)
		return -ENODEV;
	ret = enl_rndis_set_filter(nd, enl_netvsc_filter_of(ndev));
	if (ret)
		return ret;
	if (nd->link_up)
		netif_carrier_on(ndev);
	else
		netif_carrier_off(ndev);
	netif_tx_start_all_queues(ndev);
	return 0;
}

static int enl_netvsc_stop(struct net_device *ndev)
{
	struct enl_netvsc *nd = netdev_priv(ndev);

	netif_tx_disable(ndev);
	if (nd->rndis_up)
		enl_rndis_set_filter(nd, 0);
	return 0;
}

static void enl_netvsc_set_rx_mode(struct net_device *ndev)
{
	struct enl_netvsc *nd = netdev_priv(ndev);

	schedule_work(&nd->filter_work);
}

/* Detach, attach with new settings; back to the old ones if that fails. */
static int enl_netvsc_reattach(struct enl_netvsc *nd, u32 mtu, u16 chans)
{
	struct net_device *ndev = nd->ndev;
	u32 old_mtu = ndev->mtu;
	u16 old_chans = nd->num_chans;
	int ret;

	netif_device_detach(ndev);
	netif_tx_disable(ndev);
	enl_netvsc_detach(nd);
	nd->num_chans = chans;
	ret = enl_netvsc_attach(nd, mtu);
	if (ret) {
		netdev_err(ndev, "attach with MTU %u, %u channels failed (%d): back to %u, %u\n",
			   mtu, chans, ret, old_mtu, old_chans);
		nd->num_chans = old_chans;
		mtu = old_mtu;
		if (enl_netvsc_attach(nd, mtu)) {
			netdev_err(ndev, "cannot attach again: the device stays down\n");
			return ret;
		}
	}
	WRITE_ONCE(ndev->mtu, mtu);
	enl_netvsc_set_queues(nd, enl_netvsc_open_queues(nd));
	netdev_update_features(ndev);
	netif_device_attach(ndev);
	if (netif_running(ndev)) {
		enl_rndis_set_filter(nd, enl_netvsc_filter_of(ndev));
		if (nd->link_up)
			netif_carrier_on(ndev);
		else
			netif_carrier_off(ndev);
	}
	return ret;
}

static int enl_netvsc_change_mtu(struct net_device *ndev, int mtu)
{
	struct enl_netvsc *nd = netdev_priv(ndev);

	if (nd->state == ENL_NETVSC_REMOVING)
		return -ENODEV;
	return enl_netvsc_reattach(nd, mtu, nd->num_chans);
}

static void enl_netvsc_get_stats64(struct net_device *ndev,
				   struct rtnl_link_stats64 *s)
{
	struct enl_netvsc *nd = netdev_priv(ndev);
	unsigned int i, start;

	rcu_read_lock();
	for (i = 0; i < ENL_NETVSC_MAX_CHANNELS; i++) {
		struct enl_netvsc_chan *c = READ_ONCE(nd->chans[i]);
		u64 p, b;

		if (!c)
			continue;
		do {
			start = u64_stats_fetch_begin(&c->rx.syncp);
			p = u64_stats_read(&c->rx.packets);
			b = u64_stats_read(&c->rx.bytes);
		} while (u64_stats_fetch_retry(&c->rx.syncp, start));
		s->rx_packets += p;
		s->rx_bytes += b;
		do {
			start = u64_stats_fetch_begin(&c->tx.syncp);
			p = u64_stats_read(&c->tx.packets);
			b = u64_stats_read(&c->tx.bytes);
		} while (u64_stats_fetch_retry(&c->tx.syncp, start));
		s->tx_packets += p;
		s->tx_bytes += b;
		s->rx_errors += READ_ONCE(c->rx_bad_msgs) + READ_ONCE(c->rx_bad_pkts);
		s->rx_dropped += READ_ONCE(c->rx_nomem);
		s->tx_errors += READ_ONCE(c->tx_failed);
	}
	rcu_read_unlock();
}

static const struct net_device_ops enl_netvsc_ops = {
	.ndo_open = enl_netvsc_open,
	.ndo_stop = enl_netvsc_stop,
	.ndo_start_xmit = enl_netvsc_xmit,
	.ndo_change_mtu = enl_netvsc_change_mtu,
	.ndo_set_rx_mode = enl_netvsc_set_rx_mode,
	.ndo_get_stats64 = enl_netvsc_get_stats64,
	.ndo_validate_addr = eth_validate_addr,
};

/* ---- ethtool ----------------------------------------------------------------- */

static const char enl_netvsc_stat_names[][ETH_GSTRING_LEN] = {
	"tx_copied", "tx_page_ranges", "tx_busy", "tx_failed",
	"tx_bad_completions", "rx_bad_packets", "rx_bad_messages",
	"rx_no_memory", "rx_csum_unnecessary", "bad_trans_ids",
	"bad_inband", "stray_rndis_answers", "tx_sections_in_use",
	"tx_pending",
};

static void enl_netvsc_get_drvinfo(struct net_device *ndev,
				   struct ethtool_drvinfo *info)
{
	struct enl_netvsc *nd = netdev_priv(ndev);

	strscpy(info->driver, KBUILD_MODNAME, sizeof(info->driver));
	snprintf(info->fw_version, sizeof(info->fw_version), "NVSP %u.%u",
		 nd->nvsp_ver >> 16, nd->nvsp_ver & 0xffff);
	strscpy(info->bus_info, dev_name(&nd->vdev->dev), sizeof(info->bus_info));
}

/*
 * Then packets per queue, named as hv_netvsc names them so that one script
 * reads both.  The queue count changes under rtnl only, which the ethtool
 * core holds across the count and the fill.
 */
#define ENL_NETVSC_NSTATS(ndev) \
	(ARRAY_SIZE(enl_netvsc_stat_names) + 2 * (ndev)->real_num_tx_queues)

static int enl_netvsc_get_sset_count(struct net_device *ndev, int set)
{
	return set == ETH_SS_STATS ? ENL_NETVSC_NSTATS(ndev) : -EOPNOTSUPP;
}

static void enl_netvsc_get_strings(struct net_device *ndev, u32 set, u8 *data)
{
	unsigned int i;

	if (set != ETH_SS_STATS)
		return;
	memcpy(data, enl_netvsc_stat_names, sizeof(enl_netvsc_stat_names));
	data += sizeof(enl_netvsc_stat_names);
	for (i = 0; i < ndev->real_num_tx_queues; i++) {
		ethtool_sprintf(&data, "tx_queue_%u_packets", i);
		ethtool_sprintf(&data, "rx_queue_%u_packets", i);
	}
}

static void enl_netvsc_get_ethtool_stats(struct net_device *ndev,
					 struct ethtool_stats *st, u64 *data)
{
	struct enl_netvsc *nd = netdev_priv(ndev);
	u64 *q = data + ARRAY_SIZE(enl_netvsc_stat_names);
	unsigned int i, nq = ndev->real_num_tx_queues, start;

	memset(data, 0, sizeof(u64) * ENL_NETVSC_NSTATS(ndev));
	rcu_read_lock();
	for (i = 0; i < ENL_NETVSC_MAX_CHANNELS; i++) {
		struct enl_netvsc_chan *c = READ_ONCE(nd->chans[i]);

		if (!c)
			continue;
		if (i < nq) {
			do {
				start = u64_stats_fetch_begin(&c->tx.syncp);
				q[2 * i] = u64_stats_read(&c->tx.packets);
			} while (u64_stats_fetch_retry(&c->tx.syncp, start));
			do {
				start = u64_stats_fetch_begin(&c->rx.syncp);
				q[2 * i + 1] = u64_stats_read(&c->rx.packets);
			} while (u64_stats_fetch_retry(&c->rx.syncp, start));
		}
		data[0] += READ_ONCE(c->tx_copied);
		data[1] += READ_ONCE(c->tx_gpa);
		data[2] += READ_ONCE(c->tx_busy);
		data[3] += READ_ONCE(c->tx_failed);
		data[4] += READ_ONCE(c->tx_bad_completions);
		data[5] += READ_ONCE(c->rx_bad_pkts);
		data[6] += READ_ONCE(c->rx_bad_msgs);
		data[7] += READ_ONCE(c->rx_nomem);
		data[8] += READ_ONCE(c->rx_csum_ok);
		/* frames the host has not completed yet: a leak stays here */
		data[13] += skb_queue_len_lockless(&c->tx_inflight);
	}
	rcu_read_unlock();
	data[9] = atomic_long_read(&nd->bad_ids);
	data[10] = atomic_long_read(&nd->bad_inband);
	data[11] = READ_ONCE(nd->ctl_stray);
	if (nd->send_map)
		data[12] = bitmap_weight(nd->send_map, nd->send_sections);
}

static void enl_netvsc_get_channels(struct net_device *ndev,
				    struct ethtool_channels *ch)
{
	struct enl_netvsc *nd = netdev_priv(ndev);

	ch->max_combined = max_t(u16, nd->max_chans, 1);
	ch->combined_count = ndev->real_num_tx_queues;
}

static int enl_netvsc_set_channels(struct net_device *ndev,
				   struct ethtool_channels *ch)
{
	struct enl_netvsc *nd = netdev_priv(ndev);

	if (ch->rx_count || ch->tx_count || ch->other_count ||
	    !ch->combined_count || ch->combined_count > max_t(u16, nd->max_chans, 1))
		return -EINVAL;
	if (nd->state == ENL_NETVSC_REMOVING)
		return -ENODEV;
	return enl_netvsc_reattach(nd, ndev->mtu, ch->combined_count);
}

static int enl_netvsc_get_link_ksettings(struct net_device *ndev,
					 struct ethtool_link_ksettings *ks)
{
	struct enl_netvsc *nd = netdev_priv(ndev);

	ks->base.speed = nd->link_speed ? nd->link_speed / 10000 : SPEED_UNKNOWN;
	ks->base.duplex = DUPLEX_FULL;
	ks->base.port = PORT_OTHER;
	return 0;
}

static const struct ethtool_ops enl_netvsc_ethtool_ops = {
	.get_drvinfo = enl_netvsc_get_drvinfo,
	.get_link = ethtool_op_get_link,
	.get_sset_count = enl_netvsc_get_sset_count,
	.get_strings = enl_netvsc_get_strings,
	.get_ethtool_stats = enl_netvsc_get_ethtool_stats,
	.get_channels = enl_netvsc_get_channels,
	.set_channels = enl_netvsc_set_channels,
	.get_link_ksettings = enl_netvsc_get_link_ksettings,
};

/* ---- VMBus driver -------------------------------------------------------------- */

static int enl_netvsc_probe(struct enl_vmbus_device *vdev,
			    const struct enl_vmbus_device_id *id)
{
	struct net_device *ndev;
	struct enl_netvsc *nd;
	int ret;

	ndev = alloc_etherdev_mq(sizeof(*nd), ENL_NETVSC_MAX_CHANNELS);
	if (!ndev)
		return -ENOMEM;
	SET_NETDEV_DEV(ndev, &vdev->dev);
	nd = netdev_priv(ndev);
	nd->vdev = vdev;
	nd->ndev = ndev;
	nd->state = ENL_NETVSC_DETACHED;
	nd->num_chans = ENL_NETVSC_MAX_CHANNELS;	/* as many as allowed */
	mutex_init(&nd->sc_lock);
	mutex_init(&nd->ctl_lock);
	spin_lock_init(&nd->ctl_rx_lock);
	init_completion(&nd->ctl_done);
	init_waitqueue_head(&nd->sc_wq);
	INIT_WORK(&nd->filter_work, enl_netvsc_filter_work);
	INIT_DELAYED_WORK(&nd->link_work, enl_netvsc_link_work);
	nd->ctl_req = (u8 *)get_zeroed_page(GFP_KERNEL);
	if (!nd->ctl_req) {
		free_netdev(ndev);
		return -ENOMEM;
	}
	ndev->netdev_ops = &enl_netvsc_ops;
	ndev->ethtool_ops = &enl_netvsc_ethtool_ops;
	ndev->min_mtu = ETH_MIN_MTU;
	ndev->max_mtu = ENL_NETVSC_MAX_MTU;
	ndev->features = NETIF_F_SG | NETIF_F_RXCSUM | NETIF_F_HW_VLAN_CTAG_TX |
			 NETIF_F_HW_VLAN_CTAG_RX;
	ndev->hw_features = NETIF_F_SG | NETIF_F_RXCSUM;
	dev_set_drvdata(&vdev->dev, nd);

	ret = enl_netvsc_attach(nd, ndev->mtu);
	if (ret)
		goto err_free;
	enl_netvsc_set_queues(nd, enl_netvsc_open_queues(nd));
	netif_carrier_off(ndev);
	ret = register_netdev(ndev);
	if (ret) {
		dev_err(&vdev->dev, "net_device not registered (%d)\n", ret);
		goto err_detach;
	}
	rtnl_lock();
	if (nd->link_up)
		netif_carrier_on(ndev);
	rtnl_unlock();
	netdev_info(ndev, "MAC %pM, link %s, offloads%s%s%s%s\n", ndev->dev_addr,
		    nd->link_up ? "up" : "down",
		    nd->offload_csum4 ? " csum4" : "", nd->offload_csum6 ? " csum6" : "",
		    nd->offload_tso4 ? " tso4" : "", nd->offload_tso6 ? " tso6" : "");
	return 0;

err_detach:
	enl_netvsc_detach(nd);
err_free:
	cancel_delayed_work_sync(&nd->link_work);
	dev_set_drvdata(&vdev->dev, NULL);
	free_page((unsigned long)nd->ctl_req);
	free_netdev(ndev);
	return ret;
}

static void enl_netvsc_remove(struct enl_vmbus_device *vdev)
{
	struct enl_netvsc *nd = dev_get_drvdata(&vdev->dev);
	struct net_device *ndev = nd->ndev;

	enl_vmbus_set_subchannel_cb(vdev->channel, NULL);
	unregister_netdev(ndev);
	rtnl_lock();
	enl_netvsc_detach(nd);
	nd->state = ENL_NETVSC_REMOVING;
	rtnl_unlock();
	/* after the detach: no indication can queue them again */
	cancel_work_sync(&nd->filter_work);
	cancel_delayed_work_sync(&nd->link_work);
	dev_set_drvdata(&vdev->dev, NULL);
	free_page((unsigned long)nd->ctl_req);
	free_netdev(ndev);
}

static const struct enl_vmbus_device_id enl_netvsc_ids[] = {
	{ .guid = ENL_GUID_NETWORK },
	{ }
};

static struct enl_vmbus_driver enl_netvsc_driver = {
	.name = "enl_netvsc",
	.id_table = enl_netvsc_ids,
	.probe = enl_netvsc_probe,
	.remove = enl_netvsc_remove,
};

static int __init enl_netvsc_init(void)
{
	return enl_vmbus_driver_register(&enl_netvsc_driver);
}

static void __exit enl_netvsc_exit(void)
{
	enl_vmbus_driver_unregister(&enl_netvsc_driver);
}

module_init(enl_netvsc_init);
module_exit(enl_netvsc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("enlighten synthetic network adapter (NVSP/RNDIS)");
/* modalias vmbus:<class GUID bytes in hex>, for udev and modprobe */
MODULE_ALIAS("vmbus:635161f83edfc546913ff2d2f965ed0e");
