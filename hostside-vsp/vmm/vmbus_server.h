/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VMBus control plane, host side: version negotiation, offers, GPADLs,
 * channel open/close, rescind, unload.  Pure logic: guest messages come in
 * through vmbus_server_post(), everything going out goes through the ops, so
 * the unit tests and the fuzzer drive exactly this code.  The caller
 * serialises all calls.
 */
#ifndef ENL_VMM_VMBUS_SERVER_H
#define ENL_VMM_VMBUS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <enl/vmbus_msg.h>
#include "hostside-vsp/common/vsp_common.h"

/* relids 1..2047: the SINT event bitmap has 2048 bits, bit 0 unused */
#define VMBUS_MAX_CHANNELS	2047
#define VMBUS_MAX_GPADLS	1024
#define VMBUS_GPADL_MAX_PAGES	VSPC_GPADL_MAX_PAGES	/* 1 GiB per GPADL */
/* All GPADLs together: bounds what a guest can make the host allocate. */
#define VMBUS_GPADL_TOTAL_PAGES	(1u << 20)
#define VMBUS_CONN_ID_BASE	0x1000		/* event connection = base + relid */
/* OPEN_RESULT / GPADL_CREATED failure (an NTSTATUS, as Hyper-V sends) */
#define VMBUS_STATUS_UNSUCCESSFUL	0xc0000001u

enum vmbus_gpadl_state {
	GPADL_RECEIVING,	/* header seen, body messages pending */
	GPADL_CREATED,
	GPADL_TEARING,		/* waiting for the channel's daemon to let go */
};

struct vmbus_gpadl {
	bool used;
	enum vmbus_gpadl_state state;
	uint32_t handle;
	uint32_t relid;
	uint32_t rangecount;
	uint32_t ranges_done;
	uint32_t range_pages_left;	/* pages still to come in this range */
	bool want_range_hdr;
	bool reply_torndown;		/* the guest waits for GPADL_TORNDOWN */
	uint32_t byte_offset;		/* of the first range */
	uint32_t byte_count;
	uint32_t npages;
	uint32_t cap;
	uint64_t *pfns;
};

/*
 * A channel's life, one state at a time (docs/vsp-socket.md "Channel
 * states").  The guest knows the relid in OFFERED..RESCINDING.
 *
 *   FREE ---add_offer---> PENDING ---offer sent---> OFFERED
 *   OFFERED --OPENCHANNEL--> OPENING --daemon says 0--> OPEN
 *   OPENING --refused, timeout, no daemon--> OFFERED (failed OPEN_RESULT)
 *   OPEN --CLOSECHANNEL--> CLOSING --daemon's CLOSE_DONE--> OFFERED
 *   CLOSING --OPENCHANNEL--> OPENING (the daemon hears of the open after
 *   its CLOSE_DONE)
 *   OFFERED..CLOSING --rescind--> RESCINDING --RELID_RELEASED--> RESCINDED
 *   PENDING --rescind--> RESCINDED --reoffer--> PENDING (offered at once
 *   when the guest is there)
 *   guest gone (UNLOAD, new INITIATE_CONTACT): OFFERED..CLOSING -> PENDING,
 *   RESCINDING -> RESCINDED.
 *   PENDING or RESCINDED --remove_offer--> FREE (the guest never holds it).
 *   withdraw: rescind, and at RESCINDED ops->released (which frees it).
 */
enum vmbus_chan_state {
	CHAN_FREE,		/* slot unused */
	CHAN_PENDING,		/* offered by a daemon; the guest not told yet */
	CHAN_OFFERED,		/* the guest has the offer; closed */
	CHAN_OPENING,		/* OPENCHANNEL taken; waiting for the daemon */
	CHAN_OPEN,		/* OPEN_RESULT success sent */
	CHAN_CLOSING,		/* CLOSECHANNEL taken; waiting for CLOSE_DONE */
	CHAN_RESCINDING,	/* rescind sent, RELID_RELEASED pending */
	CHAN_RESCINDED,		/* withdrawn and released: may be offered again */
};

