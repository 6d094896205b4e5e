// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of include/enl/synthhid.c (the synthetic mouse and keyboard
 * messages, as both the guest module and enl-hidvsp parse them) and of
 * enl-hidvsp's input layer (text, chords and pointer commands turned into
 * events; the senders are stubbed here and record what would go out).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include <enl/synthhid_msg.h>
#include "hostside-vsp/hidvsp/hidvsp.h"
#include "test_libvsp_fake.h"

/* ---- stubs of the daemon's senders ------------------------------------ */

struct ev {
	unsigned int code;
	bool e0, up;
};

static struct ev evs[256];
static unsigned int nev;
static struct {
	unsigned int x, y, buttons;
	int wheel;
} reps[16];
static unsigned int nrep;
static int send_err;

int hid_kbd_event(struct hid_vsp *h, unsigned int code, bool e0, bool up)
{
	if (send_err)
		return send_err;
	assert_true(nev < 256);
	evs[nev++] = (struct ev){ code, e0, up };
	return 0;
}

int hid_mouse_report(struct hid_vsp *h, unsigned int x, unsigned int y,
		     unsigned int buttons, int wheel)
{
	if (send_err)
		return send_err;
	assert_true(nrep < 16);
	reps[nrep].x = x;
	reps[nrep].y = y;
	reps[nrep].buttons = buttons;
	reps[nrep].wheel = wheel;
	nrep++;
	h->x = x;
	h->y = y;
	h->buttons = buttons;
	return 0;
}

/* hid_command() on words: "type" keeps the rest as one word */
static int cmd(struct hid_vsp *h, const char *line, char *reply, size_t len)
{
	char buf[256], *w[8], *save, *t;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	if (!strncmp(buf, "type ", 5)) {
		w[0] = "type";
		w[1] = buf + 5;
		return hid_command(h, 2, w, reply, len);
	}
	for (t = strtok_r(buf, " ", &save); t && n < 8; t = strtok_r(NULL, " ", &save))
		w[n++] = t;
	return hid_command(h, n, w, reply, len);
}

static int reset(void **state)
{
	nev = nrep = 0;
	send_err = 0;
	return 0;
}

/* ---- mouse messages ---------------------------------------------------- */

static const u8 rdesc16[16] = { 0x05, 0x01, 0x09, 0x02, 0xa1, 0x01, 0x09, 0x01,
				0xa1, 0x00, 0x05, 0x09, 0x19, 0x01, 0x29, 0x05 };

static void put32(u8 *p, u32 v)
{
	memcpy(p, &v, 4);
}

static void test_layout(void **state)
{
	assert_int_equal(sizeof(struct enl_synthhid_device_info), 49);
	assert_int_equal(offsetof(struct enl_synthhid_device_info, desc), 40);
	assert_int_equal(sizeof(struct enl_synthhid_protocol_response), 13);
	assert_int_equal(sizeof(struct enl_synthkbd_event), 12);
}

static void test_request_roundtrip(void **state)
{
	u8 buf[64];
	u32 v = ENL_SYNTHHID_VERSION, got;
	struct enl_synthhid_msg m;
	int n;

	n = enl_synthhid_build(buf, sizeof(buf), ENL_SYNTHHID_PROTOCOL_REQUEST, &v, 4);
	assert_int_equal(n, 20);
	assert_int_equal(enl_synthhid_parse(buf, n, &m), 0);
	assert_int_equal(m.type, ENL_SYNTHHID_PROTOCOL_REQUEST);
	assert_int_equal(m.size, 4);
	assert_int_equal(enl_synthhid_parse_request(&m, &got), 0);
	assert_int_equal(got, ENL_SYNTHHID_VERSION);
	/* 6.1 pads its request to 23 bytes: the sizes decide, not the packet */
	memset(buf + n, 0xee, 3);
	assert_int_equal(enl_synthhid_parse(buf, n + 3, &m), 0);
	assert_int_equal(m.body_len, 4);
}

