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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <enl/vmbus_msg.h>
#include "hostside-vsp/common/vsp_common.h"

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

	err = vspc_ctl_request(sock, type, flags, relid, &status, &text);
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
