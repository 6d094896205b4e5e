// SPDX-License-Identifier: GPL-2.0-only
/*
 * End to end in user space: the enl-icvsp heartbeat service (icvsp.c +
 * heartbeat.c + libvsp) runs in a thread against a fake enl-host (this
 * file, over a socketpair) and a fake guest (this file too: it owns a
 * memfd as guest RAM, lays out the ring GPADL, and answers NEGOTIATE and
 * heartbeats in the rings with the same ring and IC cores a guest module
 * uses).  Covered: HELLO/WELCOME/OFFER, GPADL in parts, open, negotiation,
 * heartbeats and their status keys, close/teardown/reopen, and a daemon
 * restart that resumes from the ring indices left in guest memory.
 * Also runs the real enl-icvsp binary (when built) and kills it with -9.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <cmocka.h>

#include <enl/hv_tlfs.h>
#include "hostside-vsp/icvsp/icvsp.h"
#include "hostside-vsp/lib/vsp_internal.h"

#define MB (1ull << 20)
#define GB (1ull << 30)
#define RAM_SIZE (4 * MB)
#define LOWMEM (3 * MB)
#define HIGH_GPA (4 * GB)
#define HIGH_PFN (HIGH_GPA >> 12)
#define RELID 7
#define RING_GPADL 0xe1
#define SIEF_GPA 0x200000ull

static const struct enl_ic_version fw_v[] = ENL_IC_FW_VERSIONS;
static const struct enl_ic_version hb_v[] = ENL_IC_HEARTBEAT_VERSIONS;

/* the ring GPADL: guest-to-host ring = pages 0-1, host-to-guest = 2-3,
 * scattered over low and high memory */
static const u64 ring_pfns[4] = { 0x100, HIGH_PFN + 2, 0x150, 0x151 };

struct world {
	int memfd;
	u8 *ram;
	int host_fd;		/* fake enl-host's end of the socket */
	int kick_fd, call_fd;	/* eventfds: kick = guest -> daemon */
	struct enl_ring g2h;	/* the guest writes */
	struct enl_ring h2g;	/* the guest reads */
	/* status keys seen */
	char keys[32][VSP_KEY_LEN];
	char vals[32][VSP_VALUE_LEN];
	int nkv;
	/* guest counters */
	int negotiates, beats, signals;
	u64 last_seq;
	/* daemon thread */
	pthread_t thr;
	int daemon_fd;
	struct vsp *v;
	struct ic_chan *ic;
	int daemon_err;
	int refuse;		/* ic_offer's refuse_opens */
	const char *sock_path;	/* the daemon's ic->sock_path (VSS's note) */
	u8 *buf;
	/* the service under test (NULL: heartbeat) and the guest's side */
	const struct ic_service *svc;
	const struct enl_ic_version *gv;	/* guest's message versions */
	unsigned int ngv;
	/* answer a service request in place: 0 send it back, else drop */
	int (*answer)(struct world *w, u8 *pl, u32 plen,
		      const struct enl_icmsg_hdr *h);
	int answers;
	u32 sd_flags;
	int vss_mode;		/* enum vss_guest */
	/* at FREEZE the guest's answer first breaks this image: "unlink"
	 * removes it (the copy fails), "fifo" puts a FIFO there (the copy
	 * blocks until its limit) */
	const char *vss_break, *vss_break_how;
	u8 vss_ops[16];		/* ops the guest saw */
	int nvss;
	u8 ts_flags[64];
	int nts;
	struct { u8 pool; char key[64], val[64]; } kvp[8];
	int nkvp;
};

static u8 *gpa(struct world *w, u64 a)
{
	return a < LOWMEM ? w->ram + a : w->ram + LOWMEM + (a - HIGH_GPA);
}

static const char *kv(struct world *w, const char *key)
{
	for (int i = 0; i < w->nkv; i++)
		if (!strcmp(w->keys[i], key))
			return w->vals[i];
	return "";
}

static void record_status(struct world *w, const struct vsp_status_set *m)
{
	int i;

	assert_int_equal(m->relid, RELID);
	for (i = 0; i < w->nkv; i++)
		if (!strncmp(w->keys[i], m->key, VSP_KEY_LEN))
			break;
	if (i == w->nkv) {
		assert_true(w->nkv < 32);
		w->nkv++;
	}
	memcpy(w->keys[i], m->key, VSP_KEY_LEN);
	memcpy(w->vals[i], m->value, VSP_VALUE_LEN);
	w->keys[i][VSP_KEY_LEN - 1] = 0;
	w->vals[i][VSP_VALUE_LEN - 1] = 0;
}

static void host_send(int fd, const void *m, size_t len, const int *fds, int nfds)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * 2)];
	} c;
	struct iovec iov = { (void *)m, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds) {
		memset(&c, 0, sizeof(c));
		mh.msg_control = c.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
	}
	assert_int_equal(sendmsg(fd, &mh, MSG_NOSIGNAL), (ssize_t)len);
}

/*
 * Next message from the daemon, STATUS_SETs recorded on the way.  Returns
 * its type, or 0 after timeout_ms without one (-1 on hang-up).
 */
static int host_recv(struct world *w, int timeout_ms)
{
	u64 end = vsp_now_ms() + (u64)timeout_ms;

	for (;;) {
		struct pollfd p = { .fd = w->host_fd, .events = POLLIN };
		int fds[VSP_MAX_FDS], nfds, n;
		struct vsp_hdr h;
		u64 now = vsp_now_ms();

		if (poll(&p, 1, now >= end ? 0 : (int)(end - now)) != 1)
			return 0;
		n = vsp_recv_msg(w->host_fd, w->buf, VSP_MSG_MAX, fds, &nfds);
		if (n == 0)
			return -1;
		assert_true(n > 0);
		assert_int_equal(nfds, 0);
		memcpy(&h, w->buf, sizeof(h));
		if (h.type == VSP_STATUS_SET) {
			assert_int_equal(n, sizeof(struct vsp_status_set));
			record_status(w, (const void *)w->buf);
			continue;
		}
		return (int)h.type;
	}
}

static void expect(struct world *w, u32 type)
{
	assert_int_equal(host_recv(w, 5000), (int)type);
}

/* ---- the daemon thread ------------------------------------------------- */

static void daemon_cmd(struct vsp *v, u32 req_id, const char *cmd, void *priv)
{
	struct world *w = priv;

	ic_command(&w->ic, 1, v, req_id, cmd);
}

static void *daemon_main(void *arg)
{
	struct world *w = arg;
	int err;

	w->v = vsp_connect_fd(w->daemon_fd, "icvsp", &err);
	if (!w->v) {
		w->daemon_err = err;
		return NULL;
	}
	vsp_set_command_handler(w->v, daemon_cmd, w);
	err = ic_offer(w->v, w->svc ? w->svc : &ic_heartbeat, NULL, w->refuse,
		       &w->ic);
	if (err) {
		w->daemon_err = err;
		return NULL;
	}
	w->ic->sock_path = w->sock_path;
	w->daemon_err = vsp_run(w->v);
	return NULL;
}

static void daemon_start(struct world *w)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	w->host_fd = sv[0];
	w->daemon_fd = sv[1];
	w->v = NULL;
	w->ic = NULL;
	assert_int_equal(pthread_create(&w->thr, NULL, daemon_main, w), 0);
}

/* enl-host goes away (or the daemon dies: the same on this socket) */
static void daemon_stop(struct world *w)
{
	close(w->host_fd);
	w->host_fd = -1;
	pthread_join(w->thr, NULL);
	assert_int_equal(w->daemon_err, 0);
	vsp_free(w->v);
	ic_free(w->ic);
	w->v = NULL;
	w->ic = NULL;
}

