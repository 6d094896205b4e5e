// SPDX-License-Identifier: GPL-2.0-only
/*
 * The network adapter's protocol: NVSP on the VMBus channels, RNDIS inside
 * it.  Everything from the guest is checked here (section indices, buffer
 * sizes, RNDIS lengths and offsets, PPIs, OID buffers, transfer-page
 * completions); the send stream is copied out of guest memory once and
 * parsed from the copy, so the guest cannot change it under the checks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netvsp.h"

#define VNET_F_NEEDS_CSUM	1
#define VNET_F_DATA_VALID	2
#define VNET_GSO_NONE		0
#define VNET_GSO_TCPV4		1
#define VNET_GSO_TCPV6		4

#define ETH_HLEN		14u
#define ETHERTYPE_IPV4		0x0800
#define ETHERTYPE_IPV6		0x86DD
#define ETHERTYPE_VLAN		0x8100

static const char *const drop_names[NETVSP_DROP_N] = {
	[NETVSP_DROP_TX_MALFORMED] = "tx_malformed",
	[NETVSP_DROP_TX_BACKEND] = "tx_backend",
	[NETVSP_DROP_TX_NOT_READY] = "tx_not_ready",
	[NETVSP_DROP_RX_NO_BUFFER] = "rx_no_buffer",
	[NETVSP_DROP_RX_FILTER] = "rx_filter_or_link",
	[NETVSP_DROP_RX_TOO_BIG] = "rx_too_big",
	[NETVSP_DROP_RX_NOT_READY] = "rx_not_ready",
	[NETVSP_DROP_BAD_PACKET] = "bad_packet",
	[NETVSP_DROP_BAD_COMPLETION] = "bad_completion",
	[NETVSP_DROP_STALE_COMPLETION] = "stale_completion",
	[NETVSP_DROP_RX_RING] = "rx_ring",
};

const char *netvsp_drop_name(int why)
{
	return why >= 0 && why < NETVSP_DROP_N ? drop_names[why] : "?";
}

const char *netvsp_rndis_state_name(u32 s)
{
	switch (s) {
	case NETVSP_RNDIS_UNINIT: return "uninitialized";
	case NETVSP_RNDIS_READY: return "ready";
	case NETVSP_RNDIS_HALTED: return "halted";
	default: return "?";
	}
}

static void drop(struct netvsp_dev *d, enum netvsp_drop why)
{
	atomic_fetch_add(&d->st.drops[why], 1);
}

static u16 get16be(const u8 *p)
{
	return (u16)(p[0] << 8 | p[1]);
}

static void put16be(u8 *p, u16 v)
{
	p[0] = (u8)(v >> 8);
	p[1] = (u8)v;
}

u32 netvsp_csum_add(u32 sum, const u8 *p, u32 len)
{
	u64 s = sum;
	u32 i;

	for (i = 0; i + 1 < len; i += 2)
		s += (u32)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (u32)p[len - 1] << 8;
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (u32)s;
}

u16 netvsp_csum_fold(u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (u16)sum;
}

/* ---- device ------------------------------------------------------------- */

int netvsp_dev_init(struct netvsp_dev *d, const u8 mac[6],
		    unsigned int max_queues, const struct netvsp_io *io)
{
	memset(d, 0, sizeof(*d));
	memcpy(d->mac, mac, 6);
	d->max_queues = max_queues ? max_queues : 1;
	if (d->max_queues > NETVSP_MAX_QUEUES)
		d->max_queues = NETVSP_MAX_QUEUES;
	d->io = *io;
	pthread_rwlock_init(&d->buf_lock, NULL);
	pthread_mutex_init(&d->sec_lock, NULL);
	atomic_store(&d->link_up, true);
	atomic_store(&d->generation, 1);
	d->s.magic = NETVSP_SAVED_MAGIC;
	return 0;
}

static void free_sections(struct netvsp_dev *d)
{
	pthread_mutex_lock(&d->sec_lock);
	free(d->sec_free);
	free(d->sec_busy);
	d->sec_free = NULL;
	d->sec_busy = NULL;
	d->sec_nfree = 0;
	pthread_mutex_unlock(&d->sec_lock);
}

void netvsp_dev_destroy(struct netvsp_dev *d)
{
	unsigned int i;

	free_sections(d);
	for (i = 0; i < NETVSP_MAX_QUEUES; i++) {
		free(d->tx_stream[i]);
		d->tx_stream[i] = NULL;
	}
	pthread_rwlock_destroy(&d->buf_lock);
	pthread_mutex_destroy(&d->sec_lock);
}

/* Buffers: call with buf_lock held for writing. */
static void drop_recv_buf(struct netvsp_dev *d)
{
	d->recv_buf = NULL;
	d->recv_len = 0;
	d->nsections = 0;
	d->s.recv_gpadl = 0;
	free_sections(d);
}

static void drop_send_buf(struct netvsp_dev *d)
{
	d->send_buf = NULL;
	d->send_len = 0;
	d->send_sections = 0;
	d->s.send_gpadl = 0;
}

void netvsp_dev_reset(struct netvsp_dev *d)
{
	u32 gen = d->s.generation;

	pthread_rwlock_wrlock(&d->buf_lock);
	drop_recv_buf(d);
	drop_send_buf(d);
	memset(&d->s, 0, sizeof(d->s));
	d->s.magic = NETVSP_SAVED_MAGIC;
	d->s.generation = gen;
	pthread_rwlock_unlock(&d->buf_lock);
}

/* Map the receive buffer and set up its sections (buf_lock held, write). */
static int set_recv_buf(struct netvsp_dev *d, u32 gpadl, u32 id)
{
	size_t len = 0;
	u8 *buf = d->io.gpadl(d->io.ctx, gpadl, &len);
	u32 n, i;

	if (!buf || len < NETVSP_RECV_SECTION)
		return -EINVAL;
	n = (u32)(len / NETVSP_RECV_SECTION);
	if (n > 65536)
		n = 65536;
	drop_recv_buf(d);
	pthread_mutex_lock(&d->sec_lock);
	d->sec_free = calloc(n, sizeof(u32));
	d->sec_busy = calloc(n, 1);
	if (!d->sec_free || !d->sec_busy) {
		free(d->sec_free);
		free(d->sec_busy);
		d->sec_free = NULL;
		d->sec_busy = NULL;
		pthread_mutex_unlock(&d->sec_lock);
		return -ENOMEM;
	}
	/* lowest index on top */
	for (i = 0; i < n; i++)
		d->sec_free[i] = n - 1 - i;
	d->sec_nfree = n;
	pthread_mutex_unlock(&d->sec_lock);
	d->recv_buf = buf;
	d->recv_len = len;
	d->nsections = n;
	d->s.recv_gpadl = gpadl;
	d->s.recv_id = id;
	d->s.recv_section = NETVSP_RECV_SECTION;
	return 0;
}

