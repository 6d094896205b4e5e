// SPDX-License-Identifier: GPL-2.0-only
/*
 * Operator input: text and key chords as scan-code set 1 events (US
 * layout, what the guest's default keymap decodes), pointer moves, clicks
 * and the wheel, and the command words enlctl relays to us.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hidvsp.h"

#define SC_LSHIFT	0x2a
#define SC_LCTRL	0x1d
#define SC_LALT		0x38
#define SC_LMETA	0x5b	/* E0 */

/* Unshifted and shifted characters on the US layout, by set-1 code. */
static const struct {
	unsigned char code;
	char plain, shifted;
} char_keys[] = {
	{ 0x02, '1', '!' }, { 0x03, '2', '@' }, { 0x04, '3', '#' },
	{ 0x05, '4', '$' }, { 0x06, '5', '%' }, { 0x07, '6', '^' },
	{ 0x08, '7', '&' }, { 0x09, '8', '*' }, { 0x0a, '9', '(' },
	{ 0x0b, '0', ')' }, { 0x0c, '-', '_' }, { 0x0d, '=', '+' },
	{ 0x0f, '\t', 0 },
	{ 0x10, 'q', 'Q' }, { 0x11, 'w', 'W' }, { 0x12, 'e', 'E' },
	{ 0x13, 'r', 'R' }, { 0x14, 't', 'T' }, { 0x15, 'y', 'Y' },
	{ 0x16, 'u', 'U' }, { 0x17, 'i', 'I' }, { 0x18, 'o', 'O' },
	{ 0x19, 'p', 'P' }, { 0x1a, '[', '{' }, { 0x1b, ']', '}' },
	{ 0x1c, '\n', 0 },
	{ 0x1e, 'a', 'A' }, { 0x1f, 's', 'S' }, { 0x20, 'd', 'D' },
	{ 0x21, 'f', 'F' }, { 0x22, 'g', 'G' }, { 0x23, 'h', 'H' },
	{ 0x24, 'j', 'J' }, { 0x25, 'k', 'K' }, { 0x26, 'l', 'L' },
	{ 0x27, ';', ':' }, { 0x28, '\'', '"' }, { 0x29, '`', '~' },
	{ 0x2b, '\\', '|' },
	{ 0x2c, 'z', 'Z' }, { 0x2d, 'x', 'X' }, { 0x2e, 'c', 'C' },
	{ 0x2f, 'v', 'V' }, { 0x30, 'b', 'B' }, { 0x31, 'n', 'N' },
	{ 0x32, 'm', 'M' }, { 0x33, ',', '<' }, { 0x34, '.', '>' },
	{ 0x35, '/', '?' }, { 0x39, ' ', 0 },
};

static const struct {
	const char *name;
	unsigned char code;
	bool e0;
} named_keys[] = {
	{ "esc", 0x01, false }, { "escape", 0x01, false },
	{ "backspace", 0x0e, false }, { "tab", 0x0f, false },
	{ "enter", 0x1c, false }, { "return", 0x1c, false },
	{ "ctrl", SC_LCTRL, false }, { "control", SC_LCTRL, false },
	{ "shift", SC_LSHIFT, false }, { "alt", SC_LALT, false },
	{ "space", 0x39, false }, { "capslock", 0x3a, false },
	{ "f1", 0x3b, false }, { "f2", 0x3c, false }, { "f3", 0x3d, false },
	{ "f4", 0x3e, false }, { "f5", 0x3f, false }, { "f6", 0x40, false },
	{ "f7", 0x41, false }, { "f8", 0x42, false }, { "f9", 0x43, false },
	{ "f10", 0x44, false }, { "f11", 0x57, false }, { "f12", 0x58, false },
	{ "numlock", 0x45, false }, { "scrolllock", 0x46, false },
	{ "rctrl", 0x1d, true }, { "ralt", 0x38, true }, { "altgr", 0x38, true },
	{ "meta", SC_LMETA, true }, { "win", SC_LMETA, true }, { "super", SC_LMETA, true },
	{ "home", 0x47, true }, { "up", 0x48, true }, { "pgup", 0x49, true },
	{ "pageup", 0x49, true }, { "left", 0x4b, true }, { "right", 0x4d, true },
	{ "end", 0x4f, true }, { "down", 0x50, true }, { "pgdn", 0x51, true },
	{ "pagedown", 0x51, true }, { "insert", 0x52, true }, { "ins", 0x52, true },
	{ "delete", 0x53, true }, { "del", 0x53, true },
};

int hid_key_of_char(char c, struct hid_key *k)
{
	size_t i;

	for (i = 0; i < sizeof(char_keys) / sizeof(char_keys[0]); i++) {
		if (c == char_keys[i].plain || (c && c == char_keys[i].shifted)) {
			k->code = char_keys[i].code;
			k->e0 = false;
			k->shift = c != char_keys[i].plain;
			return 0;
		}
	}
	return -EINVAL;
}

int hid_key_of_name(const char *name, struct hid_key *k)
{
	size_t i;

	for (i = 0; i < sizeof(named_keys) / sizeof(named_keys[0]); i++) {
		if (!strcasecmp(name, named_keys[i].name)) {
			k->code = named_keys[i].code;
			k->e0 = named_keys[i].e0;
			k->shift = false;
			return 0;
		}
	}
	/* one character: its key, without the shift a capital would need */
	if (name[0] && !name[1] && !hid_key_of_char((char)tolower((unsigned char)name[0]), k))
		return 0;
	return -EINVAL;
}

