// SPDX-License-Identifier: GPL-2.0-only
/*
 * enl-storvsp: serves one synthetic SCSI controller of a VM, with up to 64
 * file-backed disks.
 *
 *   enl-storvsp --vm SOCKET --disk PATH[,ro][,lun=N][,serial=S]...
 *               [--backend auto|io_uring|preadv] [--wait S] [-v|-q]
 *
 * Connects to enl-host's VSP socket, offers the controller (SCSI class,
 * a fixed instance) with a worker thread per channel and an in-flight
 * region, and serves it until enl-host goes away.  enl-host starts it
 * for its --disk options; it can also be started by hand.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hostside-vsp/common/vmconf.h"
#include "storvsp.h"
#include "hostside-vsp/lib/vsp.h"
#include "hostside-vsp/common/vsp_common.h"

/* Stable instance GUID: how a restarted daemon gets its channel back. */
static const enl_guid_t scsi_instance =
	ENL_GUID(0x656e6c00, 0x7374, 0x6f00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01);
static const enl_guid_t scsi_class =
	ENL_GUID(0xba6163d9, 0x04a1, 0x4d29, 0xb6, 0x05, 0x72, 0xe2, 0xff, 0xb1, 0xdc, 0x7f);

/*
 * In-flight region: a slot holds one GPA-direct packet of the largest
 * transfer (descriptor, range header, 65 page numbers, the 64-byte
 * packet) with room to spare.
 */
#define INFLIGHT_SLOTS		64
#define INFLIGHT_PKT_MAX	1024
#define STATUS_MS		1000
#define SEND_RETRY_MS		5000
/* Threads that run SRBs for all channels; requests one channel may have
 * handed to them at once (the in-flight region's slots bound it too). */
#define POOL_THREADS		8
#define CHAN_QUEUE_MAX		INFLIGHT_SLOTS

/* What a channel's worker has handed to the pool and not seen finish. */
struct chan_queue {
	pthread_mutex_t lock;
	pthread_cond_t done;
	unsigned int outstanding;
	atomic_ullong taken;		/* packets read off this channel */
};

struct storvsp {
	struct vsp *v;
	struct vsp_chan *primary;
	struct storvsp_ctl ctl;
	/*
	 * Readers: every packet handled (the disks a request may reach);
	 * writer: a disk added or removed (the command handler), so that a
	 * removed disk's backend is closed only once no request uses it.
	 */
	pthread_rwlock_t disks_lock;
	bool uring;			/* the backend chosen at start */
	/* slots [0, ndisks) have been used; live: still a disk */
	unsigned int ndisks;
	atomic_bool live[ENL_VSTOR_MAX_LUNS];
	struct storvsp_disk_spec spec[ENL_VSTOR_MAX_LUNS];
	struct storvsp_backend be[ENL_VSTOR_MAX_LUNS];
	struct storvsp_disk disk[ENL_VSTOR_MAX_LUNS];
	atomic_uint channels_open;
	atomic_uint refusals_logged;
	struct storvsp_pool pool;
	/* by sub_channel_index: the primary and its subchannels */
	struct chan_queue q[ENL_VSTOR_MAX_SUBCHANNELS + 1];
	/* --io-delay (tests): every pooled SRB waits this long first */
	unsigned int io_delay_ms;
};

static struct vsp *the_vsp;	/* for the signal handler only */

static void on_signal(int sig)
{
	if (the_vsp)
		vsp_stop(the_vsp);
}

