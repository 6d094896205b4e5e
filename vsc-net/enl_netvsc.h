/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * enl_netvsc: the synthetic network adapter (NVSP + RNDIS) as a net_device
 * on enl_vmbus.
 *
 *   nvsp.c    NVSP on the primary channel: version, NDIS config, the
 *             receive and send buffers, subchannels; attach and detach
 *   rndis.c   RNDIS control: init, queries, sets, halt, indications
 *   rxtx.c    the data path: NAPI poll per channel, transmit
 *   main.c    the VMBus driver, net_device and ethtool operations
 *
 * One TX/RX queue pair per channel.  The device is "attached" while its
 * channels are open and both buffers are given to the host; MTU and
 * channel-count changes detach and attach again, as the protocol wants.
 */
#ifndef ENL_NETVSC_H
#define ENL_NETVSC_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/u64_stats_sync.h>
#include <linux/workqueue.h>
#include <enl/netvsc_guest.h>
#include "enl_vmbus.h"

/* rings per direction, header page included (the stock size) */
#define ENL_NETVSC_RING			(512 * 1024)
/* receive buffer 16 MiB (15 MiB below NVSP 4), send buffer 1 MiB */
#define ENL_NETVSC_RECV_BUF		(16 * 1024 * 1024)
#define ENL_NETVSC_RECV_BUF_OLD		(15 * 1024 * 1024)
#define ENL_NETVSC_SEND_BUF		(1024 * 1024)
/* largest inbound packet: transfer-page header of 562 ranges + NVSP + slack */
#define ENL_NETVSC_PKT_BUF		4624
#define ENL_NETVSC_MAX_CHANNELS		16
/* the smallest receive and send sections the stock driver accepts */
#define ENL_NETVSC_MIN_SECTION		68
#define ENL_NETVSC_MAX_MTU		9000
/* one NVSP step or RNDIS request: the host's time to answer */
#define ENL_NETVSC_TIMEOUT		(30 * HZ)
/* RX completions we can hold when the outbound ring is full */
#define ENL_NETVSC_RXDONE_MAX		512
/* a control response we take: RNDIS header, query header, 4 KiB of info */
#define ENL_NETVSC_CTL_RESP		(4096 + 64)

struct enl_netvsc;

struct enl_netvsc_stats {
	u64_stats_t packets;
	u64_stats_t bytes;
	struct u64_stats_sync syncp;
};

/* One open channel: a TX queue and an RX queue. */
struct enl_netvsc_chan {
	struct enl_netvsc *nd;
	struct enl_vmbus_channel *ch;
	u16 index;
	struct napi_struct napi;

	/* NAPI poll only */
	u8 pkt[ENL_NETVSC_PKT_BUF] __aligned(8);
	u64 rx_done[ENL_NETVSC_RXDONE_MAX];	/* completions not sent yet */
	u32 rx_done_n;

	/* frames the host holds (their trans ids are in skb->cb) */
	struct sk_buff_head tx_inflight;

	struct enl_netvsc_stats rx, tx;
	/* counters; single writer each (NAPI or xmit), read by ethtool */
	unsigned long rx_bad_pkts;	/* packets refused whole */
	unsigned long rx_bad_msgs;	/* RNDIS messages refused */
	unsigned long rx_nomem;
	unsigned long rx_csum_ok;
	unsigned long tx_copied;	/* frames copied into the send buffer */
	unsigned long tx_gpa;		/* frames sent as page ranges */
	unsigned long tx_busy;		/* ring or sections full: queue stopped */
	unsigned long tx_failed;	/* host said no, or channel gone */
	unsigned long tx_bad_completions;
};

/* attach state */
enum enl_netvsc_state {
	ENL_NETVSC_DETACHED,	/* no channel open (probe, between detach and attach) */
	ENL_NETVSC_ATTACHED,	/* channels open, buffers given */
	ENL_NETVSC_REMOVING,	/* remove started: no subchannel, no reattach */
};

struct enl_netvsc {
	struct enl_vmbus_device *vdev;
	struct net_device *ndev;
	enum enl_netvsc_state state;	/* under rtnl (written also under sc_lock) */
	bool rndis_up;			/* RNDIS INIT done: HALT owed; rtnl */
	bool link_up;			/* the host's last word on the medium */

