// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness over enl-storvsp's VSTOR parser and SCSI target: each
 * input is a sequence of packets as the guest would put them in the ring
 * (u16 length, then the packet), handled by one controller with two disks
 * in memory over a small fake guest RAM.  The first byte picks the
 * controller's starting state (fresh, or ready at one of the versions).
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const u16 versions[] = { ENL_VSTOR_VER_WIN10, ENL_VSTOR_VER_WIN8_1,
					ENL_VSTOR_VER_WIN8 };
	struct storvsp_ctl c;
	struct storvsp_disk d0, d1;
	_Alignas(8) u8 pkt[4096];

	if (size < 1)
		return 0;
	storvsp_ctl_init(&c, 2);
	c.gpa_iov = gpa_iov;
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
	while (size >= 2) {
		struct enl_vstor_packet reply;
		u32 len = (u32)(data[0] | data[1] << 8) % sizeof(pkt);
		u64 tid;
		u16 sub;

		data += 2;
		size -= 2;
		if (len > size)
			len = (u32)size;
		/* the ring hands out copies aligned to 8 */
		memcpy(pkt, data, len);
		storvsp_handle(&c, len & 1, pkt, len, &reply, &tid, &sub);
		data += len;
		size -= len;
	}
	return 0;
}
