// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of enl-storvsp's protocol and SCSI layers (hostside-vsp/
 * storvsp/vstor.c, scsi.c, spec.c and include/enl/vstor.c), driven with
 * packets as the guest would put them in the ring, over a fake guest RAM
 * and a disk in memory (and once a real file through backend.c).
 *
 * The catalogue of malformed requests: each must be answered with an error
 * completion or dropped, never crash, never touch memory outside the fake
 * RAM or the image.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostside-vsp/storvsp/storvsp.h"

#define RAM_PAGES	128
#define DISK_BYTES	(1u << 20)
#define PAGE		4096u

static u8 *ram;
static u8 *image;
static bool fail_io;
static unsigned int flushes_seen;

struct fixture {
	struct storvsp_ctl c;
	struct storvsp_disk d;
	struct storvsp_disk d2;
};

static int fake_gpa_iov(void *ctx, const struct enl_pkt_gpa_range *r,
			struct iovec *iov, unsigned int max)
{
	u32 i, left = r->byte_count, off = r->byte_offset;
	unsigned int n = 0;

	for (i = 0; i < r->pfn_count && left; i++) {
		u32 c = PAGE - off < left ? PAGE - off : left;

		if (r->pfn[i] >= RAM_PAGES)
			return -ERANGE;
		if (n >= max)
			return -E2BIG;
		iov[n].iov_base = ram + r->pfn[i] * PAGE + off;
		iov[n].iov_len = c;
		n++;
		left -= c;
		off = 0;
	}
	return (int)n;
}

static int mem_copy(const struct iovec *iov, int niov, u64 off, u64 len, bool write)
{
	int i;

	if (fail_io)
		return -EIO;
	assert_true(off + len <= DISK_BYTES);
	for (i = 0; i < niov && len; i++) {
		size_t c = iov[i].iov_len < len ? iov[i].iov_len : (size_t)len;

		if (write)
			memcpy(image + off, iov[i].iov_base, c);
		else
			memcpy(iov[i].iov_base, image + off, c);
		off += c;
		len -= c;
	}
	assert_int_equal(len, 0);
	return 0;
}

static int mem_read(void *ctx, const struct iovec *iov, int niov, u64 off, u64 len)
{
	return mem_copy(iov, niov, off, len, false);
}

static int mem_write(void *ctx, const struct iovec *iov, int niov, u64 off, u64 len)
{
	return mem_copy(iov, niov, off, len, true);
}

static int mem_flush(void *ctx)
{
	flushes_seen++;
	return fail_io ? -EIO : 0;
}

static int mem_discard(void *ctx, u64 off, u64 len)
{
	assert_true(off + len <= DISK_BYTES);
	memset(image + off, 0, len);
	return 0;
}

static const struct storvsp_io_ops mem_io = {
	.read = mem_read, .write = mem_write, .flush = mem_flush,
	.discard = mem_discard,
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	ram = calloc(RAM_PAGES, PAGE);
	image = calloc(1, DISK_BYTES);
	fail_io = false;
	flushes_seen = 0;
	storvsp_ctl_init(&f->c, 3);
	f->c.gpa_iov = fake_gpa_iov;
	storvsp_disk_init(&f->d, 0, false, DISK_BYTES, "SER123", &mem_io, NULL);
	storvsp_disk_init(&f->d2, 5, true, DISK_BYTES, NULL, &mem_io, NULL);
	assert_int_equal(storvsp_ctl_add_disk(&f->c, &f->d2), 0);
	assert_int_equal(storvsp_ctl_add_disk(&f->c, &f->d), 0);
	assert_int_equal(storvsp_ctl_add_disk(&f->c, &f->d), -EEXIST);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	free(ram);
	free(image);
	return 0;
}

/* ---- packet builders ---------------------------------------------------- */

static _Alignas(8) u8 pkt[2048];

/* An inband packet of payload len bytes (desc + payload, padded). */
static u32 inband(const void *payload, u32 len, u16 flags, u64 trans_id)
{
	struct vmbus_pkt_desc d = {
		.type = VMBUS_PKT_INBAND, .offset8 = 2,
		.len8 = (u16)(VMBUS_PKT_ALIGN(16 + len) / 8), .flags = flags,
		.trans_id = trans_id,
	};

	memset(pkt, 0, sizeof(pkt));
	memcpy(pkt, &d, sizeof(d));
	memcpy(pkt + 16, payload, len);
	return VMBUS_PKT_ALIGN(16 + len);
}

/* A GPA-direct packet: one range of count bytes at guest address gpa. */
static u32 gpa_direct(const void *payload, u32 len, u64 gpa, u32 count,
		      u32 nranges)
{
	u32 off = (u32)(gpa % PAGE);
	u32 npfn = (off + count + PAGE - 1) / PAGE, i, hdr, r;
	u8 *p = pkt + 24;
	struct vmbus_pkt_desc d;

	memset(pkt, 0, sizeof(pkt));
	for (r = 0; r < nranges; r++) {
		struct vmbus_gpa_range g = { .byte_count = count, .byte_offset = off };

		memcpy(p, &g, sizeof(g));
		p += sizeof(g);
		for (i = 0; i < npfn; i++) {
			u64 pfn = gpa / PAGE + i;

			memcpy(p, &pfn, 8);
			p += 8;
		}
	}
	hdr = (u32)(p - pkt);
	d = (struct vmbus_pkt_desc){
		.type = VMBUS_PKT_GPA_DIRECT, .offset8 = (u16)(hdr / 8),
		.len8 = (u16)(VMBUS_PKT_ALIGN(hdr + len) / 8),
		.flags = VMBUS_PKT_FLAG_COMPLETION_REQUESTED, .trans_id = 77,
	};
	memcpy(pkt, &d, sizeof(d));
	memcpy(pkt + 20, &nranges, 4);
	memcpy(pkt + hdr, payload, len);
	return VMBUS_PKT_ALIGN(hdr + len);
}

static enum storvsp_action op(struct fixture *f, u32 operation, u16 arg,
			      struct enl_vstor_packet *reply)
{
	struct enl_vstor_packet in = { .operation = operation,
				       .flags = ENL_VSTOR_FLAG_REQUEST_COMPLETION };
	u64 tid = 0;
	u16 sub = 0;
	enum storvsp_action a;

