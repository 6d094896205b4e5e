// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvsp: the client end of the transport.  Messages and their
 * descriptors, connect and HELLO are hostside-vsp/common's (the same code
 * as enl-host's end and enlctl's: shape checks only, the dispatcher checks
 * the contents); here are libvsp's names for them.
 */
#include <errno.h>
#include <poll.h>

#include "vsp_internal.h"

int vsp_send_msg(struct vsp *v, const void *msg, u32 len)
{
	return vspc_send(v->fd, msg, len, NULL, 0, 0);
}

int vsp_recv_msg_flags(int fd, void *buf, u32 buf_len, int *fds, int *nfds,
		       int flags)
{
	int n;

	do
		n = vspc_recv(fd, buf, buf_len, fds, nfds, flags);
	while (n == -EINTR);
	return n;
}

int vsp_recv_msg(int fd, void *buf, u32 buf_len, int *fds, int *nfds)
{
	return vsp_recv_msg_flags(fd, buf, buf_len, fds, nfds, 0);
}

int vsp_wait_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}
