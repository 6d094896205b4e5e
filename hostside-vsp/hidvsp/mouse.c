// SPDX-License-Identifier: GPL-2.0-only
/*
 * The synthetic mouse: SynthHID 2.0 behind a pipe header.  On every open
 * the guest asks for the protocol; we answer, then send the device info
 * with our report descriptor (the order matters: the stock driver waits
 * for the answer first, then for the device info, on one completion), and
 * the guest acknowledges.  From then on input reports flow.
 */
#include <errno.h>
#include <string.h>

#include "hidvsp.h"

/*
 * Our report, 6 bytes: buttons (bits 0-4), X and Y absolute 0..32767
 * (little-endian u16), wheel (s8, relative).  Absolute, so a position
 * given by the operator lands exactly there whatever the guest's
 * acceleration settings.  Byte 14 is not 0x25: the stock driver rewrites
 * that byte to 0x29 (a fix for an old Hyper-V descriptor).
 */
static const unsigned char mouse_rdesc[] = {
	0x05, 0x01,		/* Usage Page (Generic Desktop) */
	0x09, 0x02,		/* Usage (Mouse) */
	0xa1, 0x01,		/* Collection (Application) */
	0x09, 0x01,		/*   Usage (Pointer) */
	0xa1, 0x00,		/*   Collection (Physical) */
	0x05, 0x09,		/*     Usage Page (Button) */
	0x19, 0x01,		/*     Usage Minimum (1) */
	0x29, 0x05,		/*     Usage Maximum (5) */
	0x15, 0x00,		/*     Logical Minimum (0) */
	0x25, 0x01,		/*     Logical Maximum (1) */
	0x95, 0x05,		/*     Report Count (5) */
	0x75, 0x01,		/*     Report Size (1) */
	0x81, 0x02,		/*     Input (Data, Variable, Absolute) */
	0x95, 0x01,		/*     Report Count (1) */
	0x75, 0x03,		/*     Report Size (3) */
	0x81, 0x01,		/*     Input (Constant): padding */
	0x05, 0x01,		/*     Usage Page (Generic Desktop) */
	0x09, 0x30,		/*     Usage (X) */
	0x09, 0x31,		/*     Usage (Y) */
	0x15, 0x00,		/*     Logical Minimum (0) */
	0x26, 0xff, 0x7f,	/*     Logical Maximum (32767) */
	0x75, 0x10,		/*     Report Size (16) */
	0x95, 0x02,		/*     Report Count (2) */
	0x81, 0x02,		/*     Input (Data, Variable, Absolute) */
	0x09, 0x38,		/*     Usage (Wheel) */
	0x15, 0x81,		/*     Logical Minimum (-127) */
	0x25, 0x7f,		/*     Logical Maximum (127) */
	0x75, 0x08,		/*     Report Size (8) */
	0x95, 0x01,		/*     Report Count (1) */
	0x81, 0x06,		/*     Input (Data, Variable, Relative) */
	0xc0,			/*   End Collection */
	0xc0,			/* End Collection */
};
_Static_assert(sizeof(mouse_rdesc) >= ENL_SYNTHHID_MIN_RDESC, "stock guests patch byte 14");

#define MOUSE_REPORT_LEN	6

static int send_msg(struct vsp_chan *ch, const void *buf, int len)
{
	if (len < 0)
		return len;
	/* The guest ignores completions; we ask for none either. */
	return vsp_chan_send(ch, VMBUS_PKT_INBAND, 0, 0, buf, (u32)len);
}

