/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The VSP socket in enl-host: VSP daemons register channels and get guest
 * RAM, GPADLs and eventfds; enlctl asks for status.  See docs/vsp-socket.md.
 */
#ifndef ENL_VMM_VSP_SERVER_H
#define ENL_VMM_VSP_SERVER_H

#include <poll.h>
#include <stdint.h>

struct vm;
struct vsp_server;

/* The VMBus server's ops, with the struct vm as their context. */
extern const struct vmbus_server_ops vsp_bus_ops;

struct vsp_server *vsp_server_create(struct vm *vm, const char *path);
void vsp_server_destroy(struct vsp_server *v);
/* Fill pollfds for the listening socket and the clients; returns count. */
int vsp_server_pollfds(struct vsp_server *v, struct pollfd *p, int max);
/* Handle what poll() reported on the pollfds filled above. */
void vsp_server_handle(struct vsp_server *v, const struct pollfd *p, int n);
/* Under bus_lock: VP vp moved its event-flag page. */
void vsp_server_sief_changed(struct vsp_server *v, uint32_t vp);

#endif