/*
 * One event; a full ring (a long text faster than the guest reads) is
 * waited out for up to a second: the guest drains it on its own.
 */
static int kbd_send(struct hid_vsp *h, unsigned int code, bool e0, bool up)
{
	const struct timespec ms = { .tv_nsec = 1000 * 1000 };
	int err, tries = 1000;

	while ((err = hid_kbd_event(h, code, e0, up)) == -EAGAIN && tries--)
		nanosleep(&ms, NULL);
	return err;
}

static int tap(struct hid_vsp *h, const struct hid_key *k)
{
	int err = 0;

	if (k->shift)
		err = kbd_send(h, SC_LSHIFT, false, false);
	if (!err)
		err = kbd_send(h, k->code, k->e0, false);
	if (!err)
		err = kbd_send(h, k->code, k->e0, true);
	if (!err && k->shift)
		err = kbd_send(h, SC_LSHIFT, false, true);
	return err;
}

int hid_type_text(struct hid_vsp *h, const char *text)
{
	struct hid_key k;
	const char *p;
	int err;

	/* all or nothing: check every character before the first key goes */
	for (p = text; *p; p++)
		if (hid_key_of_char(*p, &k))
			return -EINVAL;
	for (p = text; *p; p++) {
		hid_key_of_char(*p, &k);
		err = tap(h, &k);
		if (err)
			return err;
	}
	return 0;
}

#define MAX_CHORD	8

int hid_press_chord(struct hid_vsp *h, const char *chord)
{
	struct hid_key keys[MAX_CHORD];
	char buf[128], *tok, *save;
	int n = 0, i, err = 0;

	if (strlen(chord) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, chord);
	for (tok = strtok_r(buf, "+", &save); tok; tok = strtok_r(NULL, "+", &save)) {
		if (n == MAX_CHORD || hid_key_of_name(tok, &keys[n]))
			return -EINVAL;
		n++;
	}
	if (!n)
		return -EINVAL;
	/* press in order, release in reverse: ctrl+alt+del as a person does */
	for (i = 0; i < n && !err; i++)
		err = kbd_send(h, keys[i].code, keys[i].e0, false);
	while (i-- > 0) {
		int e = kbd_send(h, keys[i].code, keys[i].e0, true);

		if (!err)
			err = e;
	}
	return err;
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;

	if (!s)
		return -EINVAL;
	errno = 0;
	*out = strtol(s, &end, 10);
	if (errno || end == s || *end || *out < lo || *out > hi)
		return -EINVAL;
	return 0;
}

static int fail(char *reply, size_t len, int err, const char *what)
{
	snprintf(reply, len, "%s: %s", what,
		 err == -ENOTCONN ? "the guest's driver is not connected" :
		 strerror(-err));
	return -err;
}

int hid_command(struct hid_vsp *h, int argc, char **argv, char *reply,
		size_t len)
{
	const char *w0 = argc > 0 ? argv[0] : "";
	long x, y, n;
	int err;

	snprintf(reply, len, "ok");
	if (!strcmp(w0, "type") && argc == 2) {
		err = hid_type_text(h, argv[1]);
		if (err == -EINVAL)
			return snprintf(reply, len, "type: only ASCII text, newlines and tabs can be typed"), EINVAL;
		return err ? fail(reply, len, err, "type") : 0;
	}
	if (!strcmp(w0, "key") && argc == 2) {
		err = hid_press_chord(h, argv[1]);
		if (err == -EINVAL)
			return snprintf(reply, len, "key: unknown key in '%s'", argv[1]), EINVAL;
		return err ? fail(reply, len, err, "key") : 0;
	}
	if (!strcmp(w0, "mouse") && argc == 4 && !strcmp(argv[1], "move")) {
		if (parse_int(argv[2], 0, 32767, &x) || parse_int(argv[3], 0, 32767, &y))
			return snprintf(reply, len, "mouse move: X and Y are 0..32767"), EINVAL;
		err = hid_mouse_report(h, (unsigned int)x, (unsigned int)y, h->buttons, 0);
		return err ? fail(reply, len, err, "mouse move") : 0;
	}
	if (!strcmp(w0, "click") && argc <= 2) {
		unsigned int b;

		if (argc == 1 || !strcmp(argv[1], "left"))
			b = 1;
		else if (!strcmp(argv[1], "right"))
			b = 2;
		else if (!strcmp(argv[1], "middle"))
			b = 4;
		else
			return snprintf(reply, len, "click: left, right or middle"), EINVAL;
		err = hid_mouse_report(h, h->x, h->y, h->buttons | b, 0);
		if (!err)
			err = hid_mouse_report(h, h->x, h->y, h->buttons & ~b, 0);
		return err ? fail(reply, len, err, "click") : 0;
	}
	if (!strcmp(w0, "wheel") && argc == 2) {
		if (parse_int(argv[1], -127, 127, &n) || !n)
			return snprintf(reply, len, "wheel: N is -127..127, not 0"), EINVAL;
		err = hid_mouse_report(h, h->x, h->y, h->buttons, (int)n);
		return err ? fail(reply, len, err, "wheel") : 0;
	}
	snprintf(reply, len,
		 "unknown input command (type TEXT | key CHORD | mouse move X Y | click [left|right|middle] | wheel N)");
	return EINVAL;
}
