/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Integration services (IC): heartbeat, shutdown, time sync, KVP, VSS.
 * Each IC message is the payload of an inband VMBus packet:
 *
 *   pipe header (8 B) | IC header (20 B) | message body
 *
 * The host asks (flags TRANSACTION|REQUEST), the guest answers in place in
 * a packet of the same length and transaction id (flags
 * TRANSACTION|RESPONSE).  The first exchange on every open is NEGOTIATE:
 * the host lists framework versions then message versions; the guest
 * keeps one of each (counts 1 and 1, or 0 and 0 when nothing matches).
 * See shared/PROTOCOL.md "Integration services".
 */
#ifndef ENL_IC_MSG_H
#define ENL_IC_MSG_H

#include <enl/types.h>

#ifdef __KERNEL__
#include <linux/errno.h>
#else
#include <errno.h>
#include <stdbool.h>
#endif

enum enl_ic_msgtype {
	ENL_IC_MSG_NEGOTIATE = 0,
	ENL_IC_MSG_HEARTBEAT = 1,
	ENL_IC_MSG_KVP = 2,
	ENL_IC_MSG_SHUTDOWN = 3,
	ENL_IC_MSG_TIMESYNC = 4,
	ENL_IC_MSG_VSS = 5,
	ENL_IC_MSG_FCOPY = 7,
};

#define ENL_IC_FLAG_TRANSACTION	0x01
#define ENL_IC_FLAG_REQUEST	0x02
#define ENL_IC_FLAG_RESPONSE	0x04

#define ENL_IC_STATUS_OK	0x00000000u
#define ENL_IC_STATUS_FAIL	0x80004005u

/* Guests refuse more versions than this in one NEGOTIATE. */
#define ENL_IC_MAX_VERSIONS	100

struct enl_ic_pipe_hdr {
	u32 flags;
	u32 msgsize;		/* bytes after this header */
};

ENL_SIZE_ASSERT(struct enl_ic_pipe_hdr, 8);

struct enl_ic_version {
	u16 major;
	u16 minor;
};

ENL_SIZE_ASSERT(struct enl_ic_version, 4);

#define ENL_IC_VER(ma, mi)	((struct enl_ic_version){ .major = (ma), .minor = (mi) })

struct enl_icmsg_hdr {
	struct enl_ic_version framever;	/* negotiated framework version */
	u16 msgtype;			/* enum enl_ic_msgtype */
	struct enl_ic_version msgver;	/* negotiated message version */
	u16 msgsize;			/* body bytes */
	u32 status;
	u8 trans_id;
	u8 flags;			/* ENL_IC_FLAG_* */
	u8 reserved[2];
};

ENL_SIZE_ASSERT(struct enl_icmsg_hdr, 20);
ENL_OFFSET_ASSERT(struct enl_icmsg_hdr, msgtype, 4);
ENL_OFFSET_ASSERT(struct enl_icmsg_hdr, msgver, 6);
ENL_OFFSET_ASSERT(struct enl_icmsg_hdr, msgsize, 10);
ENL_OFFSET_ASSERT(struct enl_icmsg_hdr, status, 12);
ENL_OFFSET_ASSERT(struct enl_icmsg_hdr, trans_id, 16);
ENL_OFFSET_ASSERT(struct enl_icmsg_hdr, flags, 17);

/* Where the IC header and the body start in the packet payload. */
#define ENL_IC_HDR_OFF		sizeof(struct enl_ic_pipe_hdr)
#define ENL_IC_BODY_OFF		(sizeof(struct enl_ic_pipe_hdr) + sizeof(struct enl_icmsg_hdr))
ENL_STATIC_ASSERT(ENL_IC_BODY_OFF == 28, "IC body offset");

struct enl_ic_negotiate {
	u16 framever_count;
	u16 msgver_count;
	u32 reserved;
	struct enl_ic_version ver[];	/* framework versions, then message versions */
};

ENL_SIZE_ASSERT(struct enl_ic_negotiate, 8);

