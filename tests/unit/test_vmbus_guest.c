// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of include/enl/vmbus_guest.c, the guest's control-plane
 * logic in enl_vmbus.ko: the version walk and its connection ids (also
 * against hosts without connection id 4, which refuse 5.x contacts with
 * HV_STATUS_INVALID_CONNECTION_ID), the
 * INITIATE_CONTACT layout, the checks on host messages, and the split of
 * GPADLs into GPADL_HEADER + GPADL_BODY messages (26 / 28 page numbers).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <enl/vmbus_guest.h>

static void test_versions(void **state)
{
	static const u32 want[] = { 0x50003, 0x50002, 0x50001, 0x50000,
				    0x40001, 0x40000, 0x30000, 0x20004 };
	unsigned int i;

	assert_int_equal(ENL_VMBUS_NR_VERSIONS, 8);
	for (i = 0; i < 8; i++) {
		assert_int_equal(enl_vmbus_versions[i], want[i]);
		assert_int_equal(enl_vmbus_contact_conn_id(want[i]),
				 want[i] >= 0x50000 ? 4 : 1);
	}
	/* later messages: returned id from 5.0, else 1; 0 falls back to 4 */
	assert_int_equal(enl_vmbus_msg_conn_id(0x50003, 4), 4);
	assert_int_equal(enl_vmbus_msg_conn_id(0x50003, 7), 7);
	assert_int_equal(enl_vmbus_msg_conn_id(0x50000, 0), 4);
	assert_int_equal(enl_vmbus_msg_conn_id(0x40001, 4), 1);
	assert_int_equal(enl_vmbus_msg_conn_id(0x20004, 0), 1);
}

static void test_post_errno(void **state)
{
	assert_int_equal(enl_vmbus_post_errno(CHANNELMSG_INITIATE_CONTACT, 0), 0);
	/* only the high bits of the hypercall result: still success */
	assert_int_equal(enl_vmbus_post_errno(CHANNELMSG_GPADL_HEADER,
					      0x0000000100000000ull), 0);
	assert_int_equal(enl_vmbus_post_errno(CHANNELMSG_GPADL_HEADER, 0x13), -EAGAIN);
	assert_int_equal(enl_vmbus_post_errno(CHANNELMSG_INITIATE_CONTACT, 0x13),
			 -EAGAIN);
	/* INVALID_CONNECTION_ID: "no such connection" for a contact ... */
	assert_int_equal(enl_vmbus_post_errno(CHANNELMSG_INITIATE_CONTACT, 0x12),
			 -ENXIO);
	/* ... and "busy, post again" for anything else, as hv_vmbus does */
	assert_int_equal(enl_vmbus_post_errno(CHANNELMSG_OPENCHANNEL, 0x12), -EAGAIN);
	assert_int_equal(enl_vmbus_post_errno(CHANNELMSG_UNLOAD, 0x12), -EAGAIN);
	assert_int_equal(enl_vmbus_post_errno(CHANNELMSG_INITIATE_CONTACT, 0x2), -EIO);
	assert_int_equal(enl_vmbus_post_errno(CHANNELMSG_INITIATE_CONTACT, 0x5), -EIO);
	assert_int_equal(enl_vmbus_post_errno(CHANNELMSG_OPENCHANNEL, 0xffff), -EIO);
}

/*
 * A simulated host: the highest version it accepts, and whether it has
 * connection id 4 (hosts from VMBus 5.0 on) or only connection id 1.
 * Runs the guest's walk over enl_vmbus_versions[] with the pure steps
 * and returns the version agreed (0: none); conns[] records the
 * connection id of every INITIATE_CONTACT posted.
 */
static u32 walk(u32 host_max, bool has_conn4, u32 *conns, unsigned int *nconns,
		bool host_answers)
{
	unsigned int i;

	*nconns = 0;
	for (i = 0; i < ENL_VMBUS_NR_VERSIONS; i++) {
		u32 v = enl_vmbus_versions[i];
		u32 conn = enl_vmbus_contact_conn_id(v);
		u64 status;
		int res;

		conns[(*nconns)++] = conn;
		status = (conn == 4 && !has_conn4) ? 0x12 : 0;
		res = enl_vmbus_post_errno(CHANNELMSG_INITIATE_CONTACT, status);
		if (!res)
			res = !host_answers ? -ETIMEDOUT :
			      v <= host_max ? 0 : -EPROTONOSUPPORT;
		switch (enl_vmbus_walk_step(v, res)) {
		case ENL_WALK_CONNECTED:
			return v;
		case ENL_WALK_OLDER:
			continue;
		case ENL_WALK_GIVE_UP:
			return 0;
		}
	}
	return 0;
}

