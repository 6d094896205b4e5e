// SPDX-License-Identifier: GPL-2.0-only
/*
 * Connecting to enl-host, saying HELLO, and the control client's request
 * (docs/vsp-socket.md "Control clients"), shared by enlctl and libvsp.
 * A status report comes in pages by relid; vspc_ctl_request() asks for
 * them all and returns the report whole.
 */
#include "vsp_common.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_TIMEOUT_MS	10000

int vspc_unix_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int vspc_send_hello(int fd, uint32_t role, const char *name)
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

/* One request; the reply's status and next, its text appended to *out. */
static int ctl_once(int fd, uint8_t *buf, uint32_t type, uint32_t flags,
		    uint32_t relid, uint32_t *status, uint32_t *next,
		    char **out, size_t *out_len)
{
	const struct vsp_ctl_reply *r = (const void *)buf;
	struct vsp_ctl req;
	int err, fds[VSP_MAX_FDS], nfds, n;

	memset(&req, 0, sizeof(req));
	req.hdr.type = type;
	req.hdr.len = sizeof(req);
	req.flags = flags;
	req.relid = relid;
	err = vspc_send(fd, &req, sizeof(req), NULL, 0, 0);
	if (err)
		return err;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		size_t tlen;
		char *grown;

		n = poll(&p, 1, CTL_TIMEOUT_MS);
		if (n == 0)
			return -ETIMEDOUT;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		n = vspc_recv(fd, buf, VSP_MSG_MAX, fds, &nfds, 0);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0)
			return n == -EBADMSG ? -EPROTO : n;
		vspc_close_fds(fds, nfds);
		if (r->hdr.type != VSP_CTL_REPLY)
			continue;	/* the WELCOME: not for us */
		if ((size_t)n <= sizeof(*r))
			return -EPROTO;
		tlen = strnlen(r->text, (size_t)n - sizeof(*r));
		grown = realloc(*out, *out_len + tlen + 1);
		if (!grown)
			return -ENOMEM;
		memcpy(grown + *out_len, r->text, tlen);
		*out_len += tlen;
		grown[*out_len] = 0;
		*out = grown;
		*status = r->status;
		*next = r->next;
		return 0;
	}
}

int vspc_ctl_request(const char *path, uint32_t type, uint32_t flags,
		     uint32_t relid, uint32_t *status, char **text)
{
	uint8_t *buf = malloc(VSP_MSG_MAX);
	uint32_t next = 0, pages = 0;
	size_t len = 0;
	int fd, err;

	*text = NULL;
	*status = 0;
	if (!buf)
		return -ENOMEM;
	fd = vspc_unix_connect(path);
	if (fd < 0) {
		free(buf);
		return fd;
	}
	err = vspc_send_hello(fd, VSP_ROLE_CONTROL, "enlctl");
	while (!err) {
		if (type == VSP_CTL_STATUS)
			relid = next;
		err = ctl_once(fd, buf, type, flags, relid, status, &next,
			       text, &len);
		if (err || *status || !next)
			break;
		/* Pages go up by relid: a server that pages wrongly cannot
		 * keep us here. */
		if (type != VSP_CTL_STATUS || next <= relid ||
		    ++pages > VSP_MAX_PAGES)
			err = -EPROTO;
	}
	close(fd);
	free(buf);
	if (err) {
		free(*text);
		*text = NULL;
	} else if (!*text) {
		err = -EPROTO;
	}
	return err;
}
