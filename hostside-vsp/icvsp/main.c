// SPDX-License-Identifier: GPL-2.0-only
/*
 * enl-icvsp: serves the integration-service channels of one VM.
 *
 *   enl-icvsp --vm SOCKET [--instance GUID] [--refuse-open SVC[:N]] [-v|-q]
 *
 * Connects to enl-host's VSP socket, offers the channels of the services
 * (heartbeat, shutdown, timesync, kvp, fcopy, vss; --disable turns some off), takes
 * the operator's commands relayed by enl-host (enlctl shutdown, time,
 * kvp, copy, backup) and serves them until enl-host goes away.  Safe to kill and start
 * again: the channels carry on from the ring state in guest memory.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hostside-vsp/common/vmconf.h"
#include "icvsp.h"

static struct vsp *the_vsp;

/* Every service enl-icvsp serves, in the order they are offered. */
static const struct ic_service *const services[] = {
	&ic_heartbeat, &ic_shutdown, &ic_timesync, &ic_kvp, &ic_fcopy, &ic_vss,
};
#define NSERVICES (sizeof(services) / sizeof(services[0]))
static struct ic_chan *chans[NSERVICES];

static void on_command(struct vsp *v, u32 req_id, const char *cmd, void *priv)
{
	ic_command(chans, NSERVICES, v, req_id, cmd);
}

/* "--disable shutdown,kvp": those services are not offered. */
static void parse_disable(char *list, bool *off)
{
	char *save = NULL, *w;
	unsigned int i;

	for (w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < NSERVICES; i++)
			if (!strcmp(w, services[i]->name))
				break;
		if (i == NSERVICES) {
			fprintf(stderr, "enl-icvsp: --disable: unknown service %s (heartbeat, shutdown, timesync, kvp, fcopy, vss)\n",
				w);
			exit(2);
		}
		off[i] = true;
	}
}

static void on_signal(int sig)
{
	if (the_vsp)
		vsp_stop(the_vsp);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: enl-icvsp {--vm SOCKET|NAME | --config FILE} [--instance GUID] [--wait S]\n"
		"                 [--disable SVC[,SVC...]] [--refuse-open SERVICE[:N]]\n"
		"                 [--vss-hold MS] [-v|-q]\n"
		"Serve the Hyper-V integration services (heartbeat, shutdown,\n"
		"timesync, kvp, fcopy, vss) of the VM whose enl-host listens on SOCKET.\n"
		"  --disable LIST   do not offer these services (comma separated)\n"
		"  --vm SOCKET      enl-host's VSP socket, or a VM name (its socket is\n"
		"                   /run/enlighten/NAME.sock)\n"
		"  --config FILE    the VM's file: its socket; ic = no: exit at once\n"
		"  --instance GUID  heartbeat channel instance GUID\n"
		"                   (default: the fixed one, stable across restarts)\n"
		"  --wait S         wait up to S seconds (0: for ever) for the VM's\n"
		"                   socket to appear, for a daemon started first\n"
		"  --refuse-open SERVICE[:N]\n"
		"                   test option: refuse the guest's first N opens of\n"
		"                   SERVICE's channel (default: every open until the\n"
		"                   channel is rescinded), with ECONNREFUSED; the\n"
		"                   guest's open fails and it may open again.\n"
		"                   SERVICE: heartbeat\n"
		"  --vss-hold MS    test option: a backup keeps the guest frozen MS\n"
		"                   ms (1-60000) after its copy before the THAW\n"
		"  -v, --verbose    log more\n"
		"  -q, --quiet      log errors only\n"
		"  -h, --help       this text\n");
}

/*
 * A daemon started before its VM waits for the socket to appear and to
 * answer: wait_s seconds, 0 for ever, negative for a single try.
 */
static struct vsp *connect_waiting(const char *sock, long wait_s, int *err)
{
	const struct timespec step = { .tv_nsec = 200 * 1000 * 1000 };
	uint64_t deadline = vsp_now_ms() + (uint64_t)(wait_s > 0 ? wait_s : 0) * 1000;
	struct vsp *v;

	for (;;) {
		v = vsp_connect(sock, "icvsp", err);
		if (v || wait_s < 0 ||
		    (*err != -ENOENT && *err != -ECONNREFUSED))
			return v;
		if (wait_s > 0 && vsp_now_ms() >= deadline)
			return NULL;
		nanosleep(&step, NULL);
	}
}

static void bad_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "enl-icvsp: %s%s%s (try --help)\n", msg,
		arg ? ": " : "", arg ? arg : "");
	exit(2);
}

