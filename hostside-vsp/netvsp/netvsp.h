/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * enl-netvsp: the synthetic network adapter (NVSP + RNDIS) on a Linux tap.
 *
 * Layers, one file each:
 *   spec.c    the --nic tap=NAME[,mac=XX:XX:XX:XX:XX:XX] syntax (also in enl-host)
 *   tap.c     the tap: open (IFF_VNET_HDR, IFF_MULTI_QUEUE), offloads, MTU,
 *             carrier
 *   nvsp.c    the protocol: NVSP init, buffers, RNDIS control, the send path
 *             (guest frames -> virtio-net header + frame) and the receive
 *             path (frame -> receive-buffer section + transfer-page packet)
 *   main.c    options, libvsp channels, the tap reader threads, status,
 *             operator commands, the state file a restarted daemon resumes
 * nvsp.c touches no socket and no global state: the unit tests and the
 * fuzzer drive it with a fake guest through struct netvsp_io.
 */
#ifndef ENL_NETVSP_H
#define ENL_NETVSP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

#include <enl/types.h>
#include <enl/ring.h>
#include <enl/nvsp_msg.h>
#include <enl/rndis_msg.h>
#include <enl/vmbus_packet.h>

#define NETVSP_MAX_NICS		8
#define NETVSP_MAX_QUEUES	8	/* channels per NIC (primary + subs) */
#define NETVSP_MTU_MAX		9000u
#define NETVSP_MTU_DEFAULT	1500u
/* a frame of the largest MTU with a VLAN tag */
#define NETVSP_FRAME_MAX	(NETVSP_MTU_MAX + 14u + 4u)
/*
 * Receive-buffer sections: one RNDIS message each, the largest a frame of
 * the largest MTU with its RNDIS header and PPIs.  Chosen by the host;
 * Linux takes it as the most it accepts per message.
 */
#define NETVSP_RECV_SECTION	(NETVSP_FRAME_MAX + 256u)
#define NETVSP_SEND_SECTION	6144u
/* what the guest may batch in one send section (RNDIS INIT_C) */
#define NETVSP_MAX_PKT_PER_MSG	8u
#define NETVSP_PKT_ALIGN_SHIFT	3u
/* the longest send stream: a 64 KiB LSO frame, its headers and a section */
#define NETVSP_TX_STREAM_MAX	(65536u + 2u * NETVSP_SEND_SECTION)
#define NETVSP_LINK_SPEED	100000000u	/* 100 bps units: 10 Gb/s */

/* ---- --nic options (spec.c) ----------------------------------------- */

#define NETVSP_IFNAMSIZ		16	/* IFNAMSIZ */

struct netvsp_nic_spec {
	char tap[NETVSP_IFNAMSIZ];
	u8 mac[6];
	bool mac_set;
};

/*
 * Parse "tap=NAME[,mac=XX:XX:XX:XX:XX:XX]".  0, or -EINVAL with a one-line
 * reason in err.  Without mac= a locally administered one derived from
 * the tap's name and index is used (netvsp_default_mac).
 */
int netvsp_spec_parse(const char *s, struct netvsp_nic_spec *out, char *err,
		      size_t err_len);
void netvsp_default_mac(const char *tap, unsigned int index, u8 mac[6]);

/* ---- tap (tap.c) -------------------------------------------------------- */

/* The virtio-net header the tap carries in front of each frame. */
struct netvsp_vnet_hdr {
	u8 flags;		/* VIRTIO_NET_HDR_F_* */
	u8 gso_type;		/* VIRTIO_NET_HDR_GSO_* */
	u16 hdr_len;
	u16 gso_size;
	u16 csum_start;
	u16 csum_offset;
};

/*
 * Open queue fds of tap NAME (created if absent), IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR | IFF_MULTI_QUEUE, non-blocking, with checksum offload in
 * both directions and TSO from the guest.  0 or -errno, reason in err.
 */
int netvsp_tap_open(const char *name, int *fds, unsigned int n, char *err,
		    size_t err_len);
/* Set the tap's MTU (so it passes the guest's jumbo frames).  0/-errno. */
int netvsp_tap_set_mtu(const char *name, unsigned int mtu);

/* ---- protocol (nvsp.c) ------------------------------------------------ */

