/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * enl-storvsp: a synthetic SCSI controller (VSTOR) with file-backed disks.
 *
 * Layers, one file each:
 *   spec.c     the --disk PATH[,ro][,lun=N][,serial=S] syntax (also in enl-host)
 *   backend.c  the disk image: open, size, io_uring (O_DIRECT when
 *              aligned) or preadv/pwritev, flush, punch
 *   scsi.c     the SCSI target: CDB -> data + status + sense
 *   vstor.c    the VSTOR protocol: init handshake, SRB checks, completions
 *   pool.c     the threads that run SRBs (a channel reads, the pool executes)
 *   main.c     options, libvsp channels, status
 * scsi.c and vstor.c touch no socket and no global state, so the unit tests
 * and the fuzzer drive them directly.
 */
#ifndef ENL_STORVSP_H
#define ENL_STORVSP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

#include <enl/types.h>
#include <enl/vstor.h>
#include <enl/vmbus_packet.h>

#define STORVSP_SERIAL_MAX	20	/* VPD 0x80 length we report at most */
#define STORVSP_BLOCK		512u
/* Most iovecs one request maps to: every page of the largest transfer. */
#define STORVSP_MAX_IOV		((int)ENL_VSTOR_MAX_PFNS + 1)

/* ---- --disk options (spec.c) ------------------------------------------ */

struct storvsp_disk_spec {
	char path[4096];
	bool ro;
	int lun;			/* -1: the next free one */
	char serial[STORVSP_SERIAL_MAX + 1];	/* "": derived from the LUN */
};

/*
 * Parse "PATH[,ro][,lun=N][,serial=S]".  0, or -EINVAL with a one-line
 * reason in err (what is wrong, naming the value).
 */
int storvsp_spec_parse(const char *s, struct storvsp_disk_spec *out,
		       char *err, size_t err_len);

/* ---- backend (backend.c) -------------------------------------------------- */

enum storvsp_backend_kind {
	STORVSP_BACKEND_SYNC,		/* preadv/pwritev on the calling thread */
	STORVSP_BACKEND_URING,		/* io_uring, one ring per calling thread */
};

struct storvsp_backend {
	int fd;
	int dfd;			/* O_DIRECT twin of fd, -1 if refused */
	u32 dio_align;			/* offset/length/address alignment for dfd */
	u64 size;			/* bytes, whole blocks */
	bool ro;
	bool is_blockdev;
	enum storvsp_backend_kind kind;
	atomic_bool dio_off;		/* dfd refused an aligned request */
	atomic_ullong direct_ios;	/* requests that went through dfd */
	atomic_ullong uring_fallbacks;	/* io_uring requests done with preadv */
};

/* Open a raw image or block device (preadv).  0 or -errno; reason in err. */
int storvsp_backend_open(struct storvsp_backend *b, const char *path, bool ro,
			 char *err, size_t err_len);
/*
 * Whether this process may use io_uring (not disabled by sysctl, seccomp
 * or an old kernel, and READV/WRITEV supported): 0 or -errno, the reason
 * in why.
 */
int storvsp_uring_probe(char *why, size_t why_len);
/*
 * Serve b through io_uring from now on, with O_DIRECT for aligned
 * requests when the file allows it.  Call before any I/O; 0 or -errno.
 */
int storvsp_backend_use_uring(struct storvsp_backend *b, const char *path);
void storvsp_backend_close(struct storvsp_backend *b);
const char *storvsp_backend_name(const struct storvsp_backend *b);

/*
 * The I/O a SCSI target needs.  Each returns 0 or -errno; read and write
 * move all of len bytes or fail.  Tests substitute their own.
 */
struct storvsp_io_ops {
	int (*read)(void *ctx, const struct iovec *iov, int niov, u64 off, u64 len);
	int (*write)(void *ctx, const struct iovec *iov, int niov, u64 off, u64 len);
	int (*flush)(void *ctx);
	int (*discard)(void *ctx, u64 off, u64 len);
};
extern const struct storvsp_io_ops storvsp_file_io;	/* ctx: struct storvsp_backend */

/* ---- SCSI target (scsi.c) ------------------------------------------------- */

struct storvsp_stats {
	atomic_ullong requests;
	atomic_ullong bytes_read;
	atomic_ullong bytes_written;
	atomic_ullong flushes;
	atomic_ullong unmaps;
	atomic_ullong errors;
	atomic_uint in_flight;
};

struct storvsp_disk {
	u8 lun;
	bool ro;
	u64 blocks;			/* capacity in 512-byte blocks */
	char serial[STORVSP_SERIAL_MAX + 1];
	u8 naa[16];			/* NAA 6 identifier (VPD 0x83) */
	const struct storvsp_io_ops *io;
	void *io_ctx;
	struct storvsp_stats st;
};

/* A data buffer: iovecs over guest RAM, len bytes in all. */
struct storvsp_buf {
	const struct iovec *iov;
	int niov;
	u32 len;
};

/* What a command produced. */
struct storvsp_result {
	u8 srb_status;			/* ENL_SRB_STATUS_* */
	u8 scsi_status;			/* ENL_SAM_STAT_* */
	u8 sense_len;
	u8 sense[ENL_VSTOR_SENSE_SIZE];
	u32 transferred;		/* data bytes moved */
};

