/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * enl_ic: integration services over VMBus.  ic_main.c owns the channel,
 * the framing and the version negotiation (include/enl/ic.c); each
 * service (heartbeat, later shutdown, timesync, KVP, VSS) is one file
 * that fills a struct enl_ic_service and is listed in ic_main.c.
 */
#ifndef ENL_IC_H
#define ENL_IC_H

#include <linux/types.h>
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
	 * Return 0 to send buf back as the answer, <0 to drop it.
	 * Called in the channel's tasklet.
	 */
	int (*handle)(struct enl_ic_dev *ic, void *buf, u32 len,
		      const struct enl_icmsg_hdr *hdr);
	int (*init)(struct enl_ic_dev *ic);	/* optional, at probe */
	void (*exit)(struct enl_ic_dev *ic);	/* optional, at remove */
};

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
};

extern const struct enl_ic_service enl_ic_heartbeat;
extern const struct enl_ic_service enl_ic_shutdown;
extern const struct enl_ic_service enl_ic_timesync;

#endif
