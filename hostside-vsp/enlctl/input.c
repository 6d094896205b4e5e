// SPDX-License-Identifier: GPL-2.0-only
/*
 * enlctl's input commands: text, key chords, pointer moves, clicks and the
 * wheel for the guest's synthetic keyboard and mouse.  Each becomes one
 * command line for enl-hidvsp (HELLO name "hidvsp"), relayed by enl-host;
 * hostside-vsp/hidvsp/README.md lists the words.
 */
#include <string.h>

#include "enlctl.h"

#define INPUT_DAEMON		"hidvsp"
/* a long text waits for the guest to drain the ring now and then */
#define INPUT_TIMEOUT_MS	15000

static int run_input(const struct enlctl *e, int argc, char **argv)
{
	const char *w[4];
	int n = argc - 1, i;

	if (n < 1)
		enlctl_usage_error("input needs type, key, mouse, click or wheel", NULL);
	if (n > 4)
		enlctl_usage_error("too many arguments for input", argv[5]);
	for (i = 0; i < n; i++)
		w[i] = argv[1 + i];
	return enlctl_daemon_words(e, INPUT_DAEMON, INPUT_TIMEOUT_MS, "input", n, w);
}

static const struct enlctl_cmd input_cmds[] = {
	{ "input", "type TEXT | key CHORD | mouse move X Y | click [left|right|middle] | wheel N",
	  "the guest's synthetic keyboard and mouse (X, Y: 0..32767; CHORD: ctrl+alt+del)",
	  run_input },
};

ENLCTL_GROUP(input, input_cmds);