/* ---- the fake enl-host ---------------------------------------------------- */

static void host_handshake(struct world *w)
{
	struct vsp_hello hello;
	struct vsp_welcome wel;
	struct vsp_offer off;
	struct vsp_offer_result res;
	const struct ic_service *svc = w->svc ? w->svc : &ic_heartbeat;

	expect(w, VSP_HELLO);
	memcpy(&hello, w->buf, sizeof(hello));
	assert_int_equal(hello.role, VSP_ROLE_DAEMON);
	assert_int_equal(hello.version, VSP_PROTO_VERSION);
	assert_string_equal(hello.name, "icvsp");

	memset(&wel, 0, sizeof(wel));
	wel.hdr.type = VSP_WELCOME;
	wel.hdr.len = sizeof(wel);
	wel.version = VSP_PROTO_VERSION;
	wel.ncpus = 1;
	wel.ram_size = RAM_SIZE;
	wel.lowmem_size = LOWMEM;
	wel.highmem_gpa = HIGH_GPA;
	host_send(w->host_fd, &wel, sizeof(wel), &w->memfd, 1);

	expect(w, VSP_OFFER);
	memcpy(&off, w->buf, sizeof(off));
	assert_memory_equal(&off.if_type, &svc->if_type, sizeof(off.if_type));
	assert_memory_equal(&off.if_instance, &svc->default_instance,
			    sizeof(off.if_instance));
	if (!w->svc) {
		enl_guid_t inst;

		assert_int_equal(vsp_guid_parse("656e6c00-6862-4000-8000-000000000001",
						&inst), 0);
		assert_memory_equal(&off.if_instance, &inst, sizeof(inst));
	}

	memset(&res, 0, sizeof(res));
	res.hdr.type = VSP_OFFER_RESULT;
	res.hdr.len = sizeof(res);
	res.cookie = off.cookie;
	res.relid = RELID;
	res.connection_id = 0x2000 + RELID;
	host_send(w->host_fd, &res, sizeof(res), NULL, 0);
}

/* GPADL in two parts, then CHANNEL_OPEN with the eventfds; the daemon's
 * OPEN_REPLY status is returned */
static u32 host_open_status(struct world *w)
{
	u8 msg[sizeof(struct vsp_gpadl) + 4 * 8];
	struct vsp_gpadl g;
	struct vsp_channel_open o;
	int fds[2] = { w->kick_fd, w->call_fd };

	for (int part = 0; part < 2; part++) {
		u32 first = part ? 3 : 0, count = part ? 1 : 3;

		memset(&g, 0, sizeof(g));
		g.hdr.type = VSP_GPADL;
		g.hdr.len = (u32)(sizeof(g) + count * 8);
		g.relid = RELID;
		g.gpadl = RING_GPADL;
		g.total_pages = 4;
		g.first = first;
		g.count = count;
		g.byte_count = 4 * 4096;
		memcpy(msg, &g, sizeof(g));
		memcpy(msg + sizeof(g), ring_pfns + first, count * 8);
		host_send(w->host_fd, msg, g.hdr.len, NULL, 0);
	}
	memset(&o, 0, sizeof(o));
	o.hdr.type = VSP_CHANNEL_OPEN;
	o.hdr.len = sizeof(o);
	o.relid = RELID;
	o.ring_gpadl = RING_GPADL;
	o.ring_pages = 4;
	o.downstream_offset = 2;
	o.sief_gpa = SIEF_GPA;
	o.connection_id = 0x2000 + RELID;
	o.vmbus_version = VMBUS_VERSION_WIN10_V5_3;
	host_send(w->host_fd, &o, sizeof(o), fds, 2);
	{
		struct vsp_open_reply r;

		expect(w, VSP_OPEN_REPLY);
		memcpy(&r, w->buf, sizeof(r));
		assert_int_equal(r.relid, RELID);
		return r.status;
	}
}

static void host_open(struct world *w)
{
	assert_int_equal(host_open_status(w), 0);
}

static void host_close(struct world *w)
{
	struct vsp_relid c = { .hdr = { VSP_CHANNEL_CLOSE, sizeof(c) }, .relid = RELID };
	struct vsp_gpadl_ref t = { .hdr = { VSP_GPADL_TEARDOWN, sizeof(t) },
				   .relid = RELID, .gpadl = RING_GPADL };
	struct vsp_relid done;
	struct vsp_gpadl_ref rel;

	host_send(w->host_fd, &c, sizeof(c), NULL, 0);
	expect(w, VSP_CLOSE_DONE);
	memcpy(&done, w->buf, sizeof(done));
	assert_int_equal(done.relid, RELID);
	host_send(w->host_fd, &t, sizeof(t), NULL, 0);
	expect(w, VSP_GPADL_RELEASED);
	memcpy(&rel, w->buf, sizeof(rel));
	assert_int_equal(rel.gpadl, RING_GPADL);
}

/* ---- the fake guest ------------------------------------------------------ */

/* What a guest does when it opens the channel: fresh ring headers. */
static void guest_init_rings(struct world *w)
{
	memset(gpa(w, ring_pfns[0] << 12), 0, 4096);
	memset(gpa(w, ring_pfns[2] << 12), 0, 4096);
	((struct enl_ring_hdr *)gpa(w, ring_pfns[0] << 12))->feature_bits = 1;
	((struct enl_ring_hdr *)gpa(w, ring_pfns[2] << 12))->feature_bits = 1;
	assert_int_equal(enl_ring_init(&w->g2h, gpa(w, ring_pfns[0] << 12),
				       gpa(w, ring_pfns[1] << 12), 4096), 0);
	assert_int_equal(enl_ring_init(&w->h2g, gpa(w, ring_pfns[2] << 12),
				       gpa(w, ring_pfns[3] << 12), 4096), 0);
}

/*
 * Wait up to timeout_ms for the daemon's interrupt, then answer whatever
 * the host-to-guest ring holds (as Linux's hv_utils would).
 */
static void guest_run(struct world *w, int timeout_ms)
{
	struct pollfd p = { .fd = w->call_fd, .events = POLLIN };
	u32 *flags = (u32 *)gpa(w, SIEF_GPA + HV_VMBUS_SINT * HV_EVENT_FLAGS_BYTES);
	static u8 pkt[8192] __attribute__((aligned(8)));
	u32 len;
	u64 cnt;
	int r;

	if (poll(&p, 1, timeout_ms) != 1)
		return;
	assert_int_equal(read(w->call_fd, &cnt, sizeof(cnt)), 8);
	w->signals++;
	/* the daemon set our relid's bit before interrupting */
	assert_true(__atomic_fetch_and(&flags[RELID / 32], ~(1u << (RELID % 32)),
				       __ATOMIC_SEQ_CST) & (1u << (RELID % 32)));

again:
	while ((r = enl_ring_read(&w->h2g, pkt, sizeof(pkt), &len)) == 1) {
		struct vmbus_pkt_desc d;
		struct enl_icmsg_hdr h;
		struct enl_iov iov;
		u8 *pl;
		u32 plen;
		bool sig;
		int ans;

		memcpy(&d, pkt, sizeof(d));
		assert_int_equal(d.type, VMBUS_PKT_INBAND);
		pl = pkt + d.offset8 * 8;
		plen = len - d.offset8 * 8u;
		assert_true(enl_ic_parse_hdr(pl, plen, &h) >= 0);
		assert_int_equal(h.flags, ENL_IC_FLAG_TRANSACTION | ENL_IC_FLAG_REQUEST);
		if (h.msgtype == ENL_IC_MSG_NEGOTIATE) {
			assert_int_equal(enl_ic_answer_negotiate(pl, plen, fw_v, 2,
								 w->gv ? w->gv : hb_v,
								 w->gv ? w->ngv : 2,
								 NULL, NULL, &ans), 0);
			w->negotiates++;
		} else if (w->answer) {
			w->answers++;
			if (w->answer(w, pl, plen, &h))
				continue;
		} else {
			struct enl_ic_heartbeat m;

			assert_int_equal(h.msgtype, ENL_IC_MSG_HEARTBEAT);
			assert_int_equal(h.msgver.major, 3);
			assert_int_equal(enl_ic_answer_heartbeat(pl, plen), 0);
			memcpy(&m, pl + ENL_IC_BODY_OFF, sizeof(m));
			w->last_seq = m.seq;
			w->beats++;
		}
		iov.base = pl;
		iov.len = plen;
		assert_int_equal(enl_ring_send(&w->g2h, VMBUS_PKT_INBAND, 0, d.trans_id,
					       &iov, 1, &sig), 0);
		if (sig) {
			u64 one = 1;

			assert_int_equal(write(w->kick_fd, &one, 8), 8);
		}
	}
	assert_int_equal(r, 0);		/* never a corrupt ring */
	enl_ring_commit(&w->h2g);
	/* a packet the daemon wrote before our commit came without a
	 * signal (the ring was not empty then): read on, as a guest does */
	if (!enl_ring_empty(&w->h2g))
		goto again;
}

