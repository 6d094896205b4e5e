// SPDX-License-Identifier: GPL-2.0-only
/*
 * enl-netvsp: serves the synthetic network adapters of a VM, each on a
 * Linux tap.
 *
 *   enl-netvsp {--vm SOCKET|NAME | --config FILE} [--nic tap=NAME[,mac=XX:..]...]
 *              [--wait S] [-v|-q]
 *
 * One offer per NIC (network class, a fixed instance per position), a
 * worker thread per channel for what the guest sends, and a reader thread
 * per open channel for what the tap has for the guest.  enl-host starts it
 * for its --nic options; it can also be started by hand, e.g. after a
 * crash: it then resumes from the state file its predecessor left next to
 * the socket and from libvsp's in-flight region.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <linux/if_tun.h>

#include "netvsp.h"
#include "hostside-vsp/common/vmconf.h"
#include "hostside-vsp/lib/vsp.h"

#define INFLIGHT_SLOTS		32
#define INFLIGHT_PKT_MAX	2048
#define STATUS_MS		1000
#define SEND_RETRY_MS		2000
#define RX_POLL_MS		100
#define OFFER_RETRY_MS		5000

struct nic;

struct queue {
	struct nic *nic;
	unsigned int index;
	struct vsp_chan *ch;		/* set while open */
	int tap_fd;
	pthread_t reader;
	bool reader_running;
	atomic_bool stop;
	bool answered;			/* channel thread: request's record ended */
};

struct nic {
	unsigned int index;
	struct netvsp_nic_spec spec;
	struct netvsp_dev dev;
	struct vsp *v;
	struct vsp_chan *primary;
	u32 ring_gpadl;			/* of the primary's current open */
	bool in_open;			/* on the loop thread: do not wait for GPADLs */
	char state_path[4200];
	bool resumed;
	bool reclaiming;		/* vsp_reclaim_subchannels() under way */
	bool withdraw_later;		/* ... and a fresh open came meanwhile */
	atomic_uint replayed;		/* sends completed from the in-flight region */
	struct queue q[NETVSP_MAX_QUEUES];
};

static struct vsp *the_vsp;		/* for the signal handler only */
static struct nic nics[NETVSP_MAX_NICS];
static unsigned int nnics;
static const char *sock_path;

static void on_signal(int sig)
{
	(void)sig;
	if (the_vsp)
		vsp_stop(the_vsp);
}

/* ---- io for nvsp.c ---------------------------------------------------- */

static int io_send(void *ctx, unsigned int qi, const struct enl_iov *iov,
		   unsigned int niov)
{
	struct nic *n = ctx;
	const struct timespec pause = { .tv_nsec = 100 * 1000 };
	struct vsp_chan *ch = qi < NETVSP_MAX_QUEUES ? n->q[qi].ch : NULL;
	u64 deadline = vsp_now_ms() + SEND_RETRY_MS;
	int err;

	if (!ch)
		return -ENOTCONN;
	for (;;) {
		err = vsp_chan_send_raw(ch, iov, niov);
		if (err != -EAGAIN || vsp_now_ms() >= deadline)
			return err;
		nanosleep(&pause, NULL);
	}
}

/*
 * A guest packet's completion and the end of its in-flight record in one
 * (vsp_chan_send_done): a daemon killed after the completion reached the
 * ring leaves nothing for the next one to complete again (a send section
 * completed twice is freed twice by the stock driver).  A full ring is
 * waited out as in io_send.
 */
static int io_complete(void *ctx, unsigned int qi, u64 token, u64 trans_id,
		       const void *body, u32 len)
{
	struct nic *n = ctx;
	const struct timespec pause = { .tv_nsec = 100 * 1000 };
	struct vsp_chan *ch = qi < NETVSP_MAX_QUEUES ? n->q[qi].ch : NULL;
	u64 deadline = vsp_now_ms() + SEND_RETRY_MS;
	int err;

	if (!ch)
		return -ENOTCONN;
	for (;;) {
		err = vsp_chan_send_done(ch, token, VMBUS_PKT_COMPLETION, 0, trans_id,
					 body, len);
		if (!err && token)
			n->q[qi].answered = true;
		if (err != -EAGAIN || vsp_now_ms() >= deadline)
			return err;
		nanosleep(&pause, NULL);
	}
}

