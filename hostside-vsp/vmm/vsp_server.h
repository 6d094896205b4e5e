/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VSP socket in enl-host: VSP daemons register channels and get guest
 * RAM, GPADLs and eventfds; enlctl asks for status.  See docs/vsp-socket.md.
 *
 * Three files: vsp_server.c (socket, clients, send queues, message table),
 * vsp_bus.c (the VMBus server's ops and the daemons' channel messages),
 * vsp_status.c (enlctl's requests and the status report).
 */
#ifndef ENL_VMM_VSP_SERVER_H
#define ENL_VMM_VSP_SERVER_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

struct vm;
struct vsp_server;

/* The VMBus server's ops, with the struct vm as their context. */
extern const struct vmbus_server_ops vsp_bus_ops;

/*
 * What the VSP server needs from KVM, behind one seam so that the unit
 * tests run the real server without /dev/kvm.  ctx is the struct vm.
 * Both setters return 0 or a negative errno.
 */
struct vsp_host_ops {
	/* KVM_HYPERV_EVENTFD: fd is signalled when the guest signals
	 * conn_id (assign), or no longer (!assign). */
	int (*kick_set)(void *ctx, uint32_t conn_id, int fd, bool assign);
	/* KVM_IRQFD: writing fd raises SINT 2 of VP vp (assign), or no
	 * longer (!assign). */
	int (*call_set)(void *ctx, uint32_t vp, int fd, bool assign);
	/* CLOCK_MONOTONIC in ms: deadlines (open, close, GPADL release). */
	uint64_t (*now_ms)(void *ctx);
};

/* KVM's: what enl-host uses. */
extern const struct vsp_host_ops vsp_kvm_host_ops;

/*
 * path: the socket to listen on (NULL: none; clients come through
 * vsp_server_adopt()).  host: NULL for vsp_kvm_host_ops.
 */
struct vsp_server *vsp_server_create(struct vm *vm, const char *path,
				     const struct vsp_host_ops *host);
void vsp_server_destroy(struct vsp_server *v);
/* Take a connected SOCK_SEQPACKET socket as a new client (tests). */
int vsp_server_adopt(struct vsp_server *v, int fd);
/* pollfds vsp_server_pollfds() fills at most: the listening socket, the
 * clients and a wake-up eventfd. */
#define VSP_SERVER_POLLFDS	(1 + 64 + 1)
/* Fill pollfds for the listening socket and the clients; returns count. */
int vsp_server_pollfds(struct vsp_server *v, struct pollfd *p, int max);
/* Handle what poll() reported on the pollfds filled above (n 0: only the
 * deadlines), under vm->bus_lock. */
void vsp_server_handle(struct vsp_server *v, const struct pollfd *p, int n);
/* Under bus_lock: VP vp moved its event-flag page. */
void vsp_server_sief_changed(struct vsp_server *v, uint32_t vp);

#endif
