// SPDX-License-Identifier: GPL-2.0-only
/*
 * enl-hidvsp: serves the synthetic mouse and keyboard of one VM.
 *
 *   enl-hidvsp --vm SOCKET [--wait S] [-v|-q]
 *
 * Connects to enl-host's VSP socket, offers both channels and serves them
 * until enl-host goes away.  Operator input arrives as commands relayed by
 * enl-host (enlctl input ...).  Safe to kill and start again: the guest's
 * driver keeps its channel, and input works again after its next open.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hostside-vsp/common/vmconf.h"
#include "hidvsp.h"
#include "hostside-vsp/common/vsp_common.h"

/* Stable instance GUIDs: how a restarted daemon gets its channels back. */
static const enl_guid_t mouse_instance =
	ENL_GUID(0x656e6c00, 0x6869, 0x4400, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01);
static const enl_guid_t kbd_instance =
	ENL_GUID(0x656e6c00, 0x6869, 0x4400, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02);

static struct vsp *the_vsp;

static void on_signal(int sig)
{
	if (the_vsp)
		vsp_stop(the_vsp);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: enl-hidvsp {--vm SOCKET|NAME | --config FILE} [--wait S] [-v|-q]\n"
		"Serve the synthetic mouse and keyboard of the VM whose enl-host\n"
		"listens on SOCKET; input comes from `enlctl input ...`.\n"
		"  --vm SOCKET   enl-host's VSP socket, or a VM name (its socket is\n"
		"                /run/enlighten/NAME.sock)\n"
		"  --config FILE the VM's file: its socket; input = no: exit at once\n"
		"  --wait S      wait up to S seconds (0: for ever) for the socket\n"
		"  -v, --verbose log more\n"
		"  -q, --quiet   log errors only\n"
		"  -h, --help    this text\n");
}

static void bad_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "enl-hidvsp: %s%s%s (try --help)\n", msg,
		arg ? ": " : "", arg ? arg : "");
	exit(2);
}

static struct vsp *connect_waiting(const char *sock, long wait_s, int *err)
{
	const struct timespec step = { .tv_nsec = 200 * 1000 * 1000 };
	u64 deadline = vsp_now_ms() + (u64)(wait_s > 0 ? wait_s : 0) * 1000;
	struct vsp *v;

	for (;;) {
		v = vsp_connect(sock, "hidvsp", err);
		if (v || wait_s < 0 ||
		    (*err != -ENOENT && *err != -ECONNREFUSED))
			return v;
		if (wait_s > 0 && vsp_now_ms() >= deadline)
			return NULL;
		nanosleep(&step, NULL);
	}
}

const char *hid_state_name(enum hid_dev_state s)
{
	switch (s) {
	case HID_CLOSED: return "closed";
	case HID_WAIT_REQUEST: return "negotiating";
	case HID_WAIT_ACK: return "wait-ack";
	case HID_READY: return "ready";
	case HID_REFUSED: return "refused";
	}
	return "?";
}

/*
 * Each device's keys go with its channel: enl-host shows keys per relid
 * (it keeps none for relid 0 today).
 */
void hid_publish(struct hid_vsp *h)
{
	u32 m = vsp_chan_relid(h->mouse), k = vsp_chan_relid(h->kbd);

	vsp_status_set(h->v, m, "mouse_state", "%s", hid_state_name(h->mouse_state));
	vsp_status_set(h->v, m, "mouse_pos", "%u %u", h->x, h->y);
	vsp_status_set(h->v, k, "keyboard_state", "%s", hid_state_name(h->kbd_state));
	vsp_status_set(h->v, k, "keyboard_leds", "%s%s%s%s",
		       h->leds & 1 ? "scroll " : "", h->leds & 2 ? "num " : "",
		       h->leds & 4 ? "caps" : "", h->leds ? "" : "none");
}

static void on_command(struct vsp *v, u32 req_id, const char *cmd, void *priv)
{
	struct hid_vsp *h = priv;
	char line[VSP_CMD_LEN], reply[256], *w[8];
	int n, status;

	snprintf(line, sizeof(line), "%s", cmd);
	n = vspc_cmd_split(line, w, 8);
	if (n < 0) {
		vsp_command_reply(v, req_id, EINVAL, "badly encoded command");
		return;
	}
	status = hid_command(h, n, w, reply, sizeof(reply));
	hid_publish(h);
	if (status)
		vsp_info("command '%s': %s", cmd, reply);
	vsp_command_reply(v, req_id, (u32)status, "%s", reply);
}

static int offer(struct hid_vsp *h, const char *what, const enl_guid_t *cls,
		 const enl_guid_t *inst, const struct vsp_chan_ops *ops,
		 struct vsp_chan **ch)
{
	struct vsp_offer_params p;
	int err;

	memset(&p, 0, sizeof(p));
	p.if_type = *cls;
	p.if_instance = *inst;
	err = vsp_offer(h->v, &p, ops, h, ch);
	if (err) {
		fprintf(stderr, "enl-hidvsp: %s offer refused: %s%s\n", what,
			strerror(-err),
			err == -EEXIST ? " (another daemon serves it)" : "");
		return err;
	}
	vsp_info("%s offered as relid %u", what, vsp_chan_relid(*ch));
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vm", required_argument, NULL, 'm' },
		{ "config", required_argument, NULL, 'C' },
		{ "wait", required_argument, NULL, 'w' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const enl_guid_t mouse_class = ENL_GUID_MOUSE;
	static const enl_guid_t kbd_class = ENL_GUID_KEYBOARD;
	static struct hid_vsp h;
	const char *sock = NULL, *vm_arg = NULL, *conf_path = NULL;
	static struct vmconf conf;
	static char sock_buf[4096];
	struct sigaction sa;
	long wait_s = -1;
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
		case 'w': {
			char *end;

			errno = 0;
			wait_s = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || wait_s < 0)
				bad_usage("--wait takes whole seconds (0: forever)", optarg);
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
	if (vmconf_daemon_socket("enl-hidvsp", vm_arg, conf_path, &conf, sock_buf,
				 sizeof(sock_buf)) < 0)
		return 2;
	sock = sock_buf;
	if (conf_path && !conf.input_on) {
		fprintf(stderr, "enl-hidvsp: %s says input = no: nothing to serve\n", conf_path);
		return 0;
	}

	vsp_set_log_name("enl-hidvsp");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	the_vsp = connect_waiting(sock, wait_s, &err);
	if (!the_vsp) {
		fprintf(stderr, "enl-hidvsp: cannot connect to %s: %s%s\n", sock,
			strerror(-err),
			err == -ENOENT || err == -ECONNREFUSED ?
			" (is enl-host running?)" : "");
		return 1;
	}
	h.v = the_vsp;
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	if (offer(&h, "mouse", &mouse_class, &mouse_instance, &hid_mouse_ops, &h.mouse) ||
	    offer(&h, "keyboard", &kbd_class, &kbd_instance, &hid_kbd_ops, &h.kbd)) {
		vsp_free(the_vsp);
		return 1;
	}
	hid_publish(&h);
	vsp_set_command_handler(the_vsp, on_command, &h);

	err = vsp_run(the_vsp);
	vsp_free(the_vsp);
	if (err) {
		fprintf(stderr, "enl-hidvsp: connection to enl-host lost: %s\n",
			strerror(-err));
		return 1;
	}
	return 0;
}
