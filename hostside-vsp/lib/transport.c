// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvsp: the transport.  One SOCK_SEQPACKET message per packet, file
 * descriptors beside it in SCM_RIGHTS.  What arrives is checked here for
 * shape only (length equals the header's, at most VSP_MAX_FDS fds, nothing
 * truncated); the dispatcher checks the contents.
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
	ssize_t n;

	do
		n = send(v->fd, msg, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

void vsp_close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

int vsp_recv_msg_flags(int fd, void *buf, u32 buf_len, int *fds, int *nfds,
		       int flags)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * (VSP_MAX_FDS + 2))];
	} c;
	struct iovec iov = { .iov_base = buf, .iov_len = buf_len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = c.b, .msg_controllen = sizeof(c.b),
	};
	struct cmsghdr *cm;
	struct vsp_hdr hdr;
	bool bad = false;
	ssize_t n;

	*nfds = 0;
	for (int i = 0; i < VSP_MAX_FDS; i++)
		fds[i] = -1;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | flags);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;

	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		int k, *p;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		p = (int *)CMSG_DATA(cm);
		for (int i = 0; i < k; i++) {
			int f;

			memcpy(&f, p + i, sizeof(f));
			if (*nfds < VSP_MAX_FDS) {
				fds[(*nfds)++] = f;
			} else {
				close(f);
				bad = true;
			}
		}
	}
	if (n == 0) {
		vsp_close_fds(fds, *nfds);
		*nfds = 0;
		return 0;
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		bad = true;
	if ((size_t)n < sizeof(hdr)) {
		bad = true;
	} else {
		memcpy(&hdr, buf, sizeof(hdr));
		if (hdr.len != (u32)n)
			bad = true;
	}
	if (bad) {
		vsp_close_fds(fds, *nfds);
		*nfds = 0;
		return -EBADMSG;
	}
	return (int)n;
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
	ssize_t n;

	memset(&h, 0, sizeof(h));
	h.hdr.type = VSP_HELLO;
	h.hdr.len = sizeof(h);
	h.version = VSP_PROTO_VERSION;
	h.role = role;
	snprintf(h.name, sizeof(h.name), "%s", name ? name : "");
	n = send(fd, &h, sizeof(h), MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	return n == sizeof(h) ? 0 : -EIO;
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
