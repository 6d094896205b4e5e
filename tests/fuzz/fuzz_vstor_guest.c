// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for enl_storvsc's reading of the host's packets: a
 * ring packet as enl_vmbus hands it over (enl_pkt_parse(), then, for a
 * completion, the verdict of include/enl/vstor_guest.c), with the
 * command's buffer length and kind from the first bytes.  Whatever the
 * host sends, the verdict stays within the buffer and the sense area.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <enl/vmbus_packet.h>
#include <enl/vstor_guest.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct enl_vstor_verdict v;
	struct enl_pkt p;
	u32 buf_len;
	bool block_rw;
	u8 *pkt;

	if (size < 5 || size > 4096)
		return 0;
	memcpy(&buf_len, data, 4);
	block_rw = data[4] & 1;
	data += 5;
	size -= 5;
	/* the module's packet buffer is 8-byte aligned and exactly this long */
	pkt = malloc(size ? size : 1);
	if (!pkt)
		return 0;
	memcpy(pkt, data, size);
	if (!enl_pkt_parse(pkt, (u32)size, &p) && p.type == VMBUS_PKT_COMPLETION) {
		enl_vstor_guest_verdict(p.payload, p.payload_len, buf_len, block_rw, &v);
		if (v.kind > ENL_VSTOR_V_RESET || v.resid > buf_len ||
		    v.sense_len > ENL_VSTOR_SENSE_SIZE ||
		    (v.sense_len && v.scsi_status != ENL_SAM_STAT_CHECK_CONDITION) ||
		    (v.bad && v.kind != ENL_VSTOR_V_ERROR))
			abort();
	}
	/* and straight on a payload of any length */
	enl_vstor_guest_verdict(pkt, (u32)size, buf_len, block_rw, &v);
	if (v.resid > buf_len || v.sense_len > ENL_VSTOR_SENSE_SIZE)
		abort();
	free(pkt);
	return 0;
}
