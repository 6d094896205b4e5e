// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvsp against a fake enl-host and guest (test_libvsp_fake.h): the
 * daemon's answer to an open (OPEN_REPLY, refusals with their errno),
 * CHANNEL_TARGET's SIEF address (bug 11 of issue 8), 300 channels from one
 * daemon, subchannel offers, and the in-flight region: a daemon killed
 * with -9 holding requests it took off the ring, and the next one
 * finishing them; a take interrupted between its stores.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "tests/unit/test_libvsp_fake.h"

#define MB (1ull << 20)

static const enl_guid_t test_class = ENL_GUID_HEARTBEAT;

/* ---- an echo daemon: completes every packet, counts what it saw --------- */

struct echo {
	int opens, closes, kicks, packets, replays;
	int refuse;			/* on_open's answer */
	bool keep;			/* take, never complete (for -9) */
	bool use_take;
	u64 seen[64];			/* trans_ids, in order */
	int nseen;
	u64 tokens[64];
	int ntokens;
	/* subchannels */
	int subs_ok, subs_failed;
	u16 sub_index[16];
	struct vsp_chan *subs[16];
};

static int e_open(struct vsp_chan *ch)
{
	struct echo *e = vsp_chan_priv(ch);

	e->opens++;
	return e->refuse;
}

static void e_close(struct vsp_chan *ch)
{
	((struct echo *)vsp_chan_priv(ch))->closes++;
}

static void e_finish(struct vsp_chan *ch, struct echo *e, const u8 *pkt,
		     u64 token)
{
	struct vmbus_pkt_desc d;

	memcpy(&d, pkt, sizeof(d));
	if (e->nseen < 64)
		e->seen[e->nseen++] = d.trans_id;
	if (e->keep) {
		if (e->ntokens < 64)
			e->tokens[e->ntokens++] = token;
		return;
	}
	assert_int_equal(vsp_chan_send_completion(ch, d.trans_id, NULL, 0), 0);
	vsp_chan_complete(ch, token);
}

static void e_kick(struct vsp_chan *ch)
{
	struct echo *e = vsp_chan_priv(ch);
	u8 pkt[256] __attribute__((aligned(8)));
	u64 token = 0;
	u32 len;
	int r;

	for (;;) {
		r = e->use_take ? vsp_chan_take(ch, pkt, sizeof(pkt), &len, &token)
				: vsp_chan_recv(ch, pkt, sizeof(pkt), &len);
		if (r != 1)
			break;
		e_finish(ch, e, pkt, token);
		/* counted when done: a worker's counts are waited for */
		__atomic_fetch_add(&e->packets, 1, __ATOMIC_RELEASE);
	}
	if (e->keep)
		vsp_status_set(vsp_chan_vsp(ch), vsp_chan_relid(ch), "taken",
			       "%d", e->ntokens);
	__atomic_fetch_add(&e->kicks, 1, __ATOMIC_RELEASE);
}

static void e_replay(struct vsp_chan *ch, const void *pkt, u32 len, u64 token)
{
	struct echo *e = vsp_chan_priv(ch);

	e_finish(ch, e, pkt, token);
	__atomic_fetch_add(&e->replays, 1, __ATOMIC_RELEASE);
}

static void e_subchannel(struct vsp_chan *p, struct vsp_chan *sub, u16 index,
			 int err)
{
	struct echo *e = vsp_chan_priv(p);

	if (err) {
		e->subs_failed++;
		return;
	}
	assert_true(e->subs_ok < 16);
	assert_int_equal(vsp_chan_sub_index(sub), index);
	assert_ptr_equal(vsp_chan_primary(sub), p);
	e->sub_index[e->subs_ok] = index;
	e->subs[e->subs_ok++] = sub;
}

static const struct vsp_chan_ops echo_ops = {
	.on_open = e_open, .on_close = e_close, .on_kick = e_kick,
	.on_replay = e_replay, .on_subchannel = e_subchannel,
};

/* ---- the daemon in this process ----------------------------------------- */

struct rig {
	struct fk_host h;
	struct vsp *v;
	int daemon_fd;
};

static void rig_connect(struct rig *r, u64 ram)
{
	int sv[2], err;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	fk_init(&r->h, sv[0], ram);
	memset(r->h.ram + FK_SIEF_GPA, 0, 4096);
	fk_welcome(&r->h);
	r->v = vsp_connect_fd(sv[1], "test", &err);
	assert_non_null(r->v);
	fk_expect(&r->h, VSP_HELLO, 0);
}

static void rig_free(struct rig *r)
{
	vsp_free(r->v);
	close(r->h.fd);
	fk_fini(&r->h);
}

static void rig_pump(struct rig *r)
{
	for (int i = 0; i < 10; i++)
		assert_int_equal(vsp_poll_once(r->v, 0), 0);
}

/* Offer with the OFFER_RESULT queued first (vsp_offer waits for it). */
static struct vsp_chan *rig_offer(struct rig *r, const struct vsp_offer_params *p,
				  void *priv, u32 relid)
{
	struct vsp_chan *ch;

	fk_offer_result(&r->h, r->v->next_cookie + 1, 0, relid);
	assert_int_equal(vsp_offer(r->v, p, &echo_ops, priv, &ch), 0);
	fk_expect(&r->h, VSP_OFFER, 0);
	assert_int_equal(vsp_chan_relid(ch), relid);
	return ch;
}

