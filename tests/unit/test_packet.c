// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of include/enl/vmbus_packet.c: the checks both sides run on
 * every packet the other side wrote into a ring.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include <enl/vmbus_packet.h>

/* A packet under construction, 8-byte aligned like a ring copy. */
struct pkt {
	u64 q[512];
	u32 len;
};

static void put32(struct pkt *p, u32 off, u32 v)
{
	memcpy((u8 *)p->q + off, &v, 4);
}

static void put64(struct pkt *p, u32 off, u64 v)
{
	memcpy((u8 *)p->q + off, &v, 8);
}

/* Descriptor with hdr_len bytes up to the payload and payload_len more. */
static void desc(struct pkt *p, u16 type, u32 hdr_len, u32 payload_len)
{
	struct vmbus_pkt_desc d = {
		.type = type, .offset8 = (u16)(hdr_len / 8),
		.len8 = (u16)((hdr_len + payload_len) / 8),
		.flags = VMBUS_PKT_FLAG_COMPLETION_REQUESTED, .trans_id = 0x1122334455ull,
	};

	memset(p, 0, sizeof(*p));
	memcpy(p->q, &d, sizeof(d));
	p->len = hdr_len + payload_len;
}

static void test_inband_and_completion(void **state)
{
	struct enl_pkt k;
	struct pkt p;

	desc(&p, VMBUS_PKT_INBAND, 16, 24);
	put64(&p, 16, 0xabcdef);
	assert_int_equal(enl_pkt_parse(p.q, p.len, &k), 0);
	assert_int_equal(k.type, VMBUS_PKT_INBAND);
	assert_int_equal(k.flags, VMBUS_PKT_FLAG_COMPLETION_REQUESTED);
	assert_true(k.trans_id == 0x1122334455ull);
	assert_ptr_equal(k.payload, (u8 *)p.q + 16);
	assert_int_equal(k.payload_len, 24);
	assert_int_equal(k.range_count, 0);

	/* an empty completion; a payload that starts later (offset8 = 4) */
	desc(&p, VMBUS_PKT_COMPLETION, 16, 0);
	assert_int_equal(enl_pkt_parse(p.q, p.len, &k), 0);
	assert_int_equal(k.payload_len, 0);
	desc(&p, VMBUS_PKT_INBAND, 32, 8);
	assert_int_equal(enl_pkt_parse(p.q, p.len, &k), 0);
	assert_int_equal(k.payload_len, 8);
}

static void test_bad_descriptors(void **state)
{
	struct enl_pkt k;
	struct pkt p;

	desc(&p, VMBUS_PKT_INBAND, 16, 8);
	assert_int_equal(enl_pkt_parse(p.q, 8, &k), -EPROTO);		/* short */
	assert_int_equal(enl_pkt_parse(p.q, 32, &k), -EPROTO);		/* len8 */
	desc(&p, VMBUS_PKT_INBAND, 8, 16);				/* offset8 1 */
	assert_int_equal(enl_pkt_parse(p.q, p.len, &k), -EPROTO);
	desc(&p, VMBUS_PKT_INBAND, 16, 8);
	put32(&p, 0, VMBUS_PKT_INBAND | (4u << 16));			/* offset past len */
	assert_int_equal(enl_pkt_parse(p.q, p.len, &k), -EPROTO);
	desc(&p, 8 /* data using GPADL */, 16, 8);
	assert_int_equal(enl_pkt_parse(p.q, p.len, &k), -EOPNOTSUPP);
	desc(&p, 0, 16, 8);
	assert_int_equal(enl_pkt_parse(p.q, p.len, &k), -EOPNOTSUPP);
}

static void test_xfer_pages(void **state)
{
	struct vmbus_xfer_range r;
	struct enl_pkt k;
	struct pkt p;

	/* 24-byte header + 2 ranges = 40 bytes of descriptor area */
	desc(&p, VMBUS_PKT_XFER_PAGES, 40, 16);
	put32(&p, 16, 0xcafe | (1u << 16));	/* pageset 0xcafe, sender owns */
	put32(&p, 20, 2);
	put32(&p, 24, 100);	put32(&p, 28, 4096);
	put32(&p, 32, 200);	put32(&p, 36, 8192);
	assert_int_equal(enl_pkt_parse(p.q, p.len, &k), 0);
	assert_int_equal(k.pageset_id, 0xcafe);
	assert_int_equal(k.sender_owns_set, 1);
	assert_int_equal(k.range_count, 2);
	r = enl_pkt_xfer_range(&k, 1);
	assert_int_equal(r.byte_count, 200);
	assert_int_equal(r.byte_offset, 8192);
	r = enl_pkt_xfer_range(&k, 2);			/* past the end */
	assert_int_equal(r.byte_count, 0);
	assert_int_equal(k.payload_len, 16);

	put32(&p, 20, 3);				/* more than fit */
	assert_int_equal(enl_pkt_parse(p.q, p.len, &k), -EPROTO);
	put32(&p, 20, 0xffffffff);
	assert_int_equal(enl_pkt_parse(p.q, p.len, &k), -EPROTO);
	desc(&p, VMBUS_PKT_XFER_PAGES, 16, 16);		/* no room for header */
	assert_int_equal(enl_pkt_parse(p.q, p.len, &k), -EPROTO);
}