static void test_response(void **state)
{
	u8 buf[64], body[5] = { 0, 0, 2, 0, 1 };
	struct enl_synthhid_msg m;
	bool ok;
	u32 v;
	int n;

	n = enl_synthhid_build(buf, sizeof(buf), ENL_SYNTHHID_PROTOCOL_RESPONSE, body, 5);
	/* what the 6.1 guest can take: pipe size 13 */
	assert_int_equal(n - 8, ENL_SYNTHHID_RESPONSE_PIPE_MAX);
	assert_int_equal(enl_synthhid_parse(buf, n, &m), 0);
	assert_int_equal(enl_synthhid_parse_response(&m, &v, &ok), 0);
	assert_int_equal(v, 0x20000);
	assert_true(ok);
	/* a response body of 4 bytes has no approved byte */
	n = enl_synthhid_build(buf, sizeof(buf), ENL_SYNTHHID_PROTOCOL_RESPONSE, body, 4);
	assert_int_equal(enl_synthhid_parse(buf, n, &m), 0);
	assert_int_equal(enl_synthhid_parse_response(&m, &v, &ok), -EINVAL);
}

static void test_parse_bad_headers(void **state)
{
	u8 buf[64];
	struct enl_synthhid_msg m;
	u32 v = 1;
	int n = enl_synthhid_build(buf, sizeof(buf), ENL_SYNTHHID_PROTOCOL_REQUEST, &v, 4);

	assert_int_equal(enl_synthhid_parse(buf, 15, &m), -EINVAL);
	put32(buf, 0);			/* pipe type invalid */
	assert_int_equal(enl_synthhid_parse(buf, n, &m), -EPROTO);
	put32(buf, 2);
	assert_int_equal(enl_synthhid_parse(buf, n, &m), -EPROTO);
	put32(buf, 1);
	put32(buf + 4, 13);		/* pipe size past the packet */
	assert_int_equal(enl_synthhid_parse(buf, n, &m), -EMSGSIZE);
	put32(buf + 4, 0xffffffffu);
	assert_int_equal(enl_synthhid_parse(buf, n, &m), -EMSGSIZE);
	put32(buf + 4, 7);		/* shorter than the SynthHID header */
	assert_int_equal(enl_synthhid_parse(buf, n, &m), -EINVAL);
	put32(buf + 4, 12);
	put32(buf + 12, 5);		/* SynthHID size past the pipe */
	assert_int_equal(enl_synthhid_parse(buf, n, &m), -EMSGSIZE);
	/* an unknown type parses; the callers ignore it */
	put32(buf + 12, 4);
	put32(buf + 8, 99);
	assert_int_equal(enl_synthhid_parse(buf, n, &m), 0);
	assert_int_equal(m.type, 99);
}

static int devinfo(u8 *buf, u32 len, const u8 *rd, u32 rdlen)
{
	return enl_synthhid_build_devinfo(buf, len, 0x045e, 0x0621, 1, rd, rdlen);
}

static void test_devinfo_roundtrip(void **state)
{
	u8 buf[256];
	struct enl_synthhid_devinfo d;
	struct enl_synthhid_msg m;
	int n = devinfo(buf, sizeof(buf), rdesc16, sizeof(rdesc16));

	assert_int_equal(n, 16 + 32 + 9 + 16);
	/* the stock guest wants pipe size = whole SynthHID message, >= 49 */
	assert_int_equal(n - 8, 49 + 16);
	assert_int_equal(enl_synthhid_parse(buf, n, &m), 0);
	assert_int_equal(enl_synthhid_parse_devinfo(&m, &d), 0);
	assert_int_equal(d.info.vendor, 0x045e);
	assert_int_equal(d.info.product, 0x0621);
	assert_int_equal(d.rdesc_len, 16);
	assert_memory_equal(d.rdesc, rdesc16, 16);
	assert_ptr_equal(d.rdesc, buf + 16 + 32 + 9);
}