const char *vmbus_chan_state_str(enum vmbus_chan_state st);

struct vmbus_channel {
	enum vmbus_chan_state state;
	uint32_t relid;
	uint32_t connection_id;
	enl_guid_t if_type;
	enl_guid_t if_instance;
	uint16_t chn_flags;
	uint16_t mmio_megabytes;
	uint16_t sub_channel_index;
	uint8_t user_defined[VMBUS_OFFER_USER_DATA];

	/* From the guest's OPENCHANNEL; valid in OPENING..CLOSING. */
	uint32_t openid;
	uint32_t ring_gpadl;
	uint32_t ring_pages;
	uint32_t downstream_offset;
	uint32_t target_vp;
	uint8_t user_data[VMBUS_OFFER_USER_DATA];

	void *owner;		/* the daemon serving it (the caller's) */
	/* Withdrawn by its daemon (vmbus_server_withdraw): no longer found
	 * by instance, freed through ops->released once the guest let go. */
	bool withdrawn;
};

/* The guest holds this relid (it was offered and not yet released). */
static inline bool vmbus_chan_known(const struct vmbus_channel *ch)
{
	return ch->state >= CHAN_OFFERED && ch->state <= CHAN_RESCINDING;
}

enum vmbus_conn_state {
	VMBUS_DISCONNECTED,
	VMBUS_CONNECTED,
	VMBUS_UNLOADING,	/* UNLOAD_RESPONSE waits for GPADL teardowns */
};

struct vmbus_server;

struct vmbus_server_ops {
	/* Deliver a channel message to the guest's SIMP slot of vp/sint. */
	int (*post)(void *ctx, uint32_t vp, uint32_t sint, const void *msg,
		    uint32_t len);
	/* Is this guest page frame in guest RAM? */
	bool (*pfn_ok)(void *ctx, uint64_t pfn);
	/* Is this a VP index of the VM? */
	bool (*vp_ok)(void *ctx, uint32_t vp);
	/* Channel events for the channel's daemon; any may be NULL. */
	void (*gpadl_created)(void *ctx, struct vmbus_channel *ch,
			      const struct vmbus_gpadl *g);
	/* Return true to delay GPADL_TORNDOWN until
	 * vmbus_server_gpadl_released() is called. */
	bool (*gpadl_teardown)(void *ctx, struct vmbus_channel *ch,
			       const struct vmbus_gpadl *g);
	/*
	 * The guest opens ch (OPENING).  Return 0 when the answer comes later
	 * through vmbus_server_open_done(), or an HV status to fail the open
	 * now.  NULL: opens succeed at once.
	 */
	uint32_t (*chan_open)(void *ctx, struct vmbus_channel *ch);
	/*
	 * ch is closed (guest's CLOSECHANNEL, UNLOAD, ring teardown, rescind,
	 * or an open given up).  Return true when the guest's close completes
	 * later, in vmbus_server_close_done() (CLOSING meanwhile).
	 */
	bool (*chan_close)(void *ctx, struct vmbus_channel *ch);
	/* ch->target_vp changed (MODIFYCHANNEL); false: the host cannot
	 * route to that VP, the move is refused and undone. */
	bool (*chan_target)(void *ctx, struct vmbus_channel *ch);
	void (*chan_rescinded)(void *ctx, struct vmbus_channel *ch);
	/* A withdrawn ch is RESCINDED (the guest released its relid, left,
	 * or never had it): the caller frees it (vmbus_server_remove_offer)
	 * before it returns.  NULL: the channel stays RESCINDED. */
	void (*released)(void *ctx, struct vmbus_channel *ch);
	/* A new connection begins (INITIATE_CONTACT): drop messages still
	 * queued for the guest; they belong to an earlier one.  May be NULL. */
	void (*flush)(void *ctx);
	void (*connected)(void *ctx, uint32_t version);
	void (*unloaded)(void *ctx);
	void (*log)(void *ctx, const char *msg);
};

