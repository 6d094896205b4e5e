// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of libvsp (hostside-vsp/lib): guest-RAM translation and
 * GPADL mapping bounds, GPADL part reassembly, GUID text, and the message
 * dispatcher fed with good and malformed messages from a fake enl-host
 * (the messages are queued in a socketpair before libvsp reads them, so
 * no threads are needed here; test_libvsp_icvsp.c runs a whole daemon).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <cmocka.h>

#include "hostside-vsp/lib/vsp_internal.h"

#define MB (1ull << 20)
#define GB (1ull << 30)

/* 3 MiB low + 1 MiB high at 4 GiB, page n of the memfd holds n in its
 * first 8 bytes. */
static int make_ram(u64 size)
{
	int fd = memfd_create("test-ram", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	for (u64 off = 0; off < size; off += 4096)
		assert_int_equal(pwrite(fd, &off, 8, (off_t)off), 8);
	return fd;
}

static void test_ram_setup(void **state)
{
	struct vsp_ram r;

	assert_int_equal(vsp_ram_setup(&r, 3, 4 * MB, 4 * MB, 3 * MB, 4 * GB), 0);
	/* memfd smaller than ram_size */
	assert_int_equal(vsp_ram_setup(&r, 3, 2 * MB, 4 * MB, 3 * MB, 4 * GB), -EPROTO);
	/* low memory larger than RAM */
	assert_int_equal(vsp_ram_setup(&r, 3, 4 * MB, 4 * MB, 5 * MB, 4 * GB), -EPROTO);
	/* high memory starting inside low memory */
	assert_int_equal(vsp_ram_setup(&r, 3, 4 * MB, 4 * MB, 3 * MB, 2 * MB), -EPROTO);
	/* unaligned */
	assert_int_equal(vsp_ram_setup(&r, 3, 4 * MB, 4 * MB, 3 * MB + 1, 4 * GB), -EPROTO);
	/* high memory wrapping around the address space */
	assert_int_equal(vsp_ram_setup(&r, 3, 4 * MB, 4 * MB, 3 * MB,
				       UINT64_MAX & ~4095ull), -EPROTO);
	/* all low: highmem_gpa ignored */
	assert_int_equal(vsp_ram_setup(&r, 3, 4 * MB, 4 * MB, 4 * MB, 0), 0);
	assert_int_equal(vsp_ram_setup(&r, 3, 4 * MB, 0, 0, 0), -EPROTO);
}

static void test_ram_offset(void **state)
{
	struct vsp_ram r;
	u64 off;

	assert_int_equal(vsp_ram_setup(&r, 3, 4 * MB, 4 * MB, 3 * MB, 4 * GB), 0);
	assert_int_equal(vsp_ram_offset(&r, 0, 4096, &off), 0);
	assert_int_equal(off, 0);
	assert_int_equal(vsp_ram_offset(&r, 3 * MB - 4096, 4096, &off), 0);
	assert_int_equal(off, 3 * MB - 4096);
	/* across the end of low memory */
	assert_int_equal(vsp_ram_offset(&r, 3 * MB - 4096, 8192, &off), -ERANGE);
	/* the hole */
	assert_int_equal(vsp_ram_offset(&r, 3 * MB, 4096, &off), -ERANGE);
	assert_int_equal(vsp_ram_offset(&r, 4 * GB - 4096, 4096, &off), -ERANGE);
	/* high memory */
	assert_int_equal(vsp_ram_offset(&r, 4 * GB, 4096, &off), 0);
	assert_int_equal(off, 3 * MB);
	assert_int_equal(vsp_ram_offset(&r, 4 * GB + MB - 4096, 4096, &off), 0);
	assert_int_equal(off, 4 * MB - 4096);
	/* beyond RAM */
	assert_int_equal(vsp_ram_offset(&r, 4 * GB + MB, 4096, &off), -ERANGE);
	assert_int_equal(vsp_ram_offset(&r, 4 * GB + MB - 4096, 8192, &off), -ERANGE);
	assert_int_equal(vsp_ram_offset(&r, UINT64_MAX - 10, 4096, &off), -ERANGE);
	assert_int_equal(vsp_ram_offset(&r, 0, UINT64_MAX, &off), -ERANGE);
	assert_int_equal(vsp_ram_offset(&r, 4 * GB, UINT64_MAX, &off), -ERANGE);
}

static void test_map_pfns(void **state)
{
	struct vsp_ram r;
	int fd = make_ram(4 * MB);
	const u64 hi = (4 * GB) >> 12;
	/* scattered, low and high, with a run of two */
	u64 pfn[] = { 0x100, hi + 2, 0x2ff, 0x10, 0x11 };
	u64 bad[][2] = {
		{ 0x100, 0x300 },			/* first page of the hole */
		{ 0x100, hi - 1 },			/* last page of the hole */
		{ hi + 256, 0x100 },			/* past the end of RAM */
		{ 0x100, UINT64_MAX },			/* pfn << 12 overflows */
		{ 0x100, (UINT64_MAX >> 12) },
	};
	void *va;

	assert_int_equal(vsp_ram_setup(&r, fd, 4 * MB, 4 * MB, 3 * MB, 4 * GB), 0);
	assert_int_equal(vsp_ram_map_pfns(&r, pfn, 5, &va), 0);
	for (int i = 0; i < 5; i++) {
		u64 v, want;

		assert_int_equal(vsp_ram_offset(&r, pfn[i] << 12, 4096, &want), 0);
		memcpy(&v, (u8 *)va + i * 4096, 8);
		assert_int_equal(v, want);
	}
	/* shared: a write through the mapping reaches the memfd */
	memcpy((u8 *)va + 4096 + 8, "ABCDEFGH", 8);
	{
		char got[8];

		assert_int_equal(pread(fd, got, 8, (off_t)(3 * MB + 2 * 4096 + 8)), 8);
		assert_memory_equal(got, "ABCDEFGH", 8);
	}
	munmap(va, 5 * 4096);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(vsp_ram_map_pfns(&r, bad[i], 2, &va), -ERANGE);
	assert_int_equal(vsp_ram_map_pfns(&r, pfn, 0, &va), -EINVAL);
	close(fd);
}

/* GPA-direct ranges as iovecs over a fake RAM mapping: adjacent pages
 * merge, the hole and the end of RAM are refused, max is honoured. */
static void test_gpa_range_iov(void **state)
{
	static u8 ram[4 * 4096] __attribute__((aligned(4096)));
	struct vsp v = { .fd = -1 };
	const u64 hi = (4 * GB) >> 12;
	u64 pfn[4] = { 0, 1, 3, 2 };
	struct enl_pkt_gpa_range r = { .pfn = pfn };
	struct iovec iov[4];

	/* 2 pages low (0, 1) and 2 high (hi, hi + 1) */
	v.ram.fd = -1;
	v.ram.l.size = sizeof(ram);
	v.ram.l.lowmem_size = 2 * 4096;
	v.ram.l.highmem_gpa = 4 * GB;
	v.ram.base = ram;

	/* 6000 bytes from 100 into page 0: pages 0 and 1, one iovec */
	r.byte_offset = 100;
	r.byte_count = 6000;
	r.pfn_count = 2;
	assert_int_equal(vsp_gpa_range_iov(&v, &r, iov, 4), 1);
	assert_ptr_equal(iov[0].iov_base, ram + 100);
	assert_int_equal(iov[0].iov_len, 6000);

	/* pages 1, hi + 1, hi: three pieces (low and high are adjacent in
	 * the mapping, but hi + 1 then hi goes backwards) */
	pfn[0] = 1; pfn[1] = hi + 1; pfn[2] = hi;
	r.byte_offset = 4000;
	r.byte_count = 96 + 4096 + 10;
	r.pfn_count = 3;
	assert_int_equal(vsp_gpa_range_iov(&v, &r, iov, 4), 3);
	assert_ptr_equal(iov[0].iov_base, ram + 4096 + 4000);
	assert_int_equal(iov[0].iov_len, 96);
	assert_ptr_equal(iov[1].iov_base, ram + 3 * 4096);
	assert_int_equal(iov[1].iov_len, 4096);
	assert_ptr_equal(iov[2].iov_base, ram + 2 * 4096);
	assert_int_equal(iov[2].iov_len, 10);
	assert_int_equal(vsp_gpa_range_iov(&v, &r, iov, 2), -E2BIG);

	/* a page in the hole, past the end, a pfn that overflows */
	pfn[1] = 2;
	assert_int_equal(vsp_gpa_range_iov(&v, &r, iov, 4), -ERANGE);
	pfn[1] = hi + 2;
	assert_int_equal(vsp_gpa_range_iov(&v, &r, iov, 4), -ERANGE);
	pfn[1] = UINT64_MAX;
	assert_int_equal(vsp_gpa_range_iov(&v, &r, iov, 4), -ERANGE);
	/* fewer page numbers than the byte count needs */
	pfn[1] = hi;
	r.pfn_count = 2;
	assert_int_equal(vsp_gpa_range_iov(&v, &r, iov, 4), -ERANGE);
	r.byte_offset = 4096;
	assert_int_equal(vsp_gpa_range_iov(&v, &r, iov, 4), -ERANGE);
}

/* One GPADL message header. */
static struct vsp_gpadl part(u32 relid, u32 id, u32 total, u32 first, u32 count)
{
	struct vsp_gpadl m;

	memset(&m, 0, sizeof(m));
	m.hdr.type = VSP_GPADL;
	m.hdr.len = (u32)(sizeof(m) + count * 8);
	m.relid = relid;
	m.gpadl = id;
	m.total_pages = total;
	m.first = first;
	m.count = count;
	m.byte_count = total * 4096;
	return m;
}

static void test_gpadl_parts(void **state)
{
	struct vsp_gpadl_map *list = NULL, *g;
	u64 pfn[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct vsp_gpadl m;

	/* three parts in order */
	m = part(5, 10, 8, 0, 3);
	assert_int_equal(vsp_gpadl_part(&list, &m, pfn, 1024), 0);
	m = part(5, 10, 8, 3, 3);
	assert_int_equal(vsp_gpadl_part(&list, &m, pfn + 3, 1024), 0);
	m = part(5, 10, 8, 6, 2);
	assert_int_equal(vsp_gpadl_part(&list, &m, pfn + 6, 1024), 1);
	g = vsp_gpadl_find(list, 5, 10);
	assert_non_null(g);
	assert_memory_equal(g->pfn, pfn, sizeof(pfn));
	/* more pages after completion */
	m = part(5, 10, 8, 8, 1);
	assert_int_equal(vsp_gpadl_part(&list, &m, pfn, 1024), -EPROTO);
	/* same handle again from the start: refused, complete one kept */
	m = part(5, 10, 8, 0, 8);
	assert_int_equal(vsp_gpadl_part(&list, &m, pfn, 1024), -EPROTO);
	assert_non_null(vsp_gpadl_find(list, 5, 10));
	/* same handle, other relid: a different GPADL */
	m = part(6, 10, 1, 0, 1);
	assert_int_equal(vsp_gpadl_part(&list, &m, pfn, 1024), 1);

	/* gap: first skips pages -> dropped */
	m = part(5, 11, 8, 0, 3);
	assert_int_equal(vsp_gpadl_part(&list, &m, pfn, 1024), 0);
	m = part(5, 11, 8, 4, 3);
	assert_int_equal(vsp_gpadl_part(&list, &m, pfn, 1024), -EPROTO);
	assert_null(vsp_gpadl_find(list, 5, 11));
	/* overlap */
	m = part(5, 12, 8, 0, 3);
	assert_int_equal(vsp_gpadl_part(&list, &m, pfn, 1024), 0);
	m = part(5, 12, 8, 2, 3);
	assert_int_equal(vsp_gpadl_part(&list, &m, pfn, 1024), -EPROTO);
	assert_null(vsp_gpadl_find(list, 5, 12));
	/* total changes */
	m = part(5, 13, 8, 0, 3);
	assert_int_equal(vsp_gpadl_part(&list, &m, pfn, 1024), 0);
	m = part(5, 13, 9, 3, 3);
	assert_int_equal(vsp_gpadl_part(&list, &m, pfn, 1024), -EPROTO);
	/* byte range changes */
	m = part(5, 14, 8, 0, 3);
	assert_int_equal(vsp_gpadl_part(&list, &m, pfn, 1024), 0);
	m = part(5, 14, 8, 3, 3);
	m.byte_offset = 8;
	assert_int_equal(vsp_gpadl_part(&list, &m, pfn, 1024), -EPROTO);
	/* count running past total */
	m = part(5, 15, 4, 0, 2);
	assert_int_equal(vsp_gpadl_part(&list, &m, pfn, 1024), 0);
	m = part(5, 15, 4, 2, 3);
	assert_int_equal(vsp_gpadl_part(&list, &m, pfn, 1024), -EPROTO);
	/* continuation with no start */
	m = part(5, 16, 4, 2, 2);
	assert_int_equal(vsp_gpadl_part(&list, &m, pfn, 1024), -EPROTO);
	/* first part: bad shapes */
	m = part(5, 17, 0, 0, 0);
	assert_int_equal(vsp_gpadl_part(&list, &m, pfn, 1024), -EPROTO);
	m = part(5, 17, 4, 0, 5);
	assert_int_equal(vsp_gpadl_part(&list, &m, pfn, 1024), -EPROTO);
	m = part(5, 17, 4, 0, 0);
	assert_int_equal(vsp_gpadl_part(&list, &m, pfn, 1024), -EPROTO);
	m = part(5, 17, 2048, 0, 1);		/* more pages than RAM */
	assert_int_equal(vsp_gpadl_part(&list, &m, pfn, 1024), -EPROTO);
	m = part(5, 17, VSP_GPADL_MAX_PAGES + 1, 0, 1);
	assert_int_equal(vsp_gpadl_part(&list, &m, pfn, UINT64_MAX), -EPROTO);
	m = part(5, 17, 2, 0, 2);
	m.byte_count = 3 * 4096;		/* range beyond its pages */
	assert_int_equal(vsp_gpadl_part(&list, &m, pfn, 1024), -EPROTO);
	m = part(5, 17, 2, 0, 2);
	m.byte_offset = 4096;
	m.byte_count = 4096;
	assert_int_equal(vsp_gpadl_part(&list, &m, pfn, 1024), -EPROTO);
	assert_null(vsp_gpadl_find(list, 5, 17));

	while (list)
		vsp_gpadl_drop(&list, list);
}

static void test_guid(void **state)
{
	static const enl_guid_t hb = ENL_GUID_HEARTBEAT;
	enl_guid_t g;
	char s[37];

	assert_int_equal(vsp_guid_parse("57164f39-9115-4e78-ab55-382f3bd5422d", &g), 0);
	assert_memory_equal(&g, &hb, sizeof(g));
	vsp_guid_format(&g, s);
	assert_string_equal(s, "57164f39-9115-4e78-ab55-382f3bd5422d");
	assert_int_equal(vsp_guid_parse("57164F39-9115-4E78-AB55-382F3BD5422D", &g), 0);
	assert_memory_equal(&g, &hb, sizeof(g));
	assert_int_equal(vsp_guid_parse("57164f39-9115-4e78-ab55-382f3bd5422", &g), -EINVAL);
	assert_int_equal(vsp_guid_parse("57164f39-9115-4e78-ab55-382f3bd5422dd", &g), -EINVAL);
	assert_int_equal(vsp_guid_parse("57164f39+9115-4e78-ab55-382f3bd5422d", &g), -EINVAL);
	assert_int_equal(vsp_guid_parse("57164f39-9115-4e78-ab55-382f3bd5422g", &g), -EINVAL);
	assert_int_equal(vsp_guid_parse("", &g), -EINVAL);
}

/* ---- dispatcher, fed through a socketpair ------------------------------- */

static void host_send(int fd, const void *m, size_t len, const int *fds, int nfds)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * 4)];
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
	assert_int_equal(sendmsg(fd, &mh, 0), (ssize_t)len);
}

