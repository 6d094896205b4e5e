// SPDX-License-Identifier: GPL-2.0-only
/*
 * VSS (backup) IC: `enlctl backup [DIR]` runs what a backup asks of the
 * guest, one request at a time, as Hyper-V does: HOT_BACKUP (may the
 * guest be backed up live?), FREEZE (the guest's daemon freezes its file
 * systems), with DIR a copy of every disk image into DIR while the guest
 * is frozen, then THAW.  enlctl learns the images from enl-storvsp and
 * passes them here ("backup DIR LUN PATH [LUN PATH]..."); everything else,
 * the thaw above all, is this daemon's: an enlctl that dies or gives up
 * changes nothing here.
 *
 * Each guest step has VSS_STEP_TIMEOUT_MS, the copy VSS_COPY_TIMEOUT_MS.
 * Everything that can be checked is checked before the FREEZE (DIR, the
 * images, no copy already there), so a refusal freezes nothing.  A
 * refused step ends the backup with the guest's status (a FREEZE the
 * guest refused is already undone by its daemon: no THAW).  A FREEZE left
 * unanswered gets a THAW anyway, sent and not waited for: a guest whose
 * daemon is merely slow reads it next and does not stay frozen.  The copy
 * runs in a child process (the channels keep being served meanwhile); a
 * copy that fails or overruns is killed, its files removed, and the guest
 * thawed before the failure is reported.  The channel closing or the
 * daemon stopping (vss_stop) also kills the copy and thaws.  Answers are
 * checked (a VSS response that still holds our operation); anything else
 * is dropped, so a guest that answers garbage times out like a silent one.
 *
 * A FREEZE outlives a daemon killed with -9: once its FREEZE succeeded
 * the guest has no limit of its own (hv_utils times only its daemon's
 * answer; hv_vss_daemon thaws by itself only when its device is reset,
 * and the channel stays open across our restart).  So before a FREEZE
 * goes out the daemon notes it, with the copies it will make, in
 * SOCKET.icvsp-vss.state; the backup's end removes the note.  A daemon
 * that finds the note when the channel negotiates again, on the same
 * enl-host (the socket's inode and mtime), removes the dead copy's files
 * and sends THAW.  A THAW the guest did not need is harmless: its daemon
 * passes over file systems that are not frozen.
 *
 * Command words: "backup" [DIR LUN PATH...].  Status: vss_state = idle |
 * hot-backup | freezing | copying | holding | thawing | done | failed |
 * timeout;
 * vss_last_result.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "icvsp.h"

/* the unit test builds this file with shorter ones */
#ifndef VSS_STEP_TIMEOUT_MS
#define VSS_STEP_TIMEOUT_MS	10000
#endif
#ifndef VSS_COPY_TIMEOUT_MS
#define VSS_COPY_TIMEOUT_MS	120000
#endif
#define VSS_POLL_MS		50	/* the copy's child is looked at */
#define VSS_MAX_DISKS		64	/* enl-storvsp's LUNs */
#define VSS_RESULT_MAX		8192	/* the child's report */

static const struct enl_ic_version vss_versions[] = ENL_IC_VSS_VERSIONS;

unsigned int vss_hold_ms;

/* One backup's state: where it is and what waits on the guest. */
enum vss_step {
	VSS_IDLE,		/* no backup under way */
	VSS_HOT_BACKUP,		/* HOT_BACKUP sent, answer due */
	VSS_FREEZING,		/* FREEZE sent, answer due */
	VSS_COPYING,		/* guest frozen, the child copies */
	VSS_HOLDING,		/* guest frozen, --vss-hold's wait */
	VSS_THAWING,		/* THAW sent (or being retried), answer due */
};

struct vss_disk {
	unsigned int lun;
	char src[PATH_MAX];
	char dst[PATH_MAX];
};

