// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VMBus server driven by a simulated guest: every message type, every
 * protocol version, and malformed input of each kind.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "tests/unit/vmbus_sim.h"

static const enl_guid_t heartbeat = ENL_GUID_HEARTBEAT;
static const enl_guid_t scsi = ENL_GUID_SCSI;
static const enl_guid_t inst_a = ENL_GUID(0x11111111, 0x2222, 0x3333, 1, 2, 3, 4, 5, 6, 7, 8);
static const enl_guid_t inst_b = ENL_GUID(0x44444444, 0x5555, 0x6666, 1, 2, 3, 4, 5, 6, 7, 8);

/* Page numbers sit at 4-byte offsets inside messages: store bytewise. */
static void put_u64(uint8_t *base, unsigned int idx, uint64_t v)
{
	memcpy(base + 8 * idx, &v, sizeof(v));
}

static uint64_t post(struct sim *t, uint32_t conn, const void *m, uint32_t len)
{
	return vmbus_server_post(&t->s, conn, HV_MESSAGE_TYPE_VMBUS, m, len);
}

static uint32_t msg_conn(uint32_t version)
{
	return version >= VMBUS_VERSION_WIN10_V5 ? VMBUS_MESSAGE_CONNECTION_ID_4 :
						   VMBUS_MESSAGE_CONNECTION_ID;
}

static const struct sim_msg *last(struct sim *t)
{
	assert_true(t->nout > 0);
	return &t->out[t->nout - 1];
}

static uint32_t last_type(struct sim *t)
{
	const struct vmbus_msg_hdr *h = (const void *)last(t)->data;

	return h->msgtype;
}

static void connect(struct sim *t, uint32_t version)
{
	struct vmbus_initiate_contact m = {
		.hdr.msgtype = CHANNELMSG_INITIATE_CONTACT,
		.version_requested = version,
		.target_vcpu = 0,
	};
	const struct vmbus_version_response *r;

	if (version >= VMBUS_VERSION_WIN10_V5)
		m.msg_sint = HV_VMBUS_SINT;
	assert_int_equal(post(t, msg_conn(version), &m, sizeof(m)),
			 HV_STATUS_SUCCESS);
	assert_int_equal(last_type(t), CHANNELMSG_VERSION_RESPONSE);
	r = (const void *)last(t)->data;
	assert_int_equal(r->version_supported, 1);
	assert_int_equal(r->msg_conn_id, version >= VMBUS_VERSION_WIN10_V5 ?
			 VMBUS_MESSAGE_CONNECTION_ID_4 : 0);
	assert_int_equal(t->s.state, VMBUS_CONNECTED);
}

static void request_offers(struct sim *t)
{
	struct vmbus_msg_hdr m = { .msgtype = CHANNELMSG_REQUESTOFFERS };

	post(t, t->s.msg_conn_id, &m, sizeof(m));
	assert_int_equal(last_type(t), CHANNELMSG_ALLOFFERS_DELIVERED);
}

/* A guest at 5.3 with one heartbeat channel offered; returns its relid. */
static uint32_t setup(struct sim *t)
{
	struct vmbus_channel *ch;

	sim_init(t);
	ch = sim_offer(t, &heartbeat, &inst_a, 0);
	assert_non_null(ch);
	connect(t, VMBUS_VERSION_WIN10_V5_3);
	request_offers(t);
	return ch->relid;
}

/* GPADL of npages pages from first_pfn (modulo wrap pages when wrap is not
 * 0, so huge GPADLs stay inside guest RAM), split like Linux. */
static void gpadl_wrap(struct sim *t, uint32_t relid, uint32_t handle,
		       uint64_t first_pfn, uint32_t npages, uint32_t wrap);

static void gpadl(struct sim *t, uint32_t relid, uint32_t handle,
		  uint64_t first_pfn, uint32_t npages)
{
	gpadl_wrap(t, relid, handle, first_pfn, npages, 0);
}

static uint64_t pfn_at(uint64_t first, uint32_t i, uint32_t wrap)
{
	return wrap ? first + i % wrap : first + i;
}

static void gpadl_wrap(struct sim *t, uint32_t relid, uint32_t handle,
		       uint64_t first_pfn, uint32_t npages, uint32_t wrap)
{
	uint8_t buf[HV_MESSAGE_PAYLOAD_MAX];
	struct vmbus_gpadl_header *h = (void *)buf;
	struct vmbus_gpa_range *r = (void *)(buf + sizeof(*h));
	uint8_t *pfn = (uint8_t *)(r + 1);
	uint32_t n = npages < VMBUS_GPADL_HEADER_PFNS ? npages :
		     VMBUS_GPADL_HEADER_PFNS, done, i, msgno = 1;

	memset(buf, 0, sizeof(buf));
	h->hdr.msgtype = CHANNELMSG_GPADL_HEADER;
	h->child_relid = relid;
	h->gpadl = handle;
	h->rangecount = 1;
	h->range_buflen = (uint16_t)(sizeof(*r) + npages * 8);
	r->byte_count = npages * 4096;
	r->byte_offset = 0;
	for (i = 0; i < n; i++)
		put_u64(pfn, i, pfn_at(first_pfn, i, wrap));
	post(t, t->s.msg_conn_id, buf, (uint32_t)(sizeof(*h) + sizeof(*r) + n * 8));
	for (done = n; done < npages; done += n) {
		struct vmbus_gpadl_body *b = (void *)buf;

		n = npages - done < VMBUS_GPADL_BODY_PFNS ? npages - done :
		    VMBUS_GPADL_BODY_PFNS;
		memset(buf, 0, sizeof(buf));
		b->hdr.msgtype = CHANNELMSG_GPADL_BODY;
		b->msgnumber = msgno++;
		b->gpadl = handle;
		for (i = 0; i < n; i++)
			put_u64((uint8_t *)(b + 1), i, pfn_at(first_pfn, done + i, wrap));
		post(t, t->s.msg_conn_id, buf, (uint32_t)(sizeof(*b) + n * 8));
	}
}