/* Size of a NEGOTIATE payload with nfw + nmsg versions. */
#define ENL_IC_NEGOTIATE_LEN(nfw, nmsg) \
	(ENL_IC_BODY_OFF + sizeof(struct enl_ic_negotiate) + \
	 ((nfw) + (nmsg)) * sizeof(struct enl_ic_version))

/* Framework versions every IC speaks: 3.0, then 1.0 (Windows 2008). */
#define ENL_IC_FW_VERSIONS	{ ENL_IC_VER(3, 0), ENL_IC_VER(1, 0) }
#define ENL_IC_NR_FW_VERSIONS	2

/* Heartbeat: the guest answers seq + 1. */
#define ENL_IC_HEARTBEAT_VERSIONS	{ ENL_IC_VER(3, 0), ENL_IC_VER(1, 0) }
#define ENL_IC_NR_HEARTBEAT_VERSIONS	2

struct enl_ic_heartbeat {
	u64 seq;
	u32 reserved[8];
};

ENL_SIZE_ASSERT(struct enl_ic_heartbeat, 40);

/* More status codes the guest may answer with. */
#define ENL_IC_STATUS_CONT		0x80070103u	/* no more items */
#define ENL_IC_STATUS_NOT_FOUND		0x80041002u
#define ENL_IC_STATUS_EXISTS		0x80070050u
#define ENL_IC_STATUS_DISK_FULL		0x80070070u

/* ---- shutdown ------------------------------------------------------------ */

/* Every version the stock 6.1 and 6.12 hv_utils speak, best first. */
#define ENL_IC_SHUTDOWN_VERSIONS \
	{ ENL_IC_VER(3, 2), ENL_IC_VER(3, 1), ENL_IC_VER(3, 0), ENL_IC_VER(1, 0) }

/* flags: the whole value names the action; anything else is refused. */
enum enl_ic_shutdown_flags {
	ENL_IC_SHUTDOWN_POWEROFF = 0,
	ENL_IC_SHUTDOWN_POWEROFF_FORCE = 1,
	ENL_IC_SHUTDOWN_REBOOT = 2,
	ENL_IC_SHUTDOWN_REBOOT_FORCE = 3,
	ENL_IC_SHUTDOWN_HIBERNATE = 4,
	ENL_IC_SHUTDOWN_HIBERNATE_FORCE = 5,
};

/* Linux drops (never answers) a shutdown request shorter than this whole
 * body, so the host always sends all of it.
 */
struct enl_ic_shutdown {
	u32 reason_code;
	u32 timeout_seconds;
	u32 flags;		/* enum enl_ic_shutdown_flags */
	u8 display_message[2048];
} __attribute__((packed));
ENL_SIZE_ASSERT(struct enl_ic_shutdown, 2060);
ENL_OFFSET_ASSERT(struct enl_ic_shutdown, flags, 8);
ENL_STATIC_ASSERT(ENL_IC_BODY_OFF + sizeof(struct enl_ic_shutdown) == 2088,
		  "shutdown payload");

/* ---- time sync ----------------------------------------------------------- */

/*
 * Message 4.0 carries the guest's reference counter at the time the host
 * time was taken; 3.0 and 1.0 do not (the guest uses the time it receives
 * the message).  Guests speak 4.0, 3.0, 1.0.
 */
#define ENL_IC_TIMESYNC_VERSIONS \
	{ ENL_IC_VER(4, 0), ENL_IC_VER(3, 0), ENL_IC_VER(1, 0) }

#define ENL_IC_TIMESYNC_PROBE	0
#define ENL_IC_TIMESYNC_SYNC	1	/* set the clock */
#define ENL_IC_TIMESYNC_SAMPLE	2	/* a sample for the PTP clock */

/* Times: 100 ns units since 1601-01-01 UTC. */
#define ENL_IC_TIME_UNIX_OFFSET	116444736000000000ull

/* Message versions up to 3.0. */
struct enl_ic_timesync {
	u64 parenttime;		/* host time */
	u64 childtime;
	u64 roundtriptime;
	u8 flags;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct enl_ic_timesync, 25);
ENL_OFFSET_ASSERT(struct enl_ic_timesync, flags, 24);

