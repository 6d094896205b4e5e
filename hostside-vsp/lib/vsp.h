/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libvsp: what every VSP daemon links.  It speaks the VSP socket protocol
 * (include/enl/vsp_proto.h, docs/vsp-socket.md) with enl-host, maps guest
 * RAM and GPADLs, and gives a daemon its channels' rings.
 *
 * Threads.  By default everything runs on one thread: every callback is
 * called from vsp_run() / vsp_poll_once() (or from vsp_offer() while it
 * waits for its answer), in the caller's thread ("the loop thread").
 * A channel offered with VSP_CHAN_WORKER gets a thread of its own while it
 * is open: its on_kick, on_timer and on_replay run there, so the kicks of
 * different channels (e.g. a disk's subchannels) are handled in parallel.
 * on_open, on_close, on_rescind, on_gpadl_teardown and on_subchannel
 * always run on the loop thread, and never while the channel's worker is
 * inside one of its callbacks (the loop stops the worker first), so a
 * channel's callbacks never run concurrently with each other.
 *
 * Thread-safe (any thread, any time the struct vsp lives): vsp_stop(),
 * vsp_status_set(), vsp_chan_send*() / vsp_chan_signal() (one lock per
 * channel), vsp_chan_complete(), vsp_offer_subchannels(), the queries.
 * Channel-thread only (the thread its callbacks run on, or on_open):
 * vsp_chan_recv(), vsp_chan_take(), vsp_chan_timer().  Loop thread only,
 * or before vsp_run(): vsp_offer(), vsp_free(), vsp_run(),
 * vsp_poll_once().  A callback must not wait for the loop thread (the loop
 * may be waiting for that worker to return).
 *
 * A daemon:
 *     v = vsp_connect(path, "icvsp", &err);
 *     vsp_offer(v, &params, &ops, priv, &ch);   (for each channel)
 *     vsp_run(v);                                (until enl-host goes away)
 * and in its callbacks uses vsp_chan_send() / vsp_chan_recv().
 */
#ifndef ENL_LIBVSP_H
#define ENL_LIBVSP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <enl/types.h>
#include <enl/guid.h>
#include <enl/ring.h>
#include <enl/vmbus_msg.h>
#include <enl/vmbus_packet.h>
#include <sys/uio.h>
#include <enl/vsp_proto.h>

struct vsp;
struct vsp_chan;

struct vsp_chan_ops {
	/*
	 * The guest opens the channel: rings are mapped and checked.  Return
	 * 0 to serve it, or -errno to refuse (e.g. -ENODEV: no backend);
	 * the errno goes to enl-host in VSP_OPEN_REPLY and the guest's open
	 * fails; it may open again later.  NULL: always serve.  After a 0,
	 * libvsp answers enl-host, replays in-flight requests (on_replay)
	 * and calls on_kick once, as data may already wait (reconnect).
	 * Loop thread.
	 */
	int (*on_open)(struct vsp_chan *ch);
	/* The guest signalled (or may have): drain with vsp_chan_recv().
	 * Channel thread. */
	void (*on_kick)(struct vsp_chan *ch);
	/* The one-shot timer of vsp_chan_timer() expired.  Channel thread. */
	void (*on_timer)(struct vsp_chan *ch);
	/* The channel is closed (guest close, unload, enl-host gone, or a
	 * corrupt ring): stop using it.  No ring access from here on; its
	 * in-flight tokens are void.  Not called after a refused open.  Loop
	 * thread, worker stopped. */
	void (*on_close)(struct vsp_chan *ch);
	/* The offer was rescinded (enlctl rescind).  Optional.  Loop thread. */
	void (*on_rescind)(struct vsp_chan *ch);
	/* A GPADL of this channel is about to be unmapped.  Optional.  Loop
	 * thread; a worker is stopped around it. */
	void (*on_gpadl_teardown)(struct vsp_chan *ch, u32 gpadl);
	/*
	 * A request an earlier daemon (or this one, before a restart of
	 * the connection) took with vsp_chan_take() and never completed,
	 * from the channel's in-flight region: finish it, then
	 * vsp_chan_complete(ch, token).  pkt points into the region and
	 * stays valid until that call or on_close.  Called in the order the
	 * requests were taken, after on_open and before the first on_kick.
	 * Channel thread.  Needed when the channel has an in-flight region.
	 */
	void (*on_replay)(struct vsp_chan *ch, const void *pkt, u32 len,
			  u64 token);
	/*
	 * A subchannel asked for with vsp_offer_subchannels() was offered
	 * (err 0, sub is the new channel, index its sub_channel_index) or
	 * refused (err -errno, sub NULL).  Called on the primary.  Loop
	 * thread.
	 */
	void (*on_subchannel)(struct vsp_chan *primary, struct vsp_chan *sub,
			      u16 index, int err);
};

/* vsp_offer_params.flags */
#define VSP_CHAN_WORKER		0x1u	/* own thread while open */

struct vsp_offer_params {
	enl_guid_t if_type;		/* device class */
	enl_guid_t if_instance;		/* keep it stable across restarts */
	u16 chn_flags;			/* VMBUS_CHAN_FLAG_* */
	u16 mmio_megabytes;
	u16 sub_channel_index;		/* 0: primary */
	u8 user_defined[VMBUS_OFFER_USER_DATA];
	u32 flags;			/* VSP_CHAN_* */
	/*
	 * In-flight region (vsp_chan_take()): inflight_slots requests of at
	 * most inflight_pkt_max bytes each (descriptor included) can be
	 * outstanding at once.  0 slots: none.  The region is asked from
	 * enl-host after the offer; see lib/README.md "In-flight region".
	 */
	u32 inflight_slots;
	u32 inflight_pkt_max;
};

/* What WELCOME said about the VM. */
struct vsp_vm_info {
	u32 version;
	u32 ncpus;
	u64 ram_size;
	u64 lowmem_size;
	u64 highmem_gpa;
};

/* ---- connection ------------------------------------------------------- */

/*
 * Connect to enl-host's socket as a daemon, say HELLO (name: for logs and
 * status), take WELCOME and map guest RAM.  NULL on failure with *err =
 * -errno (-ECONNREFUSED / -ENOENT: enl-host not there; -EPROTO: bad
 * answer).
 */
struct vsp *vsp_connect(const char *path, const char *name, int *err);
/* The same over an already connected SOCK_SEQPACKET fd (taken over). */
struct vsp *vsp_connect_fd(int fd, const char *name, int *err);
/* Close the socket, unmap everything, free the channels. */
void vsp_free(struct vsp *v);

const struct vsp_vm_info *vsp_vm(const struct vsp *v);

/*
 * Offer a channel; waits for OFFER_RESULT (dispatching other messages
 * meanwhile).  0 and *out, or -errno: the positive status enl-host sent,
 * negated (-EEXIST: another daemon serves this instance), or a socket
 * error.  The channel lives until vsp_free().
 */
int vsp_offer(struct vsp *v, const struct vsp_offer_params *p,
	      const struct vsp_chan_ops *ops, void *priv, struct vsp_chan **out);

/*
 * Ask for n subchannels of primary (same class and instance, indices
 * following the last one asked for: 1, 2, ...), served with ops (NULL:
 * the primary's), priv (the primary's priv unless set later with
 * vsp_chan_set_priv()), and the primary's flags and in-flight size.
 * Asynchronous: returns at once (0, -EINVAL for a subchannel or a bad n,
 * -ENOMEM); each result arrives as primary's on_subchannel, from the
 * loop.  Any thread.
 */
int vsp_offer_subchannels(struct vsp_chan *primary, unsigned int n,
			  const struct vsp_chan_ops *ops);

/*
 * A restarted daemon's subchannels: take over those enl-host still has
 * for primary (indices 1, 2, ... up to max, until the first it does not
 * have), each reported as primary's on_subchannel; later
 * vsp_offer_subchannels() calls continue after them.  Synchronous, like
 * vsp_offer(): loop thread only, once, before any vsp_offer_subchannels().
 * Returns how many were taken over, or -errno.
 */
int vsp_reclaim_subchannels(struct vsp_chan *primary, unsigned int max,
			    const struct vsp_chan_ops *ops);

/*
 * Withdraw subchannel ch for good: stop it (on_close if it was open), drop
 * its GPADLs, and have enl-host rescind the offer (VSP_WITHDRAW); the
 * guest gets fresh subchannels only through new offers, as Linux's
 * netvsc wants after it reopened its primary.  ch must not be used after
 * the call: it is freed by the loop.  Later vsp_offer_subchannels()
 * indices follow the highest one left.  A subchannel still being offered
 * is withdrawn when its OFFER_RESULT comes (its on_subchannel does not).
 * 0, -EINVAL (a primary, or an offer that failed), -EALREADY, or the
 * send's -errno.  Loop thread.
 */
int vsp_chan_withdraw(struct vsp_chan *ch);
/*
 * Withdraw every subchannel of primary, those asked for and not offered
 * yet included; the next vsp_offer_subchannels() starts at index 1.
 * Returns how many were withdrawn, or -errno.  Loop thread.
 */
int vsp_withdraw_subchannels(struct vsp_chan *primary);

/*
 * Serve until enl-host closes the socket (returns 0), vsp_stop() (returns
 * 0) or a socket error (-errno).  Open channels get on_close first.
 */
int vsp_run(struct vsp *v);
/* One poll round, at most timeout_ms (-1: no limit).  0, 1 = the peer
 * hung up, or -errno. */
int vsp_poll_once(struct vsp *v, int timeout_ms);
/* Make vsp_run() return; async-signal-safe and thread-safe. */
void vsp_stop(struct vsp *v);
/* vsp_stop() was called or enl-host hung up: an on_close now is the
 * daemon's end, not the guest's close.  Loop thread. */
bool vsp_stopping(const struct vsp *v);

/*
 * Publish key = value for `enlctl status` (relid 0: about the daemon).
 * key: [a-z0-9_], shorter than VSP_KEY_LEN; value is truncated to fit.
 */
int vsp_status_set(struct vsp *v, u32 relid, const char *key,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * A pointer to guest RAM [gpa, gpa + len) if all of it is RAM in one
 * piece (not across the low-memory hole), else NULL.
 */
void *vsp_gpa(struct vsp *v, u64 gpa, u64 len);

/*
 * The guest memory of one GPA-direct range (from enl_pkt_next_gpa_range())
 * as host pointers: pages that are adjacent in the guest RAM mapping share
 * one iovec.  Returns the number of iovecs (<= max), -ERANGE if a page is
 * not guest RAM, -E2BIG if more than max iovecs would be needed.
 */
int vsp_gpa_range_iov(struct vsp *v, const struct enl_pkt_gpa_range *r,
		      struct iovec *iov, unsigned int max);

/* ---- channels ------------------------------------------------------------- */

u32 vsp_chan_relid(const struct vsp_chan *ch);
/* 0 for a primary channel, 1.. for its subchannels */
u16 vsp_chan_sub_index(const struct vsp_chan *ch);
/* The primary of a subchannel (the channel itself for a primary). */
struct vsp_chan *vsp_chan_primary(struct vsp_chan *ch);
void vsp_chan_set_priv(struct vsp_chan *ch, void *priv);
u32 vsp_chan_connection_id(const struct vsp_chan *ch);
void *vsp_chan_priv(const struct vsp_chan *ch);
struct vsp *vsp_chan_vsp(const struct vsp_chan *ch);
bool vsp_chan_is_open(const struct vsp_chan *ch);
bool vsp_chan_is_rescinded(const struct vsp_chan *ch);
/* The CHANNEL_OPEN message of the current open (NULL when closed). */
const struct vsp_channel_open *vsp_chan_open_info(const struct vsp_chan *ch);

/*
 * Send one packet to the guest (descriptor built here, offset8 = 2):
 * 0, -EAGAIN (ring full: retry later), -EMSGSIZE, -ENOTCONN (channel not
 * open) or -EPROTO (ring corrupt: the channel is then dropped).  Signals
 * the guest when the ring rules say so.
 */
int vsp_chan_send(struct vsp_chan *ch, u16 type, u16 flags, u64 trans_id,
		  const void *buf, u32 len);
int vsp_chan_sendv(struct vsp_chan *ch, u16 type, u16 flags, u64 trans_id,
		   const struct enl_iov *iov, unsigned int niov);
/* Send a packet whose descriptor the caller built (GPA direct etc.). */
int vsp_chan_send_raw(struct vsp_chan *ch, const struct enl_iov *iov,
		      unsigned int niov);
/* A completion (type 0xB) for trans_id. */
int vsp_chan_send_completion(struct vsp_chan *ch, u64 trans_id,
			     const void *buf, u32 len);

/*
 * Take the next packet from the guest: copies descriptor + payload into buf
 * and publishes the new read index (signalling the guest if it waits for
 * room).  1 (*len set), 0 (empty), -EMSGSIZE (*len = size needed),
 * -ENOTCONN, -EPROTO (corrupt ring: channel dropped).  The descriptor in
 * buf has been validated (see enl_ring_read()).
 */
int vsp_chan_recv(struct vsp_chan *ch, void *buf, u32 buf_len, u32 *len);

/*
 * Like vsp_chan_recv(), but the packet is also recorded in the channel's
 * in-flight region before the ring's read index moves past it, so that a
 * daemon that dies before vsp_chan_complete(ch, *token) leaves it to the
 * next one (on_replay).  1 (*len, *token set), 0, -EMSGSIZE (*len =
 * size needed, also when larger than inflight_pkt_max), -EBUSY (every
 * slot in use: complete some first; the packet stays in the ring),
 * -ENOTCONN, -EPROTO.  Without a region *token is 0 and this is
 * vsp_chan_recv().  Channel thread.
 */
int vsp_chan_take(struct vsp_chan *ch, void *buf, u32 buf_len, u32 *len,
		  u64 *token);
/*
 * The request of token is finished (its completion, if any, is in the
 * ring already): forget it.  A token of an earlier open, 0, or one
 * completed already is ignored.  Any thread.  If the daemon dies between
 * its completion and this call, the next daemon replays the request: a
 * request may be finished twice, never lost (at-least-once).
 */
void vsp_chan_complete(struct vsp_chan *ch, u64 token);
/*
 * vsp_chan_send() of the request's answer and vsp_chan_complete() of its
 * token in one, such that a daemon dying anywhere in it leaves the next
 * one to replay the request only if the answer did not reach the ring:
 * exactly once.  On an error (-EAGAIN: ring full) the request stays in
 * flight.  Token 0 (no region): a plain send.  Any thread.
 */
int vsp_chan_send_done(struct vsp_chan *ch, u64 token, u16 type, u16 flags,
		       u64 trans_id, const void *buf, u32 len);
/* In-flight requests of the channel now (0 without a region). */
unsigned int vsp_chan_inflight_count(struct vsp_chan *ch);

/* Interrupt the guest for this channel now (SIEF bit + call fd). */
int vsp_chan_signal(struct vsp_chan *ch);

/* One-shot timer: on_timer after ms milliseconds (0 cancels). */
void vsp_chan_timer(struct vsp_chan *ch, unsigned int ms);

/*
 * A GPADL of this channel mapped contiguously (first page's byte_offset
 * not applied): pointer and its length in *len, or NULL if unknown.
 */
void *vsp_chan_gpadl(struct vsp_chan *ch, u32 gpadl, size_t *len);

/* ---- operator commands (enlctl, relayed by enl-host) ------------------ */

/*
 * `enlctl --vm S daemon NAME CMD...` reaches the daemon whose HELLO name
 * is NAME as one NUL-terminated line (docs/vsp-socket.md "Commands for a
 * daemon").  fn is called on the loop thread with the line (valid during
 * the call only) and must answer req_id exactly once with
 * vsp_command_reply(): before it returns, or later (e.g. once the guest
 * answered).  enl-host gives up on its side after the timeout enlctl
 * chose (ETIMEDOUT to enlctl); a late reply is then dropped by enl-host,
 * harmlessly.  Without a handler every command is answered ENOSYS.
 */
typedef void (*vsp_command_fn)(struct vsp *v, u32 req_id, const char *cmd,
			       void *priv);
/* Loop thread, or before vsp_run(); fn NULL removes the handler. */
void vsp_set_command_handler(struct vsp *v, vsp_command_fn fn, void *priv);
/*
 * Answer command req_id: status 0 or a positive errno, and a text (the
 * result, or a one-line reason), cut to fit one message (~64 KiB).
 * 0 or -errno (socket).  Any thread.
 */
int vsp_command_reply(struct vsp *v, u32 req_id, u32 status,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ---- control (enlctl) -------------------------------------------------- */

/*
 * Connect as role control, send a VSP_CTL_* request and wait for the
 * reply.  0 with *status (0 or a positive errno from enl-host) and *text
 * (malloc'ed, NUL-terminated; free it), or -errno.
 */
int vsp_ctl_request(const char *path, u32 type, u32 flags, u32 relid,
		    u32 *status, char **text);

/* ---- helpers ----------------------------------------------------------- */

/* "57164f39-9115-4e78-ab55-382f3bd5422d" <-> wire form. 0 or -EINVAL. */
int vsp_guid_parse(const char *s, enl_guid_t *g);
void vsp_guid_format(const enl_guid_t *g, char out[37]);

extern int vsp_verbose;		/* 0 quiet, 1 info (default), 2 debug */
void vsp_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vsp_set_log_name(const char *name);
#define vsp_err(...)	vsp_log(0, __VA_ARGS__)
#define vsp_info(...)	vsp_log(1, __VA_ARGS__)
#define vsp_dbg(...)	vsp_log(2, __VA_ARGS__)

/* monotonic clock in milliseconds */
u64 vsp_now_ms(void);

#endif
