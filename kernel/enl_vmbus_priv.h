/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * enl_vmbus internals, shared by the files of the module.
 *
 * hv.c is the only file that includes the kernel's Hyper-V headers (their
 * names overlap with include/enl/hv_tlfs.h); everything else reaches the
 * hypervisor through the enl_hv_*() functions declared here.
 */
#ifndef ENL_VMBUS_PRIV_H
#define ENL_VMBUS_PRIV_H

#include <linux/completion.h>
#include <linux/interrupt.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/ratelimit.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <enl/ring.h>
#include <enl/vmbus_guest.h>
#include "compat.h"
#include "enl_vmbus.h"

/* ---- hv.c: hypercalls and SynIC ---- */
int enl_hv_check_platform(void);
u64 enl_hv_post_message(u32 conn_id, const void *payload, u32 len);
void enl_hv_signal_event(u32 conn_id);
u32 enl_hv_vp_index(unsigned int cpu);
int enl_hv_synic_start(void);	/* handler + cpuhp on every CPU */
void enl_hv_synic_stop(void);
/* conn.c tells hv.c whether a CPU with open channels may go offline */
bool enl_vmbus_cpu_busy(unsigned int cpu);

/* ---- conn.c: messages and connection ---- */
#define ENL_MSG_TIMEOUT		(10 * HZ)

struct enl_msg_waiter {
	struct list_head node;
	u32 type;		/* response type */
	u32 key;		/* relid or GPADL handle, per type */
	bool any_key;
	int error;		/* set when aborted (rescind, unload) */
	u32 len;
	u8 msg[ENL_VMBUS_MSG_MAX];
	struct completion done;
};

extern u32 enl_vmbus_proto_version;
extern struct workqueue_struct *enl_vmbus_wq;
extern bool enl_vmbus_unloading;

int enl_post(const void *msg, u32 len);
void enl_waiter_init(struct enl_msg_waiter *w, u32 type, u32 key);
void enl_waiter_add(struct enl_msg_waiter *w);
void enl_waiter_del(struct enl_msg_waiter *w);
/* post msg and wait for the waiter's answer: 0, -ETIMEDOUT, -ENODEV... */
int enl_post_and_wait(const void *msg, u32 len, struct enl_msg_waiter *w,
		      unsigned long timeout);
void enl_waiters_abort_relid(u32 relid);
void enl_vmbus_on_message(const void *buf, u32 len);	/* hard irq */
void enl_vmbus_on_event(unsigned int relid);		/* hard irq */
int enl_vmbus_connect(void);
void enl_vmbus_disconnect(void);
int enl_vmbus_request_offers(void);

/* ---- channels ---- */
enum enl_chan_state {
	ENL_CHAN_OFFERED,
	ENL_CHAN_OPENING,
	ENL_CHAN_OPEN,
	ENL_CHAN_CLOSING,
};

struct enl_vmbus_channel {
	struct vmbus_offer_channel offer;	/* validated copy */
	u32 relid;
	u32 conn_id;
	u16 subidx;
	struct enl_vmbus_device *device;	/* of the primary */
	struct enl_vmbus_channel *primary;	/* NULL for a primary */
	struct list_head node;			/* enl_channels */
	struct list_head sc_list;		/* primary: its subchannels */
	struct list_head sc_node;
	enl_vmbus_subchannel_cb sc_cb;

	struct mutex lock;			/* open/close/modify */
	enum enl_chan_state state;
	/*
	 * rescinded: set in the interrupt that brings the RESCIND (sends
	 * and waits stop at once).  rescind_seen: set when the ordered work
	 * handles that RESCIND (enl_channels_lock); only from then on is
	 * RELID_RELEASED due, so it goes exactly once even when a failed
	 * open or a close gets there before the work does.
	 */
	bool rescinded;
	bool rescind_seen;
	/*
	 * Subchannel whose relid went back to the host (RELID_RELEASED):
	 * out of the relid map and sysfs, but the struct lives on until its
	 * primary goes, because the driver may still hold it.  Set once,
	 * by whoever gets there first (xchg).
	 */
	bool released;
	bool failed;
	bool raw_cb;			/* the driver handles the rx mask */
	unsigned int target_cpu;
	u32 target_vp;

	void *ring_buf;
	u32 send_bytes, recv_bytes;
	u32 ring_gpadl;
	struct enl_ring out, in;
	spinlock_t out_lock;	/* serialises writers of the outbound ring */
	struct tasklet_struct tasklet;
	enl_vmbus_chan_cb cb;
	void *cb_ctx;
	/*
	 * Transaction ids: the driver's requests (enl_vmbus_request_add) and
	 * the waiting enl_vmbus_send_wait() calls, the latter marked
	 * ENL_XA_XACT.  Its xa_lock (irq-safe) also orders a waiter's
	 * timeout against the completion that fills its buffer.
	 */
	struct xarray reqs;
	u32 next_req;

	u64 interrupts, events_out;
	struct kobject kobj;			/* channels/<relid> */
	bool kobj_added;
	bool kobj_shown;			/* in sysfs; enl_channels_lock */
	struct work_struct rescind_work;
};

extern struct list_head enl_channels;
extern struct mutex enl_channels_lock;
extern struct enl_vmbus_channel __rcu *enl_relid_map[VMBUS_MAX_RELID + 1];

/* marks the send-and-wait entries of enl_vmbus_channel.reqs */
#define ENL_XA_XACT		XA_MARK_1

/* bus.c */
void enl_vmbus_rescind_early(u32 relid);		/* hard irq */
extern struct bus_type enl_vmbus_bus;
void enl_vmbus_handle_offer(const struct vmbus_offer_channel *o);
void enl_vmbus_handle_rescind(u32 relid);
void enl_vmbus_remove_all(void);
int enl_chan_sysfs_add(struct enl_vmbus_channel *ch);
void enl_chan_sysfs_del(struct enl_vmbus_channel *ch);

/* channel.c */
struct enl_vmbus_channel *enl_chan_alloc(const struct vmbus_offer_channel *o);
void enl_chan_free(struct enl_vmbus_channel *ch);
void enl_chan_force_close(struct enl_vmbus_channel *ch);
void enl_chan_abort_xacts(struct enl_vmbus_channel *ch, int error);
void enl_sc_release(struct enl_vmbus_channel *sc);
void enl_chan_tasklet(struct tasklet_struct *t);
int enl_ring_avail(struct enl_vmbus_channel *ch, bool out, u32 *read_avail,
		   u32 *write_avail);

#define enl_ratelimited(fmt, ...) pr_warn_ratelimited(fmt, ##__VA_ARGS__)

#endif
