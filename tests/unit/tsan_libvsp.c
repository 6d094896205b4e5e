// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvsp's worker-thread mode under ThreadSanitizer (built with
 * -fsanitize=thread on its own, see unit.mk): a daemon thread serves
 * channels offered with VSP_CHAN_WORKER, each kick handled on the
 * channel's own worker, while this thread plays enl-host and the guest:
 * traffic on every channel at once, status and timers from the workers,
 * an in-flight region, a subchannel asked for from a worker, a close and
 * reopen under traffic, then enl-host going away.  TSan fails the run
 * (exit code) on any data race.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <cmocka.h>

#include "tests/unit/test_libvsp_fake.h"

#define NCH	6
#define NPKT	40		/* per channel */
#define RELID0	50

struct wchan {
	struct vsp_chan *ch;
	int kicks;		/* worker only */
	int packets;
	int timers;		/* atomic */
	bool asked_sub;
	int subs;		/* loop thread: subchannels offered */
	pthread_t kick_thread;	/* the thread of the last kick */
	bool thread_seen;
};

struct daemon {
	int fd;
	struct vsp *v;
	struct wchan w[NCH];
	int err;
};

static void w_kick(struct vsp_chan *ch)
{
	struct wchan *w = vsp_chan_priv(ch);
	u8 pkt[256] __attribute__((aligned(8)));
	u64 token;
	u32 len;

	w->kicks++;
	w->kick_thread = pthread_self();
	w->thread_seen = true;
	while (vsp_chan_take(ch, pkt, sizeof(pkt), &len, &token) == 1) {
		struct vmbus_pkt_desc d;

		memcpy(&d, pkt, sizeof(d));
		w->packets++;
		while (vsp_chan_send_completion(ch, d.trans_id, NULL, 0) == -EAGAIN)
			sched_yield();
		vsp_chan_complete(ch, token);
	}
	/* any-thread APIs, from a worker */
	vsp_status_set(vsp_chan_vsp(ch), vsp_chan_relid(ch), "packets", "%d",
		       w->packets);
	vsp_chan_timer(ch, 1);
	if (!w->asked_sub && vsp_chan_sub_index(ch) == 0 &&
	    vsp_chan_relid(ch) == RELID0) {
		w->asked_sub = true;
		assert_int_equal(vsp_offer_subchannels(ch, 1, NULL), 0);
	}
}

static void w_timer(struct vsp_chan *ch)
{
	struct wchan *w = vsp_chan_priv(ch);

	__atomic_fetch_add(&w->timers, 1, __ATOMIC_RELAXED);
}

static int w_open(struct vsp_chan *ch)
{
	return 0;
}

/* loop thread; the worker of p reads other fields of the same struct */
static void w_sub(struct vsp_chan *p, struct vsp_chan *sub, u16 idx, int err)
{
	struct wchan *w = vsp_chan_priv(p);

	if (!err && idx == 1)
		w->subs++;
}

static void w_close(struct vsp_chan *ch)
{
}

static const struct vsp_chan_ops w_ops = {
	.on_open = w_open, .on_kick = w_kick, .on_timer = w_timer,
	.on_close = w_close, .on_subchannel = w_sub,
};

static void *daemon_main(void *arg)
{
	struct daemon *d = arg;
	int err;

	d->v = vsp_connect_fd(d->fd, "tsan", &err);
	if (!d->v) {
		d->err = err;
		return NULL;
	}
	for (int i = 0; i < NCH; i++) {
		struct vsp_offer_params p;

		memset(&p, 0, sizeof(p));
		p.if_type = (enl_guid_t)ENL_GUID_HEARTBEAT;
		p.if_instance.b[0] = (u8)i;
		p.flags = VSP_CHAN_WORKER;
		if (i == 1) {
			p.inflight_slots = 4;
			p.inflight_pkt_max = 256;
		}
		err = vsp_offer(d->v, &p, &w_ops, &d->w[i], &d->w[i].ch);
		if (err) {
			d->err = err;
			return NULL;
		}
	}
	d->err = vsp_run(d->v);
	return NULL;
}

/* Answer whatever the daemon asks for until the type wanted comes. */
static void host_until(struct fk_host *h, u32 want, int *region)
{
	for (;;) {
		int t = fk_recv(h, 5000);

		assert_true(t > 0);
		if ((u32)t == want)
			return;
		if (t == VSP_OFFER) {
			struct vsp_offer o;
			static u32 next_sub = RELID0 + 100;

			memcpy(&o, h->buf, sizeof(o));
			/* the subchannel comes with index 1 */
			assert_int_equal(o.sub_channel_index, 1);
			fk_offer_result(h, o.cookie, 0, next_sub++);
		} else if (t == VSP_INFLIGHT_GET) {
			struct vsp_inflight_msg m;

			memcpy(&m, h->buf, sizeof(m));
			if (*region < 0) {
				*region = memfd_create("inflight", MFD_CLOEXEC);
				assert_int_equal(ftruncate(*region, (off_t)m.size), 0);
			}
			m.hdr.type = VSP_INFLIGHT;
			fk_send(h->fd, &m, sizeof(m), region, 1);
		} else {
			fail_msg("unexpected message %d", t);
		}
	}
}

/* Send n packets on every channel (as ring room allows) and collect the
 * completions. */