static int set_send_buf(struct netvsp_dev *d, u32 gpadl)
{
	size_t len = 0;
	u8 *buf = d->io.gpadl(d->io.ctx, gpadl, &len);

	if (!buf || len < NETVSP_SEND_SECTION)
		return -EINVAL;
	d->send_buf = buf;
	d->send_len = len;
	d->send_sections = (u32)(len / NETVSP_SEND_SECTION);
	d->s.send_gpadl = gpadl;
	d->s.send_section = NETVSP_SEND_SECTION;
	return 0;
}

int netvsp_dev_resume(struct netvsp_dev *d, const struct netvsp_saved *s)
{
	int err = 0;
	u32 gen;

	if (s->magic != NETVSP_SAVED_MAGIC || s->recv_section != NETVSP_RECV_SECTION ||
	    (s->send_gpadl && s->send_section != NETVSP_SEND_SECTION))
		return -EINVAL;
	pthread_rwlock_wrlock(&d->buf_lock);
	gen = s->generation + 1;
	d->s = *s;
	d->s.generation = gen;
	d->s.recv_gpadl = d->s.send_gpadl = 0;
	if (s->recv_gpadl)
		err = set_recv_buf(d, s->recv_gpadl, s->recv_id);
	if (!err && s->send_gpadl)
		err = set_send_buf(d, s->send_gpadl);
	if (err) {
		drop_recv_buf(d);
		drop_send_buf(d);
		memset(&d->s, 0, sizeof(d->s));
		d->s.magic = NETVSP_SAVED_MAGIC;
		d->s.generation = gen;
	}
	pthread_rwlock_unlock(&d->buf_lock);
	return err ? -ENOENT : 0;
}

void netvsp_dev_gpadl_teardown(struct netvsp_dev *d, u32 gpadl)
{
	if (!gpadl)
		return;
	pthread_rwlock_wrlock(&d->buf_lock);
	if (d->recv_buf && d->s.recv_gpadl == gpadl)
		drop_recv_buf(d);
	if (d->send_buf && d->s.send_gpadl == gpadl)
		drop_send_buf(d);
	pthread_rwlock_unlock(&d->buf_lock);
}

/* ---- receive sections --------------------------------------------------- */

static int sec_get(struct netvsp_dev *d, u32 *idx)
{
	int err = -EAGAIN;

	pthread_mutex_lock(&d->sec_lock);
	if (d->sec_nfree) {
		*idx = d->sec_free[--d->sec_nfree];
		d->sec_busy[*idx] = 1;
		err = 0;
	}
	pthread_mutex_unlock(&d->sec_lock);
	return err;
}

/* false: not a section the guest holds (ignored and counted) */
static bool sec_put(struct netvsp_dev *d, u32 idx)
{
	bool ok = false;

	pthread_mutex_lock(&d->sec_lock);
	if (d->sec_busy && idx < d->nsections && d->sec_busy[idx]) {
		d->sec_busy[idx] = 0;
		d->sec_free[d->sec_nfree++] = idx;
		ok = true;
	}
	pthread_mutex_unlock(&d->sec_lock);
	return ok;
}

u32 netvsp_rx_free(struct netvsp_dev *d)
{
	u32 n;

	pthread_mutex_lock(&d->sec_lock);
	n = d->sec_nfree;
	pthread_mutex_unlock(&d->sec_lock);
	return n;
}

/*
 * Send the RNDIS message now in section idx (len bytes) as a transfer-page
 * packet on queue q.  buf_lock held (read).  On failure the section is
 * given back.
 */
static int send_section(struct netvsp_dev *d, unsigned int q, u32 idx, u32 len,
			u32 channel_type)
{
	/* xfer header, one range, the NVSP message: 24 + 8 + 40 */
	_Alignas(8) u8 pkt[72];
	struct vmbus_pkt_xfer_pages x;
	struct vmbus_xfer_range r = { len, idx * NETVSP_RECV_SECTION };
	struct enl_nvsp_msg m;
	struct enl_iov iov = { pkt, sizeof(pkt) };
	int err;

	memset(&x, 0, sizeof(x));
	x.d.type = VMBUS_PKT_XFER_PAGES;
	x.d.offset8 = (sizeof(x) + sizeof(r)) / 8;
	x.d.len8 = sizeof(pkt) / 8;
	x.d.flags = VMBUS_PKT_FLAG_COMPLETION_REQUESTED;
	x.d.trans_id = (u64)d->s.generation << 32 | idx;
	x.pageset_id = (u16)d->s.recv_id;
	x.range_count = 1;
	memset(&m, 0, sizeof(m));
	m.type = ENL_NVSP_MSG1_SEND_RNDIS_PKT;
	m.rndis_pkt.channel_type = channel_type;
	m.rndis_pkt.send_buf_section_index = ENL_NVSP_NO_SECTION;
	memcpy(pkt, &x, sizeof(x));
	memcpy(pkt + sizeof(x), &r, sizeof(r));
	memcpy(pkt + sizeof(x) + sizeof(r), &m, sizeof(m));
	err = d->io.send(d->io.ctx, q, &iov, 1);
	if (err)
		sec_put(d, idx);
	return err;
}

/* An RNDIS control message to the guest (primary channel). */
static int send_rndis_ctl(struct netvsp_dev *d, const void *msg, u32 len)
{
	u32 idx;
	int err;

	pthread_rwlock_rdlock(&d->buf_lock);
	if (!d->recv_buf || len > NETVSP_RECV_SECTION) {
		err = -ENODEV;
		goto out;
	}
	err = sec_get(d, &idx);
	if (err)
		goto out;
	memcpy(d->recv_buf + (size_t)idx * NETVSP_RECV_SECTION, msg, len);
	err = send_section(d, 0, idx, len, ENL_NVSP_CHANNEL_CONTROL);
out:
	pthread_rwlock_unlock(&d->buf_lock);
	return err;
}

int netvsp_indicate_link(struct netvsp_dev *d)
{
	struct {
		struct enl_rndis_hdr h;
		struct enl_rndis_indicate_status i;
	} m = {
		{ ENL_RNDIS_MSG_INDICATE, sizeof(m) },
		{ atomic_load(&d->link_up) ? ENL_RNDIS_STATUS_MEDIA_CONNECT :
					     ENL_RNDIS_STATUS_MEDIA_DISCONNECT, 0, 0 },
	};

	if (d->s.rndis_state != NETVSP_RNDIS_READY)
		return -ENODEV;
	return send_rndis_ctl(d, &m, sizeof(m));
}

