// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvsp: the client end of the transport.  Messages and their
 * descriptors go through hostside-vsp/common (the same code as enl-host's
 * end: shape checks only, the dispatcher checks the contents); here is
 * what only a client does: connect, say HELLO, wait for an answer.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

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

int vsp_send_hello(int fd, u32 role, const char *name)
{
	struct vsp_hello h;

	memset(&h, 0, sizeof(h));
	h.hdr.type = VSP_HELLO;
	h.hdr.len = sizeof(h);
	h.version = VSP_PROTO_VERSION;
	h.role = role;
	snprintf(h.name, sizeof(h.name), "%s", name ? name : "");
	return vspc_send(fd, &h, sizeof(h), NULL, 0, 0);
}

int vsp_unix_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}