/*
 * enl-host tells the guest GPADL_CREATED as soon as it has sent us the
 * GPADL, so the guest's SEND_RECV_BUF (on the ring, on this worker) can
 * overtake the GPADL's parts (on the socket, on the loop thread): give the
 * loop a moment before calling the GPADL unknown.
 */
#define GPADL_WAIT_MS	3000

static void *io_gpadl(void *ctx, u32 id, size_t *len)
{
	const struct timespec pause = { .tv_nsec = 2 * 1000 * 1000 };
	struct nic *n = ctx;
	u64 deadline = vsp_now_ms() + GPADL_WAIT_MS;
	void *p;

	if (!n->primary)
		return NULL;
	while (!(p = vsp_chan_gpadl(n->primary, id, len)) && !n->in_open &&
	       vsp_now_ms() < deadline)
		nanosleep(&pause, NULL);
	if (!p)
		vsp_err("nic %u: GPADL %u is not there", n->index, id);
	return p;
}

static int io_gpa_iov(void *ctx, const struct enl_pkt_gpa_range *r,
		      struct iovec *iov, unsigned int max)
{
	struct nic *n = ctx;

	return vsp_gpa_range_iov(n->v, r, iov, max);
}

static int io_tx(void *ctx, unsigned int qi, const struct netvsp_vnet_hdr *h,
		 const struct iovec *iov, int niov)
{
	struct nic *n = ctx;
	struct iovec v[4];
	int i, fd = n->q[qi].tap_fd;
	ssize_t r;

	if (niov > 3)
		return -EINVAL;
	/* a subchannel whose tap queue is not attached sends on queue 0 */
	if (fd < 0)
		fd = n->q[0].tap_fd;
	v[0] = (struct iovec){ (void *)h, sizeof(*h) };
	for (i = 0; i < niov; i++)
		v[i + 1] = iov[i];
	r = writev(fd, v, niov + 1);
	return r < 0 ? -errno : 0;
}

static int io_subchannels(void *ctx, unsigned int count)
{
	struct nic *n = ctx;

	return vsp_offer_subchannels(n->primary, count, NULL);
}

