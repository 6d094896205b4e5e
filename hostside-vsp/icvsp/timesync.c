// SPDX-License-Identifier: GPL-2.0-only
/*
 * Time-sync IC: the host's clock for the guest.  After the negotiation a
 * SYNC (the guest sets its clock), then a SAMPLE every TS_SAMPLE_MS (the
 * guest's PTP clock "hyperv" follows them), as Hyper-V does.
 *
 * Message 4.0 would have to carry the guest's reference counter at the
 * instant of the host time; the daemon cannot read it, so it offers 3.0
 * and 1.0 only (the guest then takes the time as of receipt; the ring's
 * latency is far below a millisecond).  The parsers in include/enl/ic.c
 * speak 4.0 too.
 *
 * Command words: "time [sync]": send a SAMPLE (or a SYNC) now and report
 * when the guest answered, with the round trip.
 * Status: timesync_state = syncing | synced | late; timesync_samples.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "icvsp.h"

#define TS_SAMPLE_MS	5000
#define TS_TICK_MS	1000
#define TS_TIMEOUT_MS	5000

static const struct enl_ic_version ts_versions[] = {
	ENL_IC_VER(3, 0), ENL_IC_VER(1, 0)
};

struct ts_state {
	unsigned int ticks;
	u64 samples;		/* answered */
	u64 last_trans_id;	/* of the last periodic message */
	u64 sent_ms;
	bool waiting;
	/* operator command */
	u32 req_id;
	u64 cmd_trans_id;
	u64 cmd_sent_ms;
	u64 cmd_hosttime;
	bool cmd_sync;
};

/* Now, in 100 ns units since 1601-01-01 UTC. */
static u64 host_time(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (u64)ts.tv_sec * 10000000u + (u64)ts.tv_nsec / 100u +
	       ENL_IC_TIME_UNIX_OFFSET;
}

static int ts_send(struct ic_chan *ic, u8 flags, u64 *tid, u64 *hosttime)
{
	u8 body[64];
	u64 now = host_time();
	int len = enl_ic_build_timesync(body, sizeof(body), ic->msgver, flags,
					now, 0);

	if (len < 0)
		return len;
	if (hosttime)
		*hosttime = now;
	return ic_send_request(ic, body, (u16)len, tid);
}

static void ts_periodic(struct ic_chan *ic, struct ts_state *ts, u8 flags)
{
	int err = ts_send(ic, flags, &ts->last_trans_id, NULL);

	if (err) {
		vsp_dbg("timesync: message not sent: %d", err);
		return;
	}
	if (ts->waiting)
		ic_status(ic, "state", "late");
	ts->waiting = true;
	ts->sent_ms = vsp_now_ms();
}

static void ts_ready(struct ic_chan *ic)
{
	struct ts_state *ts = ic_priv(ic);

	ic_status(ic, "state", "syncing");
	ts_periodic(ic, ts, ENL_IC_TIMESYNC_SYNC);
	ic_timer(ic, TS_TICK_MS);
}

static void ts_command(struct ic_chan *ic, u32 req_id, int nw, char **w)
{
	struct ts_state *ts = ic_priv(ic);
	bool sync = nw == 2 && !strcmp(w[1], "sync");
	int err;

	if (nw > 2 || (nw == 2 && !sync)) {
		vsp_command_reply(ic->v, req_id, EINVAL, "time takes only \"sync\"");
		return;
	}
	if (ts->req_id) {
		vsp_command_reply(ic->v, req_id, EBUSY,
				  "a time request waits for the guest already");
		return;
	}
	err = ts_send(ic, sync ? ENL_IC_TIMESYNC_SYNC : ENL_IC_TIMESYNC_SAMPLE,
		      &ts->cmd_trans_id, &ts->cmd_hosttime);
	if (err) {
		vsp_command_reply(ic->v, req_id, (u32)-err,
				  "time message not sent: %s", strerror(-err));
		return;
	}
	ts->req_id = req_id;
	ts->cmd_sync = sync;
	ts->cmd_sent_ms = vsp_now_ms();
}

static void ts_response(struct ic_chan *ic, const struct enl_icmsg_hdr *h,
			u64 trans_id, const u8 *body, u32 body_len)
{
	struct ts_state *ts = ic_priv(ic);

	if (ts->req_id && trans_id == ts->cmd_trans_id) {
		u64 t = (ts->cmd_hosttime - ENL_IC_TIME_UNIX_OFFSET) / 10000u;
		u32 req = ts->req_id;

		ts->req_id = 0;
		if (h->status != ENL_IC_STATUS_OK) {
			vsp_command_reply(ic->v, req, EIO,
					  "guest refused the time %s (status %#x)",
					  ts->cmd_sync ? "sync" : "sample",
					  h->status);
			return;
		}
		vsp_command_reply(ic->v, req, 0,
				  "%s sent: host time %llu.%03llu (Unix), message version %u.%u\n"
				  "guest answered in %llu ms; samples answered so far: %llu\n"
				  "the guest's own clock is not carried by the time-sync protocol\n",
				  ts->cmd_sync ? "sync" : "sample",
				  (unsigned long long)(t / 1000),
				  (unsigned long long)(t % 1000),
				  ic->msgver.major, ic->msgver.minor,
				  (unsigned long long)(vsp_now_ms() - ts->cmd_sent_ms),
				  (unsigned long long)ts->samples);
		return;
	}
	if (!ts->waiting || trans_id != ts->last_trans_id)
		return;
	ts->waiting = false;
	ts->samples++;
	ic_status(ic, "state", "synced");
	ic_status(ic, "samples", "%llu", (unsigned long long)ts->samples);
}

static void ts_timer(struct ic_chan *ic)
{
	struct ts_state *ts = ic_priv(ic);

	if (ts->req_id && vsp_now_ms() - ts->cmd_sent_ms >= TS_TIMEOUT_MS) {
		vsp_command_reply(ic->v, ts->req_id, ETIMEDOUT,
				  "guest did not answer the time message within %u ms",
				  TS_TIMEOUT_MS);
		ts->req_id = 0;
	}
	if (++ts->ticks * TS_TICK_MS >= TS_SAMPLE_MS) {
		ts->ticks = 0;
		ts_periodic(ic, ts, ENL_IC_TIMESYNC_SAMPLE);
	}
	ic_timer(ic, TS_TICK_MS);
}

static void ts_close(struct ic_chan *ic)
{
	struct ts_state *ts = ic_priv(ic);

	if (ts->req_id)
		vsp_command_reply(ic->v, ts->req_id, EPIPE,
				  "the guest closed the time-sync channel before it answered");
	ts->req_id = 0;
}

const struct ic_service ic_timesync = {
	.name = "timesync",
	.if_type = ENL_GUID_TIMESYNC,
	/* 656e6c00-7473-4000-8000-000000000001 ("ts") */
	.default_instance = ENL_GUID(0x656e6c00, 0x7473, 0x4000, 0x80, 0x00,
				     0x00, 0x00, 0x00, 0x00, 0x00, 0x01),
	.msgtype = ENL_IC_MSG_TIMESYNC,
	.versions = ts_versions,
	.nversions = sizeof(ts_versions) / sizeof(ts_versions[0]),
	.priv_size = sizeof(struct ts_state),
	.on_ready = ts_ready,
	.on_response = ts_response,
	.on_timer = ts_timer,
	.on_close = ts_close,
	.command = "time",
	.on_command = ts_command,
};