static void test_walk_old_hosts(void **state)
{
	u32 conns[ENL_VMBUS_NR_VERSIONS];
	unsigned int n, i;

	/* a current host: 5.3 at once, on connection id 4 */
	assert_int_equal(walk(0x50003, true, conns, &n, true), 0x50003);
	assert_int_equal(n, 1);
	assert_int_equal(conns[0], 4);

	/* enl-host --vmbus-version 5.0: refuses 5.3..5.1 in VERSION_RESPONSE */
	assert_int_equal(walk(0x50000, true, conns, &n, true), 0x50000);
	assert_int_equal(n, 4);

	/*
	 * QEMU's vmbus-bridge, pre-2016 Hyper-V: up to 4.0, connection id 1
	 * only.  Every 5.x contact is refused with INVALID_CONNECTION_ID; the
	 * walk carries on with 4.1 (refused) and 4.0 on connection id 1.
	 */
	assert_int_equal(walk(0x40000, false, conns, &n, true), 0x40000);
	assert_int_equal(n, 6);
	for (i = 0; i < 4; i++)
		assert_int_equal(conns[i], 4);
	assert_int_equal(conns[4], 1);
	assert_int_equal(conns[5], 1);

	/* enl-host --vmbus-version 4.1 / 2.4 without connection id 4 */
	assert_int_equal(walk(0x40001, false, conns, &n, true), 0x40001);
	assert_int_equal(n, 5);
	assert_int_equal(walk(0x20004, false, conns, &n, true), 0x20004);
	assert_int_equal(n, 8);

	/* a host that accepts nothing the guest speaks */
	assert_int_equal(walk(0x10001, false, conns, &n, true), 0);
	assert_int_equal(n, 8);

	/* a host that never answers: the first timeout ends the walk */
	assert_int_equal(walk(0x50003, true, conns, &n, false), 0);
	assert_int_equal(n, 1);
}

static void test_walk_steps(void **state)
{
	assert_int_equal(enl_vmbus_walk_step(0x50003, 0), ENL_WALK_CONNECTED);
	assert_int_equal(enl_vmbus_walk_step(0x50003, -EPROTONOSUPPORT), ENL_WALK_OLDER);
	assert_int_equal(enl_vmbus_walk_step(0x50000, -ENXIO), ENL_WALK_OLDER);
	/* connection id 1 refused: no version is reachable */
	assert_int_equal(enl_vmbus_walk_step(0x40001, -ENXIO), ENL_WALK_GIVE_UP);
	assert_int_equal(enl_vmbus_walk_step(0x20004, -ENXIO), ENL_WALK_GIVE_UP);
	assert_int_equal(enl_vmbus_walk_step(0x50003, -ETIMEDOUT), ENL_WALK_GIVE_UP);
	assert_int_equal(enl_vmbus_walk_step(0x50003, -EIO), ENL_WALK_GIVE_UP);
	assert_int_equal(enl_vmbus_walk_step(0x50003, -ENOMEM), ENL_WALK_GIVE_UP);
	/* not a version of the list */
	assert_int_equal(enl_vmbus_walk_step(0x10001, 0), ENL_WALK_GIVE_UP);
	assert_int_equal(enl_vmbus_walk_step(0x60000, -ENXIO), ENL_WALK_GIVE_UP);
}

static void make_offer(struct vmbus_offer_channel *o, u8 type, u8 inst,
		       u16 subidx, u32 relid)
{
	memset(o, 0, sizeof(*o));
	o->hdr.msgtype = CHANNELMSG_OFFERCHANNEL;
	memset(&o->if_type, type, sizeof(o->if_type));
	memset(&o->if_instance, inst, sizeof(o->if_instance));
	o->sub_channel_index = subidx;
	o->child_relid = relid;
}