/* GPA-direct header at 16, ranges from 24 */
static void gpa_pkt(struct pkt *p, u32 hdr_len, u32 range_count)
{
	desc(p, VMBUS_PKT_GPA_DIRECT, hdr_len, 8);
	put32(p, 20, range_count);
}

static void test_gpa_direct(void **state)
{
	struct enl_pkt_gpa_iter it = { 0, 0 };
	struct enl_pkt_gpa_range r;
	struct enl_pkt k;
	struct pkt p;

	/* range 0: 5000 bytes from offset 100 = 2 pages; range 1: one page */
	gpa_pkt(&p, 24 + 8 + 16 + 8 + 8, 2);
	put32(&p, 24, 5000);	put32(&p, 28, 100);
	put64(&p, 32, 0x1000);	put64(&p, 40, 0x2345);
	put32(&p, 48, 4096);	put32(&p, 52, 0);
	put64(&p, 56, 0x777);
	assert_int_equal(enl_pkt_parse(p.q, p.len, &k), 0);
	assert_int_equal(k.range_count, 2);
	assert_int_equal(enl_pkt_next_gpa_range(&k, &it, &r), 1);
	assert_int_equal(r.byte_count, 5000);
	assert_int_equal(r.byte_offset, 100);
	assert_int_equal(r.pfn_count, 2);
	assert_true(r.pfn[0] == 0x1000 && r.pfn[1] == 0x2345);
	assert_int_equal(enl_pkt_next_gpa_range(&k, &it, &r), 1);
	assert_int_equal(r.pfn_count, 1);
	assert_true(r.pfn[0] == 0x777);
	assert_int_equal(enl_pkt_next_gpa_range(&k, &it, &r), 0);
	assert_int_equal(k.payload_len, 8);

	/* 4098 bytes from offset 4095 span 3 pages: the area is too short */
	put32(&p, 24, 4098);	put32(&p, 28, 4095);
	assert_int_equal(enl_pkt_parse(p.q, p.len, &k), -EPROTO);
	/* offset not inside the first page; empty range */
	put32(&p, 24, 10);	put32(&p, 28, 4096);
	assert_int_equal(enl_pkt_parse(p.q, p.len, &k), -EPROTO);
	put32(&p, 24, 0);	put32(&p, 28, 0);
	assert_int_equal(enl_pkt_parse(p.q, p.len, &k), -EPROTO);
	/* a byte count that would wrap a 32-bit end: 2^20 pages, no room */
	put32(&p, 24, 0xffffffff);	put32(&p, 28, 4095);
	assert_int_equal(enl_pkt_parse(p.q, p.len, &k), -EPROTO);
	/* more ranges than the area holds */
	put32(&p, 24, 5000);	put32(&p, 28, 100);
	put32(&p, 20, 3);
	assert_int_equal(enl_pkt_parse(p.q, p.len, &k), -EPROTO);
	put32(&p, 20, 0x80000000u);
	assert_int_equal(enl_pkt_parse(p.q, p.len, &k), -EPROTO);
	/* no ranges at all is well formed (nothing to transfer) */
	gpa_pkt(&p, 24, 0);
	assert_int_equal(enl_pkt_parse(p.q, p.len, &k), 0);
	it = (struct enl_pkt_gpa_iter){ 0, 0 };
	assert_int_equal(enl_pkt_next_gpa_range(&k, &it, &r), 0);
	/* header cut short */
	gpa_pkt(&p, 16, 0);
	assert_int_equal(enl_pkt_parse(p.q, p.len, &k), -EPROTO);
}

static void test_iterators_refuse_other_types(void **state)
{
	struct enl_pkt_gpa_iter it = { 0, 0 };
	struct enl_pkt_gpa_range r;
	struct vmbus_xfer_range x;
	struct enl_pkt k;
	struct pkt p;

	desc(&p, VMBUS_PKT_INBAND, 16, 8);
	assert_int_equal(enl_pkt_parse(p.q, p.len, &k), 0);
	k.range_count = 5;	/* even if a caller corrupts it */
	assert_int_equal(enl_pkt_next_gpa_range(&k, &it, &r), 0);
	x = enl_pkt_xfer_range(&k, 0);
	assert_int_equal(x.byte_count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inband_and_completion),
		cmocka_unit_test(test_bad_descriptors),
		cmocka_unit_test(test_xfer_pages),
		cmocka_unit_test(test_gpa_direct),
		cmocka_unit_test(test_iterators_refuse_other_types),
	};

	return cmocka_run_group_tests_name("vmbus_packet", tests, NULL, NULL);
}
