// SPDX-License-Identifier: GPL-2.0-only
/*
 * A disk image's copy for `enlctl backup DIR`: a reflink (FICLONE) where
 * the file system shares extents (btrfs, XFS), else a copy of the data
 * only: a regular file's holes are found with SEEK_DATA / SEEK_HOLE and
 * stay holes, a block device's all-zero chunks become holes.  The copy is
 * new (O_EXCL: never over an existing file), fsync'ed, and removed again
 * when anything fails, so DIR holds whole copies or nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "icvsp.h"

#define CHUNK	(1u << 20)

static int fail(char *err, size_t len, int e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t len, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -e;
}

static int write_all(int fd, const u8 *p, size_t n, off_t off)
{
	while (n) {
		ssize_t w = pwrite(fd, p, n, off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

static bool all_zero(const u8 *p, size_t n)
{
	return n == 0 || (p[0] == 0 && !memcmp(p, p + 1, n - 1));
}

/*
 * Copy [off, end) of in to out at the same offsets; skip_zero: leave
 * all-zero chunks out (holes once out is truncated to size).
 */
static int copy_range(int in, int out, off_t off, off_t end, u8 *buf,
		      bool skip_zero, u64 *copied)
{
	while (off < end) {
		size_t want = (size_t)(end - off) < CHUNK ? (size_t)(end - off) : CHUNK;
		ssize_t r = pread(in, buf, want, off);
		int err;

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO;	/* shorter than it said */
		if (!skip_zero || !all_zero(buf, (size_t)r)) {
			err = write_all(out, buf, (size_t)r, off);
			if (err)
				return err;
			*copied += (u64)r;
		}
		off += r;
	}
	return 0;
}

/* A regular file's data extents, holes left alone. */
static int copy_sparse(int in, int out, off_t size, u8 *buf, u64 *copied)
{
	off_t data = 0, hole;
	int err;

	while (data < size) {
		data = lseek(in, data, SEEK_DATA);
		if (data < 0)
			return errno == ENXIO ? 0 : -errno;	/* ENXIO: no more data */
		hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0)
			return -errno;
		if (hole > size)
			hole = size;
		err = copy_range(in, out, data, hole, buf, false, copied);
		if (err)
			return err;
		data = hole;
	}
	return 0;
}

int img_copy(const char *src, const char *dst, struct img_copy_result *res,
	     char *err, size_t err_len)
{
	struct stat st;
	u8 *buf = NULL;
	int in, out, e = 0;
	off_t size;

	memset(res, 0, sizeof(*res));
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return fail(err, err_len, errno, "cannot open %s: %s", src,
			    strerror(errno));
	if (fstat(in, &st) < 0) {
		e = errno;
		close(in);
		return fail(err, err_len, e, "cannot stat %s: %s", src, strerror(e));
	}
	if (S_ISBLK(st.st_mode)) {
		u64 bytes;

		if (ioctl(in, BLKGETSIZE64, &bytes) < 0) {
			e = errno;
			close(in);
			return fail(err, err_len, e, "%s: no size: %s", src, strerror(e));
		}
		size = (off_t)bytes;
	} else if (S_ISREG(st.st_mode)) {
		size = st.st_size;
	} else {
		close(in);
		return fail(err, err_len, EINVAL,
			    "%s is neither a regular file nor a block device", src);
	}
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		e = errno;
		close(in);
		return fail(err, err_len, e, "cannot create %s: %s", dst, strerror(e));
	}
	res->size = (u64)size;
	if (S_ISREG(st.st_mode) && ioctl(out, FICLONE, in) == 0) {
		res->reflinked = true;
		res->copied = (u64)size;
	} else {
		/* no shared extents here (another file system, tmpfs, ext4) */
		buf = malloc(CHUNK);
		if (!buf)
			e = ENOMEM;
		else if (S_ISREG(st.st_mode))
			e = -copy_sparse(in, out, size, buf, &res->copied);
		else
			e = -copy_range(in, out, 0, size, buf, true, &res->copied);
		free(buf);
		if (!e && ftruncate(out, size) < 0)
			e = errno;
	}
	if (!e && fsync(out) < 0)
		e = errno;
	if (close(out) < 0 && !e)
		e = errno;
	close(in);
	if (e) {
		unlink(dst);
		return fail(err, err_len, e, "copy of %s to %s failed: %s", src,
			    dst, strerror(e));
	}
	return 0;
}