static void params_init(struct vsp_offer_params *p, u8 inst)
{
	memset(p, 0, sizeof(*p));
	p->if_type = test_class;
	p->if_instance.b[0] = inst;
	p->if_instance.b[15] = 0xe1;
}

static void expect_open_reply(struct rig *r, u32 relid, u32 status)
{
	struct vsp_open_reply o;

	fk_expect(&r->h, VSP_OPEN_REPLY, 1000);
	o = fk_open_reply(&r->h);
	assert_int_equal(o.relid, relid);
	assert_int_equal(o.status, status);
}

/* ---- open decided by the daemon ----------------------------------------- */

static void test_refuse_open(void **state)
{
	struct rig r;
	struct echo e = { .refuse = -ENODEV };
	struct vsp_offer_params p;
	struct vsp_chan *ch;
	struct fk_chan c;
	u64 tid;
	u16 type;

	rig_connect(&r, 4 * MB);
	params_init(&p, 1);
	ch = rig_offer(&r, &p, &e, 3);
	fk_chan_init(&r.h, &c, 3, 0);

	/* refused: the errno goes back, the channel stays closed, no
	 * on_close (it was never open), nothing touched the rings */
	fk_open(&r.h, &c);
	rig_pump(&r);
	expect_open_reply(&r, 3, ENODEV);
	assert_int_equal(e.opens, 1);
	assert_int_equal(e.closes, 0);
	assert_false(vsp_chan_is_open(ch));
	assert_int_equal(vsp_chan_send(ch, VMBUS_PKT_INBAND, 0, 1, "x", 1), -ENOTCONN);

	/* a positive value is not an errno: refused with EIO */
	e.refuse = 5;
	fk_open(&r.h, &c);
	rig_pump(&r);
	expect_open_reply(&r, 3, EIO);

	/* the guest opens again later: served; a packet is echoed */
	e.refuse = 0;
	fk_open(&r.h, &c);
	rig_pump(&r);
	expect_open_reply(&r, 3, 0);
	assert_true(vsp_chan_is_open(ch));
	fk_guest_send(&c, 77, "ping", 4);
	rig_pump(&r);
	assert_int_equal(fk_guest_recv(&c, &tid, &type), 1);
	assert_int_equal(tid, 77);
	assert_int_equal(type, VMBUS_PKT_COMPLETION);

	/* close: CLOSE_DONE, on_close once */
	fk_relid_msg(&r.h, VSP_CHANNEL_CLOSE, 3);
	rig_pump(&r);
	fk_expect(&r.h, VSP_CLOSE_DONE, 1000);
	assert_int_equal(e.closes, 1);
	fk_chan_fini(&c);
	rig_free(&r);
}

/*
 * Bug 11: CHANNEL_TARGET's sief_gpa was taken unchecked, and the bit's
 * address sief_gpa + 512 wrapped to guest address 0.  Now a target that
 * is not page aligned is ignored and the old SIEF page stays in use.
 */
static void test_target_sief_wrap(void **state)
{
	struct rig r;
	struct echo e = { 0 };
	struct vsp_offer_params p;
	struct vsp_chan *ch;
	struct fk_chan c;
	struct vsp_channel_target t;
	int newcall = eventfd(0, EFD_CLOEXEC);
	u32 *low0;

	rig_connect(&r, 4 * MB);
	params_init(&p, 2);
	ch = rig_offer(&r, &p, &e, 5);
	fk_chan_init(&r.h, &c, 5, 0);
	fk_open(&r.h, &c);
	rig_pump(&r);
	expect_open_reply(&r, 5, 0);

	low0 = (u32 *)r.h.ram;
	*low0 = 0;
	memset(&t, 0, sizeof(t));
	t.hdr.type = VSP_CHANNEL_TARGET;
	t.hdr.len = sizeof(t);
	t.relid = 5;
	t.sief_gpa = 0ull - HV_VMBUS_SINT * HV_EVENT_FLAGS_BYTES;	/* + 512 == 0 */
	fk_send(r.h.fd, &t, sizeof(t), &newcall, 1);
	rig_pump(&r);
	assert_int_equal(vsp_chan_signal(ch), 0);
	assert_int_equal(*low0, 0);			/* guest address 0 untouched */
	assert_true(r.h.ram[FK_SIEF_GPA + 2 * 256] & (1 << 5));	/* old page */

	/* a good target is taken: the bit goes to the new page */
	t.sief_gpa = 0x20000;
	memset(r.h.ram + 0x20000, 0, 4096);
	fk_send(r.h.fd, &t, sizeof(t), &newcall, 1);
	rig_pump(&r);
	assert_int_equal(vsp_chan_signal(ch), 0);
	assert_true(r.h.ram[0x20000 + 2 * 256] & (1 << 5));
	assert_int_equal(*low0, 0);
	close(newcall);
	fk_chan_fini(&c);
	rig_free(&r);
}

/* ---- scale: 300 channels on one loop ------------------------------------ */

#define NCHAN 300