static void publish(struct storvsp *s)
{
	u32 relid = vsp_chan_relid(s->primary);
	unsigned int i;

	vsp_status_set(s->v, relid, "state", "%s%s",
		       storvsp_state_name(atomic_load(&s->ctl.state)),
		       atomic_load(&s->ctl.resumed) ? " (resumed after a restart)" : "");
	vsp_status_set(s->v, relid, "version", "%u.%u", s->ctl.version >> 8,
		       s->ctl.version & 0xff);
	vsp_status_set(s->v, relid, "channels", "%u",
		       atomic_load(&s->channels_open));
	{
		/* packets per channel (primary, subchannels): the guest's
		 * queues in use */
		char q[256];
		size_t n = 0;

		for (i = 0; i <= ENL_VSTOR_MAX_SUBCHANNELS && n < sizeof(q) - 32; i++) {
			unsigned long long t = atomic_load(&s->q[i].taken);

			if (i && !t)
				continue;
			n += (size_t)snprintf(q + n, sizeof(q) - n, "%sq%u=%llu",
					      n ? " " : "", i, t);
		}
		vsp_status_set(s->v, relid, "queues", "%s", q);
	}
	{
		/* taken off the rings and not answered yet: what the
		 * in-flight regions hold (a daemon killed now leaves these
		 * to the next one) */
		unsigned int n = 0;

		for (i = 0; i <= ENL_VSTOR_MAX_SUBCHANNELS; i++) {
			pthread_mutex_lock(&s->q[i].lock);
			n += s->q[i].outstanding;
			pthread_mutex_unlock(&s->q[i].lock);
		}
		vsp_status_set(s->v, relid, "inflight", "%u", n);
	}
	{
		unsigned long long direct = 0, fallbacks = 0;

		for (i = 0; i < s->ndisks; i++) {
			if (!s->live[i])
				continue;
			direct += atomic_load(&s->be[i].direct_ios);
			fallbacks += atomic_load(&s->be[i].uring_fallbacks);
		}
		vsp_status_set(s->v, relid, "backend",
			       "%s threads=%u direct=%llu fallbacks=%llu bad_packets=%llu",
			       s->uring ? "io_uring" : "preadv",
			       s->pool.n, direct, fallbacks,
			       (unsigned long long)atomic_load(&s->ctl.bad_packets));
	}
	for (i = 0; i < s->ndisks; i++) {
		struct storvsp_disk *d = &s->disk[i];
		char key[16];

		if (!s->live[i])
			continue;
		snprintf(key, sizeof(key), "lun%u", d->lun);
		vsp_status_set(s->v, relid, key,
			       "req=%llu rd=%llu wr=%llu flush=%llu unmap=%llu err=%llu inflight=%u%s",
			       (unsigned long long)atomic_load(&d->st.requests),
			       (unsigned long long)atomic_load(&d->st.bytes_read),
			       (unsigned long long)atomic_load(&d->st.bytes_written),
			       (unsigned long long)atomic_load(&d->st.flushes),
			       (unsigned long long)atomic_load(&d->st.unmaps),
			       (unsigned long long)atomic_load(&d->st.errors),
			       atomic_load(&d->st.in_flight), d->ro ? " ro" : "");
	}
}

/*
 * The answer and the end of the request's in-flight record in one
 * (vsp_chan_send_done: a restarted daemon replays it only if the answer
 * never reached the ring, so the guest's buffers are not touched after
 * it has them back).  A full ring is waited out (the guest is reading);
 * a channel that stays full is given up on after SEND_RETRY_MS and the
 * request is left in the in-flight region, so a later daemon finishes it.
 */
static int send_reply(struct vsp_chan *ch, u64 token, u64 trans_id,
		      const struct enl_vstor_packet *reply)
{
	const struct timespec pause = { .tv_nsec = 100 * 1000 };
	u64 deadline = vsp_now_ms() + SEND_RETRY_MS;
	int err;

	for (;;) {
		err = vsp_chan_send_done(ch, token, VMBUS_PKT_COMPLETION, 0,
					 trans_id, reply, sizeof(*reply));
		if (err != -EAGAIN || vsp_now_ms() >= deadline)
			return err;
		nanosleep(&pause, NULL);
	}
}

/*
 * The first commands that end in CHECK CONDITION, with their CDB and
 * sense, for whoever wonders what a guest asked that we do not do (a few
 * per boot are normal: Linux probes optional pages).
 */
#define REFUSALS_LOGGED		20

static void log_refusal(struct storvsp *s, const void *pkt, u32 len,
			const struct enl_vstor_packet *reply)
{
	struct enl_vstor_packet in;
	struct enl_pkt pk;

	if (reply->srb.scsi_status != ENL_SAM_STAT_CHECK_CONDITION ||
	    atomic_fetch_add(&s->refusals_logged, 1) >= REFUSALS_LOGGED)
		return;
	if (enl_pkt_parse(pkt, len, &pk) ||
	    enl_vstor_parse(pk.payload, pk.payload_len, 0, &in))
		return;
	vsp_info("lun %u: CDB %02x %02x %02x %02x refused: sense %x/%02x/%02x",
		 in.srb.lun, in.srb.cdb[0], in.srb.cdb[1], in.srb.cdb[2],
		 in.srb.cdb[3], reply->srb.sense_data[2] & 0xf,
		 reply->srb.sense_data[12], reply->srb.sense_data[13]);
}