/* ---- the receive path (tap -> guest) ------------------------------------- */

/* L3/L4 of a frame: ethertype at 12 (no VLAN here).  0 if unknown. */
static u8 l4_proto(const u8 *f, u32 len, bool *v4)
{
	u16 et;

	if (len < ETH_HLEN)
		return 0;
	et = get16be(f + 12);
	if (et == ETHERTYPE_IPV4 && len >= ETH_HLEN + 20) {
		*v4 = true;
		return f[ETH_HLEN + 9];
	}
	if (et == ETHERTYPE_IPV6 && len >= ETH_HLEN + 40) {
		*v4 = false;
		return f[ETH_HLEN + 6];
	}
	return 0;
}

int netvsp_rx_frame(struct netvsp_dev *d, unsigned int q,
		    const struct netvsp_vnet_hdr *h, u8 *frame, u32 len)
{
	u8 ppis[3 * 16];
	u32 ppi_len = 0, idx, msg_len, vlan = 0, csum = 0, hash;
	bool has_vlan = false, v4 = false;
	u8 *sec, proto;
	int err;

	if (q >= NETVSP_MAX_QUEUES)
		return -EINVAL;
	if (len < ETH_HLEN) {
		drop(d, NETVSP_DROP_RX_TOO_BIG);
		return -EMSGSIZE;
	}
	/* finish a checksum the host left to us (the tap offers TUN_F_CSUM) */
	if (h->flags & VNET_F_NEEDS_CSUM) {
		u32 start = h->csum_start, off = h->csum_offset;

		if (start >= len || off > len - start || len - start - off < 2) {
			drop(d, NETVSP_DROP_RX_TOO_BIG);
			return -EMSGSIZE;
		}
		put16be(frame + start + off,
			(u16)~netvsp_csum_fold(netvsp_csum_add(0, frame + start, len - start)));
	}
	/* a tag in the frame goes to the guest as 802.1Q PPI */
	if (len >= ETH_HLEN + 4 && get16be(frame + 12) == ETHERTYPE_VLAN) {
		u16 tci = get16be(frame + 14);

		vlan = ENL_VLAN_PPI(tci >> 13, (tci >> 12) & 1, tci & 0xFFF);
		memmove(frame + 4, frame, 12);
		frame += 4;
		len -= 4;
		has_vlan = true;
	}
	proto = l4_proto(frame, len, &v4);
	if ((h->flags & (VNET_F_NEEDS_CSUM | VNET_F_DATA_VALID)) &&
	    (proto == 6 || proto == 17)) {
		csum = proto == 6 ? ENL_CSUM_RX_TCP_OK : ENL_CSUM_RX_UDP_OK;
		if (v4)
			csum |= ENL_CSUM_RX_IP_OK;
	}
	if (csum)
		ppi_len += enl_rndis_put_ppi(ppis + ppi_len, sizeof(ppis) - ppi_len,
					     ENL_PPI_TCPIP_CHKSUM, csum);
	if (has_vlan)
		ppi_len += enl_rndis_put_ppi(ppis + ppi_len, sizeof(ppis) - ppi_len,
					     ENL_PPI_IEEE_8021Q, vlan);

	pthread_rwlock_rdlock(&d->buf_lock);
	/* the hash the guest's RSS settings ask for (skb->hash there) */
	if (d->s.rss_key_len &&
	    enl_rss_hash_frame(d->s.rss_key, d->s.rss_key_len, d->s.rss_hashinfo, frame, len,
			       &hash)) {
		ppi_len += enl_rndis_put_ppi(ppis + ppi_len, sizeof(ppis) - ppi_len,
					     ENL_PPI_NBL_HASH_VALUE, hash);
		atomic_fetch_add(&d->st.rx_hash, 1);
	}
	msg_len = ENL_RNDIS_HDR_SIZE + (u32)sizeof(struct enl_rndis_packet) + ppi_len + len;
	if (!d->recv_buf || d->s.rndis_state != NETVSP_RNDIS_READY) {
		err = -ENODEV;
		drop(d, NETVSP_DROP_RX_NOT_READY);
		goto out;
	}
	if (!d->s.filter || !atomic_load(&d->link_up)) {
		err = -ENODEV;
		drop(d, NETVSP_DROP_RX_FILTER);
		goto out;
	}
	if (msg_len > NETVSP_RECV_SECTION) {
		err = -EMSGSIZE;
		drop(d, NETVSP_DROP_RX_TOO_BIG);
		goto out;
	}
	err = sec_get(d, &idx);
	if (err)
		goto out;
	sec = d->recv_buf + (size_t)idx * NETVSP_RECV_SECTION;
	{
		struct enl_rndis_hdr rh = { ENL_RNDIS_MSG_PACKET, msg_len };
		struct enl_rndis_packet p = { 0 };

		p.data_offset = (u32)sizeof(p) + ppi_len;
		p.data_len = len;
		p.ppi_offset = ppi_len ? (u32)sizeof(p) : 0;
		p.ppi_len = ppi_len;
		memcpy(sec, &rh, sizeof(rh));
		memcpy(sec + sizeof(rh), &p, sizeof(p));
		memcpy(sec + sizeof(rh) + sizeof(p), ppis, ppi_len);
		memcpy(sec + sizeof(rh) + sizeof(p) + ppi_len, frame, len);
	}
	err = send_section(d, q, idx, msg_len, ENL_NVSP_CHANNEL_DATA);
	if (!err) {
		atomic_fetch_add(&d->st.rx_packets, 1);
		atomic_fetch_add(&d->st.q_rx[q], 1);
		atomic_fetch_add(&d->st.rx_bytes, len);
		if (csum)
			atomic_fetch_add(&d->st.rx_csum, 1);
	} else {
		drop(d, NETVSP_DROP_RX_RING);
		err = -EIO;
	}
out:
	pthread_rwlock_unlock(&d->buf_lock);
	return err;
}

/* ---- RNDIS control (guest -> host) --------------------------------------- */