	if (operation == ENL_VSTOR_OP_QUERY_PROTOCOL_VERSION)
		in.version.major_minor = arg;
	else
		in.sub_channel_count = arg;
	a = storvsp_handle(&f->c, true, pkt, inband(&in, sizeof(in),
			   VMBUS_PKT_FLAG_COMPLETION_REQUESTED, ENL_VSTOR_TRANS_ID_INIT),
			   reply, &tid, &sub);
	if (a != STORVSP_DROP) {
		assert_int_equal(tid, ENL_VSTOR_TRANS_ID_INIT);
		assert_int_equal(reply->operation, ENL_VSTOR_OP_COMPLETE_IO);
	}
	return a;
}

static void handshake(struct fixture *f, u16 version)
{
	struct enl_vstor_packet r;

	assert_int_equal(op(f, ENL_VSTOR_OP_BEGIN_INIT, 0, &r), STORVSP_REPLY);
	assert_int_equal(r.status, 0);
	if (version != ENL_VSTOR_VER_WIN10) {
		op(f, ENL_VSTOR_OP_QUERY_PROTOCOL_VERSION, 0x0700, &r);
		assert_int_equal(r.status, ENL_VSTOR_STATUS_REVISION_MISMATCH);
	}
	op(f, ENL_VSTOR_OP_QUERY_PROTOCOL_VERSION, version, &r);
	assert_int_equal(r.status, 0);
	op(f, ENL_VSTOR_OP_QUERY_PROPERTIES, 0, &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.props.max_transfer_bytes, ENL_VSTOR_MAX_TRANSFER);
	assert_int_equal(r.props.flags & ENL_VSTOR_PROP_MULTI_CHANNEL, 1);
	assert_int_equal(r.props.max_channel_cnt, 3);
	op(f, ENL_VSTOR_OP_END_INIT, 0, &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(atomic_load(&f->c.state), STORVSP_READY);
}

/* One SRB: cdb, direction, buffer at gpa of len bytes (0: inband). */
static enum storvsp_action srb(struct fixture *f, u8 lun, const u8 *cdb,
			       u8 cdb_len, u8 dir, u64 gpa, u32 len,
			       struct enl_vstor_packet *reply)
{
	struct enl_vstor_packet in = { .operation = ENL_VSTOR_OP_EXECUTE_SRB,
				       .flags = ENL_VSTOR_FLAG_REQUEST_COMPLETION };
	u64 tid = 0;
	u16 sub = 0;
	u32 n;

	in.srb.length = ENL_VMSCSI_SIZE;
	in.srb.lun = lun;
	in.srb.cdb_length = cdb_len;
	in.srb.sense_info_length = ENL_VSTOR_SENSE_SIZE;
	in.srb.data_in = dir;
	in.srb.data_transfer_length = len;
	memcpy(in.srb.cdb, cdb, cdb_len > 16 ? 16 : cdb_len);
	n = len ? gpa_direct(&in, sizeof(in), gpa, len, 1)
		: inband(&in, sizeof(in), VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 9);
	return storvsp_handle(&f->c, false, pkt, n, reply, &tid, &sub);
}

static void assert_good(const struct enl_vstor_packet *r, u32 transferred)
{
	assert_int_equal(r->srb.srb_status, ENL_SRB_STATUS_SUCCESS);
	assert_int_equal(r->srb.scsi_status, 0);
	assert_int_equal(r->srb.data_transfer_length, transferred);
}

static void assert_sense(const struct enl_vstor_packet *r, u8 key, u8 asc)
{
	assert_int_equal(r->srb.srb_status,
			 ENL_SRB_STATUS_ERROR | ENL_SRB_STATUS_AUTOSENSE_VALID);
	assert_int_equal(r->srb.scsi_status, ENL_SAM_STAT_CHECK_CONDITION);
	assert_int_equal(r->srb.sense_info_length, 18);
	assert_int_equal(r->srb.sense_data[0], 0x70);
	assert_int_equal(r->srb.sense_data[2], key);
	assert_int_equal(r->srb.sense_data[12], asc);
	assert_int_equal(r->srb.data_transfer_length, 0);
}

/* ---- handshake ------------------------------------------------------------ */

static void test_handshake_each_version(void **state)
{
	struct fixture *f = *state;
	static const u16 v[] = { ENL_VSTOR_VER_WIN10, ENL_VSTOR_VER_WIN8_1,
				 ENL_VSTOR_VER_WIN8 };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		handshake(f, v[i]);
		assert_int_equal(f->c.version, v[i]);
	}
}

static void test_handshake_out_of_order(void **state)
{
	struct fixture *f = *state;
	struct enl_vstor_packet r;
	static const u8 tur[6] = { 0 };

	/* every step before BEGIN_INIT: INVALID_DEVICE_STATE */
	op(f, ENL_VSTOR_OP_QUERY_PROTOCOL_VERSION, ENL_VSTOR_VER_WIN10, &r);
	assert_int_equal(r.status, ENL_VSTOR_STATUS_INVALID_DEVICE_STATE);
	op(f, ENL_VSTOR_OP_QUERY_PROPERTIES, 0, &r);
	assert_int_equal(r.status, ENL_VSTOR_STATUS_INVALID_DEVICE_STATE);
	op(f, ENL_VSTOR_OP_END_INIT, 0, &r);
	assert_int_equal(r.status, ENL_VSTOR_STATUS_INVALID_DEVICE_STATE);
	op(f, ENL_VSTOR_OP_CREATE_SUB_CHANNELS, 1, &r);
	assert_int_equal(r.status, ENL_VSTOR_STATUS_INVALID_DEVICE_STATE);
	/* a request before init: an error completion, nothing executed */
	assert_int_equal(srb(f, 0, tur, 6, ENL_VSTOR_DATA_NONE, 0, 0, &r), STORVSP_REPLY);
	assert_int_equal(r.status, ENL_VSTOR_STATUS_INVALID_DEVICE_STATE);
	assert_int_equal(r.srb.srb_status, ENL_SRB_STATUS_ERROR);
	assert_int_equal(atomic_load(&f->d.st.requests), 0);
	/* END before PROPERTIES */
	op(f, ENL_VSTOR_OP_BEGIN_INIT, 0, &r);
	op(f, ENL_VSTOR_OP_END_INIT, 0, &r);
	assert_int_equal(r.status, ENL_VSTOR_STATUS_INVALID_DEVICE_STATE);
	/* pre-Win8 versions and a bad revision are refused */
	op(f, ENL_VSTOR_OP_QUERY_PROTOCOL_VERSION, ENL_VSTOR_VER_WIN7, &r);
	assert_int_equal(r.status, ENL_VSTOR_STATUS_REVISION_MISMATCH);
	/* unknown operation */
	op(f, 99, 0, &r);
	assert_int_equal(r.status, ENL_VSTOR_STATUS_INVALID_PARAMETER);
	/* the handshake is refused on a subchannel */
	{
		struct enl_vstor_packet in = { .operation = ENL_VSTOR_OP_BEGIN_INIT };
		u64 tid;
		u16 sub;

		storvsp_handle(&f->c, false, pkt,
			       inband(&in, sizeof(in), VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 5),
			       &r, &tid, &sub);
		assert_int_equal(r.status, ENL_VSTOR_STATUS_INVALID_DEVICE_STATE);
	}
}