/* Next message to the host that is not a STATUS_SET; 0 if none. */
static int host_recv(int fd, u8 *buf, u32 *type)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct vsp_hdr h;
		ssize_t n;

		if (poll(&p, 1, 0) != 1)
			return 0;
		n = recv(fd, buf, VSP_MSG_MAX, 0);
		assert_true(n >= (ssize_t)sizeof(h));
		memcpy(&h, buf, sizeof(h));
		assert_int_equal(h.len, n);
		if (h.type == VSP_STATUS_SET)
			continue;
		*type = h.type;
		return (int)n;
	}
}

struct dfix {
	int sv[2];
	int ramfd;
	struct vsp *v;
	struct vsp_chan *ch;
	int opens, closes, kicks, rescinds, teardowns;
	int refuse;		/* what on_open returns */
	u8 *buf;
};

static int d_open(struct vsp_chan *ch)
{
	struct dfix *f = vsp_chan_priv(ch);

	f->opens++;
	return f->refuse;
}
static void d_close(struct vsp_chan *ch) { ((struct dfix *)vsp_chan_priv(ch))->closes++; }
static void d_kick(struct vsp_chan *ch) { ((struct dfix *)vsp_chan_priv(ch))->kicks++; }
static void d_rescind(struct vsp_chan *ch) { ((struct dfix *)vsp_chan_priv(ch))->rescinds++; }
static void d_teardown(struct vsp_chan *ch, u32 g) { ((struct dfix *)vsp_chan_priv(ch))->teardowns++; }

