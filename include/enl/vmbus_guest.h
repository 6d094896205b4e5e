/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest side of the VMBus control plane, the parts that are pure logic:
 * the version walk, the checks on messages from the host, and the split
 * of a GPADL into GPADL_HEADER + GPADL_BODY messages.  Compiles in the
 * kernel (enl_vmbus.ko) and in user space (unit tests).
 */
#ifndef ENL_VMBUS_GUEST_H
#define ENL_VMBUS_GUEST_H

#include <enl/types.h>
#include <enl/vmbus_msg.h>

#ifdef __KERNEL__
#include <linux/errno.h>
#else
#include <errno.h>
#include <stdbool.h>
#endif

/* Largest channel message payload (one SynIC message). */
#define ENL_VMBUS_MSG_MAX	240

/* Versions the guest asks for, most preferred first. */
#define ENL_VMBUS_NR_VERSIONS	8
extern const u32 enl_vmbus_versions[ENL_VMBUS_NR_VERSIONS];

/* Connection id INITIATE_CONTACT for `version` goes to. */
u32 enl_vmbus_contact_conn_id(u32 version);

/*
 * Connection id of every later message once `version` was accepted;
 * `returned` is VERSION_RESPONSE.msg_conn_id (only meaningful from 5.0).
 */
u32 enl_vmbus_msg_conn_id(u32 version, u32 returned);

/*
 * What an HvPostMessage status (its low 16 bits) means for a message of
 * type msgtype:
 *   0        posted;
 *   -EAGAIN  the host is short of message buffers, or (for anything but
 *            INITIATE_CONTACT) momentarily has no such connection: pause
 *            and post again, as the stock hv_vmbus does;
 *   -ENXIO   INITIATE_CONTACT to a connection id the host does not have:
 *            a host older than VMBus 5.0 (pre-2016 Hyper-V, QEMU's
 *            vmbus-bridge) only listens on connection id 1, so asking for
 *            5.x on connection id 4 ends here.  Posting again cannot help;
 *            an older version (on connection id 1) can;
 *   -EIO     anything else.
 */
int enl_vmbus_post_errno(u32 msgtype, u64 status);

/* The version walk: what to do after trying one version. */
enum enl_vmbus_walk {
	ENL_WALK_CONNECTED,	/* the host accepted it */
	ENL_WALK_OLDER,		/* try the next older version */
	ENL_WALK_GIVE_UP,	/* an older version cannot help */
};

/*
 * After INITIATE_CONTACT for version ended with result (0 accepted,
 * -EPROTONOSUPPORT refused in VERSION_RESPONSE, -ENXIO its contact
 * connection id refused, any other error: the post failed or no answer
 * came), the next step.  Refusal of connection id 4 steps down to the
 * versions below 5.0, which contact on connection id 1; refusal of
 * connection id 1 or a host that does not answer ends the walk.  A
 * version outside enl_vmbus_versions[] gives up.
 */
enum enl_vmbus_walk enl_vmbus_walk_step(u32 version, int result);

/*
 * Fill an INITIATE_CONTACT for version; target_vp receives the host's
 * messages.  Before 5.0 the interrupt page GPA goes where 5.0 puts
 * msg_sint.
 */
void enl_vmbus_build_contact(struct vmbus_initiate_contact *m, u32 version,
			     u32 target_vp, u64 int_page, u64 mon1, u64 mon2);

/*
 * Offers and subchannels.  Like the stock hv_vmbus, an offer belongs to
 * an existing device when both its class (if_type) and its instance GUID
 * equal those of a primary channel the guest has:
 *   PRIMARY     no such primary and sub_channel_index 0: a new device;
 *   SUBCHANNEL  such a primary and sub_channel_index > 0: one more channel
 *               of that device, handed to its driver, never a device;
 *   DUPLICATE   such a primary and sub_channel_index 0: a second offer of
 *               a device the guest has (a host bug): dropped;
 *   ORPHAN      no such primary and sub_channel_index > 0 (the host must
 *               offer primaries first): dropped.
 * primary is the offer of the matching primary channel, or NULL.
 */
enum enl_vmbus_offer_kind {
	ENL_OFFER_PRIMARY,
	ENL_OFFER_SUBCHANNEL,
	ENL_OFFER_DUPLICATE,
	ENL_OFFER_ORPHAN,
};

bool enl_vmbus_offer_same_device(const struct vmbus_offer_channel *a,
				 const struct vmbus_offer_channel *b);
enum enl_vmbus_offer_kind
enl_vmbus_offer_kind(const struct vmbus_offer_channel *o,
		     const struct vmbus_offer_channel *primary);

/*
 * Check a message from the host: at least a header, at most
 * ENL_VMBUS_MSG_MAX, a type the guest expects from the host, and long
 * enough for that type.  Returns the type (> 0) or -EPROTO.
 */
int enl_vmbus_check_host_msg(const void *buf, u32 len);

/* Bytes of the fixed part of each message type the host sends (0: none). */
u32 enl_vmbus_host_msg_min_len(u32 type);

/*
 * GPADL split: a GPADL of npages pages (one range, byte offset 0) takes
 * one GPADL_HEADER with up to VMBUS_GPADL_HEADER_PFNS page numbers, then
 * GPADL_BODY messages with VMBUS_GPADL_BODY_PFNS each.
 */
u32 enl_gpadl_msg_count(u32 npages);

/*
 * Build message number idx (0 = the header) of the split into buf (at
 * least ENL_VMBUS_MSG_MAX bytes); pfn(ctx, i) gives the page number of
 * page i.  Returns the message length, or -EINVAL (idx out of range,
 * npages 0 or too large for one range's byte count).
 */
typedef u64 (*enl_gpadl_pfn_fn)(void *ctx, u32 i);
int enl_gpadl_build_msg(void *buf, u32 relid, u32 handle, u32 npages,
			enl_gpadl_pfn_fn pfn, void *ctx, u32 idx);

/* Largest GPADL the split supports: the range byte count is a u32. */
#define ENL_GPADL_MAX_PAGES	((u32)(0xffffffffu / 4096))

#endif
