/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A fake enl-host and a fake guest for the libvsp tests that drive whole
 * daemons (test_libvsp_chans.c, tsan_libvsp.c): guest RAM is a memfd (all
 * low memory), the host end of the socket speaks the VSP protocol by hand,
 * and each channel's rings are four guest pages (two per direction) that
 * the guest reads and writes with the same ring core as the guest modules.
 * Static functions only: each test includes it once.
 */
#ifndef ENL_TEST_LIBVSP_FAKE_H
#define ENL_TEST_LIBVSP_FAKE_H

#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <enl/hv_tlfs.h>
#include "hostside-vsp/lib/vsp_internal.h"

#define FK_SIEF_GPA	0x10000ull
#define FK_RING_PFN0	0x100u		/* channel i's ring: 4 pages from here + 4 i */

struct fk_host {
	int fd;			/* host end of the socket */
	int memfd;
	u64 ram_size;
	u8 *ram;
	u8 *buf;		/* VSP_MSG_MAX */
	int fds[VSP_MAX_FDS];	/* of the last message received */
	int nfds;
	char last_key[VSP_KEY_LEN];
	char last_val[VSP_VALUE_LEN];
	u32 last_status_relid;
};

/* A guest's view of one channel. */
struct fk_chan {
	u32 relid;
	u32 gpadl;
	u32 pfn;		/* first of the 4 ring pages */
	int kick_fd;		/* the guest writes it */
	int call_fd;		/* the daemon writes it */
	struct enl_ring g2h;
	struct enl_ring h2g;
};

static inline void fk_init(struct fk_host *h, int fd, u64 ram_size)
{
	memset(h, 0, sizeof(*h));
	h->fd = fd;
	h->ram_size = ram_size;
	h->buf = malloc(VSP_MSG_MAX);
	h->memfd = memfd_create("fk-ram", MFD_CLOEXEC);
	assert_true(h->buf && h->memfd >= 0);
	assert_int_equal(ftruncate(h->memfd, (off_t)ram_size), 0);
	h->ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      h->memfd, 0);
	assert_true(h->ram != MAP_FAILED);
	h->nfds = 0;
}

static inline void fk_fini(struct fk_host *h)
{
	vspc_close_fds(h->fds, h->nfds);
	munmap(h->ram, h->ram_size);
	close(h->memfd);
	free(h->buf);
}

static inline void fk_send(int fd, const void *m, size_t len, const int *fds, int nfds)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * 4)];
	} c;
	struct iovec iov = { (void *)m, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds) {
		struct cmsghdr *cm;

		memset(&c, 0, sizeof(c));
		mh.msg_control = c.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
	}
	assert_int_equal(sendmsg(fd, &mh, MSG_NOSIGNAL), (ssize_t)len);
}

/*
 * The next message from the daemon that is not a STATUS_SET (those are
 * remembered: last_key / last_val).  Its type, 0 after timeout_ms, -1 on
 * hang-up.  Its fds stay in h->fds until the next call.
 */
static inline int fk_recv(struct fk_host *h, int timeout_ms)
{
	vspc_close_fds(h->fds, h->nfds);
	h->nfds = 0;
	for (;;) {
		struct pollfd p = { .fd = h->fd, .events = POLLIN };
		struct vsp_hdr hd;
		int n;

		if (poll(&p, 1, timeout_ms) != 1)
			return 0;
		n = vsp_recv_msg(h->fd, h->buf, VSP_MSG_MAX, h->fds, &h->nfds);
		if (n == 0)
			return -1;
		assert_true(n >= (int)sizeof(hd));
		memcpy(&hd, h->buf, sizeof(hd));
		if (hd.type == VSP_STATUS_SET) {
			struct vsp_status_set s;

			assert_int_equal(n, sizeof(s));
			memcpy(&s, h->buf, sizeof(s));
			memcpy(h->last_key, s.key, sizeof(s.key));
			memcpy(h->last_val, s.value, sizeof(s.value));
			h->last_key[VSP_KEY_LEN - 1] = 0;
			h->last_val[VSP_VALUE_LEN - 1] = 0;
			h->last_status_relid = s.relid;
			continue;
		}
		return (int)hd.type;
	}
}

static inline void fk_expect(struct fk_host *h, u32 type, int timeout_ms)
{
	assert_int_equal(fk_recv(h, timeout_ms), (int)type);
}

static inline void fk_welcome(struct fk_host *h)
{
	struct vsp_welcome w;

	memset(&w, 0, sizeof(w));
	w.hdr.type = VSP_WELCOME;
	w.hdr.len = sizeof(w);
	w.version = VSP_PROTO_VERSION;
	w.ncpus = 2;
	w.ram_size = h->ram_size;
	w.lowmem_size = h->ram_size;
	fk_send(h->fd, &w, sizeof(w), &h->memfd, 1);
}