static void fill_offload_caps(struct enl_ndis_offload *o)
{
	memset(o, 0, sizeof(*o));
	o->header.type = ENL_NDIS_OBJ_TYPE_OFFLOAD;
	o->header.revision = 1;
	o->header.size = ENL_NDIS_OFFLOAD_SIZE_REV1;
	o->csum.ip4_txenc = o->csum.ip4_rxenc = ENL_NDIS_ENCAP_8023;
	o->csum.ip6_txenc = o->csum.ip6_rxenc = ENL_NDIS_ENCAP_8023;
	o->csum.ip4_txcsum = o->csum.ip4_rxcsum =
		ENL_NDIS_CSUM_IP4OPT | ENL_NDIS_CSUM_TCPOPT | ENL_NDIS_CSUM_TCP |
		ENL_NDIS_CSUM_UDP;
	o->csum.ip6_txcsum = o->csum.ip6_rxcsum =
		ENL_NDIS_CSUM_IP4OPT | ENL_NDIS_CSUM_TCPOPT | ENL_NDIS_CSUM_TCP |
		ENL_NDIS_CSUM_UDP;
	o->lsov2.ip4_encap = o->lsov2.ip6_encap = ENL_NDIS_ENCAP_8023;
	o->lsov2.ip4_maxsz = o->lsov2.ip6_maxsz = 62780;
	o->lsov2.ip4_minsg = o->lsov2.ip6_minsg = 2;
	o->lsov2.ip6_opts = ENL_NDIS_LSOV2_IP6EXT | ENL_NDIS_LSOV2_TCP6OPT;
}

/* offload parameter SET: what the guest enabled */
static u32 offload_from_params(const u8 *info, u32 len, u32 old)
{
	struct enl_ndis_offload_params p;
	u32 v = old;

	memset(&p, 0, sizeof(p));
	memcpy(&p, info, len < sizeof(p) ? len : sizeof(p));
#define TXON(x) ((x) == ENL_NDIS_OFFLOAD_PARAM_TX_RX_ENABLED || \
		 (x) == ENL_NDIS_OFFLOAD_PARAM_TX_ENABLED_RX_DISABLED)
#define TXOFF(x) ((x) == ENL_NDIS_OFFLOAD_PARAM_TX_RX_DISABLED || \
		  (x) == ENL_NDIS_OFFLOAD_PARAM_RX_ENABLED_TX_DISABLED)
	if (TXON(p.tcp_ip_v4_csum))
		v |= NETVSP_OFF_TX_CSUM4;
	else if (TXOFF(p.tcp_ip_v4_csum))
		v &= ~NETVSP_OFF_TX_CSUM4;
	if (TXON(p.tcp_ip_v6_csum))
		v |= NETVSP_OFF_TX_CSUM6;
	else if (TXOFF(p.tcp_ip_v6_csum))
		v &= ~NETVSP_OFF_TX_CSUM6;
	if (p.tcp_ip_v4_csum == ENL_NDIS_OFFLOAD_PARAM_TX_RX_ENABLED ||
	    p.tcp_ip_v4_csum == ENL_NDIS_OFFLOAD_PARAM_RX_ENABLED_TX_DISABLED)
		v |= NETVSP_OFF_RX_CSUM;
	if (p.lso_v2_ipv4 == ENL_NDIS_OFFLOAD_PARAM_ENABLED)
		v |= NETVSP_OFF_LSO4;
	else if (p.lso_v2_ipv4 == ENL_NDIS_OFFLOAD_PARAM_DISABLED)
		v &= ~NETVSP_OFF_LSO4;
	if (p.lso_v2_ipv6 == ENL_NDIS_OFFLOAD_PARAM_ENABLED)
		v |= NETVSP_OFF_LSO6;
	else if (p.lso_v2_ipv6 == ENL_NDIS_OFFLOAD_PARAM_DISABLED)
		v &= ~NETVSP_OFF_LSO6;
#undef TXON
#undef TXOFF
	return v;
}

#define CTL_INFO_MAX	256u

static u32 query_oid(struct netvsp_dev *d, u32 oid, u8 *out, u32 *out_len)
{
	u32 v;

	switch (oid) {
	case ENL_OID_802_3_PERMANENT_ADDRESS:
	case ENL_OID_802_3_CURRENT_ADDRESS:
		memcpy(out, d->mac, 6);
		*out_len = 6;
		return ENL_RNDIS_STATUS_SUCCESS;
	case ENL_OID_GEN_MAXIMUM_FRAME_SIZE:
		v = NETVSP_MTU_MAX;
		break;
	case ENL_OID_GEN_MAXIMUM_TOTAL_SIZE:
		v = NETVSP_MTU_MAX + ETH_HLEN;
		break;
	case ENL_OID_GEN_MEDIA_CONNECT_STATUS:
		v = atomic_load(&d->link_up) ? ENL_RNDIS_MEDIA_CONNECTED :
					       ENL_RNDIS_MEDIA_DISCONNECTED;
		break;
	case ENL_OID_GEN_LINK_SPEED:
		v = NETVSP_LINK_SPEED;
		break;
	case ENL_OID_GEN_CURRENT_PACKET_FILTER:
		v = d->s.filter;
		break;
	case ENL_OID_GEN_XMIT_OK:
		v = (u32)atomic_load(&d->st.tx_packets);
		break;
	case ENL_OID_GEN_RCV_OK:
		v = (u32)atomic_load(&d->st.rx_packets);
		break;
	case ENL_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES: {
		struct enl_ndis_offload o;

		fill_offload_caps(&o);
		memcpy(out, &o, ENL_NDIS_OFFLOAD_SIZE_REV1);
		*out_len = ENL_NDIS_OFFLOAD_SIZE_REV1;
		return ENL_RNDIS_STATUS_SUCCESS;
	}
	case ENL_OID_GEN_RECEIVE_SCALE_CAPABILITIES: {
		struct enl_ndis_rss_caps c = {
			.header = { ENL_NDIS_OBJ_TYPE_RSS_CAPABILITIES, 2,
				    sizeof(struct enl_ndis_rss_caps) },
			.cap_flag = ENL_NDIS_RSS_CAPS_HASH_TCP_IPV4 |
				    ENL_NDIS_RSS_CAPS_HASH_TCP_IPV6,
			.num_int_msg = d->max_queues,
			.num_recv_que = d->max_queues,
			.num_indirect_tabent = ENL_NDIS_RSS_MAX_TABLE_ENTRIES,
		};

		memcpy(out, &c, sizeof(c));
		*out_len = sizeof(c);
		return ENL_RNDIS_STATUS_SUCCESS;
	}
	default:
		*out_len = 0;
		return ENL_RNDIS_STATUS_NOT_SUPPORTED;
	}
	memcpy(out, &v, 4);
	*out_len = 4;
	return ENL_RNDIS_STATUS_SUCCESS;
}