	/* from NVSP/RNDIS init, fixed while attached */
	u32 nvsp_ver;
	u32 recv_buf_size;
	void *recv_buf;			/* vmalloc */
	u32 recv_gpadl;
	u32 recv_section;		/* host's sub-allocation size */
	void *send_buf;			/* vmalloc */
	u32 send_buf_size;
	u32 send_gpadl;
	u32 send_section;		/* host's section size */
	u32 send_sections;
	unsigned long *send_map;	/* sections in use */
	u32 max_pkt_per_msg;
	u32 link_speed;			/* 100 bps units */
	bool offload_csum4, offload_csum6, offload_tso4, offload_tso6;
	u32 gso_max;

	/* channels: chans[0] the primary; chans[i] published when open */
	struct enl_netvsc_chan *chans[ENL_NETVSC_MAX_CHANNELS];
	u16 num_chans;			/* what we want (primary included); rtnl */
	u16 max_chans;			/* the host's receive queues, our limits */
	u16 sc_requested;		/* subchannels asked for; under sc_lock */
	u16 sc_granted;			/* subchannels the host granted */
	atomic_t sc_open;		/* subchannels open */
	wait_queue_head_t sc_wq;	/* woken when one opens */
	struct mutex sc_lock;		/* opening subchannels vs detach */
	u32 rss_ind[16];		/* host's send indirection table */

	/* RNDIS control: one request at a time */
	struct mutex ctl_lock;
	u8 *ctl_req;			/* a page of its own */
	spinlock_t ctl_rx_lock;		/* ctl_wait_id, ctl_resp* */
	u32 ctl_next_id;
	u32 ctl_wait_id;		/* 0: nothing awaited */
	u8 ctl_resp[ENL_NETVSC_CTL_RESP];
	u32 ctl_resp_len;
	struct completion ctl_done;
	unsigned long ctl_stray;	/* responses nobody waited for */

	/* filter to set from process context (set_rx_mode is atomic) */
	struct work_struct filter_work;
	u32 filter;

	/* link state: indications are applied here */
	struct delayed_work link_work;
	atomic_t link_event;		/* 0 none, 1 up, 2 down, 3 change */

	atomic_long_t bad_ids;		/* completions for unknown trans ids */
	atomic_long_t bad_inband;
};

/* skb->cb while the host has a frame */
struct enl_netvsc_skb_cb {
	u64 trans_id;
	u32 section;			/* ENL_NVSP_NO_SECTION if none */
	u32 len;			/* bytes of the frame, for the stats */
};

#define ENL_NETVSC_CB(skb) ((struct enl_netvsc_skb_cb *)(skb)->cb)

/* a marker for the NVSP completions of control messages */
extern char enl_netvsc_ctl_marker;

/* nvsp.c */
int enl_netvsc_attach(struct enl_netvsc *nd, u32 mtu);
void enl_netvsc_detach(struct enl_netvsc *nd);
int enl_netvsc_chan_open(struct enl_netvsc *nd, struct enl_vmbus_channel *ch,
			 u16 index);
int enl_netvsc_subchannels(struct enl_netvsc *nd);
u16 enl_netvsc_open_queues(struct enl_netvsc *nd);

/* rndis.c */
int enl_rndis_init(struct enl_netvsc *nd, u32 mtu);
int enl_rndis_set_filter(struct enl_netvsc *nd, u32 filter);
u32 enl_rndis_rss_queues(struct enl_netvsc *nd);
int enl_rndis_set_rss(struct enl_netvsc *nd, u16 queues);
void enl_rndis_halt(struct enl_netvsc *nd);
void enl_rndis_response(struct enl_netvsc *nd, const u8 *msg, u32 len,
			const struct enl_rndis_rx *r);
void enl_rndis_indicate(struct enl_netvsc *nd, const u8 *msg,
			const struct enl_rndis_rx *r);
int enl_netvsc_send_ctl(struct enl_netvsc *nd, const void *msg, u32 len);

/* rxtx.c */
void enl_netvsc_callback(struct enl_vmbus_channel *ch, void *ctx);
int enl_netvsc_poll(struct napi_struct *napi, int budget);
netdev_tx_t enl_netvsc_xmit(struct sk_buff *skb, struct net_device *ndev);
void enl_netvsc_tx_reap(struct enl_netvsc_chan *c);

#endif
