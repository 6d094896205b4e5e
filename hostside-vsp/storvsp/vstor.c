// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VSTOR protocol of one controller: the init handshake on the primary
 * channel, then SRBs on any channel (shared/PROTOCOL-devices.md 2.3, 2.4).
 * Every packet that asks for a completion gets a full 64-byte one (Linux
 * drops shorter ones and waits for ever); packets that cannot be answered
 * meaningfully (no completion asked for, not inband / GPA direct) are
 * dropped and counted.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "storvsp.h"

/* Versions in the order we prefer them; Linux offers them newest first. */
static const u16 versions[] = {
	ENL_VSTOR_VER_WIN10, ENL_VSTOR_VER_WIN8_1, ENL_VSTOR_VER_WIN8,
};

const char *storvsp_state_name(int s)
{
	switch (s) {
	case STORVSP_WAIT_BEGIN: return "wait-begin";
	case STORVSP_WAIT_VERSION: return "wait-version";
	case STORVSP_WAIT_PROPERTIES: return "wait-properties";
	case STORVSP_WAIT_END: return "wait-end";
	case STORVSP_READY: return "ready";
	case STORVSP_RESUMING: return "resuming";
	}
	return "?";
}

void storvsp_ctl_init(struct storvsp_ctl *c, u16 max_subchannels)
{
	memset(c, 0, sizeof(*c));
	atomic_init(&c->state, STORVSP_WAIT_BEGIN);
	c->max_subchannels = max_subchannels;
}

void storvsp_ctl_reset(struct storvsp_ctl *c)
{
	atomic_store(&c->state, STORVSP_WAIT_BEGIN);
	c->version = 0;
	c->subchannels_asked = 0;
}

int storvsp_ctl_add_disk(struct storvsp_ctl *c, struct storvsp_disk *d)
{
	unsigned int i;

	if (d->lun >= ENL_VSTOR_MAX_LUNS)
		return -EINVAL;
	if (c->disks[d->lun])
		return -EEXIST;
	c->disks[d->lun] = d;
	/* keep luns[] ascending for REPORT LUNS */
	for (i = c->nluns; i > 0 && c->luns[i - 1] > d->lun; i--)
		c->luns[i] = c->luns[i - 1];
	c->luns[i] = d->lun;
	c->nluns++;
	return 0;
}

struct storvsp_disk *storvsp_ctl_remove_disk(struct storvsp_ctl *c, unsigned int lun)
{
	struct storvsp_disk *d;
	unsigned int i, j;

	if (lun >= ENL_VSTOR_MAX_LUNS || !c->disks[lun])
		return NULL;
	d = c->disks[lun];
	c->disks[lun] = NULL;
	for (i = 0, j = 0; i < c->nluns; i++)
		if (c->luns[i] != lun)
			c->luns[j++] = c->luns[i];
	c->nluns = j;
	return d;
}

static bool version_ok(u16 v)
{
	unsigned int i;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (versions[i] == v)
			return true;
	return false;
}

/* The handshake: each step only in its state, else INVALID_DEVICE_STATE. */
static enum storvsp_action init_step(struct storvsp_ctl *c,
				     const struct enl_vstor_packet *in,
				     struct enl_vstor_packet *out, u16 *subch)
{
	int state = atomic_load(&c->state);

	switch (in->operation) {
	case ENL_VSTOR_OP_BEGIN_INIT:
		/* a guest driver that reloads starts over */
		storvsp_ctl_reset(c);
		atomic_store(&c->state, STORVSP_WAIT_VERSION);
		return STORVSP_REPLY;
	case ENL_VSTOR_OP_QUERY_PROTOCOL_VERSION:
		if (state != STORVSP_WAIT_VERSION && state != STORVSP_WAIT_PROPERTIES)
			break;
		out->version = in->version;
		if (!version_ok(in->version.major_minor) ||
		    in->version.revision != ENL_VSTOR_REVISION) {
			out->status = ENL_VSTOR_STATUS_REVISION_MISMATCH;
			return STORVSP_REPLY;
		}
		c->version = in->version.major_minor;
		atomic_store(&c->state, STORVSP_WAIT_PROPERTIES);
		return STORVSP_REPLY;
	case ENL_VSTOR_OP_QUERY_PROPERTIES:
		if (state != STORVSP_WAIT_PROPERTIES && state != STORVSP_WAIT_END)
			break;
		out->props.max_transfer_bytes = ENL_VSTOR_MAX_TRANSFER;
		if (enl_vstor_version_multichannel(c->version) && c->max_subchannels) {
			out->props.flags = ENL_VSTOR_PROP_MULTI_CHANNEL;
			out->props.max_channel_cnt = c->max_subchannels;
		}
		atomic_store(&c->state, STORVSP_WAIT_END);
		return STORVSP_REPLY;
	case ENL_VSTOR_OP_END_INIT:
		if (state != STORVSP_WAIT_END)
			break;
		atomic_store(&c->state, STORVSP_READY);
		return STORVSP_REPLY;
	case ENL_VSTOR_OP_CREATE_SUB_CHANNELS:
		/* between the properties and the end of init, or when ready */
		if (state != STORVSP_WAIT_END && state != STORVSP_READY)
			break;
		if (!enl_vstor_version_multichannel(c->version) ||
		    !in->sub_channel_count ||
		    in->sub_channel_count > c->max_subchannels ||
		    c->subchannels_asked) {
			out->status = ENL_VSTOR_STATUS_INVALID_PARAMETER;
			return STORVSP_REPLY;
		}
		c->subchannels_asked = in->sub_channel_count;
		*subch = in->sub_channel_count;
		return STORVSP_REPLY_SUBCHANNELS;
	}
	out->status = ENL_VSTOR_STATUS_INVALID_DEVICE_STATE;
	return STORVSP_REPLY;
}

