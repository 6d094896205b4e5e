// SPDX-License-Identifier: GPL-2.0-only
/*
 * enlctl: the operator's tool.  Talks to a running enl-host over its VSP
 * socket as a control client (docs/vsp-socket.md "Control clients"); the
 * commands of a daemon (shutdown, kvp, ...) are relayed by enl-host to
 * the daemon that serves them ("Commands for a daemon").
 *
 *   enlctl --vm SOCKET [--timeout MS] COMMAND [ARGS...]
 *
 * This file: the global options, the command table and the helpers the
 * command groups share.  The commands live one group per file.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostside-vsp/common/vmconf.h"
#include "enlctl.h"
#include "hostside-vsp/common/vsp_common.h"

/* The command groups, one line each (the group's file defines it). */
#define ENLCTL_GROUPS(X)	\
	X(core)			\
	X(ic)			\
	X(input)		\
	X(net)			\
	X(disk)

#define DECLARE_GROUP(name) extern const struct enlctl_group enlctl_group_##name;
ENLCTL_GROUPS(DECLARE_GROUP)
#define REF_GROUP(name) &enlctl_group_##name,
static const struct enlctl_group *const groups[] = { ENLCTL_GROUPS(REF_GROUP) };
#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

static void usage(FILE *f)
{
	unsigned int g, i;

	fprintf(f,
		"usage: enlctl --vm SOCKET|NAME [--timeout MS] COMMAND [ARGS...]\n"
		"Ask a running enl-host, or one of its daemons, about its VM.\n"
		"commands:\n");
	for (g = 0; g < NGROUPS; g++) {
		for (i = 0; i < groups[g]->ncmds; i++) {
			const struct enlctl_cmd *c = &groups[g]->cmds[i];

			fprintf(f, "  %s %s\n      %s\n", c->name, c->args,
				c->help);
		}
	}
	fprintf(f,
		"options:\n"
		"  --vm SOCKET|NAME  enl-host's VSP socket, or the name of a VM whose\n"
		"                    socket is /run/enlighten/NAME.sock\n"
		"  --timeout MS      how long a daemon may take to answer\n"
		"                    (default: the command's, at most %u)\n"
		"  -h, --help        this text\n"
		"exit status: 0 done, 1 failed (the reason on stderr), 2 usage\n",
		VSP_DAEMON_TIMEOUT_MAX_MS);
}

void enlctl_usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "enlctl: %s%s%s (try --help)\n", msg,
		arg ? ": " : "", arg ? arg : "");
	exit(2);
}

void enlctl_put_clean(const char *s, FILE *f)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		fputc((c >= 0x20 && c < 0x7f) || c == '\n' || c == '\t' ? c : '?',
		      f);
	}
}

int enlctl_conn_error(const struct enlctl *e, int err)
{
	if (err == -ENOENT || err == -ECONNREFUSED)
		fprintf(stderr, "enlctl: cannot connect to %s (is enl-host running?)\n",
			e->sock);
	else if (err == -ECONNRESET)
		fprintf(stderr, "enlctl: %s: enl-host closed the connection without answering\n",
			e->sock);
	else if (err == -ETIMEDOUT)
		fprintf(stderr, "enlctl: %s: enl-host did not answer\n", e->sock);
	else
		fprintf(stderr, "enlctl: %s: %s\n", e->sock, strerror(-err));
	return 1;
}

int enlctl_daemon_words(const struct enlctl *e, const char *daemon,
			uint32_t timeout_ms, const char *what, int n,
			const char *const *words)
{
	char *line = calloc(1, VSP_CMD_LEN), *text = NULL;
	uint32_t status;
	int i, err;

	if (!line) {
		fprintf(stderr, "enlctl: out of memory\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (vspc_cmd_encode(line, VSP_CMD_LEN, words[i])) {
			free(line);
			enlctl_usage_error(words[i][0] ? "command too long" :
					   "empty argument", what);
		}
	}
	err = vspc_ctl_daemon(e->sock, daemon,
			      e->timeout_ms ? e->timeout_ms : timeout_ms, line,
			      &status, &text);
	free(line);
	if (err)
		return enlctl_conn_error(e, err);
	if (status) {
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vm", required_argument, NULL, 'm' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct enlctl e = { 0 };
	static char sock[4096];
	const char *cmd;
	unsigned int g, i;
	char *end;
	unsigned long t;
	int c;

	opterr = 0;
	/* '+': the options up to the command are ours; the rest belong to
	 * the command ("status --json", "shutdown --reboot"). */
	while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			/* a VM's name stands for its socket under /run/enlighten */
			if (vmconf_socket_of(optarg, sock, sizeof(sock)) < 0)
				enlctl_usage_error("--vm takes a socket path or a VM name ([A-Za-z0-9_.-])",
						   optarg);
			e.sock = sock;
			break;
		case 't':
			errno = 0;
			t = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || t == 0 ||
			    t > VSP_DAEMON_TIMEOUT_MAX_MS)
				enlctl_usage_error("--timeout takes milliseconds, 1 up to 600000",
						   optarg);
			e.timeout_ms = (uint32_t)t;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			enlctl_usage_error("option needs an argument",
					   argv[optind - 1]);
			break;
		default:
			enlctl_usage_error("unknown option", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		enlctl_usage_error("no command", NULL);
	cmd = argv[optind];
	if (!strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	for (g = 0; g < NGROUPS; g++) {
		for (i = 0; i < groups[g]->ncmds; i++) {
			const struct enlctl_cmd *k = &groups[g]->cmds[i];

			if (strcmp(k->name, cmd))
				continue;
			if (!e.sock)
				enlctl_usage_error("--vm SOCKET|NAME is required", NULL);
			/* The command parses its own options after argv[0];
			 * optind 0 makes getopt start afresh. */
			argc -= optind;
			argv += optind;
			optind = 0;
			return k->run(&e, argc, argv);
		}
	}
	enlctl_usage_error("unknown command", cmd);
}