/* Message version 4.0. */
struct enl_ic_timesync_ref {
	u64 parenttime;
	u64 vmreferencetime;	/* guest's partition reference counter */
	u8 flags;
	u8 leapflags;		/* signed on the wire */
	u8 stratum;
	u8 reserved[3];
} __attribute__((packed));
ENL_SIZE_ASSERT(struct enl_ic_timesync_ref, 22);
ENL_OFFSET_ASSERT(struct enl_ic_timesync_ref, flags, 16);

/* ---- KVP ------------------------------------------------------------------ */

#define ENL_IC_KVP_VERSIONS \
	{ ENL_IC_VER(4, 0), ENL_IC_VER(3, 0), ENL_IC_VER(1, 0) }

enum enl_ic_kvp_op {
	ENL_IC_KVP_GET = 0,
	ENL_IC_KVP_SET = 1,
	ENL_IC_KVP_DELETE = 2,
	ENL_IC_KVP_ENUMERATE = 3,
	ENL_IC_KVP_GET_IP_INFO = 4,
	ENL_IC_KVP_SET_IP_INFO = 5,
};

enum enl_ic_kvp_pool {
	ENL_IC_KVP_POOL_EXTERNAL = 0,	/* the host writes, the guest reads */
	ENL_IC_KVP_POOL_GUEST = 1,	/* the guest writes, the host reads */
	ENL_IC_KVP_POOL_AUTO = 2,	/* the guest's intrinsic data */
	ENL_IC_KVP_POOL_AUTO_EXTERNAL = 3,
	ENL_IC_KVP_POOL_AUTO_INTERNAL = 4,
	ENL_IC_KVP_POOL_COUNT = 5,
};

#define ENL_IC_KVP_REG_SZ	1
#define ENL_IC_KVP_REG_U32	4
#define ENL_IC_KVP_REG_U64	8

/* Bytes on the wire: the key is UTF-16LE (256 units), the value too
 * (1024 units); sizes count bytes, the NUL included.
 */
#define ENL_IC_KVP_KEY_BYTES	512
#define ENL_IC_KVP_VALUE_BYTES	2048

struct enl_ic_kvp_value {
	u32 value_type;
	u32 key_size;
	u32 value_size;
	u8 key[ENL_IC_KVP_KEY_BYTES];
	u8 value[ENL_IC_KVP_VALUE_BYTES];
} __attribute__((packed));
ENL_SIZE_ASSERT(struct enl_ic_kvp_value, 2572);
ENL_OFFSET_ASSERT(struct enl_ic_kvp_value, key, 12);
ENL_OFFSET_ASSERT(struct enl_ic_kvp_value, value, 524);

/*
 * The body of a GET / SET / DELETE / ENUMERATE request, full size as
 * Hyper-V sends it (the guest answers in the same space).  GET and SET
 * use data at u.data; ENUMERATE has its index first (u.en); DELETE has
 * key_size and key only (u.del).
 */
struct enl_ic_kvp_msg {
	u8 op;			/* enum enl_ic_kvp_op */
	u8 pool;		/* enum enl_ic_kvp_pool */
	u16 pad;
	union {
		struct enl_ic_kvp_value data;
		struct {
			u32 index;
			struct enl_ic_kvp_value data;
		} __attribute__((packed)) en;
		struct {
			u32 key_size;
			u8 key[ENL_IC_KVP_KEY_BYTES];
		} __attribute__((packed)) del;
	} u;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct enl_ic_kvp_msg, 2580);
ENL_OFFSET_ASSERT(struct enl_ic_kvp_msg, u, 4);

/*
 * The /dev/vmbus/hv_kvp character device between the guest kernel and
 * Debian's hv_kvp_daemon (the upstream ABI, kept so that the daemon runs
 * unmodified on enl_ic): one message of this size (7432 bytes) each way
 * per read or write, strings UTF-8 with their NUL counted in the sizes.  The daemon
 * opens, writes REGISTER1; the kernel answers REGISTER1 with its version
 * ("3.1") in u.version; then each host request becomes one message to
 * read, and the daemon writes the same message back with error (0, or
 * the status for the host: S_CONT, E_FAIL, ...) over the header.
 */