static void test_offer_kind(void **state)
{
	struct vmbus_offer_channel p, o;

	make_offer(&p, 0xaa, 0x01, 0, 10);
	/* nothing known yet: a primary is a device, a subchannel an orphan */
	assert_int_equal(enl_vmbus_offer_kind(&p, NULL), ENL_OFFER_PRIMARY);
	make_offer(&o, 0xaa, 0x01, 1, 11);
	assert_int_equal(enl_vmbus_offer_kind(&o, NULL), ENL_OFFER_ORPHAN);

	/* same class and instance, index 1..N: subchannels of p */
	assert_true(enl_vmbus_offer_same_device(&o, &p));
	assert_int_equal(enl_vmbus_offer_kind(&o, &p), ENL_OFFER_SUBCHANNEL);
	make_offer(&o, 0xaa, 0x01, 0xffff, 12);
	assert_int_equal(enl_vmbus_offer_kind(&o, &p), ENL_OFFER_SUBCHANNEL);

	/* index 0 again for a device the guest has: a duplicate, dropped */
	make_offer(&o, 0xaa, 0x01, 0, 13);
	assert_int_equal(enl_vmbus_offer_kind(&o, &p), ENL_OFFER_DUPLICATE);

	/* same instance, another class: not p's (the stock driver checks both) */
	make_offer(&o, 0xbb, 0x01, 1, 14);
	assert_false(enl_vmbus_offer_same_device(&o, &p));
	assert_int_equal(enl_vmbus_offer_kind(&o, &p), ENL_OFFER_ORPHAN);
	make_offer(&o, 0xbb, 0x01, 0, 14);
	assert_int_equal(enl_vmbus_offer_kind(&o, &p), ENL_OFFER_PRIMARY);
	/* same class, another instance: another device */
	make_offer(&o, 0xaa, 0x02, 0, 15);
	assert_int_equal(enl_vmbus_offer_kind(&o, &p), ENL_OFFER_PRIMARY);
	make_offer(&o, 0xaa, 0x02, 3, 15);
	assert_int_equal(enl_vmbus_offer_kind(&o, &p), ENL_OFFER_ORPHAN);
}

static void test_contact(void **state)
{
	struct vmbus_initiate_contact m;
	u8 raw[40];

	enl_vmbus_build_contact(&m, 0x50003, 3, 0x1000, 0x2000, 0x3000);
	memcpy(raw, &m, sizeof(raw));
	assert_int_equal(m.hdr.msgtype, CHANNELMSG_INITIATE_CONTACT);
	assert_int_equal(m.version_requested, 0x50003);
	assert_int_equal(m.target_vcpu, 3);
	/* 5.0+: msg_sint 2 at offset 16, not the interrupt page */
	assert_int_equal(raw[16], 2);
	assert_int_equal(raw[17], 0);
	assert_int_equal(m.monitor_page1, 0x2000);
	assert_int_equal(m.monitor_page2, 0x3000);

	enl_vmbus_build_contact(&m, 0x40001, 0, 0x1000, 0x2000, 0x3000);
	assert_int_equal(m.interrupt_page, 0x1000);
}

static void test_host_msgs(void **state)
{
	u8 buf[256];
	struct vmbus_msg_hdr h = { 0, 0 };
	u32 t;

	memset(buf, 0, sizeof(buf));
	/* too short for a header, too long for a SynIC message */
	assert_int_equal(enl_vmbus_check_host_msg(buf, 7), -EPROTO);
	h.msgtype = CHANNELMSG_ALLOFFERS_DELIVERED;
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(enl_vmbus_check_host_msg(buf, 8), CHANNELMSG_ALLOFFERS_DELIVERED);
	assert_int_equal(enl_vmbus_check_host_msg(buf, 241), -EPROTO);

	/* each type needs its fixed part */
	for (t = 0; t < 40; t++) {
		u32 min = enl_vmbus_host_msg_min_len(t);

		h.msgtype = t;
		memcpy(buf, &h, sizeof(h));
		if (!min) {
			assert_int_equal(enl_vmbus_check_host_msg(buf, 240), -EPROTO);
			continue;
		}
		assert_true(min <= 240);
		assert_int_equal(enl_vmbus_check_host_msg(buf, min), (int)t);
		if (min > 8)
			assert_int_equal(enl_vmbus_check_host_msg(buf, min - 1), -EPROTO);
	}
	assert_int_equal(enl_vmbus_host_msg_min_len(CHANNELMSG_OFFERCHANNEL), 196);
	assert_int_equal(enl_vmbus_host_msg_min_len(CHANNELMSG_OPENCHANNEL_RESULT), 20);
	assert_int_equal(enl_vmbus_host_msg_min_len(CHANNELMSG_VERSION_RESPONSE), 12);
	/* messages the guest sends are not expected from the host */
	assert_int_equal(enl_vmbus_host_msg_min_len(CHANNELMSG_INITIATE_CONTACT), 0);
	assert_int_equal(enl_vmbus_host_msg_min_len(CHANNELMSG_GPADL_HEADER), 0);
}