/* A daemon started while the guest runs carries on with its SRBs. */
static void test_resume_after_restart(void **state)
{
	struct fixture *f = *state;
	struct enl_vstor_packet r, in = { .operation = ENL_VSTOR_OP_EXECUTE_SRB };
	static const u8 tur[6] = { 0 };
	u64 tid;
	u16 sub;

	f->c.may_resume = true;
	/* the subchannels are taken over too: one of theirs may come first */
	srb(f, 0, tur, 6, ENL_VSTOR_DATA_NONE, 0, 0, &r);
	assert_int_equal(r.status, 0);
	assert_true(f->c.resumed);
	assert_int_equal(atomic_load(&f->c.state), STORVSP_READY);
	/* or the primary's */
	storvsp_ctl_reset(&f->c);
	f->c.resumed = false;
	f->c.may_resume = true;
	in.srb.length = ENL_VMSCSI_SIZE;
	in.srb.cdb_length = 6;
	in.srb.data_in = ENL_VSTOR_DATA_NONE;
	storvsp_handle(&f->c, true, pkt,
		       inband(&in, sizeof(in), VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 3),
		       &r, &tid, &sub);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.srb.srb_status, ENL_SRB_STATUS_SUCCESS);
	assert_true(f->c.resumed);
	assert_int_equal(atomic_load(&f->c.state), STORVSP_READY);
	/* a handshake packet first: no resume later */
	storvsp_ctl_init(&f->c, 3);
	f->c.may_resume = true;
	op(f, ENL_VSTOR_OP_QUERY_PROPERTIES, 0, &r);
	storvsp_handle(&f->c, true, pkt,
		       inband(&in, sizeof(in), VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 3),
		       &r, &tid, &sub);
	assert_int_equal(r.status, ENL_VSTOR_STATUS_INVALID_DEVICE_STATE);
}

static void test_subchannels(void **state)
{
	struct fixture *f = *state;
	struct enl_vstor_packet r;

	handshake(f, ENL_VSTOR_VER_WIN10);
	assert_int_equal(op(f, ENL_VSTOR_OP_CREATE_SUB_CHANNELS, 4, &r), STORVSP_REPLY);
	assert_int_equal(r.status, ENL_VSTOR_STATUS_INVALID_PARAMETER);	/* > 3 */
	assert_int_equal(op(f, ENL_VSTOR_OP_CREATE_SUB_CHANNELS, 0, &r), STORVSP_REPLY);
	assert_int_equal(r.status, ENL_VSTOR_STATUS_INVALID_PARAMETER);
	assert_int_equal(op(f, ENL_VSTOR_OP_CREATE_SUB_CHANNELS, 2, &r),
			 STORVSP_REPLY_SUBCHANNELS);
	assert_int_equal(r.status, 0);
	/* once per open */
	assert_int_equal(op(f, ENL_VSTOR_OP_CREATE_SUB_CHANNELS, 1, &r), STORVSP_REPLY);
	assert_int_equal(r.status, ENL_VSTOR_STATUS_INVALID_PARAMETER);
}

/* ---- malformed packets ---------------------------------------------------- */