/* Run the guest and collect status until cond or timeout. */
#define RUN_UNTIL(w, cond, ms) do {					\
	u64 end_ = vsp_now_ms() + (ms);					\
	while (!(cond) && vsp_now_ms() < end_) {			\
		guest_run(w, 50);					\
		host_recv(w, 0);					\
	}								\
	assert_true(cond);						\
} while (0)

static struct world *world_new(void)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	w->buf = malloc(VSP_MSG_MAX);
	w->memfd = memfd_create("guest-ram", MFD_CLOEXEC);
	assert_true(w->memfd >= 0);
	assert_int_equal(ftruncate(w->memfd, RAM_SIZE), 0);
	w->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, w->memfd, 0);
	assert_true(w->ram != MAP_FAILED);
	memset(w->ram, 0xa5, RAM_SIZE);		/* not zero: nothing relies on it */
	memset(gpa(w, SIEF_GPA), 0, 4096);
	w->kick_fd = eventfd(0, EFD_CLOEXEC);
	w->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return w;
}

static void world_free(struct world *w)
{
	munmap(w->ram, RAM_SIZE);
	close(w->memfd);
	close(w->kick_fd);
	close(w->call_fd);
	free(w->buf);
	free(w);
}

static void test_heartbeat_e2e(void **state)
{
	struct world *w = world_new();
	u32 h2g_wr, g2h_rd;
	int beats;

	daemon_start(w);
	host_handshake(w);
	guest_init_rings(w);
	host_open(w);

	/* negotiation, then a heartbeat a second */
	RUN_UNTIL(w, w->negotiates >= 1, 3000);
	RUN_UNTIL(w, w->beats >= 3 && !strcmp(kv(w, "heartbeat_seq"), "4"), 6000);
	assert_string_equal(kv(w, "heartbeat_state"), "alive");
	assert_string_equal(kv(w, "heartbeat_version"), "3.0");
	assert_int_equal(w->last_seq, 4);

	/* guest closes (rmmod hv_utils): close, teardown, then reopen */
	host_close(w);
	host_recv(w, 100);
	assert_string_equal(kv(w, "heartbeat_state"), "closed");
	guest_init_rings(w);
	host_open(w);
	beats = w->beats;
	RUN_UNTIL(w, w->negotiates >= 2, 3000);
	RUN_UNTIL(w, w->beats >= beats + 2, 5000);
	RUN_UNTIL(w, !strcmp(kv(w, "heartbeat_state"), "alive"), 2000);

	/* the daemon dies; a new one comes back and resumes from the ring
	 * indices in guest memory (no guest re-init) */
	daemon_stop(w);
	h2g_wr = w->h2g.hdr->write_index;
	g2h_rd = w->g2h.hdr->read_index;
	assert_true(h2g_wr != 0 && g2h_rd != 0);
	/* a packet the guest answered but the old daemon never read */
	{
		u8 junk[68] = { 0 };
		struct enl_iov iov = { junk, sizeof(junk) };

		enl_ic_build_hdr(junk, sizeof(junk), ENL_IC_MSG_HEARTBEAT, fw_v[0],
				 hb_v[0], 40, 0, ENL_IC_FLAG_TRANSACTION |
				 ENL_IC_FLAG_RESPONSE);
		assert_int_equal(enl_ring_send(&w->g2h, VMBUS_PKT_INBAND, 0, 12345,
					       &iov, 1, NULL), 0);
	}
	daemon_start(w);
	host_handshake(w);
	host_open(w);
	beats = w->beats;
	RUN_UNTIL(w, w->negotiates >= 3, 3000);
	RUN_UNTIL(w, w->beats >= beats + 2, 5000);
	/* new packets went on from the old write index (the guest's reader
	 * would have seen garbage otherwise), and the daemon read past the
	 * stale answer: "negotiating" was published before the NEGOTIATE
	 * went out, so a fresh "alive" means an answer after it was read. */
	assert_true(w->h2g.hdr->write_index != h2g_wr);
	RUN_UNTIL(w, !strcmp(kv(w, "heartbeat_state"), "alive"), 3000);
	assert_true(w->g2h.hdr->read_index != g2h_rd);
	daemon_stop(w);
	world_free(w);
}

/* Collect status until key == val (a busy machine may be slow). */
static void wait_kv(struct world *w, const char *key, const char *val)
{
	u64 end = vsp_now_ms() + 5000;

	while (strcmp(kv(w, key), val) && vsp_now_ms() < end)
		host_recv(w, 50);
	assert_string_equal(kv(w, key), val);
}

/* The guest gives up on a refused open: it tears the ring GPADL down. */
static void host_teardown_ring(struct world *w)
{
	struct vsp_gpadl_ref t = { .hdr = { VSP_GPADL_TEARDOWN, sizeof(t) },
				   .relid = RELID, .gpadl = RING_GPADL };

	host_send(w->host_fd, &t, sizeof(t), NULL, 0);
	expect(w, VSP_GPADL_RELEASED);
}

/* ic_offer(refuse_opens = -1): opens refused with ECONNREFUSED and
 * "heartbeat_state refused" until the offer is rescinded; after the
 * rescind (and enlctl reoffer) the guest's open is served. */
/* ---- the other services and their operator commands --------------------- */

static const struct enl_ic_version sd_gv[] = ENL_IC_SHUTDOWN_VERSIONS;
static const struct enl_ic_version ts_gv[] = ENL_IC_TIMESYNC_VERSIONS;
static const struct enl_ic_version kvp_gv[] = ENL_IC_KVP_VERSIONS;

/* A command as enl-host relays it; the daemon's status and text, while
 * the guest answers.  -1 if no answer came. */
static int run_cmd(struct world *w, const char *cmd, char *text, size_t cap)
{
	static struct vsp_daemon_cmd m;
	static u32 id = 100;
	u64 end = vsp_now_ms() + 10000;

	memset(&m, 0, sizeof(m));
	m.hdr.type = VSP_DAEMON_CMD;
	m.hdr.len = sizeof(m);
	m.req_id = ++id;
	snprintf(m.cmd, sizeof(m.cmd), "%s", cmd);
	host_send(w->host_fd, &m, sizeof(m), NULL, 0);
	while (vsp_now_ms() < end) {
		int t;

		guest_run(w, 10);
		t = host_recv(w, 0);
		if (t == VSP_DAEMON_REPLY) {
			const struct vsp_daemon_reply *r = (const void *)w->buf;

			assert_int_equal(r->req_id, id);
			snprintf(text, cap, "%s", r->text);
			return (int)r->status;
		}
	}
	return -1;
}

