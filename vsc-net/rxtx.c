// SPDX-License-Identifier: GPL-2.0-only
/*
 * The data path.  RX: the channel's interrupt schedules NAPI, whose poll
 * reads the inbound ring: transfer-page packets carry RNDIS messages in
 * the receive buffer (frames, control answers, status indications), each
 * completed once copied out; completion packets finish our sends.  TX:
 * a frame that fits a send-buffer section is copied there and sent
 * inband; a larger one goes as page ranges (its RNDIS header pushed into
 * the skb's headroom, the linear part, then each fragment).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/kernel.h>
#include <linux/tcp.h>
#include <net/ip6_checksum.h>
#include <net/checksum.h>
#include "enl_netvsc.h"

/* ---- RX ------------------------------------------------------------------ */

void enl_netvsc_callback(struct enl_vmbus_channel *ch, void *ctx)
{
	struct enl_netvsc_chan *c = ctx;

	if (napi_schedule_prep(&c->napi)) {
		enl_vmbus_rx_mask(ch);
		__napi_schedule(&c->napi);
	}
}

/* Send the RX completions we owe; false if the ring had no room for all. */
static bool enl_netvsc_rx_flush(struct enl_netvsc_chan *c)
{
	static const u32 ok[2] = { ENL_NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE, ENL_NVSP_STAT_SUCCESS };
	u32 i;

	for (i = 0; i < c->rx_done_n; i++) {
		int ret = enl_vmbus_send(c->ch, VMBUS_PKT_COMPLETION, 0,
					 c->rx_done[i], ok, sizeof(ok));
		if (ret == -EAGAIN)
			break;
		/* other errors: the channel is gone, nothing more to owe */
	}
	if (i && i < c->rx_done_n)
		memmove(c->rx_done, c->rx_done + i, (c->rx_done_n - i) * 8);
	c->rx_done_n -= i;
	return !c->rx_done_n;
}

static void enl_netvsc_rx_frame(struct enl_netvsc_chan *c, const u8 *msg,
				const struct enl_rndis_rx *r)
{
	struct net_device *ndev = c->nd->ndev;
	struct sk_buff *skb;

	if (r->data_len > ndev->mtu + ETH_HLEN + VLAN_HLEN) {
		c->rx_bad_msgs++;
		return;
	}
	skb = napi_alloc_skb(&c->napi, r->data_len);
	if (!skb) {
		c->rx_nomem++;
		return;
	}
	skb_put_data(skb, msg + r->data_off, r->data_len);
	skb->protocol = eth_type_trans(skb, ndev);
	if (r->has_csum && (ndev->features & NETIF_F_RXCSUM) &&
	    (r->csum & (ENL_RX_CSUM_TCP_OK | ENL_RX_CSUM_UDP_OK))) {
		skb->ip_summed = CHECKSUM_UNNECESSARY;
		c->rx_csum_ok++;
	}
	if (r->has_vlan)
		__vlan_hwaccel_put_tag(skb, htons(ETH_P_8021Q), r->vlan_tci);
	if (r->has_hash)
		skb_set_hash(skb, r->hash, PKT_HASH_TYPE_L4);
	skb_record_rx_queue(skb, c->index);
	u64_stats_update_begin(&c->rx.syncp);
	u64_stats_inc(&c->rx.packets);
	u64_stats_add(&c->rx.bytes, r->data_len);
	u64_stats_update_end(&c->rx.syncp);
	napi_gro_receive(&c->napi, skb);
}

