// SPDX-License-Identifier: GPL-2.0-only
/*
 * The guest's reading of a VSTOR completion; see vstor_guest.h.  The SRB
 * status decides first, the SCSI status and sense refine it:
 *
 *   SUCCESS (the AUTOSENSE bit ignored)   the SCSI status, resid from the count
 *   ERROR, ABORTED, INVALID_REQUEST,      with CHECK CONDITION + autosense:
 *   TIMEOUT, SELECTION_TIMEOUT,           the status and sense (the midlayer's
 *   DATA_OVERRUN, INTERNAL_ERROR          sense handling decides); else ERROR
 *   INVALID_LUN                           NO_CONNECT
 *   BUS_RESET                             RESET
 *   anything else                         ERROR
 */
#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <stdbool.h>
#include <string.h>
#endif

#include <enl/vstor_guest.h>

static bool sam_status_known(u8 s)
{
	switch (s) {
	case 0x00:	/* GOOD */
	case 0x02:	/* CHECK CONDITION */
	case 0x04:	/* CONDITION MET */
	case 0x08:	/* BUSY */
	case 0x10:	/* INTERMEDIATE */
	case 0x14:	/* INTERMEDIATE-CONDITION MET */
	case 0x18:	/* RESERVATION CONFLICT */
	case 0x22:	/* COMMAND TERMINATED */
	case 0x28:	/* TASK SET FULL */
	case 0x30:	/* ACA ACTIVE */
	case 0x40:	/* TASK ABORTED */
		return true;
	}
	return false;
}

static void refuse(struct enl_vstor_verdict *v, u32 buf_len, const char *why)
{
	v->kind = ENL_VSTOR_V_ERROR;
	v->scsi_status = 0;
	v->resid = buf_len;
	v->sense_len = 0;
	v->bad = why;
}

void enl_vstor_guest_verdict(const void *payload, u32 payload_len, u32 buf_len,
			     bool block_rw, struct enl_vstor_verdict *v)
{
	struct enl_vstor_packet r;
	u32 moved, sense;
	u8 code;

	memset(v, 0, sizeof(*v));
	if (payload_len < sizeof(r)) {
		refuse(v, buf_len, "completion shorter than 64 bytes");
		return;
	}
	memcpy(&r, payload, sizeof(r));
	if (r.operation != ENL_VSTOR_OP_COMPLETE_IO) {
		refuse(v, buf_len, "completion of another operation");
		return;
	}
	moved = r.srb.data_transfer_length;
	if (moved > buf_len) {
		refuse(v, buf_len, "more bytes transferred than the buffer holds");
		return;
	}
	if (!sam_status_known(r.srb.scsi_status)) {
		refuse(v, buf_len, "unknown SCSI status");
		return;
	}
	sense = 0;
	if (r.srb.scsi_status == ENL_SAM_STAT_CHECK_CONDITION &&
	    (r.srb.srb_status & ENL_SRB_STATUS_AUTOSENSE_VALID)) {
		sense = r.srb.sense_info_length;
		if (sense > ENL_VSTOR_SENSE_SIZE)
			sense = ENL_VSTOR_SENSE_SIZE;
	}
	v->resid = buf_len - moved;

	code = ENL_SRB_STATUS_CODE(r.srb.srb_status);
	switch (code) {
	case ENL_SRB_STATUS_SUCCESS:
		if (block_rw && buf_len && !moved &&
		    r.srb.scsi_status == ENL_SAM_STAT_GOOD) {
			refuse(v, buf_len, "success without a byte transferred");
			return;
		}
		v->kind = ENL_VSTOR_V_STATUS;
		v->scsi_status = r.srb.scsi_status;
		v->sense_len = sense;
		return;
	case ENL_SRB_STATUS_INVALID_LUN:
		v->kind = ENL_VSTOR_V_NO_CONNECT;
		v->resid = buf_len;
		return;
	case ENL_SRB_STATUS_BUS_RESET:
		v->kind = ENL_VSTOR_V_RESET;
		v->resid = buf_len;
		return;
	case ENL_SRB_STATUS_ABORTED:
	case ENL_SRB_STATUS_ERROR:
	case ENL_SRB_STATUS_INVALID_REQUEST:
	case ENL_SRB_STATUS_TIMEOUT:
	case ENL_SRB_STATUS_SELECTION_TIMEOUT:
	case ENL_SRB_STATUS_DATA_OVERRUN:
	case ENL_SRB_STATUS_INTERNAL_ERROR:
		if (sense) {
			v->kind = ENL_VSTOR_V_STATUS;
			v->scsi_status = r.srb.scsi_status;
			v->sense_len = sense;
			return;
		}
		v->kind = ENL_VSTOR_V_ERROR;
		v->resid = buf_len;
		return;
	default:
		refuse(v, buf_len, "unknown SRB status");
		return;
	}
}