static void test_devinfo_hostile(void **state)
{
	u8 buf[256], big[ENL_SYNTHHID_MAX_RDESC + 1];
	struct enl_synthhid_devinfo d;
	struct enl_synthhid_msg m;
	u8 *hd = buf + 16 + 32;
	int n = devinfo(buf, sizeof(buf), rdesc16, sizeof(rdesc16));

	/* report length past the message */
	hd[7] = 17;
	assert_int_equal(enl_synthhid_parse(buf, n, &m), 0);
	assert_int_equal(enl_synthhid_parse_devinfo(&m, &d), -EMSGSIZE);
	hd[7] = 0xff;
	hd[8] = 0xff;
	assert_int_equal(enl_synthhid_parse_devinfo(&m, &d), -EMSGSIZE);
	/* no report descriptor, or one too short for the stock patch */
	hd[7] = 0;
	hd[8] = 0;
	assert_int_equal(enl_synthhid_parse_devinfo(&m, &d), -EINVAL);
	hd[7] = 14;
	assert_int_equal(enl_synthhid_parse_devinfo(&m, &d), -EINVAL);
	hd[7] = 16;
	/* bLength moves the report descriptor: past the end */
	hd[0] = 10;
	assert_int_equal(enl_synthhid_parse_devinfo(&m, &d), -EMSGSIZE);
	hd[0] = 255;
	assert_int_equal(enl_synthhid_parse_devinfo(&m, &d), -EMSGSIZE);
	hd[0] = 8;			/* shorter than a HID descriptor */
	assert_int_equal(enl_synthhid_parse_devinfo(&m, &d), -EINVAL);
	hd[0] = 9;
	hd[1] = 0x22;			/* not a HID descriptor */
	assert_int_equal(enl_synthhid_parse_devinfo(&m, &d), -EINVAL);
	hd[1] = 0x21;
	hd[5] = 0;			/* no subordinate descriptor */
	assert_int_equal(enl_synthhid_parse_devinfo(&m, &d), -EINVAL);
	hd[5] = 1;
	hd[6] = 0x23;			/* subordinate is not a report descriptor */
	assert_int_equal(enl_synthhid_parse_devinfo(&m, &d), -EINVAL);
	hd[6] = 0x22;
	assert_int_equal(enl_synthhid_parse_devinfo(&m, &d), 0);
	/* body too short for the fixed part */
	m.body_len = 40;
	assert_int_equal(enl_synthhid_parse_devinfo(&m, &d), -EINVAL);
	/* builder refuses what the parser would refuse */
	memset(big, 0, sizeof(big));
	assert_int_equal(devinfo(buf, sizeof(buf), big, 0), -EINVAL);
	assert_int_equal(devinfo(buf, sizeof(buf), big, sizeof(big)), -EINVAL);
	assert_int_equal(devinfo(buf, 60, rdesc16, 16), -ENOSPC);
}

static void test_devinfo_largest(void **state)
{
	static u8 buf[ENL_SYNTHHID_MAX_PAYLOAD], rd[ENL_SYNTHHID_MAX_RDESC];
	struct enl_synthhid_devinfo d;
	struct enl_synthhid_msg m;
	int n;

	memset(rd, 0xa5, sizeof(rd));
	n = devinfo(buf, sizeof(buf), rd, sizeof(rd));
	/* the largest fits the guest's 4 KiB packet buffer, descriptor included */
	assert_int_equal(n, ENL_SYNTHHID_MAX_PAYLOAD);
	assert_true(16 + n <= 4096);
	assert_int_equal(enl_synthhid_parse(buf, n, &m), 0);
	assert_int_equal(enl_synthhid_parse_devinfo(&m, &d), 0);
	assert_int_equal(d.rdesc_len, ENL_SYNTHHID_MAX_RDESC);
}

