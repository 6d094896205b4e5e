/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libvsp internals, shared by its files and by the unit tests (which drive
 * the GPADL code directly).  Not for daemons.
 */
#ifndef ENL_LIBVSP_INTERNAL_H
#define ENL_LIBVSP_INTERNAL_H

#include <pthread.h>

#include "vsp.h"
#include "../common/vsp_common.h"

#define VSP_PAGE_SIZE	4096u
#define VSP_PAGE_SHIFT	12

/* Guest RAM as WELCOME described it, mapped whole. */
struct vsp_ram {
	int fd;			/* the memfd, -1 if none */
	struct vspc_ram_layout l;	/* l.size: bytes of the memfd we may use */
	u8 *base;		/* MAP_SHARED mapping of [0, l.size) */
};

/* A GPADL being received (parts) or complete, maybe mapped. */
struct vsp_gpadl_map {
	struct vsp_gpadl_map *next;
	u32 relid;
	u32 id;
	u32 total_pages;
	u32 received;		/* pages received so far, in order */
	u32 byte_offset;
	u32 byte_count;
	u64 *pfn;		/* total_pages entries */
	void *va;		/* contiguous mapping, or NULL */
	size_t map_len;
	int users;		/* open channels using it as their ring */
};

/* In-flight region of a channel, as mapped here (layout: inflight.c). */
struct vsp_inflight {
	u8 *base;		/* MAP_SHARED of the memfd, NULL if none */
	size_t size;
	u32 nslots;
	u32 slot_size;		/* bytes per slot, header included */
	u32 pkt_max;		/* packet bytes a slot holds */
	u32 *free;		/* stack of free slot numbers (under ch->lock) */
	u32 nfree;
	u32 *replay;		/* slots to replay, oldest first */
	u32 nreplay;
	bool ready;		/* checked and recovered for the current open */
};

/*
 * The in-flight region's layout (lib/README.md "In-flight region"):
 * this header at offset 0, then nslots slots of slot_size bytes from
 * VSP_INFLIGHT_SLOTS_OFF.  Written only by libvsp (one channel thread
 * takes, any thread completes under ch->lock), zeroed by enl-host when
 * the guest closes the channel.
 */
#define VSP_INFLIGHT_MAGIC	0x464c4e45u	/* "ENLF" */
#define VSP_INFLIGHT_VERSION	1
#define VSP_INFLIGHT_SLOTS_OFF	64
#define VSP_INFLIGHT_SLOT_HDR	32
#define VSP_INFLIGHT_MAX_SLOTS	4096
#define VSP_INFLIGHT_MAX_PKT	65536

struct vsp_inflight_hdr {
	u32 magic;		/* written last when the region is set up */
	u32 version;
	u32 nslots;
	u32 slot_size;
	u64 taken_seq;		/* seq of the last take whose read index is published */
	u32 ring_size;		/* guest-to-host ring data bytes */
	u32 ring_gpadl;		/* the open's ring GPADL handle ... */
	u64 ring_pfn0;		/* ... and its first page: which open it is */
	u32 reserved[6];
};

/*
 * ANSWERING: the daemon is writing the request's answer into the
 * host-to-guest ring (under ch->lock, so at most one slot per channel);
 * wr_before is that ring's write index before it.  A daemon that dies
 * there leaves the next one to tell from the write index whether the
 * answer went out (moved: forget it) or not (equal: replay it).
 */
enum { VSP_SLOT_FREE = 0, VSP_SLOT_INFLIGHT = 1, VSP_SLOT_ANSWERING = 2 };

struct vsp_inflight_slot {
	u32 state;		/* VSP_SLOT_*, stored last (release) */
	u32 len;		/* packet bytes in pkt[] */
	u64 seq;		/* taken_seq + 1 at the take: replay order */
	u32 rd_before;		/* ring read index before the packet */
	u32 rd_after;		/* ... and after it */
	u32 wr_before;		/* ANSWERING: host-to-guest write index before */
	u32 reserved;
	u8 pkt[];
};