/* Why a frame or a packet was dropped (status and tests). */
enum netvsp_drop {
	NETVSP_DROP_TX_MALFORMED,	/* bad RNDIS/PPI/section from the guest */
	NETVSP_DROP_TX_BACKEND,		/* tap write failed */
	NETVSP_DROP_TX_NOT_READY,	/* data before the buffers / RNDIS init */
	NETVSP_DROP_RX_NO_BUFFER,	/* every receive section in use */
	NETVSP_DROP_RX_FILTER,		/* packet filter 0 or link down */
	NETVSP_DROP_RX_TOO_BIG,		/* frame larger than a section */
	NETVSP_DROP_RX_NOT_READY,	/* no receive buffer yet */
	NETVSP_DROP_BAD_PACKET,		/* unparsable VMBus/NVSP packet */
	NETVSP_DROP_BAD_COMPLETION,	/* completion for no section of ours */
	NETVSP_DROP_STALE_COMPLETION,	/* of a section a dead daemon sent */
	NETVSP_DROP_RX_RING,		/* the guest's ring stayed full / closed */
	NETVSP_DROP_N
};
const char *netvsp_drop_name(int why);

struct netvsp_stats {
	atomic_ullong tx_packets, tx_bytes, tx_gso, tx_csum;
	atomic_ullong rx_packets, rx_bytes, rx_csum, rx_hash;
	atomic_ullong ctl_requests;
	atomic_ullong drops[NETVSP_DROP_N];
	/* frames per queue (channel), to see the guest's traffic spread */
	atomic_ullong q_tx[NETVSP_MAX_QUEUES], q_rx[NETVSP_MAX_QUEUES];
};

/* What the protocol needs from the daemon (or a test's fake guest). */
struct netvsp_io {
	/* send a packet (descriptor first) on queue q's channel: 0/-errno */
	int (*send)(void *ctx, unsigned int q, const struct enl_iov *iov,
		    unsigned int niov);
	/*
	 * the completion of the guest packet being handled (token: its
	 * in-flight record, 0 none), sent and the record ended in one so a
	 * restarted daemon does not complete it again: 0/-errno.  NULL:
	 * built here and sent with send.
	 */
	int (*complete)(void *ctx, unsigned int q, u64 token, u64 trans_id,
			const void *body, u32 len);
	/* a GPADL of the primary channel mapped, or NULL */
	void *(*gpadl)(void *ctx, u32 id, size_t *len);
	/* guest memory of a GPA range (vsp_gpa_range_iov) */
	int (*gpa_iov)(void *ctx, const struct enl_pkt_gpa_range *r,
		       struct iovec *iov, unsigned int max);
	/* a frame from the guest, with its virtio-net header, to queue q */
	int (*tx)(void *ctx, unsigned int q, const struct netvsp_vnet_hdr *h,
		  const struct iovec *iov, int niov);
	/* the guest asked for n subchannels: 0 if they will be offered */
	int (*subchannels)(void *ctx, unsigned int n);
	/* state the next daemon needs changed (buffers, RNDIS, filter) */
	void (*state_changed)(void *ctx);
	void *ctx;
};

enum netvsp_rndis_state {
	NETVSP_RNDIS_UNINIT,
	NETVSP_RNDIS_READY,		/* INIT answered */
	NETVSP_RNDIS_HALTED,
};

/*
 * What a restarted daemon needs to carry on with a guest that will not
 * negotiate again: saved by main.c in a state file, keyed by the ring
 * GPADL of the open it belongs to.
 */
struct netvsp_saved {
	u32 magic;			/* NETVSP_SAVED_MAGIC */
	u32 ring_gpadl;
	u32 version;
	u32 ndis_version;
	u32 guest_mtu;
	u32 recv_gpadl;
	u32 recv_id;			/* transfer-page set id (0xCAFE) */
	u32 send_gpadl;
	u32 recv_section;
	u32 send_section;
	u32 rndis_state;
	u32 filter;
	u32 nqueues;
	u32 offload;			/* NETVSP_OFF_* the guest enabled */
	u32 generation;			/* of the daemon that wrote it */
	/* RSS parameters: the hash on receive (rss_key_len 0: none) */
	u32 rss_hashinfo;		/* ENL_NDIS_HASH_* */
	u32 rss_key_len;
	u8 rss_key[ENL_RSS_KEY_MAX];
};
#define NETVSP_SAVED_MAGIC	0x5653454eu	/* "NESV" */