static void enl_netvsc_rx_xfer(struct enl_netvsc_chan *c, const struct enl_pkt *p)
{
	struct enl_netvsc *nd = c->nd;
	const char *why = NULL;
	struct enl_rndis_rx r;
	u32 i, type;

	/* owed whatever we think of it: the host waits for its sections */
	if (c->rx_done_n < ENL_NETVSC_RXDONE_MAX)
		c->rx_done[c->rx_done_n++] = p->trans_id;

	if (!nd->recv_buf) {
		c->rx_bad_pkts++;
		return;
	}
	if (p->payload_len < 16) {
		c->rx_bad_pkts++;
		return;
	}
	memcpy(&type, p->payload, 4);
	if (type != ENL_NVSP_MSG1_SEND_RNDIS_PKT ||
	    enl_netvsc_xfer_check(p, nd->recv_buf_size, nd->recv_section, &why)) {
		if (net_ratelimit())
			netdev_warn(nd->ndev, "receive packet refused: %s\n",
				    why ?: "not an RNDIS packet");
		c->rx_bad_pkts++;
		return;
	}
	for (i = 0; i < p->range_count; i++) {
		struct vmbus_xfer_range x = enl_pkt_xfer_range(p, i);
		const u8 *msg = (const u8 *)nd->recv_buf + x.byte_offset;

		switch (enl_rndis_rx_parse(msg, x.byte_count, &r)) {
		case ENL_RNDIS_RX_DATA:
			if (nd->ndev->reg_state == NETREG_REGISTERED)
				enl_netvsc_rx_frame(c, msg, &r);
			break;
		case ENL_RNDIS_RX_CMPLT:
			enl_rndis_response(nd, msg, x.byte_count, &r);
			break;
		case ENL_RNDIS_RX_INDICATE:
			enl_rndis_indicate(nd, msg, &r);
			break;
		case ENL_RNDIS_RX_IGNORE:
			break;
		default:
			if (net_ratelimit())
				netdev_warn(nd->ndev, "RNDIS message refused: %s\n",
					    r.bad);
			c->rx_bad_msgs++;
			break;
		}
	}
}

static void enl_netvsc_tx_done(struct enl_netvsc_chan *c, struct sk_buff *skb,
			       bool ok)
{
	struct enl_netvsc_skb_cb *cb = ENL_NETVSC_CB(skb);
	struct enl_netvsc *nd = c->nd;

	skb_unlink(skb, &c->tx_inflight);
	if (cb->section != ENL_NVSP_NO_SECTION)
		clear_bit(cb->section, nd->send_map);
	if (ok) {
		u64_stats_update_begin(&c->tx.syncp);
		u64_stats_inc(&c->tx.packets);
		u64_stats_add(&c->tx.bytes, cb->len);
		u64_stats_update_end(&c->tx.syncp);
	} else {
		c->tx_failed++;
	}
	dev_consume_skb_any(skb);
}

static void enl_netvsc_completion(struct enl_netvsc_chan *c, const struct enl_pkt *p)
{
	void *ctx = enl_vmbus_request_take(c->ch, p->trans_id);
	u32 m[2] = { 0, 0 };
	bool ok;

	if (!ctx) {
		atomic_long_inc(&c->nd->bad_ids);
		return;
	}
	memcpy(m, p->payload, min_t(u32, p->payload_len, sizeof(m)));
	ok = p->payload_len >= 8 && m[0] == ENL_NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE &&
	     m[1] == ENL_NVSP_STAT_SUCCESS;
	if (ctx == &enl_netvsc_ctl_marker)
		return;
	if (!ok)
		c->tx_bad_completions++;
	enl_netvsc_tx_done(c, ctx, ok);
}

/* NVSP messages the host sends on its own (inband) */
static void enl_netvsc_inband(struct enl_netvsc_chan *c, const struct enl_pkt *p)
{
	struct enl_netvsc *nd = c->nd;
	u32 type, count, off, i;

	if (p->payload_len < 12) {
		atomic_long_inc(&nd->bad_inband);
		return;
	}
	memcpy(&type, p->payload, 4);
	if (type != ENL_NVSP_MSG5_SEND_INDIRECTION_TABLE) {
		/* VF association and the like: nothing we do */
		atomic_long_inc(&nd->bad_inband);
		return;
	}
	memcpy(&count, p->payload + 4, 4);
	memcpy(&off, p->payload + 8, 4);
	/* the table: count entries at off from the NVSP message's start */
	if (count != 16 || off > p->payload_len || p->payload_len - off < 16 * 4) {
		atomic_long_inc(&nd->bad_inband);
		return;
	}
	for (i = 0; i < count; i++) {
		u32 v;

		memcpy(&v, p->payload + off + 4 * i, 4);
		WRITE_ONCE(nd->rss_ind[i], v);
	}
}

