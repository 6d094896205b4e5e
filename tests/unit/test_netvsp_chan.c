// SPDX-License-Identifier: GPL-2.0-only
/*
 * enl-netvsp's channel code (main.c, included here with its main renamed)
 * on libvsp, against the fake enl-host and guest of test_libvsp_fake.h.
 * A daemon killed after its completion of a guest packet reached the
 * ring, before the packet's in-flight record ended, must not leave the
 * packet for the next daemon to complete again (the stock hv_netvsc frees
 * a send section per completion: twice is a double free).  The NIC's
 * subchannels are withdrawn when the guest closes the primary.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#define main enl_netvsp_main
#include "hostside-vsp/netvsp/main.c"
#undef main

#include "tests/unit/test_libvsp_fake.h"

#define MB (1ull << 20)
#define RELID 21

/* The primary channel only, no tap: what on_kick and on_replay need. */
static int t_open(struct vsp_chan *ch)
{
	struct nic *n = vsp_chan_priv(ch);

	n->primary = ch;
	n->q[0].ch = ch;
	return 0;
}

static void t_close(struct vsp_chan *ch)
{
	struct nic *n = vsp_chan_priv(ch);

	n->q[0].ch = NULL;
	n->primary = NULL;
}

static const struct vsp_chan_ops t_ops = {
	.on_open = t_open, .on_close = t_close,
	.on_kick = on_kick, .on_replay = on_replay,
};

/* A daemon connects (first: the fake host is set up too). */
static struct vsp *t_connect(struct fk_host *h, bool first)
{
	int sv[2], err;
	struct vsp *v;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	if (first)
		fk_init(h, sv[0], 4 * MB);
	else
		h->fd = sv[0];
	memset(h->ram + FK_SIEF_GPA, 0, 4096);
	fk_welcome(h);
	v = vsp_connect_fd(sv[1], "netvsp", &err);
	assert_non_null(v);
	fk_expect(h, VSP_HELLO, 0);
	return v;
}

static void t_pump(struct vsp *v)
{
	for (int i = 0; i < 10; i++)
		assert_int_equal(vsp_poll_once(v, 0), 0);
}

/* Offer the NIC's primary with an in-flight region (made at the first). */
static struct vsp_chan *t_offer(struct fk_host *h, struct vsp *v, int *region)
{
	struct vsp_offer_params p;
	struct vsp_inflight_msg m;
	struct vsp_chan *ch;

	memset(&p, 0, sizeof(p));
	p.if_type.b[0] = 0x63;
	p.if_instance.b[0] = 0x4e;
	p.inflight_slots = INFLIGHT_SLOTS;
	p.inflight_pkt_max = INFLIGHT_PKT_MAX;
	fk_offer_result(h, v->next_cookie + 1, 0, RELID);
	assert_int_equal(vsp_offer(v, &p, &t_ops, &nics[0], &ch), 0);
	fk_expect(h, VSP_OFFER, 0);
	fk_expect(h, VSP_INFLIGHT_GET, 2000);
	memcpy(&m, h->buf, sizeof(m));
	if (*region < 0) {
		*region = memfd_create("inflight", MFD_CLOEXEC);
		assert_int_equal(ftruncate(*region, (off_t)m.size), 0);
	}
	m.hdr.type = VSP_INFLIGHT;
	m.status = 0;
	fk_send(h->fd, &m, sizeof(m), region, 1);
	t_pump(v);
	return ch;
}

static void t_open_chan(struct fk_host *h, struct vsp *v, struct fk_chan *c)
{
	struct vsp_open_reply o;

	fk_open(h, c);
	t_pump(v);
	fk_expect(h, VSP_OPEN_REPLY, 1000);
	o = fk_open_reply(h);
	assert_int_equal(o.relid, RELID);
	assert_int_equal(o.status, 0);
}

/* The guest's next completion: its trans_id (0: none in the ring). */
static u64 guest_completion(struct fk_chan *c)
{
	u64 tid = 0;
	u16 type = 0;

	if (fk_guest_recv(c, &tid, &type) != 1)
		return 0;
	assert_int_equal(type, VMBUS_PKT_COMPLETION);
	return tid;
}

