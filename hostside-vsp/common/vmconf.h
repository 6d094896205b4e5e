/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A VM in one file: /etc/enlighten/vms/NAME.conf, read by enl-host
 * --config and by the VSP daemons' units (each takes its part).
 *
 *   # comment
 *   kernel  = /boot/vmlinuz-6.12
 *   memory  = 1G
 *   disk    = /var/lib/enlighten/web.img,lun=0
 *
 * One "key = value" per line; the value is the rest of the line, blanks
 * around it dropped, optionally in double quotes.  Relative paths are
 * relative to the file's folder.  Every error is one line
 * "FILE:LINE: what" (vmconf.err).
 */
#ifndef ENL_VMCONF_H
#define ENL_VMCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMCONF_MAX_DISKS	64	/* ENL_VSTOR_MAX_LUNS */
#define VMCONF_MAX_NICS		16
#define VMCONF_VALUE_MAX	4096
#define VMCONF_ERR_MAX		(VMCONF_VALUE_MAX + 512)

/* A value and the line it came from (0: not set). */
struct vmconf_str {
	char *v;
	unsigned int line;
};

struct vmconf {
	char path[4096];		/* as given, for messages */
	char name[256];			/* file name without ".conf" */
	struct vmconf_str kernel, initrd, cmdline, socket, vmbus_version;
	struct vmconf_str memory_text, cpus_text;
	uint64_t memory;		/* bytes, when memory_text.line */
	unsigned int cpus;		/* when cpus_text.line */
	struct vmconf_str ic, input, daemons;
	bool ic_on, input_on;		/* default yes */
	bool external;			/* daemons = external: units start them */
	struct vmconf_str disk[VMCONF_MAX_DISKS];
	unsigned int ndisks;
	struct vmconf_str nic[VMCONF_MAX_NICS];
	unsigned int nnics;
	char err[VMCONF_ERR_MAX];	/* the one line of the last error */
};

/*
 * Read and check path into c (zeroed first).  Checks values, duplicate
 * LUNs and, with files, that the kernel, initrd and disk images can be
 * opened.  0, or -1 with c->err set.  vmconf_free() either way.
 */
int vmconf_load(struct vmconf *c, const char *path, bool files);

/* The same on text already in memory (path only names it in messages). */
int vmconf_parse(struct vmconf *c, const char *path, const char *text);

/* Checks that touch the file system (vmconf_load does them). */
int vmconf_check_files(struct vmconf *c);

void vmconf_free(struct vmconf *c);

/* c->err = "PATH:LINE: fmt...", returns -1. */
int vmconf_fail(struct vmconf *c, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "512M", "2G", "1024" (MiB), "4KiB": 0 or -1. */
int vmconf_parse_size(const char *s, uint64_t *out);

/*
 * "web" -> "/run/enlighten/web.sock"; a value with a '/' is a path and
 * used as it is.  0, or -1 when the name is not [A-Za-z0-9_.-]+ (or is
 * "." / "..") or too long.
 */
int vmconf_socket_of(const char *vm, char *out, size_t len);

/*
 * A VSP daemon's --vm SOCKET|NAME and --config FILE (either may be NULL):
 * the socket into sock, the file (if any) into c.  0, or -1 after one
 * line "prog: ..." on stderr.
 */
int vmconf_daemon_socket(const char *prog, const char *vm, const char *conf_path,
			 struct vmconf *c, char *sock, size_t len);

#define VMCONF_RUN_DIR	"/run/enlighten"

#endif