static u32 set_oid(struct netvsp_dev *d, u32 oid, const u8 *info, u32 len)
{
	u32 v;

	switch (oid) {
	case ENL_OID_GEN_CURRENT_PACKET_FILTER:
		if (len < 4)
			return ENL_RNDIS_STATUS_INVALID_LENGTH;
		memcpy(&v, info, 4);
		pthread_rwlock_wrlock(&d->buf_lock);
		d->s.filter = v;
		pthread_rwlock_unlock(&d->buf_lock);
		return ENL_RNDIS_STATUS_SUCCESS;
	case ENL_OID_TCP_OFFLOAD_PARAMETERS: {
		struct enl_ndis_obj_header h;

		if (len < ENL_NDIS_OFFLOAD_PARAMS_SIZE_V4)
			return ENL_RNDIS_STATUS_INVALID_LENGTH;
		memcpy(&h, info, sizeof(h));
		if (h.type != ENL_NDIS_OBJ_TYPE_DEFAULT || h.size > len)
			return ENL_RNDIS_STATUS_INVALID_DATA;
		d->s.offload = offload_from_params(info, h.size, d->s.offload);
		return ENL_RNDIS_STATUS_SUCCESS;
	}
	case ENL_OID_GEN_RECEIVE_SCALE_PARAMETERS: {
		struct enl_ndis_rss_params p;

		if (len < sizeof(p))
			return ENL_RNDIS_STATUS_INVALID_LENGTH;
		memcpy(&p, info, sizeof(p));
		if (p.header.type != ENL_NDIS_OBJ_TYPE_RSS_PARAMETERS ||
		    enl_rndis_check_buf(len + ENL_RNDIS_HDR_SIZE, 0,
					p.indirect_taboffset, p.indirect_tabsize) ||
		    enl_rndis_check_buf(len + ENL_RNDIS_HDR_SIZE, 0,
					p.hashkey_offset, p.hashkey_size) ||
		    p.hashkey_size > ENL_RSS_KEY_MAX)
			return ENL_RNDIS_STATUS_INVALID_DATA;
		/* the key and hash types for the hash PPI on receive */
		pthread_rwlock_wrlock(&d->buf_lock);
		if ((p.flag & ENL_NDIS_RSS_PARAM_FLAG_DISABLE) ||
		    (p.hashinfo & 0xffu) != ENL_NDIS_HASH_FUNC_TOEPLITZ) {
			d->s.rss_key_len = 0;
		} else {
			d->s.rss_hashinfo = p.hashinfo;
			d->s.rss_key_len = p.hashkey_size;
			memcpy(d->s.rss_key, info + p.hashkey_offset, p.hashkey_size);
		}
		pthread_rwlock_unlock(&d->buf_lock);
		return ENL_RNDIS_STATUS_SUCCESS;
	}
	case ENL_OID_GEN_NETWORK_LAYER_ADDRESSES:
		return ENL_RNDIS_STATUS_SUCCESS;
	default:
		/* also RNDIS_CONFIG_PARAMETER: we keep the MAC we were given */
		return ENL_RNDIS_STATUS_NOT_SUPPORTED;
	}
}

/* One control message (already header-checked) from the guest. */
static int rndis_control(struct netvsp_dev *d, const u8 *m, u32 ml, u32 type)
{
	struct {
		struct enl_rndis_hdr h;
		union {
			struct enl_rndis_init_cmplt init;
			struct enl_rndis_query_cmplt query;
			struct enl_rndis_set_cmplt set;
			struct enl_rndis_reset_cmplt reset;
			struct enl_rndis_keepalive_cmplt ka;
		};
		u8 info[CTL_INFO_MAX];
	} r;
	u32 req_id, len = 0;

	memset(&r, 0, sizeof(r));
	memcpy(&req_id, m + ENL_RNDIS_HDR_SIZE, 4);
	atomic_fetch_add(&d->st.ctl_requests, 1);
	switch (type) {
	case ENL_RNDIS_MSG_INIT: {
		struct enl_rndis_init_req q;

		memcpy(&q, m + ENL_RNDIS_HDR_SIZE, sizeof(q));
		r.h.type = ENL_RNDIS_MSG_INIT_C;
		r.init.req_id = req_id;
		r.init.status = q.major == ENL_RNDIS_MAJOR_VERSION ?
			ENL_RNDIS_STATUS_SUCCESS : ENL_RNDIS_STATUS_NOT_SUPPORTED;
		r.init.major = ENL_RNDIS_MAJOR_VERSION;
		r.init.minor = ENL_RNDIS_MINOR_VERSION;
		r.init.dev_flags = ENL_RNDIS_DF_CONNECTIONLESS;
		r.init.medium = ENL_RNDIS_MEDIUM_802_3;
		r.init.max_pkt_per_msg = NETVSP_MAX_PKT_PER_MSG;
		r.init.max_xfer_size = NETVSP_TX_STREAM_MAX;
		r.init.pkt_alignment_factor = NETVSP_PKT_ALIGN_SHIFT;
		len = sizeof(r.h) + sizeof(r.init);
		if (r.init.status == ENL_RNDIS_STATUS_SUCCESS) {
			pthread_rwlock_wrlock(&d->buf_lock);
			d->s.rndis_state = NETVSP_RNDIS_READY;
			d->s.filter = 0;
			pthread_rwlock_unlock(&d->buf_lock);
		}
		break;
	}
	case ENL_RNDIS_MSG_HALT:
		pthread_rwlock_wrlock(&d->buf_lock);
		d->s.rndis_state = NETVSP_RNDIS_HALTED;
		d->s.filter = 0;
		pthread_rwlock_unlock(&d->buf_lock);
		return 0;	/* no answer: only the NVSP completion */
	case ENL_RNDIS_MSG_QUERY: {
		struct enl_rndis_oid_req q;
		const u8 *info;

		if (enl_rndis_parse_oid_req(m, ml, &q, &info))
			return -EINVAL;
		u8 data[CTL_INFO_MAX];

		r.h.type = ENL_RNDIS_MSG_QUERY_C;
		r.query.req_id = req_id;
		r.query.status = query_oid(d, q.oid, data, &r.query.info_buflen);
		/* the information buffer follows the 16-byte QUERY_C body */
		r.query.info_buf_offset = r.query.info_buflen ? sizeof(r.query) : 0;
		memcpy((u8 *)&r.query + sizeof(r.query), data, r.query.info_buflen);
		len = sizeof(r.h) + sizeof(r.query) + r.query.info_buflen;
		break;
	}
	case ENL_RNDIS_MSG_SET: {
		struct enl_rndis_oid_req q;
		const u8 *info;

		if (enl_rndis_parse_oid_req(m, ml, &q, &info))
			return -EINVAL;
		r.h.type = ENL_RNDIS_MSG_SET_C;
		r.set.req_id = req_id;
		r.set.status = set_oid(d, q.oid, info, q.info_buflen);
		len = sizeof(r.h) + sizeof(r.set);
		break;
	}
	case ENL_RNDIS_MSG_RESET:
		r.h.type = ENL_RNDIS_MSG_RESET_C;
		r.reset.status = ENL_RNDIS_STATUS_SUCCESS;
		len = sizeof(r.h) + sizeof(r.reset);
		break;
	case ENL_RNDIS_MSG_KEEPALIVE:
		r.h.type = ENL_RNDIS_MSG_KEEPALIVE_C;
		r.ka.req_id = req_id;
		r.ka.status = ENL_RNDIS_STATUS_SUCCESS;
		len = sizeof(r.h) + sizeof(r.ka);
		break;
	default:
		/* completions, indications, data on the control channel */
		return -EINVAL;
	}
	r.h.msg_len = len;
	if (d->io.state_changed)
		d->io.state_changed(d->io.ctx);
	return send_rndis_ctl(d, &r, len);
}

