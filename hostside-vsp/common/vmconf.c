// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VM file (vmconf.h): one table of keys, each with its checker, so a
 * new device is one entry.
 */
#include "vmconf.h"
#include "hostside-vsp/storvsp/storvsp.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FILE	(1u << 20)	/* a VM file is a few lines */

int vmconf_fail(struct vmconf *c, unsigned int line, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	if (line)
		snprintf(c->err, sizeof(c->err), "%s:%u: ", c->path, line);
	else
		snprintf(c->err, sizeof(c->err), "%s: ", c->path);
	n = strlen(c->err);
	va_start(ap, fmt);
	vsnprintf(c->err + n, sizeof(c->err) - n, fmt, ap);
	va_end(ap);
	return -1;
}

int vmconf_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 20;	/* a bare number is MiB */

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	case '\0': break;
	default: return -1;
	}
	if ((*end == 'i' || *end == 'I') && (end[1] == 'B' || end[1] == 'b'))
		end += 2;
	else if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static bool name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (!n || n > max || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

int vmconf_socket_of(const char *vm, char *out, size_t len)
{
	int n;

	if (strchr(vm, '/'))
		n = snprintf(out, len, "%s", vm);
	else if (!name_ok(vm, 200))
		return -1;
	else
		n = snprintf(out, len, VMCONF_RUN_DIR "/%s.sock", vm);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* ---- the keys ------------------------------------------------------------ */

struct key;
typedef int (*check_fn)(struct vmconf *c, const struct key *k,
			struct vmconf_str *s);

struct key {
	const char *name;
	size_t off;		/* of the struct vmconf_str (first, if many) */
	size_t count_off;	/* repeatable: the unsigned count; else 0 */
	unsigned int max;	/* repeatable: how many */
	bool path;		/* relative to the file's folder */
	check_fn check;
	const char *help;	/* what a value looks like, for errors */
};

static int check_any(struct vmconf *c, const struct key *k, struct vmconf_str *s)
{
	return 0;
}

static int check_size(struct vmconf *c, const struct key *k, struct vmconf_str *s)
{
	if (vmconf_parse_size(s->v, &c->memory) < 0)
		return vmconf_fail(c, s->line, "%s \"%s\" is not a size like 512M or 2G",
				   k->name, s->v);
	return 0;
}

static int check_cpus(struct vmconf *c, const struct key *k, struct vmconf_str *s)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s->v, &end, 10);
	if (!isdigit((unsigned char)*s->v) || errno || *end || n < 1 || n > 255)
		return vmconf_fail(c, s->line, "%s \"%s\" must be a number from 1 to 255",
				   k->name, s->v);
	c->cpus = (unsigned int)n;
	return 0;
}

static int yes_no(const char *v)
{
	static const char *const yes[] = { "yes", "on", "true", "1" };
	static const char *const no[] = { "no", "off", "false", "0" };
	unsigned int i;

	for (i = 0; i < 4; i++) {
		if (!strcmp(v, yes[i]))
			return 1;
		if (!strcmp(v, no[i]))
			return 0;
	}
	return -1;
}

static int check_bool(struct vmconf *c, const struct key *k, struct vmconf_str *s)
{
	int b = yes_no(s->v);

	if (b < 0)
		return vmconf_fail(c, s->line, "%s \"%s\" must be yes or no", k->name, s->v);
	if (s == &c->ic)
		c->ic_on = b;
	else
		c->input_on = b;
	return 0;
}

static int check_daemons(struct vmconf *c, const struct key *k, struct vmconf_str *s)
{
	if (!strcmp(s->v, "spawn"))
		c->external = false;
	else if (!strcmp(s->v, "external"))
		c->external = true;
	else
		return vmconf_fail(c, s->line,
				   "%s \"%s\" must be spawn (enl-host starts them) or external (their units do)",
				   k->name, s->v);
	return 0;
}

