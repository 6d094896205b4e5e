// SPDX-License-Identifier: GPL-2.0-only
/*
 * Shutdown IC: `enlctl shutdown [--reboot] [--force]` sends one request
 * (the whole 2060-byte body: Linux ignores a shorter one) and answers the
 * operator when the guest has answered: OK (it starts its orderly
 * power-off or reboot) or FAIL; or ETIMEDOUT when it does not answer in
 * SD_TIMEOUT_MS.  One request at a time.
 *
 * Command words: "shutdown [reboot] [force]".
 * Status: shutdown_state = idle | requested | accepted | refused | timeout
 */
#include <errno.h>
#include <string.h>

#include "icvsp.h"

#define SD_TIMEOUT_MS	8000

static const struct enl_ic_version sd_versions[] = ENL_IC_SHUTDOWN_VERSIONS;

struct sd_state {
	u32 req_id;		/* operator command waiting; 0: none */
	u64 trans_id;
	u32 flags;
};

static const char *sd_what(u32 flags)
{
	switch (flags) {
	case ENL_IC_SHUTDOWN_POWEROFF: return "power-off";
	case ENL_IC_SHUTDOWN_POWEROFF_FORCE: return "forced power-off";
	case ENL_IC_SHUTDOWN_REBOOT: return "reboot";
	default: return "forced reboot";
	}
}

static void sd_ready(struct ic_chan *ic)
{
	ic_status(ic, "state", "idle");
}

static void sd_command(struct ic_chan *ic, u32 req_id, int nw, char **w)
{
	struct sd_state *sd = ic_priv(ic);
	struct enl_ic_shutdown body;
	bool reboot = false, force = false;
	int i, err;

	for (i = 1; i < nw; i++) {
		if (!strcmp(w[i], "reboot")) {
			reboot = true;
		} else if (!strcmp(w[i], "force")) {
			force = true;
		} else {
			vsp_command_reply(ic->v, req_id, EINVAL,
					  "shutdown takes reboot and force, not \"%s\"",
					  w[i]);
			return;
		}
	}
	if (sd->req_id) {
		vsp_command_reply(ic->v, req_id, EBUSY,
				  "a shutdown request waits for the guest already");
		return;
	}
	sd->flags = reboot ? (force ? ENL_IC_SHUTDOWN_REBOOT_FORCE :
			      ENL_IC_SHUTDOWN_REBOOT) :
		    force ? ENL_IC_SHUTDOWN_POWEROFF_FORCE :
		    ENL_IC_SHUTDOWN_POWEROFF;
	enl_ic_build_shutdown(&body, sd->flags);
	err = ic_send_request(ic, &body, sizeof(body), &sd->trans_id);
	if (err) {
		vsp_command_reply(ic->v, req_id, (u32)-err,
				  "shutdown request not sent: %s", strerror(-err));
		return;
	}
	sd->req_id = req_id;
	vsp_info("shutdown: %s requested", sd_what(sd->flags));
	ic_status(ic, "state", "requested");
	ic_timer(ic, SD_TIMEOUT_MS);
}

static void sd_response(struct ic_chan *ic, const struct enl_icmsg_hdr *h,
			u64 trans_id, const u8 *body, u32 body_len)
{
	struct sd_state *sd = ic_priv(ic);
	u32 req = sd->req_id;

	if (!req || trans_id != sd->trans_id) {
		vsp_dbg("shutdown: unexpected answer dropped");
		return;
	}
	sd->req_id = 0;
	ic_timer(ic, 0);
	if (h->status == ENL_IC_STATUS_OK) {
		vsp_info("shutdown: the guest accepted the %s",
			 sd_what(sd->flags));
		ic_status(ic, "state", "accepted");
		vsp_command_reply(ic->v, req, 0,
				  "guest accepted the %s\n", sd_what(sd->flags));
	} else {
		ic_status(ic, "state", "refused");
		vsp_command_reply(ic->v, req, EIO,
				  "guest refused the %s (status %#x)",
				  sd_what(sd->flags), h->status);
	}
}

static void sd_timer(struct ic_chan *ic)
{
	struct sd_state *sd = ic_priv(ic);

	if (!sd->req_id)
		return;
	ic_status(ic, "state", "timeout");
	vsp_command_reply(ic->v, sd->req_id, ETIMEDOUT,
			  "guest did not answer the shutdown request within %u ms",
			  SD_TIMEOUT_MS);
	sd->req_id = 0;
}

static void sd_close(struct ic_chan *ic)
{
	struct sd_state *sd = ic_priv(ic);

	if (sd->req_id)
		vsp_command_reply(ic->v, sd->req_id, EPIPE,
				  "the guest closed the shutdown channel before it answered");
	sd->req_id = 0;
}

const struct ic_service ic_shutdown = {
	.name = "shutdown",
	.if_type = ENL_GUID_SHUTDOWN,
	/* 656e6c00-7364-4000-8000-000000000001 ("sd") */
	.default_instance = ENL_GUID(0x656e6c00, 0x7364, 0x4000, 0x80, 0x00,
				     0x00, 0x00, 0x00, 0x00, 0x00, 0x01),
	.msgtype = ENL_IC_MSG_SHUTDOWN,
	.versions = sd_versions,
	.nversions = sizeof(sd_versions) / sizeof(sd_versions[0]),
	.priv_size = sizeof(struct sd_state),
	.on_ready = sd_ready,
	.on_response = sd_response,
	.on_timer = sd_timer,
	.on_close = sd_close,
	.command = "shutdown",
	.on_command = sd_command,
};