static u64 pfn_of(void *ctx, u32 i)
{
	return *(u64 *)ctx + i;
}

/* Build every message of an npages GPADL and check the page numbers. */
static void check_split(u32 npages)
{
	u64 base = 0x100000;
	u8 buf[ENL_VMBUS_MSG_MAX];
	u32 nmsg = enl_gpadl_msg_count(npages), i, seen = 0, k;
	int len;

	for (i = 0; i < nmsg; i++) {
		memset(buf, 0xaa, sizeof(buf));
		len = enl_gpadl_build_msg(buf, 5, 0x77, npages, pfn_of, &base, i);
		assert_true(len > 0 && len <= 240);
		if (i == 0) {
			struct vmbus_gpadl_header h;
			struct vmbus_gpa_range r;

			memcpy(&h, buf, sizeof(h));
			memcpy(&r, buf + sizeof(h), sizeof(r));
			assert_int_equal(h.hdr.msgtype, CHANNELMSG_GPADL_HEADER);
			assert_int_equal(h.child_relid, 5);
			assert_int_equal(h.gpadl, 0x77);
			assert_int_equal(h.rangecount, 1);
			assert_int_equal(h.range_buflen, (u16)(8 + npages * 8));
			assert_int_equal(r.byte_count, npages * 4096);
			assert_int_equal(r.byte_offset, 0);
			k = (len - 28) / 8;
			assert_true(k <= 26);
			for (u32 j = 0; j < k; j++) {
				u64 v;

				memcpy(&v, buf + 28 + j * 8, 8);
				assert_int_equal(v, base + seen++);
			}
		} else {
			struct vmbus_gpadl_body b;

			memcpy(&b, buf, sizeof(b));
			assert_int_equal(b.hdr.msgtype, CHANNELMSG_GPADL_BODY);
			assert_int_equal(b.gpadl, 0x77);
			assert_int_equal(b.msgnumber, i);
			k = (len - 16) / 8;
			assert_true(k >= 1 && k <= 28);
			for (u32 j = 0; j < k; j++) {
				u64 v;

				memcpy(&v, buf + 16 + j * 8, 8);
				assert_int_equal(v, base + seen++);
			}
		}
	}
	assert_int_equal(seen, npages);
	assert_int_equal(enl_gpadl_build_msg(buf, 5, 0x77, npages, pfn_of, &base, nmsg),
			 -EINVAL);
}

static void test_gpadl_split(void **state)
{
	u64 base = 0;
	u8 buf[ENL_VMBUS_MSG_MAX];

	assert_int_equal(enl_gpadl_msg_count(1), 1);
	assert_int_equal(enl_gpadl_msg_count(26), 1);
	assert_int_equal(enl_gpadl_msg_count(27), 2);
	assert_int_equal(enl_gpadl_msg_count(54), 2);
	assert_int_equal(enl_gpadl_msg_count(55), 3);
	/* header full: 20 + 8 + 26 * 8 = 236; body full: 16 + 28 * 8 = 240 */
	assert_int_equal(enl_gpadl_build_msg(buf, 1, 1, 26, pfn_of, &base, 0), 236);
	assert_int_equal(enl_gpadl_build_msg(buf, 1, 1, 54, pfn_of, &base, 1), 240);
	assert_int_equal(enl_gpadl_build_msg(buf, 1, 1, 0, pfn_of, &base, 0), -EINVAL);
	assert_int_equal(enl_gpadl_build_msg(buf, 1, 1, ENL_GPADL_MAX_PAGES + 1,
					     pfn_of, &base, 0), -EINVAL);
	check_split(1);
	check_split(4);		/* a small ring pair */
	check_split(26);
	check_split(27);
	check_split(54);
	check_split(55);
	check_split(8192);	/* 32 MiB: range_buflen wraps */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_post_errno),
		cmocka_unit_test(test_walk_old_hosts),
		cmocka_unit_test(test_walk_steps),
		cmocka_unit_test(test_offer_kind),
		cmocka_unit_test(test_contact),
		cmocka_unit_test(test_host_msgs),
		cmocka_unit_test(test_gpadl_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