static void test_malformed_packets(void **state)
{
	struct fixture *f = *state;
	struct enl_vstor_packet r, in = { .operation = ENL_VSTOR_OP_EXECUTE_SRB };
	u64 tid;
	u16 sub;
	u32 n;
	static const u8 rd10[10] = { 0x28, 0, 0, 0, 0, 0, 0, 0, 8, 0 };
	static const u8 tur[6] = { 0 };
	static const u8 z16[16] = { 0 };

	handshake(f, ENL_VSTOR_VER_WIN10);
	/* no completion requested / trans id 0: dropped */
	n = inband(&in, sizeof(in), 0, 5);
	assert_int_equal(storvsp_handle(&f->c, true, pkt, n, &r, &tid, &sub), STORVSP_DROP);
	n = inband(&in, sizeof(in), VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 0);
	assert_int_equal(storvsp_handle(&f->c, true, pkt, n, &r, &tid, &sub), STORVSP_DROP);
	/* descriptor lies about the length: dropped */
	n = inband(&in, sizeof(in), VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 5);
	assert_int_equal(storvsp_handle(&f->c, true, pkt, n - 8, &r, &tid, &sub), STORVSP_DROP);
	((struct vmbus_pkt_desc *)pkt)->offset8 = 0;
	assert_int_equal(storvsp_handle(&f->c, true, pkt, n, &r, &tid, &sub), STORVSP_DROP);
	/* completion-type packet from the guest: dropped */
	n = inband(&in, sizeof(in), VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 5);
	((struct vmbus_pkt_desc *)pkt)->type = VMBUS_PKT_COMPLETION;
	assert_int_equal(storvsp_handle(&f->c, true, pkt, n, &r, &tid, &sub), STORVSP_DROP);
	/* every SRB size short of the Win8 one (52): refused */
	for (u32 len = 0; len < ENL_VSTOR_PACKET_SIZE; len += 4) {
		n = inband(&in, len, VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 5);
		/* the padding to 8 would give len + 4 bytes: cut the descriptor */
		((struct vmbus_pkt_desc *)pkt)->len8 = (u16)(n / 8);
		if (VMBUS_PKT_ALIGN(16 + len) - 16 >= ENL_VSTOR_PACKET_SIZE)
			continue;
		assert_int_equal(storvsp_handle(&f->c, true, pkt, n, &r, &tid, &sub),
				 STORVSP_REPLY);
		assert_int_equal(r.status, ENL_VSTOR_STATUS_INVALID_PARAMETER);
	}
	/* CDB length 0 and > 16 */
	srb(f, 0, z16, 0, ENL_VSTOR_DATA_NONE, 0, 0, &r);
	assert_int_equal(r.srb.srb_status, ENL_SRB_STATUS_INVALID_REQUEST);
	srb(f, 0, z16, 17, ENL_VSTOR_DATA_NONE, 0, 0, &r);
	assert_int_equal(r.srb.srb_status, ENL_SRB_STATUS_INVALID_REQUEST);
	/* CDB shorter than its opcode group (READ 10 in 6 bytes) */
	srb(f, 0, rd10, 6, ENL_VSTOR_DATA_READ, 0x1000, 4096, &r);
	assert_sense(&r, 5, 0x20);
	/* buffer outside RAM */
	srb(f, 0, rd10, 10, ENL_VSTOR_DATA_READ, (u64)RAM_PAGES * PAGE, 4096, &r);
	assert_int_equal(r.srb.srb_status, ENL_SRB_STATUS_INVALID_REQUEST);
	srb(f, 0, rd10, 10, ENL_VSTOR_DATA_READ, (u64)(RAM_PAGES - 1) * PAGE, 8192, &r);
	assert_int_equal(r.srb.srb_status, ENL_SRB_STATUS_INVALID_REQUEST);
	/* buffer shorter than the transfer (8 blocks into 2 KiB) */
	srb(f, 0, rd10, 10, ENL_VSTOR_DATA_READ, 0x1000, 2048, &r);
	assert_sense(&r, 5, 0x24);
	/* data direction against the command */
	srb(f, 0, rd10, 10, ENL_VSTOR_DATA_WRITE, 0x1000, 4096, &r);
	assert_sense(&r, 5, 0x24);
	/* data_in neither of the three */
	srb(f, 0, tur, 6, 7, 0, 0, &r);
	assert_int_equal(r.srb.srb_status, ENL_SRB_STATUS_INVALID_REQUEST);
	/* DATA_NONE with a data length, inband */
	in.srb.length = ENL_VMSCSI_SIZE;
	in.srb.cdb_length = 6;
	in.srb.data_in = ENL_VSTOR_DATA_NONE;
	in.srb.data_transfer_length = 512;
	n = inband(&in, sizeof(in), VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 5);
	storvsp_handle(&f->c, false, pkt, n, &r, &tid, &sub);
	assert_int_equal(r.srb.srb_status, ENL_SRB_STATUS_INVALID_REQUEST);
	/* sense length larger than the version's */
	in.srb.data_transfer_length = 0;
	in.srb.sense_info_length = 21;
	n = inband(&in, sizeof(in), VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 5);
	storvsp_handle(&f->c, false, pkt, n, &r, &tid, &sub);
	assert_int_equal(r.srb.srb_status, ENL_SRB_STATUS_INVALID_REQUEST);
	/* data_transfer_length not the range's length */
	in.srb.sense_info_length = 20;
	in.srb.cdb_length = 10;
	memcpy(in.srb.cdb, rd10, 10);
	in.srb.data_in = ENL_VSTOR_DATA_READ;
	in.srb.data_transfer_length = 8192;
	n = gpa_direct(&in, sizeof(in), 0x1000, 4096, 1);
	storvsp_handle(&f->c, false, pkt, n, &r, &tid, &sub);
	assert_int_equal(r.srb.srb_status, ENL_SRB_STATUS_INVALID_REQUEST);
	/* two ranges */
	in.srb.data_transfer_length = 4096;
	n = gpa_direct(&in, sizeof(in), 0x1000, 4096, 2);
	storvsp_handle(&f->c, false, pkt, n, &r, &tid, &sub);
	assert_int_equal(r.srb.srb_status, ENL_SRB_STATUS_INVALID_REQUEST);
	/* a range larger than max_transfer_bytes */
	in.srb.data_transfer_length = ENL_VSTOR_MAX_TRANSFER + PAGE;
	n = gpa_direct(&in, sizeof(in), 0, ENL_VSTOR_MAX_TRANSFER + PAGE, 1);
	storvsp_handle(&f->c, false, pkt, n, &r, &tid, &sub);
	assert_int_equal(r.srb.srb_status, ENL_SRB_STATUS_INVALID_REQUEST);
	assert_int_equal(atomic_load(&f->d.st.bytes_read), 0);
	assert_true(atomic_load(&f->c.bad_packets) >= 10);
}

static void test_lun_addressing(void **state)
{
	struct fixture *f = *state;
	struct enl_vstor_packet r;
	static const u8 tur[6] = { 0 };
	static const u8 inq[6] = { 0x12, 0, 0, 0, 36, 0 };
	u8 *data = ram + 0x2000;

	handshake(f, ENL_VSTOR_VER_WIN10);
	/* a LUN that is not there: INVALID_LUN for commands... */
	srb(f, 3, tur, 6, ENL_VSTOR_DATA_NONE, 0, 0, &r);
	assert_int_equal(r.srb.srb_status, ENL_SRB_STATUS_INVALID_LUN);
	srb(f, 200, tur, 6, ENL_VSTOR_DATA_NONE, 0, 0, &r);
	assert_int_equal(r.srb.srb_status, ENL_SRB_STATUS_INVALID_LUN);
	/* ...and PQ 3 INQUIRY data (Linux forces INQUIRY to success) */
	srb(f, 200, inq, 6, ENL_VSTOR_DATA_READ, 0x2000, 36, &r);
	assert_good(&r, 36);
	assert_int_equal(data[0], 0x7F);
	srb(f, 0, inq, 6, ENL_VSTOR_DATA_READ, 0x2000, 36, &r);
	assert_good(&r, 36);
	assert_int_equal(data[0], 0x00);
	assert_memory_equal(data + 8, "Msft    Virtual Disk    ", 24);
}

/* ---- SCSI good paths ---------------------------------------------------- */