static int check_disk(struct vmconf *c, const struct key *k, struct vmconf_str *s)
{
	struct storvsp_disk_spec *sp = malloc(sizeof(*sp));
	char why[512];
	int r = 0;

	if (!sp)
		return vmconf_fail(c, s->line, "out of memory");
	if (storvsp_spec_parse(s->v, sp, why, sizeof(why)))
		/* why names "--disk": say it the file's way */
		r = vmconf_fail(c, s->line, "disk \"%s\": %s", s->v,
				strncmp(why, "--disk ", 7) ? why : why + 7);
	free(sp);
	return r;
}

static int check_nic(struct vmconf *c, const struct key *k, struct vmconf_str *s)
{
	if (strncmp(s->v, "tap=", 4) || !s->v[4])
		return vmconf_fail(c, s->line, "nic \"%s\" must be tap=NAME[,mac=MAC]", s->v);
	return 0;
}

#define ONE(n, f, fn)	{ n, offsetof(struct vmconf, f), 0, 1, false, fn, NULL }
#define PATH(n, f)	{ n, offsetof(struct vmconf, f), 0, 1, true, check_any, NULL }
#define MANY(n, f, cnt, m, p, fn) \
	{ n, offsetof(struct vmconf, f), offsetof(struct vmconf, cnt), m, p, fn, NULL }

static const struct key keys[] = {
	PATH("kernel", kernel),
	PATH("initrd", initrd),
	ONE("cmdline", cmdline, check_any),
	ONE("memory", memory_text, check_size),
	ONE("cpus", cpus_text, check_cpus),
	PATH("socket", socket),
	ONE("vmbus-version", vmbus_version, check_any),
	ONE("ic", ic, check_bool),
	ONE("input", input, check_bool),
	ONE("daemons", daemons, check_daemons),
	MANY("disk", disk, ndisks, VMCONF_MAX_DISKS, true, check_disk),
	MANY("nic", nic, nnics, VMCONF_MAX_NICS, false, check_nic),
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* Edit distance, for "did you mean"; keys are short. */
static unsigned int distance(const char *a, const char *b)
{
	unsigned int d[32][32], i, j;
	size_t la = strlen(a), lb = strlen(b);

	if (la > 31 || lb > 31)
		return 99;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			unsigned int m = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < m)
				m = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < m)
				m = d[i][j - 1] + 1;
			d[i][j] = m;
		}
	return d[la][lb];
}

static int unknown_key(struct vmconf *c, unsigned int line, const char *key)
{
	const char *best = NULL;
	unsigned int i, bd = 3;

	for (i = 0; i < NKEYS; i++) {
		unsigned int d = distance(key, keys[i].name);

		/* "mem" for "memory" */
		if (strlen(key) >= 2 && !strncmp(keys[i].name, key, strlen(key)))
			d = 1;

		if (d < bd) {
			bd = d;
			best = keys[i].name;
		}
	}
	if (best)
		return vmconf_fail(c, line, "unknown key \"%s\"; did you mean \"%s\"?",
				   key, best);
	return vmconf_fail(c, line, "unknown key \"%s\"", key);
}

/* A relative path (a disk's up to its first comma) joined to the folder. */
static char *resolve(const struct vmconf *c, const char *v)
{
	const char *slash = strrchr(c->path, '/');
	size_t dl = slash ? (size_t)(slash - c->path) : 0;
	char *out;

	if (v[0] == '/' || !slash)
		return strdup(v);
	out = malloc(dl + 1 + strlen(v) + 1);
	if (out)
		sprintf(out, "%.*s/%s", (int)dl, c->path, v);
	return out;
}