static uint32_t last_gpadl_status(struct sim *t, uint32_t handle)
{
	const struct vmbus_gpadl_created *c = (const void *)last(t)->data;

	assert_int_equal(last_type(t), CHANNELMSG_GPADL_CREATED);
	assert_int_equal(c->gpadl, handle);
	return c->creation_status;
}

static uint32_t open_chan(struct sim *t, uint32_t relid, uint32_t handle,
			  uint32_t offset, uint32_t vp)
{
	struct vmbus_open_channel m = {
		.hdr.msgtype = CHANNELMSG_OPENCHANNEL,
		.child_relid = relid, .openid = relid, .ring_gpadl = handle,
		.target_vp = vp, .downstream_page_offset = offset,
	};
	const struct vmbus_open_result *r;

	post(t, t->s.msg_conn_id, &m, sizeof(m));
	assert_int_equal(last_type(t), CHANNELMSG_OPENCHANNEL_RESULT);
	r = (const void *)last(t)->data;
	assert_int_equal(r->child_relid, relid);
	return r->status;
}

static void simple(struct sim *t, uint32_t type, uint32_t relid)
{
	struct vmbus_relid_msg m = { .hdr.msgtype = type, .child_relid = relid };

	post(t, t->s.msg_conn_id, &m, sizeof(m));
}

static void teardown_msg(struct sim *t, uint32_t relid, uint32_t handle)
{
	struct vmbus_gpadl_teardown m = {
		.hdr.msgtype = CHANNELMSG_GPADL_TEARDOWN,
		.child_relid = relid, .gpadl = handle,
	};

	post(t, t->s.msg_conn_id, &m, sizeof(m));
}

/* ---- tests ---------------------------------------------------------------- */

static void test_every_version(void **state)
{
	static const uint32_t ok[] = {
		VMBUS_VERSION_WIN8, VMBUS_VERSION_WIN8_1, VMBUS_VERSION_WIN10,
		VMBUS_VERSION_WIN10_V4_1, VMBUS_VERSION_WIN10_V5,
		VMBUS_VERSION_WIN10_V5_1, VMBUS_VERSION_WIN10_V5_2,
		VMBUS_VERSION_WIN10_V5_3,
	};
	struct sim *t = malloc(sizeof(*t));
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		sim_init(t);
		connect(t, ok[i]);
		assert_int_equal(t->s.version, ok[i]);
		assert_int_equal(last(t)->vp, 0);
		assert_int_equal(last(t)->sint, HV_VMBUS_SINT);
		request_offers(t);
	}
	free(t);
}

static void test_unsupported_versions(void **state)
{
	static const uint32_t bad[] = {
		0, VMBUS_VERSION(0, 13), VMBUS_VERSION(1, 1),
		VMBUS_VERSION(2, 0), VMBUS_VERSION(5, 4), VMBUS_VERSION(6, 0),
		0xffffffff,
	};
	struct sim *t = malloc(sizeof(*t));
	struct vmbus_initiate_contact m = {
		.hdr.msgtype = CHANNELMSG_INITIATE_CONTACT,
	};
	const struct vmbus_version_response *r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sim_init(t);
		m.version_requested = bad[i];
		post(t, VMBUS_MESSAGE_CONNECTION_ID, &m, sizeof(m));
		r = (const void *)last(t)->data;
		assert_int_equal(last_type(t), CHANNELMSG_VERSION_RESPONSE);
		assert_int_equal(r->version_supported, 0);
		assert_int_equal(t->s.state, VMBUS_DISCONNECTED);
	}
	/* 5.x on the pre-5.0 connection, 4.x on connection 4, other SINTs. */
	sim_init(t);
	m.version_requested = VMBUS_VERSION_WIN10_V5_3;
	m.msg_sint = HV_VMBUS_SINT;
	post(t, VMBUS_MESSAGE_CONNECTION_ID, &m, sizeof(m));
	assert_int_equal(((const struct vmbus_version_response *)last(t)->data)->version_supported, 0);
	m.version_requested = VMBUS_VERSION_WIN10;
	post(t, VMBUS_MESSAGE_CONNECTION_ID_4, &m, sizeof(m));
	assert_int_equal(((const struct vmbus_version_response *)last(t)->data)->version_supported, 0);
	m.version_requested = VMBUS_VERSION_WIN10_V5;
	m.msg_sint = 7;
	post(t, VMBUS_MESSAGE_CONNECTION_ID_4, &m, sizeof(m));
	assert_int_equal(((const struct vmbus_version_response *)last(t)->data)->version_supported, 0);
	/* A VP that does not exist gets no answer at all. */
	t->nout = 0;
	m.msg_sint = HV_VMBUS_SINT;
	m.target_vcpu = SIM_NCPUS;
	post(t, VMBUS_MESSAGE_CONNECTION_ID_4, &m, sizeof(m));
	assert_int_equal(t->nout, 0);
	/* A lowered maximum refuses what lies above it. */
	sim_init(t);
	t->s.version_max = VMBUS_VERSION_WIN10_V5_1;
	m.target_vcpu = 0;
	m.version_requested = VMBUS_VERSION_WIN10_V5_3;
	post(t, VMBUS_MESSAGE_CONNECTION_ID_4, &m, sizeof(m));
	assert_int_equal(((const struct vmbus_version_response *)last(t)->data)->version_supported, 0);
	/*
	 * Below 5.0 the host is a pre-2016 one: connection 4 does not exist,
	 * the hypercall fails with INVALID_CONNECTION_ID and nothing is
	 * answered (stock hv_vmbus then tries 4.x on connection 1).
	 */
	sim_init(t);
	t->s.version_max = VMBUS_VERSION_WIN10_V4_1;
	t->nout = 0;
	assert_int_equal(post(t, VMBUS_MESSAGE_CONNECTION_ID_4, &m, sizeof(m)),
			 HV_STATUS_INVALID_CONNECTION_ID);
	assert_int_equal(t->nout, 0);
	connect(t, VMBUS_VERSION_WIN10_V4_1);
	free(t);
}