static void test_report(void **state)
{
	u8 buf[ENL_SYNTHHID_MAX_PAYLOAD], r[100];
	struct enl_synthhid_msg m;
	const u8 *got;
	u32 len;
	int n;

	memset(r, 7, sizeof(r));
	n = enl_synthhid_build(buf, sizeof(buf), ENL_SYNTHHID_INPUT_REPORT, r, 6);
	assert_int_equal(enl_synthhid_parse(buf, n, &m), 0);
	assert_int_equal(enl_synthhid_parse_report(&m, 64, &got, &len), 0);
	assert_int_equal(len, 6);
	assert_ptr_equal(got, buf + 16);
	/* oversized report */
	n = enl_synthhid_build(buf, sizeof(buf), ENL_SYNTHHID_INPUT_REPORT, r, 65);
	assert_int_equal(enl_synthhid_parse(buf, n, &m), 0);
	assert_int_equal(enl_synthhid_parse_report(&m, 64, &got, &len), -EMSGSIZE);
	/* empty report */
	n = enl_synthhid_build(buf, sizeof(buf), ENL_SYNTHHID_INPUT_REPORT, r, 0);
	assert_int_equal(enl_synthhid_parse(buf, n, &m), 0);
	assert_int_equal(enl_synthhid_parse_report(&m, 64, &got, &len), -EINVAL);
	/* a report size past the pipe never reaches the report parser */
	n = enl_synthhid_build(buf, sizeof(buf), ENL_SYNTHHID_INPUT_REPORT, r, 6);
	put32(buf + 12, 4000);
	assert_int_equal(enl_synthhid_parse(buf, n, &m), -EMSGSIZE);
	/* builder: a body the guest could not take */
	assert_int_equal(enl_synthhid_build(buf, sizeof(buf), 4, r,
					    ENL_SYNTHHID_MAX_PAYLOAD), -ENOSPC);
}

/* ---- keyboard messages ------------------------------------------------- */

static void test_kbd_messages(void **state)
{
	struct enl_synthkbd_event ev = { ENL_SYNTHKBD_EVENT, 0x1e, 0, 0 };
	u32 type, v, info;
	u16 code;
	u8 b[2];

	assert_int_equal(enl_synthkbd_type(&ev, 3, &type), -EINVAL);
	assert_int_equal(enl_synthkbd_type(&ev, 12, &type), 0);
	assert_int_equal(type, ENL_SYNTHKBD_EVENT);
	assert_int_equal(enl_synthkbd_parse_u32(&ev, 7, &v), -EINVAL);
	assert_int_equal(enl_synthkbd_parse_event(&ev, 11, &code, &info), -EINVAL);
	assert_int_equal(enl_synthkbd_parse_event(&ev, 12, &code, &info), 0);
	assert_int_equal(code, 0x1e);
	ev.info = ENL_SYNTHKBD_INFO_UNICODE;
	assert_int_equal(enl_synthkbd_parse_event(&ev, 12, &code, &info), -ERANGE);
	ev.info = 0;
	ev.make_code = 0x80;
	assert_int_equal(enl_synthkbd_parse_event(&ev, 12, &code, &info), -ERANGE);

	assert_int_equal(enl_synthkbd_event_bytes(0x1e, 0, b), 1);
	assert_int_equal(b[0], 0x1e);
	assert_int_equal(enl_synthkbd_event_bytes(0x1e, ENL_SYNTHKBD_INFO_BREAK, b), 1);
	assert_int_equal(b[0], 0x9e);
	assert_int_equal(enl_synthkbd_event_bytes(0x53, ENL_SYNTHKBD_INFO_E0 |
						  ENL_SYNTHKBD_INFO_BREAK, b), 2);
	assert_int_equal(b[0], 0xe0);
	assert_int_equal(b[1], 0xd3);
	assert_int_equal(enl_synthkbd_event_bytes(0x1d, ENL_SYNTHKBD_INFO_E1, b), 2);
	assert_int_equal(b[0], 0xe1);
}

/* ---- the daemon's input layer ----------------------------------------- */

static void test_keymap(void **state)
{
	struct hid_key k;

	assert_int_equal(hid_key_of_char('h', &k), 0);
	assert_int_equal(k.code, 0x23);
	assert_false(k.shift);
	assert_int_equal(hid_key_of_char('H', &k), 0);
	assert_int_equal(k.code, 0x23);
	assert_true(k.shift);
	assert_int_equal(hid_key_of_char(' ', &k), 0);
	assert_int_equal(k.code, 0x39);
	assert_int_equal(hid_key_of_char('!', &k), 0);
	assert_int_equal(k.code, 0x02);
	assert_true(k.shift);
	assert_int_equal(hid_key_of_char('\n', &k), 0);
	assert_int_equal(k.code, 0x1c);
	assert_int_equal(hid_key_of_char('\x01', &k), -EINVAL);
	assert_int_equal(hid_key_of_char((char)0xe9, &k), -EINVAL);
	assert_int_equal(hid_key_of_name("DEL", &k), 0);
	assert_int_equal(k.code, 0x53);
	assert_true(k.e0);
	assert_int_equal(hid_key_of_name("f12", &k), 0);
	assert_int_equal(k.code, 0x58);
	assert_int_equal(hid_key_of_name("A", &k), 0);
	assert_int_equal(k.code, 0x1e);
	assert_false(k.shift);
	assert_int_equal(hid_key_of_name("nosuchkey", &k), -EINVAL);
}