struct vss_state {
	enum vss_step step;
	u32 req_id;		/* operator command waiting; 0: none */
	u64 trans_id;		/* of the request whose answer is due */
	u64 started_ms;
	u64 frozen_ms;		/* FREEZE answered; 0: not frozen */
	u64 deadline_ms;	/* of the copy, or of an unsent THAW */
	u32 hbu_flags;		/* HOT_BACKUP's answer */
	bool thaw_unsent;	/* THAW not in the ring yet: retried */
	bool recovering;	/* thawing what a dead daemon froze */
	bool keep_note;		/* the guest may still be frozen */
	unsigned int removed;	/* partial copies of a dead daemon */
	/* the copy: ndisks 0 for a freeze-and-thaw only */
	char dir[PATH_MAX];
	unsigned int ndisks;
	struct vss_disk *disks;
	pid_t child;		/* 0: none */
	bool have_pipe;		/* pipe_fd is the child's report */
	int pipe_fd;
	int copy_err;		/* positive errno once the copy failed */
	size_t result_len;
	char result[VSS_RESULT_MAX];
};

static const char *const step_names[] = {
	[VSS_IDLE] = "idle", [VSS_HOT_BACKUP] = "hot-backup",
	[VSS_FREEZING] = "freezing", [VSS_COPYING] = "copying",
	[VSS_HOLDING] = "holding",
	[VSS_THAWING] = "thawing",
};

static void vss_set_step(struct ic_chan *ic, enum vss_step step)
{
	struct vss_state *vs = ic_priv(ic);

	vs->step = step;
	if (step != VSS_IDLE)
		ic_status(ic, "state", "%s", step_names[step]);
}

/* ---- the note of a FREEZE, for the next daemon ------------------------ */

#define VSS_NOTE_MAGIC	"enl-icvsp vss 1"

static bool vss_note_path(struct ic_chan *ic, char *buf, size_t len)
{
	int n;

	if (!ic->sock_path)
		return false;
	n = snprintf(buf, len, "%s.icvsp-vss.state", ic->sock_path);
	return n > 0 && (size_t)n < len;
}

static void vss_note_clear(struct ic_chan *ic)
{
	char path[PATH_MAX];

	if (vss_note_path(ic, path, sizeof(path)))
		unlink(path);
}

/* Before the FREEZE: what a successor must undo.  A failure is logged,
 * not fatal (only a daemon killed outright would need the note). */
static void vss_note_save(struct ic_chan *ic)
{
	struct vss_state *vs = ic_priv(ic);
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	struct stat st;
	unsigned int i;
	FILE *f;

	if (!vss_note_path(ic, path, sizeof(path)))
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (stat(ic->sock_path, &st) < 0 || !(f = fopen(tmp, "we"))) {
		vsp_err("vss: %s: %s (a daemon killed while the guest is frozen will not be followed by a THAW)",
			path, strerror(errno));
		return;
	}
	fprintf(f, VSS_NOTE_MAGIC "\nsocket %llu %lld %ld\n",
		(unsigned long long)st.st_ino, (long long)st.st_mtim.tv_sec,
		(long)st.st_mtim.tv_nsec);
	if (vs->ndisks)
		fprintf(f, "dir %s\n", vs->dir);
	for (i = 0; i < vs->ndisks; i++)
		fprintf(f, "copy %s\n", vs->disks[i].dst);
	if (fclose(f) || rename(tmp, path) < 0) {
		vsp_err("vss: %s: %s", path, strerror(errno));
		unlink(tmp);
	}
}

/*
 * At the negotiation: a note left by a daemon that died with the guest
 * (maybe) frozen?  Its copies are removed (only files under its DIR).
 * true: the note is ours to act on (vs->dir set, vs->removed counted).
 */
