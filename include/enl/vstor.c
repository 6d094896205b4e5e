// SPDX-License-Identifier: GPL-2.0-only
/*
 * VSTOR message checks, both ends.  Pure: no allocation, every read checked
 * against the given length, so the guest driver, enl-storvsp, the unit
 * tests and the fuzzer run the same checks.
 */
#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <string.h>
#endif

#include <enl/vstor.h>

/* Body bytes an operation needs after the 12-byte header. */
static u32 body_needed(u32 op, u16 version)
{
	switch (op) {
	case ENL_VSTOR_OP_EXECUTE_SRB:
		return version ? enl_vstor_srb_size(version) : ENL_VMSCSI_SIZE;
	case ENL_VSTOR_OP_QUERY_PROTOCOL_VERSION:
		return sizeof(struct enl_vstor_protocol_version);
	case ENL_VSTOR_OP_CREATE_SUB_CHANNELS:
		return sizeof(u16);
	case ENL_VSTOR_OP_COMPLETE_IO:
		return version ? enl_vstor_srb_size(version) : 0;
	default:
		return 0;
	}
}

int enl_vstor_parse(const void *payload, u32 len, u16 version,
		    struct enl_vstor_packet *out)
{
	u32 op;

	memset(out, 0, sizeof(*out));
	if (len < ENL_VSTOR_HDR_SIZE)
		return -EMSGSIZE;
	memcpy(out, payload, len < sizeof(*out) ? len : sizeof(*out));
	op = out->operation;
	if (len - ENL_VSTOR_HDR_SIZE < body_needed(op, version))
		return -EMSGSIZE;
	return 0;
}

int enl_vstor_check_srb(const struct enl_vmscsi_request *srb, u16 version,
			u32 range_len)
{
	if (srb->cdb_length == 0 || srb->cdb_length > ENL_VSTOR_CDB_MAX)
		return -EINVAL;
	if (srb->sense_info_length > enl_vstor_sense_size(version ? version :
							  ENL_VSTOR_VER_WIN10))
		return -EINVAL;
	switch (srb->data_in) {
	case ENL_VSTOR_DATA_NONE:
		if (srb->data_transfer_length || range_len)
			return -EINVAL;
		break;
	case ENL_VSTOR_DATA_READ:
	case ENL_VSTOR_DATA_WRITE:
		/* the guest describes exactly the buffer it transfers */
		if (srb->data_transfer_length != range_len)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

void enl_vstor_completion(struct enl_vstor_packet *out, u32 status)
{
	memset(out, 0, sizeof(*out));
	out->operation = ENL_VSTOR_OP_COMPLETE_IO;
	out->status = status;
}

const char *enl_vstor_srb_status_name(u8 s)
{
	switch (ENL_SRB_STATUS_CODE(s)) {
	case ENL_SRB_STATUS_PENDING: return "pending";
	case ENL_SRB_STATUS_SUCCESS: return "success";
	case ENL_SRB_STATUS_ABORTED: return "aborted";
	case ENL_SRB_STATUS_ERROR: return "error";
	case ENL_SRB_STATUS_INVALID_REQUEST: return "invalid-request";
	case ENL_SRB_STATUS_TIMEOUT: return "timeout";
	case ENL_SRB_STATUS_SELECTION_TIMEOUT: return "selection-timeout";
	case ENL_SRB_STATUS_BUS_RESET: return "bus-reset";
	case ENL_SRB_STATUS_DATA_OVERRUN: return "data-overrun";
	case ENL_SRB_STATUS_INVALID_LUN: return "invalid-lun";
	case ENL_SRB_STATUS_INTERNAL_ERROR: return "internal-error";
	}
	return "unknown";
}