#define ENL_KVP_OP_REGISTER	4	/* legacy daemons */
#define ENL_KVP_OP_REGISTER1	100
#define ENL_KVP_DAEMON_VERSION	"3.1"
#define ENL_KVP_IP_VALUE_BYTES	7426

struct enl_kvp_daemon_msg {
	union {
		struct {
			u8 op;
			u8 pool;
			u16 pad;
		} __attribute__((packed)) hdr;
		u32 error;	/* the daemon's answer */
	} h;
	union {
		struct enl_ic_kvp_value data;		/* GET, SET */
		struct {
			u32 index;
			struct enl_ic_kvp_value data;
		} __attribute__((packed)) en;		/* ENUMERATE */
		struct {
			u32 key_size;
			u8 key[ENL_IC_KVP_KEY_BYTES];
		} __attribute__((packed)) del;		/* DELETE */
		u8 version[ENL_IC_KVP_KEY_BYTES];	/* REGISTER1 */
		u8 ip[ENL_KVP_IP_VALUE_BYTES];		/* IP ops */
		/* upstream's body union is not packed and has a member
		 * of 4-byte alignment: it is rounded up to 7428 bytes
		 */
		u8 raw[ENL_KVP_IP_VALUE_BYTES + 2];
	} u;
} __attribute__((packed));
/* what Debian's hv_kvp_daemon reads and writes (0x1d08 in its binary) */
ENL_SIZE_ASSERT(struct enl_kvp_daemon_msg, 7432);

/* A KVP string as UTF-8, NUL-terminated: at most 3 bytes per UTF-16 unit
 * (a surrogate pair, 2 units, is 4 bytes).
 */
#define ENL_IC_KVP_KEY_UTF8	(ENL_IC_KVP_KEY_BYTES / 2 * 3 + 1)
#define ENL_IC_KVP_VALUE_UTF8	(ENL_IC_KVP_VALUE_BYTES / 2 * 3 + 1)

/* ---- file copy ------------------------------------------------------------ */

/* The instance 6.12's user-space file-copy daemon looks for by name; the
 * other guests do not care, so it is the one offered.
 */
#define ENL_FCOPY_INSTANCE ENL_GUID(0xeb765408, 0x105f, 0x49b6, 0xb4, 0xaa, \
				    0xc1, 0x23, 0xb6, 0x4d, 0x17, 0xd4)

/* Guests speak framework 3.0 and message 1.1 only. */
#define ENL_IC_FCOPY_VERSIONS	{ ENL_IC_VER(1, 1) }

enum enl_ic_fcopy_op {
	ENL_IC_FCOPY_START = 0,
	ENL_IC_FCOPY_WRITE = 1,
	ENL_IC_FCOPY_COMPLETE = 2,
	ENL_IC_FCOPY_CANCEL = 3,
};

#define ENL_IC_FCOPY_OVERWRITE		0x1
#define ENL_IC_FCOPY_CREATE_PATH	0x2
#define ENL_IC_FCOPY_PATH_BYTES		520	/* 260 UTF-16 units */
#define ENL_IC_FCOPY_DATA		6144

struct enl_ic_fcopy_hdr {
	u32 op;			/* enum enl_ic_fcopy_op */
	u8 service_id0[16];
	u8 service_id1[16];
} __attribute__((packed));
ENL_SIZE_ASSERT(struct enl_ic_fcopy_hdr, 36);

/* Names: UTF-16LE with a NUL on the wire; UTF-8 through the guest's
 * /dev/vmbus/hv_fcopy (the same layout).
 */
struct enl_ic_fcopy_start {
	struct enl_ic_fcopy_hdr hdr;
	u8 file_name[ENL_IC_FCOPY_PATH_BYTES];
	u8 path_name[ENL_IC_FCOPY_PATH_BYTES];
	u32 copy_flags;
	u64 file_size;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct enl_ic_fcopy_start, 1088);