/* ---- the send path (guest -> tap) ----------------------------------------- */

static u32 pseudo_sum(const u8 *f, u32 ip_off, bool v4, u32 l4_len)
{
	u32 s;

	if (v4)
		s = netvsp_csum_add(0, f + ip_off + 12, 8);
	else
		s = netvsp_csum_add(0, f + ip_off + 8, 32);
	s += 6;		/* TCP */
	s += l4_len;
	return s;
}

/*
 * Make an LSO frame what the host's stack takes from a tap: IP lengths
 * filled in (Linux zeroes them), IPv4 header checksum, and the TCP field
 * seeded with the pseudo-header sum over the whole TCP length.
 */
static int lso_fixup(u8 *f, u32 len, u32 thoff, bool v6, u32 *hdr_len)
{
	u32 ip_off = ETH_HLEN, doff, l4;
	u16 et;

	if (len < ETH_HLEN + 4)
		return -EINVAL;
	et = get16be(f + 12);
	if (et == ETHERTYPE_VLAN) {
		ip_off += 4;
		et = get16be(f + 16);
	}
	if (thoff < ip_off + (v6 ? 40u : 20u) || thoff > len || len - thoff < 20)
		return -EINVAL;
	doff = (u32)(f[thoff + 12] >> 4) * 4;
	if (doff < 20 || doff > len - thoff)
		return -EINVAL;
	l4 = len - thoff;
	if (!v6) {
		u32 ihl;

		if (et != ETHERTYPE_IPV4 || (f[ip_off] >> 4) != 4)
			return -EINVAL;
		ihl = (u32)(f[ip_off] & 0xF) * 4;
		if (ihl < 20 || ip_off + ihl != thoff || f[ip_off + 9] != 6)
			return -EINVAL;
		put16be(f + ip_off + 2, (u16)(len - ip_off));
		put16be(f + ip_off + 10, 0);
		put16be(f + ip_off + 10,
			(u16)~netvsp_csum_fold(netvsp_csum_add(0, f + ip_off, ihl)));
	} else {
		if (et != ETHERTYPE_IPV6 || (f[ip_off] >> 4) != 6 ||
		    len - ip_off - 40 > 0xFFFF)
			return -EINVAL;
		put16be(f + ip_off + 4, (u16)(len - ip_off - 40));
	}
	put16be(f + thoff + 16, netvsp_csum_fold(pseudo_sum(f, ip_off, !v6, l4)));
	*hdr_len = thoff + doff;
	return 0;
}

/* One RNDIS data message (header-checked) to the tap. */
static int tx_frame(struct netvsp_dev *d, unsigned int q, u8 *m, u32 ml)
{
	struct enl_rndis_pkt_info info;
	struct netvsp_vnet_hdr h;
	struct iovec iov[3];
	u8 tag[4], *f;
	u32 len, shift = 0;
	int niov;

	if (enl_rndis_parse_packet(m, ml, &info))
		return -EINVAL;
	f = m + info.data_offset;
	len = info.data_len;
	if (len < ETH_HLEN || len > 65535)
		return -EINVAL;
	memset(&h, 0, sizeof(h));
	if (ENL_PPI_PRESENT(&info, ENL_PPI_TCP_LARGESEND) &&
	    (info.lso & ENL_LSO_TYPE_V2)) {
		u32 mss = ENL_LSO_MSS(info.lso), thoff = ENL_LSO_TCP_HDR_OFF(info.lso);
		bool v6 = info.lso & ENL_LSO_IPV6;
		u32 hdr_len;

		if (!mss || lso_fixup(f, len, thoff, v6, &hdr_len))
			return -EINVAL;
		h.flags = VNET_F_NEEDS_CSUM;
		h.csum_start = (u16)thoff;
		h.csum_offset = 16;
		if (len - hdr_len > mss) {
			h.gso_type = v6 ? VNET_GSO_TCPV6 : VNET_GSO_TCPV4;
			h.gso_size = (u16)(mss > 0xFFFF ? 0xFFFF : mss);
			h.hdr_len = (u16)hdr_len;
			atomic_fetch_add(&d->st.tx_gso, 1);
		}
	} else if (ENL_PPI_PRESENT(&info, ENL_PPI_TCPIP_CHKSUM) &&
		   (info.csum & (ENL_CSUM_TX_TCP | ENL_CSUM_TX_UDP))) {
		u32 start = ENL_CSUM_TX_TCP_HDR_OFF(info.csum);
		u32 off = info.csum & ENL_CSUM_TX_TCP ? 16 : 6;

		if (start < ETH_HLEN + 20 || start > len || len - start < off + 2)
			return -EINVAL;
		h.flags = VNET_F_NEEDS_CSUM;
		h.csum_start = (u16)start;
		h.csum_offset = (u16)off;
		atomic_fetch_add(&d->st.tx_csum, 1);
	}
	if (ENL_PPI_PRESENT(&info, ENL_PPI_IEEE_8021Q) && info.vlan) {
		u16 tci = (u16)(ENL_VLAN_PRI(info.vlan) << 13 |
				ENL_VLAN_CFI(info.vlan) << 12 | ENL_VLAN_ID(info.vlan));

		put16be(tag, ETHERTYPE_VLAN);
		put16be(tag + 2, tci);
		iov[0] = (struct iovec){ f, 12 };
		iov[1] = (struct iovec){ tag, 4 };
		iov[2] = (struct iovec){ f + 12, len - 12 };
		niov = 3;
		shift = 4;
	} else {
		iov[0] = (struct iovec){ f, len };
		niov = 1;
	}
	if (h.flags & VNET_F_NEEDS_CSUM)
		h.csum_start = (u16)(h.csum_start + shift);
	if (h.hdr_len)
		h.hdr_len = (u16)(h.hdr_len + shift);
	if (d->io.tx(d->io.ctx, q, &h, iov, niov)) {
		drop(d, NETVSP_DROP_TX_BACKEND);
		return 0;
	}
	atomic_fetch_add(&d->st.tx_packets, 1);
	atomic_fetch_add(&d->st.q_tx[q], 1);
	atomic_fetch_add(&d->st.tx_bytes, len + shift);
	return 0;
}