/* "heartbeat" (every open) or "heartbeat:N" (the first N, N >= 1) */
static int parse_refuse(const char *arg, const struct ic_service *svc)
{
	size_t nl = strlen(svc->name);
	char *end;
	long n;

	if (strncmp(arg, svc->name, nl) || (arg[nl] && arg[nl] != ':'))
		bad_usage("--refuse-open: unknown service", arg);
	if (!arg[nl])
		return -1;
	errno = 0;
	n = strtol(arg + nl + 1, &end, 10);
	if (errno || *end || end == arg + nl + 1 || n < 1 || n > 1000000)
		bad_usage("--refuse-open: N must be a whole number from 1", arg);
	return (int)n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vm", required_argument, NULL, 'm' },
		{ "config", required_argument, NULL, 'C' },
		{ "instance", required_argument, NULL, 'i' },
		{ "wait", required_argument, NULL, 'w' },
		{ "refuse-open", required_argument, NULL, 'r' },
		{ "disable", required_argument, NULL, 'd' },
		{ "vss-hold", required_argument, NULL, 'H' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL, *vm_arg = NULL, *conf_path = NULL;
	static struct vmconf conf;
	static char sock_buf[4096];
	enl_guid_t instance;
	bool have_instance = false;
	bool off[NSERVICES] = { false };
	unsigned int i;
	struct sigaction sa;
	long wait_s = -1;	/* no --wait: one try */
	int refuse_hb = 0;
	int c, err;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vqh", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			vm_arg = optarg;
			break;
		case 'C':
			conf_path = optarg;
			break;
		case 'i':
			if (vsp_guid_parse(optarg, &instance))
				bad_usage("bad GUID", optarg);
			have_instance = true;
			break;
		case 'w': {
			char *end;

			errno = 0;
			wait_s = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || wait_s < 0)
				bad_usage("--wait takes whole seconds (0: forever)",
					  optarg);
			break;
		}
		case 'r':
			refuse_hb = parse_refuse(optarg, &ic_heartbeat);
			break;
		case 'd':
			parse_disable(optarg, off);
			break;
		case 'H': {
			char *end;
			long ms;

			errno = 0;
			ms = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || ms < 1 || ms > 60000)
				bad_usage("--vss-hold takes milliseconds, 1 to 60000", optarg);
			vss_hold_ms = (unsigned int)ms;
			break;
		}
		case 'v':
			vsp_verbose = 2;
			break;
		case 'q':
			vsp_verbose = 0;
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
	if (optind < argc)
		bad_usage("unexpected argument", argv[optind]);
	if (vmconf_daemon_socket("enl-icvsp", vm_arg, conf_path, &conf, sock_buf,
				 sizeof(sock_buf)) < 0)
		return 2;
	sock = sock_buf;
	if (conf_path && !conf.ic_on) {
		fprintf(stderr, "enl-icvsp: %s says ic = no: nothing to serve\n", conf_path);
		return 0;
	}

	vsp_set_log_name("enl-icvsp");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	the_vsp = connect_waiting(sock, wait_s, &err);
	if (!the_vsp) {
		fprintf(stderr, "enl-icvsp: cannot connect to %s: %s%s\n", sock,
			strerror(-err),
			err == -ENOENT || err == -ECONNREFUSED ?
			" (is enl-host running?)" : "");
		return 1;
	}
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	if (refuse_hb < 0)
		vsp_err("--refuse-open: refusing every open of heartbeat until it is rescinded");
	else if (refuse_hb)
		vsp_err("--refuse-open: refusing the first %d open(s) of heartbeat",
			refuse_hb);
	for (i = 0; i < NSERVICES; i++) {
		const struct ic_service *svc = services[i];

		if (off[i]) {
			vsp_info("%s: turned off (--disable)", svc->name);
			continue;
		}
		/* --instance names the heartbeat channel (tests, several VMs) */
		err = ic_offer(the_vsp, svc,
			       svc == &ic_heartbeat && have_instance ? &instance : NULL,
			       svc == &ic_heartbeat ? refuse_hb : 0, &chans[i]);
		if (err) {
			fprintf(stderr, "enl-icvsp: %s offer refused: %s%s\n",
				svc->name, strerror(-err),
				err == -EEXIST ? " (another daemon serves it)" : "");
			vsp_free(the_vsp);
			for (i = 0; i < NSERVICES; i++)
				ic_free(chans[i]);
			return 1;
		}
		chans[i]->sock_path = sock;
		vsp_info("%s offered as relid %u", svc->name,
			 vsp_chan_relid(chans[i]->ch));
	}
	vsp_set_command_handler(the_vsp, on_command, NULL);

	err = vsp_run(the_vsp);
	for (i = 0; i < NSERVICES; i++)
		ic_stop(chans[i]);
	vsp_free(the_vsp);
	for (i = 0; i < NSERVICES; i++)
		ic_free(chans[i]);
	if (err) {
		fprintf(stderr, "enl-icvsp: connection to enl-host lost: %s\n",
			strerror(-err));
		return 1;
	}
	return 0;
}