static inline void fk_offer_result(struct fk_host *h, u32 cookie, u32 status, u32 relid)
{
	struct vsp_offer_result r;

	memset(&r, 0, sizeof(r));
	r.hdr.type = VSP_OFFER_RESULT;
	r.hdr.len = sizeof(r);
	r.cookie = cookie;
	r.status = status;
	r.relid = status ? 0 : relid;
	r.connection_id = 0x3000 + relid;
	fk_send(h->fd, &r, sizeof(r), NULL, 0);
}

/* Fresh ring headers, as a guest writes them before OPENCHANNEL. */
static inline void fk_chan_init(struct fk_host *h, struct fk_chan *c, u32 relid,
			 u32 index)
{
	u8 *p;

	memset(c, 0, sizeof(*c));
	c->relid = relid;
	c->gpadl = 0x100 + relid;
	c->pfn = FK_RING_PFN0 + 4 * index;
	assert_true(((u64)c->pfn + 4) * 4096 <= h->ram_size);
	p = h->ram + (size_t)c->pfn * 4096;
	memset(p, 0, 4 * 4096);
	((struct enl_ring_hdr *)p)->feature_bits = 1;
	((struct enl_ring_hdr *)(p + 2 * 4096))->feature_bits = 1;
	assert_int_equal(enl_ring_init(&c->g2h, p, p + 4096, 4096), 0);
	assert_int_equal(enl_ring_init(&c->h2g, p + 2 * 4096, p + 3 * 4096, 4096), 0);
	c->kick_fd = eventfd(0, EFD_CLOEXEC);
	c->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(c->kick_fd >= 0 && c->call_fd >= 0);
}

static inline void fk_chan_fini(struct fk_chan *c)
{
	close(c->kick_fd);
	close(c->call_fd);
}

/* The ring GPADL (one part), then CHANNEL_OPEN with dups of the fds. */
static inline void fk_open(struct fk_host *h, struct fk_chan *c)
{
	u8 msg[sizeof(struct vsp_gpadl) + 4 * 8];
	struct vsp_gpadl g;
	struct vsp_channel_open o;
	int fds[2] = { c->kick_fd, c->call_fd };

	memset(&g, 0, sizeof(g));
	g.hdr.type = VSP_GPADL;
	g.hdr.len = sizeof(msg);
	g.relid = c->relid;
	g.gpadl = c->gpadl;
	g.total_pages = 4;
	g.count = 4;
	g.byte_count = 4 * 4096;
	memcpy(msg, &g, sizeof(g));
	for (u64 i = 0; i < 4; i++) {
		u64 pfn = c->pfn + i;

		memcpy(msg + sizeof(g) + i * 8, &pfn, 8);
	}
	fk_send(h->fd, msg, sizeof(msg), NULL, 0);
	memset(&o, 0, sizeof(o));
	o.hdr.type = VSP_CHANNEL_OPEN;
	o.hdr.len = sizeof(o);
	o.relid = c->relid;
	o.ring_gpadl = c->gpadl;
	o.ring_pages = 4;
	o.downstream_offset = 2;
	o.sief_gpa = FK_SIEF_GPA;
	o.connection_id = 0x3000 + c->relid;
	fk_send(h->fd, &o, sizeof(o), fds, 2);
}

/* The OPEN_REPLY the daemon sent (the message fk_recv() just returned). */
static inline struct vsp_open_reply fk_open_reply(struct fk_host *h)
{
	struct vsp_open_reply r;

	memcpy(&r, h->buf, sizeof(r));
	return r;
}

static inline void fk_relid_msg(struct fk_host *h, u32 type, u32 relid)
{
	struct vsp_relid m = { .hdr = { type, sizeof(m) }, .relid = relid };

	fk_send(h->fd, &m, sizeof(m), NULL, 0);
}

/* The guest sends an inband packet with trans_id and kicks the host. */
static inline void fk_guest_send(struct fk_chan *c, u64 trans_id, const void *data,
			  u32 len)
{
	struct enl_iov iov = { data, len };
	u64 one = 1;
	bool sig = false;

	assert_int_equal(enl_ring_send(&c->g2h, VMBUS_PKT_INBAND,
				       VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
				       trans_id, &iov, len ? 1 : 0, &sig), 0);
	assert_int_equal(write(c->kick_fd, &one, 8), 8);
}

/* Next packet in the host-to-guest ring: 1 with its trans_id, 0 if none. */
static inline int fk_guest_recv(struct fk_chan *c, u64 *trans_id, u16 *type)
{
	u8 pkt[512] __attribute__((aligned(8)));
	struct vmbus_pkt_desc d;
	u32 len;
	int r = enl_ring_read(&c->h2g, pkt, sizeof(pkt), &len);

	assert_true(r >= 0);
	if (r == 1) {
		memcpy(&d, pkt, sizeof(d));
		*trans_id = d.trans_id;
		*type = d.type;
	}
	enl_ring_commit(&c->h2g);
	return r;
}

#endif