/*
 * A channel's state, one value (the loop thread moves it; senders and the
 * worker read it, so it is stored atomically, under ch->lock):
 *
 *   OFFERING      OFFER sent, no OFFER_RESULT yet
 *   OFFER_FAILED  OFFER_RESULT refused it (the object is about to go)
 *   CLOSED        offered (relid known), not open: the guest has not
 *                 opened it, closed it, or its open was refused
 *   WAIT_REGION   a CHANNEL_OPEN is held until the in-flight region
 *                 arrives (deferred_msg, deferred_fds)
 *   OPEN          rings mapped and in use; the daemon said yes
 *   FAILED        stopped on any thread (corrupt ring, no worker): no
 *                 ring access; the loop still has to tear down and call
 *                 on_close, then CLOSED
 *
 * Whether the offer is rescinded is apart (rescinded): a rescinded offer
 * is CLOSED, and a reoffer leaves it so until the guest opens it.
 */
enum vsp_chan_state {
	VSP_CS_OFFERING,
	VSP_CS_OFFER_FAILED,
	VSP_CS_CLOSED,
	VSP_CS_WAIT_REGION,
	VSP_CS_OPEN,
	VSP_CS_FAILED,
};

struct vsp_chan {
	struct vsp_chan *next;
	struct vsp *v;
	const struct vsp_chan_ops *ops;
	void *priv;
	struct vsp_chan *primary;	/* itself for a primary */
	struct vsp_offer_params params;
	u32 cookie;
	u32 relid;
	u32 connection_id;
	enum vsp_chan_state state;	/* atomic; written under lock */
	bool offer_async;	/* a subchannel: result to on_subchannel */
	bool offer_existing;	/* VSP_OFFER_EXISTING: take over, never create */
	u32 offer_status;	/* OFFER_RESULT's, or EPROTO */
	bool rescinded;
	/* withdrawn (vsp_chan_withdraw): enl-host forgets the relid, the
	 * object goes at the next vsp_chan_sweep(); withdraw_pending: at its
	 * OFFER_RESULT (it was withdrawn while being offered) */
	bool withdrawn;
	bool withdraw_pending;
	bool warned_sief;
	/* lock: state changes, the host-to-guest ring, call_fd, sief_gpa,
	 * the in-flight free list and open_gen */
	pthread_mutex_t lock;
	struct vsp_channel_open open_msg;
	struct vsp_gpadl_map *ring_gpadl;
	struct enl_ring in;	/* guest -> host: we read (channel thread) */
	struct enl_ring out;	/* host -> guest: we write (under lock) */
	int kick_fd;
	int call_fd;
	u64 sief_gpa;
	u64 timer_due_ms;	/* 0: not armed (atomic) */
	u32 open_gen;		/* counts opens: in-flight tokens carry it */
	bool in_epoll;		/* kick_fd registered with the loop */
	/* worker (VSP_CHAN_WORKER) */
	pthread_t worker;
	bool worker_running;
	int worker_fd;		/* eventfd: wake the worker */
	int worker_stop;	/* atomic */
	/* WAIT_REGION: the CHANNEL_OPEN waiting for the in-flight region */
	struct vsp_channel_open deferred_msg;
	int deferred_fds[2];
	bool inflight_asked;	/* INFLIGHT_GET sent on this connection */
	bool inflight_answered;
	struct vsp_inflight inf;
	/* primary: subchannels asked for (under v->lock) and offered */
	u16 sub_asked;		/* highest index asked for */
	u16 sub_offered;	/* highest index offered to enl-host */
	const struct vsp_chan_ops *sub_ops;
};

