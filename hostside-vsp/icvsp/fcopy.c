// SPDX-License-Identifier: GPL-2.0-only
/*
 * File-copy IC: `enlctl copy HOSTFILE GUESTPATH [--overwrite]`.  One copy
 * at a time, one request at a time: START (names, flags, size), WRITE
 * chunks of 6 KiB in order, COMPLETE; every answer within
 * FC_REQ_TIMEOUT_MS.  A refused or silent step CANCELs the copy and fails
 * the command with the reason (EEXIST for a file there without
 * --overwrite, ENOSPC for a full disk).
 *
 * The offer's instance is the one 6.12's user-space daemon opens by name;
 * that daemon answers with transaction id ~0, so an answer while one
 * request waits is taken with either id.
 *
 * Command words: "copy HOSTPATH GUESTPATH [overwrite]" (HOSTPATH
 * absolute: enlctl resolves it).  Status: fcopy_state, fcopy_bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "icvsp.h"

#define FC_REQ_TIMEOUT_MS	10000
#define FC_RETRY_MS		2	/* the ring was full: try again */

static const struct enl_ic_version fc_versions[] = ENL_IC_FCOPY_VERSIONS;

enum fc_step { FC_IDLE, FC_START, FC_WRITE, FC_COMPLETE };

struct fc_state {
	u32 req_id;
	enum fc_step step;
	int fd;
	u64 size, offset;
	u32 last_len;		/* bytes in the WRITE that waits */
	u64 trans_id;
	u64 started_ms;
	char guest[ENL_IC_FCOPY_PATH_BYTES * 2];
	/* the request in flight (one of the static messages below) */
	const void *msg;
	u16 msg_len;
	bool retry;		/* not sent yet: the ring was full */
	u64 deadline_ms;
};

static struct enl_ic_fcopy_start fc_start_msg;
static struct enl_ic_fcopy_write fc_write_msg;
static struct enl_ic_fcopy_hdr fc_hdr_msg;

/* Put fc->msg into the ring; a full ring is retried from the timer. */
static int fc_xmit(struct ic_chan *ic)
{
	struct fc_state *fc = ic_priv(ic);
	int err = ic_send_request(ic, fc->msg, fc->msg_len, &fc->trans_id);

	fc->retry = err == -EAGAIN;
	if (err && !fc->retry)
		return err;
	ic_timer(ic, fc->retry ? FC_RETRY_MS : FC_REQ_TIMEOUT_MS);
	return 0;
}

static int fc_send(struct ic_chan *ic, const void *msg, u16 len)
{
	struct fc_state *fc = ic_priv(ic);

	fc->msg = msg;
	fc->msg_len = len;
	fc->deadline_ms = vsp_now_ms() + FC_REQ_TIMEOUT_MS;
	return fc_xmit(ic);
}

