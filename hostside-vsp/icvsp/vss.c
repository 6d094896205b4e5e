// SPDX-License-Identifier: GPL-2.0-only
/*
 * VSS (backup) IC: `enlctl backup` runs what a backup asks of the guest,
 * one request at a time, as Hyper-V does: HOT_BACKUP (may the guest be
 * backed up live?), FREEZE (the guest's daemon freezes its file
 * systems), then THAW.  The snapshot itself is not ours to take here: the
 * command shows that the guest can be brought to a consistent state and
 * back.
 *
 * Each step has VSS_STEP_TIMEOUT_MS.  A refused step ends the backup with
 * the guest's status (a FREEZE the guest refused is already undone by
 * its daemon: no THAW).  A FREEZE left unanswered gets a THAW anyway, sent
 * and not waited for: a guest whose daemon is merely slow reads it next
 * and does not stay frozen.  Answers are checked (a VSS response that
 * still holds our operation); anything else is dropped, so a guest that
 * answers garbage times out like a silent one.
 *
 * Command words: "backup".  Status: vss_state = idle | hot-backup |
 * freezing | thawing | done | failed | timeout; vss_last_result.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "icvsp.h"

/* the unit test builds this file with a shorter one */
#ifndef VSS_STEP_TIMEOUT_MS
#define VSS_STEP_TIMEOUT_MS	10000
#endif

static const struct enl_ic_version vss_versions[] = ENL_IC_VSS_VERSIONS;

struct vss_state {
	u32 req_id;		/* operator command waiting; 0: none */
	u8 op;			/* the step that waits for the guest */
	u64 trans_id;
	u64 started_ms;
	u32 hbu_flags;		/* HOT_BACKUP's answer */
};

static void vss_ready(struct ic_chan *ic)
{
	ic_status(ic, "state", "idle");
}

static int vss_send(struct ic_chan *ic, u8 op)
{
	struct vss_state *vs = ic_priv(ic);
	struct enl_ic_vss_msg m;
	int err;

	enl_ic_build_vss(&m, op);
	err = ic_send_request(ic, &m, sizeof(m), &vs->trans_id);
	if (err)
		return err;
	vs->op = op;
	ic_timer(ic, VSS_STEP_TIMEOUT_MS);
	ic_status(ic, "state", "%s", op == ENL_IC_VSS_HOT_BACKUP ? "hot-backup" :
		  op == ENL_IC_VSS_FREEZE ? "freezing" : "thawing");
	return 0;
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
	if (vs->req_id)
		vsp_command_reply(ic->v, vs->req_id, err, "%s%s", msg,
				  err ? "" : "\n");
	vs->req_id = 0;
}

static void vss_command(struct ic_chan *ic, u32 req_id, int nw, char **w)
{
	struct vss_state *vs = ic_priv(ic);
	int err;

	if (nw > 1) {
		vsp_command_reply(ic->v, req_id, EINVAL,
				  "backup takes no argument, not \"%s\"", w[1]);
		return;
	}
	if (vs->req_id) {
		vsp_command_reply(ic->v, req_id, EBUSY,
				  "a backup is under way already");
		return;
	}
	vs->started_ms = vsp_now_ms();
	vs->hbu_flags = 0;
	err = vss_send(ic, ENL_IC_VSS_HOT_BACKUP);
	if (err) {
		vsp_command_reply(ic->v, req_id, (u32)-err,
				  "VSS request not sent: %s", strerror(-err));
		return;
	}
	vs->req_id = req_id;
}

static void vss_response(struct ic_chan *ic, const struct enl_icmsg_hdr *h,
			 u64 trans_id, const u8 *body, u32 body_len)
{
	struct vss_state *vs = ic_priv(ic);
	const char *what = enl_ic_vss_op_name(vs->op);
	u32 status, flags;
	int err;

	if (!vs->req_id || trans_id != vs->trans_id) {
		vsp_dbg("vss: unexpected answer dropped (transaction %llu)",
			(unsigned long long)trans_id);
		return;
	}
	if (enl_ic_vss_parse_answer(h, body, body_len, vs->op, &status, &flags)) {
		/* not an answer to our step: the timer decides */
		vsp_err("vss: malformed answer to %s dropped (%u body bytes)",
			 what, body_len);
		return;
	}
	if (status != ENL_IC_STATUS_OK) {
		vss_finish(ic, EIO, "failed",
			   "guest refused %s (status %#x)%s", what, status,
			   vs->op == ENL_IC_VSS_FREEZE ?
			   ": file systems not frozen" : "");
		return;
	}
	switch (vs->op) {
	case ENL_IC_VSS_HOT_BACKUP:
		vs->hbu_flags = flags;
		err = vss_send(ic, ENL_IC_VSS_FREEZE);
		break;
	case ENL_IC_VSS_FREEZE:
		vsp_info("vss: guest frozen after %llu ms",
			 (unsigned long long)(vsp_now_ms() - vs->started_ms));
		err = vss_send(ic, ENL_IC_VSS_THAW);
		break;
	default:
		vss_finish(ic, 0, "done",
			   "guest froze and thawed its file systems (%llu ms; hot-backup flags %#x)",
			   (unsigned long long)(vsp_now_ms() - vs->started_ms),
			   vs->hbu_flags);
		return;
	}
	if (err)
		vss_finish(ic, (u32)-err, "failed", "VSS request not sent: %s",
			   strerror(-err));
}

static void vss_timer(struct ic_chan *ic)
{
	struct vss_state *vs = ic_priv(ic);
	u8 op = vs->op;

	if (!vs->req_id)
		return;
	if (op == ENL_IC_VSS_FREEZE) {
		/* the guest may be frozen, or freeze later: thaw it */
		struct enl_ic_vss_msg m;

		enl_ic_build_vss(&m, ENL_IC_VSS_THAW);
		ic_send_request(ic, &m, sizeof(m), NULL);
	}
	vss_finish(ic, ETIMEDOUT, "timeout",
		   "guest did not answer %s within %u ms%s",
		   enl_ic_vss_op_name(op), VSS_STEP_TIMEOUT_MS,
		   op == ENL_IC_VSS_FREEZE ? " (THAW sent)" : "");
}

static void vss_close(struct ic_chan *ic)
{
	struct vss_state *vs = ic_priv(ic);

	if (vs->req_id)
		vsp_command_reply(ic->v, vs->req_id, EPIPE,
				  "the guest closed the VSS channel before it answered %s",
				  enl_ic_vss_op_name(vs->op));
	vs->req_id = 0;
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
	.command = "backup",
	.on_command = vss_command,
};