struct vsp {
	int fd;
	int wake_fd;		/* eventfd: vsp_stop(), failed channels, subchannel requests */
	int epfd;
	char name[VSP_NAME_LEN];
	struct vsp_vm_info vm;
	struct vsp_ram ram;
	struct vsp_chan *chans;		/* loop thread only */
	/* lock: gpadls (read by workers), subs_pending */
	pthread_mutex_t lock;
	struct vsp_gpadl_map *gpadls;
	bool subs_pending;
	u32 next_cookie;
	int poll_depth;		/* vsp_poll_once() calls under way (nested) */
	bool offer_answered;	/* vsp_offer() waits: stop reading after it */
	bool hung_up;
	int stopping;		/* atomic */
	u8 *msgbuf;		/* VSP_MSG_MAX bytes */
	vsp_command_fn cmd_fn;	/* operator commands (loop thread) */
	void *cmd_priv;
	/*
	 * Unit tests only: in-flight records are never ended, as a daemon
	 * killed between an answer and the end of its record leaves them.
	 */
	bool test_dead_at_release;
};

/* ---- guest RAM and GPADLs (gpadl.c) ------------------------------------- */

/* Check WELCOME's numbers against the memfd size; 0 or -EPROTO. */
int vsp_ram_setup(struct vsp_ram *ram, int fd, u64 fd_size, u64 ram_size,
		  u64 lowmem_size, u64 highmem_gpa);
void vsp_ram_unmap(struct vsp_ram *ram);
/* memfd offset of [gpa, gpa + len): 0 or -ERANGE (not RAM, or crosses
 * the end of the low or high piece). */
int vsp_ram_offset(const struct vsp_ram *ram, u64 gpa, u64 len, u64 *off);
/* Map pfns[0..n) back to back at one new address: 0 or -errno. */
int vsp_ram_map_pfns(const struct vsp_ram *ram, const u64 *pfn, u32 n,
		     void **va);

/*
 * Feed one VSP_GPADL message (already length-checked: count pfns follow).
 * Returns 1 when the GPADL is complete, 0 when more parts are expected,
 * -EPROTO if this part is inconsistent (the partial GPADL is dropped).
 */
int vsp_gpadl_part(struct vsp_gpadl_map **list, const struct vsp_gpadl *msg,
		   const u64 *pfn, u64 max_pages);
struct vsp_gpadl_map *vsp_gpadl_find(struct vsp_gpadl_map *list, u32 relid, u32 id);
/* Map a complete GPADL (no-op if mapped); 0 or -errno. */
int vsp_gpadl_mmap(const struct vsp_ram *ram, struct vsp_gpadl_map *g);
/* Unlink, unmap and free. */
void vsp_gpadl_drop(struct vsp_gpadl_map **list, struct vsp_gpadl_map *g);

/* Largest GPADL accepted, in pages (1 GiB). */
#define VSP_GPADL_MAX_PAGES	VSPC_GPADL_MAX_PAGES

/* ---- transport (transport.c) ----------------------------------------- */

int vsp_send_msg(struct vsp *v, const void *msg, u32 len);
/* Receive one message into buf; fds in fds[] (-1 if absent).  flags:
 * recvmsg flags (MSG_DONTWAIT).  Returns length, 0 on hang-up, -EBADMSG
 * (bad length, too many fds: fds closed), -errno. */
int vsp_recv_msg_flags(int fd, void *buf, u32 buf_len, int *fds, int *nfds,
		       int flags);
int vsp_recv_msg(int fd, void *buf, u32 buf_len, int *fds, int *nfds);
/* 0 when fd is readable, -ETIMEDOUT, -errno */
int vsp_wait_readable(int fd, int timeout_ms);

/* ---- messages from enl-host (conn.c) --------------------------------- */

/* Read and dispatch up to max messages; 0, 1 = hung up, -errno. */
int vsp_read_socket(struct vsp *v, int max);
struct vsp_chan *vsp_chan_by_relid(struct vsp *v, u32 relid);
/* Send the OFFERs of subchannels asked for since the last call. */
void vsp_offer_pending_subchannels(struct vsp *v);
void vsp_send_open_reply(struct vsp *v, u32 relid, u32 status);