static bool vss_note_take(struct ic_chan *ic)
{
	struct vss_state *vs = ic_priv(ic);
	char path[PATH_MAX], line[PATH_MAX + 16];
	unsigned long long ino = 0;
	long long sec = -1;
	long nsec = -1;
	struct stat st;
	bool ours;
	size_t dl = 0;
	FILE *f;

	if (!vss_note_path(ic, path, sizeof(path)) || !(f = fopen(path, "re")))
		return false;
	ours = fgets(line, sizeof(line), f) && !strcmp(line, VSS_NOTE_MAGIC "\n") &&
	       fgets(line, sizeof(line), f) &&
	       sscanf(line, "socket %llu %lld %ld", &ino, &sec, &nsec) == 3 &&
	       stat(ic->sock_path, &st) == 0 && st.st_ino == ino &&
	       st.st_mtim.tv_sec == sec && st.st_mtim.tv_nsec == nsec;
	vs->dir[0] = '\0';
	while (ours && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "dir /", 5) && strlen(line + 4) < sizeof(vs->dir)) {
			strcpy(vs->dir, line + 4);
			dl = strlen(vs->dir);
		} else if (!strncmp(line, "copy ", 5) && dl &&
			   !strncmp(line + 5, vs->dir, dl) && line[5 + dl] == '/' &&
			   !strstr(line + 5, "/../") && unlink(line + 5) == 0) {
			vs->removed++;
		}
	}
	fclose(f);
	if (!ours)
		vsp_info("vss: %s is from another enl-host: removed", path);
	unlink(path);
	return ours;
}

static void vss_thaw(struct ic_chan *ic);

static void vss_ready(struct ic_chan *ic)
{
	struct vss_state *vs = ic_priv(ic);

	ic_status(ic, "state", "idle");
	if (!vss_note_take(ic))
		return;
	vsp_err("vss: a previous enl-icvsp ended during a backup%s%s (%u partial copies removed): thawing the guest",
		vs->dir[0] ? " into " : "", vs->dir, vs->removed);
	vs->recovering = true;
	vs->started_ms = vsp_now_ms();
	vss_note_save(ic);
	vs->ndisks = 0;
	vss_thaw(ic);
}

static int vss_send(struct ic_chan *ic, u8 op, enum vss_step step)
{
	struct vss_state *vs = ic_priv(ic);
	struct enl_ic_vss_msg m;
	int err;

	enl_ic_build_vss(&m, op);
	err = ic_send_request(ic, &m, sizeof(m), &vs->trans_id);
	if (err)
		return err;
	vss_set_step(ic, step);
	ic_timer(ic, VSS_STEP_TIMEOUT_MS);
	return 0;
}

/* The child's files: removed when the copy did not finish whole. */
static void vss_remove_copies(struct vss_state *vs)
{
	unsigned int i;

	for (i = 0; i < vs->ndisks; i++)
		unlink(vs->disks[i].dst);
}

static void vss_drain_pipe(struct vss_state *vs)
{
	ssize_t r;

	if (!vs->have_pipe)
		return;
	while (vs->result_len < sizeof(vs->result) - 1) {
		r = read(vs->pipe_fd, vs->result + vs->result_len,
			 sizeof(vs->result) - 1 - vs->result_len);
		if (r > 0)
			vs->result_len += (size_t)r;
		else if (r < 0 && errno == EINTR)
			continue;
		else
			break;
	}
	vs->result[vs->result_len] = '\0';
}

/* Stop the copy (if it runs) and take its files away. */
static void vss_kill_copy(struct vss_state *vs)
{
	if (vs->child > 0) {
		kill(vs->child, SIGKILL);
		while (waitpid(vs->child, NULL, 0) < 0 && errno == EINTR)
			;
		vs->child = 0;
		vss_remove_copies(vs);
	}
	if (vs->have_pipe)
		close(vs->pipe_fd);
	vs->have_pipe = false;
}

static void vss_forget(struct ic_chan *ic)
{
	struct vss_state *vs = ic_priv(ic);

	if (!vs->keep_note)
		vss_note_clear(ic);
	vs->keep_note = false;
	vs->recovering = false;
	vss_kill_copy(vs);
	free(vs->disks);
	vs->disks = NULL;
	vs->ndisks = 0;
	vs->req_id = 0;
	vs->frozen_ms = 0;
	vs->thaw_unsent = false;
	vs->step = VSS_IDLE;
}

