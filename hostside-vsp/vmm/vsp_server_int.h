/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Inside the VSP server: the state its three files share.  Everything here
 * runs on enl-host's main thread with vm->bus_lock held.
 */
#ifndef ENL_VMM_VSP_SERVER_INT_H
#define ENL_VMM_VSP_SERVER_INT_H

#include "vsp_server.h"
#include "vm.h"

#include <enl/vsp_proto.h>
#include "hostside-vsp/common/vsp_common.h"

#include <stddef.h>
#include <sys/un.h>

#define VSP_MAX_CLIENTS		(VSP_SERVER_POLLFDS - 2)
/* STATUS_SET keys kept per channel: one daemon cannot crowd out another. */
#define VSP_STATUS_PER_CHANNEL	16
#define VSP_LOG_BUDGET		200	/* guest-caused log lines, then quiet */
/*
 * A guest waits for GPADL_TORNDOWN and UNLOAD_RESPONSE without a timeout,
 * and those wait for the daemon to let go; a close waits for CLOSE_DONE.
 * A daemon that does not answer within this long is cut off, so a hung
 * daemon cannot hang the guest.
 */
#define VSP_RELEASE_TIMEOUT_MS	10000
/*
 * Messages a daemon has not read yet wait in its send queue (a GPADL of
 * 1 GiB is 2 MiB of page numbers; a restarted daemon gets every GPADL of
 * its channels at once).  A daemon that lets this much pile up is hung.
 */
#define VSP_CLIENT_QUEUE_MAX	(64u << 20)
/* A connection that has not said HELLO by then is dropped: silent
 * connections must not hold the client slots. */
#define VSP_HELLO_TIMEOUT_MS	5000
/* enlctl commands relayed to daemons and not answered yet, all clients
 * together: a flood of them cannot grow enl-host without bound. */
#define VSP_RELAY_MAX		64

/* One message waiting in a client's send queue, with its own fd copies. */
struct vsp_qmsg {
	struct vsp_qmsg *next;
	size_t len;
	int nfds;
	int fds[VSP_MAX_FDS];
	uint8_t data[];
};

struct vsp_client {
	int fd;
	uint32_t role;		/* 0 until HELLO */
	uint64_t since;		/* ms: accepted */
	bool dead;		/* dropped at the end of this round */
	char name[VSP_NAME_LEN];
	struct vsp_qmsg *q_head, *q_tail;
	size_t q_bytes;
	int wake_fd;		/* the server's: a vCPU thread queued something */
	pid_t pid;		/* the peer (SO_PEERCRED), 0 if unknown or us */
};

void vsp_client_kill(struct vsp_client *c);

/*
 * A CTL_DAEMON on its way: sent to daemon as DAEMON_CMD req_id, answered
 * to ctl by the DAEMON_REPLY of the same daemon and req_id, or by
 * ETIMEDOUT at deadline, or EPIPE when the daemon leaves first.  A slot
 * is free when ctl is NULL.
 */
struct vsp_relay {
	struct vsp_client *ctl;
	struct vsp_client *daemon;
	uint32_t req_id;
	uint32_t timeout_ms;
	uint64_t deadline;	/* ms */
};

struct status_kv {
	bool used;
	char key[VSP_KEY_LEN];
	char value[VSP_VALUE_LEN];
	uint64_t time_ms;
};

/* Host-side resources of one channel slot (same index as bus.chan[]). */
struct chan_host {
	int kick_fd;		/* registered on the connection id while offered */
	int call_fd;		/* irqfd to the target VP's SINT 2, while open */
	uint32_t call_vp;
	uint32_t cookie;	/* the owner's name for the offer */
	int inflight_fd;	/* in-flight region, -1 until INFLIGHT_GET */
	uint64_t inflight_size;
	/* CHANNEL_CLOSEs sent to the owner without CLOSE_DONE back yet: an
	 * OPEN_REPLY that comes meanwhile answers an older open. */
	unsigned int closes_pending;
	/* The guest opened again before the daemon's CLOSE_DONE: CHANNEL_OPEN
	 * waits for it, so the daemon never sees the new open while it may
	 * still touch the old one (and the in-flight region is cleared in
	 * between). */
	bool open_deferred;
	uint64_t open_since;	/* ms: CHANNEL_OPEN sent, reply due; 0: none */
	uint64_t close_since;	/* ms: first pending CHANNEL_CLOSE; 0: none */
	struct status_kv kv[VSP_STATUS_PER_CHANNEL];
};

/* A growing text buffer; on allocation failure it stops growing and
 * says so in oom. */
struct outbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

struct vsp_server {
	struct vm *vm;
	const struct vsp_host_ops *host;
	int listen_fd;
	int wake_fd;		/* eventfd: wakes the main loop's poll() */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct vsp_client *clients[VSP_MAX_CLIENTS];
	struct chan_host *ch;			/* [VMBUS_MAX_CHANNELS] */
	uint64_t teardown_since[VMBUS_MAX_GPADLS];	/* ms, 0: none */
	unsigned int log_budget;
	uint8_t tx[VSP_MSG_MAX];		/* one message out */
	uint8_t rx[VSP_MSG_MAX];		/* one message in */
	struct outbuf text;			/* status report */
	struct vsp_relay relay[VSP_RELAY_MAX];	/* enlctl -> daemon */
	uint32_t next_req_id;
};

/* vsp_server.c */
void vsp_hdr_init(void *msg, uint32_t type, size_t len);
/* Send or queue; a client that cannot take it is marked dead. */
void vsp_client_send(struct vsp_client *c, const void *msg, size_t len,
		     const int *fds, int nfds);
uint64_t vsp_now(struct vsp_server *v);

/* vsp_bus.c: the daemons' messages and the channel resources */
struct chan_host *vsp_host_of(struct vsp_server *v,
			      const struct vmbus_channel *ch);
void vsp_on_offer(struct vsp_server *v, struct vsp_client *c, const void *m);
void vsp_on_withdraw(struct vsp_server *v, struct vsp_client *c, const void *m);
void vsp_on_close_done(struct vsp_server *v, struct vsp_client *c,
		       const void *m);
void vsp_on_gpadl_released(struct vsp_server *v, struct vsp_client *c,
			   const void *m);
void vsp_on_status_set(struct vsp_server *v, struct vsp_client *c,
		       const void *m);
void vsp_on_open_reply(struct vsp_server *v, struct vsp_client *c,
		       const void *m);
void vsp_on_inflight_get(struct vsp_server *v, struct vsp_client *c,
			 const void *m);
/* A daemon leaves: its channels lose their owner. */
void vsp_bus_client_gone(struct vsp_server *v, struct vsp_client *c);
/* Deadlines: opens not answered, closes and GPADLs not released. */
void vsp_bus_check_deadlines(struct vsp_server *v);
void vsp_bus_fini(struct vsp_server *v);

/* vsp_status.c: enlctl */
void vsp_on_ctl_status(struct vsp_server *v, struct vsp_client *c,
		       const void *m);
void vsp_on_ctl_rescind(struct vsp_server *v, struct vsp_client *c,
			const void *m);
void vsp_on_ctl_reoffer(struct vsp_server *v, struct vsp_client *c,
			const void *m);

#endif