/* An operator command whose answer is not waited for. */
static void send_cmd(struct world *w, const char *cmd)
{
	static struct vsp_daemon_cmd m;

	memset(&m, 0, sizeof(m));
	m.hdr.type = VSP_DAEMON_CMD;
	m.hdr.len = sizeof(m);
	m.req_id = 7;
	snprintf(m.cmd, sizeof(m.cmd), "%s", cmd);
	host_send(w->host_fd, &m, sizeof(m), NULL, 0);
}

static int sd_answer(struct world *w, u8 *pl, u32 plen,
		     const struct enl_icmsg_hdr *h)
{
	int r = enl_ic_answer_shutdown(pl, plen);

	assert_true(r >= 0 || r == -EOPNOTSUPP);
	w->sd_flags = r >= 0 ? (u32)r : 99;
	return 0;
}

static void test_shutdown_e2e(void **state)
{
	struct world *w = world_new();
	char text[256];

	w->svc = &ic_shutdown;
	w->gv = sd_gv;
	w->ngv = 4;
	w->answer = sd_answer;
	daemon_start(w);
	host_handshake(w);
	/* not open yet: ENODEV at once, and the reason */
	assert_int_equal(run_cmd(w, "shutdown", text, sizeof(text)), ENODEV);
	assert_non_null(strstr(text, "shutdown channel"));
	guest_init_rings(w);
	host_open(w);
	RUN_UNTIL(w, w->negotiates >= 1, 3000);
	RUN_UNTIL(w, !strcmp(kv(w, "shutdown_version"), "3.2"), 2000);
	assert_int_equal(run_cmd(w, "shutdown reboot force", text, sizeof(text)), 0);
	assert_string_equal(text, "guest accepted the forced reboot\n");
	assert_int_equal(w->sd_flags, ENL_IC_SHUTDOWN_REBOOT_FORCE);
	assert_int_equal(run_cmd(w, "shutdown", text, sizeof(text)), 0);
	assert_int_equal(w->sd_flags, ENL_IC_SHUTDOWN_POWEROFF);
	RUN_UNTIL(w, !strcmp(kv(w, "shutdown_state"), "accepted"), 2000);
	assert_int_equal(run_cmd(w, "shutdown now", text, sizeof(text)), EINVAL);
	assert_int_equal(run_cmd(w, "copy /a /b", text, sizeof(text)), ENOENT);
	assert_int_equal(run_cmd(w, "a%0", text, sizeof(text)), EINVAL);
	assert_int_equal(w->answers, 2);
	/* read what is left (status keys): a socket closed with unread
	 * data resets the daemon's */
	while (host_recv(w, 100) > 0)
		;
	daemon_stop(w);
	world_free(w);
}

static int ts_answer(struct world *w, u8 *pl, u32 plen,
		     const struct enl_icmsg_hdr *h)
{
	u64 t, ref;
	u8 fl;

	assert_int_equal(h->msgver.major, 3);
	assert_int_equal(enl_ic_answer_timesync(pl, plen, &t, &ref, &fl), 0);
	assert_true(t > ENL_IC_TIME_UNIX_OFFSET);
	if (w->nts < 64)
		w->ts_flags[w->nts++] = fl;
	return 0;
}

static void test_timesync_e2e(void **state)
{
	struct world *w = world_new();
	char text[512];

	w->svc = &ic_timesync;
	w->gv = ts_gv;
	w->ngv = 3;
	w->answer = ts_answer;
	daemon_start(w);
	host_handshake(w);
	guest_init_rings(w);
	host_open(w);
	/* the guest offers 4.0 too; the host takes 3.0, then a SYNC */
	RUN_UNTIL(w, w->nts >= 1, 3000);
	assert_string_equal(kv(w, "timesync_version"), "3.0");
	assert_int_equal(w->ts_flags[0], ENL_IC_TIMESYNC_SYNC);
	assert_int_equal(run_cmd(w, "time sync", text, sizeof(text)), 0);
	assert_non_null(strstr(text, "sync sent: host time"));
	assert_int_equal(w->ts_flags[w->nts - 1], ENL_IC_TIMESYNC_SYNC);
	assert_int_equal(run_cmd(w, "time", text, sizeof(text)), 0);
	assert_non_null(strstr(text, "sample sent"));
	assert_int_equal(w->ts_flags[w->nts - 1], ENL_IC_TIMESYNC_SAMPLE);
	assert_int_equal(run_cmd(w, "time later", text, sizeof(text)), EINVAL);
	RUN_UNTIL(w, !strcmp(kv(w, "timesync_state"), "synced"), 2000);
	/* read what is left (status keys): a socket closed with unread
	 * data resets the daemon's */
	while (host_recv(w, 100) > 0)
		;
	daemon_stop(w);
	world_free(w);
}

/* A guest's KVP driver and daemon, in a few lines: pools of strings. */
static int kvp_answer(struct world *w, u8 *pl, u32 plen,
		      const struct enl_icmsg_hdr *h)
{
	static struct enl_kvp_daemon_msg d;
	struct enl_icmsg_hdr ic;
	u8 *body = pl + ENL_IC_BODY_OFF;
	u32 blen = plen - (u32)ENL_IC_BODY_OFF, status = ENL_IC_STATUS_OK;
	int i, found = -1;

	/* the host sends full-size requests */
	assert_int_equal(blen, sizeof(struct enl_ic_kvp_msg));
	assert_int_equal(enl_ic_kvp_to_daemon(body, blen, &d), 0);
	for (i = 0; i < w->nkvp; i++)
		if (w->kvp[i].pool == d.h.hdr.pool &&
		    !strcmp(w->kvp[i].key, (char *)(d.h.hdr.op == ENL_IC_KVP_DELETE ?
						    d.u.del.key : d.u.data.key)))
			found = i;
	switch (d.h.hdr.op) {
	case ENL_IC_KVP_SET:
		if (found < 0) {
			found = w->nkvp++;
			w->kvp[found].pool = d.h.hdr.pool;
			memcpy(w->kvp[found].key, d.u.data.key, 63);
			w->kvp[found].key[63] = 0;
		}
		memcpy(w->kvp[found].val, d.u.data.value, 63);
		w->kvp[found].val[63] = 0;
		break;
	case ENL_IC_KVP_GET:
		if (found < 0) {
			status = ENL_IC_STATUS_NOT_FOUND;
			break;
		}
		memset(&d, 0, sizeof(d));
		strcpy((char *)d.u.data.value, w->kvp[found].val);
		status = enl_ic_kvp_from_daemon(body, blen, &d);
		break;
	case ENL_IC_KVP_DELETE:
		if (found < 0)
			status = ENL_IC_STATUS_FAIL;
		else
			w->kvp[found] = w->kvp[--w->nkvp];
		break;
	case ENL_IC_KVP_ENUMERATE: {
		u32 idx = d.u.en.index, n = 0;
		u8 pool = d.h.hdr.pool;

		status = ENL_IC_STATUS_CONT;
		for (i = 0; i < w->nkvp; i++) {
			if (w->kvp[i].pool != pool || n++ != idx)
				continue;
			memset(&d, 0, sizeof(d));
			strcpy((char *)d.u.en.data.key, w->kvp[i].key);
			strcpy((char *)d.u.en.data.value, w->kvp[i].val);
			status = enl_ic_kvp_from_daemon(body, blen, &d);
			break;
		}
		break;
	}
	}
	memcpy(&ic, pl + ENL_IC_HDR_OFF, sizeof(ic));
	ic.status = status;
	ic.flags = ENL_IC_FLAG_TRANSACTION | ENL_IC_FLAG_RESPONSE;
	memcpy(pl + ENL_IC_HDR_OFF, &ic, sizeof(ic));
	return 0;
}