static void enl_netvsc_packet(struct enl_netvsc_chan *c, u32 len)
{
	struct enl_pkt p;

	if (enl_pkt_parse(c->pkt, len, &p)) {
		c->rx_bad_pkts++;
		return;
	}
	switch (p.type) {
	case VMBUS_PKT_XFER_PAGES:
		enl_netvsc_rx_xfer(c, &p);
		break;
	case VMBUS_PKT_COMPLETION:
		enl_netvsc_completion(c, &p);
		break;
	case VMBUS_PKT_INBAND:
		enl_netvsc_inband(c, &p);
		break;
	default:
		c->rx_bad_pkts++;
		break;
	}
}

int enl_netvsc_poll(struct napi_struct *napi, int budget)
{
	struct enl_netvsc_chan *c = container_of(napi, struct enl_netvsc_chan, napi);
	struct netdev_queue *txq;
	int work = 0;
	u32 len;
	int ret;

	/* completions still owed first: without room for them, read nothing */
	if (enl_netvsc_rx_flush(c)) {
		while (work < budget && c->rx_done_n < ENL_NETVSC_RXDONE_MAX) {
			ret = enl_vmbus_recv(c->ch, c->pkt, sizeof(c->pkt), &len);
			if (ret <= 0) {
				if (ret == -EMSGSIZE)
					enl_vmbus_chan_fail(c->ch,
							    "network packet larger than 4624 bytes");
				break;
			}
			enl_netvsc_packet(c, len);
			work++;
		}
		enl_vmbus_recv_done(c->ch);
		enl_netvsc_rx_flush(c);
	}

	if (c->index < c->nd->ndev->real_num_tx_queues) {
		txq = netdev_get_tx_queue(c->nd->ndev, c->index);
		if (netif_tx_queue_stopped(txq) && c->nd->state == ENL_NETVSC_ATTACHED)
			netif_tx_wake_queue(txq);
	}

	if (work >= budget)
		return budget;
	if (c->rx_done_n) {
		/*
		 * The outbound ring has no room for the completions we owe:
		 * poll again once the host has read some (the channel callback
		 * runs then), with the inbound interrupt left masked.
		 */
		if (enl_vmbus_want_space(c->ch, 1024))
			return budget;
		napi_complete_done(napi, work);
		return work;
	}
	if (napi_complete_done(napi, work)) {
		if (enl_vmbus_rx_unmask(c->ch) && napi_schedule_prep(napi)) {
			enl_vmbus_rx_mask(c->ch);
			__napi_schedule(napi);
		}
	}
	return work;
}

/* ---- TX ------------------------------------------------------------------ */

/* Fill the PPIs from the skb; may rewrite its headers (LSO). */
static int enl_netvsc_tx_info(struct sk_buff *skb, struct enl_rndis_tx_info *ti,
			      bool hash)
{
	memset(ti, 0, sizeof(*ti));
	if (hash) {
		ti->hash = true;
		ti->hash_val = skb_get_hash(skb);
	}
	if (skb_vlan_tag_present(skb)) {
		u16 tci = skb_vlan_tag_get(skb);

		/* wire: pri 0..2, cfi 3, vid 4..15 */
		ti->vlan = true;
		ti->vlan_val = (tci >> 13) | ((tci >> 12) & 1) << 3 | (tci & 0xfff) << 4;
	}
	if (skb_is_gso(skb)) {
		u32 thoff = skb_transport_offset(skb);

		if (skb_cow_head(skb, 0))
			return -ENOMEM;
		ti->lso = true;
		ti->lso_val = skb_shinfo(skb)->gso_size | thoff << ENL_TX_LSO_THOFF_SHIFT |
			      ENL_TX_LSO_TYPE2;
		/* the host fills lengths and checksums per segment */
		if (skb->protocol == htons(ETH_P_IP)) {
			ip_hdr(skb)->tot_len = 0;
			ip_hdr(skb)->check = 0;
			tcp_hdr(skb)->check = ~csum_tcpudp_magic(ip_hdr(skb)->saddr,
								 ip_hdr(skb)->daddr, 0,
								 IPPROTO_TCP, 0);
		} else {
			ti->lso_val |= ENL_TX_LSO_IPV6;
			ipv6_hdr(skb)->payload_len = 0;
			tcp_hdr(skb)->check = ~csum_ipv6_magic(&ipv6_hdr(skb)->saddr,
							       &ipv6_hdr(skb)->daddr, 0,
							       IPPROTO_TCP, 0);
		}
		return 0;
	}
	if (skb->ip_summed == CHECKSUM_PARTIAL) {
		u32 v = skb_transport_offset(skb) << ENL_TX_CSUM_THOFF_SHIFT;
		u8 l4;

		if (skb->protocol == htons(ETH_P_IP)) {
			v |= ENL_TX_CSUM_IPV4;
			l4 = ip_hdr(skb)->protocol;
		} else if (skb->protocol == htons(ETH_P_IPV6)) {
			v |= ENL_TX_CSUM_IPV6;
			l4 = ipv6_hdr(skb)->nexthdr;
		} else {
			return skb_checksum_help(skb);
		}
		if (l4 == IPPROTO_TCP)
			v |= ENL_TX_CSUM_TCP;
		else if (l4 == IPPROTO_UDP)
			v |= ENL_TX_CSUM_UDP;
		else
			return skb_checksum_help(skb);
		ti->csum = true;
		ti->csum_val = v;
	}
	return 0;
}