static void traffic(struct fk_host *h, struct fk_chan *c, int n)
{
	int sent[NCH] = { 0 }, got[NCH] = { 0 }, done = 0;
	u64 end = vsp_now_ms() + 20000;

	while (done < NCH && vsp_now_ms() < end) {
		done = 0;
		for (int i = 0; i < NCH; i++) {
			u64 tid;
			u16 type;
			struct enl_iov iov = { "data", 4 };
			bool sig;
			u64 one = 1;

			if (sent[i] < n && sent[i] - got[i] < 8 &&
			    enl_ring_send(&c[i].g2h, VMBUS_PKT_INBAND,
					  VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
					  (u64)i << 32 | (u64)sent[i], &iov, 1,
					  &sig) == 0) {
				sent[i]++;
				assert_int_equal(write(c[i].kick_fd, &one, 8), 8);
			}
			while (fk_guest_recv(&c[i], &tid, &type) == 1) {
				assert_int_equal(type, VMBUS_PKT_COMPLETION);
				assert_int_equal(tid, (u64)i << 32 | (u64)got[i]);
				got[i]++;
			}
			if (got[i] == n)
				done++;
		}
		/* keep the socket drained (status); the subchannel offer
		 * asked for by a worker is answered here */
		{
			int t;

			while ((t = fk_recv(h, 0)) > 0) {
				struct vsp_offer o;

				assert_int_equal(t, VSP_OFFER);
				memcpy(&o, h->buf, sizeof(o));
				assert_int_equal(o.sub_channel_index, 1);
				fk_offer_result(h, o.cookie, 0, RELID0 + 100);
			}
		}
	}
	assert_int_equal(done, NCH);
}

static void test_workers(void **state)
{
	struct daemon d;
	struct fk_host h;
	struct fk_chan c[NCH];
	pthread_t thr;
	int sv[2], region = -1;

	memset(&d, 0, sizeof(d));
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	fk_init(&h, sv[0], 4 << 20);
	memset(h.ram + FK_SIEF_GPA, 0, 4096);
	d.fd = sv[1];
	assert_int_equal(pthread_create(&thr, NULL, daemon_main, &d), 0);

	fk_expect(&h, VSP_HELLO, 5000);
	fk_welcome(&h);
	for (int i = 0; i < NCH; i++) {
		struct vsp_offer o;

		/* channel 1's INFLIGHT_GET comes before the next OFFER */
		host_until(&h, VSP_OFFER, &region);
		memcpy(&o, h.buf, sizeof(o));
		fk_offer_result(&h, o.cookie, 0, RELID0 + (u32)i);
	}
	for (int i = 0; i < NCH; i++) {
		fk_chan_init(&h, &c[i], RELID0 + (u32)i, (u32)i);
		fk_open(&h, &c[i]);
		host_until(&h, VSP_OPEN_REPLY, &region);
		assert_int_equal(fk_open_reply(&h).status, 0);
	}
	traffic(&h, c, NPKT);

	/* close one channel under traffic on the others, then reopen it */
	fk_relid_msg(&h, VSP_CHANNEL_CLOSE, RELID0 + 2);
	host_until(&h, VSP_CLOSE_DONE, &region);
	fk_chan_fini(&c[2]);
	fk_chan_init(&h, &c[2], RELID0 + 2, 2);
	{
		struct vsp_gpadl_ref t = { .hdr = { VSP_GPADL_TEARDOWN, sizeof(t) },
					   .relid = RELID0 + 2, .gpadl = c[2].gpadl };

		fk_send(h.fd, &t, sizeof(t), NULL, 0);
		host_until(&h, VSP_GPADL_RELEASED, &region);
	}
	fk_open(&h, &c[2]);
	host_until(&h, VSP_OPEN_REPLY, &region);
	assert_int_equal(fk_open_reply(&h).status, 0);
	traffic(&h, c, NPKT / 2);
	assert_true(region >= 0);

	/* a data GPADL of a worker channel torn down while it is open: the
	 * loop stops the worker around the unmap and starts it again */
	{
		u8 msg[sizeof(struct vsp_gpadl) + 8];
		struct vsp_gpadl g;
		struct vsp_gpadl_ref t = { .hdr = { VSP_GPADL_TEARDOWN, sizeof(t) },
					   .relid = RELID0 + 3, .gpadl = 0x900 };
		u64 pfn = 0x300;

		memset(&g, 0, sizeof(g));
		g.hdr.type = VSP_GPADL;
		g.hdr.len = sizeof(msg);
		g.relid = RELID0 + 3;
		g.gpadl = 0x900;
		g.total_pages = 1;
		g.count = 1;
		g.byte_count = 4096;
		memcpy(msg, &g, sizeof(g));
		memcpy(msg + sizeof(g), &pfn, 8);
		fk_send(h.fd, msg, sizeof(msg), NULL, 0);
		fk_send(h.fd, &t, sizeof(t), NULL, 0);
		host_until(&h, VSP_GPADL_RELEASED, &region);
	}
	traffic(&h, c, NPKT / 2);

	/* enl-host goes away: the daemon stops its workers and returns */
	close(h.fd);
	pthread_join(thr, NULL);
	assert_int_equal(d.err, 0);
	for (int i = 0; i < NCH; i++) {
		assert_true(d.w[i].thread_seen);
		/* each kick ran on a thread of its own, not the loop's */
		assert_false(pthread_equal(d.w[i].kick_thread, thr));
		assert_true(__atomic_load_n(&d.w[i].timers, __ATOMIC_RELAXED) > 0);
		assert_int_equal(d.w[i].subs, i == 0 ? 1 : 0);
		fk_chan_fini(&c[i]);
	}
	vsp_free(d.v);
	if (region >= 0)
		close(region);
	h.fd = -1;
	fk_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workers),
	};

	signal(SIGPIPE, SIG_IGN);
	vsp_verbose = getenv("VSP_TEST_VERBOSE") ? 2 : -1;
	return cmocka_run_group_tests_name("libvsp workers (TSan)", tests, NULL, NULL);
}