/*
 * SEND_RNDIS_PKT: the send-buffer section (if any) then the packet's GPA
 * ranges, copied into one stream; then each RNDIS message in it.  Returns
 * the NVSP status for the completion.
 */
static u32 rndis_packet(struct netvsp_dev *d, unsigned int q,
			const struct enl_pkt *p, const struct enl_nvsp_rndis_pkt *r)
{
	u8 *st = d->tx_stream[q];
	u32 total = 0, pos = 0;
	bool bad = false;

	if (!st) {
		st = d->tx_stream[q] = malloc(NETVSP_TX_STREAM_MAX);
		if (!st)
			return ENL_NVSP_STAT_FAIL;
	}
	pthread_rwlock_rdlock(&d->buf_lock);
	if (r->send_buf_section_index != ENL_NVSP_NO_SECTION) {
		if (!d->send_buf || r->send_buf_section_index >= d->send_sections ||
		    r->send_buf_section_size > NETVSP_SEND_SECTION) {
			pthread_rwlock_unlock(&d->buf_lock);
			drop(d, d->send_buf ? NETVSP_DROP_TX_MALFORMED :
					      NETVSP_DROP_TX_NOT_READY);
			return ENL_NVSP_STAT_INVALID_RNDIS_PKT;
		}
		memcpy(st, d->send_buf + (size_t)r->send_buf_section_index *
			   NETVSP_SEND_SECTION, r->send_buf_section_size);
		total = r->send_buf_section_size;
	}
	pthread_rwlock_unlock(&d->buf_lock);
	if (p->type == VMBUS_PKT_GPA_DIRECT) {
		struct enl_pkt_gpa_iter it = { 0, 0 };
		struct enl_pkt_gpa_range gr;

		while (enl_pkt_next_gpa_range(p, &it, &gr) == 1) {
			struct iovec iov[17];
			int n, i;

			n = d->io.gpa_iov(d->io.ctx, &gr, iov, 17);
			if (n < 0) {
				drop(d, NETVSP_DROP_TX_MALFORMED);
				return ENL_NVSP_STAT_INVALID_RNDIS_PKT;
			}
			for (i = 0; i < n; i++) {
				if (iov[i].iov_len > NETVSP_TX_STREAM_MAX - total) {
					drop(d, NETVSP_DROP_TX_MALFORMED);
					return ENL_NVSP_STAT_INVALID_RNDIS_PKT;
				}
				memcpy(st + total, iov[i].iov_base, iov[i].iov_len);
				total += (u32)iov[i].iov_len;
			}
		}
	}
	while (total - pos >= ENL_RNDIS_HDR_SIZE) {
		u32 type, ml;

		if (enl_rndis_check_hdr(st + pos, total - pos, &type, &ml)) {
			bad = true;
			break;
		}
		if (r->channel_type == ENL_NVSP_CHANNEL_DATA) {
			if (type != ENL_RNDIS_MSG_PACKET ||
			    d->s.rndis_state != NETVSP_RNDIS_READY) {
				drop(d, type != ENL_RNDIS_MSG_PACKET ?
				     NETVSP_DROP_TX_MALFORMED : NETVSP_DROP_TX_NOT_READY);
				bad = type != ENL_RNDIS_MSG_PACKET;
			} else if (tx_frame(d, q, st + pos, ml)) {
				drop(d, NETVSP_DROP_TX_MALFORMED);
				bad = true;
			}
		} else if (q != 0 || rndis_control(d, st + pos, ml, type) == -EINVAL) {
			drop(d, NETVSP_DROP_TX_MALFORMED);
			bad = true;
		}
		pos += ml;
	}
	if (total - pos && !bad && r->channel_type != ENL_NVSP_CHANNEL_DATA)
		bad = true;
	return bad ? ENL_NVSP_STAT_INVALID_RNDIS_PKT : ENL_NVSP_STAT_SUCCESS;
}

/* ---- NVSP ------------------------------------------------------------------ */

static int complete(struct netvsp_dev *d, unsigned int q, u64 token,
		    u64 trans_id, const void *body, u32 len)
{
	struct vmbus_pkt_desc desc = { 0 };
	u8 pad[8] = { 0 };
	struct enl_iov iov[3] = {
		{ &desc, sizeof(desc) }, { body, len }, { pad, VMBUS_PKT_ALIGN(len) - len },
	};

	if (d->io.complete)
		return d->io.complete(d->io.ctx, q, token, trans_id, body, len);
	desc.type = VMBUS_PKT_COMPLETION;
	desc.offset8 = sizeof(desc) / 8;
	desc.len8 = (u16)((sizeof(desc) + VMBUS_PKT_ALIGN(len)) / 8);
	desc.trans_id = trans_id;
	return d->io.send(d->io.ctx, q, iov, len ? 3 : 1);
}

static int reply(struct netvsp_dev *d, unsigned int q, u64 token, u64 trans_id,
		 const struct enl_nvsp_msg *m)
{
	return complete(d, q, token, trans_id, m, sizeof(*m));
}

static bool version_in(u32 min, u32 max, u32 *out)
{
	static const u32 ours[] = {
		ENL_NVSP_VER_61, ENL_NVSP_VER_6, ENL_NVSP_VER_5, ENL_NVSP_VER_4,
		ENL_NVSP_VER_2,
	};
	unsigned int i;

	for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		if (ours[i] >= min && ours[i] <= max) {
			*out = ours[i];
			return true;
		}
	return false;
}

static void changed(struct netvsp_dev *d)
{
	if (d->io.state_changed)
		d->io.state_changed(d->io.ctx);
}

int netvsp_handle_packet(struct netvsp_dev *d, unsigned int q,
			 const void *pkt, u32 len)
{
	return netvsp_handle_request(d, q, pkt, len, 0);
}

