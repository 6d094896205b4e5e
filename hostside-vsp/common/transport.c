// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VSP socket transport, both ends: one SOCK_SEQPACKET message and its
 * SCM_RIGHTS descriptors per call.  The rules are those of
 * docs/vsp-socket.md "Transport"; what to do about a broken message is the
 * caller's choice (enl-host disconnects, libvsp drops it).
 */
#include "vsp_common.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void vspc_close_fds(int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

int vspc_send(int fd, const void *msg, size_t len, const int *fds, int nfds,
	      int flags)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * VSP_MAX_FDS)];
	} u;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds < 0 || nfds > VSP_MAX_FDS)
		return -EINVAL;
	if (nfds > 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		u.h.cmsg_level = SOL_SOCKET;
		u.h.cmsg_type = SCM_RIGHTS;
		u.h.cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(&u.h), fds, sizeof(int) * (size_t)nfds);
	}
	do
		n = sendmsg(fd, &mh, flags | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int vspc_recv(int fd, void *buf, size_t cap, int *fds, int *nfds, int flags)
{
	/* Room for more than allowed, so that extra ones are seen and closed
	 * rather than silently cut off by the kernel. */
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * (VSP_MAX_FDS + 6))];
	} c;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = c.b, .msg_controllen = sizeof(c.b),
	};
	struct cmsghdr *cm;
	struct vsp_hdr hdr;
	bool bad = false;
	ssize_t n;
	int i;

	*nfds = 0;
	for (i = 0; i < VSP_MAX_FDS; i++)
		fds[i] = -1;
	n = recvmsg(fd, &mh, flags | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;

	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t k, cnt;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < cnt; k++) {
			int f;

			memcpy(&f, CMSG_DATA(cm) + k * sizeof(int), sizeof(f));
			if (*nfds < VSP_MAX_FDS) {
				fds[(*nfds)++] = f;
			} else {
				close(f);
				bad = true;
			}
		}
	}
	if (n == 0) {
		vspc_close_fds(fds, *nfds);
		*nfds = 0;
		return 0;
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		bad = true;
	if ((size_t)n < sizeof(hdr)) {
		bad = true;
	} else {
		memcpy(&hdr, buf, sizeof(hdr));
		if (hdr.len != (uint64_t)n)
			bad = true;
	}
	if (bad) {
		vspc_close_fds(fds, *nfds);
		*nfds = 0;
		return -EBADMSG;
	}
	return (int)n;
}
