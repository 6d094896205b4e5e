// SPDX-License-Identifier: GPL-2.0-only
/*
 * enl-host: a small KVM host that presents Hyper-V to a Linux guest.
 * The main thread owns the console input and waits for the guest to stop;
 * each vCPU runs on a thread of its own.
 */
#include "vm.h"
#include "layout.h"
#include "vsp_server.h"
#include "hostside-vsp/storvsp/storvsp.h"
#include "hostside-vsp/common/vmconf.h"
#include "hostside-vsp/netvsp/netvsp.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <limits.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/sysinfo.h>
#include <termios.h>
#include <unistd.h>

#define DEFAULT_MEM		(512ull << 20)
#define MIN_MEM			(32ull << 20)
#define DEFAULT_CMDLINE		"console=ttyS0 panic=-1"
#define MAX_CPUS		255	/* xAPIC ids in the MADT */
#define CTRL_A			0x01
#define DEFAULT_SOCKET		"/run/enlighten/enl-host.sock"
#define MAX_POLL		(3 + MAX_CPUS + VSP_SERVER_POLLFDS)
#define MAX_DISKS		ENL_VSTOR_MAX_LUNS
#define MAX_NICS		NETVSP_MAX_NICS

static const char usage[] =
"Usage: enl-host --kernel BZIMAGE [options]\n"
"       enl-host --config FILE [options]\n"
"Run a Linux guest that sees a Hyper-V host (VMBus over KVM's SynIC).\n"
"\n"
"      --config FILE    the VM's file (/etc/enlighten/vms/NAME.conf): its keys\n"
"                       are these options' names (kernel, initrd, cmdline,\n"
"                       memory, cpus, socket, vmbus-version, disk, nic) and ic,\n"
"                       input (yes/no), daemons (spawn/external); options given\n"
"                       here override it.  Its socket defaults to\n"
"                       /run/enlighten/NAME.sock\n"
"  -k, --kernel FILE    bzImage to boot (Linux 64-bit boot protocol)\n"
"  -i, --initrd FILE    initial ramdisk\n"
"  -c, --cmdline STR    kernel command line (default \"" DEFAULT_CMDLINE "\")\n"
"  -m, --memory SIZE    guest RAM, e.g. 512M or 2G (default 512M, at least 32M)\n"
"  -p, --cpus N         number of vCPUs (default 1, at most 255)\n"
"  -s, --socket PATH    VSP socket for daemons and enlctl\n"
"                       (default " DEFAULT_SOCKET ")\n"
"      --no-ic          do not start enl-icvsp (integration services)\n"
"      --no-input       do not start enl-hidvsp (synthetic mouse and keyboard)\n"
"      --daemons external  start no VSP daemon: they run on their own (systemd\n"
"                       units enl-*vsp@NAME) against the socket; default spawn\n"
"      --disk PATH[,ro][,lun=N][,serial=S]\n"
"                       a SCSI disk on a raw image or block device (repeatable;\n"
"                       LUN 0..63, serial up to 20 characters); served by\n"
"                       enl-storvsp\n"
"      --nic tap=NAME[,mac=XX:XX:XX:XX:XX:XX]\n"
"                       a synthetic network adapter on a Linux tap (created if\n"
"                       absent; repeatable, 8 at most); served by enl-netvsp\n"
"      --vmbus-version V  highest VMBus version to accept, 2.4 to 5.3\n"
"                       (default 5.3; lower ones test older guest paths)\n"
"      --check-kvm      check that /dev/kvm can run a Hyper-V guest, then exit\n"
"  -h, --help           this text\n"
"\n"
"The guest's COM1 is on standard input and output; on a terminal, Ctrl-A x\n"
"stops the guest and Ctrl-A Ctrl-A sends Ctrl-A.\n"
"Exit status: 0 guest powered off, 3 guest rebooted, 1 error, 2 usage error.\n";