static void test_kvp_e2e(void **state)
{
	struct world *w = world_new();
	char text[4096], cmd[1024];

	w->svc = &ic_kvp;
	w->gv = kvp_gv;
	w->ngv = 3;
	w->answer = kvp_answer;
	w->nkvp = 2;
	w->kvp[0].pool = 2;
	strcpy(w->kvp[0].key, "FullyQualifiedDomainName");
	strcpy(w->kvp[0].val, "guest.example");
	w->kvp[1].pool = 2;
	strcpy(w->kvp[1].key, "OSVersion");
	strcpy(w->kvp[1].val, "6.1.0-56-amd64");
	daemon_start(w);
	host_handshake(w);
	guest_init_rings(w);
	host_open(w);
	RUN_UNTIL(w, !strcmp(kv(w, "kvp_state"), "ready"), 3000);
	assert_string_equal(kv(w, "kvp_version"), "4.0");
	/* set with a space in the key (enlctl's %XX words), get it back */
	assert_int_equal(run_cmd(w, "kvp set 0 my%20key enl%20value", text, sizeof(text)), 0);
	assert_string_equal(text, "set my key in pool 0\n");
	assert_string_equal(w->kvp[2].val, "enl value");
	assert_int_equal(run_cmd(w, "kvp get 0 my%20key", text, sizeof(text)), 0);
	assert_string_equal(text, "enl value\n");
	/* list: every pool, the guest's intrinsic data in pool 2 */
	assert_int_equal(run_cmd(w, "kvp list all", text, sizeof(text)), 0);
	assert_non_null(strstr(text, "pool 0 (external): my key = enl value\n"));
	assert_non_null(strstr(text, "pool 1 (guest): empty\n"));
	assert_non_null(strstr(text, "pool 2 (auto): FullyQualifiedDomainName = guest.example\n"));
	assert_non_null(strstr(text, "pool 2 (auto): OSVersion = 6.1.0-56-amd64\n"));
	assert_non_null(strstr(text, "pool 4 (auto_internal): empty\n"));
	assert_int_equal(run_cmd(w, "kvp list 2", text, sizeof(text)), 0);
	assert_null(strstr(text, "pool 0"));
	/* delete, then it is gone */
	assert_int_equal(run_cmd(w, "kvp delete 0 my%20key", text, sizeof(text)), 0);
	assert_int_equal(run_cmd(w, "kvp get 0 my%20key", text, sizeof(text)), ENOENT);
	assert_int_equal(run_cmd(w, "kvp delete 0 my%20key", text, sizeof(text)), ENOENT);
	/* refused before the guest sees anything: pools, lengths, UTF-8 */
	w->answers = 0;
	assert_int_equal(run_cmd(w, "kvp get 5 k", text, sizeof(text)), EINVAL);
	assert_int_equal(run_cmd(w, "kvp list 7", text, sizeof(text)), EINVAL);
	assert_int_equal(run_cmd(w, "kvp set all k v", text, sizeof(text)), EINVAL);
	assert_int_equal(run_cmd(w, "kvp set 0 k", text, sizeof(text)), EINVAL);
	assert_int_equal(run_cmd(w, "kvp get 0 %FF", text, sizeof(text)), EILSEQ);
	strcpy(cmd, "kvp get 0 ");
	memset(cmd + 10, 'k', 256);
	cmd[266] = 0;
	assert_int_equal(run_cmd(w, cmd, text, sizeof(text)), ENOSPC);
	cmd[265] = 0;			/* 255 units: fits */
	assert_int_equal(run_cmd(w, cmd, text, sizeof(text)), ENOENT);
	assert_int_equal(w->answers, 1);
	/* read what is left (status keys): a socket closed with unread
	 * data resets the daemon's */
	while (host_recv(w, 100) > 0)
		;
	daemon_stop(w);
	world_free(w);
}

/* ---- VSS: enlctl backup against a guest that answers, refuses, keeps
 * silent or answers garbage ------------------------------------------------ */

static const struct enl_ic_version vss_gv[] = ENL_IC_VSS_VERSIONS;

enum vss_guest { VSS_DAEMON_OK, VSS_NO_DAEMON, VSS_SILENT_FREEZE, VSS_GARBAGE };

static int vss_answer(struct world *w, u8 *pl, u32 plen,
		      const struct enl_icmsg_hdr *h)
{
	u8 op;
	int r = enl_ic_vss_parse_request(pl, plen, &op);

	assert_int_equal(h->msgver.major, 5);
	assert_int_equal(r, ENL_IC_VSS_TO_DAEMON);
	if (w->nvss < 16)
		w->vss_ops[w->nvss++] = op;
	if (op == ENL_IC_VSS_FREEZE && w->vss_break) {
		assert_int_equal(unlink(w->vss_break), 0);
		if (!strcmp(w->vss_break_how, "fifo"))
			assert_int_equal(mkfifo(w->vss_break, 0600), 0);
		w->vss_break = NULL;
	}
	switch (w->vss_mode) {
	case VSS_NO_DAEMON:
		enl_ic_vss_answer(pl, plen, ENL_IC_STATUS_FAIL, false);
		return 0;
	case VSS_SILENT_FREEZE:
		if (op == ENL_IC_VSS_FREEZE)
			return 1;	/* never answered */
		break;
	case VSS_GARBAGE:
		/* a response for another operation */
		enl_ic_vss_answer(pl, plen, 0, true);
		pl[ENL_IC_BODY_OFF] = ENL_IC_VSS_DELETE;
		return 0;
	}
	enl_ic_vss_answer(pl, plen, 0, true);
	return 0;
}

/* An image: size bytes, data (0x5a..) at the offsets given, holes between. */
static void make_image(const char *path, off_t size, const off_t *data, int n)
{
	u8 blk[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600), i;

	assert_true(fd >= 0);
	for (i = 0; i < n; i++) {
		memset(blk, 0x5a + i, sizeof(blk));
		assert_int_equal(pwrite(fd, blk, sizeof(blk), data[i]), (ssize_t)sizeof(blk));
	}
	assert_int_equal(ftruncate(fd, size), 0);
	close(fd);
}

static bool same_file(const char *a, const char *b)
{
	char cmd[2600];

	snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", a, b);
	return system(cmd) == 0;
}

