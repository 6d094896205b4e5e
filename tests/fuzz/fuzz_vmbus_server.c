// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the VMBus server: the input is a script of guest
 * messages and host-side requests.  Each run starts from a connected 5.3
 * guest with three offers, so most inputs reach the GPADL and channel
 * paths; op codes force GPADL header/body types to dig into range parsing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/vmbus_sim.h"

enum { OP_POST, OP_POST_CONN1, OP_GPADL_HDR, OP_GPADL_BODY, OP_RESCIND,
       OP_REOFFER, OP_RELEASE, OP_OFFER, OP_WAITS, OP_OPEN_DONE,
       OP_CLOSE_DONE, OP_REMOVE, OP_WITHDRAW, OP_COUNT };

static void prime(struct sim *t)
{
	static const enl_guid_t cls = ENL_GUID_SCSI;
	struct vmbus_initiate_contact c = {
		.hdr.msgtype = CHANNELMSG_INITIATE_CONTACT,
		.version_requested = VMBUS_VERSION_WIN10_V5_3,
		.msg_sint = HV_VMBUS_SINT,
	};
	struct vmbus_msg_hdr r = { .msgtype = CHANNELMSG_REQUESTOFFERS };
	enl_guid_t inst = ENL_GUID(0xabcdef01, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
	uint16_t i;

	sim_init(t);
	for (i = 0; i < 3; i++) {
		inst.b[15] = (uint8_t)i;
		sim_offer(t, &cls, &inst, 0);
	}
	vmbus_server_post(&t->s, 4, HV_MESSAGE_TYPE_VMBUS, &c, sizeof(c));
	vmbus_server_post(&t->s, 4, HV_MESSAGE_TYPE_VMBUS, &r, sizeof(r));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sim t;
	uint8_t msg[HV_MESSAGE_PAYLOAD_MAX + 16];
	uint32_t last_handle = 1;

	prime(&t);
	while (size >= 2) {
		uint8_t op = data[0] % OP_COUNT, len = data[1];
		uint32_t v = 0;

		data += 2;
		size -= 2;
		if (len > size)
			len = (uint8_t)size;
		memset(msg, 0, sizeof(msg));
		memcpy(msg, data, len);
		memcpy(&v, msg, sizeof(v));
		data += len;
		size -= len;
		t.nout = 0;	/* the record of sent messages is not the point */

		switch (op) {
		case OP_POST:
			vmbus_server_post(&t.s, t.s.msg_conn_id,
					  HV_MESSAGE_TYPE_VMBUS, msg, len);
			break;
		case OP_POST_CONN1:
			vmbus_server_post(&t.s, msg[0] & 7,
					  msg[1] & 3, msg + 2,
					  len > 2 ? len - 2u : 0);
			break;
		case OP_GPADL_HDR: {
			struct vmbus_gpadl_header *h = (void *)msg;

			h->hdr.msgtype = CHANNELMSG_GPADL_HEADER;
			h->child_relid = 1 + (h->child_relid & 3);
			last_handle = h->gpadl;
			vmbus_server_post(&t.s, t.s.msg_conn_id,
					  HV_MESSAGE_TYPE_VMBUS, msg, len);
			break;
		}
		case OP_GPADL_BODY: {
			struct vmbus_gpadl_body *b = (void *)msg;

			b->hdr.msgtype = CHANNELMSG_GPADL_BODY;
			b->gpadl = last_handle;
			vmbus_server_post(&t.s, t.s.msg_conn_id,
					  HV_MESSAGE_TYPE_VMBUS, msg, len);
			break;
		}
		case OP_RESCIND:
			vmbus_server_rescind(&t.s, v & 7);
			break;
		case OP_REOFFER:
			vmbus_server_reoffer(&t.s, v & 7);
			break;
		case OP_WITHDRAW:
			vmbus_server_withdraw(&t.s, v & 7);
			break;
		case OP_RELEASE:
			vmbus_server_gpadl_released(&t.s, v);
			break;
		case OP_OFFER: {
			enl_guid_t inst = { { 0 } }, cls = ENL_GUID_NETWORK;

			memcpy(&inst, msg, 16);
			sim_offer(&t, &cls, &inst, msg[16] & 1);
			break;
		}
		case OP_WAITS:
			/* How the "daemon" answers: teardowns, opens, closes. */
			t.daemon_waits = msg[0] & 1;
			t.open_defer = msg[0] & 2;
			t.open_status = msg[0] & 4 ? 0xc0000001u : 0;
			t.close_waits = msg[0] & 8;
			break;
		case OP_OPEN_DONE:
		case OP_CLOSE_DONE:
		case OP_REMOVE: {
			struct vmbus_channel *ch = vmbus_server_channel(&t.s, v & 7);

			if (!ch)
				break;
			if (op == OP_OPEN_DONE)
				vmbus_server_open_done(&t.s, ch, msg[4] & 1 ? 0xc0000001u : 0);
			else if (op == OP_CLOSE_DONE)
				vmbus_server_close_done(&t.s, ch);
			else
				vmbus_server_remove_offer(&t.s, ch);
			break;
		}
		}
	}
	vmbus_server_fini(&t.s);
	return 0;
}
