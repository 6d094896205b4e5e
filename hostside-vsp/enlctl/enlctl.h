/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * enlctl's command groups.  Each group lives in its own file (core.c:
 * status, rescind, reoffer, daemon; ic.c: the integration services) and
 * exports one struct enlctl_group named enlctl_group_<name>; enlctl.c
 * lists the groups in ENLCTL_GROUPS, one line each.
 */
#ifndef ENL_ENLCTL_H
#define ENL_ENLCTL_H

#include <stdint.h>
#include <stdio.h>

/* What the global options said. */
struct enlctl {
	const char *sock;	/* --vm */
	uint32_t timeout_ms;	/* --timeout (0: the command's default) */
};

struct enlctl_cmd {
	const char *name;	/* first word: "status", "kvp" */
	const char *args;	/* usage after the name, for --help */
	const char *help;	/* one line */
	/* argv[0] is the command's name; returns the exit status (0 done,
	 * 1 failed, 2 usage). */
	int (*run)(const struct enlctl *e, int argc, char **argv);
};

struct enlctl_group {
	const struct enlctl_cmd *cmds;
	unsigned int ncmds;
};

#define ENLCTL_GROUP(name, table)					\
	const struct enlctl_group enlctl_group_##name = {		\
		(table), sizeof(table) / sizeof((table)[0])		\
	}

/* Print "enlctl: msg: arg (try --help)" and exit 2. */
void enlctl_usage_error(const char *msg, const char *arg)
	__attribute__((noreturn));
/* Printable ASCII, tabs and newlines; everything else as '?'. */
void enlctl_put_clean(const char *s, FILE *f);
/*
 * Report a failed connection or request to stderr ("enlctl: what: ...").
 * err: vspc_* negative errno; returns 1.
 */
int enlctl_conn_error(const struct enlctl *e, int err);
/*
 * Relay words[0..n) to daemon (docs/vsp-socket.md "Commands for a
 * daemon") and print the answer: the text on stdout when the daemon said
 * 0, else "enlctl: what: reason" on stderr.  timeout_ms: the command's
 * default, overridden by --timeout.  Returns the exit status.
 */
int enlctl_daemon_words(const struct enlctl *e, const char *daemon,
			uint32_t timeout_ms, const char *what, int n,
			const char *const *words);

#endif
