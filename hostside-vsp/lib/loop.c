// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvsp: the event loop and the channel workers.
 *
 * One epoll set per connection holds the socket, the wake eventfd
 * (vsp_stop(), channels failed on another thread, subchannel requests) and
 * the kick eventfd of every open channel served on the loop thread; there
 * is no limit on the number of channels.  A VSP_CHAN_WORKER channel has a
 * thread of its own while open, polling its kick fd and its own wake
 * eventfd; the loop starts it after on_open and stops it (and joins it)
 * before on_close, so a channel's callbacks never overlap.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "vsp_internal.h"

/* Messages read from the socket per loop round: a burst of GPADL parts
 * must not starve the kicks, nor the kicks the socket. */
#define VSP_SOCKET_BATCH	32
#define VSP_EPOLL_EVENTS	64

void vsp_wake(struct vsp *v)
{
	u64 one = 1;

	if (write(v->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is non-zero already: the loop wakes anyway */
	}
}

static void drain_eventfd(int fd)
{
	u64 cnt;

	/* A failure means the counter was zero: nothing to drain. */
	if (read(fd, &cnt, sizeof(cnt)) < 0)
		return;
}

int vsp_loop_add_chan(struct vsp_chan *ch)
{
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = ch };

	if (epoll_ctl(ch->v->epfd, EPOLL_CTL_ADD, ch->kick_fd, &e))
		return -errno;
	ch->in_epoll = true;
	return 0;
}

void vsp_loop_del_chan(struct vsp_chan *ch)
{
	if (!ch->in_epoll)
		return;
	epoll_ctl(ch->v->epfd, EPOLL_CTL_DEL, ch->kick_fd, NULL);
	ch->in_epoll = false;
}

/* ms until the timer is due (0: now), or -1 when not armed */
static int timer_wait_ms(struct vsp_chan *ch, u64 now)
{
	u64 due = __atomic_load_n(&ch->timer_due_ms, __ATOMIC_RELAXED);

	if (!due)
		return -1;
	if (due <= now)
		return 0;
	return due - now > 1000000 ? 1000000 : (int)(due - now);
}

/* on_timer if due; the callback may arm it again. */
static void run_timer(struct vsp_chan *ch, u64 now)
{
	u64 due = __atomic_load_n(&ch->timer_due_ms, __ATOMIC_RELAXED);

	if (!due || due > now || !vsp_chan_open_now(ch))
		return;
	__atomic_store_n(&ch->timer_due_ms, 0, __ATOMIC_RELAXED);
	if (ch->ops->on_timer)
		ch->ops->on_timer(ch);
}

static void kick(struct vsp_chan *ch)
{
	/* The kick fd is enl-host's eventfd, non-blocking: a failed read
	 * only means someone drained it already. */
	drain_eventfd(ch->kick_fd);
	if (vsp_chan_open_now(ch) && ch->ops->on_kick)
		ch->ops->on_kick(ch);
}

/* ---- workers ------------------------------------------------------------ */

static void *worker_main(void *arg)
{
	struct vsp_chan *ch = arg;

	vsp_chan_first_kick(ch);
	while (!__atomic_load_n(&ch->worker_stop, __ATOMIC_ACQUIRE) &&
	       vsp_chan_open_now(ch)) {
		struct pollfd p[2] = {
			{ .fd = ch->kick_fd, .events = POLLIN },
			{ .fd = ch->worker_fd, .events = POLLIN },
		};
		int r = poll(p, 2, timer_wait_ms(ch, vsp_now_ms()));

		if (r < 0 && errno != EINTR) {
			vsp_chan_fail(ch, "worker cannot poll");
			break;
		}
		if (r > 0 && (p[1].revents & POLLIN))
			drain_eventfd(ch->worker_fd);
		if (__atomic_load_n(&ch->worker_stop, __ATOMIC_ACQUIRE))
			break;
		if (r > 0 && (p[0].revents & POLLIN))
			kick(ch);
		run_timer(ch, vsp_now_ms());
	}
	return NULL;
}

int vsp_worker_start(struct vsp_chan *ch)
{
	int err;

	if (ch->worker_running)
		return 0;
	__atomic_store_n(&ch->worker_stop, 0, __ATOMIC_RELEASE);
	drain_eventfd(ch->worker_fd);
	err = pthread_create(&ch->worker, NULL, worker_main, ch);
	if (err)
		return -err;
	ch->worker_running = true;
	return 0;
}

