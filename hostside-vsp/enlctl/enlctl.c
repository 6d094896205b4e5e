// SPDX-License-Identifier: GPL-2.0-only
/*
 * enlctl: the operator's tool.  Talks to a running enl-host over its VSP
 * socket as a control client (docs/vsp-socket.md "Control clients").
 *
 *   enlctl --vm SOCKET status [--json]
 *   enlctl --vm SOCKET rescind RELID
 *   enlctl --vm SOCKET reoffer RELID
 *
 * The status report comes in pages (by relid); enlctl asks until the last
 * one, so a report of any size arrives whole, and the JSON form is one
 * valid object.  What it prints is kept to printable text, tabs and
 * newlines: a daemon's strings are escaped by enl-host, and anything else
 * that slipped through becomes '?', never a terminal control sequence.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <enl/vmbus_msg.h>
#include "hostside-vsp/common/vsp_common.h"

#define REPLY_TIMEOUT_MS 10000

static void usage(FILE *f)
{
	fprintf(f,
		"usage: enlctl --vm SOCKET COMMAND\n"
		"Ask a running enl-host about its VM.\n"
		"commands:\n"
		"  status [--json]   VM, VMBus and channel state, daemon status\n"
		"  rescind RELID     withdraw the offer of channel RELID\n"
		"  reoffer RELID     offer a rescinded channel again\n"
		"options:\n"
		"  --vm SOCKET       enl-host's VSP socket\n"
		"  -h, --help        this text\n");
}

static void bad_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "enlctl: %s%s%s (try --help)\n", msg,
		arg ? ": " : "", arg ? arg : "");
	exit(2);
}

static uint32_t parse_relid(const char *s)
{
	char *end;
	unsigned long r;

	errno = 0;
	r = strtoul(s, &end, 0);
	if (errno || *end || end == s || r == 0 || r > VMBUS_MAX_RELID)
		bad_usage("bad RELID", s);
	return (uint32_t)r;
}

static int connect_ctl(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vsp_hello h;
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
	memset(&h, 0, sizeof(h));
	h.hdr.type = VSP_HELLO;
	h.hdr.len = sizeof(h);
	h.version = VSP_PROTO_VERSION;
	h.role = VSP_ROLE_CONTROL;
	snprintf(h.name, sizeof(h.name), "enlctl");
	err = vspc_send(fd, &h, sizeof(h), NULL, 0, 0);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* One request; the reply's status, next and text appended to *out. */
static int request(int fd, uint8_t *buf, uint32_t type, uint32_t flags,
		   uint32_t relid, uint32_t *status, uint32_t *next,
		   char **out, size_t *out_len)
{
	struct vsp_ctl req;
	const struct vsp_ctl_reply *r = (const void *)buf;
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

		n = poll(&p, 1, REPLY_TIMEOUT_MS);
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

/* Ask, page after page for a status report; 0 or a negative errno. */
static int ctl(const char *path, uint32_t type, uint32_t flags,
	       uint32_t relid, uint32_t *status, char **text)
{
	uint8_t *buf = malloc(VSP_MSG_MAX);
	uint32_t next = 0, pages = 0;
	size_t len = 0;
	int fd, err;

	*text = NULL;
	if (!buf)
		return -ENOMEM;
	fd = connect_ctl(path);
	if (fd < 0) {
		free(buf);
		return fd;
	}
	do {
		if (type == VSP_CTL_STATUS)
			relid = next;
		err = request(fd, buf, type, flags, relid, status, &next,
			      text, &len);
		/* A server that pages wrongly cannot keep us here. */
		if (!err && next && (type != VSP_CTL_STATUS || next <= relid ||
				     ++pages > VMBUS_MAX_RELID))
			err = -EPROTO;
	} while (!err && !*status && next);
	close(fd);
	free(buf);
	if (!err && !*text)
		err = -EPROTO;
	return err;
}

/* Printable ASCII, tabs and newlines; everything else as '?'. */
static void put_clean(const char *s, FILE *f)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		fputc((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t' ? c : '?',
		      f);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vm", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL, *cmd;
	uint32_t type, flags = 0, relid = 0, status = 0;
	bool json = false;
	char *text = NULL;
	int c, err;

	opterr = 0;
	/* options may follow the command too: "status --json" */
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			sock = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			bad_usage("option needs an argument", argv[optind - 1]);
			break;
		default:
			bad_usage("unknown option", argv[optind - 1]);
		}
	}
	if (!sock)
		bad_usage("--vm SOCKET is required", NULL);
	if (optind >= argc)
		bad_usage("no command", NULL);
	cmd = argv[optind++];
	if (!strcmp(cmd, "status")) {
		type = VSP_CTL_STATUS;
		if (json)
			flags |= VSP_CTL_FLAG_JSON;
	} else if (!strcmp(cmd, "rescind") || !strcmp(cmd, "reoffer")) {
		type = !strcmp(cmd, "rescind") ? VSP_CTL_RESCIND : VSP_CTL_REOFFER;
		if (optind >= argc)
			bad_usage("RELID missing", cmd);
		relid = parse_relid(argv[optind++]);
		if (json)
			bad_usage("--json only goes with status", NULL);
	} else {
		bad_usage("unknown command", cmd);
	}
	if (optind < argc)
		bad_usage("unexpected argument", argv[optind]);

	err = ctl(sock, type, flags, relid, &status, &text);
	if (err) {
		if (err == -ENOENT || err == -ECONNREFUSED)
			fprintf(stderr, "enlctl: cannot connect to %s (is enl-host running?)\n",
				sock);
		else if (err == -ECONNRESET)
			fprintf(stderr, "enlctl: %s: enl-host closed the connection without answering\n",
				sock);
		else
			fprintf(stderr, "enlctl: %s: %s\n", sock, strerror(-err));
		free(text);
		return 1;
	}
	if (status) {
		/* Errors are one line; a partial report is not printed. */
		fprintf(stderr, "enlctl: %s: %s%s", cmd, strerror((int)status),
			text[0] ? ": " : "");
		put_clean(text, stderr);
		if (!text[0] || text[strlen(text) - 1] != '\n')
			fputc('\n', stderr);
		free(text);
		return 1;
	}
	put_clean(text, stdout);
	if (text[0] && text[strlen(text) - 1] != '\n')
		putchar('\n');
	free(text);
	return 0;
}
