// SPDX-License-Identifier: GPL-2.0-only
/*
 * The disk image: a raw file or a block device, read and written with
 * preadv/pwritev straight from and into guest RAM (the iovecs point at the
 * guest's pages; nothing is copied).  Runs on the channel's worker thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storvsp.h"

static int fail(char *err, size_t len, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -e;
}

int storvsp_backend_open(struct storvsp_backend *b, const char *path, bool ro,
			 char *err, size_t err_len)
{
	struct stat st;
	u64 size;
	int fd;

	memset(b, 0, sizeof(*b));
	b->fd = -1;
	fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return fail(err, err_len, errno, "cannot open %s: %s", path,
			    strerror(errno));
	if (fstat(fd, &st) < 0) {
		int e = errno;

		close(fd);
		return fail(err, err_len, e, "cannot stat %s: %s", path, strerror(e));
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
			int e = errno;

			close(fd);
			return fail(err, err_len, e, "%s: cannot read its size: %s",
				    path, strerror(e));
		}
		b->is_blockdev = true;
	} else if (S_ISREG(st.st_mode)) {
		size = (u64)st.st_size;
	} else {
		close(fd);
		return fail(err, err_len, EINVAL,
			    "%s is neither a regular file nor a block device", path);
	}
	size -= size % STORVSP_BLOCK;
	if (!size) {
		close(fd);
		return fail(err, err_len, EINVAL,
			    "%s is smaller than one 512-byte block", path);
	}
	b->fd = fd;
	b->size = size;
	b->ro = ro;
	b->kind = STORVSP_BACKEND_SYNC;
	return 0;
}

void storvsp_backend_close(struct storvsp_backend *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

const char *storvsp_backend_name(const struct storvsp_backend *b)
{
	switch (b->kind) {
	case STORVSP_BACKEND_SYNC:
		return "preadv";
	}
	return "?";
}

/* preadv/pwritev until all of len moved: short transfers are resumed. */
static int xfer(struct storvsp_backend *b, bool write, const struct iovec *in,
		int niov, u64 off, u64 len)
{
	struct iovec iov[STORVSP_MAX_IOV];
	int first = 0;
	ssize_t n;

	if (niov > STORVSP_MAX_IOV)
		return -EINVAL;
	memcpy(iov, in, sizeof(*iov) * (size_t)niov);
	while (len) {
		n = write ? pwritev(b->fd, iov + first, niov - first, (off_t)off)
			  : preadv(b->fd, iov + first, niov - first, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0) {
			/* end of a file that shrank under us: reads get zeroes */
			if (write)
				return -EIO;
			for (; first < niov; first++)
				memset(iov[first].iov_base, 0, iov[first].iov_len);
			return 0;
		}
		off += (u64)n;
		len -= (u64)n;
		while (n > 0 && first < niov) {
			if ((size_t)n >= iov[first].iov_len) {
				n -= (ssize_t)iov[first].iov_len;
				first++;
			} else {
				iov[first].iov_base = (u8 *)iov[first].iov_base + n;
				iov[first].iov_len -= (size_t)n;
				n = 0;
			}
		}
	}
	return 0;
}

static int file_read(void *ctx, const struct iovec *iov, int niov, u64 off, u64 len)
{
	return xfer(ctx, false, iov, niov, off, len);
}

static int file_write(void *ctx, const struct iovec *iov, int niov, u64 off, u64 len)
{
	struct storvsp_backend *b = ctx;

	if (b->ro)
		return -EROFS;
	return xfer(b, true, iov, niov, off, len);
}

static int file_flush(void *ctx)
{
	struct storvsp_backend *b = ctx;

	return fdatasync(b->fd) < 0 ? -errno : 0;
}

static int file_discard(void *ctx, u64 off, u64 len)
{
	struct storvsp_backend *b = ctx;

	if (b->ro)
		return -EROFS;
	if (b->is_blockdev) {
		u64 range[2] = { off, len };

		/* a device without discard: unmapping is only a hint */
		if (ioctl(b->fd, BLKDISCARD, range) < 0 && errno != EOPNOTSUPP)
			return -errno;
		return 0;
	}
	if (fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)off, (off_t)len) < 0 && errno != EOPNOTSUPP)
		return -errno;
	return 0;
}

const struct storvsp_io_ops storvsp_file_io = {
	.read = file_read,
	.write = file_write,
	.flush = file_flush,
	.discard = file_discard,
};
