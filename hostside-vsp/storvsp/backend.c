// SPDX-License-Identifier: GPL-2.0-only
/*
 * The disk image: a raw file or a block device, read and written straight
 * from and into guest RAM (the iovecs point at the guest's pages; nothing
 * is copied), either with io_uring (READV/WRITEV, through an O_DIRECT
 * descriptor when the request is aligned) or with preadv/pwritev.  Called
 * on the pool's threads: each has its own ring, so the requests of one
 * channel are in flight side by side, one per thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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
	b->dfd = -1;
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
	if (b->dfd >= 0)
		close(b->dfd);
	b->fd = -1;
	b->dfd = -1;
}

const char *storvsp_backend_name(const struct storvsp_backend *b)
{
	switch (b->kind) {
	case STORVSP_BACKEND_SYNC:
		return "preadv";
	case STORVSP_BACKEND_URING:
		return "io_uring";
	}
	return "?";
}

/* ---- io_uring ------------------------------------------------------------ */

/* A thread runs one request at a time: a few entries are plenty. */
#define URING_DEPTH	4

struct uring_tls {
	struct io_uring ring;
	bool ok;
};

static pthread_key_t uring_key;
static pthread_once_t uring_once = PTHREAD_ONCE_INIT;
static __thread struct uring_tls *uring_mine;

static void uring_tls_free(void *p)
{
	struct uring_tls *t = p;

	if (t->ok)
		io_uring_queue_exit(&t->ring);
	free(t);
}

static void uring_key_make(void)
{
	pthread_key_create(&uring_key, uring_tls_free);
}

/* This thread's ring, made on first use; NULL if it cannot have one. */
static struct io_uring *thread_ring(void)
{
	pthread_once(&uring_once, uring_key_make);
	if (!uring_mine) {
		uring_mine = calloc(1, sizeof(*uring_mine));
		if (!uring_mine)
			return NULL;
		uring_mine->ok = io_uring_queue_init(URING_DEPTH, &uring_mine->ring, 0) == 0;
		pthread_setspecific(uring_key, uring_mine);
	}
	return uring_mine->ok ? &uring_mine->ring : NULL;
}

int storvsp_uring_probe(char *why, size_t why_len)
{
	struct io_uring_probe *pr;
	struct io_uring ring;
	int err;

	err = io_uring_queue_init(2, &ring, 0);
	if (err < 0)
		return fail(why, why_len, -err, "io_uring_setup: %s", strerror(-err));
	pr = io_uring_get_probe_ring(&ring);
	if (!pr) {
		io_uring_queue_exit(&ring);
		return fail(why, why_len, ENOSYS, "io_uring: no opcode probe (kernel before 5.6)");
	}
	err = io_uring_opcode_supported(pr, IORING_OP_READV) &&
	      io_uring_opcode_supported(pr, IORING_OP_WRITEV) ? 0 : -ENOSYS;
	io_uring_free_probe(pr);
	io_uring_queue_exit(&ring);
	if (err)
		return fail(why, why_len, ENOSYS, "io_uring without READV/WRITEV");
	return 0;
}

/* The alignment O_DIRECT needs on fd: statx's answer, else the device's. */
static u32 dio_alignment(struct storvsp_backend *b, int fd)
{
	u32 a = 0;
#ifdef STATX_DIOALIGN
	struct statx stx;

	if (!statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) &&
	    (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_offset_align) {
		a = stx.stx_dio_offset_align;
		if (stx.stx_dio_mem_align > a)
			a = stx.stx_dio_mem_align;
		return a;
	}
#endif
	if (b->is_blockdev) {
		int ss = 0;

		if (!ioctl(fd, BLKSSZGET, &ss) && ss >= 512)
			a = (u32)ss;
	}
	/* a file system that does not say: a page is always enough */
	return a ? a : 4096;
}