struct vmbus_server {
	const struct vmbus_server_ops *ops;
	void *ctx;
	enum vmbus_conn_state state;
	uint32_t version;
	uint32_t target_vp;	/* where channel messages go */
	uint32_t msg_sint;
	uint32_t msg_conn_id;
	bool offers_requested;
	uint32_t version_max;	/* highest version offered (tests lower it) */
	uint64_t gpadl_pages;	/* page numbers held, all GPADLs */
	uint64_t stats_messages;
	uint64_t stats_dropped;
	uint64_t stats_gpadls;		/* GPADLs created */
	uint64_t stats_gpadl_bodies;	/* GPADL_BODY messages taken */
	uint32_t unloads;
	struct vmbus_channel chan[VMBUS_MAX_CHANNELS];
	struct vmbus_gpadl gpadl[VMBUS_MAX_GPADLS];
};

/* "5.3" -> VMBUS_VERSION_WIN10_V5_3; -EINVAL unless the server speaks it. */
int vmbus_server_parse_version(const char *str, uint32_t *version);

/* HV status codes (include/enl/hv_tlfs.h) are returned by _post(). */
void vmbus_server_init(struct vmbus_server *s,
		       const struct vmbus_server_ops *ops, void *ctx);
void vmbus_server_fini(struct vmbus_server *s);
uint64_t vmbus_server_post(struct vmbus_server *s, uint32_t conn_id,
			   uint32_t msg_type, const void *payload, uint32_t len);

/* Host-side requests.  add_offer makes a PENDING channel (NULL: instance
 * and index taken, or no slot); vmbus_server_publish() shows it. */
struct vmbus_channel *vmbus_server_add_offer(struct vmbus_server *s,
					     const enl_guid_t *type,
					     const enl_guid_t *instance,
					     uint16_t chn_flags,
					     uint16_t mmio_megabytes,
					     uint16_t sub_channel_index,
					     const uint8_t *user_defined);
/* Offer a PENDING channel to the guest if it is there and asked. */
void vmbus_server_publish(struct vmbus_server *s, struct vmbus_channel *ch);
/* Free a channel the guest does not hold (PENDING, RESCINDED); -EBUSY
 * otherwise.  Its GPADLs go with it. */
int vmbus_server_remove_offer(struct vmbus_server *s, struct vmbus_channel *ch);
/* The daemon's answer to chan_open: 0 opens, else the open fails with
 * hv_status.  Ignored unless ch is OPENING. */
void vmbus_server_open_done(struct vmbus_server *s, struct vmbus_channel *ch,
			    uint32_t hv_status);
/* The daemon let go of a closed channel: CLOSING -> OFFERED. */
void vmbus_server_close_done(struct vmbus_server *s, struct vmbus_channel *ch);
struct vmbus_channel *vmbus_server_find_instance(struct vmbus_server *s,
						 const enl_guid_t *instance,
						 uint16_t sub_channel_index);
struct vmbus_channel *vmbus_server_channel(struct vmbus_server *s,
					   uint32_t relid);
struct vmbus_gpadl *vmbus_server_gpadl(struct vmbus_server *s,
				       uint32_t handle);
int vmbus_server_rescind(struct vmbus_server *s, uint32_t relid);
int vmbus_server_reoffer(struct vmbus_server *s, uint32_t relid);
/*
 * Withdraw relid for good (its daemon asked): rescind it if the guest
 * holds it and hand it to ops->released once the guest has let go, so
 * that a new offer of the same instance and index can be made at once
 * (with another relid: the old one is the guest's until released).
 * 0, -ENOENT, or -EALREADY when it is withdrawn already.
 */
int vmbus_server_withdraw(struct vmbus_server *s, uint32_t relid);
void vmbus_server_gpadl_released(struct vmbus_server *s, uint32_t handle);

const char *vmbus_version_str(uint32_t version, char *buf, size_t len);

#endif