static void test_300_channels(void **state)
{
	struct rig r;
	static struct echo e[NCHAN];
	static struct fk_chan c[NCHAN];
	static struct vsp_chan *ch[NCHAN];
	struct vsp_offer_params p;
	u64 tid;
	u16 type;

	memset(e, 0, sizeof(e));
	rig_connect(&r, 8 * MB);
	for (int i = 0; i < NCHAN; i++) {
		params_init(&p, 0);
		p.if_instance.b[1] = (u8)i;
		p.if_instance.b[2] = (u8)(i >> 8);
		ch[i] = rig_offer(&r, &p, &e[i], (u32)(10 + i));
	}
	for (int i = 0; i < NCHAN; i++) {
		fk_chan_init(&r.h, &c[i], (u32)(10 + i), (u32)i);
		fk_open(&r.h, &c[i]);
		rig_pump(&r);
		expect_open_reply(&r, (u32)(10 + i), 0);
	}
	for (int i = 0; i < NCHAN; i++)
		assert_true(vsp_chan_is_open(ch[i]));

	/* kicks on the last channels, the first, and one in the middle */
	for (int i = NCHAN - 3; i < NCHAN; i++)
		fk_guest_send(&c[i], 1000 + (u64)i, "k", 1);
	fk_guest_send(&c[0], 1000, "k", 1);
	fk_guest_send(&c[150], 1150, "k", 1);
	rig_pump(&r);
	for (int i = 0; i < NCHAN; i++) {
		bool kicked = i >= NCHAN - 3 || i == 0 || i == 150;

		assert_int_equal(e[i].packets, kicked ? 1 : 0);
		if (!kicked)
			continue;
		assert_int_equal(fk_guest_recv(&c[i], &tid, &type), 1);
		assert_int_equal(tid, 1000 + (u64)i);
		assert_int_equal(type, VMBUS_PKT_COMPLETION);
	}
	/* a second round on the very last one */
	fk_guest_send(&c[NCHAN - 1], 7, "again", 5);
	rig_pump(&r);
	assert_int_equal(fk_guest_recv(&c[NCHAN - 1], &tid, &type), 1);
	assert_int_equal(tid, 7);

	/* enl-host goes away: every channel gets on_close */
	close(r.h.fd);
	assert_int_equal(vsp_run(r.v), 0);
	for (int i = 0; i < NCHAN; i++) {
		assert_int_equal(e[i].closes, 1);
		fk_chan_fini(&c[i]);
	}
	vsp_free(r.v);
	fk_fini(&r.h);
}

/* ---- subchannels ----------------------------------------------------------- */

static void test_subchannels(void **state)
{
	struct rig r;
	struct echo e = { 0 };
	struct vsp_offer_params p;
	struct vsp_chan *prim;
	struct vsp_offer o;
	u32 cookies[4];

	rig_connect(&r, 4 * MB);
	params_init(&p, 9);
	p.user_defined[0] = 0x5a;
	prim = rig_offer(&r, &p, &e, 20);

	assert_int_equal(vsp_offer_subchannels(prim, 0, NULL), -EINVAL);
	assert_int_equal(vsp_offer_subchannels(prim, 3, NULL), 0);
	rig_pump(&r);
	for (int i = 0; i < 3; i++) {
		fk_expect(&r.h, VSP_OFFER, 1000);
		memcpy(&o, r.h.buf, sizeof(o));
		/* same class and instance as the primary, indices 1..3 */
		assert_memory_equal(&o.if_type, &p.if_type, sizeof(p.if_type));
		assert_memory_equal(&o.if_instance, &p.if_instance, sizeof(p.if_instance));
		assert_int_equal(o.sub_channel_index, i + 1);
		assert_int_equal(o.user_defined[0], 0x5a);
		cookies[i] = o.cookie;
	}
	/* enl-host: the second one has no relid left */
	fk_offer_result(&r.h, cookies[0], 0, 21);
	fk_offer_result(&r.h, cookies[1], ENOSPC, 0);
	fk_offer_result(&r.h, cookies[2], 0, 23);
	rig_pump(&r);
	assert_int_equal(e.subs_ok, 2);
	assert_int_equal(e.subs_failed, 1);
	assert_int_equal(e.sub_index[0], 1);
	assert_int_equal(e.sub_index[1], 3);
	assert_int_equal(vsp_chan_relid(e.subs[0]), 21);
	assert_int_equal(vsp_chan_relid(e.subs[1]), 23);
	/* a subchannel has no subchannels */
	assert_int_equal(vsp_offer_subchannels(e.subs[0], 1, NULL), -EINVAL);

	/* more later: index 4 */
	assert_int_equal(vsp_offer_subchannels(prim, 1, NULL), 0);
	rig_pump(&r);
	fk_expect(&r.h, VSP_OFFER, 1000);
	memcpy(&o, r.h.buf, sizeof(o));
	assert_int_equal(o.sub_channel_index, 4);
	cookies[3] = o.cookie;
	fk_offer_result(&r.h, cookies[3], 0, 24);
	rig_pump(&r);
	assert_int_equal(e.subs_ok, 3);
	assert_int_equal(e.sub_index[2], 4);

	/* a subchannel is a channel like any other: opened and served */
	{
		struct fk_chan c;
		u64 tid;
		u16 type;

		fk_chan_init(&r.h, &c, 23, 0);
		fk_open(&r.h, &c);
		rig_pump(&r);
		expect_open_reply(&r, 23, 0);
		fk_guest_send(&c, 55, "s", 1);
		rig_pump(&r);
		assert_int_equal(fk_guest_recv(&c, &tid, &type), 1);
		assert_int_equal(tid, 55);
		fk_chan_fini(&c);
	}
	rig_free(&r);
}