static void handle(struct vsp_chan *ch, const void *pkt, u32 len, u64 token)
{
	struct storvsp *s = vsp_chan_priv(ch);
	struct enl_vstor_packet reply;
	u64 trans_id = 0;
	u16 sub = 0;
	int err;

	enum storvsp_action act;

	pthread_rwlock_rdlock(&s->disks_lock);
	act = storvsp_handle(&s->ctl, vsp_chan_sub_index(ch) == 0, pkt, len,
			     &reply, &trans_id, &sub);
	pthread_rwlock_unlock(&s->disks_lock);
	switch (act) {
	case STORVSP_DROP:
		vsp_dbg("dropped a packet of %u bytes", len);
		vsp_chan_complete(ch, token);
		return;
	case STORVSP_REPLY_SUBCHANNELS:
		err = vsp_offer_subchannels(ch, sub, NULL);
		if (err) {
			vsp_err("cannot offer %u subchannels: %s", sub, strerror(-err));
			reply.status = ENL_VSTOR_STATUS_UNSUCCESSFUL;
		} else {
			vsp_info("guest asked for %u subchannels", sub);
		}
		break;
	case STORVSP_REPLY:
		log_refusal(s, pkt, len, &reply);
		break;
	}
	err = send_reply(ch, token, trans_id, &reply);
	if (err)
		vsp_err("relid %u: completion not sent: %s", vsp_chan_relid(ch),
			strerror(-err));
}

static struct chan_queue *queue_of(struct storvsp *s, struct vsp_chan *ch)
{
	u16 i = vsp_chan_sub_index(ch);

	return i <= ENL_VSTOR_MAX_SUBCHANNELS ? &s->q[i] : NULL;
}

static void task_run(struct storvsp_task *t)
{
	struct vsp_chan *ch = t->ch;
	struct storvsp *s = vsp_chan_priv(ch);
	struct chan_queue *q = queue_of(s, ch);

	if (s->io_delay_ms) {
		struct timespec d = { .tv_sec = s->io_delay_ms / 1000,
				      .tv_nsec = (long)(s->io_delay_ms % 1000) * 1000000 };

		nanosleep(&d, NULL);
	}
	handle(ch, t->pkt, t->len, t->token);
	pthread_mutex_lock(&q->lock);
	q->outstanding--;
	pthread_cond_broadcast(&q->done);
	pthread_mutex_unlock(&q->lock);
}

/*
 * SRBs of a ready controller go to the pool; the handshake and everything
 * else is handled here, in order.
 */
static bool to_pool(struct storvsp *s, const void *pkt, u32 len)
{
	struct enl_pkt pk;
	u32 op;

	if (atomic_load(&s->ctl.state) != STORVSP_READY || !s->pool.n ||
	    enl_pkt_parse(pkt, len, &pk) || pk.payload_len < 4)
		return false;
	memcpy(&op, pk.payload, 4);
	return op == ENL_VSTOR_OP_EXECUTE_SRB;
}

/* Wait until fewer than max requests of q are outstanding; false if none
 * are (nothing to wait for). */
static bool queue_wait(struct chan_queue *q, unsigned int max)
{
	bool any;

	pthread_mutex_lock(&q->lock);
	while (q->outstanding >= max)
		pthread_cond_wait(&q->done, &q->lock);
	any = q->outstanding > 0;
	pthread_mutex_unlock(&q->lock);
	return any;
}

static void on_kick(struct vsp_chan *ch)
{
	struct storvsp *s = vsp_chan_priv(ch);
	struct chan_queue *q = queue_of(s, ch);
	_Alignas(8) u8 buf[INFLIGHT_PKT_MAX];
	u64 token;
	u32 len;
	int r;

	for (;;) {
		r = vsp_chan_take(ch, buf, sizeof(buf), &len, &token);
		if (r == 1) {
			struct storvsp_task *t = NULL;

			if (q)
				atomic_fetch_add(&q->taken, 1);
			if (q && to_pool(s, buf, len))
				t = storvsp_task_new(buf, len);
			if (!t) {
				handle(ch, buf, len, token);
				continue;
			}
			t->ch = ch;
			t->token = token;
			queue_wait(q, CHAN_QUEUE_MAX);
			pthread_mutex_lock(&q->lock);
			q->outstanding++;
			pthread_mutex_unlock(&q->lock);
			storvsp_pool_add(&s->pool, t);
			continue;
		}
		if (r == -EBUSY && q) {
			/* every in-flight slot is ours: wait for one to free */
			pthread_mutex_lock(&q->lock);
			r = (int)q->outstanding;
			pthread_mutex_unlock(&q->lock);
			if (!r)
				return;
			queue_wait(q, (unsigned int)r);
			continue;
		}
		if (r == -EMSGSIZE && len <= VMBUS_PKT_MAX_LEN) {
			/* larger than any request we take: read it to refuse it */
			u64 *big = malloc(len);

			if (!big)
				return;
			if (vsp_chan_recv(ch, big, len, &len) == 1)
				handle(ch, big, len, 0);
			free(big);
			continue;
		}
		/* empty, all slots busy (cannot be: we finish each request
		 * before the next), closed or corrupt */
		return;
	}
}