static void test_hypercall_level_errors(void **state)
{
	struct sim *t = malloc(sizeof(*t));
	struct vmbus_msg_hdr m = { .msgtype = CHANNELMSG_REQUESTOFFERS };
	uint8_t big[HV_MESSAGE_PAYLOAD_MAX + 1] = { 0 };

	sim_init(t);
	assert_int_equal(post(t, 99, &m, sizeof(m)),
			 HV_STATUS_INVALID_CONNECTION_ID);
	/* Issue 8 failure 7: connection 0 is no message connection, also
	 * before INITIATE_CONTACT. */
	assert_int_equal(post(t, 0, &m, sizeof(m)),
			 HV_STATUS_INVALID_CONNECTION_ID);
	assert_int_equal(t->s.stats_messages, 0);
	assert_int_equal(vmbus_server_post(&t->s, 1, 2, &m, sizeof(m)),
			 HV_STATUS_INVALID_PARAMETER);
	assert_int_equal(post(t, 1, big, sizeof(big)),
			 HV_STATUS_INVALID_PARAMETER);
	/* Before INITIATE_CONTACT: accepted by the hypercall, then dropped. */
	assert_int_equal(post(t, 1, &m, sizeof(m)), HV_STATUS_SUCCESS);
	assert_int_equal(t->nout, 0);
	assert_int_equal(t->s.stats_dropped, 1);
	/* Shorter than a header. */
	assert_int_equal(post(t, 1, &m, 3), HV_STATUS_SUCCESS);
	assert_int_equal(t->nout, 0);
	/* After a 5.x connect, the old connection id is refused. */
	connect(t, VMBUS_VERSION_WIN10_V5_3);
	assert_int_equal(post(t, VMBUS_MESSAGE_CONNECTION_ID, &m, sizeof(m)),
			 HV_STATUS_INVALID_CONNECTION_ID);
	free(t);
}

static void test_offers(void **state)
{
	struct sim *t = malloc(sizeof(*t));
	struct vmbus_channel *a, *sub, *b;
	const struct vmbus_offer_channel *o;
	unsigned int base;

	sim_init(t);
	a = sim_offer(t, &scsi, &inst_a, 0);
	sub = sim_offer(t, &scsi, &inst_a, 1);
	b = sim_offer(t, &heartbeat, &inst_b, 0);
	assert_non_null(a);
	assert_non_null(sub);
	assert_non_null(b);
	/* The same instance and index twice is refused. */
	assert_null(sim_offer(t, &scsi, &inst_a, 0));
	assert_true(a->relid != sub->relid && a->relid != b->relid);
	assert_int_equal(t->nout, 0);	/* nobody asked yet */
	connect(t, VMBUS_VERSION_WIN10_V5_3);
	base = t->nout;
	request_offers(t);
	assert_int_equal(t->nout, base + 4);
	/* Primaries first, the subchannel after them, then ALLOFFERS. */
	o = (const void *)t->out[base].data;
	assert_int_equal(o->hdr.msgtype, CHANNELMSG_OFFERCHANNEL);
	assert_int_equal(t->out[base].len, sizeof(*o));
	assert_int_equal(o->sub_channel_index, 0);
	o = (const void *)t->out[base + 2].data;
	assert_int_equal(o->sub_channel_index, 1);
	assert_int_equal(o->child_relid, sub->relid);
	assert_int_equal(o->connection_id, VMBUS_CONN_ID_BASE + sub->relid);
	assert_memory_equal(&o->if_type, &scsi, sizeof(scsi));
	assert_memory_equal(&o->if_instance, &inst_a, sizeof(inst_a));
	assert_int_equal(o->monitor_allocated, 0);
	assert_int_equal(o->is_dedicated_interrupt, 1);
	/* An offer made later goes out at once. */
	base = t->nout;
	assert_non_null(sim_offer(t, &heartbeat, &inst_b, 1));
	assert_int_equal(t->nout, base + 1);
	assert_int_equal(last_type(t), CHANNELMSG_OFFERCHANNEL);
	free(t);
}

static void test_gpadl_and_open(void **state)
{
	struct sim *t = malloc(sizeof(*t));
	uint32_t relid = setup(t);
	struct vmbus_gpadl *g;
	unsigned int i;

	/* Fits in the header; then one that needs several bodies. */
	gpadl(t, relid, 0x100, 10, 8);
	assert_int_equal(last_gpadl_status(t, 0x100), 0);
	gpadl(t, relid, 0x101, 100, 200);
	assert_int_equal(last_gpadl_status(t, 0x101), 0);
	g = vmbus_server_gpadl(&t->s, 0x101);
	assert_non_null(g);
	assert_int_equal(g->npages, 200);
	for (i = 0; i < 200; i++)
		assert_int_equal(g->pfns[i], 100 + i);
	assert_int_equal(t->created, 2);
	/* 200 pages: the header's share, then full bodies and a last one */
	assert_int_equal(t->s.stats_gpadls, 2);
	assert_int_equal(t->s.stats_gpadl_bodies,
			 (200 - VMBUS_GPADL_HEADER_PFNS + VMBUS_GPADL_BODY_PFNS - 1) /
			 VMBUS_GPADL_BODY_PFNS);

	assert_int_not_equal(open_chan(t, relid, 0x100, 1, 0), 0);  /* offset */
	assert_int_not_equal(open_chan(t, relid, 0x100, 7, 0), 0);
	assert_int_not_equal(open_chan(t, relid, 0x999, 4, 0), 0);  /* gpadl */
	assert_int_not_equal(open_chan(t, relid, 0x100, 4, 9), 0);  /* vp */
	assert_int_not_equal(open_chan(t, relid + 7, 0x100, 4, 0), 0);
	assert_int_equal(t->opened, 0);
	assert_int_equal(open_chan(t, relid, 0x100, 4, 1), 0);
	assert_int_equal(t->opened, 1);
	assert_int_equal(vmbus_server_channel(&t->s, relid)->state, CHAN_OPEN);
	assert_int_equal(vmbus_server_channel(&t->s, relid)->target_vp, 1);
	assert_int_not_equal(open_chan(t, relid, 0x100, 4, 0), 0);  /* twice */

	simple(t, CHANNELMSG_CLOSECHANNEL, relid);
	assert_int_equal(t->closed, 1);
	simple(t, CHANNELMSG_CLOSECHANNEL, relid);	/* not open: ignored */
	assert_int_equal(t->closed, 1);
	teardown_msg(t, relid, 0x100);
	assert_int_equal(last_type(t), CHANNELMSG_GPADL_TORNDOWN);
	assert_null(vmbus_server_gpadl(&t->s, 0x100));
	/* Reopen works after a close. */
	gpadl(t, relid, 0x102, 10, 8);
	assert_int_equal(open_chan(t, relid, 0x102, 4, 0), 0);
	vmbus_server_fini(&t->s);
	free(t);
}

