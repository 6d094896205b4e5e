// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of include/enl/vmbus_guest.c, the guest's control-plane
 * logic in enl_vmbus.ko: the version walk and its connection ids, the
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
		cmocka_unit_test(test_contact),
		cmocka_unit_test(test_host_msgs),
		cmocka_unit_test(test_gpadl_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