static void on_replay(struct vsp_chan *ch, const void *pkt, u32 len, u64 token)
{
	_Alignas(8) u8 buf[INFLIGHT_PKT_MAX];

	if (len > sizeof(buf)) {
		vsp_chan_complete(ch, token);
		return;
	}
	memcpy(buf, pkt, len);
	handle(ch, buf, len, token);
}

static int on_open(struct vsp_chan *ch)
{
	struct storvsp *s = vsp_chan_priv(ch);

	atomic_fetch_add(&s->channels_open, 1);
	if (vsp_chan_sub_index(ch) == 0) {
		storvsp_ctl_reset(&s->ctl);
		vsp_chan_timer(ch, STATUS_MS);
		publish(s);
	}
	return 0;
}

static void on_close(struct vsp_chan *ch)
{
	struct storvsp *s = vsp_chan_priv(ch);

	atomic_fetch_sub(&s->channels_open, 1);
	if (vsp_chan_sub_index(ch) == 0)
		storvsp_ctl_reset(&s->ctl);
	publish(s);
}

static void on_timer(struct vsp_chan *ch)
{
	publish(vsp_chan_priv(ch));
	vsp_chan_timer(ch, STATUS_MS);
}

static void on_subchannel(struct vsp_chan *primary, struct vsp_chan *sub,
			  u16 index, int err)
{
	if (err)
		vsp_err("subchannel %u refused: %s", index, strerror(-err));
	else
		vsp_info("subchannel %u offered as relid %u", index,
			 vsp_chan_relid(sub));
}

static const struct vsp_chan_ops ops = {
	.on_open = on_open,
	.on_kick = on_kick,
	.on_replay = on_replay,
	.on_timer = on_timer,
	.on_close = on_close,
	.on_subchannel = on_subchannel,
};

static int gpa_iov(void *ctx, const struct enl_pkt_gpa_range *r,
		   struct iovec *iov, unsigned int max)
{
	return vsp_gpa_range_iov(ctx, r, iov, max);
}

/* ---- hot plug (enlctl disk add / remove) --------------------------------- */

/*
 * Tell the guest the bus changed: an inband ENUMERATE_BUS with
 * transaction id 0, which Linux's storvsc takes as "rescan" (TEST UNIT
 * READY to the LUNs it knows, then a scan).  Only once the handshake is
 * done: a notice during the guest's probe would race with its own scan.
 */
static bool notify_bus_change(struct storvsp *s)
{
	struct enl_vstor_packet pkt;

	if (atomic_load(&s->ctl.state) != STORVSP_READY)
		return false;
	memset(&pkt, 0, sizeof(pkt));
	pkt.operation = ENL_VSTOR_OP_ENUMERATE_BUS;
	return vsp_chan_send(s->primary, VMBUS_PKT_INBAND, 0, 0, &pkt, sizeof(pkt)) == 0;
}

