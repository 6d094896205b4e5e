// SPDX-License-Identifier: GPL-2.0-only
/*
 * The SCSI target behind each LUN: what a Linux initiator sends while
 * scanning and attaching sd, and the block I/O after that (see
 * shared/PROTOCOL-devices.md 2.5, 2.6).  Every CDB field and the data
 * buffer's length are checked here; errors are CHECK CONDITION with
 * fixed-format sense and srb_status ERROR|AUTOSENSE_VALID, never SUCCESS
 * with autosense (Linux would requeue the leftover bytes for ever).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "storvsp.h"

/* SCSI operation codes handled here. */
enum {
	OP_TEST_UNIT_READY = 0x00,
	OP_REQUEST_SENSE = 0x03,
	OP_READ_6 = 0x08,
	OP_WRITE_6 = 0x0A,
	OP_INQUIRY = 0x12,
	OP_MODE_SENSE_6 = 0x1A,
	OP_START_STOP_UNIT = 0x1B,
	OP_READ_CAPACITY_10 = 0x25,
	OP_READ_10 = 0x28,
	OP_WRITE_10 = 0x2A,
	OP_SYNCHRONIZE_CACHE_10 = 0x35,
	OP_UNMAP = 0x42,
	OP_MODE_SENSE_10 = 0x5A,
	OP_READ_16 = 0x88,
	OP_WRITE_16 = 0x8A,
	OP_SYNCHRONIZE_CACHE_16 = 0x91,
	OP_WRITE_SAME_16 = 0x93,
	OP_SERVICE_ACTION_IN_16 = 0x9E,
	OP_REPORT_LUNS = 0xA0,
	OP_READ_12 = 0xA8,
	OP_WRITE_12 = 0xAA,
};
#define SAI_READ_CAPACITY_16	0x10

/* Sense keys and the (ASC, ASCQ) pairs used. */
enum {
	KEY_NO_SENSE = 0x0,
	KEY_MEDIUM_ERROR = 0x3,
	KEY_HARDWARE_ERROR = 0x4,
	KEY_ILLEGAL_REQUEST = 0x5,
	KEY_DATA_PROTECT = 0x7,
};
#define ASC_INVALID_OPCODE	0x20, 0x00
#define ASC_LBA_OUT_OF_RANGE	0x21, 0x00
#define ASC_INVALID_FIELD_CDB	0x24, 0x00
#define ASC_LUN_NOT_SUPPORTED	0x25, 0x00
#define ASC_INVALID_FIELD_PARAM	0x26, 0x00
#define ASC_PARAM_LIST_LENGTH	0x1A, 0x00
#define ASC_WRITE_PROTECTED	0x27, 0x00
#define ASC_READ_ERROR		0x11, 0x00
#define ASC_WRITE_ERROR		0x0C, 0x00
#define ASC_SAVING_NOT_SUPP	0x39, 0x00
#define ASC_INTERNAL_FAILURE	0x44, 0x00

/* Limits we report (VPD 0xB0) and enforce. */
#define MAX_XFER_BLOCKS		(ENL_VSTOR_MAX_TRANSFER / STORVSP_BLOCK)
#define MAX_UNMAP_BLOCKS	(1u << 22)	/* 2 GiB per UNMAP */
#define MAX_UNMAP_DESCS		64u
#define UNMAP_GRANULARITY	8u		/* 4 KiB: the host page */
#define MAX_WS_BLOCKS		MAX_UNMAP_BLOCKS

static const char vendor[8] = { 'M', 's', 'f', 't', ' ', ' ', ' ', ' ' };
static const char product[16] = "Virtual Disk    ";
static const char revision[4] = { '1', '.', '0', ' ' };

static u16 be16(const u8 *p) { return (u16)(p[0] << 8 | p[1]); }
static u32 be32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}
static u64 be64(const u8 *p) { return (u64)be32(p) << 32 | be32(p + 4); }
static void put_be16(u8 *p, u16 v) { p[0] = v >> 8; p[1] = (u8)v; }
static void put_be32(u8 *p, u32 v)
{
	p[0] = v >> 24; p[1] = (u8)(v >> 16); p[2] = (u8)(v >> 8); p[3] = (u8)v;
}
static void put_be64(u8 *p, u64 v) { put_be32(p, v >> 32); put_be32(p + 4, (u32)v); }

static void good(struct storvsp_result *r, u32 transferred)
{
	r->srb_status = ENL_SRB_STATUS_SUCCESS;
	r->scsi_status = ENL_SAM_STAT_GOOD;
	r->sense_len = 0;
	r->transferred = transferred;
}

