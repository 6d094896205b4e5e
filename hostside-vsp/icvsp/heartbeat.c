// SPDX-License-Identifier: GPL-2.0-only
/*
 * Heartbeat IC: every second the host sends a sequence number, the guest
 * answers it plus one.  Published for enlctl status:
 *   heartbeat_seq    the last sequence number the guest answered
 *   heartbeat_state  negotiating | alive | late (no answer for
 *                    HB_LATE_AFTER beats) | closed | rescinded
 * enl-host stamps each key with the time it was set, so the age of
 * heartbeat_seq is the guest's liveness.
 */
#include <string.h>

#include "icvsp.h"

#define HB_PERIOD_MS	1000
#define HB_LATE_AFTER	3

static const struct enl_ic_version hb_versions[] = ENL_IC_HEARTBEAT_VERSIONS;

struct hb_state {
	u64 next_seq;
	u64 sent_seq;		/* seq of the last request */
	u64 sent_trans_id;
	bool waiting;		/* last request not answered yet */
	unsigned int missed;
	u64 answered_seq;
	u64 answered_ms;
	const char *state;
};

static void hb_set_state(struct ic_chan *ic, struct hb_state *hb,
			 const char *state)
{
	if (hb->state == state)
		return;
	hb->state = state;
	ic_status(ic, "state", "%s", state);
	vsp_info("heartbeat: %s", state);
}

static void hb_beat(struct ic_chan *ic, struct hb_state *hb)
{
	struct enl_ic_heartbeat msg;
	int err;

	if (hb->waiting && ++hb->missed >= HB_LATE_AFTER)
		hb_set_state(ic, hb, "late");
	memset(&msg, 0, sizeof(msg));
	msg.seq = hb->next_seq;
	err = ic_send_request(ic, &msg, sizeof(msg), &hb->sent_trans_id);
	if (!err) {
		hb->sent_seq = msg.seq;
		hb->next_seq++;
		hb->waiting = true;
	} else {
		vsp_dbg("heartbeat: request not sent: %d", err);
	}
	ic_timer(ic, HB_PERIOD_MS);
}

static void hb_ready(struct ic_chan *ic)
{
	struct hb_state *hb = ic_priv(ic);

	memset(hb, 0, sizeof(*hb));
	hb->next_seq = 1;
	hb_set_state(ic, hb, "negotiated");
	hb_beat(ic, hb);
}

static void hb_response(struct ic_chan *ic, const struct enl_icmsg_hdr *h,
			u64 trans_id, const u8 *body, u32 body_len)
{
	struct hb_state *hb = ic_priv(ic);
	struct enl_ic_heartbeat msg;

	if (body_len < sizeof(msg) || h->status != ENL_IC_STATUS_OK) {
		vsp_dbg("heartbeat: bad answer dropped");
		return;
	}
	memcpy(&msg, body, sizeof(msg));
	if (!hb->waiting || trans_id != hb->sent_trans_id ||
	    msg.seq != hb->sent_seq + 1) {
		vsp_dbg("heartbeat: unexpected answer %llu dropped",
			(unsigned long long)msg.seq);
		return;
	}
	hb->waiting = false;
	hb->missed = 0;
	hb->answered_seq = msg.seq;
	hb->answered_ms = vsp_now_ms();
	ic_status(ic, "seq", "%llu", (unsigned long long)msg.seq);
	hb_set_state(ic, hb, "alive");
}

static void hb_timer(struct ic_chan *ic)
{
	hb_beat(ic, ic_priv(ic));
}

static void hb_close(struct ic_chan *ic)
{
	struct hb_state *hb = ic_priv(ic);

	hb->state = NULL;
}

const struct ic_service ic_heartbeat = {
	.name = "heartbeat",
	.if_type = ENL_GUID_HEARTBEAT,
	/* our fixed instance: 656e6c00-6862-4000-8000-000000000001 */
	.default_instance = ENL_GUID(0x656e6c00, 0x6862, 0x4000, 0x80, 0x00,
				     0x00, 0x00, 0x00, 0x00, 0x00, 0x01),
	.msgtype = ENL_IC_MSG_HEARTBEAT,
	.versions = hb_versions,
	.nversions = sizeof(hb_versions) / sizeof(hb_versions[0]),
	.priv_size = sizeof(struct hb_state),
	.on_ready = hb_ready,
	.on_response = hb_response,
	.on_timer = hb_timer,
	.on_close = hb_close,
};