static void disk_add(struct storvsp *s, u32 req_id, const char *spec)
{
	struct storvsp_disk_spec *sp;
	struct storvsp_backend *be;
	struct storvsp_disk *d;
	char err[512];
	unsigned int i;
	int lun, e;

	/* a slot a removed disk left, else a new one */
	for (i = 0; i < s->ndisks && atomic_load(&s->live[i]); i++)
		;
	if (i >= ENL_VSTOR_MAX_LUNS) {
		vsp_command_reply(s->v, req_id, ENOSPC, "%u disks, no slot left",
				  ENL_VSTOR_MAX_LUNS);
		return;
	}
	sp = &s->spec[i];
	be = &s->be[i];
	d = &s->disk[i];
	if (storvsp_spec_parse(spec, sp, err, sizeof(err))) {
		vsp_command_reply(s->v, req_id, EINVAL, "%s", err);
		return;
	}
	pthread_rwlock_rdlock(&s->disks_lock);
	lun = sp->lun;
	if (lun < 0)
		for (lun = 0; lun < (int)ENL_VSTOR_MAX_LUNS && s->ctl.disks[lun]; lun++)
			;
	e = lun >= (int)ENL_VSTOR_MAX_LUNS || s->ctl.disks[lun];
	pthread_rwlock_unlock(&s->disks_lock);
	if (e) {
		vsp_command_reply(s->v, req_id, EEXIST,
				  lun >= (int)ENL_VSTOR_MAX_LUNS ? "every LUN is taken" :
				  "lun %d is taken", lun);
		return;
	}
	sp->lun = lun;
	if (storvsp_backend_open(be, sp->path, sp->ro, err, sizeof(err))) {
		vsp_command_reply(s->v, req_id, EIO, "%s", err);
		return;
	}
	if (s->uring)
		storvsp_backend_use_uring(be, sp->path);
	storvsp_disk_init(d, (u8)lun, sp->ro, be->size, sp->serial,
			  &storvsp_file_io, be);
	pthread_rwlock_wrlock(&s->disks_lock);
	e = storvsp_ctl_add_disk(&s->ctl, d);
	pthread_rwlock_unlock(&s->disks_lock);
	if (e) {
		storvsp_backend_close(be);
		vsp_command_reply(s->v, req_id, -e, "lun %d: %s", lun, strerror(-e));
		return;
	}
	s->live[i] = true;
	if (i == s->ndisks)
		s->ndisks++;
	vsp_info("lun %d added: %s, %llu bytes%s, serial %s", lun, sp->path,
		 (unsigned long long)be->size, sp->ro ? ", read-only" : "", d->serial);
	publish(s);
	vsp_command_reply(s->v, req_id, 0, "lun %d: %s, %llu bytes%s, serial %s%s", lun,
			  sp->path, (unsigned long long)be->size,
			  sp->ro ? ", read-only" : "", d->serial,
			  notify_bus_change(s) ? "" :
			  " (the guest has no controller yet: it sees the disk when it scans)");
}

static void disk_remove(struct storvsp *s, u32 req_id, const char *arg)
{
	struct storvsp_disk *d;
	unsigned int i;
	char *end, key[16];
	long lun;

	errno = 0;
	lun = strtol(arg, &end, 10);
	if (errno || *end || end == arg || lun < 0 || lun >= (long)ENL_VSTOR_MAX_LUNS) {
		vsp_command_reply(s->v, req_id, EINVAL, "LUN is 0..%u, not %s",
				  ENL_VSTOR_MAX_LUNS - 1, arg);
		return;
	}
	/* with the write lock no request is inside the disk any more */
	pthread_rwlock_wrlock(&s->disks_lock);
	d = storvsp_ctl_remove_disk(&s->ctl, (unsigned int)lun);
	pthread_rwlock_unlock(&s->disks_lock);
	if (!d) {
		vsp_command_reply(s->v, req_id, ENOENT, "no disk at lun %ld", lun);
		return;
	}
	i = (unsigned int)(d - s->disk);
	s->live[i] = false;
	storvsp_backend_close(&s->be[i]);
	vsp_info("lun %ld removed: %s", lun, s->spec[i].path);
	snprintf(key, sizeof(key), "lun%ld", lun);
	vsp_status_set(s->v, vsp_chan_relid(s->primary), key, "removed");
	vsp_command_reply(s->v, req_id, 0, "lun %ld removed: %s", lun, s->spec[i].path);
	notify_bus_change(s);
}

/*
 * "disks" lists every disk as
 * one line of words "lun N ro|rw PATH", PATH the open image's absolute
 * path as the kernel names it (a relative --disk does not depend on our
 * working directory), each word encoded as on a command line.  enlctl
 * backup copies exactly these.
 */
static void list_disks(struct storvsp *s, struct vsp *v, u32 req_id)
{
	char *text, line[VSP_CMD_LEN], num[12];
	size_t len = 0, cap = (size_t)s->ndisks * (sizeof(line) + 1) + 1;
	unsigned int i;

	text = calloc(1, cap);
	if (!text) {
		vsp_command_reply(v, req_id, ENOMEM, "out of memory");
		return;
	}
	for (i = 0; i < s->ndisks; i++) {
		char link[32], path[PATH_MAX];
		ssize_t n;

		if (!s->live[i])
			continue;		/* hot removed */
		snprintf(link, sizeof(link), "/proc/self/fd/%d", s->be[i].fd);
		n = readlink(link, path, sizeof(path) - 1);
		if (n <= 0 || path[0] != '/') {
			vsp_command_reply(v, req_id, EIO, "lun %d: its image's path is unknown",
					  s->spec[i].lun);
			free(text);
			return;
		}
		path[n] = '\0';
		line[0] = '\0';
		snprintf(num, sizeof(num), "%d", s->spec[i].lun);
		if (vspc_cmd_encode(line, sizeof(line), "lun") ||
		    vspc_cmd_encode(line, sizeof(line), num) ||
		    vspc_cmd_encode(line, sizeof(line), s->spec[i].ro ? "ro" : "rw") ||
		    vspc_cmd_encode(line, sizeof(line), path)) {
			vsp_command_reply(v, req_id, ENAMETOOLONG, "lun %d: path too long",
					  s->spec[i].lun);
			free(text);
			return;
		}
		len += (size_t)snprintf(text + len, cap - len, "%s\n", line);
	}
	vsp_command_reply(v, req_id, 0, "%s", text);
	free(text);
}

