/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * enl_ic: integration services over VMBus.  ic_main.c owns the channel,
 * the framing and the version negotiation (include/enl/ic.c); each
 * service (heartbeat, shutdown, timesync, KVP, file copy, VSS) is one file
 * that fills a struct enl_ic_service and is listed in ic_main.c.
 */
#ifndef ENL_IC_H
#define ENL_IC_H

#include <linux/types.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <enl/guid.h>
#include <enl/ic_msg.h>
#include "enl_vmbus.h"

struct enl_ic_dev;

struct enl_ic_service {
	const char *name;
	enl_guid_t class_id;
	u16 msgtype;				/* enum enl_ic_msgtype */
	const struct enl_ic_version *versions;	/* message versions, best first */
	unsigned int nversions;
	/*
	 * Answer a request in place: buf holds len payload bytes (pipe
	 * header, IC header, body), hdr is a checked copy of the IC header.
	 * Return 0 to send buf back as the answer, <0 to drop it, or
	 * ENL_IC_DEFER: the service keeps what it needs (trans_id: the
	 * packet's), answers later with enl_ic_answer() and lets the
	 * framework read the next packet with enl_ic_resume() (the host
	 * sends one request at a time to such a service).  Softirq context
	 * (the channel's tasklet, or the resume work with bottom halves
	 * off): no sleeping.
	 */
	int (*handle)(struct enl_ic_dev *ic, void *buf, u32 len,
		      const struct enl_icmsg_hdr *hdr, u64 trans_id);
	/*
	 * Optional: may the NEGOTIATE be answered now?  false keeps it (and
	 * every packet after it) until the service calls enl_ic_resume(),
	 * as the stock KVP driver waits for its daemon.  Softirq context.
	 */
	bool (*can_negotiate)(struct enl_ic_dev *ic);
	int (*init)(struct enl_ic_dev *ic);	/* optional, at probe */
	void (*exit)(struct enl_ic_dev *ic);	/* optional, at remove */
};

#define ENL_IC_DEFER	1

struct enl_ic_dev {
	struct enl_vmbus_device *vdev;
	struct enl_vmbus_channel *ch;
	const struct enl_ic_service *svc;
	u8 *buf;
	u32 buf_len;
	struct enl_ic_version fw, msgver;	/* negotiated */
	bool negotiated;
	u64 requests;
	void *priv;				/* the service's */
	/* rx_lock: the packet reader (tasklet or resume work), buf, and: */
	spinlock_t rx_lock;
	bool open;		/* the channel is open: the resume work may read */
	bool paused;		/* a request or a NEGOTIATE waits: read no more */
	u32 held_len;		/* a NEGOTIATE kept in buf (0: none) */
	struct work_struct resume_work;
};

/* Send a deferred answer (len payload bytes) for trans_id.  Any context. */
int enl_ic_answer(struct enl_ic_dev *ic, const void *buf, u32 len, u64 trans_id);
/* The deferred request is answered (or the service can now negotiate):
 * read on.  Any context.
 */
void enl_ic_resume(struct enl_ic_dev *ic);

extern const struct enl_ic_service enl_ic_heartbeat;
extern const struct enl_ic_service enl_ic_shutdown;
extern const struct enl_ic_service enl_ic_timesync;
extern const struct enl_ic_service enl_ic_kvp;
extern const struct enl_ic_service enl_ic_fcopy;
extern const struct enl_ic_service enl_ic_vss;

#endif