static void test_inquiry_vpd(void **state)
{
	struct fixture *f = *state;
	struct enl_vstor_packet r;
	u8 cdb[6] = { 0x12, 1, 0x00, 0, 255, 0 };
	u8 *data = ram + 0x3000;
	static const u8 pages[] = { 0x00, 0x80, 0x83, 0xB0, 0xB1, 0xB2 };
	unsigned int i;

	handshake(f, ENL_VSTOR_VER_WIN10);
	srb(f, 0, cdb, 6, ENL_VSTOR_DATA_READ, 0x3000, 255, &r);
	assert_good(&r, 10);
	assert_memory_equal(data + 4, pages, 6);
	for (i = 0; i < sizeof(pages); i++) {
		/* header only first, as Linux asks: page code and length */
		cdb[2] = pages[i];
		cdb[4] = 4;
		srb(f, 0, cdb, 6, ENL_VSTOR_DATA_READ, 0x3000, 4, &r);
		assert_good(&r, 4);
		assert_int_equal(data[1], pages[i]);
		cdb[4] = 255;
		srb(f, 0, cdb, 6, ENL_VSTOR_DATA_READ, 0x3000, 255, &r);
		assert_int_equal(r.srb.srb_status, ENL_SRB_STATUS_SUCCESS);
		assert_int_equal(r.srb.data_transfer_length, 4 + (data[2] << 8 | data[3]));
	}
	cdb[2] = 0x80;
	srb(f, 0, cdb, 6, ENL_VSTOR_DATA_READ, 0x3000, 255, &r);
	assert_int_equal(data[3], 6);
	assert_memory_equal(data + 4, "SER123", 6);
	cdb[2] = 0x83;
	srb(f, 0, cdb, 6, ENL_VSTOR_DATA_READ, 0x3000, 255, &r);
	assert_int_equal(data[4 + 20 + 3], 8 + 6);
	assert_memory_equal(data + 4 + 20 + 4 + 8, "SER123", 6);
	cdb[2] = 0xB2;
	srb(f, 0, cdb, 6, ENL_VSTOR_DATA_READ, 0x3000, 255, &r);
	assert_int_equal(data[5] & 0x80, 0x80);	/* LBPU */
	/* a page not listed */
	cdb[2] = 0x89;
	srb(f, 0, cdb, 6, ENL_VSTOR_DATA_READ, 0x3000, 255, &r);
	assert_sense(&r, 5, 0x24);
	/* the default serial of LUN 5 */
	cdb[2] = 0x80;
	srb(f, 5, cdb, 6, ENL_VSTOR_DATA_READ, 0x3000, 255, &r);
	assert_memory_equal(data + 4, "enl-disk-5", 10);
}

static void test_capacity_mode_luns(void **state)
{
	struct fixture *f = *state;
	struct enl_vstor_packet r;
	static const u8 rc10[10] = { 0x25 };
	static const u8 rc16[16] = { 0x9E, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0 };
	static const u8 rl[12] = { 0xA0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0 };
	u8 ms6[6] = { 0x1A, 0, 0x3F, 0, 4, 0 };
	u8 ms10[10] = { 0x5A, 0, 0x08, 0, 0, 0, 0, 0, 255, 0 };
	u8 *data = ram + 0x4000;

	handshake(f, ENL_VSTOR_VER_WIN8);
	srb(f, 0, rc10, 10, ENL_VSTOR_DATA_READ, 0x4000, 8, &r);
	assert_good(&r, 8);
	assert_int_equal(data[2] << 8 | data[3], DISK_BYTES / 512 - 1);
	assert_int_equal(data[6], 2);	/* 512 */
	srb(f, 0, rc16, 16, ENL_VSTOR_DATA_READ, 0x4000, 32, &r);
	assert_good(&r, 32);
	assert_int_equal(data[6] << 8 | data[7], DISK_BYTES / 512 - 1);
	assert_int_equal(data[14] & 0x80, 0x80);	/* LBPME */
	/* MODE SENSE(6) all pages, allocation 4: header only, WP clear */
	srb(f, 0, ms6, 6, ENL_VSTOR_DATA_READ, 0x4000, 4, &r);
	assert_good(&r, 4);
	assert_int_equal(data[2] & 0x80, 0);
	/* the read-only LUN says WP */
	srb(f, 5, ms6, 6, ENL_VSTOR_DATA_READ, 0x4000, 4, &r);
	assert_int_equal(data[2] & 0x80, 0x80);
	/* caching page: WCE */
	ms6[2] = 0x08;
	ms6[4] = 255;
	srb(f, 0, ms6, 6, ENL_VSTOR_DATA_READ, 0x4000, 255, &r);
	assert_good(&r, 24);
	assert_int_equal(data[4], 0x08);
	assert_int_equal(data[6] & 0x04, 0x04);
	srb(f, 0, ms10, 10, ENL_VSTOR_DATA_READ, 0x4000, 255, &r);
	assert_good(&r, 28);
	assert_int_equal(data[8 + 2] & 0x04, 0x04);
	/* saved values and unknown pages: errors */
	ms6[2] = 0xC8;
	srb(f, 0, ms6, 6, ENL_VSTOR_DATA_READ, 0x4000, 255, &r);
	assert_sense(&r, 5, 0x39);
	ms6[2] = 0x0A;
	ms6[3] = 0x05;
	srb(f, 0, ms6, 6, ENL_VSTOR_DATA_READ, 0x4000, 255, &r);
	assert_sense(&r, 5, 0x24);
	/* REPORT LUNS: 0 and 5 */
	srb(f, 0, rl, 12, ENL_VSTOR_DATA_READ, 0x4000, 4096, &r);
	assert_good(&r, 24);
	assert_int_equal(data[3], 16);
	assert_int_equal(data[8 + 1], 0);
	assert_int_equal(data[16 + 1], 5);
}

static void test_read_write(void **state)
{
	struct fixture *f = *state;
	struct enl_vstor_packet r;
	u8 wr10[10] = { 0x2A, 0, 0, 0, 0, 10, 0, 0, 16, 0 };
	u8 rd16[16] = { 0x88, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 16, 0, 0 };
	u8 rd6[6] = { 0x08, 0, 0, 10, 1, 0 };
	u8 wr12[12] = { 0xAA, 0x08, 0, 0, 0, 100, 0, 0, 0, 1, 0, 0 };
	u8 sync10[10] = { 0x35 };
	unsigned int i;

	handshake(f, ENL_VSTOR_VER_WIN10);
	/* an 8 KiB write from an unaligned buffer across three pages */
	for (i = 0; i < 8192; i++)
		ram[0x5100 + i] = (u8)(i * 7 + 1);
	srb(f, 0, wr10, 10, ENL_VSTOR_DATA_WRITE, 0x5100, 8192, &r);
	assert_good(&r, 8192);
	/* the guest's block N sits at offset N * 512 */
	assert_memory_equal(image + 10 * 512, ram + 0x5100, 8192);
	srb(f, 0, rd16, 16, ENL_VSTOR_DATA_READ, 0x9000, 8192, &r);
	assert_good(&r, 8192);
	assert_memory_equal(ram + 0x9000, ram + 0x5100, 8192);
	srb(f, 0, rd6, 6, ENL_VSTOR_DATA_READ, 0xC000, 512, &r);
	assert_good(&r, 512);
	assert_memory_equal(ram + 0xC000, ram + 0x5100, 512);
	/* a larger buffer than the transfer: the true count comes back */
	srb(f, 0, rd6, 6, ENL_VSTOR_DATA_READ, 0xC000, 1024, &r);
	assert_good(&r, 512);
	/* FUA write flushes */
	srb(f, 0, wr12, 12, ENL_VSTOR_DATA_WRITE, 0xC000, 512, &r);
	assert_good(&r, 512);
	assert_int_equal(flushes_seen, 1);
	srb(f, 0, sync10, 10, ENL_VSTOR_DATA_NONE, 0, 0, &r);
	assert_good(&r, 0);
	assert_int_equal(flushes_seen, 2);
	assert_int_equal(atomic_load(&f->d.st.flushes), 1);
	assert_int_equal(atomic_load(&f->d.st.bytes_written), 8192 + 512);
	assert_int_equal(atomic_load(&f->d.st.bytes_read), 8192 + 512 + 512);
	assert_int_equal(atomic_load(&f->d.st.errors), 0);
	/* zero-length transfer: good, nothing moved */
	wr10[8] = 0;
	srb(f, 0, wr10, 10, ENL_VSTOR_DATA_NONE, 0, 0, &r);
	assert_good(&r, 0);
}

