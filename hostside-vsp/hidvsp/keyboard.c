// SPDX-License-Identifier: GPL-2.0-only
/*
 * The synthetic keyboard: raw messages (no pipe header).  The guest asks
 * for protocol 1.0 on every open; we accept it, then send scan-code set 1
 * events.  Guests never send LED indicators today (Linux does not); if one
 * does, its state is shown in status.
 */
#include <errno.h>
#include <string.h>

#include "hidvsp.h"

static void kbd_packet(struct hid_vsp *h, struct vsp_chan *ch,
		       const u8 *pkt, u32 len)
{
	struct enl_synthkbd_protocol_response resp;
	struct enl_pkt pk;
	u32 type, val;
	int err;

	if (enl_pkt_parse(pkt, len, &pk) || pk.type != VMBUS_PKT_INBAND)
		return;
	if (enl_synthkbd_type(pk.payload, pk.payload_len, &type)) {
		vsp_err("keyboard: message of %u bytes ignored", pk.payload_len);
		return;
	}
	switch (type) {
	case ENL_SYNTHKBD_PROTOCOL_REQUEST:
		if (enl_synthkbd_parse_u32(pk.payload, pk.payload_len, &val)) {
			vsp_err("keyboard: short PROTOCOL_REQUEST");
			return;
		}
		resp.type = ENL_SYNTHKBD_PROTOCOL_RESPONSE;
		resp.status = val == ENL_SYNTHKBD_VERSION ? ENL_SYNTHKBD_ACCEPTED : 0;
		err = vsp_chan_send(ch, VMBUS_PKT_INBAND, 0, 0, &resp, sizeof(resp));
		if (err) {
			vsp_err("keyboard: PROTOCOL_RESPONSE not sent: %s", strerror(-err));
			return;
		}
		if (resp.status) {
			h->kbd_state = HID_READY;
			vsp_info("keyboard: protocol 1.0 accepted: ready");
		} else {
			h->kbd_state = HID_REFUSED;
			vsp_err("keyboard: guest asks for version 0x%x, we speak 1.0: refused",
				val);
		}
		break;
	case ENL_SYNTHKBD_LED_INDICATORS:
		if (!enl_synthkbd_parse_u32(pk.payload, pk.payload_len, &val))
			h->leds = val & 0x7;
		break;
	default:
		vsp_dbg("keyboard: message type %u ignored", type);
		break;
	}
}

static int kbd_open(struct vsp_chan *ch)
{
	struct hid_vsp *h = vsp_chan_priv(ch);

	h->kbd_state = HID_WAIT_REQUEST;
	hid_publish(h);
	return 0;
}

static void kbd_kick(struct vsp_chan *ch)
{
	struct hid_vsp *h = vsp_chan_priv(ch);
	u8 buf[ENL_SYNTHHID_MAX_PKT] __attribute__((aligned(8)));
	u32 len;
	int ret;

	while ((ret = vsp_chan_recv(ch, buf, sizeof(buf), &len)) == 1)
		kbd_packet(h, ch, buf, len);
	if (ret == -EMSGSIZE)
		vsp_err("keyboard: guest packet of %u bytes is too large", len);
	hid_publish(h);
}

static void kbd_close(struct vsp_chan *ch)
{
	struct hid_vsp *h = vsp_chan_priv(ch);

	h->kbd_state = HID_CLOSED;
	hid_publish(h);
}

const struct vsp_chan_ops hid_kbd_ops = {
	.on_open = kbd_open,
	.on_kick = kbd_kick,
	.on_close = kbd_close,
};

int hid_kbd_event(struct hid_vsp *h, unsigned int code, bool e0, bool up)
{
	struct enl_synthkbd_event ev = {
		.type = ENL_SYNTHKBD_EVENT,
		.make_code = code & 0x7f,
		.info = (e0 ? ENL_SYNTHKBD_INFO_E0 : 0) |
			(up ? ENL_SYNTHKBD_INFO_BREAK : 0),
	};
	int err;

	if (h->kbd_state != HID_READY)
		return -ENOTCONN;
	err = vsp_chan_send(h->kbd, VMBUS_PKT_INBAND, 0, 0, &ev, sizeof(ev));
	if (!err)
		h->keys++;
	return err;
}