static void test_killed_after_completion(void **state)
{
	struct netvsp_io io = nic_io;
	struct enl_nvsp_msg m;
	struct fk_host h;
	struct fk_chan c;
	struct nic *n = &nics[0];
	struct vsp *v;
	int region = -1;

	(void)state;
	memset(n, 0, sizeof(*n));
	io.ctx = n;
	for (unsigned int i = 0; i < NETVSP_MAX_QUEUES; i++) {
		n->q[i].nic = n;
		n->q[i].index = i;
		n->q[i].tap_fd = -1;
	}
	assert_int_equal(netvsp_dev_init(&n->dev, (const u8 *)"\x02\x15\x5d\0\0\1", 1, &io), 0);

	v = t_connect(&h, true);
	n->v = v;
	t_offer(&h, v, &region);
	fk_chan_init(&h, &c, RELID, 0);
	t_open_chan(&h, v, &c);

	/* NVSP INIT answered, then the daemon dies before the record ends */
	v->test_dead_at_release = true;
	memset(&m, 0, sizeof(m));
	m.type = ENL_NVSP_MSG_INIT;
	m.init.min_ver = ENL_NVSP_VER_2;
	m.init.max_ver = ENL_NVSP_VER_61;
	fk_guest_send(&c, 77, &m, sizeof(m));
	t_pump(v);
	assert_int_equal(guest_completion(&c), 77);
	assert_int_equal(guest_completion(&c), 0);
	vsp_free(v);
	close(h.fd);

	/* the next daemon: the guest reopens (as enl-host replays it) */
	v = t_connect(&h, false);
	n->v = v;
	t_offer(&h, v, &region);
	t_open_chan(&h, v, &c);
	t_pump(v);
	assert_int_equal(atomic_load(&n->replayed), 0);
	assert_int_equal(guest_completion(&c), 0);

	/* and it serves: the next packet has its one completion */
	m.type = ENL_NVSP_MSG2_SEND_NDIS_CONFIG;
	fk_guest_send(&c, 78, &m, sizeof(m));
	t_pump(v);
	assert_int_equal(guest_completion(&c), 78);
	assert_int_equal(guest_completion(&c), 0);
	assert_int_equal(vsp_chan_inflight_count(n->primary), 0);

	vsp_free(v);
	close(h.fd);
	close(region);
	fk_chan_fini(&c);
	fk_fini(&h);
	netvsp_dev_destroy(&n->dev);
}

/* The next message other than OPEN_REPLY, STATUS_SET, INFLIGHT_GET. */
static int t_next(struct fk_host *h)
{
	int t;

	while ((t = fk_recv(h, 200)) == VSP_OPEN_REPLY || t == VSP_INFLIGHT_GET)
		;
	return t;
}

static u32 t_relid(struct fk_host *h)
{
	struct vsp_relid m;

	memcpy(&m, h->buf, sizeof(m));
	return m.relid;
}

/* enl-netvsp's subchannel index asked for: answered with relid. */
static void t_sub_offered(struct fk_host *h, struct vsp *v, u16 index, u32 relid)
{
	struct vsp_offer o;

	t_pump(v);
	assert_int_equal(t_next(h), VSP_OFFER);
	memcpy(&o, h->buf, sizeof(o));
	assert_int_equal(o.sub_channel_index, index);
	fk_offer_result(h, o.cookie, 0, relid);
	t_pump(v);
}

/*
 * Issue 10: the guest closes the NIC's primary (an MTU change): enl-netvsp
 * withdraws its subchannels, and the guest's next request gets index 1
 * again; a daemon that stops withdraws nothing (the next one takes them
 * over); a primary opened afresh withdraws what a predecessor left.
 */
