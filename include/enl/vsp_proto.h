/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VSP socket protocol between enl-host and the VSP daemons (and enlctl).
 * A SOCK_SEQPACKET UNIX socket: one message per packet, file descriptors in
 * SCM_RIGHTS beside it.  Host user space only; see docs/vsp-socket.md.
 *
 * A daemon connects, says HELLO, gets WELCOME with the guest-RAM memfd, then
 * OFFERs its channels.  For each channel the guest opens it receives the
 * channel's GPADLs (VSP_GPADL, possibly split in parts) and then
 * CHANNEL_OPEN with the kick and call eventfds.  Rings and buffers are then
 * read and written in guest RAM directly; enl-host never sees the data.
 */
#ifndef ENL_VSP_PROTO_H
#define ENL_VSP_PROTO_H

#include <enl/types.h>
#include <enl/guid.h>

#define VSP_PROTO_VERSION	2
/* How long enl-host waits for a daemon's OPEN_REPLY before it fails the
 * guest's OPENCHANNEL (docs/vsp-socket.md, "Open and refusal").
 */
#define VSP_OPEN_TIMEOUT_MS	5000
/* Largest in-flight region a daemon may ask for, per channel. */
#define VSP_INFLIGHT_MAX	(16u << 20)
#define VSP_MSG_MAX		65536	/* largest message, header included */
#define VSP_MAX_FDS		2
#define VSP_NAME_LEN		32
#define VSP_KEY_LEN		32
#define VSP_VALUE_LEN		96

enum vsp_msg_type {
	/* daemon or enlctl -> enl-host */
	VSP_HELLO = 1,
	VSP_OFFER = 2,
	VSP_CLOSE_DONE = 3,	/* the daemon stopped using a closed channel */
	VSP_GPADL_RELEASED = 4,	/* the daemon stopped using a GPADL */
	VSP_STATUS_SET = 5,	/* publish a key=value shown by enlctl status */
	VSP_OPEN_REPLY = 6,	/* the daemon's answer to CHANNEL_OPEN */
	VSP_INFLIGHT_GET = 7,	/* the daemon asks for a channel's in-flight region */
	VSP_DAEMON_REPLY = 8,	/* the daemon's answer to a relayed DAEMON_CMD */
	VSP_WITHDRAW = 9,	/* the daemon gives up one of its subchannels */
	VSP_CTL_STATUS = 32,	/* enlctl: report; VSP_CTL_FLAG_JSON for JSON */
	VSP_CTL_RESCIND = 33,	/* enlctl: rescind the offer of relid */
	VSP_CTL_REOFFER = 34,	/* enlctl: offer a rescinded channel again */
	VSP_CTL_DAEMON = 35,	/* enlctl: a command for a daemon, relayed */

	/* enl-host -> daemon or enlctl */
	VSP_WELCOME = 64,	/* daemons: fd[0] = guest-RAM memfd */
	VSP_OFFER_RESULT = 65,
	VSP_GPADL = 66,
	VSP_CHANNEL_OPEN = 67,	/* fd[0] = kick eventfd, fd[1] = call irqfd */
	VSP_CHANNEL_CLOSE = 68,	/* answer with VSP_CLOSE_DONE */
	VSP_GPADL_TEARDOWN = 69,	/* answer with VSP_GPADL_RELEASED */
	VSP_CHANNEL_TARGET = 70,	/* new target VP; fd[0] = new call irqfd */
	VSP_CHANNEL_RESCINDED = 71,
	VSP_INFLIGHT = 72,	/* answer to INFLIGHT_GET; fd[0] = its memfd */
	VSP_DAEMON_CMD = 73,	/* a relayed enlctl command; answer DAEMON_REPLY */
	VSP_WITHDRAW_RESULT = 74,	/* the answer to WITHDRAW */
	VSP_CTL_REPLY = 96,
};

struct vsp_hdr {
	u32 type;
	u32 len;		/* whole message, header included */
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vsp_hdr, 8);

enum vsp_role {
	VSP_ROLE_DAEMON = 1,
	VSP_ROLE_CONTROL = 2,
};

struct vsp_hello {
	struct vsp_hdr hdr;
	u32 version;		/* VSP_PROTO_VERSION */
	u32 role;		/* enum vsp_role */
	char name[VSP_NAME_LEN];	/* NUL-terminated, for logs and status */
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vsp_hello, 48);

/* Guest RAM: memfd offset 0 is GPA 0 up to lowmem_size; the rest of the
 * memfd is GPA highmem_gpa onwards.
 */
