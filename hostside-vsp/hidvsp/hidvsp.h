/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * enl-hidvsp: the synthetic mouse and keyboard of one VM.  Everything runs
 * on libvsp's loop thread (no worker channels): the guest's packets, the
 * operator's commands and the injected input, so the state below needs no
 * lock.
 */
#ifndef ENL_HIDVSP_H
#define ENL_HIDVSP_H

#include <stdbool.h>
#include <stddef.h>

#include "hostside-vsp/lib/vsp.h"
#include <enl/synthhid_msg.h>

/* One state per device; `enlctl status` shows the name. */
enum hid_dev_state {
	HID_CLOSED,		/* guest has not opened the channel */
	HID_WAIT_REQUEST,	/* open; waiting for PROTOCOL_REQUEST */
	HID_WAIT_ACK,		/* mouse: device info sent, waiting for its ack */
	HID_READY,		/* input goes through */
	HID_REFUSED,		/* guest asked for a version we do not speak */
};

struct hid_vsp {
	struct vsp *v;
	struct vsp_chan *mouse;
	struct vsp_chan *kbd;
	enum hid_dev_state mouse_state;	/* loop thread */
	enum hid_dev_state kbd_state;	/* loop thread */
	/* last pointer state sent, so `click` and `wheel` keep the position */
	unsigned int x, y, buttons;
	unsigned long reports, keys;	/* sent, for status */
	unsigned int leds;		/* from LED_INDICATORS, if any */
};

extern const struct vsp_chan_ops hid_mouse_ops;
extern const struct vsp_chan_ops hid_kbd_ops;

const char *hid_state_name(enum hid_dev_state s);
void hid_publish(struct hid_vsp *h);

/* Input; 0 or -errno (-ENOTCONN: the guest's driver is not ready). */
int hid_mouse_report(struct hid_vsp *h, unsigned int x, unsigned int y,
		     unsigned int buttons, int wheel);
int hid_kbd_event(struct hid_vsp *h, unsigned int code, bool e0, bool up);

/* Scan-code set 1 of a key. */
struct hid_key {
	unsigned char code;
	bool e0;
	bool shift;		/* for a character: needs shift held */
};

/* A printable ASCII character (or \n, \t): 0, or -EINVAL. */
int hid_key_of_char(char c, struct hid_key *k);
/* A key name ("del", "f1", "a", "ctrl" ...): 0 or -EINVAL. */
int hid_key_of_name(const char *name, struct hid_key *k);

/* Type text / a chord like "ctrl+alt+del".  0 or -errno. */
int hid_type_text(struct hid_vsp *h, const char *text);
int hid_press_chord(struct hid_vsp *h, const char *chord);

/*
 * An operator command, as decoded words: "type TEXT", "key CHORD", "mouse
 * move X Y", "click [left|right|middle]", "wheel N".  0 or a positive
 * errno, with a one-line result or error in reply.
 */
int hid_command(struct hid_vsp *h, int argc, char **argv, char *reply,
		size_t len);

#endif