/* Fill in the identity of a disk (serial default, NAA id). */
void storvsp_disk_init(struct storvsp_disk *d, u8 lun, bool ro, u64 bytes,
		       const char *serial, const struct storvsp_io_ops *io,
		       void *io_ctx);

/*
 * Execute one CDB on disk d (NULL: no LUN at this address).  dir is the
 * guest's enum enl_vstor_data_dir; buf the data buffer (len 0 for none).
 * luns / nluns: the LUNs present (REPORT LUNS).  Never fails: errors are
 * CHECK CONDITION with sense in *res.
 */
void storvsp_scsi_exec(struct storvsp_disk *d, const u8 *cdb, u8 cdb_len,
		       u8 dir, const struct storvsp_buf *buf,
		       const u8 *luns, unsigned int nluns,
		       struct storvsp_result *res);

/* ---- VSTOR protocol (vstor.c) ----------------------------------------- */

/* One state for the controller's handshake (primary channel). */
enum storvsp_ctl_state {
	STORVSP_WAIT_BEGIN,		/* channel open, nothing yet */
	STORVSP_WAIT_VERSION,		/* BEGIN_INIT done */
	STORVSP_WAIT_PROPERTIES,	/* a version accepted */
	STORVSP_WAIT_END,		/* properties sent */
	STORVSP_READY,			/* END_INIT done: SRBs served */
	STORVSP_RESUMING,		/* a restart's first SRB switching to READY */
};

struct storvsp_ctl {
	_Atomic int state;		/* enum storvsp_ctl_state; primary sets it */
	u16 version;			/* negotiated; valid from WAIT_PROPERTIES */
	u16 max_subchannels;		/* advertised in the properties */
	u16 subchannels_asked;		/* CREATE_SUB_CHANNELS done once */
	struct storvsp_disk *disks[ENL_VSTOR_MAX_LUNS];	/* by LUN */
	u8 luns[ENL_VSTOR_MAX_LUNS];	/* present LUNs, ascending */
	unsigned int nluns;
	/* guest RAM for a GPA range (vsp_gpa_range_iov in the daemon) */
	int (*gpa_iov)(void *ctx, const struct enl_pkt_gpa_range *r,
		       struct iovec *iov, unsigned int max);
	void *gpa_ctx;
	atomic_ullong bad_packets;	/* dropped or refused, for status */
	/*
	 * This daemon was started while the guest may already be running
	 * (a restart): an SRB before any handshake packet is taken as the
	 * guest carrying on with what it negotiated with the daemon before,
	 * not as a request before init.  Cleared by the first handshake
	 * packet or the primary's first SRB.  Any channel's SRB may do it:
	 * the subchannels are taken over too, and theirs can come first.
	 */
	_Atomic bool may_resume;
	_Atomic bool resumed;		/* it happened (status, logs) */
};

/* What to do with the reply storvsp_handle() built. */
enum storvsp_action {
	STORVSP_DROP,			/* nothing to send */
	STORVSP_REPLY,			/* send reply (64 bytes) as completion */
	STORVSP_REPLY_SUBCHANNELS,	/* create *subchannels, then reply */
};

void storvsp_ctl_init(struct storvsp_ctl *c, u16 max_subchannels);
/* Register a disk (its lun must be free).  0 or -EEXIST/-EINVAL. */
int storvsp_ctl_add_disk(struct storvsp_ctl *c, struct storvsp_disk *d);
/* Unregister the disk at lun: the disk, or NULL if there was none. */
struct storvsp_disk *storvsp_ctl_remove_disk(struct storvsp_ctl *c, unsigned int lun);
/* The guest (re)opened the primary: back to the start of the handshake. */
void storvsp_ctl_reset(struct storvsp_ctl *c);

/*
 * Handle one packet from the guest (descriptor + payload, as taken from
 * the ring).  primary: it came on the primary channel (the handshake is
 * only accepted there).  Fills *reply and *trans_id for STORVSP_REPLY;
 * *subchannels for STORVSP_REPLY_SUBCHANNELS.
 */
enum storvsp_action storvsp_handle(struct storvsp_ctl *c, bool primary,
				   const void *pkt, u32 len,
				   struct enl_vstor_packet *reply, u64 *trans_id,
				   u16 *subchannels);

const char *storvsp_state_name(int state);

/* ---- thread pool (pool.c) ------------------------------------------------ */

#define STORVSP_POOL_MAX	32

struct storvsp_task {
	struct storvsp_task *next;
	void *ch;			/* the channel it came on */
	u64 token;			/* in-flight token */
	u32 len;
	_Alignas(8) u8 pkt[];		/* descriptor + payload, as taken */
};

struct storvsp_pool {
	pthread_mutex_t lock;		/* guards head, tail, stop */
	pthread_cond_t cond;
	struct storvsp_task *head, *tail;
	bool stop;
	unsigned int n;
	pthread_t th[STORVSP_POOL_MAX];
	void (*run)(struct storvsp_task *t);
};

int storvsp_pool_start(struct storvsp_pool *p, unsigned int n,
		       void (*run)(struct storvsp_task *t));
struct storvsp_task *storvsp_task_new(const void *pkt, u32 len);
void storvsp_pool_add(struct storvsp_pool *p, struct storvsp_task *t);
void storvsp_pool_stop(struct storvsp_pool *p);

#endif