static void vss_finish(struct ic_chan *ic, u32 err, const char *state,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void vss_finish(struct ic_chan *ic, u32 err, const char *state,
		       const char *fmt, ...)
{
	struct vss_state *vs = ic_priv(ic);
	char msg[300];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ic_timer(ic, 0);
	ic_status(ic, "state", "%s", state);
	ic_status(ic, "last_result", "%s", msg);
	if (err)
		vsp_err("vss: %s", msg);
	else
		vsp_info("vss: %s", msg);
	/* the copy's report after the one-line verdict */
	if (vs->req_id)
		vsp_command_reply(ic->v, vs->req_id, err, "%s\n%s", msg,
				  vs->ndisks ? vs->result : "");
	vss_forget(ic);
}

/*
 * THAW, now or (ring full) retried on the timer until the step's limit:
 * the guest must not stay frozen because one send failed.
 */
static void vss_thaw(struct ic_chan *ic)
{
	struct vss_state *vs = ic_priv(ic);
	int err = vss_send(ic, ENL_IC_VSS_THAW, VSS_THAWING);

	if (!err) {
		vs->thaw_unsent = false;
		return;
	}
	if (!vs->thaw_unsent) {
		vs->thaw_unsent = true;
		vs->deadline_ms = vsp_now_ms() + VSS_STEP_TIMEOUT_MS;
		vsp_err("vss: THAW not sent (%s): retrying", strerror(-err));
	}
	vss_set_step(ic, VSS_THAWING);
	if (vsp_now_ms() >= vs->deadline_ms) {
		vs->keep_note = true;
		vss_finish(ic, (u32)-err, "failed",
			   "THAW could not be sent for %u ms (%s): the guest may still be frozen",
			   VSS_STEP_TIMEOUT_MS, strerror(-err));
	} else {
		ic_timer(ic, VSS_POLL_MS);
	}
}

/* --vss-hold: the guest stays frozen a while before the THAW. */
static void vss_hold_or_thaw(struct ic_chan *ic)
{
	struct vss_state *vs = ic_priv(ic);
	u64 now = vsp_now_ms();

	if (vss_hold_ms && vs->step != VSS_HOLDING) {
		vsp_info("vss: holding the guest frozen %u ms (--vss-hold)", vss_hold_ms);
		vs->deadline_ms = now + vss_hold_ms;
		vss_set_step(ic, VSS_HOLDING);
	}
	if (vs->step == VSS_HOLDING && now < vs->deadline_ms) {
		ic_timer(ic, (unsigned int)(vs->deadline_ms - now));
		return;
	}
	vss_thaw(ic);
}

/* ---- the copy -------------------------------------------------------- */

static void child_say(int fd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void child_say(int fd, const char *fmt, ...)
{
	char line[PATH_MAX * 2 + 200];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0 && write(fd, line, (size_t)n < sizeof(line) ? (size_t)n :
			   sizeof(line) - 1) < 0)
		return;
}

/* In the child: every image, or none (a failure removes what was made). */
static int __attribute__((noreturn)) child_copy(struct vss_state *vs, int fd)
{
	struct img_copy_result r;
	char err[PATH_MAX * 2 + 100];
	unsigned int i, j;
	u64 t0;

	for (i = 0; i < vs->ndisks; i++) {
		const struct vss_disk *d = &vs->disks[i];

		t0 = vsp_now_ms();
		if (img_copy(d->src, d->dst, &r, err, sizeof(err))) {
			child_say(fd, "lun %u: %s\n", d->lun, err);
			for (j = 0; j < i; j++)
				unlink(vs->disks[j].dst);
			_exit(1);
		}
		child_say(fd, "lun %u: %s -> %s: %s, %llu bytes, %llu of data, %llu ms\n",
			  d->lun, d->src, d->dst,
			  r.reflinked ? "reflinked" : "copied",
			  (unsigned long long)r.size,
			  (unsigned long long)r.copied,
			  (unsigned long long)(vsp_now_ms() - t0));
	}
	_exit(0);
}

static int vss_start_copy(struct ic_chan *ic)
{
	struct vss_state *vs = ic_priv(ic);
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		return -e;
	}
	if (pid == 0) {
		/* a daemon killed outright takes its copy along */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		child_copy(vs, p[1]);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	vs->child = pid;
	vs->pipe_fd = p[0];
	vs->have_pipe = true;
	vs->deadline_ms = vsp_now_ms() + VSS_COPY_TIMEOUT_MS;
	vss_set_step(ic, VSS_COPYING);
	ic_timer(ic, VSS_POLL_MS);
	return 0;
}

/* COPYING, on the timer: the child done, or over its time? */
static void vss_poll_copy(struct ic_chan *ic)
{
	struct vss_state *vs = ic_priv(ic);
	int st;
	pid_t r;

	vss_drain_pipe(vs);
	r = waitpid(vs->child, &st, WNOHANG);
	if (r == 0 && vsp_now_ms() < vs->deadline_ms) {
		ic_timer(ic, VSS_POLL_MS);
		return;
	}
	if (r == 0) {
		vss_kill_copy(vs);
		vs->copy_err = ETIMEDOUT;
		snprintf(vs->result + vs->result_len,
			 sizeof(vs->result) - vs->result_len,
			 "copy not done within %u ms: stopped, its files removed\n",
			 VSS_COPY_TIMEOUT_MS);
	} else {
		vs->child = 0;
		vss_drain_pipe(vs);
		if (r < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
			/* a child that died on a signal removed nothing */
			vs->copy_err = EIO;
			vss_remove_copies(vs);
		}
	}
	if (vs->have_pipe)
		close(vs->pipe_fd);
	vs->have_pipe = false;
	vsp_info("vss: copy %s after %llu ms: thawing",
		 vs->copy_err ? "failed" : "done",
		 (unsigned long long)(vsp_now_ms() - vs->frozen_ms));
	vss_hold_or_thaw(ic);
}

/* ---- the command ----------------------------------------------------- */

static int vss_refuse(struct ic_chan *ic, u32 req_id, int err,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int vss_refuse(struct ic_chan *ic, u32 req_id, int err,
		      const char *fmt, ...)
{
	char msg[PATH_MAX + 200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vsp_command_reply(ic->v, req_id, (u32)err, "%s (nothing frozen)", msg);
	return -err;
}

/*
 * "DIR LUN PATH [LUN PATH]...": every check the copy could fail on that
 * can be made before the guest is frozen.  Copies are DIR/<image's file
 * name>, DIR/lun<N>-<name> where two images share a name.
 */
static int vss_parse_disks(struct ic_chan *ic, u32 req_id, int nw, char **w)
{
	struct vss_state *vs = ic_priv(ic);
	bool used[VSS_MAX_DISKS] = { false };
	struct stat st;
	unsigned int i, j, n;

	if (w[0][0] != '/' || strlen(w[0]) >= sizeof(vs->dir))
		return vss_refuse(ic, req_id, EINVAL, "backup: DIR must be an absolute path");
	if (stat(w[0], &st) < 0)
		return vss_refuse(ic, req_id, errno, "backup: %s: %s", w[0], strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return vss_refuse(ic, req_id, ENOTDIR, "backup: %s is not a directory", w[0]);
	if (access(w[0], W_OK | X_OK) < 0)
		return vss_refuse(ic, req_id, errno, "backup: cannot write into %s: %s",
				  w[0], strerror(errno));
	if (nw < 3 || (nw - 1) % 2)
		return vss_refuse(ic, req_id, EINVAL,
				  "backup: DIR takes LUN PATH pairs (the VM's disks)");
	n = (unsigned int)(nw - 1) / 2;
	if (n > VSS_MAX_DISKS)
		return vss_refuse(ic, req_id, EINVAL, "backup: more than %u disks", VSS_MAX_DISKS);
	vs->disks = calloc(n, sizeof(*vs->disks));
	if (!vs->disks)
		return vss_refuse(ic, req_id, ENOMEM, "backup: out of memory");
	vs->ndisks = n;
	snprintf(vs->dir, sizeof(vs->dir), "%s", w[0]);
	for (i = 0; i < n; i++) {
		struct vss_disk *d = &vs->disks[i];
		const char *lun = w[1 + 2 * i], *path = w[2 + 2 * i];
		char *end;
		unsigned long l;

		errno = 0;
		l = strtoul(lun, &end, 10);
		if (errno || *end || end == lun || lun[0] == '-' || l >= VSS_MAX_DISKS || used[l])
			return vss_refuse(ic, req_id, EINVAL, "backup: bad or repeated LUN \"%s\"", lun);
		used[l] = true;
		d->lun = (unsigned int)l;
		if (path[0] != '/' || strlen(path) >= sizeof(d->src))
			return vss_refuse(ic, req_id, EINVAL, "backup: lun %u: the image must be an absolute path",
					  d->lun);
		strcpy(d->src, path);
		if (stat(path, &st) < 0)
			return vss_refuse(ic, req_id, errno, "backup: lun %u: %s: %s", d->lun,
					  path, strerror(errno));
		if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
			return vss_refuse(ic, req_id, EINVAL,
					  "backup: lun %u: %s is neither a file nor a block device",
					  d->lun, path);
		if (access(path, R_OK) < 0)
			return vss_refuse(ic, req_id, errno, "backup: lun %u: cannot read %s: %s",
					  d->lun, path, strerror(errno));
	}
	for (i = 0; i < n; i++) {
		struct vss_disk *d = &vs->disks[i];
		char tmp[PATH_MAX];
		const char *name;
		bool dup = false;
		int len;

		strcpy(tmp, d->src);
		name = basename(tmp);
		for (j = 0; j < n; j++) {
			char t2[PATH_MAX];

			strcpy(t2, vs->disks[j].src);
			if (j != i && !strcmp(basename(t2), name))
				dup = true;
		}
		len = dup ? snprintf(d->dst, sizeof(d->dst), "%s/lun%u-%s", vs->dir, d->lun, name) :
			    snprintf(d->dst, sizeof(d->dst), "%s/%s", vs->dir, name);
		if (len < 0 || (size_t)len >= sizeof(d->dst))
			return vss_refuse(ic, req_id, ENAMETOOLONG, "backup: lun %u: copy's path too long",
					  d->lun);
		/* the note (vss_note_save) holds one path a line */
		if (strchr(d->dst, '\n'))
			return vss_refuse(ic, req_id, EINVAL, "backup: lun %u: a newline in the copy's path",
					  d->lun);
		if (lstat(d->dst, &st) == 0)
			return vss_refuse(ic, req_id, EEXIST, "backup: %s exists already", d->dst);
	}
	return 0;
}

static void vss_command(struct ic_chan *ic, u32 req_id, int nw, char **w)
{
	struct vss_state *vs = ic_priv(ic);
	int err;

	if (vs->step != VSS_IDLE) {
		vsp_command_reply(ic->v, req_id, EBUSY,
				  "a backup is under way already");
		return;
	}
	if (nw == 2) {
		vsp_command_reply(ic->v, req_id, EINVAL,
				  "backup DIR needs the VM's disks (LUN PATH pairs; enlctl finds them)");
		return;
	}
	vs->ndisks = 0;
	vs->result_len = 0;
	vs->result[0] = '\0';
	vs->copy_err = 0;
	if (nw > 2 && vss_parse_disks(ic, req_id, nw - 1, w + 1)) {
		vss_forget(ic);
		return;
	}
	vs->started_ms = vsp_now_ms();
	vs->hbu_flags = 0;
	err = vss_send(ic, ENL_IC_VSS_HOT_BACKUP, VSS_HOT_BACKUP);
	if (err) {
		vsp_command_reply(ic->v, req_id, (u32)-err,
				  "VSS request not sent: %s", strerror(-err));
		vss_forget(ic);
		return;
	}
	vs->req_id = req_id;
}

/* ---- the guest's answers ---------------------------------------------- */

static u8 step_op(enum vss_step s)
{
	return s == VSS_HOT_BACKUP ? ENL_IC_VSS_HOT_BACKUP :
	       s == VSS_FREEZING ? ENL_IC_VSS_FREEZE : ENL_IC_VSS_THAW;
}

static void vss_done(struct ic_chan *ic)
{
	struct vss_state *vs = ic_priv(ic);
	u64 now = vsp_now_ms();

	if (vs->recovering) {
		/* (status values hold 95 bytes: the short facts first) */
		vss_finish(ic, 0, "done",
			   "thawed after a restart (%u partial copies removed): a previous enl-icvsp died during a backup%s%s",
			   vs->removed, vs->dir[0] ? " into " : "", vs->dir);
		return;
	}
	if (vs->copy_err) {
		vss_finish(ic, (u32)vs->copy_err, "failed",
			   "backup into %s failed; guest froze and thawed its file systems (frozen %llu ms)",
			   vs->dir, (unsigned long long)(now - vs->frozen_ms));
		return;
	}
	if (vs->ndisks)
		vss_finish(ic, 0, "done",
			   "guest froze and thawed its file systems (%llu ms; frozen %llu ms; hot-backup flags %#x); %u disk(s) copied into %s",
			   (unsigned long long)(now - vs->started_ms),
			   (unsigned long long)(now - vs->frozen_ms), vs->hbu_flags,
			   vs->ndisks, vs->dir);
	else
		vss_finish(ic, 0, "done",
			   "guest froze and thawed its file systems (%llu ms; hot-backup flags %#x)",
			   (unsigned long long)(now - vs->started_ms), vs->hbu_flags);
}

static void vss_response(struct ic_chan *ic, const struct enl_icmsg_hdr *h,
			 u64 trans_id, const u8 *body, u32 body_len)
{
	struct vss_state *vs = ic_priv(ic);
	u8 op = step_op(vs->step);
	const char *what = enl_ic_vss_op_name(op);
	u32 status, flags;
	int err;

	if ((!vs->req_id && !vs->recovering) || trans_id != vs->trans_id || vs->thaw_unsent ||
	    (vs->step != VSS_HOT_BACKUP && vs->step != VSS_FREEZING &&
	     vs->step != VSS_THAWING)) {
		vsp_dbg("vss: unexpected answer dropped (transaction %llu)",
			(unsigned long long)trans_id);
		return;
	}
	if (enl_ic_vss_parse_answer(h, body, body_len, op, &status, &flags)) {
		/* not an answer to our step: the timer decides */
		vsp_err("vss: malformed answer to %s dropped (%u body bytes)",
			 what, body_len);
		return;
	}
	if (status != ENL_IC_STATUS_OK) {
		vs->keep_note = op == ENL_IC_VSS_THAW;
		/* hv_utils refuses HOT_BACKUP at once when no daemon is
		 * registered on /dev/vmbus/hv_vss */
		vss_finish(ic, EIO, "failed",
			   "guest refused %s (status %#x)%s", what, status,
			   op == ENL_IC_VSS_HOT_BACKUP ? ": no hv_vss_daemon running in the guest?" :
			   op == ENL_IC_VSS_FREEZE ? ": file systems not frozen" :
			   op == ENL_IC_VSS_THAW ? ": it may still be frozen" : "");
		return;
	}
	switch (vs->step) {
	case VSS_HOT_BACKUP:
		vs->hbu_flags = flags;
		vss_note_save(ic);
		err = vss_send(ic, ENL_IC_VSS_FREEZE, VSS_FREEZING);
		if (err)
			vss_finish(ic, (u32)-err, "failed",
				   "VSS request not sent: %s", strerror(-err));
		return;
	case VSS_FREEZING:
		vs->frozen_ms = vsp_now_ms();
		vsp_info("vss: guest frozen after %llu ms",
			 (unsigned long long)(vs->frozen_ms - vs->started_ms));
		if (vs->ndisks) {
			err = vss_start_copy(ic);
			if (!err)
				return;
			vs->copy_err = -err;
			snprintf(vs->result, sizeof(vs->result),
				 "copy not started: %s\n", strerror(-err));
			vs->result_len = strlen(vs->result);
		}
		vss_hold_or_thaw(ic);
		return;
	default:
		vss_done(ic);
		return;
	}
}

static void vss_timer(struct ic_chan *ic)
{
	struct vss_state *vs = ic_priv(ic);
	enum vss_step step = vs->step;

	if (!vs->req_id && step == VSS_IDLE)
		return;
	if (step == VSS_COPYING) {
		vss_poll_copy(ic);
		return;
	}
	if (step == VSS_HOLDING) {
		vss_hold_or_thaw(ic);
		return;
	}
	if (step == VSS_THAWING && vs->thaw_unsent) {
		vss_thaw(ic);
		return;
	}
	if (step == VSS_FREEZING) {
		/* the guest may be frozen, or freeze later: thaw it */
		struct enl_ic_vss_msg m;

		enl_ic_build_vss(&m, ENL_IC_VSS_THAW);
		ic_send_request(ic, &m, sizeof(m), NULL);
	}
	vs->keep_note = step == VSS_THAWING;
	vss_finish(ic, ETIMEDOUT, "timeout",
		   "guest did not answer %s within %u ms%s",
		   enl_ic_vss_op_name(step_op(step)), VSS_STEP_TIMEOUT_MS,
		   step == VSS_FREEZING ? " (THAW sent)" :
		   step == VSS_THAWING ? ": it may still be frozen" : "");
}

static void vss_close(struct ic_chan *ic)
{
	struct vss_state *vs = ic_priv(ic);

	if (vs->req_id)
		vsp_command_reply(ic->v, vs->req_id, EPIPE,
				  "the guest closed the VSS channel during %s%s",
				  step_names[vs->step],
				  vs->child > 0 ? " (copy stopped, its files removed)" : "");
	/* A guest that closes resets its daemon, which thaws by itself;
	 * but this is also the teardown of a daemon that stops: the note
	 * stays while the guest may be frozen (one THAW too many at the
	 * next negotiation does no harm). */
	vs->keep_note = vs->step == VSS_FREEZING || vs->step == VSS_COPYING ||
			vs->step == VSS_HOLDING || vs->step == VSS_THAWING;
	vss_forget(ic);
}

/* The daemon stops: a guest frozen by us is thawed on the way out. */
static void vss_stop(struct ic_chan *ic)
{
	struct vss_state *vs = ic_priv(ic);

	if (vs->step == VSS_FREEZING || vs->step == VSS_COPYING ||
	    vs->step == VSS_HOLDING ||
	    (vs->step == VSS_THAWING && vs->thaw_unsent)) {
		struct enl_ic_vss_msg m;

		vss_kill_copy(vs);
		enl_ic_build_vss(&m, ENL_IC_VSS_THAW);
		if (ic_send_request(ic, &m, sizeof(m), NULL)) {
			vs->keep_note = true;
			vsp_err("vss: stopping while the guest may be frozen, and THAW not sent");
		} else {
			vsp_err("vss: stopping during %s: THAW sent", step_names[vs->step]);
		}
	}
	if (vs->req_id)
		vsp_command_reply(ic->v, vs->req_id, EPIPE,
				  "enl-icvsp stopped during %s", step_names[vs->step]);
	vss_forget(ic);
}

const struct ic_service ic_vss = {
	.name = "vss",
	.if_type = ENL_GUID_VSS,
	/* 656e6c00-7673-4000-8000-000000000001 ("vs") */
	.default_instance = ENL_GUID(0x656e6c00, 0x7673, 0x4000, 0x80, 0x00,
				     0x00, 0x00, 0x00, 0x00, 0x00, 0x01),
	.msgtype = ENL_IC_MSG_VSS,
	.versions = vss_versions,
	.nversions = sizeof(vss_versions) / sizeof(vss_versions[0]),
	.priv_size = sizeof(struct vss_state),
	.on_ready = vss_ready,
	.on_response = vss_response,
	.on_timer = vss_timer,
	.on_close = vss_close,
	.on_stop = vss_stop,
	.command = "backup",
	.on_command = vss_command,
};