ENL_OFFSET_ASSERT(struct enl_ic_fcopy_start, copy_flags, 1076);

struct enl_ic_fcopy_write {
	struct enl_ic_fcopy_hdr hdr;
	u32 pad;
	u64 offset;
	u32 size;
	u8 data[ENL_IC_FCOPY_DATA];
} __attribute__((packed));
ENL_SIZE_ASSERT(struct enl_ic_fcopy_write, 6196);
ENL_OFFSET_ASSERT(struct enl_ic_fcopy_write, size, 48);
/* the largest IC message: it must fit the guests' 8 KiB receive buffer */
ENL_STATIC_ASSERT(ENL_IC_BODY_OFF + sizeof(struct enl_ic_fcopy_write) + 16 <= 8192,
		  "fcopy write fits the guest's buffer");

/* The /dev/vmbus/hv_fcopy handshake: the daemon writes an int version,
 * the kernel answers (version 1) with a u32; each request is one read, the
 * daemon's answer one int write (the status for the host).
 */
#define ENL_FCOPY_DAEMON_VERSION	1

/* ---- VSS (backup) ---------------------------------------------------------- */

/*
 * The stock 6.1 and 6.12 drivers speak message 5.0 only (framework 3.0);
 * FREEZE and THAW exist from 5.0 on, so nothing older is offered.
 */
#define ENL_IC_VSS_VERSIONS	{ ENL_IC_VER(5, 0) }

enum enl_ic_vss_op {
	ENL_IC_VSS_CREATE = 0,
	ENL_IC_VSS_DELETE = 1,
	ENL_IC_VSS_HOT_BACKUP = 2,	/* "can you do a live backup?" */
	ENL_IC_VSS_GET_DM_INFO = 3,
	ENL_IC_VSS_BU_COMPLETE = 4,
	ENL_IC_VSS_FREEZE = 5,		/* 5.0 on: freeze the file systems */
	ENL_IC_VSS_THAW = 6,
	ENL_IC_VSS_AUTO_RECOVER = 7,
	ENL_IC_VSS_OP_COUNT = 8,
};

/* HOT_BACKUP answer's flags: the one value Linux guests give (no
 * auto-recovery: the host then sends no AUTO_RECOVER).
 */
#define ENL_IC_VSS_HBU_NO_AUTO_RECOVERY	0x00000005u

/*
 * The body of every VSS request, and also the message each way through
 * /dev/vmbus/hv_vss (upstream's struct hv_vss_msg, 12 bytes: what
 * Debian's hv_vss_daemon reads and writes).  Towards the daemon: the
 * operation in h.hdr.op.  From the daemon: the same 12 bytes with its
 * answer in h.error (0 or an HRESULT such as E_FAIL) over the header.
 * Hyper-V's FREEZE carries more after these 12 bytes (LUN data, up to
 * about 6 KiB) that Linux does not use: a longer body is fine.
 */
struct enl_ic_vss_msg {
	union {
		struct {
			u8 op;		/* enum enl_ic_vss_op, or REGISTER* */
			u8 reserved[7];
		} __attribute__((packed)) hdr;
		u32 error;
	} h;
	u32 flags;	/* HOT_BACKUP: HBU flags; GET_DM_INFO: DM flags (0) */
} __attribute__((packed));
ENL_SIZE_ASSERT(struct enl_ic_vss_msg, 12);
ENL_OFFSET_ASSERT(struct enl_ic_vss_msg, flags, 8);

/*
 * The /dev/vmbus/hv_vss handshake: the daemon opens and writes one
 * message with op REGISTER1 (newer daemons) or REGISTER (legacy); for
 * REGISTER1 it then reads a u32, the kernel's version (REGISTER1, 129).
 * After that each forwarded request is one 12-byte read and one 12-byte
 * write.
 */
#define ENL_VSS_OP_REGISTER	128
#define ENL_VSS_OP_REGISTER1	129
#define ENL_VSS_DAEMON_VERSION	ENL_VSS_OP_REGISTER1

