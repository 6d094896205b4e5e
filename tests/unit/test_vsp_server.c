// SPDX-License-Identifier: GPL-2.0-only
/*
 * enl-host's VSP server end to end: the real vsp_server + vmbus_server +
 * SynIC message queue, a simulated guest posting VMBus messages and
 * reading its SIMP queue, and fake daemons and enlctl on socketpairs.  KVM
 * is replaced at the server's seam (struct vsp_host_ops), the clock too,
 * so deadlines are tested without waiting.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <libgen.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "hostside-vsp/vmm/vsp_server_int.h"
#include <enl/hv_tlfs.h>

#define RAM_SIZE	(64ull << 20)
#define RAM_PAGES	(RAM_SIZE / 4096)

/* ---- what enl-host's other files would provide -------------------------- */

void enl_err(const char *fmt, ...)
{
	va_list ap;

	if (!getenv("TEST_VERBOSE"))
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void enl_log(const char *fmt, ...)
{
	(void)fmt;
}

static uint8_t ram_byte;

void *vm_gpa(struct vm *vm, uint64_t gpa, uint64_t len)
{
	/* Only "is it RAM" matters here; nobody reads through it. */
	return gpa < RAM_SIZE && len <= RAM_SIZE - gpa ? &ram_byte : NULL;
}

/* ---- harness ---------------------------------------------------------------- */

struct harness {
	struct vm vm;		/* first: the ops' ctx is &vm */
	uint64_t now;
	bool kick_fail;
	bool call_fail;
	unsigned int kicks, calls;
};

static int t_kick_set(void *ctx, uint32_t conn_id, int fd, bool assign)
{
	struct harness *h = ctx;

	if (assign && h->kick_fail)
		return -EINVAL;
	h->kicks += assign ? 1 : -1;
	return 0;
}

static int t_call_set(void *ctx, uint32_t vp, int fd, bool assign)
{
	struct harness *h = ctx;

	if (assign && h->call_fail)
		return -ENOSPC;
	h->calls += assign ? 1 : -1;
	return 0;
}

static uint64_t t_now(void *ctx)
{
	return ((struct harness *)ctx)->now;
}

static const struct vsp_host_ops test_host = {
	.kick_set = t_kick_set, .call_set = t_call_set, .now_ms = t_now,
};

static char enlctl_path[4096];

static struct harness *hnew_at(const char *sock)
{
	struct harness *h = calloc(1, sizeof(*h));
	unsigned int i;

	assert_non_null(h);
	h->now = 1000;
	h->vm.ncpus = 2;
	h->vm.vcpus = calloc(2, sizeof(*h->vm.vcpus));
	for (i = 0; i < 2; i++) {
		h->vm.vcpus[i].vm = &h->vm;
		h->vm.vcpus[i].index = i;
		h->vm.vcpus[i].run = calloc(1, sizeof(*h->vm.vcpus[i].run));
		pthread_mutex_init(&h->vm.vcpus[i].mq_lock, NULL);
	}
	h->vm.ram_size = h->vm.lowmem_size = RAM_SIZE;
	h->vm.mem_fd = memfd_create("test-ram", MFD_CLOEXEC);
	assert_true(h->vm.mem_fd >= 0);
	assert_int_equal(ftruncate(h->vm.mem_fd, RAM_SIZE), 0);
	pthread_mutex_init(&h->vm.bus_lock, NULL);
	vmbus_server_init(&h->vm.bus, &vsp_bus_ops, &h->vm);
	h->vm.vsp = vsp_server_create(&h->vm, sock, &test_host);
	assert_non_null(h->vm.vsp);
	return h;
}

static struct harness *hnew(void)
{
	return hnew_at(NULL);
}

static void hfree(struct harness *h)
{
	unsigned int i;

	vsp_server_destroy(h->vm.vsp);
	vmbus_server_fini(&h->vm.bus);
	for (i = 0; i < 2; i++) {
		free(h->vm.vcpus[i].mq);
		free(h->vm.vcpus[i].run);
	}
	free(h->vm.vcpus);
	close(h->vm.mem_fd);
	free(h);
}

/* One round of enl-host's main loop for the VSP socket. */
static void pump(struct harness *h)
{
	struct pollfd p[VSP_SERVER_POLLFDS];
	int n = vsp_server_pollfds(h->vm.vsp, p, VSP_SERVER_POLLFDS);

	poll(p, (nfds_t)n, 0);
	vsp_server_handle(h->vm.vsp, p, n);
}

static bool client_alive(struct harness *h, unsigned int n_expected)
{
	unsigned int i, n = 0;

	for (i = 0; i < VSP_MAX_CLIENTS; i++)
		n += h->vm.vsp->clients[i] != NULL;
	return n == n_expected;
}

/* ---- the simulated guest ---------------------------------------------------- */

static uint64_t gpost(struct harness *h, const void *m, uint32_t len)
{
	uint32_t conn = h->vm.bus.msg_conn_id ? h->vm.bus.msg_conn_id :
			VMBUS_MESSAGE_CONNECTION_ID_4;
	uint64_t r;

	pthread_mutex_lock(&h->vm.bus_lock);
	r = vmbus_server_post(&h->vm.bus, conn, HV_MESSAGE_TYPE_VMBUS, m, len);
	pthread_mutex_unlock(&h->vm.bus_lock);
	return r;
}

/* Take the next message from VP 0's queue; its type, or -1 if none. */
static int gnext(struct harness *h, uint8_t *buf)
{
	struct vcpu *v = &h->vm.vcpus[0];
	struct synic_msg *m;

	if (!v->mq_count)
		return -1;
	m = &v->mq[v->mq_head];
	memcpy(buf, m->data, m->len);
	v->mq_head = (v->mq_head + 1) % v->mq_cap;
	v->mq_count--;
	return buf[0];
}

static void gdrain(struct harness *h)
{
	uint8_t buf[256];

	while (gnext(h, buf) >= 0)
		;
}

static void gconnect(struct harness *h)
{
	struct vmbus_initiate_contact m = {
		.hdr.msgtype = CHANNELMSG_INITIATE_CONTACT,
		.version_requested = VMBUS_VERSION_WIN10_V5_3,
		.msg_sint = HV_VMBUS_SINT,
	};
	struct vmbus_msg_hdr r = { .msgtype = CHANNELMSG_REQUESTOFFERS };
	uint8_t buf[256];

	assert_int_equal(gpost(h, &m, sizeof(m)), HV_STATUS_SUCCESS);
	assert_int_equal(gnext(h, buf), CHANNELMSG_VERSION_RESPONSE);
	assert_int_equal(gpost(h, &r, sizeof(r)), HV_STATUS_SUCCESS);
}

/* A GPADL of npages pages (page numbers wrap inside RAM), split like
 * Linux; returns GPADL_CREATED's status. */
static uint32_t ggpadl(struct harness *h, uint32_t relid, uint32_t handle,
		       uint32_t npages)
{
	uint8_t buf[HV_MESSAGE_PAYLOAD_MAX];
	struct vmbus_gpadl_header *hd = (void *)buf;
	struct vmbus_gpa_range *r = (void *)(buf + sizeof(*hd));
	uint32_t n = npages < VMBUS_GPADL_HEADER_PFNS ? npages :
		     VMBUS_GPADL_HEADER_PFNS, done, i, msgno = 1;
	uint64_t pfn;

	memset(buf, 0, sizeof(buf));
	hd->hdr.msgtype = CHANNELMSG_GPADL_HEADER;
	hd->child_relid = relid;
	hd->gpadl = handle;
	hd->rangecount = 1;
	r->byte_count = npages * 4096;
	for (i = 0; i < n; i++) {
		pfn = 16 + i % (RAM_PAGES - 16);
		memcpy((uint8_t *)(r + 1) + 8 * i, &pfn, 8);
	}
	gpost(h, buf, (uint32_t)(sizeof(*hd) + sizeof(*r) + n * 8));
	for (done = n; done < npages; done += n) {
		struct vmbus_gpadl_body *b = (void *)buf;

		n = npages - done < VMBUS_GPADL_BODY_PFNS ? npages - done :
		    VMBUS_GPADL_BODY_PFNS;
		memset(buf, 0, sizeof(buf));
		b->hdr.msgtype = CHANNELMSG_GPADL_BODY;
		b->msgnumber = msgno++;
		b->gpadl = handle;
		for (i = 0; i < n; i++) {
			pfn = 16 + (done + i) % (RAM_PAGES - 16);
			memcpy((uint8_t *)(b + 1) + 8 * i, &pfn, 8);
		}
		gpost(h, buf, (uint32_t)(sizeof(*b) + n * 8));
	}
	for (;;) {
		int t = gnext(h, buf);

		assert_true(t >= 0);
		if (t == CHANNELMSG_GPADL_CREATED)
			return ((struct vmbus_gpadl_created *)buf)->creation_status;
	}
}

static void gopen(struct harness *h, uint32_t relid, uint32_t ring)
{
	struct vmbus_open_channel m = {
		.hdr.msgtype = CHANNELMSG_OPENCHANNEL, .child_relid = relid,
		.openid = relid, .ring_gpadl = ring,
		.downstream_page_offset = 4, .target_vp = 1,
	};

	gpost(h, &m, sizeof(m));
}

/* The next OPEN_RESULT for relid: its status; -1 if none is there. */
static int64_t gopen_result(struct harness *h, uint32_t relid)
{
	uint8_t buf[256];
	int t;

	while ((t = gnext(h, buf)) >= 0) {
		const struct vmbus_open_result *r = (const void *)buf;

		if (t == CHANNELMSG_OPENCHANNEL_RESULT && r->child_relid == relid)
			return r->status;
	}
	return -1;
}

static void gsimple(struct harness *h, uint32_t type, uint32_t relid)
{
	struct vmbus_relid_msg m = { .hdr.msgtype = type, .child_relid = relid };

	gpost(h, &m, sizeof(m));
}

static struct vmbus_channel *chan(struct harness *h, uint32_t relid)
{
	return vmbus_server_channel(&h->vm.bus, relid);
}

/* ---- fake daemons and enlctl ---------------------------------------------------- */

static uint8_t dbuf[VSP_MSG_MAX];

/* Receive one message (pumping the server meanwhile); its type, or -1. */
static int drecv(struct harness *h, int d, int *fds, int *nfds)
{
	int i, n, tmp[VSP_MAX_FDS], tn;

	for (i = 0; i < 200; i++) {
		n = vspc_recv(d, dbuf, sizeof(dbuf), fds ? fds : tmp,
			      nfds ? nfds : &tn, MSG_DONTWAIT);
		if (n > 0) {
			if (!fds)
				vspc_close_fds(tmp, tn);
			return (int)((struct vsp_hdr *)dbuf)->type;
		}
		if (n != -EAGAIN)
			return -1;
		pump(h);
	}
	return -1;
}

/* Receive, skipping types other than want; -1 if it never comes. */
static int dwait(struct harness *h, int d, uint32_t want, int *fds, int *nfds)
{
	int t;

	while ((t = drecv(h, d, fds, nfds)) >= 0) {
		if ((uint32_t)t == want)
			return t;
		if (fds)
			vspc_close_fds(fds, *nfds);
	}
	return -1;
}

static void dsend(struct harness *h, int d, const void *m, size_t len)
{
	assert_int_equal(vspc_send(d, m, len, NULL, 0, 0), 0);
	pump(h);
}

static int dconnect(struct harness *h, uint32_t role, const char *name)
{
	struct vsp_hello m;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	assert_int_equal(vsp_server_adopt(h->vm.vsp, sv[1]), 0);
	vsp_hdr_init(&m, VSP_HELLO, sizeof(m));
	m.version = VSP_PROTO_VERSION;
	m.role = role;
	snprintf(m.name, sizeof(m.name), "%s", name);
	dsend(h, sv[0], &m, sizeof(m));
	assert_int_equal(drecv(h, sv[0], NULL, NULL), VSP_WELCOME);
	return sv[0];
}

static const enl_guid_t scsi = ENL_GUID_SCSI;

static enl_guid_t inst_n(unsigned int n)
{
	enl_guid_t g = ENL_GUID(0x12345678, 0x9abc, 0xdef0, 1, 2, 3, 4, 5, 6, 0, 0);

	g.b[14] = (uint8_t)(n >> 8);
	g.b[15] = (uint8_t)n;
	return g;
}

/* OFFER; returns the status, *relid the channel's. */
static uint32_t doffer(struct harness *h, int d, unsigned int inst,
		       uint16_t sub, uint32_t *relid)
{
	struct vsp_offer m;
	struct vsp_offer_result *r = (void *)dbuf;

	vsp_hdr_init(&m, VSP_OFFER, sizeof(m));
	m.cookie = inst * 100 + sub;
	m.if_type = scsi;
	m.if_instance = inst_n(inst);
	m.sub_channel_index = sub;
	dsend(h, d, &m, sizeof(m));
	assert_int_equal(dwait(h, d, VSP_OFFER_RESULT, NULL, NULL), VSP_OFFER_RESULT);
	assert_int_equal(r->cookie, inst * 100 + sub);
	if (relid)
		*relid = r->relid;
	return r->status;
}

static void drelid(struct harness *h, int d, uint32_t type, uint32_t relid,
		   uint32_t status)
{
	struct vsp_open_reply m;	/* also a vsp_relid: same layout */

	vsp_hdr_init(&m, type, sizeof(m));
	m.relid = relid;
	m.status = status;
	dsend(h, d, &m, sizeof(m));
}

/* A daemon serving one channel, a connected guest with its ring GPADL,
 * and the GPADL delivered; returns the daemon's fd. */
static int setup_channel(struct harness *h, uint32_t *relid)
{
	int d = dconnect(h, VSP_ROLE_DAEMON, "scsivsp");

	assert_int_equal(doffer(h, d, 1, 0, relid), 0);
	gconnect(h);
	gdrain(h);
	assert_int_equal(ggpadl(h, *relid, 0x100, 8), 0);
	assert_int_equal(dwait(h, d, VSP_GPADL, NULL, NULL), VSP_GPADL);
	return d;
}

/* The guest opens, the daemon gets CHANNEL_OPEN with two fds. */
static void open_to_daemon(struct harness *h, int d, uint32_t relid)
{
	int fds[VSP_MAX_FDS], nfds;

	gopen(h, relid, 0x100);
	assert_int_equal(dwait(h, d, VSP_CHANNEL_OPEN, fds, &nfds), VSP_CHANNEL_OPEN);
	assert_int_equal(nfds, 2);
	assert_int_equal(((struct vsp_channel_open *)dbuf)->relid, relid);
	vspc_close_fds(fds, nfds);
	assert_int_equal(chan(h, relid)->state, CHAN_OPENING);
	assert_int_equal(gopen_result(h, relid), -1);	/* not yet */
}

/* ---- tests ------------------------------------------------------------------- */

static int inflight_get(struct harness *h, int d, uint32_t relid,
			uint64_t size, uint64_t *got);

static void test_open_refused_then_accepted(void **state)
{
	struct harness *h = hnew();
	uint32_t relid;
	int d = setup_channel(h, &relid);

	open_to_daemon(h, d, relid);
	drelid(h, d, VSP_OPEN_REPLY, relid, EINVAL);
	assert_true(gopen_result(h, relid) > 0);
	assert_int_equal(chan(h, relid)->state, CHAN_OFFERED);
	/* A later open, this time accepted. */
	open_to_daemon(h, d, relid);
	drelid(h, d, VSP_OPEN_REPLY, relid, 0);
	assert_int_equal(gopen_result(h, relid), 0);
	assert_int_equal(chan(h, relid)->state, CHAN_OPEN);
	/* Close completes on CLOSE_DONE. */
	gsimple(h, CHANNELMSG_CLOSECHANNEL, relid);
	assert_int_equal(chan(h, relid)->state, CHAN_CLOSING);
	assert_int_equal(dwait(h, d, VSP_CHANNEL_CLOSE, NULL, NULL), VSP_CHANNEL_CLOSE);
	drelid(h, d, VSP_CLOSE_DONE, relid, 0);
	assert_int_equal(chan(h, relid)->state, CHAN_OFFERED);
	close(d);
	hfree(h);
}

static void test_open_timeout(void **state)
{
	struct harness *h = hnew();
	uint32_t relid;
	int d = setup_channel(h, &relid);

	open_to_daemon(h, d, relid);
	h->now += VSP_OPEN_TIMEOUT_MS - 1;
	pump(h);
	assert_int_equal(gopen_result(h, relid), -1);
	h->now += 1;
	pump(h);
	assert_true(gopen_result(h, relid) > 0);
	assert_int_equal(chan(h, relid)->state, CHAN_OFFERED);
	assert_true(client_alive(h, 1));
	/* The daemon is told to stop; its late yes changes nothing. */
	assert_int_equal(dwait(h, d, VSP_CHANNEL_CLOSE, NULL, NULL), VSP_CHANNEL_CLOSE);
	drelid(h, d, VSP_OPEN_REPLY, relid, 0);
	assert_int_equal(chan(h, relid)->state, CHAN_OFFERED);
	drelid(h, d, VSP_CLOSE_DONE, relid, 0);
	/* Opened again, answered in time. */
	open_to_daemon(h, d, relid);
	drelid(h, d, VSP_OPEN_REPLY, relid, 0);
	assert_int_equal(gopen_result(h, relid), 0);
	/* A close never answered cuts the daemon off; the guest carries on. */
	gsimple(h, CHANNELMSG_CLOSECHANNEL, relid);
	h->now += VSP_RELEASE_TIMEOUT_MS;
	pump(h);
	assert_true(client_alive(h, 0));
	assert_int_equal(chan(h, relid)->state, CHAN_OFFERED);
	close(d);
	hfree(h);
}

static void test_open_without_daemon(void **state)
{
	struct harness *h = hnew();
	uint32_t relid, relid2;
	int d = setup_channel(h, &relid);

	close(d);
	pump(h);
	assert_true(client_alive(h, 0));
	gopen(h, relid, 0x100);
	assert_true(gopen_result(h, relid) > 0);
	assert_int_equal(chan(h, relid)->state, CHAN_OFFERED);
	/* The daemon comes back: same relid, its GPADL again, opens work. */
	d = dconnect(h, VSP_ROLE_DAEMON, "scsivsp");
	assert_int_equal(doffer(h, d, 1, 0, &relid2), 0);
	assert_int_equal(relid2, relid);
	assert_int_equal(dwait(h, d, VSP_GPADL, NULL, NULL), VSP_GPADL);
	open_to_daemon(h, d, relid);
	/* ... and dying while the guest waits fails that open. */
	close(d);
	pump(h);
	assert_true(gopen_result(h, relid) > 0);
	assert_int_equal(chan(h, relid)->state, CHAN_OFFERED);
	hfree(h);
}

/* The guest opens again before the daemon has closed: the daemon gets the
 * new CHANNEL_OPEN only after its CLOSE_DONE, with the in-flight region
 * cleared in between. */
static void test_reopen_while_closing(void **state)
{
	struct harness *h = hnew();
	uint32_t relid;
	int d = setup_channel(h, &relid), fd, fds[VSP_MAX_FDS], nfds;
	uint64_t size;
	uint8_t b = 0;

	fd = inflight_get(h, d, relid, 4096, &size);
	assert_true(fd >= 0);
	open_to_daemon(h, d, relid);
	drelid(h, d, VSP_OPEN_REPLY, relid, 0);
	assert_int_equal(gopen_result(h, relid), 0);
	assert_int_equal(pwrite(fd, "x", 1, 10), 1);
	gsimple(h, CHANNELMSG_CLOSECHANNEL, relid);
	gopen(h, relid, 0x100);
	assert_int_equal(chan(h, relid)->state, CHAN_OPENING);
	assert_int_equal(drecv(h, d, NULL, NULL), VSP_CHANNEL_CLOSE);
	assert_int_equal(drecv(h, d, NULL, NULL), -1);	/* no OPEN yet */
	drelid(h, d, VSP_CLOSE_DONE, relid, 0);
	assert_int_equal(pread(fd, &b, 1, 10), 1);
	assert_int_equal(b, 0);
	assert_int_equal(drecv(h, d, fds, &nfds), VSP_CHANNEL_OPEN);
	assert_int_equal(nfds, 2);
	vspc_close_fds(fds, nfds);
	drelid(h, d, VSP_OPEN_REPLY, relid, 0);
	assert_int_equal(gopen_result(h, relid), 0);
	assert_int_equal(chan(h, relid)->state, CHAN_OPEN);
	close(fd);
	close(d);
	hfree(h);
}

/* Issue 8 failure 4: no offer reaches the guest without its kick fd, and
 * a retried OFFER gets the daemon the opens. */
static void test_kick_fd_failure(void **state)
{
	struct harness *h = hnew();
	int d = dconnect(h, VSP_ROLE_DAEMON, "scsivsp");
	uint8_t buf[256];
	uint32_t relid;

	gconnect(h);
	gdrain(h);
	h->kick_fail = true;
	assert_int_equal(doffer(h, d, 1, 0, &relid), EIO);
	assert_int_equal(gnext(h, buf), -1);	/* the guest saw nothing */
	h->kick_fail = false;
	assert_int_equal(doffer(h, d, 1, 0, &relid), 0);
	assert_int_equal(gnext(h, buf), CHANNELMSG_OFFERCHANNEL);
	assert_int_equal(ggpadl(h, relid, 0x100, 8), 0);
	open_to_daemon(h, d, relid);
	close(d);
	hfree(h);
}

/* A call irqfd that cannot be set up fails the open (the daemon hears
 * nothing) and refuses a move to another VP (the old route stays). */
static void test_call_fd_failure(void **state)
{
	struct harness *h = hnew();
	uint32_t relid;
	int d = setup_channel(h, &relid);
	struct vmbus_modify_channel mc = {
		.hdr.msgtype = CHANNELMSG_MODIFYCHANNEL, .target_vp = 0,
	};
	uint8_t buf[256];
	int t;

	h->call_fail = true;
	gopen(h, relid, 0x100);
	assert_true(gopen_result(h, relid) > 0);
	assert_int_equal(chan(h, relid)->state, CHAN_OFFERED);
	h->call_fail = false;
	open_to_daemon(h, d, relid);		/* the first thing it hears */
	drelid(h, d, VSP_OPEN_REPLY, relid, 0);
	assert_int_equal(gopen_result(h, relid), 0);
	assert_int_equal(h->calls, 1);
	h->call_fail = true;
	mc.child_relid = relid;
	gpost(h, &mc, sizeof(mc));
	while ((t = gnext(h, buf)) >= 0 && t != CHANNELMSG_MODIFYCHANNEL_RESPONSE)
		;
	assert_int_equal(t, CHANNELMSG_MODIFYCHANNEL_RESPONSE);
	assert_int_not_equal(((struct vmbus_modify_channel_response *)buf)->status, 0);
	assert_int_equal(chan(h, relid)->target_vp, 1);
	assert_int_equal(h->calls, 1);
	assert_true(vsp_host_of(h->vm.vsp, chan(h, relid))->call_fd >= 0);
	close(d);
	hfree(h);
}

static void test_subchannels(void **state)
{
	struct harness *h = hnew();
	int d = dconnect(h, VSP_ROLE_DAEMON, "scsivsp");
	int other = dconnect(h, VSP_ROLE_DAEMON, "other");
	uint32_t primary, sub[3];
	uint8_t buf[256];
	uint16_t i;

	/* No primary yet, or someone else's: refused. */
	assert_int_equal(doffer(h, d, 1, 1, NULL), ENOENT);
	assert_int_equal(doffer(h, d, 1, 0, &primary), 0);
	assert_int_equal(doffer(h, other, 1, 1, NULL), ENOENT);
	gconnect(h);
	assert_int_equal(gnext(h, buf), CHANNELMSG_OFFERCHANNEL);
	assert_int_equal(gnext(h, buf), CHANNELMSG_ALLOFFERS_DELIVERED);
	for (i = 0; i < 3; i++) {
		const struct vmbus_offer_channel *o = (const void *)buf;

		assert_int_equal(doffer(h, d, 1, (uint16_t)(i + 1), &sub[i]), 0);
		assert_int_equal(gnext(h, buf), CHANNELMSG_OFFERCHANNEL);
		assert_int_equal(o->sub_channel_index, i + 1);
		assert_int_equal(o->child_relid, sub[i]);
		assert_int_not_equal(sub[i], primary);
		assert_int_equal(o->connection_id, VMBUS_CONN_ID_BASE + sub[i]);
		assert_memory_equal(&o->if_type, &scsi, sizeof(scsi));
	}
	assert_int_equal(h->kicks, 4);	/* one kick eventfd each */
	/* Each opens on its own, with its own fds and target VP. */
	assert_int_equal(ggpadl(h, sub[2], 0x200, 8), 0);
	{
		struct vmbus_open_channel m = {
			.hdr.msgtype = CHANNELMSG_OPENCHANNEL,
			.child_relid = sub[2], .ring_gpadl = 0x200,
			.downstream_page_offset = 4, .target_vp = 0,
		};
		int fds[VSP_MAX_FDS], nfds;

		gpost(h, &m, sizeof(m));
		assert_int_equal(dwait(h, d, VSP_CHANNEL_OPEN, fds, &nfds), VSP_CHANNEL_OPEN);
		assert_int_equal(nfds, 2);
		vspc_close_fds(fds, nfds);
		assert_int_equal(((struct vsp_channel_open *)dbuf)->sub_channel_index, 3);
		assert_int_equal(((struct vsp_channel_open *)dbuf)->target_vp, 0);
		drelid(h, d, VSP_OPEN_REPLY, sub[2], 0);
		assert_int_equal(gopen_result(h, sub[2]), 0);
	}
	close(d);
	close(other);
	hfree(h);
}

/* WITHDRAW; returns WITHDRAW_RESULT's status. */
static uint32_t dwithdraw(struct harness *h, int d, uint32_t relid)
{
	struct vsp_relid m;
	const struct vsp_withdraw_result *r = (const void *)dbuf;

	vsp_hdr_init(&m, VSP_WITHDRAW, sizeof(m));
	m.relid = relid;
	dsend(h, d, &m, sizeof(m));
	assert_int_equal(dwait(h, d, VSP_WITHDRAW_RESULT, NULL, NULL),
			 VSP_WITHDRAW_RESULT);
	assert_int_equal(r->relid, relid);
	return r->status;
}

/*
 * Issue 10: a NIC's subchannels withdrawn by their daemon (the guest
 * closed the primary) are rescinded, and fresh ones of the same indices
 * can be offered at once, under new relids; the old ones go at the
 * guest's RELID_RELEASED.  Bad withdrawals are refused and change nothing.
 */
static void test_withdraw(void **state)
{
	struct harness *h = hnew();
	int d = dconnect(h, VSP_ROLE_DAEMON, "netvsp");
	int other = dconnect(h, VSP_ROLE_DAEMON, "other");
	const struct vmbus_offer_channel *o;
	uint32_t primary, sub, sub2, hidden, again;
	uint8_t buf[256];
	int t;

	assert_int_equal(doffer(h, d, 1, 0, &primary), 0);
	/* never shown to the guest: gone at once */
	assert_int_equal(doffer(h, d, 1, 1, &hidden), 0);
	assert_int_equal(dwithdraw(h, d, hidden), 0);
	assert_null(chan(h, hidden));
	assert_int_equal(h->kicks, 1);
	gconnect(h);
	assert_int_equal(gnext(h, buf), CHANNELMSG_OFFERCHANNEL);
	assert_int_equal(gnext(h, buf), CHANNELMSG_ALLOFFERS_DELIVERED);
	assert_int_equal(gnext(h, buf), -1);	/* no offer of the withdrawn one */
	assert_int_equal(doffer(h, d, 1, 1, &sub), 0);
	assert_int_equal(gnext(h, buf), CHANNELMSG_OFFERCHANNEL);

	/* refused: nothing happens to the channel */
	assert_int_equal(dwithdraw(h, d, primary), EINVAL);
	assert_int_equal(dwithdraw(h, other, sub), EPERM);
	assert_int_equal(dwithdraw(h, d, 999), ENOENT);
	assert_int_equal(dwithdraw(h, d, 0), ENOENT);
	assert_int_equal(gnext(h, buf), -1);
	assert_int_equal(chan(h, sub)->state, CHAN_OFFERED);
	assert_false(chan(h, sub)->withdrawn);

	/* the guest has it open: it is rescinded under it */
	assert_int_equal(ggpadl(h, sub, 0x200, 8), 0);
	assert_int_equal(dwait(h, d, VSP_GPADL, NULL, NULL), VSP_GPADL);
	gopen(h, sub, 0x200);
	assert_int_equal(dwait(h, d, VSP_CHANNEL_OPEN, NULL, NULL), VSP_CHANNEL_OPEN);
	drelid(h, d, VSP_OPEN_REPLY, sub, 0);
	assert_int_equal(gopen_result(h, sub), 0);
	assert_int_equal(dwithdraw(h, d, sub), 0);
	assert_int_equal(chan(h, sub)->state, CHAN_RESCINDING);
	assert_int_equal(gnext(h, buf), CHANNELMSG_RESCIND_CHANNELOFFER);
	assert_int_equal(((struct vmbus_relid_msg *)buf)->child_relid, sub);
	assert_int_equal(dwithdraw(h, d, sub), EALREADY);

	/* the same index again before the guest let go: a new channel */
	assert_int_equal(doffer(h, d, 1, 1, &sub2), 0);
	assert_int_not_equal(sub2, sub);
	assert_int_equal(gnext(h, buf), CHANNELMSG_OFFERCHANNEL);
	o = (const void *)buf;
	assert_int_equal(o->child_relid, sub2);
	assert_int_equal(o->sub_channel_index, 1);

	/* the guest closes and releases the old one: freed, and its
	 * daemon hears nothing of it (no CLOSE, no TEARDOWN, no RESCINDED) */
	gsimple(h, CHANNELMSG_CLOSECHANNEL, sub);
	{
		struct vmbus_gpadl_teardown td = {
			.hdr.msgtype = CHANNELMSG_GPADL_TEARDOWN,
			.child_relid = sub, .gpadl = 0x200,
		};

		gpost(h, &td, sizeof(td));
		assert_int_equal(gnext(h, buf), CHANNELMSG_GPADL_TORNDOWN);
	}
	gsimple(h, CHANNELMSG_RELID_RELEASED, sub);
	assert_null(chan(h, sub));
	assert_int_equal(h->kicks, 2);		/* primary and sub2 */
	while ((t = drecv(h, d, NULL, NULL)) >= 0)
		assert_true(((struct vsp_relid *)dbuf)->relid != sub);
	/* its relid is free for the next offer */
	assert_int_equal(doffer(h, d, 1, 2, &again), 0);
	assert_int_equal(again, sub);

	/* a restarted daemon takes over sub2 and index 2, not the old one */
	close(d);
	pump(h);
	d = dconnect(h, VSP_ROLE_DAEMON, "netvsp");
	assert_int_equal(doffer(h, d, 1, 0, &primary), 0);
	{
		struct vsp_offer m;
		const struct vsp_offer_result *r = (const void *)dbuf;

		vsp_hdr_init(&m, VSP_OFFER, sizeof(m));
		m.cookie = 7;
		m.if_type = scsi;
		m.if_instance = inst_n(1);
		m.sub_channel_index = 1;
		m.flags = VSP_OFFER_EXISTING;
		dsend(h, d, &m, sizeof(m));
		assert_int_equal(dwait(h, d, VSP_OFFER_RESULT, NULL, NULL), VSP_OFFER_RESULT);
		assert_int_equal(r->status, 0);
		assert_int_equal(r->relid, sub2);
	}
	close(d);
	close(other);
	hfree(h);
}

/* Issue 8 failure 2: a GPADL of 100+ MiB reaches the daemon whole, even
 * when the daemon reads only later. */
static void test_big_gpadl(void **state)
{
	struct harness *h = hnew();
	uint32_t relid, pages = (112u << 20) / 4096, got = 0;
	int d = setup_channel(h, &relid);
	int sndbuf = 70000;	/* the kernel doubles it: two messages */

	/* A small socket buffer, so the server surely meets EAGAIN. */
	setsockopt(h->vm.vsp->clients[0]->fd, SOL_SOCKET, SO_SNDBUF,
		   &sndbuf, sizeof(sndbuf));
	assert_int_equal(ggpadl(h, relid, 0x300, pages), 0);
	{
		/* Queued on the "vCPU thread": the main loop is woken. */
		struct pollfd w = { .fd = h->vm.vsp->wake_fd, .events = POLLIN };

		assert_int_equal(poll(&w, 1, 0), 1);
	}
	pump(h);
	assert_true(client_alive(h, 1));
	while (got < pages) {
		const struct vsp_gpadl *g = (const void *)dbuf;

		assert_int_equal(drecv(h, d, NULL, NULL), VSP_GPADL);
		assert_int_equal(g->gpadl, 0x300);
		assert_int_equal(g->first, got);
		assert_int_equal(g->total_pages, pages);
		got += g->count;
	}
	assert_true(client_alive(h, 1));
	close(d);
	hfree(h);
}

/* Issue 8 failure 3: a restarted daemon gets every GPADL of its channel
 * at once and stays connected. */
static void test_restart_many_gpadls(void **state)
{
	struct harness *h = hnew();
	uint32_t relid, n = 0, i;
	int d = setup_channel(h, &relid);
	int sndbuf = 70000;	/* the kernel doubles it: two messages */

	for (i = 0; i < 200; i++)
		assert_int_equal(ggpadl(h, relid, 0x1000 + i, 512), 0);
	close(d);
	pump(h);
	d = dconnect(h, VSP_ROLE_DAEMON, "scsivsp");
	setsockopt(h->vm.vsp->clients[0]->fd, SOL_SOCKET, SO_SNDBUF,
		   &sndbuf, sizeof(sndbuf));
	assert_int_equal(doffer(h, d, 1, 0, NULL), 0);
	pump(h);
	assert_true(client_alive(h, 1));
	while (drecv(h, d, NULL, NULL) == VSP_GPADL)
		n++;
	assert_int_equal(n, 201);	/* the ring and the 200 */
	assert_true(client_alive(h, 1));
	close(d);
	hfree(h);
}

/* Issue 8 failure 1: 300 channels, REQUESTOFFERS: every offer and
 * ALLOFFERS_DELIVERED reach the guest. */
static void test_300_channels(void **state)
{
	struct harness *h = hnew();
	int d = dconnect(h, VSP_ROLE_DAEMON, "many");
	uint8_t buf[256];
	unsigned int i, offers = 0;
	int t;

	for (i = 0; i < 300; i++)
		assert_int_equal(doffer(h, d, i, 0, NULL), 0);
	gconnect(h);
	while ((t = gnext(h, buf)) == CHANNELMSG_OFFERCHANNEL)
		offers++;
	assert_int_equal(offers, 300);
	assert_int_equal(t, CHANNELMSG_ALLOFFERS_DELIVERED);
	close(d);
	hfree(h);
}

static int inflight_get(struct harness *h, int d, uint32_t relid,
			uint64_t size, uint64_t *got)
{
	struct vsp_inflight_msg m;
	const struct vsp_inflight_msg *r = (const void *)dbuf;
	int fds[VSP_MAX_FDS], nfds;

	vsp_hdr_init(&m, VSP_INFLIGHT_GET, sizeof(m));
	m.relid = relid;
	m.size = size;
	dsend(h, d, &m, sizeof(m));
	assert_int_equal(dwait(h, d, VSP_INFLIGHT, fds, &nfds), VSP_INFLIGHT);
	assert_int_equal(r->relid, relid);
	if (r->status) {
		assert_int_equal(nfds, 0);
		return -(int)r->status;
	}
	assert_int_equal(nfds, 1);
	*got = r->size;
	return fds[0];
}

static void test_inflight_region(void **state)
{
	struct harness *h = hnew();
	uint32_t relid;
	int d = setup_channel(h, &relid), fd;
	uint64_t size = 0;
	uint8_t *p;

	assert_int_equal(inflight_get(h, d, relid, 5000, &size), -EINVAL);
	assert_int_equal(inflight_get(h, d, relid, VSP_INFLIGHT_MAX + 4096, &size), -EINVAL);
	assert_int_equal(inflight_get(h, d, relid + 1, 8192, &size), -ENOENT);
	fd = inflight_get(h, d, relid, 8192, &size);
	assert_true(fd >= 0);
	assert_int_equal(size, 8192);
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	close(fd);
	open_to_daemon(h, d, relid);
	drelid(h, d, VSP_OPEN_REPLY, relid, 0);
	assert_int_equal(gopen_result(h, relid), 0);
	memset(p, 0xab, 8192);
	/* The daemon dies with requests in flight; the next one finds them. */
	close(d);
	pump(h);
	d = dconnect(h, VSP_ROLE_DAEMON, "scsivsp");
	assert_int_equal(doffer(h, d, 1, 0, NULL), 0);
	fd = inflight_get(h, d, relid, 4096, &size);
	assert_true(fd >= 0);
	assert_int_equal(size, 8192);	/* the region that exists */
	{
		uint8_t b = 0;

		assert_int_equal(pread(fd, &b, 1, 8191), 1);
		assert_int_equal(b, 0xab);
	}
	close(fd);
	/* The guest closes: what was in flight died with the open. */
	gsimple(h, CHANNELMSG_CLOSECHANNEL, relid);
	assert_int_equal(dwait(h, d, VSP_CHANNEL_CLOSE, NULL, NULL), VSP_CHANNEL_CLOSE);
	assert_int_equal(p[100], 0xab);		/* not before CLOSE_DONE */
	drelid(h, d, VSP_CLOSE_DONE, relid, 0);
	assert_int_equal(p[100], 0);
	assert_int_equal(p[8191], 0);
	munmap(p, 8192);
	close(d);
	hfree(h);
}

/* Issue 8 failure 8: exact lengths, no fds. */
static void test_protocol_errors(void **state)
{
	struct harness *h = hnew();
	uint8_t big[sizeof(struct vsp_hello) + 4] = { 0 };
	struct vsp_hello *m = (void *)big;
	struct vsp_relid cd;
	int sv[2], efd;

	/* A HELLO with bytes after it. */
	socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
	vsp_server_adopt(h->vm.vsp, sv[1]);
	m->hdr.type = VSP_HELLO;
	m->hdr.len = sizeof(big);
	m->version = VSP_PROTO_VERSION;
	m->role = VSP_ROLE_DAEMON;
	dsend(h, sv[0], big, sizeof(big));
	assert_true(client_alive(h, 0));
	close(sv[0]);
	/* A HELLO carrying an fd. */
	socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
	vsp_server_adopt(h->vm.vsp, sv[1]);
	m->hdr.len = sizeof(*m);
	efd = memfd_create("x", MFD_CLOEXEC);
	assert_int_equal(vspc_send(sv[0], m, sizeof(*m), &efd, 1, 0), 0);
	close(efd);
	pump(h);
	assert_true(client_alive(h, 0));
	close(sv[0]);
	/* A message shorter than its type's. */
	sv[0] = dconnect(h, VSP_ROLE_DAEMON, "d");
	vsp_hdr_init(&cd, VSP_CLOSE_DONE, sizeof(cd));
	cd.hdr.len = sizeof(cd) - 4;
	dsend(h, sv[0], &cd, sizeof(cd) - 4);
	assert_true(client_alive(h, 0));
	close(sv[0]);
	hfree(h);
}

/* Messages still queued for an earlier connection never reach a new
 * kernel; a silent connection loses its slot. */
static void test_reconnect_and_silence(void **state)
{
	struct harness *h = hnew();
	int d = dconnect(h, VSP_ROLE_DAEMON, "d"), sv[2];
	uint8_t buf[256];

	assert_int_equal(doffer(h, d, 1, 0, NULL), 0);
	gconnect(h);		/* OFFERCHANNEL + ALLOFFERS queued, unread */
	gconnect(h);		/* kexec: a new INITIATE_CONTACT */
	assert_int_equal(gnext(h, buf), CHANNELMSG_OFFERCHANNEL);
	assert_int_equal(gnext(h, buf), CHANNELMSG_ALLOFFERS_DELIVERED);
	assert_int_equal(gnext(h, buf), -1);
	socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
	vsp_server_adopt(h->vm.vsp, sv[1]);
	h->now += VSP_HELLO_TIMEOUT_MS;
	pump(h);
	assert_true(client_alive(h, 1));	/* only the daemon */
	close(sv[0]);
	close(d);
	hfree(h);
}

/* UNLOAD waits for the daemon to release the GPADLs; a daemon that goes
 * away meanwhile releases them all, and the guest gets its answer. */
static void test_unload_daemon_leaves(void **state)
{
	struct harness *h = hnew();
	struct vmbus_msg_hdr m = { .msgtype = CHANNELMSG_UNLOAD };
	uint32_t relid;
	int d = setup_channel(h, &relid), t;
	uint8_t buf[256];

	open_to_daemon(h, d, relid);
	drelid(h, d, VSP_OPEN_REPLY, relid, 0);
	assert_int_equal(gopen_result(h, relid), 0);
	gpost(h, &m, sizeof(m));
	pump(h);
	assert_int_equal(h->vm.bus.state, VMBUS_UNLOADING);
	while ((t = gnext(h, buf)) >= 0)
		assert_int_not_equal(t, CHANNELMSG_UNLOAD_RESPONSE);
	close(d);
	pump(h);
	assert_int_equal(gnext(h, buf), CHANNELMSG_UNLOAD_RESPONSE);
	assert_int_equal(h->vm.bus.state, VMBUS_DISCONNECTED);
	/* Nobody holds the channel any more (the guest left, so did its
	 * daemon): its slot is free for the next daemon's offer. */
	assert_null(chan(h, relid));
	assert_int_equal(h->kicks, 0);
	hfree(h);
}

/* A hostile daemon: messages of every type with random contents, right
 * and wrong lengths, while the guest opens, closes and tears down.  The
 * server must neither crash (ASan/UBSan) nor answer the guest wrongly. */
static void test_hostile_daemon(void **state)
{
	static const struct { uint32_t type, len; } kinds[] = {
		{ VSP_HELLO, sizeof(struct vsp_hello) },
		{ VSP_OFFER, sizeof(struct vsp_offer) },
		{ VSP_CLOSE_DONE, sizeof(struct vsp_relid) },
		{ VSP_GPADL_RELEASED, sizeof(struct vsp_gpadl_ref) },
		{ VSP_STATUS_SET, sizeof(struct vsp_status_set) },
		{ VSP_OPEN_REPLY, sizeof(struct vsp_open_reply) },
		{ VSP_INFLIGHT_GET, sizeof(struct vsp_inflight_msg) },
		{ VSP_CTL_STATUS, sizeof(struct vsp_ctl) },
	};
	struct harness *h = hnew();
	uint32_t relid, seed = 12345, i, k;
	uint8_t m[256];
	int d = setup_channel(h, &relid), fds[VSP_MAX_FDS], nfds;

	for (i = 0; i < 3000; i++) {
		seed = seed * 1103515245 + 12345;
		k = (seed >> 16) % (sizeof(kinds) / sizeof(kinds[0]));
		for (size_t j = 0; j < sizeof(m); j++) {
			seed = seed * 1103515245 + 12345;
			m[j] = (uint8_t)(seed >> 16);
		}
		/* Mostly small relids and handles, so that they hit. */
		m[8] = (uint8_t)(m[8] % 4);
		memset(m + 9, 0, 3);
		if (kinds[k].type == VSP_GPADL_RELEASED)
			memcpy(m + 12, (uint32_t[]){ 0x100 + (m[12] & 1) }, 4);
		((struct vsp_hdr *)m)->type = kinds[k].type;
		((struct vsp_hdr *)m)->len = (seed >> 8) % 16 ? kinds[k].len :
					     (uint32_t)((seed >> 4) % sizeof(m));
		if (!client_alive(h, 1)) {
			close(d);
			d = dconnect(h, VSP_ROLE_DAEMON, "again");
			doffer(h, d, 1, 0, NULL);
		}
		vspc_send(d, m, ((struct vsp_hdr *)m)->len, NULL, 0, 0);
		pump(h);
		/* The guest does things meanwhile. */
		switch ((seed >> 20) % 8) {
		case 0:
			gopen(h, relid, 0x100);
			break;
		case 1:
			gsimple(h, CHANNELMSG_CLOSECHANNEL, relid);
			break;
		case 2:
			h->now += VSP_OPEN_TIMEOUT_MS;
			break;
		}
		pump(h);
		gdrain(h);
		/* Read what the daemon got, so its socket never fills. */
		while (vspc_recv(d, dbuf, sizeof(dbuf), fds, &nfds, MSG_DONTWAIT) > 0)
			vspc_close_fds(fds, nfds);
	}
	close(d);
	pump(h);
	hfree(h);
}

/* Control client: the whole status report, page by page. */
static char *ctl_status(struct harness *h, int d, bool json, unsigned int *pages)
{
	struct vsp_ctl m;
	const struct vsp_ctl_reply *r = (const void *)dbuf;
	size_t len = 0;
	char *all = NULL;
	uint32_t next = 0;

	*pages = 0;
	do {
		size_t n;

		vsp_hdr_init(&m, VSP_CTL_STATUS, sizeof(m));
		m.flags = json ? VSP_CTL_FLAG_JSON : 0;
		m.relid = next;
		dsend(h, d, &m, sizeof(m));
		assert_int_equal(dwait(h, d, VSP_CTL_REPLY, NULL, NULL), VSP_CTL_REPLY);
		assert_int_equal(r->status, 0);
		n = strnlen(r->text, r->hdr.len - sizeof(*r));
		assert_true(n < r->hdr.len - sizeof(*r));	/* NUL inside */
		all = realloc(all, len + n + 1);
		memcpy(all + len, r->text, n + 1);
		len += n;
		next = r->next;
		(*pages)++;
	} while (next);
	return all;
}

/* Enough of a JSON check: strings closed, nesting balanced, nothing after. */
static bool json_balanced(const char *s)
{
	int depth = 0;
	bool in_str = false;

	for (; *s; s++) {
		if (in_str) {
			if (*s == '\\')
				s++;
			else if (*s == '"')
				in_str = false;
			else if ((unsigned char)*s < 0x20)
				return false;
			continue;
		}
		if (*s == '"')
			in_str = true;
		else if (*s == '{' || *s == '[')
			depth++;
		else if (*s == '}' || *s == ']')
			depth--;
		else if (*s == ',' && (s[1] == ']' || s[1] == '}' || s[1] == ','))
			return false;
		if (depth < 0)
			return false;
		if (depth == 0 && *s != '\n' && s[1] && s[1] != '\n')
			return false;
	}
	return depth == 0 && !in_str;
}

static void status_set(struct harness *h, int d, uint32_t relid,
		       const char *key, const char *value)
{
	struct vsp_status_set m;

	vsp_hdr_init(&m, VSP_STATUS_SET, sizeof(m));
	m.relid = relid;
	snprintf(m.key, sizeof(m.key), "%s", key);
	snprintf(m.value, sizeof(m.value), "%s", value);
	dsend(h, d, &m, sizeof(m));
}

/* Issue 8 failures 9 and 10. */
static void test_status(void **state)
{
	struct harness *h = hnew();
	int a = dconnect(h, VSP_ROLE_DAEMON, "evil\033[31m\nrelid 9 forged");
	int b = dconnect(h, VSP_ROLE_DAEMON, "good");
	int ctl = dconnect(h, VSP_ROLE_CONTROL, "enlctl");
	uint32_t ra, rb, relid;
	unsigned int i, pages, n;
	char key[16], *text, *p;

	/* a fills its channel's keys; b's still get through. */
	assert_int_equal(doffer(h, a, 1, 0, &ra), 0);
	assert_int_equal(doffer(h, b, 2, 0, &rb), 0);
	for (i = 0; i < 300; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		status_set(h, a, ra, key, "\033]0;title\007x\ny");
	}
	status_set(h, b, rb, "heartbeat_state", "alive");
	text = ctl_status(h, ctl, false, &pages);
	assert_non_null(strstr(text, "heartbeat_state = alive"));
	assert_null(strchr(text, '\033'));
	assert_null(strchr(text, '\007'));
	for (p = text; p; p = strchr(p + 1, '\n'))
		assert_true(strncmp(p + (*p == '\n'), "relid 9 ", 8) != 0);
	free(text);
	/* Many channels with keys: more than one page, valid JSON. */
	for (i = 3; i < 400; i++) {
		assert_int_equal(doffer(h, b, i, 0, &relid), 0);
		status_set(h, b, relid, "heartbeat_state", "alive and \"well\"");
	}
	text = ctl_status(h, ctl, true, &pages);
	assert_true(pages > 1);
	assert_true(json_balanced(text));
	for (n = 0, p = text; (p = strstr(p, "\"relid\":")); p++)
		n++;
	assert_int_equal(n, 399);
	free(text);
	text = ctl_status(h, ctl, false, &pages);
	for (n = 0, p = text; (p = strstr(p, "\nrelid ")); p++)
		n++;
	assert_int_equal(n, 399);
	free(text);
	/* A daemon leaving frees the channels the guest never saw. */
	close(b);
	pump(h);
	for (n = 0, i = 0; i < VMBUS_MAX_CHANNELS; i++)
		n += h->vm.bus.chan[i].state != CHAN_FREE;
	assert_int_equal(n, 1);
	assert_int_equal(h->kicks, 1);
	close(a);
	close(ctl);
	hfree(h);
}

/* The real enlctl against the server: the whole report, page by page. */
static char *run_enlctl(struct harness *h, const char *sock, const char *mode,
			int *status)
{
	size_t len = 0, cap = 1 << 20;
	char *out = malloc(cap);
	int pfd[2], n;
	pid_t pid;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		execl(enlctl_path, "enlctl", "--vm", sock, "status", mode,
		      (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	for (;;) {
		pump(h);
		n = (int)read(pfd[0], out + len, cap - len - 1);
		if (n > 0)
			len += (size_t)n;
		else if (n == 0)
			break;
		else
			usleep(1000);
		assert_true(len < cap - 1);
	}
	out[len] = 0;
	close(pfd[0]);
	waitpid(pid, status, 0);
	return out;
}

static void test_enlctl_binary(void **state)
{
	char dir[] = "/tmp/enl-test-vsp-XXXXXX", sock[64];
	struct harness *h;
	unsigned int i, n;
	uint32_t relid;
	int d, st;
	char *out, *p;

	if (access(enlctl_path, X_OK)) {
		print_message("enlctl not built (%s): skipped\n", enlctl_path);
		skip();
	}
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	h = hnew_at(sock);
	d = dconnect(h, VSP_ROLE_DAEMON, "name\033[2J");
	for (i = 1; i <= 400; i++) {
		assert_int_equal(doffer(h, d, i, 0, &relid), 0);
		status_set(h, d, relid, "heartbeat_state", "alive\r\nrelid 7 fake");
		status_set(h, d, relid, "heartbeat_seq", "12345");
	}
	out = run_enlctl(h, sock, "--json", &st);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_true(json_balanced(out));
	for (n = 0, p = out; (p = strstr(p, "\"relid\":")); p++)
		n++;
	assert_int_equal(n, 400);
	free(out);
	out = run_enlctl(h, sock, "--", &st);	/* text */
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_null(strchr(out, '\033'));
	assert_null(strchr(out, '\r'));
	assert_null(strstr(out, "\nrelid 7 fake"));
	for (n = 0, p = out; (p = strstr(p, "\nrelid ")); p++)
		n++;
	assert_int_equal(n, 400);
	free(out);
	out = run_enlctl(h, sock, "status", &st);	/* "status status": usage */
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 2);
	free(out);
	close(d);
	hfree(h);
	rmdir(dir);
}

/* ---- enlctl -> daemon relay ---------------------------------------------- */

static void ctl_daemon(struct harness *h, int ctl, const char *name,
		       uint32_t timeout_ms, const char *cmd)
{
	struct vsp_ctl_daemon *m = calloc(1, sizeof(*m));

	vsp_hdr_init(m, VSP_CTL_DAEMON, sizeof(*m));
	snprintf(m->daemon, sizeof(m->daemon), "%s", name);
	m->timeout_ms = timeout_ms;
	if (cmd)
		snprintf(m->cmd, sizeof(m->cmd), "%s", cmd);
	else
		memset(m->cmd, 'x', sizeof(m->cmd));	/* no NUL */
	dsend(h, ctl, m, sizeof(*m));
	free(m);
}

/* The daemon's DAEMON_CMD: its req_id, its text checked. */
static uint32_t daemon_got(struct harness *h, int d, const char *cmd)
{
	const struct vsp_daemon_cmd *c = (const void *)dbuf;

	assert_int_equal(dwait(h, d, VSP_DAEMON_CMD, NULL, NULL), VSP_DAEMON_CMD);
	assert_int_equal(c->hdr.len, sizeof(*c));
	assert_string_equal(c->cmd, cmd);
	assert_int_not_equal(c->req_id, 0);
	return c->req_id;
}

static void daemon_reply(struct harness *h, int d, uint32_t req_id,
			 uint32_t status, const char *text)
{
	uint8_t m[256];
	struct vsp_daemon_reply *r = (void *)m;
	size_t n = strlen(text) + 1;

	vsp_hdr_init(r, VSP_DAEMON_REPLY, sizeof(*r) + n);
	r->req_id = req_id;
	r->status = status;
	memcpy(r->text, text, n);
	dsend(h, d, r, sizeof(*r) + n);
}

/* The control client's CTL_REPLY: status and text checked (text: a part
 * of it). */
static void ctl_got(struct harness *h, int ctl, uint32_t status,
		    const char *text)
{
	const struct vsp_ctl_reply *r = (const void *)dbuf;

	assert_int_equal(dwait(h, ctl, VSP_CTL_REPLY, NULL, NULL), VSP_CTL_REPLY);
	assert_int_equal(r->status, status);
	assert_int_equal(dbuf[r->hdr.len - 1], 0);
	assert_non_null(strstr(r->text, text));
}

/* Nothing more for this client right now. */
static void quiet(struct harness *h, int fd)
{
	int fds[VSP_MAX_FDS], nfds;

	pump(h);
	assert_int_equal(vspc_recv(fd, dbuf, sizeof(dbuf), fds, &nfds,
				   MSG_DONTWAIT), -EAGAIN);
}

static void test_daemon_relay(void **state)
{
	struct harness *h = hnew();
	int ctl = dconnect(h, VSP_ROLE_CONTROL, "enlctl");
	int ctl2 = dconnect(h, VSP_ROLE_CONTROL, "enlctl");
	int d = dconnect(h, VSP_ROLE_DAEMON, "icvsp");
	int other = dconnect(h, VSP_ROLE_DAEMON, "hidvsp");
	uint32_t id, id2;
	unsigned int i;

	/* no such daemon; a control client is not a daemon */
	ctl_daemon(h, ctl, "nobody", 0, "x");
	ctl_got(h, ctl, ENOENT, "nobody");
	ctl_daemon(h, ctl, "enlctl", 0, "x");
	ctl_got(h, ctl, ENOENT, "enlctl");
	/* bad requests */
	ctl_daemon(h, ctl, "icvsp", VSP_DAEMON_TIMEOUT_MAX_MS + 1, "x");
	ctl_got(h, ctl, EINVAL, "timeout");
	ctl_daemon(h, ctl, "icvsp", 0, NULL);
	ctl_got(h, ctl, EINVAL, "NUL");
	ctl_daemon(h, ctl, "", 0, "x");
	ctl_got(h, ctl, EINVAL, "NUL");
	quiet(h, d);

	/* two at once, answered out of order, each to its own client */
	ctl_daemon(h, ctl, "icvsp", 0, "shutdown");
	id = daemon_got(h, d, "shutdown");
	ctl_daemon(h, ctl2, "icvsp", 0, "kvp list all");
	id2 = daemon_got(h, d, "kvp list all");
	assert_int_not_equal(id, id2);
	/* another daemon cannot answer for icvsp; an unknown id is dropped */
	daemon_reply(h, other, id, 0, "forged");
	daemon_reply(h, d, id2 + 1000, 0, "stray");
	quiet(h, ctl);
	quiet(h, ctl2);
	daemon_reply(h, d, id2, 0, "pool 0: 1 key");
	ctl_got(h, ctl2, 0, "pool 0: 1 key");
	daemon_reply(h, d, id, EIO, "guest refused");
	ctl_got(h, ctl, EIO, "guest refused");
	/* a status that is no errno reaches enlctl as EPROTO */
	ctl_daemon(h, ctl, "icvsp", 0, "time");
	id = daemon_got(h, d, "time");
	daemon_reply(h, d, id, 0xdeadbeef, "?");
	ctl_got(h, ctl, EPROTO, "?");

	/* timeout: the default, then one chosen by enlctl; late answers
	 * are dropped */
	ctl_daemon(h, ctl, "icvsp", 0, "time");
	id = daemon_got(h, d, "time");
	h->now += VSP_DAEMON_TIMEOUT_MS - 1;
	quiet(h, ctl);
	h->now += 1;
	ctl_got(h, ctl, ETIMEDOUT, "icvsp");
	daemon_reply(h, d, id, 0, "late");
	quiet(h, ctl);
	ctl_daemon(h, ctl, "icvsp", 50, "time");
	daemon_got(h, d, "time");
	h->now += 50;
	ctl_got(h, ctl, ETIMEDOUT, "50 ms");

	/* the control client leaves: the answer goes nowhere, harmlessly */
	ctl_daemon(h, ctl2, "icvsp", 0, "copy /a /b");
	id = daemon_got(h, d, "copy /a /b");
	close(ctl2);
	pump(h);
	daemon_reply(h, d, id, 0, "copied");
	assert_true(client_alive(h, 3));

	/* a full table: EBUSY, and a slot again once one is answered */
	for (i = 0; i < VSP_RELAY_MAX; i++)
		ctl_daemon(h, ctl, "hidvsp", 0, "x");
	ctl_daemon(h, ctl, "hidvsp", 0, "x");
	ctl_got(h, ctl, EBUSY, "wait");
	id = daemon_got(h, other, "x");
	daemon_reply(h, other, id, 0, "one");
	ctl_got(h, ctl, 0, "one");
	/* the daemon leaves: everything it was asked fails with EPIPE */
	close(other);
	for (i = 0; i < VSP_RELAY_MAX - 1; i++)
		ctl_got(h, ctl, EPIPE, "hidvsp");
	quiet(h, ctl);

	/* a daemon's reply without its NUL costs its connection, and what
	 * waits for it gets EPIPE; so does a DAEMON_REPLY from enlctl */
	ctl_daemon(h, ctl, "icvsp", 0, "time");
	id = daemon_got(h, d, "time");
	{
		struct vsp_daemon_reply r = { .hdr = { VSP_DAEMON_REPLY, 20 } };
		uint8_t m[20];

		r.req_id = id;
		memcpy(m, &r, sizeof(r));
		memset(m + sizeof(r), 'x', 4);
		dsend(h, d, m, sizeof(m));
	}
	ctl_got(h, ctl, EPIPE, "icvsp");
	assert_true(client_alive(h, 1));
	daemon_reply(h, ctl, 1, 0, "x");
	assert_true(client_alive(h, 0));
	close(d);
	close(ctl);
	hfree(h);
}

/*
 * The real enlctl's daemon commands through the real server: words
 * encoded, the daemon's answer printed, its error on stderr with exit 1.
 * The fake daemon answers from this thread while enlctl waits.
 */
static void test_enlctl_daemon_binary(void **state)
{
	char dir[] = "/tmp/enl-test-relay-XXXXXX", sock[64], out[4096];
	struct harness *h;
	int d, st, pfd[2], n, i;
	size_t len = 0;
	pid_t pid;
	bool answered = false;

	if (access(enlctl_path, X_OK)) {
		print_message("enlctl not built (%s): skipped\n", enlctl_path);
		skip();
	}
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	h = hnew_at(sock);
	d = dconnect(h, VSP_ROLE_DAEMON, "icvsp");
	for (i = 0; i < 2; i++) {
		len = 0;
		answered = false;
		assert_int_equal(pipe(pfd), 0);
		pid = fork();
		if (pid == 0) {
			dup2(pfd[1], 1);
			dup2(pfd[1], 2);
			if (i == 0)
				execl(enlctl_path, "enlctl", "--vm", sock, "kvp", "set",
				      "--pool", "3", "my key", "50%", (char *)NULL);
			else
				execl(enlctl_path, "enlctl", "--vm", sock, "shutdown",
				      "--reboot", (char *)NULL);
			_exit(127);
		}
		close(pfd[1]);
		fcntl(pfd[0], F_SETFL, O_NONBLOCK);
		for (;;) {
			int fds[VSP_MAX_FDS], nfds;

			pump(h);
			if (!answered && vspc_recv(d, dbuf, sizeof(dbuf), fds, &nfds,
						   MSG_DONTWAIT) > 0) {
				const struct vsp_daemon_cmd *c = (const void *)dbuf;
				uint32_t id = c->req_id;

				if (i == 0) {
					assert_string_equal(c->cmd, "kvp set 3 my%20key 50%25");
					daemon_reply(h, d, id, 0, "set my key in pool 3\n");
				} else {
					assert_string_equal(c->cmd, "shutdown reboot");
					daemon_reply(h, d, id, ETIMEDOUT, "guest silent\033[2J");
				}
				answered = true;
			}
			n = (int)read(pfd[0], out + len, sizeof(out) - len - 1);
			if (n > 0)
				len += (size_t)n;
			else if (n == 0)
				break;
			else
				usleep(1000);
		}
		out[len] = 0;
		close(pfd[0]);
		waitpid(pid, &st, 0);
		assert_true(WIFEXITED(st));
		if (i == 0) {
			assert_int_equal(WEXITSTATUS(st), 0);
			assert_string_equal(out, "set my key in pool 3\n");
		} else {
			assert_int_equal(WEXITSTATUS(st), 1);
			assert_non_null(strstr(out, "enlctl: shutdown: Connection timed out: guest silent?[2J"));
		}
	}
	close(d);
	hfree(h);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_refused_then_accepted),
		cmocka_unit_test(test_open_timeout),
		cmocka_unit_test(test_open_without_daemon),
		cmocka_unit_test(test_reopen_while_closing),
		cmocka_unit_test(test_kick_fd_failure),
		cmocka_unit_test(test_call_fd_failure),
		cmocka_unit_test(test_subchannels),
		cmocka_unit_test(test_withdraw),
		cmocka_unit_test(test_big_gpadl),
		cmocka_unit_test(test_restart_many_gpadls),
		cmocka_unit_test(test_300_channels),
		cmocka_unit_test(test_inflight_region),
		cmocka_unit_test(test_protocol_errors),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_reconnect_and_silence),
		cmocka_unit_test(test_hostile_daemon),
		cmocka_unit_test(test_unload_daemon_leaves),
		cmocka_unit_test(test_enlctl_binary),
		cmocka_unit_test(test_daemon_relay),
		cmocka_unit_test(test_enlctl_daemon_binary),
	};
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	/* build/tests/unit/test_vsp_server -> build/bin/enlctl */
	if (n > 0) {
		self[n] = 0;
		snprintf(enlctl_path, sizeof(enlctl_path), "%s/../../bin/enlctl",
			 dirname(self));
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
