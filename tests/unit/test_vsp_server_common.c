// SPDX-License-Identifier: GPL-2.0-only
/*
 * hostside-vsp/common, what both ends of the VSP socket share: the
 * transport's rules (exact length, counted fds), GPA translation, GUID
 * text, status keys.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "hostside-vsp/common/vsp_common.h"

static void pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
}

static void test_transport(void **state)
{
	struct vsp_relid m = { .hdr = { VSP_CLOSE_DONE, sizeof(m) }, .relid = 5 };
	uint8_t buf[64];
	int sv[2], fds[VSP_MAX_FDS], nfds, f[4], i;

	pair(sv);
	for (i = 0; i < 4; i++)
		f[i] = memfd_create("t", MFD_CLOEXEC);
	/* Two fds travel. */
	assert_int_equal(vspc_send(sv[0], &m, sizeof(m), f, 2, 0), 0);
	assert_int_equal(vspc_recv(sv[1], buf, sizeof(buf), fds, &nfds, 0), sizeof(m));
	assert_int_equal(nfds, 2);
	vspc_close_fds(fds, nfds);
	assert_int_equal(fds[0], -1);
	/* More than allowed is refused on sending... */
	assert_int_equal(vspc_send(sv[0], &m, sizeof(m), f, 3, 0), -EINVAL);
	/* ... and, sent anyway, on receiving (all of them closed). */
	{
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(int) * 3)];
		} u;
		struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = u.b, .msg_controllen = sizeof(u.b),
		};

		memset(&u, 0, sizeof(u));
		u.h.cmsg_level = SOL_SOCKET;
		u.h.cmsg_type = SCM_RIGHTS;
		u.h.cmsg_len = CMSG_LEN(sizeof(int) * 3);
		memcpy(CMSG_DATA(&u.h), f, sizeof(int) * 3);
		assert_int_equal(sendmsg(sv[0], &mh, 0), sizeof(m));
	}
	assert_int_equal(vspc_recv(sv[1], buf, sizeof(buf), fds, &nfds, 0), -EBADMSG);
	assert_int_equal(nfds, 0);
	/* A header length that is not the packet's. */
	m.hdr.len = sizeof(m) + 1;
	assert_int_equal(vspc_send(sv[0], &m, sizeof(m), NULL, 0, 0), 0);
	assert_int_equal(vspc_recv(sv[1], buf, sizeof(buf), fds, &nfds, 0), -EBADMSG);
	/* Shorter than a header; longer than the buffer. */
	assert_int_equal(vspc_send(sv[0], &m, 5, NULL, 0, 0), 0);
	assert_int_equal(vspc_recv(sv[1], buf, sizeof(buf), fds, &nfds, 0), -EBADMSG);
	m.hdr.len = sizeof(m);
	assert_int_equal(vspc_send(sv[0], &m, sizeof(m), NULL, 0, 0), 0);
	assert_int_equal(vspc_recv(sv[1], buf, 8, fds, &nfds, 0), -EBADMSG);
	/* Nothing there; end of stream. */
	assert_int_equal(vspc_recv(sv[1], buf, sizeof(buf), fds, &nfds, MSG_DONTWAIT), -EAGAIN);
	close(sv[0]);
	assert_int_equal(vspc_recv(sv[1], buf, sizeof(buf), fds, &nfds, 0), 0);
	close(sv[1]);
	for (i = 0; i < 4; i++)
		close(f[i]);
}

static void test_ram(void **state)
{
	struct vspc_ram_layout l = {
		.size = 6ull << 30, .lowmem_size = 3ull << 30,
		.highmem_gpa = 4ull << 30,
	};
	uint64_t off;

	assert_int_equal(vspc_ram_layout_check(&l), 0);
	assert_int_equal(vspc_ram_offset(&l, 4096, 4096, &off), 0);
	assert_int_equal(off, 4096);
	assert_int_equal(vspc_ram_offset(&l, (3ull << 30) - 4096, 8192, &off), -ERANGE);
	assert_int_equal(vspc_ram_offset(&l, 3ull << 30, 1, &off), -ERANGE);
	assert_int_equal(vspc_ram_offset(&l, 4ull << 30, 4096, &off), 0);
	assert_int_equal(off, 3ull << 30);
	assert_int_equal(vspc_ram_offset(&l, (7ull << 30) - 4096, 4096, &off), 0);
	assert_int_equal(vspc_ram_offset(&l, 7ull << 30, 1, &off), -ERANGE);
	assert_int_equal(vspc_ram_offset(&l, UINT64_MAX - 10, 4096, &off), -ERANGE);
	l.highmem_gpa = 1ull << 30;	/* overlaps low memory */
	assert_int_equal(vspc_ram_layout_check(&l), -EINVAL);
	l.highmem_gpa = UINT64_MAX - 4095;	/* would wrap */
	assert_int_equal(vspc_ram_layout_check(&l), -EINVAL);
	l = (struct vspc_ram_layout){ .size = 1 << 20, .lowmem_size = 1 << 20 };
	assert_int_equal(vspc_ram_layout_check(&l), 0);
	assert_int_equal(vspc_ram_offset(&l, 1 << 20, 1, &off), -ERANGE);
	l.lowmem_size = 100;
	assert_int_equal(vspc_ram_layout_check(&l), -EINVAL);
}

static void test_guid_and_keys(void **state)
{
	static const char *text = "656e6c00-6862-4000-8000-000000000001";
	char out[VSPC_GUID_STR_LEN], key[VSP_KEY_LEN];
	enl_guid_t g;

	assert_int_equal(vspc_guid_parse(text, &g), 0);
	assert_int_equal(g.b[0], 0x00);
	assert_int_equal(g.b[3], 0x65);
	vspc_guid_format(&g, out);
	assert_string_equal(out, text);
	assert_int_equal(vspc_guid_parse("656E6C00-6862-4000-8000-000000000001", &g), 0);
	assert_int_equal(vspc_guid_parse("656e6c00-6862-4000-8000-00000000000", &g), -EINVAL);
	assert_int_equal(vspc_guid_parse("656e6c00+6862-4000-8000-000000000001", &g), -EINVAL);
	assert_int_equal(vspc_guid_parse("656e6c00-6862-4000-8000-00000000000g", &g), -EINVAL);

	memset(key, 0, sizeof(key));
	strcpy(key, "heartbeat_seq2");
	assert_true(vspc_status_key_ok(key));
	key[0] = 'H';
	assert_false(vspc_status_key_ok(key));
	memset(key, 0, sizeof(key));
	assert_false(vspc_status_key_ok(key));		/* empty */
	memset(key, 'a', sizeof(key));
	assert_false(vspc_status_key_ok(key));		/* no NUL */
	key[VSP_KEY_LEN - 1] = 0;
	assert_true(vspc_status_key_ok(key));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transport),
		cmocka_unit_test(test_ram),
		cmocka_unit_test(test_guid_and_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
