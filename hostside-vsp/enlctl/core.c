// SPDX-License-Identifier: GPL-2.0-only
/*
 * enlctl's own commands: enl-host's status report, rescind / reoffer of a
 * channel, and `daemon NAME CMD...`, the generic relay to any daemon.
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
#include "enlctl.h"
#include "hostside-vsp/common/vsp_common.h"

static uint32_t parse_relid(const char *s)
{
	char *end;
	unsigned long r;

	errno = 0;
	r = strtoul(s, &end, 0);
	if (errno || *end || end == s || r == 0 || r > VMBUS_MAX_RELID)
		enlctl_usage_error("bad RELID", s);
	return (uint32_t)r;
}

/* One VSP_CTL_* request to enl-host; prints its answer. */
static int ctl(const struct enlctl *e, const char *what, uint32_t type,
	       uint32_t flags, uint32_t relid)
{
	uint32_t status = 0;
	char *text = NULL;
	int err = vspc_ctl_request(e->sock, type, flags, relid, &status, &text);

	if (err)
		return enlctl_conn_error(e, err);
	if (status) {
		/* Errors are one line; a partial report is not printed. */
		fprintf(stderr, "enlctl: %s: %s%s", what, strerror((int)status),
			text[0] ? ": " : "");
		enlctl_put_clean(text, stderr);
		if (!text[0] || text[strlen(text) - 1] != '\n')
			fputc('\n', stderr);
		free(text);
		return 1;
	}
	enlctl_put_clean(text, stdout);
	if (text[0] && text[strlen(text) - 1] != '\n')
		putchar('\n');
	free(text);
	return 0;
}

static int run_status(const struct enlctl *e, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t flags = 0;
	int c;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c != 'j')
			enlctl_usage_error("unknown option", argv[optind - 1]);
		flags |= VSP_CTL_FLAG_JSON;
	}
	if (optind < argc)
		enlctl_usage_error("unexpected argument", argv[optind]);
	return ctl(e, "status", VSP_CTL_STATUS, flags, 0);
}

static int run_relid(const struct enlctl *e, int argc, char **argv)
{
	bool rescind = !strcmp(argv[0], "rescind");

	if (argc < 2)
		enlctl_usage_error("RELID missing", argv[0]);
	if (argc > 2)
		enlctl_usage_error("unexpected argument", argv[2]);
	return ctl(e, argv[0], rescind ? VSP_CTL_RESCIND : VSP_CTL_REOFFER, 0,
		   parse_relid(argv[1]));
}

static int run_daemon(const struct enlctl *e, int argc, char **argv)
{
	if (argc < 3)
		enlctl_usage_error("usage: daemon NAME CMD [ARGS...]", NULL);
	if (strlen(argv[1]) >= VSP_NAME_LEN)
		enlctl_usage_error("daemon name too long", argv[1]);
	return enlctl_daemon_words(e, argv[1], 0, argv[2], argc - 2,
				   (const char *const *)argv + 2);
}

static const struct enlctl_cmd core_cmds[] = {
	{ "status", "[--json]",
	  "VM, VMBus and channel state, daemon status", run_status },
	{ "rescind", "RELID", "withdraw the offer of channel RELID", run_relid },
	{ "reoffer", "RELID", "offer a rescinded channel again", run_relid },
	{ "daemon", "NAME CMD [ARGS...]",
	  "send a command to the daemon named NAME (its HELLO name)",
	  run_daemon },
};

ENLCTL_GROUP(core, core_cmds);
