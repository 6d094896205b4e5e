// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvsp: the control client (enlctl): HELLO as role control, one
 * VSP_CTL_* request, wait for its CTL_REPLY (skipping anything else).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vsp_internal.h"

#define VSP_CTL_TIMEOUT_MS	10000

int vsp_ctl_request(const char *path, u32 type, u32 flags, u32 relid,
		    u32 *status, char **text)
{
	struct vsp_ctl req = {
		.hdr = { type, sizeof(req) }, .flags = flags, .relid = relid,
	};
	u8 *buf = malloc(VSP_MSG_MAX);
	int fd, err, fds[VSP_MAX_FDS], nfds, n;
	struct vsp_hdr h;

	if (!buf)
		return -ENOMEM;
	fd = vsp_unix_connect(path);
	if (fd < 0) {
		free(buf);
		return fd;
	}
	err = vsp_send_hello(fd, VSP_ROLE_CONTROL, "enlctl");
	if (!err) {
		ssize_t s = send(fd, &req, sizeof(req), MSG_NOSIGNAL);

		if (s < 0)
			err = -errno;
		else if (s != sizeof(req))
			err = -EIO;
	}
	while (!err) {
		err = vsp_wait_readable(fd, VSP_CTL_TIMEOUT_MS);
		if (err)
			break;
		n = vsp_recv_msg(fd, buf, VSP_MSG_MAX, fds, &nfds);
		if (n == 0) {
			err = -ECONNRESET;
			break;
		}
		if (n < 0) {
			err = n == -EBADMSG ? -EPROTO : n;
			break;
		}
		vspc_close_fds(fds, nfds);
		memcpy(&h, buf, sizeof(h));
		if (h.type != VSP_CTL_REPLY)
			continue;	/* e.g. a WELCOME: not for us */
		if ((u32)n < sizeof(struct vsp_ctl_reply)) {
			err = -EPROTO;
			break;
		}
		memcpy(status, buf + offsetof(struct vsp_ctl_reply, status),
		       sizeof(*status));
		n -= (int)sizeof(struct vsp_ctl_reply);
		*text = malloc((size_t)n + 1);
		if (!*text) {
			err = -ENOMEM;
			break;
		}
		memcpy(*text, buf + sizeof(struct vsp_ctl_reply), (size_t)n);
		(*text)[n] = 0;
		break;
	}
	close(fd);
	free(buf);
	return err;
}