/* Fill the SRB part of a completion from the SCSI result. */
static void srb_reply(struct enl_vstor_packet *out,
		      const struct enl_vmscsi_request *req, u16 version,
		      const struct storvsp_result *r)
{
	struct enl_vmscsi_request *s = &out->srb;
	u32 sense_max = req->sense_info_length;

	/* echo the request, then the answer over it */
	*s = *req;
	s->srb_status = r->srb_status;
	s->scsi_status = r->scsi_status;
	s->data_transfer_length = r->transferred;
	memset(s->sense_data, 0, sizeof(s->sense_data));
	if (sense_max > enl_vstor_sense_size(version))
		sense_max = enl_vstor_sense_size(version);
	if (r->sense_len && r->scsi_status == ENL_SAM_STAT_CHECK_CONDITION) {
		u32 n = r->sense_len < sense_max ? r->sense_len : sense_max;

		memcpy(s->sense_data, r->sense, n);
		s->sense_info_length = (u8)n;
		if (!n)		/* no room: the sense is not valid after all */
			s->srb_status &= (u8)~ENL_SRB_STATUS_AUTOSENSE_VALID;
	} else {
		s->sense_info_length = 0;
	}
	if (r->srb_status != ENL_SRB_STATUS_SUCCESS)
		out->status = ENL_VSTOR_STATUS_UNSUCCESSFUL;
}

static enum storvsp_action execute(struct storvsp_ctl *c,
				   const struct enl_pkt *pk,
				   const struct enl_vstor_packet *in,
				   struct enl_vstor_packet *out)
{
	const struct enl_vmscsi_request *req = &in->srb;
	struct iovec iov[STORVSP_MAX_IOV];
	struct storvsp_buf buf = { .iov = iov, .niov = 0, .len = 0 };
	struct storvsp_result r;
	struct storvsp_disk *d = NULL;
	u16 version = c->version;

	if (pk->type == VMBUS_PKT_GPA_DIRECT) {
		struct enl_pkt_gpa_iter it = { 0, 0 };
		struct enl_pkt_gpa_range g;
		int n;

		/* exactly one range: the whole buffer (2.4) */
		if (pk->range_count != 1 || enl_pkt_next_gpa_range(pk, &it, &g) != 1 ||
		    g.byte_count > ENL_VSTOR_MAX_TRANSFER)
			goto invalid;
		n = c->gpa_iov ? c->gpa_iov(c->gpa_ctx, &g, iov, STORVSP_MAX_IOV) : -ERANGE;
		if (n < 0)
			goto invalid;
		buf.niov = n;
		buf.len = g.byte_count;
	}
	if (enl_vstor_check_srb(req, version, buf.len))
		goto invalid;
	if (!req->path_id && !req->target_id && req->lun < ENL_VSTOR_MAX_LUNS)
		d = c->disks[req->lun];
	if (d)
		atomic_fetch_add(&d->st.in_flight, 1);
	storvsp_scsi_exec(d, req->cdb, req->cdb_length, req->data_in, &buf,
			  !req->path_id && !req->target_id ? c->luns : NULL,
			  !req->path_id && !req->target_id ? c->nluns : 0, &r);
	if (d)
		atomic_fetch_sub(&d->st.in_flight, 1);
	srb_reply(out, req, version, &r);
	return STORVSP_REPLY;

invalid:
	/* a request we cannot take apart: refused, and the guest is told */
	atomic_fetch_add(&c->bad_packets, 1);
	memset(&r, 0, sizeof(r));
	r.srb_status = ENL_SRB_STATUS_INVALID_REQUEST;
	srb_reply(out, req, version, &r);
	out->status = ENL_VSTOR_STATUS_INVALID_PARAMETER;
	return STORVSP_REPLY;
}

