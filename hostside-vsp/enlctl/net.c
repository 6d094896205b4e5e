// SPDX-License-Identifier: GPL-2.0-only
/*
 * enlctl's network commands: the link state of a synthetic NIC, relayed
 * by enl-host to enl-netvsp (HELLO name "netvsp") as "link up|down [N]".
 */
#include <string.h>

#include "enlctl.h"

#define NET_DAEMON		"netvsp"
#define NET_TIMEOUT_MS		5000

static int run_nic(const struct enlctl *e, int argc, char **argv)
{
	const char *w[3];
	int n = argc - 1, i;

	if (n < 2 || strcmp(argv[1], "link") ||
	    (strcmp(argv[2], "up") && strcmp(argv[2], "down")))
		enlctl_usage_error("nic needs: link up|down [NIC]", n > 0 ? argv[1] : NULL);
	if (n > 3)
		enlctl_usage_error("too many arguments for nic", argv[4]);
	for (i = 0; i < n; i++)
		w[i] = argv[1 + i];
	return enlctl_daemon_words(e, NET_DAEMON, NET_TIMEOUT_MS, "nic", n, w);
}

static const struct enlctl_cmd net_cmds[] = {
	{ "nic", "link up|down [NIC]",
	  "carrier of a synthetic NIC (NIC: its --nic position, default 0)", run_nic },
};

ENLCTL_GROUP(net, net_cmds);