static const struct vsp_chan_ops d_ops = {
	.on_open = d_open, .on_close = d_close, .on_kick = d_kick,
	.on_rescind = d_rescind, .on_gpadl_teardown = d_teardown,
};

static void queue_welcome(struct dfix *f, u64 ram, u64 low, u64 high)
{
	struct vsp_welcome w;

	memset(&w, 0, sizeof(w));
	w.hdr.type = VSP_WELCOME;
	w.hdr.len = sizeof(w);
	w.version = VSP_PROTO_VERSION;
	w.ncpus = 2;
	w.ram_size = ram;
	w.lowmem_size = low;
	w.highmem_gpa = high;
	host_send(f->sv[0], &w, sizeof(w), &f->ramfd, 1);
}

static void queue_offer_result(struct dfix *f, u32 cookie, u32 status, u32 relid)
{
	struct vsp_offer_result r;

	memset(&r, 0, sizeof(r));
	r.hdr.type = VSP_OFFER_RESULT;
	r.hdr.len = sizeof(r);
	r.cookie = cookie;
	r.status = status;
	r.relid = relid;
	r.connection_id = 0x1000 + relid;
	host_send(f->sv[0], &r, sizeof(r), NULL, 0);
}

static struct dfix *dfix_new(void)
{
	struct dfix *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->buf = malloc(VSP_MSG_MAX);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, f->sv), 0);
	f->ramfd = make_ram(4 * MB);
	return f;
}