struct vsp_welcome {
	struct vsp_hdr hdr;
	u32 version;
	u32 ncpus;
	u64 ram_size;
	u64 lowmem_size;
	u64 highmem_gpa;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vsp_welcome, 40);

struct vsp_offer {
	struct vsp_hdr hdr;
	u32 cookie;		/* the daemon's name for this offer */
	u16 chn_flags;		/* VMBUS_CHAN_FLAG_* */
	u16 mmio_megabytes;
	enl_guid_t if_type;
	enl_guid_t if_instance;
	u16 sub_channel_index;	/* 0: primary; subchannels after it */
	u16 flags;		/* VSP_OFFER_EXISTING */
	u8 user_defined[120];
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vsp_offer, 172);
ENL_OFFSET_ASSERT(struct vsp_offer, flags, 50);

/* OFFER.flags: take over a channel enl-host still has (a restarted
 * daemon's subchannels); ENOENT rather than a new offer if there is none.
 */
#define VSP_OFFER_EXISTING	0x0001

/* status: 0, or a positive errno (EEXIST: another daemon serves it) */
struct vsp_offer_result {
	struct vsp_hdr hdr;
	u32 cookie;
	u32 status;
	u32 relid;
	u32 connection_id;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vsp_offer_result, 24);

/*
 * One GPADL of one of the daemon's channels: total_pages page frame numbers,
 * sent in parts of count pages starting at first.  byte_offset/byte_count
 * describe the first (usually only) range.
 */
struct vsp_gpadl {
	struct vsp_hdr hdr;
	u32 relid;
	u32 gpadl;
	u32 total_pages;
	u32 first;
	u32 count;
	u32 byte_offset;
	u32 byte_count;
	u32 reserved;
	u64 pfn[];
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vsp_gpadl, 40);
#define VSP_GPADL_PART_PFNS ((VSP_MSG_MAX - sizeof(struct vsp_gpadl)) / 8)

/*
 * The guest opened a channel.  Ring GPADL ring_gpadl (already sent) holds
 * the guest-to-host ring in its first downstream_offset pages and the
 * host-to-guest ring after them.  To interrupt the guest: set bit relid in
 * the SINT 2 event-flag bitmap at sief_gpa + 2 * 256 (atomically), then
 * write 1 to the call fd.  The guest's signals arrive on the kick fd.
 */
struct vsp_channel_open {
	struct vsp_hdr hdr;
	u32 relid;
	u32 sub_channel_index;
	u32 ring_gpadl;
	u32 ring_pages;
	u32 downstream_offset;
	u32 target_vp;
	u64 sief_gpa;		/* 0 while the guest has no SIEF page */
	u32 connection_id;
	u32 vmbus_version;
	u8 user_data[120];
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vsp_channel_open, 168);

/*
 * The daemon's answer to CHANNEL_OPEN: status 0 (rings usable, serving) or
 * a positive errno (refused; enl-host fails the guest's OPENCHANNEL with a
 * non-zero status and the channel stays closed, ready to be opened again).
 * enl-host answers the guest only after this, or after VSP_OPEN_TIMEOUT_MS.
 */
struct vsp_open_reply {
	struct vsp_hdr hdr;
	u32 relid;
	u32 status;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vsp_open_reply, 16);

/*
 * In-flight region of a channel: a memfd that enl-host creates at the first
 * INFLIGHT_GET for relid and keeps across daemon restarts for as long as the
 * offer lives, so that requests a daemon took off the ring but had not yet
 * completed can be finished by the next daemon (as vhost-user's inflight
 * fd).  Its contents belong to libvsp.  enl-host zeroes it when the guest
 * closes the channel (the requests died with the open).
 * INFLIGHT_GET.size: the size wanted (page multiple, <= VSP_INFLIGHT_MAX).
 * INFLIGHT: status 0 with fd[0] and size = the region's size (that of the
 * existing region if one exists), or a positive errno without an fd.
 */
struct vsp_inflight_msg {
	struct vsp_hdr hdr;
	u32 relid;
	u32 status;		/* INFLIGHT_GET: 0 */
	u64 size;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vsp_inflight_msg, 24);

/*
 * CHANNEL_CLOSE, CLOSE_DONE, CHANNEL_RESCINDED, WITHDRAW, CTL_RESCIND,
 * CTL_REOFFER
 */