static int usage_error(const char *fmt, const char *arg)
{
	fputs("enl-host: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (see enl-host --help)\n", stderr);
	return ENL_EXIT_USAGE;
}

static int check_kvm(void)
{
	int fd = kvm_open();

	if (fd < 0)
		return ENL_EXIT_ERROR;
	close(fd);
	printf("enl-host: /dev/kvm can run a Hyper-V guest\n");
	return 0;
}

struct console {
	bool tty;
	bool escape;		/* last byte was Ctrl-A */
	struct termios saved;
	uint8_t buf[256];
	size_t head, len;	/* input not yet taken by the UART */
};

static void console_raw(struct console *con)
{
	struct termios t;

	con->tty = isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &con->saved);
	if (!con->tty)
		return;
	t = con->saved;
	cfmakeraw(&t);
	t.c_oflag |= OPOST | ONLCR;	/* keep our own messages readable */
	tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

static void console_restore(struct console *con)
{
	if (con->tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &con->saved);
}

/* Read console input; returns false on the stop escape. */
static bool console_read(struct vm *vm, struct console *con, bool *eof)
{
	uint8_t in[128];
	ssize_t n = read(STDIN_FILENO, in, sizeof(in));
	ssize_t i;

	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			*eof = true;
		return true;
	}
	for (i = 0; i < n; i++) {
		uint8_t c = in[i];

		if (con->tty && con->escape) {
			con->escape = false;
			if (c == 'x' || c == 'X')
				return false;
			if (c != CTRL_A)
				continue;
		} else if (con->tty && c == CTRL_A) {
			con->escape = true;
			continue;
		}
		if (con->head + con->len < sizeof(con->buf))
			con->buf[con->head + con->len++] = c;
	}
	(void)vm;
	return true;
}

static void console_feed(struct vm *vm, struct console *con)
{
	size_t n;

	if (!con->len)
		return;
	pthread_mutex_lock(&vm->dev_lock);
	n = uart_receive(&vm->com1, con->buf + con->head, con->len);
	pthread_mutex_unlock(&vm->dev_lock);
	con->head += n;
	con->len -= n;
	if (!con->len)
		con->head = 0;
}

static int run_vm(struct vm *vm, int sig_fd)
{
	struct pollfd p[MAX_POLL];
	struct console con = { 0 };
	bool eof = false;
	unsigned int i;
	int status;

	console_raw(&con);
	if (vcpus_start(vm) < 0)
		goto stop;
	for (;;) {
		int n = 0, r, vsp_first;

		p[n++] = (struct pollfd){ .fd = vm->stop_fd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = sig_fd, .events = POLLIN };
		/* Stop reading while the UART has no room. */
		p[n++] = (struct pollfd){
			.fd = (eof || con.len) ? -1 : STDIN_FILENO,
			.events = POLLIN,
		};
		for (i = 0; i < vm->ncpus; i++)
			p[n++] = (struct pollfd){
				.fd = vm->vcpus[i].msg_resamplefd,
				.events = POLLIN,
			};
		vsp_first = n;
		if (vm->vsp)
			n += vsp_server_pollfds(vm->vsp, p + n, MAX_POLL - n);

		/* The VSP server checks daemon deadlines once a second. */
		r = poll(p, (nfds_t)n, con.len ? 5 : vm->vsp ? 1000 : -1);
		if (r < 0 && errno != EINTR) {
			enl_err("poll: %s", strerror(errno));
			vm_stop(vm, ENL_EXIT_ERROR);
		}
		if (atomic_load(&vm->stopping))
			break;
		if (r <= 0) {
			console_feed(vm, &con);
			if (vm->vsp)
				vsp_server_handle(vm->vsp, p + vsp_first, 0);
			continue;
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sig_fd, &si, sizeof(si)) == sizeof(si))
				enl_err("stopped by signal %u", si.ssi_signo);
			vm_stop(vm, ENL_EXIT_ERROR);
			break;
		}
		if ((p[2].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    !console_read(vm, &con, &eof)) {
			console_restore(&con);
			enl_err("stopped from the console (Ctrl-A x)");
			vm_stop(vm, ENL_EXIT_ERROR);
			break;
		}
		console_feed(vm, &con);
		for (i = 0; i < vm->ncpus; i++)
			if (p[3 + i].revents & POLLIN)
				synic_resample(&vm->vcpus[i]);
		if (vm->vsp)
			vsp_server_handle(vm->vsp, p + vsp_first, n - vsp_first);
	}