static void fc_finish(struct ic_chan *ic, u32 status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fc_finish(struct ic_chan *ic, u32 status, const char *fmt, ...)
{
	struct fc_state *fc = ic_priv(ic);
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (status && fc->step != FC_IDLE && fc->step != FC_START) {
		/* the guest has a half-written file open: let it go */
		struct enl_ic_fcopy_hdr h = { .op = ENL_IC_FCOPY_CANCEL };

		ic_send_request(ic, &h, sizeof(h), NULL);
	}
	if (fc->fd >= 0)
		close(fc->fd);
	fc->fd = -1;
	fc->step = FC_IDLE;
	ic_timer(ic, 0);
	ic_status(ic, "state", status ? "failed" : "done");
	vsp_command_reply(ic->v, fc->req_id, status, "%s", msg);
	fc->req_id = 0;
}

/* The next WRITE, or COMPLETE at the end. */
static void fc_next(struct ic_chan *ic)
{
	struct fc_state *fc = ic_priv(ic);
	struct enl_ic_fcopy_write *w = &fc_write_msg;
	ssize_t n;
	int err;

	if (fc->offset >= fc->size) {
		memset(&fc_hdr_msg, 0, sizeof(fc_hdr_msg));
		fc_hdr_msg.op = ENL_IC_FCOPY_COMPLETE;
		fc->step = FC_COMPLETE;
		err = fc_send(ic, &fc_hdr_msg, sizeof(fc_hdr_msg));
	} else {
		memset(w, 0, offsetof(struct enl_ic_fcopy_write, data));
		w->hdr.op = ENL_IC_FCOPY_WRITE;
		w->offset = fc->offset;
		n = pread(fc->fd, w->data, sizeof(w->data), (off_t)fc->offset);
		if (n <= 0) {
			fc_finish(ic, EIO, "cannot read the host file at %llu: %s",
				  (unsigned long long)fc->offset,
				  n < 0 ? strerror(errno) : "it shrank");
			return;
		}
		if ((size_t)n < sizeof(w->data))
			memset(w->data + n, 0, sizeof(w->data) - (size_t)n);
		w->size = (u32)n;
		fc->last_len = (u32)n;
		fc->step = FC_WRITE;
		err = fc_send(ic, w, sizeof(*w));
	}
	if (err)
		fc_finish(ic, (u32)-err, "request not sent: %s", strerror(-err));
}

static void fc_command(struct ic_chan *ic, u32 req_id, int nw, char **w)
{
	struct fc_state *fc = ic_priv(ic);
	struct enl_ic_fcopy_start *st = &fc_start_msg;
	char dir[ENL_IC_FCOPY_PATH_BYTES * 2], *slash;
	char name[ENL_IC_FCOPY_PATH_BYTES * 2];
	bool overwrite = nw == 4 && !strcmp(w[3], "overwrite");
	struct stat sb;
	int err;

	if (nw != 3 && !overwrite) {
		vsp_command_reply(ic->v, req_id, EINVAL,
				  "copy takes HOSTPATH GUESTPATH [overwrite]");
		return;
	}
	if (fc->req_id) {
		vsp_command_reply(ic->v, req_id, EBUSY, "a copy is running already");
		return;
	}
	if (w[2][0] != '/' || strlen(w[2]) >= sizeof(dir)) {
		vsp_command_reply(ic->v, req_id, EINVAL,
				  "GUESTPATH must be an absolute path in the guest");
		return;
	}
	snprintf(dir, sizeof(dir), "%s", w[2]);
	slash = strrchr(dir, '/');
	snprintf(name, sizeof(name), "%s", slash + 1);
	if (!name[0]) {
		vsp_command_reply(ic->v, req_id, EINVAL,
				  "GUESTPATH must name a file, not a directory");
		return;
	}
	/* The directory with its trailing slash: the 6.1-era daemon creates
	 * (CREATE_PATH) only the components a '/' follows. */
	slash[1] = 0;
	fc->fd = open(w[1], O_RDONLY | O_CLOEXEC);
	if (fc->fd < 0 || fstat(fc->fd, &sb) || !S_ISREG(sb.st_mode)) {
		err = fc->fd < 0 ? errno : EINVAL;
		if (fc->fd >= 0)
			close(fc->fd);
		fc->fd = -1;
		vsp_command_reply(ic->v, req_id, (u32)err,
				  "%s: not a readable regular file", w[1]);
		return;
	}
	err = enl_ic_build_fcopy_start(st, name, dir,
				       ENL_IC_FCOPY_CREATE_PATH |
				       (overwrite ? ENL_IC_FCOPY_OVERWRITE : 0),
				       (u64)sb.st_size);
	if (!err)
		err = fc_send(ic, st, sizeof(*st));
	if (err) {
		close(fc->fd);
		fc->fd = -1;
		vsp_command_reply(ic->v, req_id, (u32)-err,
				  err == -ENOSPC ? "a name is too long for the guest (259 UTF-16 units)" :
				  err == -EILSEQ ? "GUESTPATH is not UTF-8" :
				  "request not sent: %s", strerror(-err));
		return;
	}
	fc->req_id = req_id;
	fc->step = FC_START;
	fc->size = (u64)sb.st_size;
	fc->offset = 0;
	fc->started_ms = vsp_now_ms();
	snprintf(fc->guest, sizeof(fc->guest), "%s", w[2]);
	ic_status(ic, "state", "copying");
}

static u32 fc_errno(u32 status)
{
	switch (status) {
	case ENL_IC_STATUS_EXISTS: return EEXIST;
	case ENL_IC_STATUS_DISK_FULL: return ENOSPC;
	default: return EIO;
	}
}

static void fc_response(struct ic_chan *ic, const struct enl_icmsg_hdr *h,
			u64 trans_id, const u8 *body, u32 body_len)
{
	struct fc_state *fc = ic_priv(ic);
	u64 ms;

	if (fc->step == FC_IDLE || fc->retry ||
	    (trans_id != fc->trans_id && trans_id != ~0ull)) {
		vsp_dbg("fcopy: stale answer dropped");
		return;
	}
	if (h->status != ENL_IC_STATUS_OK) {
		fc_finish(ic, fc_errno(h->status),
			  "the guest refused the %s (status %#x)%s",
			  fc->step == FC_START ? "start" :
			  fc->step == FC_WRITE ? "write" : "completion",
			  h->status,
			  h->status == ENL_IC_STATUS_EXISTS ?
			  ": the file exists (--overwrite)" :
			  fc->step == FC_START && h->status == ENL_IC_STATUS_FAIL ?
			  ": is the guest's file-copy daemon running?" : "");
		return;
	}
	switch (fc->step) {
	case FC_START:
		fc_next(ic);
		break;
	case FC_WRITE:
		fc->offset += fc->last_len;
		ic_status(ic, "bytes", "%llu", (unsigned long long)fc->offset);
		fc_next(ic);
		break;
	case FC_COMPLETE:
		ms = vsp_now_ms() - fc->started_ms;
		fc_finish(ic, 0, "copied %llu bytes to %s in %llu ms\n",
			  (unsigned long long)fc->size, fc->guest,
			  (unsigned long long)ms);
		break;
	case FC_IDLE:
		break;
	}
}

static void fc_timer(struct ic_chan *ic)
{
	struct fc_state *fc = ic_priv(ic);
	u64 now = vsp_now_ms();
	int err;

	if (fc->step == FC_IDLE)
		return;
	if (fc->retry && now < fc->deadline_ms) {
		err = fc_xmit(ic);
		if (err)
			fc_finish(ic, (u32)-err, "request not sent: %s", strerror(-err));
		return;
	}
	if (!fc->retry && now < fc->deadline_ms) {
		ic_timer(ic, (unsigned int)(fc->deadline_ms - now));
		return;
	}
	fc_finish(ic, ETIMEDOUT,
			  "the guest did not answer within %u ms (at byte %llu)",
			  FC_REQ_TIMEOUT_MS, (unsigned long long)fc->offset);
}

static void fc_ready(struct ic_chan *ic)
{
	struct fc_state *fc = ic_priv(ic);

	fc->fd = -1;
	ic_status(ic, "state", "ready");
}

static void fc_close(struct ic_chan *ic)
{
	struct fc_state *fc = ic_priv(ic);

	if (fc->step != FC_IDLE) {
		fc->step = FC_START;	/* no CANCEL: the channel is gone */
		fc_finish(ic, EPIPE, "the guest closed the file-copy channel");
	}
}

const struct ic_service ic_fcopy = {
	.name = "fcopy",
	.if_type = ENL_GUID_FCOPY,
	.default_instance = ENL_FCOPY_INSTANCE,
	.msgtype = ENL_IC_MSG_FCOPY,
	.versions = fc_versions,
	.nversions = sizeof(fc_versions) / sizeof(fc_versions[0]),
	.priv_size = sizeof(struct fc_state),
	.on_ready = fc_ready,
	.on_response = fc_response,
	.on_timer = fc_timer,
	.on_close = fc_close,
	.command = "copy",
	.on_command = fc_command,
};