int storvsp_backend_use_uring(struct storvsp_backend *b, const char *path)
{
	int fd;

	b->kind = STORVSP_BACKEND_URING;
	fd = open(path, (b->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_DIRECT);
	if (fd < 0)
		return 0;	/* tmpfs before 6.6 and others: buffered only */
	b->dio_align = dio_alignment(b, fd);
	if (b->dio_align > 4096 || (b->dio_align & (b->dio_align - 1))) {
		close(fd);
		return 0;
	}
	b->dfd = fd;
	return 0;
}

static bool dio_aligned(const struct storvsp_backend *b, const struct iovec *iov,
			int niov, u64 off, u64 len)
{
	u64 m = b->dio_align - 1;
	int i;

	if (b->dfd < 0 || atomic_load(&b->dio_off) || (off & m) || (len & m))
		return false;
	for (i = 0; i < niov; i++)
		if (((uintptr_t)iov[i].iov_base & m) || (iov[i].iov_len & m))
			return false;
	return true;
}

/* Skip n bytes of the iovecs from *first on. */
static void iov_advance(struct iovec *iov, int niov, int *first, u64 n)
{
	while (n > 0 && *first < niov) {
		if (n >= iov[*first].iov_len) {
			n -= iov[*first].iov_len;
			(*first)++;
		} else {
			iov[*first].iov_base = (u8 *)iov[*first].iov_base + n;
			iov[*first].iov_len -= (size_t)n;
			n = 0;
		}
	}
}

/*
 * One READV/WRITEV through ring; short transfers are resumed.  -EINVAL
 * on the O_DIRECT descriptor means the file wants more alignment than it
 * said: the caller retries buffered.
 */
static int uring_xfer(struct io_uring *ring, int fd, bool write,
		      struct iovec *iov, int niov, u64 off, u64 len)
{
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	int first = 0, res, err;

	while (len) {
		sqe = io_uring_get_sqe(ring);
		if (!sqe)
			return -EBUSY;	/* cannot be: one request per ring */
		if (write)
			io_uring_prep_writev(sqe, fd, iov + first, (unsigned int)(niov - first), off);
		else
			io_uring_prep_readv(sqe, fd, iov + first, (unsigned int)(niov - first), off);
		err = io_uring_submit(ring);
		if (err < 0)
			return err;
		do
			err = io_uring_wait_cqe(ring, &cqe);
		while (err == -EINTR);
		if (err < 0)
			return err;
		res = cqe->res;
		io_uring_cqe_seen(ring, cqe);
		if (res == -EINTR || res == -EAGAIN)
			continue;
		if (res < 0)
			return res;
		if (res == 0) {
			/* end of a file that shrank under us: reads get zeroes */
			if (write)
				return -EIO;
			for (; first < niov; first++)
				memset(iov[first].iov_base, 0, iov[first].iov_len);
			return 0;
		}
		if ((u64)res > len)
			return -EIO;
		off += (u64)res;
		len -= (u64)res;
		iov_advance(iov, niov, &first, (u64)res);
	}
	return 0;
}

/* preadv/pwritev until all of len moved: short transfers are resumed. */
static int xfer(struct storvsp_backend *b, bool write, const struct iovec *in,
		int niov, u64 off, u64 len)
{
	struct iovec iov[STORVSP_MAX_IOV];
	int first = 0;
	ssize_t n;

	if (niov < 0 || niov > STORVSP_MAX_IOV)
		return -EINVAL;
	memcpy(iov, in, sizeof(*iov) * (size_t)niov);
	if (b->kind == STORVSP_BACKEND_URING) {
		struct io_uring *ring = thread_ring();

		if (ring && dio_aligned(b, iov, niov, off, len)) {
			int err = uring_xfer(ring, b->dfd, write, iov, niov, off, len);

			if (err != -EINVAL) {
				if (!err)
					atomic_fetch_add(&b->direct_ios, 1);
				return err;
			}
			/* stricter than it said: buffered from now on (dfd
			 * stays open: other threads may be using it) */
			atomic_store(&b->dio_off, true);
			memcpy(iov, in, sizeof(*iov) * (size_t)niov);
		}
		if (ring)
			return uring_xfer(ring, b->fd, write, iov, niov, off, len);
		atomic_fetch_add(&b->uring_fallbacks, 1);
	}
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
		iov_advance(iov, niov, &first, (u64)n);
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