static void test_gpadl_malformed(void **state)
{
	struct sim *t = malloc(sizeof(*t));
	uint32_t relid = setup(t);
	uint8_t buf[HV_MESSAGE_PAYLOAD_MAX];
	struct vmbus_gpadl_header *h = (void *)buf;
	uint8_t *w = buf + sizeof(*h);
	struct vmbus_gpadl_body *b = (void *)buf;
	unsigned int before;

	/* A page beyond guest RAM. */
	gpadl(t, relid, 0x200, SIM_RAM_PAGES - 2, 4);
	assert_int_not_equal(last_gpadl_status(t, 0x200), 0);
	assert_null(vmbus_server_gpadl(&t->s, 0x200));
	/* ... and one in a body message. */
	gpadl(t, relid, 0x201, SIM_RAM_PAGES - 30, 40);
	assert_int_not_equal(last_gpadl_status(t, 0x201), 0);
	/* Duplicate handle, handle 0, unknown relid. */
	gpadl(t, relid, 0x202, 1, 2);
	assert_int_equal(last_gpadl_status(t, 0x202), 0);
	gpadl(t, relid, 0x202, 1, 2);
	assert_int_not_equal(last_gpadl_status(t, 0x202), 0);
	assert_non_null(vmbus_server_gpadl(&t->s, 0x202));	/* still there */
	gpadl(t, relid, 0, 1, 2);
	assert_int_not_equal(last_gpadl_status(t, 0), 0);
	gpadl(t, relid + 5, 0x203, 1, 2);
	assert_int_not_equal(last_gpadl_status(t, 0x203), 0);

	/* Range count 0, a range offset past the page, a zero-byte range,
	 * data that is not whole page numbers, more data than the ranges. */
	memset(buf, 0, sizeof(buf));
	h->hdr.msgtype = CHANNELMSG_GPADL_HEADER;
	h->child_relid = relid;
	h->gpadl = 0x300;
	h->rangecount = 0;
	put_u64(w, 0, 4096);
	put_u64(w, 1, 5);
	post(t, 4, buf, sizeof(*h) + 16);
	assert_int_not_equal(last_gpadl_status(t, 0x300), 0);
	h->rangecount = 1;
	put_u64(w, 0, 4096 | (4096ull << 32));
	post(t, 4, buf, sizeof(*h) + 16);
	assert_int_not_equal(last_gpadl_status(t, 0x300), 0);
	put_u64(w, 0, 0);
	post(t, 4, buf, sizeof(*h) + 16);
	assert_int_not_equal(last_gpadl_status(t, 0x300), 0);
	put_u64(w, 0, 4096);
	post(t, 4, buf, sizeof(*h) + 12);
	assert_int_not_equal(last_gpadl_status(t, 0x300), 0);
	put_u64(w, 2, 6);
	post(t, 4, buf, sizeof(*h) + 24);
	assert_int_not_equal(last_gpadl_status(t, 0x300), 0);
	post(t, 4, buf, sizeof(*h));		/* no range data at all */
	assert_int_not_equal(last_gpadl_status(t, 0x300), 0);
	assert_null(vmbus_server_gpadl(&t->s, 0x300));
	/* Two ranges in one GPADL are fine. */
	put_u64(w, 0, 4096);
	put_u64(w, 1, 5);
	put_u64(w, 2, 8192 | (100ull << 32));
	put_u64(w, 3, 7);
	put_u64(w, 4, 8);
	put_u64(w, 5, 9);
	h->rangecount = 2;
	post(t, 4, buf, sizeof(*h) + 48);
	assert_int_equal(last_gpadl_status(t, 0x300), 0);
	assert_int_equal(vmbus_server_gpadl(&t->s, 0x300)->npages, 4);

	/* A body with no header before it, a short body, a misaligned one. */
	before = t->nout;
	memset(buf, 0, sizeof(buf));
	b->hdr.msgtype = CHANNELMSG_GPADL_BODY;
	b->gpadl = 0x400;
	post(t, 4, buf, sizeof(*b) + 8);
	post(t, 4, buf, sizeof(*b));
	assert_int_equal(t->nout, before);
	/* Header waiting for a body; a misaligned body fails it. */
	memset(buf, 0, sizeof(buf));
	h->hdr.msgtype = CHANNELMSG_GPADL_HEADER;
	h->child_relid = relid;
	h->gpadl = 0x401;
	h->rangecount = 1;
	put_u64(w, 0, 30 * 4096);
	put_u64(w, 1, 1);
	post(t, 4, buf, sizeof(*h) + 16);
	assert_int_equal(t->nout, before);	/* waits for 29 more pages */
	memset(buf, 0, sizeof(buf));
	b->hdr.msgtype = CHANNELMSG_GPADL_BODY;
	b->gpadl = 0x401;
	post(t, 4, buf, sizeof(*b) + 9);
	assert_int_not_equal(last_gpadl_status(t, 0x401), 0);
	/* Open on a GPADL that never completed. */
	h->hdr.msgtype = CHANNELMSG_GPADL_HEADER;
	post(t, 4, buf, 0);
	gpadl(t, relid, 0x402, 1, 30);
	assert_int_equal(last_gpadl_status(t, 0x402), 0);
	vmbus_server_fini(&t->s);
	free(t);
}