int netvsp_handle_request(struct netvsp_dev *d, unsigned int q,
			  const void *pkt, u32 len, u64 token)
{
	struct enl_nvsp_msg m, out;
	struct enl_pkt p;
	bool want;
	int err;

	if (q >= NETVSP_MAX_QUEUES || enl_pkt_parse(pkt, len, &p)) {
		drop(d, NETVSP_DROP_BAD_PACKET);
		return -EPROTO;
	}
	if (p.type == VMBUS_PKT_COMPLETION) {
		/* the guest gives a receive section back */
		if ((u32)(p.trans_id >> 32) != d->s.generation) {
			/* sent by the daemon before a restart: free already */
			drop(d, NETVSP_DROP_STALE_COMPLETION);
			return 0;
		}
		if (!sec_put(d, (u32)p.trans_id)) {
			drop(d, NETVSP_DROP_BAD_COMPLETION);
			return -EINVAL;
		}
		return 0;
	}
	want = p.flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED;
	if ((p.type != VMBUS_PKT_INBAND && p.type != VMBUS_PKT_GPA_DIRECT) ||
	    enl_nvsp_parse(p.payload, p.payload_len, &m)) {
		drop(d, NETVSP_DROP_BAD_PACKET);
		if (want) {
			memset(&out, 0, sizeof(out));
			out.type = ENL_NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE;
			out.rndis_pkt_complete.status = ENL_NVSP_STAT_FAIL;
			complete(d, q, token, p.trans_id, &out, 8);
		}
		return -EPROTO;
	}
	memset(&out, 0, sizeof(out));
	/* the handshake belongs to the primary channel */
	if (q != 0 && m.type != ENL_NVSP_MSG1_SEND_RNDIS_PKT) {
		drop(d, NETVSP_DROP_BAD_PACKET);
		return -EPROTO;
	}
	switch (m.type) {
	case ENL_NVSP_MSG_INIT: {
		u32 v = 0;

		out.type = ENL_NVSP_MSG_INIT_COMPLETE;
		if (version_in(m.init.min_ver, m.init.max_ver, &v)) {
			netvsp_dev_reset(d);
			d->s.version = v;
			out.init_complete.negotiated_ver = v;
			out.init_complete.status = ENL_NVSP_STAT_SUCCESS;
			changed(d);
		} else {
			out.init_complete.status = ENL_NVSP_STAT_FAIL;
		}
		return reply(d, q, token, p.trans_id, &out);
	}
	case ENL_NVSP_MSG2_SEND_NDIS_CONFIG:
		d->s.guest_mtu = m.ndis_config.mtu;
		changed(d);
		return want ? complete(d, q, token, p.trans_id, NULL, 0) : 0;
	case ENL_NVSP_MSG1_SEND_NDIS_VER:
		d->s.ndis_version = m.ndis_ver.major << 16 | (m.ndis_ver.minor & 0xFFFF);
		changed(d);
		return want ? complete(d, q, token, p.trans_id, NULL, 0) : 0;
	case ENL_NVSP_MSG1_SEND_RECV_BUF:
		out.type = ENL_NVSP_MSG1_SEND_RECV_BUF_COMPLETE;
		pthread_rwlock_wrlock(&d->buf_lock);
		err = d->s.version ? set_recv_buf(d, m.send_buf.gpadl_handle,
						  m.send_buf.id) : -EPROTO;
		if (!err) {
			out.recv_buf_complete.status = ENL_NVSP_STAT_SUCCESS;
			out.recv_buf_complete.num_sections = 1;
			out.recv_buf_complete.section.offset = 0;
			out.recv_buf_complete.section.sub_alloc_size = NETVSP_RECV_SECTION;
			out.recv_buf_complete.section.num_sub_allocs = d->nsections;
			out.recv_buf_complete.section.end_offset =
				d->nsections * NETVSP_RECV_SECTION;
		} else {
			out.recv_buf_complete.status = ENL_NVSP_STAT_FAIL;
		}
		pthread_rwlock_unlock(&d->buf_lock);
		changed(d);
		return reply(d, q, token, p.trans_id, &out);
	case ENL_NVSP_MSG1_SEND_SEND_BUF:
		out.type = ENL_NVSP_MSG1_SEND_SEND_BUF_COMPLETE;
		pthread_rwlock_wrlock(&d->buf_lock);
		err = d->s.version ? set_send_buf(d, m.send_buf.gpadl_handle) : -EPROTO;
		out.send_buf_complete.status = err ? ENL_NVSP_STAT_FAIL :
						     ENL_NVSP_STAT_SUCCESS;
		out.send_buf_complete.section_size = err ? 0 : NETVSP_SEND_SECTION;
		pthread_rwlock_unlock(&d->buf_lock);
		changed(d);
		return reply(d, q, token, p.trans_id, &out);
	case ENL_NVSP_MSG1_REVOKE_RECV_BUF:
		pthread_rwlock_wrlock(&d->buf_lock);
		drop_recv_buf(d);
		pthread_rwlock_unlock(&d->buf_lock);
		changed(d);
		return want ? complete(d, q, token, p.trans_id, NULL, 0) : 0;
	case ENL_NVSP_MSG1_REVOKE_SEND_BUF:
		pthread_rwlock_wrlock(&d->buf_lock);
		drop_send_buf(d);
		pthread_rwlock_unlock(&d->buf_lock);
		changed(d);
		return want ? complete(d, q, token, p.trans_id, NULL, 0) : 0;
	case ENL_NVSP_MSG1_SEND_RNDIS_PKT:
		out.type = ENL_NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE;
		out.rndis_pkt_complete.status = rndis_packet(d, q, &p, &m.rndis_pkt);
		/* 8 bytes, as Hyper-V: {108, status} */
		return want ? complete(d, q, token, p.trans_id, &out, 8) : 0;
	case ENL_NVSP_MSG5_SUBCHANNEL: {
		u32 n = m.subchannel_req.num_subchannels;

		out.type = ENL_NVSP_MSG5_SUBCHANNEL;
		if (m.subchannel_req.op != ENL_NVSP_SUBCHANNEL_ALLOCATE ||
		    d->s.version < ENL_NVSP_VER_5) {
			out.subchannel_complete.status = ENL_NVSP_STAT_FAIL;
		} else {
			if (n > d->max_queues - 1)
				n = d->max_queues - 1;
			if (n && d->io.subchannels && d->io.subchannels(d->io.ctx, n))
				n = 0;
			d->s.nqueues = n + 1;
			out.subchannel_complete.status = ENL_NVSP_STAT_SUCCESS;
			out.subchannel_complete.num_subchannels = n;
			changed(d);
		}
		return reply(d, q, token, p.trans_id, &out);
	}
	case ENL_NVSP_MSG4_SWITCH_DATA_PATH:
		/* no VF here; a completion with a body hangs the guest */
		return want ? complete(d, q, token, p.trans_id, NULL, 0) : 0;
	default:
		/* VF association and others we do not act on */
		return want ? complete(d, q, token, p.trans_id, NULL, 0) : 0;
	}
}
