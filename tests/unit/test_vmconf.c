// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of hostside-vsp/common/vmconf.c, the VM file: every key,
 * defaults, relative paths, and each mistake as one "FILE:LINE: ..." line
 * (unknown key with a suggestion, bad values, a key twice, a duplicate
 * LUN, a missing disk image or kernel, malformed lines).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "hostside-vsp/common/vmconf.h"

static struct vmconf c;
static char dir[64];
static char bin[4200];		/* build/bin */

static void put(const char *name, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	strcpy(dir, "/tmp/test_vmconf.XXXXXX");
	assert_non_null(mkdtemp(dir));
	put("bzImage", "k");
	put("initrd.img", "i");
	put("a.img", "");
	put("b.img", "");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Parse text as FILE "vm.conf"; returns the error line or "". */
static const char *parse(const char *text)
{
	vmconf_free(&c);
	if (vmconf_parse(&c, "vm.conf", text) < 0)
		return c.err;
	return "";
}

static const char *load(const char *name, const char *text)
{
	char p[256];

	put(name, text);
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	vmconf_free(&c);
	if (vmconf_load(&c, p, true) < 0)
		return strstr(c.err, name);	/* without the folder */
	return "";
}

static void test_every_key(void **state)
{
	char want[256];

	assert_string_equal(load("web.conf",
		"# a VM\n"
		"\n"
		"kernel = bzImage\n"
		"  initrd=initrd.img  \n"
		"cmdline = \"console=ttyS0 root=/dev/sda  quiet\"\n"
		"memory = 1G\n"
		"cpus = 2\n"
		"vmbus-version = 4.1\n"
		"ic = no\n"
		"input = off\n"
		"daemons = external\n"
		"disk = a.img,lun=3,serial=A1\n"
		"disk = /dev/null,ro\n"
		"nic = tap=tap0,mac=00:15:5d:00:00:01\r\n"
		"socket = /tmp/x.sock\n"), "");
	snprintf(want, sizeof(want), "%s/bzImage", dir);
	assert_string_equal(c.kernel.v, want);
	assert_int_equal(c.kernel.line, 3);
	snprintf(want, sizeof(want), "%s/initrd.img", dir);
	assert_string_equal(c.initrd.v, want);
	assert_string_equal(c.cmdline.v, "console=ttyS0 root=/dev/sda  quiet");
	assert_int_equal(c.memory, 1ull << 30);
	assert_int_equal(c.cpus, 2);
	assert_string_equal(c.vmbus_version.v, "4.1");
	assert_false(c.ic_on);
	assert_false(c.input_on);
	assert_true(c.external);
	assert_int_equal(c.ndisks, 2);
	snprintf(want, sizeof(want), "%s/a.img,lun=3,serial=A1", dir);
	assert_string_equal(c.disk[0].v, want);
	assert_string_equal(c.disk[1].v, "/dev/null,ro");
	assert_int_equal(c.disk[1].line, 13);
	assert_int_equal(c.nnics, 1);
	assert_string_equal(c.nic[0].v, "tap=tap0,mac=00:15:5d:00:00:01");
	assert_string_equal(c.socket.v, "/tmp/x.sock");
	assert_string_equal(c.name, "web");
}

static void test_defaults(void **state)
{
	assert_string_equal(parse(""), "");
	assert_true(c.ic_on);
	assert_true(c.input_on);
	assert_false(c.external);
	assert_int_equal(c.kernel.line, 0);
	assert_int_equal(c.ndisks, 0);
	assert_string_equal(c.name, "vm");
	assert_string_equal(parse("memory = 512\nmemory_x = 1\n"),
			    "vm.conf:2: unknown key \"memory_x\"; did you mean \"memory\"?");
	assert_string_equal(parse("memory = 512"), "");
	assert_int_equal(c.memory, 512ull << 20);
}

static void test_unknown_key(void **state)
{
	assert_string_equal(parse("kernel = /k\n\n\n\n\n\ndisks = a.img\n"),
			    "vm.conf:7: unknown key \"disks\"; did you mean \"disk\"?");
	assert_string_equal(parse("mem = 1G\n"),
			    "vm.conf:1: unknown key \"mem\"; did you mean \"memory\"?");
	assert_string_equal(parse("memroy = 1G\n"),
			    "vm.conf:1: unknown key \"memroy\"; did you mean \"memory\"?");
	assert_string_equal(parse("frobnicate = 1\n"),
			    "vm.conf:1: unknown key \"frobnicate\"");
	assert_string_equal(parse("Kernel = /k\n"),
			    "vm.conf:1: unknown key \"Kernel\"; did you mean \"kernel\"?");
}

static void test_bad_values(void **state)
{
	assert_string_equal(parse("memory = lots\n"),
			    "vm.conf:1: memory \"lots\" is not a size like 512M or 2G");
	assert_string_equal(parse("memory = -1G\n"),
			    "vm.conf:1: memory \"-1G\" is not a size like 512M or 2G");
	assert_string_equal(parse("memory = 99999999999999999999\n"),
			    "vm.conf:1: memory \"99999999999999999999\" is not a size like 512M or 2G");
	assert_string_equal(parse("cpus = 0\n"),
			    "vm.conf:1: cpus \"0\" must be a number from 1 to 255");
	assert_string_equal(parse("cpus = 256\n"),
			    "vm.conf:1: cpus \"256\" must be a number from 1 to 255");
	assert_string_equal(parse("cpus = +2\n"),
			    "vm.conf:1: cpus \"+2\" must be a number from 1 to 255");
	assert_string_equal(parse("ic = maybe\n"),
			    "vm.conf:1: ic \"maybe\" must be yes or no");
	assert_string_equal(parse("daemons = some\n"),
			    "vm.conf:1: daemons \"some\" must be spawn (enl-host starts them) or external (their units do)");
	assert_string_equal(parse("disk = a.img,lun=64\n"),
			    "vm.conf:1: disk \"a.img,lun=64\": a.img: lun '64' must be a number from 0 to 63");
	assert_string_equal(parse("disk = a.img,fast\n"),
			    "vm.conf:1: disk \"a.img,fast\": a.img: unknown option 'fast' (ro, lun=N, serial=S)");
	assert_string_equal(parse("nic = eth0\n"),
			    "vm.conf:1: nic \"eth0\" must be tap=NAME[,mac=MAC]");
	assert_string_equal(parse("kernel =\n"), "vm.conf:1: kernel has no value");
	assert_string_equal(parse("kernel = \"\"\n"), "vm.conf:1: kernel has no value");
}

static void test_syntax(void **state)
{
	char *big;

	assert_string_equal(parse("kernel /k\n"), "vm.conf:1: expected \"key = value\"");
	assert_string_equal(parse(" = /k\n"), "vm.conf:1: no key before \"=\"");
	assert_string_equal(parse("cmdline = \"abc\n"),
			    "vm.conf:1: value opens a quote it does not close");
	assert_string_equal(parse("cmdline = \"\n"),
			    "vm.conf:1: value opens a quote it does not close");
	assert_string_equal(parse("cmdline = a\x1b[2Jb\n"),
			    "vm.conf:1: control character 0x1b in the line");
	assert_string_equal(parse("kernel = /a\nkernel = /b\n"),
			    "vm.conf:2: kernel is given twice (first on line 1)");
	big = malloc(10000);
	assert_non_null(big);
	memset(big, 'x', 9999);
	big[9999] = 0;
	memcpy(big, "cmdline = ", 10);
	assert_string_equal(parse(big), "vm.conf:1: line longer than 4351 bytes");
	free(big);
}

static void test_too_many(void **state)
{
	char text[64 * 24 + 64];
	size_t n = 0;
	int i;

	for (i = 0; i < 65; i++)
		n += (size_t)sprintf(text + n, "disk = /d%d\n", i);
	assert_string_equal(parse(text), "vm.conf:65: more than 64 disk lines");
}

static void test_duplicate_lun(void **state)
{
	assert_string_equal(parse("disk = a.img,lun=1\n"
				  "disk = b.img\n"
				  "# the next takes lun 1 again\n"
				  "disk = c.img,ro,lun=1\n"),
			    "vm.conf:4: disk \"c.img,ro,lun=1\": lun 1 is already the disk's on line 1");
	assert_string_equal(parse("disk = a.img,lun=1\ndisk = b.img,lun=2\n"), "");
}

static void test_missing_files(void **state)
{
	assert_int_equal(strncmp(load("m1.conf", "kernel = bzImage\n"
						 "disk = a.img\n"
						 "disk = nothere.img,lun=2\n"),
				 "m1.conf:3: disk \"", 17), 0);
	assert_non_null(strstr(c.err, "/nothere.img\": cannot read and write it: No such file or directory"));
	assert_int_equal(strncmp(load("m2.conf", "kernel = vmlinuz-none\n"),
				 "m2.conf:1: kernel \"", 19), 0);
	assert_non_null(strstr(c.err, "/vmlinuz-none\": cannot read it: No such file or directory"));
	assert_string_equal(load("m3.conf", "initrd = /nonexistent/initrd\n"),
			    "m3.conf:1: initrd \"/nonexistent/initrd\": cannot read it: No such file or directory");
	/* without the file checks, the same file loads (a daemon's view) */
	vmconf_free(&c);
	{
		char p[256];

		snprintf(p, sizeof(p), "%s/m1.conf", dir);
		assert_int_equal(vmconf_load(&c, p, false), 0);
	}
	vmconf_free(&c);
	assert_int_equal(vmconf_load(&c, "/nonexistent/x.conf", true), -1);
	assert_string_equal(c.err, "/nonexistent/x.conf: cannot open it: No such file or directory");
}

static void test_socket_of(void **state)
{
	char s[64];

	assert_int_equal(vmconf_socket_of("web-1.a_b", s, sizeof(s)), 0);
	assert_string_equal(s, "/run/enlighten/web-1.a_b.sock");
	assert_int_equal(vmconf_socket_of("/tmp/x.sock", s, sizeof(s)), 0);
	assert_string_equal(s, "/tmp/x.sock");
	assert_int_equal(vmconf_socket_of("./x.sock", s, sizeof(s)), 0);
	assert_int_equal(vmconf_socket_of("..", s, sizeof(s)), -1);
	assert_int_equal(vmconf_socket_of("", s, sizeof(s)), -1);
	assert_int_equal(vmconf_socket_of("a b", s, sizeof(s)), -1);
	assert_int_equal(vmconf_socket_of("a$b", s, sizeof(s)), -1);
	assert_int_equal(vmconf_socket_of("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
					  s, sizeof(s)), -1);	/* too long for s */
}

/*
 * Run build/bin/PROG ARGS with stderr into a buffer: its exit status;
 * out gets stderr.
 */
static int run(char *out, size_t len, const char *prog, const char *a1,
	       const char *a2, const char *a3)
{
	char path[4300];
	int fd[2], st;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", bin, prog);
	assert_int_equal(pipe(fd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		dup2(fd[1], 2);
		close(fd[0]);
		execl(path, prog, a1, a2, a3, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	while (n + 1 < len && (r = read(fd[0], out + n, len - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = 0;
	close(fd[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* What a user sees: the real programs, one line each, exit 2. */
static void test_programs(void **state)
{
	char p[256], out[4096], want[512];

	put("e1.conf", "kernel = bzImage\n\n# disks\ndisks = a.img\n");
	snprintf(p, sizeof(p), "%s/e1.conf", dir);
	assert_int_equal(run(out, sizeof(out), "enl-host", "--config", p, NULL), 2);
	snprintf(want, sizeof(want),
		 "enl-host: %s:4: unknown key \"disks\"; did you mean \"disk\"?\n", p);
	assert_string_equal(out, want);

	put("e2.conf", "kernel = bzImage\ndisk = gone.img,lun=0\n");
	snprintf(p, sizeof(p), "%s/e2.conf", dir);
	assert_int_equal(run(out, sizeof(out), "enl-host", "--config", p, NULL), 2);
	snprintf(want, sizeof(want),
		 "enl-host: %s:2: disk \"%s/gone.img\": cannot read and write it: No such file or directory\n",
		 p, dir);
	assert_string_equal(out, want);

	put("e3.conf", "kernel = bzImage\ndisk = a.img,lun=5\ndisk = b.img,lun=5\n");
	snprintf(p, sizeof(p), "%s/e3.conf", dir);
	assert_int_equal(run(out, sizeof(out), "enl-host", "--config", p, NULL), 2);
	snprintf(want, sizeof(want),
		 "enl-host: %s:3: disk \"%s/b.img,lun=5\": lun 5 is already the disk's on line 2\n",
		 p, dir);
	assert_string_equal(out, want);
	/* the daemon that reads the same file says the same */
	assert_int_equal(run(out, sizeof(out), "enl-storvsp", "--config", p, NULL), 2);
	snprintf(want, sizeof(want),
		 "enl-storvsp: %s:3: disk \"%s/b.img,lun=5\": lun 5 is already the disk's on line 2\n",
		 p, dir);
	assert_string_equal(out, want);

	put("e4.conf", "kernel = bzImage\nvmbus-version = 6.0\n");
	snprintf(p, sizeof(p), "%s/e4.conf", dir);
	assert_int_equal(run(out, sizeof(out), "enl-host", "--config", p, NULL), 2);
	snprintf(want, sizeof(want),
		 "enl-host: %s:2: vmbus-version \"6.0\" must be one of 2.4 3.0 4.0 4.1 5.0 5.1 5.2 5.3\n",
		 p);
	assert_string_equal(out, want);

	/* a nic is checked with enl-netvsp's parser */
	put("e6.conf", "kernel = bzImage\nnic = tap=t0,mac=01:00:00:00:00:01\n");
	snprintf(p, sizeof(p), "%s/e6.conf", dir);
	assert_int_equal(run(out, sizeof(out), "enl-host", "--config", p, NULL), 2);
	snprintf(want, sizeof(want),
		 "enl-host: %s:2: nic: --nic tap=t0,mac=01:00:00:00:00:01: mac '01:00:00:00:00:01' must be a unicast XX:XX:XX:XX:XX:XX\n",
		 p);
	assert_string_equal(out, want);
	/* and enl-netvsp, which serves it, says the same */
	assert_int_equal(run(out, sizeof(out), "enl-netvsp", "--config", p, NULL), 2);
	snprintf(want, sizeof(want),
		 "enl-netvsp: %s:2: nic: --nic tap=t0,mac=01:00:00:00:00:01: mac '01:00:00:00:00:01' must be a unicast XX:XX:XX:XX:XX:XX\n",
		 p);
	assert_string_equal(out, want);

	/* a daemon whose part the VM does not want ends at once, status 0 */
	put("e5.conf", "kernel = bzImage\nic = no\n");
	snprintf(p, sizeof(p), "%s/e5.conf", dir);
	assert_int_equal(run(out, sizeof(out), "enl-icvsp", "--config", p, NULL), 0);
	assert_int_equal(run(out, sizeof(out), "enl-storvsp", "--config", p, NULL), 0);
	assert_non_null(strstr(out, "has no disk: nothing to serve"));
	assert_int_equal(run(out, sizeof(out), "enl-netvsp", "--config", p, NULL), 0);
	assert_non_null(strstr(out, "has no nic: nothing to serve"));
	assert_int_equal(run(out, sizeof(out), "enlctl", "--vm", "a/../b c", "status"), 1);
	assert_int_equal(run(out, sizeof(out), "enlctl", "--vm", "no such", "status"), 2);
	assert_string_equal(out,
			    "enlctl: --vm takes a socket path or a VM name ([A-Za-z0-9_.-]): no such (try --help)\n");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_duplicate_lun),
		cmocka_unit_test(test_missing_files),
		cmocka_unit_test(test_socket_of),
		cmocka_unit_test(test_programs),
	};
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	/* build/tests/unit/test_vmconf -> build/bin */
	if (n > 0) {
		self[n] = 0;
		*strrchr(self, '/') = 0;
		snprintf(bin, sizeof(bin), "%s/../../bin", self);
	}
	int r = cmocka_run_group_tests(tests, setup, teardown);

	vmconf_free(&c);
	return r;
}