/* A guest cannot make the host hold more than the total page budget. */
static void test_gpadl_total_cap(void **state)
{
	struct sim *t = malloc(sizeof(*t));
	uint32_t relid = setup(t), h;

	for (h = 1; h <= VMBUS_GPADL_TOTAL_PAGES / VMBUS_GPADL_MAX_PAGES; h++) {
		gpadl_wrap(t, relid, 0x500 + h, 1, VMBUS_GPADL_MAX_PAGES, 1000);
		assert_int_equal(last_gpadl_status(t, 0x500 + h), 0);
	}
	assert_int_equal(t->s.gpadl_pages, VMBUS_GPADL_TOTAL_PAGES);
	gpadl(t, relid, 0x600, 1, 1);
	assert_int_not_equal(last_gpadl_status(t, 0x600), 0);
	/* Tearing one down makes room again. */
	teardown_msg(t, relid, 0x501);
	assert_int_equal(last_type(t), CHANNELMSG_GPADL_TORNDOWN);
	gpadl(t, relid, 0x600, 1, 1);
	assert_int_equal(last_gpadl_status(t, 0x600), 0);
	vmbus_server_fini(&t->s);
	assert_int_equal(t->s.gpadl_pages, 0);
	free(t);
}

static void test_short_messages(void **state)
{
	struct sim *t = malloc(sizeof(*t));
	uint32_t type, len;

	/* Every type at every length below its size: no read past what came
	 * in (this test runs under ASan), and no answer built from it. */
	for (type = 0; type < 32; type++) {
		for (len = 8; len < 40; len++) {
			uint8_t *m;

			setup(t);
			m = malloc(len);
			memset(m, 0xff, len);
			((struct vmbus_msg_hdr *)m)->msgtype = type;
			((struct vmbus_msg_hdr *)m)->padding = 0;
			post(t, 4, m, len);
			free(m);
			vmbus_server_fini(&t->s);
		}
	}
	free(t);
}

static void test_teardown_waits_for_daemon(void **state)
{
	struct sim *t = malloc(sizeof(*t));
	uint32_t relid = setup(t);
	unsigned int before;

	gpadl(t, relid, 0x10, 1, 8);
	assert_int_equal(open_chan(t, relid, 0x10, 4, 0), 0);
	t->daemon_waits = true;
	/* Tearing down an open ring closes the channel first. */
	before = t->nout;
	teardown_msg(t, relid, 0x10);
	assert_int_equal(t->closed, 1);
	assert_int_equal(t->nout, before);	/* no TORNDOWN yet */
	teardown_msg(t, relid, 0x10);		/* repeated: still waiting */
	assert_int_equal(t->nout, before);
	vmbus_server_gpadl_released(&t->s, 0x10);
	assert_int_equal(last_type(t), CHANNELMSG_GPADL_TORNDOWN);
	assert_null(vmbus_server_gpadl(&t->s, 0x10));
	/* Unknown handle: answered so the guest does not wait forever. */
	teardown_msg(t, relid, 0x77);
	assert_int_equal(last_type(t), CHANNELMSG_GPADL_TORNDOWN);
	free(t);
}

static void test_rescind(void **state)
{
	struct sim *t = malloc(sizeof(*t));
	uint32_t relid = setup(t);
	const struct vmbus_relid_msg *r;

	gpadl(t, relid, 0x10, 1, 8);
	assert_int_equal(open_chan(t, relid, 0x10, 4, 0), 0);
	assert_int_equal(vmbus_server_rescind(&t->s, relid), 0);
	r = (const void *)last(t)->data;
	assert_int_equal(r->hdr.msgtype, CHANNELMSG_RESCIND_CHANNELOFFER);
	assert_int_equal(r->child_relid, relid);
	assert_int_equal(vmbus_server_rescind(&t->s, relid), -EALREADY);
	assert_int_equal(vmbus_server_reoffer(&t->s, relid), -EBUSY);
	assert_int_equal(vmbus_server_rescind(&t->s, 99), -ENOENT);
	/* The guest closes, tears down and releases the relid. */
	simple(t, CHANNELMSG_CLOSECHANNEL, relid);
	teardown_msg(t, relid, 0x10);
	/* New GPADLs and opens on a rescinded channel are refused. */
	gpadl(t, relid, 0x11, 1, 8);
	assert_int_not_equal(last_gpadl_status(t, 0x11), 0);
	simple(t, CHANNELMSG_RELID_RELEASED, relid);
	assert_int_equal(vmbus_server_channel(&t->s, relid)->state, CHAN_RESCINDED);
	simple(t, CHANNELMSG_RELID_RELEASED, relid);	/* again: ignored */
	assert_int_equal(vmbus_server_reoffer(&t->s, relid), 0);
	assert_int_equal(last_type(t), CHANNELMSG_OFFERCHANNEL);
	assert_int_equal(vmbus_server_reoffer(&t->s, relid), -EALREADY);
	gpadl(t, relid, 0x12, 1, 8);
	assert_int_equal(open_chan(t, relid, 0x12, 4, 0), 0);
	vmbus_server_fini(&t->s);
	free(t);
}

/*
 * A channel its daemon withdraws: rescinded, no longer found by instance
 * and index (a new offer of them is another channel, another relid), and
 * handed to ops->released (which frees it) once the guest let go: at its
 * RELID_RELEASED, at once when the guest never had it or had it released
 * already, or when the guest leaves.
 */