static void check(struct storvsp_result *r, u8 key, u8 asc, u8 ascq)
{
	memset(r->sense, 0, sizeof(r->sense));
	r->sense[0] = 0x70;		/* current, fixed format */
	r->sense[2] = key;
	r->sense[7] = 10;		/* additional length: 18 bytes in all */
	r->sense[12] = asc;
	r->sense[13] = ascq;
	r->sense_len = 18;
	r->srb_status = ENL_SRB_STATUS_ERROR | ENL_SRB_STATUS_AUTOSENSE_VALID;
	r->scsi_status = ENL_SAM_STAT_CHECK_CONDITION;
	r->transferred = 0;
}

/* Copy n bytes of src into the buffer (as much as fits): bytes copied. */
static u32 to_buf(const struct storvsp_buf *b, const void *src, u32 n)
{
	const u8 *s = src;
	u32 done = 0;
	int i;

	if (n > b->len)
		n = b->len;
	for (i = 0; i < b->niov && done < n; i++) {
		size_t c = b->iov[i].iov_len;

		if (c > n - done)
			c = n - done;
		memcpy(b->iov[i].iov_base, s + done, c);
		done += (u32)c;
	}
	return done;
}

static u32 from_buf(const struct storvsp_buf *b, void *dst, u32 n)
{
	u8 *d = dst;
	u32 done = 0;
	int i;

	if (n > b->len)
		n = b->len;
	for (i = 0; i < b->niov && done < n; i++) {
		size_t c = b->iov[i].iov_len;

		if (c > n - done)
			c = n - done;
		memcpy(d + done, b->iov[i].iov_base, c);
		done += (u32)c;
	}
	return done;
}

/* Answer with min(avail, alloc) bytes of a built reply: a short transfer
 * is success with the true count (2.5). */
static void reply_data(struct storvsp_result *r, const struct storvsp_buf *b,
		       u8 dir, const void *data, u32 avail, u32 alloc)
{
	if (dir != ENL_VSTOR_DATA_READ && b->len) {
		check(r, KEY_ILLEGAL_REQUEST, ASC_INVALID_FIELD_CDB);
		return;
	}
	if (avail > alloc)
		avail = alloc;
	good(r, to_buf(b, data, avail));
}

/* ---- INQUIRY ---------------------------------------------------------- */

static const u8 vpd_pages[] = { 0x00, 0x80, 0x83, 0xB0, 0xB1, 0xB2 };

static u32 vpd_page(const struct storvsp_disk *d, u8 page, u8 *p)
{
	u32 n;

	p[0] = 0x00;			/* connected, direct access */
	p[1] = page;
	switch (page) {
	case 0x00:
		memcpy(p + 4, vpd_pages, sizeof(vpd_pages));
		n = sizeof(vpd_pages);
		break;
	case 0x80:
		n = (u32)strlen(d->serial);
		memcpy(p + 4, d->serial, n);
		break;
	case 0x83: {
		u8 *q = p + 4;
		u32 sl = (u32)strlen(d->serial);

		/* NAA 6, binary, associated with the LUN */
		q[0] = 0x01; q[1] = 0x03; q[2] = 0; q[3] = 16;
		memcpy(q + 4, d->naa, 16);
		q += 20;
		/* T10 vendor id: vendor + serial, ASCII */
		q[0] = 0x02; q[1] = 0x01; q[2] = 0; q[3] = (u8)(8 + sl);
		memcpy(q + 4, vendor, 8);
		memcpy(q + 12, d->serial, sl);
		q += 12 + sl;
		n = (u32)(q - (p + 4));
		break;
	}
	case 0xB0:			/* block limits */
		n = 0x3C;
		memset(p + 4, 0, n);
		put_be16(p + 6, UNMAP_GRANULARITY);	/* optimal granularity */
		put_be32(p + 8, MAX_XFER_BLOCKS);
		put_be32(p + 12, MAX_XFER_BLOCKS);	/* optimal transfer */
		put_be32(p + 20, MAX_UNMAP_BLOCKS);
		put_be32(p + 24, MAX_UNMAP_DESCS);
		put_be32(p + 28, UNMAP_GRANULARITY);
		put_be64(p + 36, MAX_WS_BLOCKS);
		break;
	case 0xB1:			/* block device characteristics */
		n = 0x3C;
		memset(p + 4, 0, n);
		put_be16(p + 4, 1);	/* non-rotating */
		break;
	case 0xB2:			/* logical block provisioning */
		n = 4;
		memset(p + 4, 0, n);
		p[5] = 0x80 | 0x40;	/* LBPU (UNMAP), LBPWS (WRITE SAME 16) */
		p[6] = 0x02;		/* thin provisioned */
		break;
	default:
		return 0;
	}
	put_be16(p + 2, (u16)n);
	return n + 4;
}