/* What the guest does with a host VSS request (enl_ic_vss_parse_request). */
enum enl_ic_vss_verdict {
	ENL_IC_VSS_ANSWER,	/* answered in place: send it back */
	ENL_IC_VSS_TO_DAEMON,	/* FREEZE, THAW, HOT_BACKUP: the daemon's call */
};

/*
 * Write the pipe header and the IC header of a host request at the start
 * of buf.  Returns ENL_IC_BODY_OFF, or -ENOSPC if buf cannot hold the
 * headers plus body_len bytes.
 */
int enl_ic_build_hdr(void *buf, u32 buf_len, u16 msgtype,
		     struct enl_ic_version framever, struct enl_ic_version msgver,
		     u16 body_len, u8 trans_id, u8 flags);

/*
 * Check the headers of a received IC packet payload and copy the IC header
 * out (a copy: the buffer may still change under us).  Returns the number
 * of body bytes actually present (len - ENL_IC_BODY_OFF), or -EPROTO.
 */
int enl_ic_parse_hdr(const void *buf, u32 len, struct enl_icmsg_hdr *hdr);

/*
 * Host: build a NEGOTIATE request offering fw[] and msg[] (most preferred
 * first).  Returns its length or -EINVAL / -ENOSPC.
 */
int enl_ic_build_negotiate(void *buf, u32 buf_len, u8 trans_id,
			   const struct enl_ic_version *fw, unsigned int nfw,
			   const struct enl_ic_version *msg, unsigned int nmsg);

/*
 * Host: check the guest's answer to our NEGOTIATE: a response, counts 1
 * and 1 (0 and 0: -ENOENT, the guest found no common version), the chosen
 * versions among those offered.  0 with *fw_out / *msg_out set, or -EPROTO.
 */
int enl_ic_parse_negotiate_answer(const void *buf, u32 len,
				  const struct enl_ic_version *fw, unsigned int nfw,
				  const struct enl_ic_version *msg, unsigned int nmsg,
				  struct enl_ic_version *fw_out,
				  struct enl_ic_version *msg_out);

/*
 * Guest: answer a NEGOTIATE request in place (buf holds len payload
 * bytes): choose the first of our fw[] and msg[] (most preferred first)
 * that the host offers, set counts, the chosen versions, msgsize and the
 * response flags.  Returns 0 when both matched, -ENOENT if not (counts 0,
 * status FAIL; still a valid answer to send), -EPROTO if the request is
 * malformed (then buf is answered with counts 0 and status FAIL if it is at
 * least large enough to hold that, else left alone: check *answerable).
 */
int enl_ic_answer_negotiate(void *buf, u32 len,
			    const struct enl_ic_version *fw, unsigned int nfw,
			    const struct enl_ic_version *msg, unsigned int nmsg,
			    struct enl_ic_version *fw_out,
			    struct enl_ic_version *msg_out, int *answerable);

/* Guest: answer a HEARTBEAT request in place (seq + 1).  0 or -EPROTO. */
int enl_ic_answer_heartbeat(void *buf, u32 len);

/* ---- shutdown, time sync, KVP: both ends -------------------------------- */

/*
 * Host: a shutdown request body for action (ENL_IC_SHUTDOWN_*).  Fills
 * the whole struct (reason code, timeout, a display message).
 */
void enl_ic_build_shutdown(struct enl_ic_shutdown *body, u32 flags);
/*
 * Guest: check a shutdown request (len payload bytes) and answer it in
 * place: status OK for an action this guest takes (poweroff, reboot,
 * forced or not), FAIL otherwise.  Returns the action's flags (>= 0) to
 * run after the answer went out, -EOPNOTSUPP (answered FAIL), or -EPROTO
 * (too short: not answered, as the stock driver).
 */
int enl_ic_answer_shutdown(void *buf, u32 len);

/*
 * Host: a time-sync body for message version msgver: flags
 * ENL_IC_TIMESYNC_*, hosttime in 100 ns units since 1601, refcount the
 * guest's reference counter at that instant (4.0 only).  Writes into
 * body (body_cap bytes): the body length, or -ENOSPC.
 */