static void test_rw_errors(void **state)
{
	struct fixture *f = *state;
	struct enl_vstor_packet r;
	u64 last = DISK_BYTES / 512 - 1;
	u8 rd16[16] = { 0x88 };
	u8 wr10[10] = { 0x2A, 0, 0, 0, 0, 0, 0, 0, 1, 0 };
	static const u8 bogus[6] = { 0xC7 };
	static const u8 sync16[16] = { 0x91 };

	handshake(f, ENL_VSTOR_VER_WIN10);
	/* the last block reads; one past it does not; nor a wrapping LBA */
	rd16[9] = (u8)last;
	rd16[8] = (u8)(last >> 8);
	rd16[13] = 1;
	srb(f, 0, rd16, 16, ENL_VSTOR_DATA_READ, 0x1000, 512, &r);
	assert_good(&r, 512);
	rd16[13] = 2;
	srb(f, 0, rd16, 16, ENL_VSTOR_DATA_READ, 0x1000, 1024, &r);
	assert_sense(&r, 5, 0x21);
	memset(rd16 + 2, 0xFF, 8);
	srb(f, 0, rd16, 16, ENL_VSTOR_DATA_READ, 0x1000, 1024, &r);
	assert_sense(&r, 5, 0x21);
	/* write to the read-only LUN: DATA PROTECT, image untouched */
	memset(ram + 0x1000, 0xAB, 512);
	srb(f, 5, wr10, 10, ENL_VSTOR_DATA_WRITE, 0x1000, 512, &r);
	assert_sense(&r, 7, 0x27);
	assert_int_equal(image[0], 0);
	/* backend error: MEDIUM ERROR */
	fail_io = true;
	srb(f, 0, wr10, 10, ENL_VSTOR_DATA_WRITE, 0x1000, 512, &r);
	assert_sense(&r, 3, 0x0C);
	srb(f, 0, sync16, 16, ENL_VSTOR_DATA_NONE, 0, 0, &r);
	assert_sense(&r, 3, 0x0C);
	fail_io = false;
	/* unknown opcode */
	srb(f, 0, bogus, 6, ENL_VSTOR_DATA_NONE, 0, 0, &r);
	assert_sense(&r, 5, 0x20);
	assert_int_equal(atomic_load(&f->d.st.errors), 5);
	/* sense cut to the guest's sense buffer: none at all turns off
	 * AUTOSENSE_VALID, so the guest does not read stale bytes */
	{
		struct enl_vstor_packet in = { .operation = ENL_VSTOR_OP_EXECUTE_SRB };
		u64 tid;
		u16 sub;

		in.srb.cdb_length = 6;
		in.srb.cdb[0] = 0xC7;
		in.srb.data_in = ENL_VSTOR_DATA_NONE;
		storvsp_handle(&f->c, false, pkt,
			       inband(&in, sizeof(in), VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 3),
			       &r, &tid, &sub);
		assert_int_equal(r.srb.srb_status, ENL_SRB_STATUS_ERROR);
		assert_int_equal(r.srb.sense_info_length, 0);
	}
}

static void test_unmap(void **state)
{
	struct fixture *f = *state;
	struct enl_vstor_packet r;
	u8 unmap[10] = { 0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0 };
	u8 ws16[16] = { 0x93, 0x08, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 8, 0, 0 };
	u8 *p = ram + 0x6000;

	handshake(f, ENL_VSTOR_VER_WIN10);
	memset(image, 0xEE, 64 * 512);
	/* one descriptor: LBA 0, 4 blocks */
	memset(p, 0, 24);
	p[1] = 22;
	p[3] = 16;
	p[8 + 11] = 4;
	srb(f, 0, unmap, 10, ENL_VSTOR_DATA_WRITE, 0x6000, 24, &r);
	assert_good(&r, 24);
	assert_int_equal(image[0], 0);
	assert_int_equal(image[4 * 512 - 1], 0);
	assert_int_equal(image[4 * 512], 0xEE);
	assert_int_equal(atomic_load(&f->d.st.unmaps), 1);
	/* out of range descriptor: nothing unmapped */
	p[8 + 2] = 0xFF;
	srb(f, 0, unmap, 10, ENL_VSTOR_DATA_WRITE, 0x6000, 24, &r);
	assert_sense(&r, 5, 0x21);
	/* descriptor length beyond the list */
	p[8 + 2] = 0;
	p[3] = 32;
	srb(f, 0, unmap, 10, ENL_VSTOR_DATA_WRITE, 0x6000, 24, &r);
	assert_sense(&r, 5, 0x1A);
	/* list longer than the buffer */
	p[3] = 16;
	srb(f, 0, unmap, 10, ENL_VSTOR_DATA_WRITE, 0x6000, 16, &r);
	assert_sense(&r, 5, 0x1A);
	/* read-only disk */
	srb(f, 5, unmap, 10, ENL_VSTOR_DATA_WRITE, 0x6000, 24, &r);
	assert_sense(&r, 7, 0x27);
	/* WRITE SAME(16) with UNMAP: LBA 8, 8 blocks */
	srb(f, 0, ws16, 16, ENL_VSTOR_DATA_WRITE, 0x6000, 512, &r);
	assert_good(&r, 0);
	assert_int_equal(image[8 * 512], 0);
	assert_int_equal(image[16 * 512], 0xEE);
	ws16[1] = 0;	/* without UNMAP: not supported */
	srb(f, 0, ws16, 16, ENL_VSTOR_DATA_WRITE, 0x6000, 512, &r);
	assert_sense(&r, 5, 0x24);
}