/* A free send-buffer section, or ENL_NVSP_NO_SECTION. */
static u32 enl_netvsc_section_get(struct enl_netvsc *nd)
{
	u32 i;

	for (;;) {
		i = find_first_zero_bit(nd->send_map, nd->send_sections);
		if (i >= nd->send_sections)
			return ENL_NVSP_NO_SECTION;
		if (!test_and_set_bit(i, nd->send_map))
			return i;
	}
}

/* Append one range over virtually contiguous, physically contiguous bytes. */
static bool enl_netvsc_add_range(u8 *buf, u32 *pos, u32 cap, phys_addr_t pa,
				 u32 len)
{
	u32 off = pa & 4095, n = DIV_ROUND_UP(off + len, 4096), i;
	struct vmbus_gpa_range r = { .byte_count = len, .byte_offset = off };
	u64 pfn = pa >> 12;

	if (*pos + sizeof(r) + n * 8 > cap)
		return false;
	memcpy(buf + *pos, &r, sizeof(r));
	*pos += sizeof(r);
	for (i = 0; i < n; i++, *pos += 8)
		memcpy(buf + *pos, &(u64){ pfn + i }, 8);
	return true;
}

/* Ranges of a frame whose RNDIS header has been pushed in front of it. */
static int enl_netvsc_ranges(struct sk_buff *skb, u8 *buf, u32 cap, u32 *len)
{
	u32 pos = 0, i;

	if (!enl_netvsc_add_range(buf, &pos, cap, virt_to_phys(skb->data),
				  skb_headlen(skb)))
		return -E2BIG;
	for (i = 0; i < skb_shinfo(skb)->nr_frags; i++) {
		const skb_frag_t *f = &skb_shinfo(skb)->frags[i];

		if (!enl_netvsc_add_range(buf, &pos, cap,
					  page_to_phys(skb_frag_page(f)) + skb_frag_off(f),
					  skb_frag_size(f)))
			return -E2BIG;
	}
	*len = pos;
	return 1 + i;
}

/* ranges of one frame: the header + linear part, and the fragments */
#define ENL_NETVSC_RANGE_BUF	(8 * ((MAX_SKB_FRAGS + 1) * 3 + 64 * 1024 / 4096))