/*
 * A restarted daemon's first SRB, on whichever channel: the controller is
 * taken as ready.  Linux offers only Win8+ versions, which share the SRB
 * and sense sizes; 5.1 is the one to assume.  One thread makes the switch,
 * one racing it on another channel waits for it.
 */
static int resume(struct storvsp_ctl *c)
{
	int st = STORVSP_WAIT_BEGIN;

	if (atomic_compare_exchange_strong(&c->state, &st, STORVSP_RESUMING)) {
		c->version = ENL_VSTOR_VER_WIN8;
		atomic_store(&c->resumed, true);
		atomic_store(&c->state, STORVSP_READY);
		return STORVSP_READY;
	}
	while ((st = atomic_load(&c->state)) == STORVSP_RESUMING)
		sched_yield();
	return st;
}

enum storvsp_action storvsp_handle(struct storvsp_ctl *c, bool primary,
				   const void *pkt, u32 len,
				   struct enl_vstor_packet *reply, u64 *trans_id,
				   u16 *subchannels)
{
	struct enl_vstor_packet in;
	struct enl_pkt pk;
	int state = atomic_load(&c->state);

	if (enl_pkt_parse(pkt, len, &pk) ||
	    (pk.type != VMBUS_PKT_INBAND && pk.type != VMBUS_PKT_GPA_DIRECT) ||
	    !(pk.flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED) || !pk.trans_id) {
		/* nothing to answer to (trans_id 0 is the host's notices) */
		atomic_fetch_add(&c->bad_packets, 1);
		return STORVSP_DROP;
	}
	*trans_id = pk.trans_id;
	enl_vstor_completion(reply, ENL_VSTOR_STATUS_SUCCESS);
	if (enl_vstor_parse(pk.payload, pk.payload_len,
			    state == STORVSP_READY ? c->version : 0, &in)) {
		atomic_fetch_add(&c->bad_packets, 1);
		reply->status = ENL_VSTOR_STATUS_INVALID_PARAMETER;
		return STORVSP_REPLY;
	}
	if (in.operation == ENL_VSTOR_OP_EXECUTE_SRB) {
		if ((state == STORVSP_WAIT_BEGIN || state == STORVSP_RESUMING) &&
		    atomic_load(&c->may_resume) &&
		    pk.payload_len >= ENL_VSTOR_PACKET_SIZE)
			state = resume(c);
		if (primary)
			atomic_store(&c->may_resume, false);
		if (state != STORVSP_READY) {
			atomic_fetch_add(&c->bad_packets, 1);
			reply->status = ENL_VSTOR_STATUS_INVALID_DEVICE_STATE;
			reply->srb = in.srb;
			reply->srb.srb_status = ENL_SRB_STATUS_ERROR;
			reply->srb.data_transfer_length = 0;
			reply->srb.sense_info_length = 0;
			return STORVSP_REPLY;
		}
		return execute(c, &pk, &in, reply);
	}
	if (pk.type != VMBUS_PKT_INBAND || !primary) {
		atomic_fetch_add(&c->bad_packets, 1);
		reply->status = ENL_VSTOR_STATUS_INVALID_DEVICE_STATE;
		return STORVSP_REPLY;
	}
	switch (in.operation) {
	case ENL_VSTOR_OP_RESET_LUN:
	case ENL_VSTOR_OP_RESET_ADAPTER:
	case ENL_VSTOR_OP_RESET_BUS:
		/* Requests are finished before the next one is read: nothing
		 * is outstanding on this channel to wait for. */
		return STORVSP_REPLY;
	case ENL_VSTOR_OP_BEGIN_INIT:
	case ENL_VSTOR_OP_QUERY_PROTOCOL_VERSION:
	case ENL_VSTOR_OP_QUERY_PROPERTIES:
	case ENL_VSTOR_OP_END_INIT:
	case ENL_VSTOR_OP_CREATE_SUB_CHANNELS:
		atomic_store(&c->may_resume, false);
		return init_step(c, &in, reply, subchannels);
	default:
		atomic_fetch_add(&c->bad_packets, 1);
		reply->status = ENL_VSTOR_STATUS_INVALID_PARAMETER;
		return STORVSP_REPLY;
	}
}