static int set_key(struct vmconf *c, unsigned int line, const char *key,
		   const char *val)
{
	const struct key *k = NULL;
	struct vmconf_str *s;
	unsigned int i;

	for (i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].name, key))
			k = &keys[i];
	if (!k)
		return unknown_key(c, line, key);
	s = (struct vmconf_str *)((char *)c + k->off);
	if (k->count_off) {
		unsigned int *cnt = (unsigned int *)((char *)c + k->count_off);

		if (*cnt >= k->max)
			return vmconf_fail(c, line, "more than %u %s lines", k->max, key);
		s += (*cnt)++;
	} else if (s->line) {
		return vmconf_fail(c, line, "%s is given twice (first on line %u)",
				   key, s->line);
	}
	if (!*val)
		return vmconf_fail(c, line, "%s has no value", key);
	s->line = line;
	s->v = k->path ? resolve(c, val) : strdup(val);
	if (!s->v)
		return vmconf_fail(c, line, "out of memory");
	return k->check(c, k, s);
}

static int check_luns(struct vmconf *c)
{
	unsigned int used[VMCONF_MAX_DISKS] = { 0 };	/* line of the owner */
	struct storvsp_disk_spec *sp = malloc(sizeof(*sp));
	char why[512];
	unsigned int i;

	if (!sp)
		return vmconf_fail(c, 0, "out of memory");
	for (i = 0; i < c->ndisks; i++) {
		if (storvsp_spec_parse(c->disk[i].v, sp, why, sizeof(why)) ||
		    sp->lun < 0)
			continue;
		if (used[sp->lun]) {
			vmconf_fail(c, c->disk[i].line,
				    "disk \"%s\": lun %d is already the disk's on line %u",
				    c->disk[i].v, sp->lun, used[sp->lun]);
			free(sp);
			return -1;
		}
		used[sp->lun] = c->disk[i].line;
	}
	free(sp);
	return 0;
}