static void dfix_free(struct dfix *f)
{
	vsp_free(f->v);
	close(f->sv[0]);
	close(f->ramfd);
	free(f->buf);
	free(f);
}

static void connect_and_offer(struct dfix *f, u32 relid)
{
	struct vsp_offer_params p;
	int err;
	u32 type;

	queue_welcome(f, 4 * MB, 3 * MB, 4 * GB);
	f->v = vsp_connect_fd(f->sv[1], "test", &err);
	assert_non_null(f->v);
	assert_int_equal(vsp_vm(f->v)->ncpus, 2);
	assert_true(host_recv(f->sv[0], f->buf, &type) > 0);
	assert_int_equal(type, VSP_HELLO);
	memset(&p, 0, sizeof(p));
	p.if_type = (enl_guid_t)ENL_GUID_HEARTBEAT;
	queue_offer_result(f, 1, 0, relid);
	assert_int_equal(vsp_offer(f->v, &p, &d_ops, f, &f->ch), 0);
	assert_int_equal(vsp_chan_relid(f->ch), relid);
	assert_true(host_recv(f->sv[0], f->buf, &type) > 0);
	assert_int_equal(type, VSP_OFFER);
}

static void test_connect_errors(void **state)
{
	struct dfix *f = dfix_new();
	struct vsp_offer_params p;
	struct vsp_chan *ch;
	int err;

	/* WELCOME whose RAM is larger than the memfd */
	queue_welcome(f, 8 * MB, 3 * MB, 4 * GB);
	assert_null(vsp_connect_fd(f->sv[1], "test", &err));
	assert_int_equal(err, -EPROTO);
	close(f->sv[0]);
	/* enl-host hangs up */
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, f->sv), 0);
	close(f->sv[0]);
	assert_null(vsp_connect_fd(f->sv[1], "test", &err));
	assert_true(err == -ECONNRESET || err == -EPIPE);
	/* OFFER refused with EEXIST */
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, f->sv), 0);
	queue_welcome(f, 4 * MB, 4 * MB, 0);
	f->v = vsp_connect_fd(f->sv[1], "test", &err);
	assert_non_null(f->v);
	queue_offer_result(f, 1, EEXIST, 0);
	memset(&p, 0, sizeof(p));
	assert_int_equal(vsp_offer(f->v, &p, &d_ops, f, &ch), -EEXIST);
	/* relid out of range */
	queue_offer_result(f, 2, 0, VMBUS_MAX_RELID + 1);
	assert_int_equal(vsp_offer(f->v, &p, &d_ops, f, &ch), -EPROTO);
	dfix_free(f);
}