stop:
	vcpus_join(vm);
	console_restore(&con);
	status = atomic_load(&vm->exit_status);
	return status;
}

/*
 * The VM file's keys into cfg and the disk list (options override them
 * later).  Each value whose check needs enl-host is checked here, naming
 * its line.
 */
static int apply_conf(struct vmconf *conf, struct vm_config *cfg,
		      const char **disk_args, unsigned int *ndisks,
		      char *sock, size_t sock_len)
{
	unsigned int i;

	if (conf->kernel.line)
		cfg->kernel = conf->kernel.v;
	if (conf->initrd.line)
		cfg->initrd = conf->initrd.v;
	if (conf->cmdline.line)
		cfg->cmdline = conf->cmdline.v;
	if (conf->memory_text.line)
		cfg->mem_size = conf->memory;
	if (conf->cpus_text.line)
		cfg->ncpus = conf->cpus;
	if (conf->socket.line) {
		cfg->socket = conf->socket.v;
	} else {
		if (vmconf_socket_of(conf->name, sock, sock_len) < 0)
			return vmconf_fail(conf, 0,
					   "the file name \"%s\" is no VM name ([A-Za-z0-9_.-]): give socket = PATH",
					   conf->name);
		cfg->socket = sock;
	}
	if (conf->vmbus_version.line &&
	    vmbus_server_parse_version(conf->vmbus_version.v, &cfg->vmbus_version) < 0)
		return vmconf_fail(conf, conf->vmbus_version.line,
				   "vmbus-version \"%s\" must be one of 2.4 3.0 4.0 4.1 5.0 5.1 5.2 5.3",
				   conf->vmbus_version.v);
	cfg->no_ic = !conf->ic_on;
	cfg->no_input = !conf->input_on;
	for (i = 0; i < conf->ndisks; i++) {
		disk_args[2 * i] = "--disk";
		disk_args[2 * i + 1] = conf->disk[i].v;
	}
	*ndisks = conf->ndisks;
	return 0;
}

