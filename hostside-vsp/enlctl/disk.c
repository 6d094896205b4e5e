// SPDX-License-Identifier: GPL-2.0-only
/*
 * enlctl's disk commands: hot plug on the synthetic SCSI controller.
 * Each becomes one command line for enl-storvsp (HELLO name "storvsp"),
 * relayed by enl-host: "add SPEC" or "remove LUN".  The daemon opens the
 * image, registers or drops the LUN and tells the guest to rescan.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enlctl.h"

#define DISK_DAEMON	"storvsp"
#define DISK_TIMEOUT_MS	10000

static int run_disk(const struct enlctl *e, int argc, char **argv)
{
	char spec[PATH_MAX + 64], path[PATH_MAX];
	const char *w[2];
	const char *comma;
	size_t plen;

	if (argc < 2)
		enlctl_usage_error("disk: say add or remove", NULL);
	if (argc > 3)
		enlctl_usage_error("unexpected argument", argv[3]);
	if (argc < 3)
		enlctl_usage_error(!strcmp(argv[1], "add") ? "disk add: which PATH" :
				   "disk remove: which LUN", NULL);
	w[0] = argv[1];
	if (!strcmp(argv[1], "add")) {
		/* enl-storvsp opens the file: a path that does not depend on
		 * our working directory */
		comma = strchr(argv[2], ',');
		plen = comma ? (size_t)(comma - argv[2]) : strlen(argv[2]);
		if (!plen || plen >= sizeof(path))
			enlctl_usage_error("disk add: bad PATH", argv[2]);
		memcpy(path, argv[2], plen);
		path[plen] = '\0';
		if (!realpath(path, spec)) {
			fprintf(stderr, "enlctl: disk add: %s: %s\n", path, strerror(errno));
			return 1;
		}
		if (comma && strlen(spec) + strlen(comma) >= sizeof(spec))
			enlctl_usage_error("disk add: SPEC too long", argv[2]);
		if (comma)
			strcat(spec, comma);
		w[1] = spec;
	} else if (!strcmp(argv[1], "remove")) {
		w[1] = argv[2];
	} else {
		enlctl_usage_error("disk: say add or remove, not", argv[1]);
	}
	return enlctl_daemon_words(e, DISK_DAEMON, DISK_TIMEOUT_MS, "disk", 2, w);
}

static const struct enlctl_cmd disk_cmds[] = {
	{ "disk", "add PATH[,ro][,lun=N][,serial=S] | remove LUN",
	  "hot plug: a disk on the synthetic SCSI controller appears or goes (the guest rescans)",
	  run_disk },
};

ENLCTL_GROUP(disk, disk_cmds);