static void test_primary_close_withdraws(void **state)
{
	struct netvsp_io io = nic_io;
	char dir[] = "/tmp/enl-netvsp-test.XXXXXX";
	struct vsp_offer_params p;
	struct fk_host h;
	struct fk_chan c;
	struct nic *n = &nics[0];
	struct vsp_chan *prim;
	struct vsp *v;

	(void)state;
	assert_non_null(mkdtemp(dir));
	memset(n, 0, sizeof(*n));
	snprintf(n->state_path, sizeof(n->state_path), "%s/state", dir);
	io.ctx = n;
	for (unsigned int i = 0; i < NETVSP_MAX_QUEUES; i++) {
		n->q[i].nic = n;
		n->q[i].index = i;
		n->q[i].tap_fd = -1;
	}
	assert_int_equal(netvsp_dev_init(&n->dev, (const u8 *)"\x02\x15\x5d\0\0\1", 2, &io), 0);
	memset(&p, 0, sizeof(p));
	p.if_type.b[0] = 0x63;
	p.if_instance.b[0] = 0x4f;

	v = t_connect(&h, true);
	n->v = v;
	fk_offer_result(&h, v->next_cookie + 1, 0, RELID);
	assert_int_equal(vsp_offer(v, &p, &ops, n, &prim), 0);
	n->primary = prim;
	assert_int_equal(t_next(&h), VSP_OFFER);
	fk_chan_init(&h, &c, RELID, 0);
	fk_open(&h, &c);
	t_pump(v);
	assert_true(vsp_chan_is_open(prim));
	/* the guest's SUBCHANNEL request for one */
	assert_int_equal(io_subchannels(n, 1), 0);
	t_sub_offered(&h, v, 1, RELID + 1);

	/* the guest closes the primary (its subchannel first: closed) */
	fk_relid_msg(&h, VSP_CHANNEL_CLOSE, RELID);
	t_pump(v);
	assert_int_equal(t_next(&h), VSP_WITHDRAW);
	assert_int_equal(t_relid(&h), RELID + 1);
	assert_int_equal(t_next(&h), VSP_CLOSE_DONE);
	assert_int_equal(t_relid(&h), RELID);
	/* reopened (another ring GPADL): nothing left to withdraw; asked
	 * again, the subchannel is index 1 */
	c.gpadl = 0x300;
	fk_open(&h, &c);
	t_pump(v);
	assert_int_equal(io_subchannels(n, 1), 0);
	t_sub_offered(&h, v, 1, RELID + 2);
	assert_int_equal(t_next(&h), 0);

	/* the daemon stops: no withdrawal, the next one takes it over */
	vsp_stop(v);
	assert_int_equal(vsp_run(v), 0);
	assert_int_equal(t_next(&h), 0);
	vsp_free(v);
	close(h.fd);

	/* the next daemon takes the subchannel over; then the guest opens
	 * the primary afresh (it had closed it meanwhile): withdrawn */
	v = t_connect(&h, false);
	n->v = v;
	fk_offer_result(&h, v->next_cookie + 1, 0, RELID);
	assert_int_equal(vsp_offer(v, &p, &ops, n, &prim), 0);
	n->primary = prim;
	assert_int_equal(t_next(&h), VSP_OFFER);
	fk_offer_result(&h, v->next_cookie + 1, 0, RELID + 2);
	assert_int_equal(vsp_reclaim_subchannels(prim, 1, NULL), 1);
	assert_int_equal(t_next(&h), VSP_OFFER);	/* index 1, EXISTING */
	c.gpadl = 0x400;
	fk_open(&h, &c);
	t_pump(v);
	assert_int_equal(t_next(&h), VSP_WITHDRAW);
	assert_int_equal(t_relid(&h), RELID + 2);
	assert_int_equal(io_subchannels(n, 1), 0);
	t_sub_offered(&h, v, 1, RELID + 3);

	vsp_free(v);
	close(h.fd);
	fk_chan_fini(&c);
	fk_fini(&h);
	netvsp_dev_destroy(&n->dev);
	unlink(n->state_path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_killed_after_completion),
		cmocka_unit_test(test_primary_close_withdraws),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