/* The VSP daemons live next to enl-host; opt is the option that skips one. */
static pid_t spawn_daemon(const char *name, const char *opt, const char *socket,
			  const char *const *extra, unsigned int nextra)
{
	char self[PATH_MAX], path[PATH_MAX + 16];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	pid_t pid;

	if (n < 0) {
		enl_err("cannot find my own binary: %s", strerror(errno));
		return -1;
	}
	self[n] = 0;
	snprintf(path, sizeof(path), "%s/%s", dirname(self), name);
	if (access(path, X_OK) < 0) {
		enl_err("cannot run %s: %s (install it next to enl-host, or pass %s)",
			path, strerror(errno), opt);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		enl_err("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		sigset_t all;

		sigemptyset(&all);
		pthread_sigmask(SIG_SETMASK, &all, NULL);
		/* stdout is the guest's console: daemons log to stderr. */
		dup2(STDERR_FILENO, STDOUT_FILENO);
		{
			const char *argv[4 + 2 * MAX_DISKS];
			unsigned int i, n = 0;

			argv[n++] = path;
			argv[n++] = "--vm";
			argv[n++] = socket;
			for (i = 0; i < nextra && n + 1 < sizeof(argv) / sizeof(argv[0]); i++)
				argv[n++] = extra[i];
			argv[n] = NULL;
			execv(path, (char *const *)argv);
		}
		_exit(127);
	}
	return pid;
}

static int make_socket_dir(const char *socket)
{
	char dir[PATH_MAX];

	if (strlen(socket) >= sizeof(dir))
		return 0;
	strcpy(dir, socket);
	dirname(dir);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		enl_err("--socket %s: cannot create %s: %s", socket, dir,
			strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "memory", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 's' },
		{ "no-ic", no_argument, NULL, 'N' },
		{ "no-input", no_argument, NULL, 'I' },
		{ "vmbus-version", required_argument, NULL, 'V' },
		{ "disk", required_argument, NULL, 'D' },
		{ "nic", required_argument, NULL, 'T' },
		{ "config", required_argument, NULL, 'C' },
		{ "daemons", required_argument, NULL, 'E' },
		{ "check-kvm", no_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vm_config cfg = {
		.cmdline = DEFAULT_CMDLINE,
		.mem_size = DEFAULT_MEM,
		.ncpus = 1,
		.socket = DEFAULT_SOCKET,
	};
	pid_t ic_pid = -1, hid_pid = -1, stor_pid = -1, net_pid = -1;
	/* enl-netvsp's arguments: "--nic", SPEC pairs */
	const char *nic_args[2 * MAX_NICS];
	unsigned int nnics = 0;
	bool cmdline_nics = false;
	/* enl-storvsp's arguments: "--disk", SPEC pairs */
	const char *disk_args[2 * MAX_DISKS];
	bool lun_used[MAX_DISKS] = { false };
	unsigned int ndisks = 0;
	/* the VM file; options given beside it override its keys */
	static struct vmconf conf;
	const char *conf_path = NULL;
	static char conf_socket[PATH_MAX];
	bool cmdline_disks = false, external = false;
	struct vm vm = { .kvm_fd = -1 };
	struct sysinfo si;
	sigset_t sigs;
	char *end;
	unsigned long n;
	int c, sig_fd, status;

	opterr = 0;
	/* First pass: only --config, so that every other option overrides it
	 * wherever it stands; mistakes are reported by the second pass. */
	while ((c = getopt_long(argc, argv, ":k:i:c:m:p:s:h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return 0;
		}
		if (c == 'C') {
			if (conf_path)
				return usage_error("--config %s: one VM file only", optarg);
			conf_path = optarg;
		}
	}
	if (conf_path) {
		if (vmconf_load(&conf, conf_path, true) < 0) {
			enl_err("%s", conf.err);
			return ENL_EXIT_USAGE;
		}
		if (apply_conf(&conf, &cfg, disk_args, &ndisks, conf_socket,
			       sizeof(conf_socket)) < 0) {
			enl_err("%s", conf.err);
			return ENL_EXIT_USAGE;
		}
		external = conf.external;
		for (nnics = 0; nnics < conf.nnics && nnics < MAX_NICS; nnics++) {
			struct netvsp_nic_spec spec;
			char why[512];

			/* enl-netvsp's own parser, so that it will not refuse it */
			if (netvsp_spec_parse(conf.nic[nnics].v, &spec, why, sizeof(why))) {
				enl_err("%s:%u: nic: %s", conf.path, conf.nic[nnics].line, why);
				return ENL_EXIT_USAGE;
			}
			nic_args[2 * nnics] = "--nic";
			nic_args[2 * nnics + 1] = conf.nic[nnics].v;
		}
	}
	optind = 0;
	while ((c = getopt_long(argc, argv, ":k:i:c:m:p:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'C':
			break;
		case 'E':
			if (!strcmp(optarg, "external"))
				external = true;
			else if (!strcmp(optarg, "spawn"))
				external = false;
			else
				return usage_error("--daemons '%s' must be spawn or external",
						   optarg);
			break;
		case 'k':
			cfg.kernel = optarg;
			break;
		case 'i':
			cfg.initrd = optarg;
			break;
		case 'c':
			cfg.cmdline = optarg;
			break;
		case 'm':
			if (vmconf_parse_size(optarg, &cfg.mem_size) < 0)
				return usage_error("--memory '%s' is not a size like 512M or 2G",
						   optarg);
			break;
		case 'p':
			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || n < 1 || n > MAX_CPUS)
				return usage_error("--cpus '%s' must be a number from 1 to 255",
						   optarg);
			cfg.ncpus = (unsigned int)n;
			break;
		case 's':
			cfg.socket = optarg;
			break;
		case 'N':
			cfg.no_ic = true;
			break;
		case 'I':
			cfg.no_input = true;
			break;
		case 'V':
			if (vmbus_server_parse_version(optarg, &cfg.vmbus_version) < 0)
				return usage_error("--vmbus-version '%s' must be one of 2.4 3.0 4.0 4.1 5.0 5.1 5.2 5.3",
						   optarg);
			break;
		case 'D': {
			struct storvsp_disk_spec spec;
			char why[512];

			/* --disk replaces the VM file's disks */
			if (!cmdline_disks) {
				cmdline_disks = true;
				ndisks = 0;
			}
			if (ndisks >= MAX_DISKS)
				return usage_error("more than %s --disk options", "64");
			if (storvsp_spec_parse(optarg, &spec, why, sizeof(why)))
				return usage_error("%s", why);
			if (spec.lun >= 0 && lun_used[spec.lun])
				return usage_error("--disk %s: that lun is given twice", optarg);
			if (spec.lun >= 0)
				lun_used[spec.lun] = true;
			if (access(spec.path, spec.ro ? R_OK : R_OK | W_OK) < 0) {
				enl_err("--disk %s: cannot %s it: %s", spec.path,
					spec.ro ? "read" : "read and write", strerror(errno));
				return ENL_EXIT_USAGE;
			}
			disk_args[2 * ndisks] = "--disk";
			disk_args[2 * ndisks + 1] = optarg;
			ndisks++;
			break;
		}
		case 'T': {
			struct netvsp_nic_spec spec;
			char why[512];
			unsigned int i;

			/* --nic replaces the VM file's NICs */
			if (!cmdline_nics) {
				cmdline_nics = true;
				nnics = 0;
			}
			if (nnics >= MAX_NICS)
				return usage_error("more than %s --nic options", "8");
			if (netvsp_spec_parse(optarg, &spec, why, sizeof(why)))
				return usage_error("%s", why);
			for (i = 0; i < nnics; i++) {
				struct netvsp_nic_spec other;

				if (!netvsp_spec_parse(nic_args[2 * i + 1], &other, why,
						       sizeof(why)) &&
				    !strcmp(other.tap, spec.tap))
					return usage_error("--nic %s: that tap is given twice",
							   optarg);
			}
			nic_args[2 * nnics] = "--nic";
			nic_args[2 * nnics + 1] = optarg;
			nnics++;
			break;
		}
		case 'K':
			return check_kvm();
		case 'h':
			fputs(usage, stdout);
			return 0;
		case ':':
			return usage_error("option %s needs a value",
					   argv[optind - 1]);
		default:
			return usage_error("unknown option %s",
					   argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!cfg.kernel)
		return usage_error("%s", "no kernel: give --kernel BZIMAGE");
	if (cfg.mem_size < MIN_MEM) {
		enl_err("--memory %" PRIu64 " KiB is too little: a guest needs at least %llu MiB",
			cfg.mem_size >> 10, MIN_MEM >> 20);
		return ENL_EXIT_ERROR;
	}
	if (cfg.mem_size & 0xfff) {
		enl_err("--memory must be a whole number of 4 KiB pages");
		return ENL_EXIT_ERROR;
	}
	if (!sysinfo(&si) &&
	    cfg.mem_size > (uint64_t)si.totalram * si.mem_unit) {
		enl_err("--memory %" PRIu64 " MiB is more than this host has (%llu MiB)",
			cfg.mem_size >> 20,
			(unsigned long long)si.totalram * si.mem_unit >> 20);
		return ENL_EXIT_ERROR;
	}
	if (boot_check_kernel(cfg.kernel) < 0)
		return ENL_EXIT_ERROR;
	if (cfg.initrd && access(cfg.initrd, R_OK) < 0) {
		enl_err("cannot open initrd %s: %s", cfg.initrd, strerror(errno));
		return ENL_EXIT_ERROR;
	}

	/* Signals arrive through a signalfd, in the main loop only. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	sig_fd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sig_fd < 0) {
		enl_err("signalfd: %s", strerror(errno));
		return ENL_EXIT_ERROR;
	}

	if (make_socket_dir(cfg.socket) < 0)
		return ENL_EXIT_ERROR;
	if (vm_create(&vm, &cfg) < 0 || boot_load(&vm, &cfg) < 0) {
		vm_destroy(&vm);
		return ENL_EXIT_ERROR;
	}
	if (external) {
		/* their units start them; they wait for the socket */
		cfg.no_ic = cfg.no_input = true;
		ndisks = 0;
		nnics = 0;
	}
	if (!cfg.no_ic) {
		ic_pid = spawn_daemon("enl-icvsp", "--no-ic", cfg.socket, NULL, 0);
		if (ic_pid < 0) {
			vm_destroy(&vm);
			return ENL_EXIT_ERROR;
		}
	}
	/* Hyper-V always offers the mouse and keyboard: so do we. */
	if (!cfg.no_input) {
		hid_pid = spawn_daemon("enl-hidvsp", "--no-input", cfg.socket, NULL, 0);
		if (hid_pid < 0) {
			if (ic_pid > 0) {
				kill(ic_pid, SIGTERM);
				waitpid(ic_pid, NULL, 0);
			}
			vm_destroy(&vm);
			return ENL_EXIT_ERROR;
		}
	}
	if (ndisks) {
		stor_pid = spawn_daemon("enl-storvsp", "no --disk", cfg.socket,
					disk_args, 2 * ndisks);
		if (stor_pid < 0) {
			if (ic_pid > 0)
				kill(ic_pid, SIGTERM);
			if (hid_pid > 0)
				kill(hid_pid, SIGTERM);
			if (ic_pid > 0)
				waitpid(ic_pid, NULL, 0);
			if (hid_pid > 0)
				waitpid(hid_pid, NULL, 0);
			vm_destroy(&vm);
			return ENL_EXIT_ERROR;
		}
	}
	if (nnics) {
		net_pid = spawn_daemon("enl-netvsp", "no --nic", cfg.socket,
				       nic_args, 2 * nnics);
		if (net_pid < 0) {
			pid_t pids[3] = { ic_pid, hid_pid, stor_pid };
			unsigned int i;

			for (i = 0; i < 3; i++)
				if (pids[i] > 0)
					kill(pids[i], SIGTERM);
			for (i = 0; i < 3; i++)
				if (pids[i] > 0)
					waitpid(pids[i], NULL, 0);
			vm_destroy(&vm);
			return ENL_EXIT_ERROR;
		}
	}
	status = run_vm(&vm, sig_fd);
	if (net_pid > 0)
		kill(net_pid, SIGTERM);
	if (stor_pid > 0)
		kill(stor_pid, SIGTERM);
	if (ic_pid > 0)
		kill(ic_pid, SIGTERM);
	if (hid_pid > 0)
		kill(hid_pid, SIGTERM);
	if (ic_pid > 0)
		waitpid(ic_pid, NULL, 0);
	if (hid_pid > 0)
		waitpid(hid_pid, NULL, 0);
	if (stor_pid > 0)
		waitpid(stor_pid, NULL, 0);
	if (net_pid > 0)
		waitpid(net_pid, NULL, 0);
	vm_destroy(&vm);
	close(sig_fd);
	return status;
}