static void test_type_hello(void **state)
{
	static const unsigned char codes[] = { 0x23, 0x12, 0x26, 0x26, 0x18, 0x39,
					       0x11, 0x18, 0x13, 0x26, 0x20 };
	struct hid_vsp h = { 0 };
	char reply[128];
	unsigned int i;

	assert_int_equal(cmd(&h, "type hello world", reply, sizeof(reply)), 0);
	assert_int_equal(nev, 2 * sizeof(codes));
	for (i = 0; i < sizeof(codes); i++) {
		assert_int_equal(evs[2 * i].code, codes[i]);
		assert_false(evs[2 * i].up);
		assert_int_equal(evs[2 * i + 1].code, codes[i]);
		assert_true(evs[2 * i + 1].up);
	}
	/* a capital: shift around it */
	nev = 0;
	assert_int_equal(cmd(&h, "type A", reply, sizeof(reply)), 0);
	assert_int_equal(nev, 4);
	assert_int_equal(evs[0].code, 0x2a);
	assert_int_equal(evs[1].code, 0x1e);
	assert_true(evs[3].up);
	assert_int_equal(evs[3].code, 0x2a);
	/* nothing goes out of a text with one untypeable character */
	nev = 0;
	assert_int_equal(cmd(&h, "type ab\x01", reply, sizeof(reply)), EINVAL);
	assert_int_equal(nev, 0);
}

static void test_chord(void **state)
{
	struct hid_vsp h = { 0 };
	char reply[128];

	assert_int_equal(cmd(&h, "key ctrl+alt+del", reply, sizeof(reply)), 0);
	assert_int_equal(nev, 6);
	assert_int_equal(evs[0].code, 0x1d);
	assert_int_equal(evs[1].code, 0x38);
	assert_int_equal(evs[2].code, 0x53);
	assert_true(evs[2].e0);
	assert_false(evs[2].up);
	/* released in reverse */
	assert_int_equal(evs[3].code, 0x53);
	assert_true(evs[3].up);
	assert_int_equal(evs[5].code, 0x1d);
	assert_true(evs[5].up);
	nev = 0;
	assert_int_equal(cmd(&h, "key ctrl+bogus", reply, sizeof(reply)), EINVAL);
	assert_int_equal(cmd(&h, "key +", reply, sizeof(reply)), EINVAL);
	assert_int_equal(cmd(&h, "key a+b+c+d+e+f+g+h+i", reply, sizeof(reply)), EINVAL);
	assert_int_equal(nev, 0);
	/* the guest's driver not there: ENOTCONN, said in words */
	send_err = -ENOTCONN;
	assert_int_equal(cmd(&h, "key enter", reply, sizeof(reply)), ENOTCONN);
	assert_non_null(strstr(reply, "not connected"));
}

static void test_mouse_commands(void **state)
{
	struct hid_vsp h = { 0 };
	char reply[128];

	assert_int_equal(cmd(&h, "mouse move 100 32767", reply, sizeof(reply)), 0);
	assert_int_equal(nrep, 1);
	assert_int_equal(reps[0].x, 100);
	assert_int_equal(reps[0].y, 32767);
	assert_int_equal(cmd(&h, "click", reply, sizeof(reply)), 0);
	assert_int_equal(nrep, 3);
	assert_int_equal(reps[1].buttons, 1);
	assert_int_equal(reps[1].x, 100);
	assert_int_equal(reps[2].buttons, 0);
	assert_int_equal(cmd(&h, "click right", reply, sizeof(reply)), 0);
	assert_int_equal(reps[3].buttons, 2);
	assert_int_equal(cmd(&h, "wheel -3", reply, sizeof(reply)), 0);
	assert_int_equal(reps[5].wheel, -3);
	assert_int_equal(reps[5].y, 32767);
	nrep = 0;
	assert_int_equal(cmd(&h, "mouse move 32768 0", reply, sizeof(reply)), EINVAL);
	assert_int_equal(cmd(&h, "mouse move -1 0", reply, sizeof(reply)), EINVAL);
	assert_int_equal(cmd(&h, "mouse move 1", reply, sizeof(reply)), EINVAL);
	assert_int_equal(cmd(&h, "mouse move 1x 2", reply, sizeof(reply)), EINVAL);
	assert_int_equal(cmd(&h, "click both", reply, sizeof(reply)), EINVAL);
	assert_int_equal(cmd(&h, "wheel 0", reply, sizeof(reply)), EINVAL);
	assert_int_equal(cmd(&h, "wheel 128", reply, sizeof(reply)), EINVAL);
	assert_int_equal(cmd(&h, "jump", reply, sizeof(reply)), EINVAL);
	assert_int_equal(cmd(&h, "", reply, sizeof(reply)), EINVAL);
	assert_int_equal(nrep, 0);
}