int vmconf_parse(struct vmconf *c, const char *path, const char *text)
{
	const char *p = text, *base;
	unsigned int line = 0;
	size_t n;

	memset(c, 0, sizeof(*c));
	c->ic_on = c->input_on = true;
	snprintf(c->path, sizeof(c->path), "%s", path);
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 5 && !strcmp(base + n - 5, ".conf"))
		n -= 5;
	snprintf(c->name, sizeof(c->name), "%.*s", (int)n, base);

	while (*p) {
		char buf[VMCONF_VALUE_MAX + 256], *key, *val, *e, *eq;
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		line++;
		if (len >= sizeof(buf))
			return vmconf_fail(c, line, "line longer than %zu bytes", sizeof(buf) - 1);
		memcpy(buf, p, len);
		buf[len] = 0;
		p += len + (nl ? 1 : 0);
		for (e = buf; *e; e++)
			if ((unsigned char)*e < 0x20 && *e != '\t' && *e != '\r')
				return vmconf_fail(c, line, "control character 0x%02x in the line",
						   (unsigned char)*e);
		for (key = buf; *key == ' ' || *key == '\t'; key++)
			;
		if (!*key || *key == '#' || !strcmp(key, "\r"))
			continue;
		eq = strchr(key, '=');
		if (!eq)
			return vmconf_fail(c, line, "expected \"key = value\"");
		for (e = eq; e > key && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		*e = 0;
		if (!*key)
			return vmconf_fail(c, line, "no key before \"=\"");
		for (val = eq + 1; *val == ' ' || *val == '\t'; val++)
			;
		for (e = val + strlen(val);
		     e > val && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'); e--)
			;
		*e = 0;
		if (*val == '"') {
			if (e - val < 2 || e[-1] != '"')
				return vmconf_fail(c, line, "value opens a quote it does not close");
			e[-1] = 0;
			val++;
		}
		if (strlen(val) >= VMCONF_VALUE_MAX)
			return vmconf_fail(c, line, "value longer than %d bytes",
					   VMCONF_VALUE_MAX - 1);
		if (set_key(c, line, key, val) < 0)
			return -1;
	}
	return check_luns(c);
}

static int can_open(struct vmconf *c, const struct vmconf_str *s, const char *key,
		    const char *file, bool rw)
{
	if (access(file, rw ? R_OK | W_OK : R_OK) < 0)
		return vmconf_fail(c, s->line, "%s \"%s\": cannot %s it: %s", key, file,
				   rw ? "read and write" : "read", strerror(errno));
	return 0;
}

int vmconf_check_files(struct vmconf *c)
{
	struct storvsp_disk_spec *sp;
	char why[512];
	unsigned int i;
	int r = 0;

	if (c->kernel.line && can_open(c, &c->kernel, "kernel", c->kernel.v, false))
		return -1;
	if (c->initrd.line && can_open(c, &c->initrd, "initrd", c->initrd.v, false))
		return -1;
	sp = malloc(sizeof(*sp));
	if (!sp)
		return vmconf_fail(c, 0, "out of memory");
	for (i = 0; i < c->ndisks && !r; i++) {
		if (storvsp_spec_parse(c->disk[i].v, sp, why, sizeof(why)))
			r = vmconf_fail(c, c->disk[i].line, "disk \"%s\": %s", c->disk[i].v, why);
		else
			r = can_open(c, &c->disk[i], "disk", sp->path, !sp->ro);
	}
	free(sp);
	return r;
}

int vmconf_load(struct vmconf *c, const char *path, bool files)
{
	FILE *f = fopen(path, "r");
	char *text;
	size_t n;
	int r;

	if (!f) {
		memset(c, 0, sizeof(*c));
		snprintf(c->path, sizeof(c->path), "%s", path);
		return vmconf_fail(c, 0, "cannot open it: %s", strerror(errno));
	}
	text = malloc(MAX_FILE + 1);
	if (!text) {
		fclose(f);
		memset(c, 0, sizeof(*c));
		snprintf(c->path, sizeof(c->path), "%s", path);
		return vmconf_fail(c, 0, "out of memory");
	}
	n = fread(text, 1, MAX_FILE + 1, f);
	if (ferror(f) || n > MAX_FILE) {
		int e = ferror(f) ? errno : EFBIG;

		fclose(f);
		free(text);
		memset(c, 0, sizeof(*c));
		snprintf(c->path, sizeof(c->path), "%s", path);
		return vmconf_fail(c, 0, "cannot read it: %s", strerror(e));
	}
	fclose(f);
	text[n] = 0;
	if (strlen(text) != n) {
		free(text);
		memset(c, 0, sizeof(*c));
		snprintf(c->path, sizeof(c->path), "%s", path);
		return vmconf_fail(c, 0, "NUL byte in the file: not a VM file");
	}
	r = vmconf_parse(c, path, text);
	free(text);
	if (!r && files)
		r = vmconf_check_files(c);
	return r;
}

int vmconf_daemon_socket(const char *prog, const char *vm, const char *conf_path,
			 struct vmconf *c, char *sock, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->ic_on = c->input_on = true;
	if (conf_path && vmconf_load(c, conf_path, false) < 0) {
		fprintf(stderr, "%s: %s\n", prog, c->err);
		return -1;
	}
	if (vm) {
		if (vmconf_socket_of(vm, sock, len) < 0) {
			fprintf(stderr, "%s: --vm \"%s\" is neither a socket path nor a VM name ([A-Za-z0-9_.-])\n",
				prog, vm);
			return -1;
		}
	} else if (conf_path && c->socket.line) {
		snprintf(sock, len, "%s", c->socket.v);
	} else if (conf_path) {
		if (vmconf_socket_of(c->name, sock, len) < 0) {
			fprintf(stderr, "%s: %s: the file name is no VM name: give --vm SOCKET\n",
				prog, conf_path);
			return -1;
		}
	} else {
		fprintf(stderr, "%s: --vm SOCKET|NAME or --config FILE is required (try --help)\n",
			prog);
		return -1;
	}
	return 0;
}

void vmconf_free(struct vmconf *c)
{
	unsigned int i, j;

	for (i = 0; i < NKEYS; i++) {
		struct vmconf_str *s = (struct vmconf_str *)((char *)c + keys[i].off);

		for (j = 0; j < keys[i].max; j++) {
			free(s[j].v);
			s[j].v = NULL;
		}
	}
	c->ndisks = c->nnics = 0;
}