static void send_gpadl(struct dfix *f, u32 relid, u32 id, const u64 *pfn,
		       u32 total, u32 first, u32 count, int len_delta)
{
	struct vsp_gpadl m = part(relid, id, total, first, count);

	memcpy(f->buf, &m, sizeof(m));
	memcpy(f->buf + sizeof(m), pfn + first, count * 8);
	m.hdr.len = (u32)((int)(sizeof(m) + count * 8) + len_delta);
	memcpy(f->buf, &m, sizeof(m));
	host_send(f->sv[0], f->buf, m.hdr.len, NULL, 0);
}

static void send_open(struct dfix *f, u32 relid, u32 gpadl, u32 down, int nfds)
{
	struct vsp_channel_open m;
	int fds[2] = { eventfd(0, 0), eventfd(0, 0) };

	memset(&m, 0, sizeof(m));
	m.hdr.type = VSP_CHANNEL_OPEN;
	m.hdr.len = sizeof(m);
	m.relid = relid;
	m.ring_gpadl = gpadl;
	m.downstream_offset = down;
	m.sief_gpa = 0x200000;
	host_send(f->sv[0], &m, sizeof(m), fds, nfds);
	close(fds[0]);
	close(fds[1]);
}

static void send_relid_msg(struct dfix *f, u32 type, u32 relid)
{
	struct vsp_relid m = { .hdr = { type, sizeof(m) }, .relid = relid };

	host_send(f->sv[0], &m, sizeof(m), NULL, 0);
}

/* The next message to the host is OPEN_REPLY {relid, status}. */
static void expect_open_reply(struct dfix *f, u32 relid, u32 status)
{
	struct vsp_open_reply r;
	u32 type = 0;

	assert_int_equal(host_recv(f->sv[0], f->buf, &type), sizeof(r));
	assert_int_equal(type, VSP_OPEN_REPLY);
	memcpy(&r, f->buf, sizeof(r));
	assert_int_equal(r.relid, relid);
	assert_int_equal(r.status, status);
}

static void pump(struct dfix *f)
{
	for (int i = 0; i < 20; i++)
		assert_int_equal(vsp_poll_once(f->v, 0), 0);
}