static void inquiry(const struct storvsp_disk *d, const u8 *cdb, u8 dir,
		    const struct storvsp_buf *b, struct storvsp_result *r)
{
	u8 p[256];
	u16 alloc = be16(cdb + 3);
	u32 n;

	memset(p, 0, sizeof(p));
	if (cdb[1] & 0x01) {		/* EVPD */
		if (!d) {
			check(r, KEY_ILLEGAL_REQUEST, ASC_LUN_NOT_SUPPORTED);
			return;
		}
		n = vpd_page(d, cdb[2], p);
		if (!n) {
			check(r, KEY_ILLEGAL_REQUEST, ASC_INVALID_FIELD_CDB);
			return;
		}
		reply_data(r, b, dir, p, n, alloc);
		return;
	}
	if (cdb[2]) {			/* page code without EVPD */
		check(r, KEY_ILLEGAL_REQUEST, ASC_INVALID_FIELD_CDB);
		return;
	}
	/*
	 * No LUN here: valid data saying so (PQ 3, type 0x1F).  Linux forces
	 * INQUIRY to success and would take a zeroed buffer for a disk.
	 */
	p[0] = d ? 0x00 : 0x7F;
	p[2] = 0x05;			/* SPC-3 */
	p[3] = 0x02;			/* response data format 2 */
	p[4] = 36 - 5;
	p[7] = 0x02;			/* CMDQUE */
	memcpy(p + 8, vendor, 8);
	memcpy(p + 16, product, 16);
	memcpy(p + 32, revision, 4);
	reply_data(r, b, dir, p, 36, alloc);
}

/* ---- MODE SENSE ------------------------------------------------------- */

/* Append page (0x08 caching, 0x0A control, 0x3F both); 0 if unknown. */
static u32 mode_pages(u8 page, u8 pc, u8 *p)
{
	u32 n = 0;

	if (page == 0x08 || page == 0x3F) {
		p[n] = 0x08; p[n + 1] = 0x12;
		memset(p + n + 2, 0, 0x12);
		if (pc != 1)		/* changeable values: none */
			p[n + 2] = 0x04;	/* WCE: writes reach the page cache */
		n += 20;
	}
	if (page == 0x0A || page == 0x3F) {
		p[n] = 0x0A; p[n + 1] = 0x0A;
		memset(p + n + 2, 0, 0x0A);
		n += 12;
	}
	return n;
}

static void mode_sense(const struct storvsp_disk *d, const u8 *cdb, bool ten,
		       u8 dir, const struct storvsp_buf *b,
		       struct storvsp_result *r)
{
	u8 p[128];
	u8 page = cdb[2] & 0x3F, pc = cdb[2] >> 6, subpage = cdb[3];
	u32 hdr = ten ? 8 : 4, n;
	u16 alloc = ten ? be16(cdb + 7) : cdb[4];

	memset(p, 0, sizeof(p));
	if (pc == 3) {
		check(r, KEY_ILLEGAL_REQUEST, ASC_SAVING_NOT_SUPP);
		return;
	}
	if ((subpage && !(subpage == 0xFF && page == 0x3F)) ||
	    !(n = mode_pages(page, pc, p + hdr))) {
		check(r, KEY_ILLEGAL_REQUEST, ASC_INVALID_FIELD_CDB);
		return;
	}
	/* No block descriptors; device-specific byte: WP */
	if (ten) {
		put_be16(p, (u16)(n + hdr - 2));
		p[3] = d->ro ? 0x80 : 0;
	} else {
		p[0] = (u8)(n + hdr - 1);
		p[2] = d->ro ? 0x80 : 0;
	}
	reply_data(r, b, dir, p, n + hdr, alloc);
}

/* ---- read, write, flush, unmap ------------------------------------------ */

static bool lba_ok(const struct storvsp_disk *d, u64 lba, u64 n)
{
	return lba <= d->blocks && n <= d->blocks - lba;
}