/*
 * A restarted daemon takes over the subchannels enl-host still has
 * (VSP_OFFER_EXISTING), up to the first it does not have; later ones
 * follow those.
 */
static void test_reclaim_subchannels(void **state)
{
	struct rig r;
	struct echo e = { 0 };
	struct vsp_offer_params p;
	struct vsp_chan *prim;
	struct vsp_offer o;
	u32 c0;

	rig_connect(&r, 4 * MB);
	params_init(&p, 10);
	prim = rig_offer(&r, &p, &e, 30);
	/* enl-host's answers, queued before the synchronous walk reads them */
	c0 = r.v->next_cookie;
	fk_offer_result(&r.h, c0 + 1, 0, 31);
	fk_offer_result(&r.h, c0 + 2, 0, 32);
	fk_offer_result(&r.h, c0 + 3, ENOENT, 0);
	assert_int_equal(vsp_reclaim_subchannels(prim, 5, NULL), 2);
	for (int i = 0; i < 3; i++) {
		fk_expect(&r.h, VSP_OFFER, 1000);
		memcpy(&o, r.h.buf, sizeof(o));
		assert_int_equal(o.sub_channel_index, i + 1);
		assert_int_equal(o.flags, VSP_OFFER_EXISTING);
		assert_memory_equal(&o.if_instance, &p.if_instance, sizeof(p.if_instance));
	}
	assert_int_equal(e.subs_ok, 2);
	assert_int_equal(e.subs_failed, 0);
	assert_int_equal(vsp_chan_relid(e.subs[0]), 31);
	assert_int_equal(vsp_chan_relid(e.subs[1]), 32);
	/* once only */
	assert_int_equal(vsp_reclaim_subchannels(prim, 5, NULL), -EINVAL);
	/* new ones continue after them, created as usual */
	assert_int_equal(vsp_offer_subchannels(prim, 1, NULL), 0);
	rig_pump(&r);
	fk_expect(&r.h, VSP_OFFER, 1000);
	memcpy(&o, r.h.buf, sizeof(o));
	assert_int_equal(o.sub_channel_index, 3);
	assert_int_equal(o.flags, 0);
	rig_free(&r);
}

/* The next OFFER (a subchannel's): its index; *cookie its cookie. */
static u16 next_sub_offer(struct rig *r, u32 *cookie)
{
	struct vsp_offer o;

	fk_expect(&r->h, VSP_OFFER, 1000);
	memcpy(&o, r->h.buf, sizeof(o));
	*cookie = o.cookie;
	return o.sub_channel_index;
}

static u32 next_withdraw(struct rig *r)
{
	struct vsp_relid m;

	fk_expect(&r->h, VSP_WITHDRAW, 1000);
	memcpy(&m, r->h.buf, sizeof(m));
	return m.relid;
}

/*
 * Issue 10: a NIC's subchannels withdrawn when the guest closed its
 * primary (WITHDRAW for each, the open one closed first); the next
 * request starts again at index 1, as Linux's netvsc wants; one withdrawn
 * while its offer is unanswered goes at its OFFER_RESULT, and new offers
 * wait for that (enl-host would take them for it).
 */