static void test_dispatch(void **state)
{
	struct dfix *f = dfix_new();
	u64 pfn[4] = { 0x100, 0x101, 0x102, 0x103 };
	u64 hole[4] = { 0x100, 0x300, 0x102, 0x103 };
	u32 type;
	int n;

	connect_and_offer(f, 5);
	/* the guest initialises its ring headers (pages 0x100, 0x102) */
	{
		static const u8 zero[4096];

		assert_int_equal(pwrite(f->ramfd, zero, 4096, 0x100000), 4096);
		assert_int_equal(pwrite(f->ramfd, zero, 4096, 0x102000), 4096);
	}

	/* junk that must be dropped without harm */
	{
		struct vsp_hdr h = { 9999, sizeof(h) };
		host_send(f->sv[0], &h, sizeof(h), NULL, 0);
		struct vsp_hdr lie = { VSP_CHANNEL_CLOSE, 100 };	/* len lies */
		host_send(f->sv[0], &lie, sizeof(lie), NULL, 0);
		host_send(f->sv[0], "abc", 3, NULL, 0);			/* short */
		struct vsp_relid shortc = { .hdr = { VSP_CHANNEL_CLOSE, 12 } };
		host_send(f->sv[0], &shortc, 12, NULL, 0);
	}
	send_gpadl(f, 5, 1, pfn, 4, 0, 4, 8);		/* length != count */
	send_gpadl(f, 9, 1, pfn, 4, 0, 4, 0);		/* not our relid */
	send_gpadl(f, 5, 2, hole, 4, 0, 4, 0);		/* has a page in the hole */
	send_open(f, 5, 1, 2, 0);			/* no fds */
	send_open(f, 5, 1, 2, 2);			/* GPADL 1 never completed */
	send_open(f, 5, 2, 2, 2);			/* GPADL 2 cannot be mapped */
	send_open(f, 9, 1, 2, 2);			/* not our relid */
	pump(f);
	/* every open is answered, with why it was refused */
	expect_open_reply(f, 5, EPROTO);
	expect_open_reply(f, 5, ENOENT);
	expect_open_reply(f, 5, ERANGE);
	expect_open_reply(f, 9, ENXIO);
	assert_int_equal(host_recv(f->sv[0], f->buf, &type), 0);
	assert_false(vsp_chan_is_open(f->ch));
	assert_int_equal(f->opens, 0);

	/* a good GPADL in two parts, then bad ring layouts, then a good open */
	send_gpadl(f, 5, 3, pfn, 4, 0, 3, 0);
	send_gpadl(f, 5, 3, pfn, 4, 3, 1, 0);
	send_open(f, 5, 3, 1, 2);			/* first ring has no data page */
	send_open(f, 5, 3, 3, 2);			/* second ring has no data page */
	/* a one-page ring GPADL: "total - 2" must not wrap into a pass */
	send_gpadl(f, 5, 8, pfn, 1, 0, 1, 0);
	send_open(f, 5, 8, 2, 2);
	pump(f);
	assert_int_equal(f->opens, 0);
	expect_open_reply(f, 5, EINVAL);
	expect_open_reply(f, 5, EINVAL);
	expect_open_reply(f, 5, EINVAL);
	send_open(f, 5, 3, 2, 2);
	pump(f);
	expect_open_reply(f, 5, 0);
	assert_true(vsp_chan_is_open(f->ch));
	assert_int_equal(f->opens, 1);
	assert_int_equal(f->kicks, 1);		/* on_kick once after on_open */
	assert_non_null(vsp_chan_open_info(f->ch));

	/* the host writes, the guest sees it in page 0x102.. (second ring) */
	assert_int_equal(vsp_chan_send(f->ch, VMBUS_PKT_INBAND, 0, 42, "hi", 2), 0);
	{
		u8 *ram = vsp_gpa(f->v, 0, 3 * MB);

		assert_non_null(ram);
		struct enl_ring_hdr *h = (struct enl_ring_hdr *)(ram + 0x102000);

		assert_int_equal(h->write_index, 32);
		assert_memory_equal(ram + 0x103000 + 16, "hi", 2);
		/* SIEF bit 5 of SINT 2 was set (signal: ring was empty) */
		assert_int_equal(ram[0x200000 + 2 * 256] & (1 << 5), 1 << 5);
	}
	/* vsp_gpa bounds */
	assert_null(vsp_gpa(f->v, 3 * MB, 1));
	assert_null(vsp_gpa(f->v, 0, 4 * MB));
	assert_non_null(vsp_gpa(f->v, 4 * GB, MB));

	/* teardown of the ring GPADL under the open channel: stops it */
	{
		struct vsp_gpadl_ref t = { .hdr = { VSP_GPADL_TEARDOWN, sizeof(t) },
					   .relid = 5, .gpadl = 3 };
		host_send(f->sv[0], &t, sizeof(t), NULL, 0);
		/* unknown GPADL: still answered */
		t.gpadl = 77;
		host_send(f->sv[0], &t, sizeof(t), NULL, 0);
	}
	pump(f);
	assert_false(vsp_chan_is_open(f->ch));
	assert_int_equal(f->closes, 1);
	assert_int_equal(f->teardowns, 1);
	n = host_recv(f->sv[0], f->buf, &type);
	assert_true(n > 0);
	assert_int_equal(type, VSP_GPADL_RELEASED);
	n = host_recv(f->sv[0], f->buf, &type);
	assert_int_equal(type, VSP_GPADL_RELEASED);
	assert_int_equal(vsp_chan_send(f->ch, VMBUS_PKT_INBAND, 0, 1, "x", 1), -ENOTCONN);

	/* close of a closed channel (and of an unknown relid): CLOSE_DONE */
	send_relid_msg(f, VSP_CHANNEL_CLOSE, 5);
	send_relid_msg(f, VSP_CHANNEL_CLOSE, 77);
	pump(f);
	assert_int_equal(host_recv(f->sv[0], f->buf, &type) > 0, 1);
	assert_int_equal(type, VSP_CLOSE_DONE);
	assert_int_equal(host_recv(f->sv[0], f->buf, &type) > 0, 1);
	assert_int_equal(type, VSP_CLOSE_DONE);
	assert_int_equal(f->closes, 1);

	/* reopen with a new GPADL, then rescind */
	send_gpadl(f, 5, 4, pfn, 4, 0, 4, 0);
	send_open(f, 5, 4, 2, 2);
	pump(f);
	expect_open_reply(f, 5, 0);
	assert_true(vsp_chan_is_open(f->ch));
	send_relid_msg(f, VSP_CHANNEL_RESCINDED, 5);
	pump(f);
	assert_false(vsp_chan_is_open(f->ch));
	assert_true(vsp_chan_is_rescinded(f->ch));
	assert_int_equal(f->rescinds, 1);
	assert_int_equal(f->closes, 2);

	/* corrupt the guest-to-host ring: the channel is dropped */
	send_open(f, 5, 4, 2, 2);
	pump(f);
	expect_open_reply(f, 5, 0);
	assert_true(vsp_chan_is_open(f->ch));
	assert_false(vsp_chan_is_rescinded(f->ch));
	{
		u8 *ram = vsp_gpa(f->v, 0, 3 * MB);
		struct enl_ring_hdr *h = (struct enl_ring_hdr *)(ram + 0x100000);
		u8 buf[64];
		u32 len;

		h->write_index = 12345;
		assert_int_equal(vsp_chan_recv(f->ch, buf, sizeof(buf), &len), -EPROTO);
		assert_false(vsp_chan_is_open(f->ch));
		pump(f);
		assert_int_equal(f->closes, 3);
	}

	/* enl-host goes away */
	close(f->sv[0]);
	assert_int_equal(vsp_poll_once(f->v, 100), 1);
	f->sv[0] = -1;
	dfix_free(f);
}