/*
 * Operator commands (relayed by enl-host), on the loop thread: "disks"
 * (enlctl backup), "add SPEC" and "remove LUN" (enlctl disk ...).
 */
static void on_command(struct vsp *v, u32 req_id, const char *line, void *priv)
{
	struct storvsp *s = priv;
	char buf[VSP_CMD_LEN], *w[3];
	int n;

	snprintf(buf, sizeof(buf), "%s", line);
	n = vspc_cmd_split(buf, w, 3);
	if (n == 1 && !strcmp(w[0], "disks"))
		list_disks(s, v, req_id);
	else if (n == 2 && !strcmp(w[0], "add"))
		disk_add(s, req_id, w[1]);
	else if (n == 2 && !strcmp(w[0], "remove"))
		disk_remove(s, req_id, w[1]);
	else
		/* ENOENT: no such command; EINVAL: a known one misused */
		vsp_command_reply(v, req_id,
				  n >= 1 && (!strcmp(w[0], "add") || !strcmp(w[0], "remove") ||
					     !strcmp(w[0], "disks")) ? EINVAL : ENOENT,
				  "storvsp knows: disks; add PATH[,ro][,lun=N][,serial=S]; remove LUN");
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: enl-storvsp {--vm SOCKET|NAME | --config FILE}\n"
		"                   [--disk PATH[,ro][,lun=N][,serial=S]...]\n"
		"                   [--backend auto|io_uring|preadv] [--wait S] [-v|-q]\n"
		"                   [--io-delay MS]\n"
		"Serve a synthetic SCSI controller with file-backed disks to the VM\n"
		"whose enl-host listens on SOCKET.\n"
		"  --vm SOCKET   enl-host's VSP socket, or a VM name (its socket is\n"
		"                /run/enlighten/NAME.sock)\n"
		"  --config FILE the VM's file: its socket and, without --disk, its\n"
		"                disks (none: exit at once)\n"
		"  --disk SPEC   a raw image or block device; ro: read-only; lun=N:\n"
		"                0..63 (default: the next free); serial=S: VPD serial\n"
		"                (up to 20 printable characters); repeatable\n"
		"  --backend B   io_uring (O_DIRECT when aligned), preadv (a thread\n"
		"                pool), or auto (default): io_uring if allowed\n"
		"  --wait S      wait up to S seconds (0: for ever) for the socket\n"
		"  --io-delay MS (tests) every request waits MS ms before it runs,\n"
		"                so a kill finds requests in flight\n"
		"  -v, --verbose log more\n"
		"  -q, --quiet   log errors only\n"
		"  -h, --help    this text\n");
}

static void bad_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "enl-storvsp: %s%s%s (try --help)\n", msg,
		arg ? ": " : "", arg ? arg : "");
	exit(2);
}

static struct vsp *connect_waiting(const char *sock, long wait_s, int *err)
{
	const struct timespec step = { .tv_nsec = 200 * 1000 * 1000 };
	u64 deadline = vsp_now_ms() + (u64)(wait_s > 0 ? wait_s : 0) * 1000;
	struct vsp *v;

	for (;;) {
		v = vsp_connect(sock, "storvsp", err);
		if (v || wait_s < 0 ||
		    (*err != -ENOENT && *err != -ECONNREFUSED))
			return v;
		if (wait_s > 0 && vsp_now_ms() >= deadline)
			return NULL;
		nanosleep(&step, NULL);
	}
}

enum backend_choice { BACKEND_AUTO, BACKEND_URING, BACKEND_PREADV };