static void test_withdraw_subchannels(void **state)
{
	struct rig r;
	struct echo e = { 0 };
	struct vsp_offer_params p;
	struct vsp_chan *prim;
	u32 ck[3], a, b;

	rig_connect(&r, 4 * MB);
	params_init(&p, 11);
	prim = rig_offer(&r, &p, &e, 40);
	assert_int_equal(vsp_offer_subchannels(prim, 2, NULL), 0);
	rig_pump(&r);
	assert_int_equal(next_sub_offer(&r, &ck[0]), 1);
	assert_int_equal(next_sub_offer(&r, &ck[1]), 2);
	fk_offer_result(&r.h, ck[0], 0, 41);
	fk_offer_result(&r.h, ck[1], 0, 42);
	rig_pump(&r);
	assert_int_equal(e.subs_ok, 2);
	{
		struct fk_chan c;

		fk_chan_init(&r.h, &c, 41, 0);
		fk_open(&r.h, &c);
		rig_pump(&r);
		expect_open_reply(&r, 41, 0);
		fk_chan_fini(&c);
	}
	assert_int_equal(e.opens, 1);

	/* not a primary; not twice */
	assert_int_equal(vsp_chan_withdraw(prim), -EINVAL);
	assert_int_equal(vsp_withdraw_subchannels(e.subs[0]), -EINVAL);
	assert_int_equal(vsp_withdraw_subchannels(prim), 2);
	assert_int_equal(e.closes, 1);		/* the open one */
	assert_true(vsp_chan_by_relid(r.v, 41) == NULL);
	a = next_withdraw(&r);
	b = next_withdraw(&r);
	assert_int_equal(a + b, 41 + 42);
	assert_int_not_equal(a, b);
	assert_int_equal(vsp_withdraw_subchannels(prim), 0);
	/* enl-host's answers; a refusal is only logged */
	{
		struct vsp_withdraw_result w = {
			.hdr = { VSP_WITHDRAW_RESULT, sizeof(w) }, .relid = 41,
		};

		fk_send(r.h.fd, &w, sizeof(w), NULL, 0);
		w.relid = 42;
		w.status = EPERM;
		fk_send(r.h.fd, &w, sizeof(w), NULL, 0);
		/* too short: dropped */
		w.hdr.len = 12;
		fk_send(r.h.fd, &w, 12, NULL, 0);
	}
	rig_pump(&r);
	/* a stale open of a withdrawn relid is not ours any more */
	{
		struct fk_chan c;

		fk_chan_init(&r.h, &c, 42, 1);
		fk_open(&r.h, &c);
		rig_pump(&r);
		expect_open_reply(&r, 42, ENXIO);
		fk_chan_fini(&c);
	}

	/* the guest asks again: index 1, relid 41 reused by enl-host */
	assert_int_equal(vsp_offer_subchannels(prim, 1, NULL), 0);
	rig_pump(&r);
	assert_int_equal(next_sub_offer(&r, &ck[0]), 1);
	fk_offer_result(&r.h, ck[0], 0, 41);
	rig_pump(&r);
	assert_int_equal(e.subs_ok, 3);
	assert_int_equal(vsp_chan_relid(e.subs[2]), 41);
	assert_ptr_equal(vsp_chan_by_relid(r.v, 41), e.subs[2]);

	/* index 2 asked for; the primary closes before enl-host answers */
	assert_int_equal(vsp_offer_subchannels(prim, 1, NULL), 0);
	rig_pump(&r);
	assert_int_equal(next_sub_offer(&r, &ck[1]), 2);
	assert_int_equal(vsp_withdraw_subchannels(prim), 2);
	assert_int_equal(next_withdraw(&r), 41);
	assert_int_equal(vsp_offer_subchannels(prim, 1, NULL), 0);
	rig_pump(&r);
	assert_int_equal(fk_recv(&r.h, 50), 0);	/* waits for the answer */
	fk_offer_result(&r.h, ck[1], 0, 43);
	rig_pump(&r);
	assert_int_equal(next_withdraw(&r), 43);
	assert_int_equal(next_sub_offer(&r, &ck[2]), 1);
	assert_int_equal(e.subs_ok, 3);		/* the withdrawn one not reported */
	fk_offer_result(&r.h, ck[2], 0, 44);
	rig_pump(&r);
	assert_int_equal(e.subs_ok, 4);

	/* one at a time: later indices follow the highest left */
	assert_int_equal(vsp_offer_subchannels(prim, 1, NULL), 0);
	rig_pump(&r);
	assert_int_equal(next_sub_offer(&r, &ck[0]), 2);
	fk_offer_result(&r.h, ck[0], 0, 45);
	rig_pump(&r);
	assert_int_equal(e.subs_ok, 5);
	assert_int_equal(vsp_chan_withdraw(e.subs[4]), 0);	/* index 2 */
	assert_int_equal(next_withdraw(&r), 45);
	assert_int_equal(vsp_offer_subchannels(prim, 1, NULL), 0);
	rig_pump(&r);
	assert_int_equal(next_sub_offer(&r, &ck[1]), 2);
	rig_free(&r);
}

/* ---- in-flight requests survive the daemon ------------------------------ */

#define IF_SLOTS 8
#define IF_PKT 256

static void inflight_params(struct vsp_offer_params *p)
{
	params_init(p, 0x77);
	p->flags = 0;
	p->inflight_slots = IF_SLOTS;
	p->inflight_pkt_max = IF_PKT;
}

/* Answer INFLIGHT_GET with the region (created at the first ask). */
static void host_inflight(struct fk_host *h, int *region, u32 relid)
{
	struct vsp_inflight_msg m;

	fk_expect(h, VSP_INFLIGHT_GET, 2000);
	memcpy(&m, h->buf, sizeof(m));
	assert_int_equal(m.relid, relid);
	assert_true(m.size > 0 && m.size <= VSP_INFLIGHT_MAX && !(m.size % 4096));
	if (*region < 0) {
		*region = memfd_create("inflight", MFD_CLOEXEC);
		assert_int_equal(ftruncate(*region, (off_t)m.size), 0);
	}
	m.hdr.type = VSP_INFLIGHT;
	m.status = 0;
	fk_send(h->fd, &m, sizeof(m), region, 1);
}

/* the first daemon, in a child: takes everything, completes nothing */
static void child_daemon(int fd, u32 flags)
{
	struct echo e = { .keep = true, .use_take = true };
	struct vsp_offer_params p;
	struct vsp_chan *ch;
	int err;
	struct vsp *v = vsp_connect_fd(fd, "doomed", &err);

	if (!v)
		_exit(10);
	inflight_params(&p);
	p.flags = flags;
	if (vsp_offer(v, &p, &echo_ops, &e, &ch))
		_exit(11);
	vsp_run(v);
	_exit(0);
}

/* Wait (pumping the loop) until *counter reaches want: a worker may be
 * the one counting. */
static void pump_until(struct rig *r, const int *counter, int want)
{
	u64 end = vsp_now_ms() + 5000;

	while (__atomic_load_n(counter, __ATOMIC_ACQUIRE) < want &&
	       vsp_now_ms() < end)
		assert_int_equal(vsp_poll_once(r->v, 10), 0);
	assert_int_equal(__atomic_load_n(counter, __ATOMIC_ACQUIRE), want);
}