/* ---- control client against a fake enl-host ------------------------------ */

struct ctl_srv {
	int lfd;
	struct vsp_ctl got;
	u32 reply_status;
	const char *reply_text;
};

static void *ctl_server(void *arg)
{
	struct ctl_srv *s = arg;
	struct vsp_hello hello;
	struct vsp_welcome w = { .hdr = { VSP_WELCOME, sizeof(w) }, .version = 1 };
	u8 buf[512];
	struct vsp_ctl_reply *r = (struct vsp_ctl_reply *)buf;
	int fd = accept(s->lfd, NULL, NULL);
	size_t tl = strlen(s->reply_text) + 1;

	if (fd < 0)
		return NULL;
	if (recv(fd, &hello, sizeof(hello), 0) != sizeof(hello) ||
	    hello.role != VSP_ROLE_CONTROL) {
		close(fd);
		return NULL;
	}
	send(fd, &w, sizeof(w), 0);		/* enlctl must skip it */
	if (recv(fd, &s->got, sizeof(s->got), 0) != sizeof(s->got)) {
		close(fd);
		return NULL;
	}
	memset(buf, 0, sizeof(buf));
	r->hdr.type = VSP_CTL_REPLY;
	r->hdr.len = (u32)(sizeof(*r) + tl);
	r->status = s->reply_status;
	memcpy(r->text, s->reply_text, tl);
	send(fd, buf, r->hdr.len, 0);
	close(fd);
	return NULL;
}

static void test_ctl_request(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ctl_srv s = { .reply_status = 0, .reply_text = "vmbus: connected\n" };
	pthread_t t;
	u32 status;
	char *text = NULL;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/enl-test-ctl-%d.sock",
		 (int)getpid());
	unlink(sa.sun_path);
	s.lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_int_equal(bind(s.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s.lfd, 1), 0);

	pthread_create(&t, NULL, ctl_server, &s);
	assert_int_equal(vsp_ctl_request(sa.sun_path, VSP_CTL_STATUS,
					 VSP_CTL_FLAG_JSON, 0, &status, &text), 0);
	pthread_join(t, NULL);
	assert_int_equal(s.got.hdr.type, VSP_CTL_STATUS);
	assert_int_equal(s.got.flags, VSP_CTL_FLAG_JSON);
	assert_int_equal(status, 0);
	assert_string_equal(text, "vmbus: connected\n");
	free(text);

	s.reply_status = EALREADY;
	s.reply_text = "relid 3 already rescinded";
	pthread_create(&t, NULL, ctl_server, &s);
	assert_int_equal(vsp_ctl_request(sa.sun_path, VSP_CTL_RESCIND, 0, 3,
					 &status, &text), 0);
	pthread_join(t, NULL);
	assert_int_equal(s.got.hdr.type, VSP_CTL_RESCIND);
	assert_int_equal(s.got.relid, 3);
	assert_int_equal(status, EALREADY);
	assert_string_equal(text, "relid 3 already rescinded");
	free(text);

	close(s.lfd);
	unlink(sa.sun_path);
	/* nobody listening */
	assert_int_equal(vsp_ctl_request(sa.sun_path, VSP_CTL_STATUS, 0, 0,
					 &status, &text), -ENOENT);
}

/* ---- relayed operator commands ------------------------------------------ */

struct cmd_seen {
	int calls;
	u32 req_id;
	char cmd[64];
	bool answer_now;
};

static void cmd_handler(struct vsp *v, u32 req_id, const char *cmd, void *priv)
{
	struct cmd_seen *c = priv;

	c->calls++;
	c->req_id = req_id;
	snprintf(c->cmd, sizeof(c->cmd), "%s", cmd);
	if (c->answer_now)
		vsp_command_reply(v, req_id, 0, "done: %s", cmd);
}

static void send_cmd(struct dfix *f, u32 req_id, const char *cmd, bool nul)
{
	struct vsp_daemon_cmd *m = calloc(1, sizeof(*m));

	m->hdr.type = VSP_DAEMON_CMD;
	m->hdr.len = sizeof(*m);
	m->req_id = req_id;
	if (nul)
		snprintf(m->cmd, sizeof(m->cmd), "%s", cmd);
	else
		memset(m->cmd, 'x', sizeof(m->cmd));
	host_send(f->sv[0], m, sizeof(*m), NULL, 0);
	free(m);
}

/* The next DAEMON_REPLY: its status, text in f->buf's reply. */
static const struct vsp_daemon_reply *expect_reply(struct dfix *f, u32 req_id,
						   u32 status)
{
	const struct vsp_daemon_reply *r = (const void *)f->buf;
	u32 type;
	int n = host_recv(f->sv[0], f->buf, &type);

	assert_true(n > (int)sizeof(*r));
	assert_int_equal(type, VSP_DAEMON_REPLY);
	assert_int_equal(r->req_id, req_id);
	assert_int_equal(r->status, status);
	assert_int_equal(f->buf[n - 1], 0);	/* NUL-terminated at len */
	return r;
}

