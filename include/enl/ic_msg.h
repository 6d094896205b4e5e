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

#endif