/* Write what a restarted daemon needs (nvsp.c calls it on every change). */
static void io_state_changed(void *ctx)
{
	struct nic *n = ctx;
	struct netvsp_saved s;
	char tmp[sizeof(n->state_path) + 8];
	int fd;

	pthread_rwlock_rdlock(&n->dev.buf_lock);
	s = n->dev.s;
	pthread_rwlock_unlock(&n->dev.buf_lock);
	s.ring_gpadl = n->ring_gpadl;
	snprintf(tmp, sizeof(tmp), "%s.tmp", n->state_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (write(fd, &s, sizeof(s)) != (ssize_t)sizeof(s) || rename(tmp, n->state_path))
		unlink(tmp);
	close(fd);
}

static bool load_state(struct nic *n, struct netvsp_saved *s)
{
	int fd = open(n->state_path, O_RDONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = read(fd, s, sizeof(*s)) == (ssize_t)sizeof(*s) &&
	     s->magic == NETVSP_SAVED_MAGIC;
	close(fd);
	return ok;
}

/* ---- status ------------------------------------------------------------- */

static void publish(struct nic *n)
{
	struct netvsp_dev *d = &n->dev;
	struct netvsp_stats *st = &d->st;
	u32 relid = vsp_chan_relid(n->primary);
	char drops[512], qs[NETVSP_MAX_QUEUES * 64];
	size_t off = 0, qoff = 0;
	unsigned long long total = 0;
	unsigned int i, open = 0;
	u32 off_flags = d->s.offload;

	for (i = 0; i < NETVSP_DROP_N; i++) {
		unsigned long long c = atomic_load(&st->drops[i]);

		total += c;
		if (c && off < sizeof(drops))
			off += (size_t)snprintf(drops + off, sizeof(drops) - off, " %s=%llu",
						netvsp_drop_name((int)i), c);
	}
	drops[off < sizeof(drops) ? off : sizeof(drops) - 1] = 0;
	qs[0] = 0;
	for (i = 0; i < NETVSP_MAX_QUEUES; i++) {
		open += n->q[i].ch != NULL;
		if (n->q[i].ch || atomic_load(&st->q_tx[i]) || atomic_load(&st->q_rx[i]))
			qoff += (size_t)snprintf(qs + qoff, sizeof(qs) - qoff,
						 " q%u=tx:%llu,rx:%llu", i,
						 (unsigned long long)atomic_load(&st->q_tx[i]),
						 (unsigned long long)atomic_load(&st->q_rx[i]));
	}
	vsp_status_set(n->v, relid, "nic", "%u tap=%s mac=%02x:%02x:%02x:%02x:%02x:%02x",
		       n->index, n->spec.tap, d->mac[0], d->mac[1], d->mac[2], d->mac[3],
		       d->mac[4], d->mac[5]);
	vsp_status_set(n->v, relid, "state", "nvsp %u.%u rndis %s filter 0x%x%s",
		       d->s.version >> 16, d->s.version & 0xffff,
		       netvsp_rndis_state_name(d->s.rndis_state), d->s.filter,
		       n->resumed ? " (resumed after a restart)" : "");
	vsp_status_set(n->v, relid, "replayed", "%u", atomic_load(&n->replayed));
	vsp_status_set(n->v, relid, "link", "%s", atomic_load(&d->link_up) ? "up" : "down");
	vsp_status_set(n->v, relid, "queues", "%u open of %u%s", open, d->max_queues, qs);
	vsp_status_set(n->v, relid, "offloads", "tx_csum4=%s tx_csum6=%s lso4=%s lso6=%s rx_csum=%s",
		       off_flags & NETVSP_OFF_TX_CSUM4 ? "on" : "off",
		       off_flags & NETVSP_OFF_TX_CSUM6 ? "on" : "off",
		       off_flags & NETVSP_OFF_LSO4 ? "on" : "off",
		       off_flags & NETVSP_OFF_LSO6 ? "on" : "off",
		       off_flags & NETVSP_OFF_RX_CSUM ? "on" : "off");
	vsp_status_set(n->v, relid, "tx", "packets=%llu bytes=%llu gso=%llu csum=%llu",
		       (unsigned long long)atomic_load(&st->tx_packets),
		       (unsigned long long)atomic_load(&st->tx_bytes),
		       (unsigned long long)atomic_load(&st->tx_gso),
		       (unsigned long long)atomic_load(&st->tx_csum));
	vsp_status_set(n->v, relid, "rx", "packets=%llu bytes=%llu csum=%llu hash=%llu free_sections=%u of %u",
		       (unsigned long long)atomic_load(&st->rx_packets),
		       (unsigned long long)atomic_load(&st->rx_bytes),
		       (unsigned long long)atomic_load(&st->rx_csum),
		       (unsigned long long)atomic_load(&st->rx_hash), netvsp_rx_free(d),
		       d->nsections);
	vsp_status_set(n->v, relid, "drops", "%llu%s", total, drops);
}

/* ---- the tap readers --------------------------------------------------- */

static void *reader_main(void *arg)
{
	struct queue *q = arg;
	struct nic *n = q->nic;
	const struct timespec pause = { .tv_nsec = 200 * 1000 };
	_Alignas(8) static __thread u8 buf[sizeof(struct netvsp_vnet_hdr) + 65536];

	while (!atomic_load(&q->stop)) {
		struct pollfd p = { .fd = q->tap_fd, .events = POLLIN };
		struct netvsp_vnet_hdr h;
		ssize_t r;
		int err = 0, tries;

		if (poll(&p, 1, RX_POLL_MS) <= 0)
			continue;
		r = read(q->tap_fd, buf, sizeof(buf));
		if (r < (ssize_t)sizeof(h))
			continue;
		memcpy(&h, buf, sizeof(h));
		/* no free section: wait for the guest to give some back */
		for (tries = 0; tries < 5000 && !atomic_load(&q->stop); tries++) {
			err = netvsp_rx_frame(&n->dev, q->index, &h, buf + sizeof(h),
					      (u32)(r - (ssize_t)sizeof(h)));
			if (err != -EAGAIN)
				break;
			nanosleep(&pause, NULL);
		}
		if (err == -EAGAIN)
			atomic_fetch_add(&n->dev.st.drops[NETVSP_DROP_RX_NO_BUFFER], 1);
	}
	return NULL;
}

static void reader_start(struct queue *q)
{
	if (q->reader_running || q->tap_fd < 0)
		return;
	atomic_store(&q->stop, false);
	if (pthread_create(&q->reader, NULL, reader_main, q)) {
		vsp_err("tap %s queue %u: no reader thread", q->nic->spec.tap, q->index);
		return;
	}
	q->reader_running = true;
}

static void reader_stop(struct queue *q)
{
	if (!q->reader_running)
		return;
	atomic_store(&q->stop, true);
	pthread_join(q->reader, NULL);
	q->reader_running = false;
}

static void tap_queue_attach(struct queue *q, bool on)
{
	struct ifreq ifr;

	if (q->tap_fd < 0 || q->index == 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = on ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
	if (ioctl(q->tap_fd, TUNSETQUEUE, &ifr) < 0)
		vsp_dbg("tap %s queue %u: %s: %s", q->nic->spec.tap, q->index,
			on ? "attach" : "detach", strerror(errno));
}

/* ---- channels ------------------------------------------------------------ */

static struct queue *queue_of(struct vsp_chan *ch)
{
	struct nic *n = vsp_chan_priv(ch);
	u16 i = vsp_chan_sub_index(ch);

	return i < NETVSP_MAX_QUEUES ? &n->q[i] : NULL;
}

/*
 * A packet taken with token: answered through io_complete, which ends its
 * record; one that wants no answer (or whose answer could not be sent)
 * ends it here.
 */
static void handle(struct nic *n, struct queue *q, struct vsp_chan *ch,
		   const void *pkt, u32 len, u64 token)
{
	q->answered = false;
	netvsp_handle_request(&n->dev, q->index, pkt, len, token);
	if (!q->answered)
		vsp_chan_complete(ch, token);
}

static void on_kick(struct vsp_chan *ch)
{
	struct nic *n = vsp_chan_priv(ch);
	struct queue *q = queue_of(ch);
	_Alignas(8) u8 buf[INFLIGHT_PKT_MAX];
	u64 token;
	u32 len;
	int r;

	if (!q)
		return;
	for (;;) {
		r = vsp_chan_take(ch, buf, sizeof(buf), &len, &token);
		if (r == 1) {
			handle(n, q, ch, buf, len, token);
			continue;
		}
		if (r == -EMSGSIZE && len <= VMBUS_PKT_MAX_LEN) {
			/* larger than any packet of ours: read it to refuse it */
			u64 *big = malloc(len);

			if (!big)
				return;
			if (vsp_chan_recv(ch, big, len, &len) == 1)
				netvsp_handle_packet(&n->dev, q->index, big, len);
			free(big);
			continue;
		}
		return;
	}
}

static void on_replay(struct vsp_chan *ch, const void *pkt, u32 len, u64 token)
{
	struct nic *n = vsp_chan_priv(ch);
	struct queue *q = queue_of(ch);
	_Alignas(8) u8 buf[INFLIGHT_PKT_MAX];

	if (q && len <= sizeof(buf)) {
		memcpy(buf, pkt, len);
		handle(n, q, ch, buf, len, token);
	} else {
		vsp_chan_complete(ch, token);
	}
	/* a restart's proof that the guest's section came back */
	vsp_info("nic %u queue %u: completed an in-flight send of the previous daemon (%u so far)",
		 n->index, q ? q->index : 0, atomic_fetch_add(&n->replayed, 1) + 1);
}

/*
 * The guest's subchannels of an earlier open of the primary: Linux's
 * netvsc keeps them closed and, after reopening the primary, waits for
 * as many *new* subchannel offers as it asks for (indices from 1), so
 * the old ones must go (rescinded) before it asks.
 */
static void withdraw_subchannels(struct nic *n, const char *why)
{
	int r;

	if (n->reclaiming) {
		n->withdraw_later = true;
		return;
	}
	r = vsp_withdraw_subchannels(n->primary);
	if (r < 0)
		vsp_err("nic %u: subchannels not withdrawn: %s", n->index, strerror(-r));
	else if (r)
		vsp_info("nic %u: %d subchannel(s) withdrawn (%s)", n->index, r, why);
}

static int on_open(struct vsp_chan *ch)
{
	struct nic *n = vsp_chan_priv(ch);
	struct queue *q = queue_of(ch);

	if (!q)
		return -EINVAL;
	if (q->index == 0) {
		const struct vsp_channel_open *o = vsp_chan_open_info(ch);
		struct netvsp_saved s;
		bool same_open;

		n->primary = ch;
		n->ring_gpadl = o ? o->ring_gpadl : 0;
		n->resumed = false;
		netvsp_dev_reset(&n->dev);
		/* the guest carries on with what it negotiated before: resume */
		/* the GPADLs came before the open: no waiting for them here */
		n->in_open = true;
		same_open = load_state(n, &s) && s.ring_gpadl == n->ring_gpadl;
		/* a new open (not a restart's takeover): the guest asks for
		 * subchannels afresh; a predecessor may have left some */
		if (!same_open)
			withdraw_subchannels(n, "the guest opened the NIC afresh");
		if (same_open && s.version && !netvsp_dev_resume(&n->dev, &s)) {
			n->resumed = true;
			vsp_info("nic %u: resumed (nvsp %#x, rndis %s, filter %#x, %u queue(s))",
				 n->index, s.version, netvsp_rndis_state_name(s.rndis_state),
				 s.filter, s.nqueues);
		}
		n->in_open = false;
		io_state_changed(n);
		vsp_chan_timer(ch, STATUS_MS);
	}
	q->ch = ch;
	tap_queue_attach(q, true);
	atomic_fetch_add(&n->dev.nqueues_open, 1);
	reader_start(q);
	if (q->index == 0)
		publish(n);
	return 0;
}

static void on_close(struct vsp_chan *ch)
{
	struct nic *n = vsp_chan_priv(ch);
	struct queue *q = queue_of(ch);

	if (!q)
		return;
	reader_stop(q);
	q->ch = NULL;
	tap_queue_attach(q, false);
	atomic_fetch_sub(&n->dev.nqueues_open, 1);
	if (q->index == 0) {
		netvsp_dev_reset(&n->dev);
		io_state_changed(n);
		/* the guest closed it: its subchannels go (as Hyper-V's
		 * do); not when this daemon stops: the next one serves them */
		if (!vsp_stopping(n->v))
			withdraw_subchannels(n, "the guest closed the NIC");
		publish(n);
	}
}

static void on_timer(struct vsp_chan *ch)
{
	struct nic *n = vsp_chan_priv(ch);

	publish(n);
	if (atomic_exchange(&n->dev.link_changed, false))
		netvsp_indicate_link(&n->dev);
	vsp_chan_timer(ch, STATUS_MS);
}

static void on_gpadl_teardown(struct vsp_chan *ch, u32 gpadl)
{
	struct nic *n = vsp_chan_priv(ch);

	/* the readers copy into the receive buffer under buf_lock: wait */
	netvsp_dev_gpadl_teardown(&n->dev, gpadl);
}

static void on_subchannel(struct vsp_chan *primary, struct vsp_chan *sub,
			  u16 index, int err)
{
	struct nic *n = vsp_chan_priv(primary);

	if (err)
		vsp_err("nic %u: subchannel %u refused: %s", n->index, index, strerror(-err));
	else
		vsp_info("nic %u: subchannel %u offered as relid %u", n->index, index,
			 vsp_chan_relid(sub));
}

static const struct vsp_chan_ops ops = {
	.on_open = on_open,
	.on_kick = on_kick,
	.on_replay = on_replay,
	.on_timer = on_timer,
	.on_close = on_close,
	.on_gpadl_teardown = on_gpadl_teardown,
	.on_subchannel = on_subchannel,
};

/* ---- operator commands ("enlctl nic ...") --------------------------------- */

static void on_command(struct vsp *v, u32 req_id, const char *cmd, void *priv)
{
	char w[3][32] = { "", "", "" };
	unsigned long idx = 0;
	struct nic *n;
	int nw;

	(void)priv;
	nw = sscanf(cmd, "%31s %31s %31s", w[0], w[1], w[2]);
	if (nw < 2 || strcmp(w[0], "link") ||
	    (strcmp(w[1], "up") && strcmp(w[1], "down"))) {
		vsp_command_reply(v, req_id, EINVAL, "usage: link up|down [NIC]");
		return;
	}
	if (nw == 3) {
		char *end;

		idx = strtoul(w[2], &end, 10);
		if (*end || idx >= nnics) {
			vsp_command_reply(v, req_id, ENODEV, "no NIC %s (there are %u)",
					  w[2], nnics);
			return;
		}
	}
	n = &nics[idx];
	atomic_store(&n->dev.link_up, !strcmp(w[1], "up"));
	if (netvsp_indicate_link(&n->dev))
		/* not ready yet or no section free: the status timer retries */
		atomic_store(&n->dev.link_changed, true);
	vsp_info("nic %u: link %s", n->index, w[1]);
	vsp_command_reply(v, req_id, 0, "nic %lu (tap %s): link %s", idx, n->spec.tap, w[1]);
}

/* ---- main -------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: enl-netvsp {--vm SOCKET|NAME | --config FILE}\n"
		"                  [--nic tap=NAME[,mac=XX:XX:XX:XX:XX:XX]...] [--wait S] [-v|-q]\n"
		"Serve synthetic network adapters, each on a Linux tap (created if\n"
		"absent, left in place), to the VM whose enl-host listens on SOCKET.\n"
		"  --vm SOCKET   enl-host's VSP socket, or a VM name (its socket is\n"
		"                /run/enlighten/NAME.sock)\n"
		"  --config FILE the VM's file: its socket and, without --nic, its\n"
		"                NICs (none: exit at once)\n"
		"  --nic SPEC    tap=NAME: the tap; mac=: the adapter's address (default:\n"
		"                02:15:5d:.. from the tap's name); repeatable (8 at most)\n"
		"  --wait S      wait up to S seconds (0: for ever) for the socket\n"
		"  -v, --verbose log more\n"
		"  -q, --quiet   log errors only\n"
		"  -h, --help    this text\n");
}

static void bad_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "enl-netvsp: %s%s%s (try --help)\n", msg, arg ? ": " : "",
		arg ? arg : "");
	exit(2);
}

static struct vsp *connect_waiting(const char *sock, long wait_s, int *err)
{
	const struct timespec step = { .tv_nsec = 200 * 1000 * 1000 };
	u64 deadline = vsp_now_ms() + (u64)(wait_s > 0 ? wait_s : 0) * 1000;
	struct vsp *v;

	for (;;) {
		v = vsp_connect(sock, "netvsp", err);
		if (v || wait_s < 0 || (*err != -ENOENT && *err != -ECONNREFUSED))
			return v;
		if (wait_s > 0 && vsp_now_ms() >= deadline)
			return NULL;
		nanosleep(&step, NULL);
	}
}

/* the protocol's way out (ctx: the nic) */
static const struct netvsp_io nic_io = {
	.send = io_send, .complete = io_complete, .gpadl = io_gpadl,
	.gpa_iov = io_gpa_iov, .tx = io_tx,
	.subchannels = io_subchannels, .state_changed = io_state_changed,
};

static int setup_nic(struct nic *n, unsigned int ncpus)
{
	struct netvsp_io io = nic_io;
	int fds[NETVSP_MAX_QUEUES];
	unsigned int nq = ncpus ? ncpus : 1, i;
	char why[512];

	if (nq > NETVSP_MAX_QUEUES)
		nq = NETVSP_MAX_QUEUES;
	io.ctx = n;
	if (!n->spec.mac_set)
		netvsp_default_mac(n->spec.tap, n->index, n->spec.mac);
	netvsp_dev_init(&n->dev, n->spec.mac, nq, &io);
	if (netvsp_tap_open(n->spec.tap, fds, nq, why, sizeof(why))) {
		fprintf(stderr, "enl-netvsp: --nic %s: %s\n", n->spec.tap, why);
		return -1;
	}
	/* the tap outlives us: a restarted daemon finds it configured */
	if (ioctl(fds[0], TUNSETPERSIST, 1) < 0)
		vsp_err("tap %s: cannot make it persistent: %s", n->spec.tap, strerror(errno));
	if (netvsp_tap_set_mtu(n->spec.tap, NETVSP_MTU_MAX) < 0)
		vsp_dbg("tap %s: MTU %u not set", n->spec.tap, NETVSP_MTU_MAX);
	for (i = 0; i < NETVSP_MAX_QUEUES; i++) {
		n->q[i].nic = n;
		n->q[i].index = i;
		n->q[i].tap_fd = i < nq ? fds[i] : -1;
		tap_queue_attach(&n->q[i], false);
	}
	snprintf(n->state_path, sizeof(n->state_path), "%s.netvsp%u.state", sock_path,
		 n->index);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vm", required_argument, NULL, 'm' },
		{ "config", required_argument, NULL, 'C' },
		{ "nic", required_argument, NULL, 'n' },
		{ "wait", required_argument, NULL, 'w' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *vm_arg = NULL, *conf_path = NULL;
	static struct vmconf conf;
	static char sock_buf[4096];
	struct sigaction sa;
	long wait_s = -1;
	unsigned int i;
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
		case 'n': {
			char why[512];

			if (nnics >= NETVSP_MAX_NICS)
				bad_usage("too many --nic options (8 at most)", NULL);
			if (netvsp_spec_parse(optarg, &nics[nnics].spec, why, sizeof(why)))
				bad_usage(why, NULL);
			nics[nnics].index = nnics;
			nnics++;
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
	if (vmconf_daemon_socket("enl-netvsp", vm_arg, conf_path, &conf, sock_buf,
				 sizeof(sock_buf)) < 0)
		return 2;
	sock_path = sock_buf;
	/* the file's NICs, unless --nic replaced them */
	if (!nnics && conf.nnics > NETVSP_MAX_NICS) {
		fprintf(stderr, "enl-netvsp: %s:%u: more than %u NICs\n", conf_path,
			conf.nic[NETVSP_MAX_NICS].line, NETVSP_MAX_NICS);
		return 2;
	}
	for (i = 0; !nnics && i < conf.nnics; i++) {
		char why[512];

		if (netvsp_spec_parse(conf.nic[i].v, &nics[i].spec, why, sizeof(why))) {
			fprintf(stderr, "enl-netvsp: %s:%u: nic: %s\n", conf_path,
				conf.nic[i].line, why);
			return 2;
		}
		nics[i].index = i;
		if (i + 1 == conf.nnics)
			nnics = conf.nnics;
	}
	if (!nnics && conf_path) {
		fprintf(stderr, "enl-netvsp: %s has no nic: nothing to serve\n", conf_path);
		return 0;
	}
	if (!nnics)
		bad_usage("no --nic given", NULL);
	for (i = 0; i < nnics; i++) {
		unsigned int j;

		for (j = 0; j < i; j++)
			if (!strcmp(nics[i].spec.tap, nics[j].spec.tap))
				bad_usage("a tap is named twice", nics[i].spec.tap);
	}

	vsp_set_log_name("enl-netvsp");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	the_vsp = connect_waiting(sock_path, wait_s, &err);
	if (!the_vsp) {
		fprintf(stderr, "enl-netvsp: cannot connect to %s: %s%s\n", sock_path,
			strerror(-err),
			err == -ENOENT || err == -ECONNREFUSED ? " (is enl-host running?)" : "");
		return 1;
	}
	for (i = 0; i < nnics; i++) {
		nics[i].v = the_vsp;
		if (setup_nic(&nics[i], vsp_vm(the_vsp)->ncpus)) {
			vsp_free(the_vsp);
			return 1;
		}
	}
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	vsp_set_command_handler(the_vsp, on_command, NULL);

	for (i = 0; i < nnics; i++) {
		struct nic *n = &nics[i];
		struct vsp_offer_params p;
		u64 deadline = vsp_now_ms() + OFFER_RETRY_MS;
		const struct timespec step = { .tv_nsec = 100 * 1000 * 1000 };

		memset(&p, 0, sizeof(p));
		p.if_type = (enl_guid_t)ENL_GUID_NETWORK;
		p.if_instance = (enl_guid_t)ENL_GUID(0x656e6c00, 0x6e65, 0x7400, 0x80, 0x00,
						     0x00, 0x00, 0x00, 0x00, 0x00,
						     (u8)(i + 1));
		p.flags = VSP_CHAN_WORKER;
		p.inflight_slots = INFLIGHT_SLOTS;
		p.inflight_pkt_max = INFLIGHT_PKT_MAX;
		/* a predecessor killed a moment ago may not be gone yet */
		while ((err = vsp_offer(the_vsp, &p, &ops, n, &n->primary)) == -EEXIST &&
		       vsp_now_ms() < deadline)
			nanosleep(&step, NULL);
		if (err) {
			fprintf(stderr, "enl-netvsp: nic %u offer refused: %s%s\n", i,
				strerror(-err),
				err == -EEXIST ? " (another daemon serves it)" : "");
			vsp_free(the_vsp);
			return 1;
		}
		vsp_info("nic %u: tap %s, mac %02x:%02x:%02x:%02x:%02x:%02x, offered as relid %u, %u queue(s)",
			 i, n->spec.tap, n->dev.mac[0], n->dev.mac[1], n->dev.mac[2],
			 n->dev.mac[3], n->dev.mac[4], n->dev.mac[5],
			 vsp_chan_relid(n->primary), n->dev.max_queues);
		/* a restart: the guest keeps using the subchannels it had */
		if (n->dev.max_queues > 1) {
			n->reclaiming = true;
			err = vsp_reclaim_subchannels(n->primary, n->dev.max_queues - 1, NULL);
			n->reclaiming = false;
			if (err < 0)
				vsp_err("nic %u: subchannels not taken over: %s", i, strerror(-err));
			else if (err)
				vsp_info("nic %u: %d subchannel(s) of a running guest taken over",
					 i, err);
			if (n->withdraw_later) {
				n->withdraw_later = false;
				withdraw_subchannels(n, "the guest opened the NIC afresh");
			}
		}
		publish(n);
	}

	err = vsp_run(the_vsp);
	for (i = 0; i < nnics; i++) {
		unsigned int j;

		for (j = 0; j < NETVSP_MAX_QUEUES; j++)
			reader_stop(&nics[i].q[j]);
	}
	vsp_free(the_vsp);
	for (i = 0; i < nnics; i++) {
		unsigned int j;

		for (j = 0; j < NETVSP_MAX_QUEUES; j++)
			if (nics[i].q[j].tap_fd >= 0)
				close(nics[i].q[j].tap_fd);
		netvsp_dev_destroy(&nics[i].dev);
	}
	if (err) {
		fprintf(stderr, "enl-netvsp: connection to enl-host lost: %s\n", strerror(-err));
		return 1;
	}
	return 0;
}