static void answer_request(struct hid_vsp *h, struct vsp_chan *ch,
			   const struct enl_synthhid_msg *m)
{
	unsigned char buf[ENL_SYNTHHID_MAX_PAYLOAD];
	unsigned char body[5];
	u32 version;
	int err;

	if (enl_synthhid_parse_request(m, &version)) {
		vsp_err("mouse: short PROTOCOL_REQUEST (%u bytes)", m->body_len);
		return;
	}
	memcpy(body, &version, 4);
	body[4] = version == ENL_SYNTHHID_VERSION;
	err = send_msg(ch, buf, enl_synthhid_build(buf, sizeof(buf),
			ENL_SYNTHHID_PROTOCOL_RESPONSE, body, sizeof(body)));
	if (err) {
		vsp_err("mouse: PROTOCOL_RESPONSE not sent: %s", strerror(-err));
		return;
	}
	if (!body[4]) {
		vsp_err("mouse: guest asks for SynthHID %u.%u, we speak 2.0: refused",
			version >> 16, version & 0xffff);
		h->mouse_state = HID_REFUSED;
		return;
	}
	err = send_msg(ch, buf, enl_synthhid_build_devinfo(buf, sizeof(buf),
			ENL_SYNTHHID_VENDOR, ENL_SYNTHHID_PRODUCT,
			ENL_SYNTHHID_DEV_VERSION, mouse_rdesc,
			sizeof(mouse_rdesc)));
	if (err) {
		vsp_err("mouse: INITIAL_DEVICE_INFO not sent: %s", strerror(-err));
		return;
	}
	h->mouse_state = HID_WAIT_ACK;
	vsp_info("mouse: protocol 2.0 accepted, device info sent (%zu-byte report descriptor)",
		 sizeof(mouse_rdesc));
}

static void mouse_packet(struct hid_vsp *h, struct vsp_chan *ch,
			 const u8 *pkt, u32 len)
{
	struct enl_synthhid_msg m;
	struct enl_pkt pk;
	int err;

	if (enl_pkt_parse(pkt, len, &pk) || pk.type != VMBUS_PKT_INBAND)
		return;		/* completions of what we sent: nothing to do */
	err = enl_synthhid_parse(pk.payload, pk.payload_len, &m);
	if (err) {
		vsp_err("mouse: bad message from the guest (%u bytes): %s",
			pk.payload_len, strerror(-err));
		return;
	}
	switch (m.type) {
	case ENL_SYNTHHID_PROTOCOL_REQUEST:
		answer_request(h, ch, &m);
		break;
	case ENL_SYNTHHID_DEVICE_INFO_ACK:
		if (h->mouse_state == HID_WAIT_ACK) {
			h->mouse_state = HID_READY;
			vsp_info("mouse: guest acknowledged the device info: ready");
		}
		break;
	default:
		vsp_dbg("mouse: message type %u ignored", m.type);
		break;
	}
}

static int mouse_open(struct vsp_chan *ch)
{
	struct hid_vsp *h = vsp_chan_priv(ch);

	h->mouse_state = HID_WAIT_REQUEST;
	hid_publish(h);
	return 0;
}

static void mouse_kick(struct vsp_chan *ch)
{
	struct hid_vsp *h = vsp_chan_priv(ch);
	u8 buf[ENL_SYNTHHID_MAX_PKT] __attribute__((aligned(8)));
	u32 len;
	int ret;

	while ((ret = vsp_chan_recv(ch, buf, sizeof(buf), &len)) == 1)
		mouse_packet(h, ch, buf, len);
	if (ret == -EMSGSIZE)
		vsp_err("mouse: guest packet of %u bytes is too large", len);
	hid_publish(h);
}

static void mouse_close(struct vsp_chan *ch)
{
	struct hid_vsp *h = vsp_chan_priv(ch);

	h->mouse_state = HID_CLOSED;
	hid_publish(h);
}

const struct vsp_chan_ops hid_mouse_ops = {
	.on_open = mouse_open,
	.on_kick = mouse_kick,
	.on_close = mouse_close,
};

int hid_mouse_report(struct hid_vsp *h, unsigned int x, unsigned int y,
		     unsigned int buttons, int wheel)
{
	unsigned char buf[ENL_SYNTHHID_BODY_OFF + MOUSE_REPORT_LEN];
	unsigned char r[MOUSE_REPORT_LEN];
	int err;

	if (h->mouse_state != HID_READY)
		return -ENOTCONN;
	if (x > 32767 || y > 32767 || wheel < -127 || wheel > 127)
		return -ERANGE;
	r[0] = buttons & 0x1f;
	r[1] = x & 0xff;
	r[2] = x >> 8;
	r[3] = y & 0xff;
	r[4] = y >> 8;
	r[5] = (unsigned char)(signed char)wheel;
	err = send_msg(h->mouse, buf, enl_synthhid_build(buf, sizeof(buf),
			ENL_SYNTHHID_INPUT_REPORT, r, sizeof(r)));
	if (err)
		return err;
	h->x = x;
	h->y = y;
	h->buttons = buttons & 0x1f;
	h->reports++;
	return 0;
}
