// SPDX-License-Identifier: GPL-2.0-only
/*
 * RNDIS control over NVSP: each request is one SEND_RNDIS_PKT on the
 * control channel type, its message in one page range of a page of our
 * own; the answer comes back through the receive buffer and is matched by
 * its request id.  One request at a time (ctl_lock), each waited for at
 * most ENL_NETVSC_TIMEOUT: a host that never answers fails the request,
 * not the whole of the guest's networking.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/etherdevice.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "enl_netvsc.h"

char enl_netvsc_ctl_marker;

/* the receive buffer has no alignment rules: copy fields out */
static u32 rd32(const u8 *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Send msg[len] as an RNDIS control message; the NVSP completion is dropped. */
int enl_netvsc_send_ctl(struct enl_netvsc *nd, const void *msg, u32 len)
{
	struct enl_vmbus_channel *ch = nd->vdev->channel;
	struct enl_nvsp_msg m;
	u64 pfn, id;
	int ret;

	if (len > PAGE_SIZE)
		return -EMSGSIZE;
	memcpy(nd->ctl_req, msg, len);
	memset(&m, 0, sizeof(m));
	m.type = ENL_NVSP_MSG1_SEND_RNDIS_PKT;
	m.rndis_pkt.channel_type = 1;
	m.rndis_pkt.send_buf_section_index = ENL_NVSP_NO_SECTION;
	ret = enl_vmbus_request_add(ch, &enl_netvsc_ctl_marker, &id);
	if (ret)
		return ret;
	pfn = virt_to_phys(nd->ctl_req) >> 12;
	ret = enl_vmbus_send_gpa_direct(ch, id, &pfn, 1, 0, len, &m, sizeof(m));
	if (ret)
		enl_vmbus_request_take(ch, id);
	return ret;
}

/*
 * Request and answer.  req holds the message with its request id field
 * (byte 8) to be filled; the answer, of the request's type | COMPLETION,
 * is left in nd->ctl_resp (nd->ctl_resp_len bytes).  Caller holds ctl_lock.
 */
static int enl_rndis_request(struct enl_netvsc *nd, void *req, u32 len)
{
	u32 type, id;
	int ret;

	memcpy(&type, req, 4);
	id = ++nd->ctl_next_id;
	if (!id)
		id = ++nd->ctl_next_id;
	memcpy((u8 *)req + 8, &id, 4);

	spin_lock_bh(&nd->ctl_rx_lock);
	nd->ctl_wait_id = id;
	nd->ctl_resp_len = 0;
	reinit_completion(&nd->ctl_done);
	spin_unlock_bh(&nd->ctl_rx_lock);

	ret = enl_netvsc_send_ctl(nd, req, len);
	if (!ret && !wait_for_completion_timeout(&nd->ctl_done, ENL_NETVSC_TIMEOUT))
		ret = -ETIMEDOUT;

	spin_lock_bh(&nd->ctl_rx_lock);
	nd->ctl_wait_id = 0;
	spin_unlock_bh(&nd->ctl_rx_lock);
	if (ret) {
		dev_err(&nd->vdev->dev, "RNDIS request %#x: no answer (%d)\n",
			type, ret);
		return ret;
	}
	if (nd->ctl_resp_len < 16 ||
	    rd32(nd->ctl_resp) != (type | ENL_RNDIS_MSG_COMPLETION)) {
		dev_err(&nd->vdev->dev, "RNDIS request %#x: bad answer\n", type);
		return -EPROTO;
	}
	return 0;
}

/* NAPI: an answer; taken if it is the one awaited, else counted. */
void enl_rndis_response(struct enl_netvsc *nd, const u8 *msg, u32 len,
			const struct enl_rndis_rx *r)
{
	u32 mlen = rd32(msg + 4);

	spin_lock(&nd->ctl_rx_lock);
	if (!nd->ctl_wait_id || r->req_id != nd->ctl_wait_id ||
	    mlen > sizeof(nd->ctl_resp)) {
		nd->ctl_stray++;
	} else {
		memcpy(nd->ctl_resp, msg, mlen);
		nd->ctl_resp_len = mlen;
		nd->ctl_wait_id = 0;
		complete(&nd->ctl_done);
	}
	spin_unlock(&nd->ctl_rx_lock);
}

/*
 * QUERY oid with info[ilen] as its information buffer; the answer's
 * buffer is copied to out (at most out_len bytes), *got says how many.
 */
static int enl_rndis_query(struct enl_netvsc *nd, u32 oid, const void *info,
			   u32 ilen, void *out, u32 out_len, u32 *got)
{
	struct {
		struct enl_rndis_hdr h;
		struct enl_rndis_oid_req q;
		u8 info[160];
	} __packed req;
	u32 status, off, n;
	int ret;

	if (ilen > sizeof(req.info))
		return -EINVAL;
	memset(&req, 0, sizeof(req));
	req.h.type = ENL_RNDIS_MSG_QUERY;
	req.h.msg_len = sizeof(req.h) + sizeof(req.q) + ilen;
	req.q.oid = oid;
	req.q.info_buflen = ilen;
	req.q.info_buf_offset = ilen ? sizeof(req.q) : 0;
	if (ilen)
		memcpy(req.info, info, ilen);

	mutex_lock(&nd->ctl_lock);
	ret = enl_rndis_request(nd, &req, req.h.msg_len);
	if (!ret)
		ret = enl_rndis_query_info(nd->ctl_resp, nd->ctl_resp_len, &status,
					   &off, &n);
	if (!ret) {
		*got = min(n, out_len);
		memcpy(out, nd->ctl_resp + off, *got);
	}
	mutex_unlock(&nd->ctl_lock);
	if (ret == -EPROTO)
		dev_err(&nd->vdev->dev, "RNDIS query %#x: malformed answer\n", oid);
	return ret;
}

static int enl_rndis_set(struct enl_netvsc *nd, u32 oid, const void *info,
			 u32 ilen)
{
	struct enl_rndis_hdr *h;
	struct enl_rndis_oid_req *sr;
	u32 status, len = sizeof(*h) + sizeof(*sr) + ilen;
	int ret;

	if (len > PAGE_SIZE)
		return -EINVAL;
	h = kzalloc(len, GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	sr = (struct enl_rndis_oid_req *)(h + 1);
	h->type = ENL_RNDIS_MSG_SET;
	h->msg_len = len;
	sr->oid = oid;
	sr->info_buflen = ilen;
	sr->info_buf_offset = sizeof(*sr);
	memcpy(sr + 1, info, ilen);

	mutex_lock(&nd->ctl_lock);
	ret = enl_rndis_request(nd, h, len);
	status = ret ? 0 : rd32(nd->ctl_resp + 12);
	mutex_unlock(&nd->ctl_lock);
	kfree(h);
	if (!ret && status) {
		dev_warn(&nd->vdev->dev, "RNDIS set %#x refused: status %#x\n",
			 oid, status);
		ret = -EIO;
	}
	return ret;
}

/* Receive queues the host has (RSS capabilities, NVSP 5 on); 1 if none. */
u32 enl_rndis_rss_queues(struct enl_netvsc *nd)
{
	struct enl_ndis_obj_header q = {
		.type = ENL_NDIS_OBJ_TYPE_RSS_CAPABILITIES, .revision = 2,
		.size = sizeof(struct enl_ndis_rss_caps),
	};
	struct enl_ndis_rss_caps caps;
	u32 got = 0;

	if (nd->nvsp_ver < ENL_NVSP_VER_5)
		return 1;
	memset(&caps, 0, sizeof(caps));
	if (enl_rndis_query(nd, ENL_OID_GEN_RECEIVE_SCALE_CAPABILITIES, &q,
			    sizeof(q), &caps, sizeof(caps), &got) ||
	    got < offsetof(struct enl_ndis_rss_caps, num_indirect_tabent))
		return 1;
	return clamp_t(u32, caps.num_recv_que, 1, ENL_NETVSC_MAX_CHANNELS);
}

/*
 * RSS parameters: Toeplitz over IPv4/IPv6 and their TCP, the indirection
 * table spreading over the open queues, a fixed key.  The host steers to
 * subchannels only after this.
 */
int enl_rndis_set_rss(struct enl_netvsc *nd, u16 queues)
{
	static const u8 key[ENL_NDIS_RSS_KEY_SIZE] = {
		0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
		0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
		0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
		0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
	};
	const u32 tab = 4 * ENL_NDIS_RSS_MAX_TABLE_ENTRIES;
	struct enl_ndis_rss_params *p;
	u32 len = sizeof(*p) + tab + sizeof(key), i, v;
	u8 *b;
	int ret;

	b = kzalloc(len, GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	p = (struct enl_ndis_rss_params *)b;
	p->header.type = ENL_NDIS_OBJ_TYPE_RSS_PARAMETERS;
	p->header.revision = 2;
	p->header.size = sizeof(*p);
	p->hashinfo = ENL_NDIS_HASH_FUNC_TOEPLITZ | ENL_NDIS_HASH_IPV4 |
		      ENL_NDIS_HASH_TCP_IPV4 | ENL_NDIS_HASH_IPV6 |
		      ENL_NDIS_HASH_TCP_IPV6;
	p->indirect_tabsize = tab;
	p->indirect_taboffset = sizeof(*p);
	p->hashkey_size = sizeof(key);
	p->hashkey_offset = sizeof(*p) + tab;
	for (i = 0; i < ENL_NDIS_RSS_MAX_TABLE_ENTRIES; i++) {
		v = i % queues;
		memcpy(b + sizeof(*p) + 4 * i, &v, 4);
	}
	memcpy(b + sizeof(*p) + tab, key, sizeof(key));
	ret = enl_rndis_set(nd, ENL_OID_GEN_RECEIVE_SCALE_PARAMETERS, b, len);
	kfree(b);
	return ret;
}

int enl_rndis_set_filter(struct enl_netvsc *nd, u32 filter)
{
	return enl_rndis_set(nd, ENL_OID_GEN_CURRENT_PACKET_FILTER, &filter, sizeof(filter));
}

/* HALT asks for no answer; the NVSP completion is still the host's duty. */
void enl_rndis_halt(struct enl_netvsc *nd)
{
	struct {
		struct enl_rndis_hdr h;
		struct enl_rndis_halt_req r;
	} __packed req = {
		.h = { .type = ENL_RNDIS_MSG_HALT, .msg_len = sizeof(req) },
	};

	mutex_lock(&nd->ctl_lock);
	req.r.req_id = ++nd->ctl_next_id;
	enl_netvsc_send_ctl(nd, &req, sizeof(req));
	mutex_unlock(&nd->ctl_lock);
}

/* The host's offload capabilities -> what we enable and show. */
static int enl_rndis_offloads(struct enl_netvsc *nd)
{
	struct net_device *ndev = nd->ndev;
	struct enl_ndis_offload caps;
	struct enl_ndis_offload_params par;
	struct enl_ndis_obj_header q = { .type = ENL_NDIS_OBJ_TYPE_OFFLOAD };
	u32 got = 0;
	int ret;

	if (nd->nvsp_ver >= ENL_NVSP_VER_5) {
		q.revision = 3;
		q.size = 156;
	} else if (nd->nvsp_ver >= ENL_NVSP_VER_4) {
		q.revision = 2;
		q.size = 144;
	} else {
		q.revision = 1;
		q.size = 112;
	}
	memset(&caps, 0, sizeof(caps));
	ret = enl_rndis_query(nd, ENL_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, &q, sizeof(q),
			      &caps, sizeof(caps), &got);
	if (ret)
		return ret;
	if (got < 112 || caps.header.type != ENL_NDIS_OBJ_TYPE_OFFLOAD ||
	    caps.header.revision < 1 || caps.header.size < 112 || caps.header.size > got) {
		dev_err(&nd->vdev->dev,
			"offload capabilities refused: %u bytes, type %#x rev %u size %u\n",
			got, caps.header.type, caps.header.revision, caps.header.size);
		return -EPROTO;
	}
	/* a shorter (older) structure leaves the newer fields zero */
	if (caps.header.size < sizeof(caps))
		memset((u8 *)&caps + caps.header.size, 0, sizeof(caps) - caps.header.size);

	nd->offload_csum4 = (caps.csum.ip4_txcsum & 0x14) == 0x14;
	nd->offload_csum6 = (caps.csum.ip6_txcsum & 0x15) == 0x15;
	nd->offload_tso4 = nd->offload_csum4 && (caps.lsov2.ip4_encap & 2) &&
			   caps.lsov2.ip4_maxsz > 0;
	nd->offload_tso6 = nd->offload_csum6 && (caps.lsov2.ip6_encap & 2) &&
			   (caps.lsov2.ip6_opts & 5) == 5 && caps.lsov2.ip6_maxsz > 0;
	nd->gso_max = 65536;
	if (nd->offload_tso4)
		nd->gso_max = min(nd->gso_max, caps.lsov2.ip4_maxsz);
	if (nd->offload_tso6)
		nd->gso_max = min(nd->gso_max, caps.lsov2.ip6_maxsz);
	if (nd->gso_max < 2 * 9000) {
		nd->offload_tso4 = false;
		nd->offload_tso6 = false;
	}

	memset(&par, 0, sizeof(par));
	par.header.type = ENL_NDIS_OBJ_TYPE_DEFAULT;
	par.header.revision = 3;
	par.header.size = nd->nvsp_ver >= ENL_NVSP_VER_5 ? ENL_NDIS_OFFLOAD_PARAMS_SIZE :
							 ENL_NDIS_OFFLOAD_PARAMS_SIZE_V4;
	if (nd->offload_csum4) {
		par.tcp_ip_v4_csum = ENL_NDIS_OFFLOAD_PARAM_TX_RX_ENABLED;
		if (nd->nvsp_ver >= ENL_NVSP_VER_5 && (caps.csum.ip4_txcsum & 0x40))
			par.udp_ip_v4_csum = ENL_NDIS_OFFLOAD_PARAM_TX_RX_ENABLED;
	}
	if (nd->offload_csum6) {
		par.tcp_ip_v6_csum = ENL_NDIS_OFFLOAD_PARAM_TX_RX_ENABLED;
		if (nd->nvsp_ver >= ENL_NVSP_VER_5 && (caps.csum.ip6_txcsum & 0x40))
			par.udp_ip_v6_csum = ENL_NDIS_OFFLOAD_PARAM_TX_RX_ENABLED;
	}
	if (nd->offload_tso4)
		par.lso_v2_ipv4 = ENL_NDIS_OFFLOAD_PARAM_ENABLED;
	if (nd->offload_tso6)
		par.lso_v2_ipv6 = ENL_NDIS_OFFLOAD_PARAM_ENABLED;
	ret = enl_rndis_set(nd, ENL_OID_TCP_OFFLOAD_PARAMETERS, &par, par.header.size);
	if (ret)
		return ret;

	/* UDP checksums only where the host said so: we then offer the TCP ones */
	ndev->hw_features = NETIF_F_SG | NETIF_F_RXCSUM;
	if (nd->offload_csum4)
		ndev->hw_features |= NETIF_F_IP_CSUM;
	if (nd->offload_csum6)
		ndev->hw_features |= NETIF_F_IPV6_CSUM;
	if (nd->offload_tso4)
		ndev->hw_features |= NETIF_F_TSO;
	if (nd->offload_tso6)
		ndev->hw_features |= NETIF_F_TSO6;
	ndev->features = (ndev->features & ~(NETIF_F_CSUM_MASK | NETIF_F_ALL_TSO)) |
			 ndev->hw_features;
	ndev->vlan_features = ndev->features;
	netif_set_tso_max_size(ndev, nd->gso_max);
	return 0;
}

int enl_rndis_init(struct enl_netvsc *nd, u32 mtu)
{
	struct net_device *ndev = nd->ndev;
	struct {
		struct enl_rndis_hdr h;
		struct enl_rndis_init_req r;
	} __packed req = {
		.h = { .type = ENL_RNDIS_MSG_INIT, .msg_len = sizeof(req) },
		.r = { .major = ENL_RNDIS_MAJOR_VERSION,
		       .minor = ENL_RNDIS_MINOR_VERSION,
		       .max_xfer_size = 0x4000 },
	};
	struct enl_rndis_init_cmplt ic;
	u8 mac[ETH_ALEN];
	u32 v, got;
	int ret;

	mutex_lock(&nd->ctl_lock);
	ret = enl_rndis_request(nd, &req, sizeof(req));
	if (!ret) {
		memset(&ic, 0, sizeof(ic));
		memcpy(&ic, nd->ctl_resp + 8,
		       min_t(u32, sizeof(ic), nd->ctl_resp_len - 8));
		if (ic.status) {
			dev_err(&nd->vdev->dev, "RNDIS init refused: %#x\n", ic.status);
			ret = -EIO;
		}
		nd->max_pkt_per_msg = ic.max_pkt_per_msg;
	}
	mutex_unlock(&nd->ctl_lock);
	if (ret)
		return ret;
	nd->rndis_up = true;

	got = 0;
	if (!enl_rndis_query(nd, ENL_OID_GEN_MAXIMUM_FRAME_SIZE, NULL, 0, &v, sizeof(v),
			     &got) && got == 4 && v < mtu && v >= 576)
		dev_warn(&nd->vdev->dev, "host frame size %u below MTU %u\n", v, mtu);

	got = 0;
	ret = enl_rndis_query(nd, ENL_OID_802_3_PERMANENT_ADDRESS, NULL, 0, mac,
			      sizeof(mac), &got);
	if (ret)
		return ret;
	if (got != ETH_ALEN || !is_valid_ether_addr(mac)) {
		dev_err(&nd->vdev->dev, "host MAC address refused (%u bytes, %pM)\n",
			got, mac);
		return -EPROTO;
	}
	eth_hw_addr_set(ndev, mac);

	ret = enl_rndis_offloads(nd);
	if (ret)
		return ret;

	got = 0;
	v = 0;
	ret = enl_rndis_query(nd, ENL_OID_GEN_MEDIA_CONNECT_STATUS, NULL, 0, &v, sizeof(v),
			      &got);
	/* 0 means connected; no answer: we assume it is */
	nd->link_up = ret || got != 4 || v == 0;

	nd->link_speed = 0;
	if (nd->nvsp_ver >= ENL_NVSP_VER_5) {
		got = 0;
		if (!enl_rndis_query(nd, ENL_OID_GEN_LINK_SPEED, NULL, 0, &v,
				     sizeof(v), &got) && got == 4)
			nd->link_speed = v;
	}
	return 0;
}

static void enl_netvsc_carrier(struct enl_netvsc *nd, bool up)
{
	nd->link_up = up;
	if (nd->ndev->reg_state != NETREG_REGISTERED)
		return;
	if (up)
		netif_carrier_on(nd->ndev);
	else
		netif_carrier_off(nd->ndev);
}

/* NAPI: a status indication from the host. */
void enl_rndis_indicate(struct enl_netvsc *nd, const u8 *msg,
			const struct enl_rndis_rx *r)
{
	switch (r->status) {
	case ENL_RNDIS_STATUS_MEDIA_CONNECT:
		enl_netvsc_carrier(nd, true);
		break;
	case ENL_RNDIS_STATUS_MEDIA_DISCONNECT:
		enl_netvsc_carrier(nd, false);
		break;
	case ENL_RNDIS_STATUS_NETWORK_CHANGE:
		/* a new network behind the link: down, and up again in 2 s */
		enl_netvsc_carrier(nd, false);
		schedule_delayed_work(&nd->link_work, 2 * HZ);
		break;
	case ENL_RNDIS_STATUS_LINK_SPEED_CHANGE:
		if (r->buf_len >= 4)
			nd->link_speed = rd32(msg + r->buf_off);
		break;
	default:
		netdev_dbg(nd->ndev, "RNDIS status %#x ignored\n", r->status);
		break;
	}
}