static void inflight_kill9(u32 flags)
{
	struct rig r;
	struct echo e = { .use_take = true };
	struct vsp_offer_params p;
	struct vsp_chan *ch;
	struct fk_chan c;
	struct vsp_offer o;
	int sv[2], region = -1, status, err;
	u32 rd_before;
	u64 tid;
	u16 type;
	pid_t pid;

	/* daemon 1 in a child process */
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	fk_init(&r.h, sv[0], 4 * MB);
	memset(r.h.ram + FK_SIEF_GPA, 0, 4096);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		child_daemon(sv[1], flags);
	}
	close(sv[1]);
	fk_expect(&r.h, VSP_HELLO, 5000);
	fk_welcome(&r.h);
	fk_expect(&r.h, VSP_OFFER, 5000);
	memcpy(&o, r.h.buf, sizeof(o));
	fk_offer_result(&r.h, o.cookie, 0, 40);
	host_inflight(&r.h, &region, 40);
	fk_chan_init(&r.h, &c, 40, 0);
	fk_open(&r.h, &c);
	fk_expect(&r.h, VSP_OPEN_REPLY, 5000);
	assert_int_equal(fk_open_reply(&r.h).status, 0);

	rd_before = c.g2h.hdr->read_index;
	for (u64 i = 0; i < 5; i++)
		fk_guest_send(&c, 100 + i, "request", 7);
	/* wait until the daemon says it took all five */
	for (int i = 0; i < 100 && strcmp(r.h.last_val, "5"); i++)
		fk_recv(&r.h, 50);
	assert_string_equal(r.h.last_key, "taken");
	assert_string_equal(r.h.last_val, "5");
	/* they are off the ring: the guest will not send them again */
	assert_int_not_equal(c.g2h.hdr->read_index, rd_before);

	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(fk_recv(&r.h, 2000), -1);
	close(r.h.fd);
	assert_int_equal(fk_guest_recv(&c, &tid, &type), 0);	/* no answers */

	/* daemon 2, here: enl-host sends the open right after the offer
	 * result, before it has even read INFLIGHT_GET (as after a restart) */
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	r.h.fd = sv[0];
	fk_welcome(&r.h);
	r.v = vsp_connect_fd(sv[1], "test", &err);
	assert_non_null(r.v);
	fk_expect(&r.h, VSP_HELLO, 0);
	inflight_params(&p);
	p.flags = flags;
	fk_offer_result(&r.h, 1, 0, 40);
	fk_open(&r.h, &c);
	assert_int_equal(vsp_offer(r.v, &p, &echo_ops, &e, &ch), 0);
	fk_expect(&r.h, VSP_OFFER, 0);
	rig_pump(&r);
	assert_int_equal(e.opens, 0);		/* waits for its region */
	host_inflight(&r.h, &region, 40);
	rig_pump(&r);
	expect_open_reply(&r, 40, 0);

	/* the five requests, replayed in order, answered, forgotten */
	pump_until(&r, &e.replays, 5);
	pump_until(&r, &e.kicks, 1);		/* the kick after the replay */
	assert_int_equal(e.nseen, 5);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(e.seen[i], 100 + (u64)i);
		assert_int_equal(fk_guest_recv(&c, &tid, &type), 1);
		assert_int_equal(tid, 100 + (u64)i);
		assert_int_equal(type, VMBUS_PKT_COMPLETION);
	}
	assert_int_equal(vsp_chan_inflight_count(ch), 0);
	/* and new requests go on as usual */
	fk_guest_send(&c, 200, "new", 3);
	pump_until(&r, &e.packets, 1);
	assert_int_equal(fk_guest_recv(&c, &tid, &type), 1);
	assert_int_equal(tid, 200);
	assert_int_equal(e.replays, 5);
	assert_int_equal(fk_guest_recv(&c, &tid, &type), 0);
	close(region);
	fk_chan_fini(&c);
	rig_free(&r);
}

static void test_inflight_kill9(void **state)
{
	inflight_kill9(0);
}

/* the same with worker threads: the replay runs on the new worker */
static void test_inflight_kill9_workers(void **state)
{
	inflight_kill9(VSP_CHAN_WORKER);
}

/*
 * A daemon dies in the middle of a take: the slot says INFLIGHT but the
 * ring's read index and the header's taken_seq were not written yet.  The
 * next daemon must publish the read index itself and replay the packet
 * once (not also read it again from the ring).  And the other half: the
 * read index was published, taken_seq not.
 */