struct vsp_relid {
	struct vsp_hdr hdr;
	u32 relid;
	u32 reserved;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vsp_relid, 16);

/*
 * WITHDRAW (a vsp_relid): the daemon has stopped using subchannel relid
 * for good (e.g. its NIC's primary was closed: the guest asks for fresh
 * subchannels after it reopens).  enl-host rescinds the offer, frees it
 * once the guest released the relid, and from then on tells the daemon
 * nothing more of it; an OFFER of the same instance and index makes a new
 * channel at once.  WITHDRAW_RESULT: status 0, or a positive errno and
 * nothing done: ENOENT no such relid, EPERM another daemon's, EINVAL a
 * primary, EALREADY withdrawn already.
 */
struct vsp_withdraw_result {
	struct vsp_hdr hdr;
	u32 relid;
	u32 status;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vsp_withdraw_result, 16);
ENL_OFFSET_ASSERT(struct vsp_withdraw_result, status, 12);

/* GPADL_TEARDOWN, GPADL_RELEASED */
struct vsp_gpadl_ref {
	struct vsp_hdr hdr;
	u32 relid;
	u32 gpadl;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vsp_gpadl_ref, 16);

struct vsp_channel_target {
	struct vsp_hdr hdr;
	u32 relid;
	u32 target_vp;
	u64 sief_gpa;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vsp_channel_target, 24);

struct vsp_status_set {
	struct vsp_hdr hdr;
	u32 relid;
	u32 reserved;
	char key[VSP_KEY_LEN];		/* NUL-terminated, [a-z0-9_] */
	char value[VSP_VALUE_LEN];	/* NUL-terminated */
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vsp_status_set, 144);

#define VSP_CTL_FLAG_JSON 1

struct vsp_ctl {
	struct vsp_hdr hdr;
	u32 flags;
	u32 relid;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vsp_ctl, 16);

/*
 * status 0 or a positive errno; text (NUL-terminated) fills the rest.
 * CTL_STATUS is paged by relid (a report may not fit one message): the
 * request's relid is the first relid wanted (0: from the start), the
 * reply's next the relid to ask for next, 0 when the report is complete.
 * The pages' texts put together are the report.  Other replies: next 0.
 */
struct vsp_ctl_reply {
	struct vsp_hdr hdr;
	u32 status;
	u32 next;
	char text[];
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vsp_ctl_reply, 16);

/*
 * Operator commands for a daemon (enlctl shutdown, kvp, input ...), relayed
 * by enl-host so that enlctl needs one socket only.  enlctl sends
 * CTL_DAEMON naming the daemon by its HELLO name; enl-host forwards the
 * command text as DAEMON_CMD with its own req_id and answers enlctl with
 * CTL_REPLY once the daemon's DAEMON_REPLY (same req_id) arrives, or with
 * ETIMEDOUT after timeout_ms (0: VSP_DAEMON_TIMEOUT_MS; at most
 * VSP_DAEMON_TIMEOUT_MAX_MS), ENOENT when no such daemon is connected, or
 * EPIPE when it disconnects first.  The command is one NUL-terminated
 * line of words ("shutdown --reboot", "kvp set 0 key value"); the daemon
 * defines its words.  DAEMON_REPLY: status 0 or a positive errno, and a
 * NUL-terminated text (the result, or a one-line error) that enl-host
 * hands to enlctl as CTL_REPLY's text.
 */
#define VSP_CMD_LEN			4096
#define VSP_DAEMON_TIMEOUT_MS		10000
#define VSP_DAEMON_TIMEOUT_MAX_MS	600000

struct vsp_ctl_daemon {
	struct vsp_hdr hdr;
	char daemon[VSP_NAME_LEN];	/* HELLO name, NUL-terminated */
	u32 timeout_ms;
	u32 reserved;
	char cmd[VSP_CMD_LEN];		/* NUL-terminated */
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vsp_ctl_daemon, 8 + 32 + 8 + 4096);

struct vsp_daemon_cmd {
	struct vsp_hdr hdr;
	u32 req_id;
	u32 reserved;
	char cmd[VSP_CMD_LEN];		/* NUL-terminated */
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vsp_daemon_cmd, 8 + 8 + 4096);

/* Variable length: at least the header, text NUL-terminated within len. */
struct vsp_daemon_reply {
	struct vsp_hdr hdr;
	u32 req_id;
	u32 status;
	char text[];
} __attribute__((packed));
ENL_SIZE_ASSERT(struct vsp_daemon_reply, 16);

#endif
