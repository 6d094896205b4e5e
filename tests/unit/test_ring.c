// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of include/enl/ring.c, the VMBus ring buffer core: round
 * trips, wrap-around, a full ring, the signalling decisions (interrupt
 * mask, pending_send_sz) and every kind of corruption of the shared
 * indices and descriptors.  The data area sits between PROT_NONE guard
 * pages, so an out-of-bounds access crashes the test instead of passing
 * silently (and the unit build runs under ASan/UBSan as well).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include <enl/ring.h>

#define PAGE 4096u

struct fixture {
	u8 *map;		/* guard | header | guard | data | guard */
	size_t map_len;
	struct enl_ring_hdr *hdr;
	u8 *data;
	u32 size;
	struct enl_ring w;	/* the writer's view */
	struct enl_ring r;	/* the reader's view */
};

/* A data area of `size` bytes that ends exactly at a guard page. */
static struct fixture *fx_new(u32 size)
{
	struct fixture *f = calloc(1, sizeof(*f));
	u32 data_pages = (size + PAGE - 1) / PAGE;

	assert_non_null(f);
	f->map_len = (size_t)(4 + data_pages) * PAGE;
	f->map = mmap(NULL, f->map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	assert_true(f->map != MAP_FAILED);
	assert_int_equal(mprotect(f->map + PAGE, PAGE, PROT_READ | PROT_WRITE), 0);
	assert_int_equal(mprotect(f->map + 3 * PAGE, (size_t)data_pages * PAGE,
				  PROT_READ | PROT_WRITE), 0);
	f->hdr = (struct enl_ring_hdr *)(f->map + PAGE);
	f->data = f->map + 3 * PAGE + (size_t)data_pages * PAGE - size;
	f->size = size;
	assert_int_equal(enl_ring_init(&f->w, f->hdr, f->data, size), 0);
	assert_int_equal(enl_ring_init(&f->r, f->hdr, f->data, size), 0);
	return f;
}

static void fx_free(struct fixture *f)
{
	munmap(f->map, f->map_len);
	free(f);
}

static int send_bytes(struct fixture *f, u64 tid, const void *p, u32 len,
		      bool *sig)
{
	struct enl_iov iov = { p, len };

	return enl_ring_send(&f->w, VMBUS_PKT_INBAND, 0, tid, &iov, len ? 1 : 0, sig);
}

static void test_init_rejects(void **state)
{
	struct fixture *f = fx_new(256);
	struct enl_ring r;

	assert_int_equal(enl_ring_init(&r, f->hdr, f->data, 0), -EINVAL);
	assert_int_equal(enl_ring_init(&r, f->hdr, f->data, 252), -EINVAL);
	assert_int_equal(enl_ring_init(&r, NULL, f->data, 256), -EINVAL);
	assert_int_equal(enl_ring_init(&r, f->hdr, f->data, ENL_RING_MAX_DATA + 8),
			 -EINVAL);
	fx_free(f);
}

static void test_round_trip(void **state)
{
	struct fixture *f = fx_new(256);
	u8 buf[256];
	struct vmbus_pkt_desc d;
	u32 len;
	bool sig;
	u64 trailer;

	assert_int_equal(send_bytes(f, 0x1122334455667788ull, "hello", 5, &sig), 0);
	assert_true(sig);
	/* 16 descriptor + 8 payload + 8 trailer */
	assert_int_equal(f->hdr->write_index, 32);
	memcpy(&trailer, f->data + 24, 8);
	assert_int_equal(trailer, 0);	/* previous write index 0, << 32 */
	assert_int_equal(f->data[21], 0);	/* padding zeroed */

	assert_int_equal(enl_ring_read(&f->r, buf, sizeof(buf), &len), 1);
	assert_int_equal(len, 24);
	memcpy(&d, buf, sizeof(d));
	assert_int_equal(d.type, VMBUS_PKT_INBAND);
	assert_int_equal(d.offset8, 2);
	assert_int_equal(d.len8, 3);
	assert_int_equal(d.trans_id, 0x1122334455667788ull);
	assert_memory_equal(buf + 16, "hello", 5);
	/* not published before the commit */
	assert_int_equal(f->hdr->read_index, 0);
	assert_int_equal(enl_ring_read(&f->r, buf, sizeof(buf), &len), 0);
	assert_false(enl_ring_commit(&f->r));
	assert_int_equal(f->hdr->read_index, 32);
	assert_true(enl_ring_empty(&f->r));

	/* second packet: trailer holds the previous write index */
	assert_int_equal(send_bytes(f, 2, "x", 1, &sig), 0);
	memcpy(&trailer, f->data + 32 + 24, 8);
	assert_int_equal(trailer, 32ull << 32);
	fx_free(f);
}

static void test_multi_iov_and_raw(void **state)
{
	struct fixture *f = fx_new(512);
	struct enl_iov iov[3] = { { "ab", 2 }, { "", 0 }, { "cdefghij", 8 } };
	u8 buf[128];
	u32 len;

	assert_int_equal(enl_ring_send(&f->w, VMBUS_PKT_COMPLETION, 1, 9, iov, 3,
				       NULL), 0);
	assert_int_equal(enl_ring_read(&f->r, buf, sizeof(buf), &len), 1);
	assert_int_equal(len, 16 + 16);
	assert_memory_equal(buf + 16, "abcdefghij", 10);
	/* too many pieces */
	struct enl_iov many[ENL_RING_MAX_IOV + 1];
	for (int i = 0; i <= (int)ENL_RING_MAX_IOV; i++)
		many[i] = (struct enl_iov){ "a", 1 };
	assert_int_equal(enl_ring_send(&f->w, 6, 0, 0, many, ENL_RING_MAX_IOV + 1,
				       NULL), -EINVAL);
	/* raw write shorter than a descriptor */
	assert_int_equal(enl_ring_write(&f->w, iov, 1, NULL), -EINVAL);
	fx_free(f);
}

static void test_wrap_around(void **state)
{
	struct fixture *f = fx_new(256);
	u8 in[200], out[256];
	u32 len, seed = 12345;
	int sent = 0, got = 0;

	/* Many packets of varying size through a small ring: descriptors,
	 * payloads and trailers all end up split at the wrap point. */
	for (int round = 0; round < 2000; round++) {
		u32 plen = (seed = seed * 1103515245 + 12345) % 120 + 1;
		bool sig;

		for (u32 i = 0; i < plen; i++)
			in[i] = (u8)(sent + i);
		int r = send_bytes(f, (u64)sent | (u64)plen << 32, in, plen, &sig);

		if (r == -EAGAIN) {
			/* drain one and retry next round */
			assert_int_equal(enl_ring_read(&f->r, out, sizeof(out), &len), 1);
			struct vmbus_pkt_desc d;
			memcpy(&d, out, sizeof(d));
			assert_int_equal((u32)d.trans_id, (u32)got);
			assert_int_equal(len, 16 + VMBUS_PKT_ALIGN(d.trans_id >> 32));
			for (u32 i = 0; i < (u32)(d.trans_id >> 32); i++)
				assert_int_equal(out[16 + i], (u8)(got + i));
			got++;
			enl_ring_commit(&f->r);
			continue;
		}
		assert_int_equal(r, 0);
		sent++;
	}
	while (enl_ring_read(&f->r, out, sizeof(out), &len) == 1) {
		struct vmbus_pkt_desc d;

		memcpy(&d, out, sizeof(d));
		assert_int_equal((u32)d.trans_id, (u32)got);
		got++;
	}
	enl_ring_commit(&f->r);
	assert_int_equal(sent, got);
	assert_true(sent > 100);
	fx_free(f);
}

static void test_wrap_exact_content(void **state)
{
	struct fixture *f = fx_new(128);
	u8 payload[40], out[128];
	u32 len;

	/* move the indices to 96 so the next packet wraps mid-payload */
	f->hdr->write_index = 96;
	f->hdr->read_index = 96;
	for (int i = 0; i < 40; i++)
		payload[i] = (u8)(0xa0 + i);
	assert_int_equal(send_bytes(f, 77, payload, 40, NULL), 0);
	assert_int_equal(f->hdr->write_index, (96 + 16 + 40 + 8) % 128);
	assert_int_equal(enl_ring_read(&f->r, out, sizeof(out), &len), 1);
	assert_int_equal(len, 56);
	assert_memory_equal(out + 16, payload, 40);
	fx_free(f);
}

static void test_full_ring(void **state)
{
	struct fixture *f = fx_new(256);
	u8 out[64];
	u32 len;
	int n = 0;

	/* each packet takes 32 bytes; free space must stay > 0 */
	while (send_bytes(f, (u64)n, "12345678", 8, NULL) == 0)
		n++;
	assert_int_equal(n, 7);
	assert_int_equal(send_bytes(f, 99, "12345678", 8, NULL), -EAGAIN);
	assert_int_equal(enl_ring_free_bytes(&f->w), 32);
	/* an 8-byte packet (24 bytes) fits in 32 free */
	assert_int_equal(send_bytes(f, 99, NULL, 0, NULL), 0);
	assert_int_equal(send_bytes(f, 99, NULL, 0, NULL), -EAGAIN);
	assert_int_equal(enl_ring_read(&f->r, out, sizeof(out), &len), 1);
	enl_ring_commit(&f->r);
	assert_int_equal(send_bytes(f, 100, "x", 1, NULL), 0);
	/* a packet that could never fit */
	u8 big[300] = { 0 };
	assert_int_equal(send_bytes(f, 0, big, sizeof(big), NULL), -EMSGSIZE);
	assert_int_equal(send_bytes(f, 0, big, 232, NULL), -EMSGSIZE);
	fx_free(f);
}

static void test_signal_writer_side(void **state)
{
	struct fixture *f = fx_new(512);
	u8 out[64];
	u32 len;
	bool sig;

	assert_int_equal(send_bytes(f, 1, "a", 1, &sig), 0);
	assert_true(sig);		/* empty before, mask 0 */
	assert_int_equal(send_bytes(f, 2, "b", 1, &sig), 0);
	assert_false(sig);		/* not empty before */
	while (enl_ring_read(&f->r, out, sizeof(out), &len) == 1)
		;
	enl_ring_commit(&f->r);
	enl_ring_mask_interrupts(&f->r);
	assert_int_equal(f->hdr->interrupt_mask, 1);
	assert_int_equal(send_bytes(f, 3, "c", 1, &sig), 0);
	assert_false(sig);		/* masked */
	/* unmask finds the data that came meanwhile */
	assert_true(enl_ring_unmask_interrupts(&f->r));
	assert_int_equal(enl_ring_read(&f->r, out, sizeof(out), &len), 1);
	enl_ring_commit(&f->r);
	assert_false(enl_ring_unmask_interrupts(&f->r));
	assert_int_equal(send_bytes(f, 4, "d", 1, &sig), 0);
	assert_true(sig);
	/* reader has read but not committed: ring not empty to the writer */
	assert_int_equal(enl_ring_read(&f->r, out, sizeof(out), &len), 1);
	assert_int_equal(send_bytes(f, 5, "e", 1, &sig), 0);
	assert_false(sig);
	fx_free(f);
}

static void test_signal_pending_send_sz(void **state)
{
	struct fixture *f = fx_new(256);
	u8 out[64];
	u32 len;
	int n = 0;

	f->hdr->feature_bits = ENL_RING_FEAT_PENDING_SEND_SZ;
	while (send_bytes(f, (u64)n, "12345678", 8, NULL) == 0)
		n++;
	/* free 32; the writer wants room for a 56-byte packet */
	assert_false(enl_ring_request_space(&f->w, 56));
	assert_int_equal(f->hdr->pending_send_sz, 56);

	/* one packet read: free 64 > 56, was 32: crossed -> signal */
	assert_int_equal(enl_ring_read(&f->r, out, sizeof(out), &len), 1);
	assert_true(enl_ring_commit(&f->r));
	/* next one: was already enough -> no signal */
	assert_int_equal(enl_ring_read(&f->r, out, sizeof(out), &len), 1);
	assert_false(enl_ring_commit(&f->r));

	/* exactly reaching pending is not enough (free must exceed it) */
	f->hdr->pending_send_sz = 128;
	assert_int_equal(enl_ring_free_bytes(&f->w), 96);
	assert_int_equal(enl_ring_read(&f->r, out, sizeof(out), &len), 1);
	assert_false(enl_ring_commit(&f->r));	/* 128, not > 128 */
	assert_int_equal(enl_ring_read(&f->r, out, sizeof(out), &len), 1);
	assert_true(enl_ring_commit(&f->r));	/* 160 > 128, was 128 */

	/* feature bit off: never */
	f->hdr->feature_bits = 0;
	f->hdr->pending_send_sz = 200;
	while (enl_ring_read(&f->r, out, sizeof(out), &len) == 1)
		;
	assert_false(enl_ring_commit(&f->r));
	/* pending 0: never */
	f->hdr->feature_bits = 1;
	f->hdr->pending_send_sz = 0;
	assert_int_equal(send_bytes(f, 1, "x", 1, NULL), 0);
	assert_int_equal(enl_ring_read(&f->r, out, sizeof(out), &len), 1);
	assert_false(enl_ring_commit(&f->r));
	/* nothing read: no commit signal */
	assert_false(enl_ring_commit(&f->r));
	/* request_space when room is already there clears it */
	assert_true(enl_ring_request_space(&f->w, 16));
	assert_int_equal(f->hdr->pending_send_sz, 0);
	fx_free(f);
}

static void test_small_buffer(void **state)
{
	struct fixture *f = fx_new(256);
	u8 out[64];
	u32 len;

	assert_int_equal(send_bytes(f, 1, "0123456789abcdefghij", 20, NULL), 0);
	assert_int_equal(enl_ring_read(&f->r, out, 16, &len), -EMSGSIZE);
	assert_int_equal(len, 40);
	assert_int_equal(enl_ring_read(&f->r, out, sizeof(out), &len), 1);
	assert_int_equal(len, 40);
	assert_memory_equal(out + 16, "0123456789abcdefghij", 20);
	fx_free(f);
}

/* Write a raw descriptor at the read position and set write_index. */
static void put_desc(struct fixture *f, u32 at, u16 off8, u16 len8, u32 wr)
{
	struct vmbus_pkt_desc d = { .type = 6, .offset8 = off8, .len8 = len8 };
	u32 first = f->size - at < sizeof(d) ? f->size - at : sizeof(d);

	memcpy(f->data + at, &d, first);
	memcpy(f->data, (u8 *)&d + first, sizeof(d) - first);
	f->hdr->read_index = at;
	f->hdr->write_index = wr;
}

static int read_fresh(struct fixture *f, u8 *out, u32 cap, u32 *len)
{
	/* a new reader view: the batch reloads read_index */
	enl_ring_init(&f->r, f->hdr, f->data, f->size);
	return enl_ring_read(&f->r, out, cap, len);
}

static void test_corrupt_indices(void **state)
{
	struct fixture *f = fx_new(256);
	u8 out[512];
	u32 len;

	f->hdr->write_index = 256;			/* == size */
	assert_int_equal(read_fresh(f, out, sizeof(out), &len), -EPROTO);
	f->hdr->write_index = 0xfffffff8;
	assert_int_equal(read_fresh(f, out, sizeof(out), &len), -EPROTO);
	f->hdr->write_index = 36;			/* misaligned */
	assert_int_equal(read_fresh(f, out, sizeof(out), &len), -EPROTO);
	f->hdr->write_index = 32;
	f->hdr->read_index = 300;
	assert_int_equal(read_fresh(f, out, sizeof(out), &len), -EPROTO);
	f->hdr->read_index = 4;
	assert_int_equal(read_fresh(f, out, sizeof(out), &len), -EPROTO);
	assert_true(enl_ring_empty(&f->r));		/* corrupt reads as empty */
	/* the writer checks both indices too */
	assert_int_equal(send_bytes(f, 1, "x", 1, NULL), -EPROTO);
	f->hdr->read_index = 0;
	f->hdr->write_index = 1000;
	assert_int_equal(send_bytes(f, 1, "x", 1, NULL), -EPROTO);
	assert_int_equal(enl_ring_free_bytes(&f->w), -EPROTO);
	fx_free(f);
}

static void test_corrupt_descriptors(void **state)
{
	struct fixture *f = fx_new(256);
	static u8 out[1 << 20];
	u32 len;

	/* fewer bytes than descriptor + trailer */
	put_desc(f, 0, 2, 3, 8);
	assert_int_equal(read_fresh(f, out, sizeof(out), &len), -EPROTO);
	put_desc(f, 0, 2, 3, 16);
	assert_int_equal(read_fresh(f, out, sizeof(out), &len), -EPROTO);
	/* len8 larger than what is there */
	put_desc(f, 0, 2, 4, 32);			/* 32 + 8 > 32 */
	assert_int_equal(read_fresh(f, out, sizeof(out), &len), -EPROTO);
	put_desc(f, 0, 2, 0xffff, 32);
	assert_int_equal(read_fresh(f, out, sizeof(out), &len), -EPROTO);
	/* len8 larger than the ring */
	put_desc(f, 0, 2, 40, 248);
	assert_int_equal(read_fresh(f, out, sizeof(out), &len), -EPROTO);
	/* len8 below a descriptor */
	put_desc(f, 0, 0, 1, 32);
	assert_int_equal(read_fresh(f, out, sizeof(out), &len), -EPROTO);
	put_desc(f, 0, 2, 0, 32);
	assert_int_equal(read_fresh(f, out, sizeof(out), &len), -EPROTO);
	/* offset8 > len8 */
	put_desc(f, 0, 4, 3, 64);
	assert_int_equal(read_fresh(f, out, sizeof(out), &len), -EPROTO);
	/* offset8 inside the descriptor */
	put_desc(f, 0, 1, 3, 64);
	assert_int_equal(read_fresh(f, out, sizeof(out), &len), -EPROTO);
	/* descriptor split at the wrap point, len too big */
	put_desc(f, 248, 2, 3, 8);		/* only 16 bytes available */
	{
		struct vmbus_pkt_desc d = { .type = 6, .offset8 = 2, .len8 = 3 };
		memcpy(f->data + 248, &d, 8);
		memcpy(f->data, (u8 *)&d + 8, 8);
	}
	assert_int_equal(read_fresh(f, out, sizeof(out), &len), -EPROTO);
	/* and a good one across the wrap */
	{
		struct vmbus_pkt_desc d = { .type = 6, .offset8 = 2, .len8 = 2,
					    .trans_id = 5 };
		memcpy(f->data + 248, &d, 8);
		memcpy(f->data, (u8 *)&d + 8, 8);
		f->hdr->read_index = 248;
		f->hdr->write_index = 16;
	}
	assert_int_equal(read_fresh(f, out, sizeof(out), &len), 1);
	assert_int_equal(len, 16);
	/* offset8 == len8: an empty payload is fine */
	put_desc(f, 0, 2, 2, 24);
	assert_int_equal(read_fresh(f, out, sizeof(out), &len), 1);
	fx_free(f);
}

static void test_random_garbage(void **state)
{
	struct fixture *f = fx_new(1024);
	u8 out[2048];
	u32 seed = 99, len;

	/* Hostile peer: random indices and data.  Every outcome is fine as
	 * long as it is bounded and nothing is touched out of bounds. */
	for (int i = 0; i < 20000; i++) {
		for (u32 k = 0; k < f->size; k += 4) {
			seed = seed * 1664525 + 1013904223;
			memcpy(f->data + k, &seed, 4);
		}
		seed = seed * 1664525 + 1013904223;
		f->hdr->write_index = (i & 1) ? seed % 1100 : (seed % 128) * 8;
		seed = seed * 1664525 + 1013904223;
		f->hdr->read_index = (i & 2) ? seed % 1100 : (seed % 128) * 8;
		enl_ring_init(&f->r, f->hdr, f->data, f->size);
		for (int n = 0; n < 8; n++) {
			int r = enl_ring_read(&f->r, out, (i & 4) ? 64 : sizeof(out), &len);

			if (r != 1)
				break;
			assert_true(len >= 16 && len <= f->size);
		}
		enl_ring_commit(&f->r);
		(void)send_bytes(f, 1, out, seed % 300, NULL);
	}
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_multi_iov_and_raw),
		cmocka_unit_test(test_wrap_around),
		cmocka_unit_test(test_wrap_exact_content),
		cmocka_unit_test(test_full_ring),
		cmocka_unit_test(test_signal_writer_side),
		cmocka_unit_test(test_signal_pending_send_sz),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_corrupt_indices),
		cmocka_unit_test(test_corrupt_descriptors),
		cmocka_unit_test(test_random_garbage),
	};

	return cmocka_run_group_tests_name("ring", tests, NULL, NULL);
}