netdev_tx_t enl_netvsc_xmit(struct sk_buff *skb, struct net_device *ndev)
{
	struct enl_netvsc *nd = netdev_priv(ndev);
	u16 q = skb_get_queue_mapping(skb);
	struct enl_netvsc_skb_cb *cb = ENL_NETVSC_CB(skb);
	u8 hdr[ENL_RNDIS_TX_HDR_MAX];
	struct enl_rndis_tx_info ti;
	struct enl_netvsc_chan *c;
	struct enl_nvsp_msg m;
	bool fallback = false;
	u32 hlen, flen;
	int ret;

	/* pairs with the smp_store_release that publishes an opened channel */
	c = q < ENL_NETVSC_MAX_CHANNELS ? smp_load_acquire(&nd->chans[q]) : NULL;
	/*
	 * A subchannel the host took back (rescind) fails every send until
	 * the next detach closes it: the primary carries its frames.
	 */
	if (q && c && enl_vmbus_chan_rescinded(c->ch)) {
		/* pairs with the same publication, of the primary */
		c = smp_load_acquire(&nd->chans[0]);
		fallback = true;
	}
	if (!c || !nd->send_map)
		goto drop;
	if (enl_netvsc_tx_info(skb, &ti, ndev->real_num_tx_queues > 1))
		goto drop;
	flen = skb->len;
	hlen = enl_rndis_tx_header(hdr, flen, &ti);

	memset(&m, 0, sizeof(m));
	m.type = ENL_NVSP_MSG1_SEND_RNDIS_PKT;
	m.rndis_pkt.channel_type = 0;
	cb->len = flen;
	cb->section = ENL_NVSP_NO_SECTION;
	if (hlen + flen <= nd->send_section)
		cb->section = enl_netvsc_section_get(nd);
	if (cb->section == ENL_NVSP_NO_SECTION && skb_cow_head(skb, hlen))
		goto drop;

	if (enl_vmbus_request_add(c->ch, skb, &cb->trans_id))
		goto busy_nosend;
	skb_queue_tail(&c->tx_inflight, skb);

	if (cb->section != ENL_NVSP_NO_SECTION) {
		u8 *dst = (u8 *)nd->send_buf + (size_t)cb->section * nd->send_section;

		memcpy(dst, hdr, hlen);
		skb_copy_bits(skb, 0, dst + hlen, flen);
		m.rndis_pkt.send_buf_section_index = cb->section;
		m.rndis_pkt.send_buf_section_size = hlen + flen;
		ret = enl_vmbus_send(c->ch, VMBUS_PKT_INBAND,
				     VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
				     cb->trans_id, &m, sizeof(m));
		if (!ret)
			c->tx_copied++;
	} else {
		u8 ranges[ENL_NETVSC_RANGE_BUF] __aligned(8);
		u32 rlen;
		int n;

		memcpy(skb_push(skb, hlen), hdr, hlen);
		n = enl_netvsc_ranges(skb, ranges, sizeof(ranges), &rlen);
		m.rndis_pkt.send_buf_section_index = ENL_NVSP_NO_SECTION;
		ret = n < 0 ? n : enl_vmbus_send_gpa_ranges(c->ch, cb->trans_id, ranges,
							     rlen, n, &m, sizeof(m));
		if (ret)
			skb_pull(skb, hlen);
		else
			c->tx_gpa++;
	}
	if (!ret)
		return NETDEV_TX_OK;

	skb_unlink(skb, &c->tx_inflight);
	enl_vmbus_request_take(c->ch, cb->trans_id);
	if (ret == -EAGAIN) {
busy_nosend:
		if (cb->section != ENL_NVSP_NO_SECTION)
			clear_bit(cb->section, nd->send_map);
		c->tx_busy++;
		/* only queue 0's channel wakes queue 0: drop, do not stop q */
		if (fallback) {
			dev_kfree_skb_any(skb);
			return NETDEV_TX_OK;
		}
		netif_tx_stop_queue(netdev_get_tx_queue(ndev, q));
		/* the channel callback (and NAPI) runs when there is room */
		if (enl_vmbus_want_space(c->ch, 8192))
			netif_tx_wake_queue(netdev_get_tx_queue(ndev, q));
		return NETDEV_TX_BUSY;
	}
	if (cb->section != ENL_NVSP_NO_SECTION)
		clear_bit(cb->section, nd->send_map);
	c->tx_failed++;
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;
drop:
	if (c)
		c->tx_failed++;
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;
}

/* After the channel closed: the frames the host never completed. */
void enl_netvsc_tx_reap(struct enl_netvsc_chan *c)
{
	struct sk_buff *skb;

	while ((skb = skb_dequeue(&c->tx_inflight))) {
		struct enl_netvsc_skb_cb *cb = ENL_NETVSC_CB(skb);

		/* its id must not find a freed skb after a reopen */
		enl_vmbus_request_take(c->ch, cb->trans_id);
		if (cb->section != ENL_NVSP_NO_SECTION && c->nd->send_map)
			clear_bit(cb->section, c->nd->send_map);
		dev_kfree_skb_any(skb);
	}
}
