// SPDX-License-Identifier: GPL-2.0-only
/*
 * enlctl's integration-service commands.  Each becomes one command line
 * for enl-icvsp (HELLO name "icvsp"), relayed by enl-host; enl-icvsp
 * talks to the guest and answers with the result (hostside-vsp/icvsp/
 * README.md lists its words).  Every command has a timeout: enl-host
 * answers ETIMEDOUT if the daemon does not, and the daemon answers
 * ETIMEDOUT itself when the guest does not (a little sooner).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enlctl.h"
#include "hostside-vsp/common/vsp_common.h"

#define IC_DAEMON	"icvsp"
/* Defaults for enl-host's wait; enl-icvsp's own guest timeouts are
 * shorter (README), so its answer comes first. */
#define IC_TIMEOUT_MS		15000
#define IC_COPY_TIMEOUT_MS	300000
/* a backup is three guest round trips of up to 10 s each; with DIR the
 * copy's 120 s besides (enl-icvsp's limits, hostside-vsp/icvsp/vss.c) */
#define IC_BACKUP_TIMEOUT_MS		40000
#define IC_BACKUP_COPY_TIMEOUT_MS	160000
#define STOR_DAEMON			"storvsp"
#define STOR_TIMEOUT_MS			5000
/* "backup DIR" and a LUN PATH pair per disk: enl-storvsp's 64 at most */
#define BACKUP_WORDS			(2 + 2 * 64)

/* The options a command allows; anything else is a usage error. */
struct ic_opts {
	bool reboot, force, overwrite, sync;
	const char *pool;
};

static int parse_opts(int argc, char **argv, const char *allowed,
		      struct ic_opts *o)
{
	static const struct option opts[] = {
		{ "reboot", no_argument, NULL, 'r' },
		{ "force", no_argument, NULL, 'f' },
		{ "overwrite", no_argument, NULL, 'o' },
		{ "pool", required_argument, NULL, 'p' },
		{ "sync", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == ':')
			enlctl_usage_error("option needs an argument",
					   argv[optind - 1]);
		if (c == '?' || !strchr(allowed, c))
			enlctl_usage_error("unknown option for this command",
					   argv[optind - 1]);
		switch (c) {
		case 'r':
			o->reboot = true;
			break;
		case 'f':
			o->force = true;
			break;
		case 'o':
			o->overwrite = true;
			break;
		case 's':
			o->sync = true;
			break;
		case 'p': {
			char *end;
			long n = strtol(optarg, &end, 10);

			/* The guest has pools 0..4 (hv_kvp_daemon's). */
			if (*end || end == optarg || n < 0 || n > 4)
				enlctl_usage_error("--pool takes 0 to 4", optarg);
			o->pool = optarg;
			break;
		}
		}
	}
	return optind;
}

static int run_shutdown(const struct enlctl *e, int argc, char **argv)
{
	const char *w[3] = { "shutdown" };
	struct ic_opts o;
	int n = 1;

	if (parse_opts(argc, argv, "rf", &o) < argc)
		enlctl_usage_error("unexpected argument", argv[optind]);
	if (o.reboot)
		w[n++] = "reboot";
	if (o.force)
		w[n++] = "force";
	return enlctl_daemon_words(e, IC_DAEMON, IC_TIMEOUT_MS, "shutdown", n, w);
}

static int run_time(const struct enlctl *e, int argc, char **argv)
{
	const char *w[2] = { "time", "sync" };
	struct ic_opts o;

	if (parse_opts(argc, argv, "s", &o) < argc)
		enlctl_usage_error("unexpected argument", argv[optind]);
	return enlctl_daemon_words(e, IC_DAEMON, IC_TIMEOUT_MS, "time",
				   o.sync ? 2 : 1, w);
}

static int run_kvp(const struct enlctl *e, int argc, char **argv)
{
	static const struct {
		const char *op;
		int nargs;
	} ops[] = { { "list", 0 }, { "get", 1 }, { "set", 2 }, { "delete", 1 } };
	const char *w[5];
	struct ic_opts o;
	int i, first = parse_opts(argc, argv, "p", &o), nargs = -1;

	if (first >= argc)
		enlctl_usage_error("kvp needs list, get, set or delete", NULL);
	for (i = 0; i < (int)(sizeof(ops) / sizeof(ops[0])); i++)
		if (!strcmp(argv[first], ops[i].op))
			nargs = ops[i].nargs;
	if (nargs < 0)
		enlctl_usage_error("kvp needs list, get, set or delete",
				   argv[first]);
	if (argc - first - 1 != nargs)
		enlctl_usage_error(nargs == 2 ? "kvp set takes KEY VALUE" :
				   nargs ? "kvp get/delete take KEY" :
				   "kvp list takes no argument", argv[first]);
	/* "kvp OP POOL [KEY [VALUE]]"; list without --pool: every pool */
	w[0] = "kvp";
	w[1] = argv[first];
	w[2] = o.pool ? o.pool : nargs ? "0" : "all";
	for (i = 0; i < nargs; i++)
		w[3 + i] = argv[first + 1 + i];
	return enlctl_daemon_words(e, IC_DAEMON, IC_TIMEOUT_MS, "kvp",
				   3 + nargs, w);
}