/* The first len bytes of b as an iovec array in out. */
static int trim_iov(const struct storvsp_buf *b, u64 len, struct iovec *out)
{
	int i, n = 0;

	for (i = 0; i < b->niov && len && n < STORVSP_MAX_IOV; i++, n++) {
		out[n] = b->iov[i];
		if (out[n].iov_len > len)
			out[n].iov_len = (size_t)len;
		len -= out[n].iov_len;
	}
	return len ? -1 : n;
}

static void rw(struct storvsp_disk *d, bool write, u64 lba, u32 nblocks,
	       bool fua, u8 dir, const struct storvsp_buf *b,
	       struct storvsp_result *r)
{
	struct iovec iov[STORVSP_MAX_IOV];
	u64 len = (u64)nblocks * STORVSP_BLOCK;
	int niov, err;

	if (!lba_ok(d, lba, nblocks)) {
		check(r, KEY_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
		return;
	}
	if (write && d->ro) {
		check(r, KEY_DATA_PROTECT, ASC_WRITE_PROTECTED);
		return;
	}
	if (!nblocks) {
		good(r, 0);
		return;
	}
	/* The buffer must go the right way and hold the whole transfer. */
	if (dir != (write ? ENL_VSTOR_DATA_WRITE : ENL_VSTOR_DATA_READ) ||
	    len > b->len || (niov = trim_iov(b, len, iov)) < 0) {
		check(r, KEY_ILLEGAL_REQUEST, ASC_INVALID_FIELD_CDB);
		return;
	}
	if (write) {
		err = d->io->write(d->io_ctx, iov, niov, lba * STORVSP_BLOCK, len);
		if (!err && fua)
			err = d->io->flush(d->io_ctx);
	} else {
		err = d->io->read(d->io_ctx, iov, niov, lba * STORVSP_BLOCK, len);
	}
	if (err) {
		if (write)
			check(r, KEY_MEDIUM_ERROR, ASC_WRITE_ERROR);
		else
			check(r, KEY_MEDIUM_ERROR, ASC_READ_ERROR);
		return;
	}
	atomic_fetch_add(write ? &d->st.bytes_written : &d->st.bytes_read, len);
	good(r, (u32)len);
}

static void flush(struct storvsp_disk *d, struct storvsp_result *r)
{
	atomic_fetch_add(&d->st.flushes, 1);
	if (d->io->flush(d->io_ctx))
		check(r, KEY_MEDIUM_ERROR, ASC_WRITE_ERROR);
	else
		good(r, 0);
}

static int discard(struct storvsp_disk *d, u64 lba, u64 n)
{
	atomic_fetch_add(&d->st.unmaps, 1);
	if (!n)
		return 0;
	return d->io->discard(d->io_ctx, lba * STORVSP_BLOCK, n * STORVSP_BLOCK);
}

static void unmap(struct storvsp_disk *d, const u8 *cdb, u8 dir,
		  const struct storvsp_buf *b, struct storvsp_result *r)
{
	u8 p[8 + 16 * MAX_UNMAP_DESCS];
	u16 plen = be16(cdb + 7), dlen;
	u32 i, n;

	if (d->ro) {
		check(r, KEY_DATA_PROTECT, ASC_WRITE_PROTECTED);
		return;
	}
	if (cdb[1] & 0x01) {		/* ANCHOR: not supported */
		check(r, KEY_ILLEGAL_REQUEST, ASC_INVALID_FIELD_CDB);
		return;
	}
	if (!plen) {
		good(r, 0);
		return;
	}
	if (plen < 8 || plen > sizeof(p) || dir != ENL_VSTOR_DATA_WRITE ||
	    b->len < plen) {
		check(r, KEY_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH);
		return;
	}
	from_buf(b, p, plen);
	dlen = be16(p + 2);
	if (dlen > plen - 8 || dlen % 16) {
		check(r, KEY_ILLEGAL_REQUEST, ASC_PARAM_LIST_LENGTH);
		return;
	}
	n = dlen / 16;
	/* All descriptors are checked before any is applied. */
	for (i = 0; i < n; i++) {
		const u8 *q = p + 8 + 16 * i;

		if (be32(q + 8) > MAX_UNMAP_BLOCKS) {
			check(r, KEY_ILLEGAL_REQUEST, ASC_INVALID_FIELD_PARAM);
			return;
		}
		if (!lba_ok(d, be64(q), be32(q + 8))) {
			check(r, KEY_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
			return;
		}
	}
	for (i = 0; i < n; i++) {
		const u8 *q = p + 8 + 16 * i;

		if (discard(d, be64(q), be32(q + 8))) {
			check(r, KEY_MEDIUM_ERROR, ASC_WRITE_ERROR);
			return;
		}
	}
	good(r, plen);
}

static void write_same16(struct storvsp_disk *d, const u8 *cdb,
			 struct storvsp_result *r)
{
	u64 lba = be64(cdb + 2);
	u32 n = be32(cdb + 10);

	/* Only the UNMAP form: Linux never uses WRITE SAME to write data. */
	if (!(cdb[1] & 0x08) || !n || n > MAX_WS_BLOCKS) {
		check(r, KEY_ILLEGAL_REQUEST, ASC_INVALID_FIELD_CDB);
		return;
	}
	if (d->ro) {
		check(r, KEY_DATA_PROTECT, ASC_WRITE_PROTECTED);
		return;
	}
	if (!lba_ok(d, lba, n)) {
		check(r, KEY_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
		return;
	}
	/* The one block of data the guest sent is not needed: it reads
	 * back as zeroes after the punch, as LBPRZ would say. */
	if (discard(d, lba, n))
		check(r, KEY_MEDIUM_ERROR, ASC_WRITE_ERROR);
	else
		good(r, 0);
}

/* ---- the rest --------------------------------------------------------- */

static void read_capacity(const struct storvsp_disk *d, bool sixteen,
			  const u8 *cdb, u8 dir, const struct storvsp_buf *b,
			  struct storvsp_result *r)
{
	u8 p[32];
	u64 last = d->blocks ? d->blocks - 1 : 0;

	memset(p, 0, sizeof(p));
	if (!sixteen) {
		put_be32(p, last > 0xFFFFFFFFull ? 0xFFFFFFFFu : (u32)last);
		put_be32(p + 4, STORVSP_BLOCK);
		reply_data(r, b, dir, p, 8, 8);
		return;
	}
	put_be64(p, last);
	put_be32(p + 8, STORVSP_BLOCK);
	p[14] = 0x80;			/* LBPME: thin provisioned, UNMAP works */
	reply_data(r, b, dir, p, 32, be32(cdb + 10));
}

static void report_luns(const u8 *cdb, const u8 *luns, unsigned int nluns,
			u8 dir, const struct storvsp_buf *b,
			struct storvsp_result *r)
{
	u8 p[8 + 8 * ENL_VSTOR_MAX_LUNS];
	unsigned int i;

	if (nluns > ENL_VSTOR_MAX_LUNS)
		nluns = ENL_VSTOR_MAX_LUNS;
	if (cdb[2] > 2) {		/* select report: 0, 1, 2 */
		check(r, KEY_ILLEGAL_REQUEST, ASC_INVALID_FIELD_CDB);
		return;
	}
	memset(p, 0, sizeof(p));
	if (cdb[2] == 1)		/* well-known LUNs only: none */
		nluns = 0;
	put_be32(p, 8 * nluns);
	for (i = 0; i < nluns; i++)
		p[8 + 8 * i + 1] = luns[i];	/* peripheral addressing */
	reply_data(r, b, dir, p, 8 + 8 * nluns, be32(cdb + 6));
}

static void request_sense(const u8 *cdb, u8 dir, const struct storvsp_buf *b,
			  struct storvsp_result *r)
{
	u8 p[18];

	/* Sense goes back with each failed command (autosense): no
	 * deferred condition is ever pending. */
	memset(p, 0, sizeof(p));
	p[0] = 0x70;
	p[2] = KEY_NO_SENSE;
	p[7] = 10;
	reply_data(r, b, dir, p, sizeof(p), cdb[4]);
}

/* CDB length each group of opcodes has (SPC: opcode bits 7-5). */
static u8 cdb_len_of(u8 op)
{
	static const u8 len[8] = { 6, 10, 10, 0, 16, 12, 0, 0 };

	return len[op >> 5];
}

void storvsp_scsi_exec(struct storvsp_disk *d, const u8 *cdb, u8 cdb_len,
		       u8 dir, const struct storvsp_buf *b,
		       const u8 *luns, unsigned int nluns,
		       struct storvsp_result *r)
{
	u8 op = cdb_len ? cdb[0] : 0xFF;
	u8 need = cdb_len ? cdb_len_of(op) : 1;
	u64 lba;
	u32 n;

	memset(r, 0, sizeof(*r));
	if (d)
		atomic_fetch_add(&d->st.requests, 1);
	if (!cdb_len || cdb_len > ENL_VSTOR_CDB_MAX || !need || cdb_len < need) {
		check(r, KEY_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
		goto out;
	}
	/* These two answer for any address, so the scan finds what exists. */
	if (op == OP_INQUIRY) {
		inquiry(d, cdb, dir, b, r);
		goto out;
	}
	if (op == OP_REPORT_LUNS) {
		report_luns(cdb, luns, nluns, dir, b, r);
		goto out;
	}
	if (!d) {
		/* Linux drops the device on INVALID_LUN (removed disk). */
		r->srb_status = ENL_SRB_STATUS_INVALID_LUN;
		return;
	}
	switch (op) {
	case OP_TEST_UNIT_READY:
	case OP_START_STOP_UNIT:
		good(r, 0);
		break;
	case OP_REQUEST_SENSE:
		request_sense(cdb, dir, b, r);
		break;
	case OP_MODE_SENSE_6:
		mode_sense(d, cdb, false, dir, b, r);
		break;
	case OP_MODE_SENSE_10:
		mode_sense(d, cdb, true, dir, b, r);
		break;
	case OP_READ_CAPACITY_10:
		read_capacity(d, false, cdb, dir, b, r);
		break;
	case OP_SERVICE_ACTION_IN_16:
		if ((cdb[1] & 0x1F) != SAI_READ_CAPACITY_16) {
			check(r, KEY_ILLEGAL_REQUEST, ASC_INVALID_FIELD_CDB);
			break;
		}
		read_capacity(d, true, cdb, dir, b, r);
		break;
	case OP_READ_6:
	case OP_WRITE_6:
		lba = (u64)(cdb[1] & 0x1F) << 16 | be16(cdb + 2);
		n = cdb[4] ? cdb[4] : 256;
		rw(d, op == OP_WRITE_6, lba, n, false, dir, b, r);
		break;
	case OP_READ_10:
	case OP_WRITE_10:
		rw(d, op == OP_WRITE_10, be32(cdb + 2), be16(cdb + 7),
		   cdb[1] & 0x08, dir, b, r);
		break;
	case OP_READ_12:
	case OP_WRITE_12:
		rw(d, op == OP_WRITE_12, be32(cdb + 2), be32(cdb + 6),
		   cdb[1] & 0x08, dir, b, r);
		break;
	case OP_READ_16:
	case OP_WRITE_16:
		rw(d, op == OP_WRITE_16, be64(cdb + 2), be32(cdb + 10),
		   cdb[1] & 0x08, dir, b, r);
		break;
	case OP_SYNCHRONIZE_CACHE_10:
	case OP_SYNCHRONIZE_CACHE_16:
		flush(d, r);
		break;
	case OP_UNMAP:
		unmap(d, cdb, dir, b, r);
		break;
	case OP_WRITE_SAME_16:
		write_same16(d, cdb, r);
		break;
	default:
		check(r, KEY_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
		break;
	}
out:
	if (d && r->scsi_status != ENL_SAM_STAT_GOOD)
		atomic_fetch_add(&d->st.errors, 1);
}

/* FNV-1a over the serial and LUN: a stable NAA 6 id for the disk. */
static void make_naa(struct storvsp_disk *d)
{
	u64 h = 0xcbf29ce484222325ull;
	const char *s;

	for (s = d->serial; *s; s++)
		h = (h ^ (u8)*s) * 0x100000001b3ull;
	h = (h ^ d->lun) * 0x100000001b3ull;
	memset(d->naa, 0, sizeof(d->naa));
	/* NAA 6, OUI 0x0050F2 (the field only needs to be well formed) */
	d->naa[0] = 0x60 | 0x00;
	d->naa[1] = 0x05;
	d->naa[2] = 0x0F;
	d->naa[3] = 0x20;
	put_be64(d->naa + 4, h);
	put_be32(d->naa + 12, 0x656e6c00u | d->lun);	/* "enl" + LUN */
}

void storvsp_disk_init(struct storvsp_disk *d, u8 lun, bool ro, u64 bytes,
		       const char *serial, const struct storvsp_io_ops *io,
		       void *io_ctx)
{
	memset(d, 0, sizeof(*d));
	d->lun = lun;
	d->ro = ro;
	d->blocks = bytes / STORVSP_BLOCK;
	if (serial && *serial)
		snprintf(d->serial, sizeof(d->serial), "%s", serial);
	else
		snprintf(d->serial, sizeof(d->serial), "enl-disk-%u", lun);
	d->io = io;
	d->io_ctx = io_ctx;
	make_naa(d);
}