/* ---- the real enl-hidvsp against a fake enl-host and a fake guest ------- */

static char hidvsp_path[4200];

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

/* The next packet the daemon put in c's host-to-guest ring: payload len. */
static u32 guest_read(struct fk_chan *c, u8 *payload, u32 cap)
{
	u8 pkt[1024] __attribute__((aligned(8)));
	struct enl_pkt pk;
	u32 len;
	int r, tries = 300;

	while ((r = enl_ring_read(&c->h2g, pkt, sizeof(pkt), &len)) == 0 && tries--)
		sleep_ms(10);
	assert_int_equal(r, 1);
	enl_ring_commit(&c->h2g);
	assert_int_equal(enl_pkt_parse(pkt, len, &pk), 0);
	assert_int_equal(pk.type, VMBUS_PKT_INBAND);
	assert_true(pk.payload_len <= cap);
	memcpy(payload, pk.payload, pk.payload_len);
	return pk.payload_len;
}

static void offer_answer(struct fk_host *h, const enl_guid_t *cls, u32 relid)
{
	struct vsp_offer off;

	fk_expect(h, VSP_OFFER, 5000);
	memcpy(&off, h->buf, sizeof(off));
	assert_memory_equal(&off.if_type, cls, sizeof(*cls));
	fk_offer_result(h, off.cookie, 0, relid);
}

static void open_chan(struct fk_host *h, struct fk_chan *c)
{
	fk_open(h, c);
	fk_expect(h, VSP_OPEN_REPLY, 5000);
	assert_int_equal(fk_open_reply(h).status, 0);
}

/* A relayed command: the daemon's status, its text in reply. */
static u32 relay(struct fk_host *h, const char *line, char *reply, size_t cap)
{
	static u32 req_id = 1;
	struct vsp_daemon_cmd c;
	struct vsp_daemon_reply r;

	memset(&c, 0, sizeof(c));
	c.hdr.type = VSP_DAEMON_CMD;
	c.hdr.len = sizeof(c);
	c.req_id = ++req_id;
	snprintf(c.cmd, sizeof(c.cmd), "%s", line);
	fk_send(h->fd, &c, sizeof(c), NULL, 0);
	fk_expect(h, VSP_DAEMON_REPLY, 5000);
	memcpy(&r, h->buf, sizeof(r));
	assert_int_equal(r.req_id, req_id);
	snprintf(reply, cap, "%s", (const char *)h->buf + sizeof(r));
	return r.status;
}