/* imgcopy.c: holes stay holes, never over a file, only files and disks */
static void test_img_copy(void **state)
{
	char dir[] = "/tmp/enl-imgcopy.XXXXXX", src[300], dst[300], err[600];
	const off_t data[] = { 0, 5 << 20, (16 << 20) - 4096 };
	struct img_copy_result r;
	struct stat st;

	assert_non_null(mkdtemp(dir));
	snprintf(src, sizeof(src), "%s/src.img", dir);
	snprintf(dst, sizeof(dst), "%s/dst.img", dir);
	make_image(src, 16 << 20, data, 3);
	assert_int_equal(img_copy(src, dst, &r, err, sizeof(err)), 0);
	assert_int_equal(r.size, 16 << 20);
	assert_true(same_file(src, dst));
	assert_int_equal(stat(dst, &st), 0);
	assert_int_equal(st.st_size, 16 << 20);
	if (!r.reflinked) {
		/* the data extents only (the file system's blocks may be larger) */
		assert_true(r.copied < (2 << 20));
		assert_true(st.st_blocks * 512 < (4 << 20));
	}
	/* never over an existing file, which stays as it was */
	assert_int_equal(img_copy(src, dst, &r, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "cannot create"));
	assert_true(same_file(src, dst));
	unlink(dst);
	/* a missing source, a directory */
	assert_int_equal(img_copy("/nonexistent/x.img", dst, &r, err, sizeof(err)), -ENOENT);
	assert_int_equal(img_copy(dir, dst, &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(access(dst, F_OK), -1);
	/* an empty image */
	make_image(src, 0, NULL, 0);
	assert_int_equal(img_copy(src, dst, &r, err, sizeof(err)), 0);
	assert_int_equal(r.size, 0);
	unlink(dst);
	unlink(src);
	rmdir(dir);
}

static void test_vss_e2e(void **state)
{
	struct world *w = world_new();
	char text[512];
	u64 t0;

	w->svc = &ic_vss;
	w->gv = vss_gv;
	w->ngv = 1;
	w->answer = vss_answer;
	daemon_start(w);
	host_handshake(w);
	assert_int_equal(run_cmd(w, "backup", text, sizeof(text)), ENODEV);
	guest_init_rings(w);
	host_open(w);
	RUN_UNTIL(w, w->negotiates >= 1, 3000);
	RUN_UNTIL(w, !strcmp(kv(w, "vss_state"), "idle"), 2000);
	assert_string_equal(kv(w, "vss_version"), "5.0");

	/* the daemon freezes and thaws: HOT_BACKUP, FREEZE, THAW in order */
	assert_int_equal(run_cmd(w, "backup", text, sizeof(text)), 0);
	assert_non_null(strstr(text, "froze and thawed"));
	assert_non_null(strstr(text, "hot-backup flags 0x5"));
	assert_int_equal(w->nvss, 3);
	assert_int_equal(w->vss_ops[0], ENL_IC_VSS_HOT_BACKUP);
	assert_int_equal(w->vss_ops[1], ENL_IC_VSS_FREEZE);
	assert_int_equal(w->vss_ops[2], ENL_IC_VSS_THAW);
	wait_kv(w, "vss_state", "done");
	assert_int_equal(run_cmd(w, "backup now", text, sizeof(text)), EINVAL);

	/* no daemon: the guest's refusal, at once */
	w->vss_mode = VSS_NO_DAEMON;
	w->nvss = 0;
	t0 = vsp_now_ms();
	assert_int_equal(run_cmd(w, "backup", text, sizeof(text)), EIO);
	assert_true(vsp_now_ms() - t0 < 900);
	assert_non_null(strstr(text, "guest refused HOT_BACKUP (status 0x80004005): no hv_vss_daemon"));
	assert_int_equal(w->nvss, 1);
	wait_kv(w, "vss_state", "failed");

	/* FREEZE never answered: ETIMEDOUT after the step's limit, and a
	 * THAW goes out all the same */
	w->vss_mode = VSS_SILENT_FREEZE;
	w->nvss = 0;
	assert_int_equal(run_cmd(w, "backup", text, sizeof(text)), ETIMEDOUT);
	assert_non_null(strstr(text, "did not answer FREEZE"));
	RUN_UNTIL(w, w->nvss >= 3, 2000);
	assert_int_equal(w->vss_ops[2], ENL_IC_VSS_THAW);
	wait_kv(w, "vss_state", "timeout");

	/* an answer that is not for our operation: dropped, then a timeout,
	 * never a success */
	w->vss_mode = VSS_GARBAGE;
	w->nvss = 0;
	assert_int_equal(run_cmd(w, "backup", text, sizeof(text)), ETIMEDOUT);
	assert_non_null(strstr(text, "did not answer HOT_BACKUP"));
	assert_int_equal(w->nvss, 1);

	/* and a good guest again */
	w->vss_mode = VSS_DAEMON_OK;
	assert_int_equal(run_cmd(w, "backup", text, sizeof(text)), 0);
	while (host_recv(w, 100) > 0)
		;
	daemon_stop(w);
	world_free(w);
}

/* SIGKILL to this process's children (a copy the daemon forked). */
static void kill_children(void)
{
	char path[320], pids[256];
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	FILE *f;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char *p, *end;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/children", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(pids, sizeof(pids), f))
			for (p = pids; *p; p = end) {
				long pid = strtol(p, &end, 10);

				if (end == p)
					break;
				kill((pid_t)pid, SIGKILL);
			}
		fclose(f);
	}
	closedir(d);
}

/* The daemon dies while the guest is frozen (its copy under way): the
 * next one finds the note, removes the partial copies and thaws; a note
 * from another enl-host (its socket replaced) is only removed. */
static void test_vss_daemon_killed(void **state)
{
	struct world *w = world_new();
	char top[] = "/tmp/enl-vssnote.XXXXXX", sock[64], out[64], note[96];
	char cmd[600], a[96], b[96];
	const off_t data[] = { 0 };
	FILE *f;

	assert_non_null(mkdtemp(top));
	snprintf(sock, sizeof(sock), "%s/sock", top);
	snprintf(note, sizeof(note), "%s.icvsp-vss.state", sock);
	snprintf(out, sizeof(out), "%s/out", top);
	snprintf(a, sizeof(a), "%s/a.img", top);
	snprintf(b, sizeof(b), "%s/b.img", top);
	assert_int_equal(mkdir(out, 0700), 0);
	make_image(sock, 0, NULL, 0);
	make_image(a, 1 << 20, data, 1);
	make_image(b, 1 << 20, data, 1);

	w->svc = &ic_vss;
	w->gv = vss_gv;
	w->ngv = 1;
	w->answer = vss_answer;
	w->sock_path = sock;
	daemon_start(w);
	host_handshake(w);
	guest_init_rings(w);
	host_open(w);
	RUN_UNTIL(w, w->negotiates >= 1, 3000);
	RUN_UNTIL(w, !strcmp(kv(w, "vss_state"), "idle"), 2000);

	/* a.img is copied, b.img (a FIFO at FREEZE) blocks the copy */
	w->vss_break = b;
	w->vss_break_how = "fifo";
	snprintf(cmd, sizeof(cmd), "backup %s 0 %s 1 %s", out, a, b);
	send_cmd(w, cmd);
	RUN_UNTIL(w, !strcmp(kv(w, "vss_state"), "copying"), 3000);
	snprintf(cmd, sizeof(cmd), "%s/a.img", out);
	RUN_UNTIL(w, access(cmd, F_OK) == 0, 3000);
	assert_int_equal(access(note, F_OK), 0);
	assert_int_equal(w->nvss, 2);

	/* killed: its copy dies with it (the child holds our socket's
	 * other end too), no THAW (no on_stop); the partial copy stays, as
	 * after a kill -9 (here the channel's teardown removes it: put back) */
	kill_children();
	daemon_stop(w);
	make_image(cmd, 4096, data, 1);
	w->nvss = 0;
	daemon_start(w);
	host_handshake(w);
	host_open(w);
	/* The old daemon may have seen its copy die before it was stopped
	 * and sent a THAW of its own: the guest then answers two THAWs, and
	 * only the second is the new daemon's.  Keep the guest running until
	 * the new one is done. */
	RUN_UNTIL(w, !strcmp(kv(w, "vss_state"), "done"), 5000);
	assert_true(w->nvss >= 1 && w->nvss <= 2);
	assert_int_equal(w->vss_ops[0], ENL_IC_VSS_THAW);
	assert_int_equal(w->vss_ops[w->nvss - 1], ENL_IC_VSS_THAW);
	assert_non_null(strstr(kv(w, "vss_last_result"),
			       "thawed after a restart (1 partial copies removed)"));
	assert_int_equal(access(cmd, F_OK), -1);
	assert_int_equal(access(note, F_OK), -1);
	/* the fifo back to a file: a normal backup, no note left */
	unlink(b);
	make_image(b, 1 << 20, data, 1);
	snprintf(cmd, sizeof(cmd), "backup %s 1 %s", out, b);
	{
		char text[2048];

		assert_int_equal(run_cmd(w, cmd, text, sizeof(text)), 0);
		assert_non_null(strstr(text, "1 disk(s) copied"));
	}
	assert_int_equal(access(note, F_OK), -1);
	/* --vss-hold: frozen that long after the copy, then thawed */
	{
		char text[2048];
		u64 t0 = vsp_now_ms();

		vss_hold_ms = 400;
		assert_int_equal(run_cmd(w, "backup", text, sizeof(text)), 0);
		vss_hold_ms = 0;
		assert_true(vsp_now_ms() - t0 >= 400);
		assert_non_null(strstr(text, "froze and thawed"));
	}

	/* a note whose socket is another one: removed, no THAW; and a
	 * copy outside its DIR is never removed */
	daemon_stop(w);
	f = fopen(note, "w");
	assert_non_null(f);
	fprintf(f, "enl-icvsp vss 1\nsocket 1 2 3\ndir %s\ncopy %s\n", out, a);
	fclose(f);
	w->nvss = 0;
	w->negotiates = 0;
	daemon_start(w);
	host_handshake(w);
	host_open(w);
	RUN_UNTIL(w, w->negotiates >= 1, 3000);
	RUN_UNTIL(w, !strcmp(kv(w, "vss_state"), "idle"), 2000);
	host_recv(w, 300);
	assert_int_equal(w->nvss, 0);
	assert_int_equal(access(note, F_OK), -1);
	assert_int_equal(access(a, F_OK), 0);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	daemon_stop(w);
	world_free(w);
	assert_int_equal(system(cmd), 0);
}

/* backup DIR LUN PATH...: the copy between FREEZE and THAW, every check
 * before the FREEZE, a failed or overlong copy removed and the guest
 * thawed all the same */
static void test_vss_backup_dir(void **state)
{
	struct world *w = world_new();
	char top[] = "/tmp/enl-backup.XXXXXX", a[64], b[64], out[64];
	char cmd[1200], text[4096], p[1200];
	const off_t data[] = { 0, 3 << 20 };

	assert_non_null(mkdtemp(top));
	snprintf(a, sizeof(a), "%s/a", top);
	snprintf(b, sizeof(b), "%s/b", top);
	snprintf(out, sizeof(out), "%s/out", top);
	assert_int_equal(mkdir(a, 0700), 0);
	assert_int_equal(mkdir(b, 0700), 0);
	assert_int_equal(mkdir(out, 0700), 0);
	snprintf(p, sizeof(p), "%s/disk.img", a);
	make_image(p, 8 << 20, data, 2);
	snprintf(p, sizeof(p), "%s/disk.img", b);
	make_image(p, 1 << 20, data, 1);
	snprintf(p, sizeof(p), "%s/other.img", a);
	make_image(p, 1 << 20, data, 1);

	w->svc = &ic_vss;
	w->gv = vss_gv;
	w->ngv = 1;
	w->answer = vss_answer;
	daemon_start(w);
	host_handshake(w);
	guest_init_rings(w);
	host_open(w);
	RUN_UNTIL(w, w->negotiates >= 1, 3000);
	RUN_UNTIL(w, !strcmp(kv(w, "vss_state"), "idle"), 2000);

	/* two images named alike get lun prefixes; the third keeps its name */
	snprintf(cmd, sizeof(cmd), "backup %s 0 %s/disk.img 3 %s/disk.img 5 %s/other.img",
		 out, a, b, a);
	assert_int_equal(run_cmd(w, cmd, text, sizeof(text)), 0);
	assert_non_null(strstr(text, "froze and thawed"));
	assert_non_null(strstr(text, "3 disk(s) copied"));
	assert_non_null(strstr(text, "lun 3: "));
	assert_int_equal(w->nvss, 3);
	assert_int_equal(w->vss_ops[1], ENL_IC_VSS_FREEZE);
	assert_int_equal(w->vss_ops[2], ENL_IC_VSS_THAW);
	snprintf(p, sizeof(p), "%s/lun0-disk.img", out);
	snprintf(cmd, sizeof(cmd), "%s/disk.img", a);
	assert_true(same_file(cmd, p));
	snprintf(p, sizeof(p), "%s/lun3-disk.img", out);
	snprintf(cmd, sizeof(cmd), "%s/disk.img", b);
	assert_true(same_file(cmd, p));
	snprintf(p, sizeof(p), "%s/other.img", out);
	snprintf(cmd, sizeof(cmd), "%s/other.img", a);
	assert_true(same_file(cmd, p));
	wait_kv(w, "vss_state", "done");

	/* refusals before any FREEZE: the guest sees nothing */
	w->nvss = 0;
	snprintf(cmd, sizeof(cmd), "backup %s 5 %s/other.img", out, a);
	assert_int_equal(run_cmd(w, cmd, text, sizeof(text)), EEXIST);
	assert_non_null(strstr(text, "nothing frozen"));
	snprintf(cmd, sizeof(cmd), "backup %s/none 0 %s/other.img", top, a);
	assert_int_equal(run_cmd(w, cmd, text, sizeof(text)), ENOENT);
	snprintf(cmd, sizeof(cmd), "backup %s 0 %s/missing.img", top, a);
	assert_int_equal(run_cmd(w, cmd, text, sizeof(text)), ENOENT);
	snprintf(cmd, sizeof(cmd), "backup %s 0 %s", top, a);
	assert_int_equal(run_cmd(w, cmd, text, sizeof(text)), EINVAL);
	snprintf(cmd, sizeof(cmd), "backup rel 0 %s/other.img", a);
	assert_int_equal(run_cmd(w, cmd, text, sizeof(text)), EINVAL);
	snprintf(cmd, sizeof(cmd), "backup %s 0 rel.img", top);
	assert_int_equal(run_cmd(w, cmd, text, sizeof(text)), EINVAL);
	snprintf(cmd, sizeof(cmd), "backup %s 1 %s/other.img 1 %s/disk.img", top, a, a);
	assert_int_equal(run_cmd(w, cmd, text, sizeof(text)), EINVAL);
	snprintf(cmd, sizeof(cmd), "backup %s 64 %s/other.img", top, a);
	assert_int_equal(run_cmd(w, cmd, text, sizeof(text)), EINVAL);
	snprintf(cmd, sizeof(cmd), "backup %s -1 %s/other.img", top, a);
	assert_int_equal(run_cmd(w, cmd, text, sizeof(text)), EINVAL);
	snprintf(cmd, sizeof(cmd), "backup %s 0", top);
	assert_int_equal(run_cmd(w, cmd, text, sizeof(text)), EINVAL);
	snprintf(cmd, sizeof(cmd), "backup %s", top);
	assert_int_equal(run_cmd(w, cmd, text, sizeof(text)), EINVAL);
	snprintf(cmd, sizeof(cmd), "backup %s/other.img 0 %s/other.img", a, a);
	assert_int_equal(run_cmd(w, cmd, text, sizeof(text)), ENOTDIR);
	assert_int_equal(w->nvss, 0);

	/* an image gone at FREEZE: the copy fails, nothing is left in DIR
	 * (the first image's copy is removed too), the guest is thawed */
	snprintf(cmd, sizeof(cmd), "%s/new", top);
	assert_int_equal(mkdir(cmd, 0700), 0);
	snprintf(p, sizeof(p), "%s/disk.img", b);
	w->vss_break = p;
	w->vss_break_how = "unlink";
	snprintf(cmd, sizeof(cmd), "backup %s/new 0 %s/other.img 1 %s/disk.img", top, a, b);
	assert_int_equal(run_cmd(w, cmd, text, sizeof(text)), EIO);
	assert_non_null(strstr(text, "failed; guest froze and thawed"));
	assert_non_null(strstr(text, "lun 1: cannot open"));
	assert_int_equal(w->nvss, 3);
	assert_int_equal(w->vss_ops[2], ENL_IC_VSS_THAW);
	snprintf(p, sizeof(p), "%s/new/other.img", top);
	assert_int_equal(access(p, F_OK), -1);
	snprintf(p, sizeof(p), "%s/new/disk.img", top);
	assert_int_equal(access(p, F_OK), -1);
	wait_kv(w, "vss_state", "failed");

	/* a copy that never ends: stopped at its limit, thawed */
	w->nvss = 0;
	snprintf(p, sizeof(p), "%s/other.img", a);
	w->vss_break = p;
	w->vss_break_how = "fifo";
	snprintf(cmd, sizeof(cmd), "backup %s/new 0 %s/other.img", top, a);
	assert_int_equal(run_cmd(w, cmd, text, sizeof(text)), ETIMEDOUT);
	assert_non_null(strstr(text, "copy not done within"));
	assert_int_equal(w->nvss, 3);
	assert_int_equal(w->vss_ops[2], ENL_IC_VSS_THAW);
	snprintf(p, sizeof(p), "%s/new/other.img", top);
	assert_int_equal(access(p, F_OK), -1);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	while (host_recv(w, 100) > 0)
		;
	daemon_stop(w);
	world_free(w);
	assert_int_equal(system(cmd), 0);
}

static void test_refuse_open(void **state)
{
	struct world *w = world_new();
	struct vsp_relid r = { .hdr = { VSP_CHANNEL_RESCINDED, sizeof(r) },
			       .relid = RELID };

	w->refuse = -1;
	daemon_start(w);
	host_handshake(w);
	for (int i = 0; i < 3; i++) {
		guest_init_rings(w);
		assert_int_equal(host_open_status(w), ECONNREFUSED);
		wait_kv(w, "heartbeat_state", "refused");
		assert_int_equal(w->negotiates, 0);
		host_teardown_ring(w);
	}
	host_send(w->host_fd, &r, sizeof(r), NULL, 0);
	wait_kv(w, "heartbeat_state", "rescinded");
	guest_init_rings(w);
	host_open(w);
	RUN_UNTIL(w, w->negotiates >= 1, 3000);
	RUN_UNTIL(w, w->beats >= 1, 5000);
	daemon_stop(w);
	world_free(w);
}

/* ---- the real binary, killed with -9 --------------------------------------- */

static char icvsp_path[4096];

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static pid_t spawn_icvsp_args(const char *sock, const char *extra)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		/* the fake host here answers the heartbeat offer only */
		if (extra)
			execl(icvsp_path, "enl-icvsp", "--vm", sock, "-q",
			      "--disable", "shutdown,timesync,kvp,fcopy,vss",
			      "--refuse-open", extra, (char *)NULL);
		else
			execl(icvsp_path, "enl-icvsp", "--vm", sock, "-q",
			      "--disable", "shutdown,timesync,kvp,fcopy,vss", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static pid_t spawn_icvsp(const char *sock)
{
	return spawn_icvsp_args(sock, NULL);
}

/* exit status of enl-icvsp with these arguments, stderr discarded */
static int icvsp_exit(const char *a1, const char *a2, const char *a3)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, 2);
		execl(icvsp_path, "enl-icvsp", a1, a2, a3, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int accept_daemon(int lfd)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	assert_int_equal(poll(&p, 1, 5000), 1);
	return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

static void test_real_binary_kill9(void **state)
{
	struct world *w;
	char sock[108];
	int lfd, status, beats;
	pid_t pid;

	if (access(icvsp_path, X_OK)) {
		print_message("  %s not built: skipped\n", icvsp_path);
		skip();
	}
	w = world_new();
	snprintf(sock, sizeof(sock), "/tmp/enl-test-icvsp-%d.sock", (int)getpid());
	lfd = listen_on(sock);

	pid = spawn_icvsp(sock);
	w->host_fd = accept_daemon(lfd);
	host_handshake(w);
	guest_init_rings(w);
	host_open(w);
	RUN_UNTIL(w, w->beats >= 2, 6000);

	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(host_recv(w, 2000), -1);	/* hang-up */
	close(w->host_fd);

	pid = spawn_icvsp(sock);
	w->host_fd = accept_daemon(lfd);
	host_handshake(w);
	host_open(w);			/* rings left as they were */
	beats = w->beats;
	RUN_UNTIL(w, w->beats >= beats + 2, 6000);
	RUN_UNTIL(w, !strcmp(kv(w, "heartbeat_state"), "alive"), 2000);

	/* enl-host goes away: the daemon exits 0 */
	close(w->host_fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	/* usage errors exit 2, a missing socket exits 1 */
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, 2);
		execl(icvsp_path, "enl-icvsp", "--bogus", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	assert_int_equal(WEXITSTATUS(status), 2);
	pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, 2);
		execl(icvsp_path, "enl-icvsp", "--vm", "/nonexistent/sock", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	assert_int_equal(WEXITSTATUS(status), 1);

	close(lfd);
	unlink(sock);
	world_free(w);
}

/* enl-icvsp --refuse-open heartbeat:1: the first open refused, the next
 * one served; bad values are usage errors. */
static void test_real_binary_refuse(void **state)
{
	struct world *w;
	char sock[108];
	int lfd, status;
	pid_t pid;

	if (access(icvsp_path, X_OK)) {
		print_message("  %s not built: skipped\n", icvsp_path);
		skip();
	}
	assert_int_equal(icvsp_exit("--vm", "/nonexistent/sock", "--refuse-open=bogus"), 2);
	assert_int_equal(icvsp_exit("--vm", "/nonexistent/sock", "--refuse-open=heartbeat:0"), 2);
	assert_int_equal(icvsp_exit("--vm", "/nonexistent/sock", "--refuse-open=heartbeat:x"), 2);
	assert_int_equal(icvsp_exit("--vm", "/nonexistent/sock", "--refuse-open=heartbeat:2"), 1);

	w = world_new();
	snprintf(sock, sizeof(sock), "/tmp/enl-test-icvsp-r%d.sock", (int)getpid());
	lfd = listen_on(sock);
	pid = spawn_icvsp_args(sock, "heartbeat:1");
	w->host_fd = accept_daemon(lfd);
	host_handshake(w);
	guest_init_rings(w);
	assert_int_equal(host_open_status(w), ECONNREFUSED);
	host_teardown_ring(w);
	guest_init_rings(w);
	host_open(w);
	RUN_UNTIL(w, w->beats >= 1, 6000);
	close(w->host_fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(lfd);
	unlink(sock);
	world_free(w);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_heartbeat_e2e),
		cmocka_unit_test(test_refuse_open),
		cmocka_unit_test(test_shutdown_e2e),
		cmocka_unit_test(test_timesync_e2e),
		cmocka_unit_test(test_kvp_e2e),
		cmocka_unit_test(test_vss_e2e),
		cmocka_unit_test(test_vss_backup_dir),
		cmocka_unit_test(test_vss_daemon_killed),
		cmocka_unit_test(test_img_copy),
		cmocka_unit_test(test_real_binary_kill9),
		cmocka_unit_test(test_real_binary_refuse),
	};
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	/* build/tests/unit/test_x -> build/bin/enl-icvsp */
	if (n > 0) {
		self[n] = 0;
		snprintf(icvsp_path, sizeof(icvsp_path), "%s/../../bin/enl-icvsp",
			 dirname(self));
	}
	signal(SIGPIPE, SIG_IGN);
	vsp_verbose = getenv("VSP_TEST_VERBOSE") ? 2 : -1;
	return cmocka_run_group_tests_name("libvsp+icvsp", tests, NULL, NULL);
}