int enl_ic_build_timesync(void *body, u32 body_cap,
			  struct enl_ic_version msgver, u8 flags,
			  u64 hosttime, u64 refcount);
/*
 * Guest: parse a time-sync request (len payload bytes) whose header says
 * message version msgver and answer it in place (status OK).  *hosttime,
 * *refcount (0 before 4.0) and *flags out.  0 or -EPROTO (not answered).
 */
int enl_ic_answer_timesync(void *buf, u32 len, u64 *hosttime, u64 *refcount,
			   u8 *flags);

/*
 * UTF-8 (len bytes, no NUL needed) -> UTF-16LE with a NUL unit, into out
 * (cap bytes).  Returns the bytes written, the NUL included (the wire's
 * key_size / value_size), -EILSEQ for invalid UTF-8 (overlong, surrogate
 * code points, beyond U+10FFFF, a NUL inside), -ENOSPC if it does not fit.
 */
int enl_ic_utf8_to_utf16(const char *in, u32 len, u8 *out, u32 cap);
/*
 * UTF-16LE (in_bytes bytes; stops at a NUL unit) -> UTF-8 with a NUL, into
 * out (cap bytes).  Returns the string length (NUL not counted), -EILSEQ
 * (odd byte count, unpaired surrogates), -ENOSPC.
 */
int enl_ic_utf16_to_utf8(const u8 *in, u32 in_bytes, char *out, u32 cap);

/*
 * Host: a KVP request body (full size).  op GET / SET / DELETE /
 * ENUMERATE; pool 0..4; key / value UTF-8 (value only for SET, as
 * REG_SZ), index for ENUMERATE.  0, -EINVAL (op or pool out of range),
 * -EILSEQ / -ENOSPC (key or value cannot be sent).
 */
int enl_ic_build_kvp(struct enl_ic_kvp_msg *m, u8 op, u8 pool, u32 index,
		     const char *key, const char *value);

/*
 * Guest: a host KVP request (body_len bytes after the IC header) as the
 * daemon's message (UTF-8).  0, -EPROTO (too short, sizes past their
 * fields, bad UTF-16, pool out of range) or -EOPNOTSUPP (an IP op or an
 * unknown one: answer FAIL).
 */
int enl_ic_kvp_to_daemon(const void *body, u32 body_len,
			 struct enl_kvp_daemon_msg *out);
/*
 * Guest: the daemon's answer in, written into the host's request body in
 * place (key / value as UTF-16 for GET and ENUMERATE; nothing for SET and
 * DELETE).  Returns the status for the IC header: the daemon's error, or
 * E_FAIL when its strings do not fit or are not UTF-8.
 */
u32 enl_ic_kvp_from_daemon(void *body, u32 body_len,
			   const struct enl_kvp_daemon_msg *in);

/*
 * Host: a START body: file_name / path_name UTF-8 (path_name the guest
 * directory), flags ENL_IC_FCOPY_*.  0, -EINVAL (empty name),
 * -EILSEQ / -ENOSPC (a name cannot be sent: 259 UTF-16 units at most).
 */
int enl_ic_build_fcopy_start(struct enl_ic_fcopy_start *m, const char *file_name,
			     const char *path_name, u32 flags, u64 size);
/*
 * Guest: a host file-copy request (body_len bytes) for the daemon: the
 * message to read in out (cap bytes; START with UTF-8 names, WRITE as it
 * came, COMPLETE / CANCEL their header).  Returns its length, -EPROTO
 * (short, a WRITE size past its data, bad UTF-16, an unknown op) or
 * -ENOSPC.
 */
int enl_ic_fcopy_to_daemon(const void *body, u32 body_len, void *out, u32 cap);

/* What the guest answered to a KVP GET or ENUMERATE, as UTF-8. */
struct enl_ic_kvp_result {
	char key[ENL_IC_KVP_KEY_UTF8];
	char value[ENL_IC_KVP_VALUE_UTF8];
};

/*
 * Host: the guest's answer (body_len body bytes) to a GET or ENUMERATE
 * request of op.  Sizes are checked against the fields, strings decoded
 * (REG_SZ; REG_U32 / REG_U64 as decimal).  0, or -EPROTO.
 */