void vsp_worker_stop(struct vsp_chan *ch)
{
	u64 one = 1;

	if (!ch->worker_running)
		return;
	__atomic_store_n(&ch->worker_stop, 1, __ATOMIC_RELEASE);
	if (write(ch->worker_fd, &one, sizeof(one)) < 0) {
		/* counter non-zero already: the worker wakes anyway */
	}
	pthread_join(ch->worker, NULL);
	ch->worker_running = false;
}

/* ---- the loop ------------------------------------------------------------ */

u64 vsp_now_ms(void)
{
	return vspc_now_ms();
}

static bool loop_chan(const struct vsp_chan *ch)
{
	return !(ch->params.flags & VSP_CHAN_WORKER);
}

static int poll_once(struct vsp *v, int timeout_ms);

int vsp_poll_once(struct vsp *v, int timeout_ms)
{
	int r;

	/* Withdrawn channels go only here, outside any round: a round's
	 * events and walks hold channel pointers (a callback may poll). */
	if (!v->poll_depth)
		vsp_chan_sweep(v);
	v->poll_depth++;
	r = poll_once(v, timeout_ms);
	v->poll_depth--;
	return r;
}

static int poll_once(struct vsp *v, int timeout_ms)
{
	struct epoll_event ev[VSP_EPOLL_EVENTS];
	bool sock_ready = false;
	u64 now = vsp_now_ms();
	int n, r;

	if (v->hung_up)
		return 1;
	vsp_offer_pending_subchannels(v);
	for (struct vsp_chan *ch = v->chans; ch; ch = ch->next) {
		int t;

		if (!loop_chan(ch) || (t = timer_wait_ms(ch, now)) < 0)
			continue;
		if (timeout_ms < 0 || t < timeout_ms)
			timeout_ms = t;
	}
	n = epoll_wait(v->epfd, ev, VSP_EPOLL_EVENTS, timeout_ms);
	if (n < 0 && errno != EINTR)
		return -errno;

	/*
	 * The socket first: what enl-host said (a close, a teardown, or that
	 * it is gone) must be known before a kick makes us touch a ring.  A
	 * daemon that was stopped (SIGSTOP) and cut off wakes up with both a
	 * hang-up and stale kicks in one batch; handling the kicks first
	 * wrote into rings the guest had already torn down and signalled a
	 * channel it was opening again (stock 6.12 hv_utils crashed on it).
	 */
	for (int i = 0; i < n; i++) {
		if (ev[i].data.ptr == &v->fd)
			sock_ready = true;
		else if (ev[i].data.ptr == &v->wake_fd)
			drain_eventfd(v->wake_fd);
	}
	if (sock_ready) {
		r = vsp_read_socket(v, VSP_SOCKET_BATCH);
		vsp_chan_reap(v);
		if (r)
			return r;
	}
	for (int i = 0; i < n; i++) {
		void *tag = ev[i].data.ptr;

		if (tag != &v->fd && tag != &v->wake_fd) {
			struct vsp_chan *ch = tag;

			/* Channels are freed only by vsp_free(), a failed
			 * offer (never registered) or between rounds (a
			 * withdrawn one): the pointer is good, but
			 * an earlier event of this batch may have closed the
			 * channel. */
			if (ch->in_epoll)
				kick(ch);
		}
	}
	vsp_chan_reap(v);

	now = vsp_now_ms();
	for (struct vsp_chan *ch = v->chans; ch; ch = ch->next)
		if (loop_chan(ch))
			run_timer(ch, now);
	vsp_chan_reap(v);
	vsp_offer_pending_subchannels(v);
	return __atomic_load_n(&v->stopping, __ATOMIC_ACQUIRE) ? 1 : 0;
}

int vsp_run(struct vsp *v)
{
	int r;

	do
		r = vsp_poll_once(v, -1);
	while (r == 0 && !__atomic_load_n(&v->stopping, __ATOMIC_ACQUIRE));
	for (struct vsp_chan *ch = v->chans; ch; ch = ch->next)
		vsp_chan_shutdown(ch);
	vsp_chan_reap(v);
	return r < 0 ? r : 0;
}

bool vsp_stopping(const struct vsp *v)
{
	return __atomic_load_n(&v->stopping, __ATOMIC_ACQUIRE) || v->hung_up;
}

void vsp_stop(struct vsp *v)
{
	__atomic_store_n(&v->stopping, 1, __ATOMIC_RELEASE);
	vsp_wake(v);
}