static void test_withdraw(void **state)
{
	struct sim *t = malloc(sizeof(*t));
	uint32_t relid = setup(t), sub, sub2, late;
	struct vmbus_channel *ch;
	struct vmbus_msg_hdr unload = { .msgtype = CHANNELMSG_UNLOAD };
	const struct vmbus_relid_msg *r;

	ch = sim_offer(t, &heartbeat, &inst_a, 1);
	assert_non_null(ch);
	sub = ch->relid;
	assert_int_equal(last_type(t), CHANNELMSG_OFFERCHANNEL);
	gpadl(t, sub, 0x10, 1, 8);
	assert_int_equal(open_chan(t, sub, 0x10, 4, 0), 0);
	assert_int_equal(vmbus_server_withdraw(&t->s, 99), -ENOENT);
	assert_int_equal(vmbus_server_withdraw(&t->s, sub), 0);
	r = (const void *)last(t)->data;
	assert_int_equal(r->hdr.msgtype, CHANNELMSG_RESCIND_CHANNELOFFER);
	assert_int_equal(r->child_relid, sub);
	assert_int_equal(t->closed, 1);		/* closed on the host side */
	assert_int_equal(vmbus_server_withdraw(&t->s, sub), -EALREADY);
	assert_int_equal(vmbus_server_rescind(&t->s, sub), -EALREADY);
	assert_null(vmbus_server_find_instance(&t->s, &inst_a, 1));
	assert_int_equal(vmbus_server_find_instance(&t->s, &inst_a, 0)->relid, relid);
	/* the same index again, before the guest let go: a new channel */
	ch = sim_offer(t, &heartbeat, &inst_a, 1);
	assert_non_null(ch);
	sub2 = ch->relid;
	assert_int_not_equal(sub2, sub);
	assert_int_equal(last_type(t), CHANNELMSG_OFFERCHANNEL);
	assert_ptr_equal(vmbus_server_find_instance(&t->s, &inst_a, 1), ch);
	/* the guest closes, tears down, releases: freed, with its GPADLs */
	simple(t, CHANNELMSG_CLOSECHANNEL, sub);
	assert_int_equal(t->released, 0);
	simple(t, CHANNELMSG_RELID_RELEASED, sub);
	assert_int_equal(t->released, 1);
	assert_null(vmbus_server_channel(&t->s, sub));
	assert_null(vmbus_server_gpadl(&t->s, 0x10));
	simple(t, CHANNELMSG_RELID_RELEASED, sub);	/* again: ignored */
	assert_int_equal(t->released, 1);
	/* never shown to the guest (index 2 while no guest asks): at once */
	t->s.offers_requested = false;
	ch = sim_offer(t, &heartbeat, &inst_a, 2);
	late = ch->relid;
	assert_int_equal(ch->state, CHAN_PENDING);
	assert_int_equal(vmbus_server_withdraw(&t->s, late), 0);
	assert_int_equal(t->released, 2);
	assert_null(vmbus_server_channel(&t->s, late));
	t->s.offers_requested = true;
	/* rescinded and released already (enlctl rescind): at once */
	assert_int_equal(vmbus_server_rescind(&t->s, sub2), 0);
	simple(t, CHANNELMSG_RELID_RELEASED, sub2);
	assert_int_equal(t->released, 2);
	assert_int_equal(vmbus_server_withdraw(&t->s, sub2), 0);
	assert_int_equal(t->released, 3);
	/* rescinding when the guest leaves: freed then */
	ch = sim_offer(t, &heartbeat, &inst_a, 1);
	sub = ch->relid;
	assert_int_equal(vmbus_server_withdraw(&t->s, sub), 0);
	assert_int_equal(t->released, 3);
	post(t, t->s.msg_conn_id, &unload, sizeof(unload));
	assert_int_equal(t->released, 4);
	assert_null(vmbus_server_channel(&t->s, sub));
	assert_non_null(vmbus_server_channel(&t->s, relid));
	vmbus_server_fini(&t->s);
	free(t);
}

static void test_unload_and_reconnect(void **state)
{
	struct sim *t = malloc(sizeof(*t));
	uint32_t relid = setup(t);
	struct vmbus_msg_hdr m = { .msgtype = CHANNELMSG_UNLOAD };
	int round;

	for (round = 0; round < 3; round++) {
		gpadl(t, relid, 0x10, 1, 8);
		gpadl(t, relid, 0x11, 20, 40);
		assert_int_equal(open_chan(t, relid, 0x10, 4, 0), 0);
		t->daemon_waits = round == 1;
		post(t, t->s.msg_conn_id, &m, sizeof(m));
		assert_int_equal(t->closed, (unsigned int)round + 1);
		if (round == 1) {
			assert_int_equal(t->s.state, VMBUS_UNLOADING);
			assert_int_not_equal(last_type(t), CHANNELMSG_UNLOAD_RESPONSE);
			vmbus_server_gpadl_released(&t->s, 0x10);
			assert_int_not_equal(last_type(t), CHANNELMSG_UNLOAD_RESPONSE);
			vmbus_server_gpadl_released(&t->s, 0x11);
		}
		assert_int_equal(last_type(t), CHANNELMSG_UNLOAD_RESPONSE);
		assert_int_equal(t->s.state, VMBUS_DISCONNECTED);
		assert_null(vmbus_server_gpadl(&t->s, 0x10));
		assert_null(vmbus_server_gpadl(&t->s, 0x11));
		assert_int_equal(t->unloaded, (unsigned int)round + 1);
		/* Back again, at a different version each time. */
		connect(t, round == 0 ? VMBUS_VERSION_WIN10 : VMBUS_VERSION_WIN10_V5_3);
		request_offers(t);
		assert_int_equal(t->out[t->nout - 2].data[0], CHANNELMSG_OFFERCHANNEL);
	}
	/* INITIATE_CONTACT while connected resets like an unload. */
	gpadl(t, relid, 0x20, 1, 8);
	assert_int_equal(open_chan(t, relid, 0x20, 4, 0), 0);
	t->daemon_waits = false;
	connect(t, VMBUS_VERSION_WIN10_V5_3);
	assert_null(vmbus_server_gpadl(&t->s, 0x20));
	assert_int_equal(vmbus_server_channel(&t->s, relid)->state, CHAN_PENDING);
	vmbus_server_fini(&t->s);
	free(t);
}

/* Issue 8 failure 5: a GPADL being torn down when the guest starts over
 * (kexec, no UNLOAD) must not produce a GPADL_TORNDOWN the new guest
 * never asked for. */