int enl_ic_parse_kvp_answer(const void *body, u32 body_len, u8 op,
			    struct enl_ic_kvp_result *r);

/* ---- VSS: both ends ----------------------------------------------------- */

/* Name of a VSS operation for logs ("FREEZE"), "op N" past the table. */
const char *enl_ic_vss_op_name(u8 op);

/* Host: a VSS request body for op.  0, or -EINVAL for an unknown op. */
int enl_ic_build_vss(struct enl_ic_vss_msg *m, u8 op);

/*
 * Guest: check a host VSS request (len payload bytes).  *op out.
 * ENL_IC_VSS_TO_DAEMON for FREEZE, THAW, HOT_BACKUP (answer later with
 * enl_ic_vss_answer()); ENL_IC_VSS_ANSWER when it was answered in place
 * with status OK (GET_DM_INFO with flags 0, and every other operation, as
 * the stock driver does); -EPROTO when too short or not VSS (not
 * answered, as the stock driver).
 */
int enl_ic_vss_parse_request(void *buf, u32 len, u8 *op);

/*
 * Guest: answer the request in buf (len payload bytes, checked by
 * enl_ic_vss_parse_request) in place with status; a HOT_BACKUP the
 * daemon answered (daemon_answered) also gets the no-auto-recovery flag.
 */
void enl_ic_vss_answer(void *buf, u32 len, u32 status, bool daemon_answered);

/*
 * Guest: the daemon's write (len bytes at msg): its status for the host
 * in *status.  0, or -EINVAL if it is not one whole message.
 */
int enl_ic_vss_from_daemon(const void *msg, u32 len, u32 *status);

/*
 * Host: check the guest's answer to our request of op (hdr already
 * parsed; body_len body bytes): a VSS response whose body still holds
 * our operation.  *status (the IC status: 0 or the guest's error) and
 * *flags out.  0, or -EPROTO.
 */
int enl_ic_vss_parse_answer(const struct enl_icmsg_hdr *hdr, const void *body,
			    u32 body_len, u8 op, u32 *status, u32 *flags);

/* ---- VSS: both ends ----------------------------------------------------- */

/* Name of a VSS operation for logs ("FREEZE"), "op N" past the table. */
const char *enl_ic_vss_op_name(u8 op);

/* Host: a VSS request body for op.  0, or -EINVAL for an unknown op. */
int enl_ic_build_vss(struct enl_ic_vss_msg *m, u8 op);

/*
 * Guest: check a host VSS request (len payload bytes).  *op out.
 * ENL_IC_VSS_TO_DAEMON for FREEZE, THAW, HOT_BACKUP (answer later with
 * enl_ic_vss_answer()); ENL_IC_VSS_ANSWER when it was answered in place
 * with status OK (GET_DM_INFO with flags 0, and every other operation, as
 * the stock driver does); -EPROTO when too short or not VSS (not
 * answered, as the stock driver).
 */
int enl_ic_vss_parse_request(void *buf, u32 len, u8 *op);

/*
 * Guest: answer the request in buf (len payload bytes, checked by
 * enl_ic_vss_parse_request) in place with status; a HOT_BACKUP the
 * daemon answered (daemon_answered) also gets the no-auto-recovery flag.
 */
void enl_ic_vss_answer(void *buf, u32 len, u32 status, bool daemon_answered);

/*
 * Guest: the daemon's write (len bytes at msg): its status for the host
 * in *status.  0, or -EINVAL if it is not one whole message.
 */
int enl_ic_vss_from_daemon(const void *msg, u32 len, u32 *status);

/*
 * Host: check the guest's answer to our request of op (hdr already
 * parsed; body_len body bytes): a VSS response whose body still holds
 * our operation.  *status (the IC status: 0 or the guest's error) and
 * *flags out.  0, or -EPROTO.
 */
int enl_ic_vss_parse_answer(const struct enl_icmsg_hdr *hdr, const void *body,
			    u32 body_len, u8 op, u32 *status, u32 *flags);

#endif
