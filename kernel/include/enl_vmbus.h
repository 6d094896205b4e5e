/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * enl_vmbus driver API: what a VSC module (enl_ic, enl_storvsc, ...) uses
 * to bind devices of the "vmbus" bus and talk over their channels.
 *
 * Devices: one per primary channel offer; drivers match on the class GUID.
 * Channels: open with ring sizes and a callback; the callback runs in a
 * tasklet on the channel's target CPU with the inbound ring's interrupts
 * masked; it reads packets with enl_vmbus_recv() until it returns 0 and
 * finishes with enl_vmbus_recv_done().  Sends may come from any context.
 */
#ifndef ENL_VMBUS_H
#define ENL_VMBUS_H

#include <linux/device.h>
#include <linux/module.h>
#include <enl/guid.h>
#include <enl/vmbus_packet.h>

struct enl_vmbus_channel;

struct enl_vmbus_device {
	struct device dev;
	enl_guid_t class_id;
	enl_guid_t instance_id;
	struct enl_vmbus_channel *channel;	/* the primary channel */
	struct kset *channels_kset;		/* sysfs channels/ */
};

#define to_enl_vmbus_device(d) container_of(d, struct enl_vmbus_device, dev)

struct enl_vmbus_device_id {
	enl_guid_t guid;
	unsigned long driver_data;
};

struct enl_vmbus_driver {
	const char *name;
	/* terminated by an all-zero GUID */
	const struct enl_vmbus_device_id *id_table;
	int (*probe)(struct enl_vmbus_device *dev,
		     const struct enl_vmbus_device_id *id);
	void (*remove)(struct enl_vmbus_device *dev);
	struct device_driver driver;
};

int __enl_vmbus_driver_register(struct enl_vmbus_driver *drv,
				struct module *owner, const char *mod_name);
#define enl_vmbus_driver_register(drv) \
	__enl_vmbus_driver_register(drv, THIS_MODULE, KBUILD_MODNAME)
void enl_vmbus_driver_unregister(struct enl_vmbus_driver *drv);

/* Channel callback: tasklet context, on the channel's target CPU. */
typedef void (*enl_vmbus_chan_cb)(struct enl_vmbus_channel *ch, void *ctx);

/*
 * Open: allocate both rings (send_bytes and recv_bytes each include the
 * 4 KiB ring header page; page multiples, at least 2 pages), give the
 * host a GPADL over them, send OPENCHANNEL to the channel's target VP and
 * wait for OPENCHANNEL_RESULT.  user_data (up to 120 bytes) goes in the
 * OPENCHANNEL message.
 */
int enl_vmbus_open(struct enl_vmbus_channel *ch, u32 send_bytes,
		   u32 recv_bytes, const void *user_data, u32 ud_len,
		   enl_vmbus_chan_cb cb, void *ctx);
/* Close: CLOSECHANNEL, ring GPADL teardown, free.  Sleeps. */
void enl_vmbus_close(struct enl_vmbus_channel *ch);

/*
 * Send one packet of `type` (VMBUS_PKT_INBAND ...) with payload data[len]
 * and trans_id; flags VMBUS_PKT_FLAG_COMPLETION_REQUESTED asks for a
 * completion.  0, -EAGAIN (ring full now), -EMSGSIZE, -ENODEV (closed or
 * rescinded) or -EIO (ring corrupt: the channel is failed).
 */
int enl_vmbus_send(struct enl_vmbus_channel *ch, u16 type, u16 flags,
		   u64 trans_id, const void *data, u32 len);

/*
 * Send a GPA-direct packet: payload data[len] describing a buffer of
 * byte_count bytes starting at byte_offset in pages pfns[npages], with a
 * completion requested.
 */
int enl_vmbus_send_gpa_direct(struct enl_vmbus_channel *ch, u64 trans_id,
			      const u64 *pfns, u32 npages, u32 byte_offset,
			      u32 byte_count, const void *data, u32 len);

/*
 * The same with several ranges (a network frame's header and fragments):
 * ranges[ranges_len] holds range_count struct vmbus_gpa_range, each
 * followed by its PFNs, back to back, as they go on the wire.  The
 * caller builds them; enl_vmbus checks only the sizes.
 */
int enl_vmbus_send_gpa_ranges(struct enl_vmbus_channel *ch, u64 trans_id,
			      const void *ranges, u32 ranges_len,
			      u32 range_count, const void *data, u32 len);

/*
 * Completion tracking: enl_vmbus_request_add() stores ctx and gives a
 * trans id (never 0) to send with; enl_vmbus_request_take() looks a trans
 * id from a completion packet up and forgets it (NULL if unknown: the
 * host sent a bogus id).  Both any context.
 */
int enl_vmbus_request_add(struct enl_vmbus_channel *ch, void *ctx, u64 *trans_id);
void *enl_vmbus_request_take(struct enl_vmbus_channel *ch, u64 trans_id);

