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

/* Wait up to timeout_ms for the CTL_REPLY; its status and next, its text
 * appended to *out. */
static int ctl_wait_reply(int fd, uint8_t *buf, int timeout_ms,
			  uint32_t *status, uint32_t *next, char **out,
			  size_t *out_len)
{
	const struct vsp_ctl_reply *r = (const void *)buf;
	uint64_t deadline = vspc_now_ms() + (uint64_t)timeout_ms;
	int fds[VSP_MAX_FDS], nfds, n;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = vspc_now_ms();
		size_t tlen;
		char *grown;

		if (now >= deadline)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)(deadline - now));
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

/* One request; the reply's status and next, its text appended to *out. */
static int ctl_once(int fd, uint8_t *buf, uint32_t type, uint32_t flags,
		    uint32_t relid, uint32_t *status, uint32_t *next,
		    char **out, size_t *out_len)
{
	struct vsp_ctl req;
	int err;

	memset(&req, 0, sizeof(req));
	req.hdr.type = type;
	req.hdr.len = sizeof(req);
	req.flags = flags;
	req.relid = relid;
	err = vspc_send(fd, &req, sizeof(req), NULL, 0, 0);
	if (err)
		return err;
	return ctl_wait_reply(fd, buf, CTL_TIMEOUT_MS, status, next, out,
			      out_len);
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

int vspc_ctl_daemon(const char *path, const char *daemon, uint32_t timeout_ms,
		    const char *cmd, uint32_t *status, char **text)
{
	struct vsp_ctl_daemon *req;
	uint8_t *buf;
	uint32_t next;
	size_t len = 0;
	int fd, err;

	*text = NULL;
	*status = 0;
	if (!daemon[0] || strlen(daemon) >= VSP_NAME_LEN ||
	    strlen(cmd) >= VSP_CMD_LEN || timeout_ms > VSP_DAEMON_TIMEOUT_MAX_MS)
		return -EINVAL;
	if (!timeout_ms)
		timeout_ms = VSP_DAEMON_TIMEOUT_MS;
	req = calloc(1, sizeof(*req));
	buf = malloc(VSP_MSG_MAX);
	if (!req || !buf) {
		free(req);
		free(buf);
		return -ENOMEM;
	}
	req->hdr.type = VSP_CTL_DAEMON;
	req->hdr.len = sizeof(*req);
	req->timeout_ms = timeout_ms;
	memcpy(req->daemon, daemon, strlen(daemon));
	memcpy(req->cmd, cmd, strlen(cmd));
	fd = vspc_unix_connect(path);
	err = fd < 0 ? fd : vspc_send_hello(fd, VSP_ROLE_CONTROL, "enlctl");
	if (!err)
		err = vspc_send(fd, req, sizeof(*req), NULL, 0, 0);
	/* enl-host answers ETIMEDOUT itself at timeout_ms; the margin is for
	 * an enl-host that does not answer at all. */
	if (!err)
		err = ctl_wait_reply(fd, buf, (int)timeout_ms + CTL_TIMEOUT_MS,
				     status, &next, text, &len);
	if (fd >= 0)
		close(fd);
	free(req);
	free(buf);
	if (err) {
		free(*text);
		*text = NULL;
	}
	return err;
}

static bool cmd_plain(unsigned char c)
{
	return c > 0x20 && c != 0x7f && c != '%';
}

int vspc_cmd_encode(char *line, size_t cap, const char *word)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strnlen(line, cap), need = len && *word ? 1 : 0;
	const unsigned char *w = (const unsigned char *)word;
	char *o;

	if (len == cap || !*word)
		return -EINVAL;
	for (; *w; w++)
		need += cmd_plain(*w) ? 1 : 3;
	if (need >= cap - len)
		return -ENOSPC;
	o = line + len;
	if (len)
		*o++ = ' ';
	for (w = (const unsigned char *)word; *w; w++) {
		if (cmd_plain(*w)) {
			*o++ = (char)*w;
		} else {
			*o++ = '%';
			*o++ = hex[*w >> 4];
			*o++ = hex[*w & 15];
		}
	}
	*o = 0;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int vspc_cmd_split(char *line, char **words, int max)
{
	int n = 0;
	char *r = line;

	while (*r) {
		char *w = r, *o = r;

		if (*r == ' ' || n == max)
			return -EINVAL;	/* empty word, or too many */
		while (*r && *r != ' ') {
			if (*r == '%') {
				int hi = hexval(r[1]), lo = hi < 0 ? -1 : hexval(r[2]);

				if (lo < 0 || (hi == 0 && lo == 0))
					return -EINVAL;
				*o++ = (char)(hi << 4 | lo);
				r += 3;
			} else {
				*o++ = *r++;
			}
		}
		if (*r == ' ') {
			r++;
			if (!*r)
				return -EINVAL;	/* trailing space */
		}
		*o = 0;
		words[n++] = w;
	}
	return n;
}