static void test_reset_forgets_torndown(void **state)
{
	struct sim *t = malloc(sizeof(*t));
	uint32_t relid = setup(t);
	unsigned int i;

	gpadl(t, relid, 0x10, 1, 8);
	t->daemon_waits = true;
	teardown_msg(t, relid, 0x10);		/* the daemon holds it */
	connect(t, VMBUS_VERSION_WIN10_V5_3);	/* new kernel */
	request_offers(t);
	vmbus_server_gpadl_released(&t->s, 0x10);
	for (i = 0; i < t->nout; i++)
		assert_int_not_equal(t->out[i].data[0], CHANNELMSG_GPADL_TORNDOWN);
	assert_null(vmbus_server_gpadl(&t->s, 0x10));
	vmbus_server_fini(&t->s);
	free(t);
}

/* Issue 8 failure 6: a ring GPADL whose byte count is not its pages. */
static void test_ring_byte_count(void **state)
{
	struct sim *t = malloc(sizeof(*t));
	uint32_t relid = setup(t);
	uint8_t buf[HV_MESSAGE_PAYLOAD_MAX];
	struct vmbus_gpadl_header *h = (void *)buf;
	struct vmbus_gpa_range *r = (void *)(buf + sizeof(*h));
	unsigned int i;

	memset(buf, 0, sizeof(buf));
	h->hdr.msgtype = CHANNELMSG_GPADL_HEADER;
	h->child_relid = relid;
	h->gpadl = 0x30;
	h->rangecount = 1;
	h->range_buflen = (uint16_t)(sizeof(*r) + 8 * 8);
	r->byte_count = 8 * 4096 - 100;	/* the last page only partly lent */
	for (i = 0; i < 8; i++)
		put_u64((uint8_t *)(r + 1), i, 1 + i);
	post(t, t->s.msg_conn_id, buf, (uint32_t)(sizeof(*h) + sizeof(*r) + 64));
	assert_int_equal(last_gpadl_status(t, 0x30), 0);
	assert_int_not_equal(open_chan(t, relid, 0x30, 4, 0), 0);
	assert_int_equal(t->opened, 0);
	vmbus_server_fini(&t->s);
	free(t);
}

/* The daemon decides the open; refusal and close completion. */
static void test_open_decided_by_daemon(void **state)
{
	struct sim *t = malloc(sizeof(*t));
	uint32_t relid = setup(t);
	struct vmbus_channel *ch = vmbus_server_channel(&t->s, relid);
	struct vmbus_open_channel m = {
		.hdr.msgtype = CHANNELMSG_OPENCHANNEL,
		.child_relid = relid, .openid = 77, .ring_gpadl = 0x10,
		.downstream_page_offset = 4,
	};
	unsigned int before;

	gpadl(t, relid, 0x10, 1, 8);
	t->open_defer = true;
	before = t->nout;
	post(t, t->s.msg_conn_id, &m, sizeof(m));
	assert_int_equal(t->nout, before);	/* no answer yet */
	assert_int_equal(ch->state, CHAN_OPENING);
	assert_int_not_equal(open_chan(t, relid, 0x10, 4, 0), 0); /* again */
	assert_int_equal(ch->state, CHAN_OPENING);
	vmbus_server_open_done(&t->s, ch, VMBUS_STATUS_UNSUCCESSFUL);
	assert_int_equal(last_type(t), CHANNELMSG_OPENCHANNEL_RESULT);
	assert_int_equal(((const struct vmbus_open_result *)last(t)->data)->openid, 77);
	assert_int_not_equal(((const struct vmbus_open_result *)last(t)->data)->status, 0);
	assert_int_equal(ch->state, CHAN_OFFERED);
	before = t->nout;
	vmbus_server_open_done(&t->s, ch, 0);	/* late: ignored */
	assert_int_equal(t->nout, before);
	/* Refused at once (no daemon), then opened. */
	t->open_defer = false;
	t->open_status = VMBUS_STATUS_UNSUCCESSFUL;
	assert_int_not_equal(open_chan(t, relid, 0x10, 4, 0), 0);
	assert_int_equal(ch->state, CHAN_OFFERED);
	t->open_status = 0;
	assert_int_equal(open_chan(t, relid, 0x10, 4, 0), 0);
	assert_int_equal(ch->state, CHAN_OPEN);
	/* Close waits for the daemon; an open meanwhile is taken. */
	t->close_waits = true;
	simple(t, CHANNELMSG_CLOSECHANNEL, relid);
	assert_int_equal(ch->state, CHAN_CLOSING);
	vmbus_server_close_done(&t->s, ch);
	assert_int_equal(ch->state, CHAN_OFFERED);
	/* Rescinding an opening channel fails the open first. */
	t->open_defer = true;
	post(t, t->s.msg_conn_id, &m, sizeof(m));
	assert_int_equal(vmbus_server_rescind(&t->s, relid), 0);
	assert_int_equal(t->out[t->nout - 2].data[0], CHANNELMSG_OPENCHANNEL_RESULT);
	assert_int_equal(last_type(t), CHANNELMSG_RESCIND_CHANNELOFFER);
	assert_int_equal(ch->state, CHAN_RESCINDING);
	vmbus_server_fini(&t->s);
	free(t);
}

/* Subchannels offered while the guest is there go out at once, after
 * their primary, with their own relid and connection id. */
static void test_subchannels(void **state)
{
	struct sim *t = malloc(sizeof(*t));
	struct vmbus_channel *p, *sc[4];
	const struct vmbus_offer_channel *o;
	uint16_t i;

	sim_init(t);
	p = sim_offer(t, &scsi, &inst_a, 0);
	connect(t, VMBUS_VERSION_WIN10_V5_3);
	request_offers(t);
	for (i = 0; i < 4; i++) {
		sc[i] = sim_offer(t, &scsi, &inst_a, (uint16_t)(i + 1));
		assert_non_null(sc[i]);
		o = (const void *)last(t)->data;
		assert_int_equal(o->hdr.msgtype, CHANNELMSG_OFFERCHANNEL);
		assert_int_equal(o->sub_channel_index, i + 1);
		assert_int_equal(o->child_relid, sc[i]->relid);
		assert_int_not_equal(o->child_relid, p->relid);
		assert_int_equal(o->connection_id, VMBUS_CONN_ID_BASE + sc[i]->relid);
		assert_memory_equal(&o->if_instance, &inst_a, sizeof(inst_a));
		assert_int_equal(sc[i]->state, CHAN_OFFERED);
	}
	assert_null(sim_offer(t, &scsi, &inst_a, 2));	/* index taken */
	free(t);
}