/* Give LUNs to the disks without one, open every image. */
static int open_disks(struct storvsp *s, bool uring)
{
	bool used[ENL_VSTOR_MAX_LUNS] = { false };
	char err[512];
	unsigned int i;
	int next = 0;

	for (i = 0; i < s->ndisks; i++) {
		if (s->spec[i].lun < 0)
			continue;
		if (used[s->spec[i].lun]) {
			fprintf(stderr, "enl-storvsp: --disk %s: lun %d is taken by another disk\n",
				s->spec[i].path, s->spec[i].lun);
			return -1;
		}
		used[s->spec[i].lun] = true;
	}
	for (i = 0; i < s->ndisks; i++) {
		struct storvsp_disk_spec *sp = &s->spec[i];

		if (sp->lun < 0) {
			while (next < (int)ENL_VSTOR_MAX_LUNS && used[next])
				next++;
			if (next >= (int)ENL_VSTOR_MAX_LUNS) {
				fprintf(stderr, "enl-storvsp: more than %u disks\n",
					ENL_VSTOR_MAX_LUNS);
				return -1;
			}
			sp->lun = next;
			used[next] = true;
		}
		if (storvsp_backend_open(&s->be[i], sp->path, sp->ro, err, sizeof(err))) {
			fprintf(stderr, "enl-storvsp: --disk: %s\n", err);
			return -1;
		}
		if (uring)
			storvsp_backend_use_uring(&s->be[i], sp->path);
		storvsp_disk_init(&s->disk[i], (u8)sp->lun, sp->ro, s->be[i].size,
				  sp->serial, &storvsp_file_io, &s->be[i]);
		storvsp_ctl_add_disk(&s->ctl, &s->disk[i]);
		s->live[i] = true;
		vsp_info("lun %d: %s, %llu bytes%s, serial %s, %s%s", sp->lun, sp->path,
			 (unsigned long long)s->be[i].size, sp->ro ? ", read-only" : "",
			 s->disk[i].serial, storvsp_backend_name(&s->be[i]),
			 s->be[i].dfd >= 0 ? ", O_DIRECT when aligned" :
			 uring ? ", buffered (no O_DIRECT here)" : "");
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vm", required_argument, NULL, 'm' },
		{ "config", required_argument, NULL, 'C' },
		{ "disk", required_argument, NULL, 'd' },
		{ "wait", required_argument, NULL, 'w' },
		{ "backend", required_argument, NULL, 'b' },
		{ "io-delay", required_argument, NULL, 'D' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct storvsp s;
	struct vsp_offer_params p;
	const char *sock = NULL, *vm_arg = NULL, *conf_path = NULL;
	static struct vmconf conf;
	static char sock_buf[4096];
	struct sigaction sa;
	enum backend_choice backend = BACKEND_AUTO;
	long wait_s = -1;
	bool uring = false;
	unsigned int ncpus, i;
	int c, err;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vqh", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			vm_arg = optarg;
			break;
		case 'C':
			conf_path = optarg;
			break;
		case 'd': {
			char why[512];

			if (s.ndisks >= ENL_VSTOR_MAX_LUNS)
				bad_usage("too many --disk options (64 at most)", NULL);
			if (storvsp_spec_parse(optarg, &s.spec[s.ndisks], why, sizeof(why)))
				bad_usage(why, NULL);
			s.ndisks++;
			break;
		}
		case 'w': {
			char *end;

			errno = 0;
			wait_s = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || wait_s < 0)
				bad_usage("--wait takes whole seconds (0: forever)", optarg);
			break;
		}
		case 'D': {
			char *end;
			long ms;

			errno = 0;
			ms = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || ms < 0 || ms > 10000)
				bad_usage("--io-delay takes 0..10000 ms", optarg);
			s.io_delay_ms = (unsigned int)ms;
			break;
		}
		case 'b':
			if (!strcmp(optarg, "auto"))
				backend = BACKEND_AUTO;
			else if (!strcmp(optarg, "io_uring"))
				backend = BACKEND_URING;
			else if (!strcmp(optarg, "preadv"))
				backend = BACKEND_PREADV;
			else
				bad_usage("--backend is auto, io_uring or preadv", optarg);
			break;
		case 'v':
			vsp_verbose = 2;
			break;
		case 'q':
			vsp_verbose = 0;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			bad_usage("option needs an argument", argv[optind - 1]);
			break;
		default:
			bad_usage("unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		bad_usage("unexpected argument", argv[optind]);
	if (vmconf_daemon_socket("enl-storvsp", vm_arg, conf_path, &conf, sock_buf,
				 sizeof(sock_buf)) < 0)
		return 2;
	sock = sock_buf;
	/* the file's disks, unless --disk replaced them */
	for (i = 0; !s.ndisks && i < conf.ndisks; i++) {
		char why[512];

		if (storvsp_spec_parse(conf.disk[i].v, &s.spec[i], why, sizeof(why))) {
			fprintf(stderr, "enl-storvsp: %s:%u: %s\n", conf_path,
				conf.disk[i].line, why);
			return 2;
		}
		if (i + 1 == conf.ndisks)
			s.ndisks = conf.ndisks;
	}
	if (!s.ndisks && conf_path) {
		fprintf(stderr, "enl-storvsp: %s has no disk: nothing to serve\n", conf_path);
		return 0;
	}
	if (!s.ndisks)
		bad_usage("no --disk given", NULL);

	vsp_set_log_name("enl-storvsp");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	storvsp_ctl_init(&s.ctl, 0);
	pthread_rwlock_init(&s.disks_lock, NULL);
	s.ctl.may_resume = true;
	for (i = 0; i <= ENL_VSTOR_MAX_SUBCHANNELS; i++) {
		pthread_mutex_init(&s.q[i].lock, NULL);
		pthread_cond_init(&s.q[i].done, NULL);
	}
	err = storvsp_pool_start(&s.pool, POOL_THREADS, task_run);
	if (err)
		/* still works: every request then runs on its channel's thread */
		vsp_err("no I/O threads (%s): one request at a time per channel",
			strerror(-err));
	if (backend != BACKEND_PREADV) {
		char why[256];

		err = storvsp_uring_probe(why, sizeof(why));
		if (!err) {
			uring = true;
			s.uring = true;
		} else if (backend == BACKEND_URING) {
			fprintf(stderr, "enl-storvsp: --backend io_uring: %s\n", why);
			return 1;
		} else {
			vsp_info("io_uring not allowed (%s): preadv/pwritev on the pool", why);
		}
	}
	if (open_disks(&s, uring))
		return 1;

	the_vsp = connect_waiting(sock, wait_s, &err);
	if (!the_vsp) {
		fprintf(stderr, "enl-storvsp: cannot connect to %s: %s%s\n", sock,
			strerror(-err),
			err == -ENOENT || err == -ECONNREFUSED ?
			" (is enl-host running?)" : "");
		return 1;
	}
	s.v = the_vsp;
	s.ctl.gpa_iov = gpa_iov;
	s.ctl.gpa_ctx = the_vsp;
	/* one queue per vCPU: Linux asks for (CPUs - 1) subchannels */
	ncpus = vsp_vm(the_vsp)->ncpus;
	s.ctl.max_subchannels = (u16)(ncpus > ENL_VSTOR_MAX_SUBCHANNELS ?
				      ENL_VSTOR_MAX_SUBCHANNELS - 1 :
				      ncpus ? ncpus - 1 : 0);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	memset(&p, 0, sizeof(p));
	p.if_type = scsi_class;
	p.if_instance = scsi_instance;
	p.flags = VSP_CHAN_WORKER;
	p.inflight_slots = INFLIGHT_SLOTS;
	p.inflight_pkt_max = INFLIGHT_PKT_MAX;
	err = vsp_offer(the_vsp, &p, &ops, &s, &s.primary);
	if (err) {
		fprintf(stderr, "enl-storvsp: controller offer refused: %s%s\n",
			strerror(-err),
			err == -EEXIST ? " (another daemon serves it)" : "");
		storvsp_pool_stop(&s.pool);
		vsp_free(the_vsp);
		return 1;
	}
	vsp_info("SCSI controller offered as relid %u, %u disk(s)",
		 vsp_chan_relid(s.primary), s.ndisks);
	/* a restart: the guest keeps sending on the subchannels it had */
	if (s.ctl.max_subchannels) {
		err = vsp_reclaim_subchannels(s.primary, s.ctl.max_subchannels, NULL);
		if (err < 0)
			vsp_err("subchannels not taken over: %s", strerror(-err));
		else if (err)
			vsp_info("%d subchannel(s) of a running guest taken over", err);
	}
	publish(&s);
	vsp_set_command_handler(the_vsp, on_command, &s);

	err = vsp_run(the_vsp);
	/* what the threads still run may send and touch guest RAM: first */
	storvsp_pool_stop(&s.pool);
	vsp_free(the_vsp);
	for (i = 0; i < s.ndisks; i++)
		if (s.live[i])
			storvsp_backend_close(&s.be[i]);
	if (err) {
		fprintf(stderr, "enl-storvsp: connection to enl-host lost: %s\n",
			strerror(-err));
		return 1;
	}
	return 0;
}
