/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The guest's reading of a VSTOR completion (enl_storvsc), pure so that
 * the unit tests and the fuzzer run the very checks the module runs.  The
 * verdict is in SCSI-midlayer terms without Linux's constants: the module
 * turns ENL_VSTOR_V_* into DID_* host bytes.
 */
#ifndef ENL_VSTOR_GUEST_H
#define ENL_VSTOR_GUEST_H

#include <enl/vstor.h>

enum enl_vstor_verdict_kind {
	ENL_VSTOR_V_STATUS,	/* host byte OK, the SCSI status below */
	ENL_VSTOR_V_ERROR,	/* DID_ERROR: bad or senseless failure, retried */
	ENL_VSTOR_V_NO_CONNECT,	/* DID_NO_CONNECT: the LUN is not there */
	ENL_VSTOR_V_RESET,	/* DID_RESET: the bus was reset under it */
};

struct enl_vstor_verdict {
	u8 kind;		/* enum enl_vstor_verdict_kind */
	u8 scsi_status;		/* ENL_VSTOR_V_STATUS only */
	u32 resid;		/* bytes of the buffer not transferred */
	u32 sense_len;		/* sense bytes to copy from srb.sense_data */
	const char *bad;	/* set when the packet itself was refused */
};

/*
 * r: the completion's payload (payload_len bytes, at least 64 or it is
 * refused); buf_len: the command's buffer; block_rw: a read or write of
 * the block layer (not a pass-through command), for which a "success"
 * that moved no byte is refused (the midlayer would re-issue the rest for
 * ever).  Nothing in r is trusted: a transfer count beyond the buffer, an
 * operation other than COMPLETE_IO or an unknown SCSI status refuse the
 * completion (kind ERROR, bad says why).
 */
void enl_vstor_guest_verdict(const void *payload, u32 payload_len, u32 buf_len,
			     bool block_rw, struct enl_vstor_verdict *v);

#endif