/* Issue 8 failure 1 (server side): 300 offers and ALLOFFERS_DELIVERED
 * all go out on one REQUESTOFFERS, in order. */
static void test_many_offers(void **state)
{
	struct sim *t = malloc(sizeof(*t));
	enl_guid_t inst = inst_a;
	unsigned int i, n = 300;

	sim_init(t);
	for (i = 0; i < n; i++) {
		inst.b[14] = (uint8_t)(i >> 8);
		inst.b[15] = (uint8_t)i;
		assert_non_null(sim_offer(t, &heartbeat, &inst, 0));
	}
	connect(t, VMBUS_VERSION_WIN10_V5_3);
	t->nout = 0;
	request_offers(t);
	assert_int_equal(t->nout, n + 1);
	for (i = 0; i < n; i++)
		assert_int_equal(t->out[i].data[0], CHANNELMSG_OFFERCHANNEL);
	/* Up to relid 2047, each relid once; then no more. */
	for (i = n; i < VMBUS_MAX_CHANNELS; i++) {
		inst.b[14] = (uint8_t)(i >> 8);
		inst.b[15] = (uint8_t)i;
		assert_non_null(vmbus_server_add_offer(&t->s, &heartbeat, &inst,
						       0, 0, 0, NULL));
	}
	inst.b[13] = 1;
	assert_null(vmbus_server_add_offer(&t->s, &heartbeat, &inst, 0, 0, 0, NULL));
	for (i = 1; i <= VMBUS_MAX_RELID; i++)
		assert_non_null(vmbus_server_channel(&t->s, i));
	free(t);
}

static void test_parse_version(void **state)
{
	uint32_t v = 0;

	assert_int_equal(vmbus_server_parse_version("5.3", &v), 0);
	assert_int_equal(v, VMBUS_VERSION_WIN10_V5_3);
	assert_int_equal(vmbus_server_parse_version("4.1", &v), 0);
	assert_int_equal(v, VMBUS_VERSION_WIN10_V4_1);
	assert_int_equal(vmbus_server_parse_version("2.4", &v), 0);
	assert_int_equal(v, VMBUS_VERSION_WIN8);
	assert_int_equal(vmbus_server_parse_version("4.2", &v), -EINVAL);
	assert_int_equal(vmbus_server_parse_version("1.1", &v), -EINVAL);
	assert_int_equal(vmbus_server_parse_version("5.3x", &v), -EINVAL);
	assert_int_equal(vmbus_server_parse_version("5", &v), -EINVAL);
	assert_int_equal(vmbus_server_parse_version("65541.3", &v), -EINVAL);
	assert_int_equal(vmbus_server_parse_version("", &v), -EINVAL);
	assert_int_equal(v, VMBUS_VERSION_WIN8);	/* untouched on error */
}

static void test_modify_channel(void **state)
{
	struct sim *t = malloc(sizeof(*t));
	uint32_t relid = setup(t);
	struct vmbus_modify_channel m = {
		.hdr.msgtype = CHANNELMSG_MODIFYCHANNEL,
		.child_relid = relid, .target_vp = 1,
	};
	const struct vmbus_modify_channel_response *r;
	unsigned int before;

	gpadl(t, relid, 0x10, 1, 8);
	assert_int_equal(open_chan(t, relid, 0x10, 4, 0), 0);
	post(t, 4, &m, sizeof(m));
	r = (const void *)last(t)->data;
	assert_int_equal(r->hdr.msgtype, CHANNELMSG_MODIFYCHANNEL_RESPONSE);
	assert_int_equal(r->status, 0);
	assert_int_equal(t->targets, 1);
	assert_int_equal(vmbus_server_channel(&t->s, relid)->target_vp, 1);
	m.target_vp = 5;
	post(t, 4, &m, sizeof(m));
	r = (const void *)last(t)->data;
	assert_int_not_equal(r->status, 0);
	assert_int_equal(t->targets, 1);
	/* Before 5.3 nobody waits for an answer. */
	vmbus_server_fini(&t->s);
	sim_init(t);
	sim_offer(t, &heartbeat, &inst_a, 0);
	connect(t, VMBUS_VERSION_WIN10);
	request_offers(t);
	gpadl(t, 1, 0x10, 1, 8);
	assert_int_equal(open_chan(t, 1, 0x10, 4, 0), 0);
	before = t->nout;
	m.child_relid = 1;
	m.target_vp = 1;
	post(t, 1, &m, sizeof(m));
	assert_int_equal(t->nout, before);
	assert_int_equal(t->targets, 1);
	vmbus_server_fini(&t->s);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_version),
		cmocka_unit_test(test_unsupported_versions),
		cmocka_unit_test(test_hypercall_level_errors),
		cmocka_unit_test(test_offers),
		cmocka_unit_test(test_gpadl_and_open),
		cmocka_unit_test(test_gpadl_malformed),
		cmocka_unit_test(test_gpadl_total_cap),
		cmocka_unit_test(test_short_messages),
		cmocka_unit_test(test_teardown_waits_for_daemon),
		cmocka_unit_test(test_rescind),
		cmocka_unit_test(test_withdraw),
		cmocka_unit_test(test_unload_and_reconnect),
		cmocka_unit_test(test_modify_channel),
		cmocka_unit_test(test_parse_version),
		cmocka_unit_test(test_reset_forgets_torndown),
		cmocka_unit_test(test_ring_byte_count),
		cmocka_unit_test(test_open_decided_by_daemon),
		cmocka_unit_test(test_subchannels),
		cmocka_unit_test(test_many_offers),
	};

	return cmocka_run_group_tests_name("vmbus_server", tests, NULL, NULL);
}