static void test_misc_commands(void **state)
{
	struct fixture *f = *state;
	struct enl_vstor_packet r;
	static const u8 tur[6] = { 0 };
	static const u8 ssu[6] = { 0x1B, 0, 0, 0, 1, 0 };
	static const u8 rs[6] = { 0x03, 0, 0, 0, 18, 0 };
	static const u8 rc16_bad_sa[16] = { 0x9E, 0x11 };

	handshake(f, ENL_VSTOR_VER_WIN10);
	srb(f, 0, tur, 6, ENL_VSTOR_DATA_NONE, 0, 0, &r);
	assert_good(&r, 0);
	srb(f, 0, ssu, 6, ENL_VSTOR_DATA_NONE, 0, 0, &r);
	assert_good(&r, 0);
	srb(f, 0, rs, 6, ENL_VSTOR_DATA_READ, 0x1000, 18, &r);
	assert_good(&r, 18);
	assert_int_equal(ram[0x1000], 0x70);
	assert_int_equal(ram[0x1002], 0);
	srb(f, 0, rc16_bad_sa, 16, ENL_VSTOR_DATA_READ, 0x1000, 32, &r);
	assert_sense(&r, 5, 0x24);
}

/*
 * The real file backend: block N of the guest at offset N * 512, through
 * preadv (uring false) or io_uring.  dir: where the image goes (/tmp may
 * be tmpfs, which refuses O_DIRECT before 6.6).
 */
static void file_backend(const char *dir, bool uring)
{
	char path[256], err[256];
	struct storvsp_backend b;
	struct iovec iov[2];
	/* odd addresses: never aligned for O_DIRECT, wherever the stack is
	 * (1024-byte arrays on the stack were 512-aligned now and then) */
	static u8 abuf[1025] __attribute__((aligned(16)));
	static u8 cbuf[1025] __attribute__((aligned(16)));
	u8 *a = abuf + 1, *c = cbuf + 1;
	unsigned int i;
	int fd;

	snprintf(path, sizeof(path), "%s/test_storvsp.XXXXXX", dir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4096 + 100), 0);
	close(fd);
	assert_int_equal(storvsp_backend_open(&b, path, false, err, sizeof(err)), 0);
	if (uring)
		assert_int_equal(storvsp_backend_use_uring(&b, path), 0);
	assert_string_equal(storvsp_backend_name(&b), uring ? "io_uring" : "preadv");
	assert_int_equal(b.size, 4096);	/* whole blocks only */
	for (i = 0; i < 1024; i++)
		a[i] = (u8)i;
	iov[0] = (struct iovec){ a, 100 };
	iov[1] = (struct iovec){ a + 100, 924 };
	assert_int_equal(storvsp_file_io.write(&b, iov, 2, 1024, 1024), 0);
	assert_int_equal(storvsp_file_io.flush(&b), 0);
	iov[0] = (struct iovec){ c, 1024 };
	assert_int_equal(storvsp_file_io.read(&b, iov, 1, 1024, 1024), 0);
	assert_memory_equal(a, c, 1024);
	assert_int_equal(storvsp_file_io.discard(&b, 0, 4096), 0);
	assert_int_equal(storvsp_file_io.read(&b, iov, 1, 1024, 1024), 0);
	assert_int_equal(c[5], 0);
	/* unaligned buffers never take the O_DIRECT path */
	assert_int_equal(atomic_load(&b.direct_ios), 0);
	assert_int_equal(storvsp_file_io.read(&b, iov, -1, 0, 0), -EINVAL);
	storvsp_backend_close(&b);
	/* read-only: writes refused by the backend too */
	assert_int_equal(storvsp_backend_open(&b, path, true, err, sizeof(err)), 0);
	if (uring)
		assert_int_equal(storvsp_backend_use_uring(&b, path), 0);
	iov[0] = (struct iovec){ a, 512 };
	assert_int_equal(storvsp_file_io.write(&b, iov, 1, 0, 512), -EROFS);
	assert_int_equal(storvsp_file_io.read(&b, iov, 1, 0, 512), 0);
	storvsp_backend_close(&b);
	assert_int_not_equal(storvsp_backend_open(&b, "/nonexistent/x", false, err,
						  sizeof(err)), 0);
	assert_non_null(strstr(err, "/nonexistent/x"));
	unlink(path);
}

static void test_file_backend(void **state)
{
	file_backend("/tmp", false);
}

static bool uring_ok(void)
{
	char why[256];

	if (storvsp_uring_probe(why, sizeof(why))) {
		print_message("io_uring not allowed here (%s): skipped\n", why);
		return false;
	}
	return true;
}

static void test_file_backend_uring(void **state)
{
	if (!uring_ok())
		skip();
	file_backend("/tmp", true);
}

/*
 * io_uring with O_DIRECT: page-aligned requests of several pages (as the
 * guest's GPA ranges give them) go through the O_DIRECT descriptor when
 * the file system takes it, unaligned ones through the page cache, and
 * both see each other's data.
 */
static void test_file_backend_uring_direct(void **state)
{
	char path[] = "/var/tmp/test_storvsp_dio.XXXXXX", err[256];
	struct storvsp_backend b;
	struct iovec iov[3];
	u8 *a, *c;
	unsigned int i;
	int fd;

	if (!uring_ok())
		skip();
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	close(fd);
	assert_int_equal(posix_memalign((void **)&a, 4096, 3 * 4096), 0);
	assert_int_equal(posix_memalign((void **)&c, 4096, 3 * 4096), 0);
	for (i = 0; i < 3 * 4096; i++)
		a[i] = (u8)(i * 7 + 3);
	assert_int_equal(storvsp_backend_open(&b, path, false, err, sizeof(err)), 0);
	assert_int_equal(storvsp_backend_use_uring(&b, path), 0);
	/* three pages, not adjacent in "guest RAM" order */
	iov[0] = (struct iovec){ a + 8192, 4096 };
	iov[1] = (struct iovec){ a, 4096 };
	iov[2] = (struct iovec){ a + 4096, 4096 };
	assert_int_equal(storvsp_file_io.write(&b, iov, 3, 65536, 3 * 4096), 0);
	if (b.dfd >= 0)
		assert_int_equal(atomic_load(&b.direct_ios), 1);
	else
		print_message("no O_DIRECT on /var/tmp: buffered only\n");
	/* read back unaligned (buffered) at an odd offset inside the pages */
	iov[0] = (struct iovec){ c + 1, 1024 };
	assert_int_equal(storvsp_file_io.read(&b, iov, 1, 65536 + 512, 1024), 0);
	assert_memory_equal(c + 1, a + 8192 + 512, 1024);
	/* and aligned (direct) */
	iov[0] = (struct iovec){ c, 3 * 4096 };
	assert_int_equal(storvsp_file_io.read(&b, iov, 1, 65536, 3 * 4096), 0);
	assert_memory_equal(c, a + 8192, 4096);
	assert_memory_equal(c + 4096, a, 8192);
	/* buffered write, direct read: the page cache is written back first */
	iov[0] = (struct iovec){ a + 3, 512 };
	assert_int_equal(storvsp_file_io.write(&b, iov, 1, 65536, 512), 0);
	iov[0] = (struct iovec){ c, 4096 };
	assert_int_equal(storvsp_file_io.read(&b, iov, 1, 65536, 4096), 0);
	assert_memory_equal(c, a + 3, 512);
	if (b.dfd >= 0)
		assert_int_equal(atomic_load(&b.direct_ios), 3);
	assert_int_equal(storvsp_file_io.flush(&b), 0);
	storvsp_backend_close(&b);
	free(a);
	free(c);
	unlink(path);
}