/* ---- the loop (loop.c) ------------------------------------------------- */

void vsp_wake(struct vsp *v);
/* Register / unregister an open loop-mode channel's kick fd. */
int vsp_loop_add_chan(struct vsp_chan *ch);
void vsp_loop_del_chan(struct vsp_chan *ch);
/* Start / stop (and join) a channel's worker. */
int vsp_worker_start(struct vsp_chan *ch);
void vsp_worker_stop(struct vsp_chan *ch);

/* ---- channels (chan.c) ------------------------------------------------- */

void vsp_chan_handle_open(struct vsp *v, const struct vsp_channel_open *m,
			  int kick_fd, int call_fd);
/* The in-flight answer arrived (or failed): run a deferred open. */
void vsp_chan_run_deferred_open(struct vsp_chan *ch);
/* Stop using the channel; tell the daemon (on_close) if it was open. */
void vsp_chan_shutdown(struct vsp_chan *ch);
/* The ring is corrupt: stop using it now, on_close from the loop.  Any
 * thread. */
void vsp_chan_fail(struct vsp_chan *ch, const char *why);
/* Run what vsp_chan_fail() deferred (loop thread). */
void vsp_chan_reap(struct vsp *v);
/* Free the withdrawn channels (loop thread, between poll rounds). */
void vsp_chan_sweep(struct vsp *v);
/* Replay in-flight requests, then on_kick once (channel thread). */
void vsp_chan_first_kick(struct vsp_chan *ch);
struct vsp_chan *vsp_chan_new(struct vsp *v, const struct vsp_offer_params *p,
			      const struct vsp_chan_ops *ops, void *priv);
void vsp_chan_free(struct vsp_chan *ch);
static inline enum vsp_chan_state vsp_chan_state(const struct vsp_chan *ch)
{
	return __atomic_load_n(&ch->state, __ATOMIC_ACQUIRE);
}
/* Set the state (loop thread, or vsp_chan_fail()); ch->lock held. */
static inline void vsp_chan_set_state(struct vsp_chan *ch,
				      enum vsp_chan_state s)
{
	__atomic_store_n(&ch->state, s, __ATOMIC_RELEASE);
}
static inline bool vsp_chan_open_now(const struct vsp_chan *ch)
{
	return vsp_chan_state(ch) == VSP_CS_OPEN;
}

/* ---- in-flight region (inflight.c) ------------------------------------ */

/* Bytes of region the channel's parameters need (0: none). */
u64 vsp_inflight_size(const struct vsp_offer_params *p);
/* Check the offer parameters: 0 or -EINVAL. */
int vsp_inflight_check_params(const struct vsp_offer_params *p);
/* The INFLIGHT answer: map fd (taken over).  0 or -errno. */
int vsp_inflight_map(struct vsp_chan *ch, int fd, u64 size);
void vsp_inflight_unmap(struct vsp_chan *ch);
/* At open, rings mapped: check the region, finish a take a dead daemon
 * was in the middle of, build the free list.  0 or -errno (no region for
 * this open). */
int vsp_inflight_attach(struct vsp_chan *ch);
/* Call on_replay for every recorded request, oldest first. */
void vsp_inflight_replay(struct vsp_chan *ch);
/* At close: the tokens of this open are void (region kept). */
void vsp_inflight_detach(struct vsp_chan *ch);
/* ch->lock held: the slot of token (an in-flight one of this open) or NULL */
struct vsp_inflight_slot *vsp_inflight_slot_of(struct vsp_chan *ch, u64 token);
/* ch->lock held: slot s of token is finished; it goes back to the free list */
void vsp_inflight_free_slot(struct vsp_chan *ch, struct vsp_inflight_slot *s,
			    u64 token);

#endif