/* offloads the guest turned on (OID_TCP_OFFLOAD_PARAMETERS) */
#define NETVSP_OFF_TX_CSUM4	0x1u
#define NETVSP_OFF_TX_CSUM6	0x2u
#define NETVSP_OFF_LSO4		0x4u
#define NETVSP_OFF_LSO6		0x8u
#define NETVSP_OFF_RX_CSUM	0x10u

struct netvsp_dev {
	/* configuration, fixed */
	u8 mac[6];
	unsigned int max_queues;	/* offered in the RSS capabilities */
	struct netvsp_io io;

	/*
	 * NVSP state.  Written by the primary channel's thread under
	 * buf_lock (write), read by the tap reader threads under buf_lock
	 * (read): the receive buffer must not go while a frame is copied
	 * into it.
	 */
	pthread_rwlock_t buf_lock;
	struct netvsp_saved s;		/* negotiated values, as saved */
	u8 *recv_buf;
	size_t recv_len;
	u32 nsections;
	u8 *send_buf;
	size_t send_len;
	u32 send_sections;

	/* receive sections: a stack of free indices */
	pthread_mutex_t sec_lock;
	u32 *sec_free;
	u32 sec_nfree;
	u8 *sec_busy;			/* per section: 0 free, 1 with the guest */

	_Atomic bool link_up;
	_Atomic bool link_changed;	/* indicate to the guest */
	_Atomic u32 nqueues_open;
	atomic_uint generation;		/* trans_id high bits of our RX packets */
	struct netvsp_stats st;
	/* for the send path's bounce buffer: one per queue thread */
	u8 *tx_stream[NETVSP_MAX_QUEUES];
};

int netvsp_dev_init(struct netvsp_dev *d, const u8 mac[6],
		    unsigned int max_queues, const struct netvsp_io *io);
void netvsp_dev_destroy(struct netvsp_dev *d);
/* The guest (re)opened the primary: forget the negotiation. */
void netvsp_dev_reset(struct netvsp_dev *d);
/*
 * Carry on from saved state (a restarted daemon): maps the buffers the
 * saved GPADL ids name.  0, or -ENOENT (a buffer is not there: start
 * afresh).
 */
int netvsp_dev_resume(struct netvsp_dev *d, const struct netvsp_saved *s);
/* A GPADL is going away: stop using it if it is one of our buffers. */
void netvsp_dev_gpadl_teardown(struct netvsp_dev *d, u32 gpadl);

/*
 * One packet from the guest on queue q (descriptor + payload, as taken
 * from the ring; 8-byte aligned).  Answers what needs answering through
 * io.send.  Returns 0, or -errno for a packet that was refused (counted).
 */
int netvsp_handle_packet(struct netvsp_dev *d, unsigned int q,
			 const void *pkt, u32 len);
/* The same for a packet taken with an in-flight token (io.complete). */
int netvsp_handle_request(struct netvsp_dev *d, unsigned int q,
			  const void *pkt, u32 len, u64 token);

/*
 * A frame from the tap for queue q: copied into a free receive section
 * with its PPIs and sent as a transfer-page packet.  0 sent, -EAGAIN no
 * free section (retry when the guest gives some back), -ENODEV not ready
 * (no buffer / filter 0 / link down: dropped and counted), -EMSGSIZE too
 * big (dropped and counted).
 */
int netvsp_rx_frame(struct netvsp_dev *d, unsigned int q,
		    const struct netvsp_vnet_hdr *h, u8 *frame, u32 len);
/* Receive sections free now. */
u32 netvsp_rx_free(struct netvsp_dev *d);

/* Tell the guest about the link (RNDIS INDICATE on the primary). */
int netvsp_indicate_link(struct netvsp_dev *d);

const char *netvsp_rndis_state_name(u32 s);
/* The ones' complement sum used to finish checksums (tap frames). */
u16 netvsp_csum_fold(u32 sum);
u32 netvsp_csum_add(u32 sum, const u8 *p, u32 len);

#endif