/* Hot remove and add: luns[] stays ascending, a LUN can come back. */
static void test_ctl_remove(void **state)
{
	struct storvsp_disk a, b, c;
	struct storvsp_ctl ctl;

	storvsp_ctl_init(&ctl, 0);
	storvsp_disk_init(&a, 0, false, 4096, NULL, &storvsp_file_io, NULL);
	storvsp_disk_init(&b, 2, false, 4096, NULL, &storvsp_file_io, NULL);
	storvsp_disk_init(&c, 7, false, 4096, NULL, &storvsp_file_io, NULL);
	assert_int_equal(storvsp_ctl_add_disk(&ctl, &c), 0);
	assert_int_equal(storvsp_ctl_add_disk(&ctl, &a), 0);
	assert_int_equal(storvsp_ctl_add_disk(&ctl, &b), 0);
	assert_int_equal(ctl.nluns, 3);
	assert_ptr_equal(storvsp_ctl_remove_disk(&ctl, 2), &b);
	assert_null(storvsp_ctl_remove_disk(&ctl, 2));
	assert_null(storvsp_ctl_remove_disk(&ctl, 64));
	assert_null(storvsp_ctl_remove_disk(&ctl, 3));
	assert_int_equal(ctl.nluns, 2);
	assert_int_equal(ctl.luns[0], 0);
	assert_int_equal(ctl.luns[1], 7);
	assert_null(ctl.disks[2]);
	assert_int_equal(storvsp_ctl_add_disk(&ctl, &b), 0);
	assert_int_equal(ctl.nluns, 3);
	assert_int_equal(ctl.luns[1], 2);
	assert_ptr_equal(storvsp_ctl_remove_disk(&ctl, 0), &a);
	assert_ptr_equal(storvsp_ctl_remove_disk(&ctl, 7), &c);
	assert_ptr_equal(storvsp_ctl_remove_disk(&ctl, 2), &b);
	assert_int_equal(ctl.nluns, 0);
}

static void test_spec(void **state)
{
	struct storvsp_disk_spec s;
	char err[256];

	assert_int_equal(storvsp_spec_parse("/a/b.img", &s, err, sizeof(err)), 0);
	assert_string_equal(s.path, "/a/b.img");
	assert_int_equal(s.lun, -1);
	assert_false(s.ro);
	assert_int_equal(storvsp_spec_parse("x.img,ro,lun=63,serial=AB-1", &s, err,
					    sizeof(err)), 0);
	assert_true(s.ro);
	assert_int_equal(s.lun, 63);
	assert_string_equal(s.serial, "AB-1");
	assert_int_equal(storvsp_spec_parse("x,lun=64", &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "64"));
	assert_int_equal(storvsp_spec_parse("x,lun=", &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(storvsp_spec_parse("x,lun=1a", &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(storvsp_spec_parse(",ro", &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(storvsp_spec_parse("x,rw", &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "rw"));
	assert_int_equal(storvsp_spec_parse("x,serial=123456789012345678901", &s,
					    err, sizeof(err)), -EINVAL);
	assert_int_equal(storvsp_spec_parse("x,serial=", &s, err, sizeof(err)), -EINVAL);
}

static void test_shared_checks(void **state)
{
	struct enl_vstor_packet p;
	u8 buf[64] = { 0 };

	assert_int_equal(enl_vstor_srb_size(ENL_VSTOR_VER_WIN7), 36);
	assert_int_equal(enl_vstor_srb_size(ENL_VSTOR_VER_WIN8), 52);
	assert_int_equal(enl_vstor_sense_size(ENL_VSTOR_VER_WIN7), 18);
	assert_int_equal(enl_vstor_sense_size(ENL_VSTOR_VER_WIN10), 20);
	buf[0] = ENL_VSTOR_OP_EXECUTE_SRB;
	/* pre-Win8: a 48-byte packet carries a whole SRB; Win8 needs 64 */
	assert_int_equal(enl_vstor_parse(buf, 48, ENL_VSTOR_VER_WIN7, &p), 0);
	assert_int_equal(enl_vstor_parse(buf, 48, ENL_VSTOR_VER_WIN8, &p), -EMSGSIZE);
	assert_int_equal(enl_vstor_parse(buf, 64, ENL_VSTOR_VER_WIN8, &p), 0);
	assert_int_equal(enl_vstor_parse(buf, 11, 0, &p), -EMSGSIZE);
	buf[0] = ENL_VSTOR_OP_QUERY_PROTOCOL_VERSION;
	assert_int_equal(enl_vstor_parse(buf, 15, 0, &p), -EMSGSIZE);
	assert_int_equal(enl_vstor_parse(buf, 16, 0, &p), 0);
	assert_string_equal(enl_vstor_srb_status_name(0x84), "error");
	assert_string_equal(enl_vstor_srb_status_name(0x20), "invalid-lun");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_handshake_each_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_handshake_out_of_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subchannels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_after_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_packets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lun_addressing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inquiry_vpd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capacity_mode_luns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rw_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misc_commands, setup, teardown),
		cmocka_unit_test(test_ctl_remove),
		cmocka_unit_test(test_file_backend),
		cmocka_unit_test(test_file_backend_uring),
		cmocka_unit_test(test_file_backend_uring_direct),
		cmocka_unit_test(test_spec),
		cmocka_unit_test(test_shared_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