static void interrupted_take(bool ring_published)
{
	struct rig r;
	struct echo e1 = { .keep = true, .use_take = true };
	struct echo e2 = { .use_take = true };
	struct vsp_offer_params p;
	struct vsp_chan *ch;
	struct fk_chan c;
	int region = -1;
	u64 tid;
	u16 type;

	rig_connect(&r, 4 * MB);
	inflight_params(&p);
	ch = rig_offer(&r, &p, &e1, 41);
	host_inflight(&r.h, &region, 41);
	rig_pump(&r);
	fk_chan_init(&r.h, &c, 41, 0);
	fk_open(&r.h, &c);
	rig_pump(&r);
	expect_open_reply(&r, 41, 0);
	fk_guest_send(&c, 1, "a", 1);
	fk_guest_send(&c, 2, "b", 1);
	rig_pump(&r);
	assert_int_equal(e1.ntokens, 2);

	/* packet 3: do by hand what a take does, up to the crash */
	fk_guest_send(&c, 3, "c", 1);
	{
		struct vsp_inflight *inf = &ch->inf;
		struct vsp_inflight_hdr *h = (struct vsp_inflight_hdr *)inf->base;
		u32 slot = inf->free[inf->nfree - 1];
		struct vsp_inflight_slot *s = (struct vsp_inflight_slot *)
			(inf->base + VSP_INFLIGHT_SLOTS_OFF + (size_t)slot * inf->slot_size);
		struct enl_ring in = ch->in;
		u8 pkt[IF_PKT];
		u32 len;

		assert_int_equal(enl_ring_read(&in, pkt, sizeof(pkt), &len), 1);
		memcpy(s->pkt, pkt, len);
		s->len = len;
		s->seq = h->taken_seq + 1;
		s->rd_before = in.published;
		s->rd_after = in.cursor;
		s->state = VSP_SLOT_INFLIGHT;
		if (ring_published)
			c.g2h.hdr->read_index = in.cursor;
	}
	/* the daemon is gone (no more stores from it) */
	vsp_free(r.v);
	close(r.h.fd);

	{
		int sv[2], err;

		assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
		r.h.fd = sv[0];
		fk_welcome(&r.h);
		r.v = vsp_connect_fd(sv[1], "test", &err);
		assert_non_null(r.v);
		fk_expect(&r.h, VSP_HELLO, 0);
	}
	ch = rig_offer(&r, &p, &e2, 41);
	host_inflight(&r.h, &region, 41);
	rig_pump(&r);
	fk_open(&r.h, &c);
	rig_pump(&r);
	expect_open_reply(&r, 41, 0);
	/* 1, 2, 3 replayed once each, nothing read twice from the ring */
	assert_int_equal(e2.replays, 3);
	assert_int_equal(e2.nseen, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(e2.seen[i], (u64)i + 1);
		assert_int_equal(fk_guest_recv(&c, &tid, &type), 1);
		assert_int_equal(tid, (u64)i + 1);
	}
	assert_int_equal(fk_guest_recv(&c, &tid, &type), 0);
	assert_true(enl_ring_empty(&ch->in));
	enl_ring_commit(&ch->in);
	fk_guest_send(&c, 4, "d", 1);
	rig_pump(&r);
	assert_int_equal(e2.nseen, 4);
	assert_int_equal(e2.seen[3], 4);
	assert_int_equal(vsp_chan_inflight_count(ch), 0);
	close(region);
	fk_chan_fini(&c);
	rig_free(&r);
}

static void test_inflight_interrupted_take(void **state)
{
	interrupted_take(false);
	interrupted_take(true);
}

/*
 * A daemon dies while answering: with vsp_chan_send_done() the next one
 * replays a request only if its answer never reached the ring.  Packet 1
 * answered completely; 2 killed after the answer was published, before
 * its slot was freed; 3 killed before the answer was written.  Only 3 is
 * replayed; the guest gets each answer once.
 */
static void test_inflight_interrupted_answer(void **state)
{
	struct rig r;
	struct echo e1 = { .keep = true, .use_take = true };
	struct echo e2 = { .use_take = true };
	struct vsp_offer_params p;
	struct vsp_chan *ch;
	struct fk_chan c;
	int region = -1;
	u64 tid;
	u16 type;

	rig_connect(&r, 4 * MB);
	inflight_params(&p);
	ch = rig_offer(&r, &p, &e1, 42);
	host_inflight(&r.h, &region, 42);
	rig_pump(&r);
	fk_chan_init(&r.h, &c, 42, 0);
	fk_open(&r.h, &c);
	rig_pump(&r);
	expect_open_reply(&r, 42, 0);
	for (u64 i = 1; i <= 3; i++)
		fk_guest_send(&c, i, "x", 1);
	rig_pump(&r);
	assert_int_equal(e1.ntokens, 3);
	assert_int_equal(vsp_chan_send_done(ch, e1.tokens[0], VMBUS_PKT_COMPLETION, 0,
					    1, NULL, 0), 0);
	assert_int_equal(vsp_chan_inflight_count(ch), 2);
	for (int k = 1; k < 3; k++) {
		struct vsp_inflight *inf = &ch->inf;
		u32 slot = (u32)e1.tokens[k] - 1;
		struct vsp_inflight_slot *s = (struct vsp_inflight_slot *)
			(inf->base + VSP_INFLIGHT_SLOTS_OFF + (size_t)slot * inf->slot_size);

		s->wr_before = ch->out.hdr->write_index;
		s->state = VSP_SLOT_ANSWERING;
		if (k == 1)
			assert_int_equal(vsp_chan_send_completion(ch, 2, NULL, 0), 0);
	}
	vsp_free(r.v);
	close(r.h.fd);
	{
		int sv[2], err;

		assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
		r.h.fd = sv[0];
		fk_welcome(&r.h);
		r.v = vsp_connect_fd(sv[1], "test", &err);
		assert_non_null(r.v);
		fk_expect(&r.h, VSP_HELLO, 0);
	}
	ch = rig_offer(&r, &p, &e2, 42);
	host_inflight(&r.h, &region, 42);
	rig_pump(&r);
	fk_open(&r.h, &c);
	rig_pump(&r);
	expect_open_reply(&r, 42, 0);
	assert_int_equal(e2.replays, 1);
	assert_int_equal(e2.seen[0], 3);
	for (u64 i = 1; i <= 3; i++) {
		assert_int_equal(fk_guest_recv(&c, &tid, &type), 1);
		assert_int_equal(tid, i);
	}
	assert_int_equal(fk_guest_recv(&c, &tid, &type), 0);
	assert_int_equal(vsp_chan_inflight_count(ch), 0);
	close(region);
	fk_chan_fini(&c);
	rig_free(&r);
}