static void test_daemon_e2e(void **state)
{
	static const enl_guid_t mouse = ENL_GUID_MOUSE, kbd = ENL_GUID_KEYBOARD;
	/* what a 6.1 guest sends: its structs, padded past the sizes */
	static const u8 req61[23] = { 1, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0,
				      0, 0, 2, 0 };
	static const u8 ack61[20] = { 1, 0, 0, 0, 9, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0 };
	struct enl_synthkbd_protocol_request kreq = { ENL_SYNTHKBD_PROTOCOL_REQUEST,
						      ENL_SYNTHKBD_VERSION };
	struct enl_synthhid_devinfo d;
	struct enl_synthhid_msg m;
	struct fk_chan mc, kc;
	struct fk_host h;
	u8 p[512];
	char sock[108], reply[256];
	const u8 *rep;
	u32 len, v, info;
	u16 code;
	bool ok;
	int lfd, fd, status, i, tries;
	pid_t pid;

	if (access(hidvsp_path, X_OK)) {
		print_message("  %s not built: skipped\n", hidvsp_path);
		skip();
	}
	snprintf(sock, sizeof(sock), "/tmp/enl-test-hidvsp-%d.sock", (int)getpid());
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
		assert_true(lfd >= 0);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
		unlink(sock);
		assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(listen(lfd, 2), 0);
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(hidvsp_path, "enl-hidvsp", "--vm", sock, "-q", (char *)NULL);
		_exit(127);
	}
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(fd >= 0);
	fk_init(&h, fd, 4 << 20);
	fk_expect(&h, VSP_HELLO, 5000);
	fk_welcome(&h);
	offer_answer(&h, &mouse, 1);
	offer_answer(&h, &kbd, 2);

	/* input before the guest's driver is there: ENOTCONN, in words */
	assert_int_equal(relay(&h, "click", reply, sizeof(reply)), ENOTCONN);
	assert_non_null(strstr(reply, "not connected"));

	fk_chan_init(&h, &mc, 1, 0);
	fk_chan_init(&h, &kc, 2, 1);
	open_chan(&h, &mc);
	open_chan(&h, &kc);

	/* mouse: the answer first, then the device info */
	fk_guest_send(&mc, 0x1234, req61, sizeof(req61));
	len = guest_read(&mc, p, sizeof(p));
	assert_int_equal(enl_synthhid_parse(p, len, &m), 0);
	assert_int_equal(m.type, ENL_SYNTHHID_PROTOCOL_RESPONSE);
	/* the pipe size, not the padded packet, is what the 6.1 guest copies */
	memcpy(&v, p + 4, 4);
	assert_int_equal(v, ENL_SYNTHHID_RESPONSE_PIPE_MAX);
	assert_int_equal(enl_synthhid_parse_response(&m, &v, &ok), 0);
	assert_true(ok);
	assert_int_equal(v, ENL_SYNTHHID_VERSION);
	len = guest_read(&mc, p, sizeof(p));
	assert_int_equal(enl_synthhid_parse(p, len, &m), 0);
	assert_int_equal(m.type, ENL_SYNTHHID_INITIAL_DEVICE_INFO);
	assert_int_equal(enl_synthhid_parse_devinfo(&m, &d), 0);
	assert_int_equal(d.info.vendor, ENL_SYNTHHID_VENDOR);
	assert_int_equal(d.info.product, ENL_SYNTHHID_PRODUCT);
	assert_true(d.rdesc_len >= ENL_SYNTHHID_MIN_RDESC);
	assert_int_not_equal(d.rdesc[14], 0x25);
	fk_guest_send(&mc, 0x1235, ack61, sizeof(ack61));

	/* keyboard */
	fk_guest_send(&kc, 0x99, &kreq, sizeof(kreq));
	len = guest_read(&kc, p, sizeof(p));
	assert_int_equal(len, 8);
	assert_int_equal(enl_synthkbd_type(p, len, &v), 0);
	assert_int_equal(v, ENL_SYNTHKBD_PROTOCOL_RESPONSE);
	assert_int_equal(enl_synthkbd_parse_u32(p, len, &v), 0);
	assert_int_equal(v & ENL_SYNTHKBD_ACCEPTED, 1);

	/* the ack and the command race (eventfd vs socket): retry a little */
	tries = 100;
	while ((status = (int)relay(&h, "mouse move 100 300", reply, sizeof(reply))) == ENOTCONN &&
	       tries--)
		sleep_ms(10);
	assert_int_equal(status, 0);
	/* status keys go with the device's channel (the last one sent) */
	assert_string_equal(h.last_key, "keyboard_leds");
	assert_int_equal(h.last_status_relid, 2);
	len = guest_read(&mc, p, sizeof(p));
	assert_int_equal(enl_synthhid_parse(p, len, &m), 0);
	assert_int_equal(m.type, ENL_SYNTHHID_INPUT_REPORT);
	assert_int_equal(enl_synthhid_parse_report(&m, ENL_SYNTHHID_MAX_REPORT, &rep, &len), 0);
	assert_int_equal(len, 6);
	assert_int_equal(rep[0], 0);
	assert_int_equal(rep[1] | rep[2] << 8, 100);
	assert_int_equal(rep[3] | rep[4] << 8, 300);

	assert_int_equal(relay(&h, "wheel -2", reply, sizeof(reply)), 0);
	len = guest_read(&mc, p, sizeof(p));
	assert_int_equal(enl_synthhid_parse(p, len, &m), 0);
	assert_int_equal(enl_synthhid_parse_report(&m, ENL_SYNTHHID_MAX_REPORT, &rep, &len), 0);
	assert_int_equal((signed char)rep[5], -2);
	assert_int_equal(rep[1] | rep[2] << 8, 100);

	/* a word with a space arrives %-encoded */
	assert_int_equal(relay(&h, "type a%20B", reply, sizeof(reply)), 0);
	{
		static const struct { u16 code; bool up; } want[] = {
			{ 0x1e, false }, { 0x1e, true }, { 0x39, false }, { 0x39, true },
			{ 0x2a, false }, { 0x30, false }, { 0x30, true }, { 0x2a, true },
		};

		for (i = 0; i < 8; i++) {
			len = guest_read(&kc, p, sizeof(p));
			assert_int_equal(enl_synthkbd_parse_event(p, len, &code, &info), 0);
			assert_int_equal(code, want[i].code);
			assert_int_equal(!!(info & ENL_SYNTHKBD_INFO_BREAK), want[i].up);
		}
	}
	assert_int_equal(relay(&h, "key ctrl+alt+del", reply, sizeof(reply)), 0);
	for (i = 0; i < 6; i++) {
		len = guest_read(&kc, p, sizeof(p));
		assert_int_equal(enl_synthkbd_parse_event(p, len, &code, &info), 0);
		if (i == 2 || i == 3) {
			assert_int_equal(code, 0x53);
			assert_true(info & ENL_SYNTHKBD_INFO_E0);
		}
	}
	assert_int_equal(relay(&h, "key nosuchkey", reply, sizeof(reply)), EINVAL);
	assert_int_equal(relay(&h, "bogus", reply, sizeof(reply)), EINVAL);

	/* a hostile guest: garbage on both channels is logged, nothing sent */
	fk_guest_send(&mc, 1, "\x02\0\0\0\xff\xff\xff\xff", 8);
	fk_guest_send(&kc, 1, "\x01", 1);
	assert_int_equal(relay(&h, "click right", reply, sizeof(reply)), 0);
	len = guest_read(&mc, p, sizeof(p));
	assert_int_equal(enl_synthhid_parse(p, len, &m), 0);
	assert_int_equal(enl_synthhid_parse_report(&m, ENL_SYNTHHID_MAX_REPORT, &rep, &len), 0);
	assert_int_equal(rep[0], 2);

	/* enl-host goes away: the daemon exits 0 */
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	fk_chan_fini(&mc);
	fk_chan_fini(&kc);
	h.fd = -1;
	fk_fini(&h);
	close(lfd);
	unlink(sock);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_request_roundtrip),
		cmocka_unit_test(test_response),
		cmocka_unit_test(test_parse_bad_headers),
		cmocka_unit_test(test_devinfo_roundtrip),
		cmocka_unit_test(test_devinfo_hostile),
		cmocka_unit_test(test_devinfo_largest),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_kbd_messages),
		cmocka_unit_test(test_keymap),
		cmocka_unit_test_setup(test_type_hello, reset),
		cmocka_unit_test_setup(test_chord, reset),
		cmocka_unit_test_setup(test_mouse_commands, reset),
		cmocka_unit_test(test_daemon_e2e),
	};
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	/* the daemon next to this test: $(BUILD)/tests/unit/../../bin */
	if (n > 0) {
		self[n] = 0;
		*strrchr(self, '/') = 0;
		snprintf(hidvsp_path, sizeof(hidvsp_path), "%s/../../bin/enl-hidvsp", self);
	}
	signal(SIGPIPE, SIG_IGN);

	return cmocka_run_group_tests(tests, NULL, NULL);
}