static int run_copy(const struct enlctl *e, int argc, char **argv)
{
	char host[PATH_MAX];
	const char *w[4] = { "copy" };
	struct ic_opts o;
	int first = parse_opts(argc, argv, "o", &o);

	if (argc - first != 2)
		enlctl_usage_error("copy takes HOSTFILE GUESTPATH", NULL);
	/* enl-icvsp opens the file: give it a path that does not depend on
	 * our working directory. */
	if (!realpath(argv[first], host)) {
		fprintf(stderr, "enlctl: copy: %s: %s\n", argv[first],
			strerror(errno));
		return 1;
	}
	w[1] = host;
	w[2] = argv[first + 1];
	w[3] = "overwrite";
	return enlctl_daemon_words(e, IC_DAEMON, IC_COPY_TIMEOUT_MS, "copy",
				   o.overwrite ? 4 : 3, w);
}

/*
 * backup DIR: the VM's disks are what enl-storvsp serves (its "disks"
 * command: "lun N ro|rw PATH" lines), not something the operator lists;
 * enl-icvsp gets them with DIR and does the rest (freeze, copy, thaw).
 */
static int run_backup(const struct enlctl *e, int argc, char **argv)
{
	const char *w[BACKUP_WORDS] = { "backup" };
	char dir[PATH_MAX], *text = NULL, *line, *save = NULL;
	uint32_t status;
	struct ic_opts o;
	int first = parse_opts(argc, argv, "", &o), n = 2, err, rc;

	if (argc - first > 1)
		enlctl_usage_error("backup takes at most DIR", argv[first + 1]);
	if (argc == first)
		return enlctl_daemon_words(e, IC_DAEMON, IC_BACKUP_TIMEOUT_MS,
					   "backup", 1, w);
	if (!realpath(argv[first], dir)) {
		fprintf(stderr, "enlctl: backup: %s: %s\n", argv[first],
			strerror(errno));
		return 1;
	}
	w[1] = dir;
	err = vspc_ctl_daemon(e->sock, STOR_DAEMON, STOR_TIMEOUT_MS, "disks",
			      &status, &text);
	if (err)
		return enlctl_conn_error(e, err);
	if (status) {
		fprintf(stderr, "enlctl: backup: %s%s", status == ENOENT ?
			"the VM has no disks (no enl-storvsp)" :
			"enl-storvsp did not list its disks: ",
			status == ENOENT ? "" : strerror((int)status));
		fputs("; nothing frozen\n", stderr);
		free(text);
		return 1;
	}
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *lw[5];

		if (vspc_cmd_split(line, lw, 5) != 4 || strcmp(lw[0], "lun") ||
		    n + 2 > BACKUP_WORDS) {
			fprintf(stderr, "enlctl: backup: enl-storvsp's disk list is malformed; nothing frozen\n");
			free(text);
			return 1;
		}
		w[n++] = lw[1];
		w[n++] = lw[3];
	}
	if (n == 2) {
		fprintf(stderr, "enlctl: backup: enl-storvsp lists no disk; nothing frozen\n");
		free(text);
		return 1;
	}
	rc = enlctl_daemon_words(e, IC_DAEMON, IC_BACKUP_COPY_TIMEOUT_MS,
				 "backup", n, w);
	free(text);
	return rc;
}

static const struct enlctl_cmd ic_cmds[] = {
	{ "shutdown", "[--reboot] [--force]",
	  "power the guest off (or reboot it) through the shutdown service",
	  run_shutdown },
	{ "time", "[--sync]",
	  "a time sample (--sync: the guest sets its clock) and its round trip",
	  run_time },
	{ "kvp", "list|get|set|delete [--pool N] [KEY [VALUE]]",
	  "the guest's KVP pools (list: also its intrinsic data)", run_kvp },
	{ "copy", "HOSTFILE GUESTPATH [--overwrite]",
	  "copy a host file into the guest (file-copy service)", run_copy },
	{ "backup", "[DIR]",
	  "VSS: the guest freezes its file systems, every disk image is copied into DIR (reflink where it can), the guest thaws",
	  run_backup },
};

ENLCTL_GROUP(ic, ic_cmds);