/* Slots full: -EBUSY, the packet stays in the ring until one completes. */
static void test_inflight_full(void **state)
{
	struct rig r;
	struct echo e = { .keep = true, .use_take = true };
	struct vsp_offer_params p;
	struct vsp_chan *ch;
	struct fk_chan c;
	int region = -1;
	u8 pkt[IF_PKT] __attribute__((aligned(8)));
	u32 len;
	u64 token;

	rig_connect(&r, 4 * MB);
	inflight_params(&p);
	ch = rig_offer(&r, &p, &e, 42);
	host_inflight(&r.h, &region, 42);
	rig_pump(&r);
	fk_chan_init(&r.h, &c, 42, 0);
	fk_open(&r.h, &c);
	rig_pump(&r);
	expect_open_reply(&r, 42, 0);
	for (u64 i = 0; i < IF_SLOTS + 1; i++)
		fk_guest_send(&c, 10 + i, "x", 1);
	rig_pump(&r);
	assert_int_equal(e.ntokens, IF_SLOTS);
	assert_int_equal(vsp_chan_inflight_count(ch), IF_SLOTS);
	assert_int_equal(vsp_chan_take(ch, pkt, sizeof(pkt), &len, &token), -EBUSY);
	vsp_chan_complete(ch, e.tokens[0]);
	vsp_chan_complete(ch, e.tokens[0]);		/* twice: ignored */
	vsp_chan_complete(ch, 0);
	vsp_chan_complete(ch, (u64)99 << 32 | 1);	/* another open's */
	assert_int_equal(vsp_chan_inflight_count(ch), IF_SLOTS - 1);
	assert_int_equal(vsp_chan_take(ch, pkt, sizeof(pkt), &len, &token), 1);
	assert_int_not_equal(token, 0);
	/* too big for a slot: stays, -EMSGSIZE */
	vsp_chan_complete(ch, token);
	{
		static u8 big[512];

		fk_guest_send(&c, 99, big, IF_PKT + 48);
		assert_int_equal(vsp_chan_take(ch, big, sizeof(big), &len, &token), -EMSGSIZE);
		assert_int_equal(vsp_chan_recv(ch, big, sizeof(big), &len), 1);
	}
	/* bad parameters */
	p.inflight_pkt_max = 8;
	assert_int_equal(vsp_offer(r.v, &p, &echo_ops, &e, &ch), -EINVAL);
	p.inflight_pkt_max = IF_PKT;
	p.inflight_slots = VSP_INFLIGHT_MAX_SLOTS + 1;
	assert_int_equal(vsp_offer(r.v, &p, &echo_ops, &e, &ch), -EINVAL);
	close(region);
	fk_chan_fini(&c);
	rig_free(&r);
}

/*
 * The guest closes and opens again with a new ring: requests of the old
 * open are not replayed, even if enl-host did not zero the region.
 */
static void test_inflight_new_open(void **state)
{
	struct rig r;
	struct echo e = { .keep = true, .use_take = true };
	struct vsp_offer_params p;
	struct vsp_chan *ch;
	struct fk_chan c;
	int region = -1;

	rig_connect(&r, 4 * MB);
	inflight_params(&p);
	ch = rig_offer(&r, &p, &e, 43);
	host_inflight(&r.h, &region, 43);
	rig_pump(&r);
	fk_chan_init(&r.h, &c, 43, 0);
	fk_open(&r.h, &c);
	rig_pump(&r);
	expect_open_reply(&r, 43, 0);
	fk_guest_send(&c, 1, "a", 1);
	rig_pump(&r);
	assert_int_equal(e.ntokens, 1);
	assert_int_equal(vsp_chan_inflight_count(ch), 1);
	fk_relid_msg(&r.h, VSP_CHANNEL_CLOSE, 43);
	rig_pump(&r);
	fk_expect(&r.h, VSP_CLOSE_DONE, 1000);
	assert_int_equal(vsp_chan_inflight_count(ch), 0);
	/* the old token is void now */
	vsp_chan_complete(ch, e.tokens[0]);
	fk_chan_fini(&c);
	fk_chan_init(&r.h, &c, 43, 1);		/* other pages */
	c.gpadl++;				/* and another handle */
	fk_open(&r.h, &c);
	rig_pump(&r);
	expect_open_reply(&r, 43, 0);
	assert_int_equal(e.replays, 0);
	assert_int_equal(vsp_chan_inflight_count(ch), 0);
	close(region);
	fk_chan_fini(&c);
	rig_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refuse_open),
		cmocka_unit_test(test_target_sief_wrap),
		cmocka_unit_test(test_300_channels),
		cmocka_unit_test(test_subchannels),
		cmocka_unit_test(test_reclaim_subchannels),
		cmocka_unit_test(test_withdraw_subchannels),
		cmocka_unit_test(test_inflight_kill9),
		cmocka_unit_test(test_inflight_kill9_workers),
		cmocka_unit_test(test_inflight_interrupted_take),
		cmocka_unit_test(test_inflight_interrupted_answer),
		cmocka_unit_test(test_inflight_full),
		cmocka_unit_test(test_inflight_new_open),
	};

	signal(SIGPIPE, SIG_IGN);
	vsp_verbose = getenv("VSP_TEST_VERBOSE") ? 2 : -1;
	return cmocka_run_group_tests_name("libvsp channels", tests, NULL, NULL);
}
