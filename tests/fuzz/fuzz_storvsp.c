// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness over enl-storvsp's VSTOR parser and SCSI target: each
 * input is a sequence of packets as the guest would put them in the ring
 * (raw, or built around fuzzed payloads and GPA ranges, see one_packet()),
 * handled by one controller with two disks in memory over a small fake
 * guest RAM.  The first byte picks the controller's starting state (fresh,
 * or ready at one of the versions; may resume or not).
 * ASan catches any access outside the RAM, the image or the packet.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hostside-vsp/storvsp/storvsp.h"

#define RAM_PAGES	16
#define PAGE		4096u
#define DISK_BYTES	(64u * 1024)

static u8 ram[RAM_PAGES * PAGE];
static u8 image[DISK_BYTES];

static int gpa_iov(void *ctx, const struct enl_pkt_gpa_range *r,
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

	if (off > DISK_BYTES || len > DISK_BYTES - off)
		abort();	/* the target let an out-of-range LBA through */
	for (i = 0; i < niov && len; i++) {
		size_t c = iov[i].iov_len < len ? iov[i].iov_len : (size_t)len;

		if (write)
			memcpy(image + off, iov[i].iov_base, c);
		else
			memcpy(iov[i].iov_base, image + off, c);
		off += c;
		len -= c;
	}
	if (len)
		abort();	/* buffer shorter than the transfer */
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
	return 0;
}

static int mem_discard(void *ctx, u64 off, u64 len)
{
	if (off > DISK_BYTES || len > DISK_BYTES - off)
		abort();
	memset(image + off, 0, len);
	return 0;
}

static const struct storvsp_io_ops mem_io = {
	.read = mem_read, .write = mem_write, .flush = mem_flush,
	.discard = mem_discard,
};

/*
 * Build one packet from the input: a header byte (bit 0 raw: the bytes
 * are the whole packet, descriptor included, as the ring would hand them
 * over; bit 1 GPA direct; bit 2 on the primary), the payload length, for
 * GPA direct a byte count and start address in the fake RAM, then the
 * payload.  The built packets get past the descriptor checks, so the
 * fuzzer spends its time in the VSTOR and SCSI layers.  Returns bytes of
 * input used, 0 at the end.
 */
static size_t one_packet(struct storvsp_ctl *c, const uint8_t *d, size_t n)
{
	_Alignas(8) u8 pkt[4096];
	struct enl_vstor_packet reply;
	struct vmbus_pkt_desc desc;
	u32 len, hdr = 16, plen, off;
	size_t used;
	u64 tid;
	u16 sub;
	u8 kind;

	if (n < 3)
		return 0;
	kind = d[0];
	len = (u32)(d[1] | d[2] << 8);
	used = 3;
	memset(pkt, 0, sizeof(pkt));
	if (kind & 1) {
		len %= sizeof(pkt);
		if (len > n - used)
			len = (u32)(n - used);
		memcpy(pkt, d + used, len);
		storvsp_handle(c, kind & 4, pkt, len, &reply, &tid, &sub);
		return used + len;
	}
	plen = len % 128;
	if (kind & 2) {
		u32 count, gpa, npfn, i;

		if (n - used < 6)
			return 0;
		count = (u32)(d[3] | d[4] << 8 | d[5] << 16) % (ENL_VSTOR_MAX_TRANSFER + 8192);
		gpa = (u32)(d[6] | d[7] << 8 | (d[8] & 0x3F) << 16);
		used += 6;
		if (!count)
			count = 1;
		off = gpa % PAGE;
		npfn = (off + count + PAGE - 1) / PAGE;
		if (24 + 8 + 8 * npfn + 128 > sizeof(pkt))
			return used;
		memcpy(pkt + 20, &(u32){ 1 }, 4);
		memcpy(pkt + 24, &count, 4);
		memcpy(pkt + 28, &off, 4);
		for (i = 0; i < npfn; i++) {
			u64 pfn = gpa / PAGE + i;

			memcpy(pkt + 32 + 8 * i, &pfn, 8);
		}
		hdr = 32 + 8 * npfn;
	}
	if (plen > n - used)
		plen = (u32)(n - used);
	memcpy(pkt + hdr, d + used, plen);
	used += plen;
	desc.type = kind & 2 ? VMBUS_PKT_GPA_DIRECT : VMBUS_PKT_INBAND;
	desc.offset8 = (u16)(hdr / 8);
	desc.len8 = (u16)(VMBUS_PKT_ALIGN(hdr + plen) / 8);
	desc.flags = kind & 8 ? 0 : VMBUS_PKT_FLAG_COMPLETION_REQUESTED;
	desc.trans_id = 5;
	memcpy(pkt, &desc, sizeof(desc));
	storvsp_handle(c, kind & 4, pkt, VMBUS_PKT_ALIGN(hdr + plen), &reply, &tid, &sub);
	return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const u16 versions[] = { ENL_VSTOR_VER_WIN10, ENL_VSTOR_VER_WIN8_1,
					ENL_VSTOR_VER_WIN8 };
	struct storvsp_ctl c;
	struct storvsp_disk d0, d1;
	size_t used;

	if (size < 1)
		return 0;
	storvsp_ctl_init(&c, 2);
	c.gpa_iov = gpa_iov;
	c.may_resume = data[0] & 4;
	storvsp_disk_init(&d0, 0, false, DISK_BYTES, "F0", &mem_io, NULL);
	storvsp_disk_init(&d1, 7, true, DISK_BYTES, NULL, &mem_io, NULL);
	storvsp_ctl_add_disk(&c, &d0);
	storvsp_ctl_add_disk(&c, &d1);
	if (data[0] & 3) {
		c.version = versions[(data[0] & 3) - 1];
		atomic_store(&c.state, STORVSP_READY);
	}
	data++;
	size--;
	while ((used = one_packet(&c, data, size)) > 0) {
		data += used;
		size -= used;
	}
	return 0;
}