static void test_commands(void **state)
{
	struct dfix *f = dfix_new();
	struct cmd_seen c = { .answer_now = true };
	const struct vsp_daemon_reply *r;
	char *big;
	u32 type;

	connect_and_offer(f, 5);
	/* no handler: ENOSYS, with the daemon's name */
	send_cmd(f, 7, "shutdown", true);
	pump(f);
	r = expect_reply(f, 7, ENOSYS);
	assert_non_null(strstr(r->text, "test"));
	/* answered from the handler */
	vsp_set_command_handler(f->v, cmd_handler, &c);
	send_cmd(f, 8, "kvp set 0 a%20b c", true);
	pump(f);
	assert_int_equal(c.calls, 1);
	assert_string_equal(c.cmd, "kvp set 0 a%20b c");
	r = expect_reply(f, 8, 0);
	assert_string_equal(r->text, "done: kvp set 0 a%20b c");
	/* a command without its NUL is refused before the handler */
	send_cmd(f, 9, NULL, false);
	pump(f);
	expect_reply(f, 9, EINVAL);
	assert_int_equal(c.calls, 1);
	/* answered later, from the loop */
	c.answer_now = false;
	send_cmd(f, 10, "time", true);
	pump(f);
	assert_int_equal(host_recv(f->sv[0], f->buf, &type), 0);
	assert_int_equal(vsp_command_reply(f->v, c.req_id, ETIMEDOUT,
					   "guest silent"), 0);
	r = expect_reply(f, 10, ETIMEDOUT);
	assert_string_equal(r->text, "guest silent");
	/* a text longer than a message is cut, still NUL-terminated */
	big = malloc(2 * VSP_MSG_MAX);
	memset(big, 'a', 2 * VSP_MSG_MAX - 1);
	big[2 * VSP_MSG_MAX - 1] = 0;
	assert_int_equal(vsp_command_reply(f->v, 11, 0, "%s", big), 0);
	r = expect_reply(f, 11, 0);
	assert_int_equal(r->hdr.len, VSP_MSG_MAX);
	assert_int_equal(strlen(r->text), VSP_MSG_MAX - sizeof(*r) - 1);
	free(big);
	/* a DAEMON_CMD of the wrong size is dropped, unanswered */
	{
		struct vsp_daemon_cmd m = { .hdr = { VSP_DAEMON_CMD, 16 } };

		host_send(f->sv[0], &m, 16, NULL, 0);
	}
	pump(f);
	assert_int_equal(host_recv(f->sv[0], f->buf, &type), 0);
	assert_int_equal(c.calls, 2);
	dfix_free(f);
}

/* The words of a command line: %XX inside words, one space between. */
static void test_cmd_words(void **state)
{
	char line[64] = "", *w[8];
	char small[8] = "";

	assert_int_equal(vspc_cmd_encode(line, sizeof(line), "kvp"), 0);
	assert_int_equal(vspc_cmd_encode(line, sizeof(line), "a b%c"), 0);
	assert_int_equal(vspc_cmd_encode(line, sizeof(line), "\tx\x7f\xc3\xa9"), 0);
	assert_string_equal(line, "kvp a%20b%25c %09x%7F\xc3\xa9");
	assert_int_equal(vspc_cmd_encode(line, sizeof(line), ""), -EINVAL);
	assert_int_equal(vspc_cmd_encode(small, sizeof(small), "12345678"), -ENOSPC);
	assert_int_equal(vspc_cmd_encode(small, sizeof(small), "1234567"), 0);
	assert_int_equal(vspc_cmd_encode(small, sizeof(small), "x"), -ENOSPC);
	assert_string_equal(small, "1234567");
	assert_int_equal(vspc_cmd_split(line, w, 8), 3);
	assert_string_equal(w[0], "kvp");
	assert_string_equal(w[1], "a b%c");
	assert_string_equal(w[2], "\tx\x7f\xc3\xa9");
	strcpy(line, "");
	assert_int_equal(vspc_cmd_split(line, w, 8), 0);
	strcpy(line, "a  b");
	assert_int_equal(vspc_cmd_split(line, w, 8), -EINVAL);
	strcpy(line, " a");
	assert_int_equal(vspc_cmd_split(line, w, 8), -EINVAL);
	strcpy(line, "a ");
	assert_int_equal(vspc_cmd_split(line, w, 8), -EINVAL);
	strcpy(line, "a%00");
	assert_int_equal(vspc_cmd_split(line, w, 8), -EINVAL);
	strcpy(line, "a%2");
	assert_int_equal(vspc_cmd_split(line, w, 8), -EINVAL);
	strcpy(line, "a%zz");
	assert_int_equal(vspc_cmd_split(line, w, 8), -EINVAL);
	strcpy(line, "a b c");
	assert_int_equal(vspc_cmd_split(line, w, 2), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ram_setup),
		cmocka_unit_test(test_ram_offset),
		cmocka_unit_test(test_map_pfns),
		cmocka_unit_test(test_gpadl_parts),
		cmocka_unit_test(test_guid),
		cmocka_unit_test(test_gpa_range_iov),
		cmocka_unit_test(test_connect_errors),
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_ctl_request),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_cmd_words),
	};

	vsp_verbose = getenv("VSP_TEST_VERBOSE") ? 2 : -1;
	return cmocka_run_group_tests_name("libvsp", tests, NULL, NULL);
}