/*
 * Send and wait, for a driver's init handshake (VSTOR BEGIN_INIT ...,
 * NVSP INIT ...): send req[req_len] as an inband packet with a fresh
 * transaction id and a completion requested, then sleep until the host's
 * completion packet (type VMBUS_PKT_COMPLETION) with that id arrives, at
 * most `timeout` jiffies in all (ring full included).  The completion's
 * payload (the bytes after its descriptor) is copied to resp, at most
 * resp_len bytes; *resp_got (may be NULL) says how many.
 *
 * Returns 0, -ETIMEDOUT (the host never answered; a late answer is
 * dropped, the caller's buffer is not touched after the return),
 * -ENODEV (channel closed or rescinded meanwhile: the wait ends at once),
 * -EIO (the channel failed), -EMSGSIZE, or -ENOMEM.
 *
 * The channel must be open; the completion is taken off the inbound ring
 * by enl_vmbus_recv(), which the driver's callback keeps calling as
 * usual: it never returns these completions to the driver.  So: process
 * context only, never from the channel callback itself.  Transaction ids
 * of enl_vmbus_request_add() and of this helper never collide, and
 * enl_vmbus_request_take() never hands out one of this helper's.
 * First users: the storage and network VSCs' init sequences.
 */
int enl_vmbus_send_wait(struct enl_vmbus_channel *ch, const void *req,
			u32 req_len, void *resp, u32 resp_len, u32 *resp_got,
			unsigned long timeout);

/*
 * Receive one packet (descriptor and payload, no trailer) into buf.
 * 1 with *len set; 0 when the ring is empty; -EMSGSIZE if buf is too
 * small (*len = bytes needed, the packet stays); -EIO if the ring is
 * corrupt (the channel is failed).  The descriptor in buf is validated:
 * offset8 * 8 <= *len.  Only from the channel callback (one reader).
 */
int enl_vmbus_recv(struct enl_vmbus_channel *ch, void *buf, u32 buf_len, u32 *len);
/* Publish what was read; signals the host if it waits for room. */
void enl_vmbus_recv_done(struct enl_vmbus_channel *ch);

/*
 * Writer side flow control: after -EAGAIN, ask the host to signal once
 * more than `bytes` are free (the channel callback then runs).  Returns
 * true if that much is free already: retry at once.
 */
bool enl_vmbus_want_space(struct enl_vmbus_channel *ch, u32 bytes);

/*
 * NAPI style: with raw mode on, the tasklet only calls the callback (which
 * typically schedules a poll) and leaves the inbound interrupt mask to
 * the driver: enl_vmbus_rx_mask() before polling, enl_vmbus_rx_unmask()
 * when done, which returns true if packets arrived meanwhile (poll again).
 */
void enl_vmbus_set_raw_callback(struct enl_vmbus_channel *ch, bool raw);
void enl_vmbus_rx_mask(struct enl_vmbus_channel *ch);
bool enl_vmbus_rx_unmask(struct enl_vmbus_channel *ch);

/* Stop the channel for good (bad data from the host); logs once. */
void enl_vmbus_chan_fail(struct enl_vmbus_channel *ch, const char *why);

/*
 * GPADL over a buffer (page aligned, lowmem or vmalloc) of `size` bytes;
 * waits for GPADL_CREATED.  Teardown waits for GPADL_TORNDOWN; after an
 * error or timeout the host may still own the pages: -ETIMEDOUT means
 * "do not free the buffer".
 */
int enl_vmbus_gpadl_create(struct enl_vmbus_channel *ch, void *buf, u32 size,
			   u32 *handle);
int enl_vmbus_gpadl_destroy(struct enl_vmbus_channel *ch, u32 handle);

/* Target CPU: before open, or MODIFYCHANNEL while open (waits on 5.3). */
int enl_vmbus_set_target_cpu(struct enl_vmbus_channel *ch, unsigned int cpu);
unsigned int enl_vmbus_target_cpu(struct enl_vmbus_channel *ch);

/*
 * Subchannels: offers with the class and instance GUIDs of a primary and
 * sub_channel_index > 0 (1..N).  They are never devices: cb(primary, sc)
 * runs (in enl_vmbus's ordered work, may sleep, may open sc) for each one
 * offered after enl_vmbus_set_subchannel_cb(); the driver opens them like
 * any channel.  enl_vmbus_close(primary) closes its open subchannels
 * first.  A rescinded subchannel fails sends and waits with -ENODEV;
 * its driver closes it (enl_vmbus_chan_rescinded() says so), which gives
 * the relid back to the host; the struct stays valid until the device's
 * remove has returned.
 */
typedef void (*enl_vmbus_subchannel_cb)(struct enl_vmbus_channel *primary,
					struct enl_vmbus_channel *sc);
void enl_vmbus_set_subchannel_cb(struct enl_vmbus_channel *primary,
				 enl_vmbus_subchannel_cb cb);
u16 enl_vmbus_subchannel_index(struct enl_vmbus_channel *ch);
struct enl_vmbus_device *enl_vmbus_chan_device(struct enl_vmbus_channel *ch);
u32 enl_vmbus_chan_relid(struct enl_vmbus_channel *ch);
bool enl_vmbus_chan_rescinded(struct enl_vmbus_channel *ch);
/* The offer's 120 bytes of user data (e.g. the pipe mode of the offer). */
const u8 *enl_vmbus_offer_user_data(struct enl_vmbus_channel *ch);

/* Negotiated VMBus version (major << 16 | minor). */
u32 enl_vmbus_version(void);

#endif
