/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A simulated guest and host around the VMBus server, shared by the unit
 * tests and the fuzzer: records what the server sends and which channel
 * events it raises.
 */
#ifndef ENL_TESTS_VMBUS_SIM_H
#define ENL_TESTS_VMBUS_SIM_H

#include "hostside-vsp/vmm/vmbus_server.h"

#include <enl/hv_tlfs.h>
#include <string.h>

#define SIM_RAM_PAGES	4096
#define SIM_NCPUS	2
#define SIM_MAX_OUT	1024

struct sim_msg {
	uint32_t vp, sint, len;
	uint8_t data[HV_MESSAGE_PAYLOAD_MAX];
};

struct sim {
	struct vmbus_server s;
	struct sim_msg out[SIM_MAX_OUT];
	unsigned int nout;
	unsigned int opened, closed, created, teardowns, targets, rescinds;
	unsigned int unloaded, connected, released;
	bool daemon_waits;	/* gpadl_teardown asks to wait */
	bool open_defer;	/* chan_open: the daemon answers later */
	uint32_t open_status;	/* chan_open: fail at once with this */
	bool close_waits;	/* chan_close: CLOSE_DONE comes later */
};

static inline int sim_post(void *ctx, uint32_t vp, uint32_t sint,
			   const void *msg, uint32_t len)
{
	struct sim *t = ctx;
	struct sim_msg *m;

	if (t->nout == SIM_MAX_OUT || len > HV_MESSAGE_PAYLOAD_MAX)
		return -1;
	m = &t->out[t->nout++];
	m->vp = vp;
	m->sint = sint;
	m->len = len;
	memcpy(m->data, msg, len);
	return 0;
}

static inline bool sim_pfn_ok(void *ctx, uint64_t pfn)
{
	return pfn < SIM_RAM_PAGES;
}

static inline bool sim_vp_ok(void *ctx, uint32_t vp)
{
	return vp < SIM_NCPUS;
}

static inline void sim_created(void *ctx, struct vmbus_channel *ch,
			       const struct vmbus_gpadl *g)
{
	((struct sim *)ctx)->created++;
}

static inline bool sim_teardown(void *ctx, struct vmbus_channel *ch,
				const struct vmbus_gpadl *g)
{
	((struct sim *)ctx)->teardowns++;
	return ((struct sim *)ctx)->daemon_waits;
}

static inline uint32_t sim_open(void *ctx, struct vmbus_channel *ch)
{
	struct sim *t = ctx;

	t->opened++;
	if (t->open_defer || t->open_status)
		return t->open_status;
	/* A daemon that answers at once, from inside the callback. */
	vmbus_server_open_done(&t->s, ch, 0);
	return 0;
}

static inline bool sim_close(void *ctx, struct vmbus_channel *ch)
{
	struct sim *t = ctx;

	t->closed++;
	return t->close_waits;
}

static inline bool sim_target(void *ctx, struct vmbus_channel *ch)
{
	((struct sim *)ctx)->targets++;
	return true;
}

static inline void sim_rescinded(void *ctx, struct vmbus_channel *ch)
{
	((struct sim *)ctx)->rescinds++;
}

/* A withdrawn channel the guest let go of: the caller frees it. */
static inline void sim_released(void *ctx, struct vmbus_channel *ch)
{
	struct sim *t = ctx;

	t->released++;
	if (vmbus_server_remove_offer(&t->s, ch))
		abort();	/* it must be freeable here */
}

static inline void sim_connected(void *ctx, uint32_t v)
{
	((struct sim *)ctx)->connected++;
}

static inline void sim_unloaded(void *ctx)
{
	((struct sim *)ctx)->unloaded++;
}

static const struct vmbus_server_ops sim_ops = {
	.post = sim_post, .pfn_ok = sim_pfn_ok, .vp_ok = sim_vp_ok,
	.gpadl_created = sim_created, .gpadl_teardown = sim_teardown,
	.chan_open = sim_open, .chan_close = sim_close,
	.chan_target = sim_target, .chan_rescinded = sim_rescinded,
	.released = sim_released,
	.connected = sim_connected, .unloaded = sim_unloaded,
};

static inline void sim_init(struct sim *t)
{
	memset(t, 0, sizeof(*t));
	vmbus_server_init(&t->s, &sim_ops, t);
}

/* What a daemon's OFFER does: add, then show the guest if it is there. */
static inline struct vmbus_channel *
sim_offer(struct sim *t, const enl_guid_t *type, const enl_guid_t *instance,
	  uint16_t sub_channel_index)
{
	struct vmbus_channel *ch = vmbus_server_add_offer(&t->s, type, instance,
							  0, 0, sub_channel_index,
							  NULL);

	if (ch)
		vmbus_server_publish(&t->s, ch);
	return ch;
}

#endif
