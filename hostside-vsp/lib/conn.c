// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvsp: the daemon's side of the connection to enl-host.  HELLO /
 * WELCOME, OFFER (channels and subchannels), INFLIGHT_GET, STATUS_SET, and
 * the dispatcher of enl-host's messages.  Every message is length-checked
 * before use; a malformed message is logged and dropped (its fds closed),
 * never trusted.  The loop that calls the dispatcher is loop.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vsp_internal.h"

#define VSP_CONNECT_TIMEOUT_MS	10000

/* ---- connect ----------------------------------------------------------- */

struct vsp *vsp_connect(const char *path, const char *name, int *err)
{
	int fd = vspc_unix_connect(path);

	if (fd < 0) {
		*err = fd;
		return NULL;
	}
	return vsp_connect_fd(fd, name, err);
}

struct vsp *vsp_connect_fd(int fd, const char *name, int *errp)
{
	struct vsp *v = calloc(1, sizeof(*v));
	struct vsp_welcome w;
	struct stat st;
	int fds[VSP_MAX_FDS], nfds, n, err;

	if (!v || !(v->msgbuf = malloc(VSP_MSG_MAX))) {
		free(v);
		close(fd);
		*errp = -ENOMEM;
		return NULL;
	}
	v->fd = fd;
	v->ram.fd = -1;
	v->wake_fd = v->epfd = -1;
	pthread_mutex_init(&v->lock, NULL);
	v->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	v->epfd = epoll_create1(EPOLL_CLOEXEC);
	snprintf(v->name, sizeof(v->name), "%s", name ? name : "vsp");
	if (v->wake_fd < 0 || v->epfd < 0) {
		err = -errno;
		goto fail;
	}
	{
		/* data.ptr: a channel, or one of these two tags */
		struct epoll_event es = { .events = EPOLLIN, .data.ptr = &v->fd };
		struct epoll_event ew = { .events = EPOLLIN, .data.ptr = &v->wake_fd };

		if (epoll_ctl(v->epfd, EPOLL_CTL_ADD, fd, &es) ||
		    epoll_ctl(v->epfd, EPOLL_CTL_ADD, v->wake_fd, &ew)) {
			err = -errno;
			goto fail;
		}
	}
	err = vspc_send_hello(fd, VSP_ROLE_DAEMON, v->name);
	if (err)
		goto fail;
	err = vsp_wait_readable(fd, VSP_CONNECT_TIMEOUT_MS);
	if (err)
		goto fail;
	n = vsp_recv_msg(fd, v->msgbuf, VSP_MSG_MAX, fds, &nfds);
	if (n <= 0) {
		err = n == 0 ? -ECONNRESET : n == -EBADMSG ? -EPROTO : n;
		goto fail;
	}
	memcpy(&w.hdr, v->msgbuf, sizeof(w.hdr));
	if (w.hdr.type != VSP_WELCOME || n != sizeof(w) || nfds != 1) {
		vsp_err("enl-host did not answer HELLO with WELCOME (type %u, %d bytes, %d fds)",
			w.hdr.type, n, nfds);
		vspc_close_fds(fds, nfds);
		err = -EPROTO;
		goto fail;
	}
	memcpy(&w, v->msgbuf, sizeof(w));
	if (w.version != VSP_PROTO_VERSION) {
		vsp_err("enl-host speaks VSP protocol %u, we speak %u",
			w.version, VSP_PROTO_VERSION);
		vspc_close_fds(fds, nfds);
		err = -EPROTO;
		goto fail;
	}
	if (fstat(fds[0], &st) < 0 ||
	    vsp_ram_setup(&v->ram, fds[0], (u64)st.st_size, w.ram_size,
			  w.lowmem_size, w.highmem_gpa)) {
		vsp_err("WELCOME: bad guest RAM layout (ram %#llx low %#llx high at %#llx)",
			(unsigned long long)w.ram_size,
			(unsigned long long)w.lowmem_size,
			(unsigned long long)w.highmem_gpa);
		vspc_close_fds(fds, nfds);
		err = -EPROTO;
		goto fail;
	}
	v->ram.base = mmap(NULL, v->ram.l.size, PROT_READ | PROT_WRITE,
			   MAP_SHARED, v->ram.fd, 0);
	if (v->ram.base == MAP_FAILED) {
		v->ram.base = NULL;
		err = -errno;
		goto fail;
	}
	v->vm.version = w.version;
	v->vm.ncpus = w.ncpus;
	v->vm.ram_size = w.ram_size;
	v->vm.lowmem_size = w.lowmem_size;
	v->vm.highmem_gpa = w.highmem_gpa;
	vsp_dbg("connected: %u vCPUs, %llu MiB RAM", w.ncpus,
		(unsigned long long)(w.ram_size >> 20));
	return v;
fail:
	*errp = err;
	vsp_free(v);
	return NULL;
}

void vsp_free(struct vsp *v)
{
	if (!v)
		return;
	while (v->chans) {
		struct vsp_chan *ch = v->chans;

		v->chans = ch->next;
		vsp_chan_free(ch);
	}
	while (v->gpadls)
		vsp_gpadl_drop(&v->gpadls, v->gpadls);
	vsp_ram_unmap(&v->ram);
	if (v->ram.fd >= 0)
		close(v->ram.fd);
	if (v->wake_fd >= 0)
		close(v->wake_fd);
	if (v->epfd >= 0)
		close(v->epfd);
	if (v->fd >= 0)
		close(v->fd);
	pthread_mutex_destroy(&v->lock);
	free(v->msgbuf);
	free(v);
}

const struct vsp_vm_info *vsp_vm(const struct vsp *v)
{
	return &v->vm;
}

void *vsp_gpa(struct vsp *v, u64 gpa, u64 len)
{
	u64 off;

	if (!v->ram.base || vsp_ram_offset(&v->ram, gpa, len, &off))
		return NULL;
	return v->ram.base + off;
}

int vsp_gpa_range_iov(struct vsp *v, const struct enl_pkt_gpa_range *r,
		      struct iovec *iov, unsigned int max)
{
	u32 left = r->byte_count, in_page = r->byte_offset, i;
	unsigned int n = 0;

	if (r->byte_offset >= VMBUS_PKT_PAGE_SIZE)
		return -ERANGE;
	for (i = 0; i < r->pfn_count && left; i++) {
		u32 chunk = VMBUS_PKT_PAGE_SIZE - in_page;
		u8 *p;

		if (chunk > left)
			chunk = left;
		if (r->pfn[i] > (UINT64_MAX >> VSP_PAGE_SHIFT))
			return -ERANGE;
		p = vsp_gpa(v, (r->pfn[i] << VSP_PAGE_SHIFT) + in_page, chunk);
		if (!p)
			return -ERANGE;
		if (n && (u8 *)iov[n - 1].iov_base + iov[n - 1].iov_len == p) {
			iov[n - 1].iov_len += chunk;
		} else {
			if (n == max)
				return -E2BIG;
			iov[n].iov_base = p;
			iov[n].iov_len = chunk;
			n++;
		}
		left -= chunk;
		in_page = 0;
	}
	/* enl_pkt_parse() sized pfn_count to byte_count; a caller's own
	 * range might not have been */
	return left ? -ERANGE : (int)n;
}

/* ---- messages from enl-host ------------------------------------------------ */

static struct vsp_chan *chan_by_cookie(struct vsp *v, u32 cookie)
{
	for (struct vsp_chan *ch = v->chans; ch; ch = ch->next)
		if (ch->cookie == cookie)
			return ch;
	return NULL;
}

struct vsp_chan *vsp_chan_by_relid(struct vsp *v, u32 relid)
{
	for (struct vsp_chan *ch = v->chans; ch; ch = ch->next)
		if (ch->relid == relid && !ch->withdrawn &&
		    vsp_chan_state(ch) != VSP_CS_OFFERING &&
		    vsp_chan_state(ch) != VSP_CS_OFFER_FAILED)
			return ch;
	return NULL;
}

void vsp_send_open_reply(struct vsp *v, u32 relid, u32 status)
{
	struct vsp_open_reply r = {
		.hdr = { VSP_OPEN_REPLY, sizeof(r) }, .relid = relid,
		.status = status,
	};
	int err = vsp_send_msg(v, &r, sizeof(r));

	if (err)
		vsp_err("relid %u: OPEN_REPLY not sent: %s", relid, strerror(-err));
}

static void unlink_chan(struct vsp *v, struct vsp_chan *ch)
{
	for (struct vsp_chan **pp = &v->chans; *pp; pp = &(*pp)->next) {
		if (*pp == ch) {
			*pp = ch->next;
			return;
		}
	}
}

static void ask_inflight(struct vsp *v, struct vsp_chan *ch)
{
	struct vsp_inflight_msg m = {
		.hdr = { VSP_INFLIGHT_GET, sizeof(m) }, .relid = ch->relid,
		.size = vsp_inflight_size(&ch->params),
	};
	int err = vsp_send_msg(v, &m, sizeof(m));

	/* Asked or not, a CHANNEL_OPEN must not wait for an answer that
	 * will never come. */
	ch->inflight_asked = !err;
	ch->inflight_answered = !!err;
	if (err)
		vsp_err("relid %u: INFLIGHT_GET not sent: %s", ch->relid,
			strerror(-err));
}

static int withdraw(struct vsp *v, struct vsp_chan *ch);

static void on_offer_result(struct vsp *v, const u8 *buf, u32 len,
			    int *fds, int nfds)
{
	struct vsp_offer_result m;
	struct vsp_chan *ch, *other;

	memcpy(&m, buf, sizeof(m));
	ch = chan_by_cookie(v, m.cookie);
	if (!ch || vsp_chan_state(ch) != VSP_CS_OFFERING) {
		vsp_err("OFFER_RESULT for unknown cookie %u", m.cookie);
		return;
	}
	ch->offer_status = m.status;
	/* vsp_offer() returns before the messages after it are handled:
	 * its caller has no channel pointer yet. */
	v->offer_answered = !ch->offer_async;
	other = m.status ? NULL : vsp_chan_by_relid(v, m.relid);
	if (!m.status && (m.relid == 0 || m.relid > VMBUS_MAX_RELID ||
			  (other && other != ch))) {
		vsp_err("OFFER_RESULT: bad relid %u", m.relid);
		ch->offer_status = EPROTO;
	}
	pthread_mutex_lock(&ch->lock);
	if (ch->offer_status) {
		vsp_chan_set_state(ch, VSP_CS_OFFER_FAILED);
	} else {
		ch->relid = m.relid;
		ch->connection_id = m.connection_id;
		vsp_chan_set_state(ch, VSP_CS_CLOSED);
	}
	pthread_mutex_unlock(&ch->lock);
	if (ch->withdraw_pending) {
		/* given up while it was being offered; the primary's new
		 * subchannels waited for this (same instance and index) */
		ch->withdraw_pending = false;
		if (ch->offer_status) {
			unlink_chan(v, ch);
			vsp_chan_free(ch);
		} else {
			withdraw(v, ch);
		}
		pthread_mutex_lock(&v->lock);
		v->subs_pending = true;
		pthread_mutex_unlock(&v->lock);
		return;
	}
	if (!ch->offer_status && ch->params.inflight_slots)
		ask_inflight(v, ch);
	if (ch->offer_async) {
		struct vsp_chan *p = ch->primary;
		u16 idx = ch->params.sub_channel_index;
		int err = -(int)ch->offer_status;

		if (err) {
			vsp_err("subchannel %u of relid %u refused: %s", idx,
				p->relid, strerror(-err));
			unlink_chan(v, ch);
			vsp_chan_free(ch);
			ch = NULL;
		} else {
			vsp_dbg("subchannel %u of relid %u is relid %u", idx,
				p->relid, ch->relid);
		}
		if (p->ops->on_subchannel)
			p->ops->on_subchannel(p, ch, idx, err);
	}
}

static void on_gpadl(struct vsp *v, const u8 *buf, u32 len, int *fds,
		     int nfds)
{
	struct vsp_gpadl m;
	int r;

	memcpy(&m, buf, sizeof(m));
	if ((len - sizeof(m)) / 8 != m.count || (len - sizeof(m)) % 8) {
		vsp_err("GPADL %u: %u bytes for %u pages", m.gpadl, len, m.count);
		return;
	}
	if (!vsp_chan_by_relid(v, m.relid)) {
		vsp_err("GPADL %u for relid %u, not ours", m.gpadl, m.relid);
		return;
	}
	/* buf is malloc'ed and the header 40 bytes: the pfns are aligned */
	pthread_mutex_lock(&v->lock);
	r = vsp_gpadl_part(&v->gpadls, &m, (const u64 *)(buf + sizeof(m)),
			   v->ram.l.size / VSP_PAGE_SIZE);
	pthread_mutex_unlock(&v->lock);
	if (r < 0)
		vsp_err("GPADL %u of relid %u: inconsistent part (first %u count %u total %u), dropped",
			m.gpadl, m.relid, m.first, m.count, m.total_pages);
	else if (r == 1)
		vsp_dbg("GPADL %u of relid %u: %u pages", m.gpadl, m.relid,
			m.total_pages);
}

static void send_relid_msg(struct vsp *v, u32 type, u32 relid)
{
	struct vsp_relid r = { .hdr = { type, sizeof(r) }, .relid = relid };

	vsp_send_msg(v, &r, sizeof(r));
}

static void on_channel_open(struct vsp *v, const u8 *buf, u32 len,
			    int *fds, int nfds)
{
	struct vsp_channel_open m;

	memcpy(&m, buf, sizeof(m));
	vsp_chan_handle_open(v, &m, fds[0], fds[1]);
	fds[0] = fds[1] = -1;
}

static void on_channel_close(struct vsp *v, const u8 *buf, u32 len,
			     int *fds, int nfds)
{
	struct vsp_relid m;
	struct vsp_chan *ch;

	memcpy(&m, buf, sizeof(m));
	ch = vsp_chan_by_relid(v, m.relid);
	if (ch)
		vsp_chan_shutdown(ch);
	/* Always answer: enl-host waits for it. */
	send_relid_msg(v, VSP_CLOSE_DONE, m.relid);
}

static void on_rescinded(struct vsp *v, const u8 *buf, u32 len, int *fds,
			 int nfds)
{
	struct vsp_relid m;
	struct vsp_chan *ch;

	memcpy(&m, buf, sizeof(m));
	ch = vsp_chan_by_relid(v, m.relid);
	if (!ch)
		return;
	vsp_chan_shutdown(ch);
	ch->rescinded = true;
	if (ch->ops->on_rescind)
		ch->ops->on_rescind(ch);
}

static void on_withdraw_result(struct vsp *v, const u8 *buf, u32 len,
			       int *fds, int nfds)
{
	struct vsp_withdraw_result m;

	memcpy(&m, buf, sizeof(m));
	if (m.status)
		vsp_err("relid %u: enl-host refused its withdrawal: %s", m.relid,
			strerror((int)m.status));
	else
		vsp_dbg("relid %u withdrawn", m.relid);
}

static void on_gpadl_teardown(struct vsp *v, const u8 *buf, u32 len,
			      int *fds, int nfds)
{
	struct vsp_gpadl_ref m;
	struct vsp_gpadl_map *g;
	struct vsp_chan *ch;

	memcpy(&m, buf, sizeof(m));
	g = vsp_gpadl_find(v->gpadls, m.relid, m.gpadl);
	ch = vsp_chan_by_relid(v, m.relid);
	if (g) {
		bool paused = false;

		if (ch && ch->ring_gpadl == g) {
			/* Torn down under an open channel: stop using it. */
			vsp_err("relid %u: ring GPADL %u torn down while open",
				m.relid, m.gpadl);
			vsp_chan_shutdown(ch);
		} else if (ch && ch->worker_running) {
			/* The worker may be using this GPADL: stop it
			 * around the teardown. */
			vsp_worker_stop(ch);
			paused = true;
		}
		if (ch && ch->ops->on_gpadl_teardown)
			ch->ops->on_gpadl_teardown(ch, m.gpadl);
		pthread_mutex_lock(&v->lock);
		vsp_gpadl_drop(&v->gpadls, g);
		pthread_mutex_unlock(&v->lock);
		if (paused && vsp_chan_open_now(ch) && vsp_worker_start(ch))
			vsp_chan_fail(ch, "worker could not be restarted");
	}
	/* Always answer: enl-host waits for it. */
	m.hdr.type = VSP_GPADL_RELEASED;
	vsp_send_msg(v, &m, sizeof(m));
}

static void on_target(struct vsp *v, const u8 *buf, u32 len, int *fds,
		      int nfds)
{
	struct vsp_channel_target m;
	struct vsp_chan *ch;

	memcpy(&m, buf, sizeof(m));
	ch = vsp_chan_by_relid(v, m.relid);
	if (!ch || !vsp_chan_open_now(ch)) {
		vsp_err("CHANNEL_TARGET for relid %u ignored", m.relid);
		return;
	}
	/* As in CHANNEL_OPEN: the bitmap lies in the page at sief_gpa, and
	 * an address near 2^64 would make the bit's address wrap. */
	if (m.sief_gpa & (VSP_PAGE_SIZE - 1)) {
		vsp_err("relid %u: CHANNEL_TARGET SIEF page %#llx not page aligned, ignored",
			m.relid, (unsigned long long)m.sief_gpa);
		return;
	}
	pthread_mutex_lock(&ch->lock);
	if (ch->call_fd >= 0)
		close(ch->call_fd);
	ch->call_fd = fds[0];
	fds[0] = -1;
	ch->sief_gpa = m.sief_gpa;
	ch->warned_sief = false;
	pthread_mutex_unlock(&ch->lock);
}

static void on_inflight(struct vsp *v, const u8 *buf, u32 len, int *fds,
			int nfds)
{
	struct vsp_inflight_msg m;
	struct vsp_chan *ch;
	int err;

	memcpy(&m, buf, sizeof(m));
	ch = vsp_chan_by_relid(v, m.relid);
	if (!ch || !ch->inflight_asked || ch->inflight_answered) {
		vsp_err("INFLIGHT for relid %u not asked for, dropped", m.relid);
		return;
	}
	ch->inflight_answered = true;
	if (m.status || nfds != 1) {
		vsp_err("relid %u: no in-flight region (status %u, %d fds): requests will not survive a restart",
			m.relid, m.status, nfds);
	} else {
		err = vsp_inflight_map(ch, fds[0], m.size);
		fds[0] = -1;
		if (err)
			vsp_err("relid %u: in-flight region unusable (%s): requests will not survive a restart",
				m.relid, strerror(-err));
	}
	vsp_chan_run_deferred_open(ch);
}

/* A relayed enlctl command: to the daemon's handler, or ENOSYS. */
static void on_daemon_cmd(struct vsp *v, const u8 *buf, u32 len, int *fds,
			  int nfds)
{
	const struct vsp_daemon_cmd *m = (const void *)buf;
	u32 req_id = m->req_id;

	if (strnlen(m->cmd, sizeof(m->cmd)) == sizeof(m->cmd)) {
		vsp_command_reply(v, req_id, EINVAL, "command not NUL-terminated");
		return;
	}
	if (!v->cmd_fn) {
		vsp_command_reply(v, req_id, ENOSYS,
				  "daemon %s takes no commands", v->name);
		return;
	}
	/* buf is the connection's receive buffer: the handler may send,
	 * never receive, so it stays valid for the call. */
	v->cmd_fn(v, req_id, m->cmd, v->cmd_priv);
}

void vsp_set_command_handler(struct vsp *v, vsp_command_fn fn, void *priv)
{
	v->cmd_fn = fn;
	v->cmd_priv = priv;
}

int vsp_command_reply(struct vsp *v, u32 req_id, u32 status,
		      const char *fmt, ...)
{
	struct vsp_daemon_reply *r = malloc(VSP_MSG_MAX);
	size_t room = VSP_MSG_MAX - sizeof(*r);
	va_list ap;
	int n, err;

	if (!r)
		return -ENOMEM;
	memset(r, 0, sizeof(*r));
	va_start(ap, fmt);
	n = vsnprintf(r->text, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= room)
		n = (int)room - 1;	/* cut: vsnprintf ended it with NUL */
	r->hdr.type = VSP_DAEMON_REPLY;
	r->hdr.len = (u32)(sizeof(*r) + (size_t)n + 1);
	r->req_id = req_id;
	r->status = status;
	err = vsp_send_msg(v, r, r->hdr.len);
	free(r);
	if (err)
		vsp_err("reply to command %u not sent: %s", req_id,
			strerror(-err));
	return err;
}

/*
 * One row per message enl-host may send: its size (exact, or the
 * minimum when var), the fds it carries, and its handler.  Everything
 * else is dropped here, fds closed.
 */
struct msg_kind {
	u32 type;
	u32 size;
	bool var;
	int nfds;		/* -1: INFLIGHT, 1 with status 0 else 0 */
	void (*handle)(struct vsp *v, const u8 *buf, u32 len, int *fds,
		       int nfds);
};

static const struct msg_kind msg_kinds[] = {
	{ VSP_OFFER_RESULT, sizeof(struct vsp_offer_result), false, 0, on_offer_result },
	{ VSP_GPADL, sizeof(struct vsp_gpadl), true, 0, on_gpadl },
	{ VSP_CHANNEL_OPEN, sizeof(struct vsp_channel_open), false, 2, on_channel_open },
	{ VSP_CHANNEL_CLOSE, sizeof(struct vsp_relid), false, 0, on_channel_close },
	{ VSP_GPADL_TEARDOWN, sizeof(struct vsp_gpadl_ref), false, 0, on_gpadl_teardown },
	{ VSP_CHANNEL_TARGET, sizeof(struct vsp_channel_target), false, 1, on_target },
	{ VSP_CHANNEL_RESCINDED, sizeof(struct vsp_relid), false, 0, on_rescinded },
	{ VSP_INFLIGHT, sizeof(struct vsp_inflight_msg), false, -1, on_inflight },
	{ VSP_DAEMON_CMD, sizeof(struct vsp_daemon_cmd), false, 0, on_daemon_cmd },
	{ VSP_WITHDRAW_RESULT, sizeof(struct vsp_withdraw_result), false, 0, on_withdraw_result },
};

static void dispatch(struct vsp *v, const u8 *buf, u32 len, int *fds, int nfds)
{
	const struct msg_kind *k = NULL;
	struct vsp_hdr h;
	int want;

	memcpy(&h, buf, sizeof(h));
	for (size_t i = 0; i < sizeof(msg_kinds) / sizeof(msg_kinds[0]); i++)
		if (msg_kinds[i].type == h.type)
			k = &msg_kinds[i];
	if (!k) {
		vsp_err("unexpected message type %u (%u bytes) from enl-host",
			h.type, len);
		goto out;
	}
	if (k->var ? len < k->size : len != k->size) {
		vsp_err("message type %u: bad length %u", h.type, len);
		goto out;
	}
	want = k->nfds;
	if (want < 0) {
		u32 status;

		memcpy(&status, buf + offsetof(struct vsp_inflight_msg, status),
		       sizeof(status));
		want = status ? 0 : 1;
	}
	if (nfds != want) {
		vsp_err("message type %u: %d fds, want %d", h.type, nfds, want);
		if (h.type == VSP_CHANNEL_OPEN) {
			/* enl-host waits for an answer to every open */
			struct vsp_channel_open m;

			memcpy(&m, buf, sizeof(m));
			vsp_send_open_reply(v, m.relid, EPROTO);
		}
		goto out;
	}
	k->handle(v, buf, len, fds, nfds);
out:
	vspc_close_fds(fds, nfds);
}

int vsp_read_socket(struct vsp *v, int max)
{
	for (int i = 0; i < max && !v->hung_up; i++) {
		int fds[VSP_MAX_FDS], nfds;
		int n = vsp_recv_msg_flags(v->fd, v->msgbuf, VSP_MSG_MAX, fds,
					   &nfds, MSG_DONTWAIT);

		if (n == -EBADMSG) {
			vsp_err("malformed message from enl-host dropped");
			continue;
		}
		if (n == -EAGAIN)
			return 0;
		/* ECONNRESET: enl-host closed its end with messages of ours
		 * still unread there -- it went away all the same. */
		if (n == 0 || n == -ECONNRESET) {
			v->hung_up = true;
			return 1;
		}
		if (n < 0)
			return n;
		dispatch(v, v->msgbuf, (u32)n, fds, nfds);
		vsp_chan_reap(v);
		if (v->offer_answered) {
			v->offer_answered = false;
			break;
		}
	}
	return v->hung_up ? 1 : 0;
}

/* ---- requests to enl-host --------------------------------------------------- */

static int send_offer(struct vsp *v, const struct vsp_chan *ch)
{
	const struct vsp_offer_params *p = &ch->params;
	struct vsp_offer m;

	memset(&m, 0, sizeof(m));
	m.hdr.type = VSP_OFFER;
	m.hdr.len = sizeof(m);
	m.cookie = ch->cookie;
	m.chn_flags = p->chn_flags;
	m.mmio_megabytes = p->mmio_megabytes;
	m.if_type = p->if_type;
	m.if_instance = p->if_instance;
	m.sub_channel_index = p->sub_channel_index;
	m.flags = ch->offer_existing ? VSP_OFFER_EXISTING : 0;
	memcpy(m.user_defined, p->user_defined, sizeof(m.user_defined));
	return vsp_send_msg(v, &m, sizeof(m));
}

int vsp_offer(struct vsp *v, const struct vsp_offer_params *p,
	      const struct vsp_chan_ops *ops, void *priv, struct vsp_chan **out)
{
	struct vsp_chan *ch;
	int err;

	if (vsp_inflight_check_params(p) || (p->flags & ~VSP_CHAN_WORKER))
		return -EINVAL;
	ch = vsp_chan_new(v, p, ops, priv);
	if (!ch)
		return -ENOMEM;
	ch->next = v->chans;
	v->chans = ch;

	err = send_offer(v, ch);
	while (!err && vsp_chan_state(ch) == VSP_CS_OFFERING) {
		err = vsp_poll_once(v, 1000);
		if (err > 0)
			err = v->hung_up ? -ECONNRESET : -EINTR;
	}
	if (!err && ch->offer_status)
		err = -(int)ch->offer_status;
	if (err) {
		/* The offer does not exist. */
		unlink_chan(v, ch);
		vsp_chan_free(ch);
		return err;
	}
	*out = ch;
	return 0;
}

/* Subchannel indices are u16 on the wire; relids stop at 2047 anyway. */
#define VSP_MAX_SUBCHANNELS	VMBUS_MAX_RELID

int vsp_offer_subchannels(struct vsp_chan *primary, unsigned int n,
			  const struct vsp_chan_ops *ops)
{
	struct vsp *v = primary->v;
	int err = 0;

	if (primary->primary != primary || n == 0 || n > VSP_MAX_SUBCHANNELS)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	if (primary->sub_asked + n > VSP_MAX_SUBCHANNELS) {
		err = -EINVAL;
	} else {
		primary->sub_asked = (u16)(primary->sub_asked + n);
		if (ops)
			primary->sub_ops = ops;
		v->subs_pending = true;
	}
	pthread_mutex_unlock(&v->lock);
	if (!err)
		vsp_wake(v);
	return err;
}

int vsp_reclaim_subchannels(struct vsp_chan *primary, unsigned int max,
			    const struct vsp_chan_ops *ops)
{
	struct vsp *v = primary->v;
	unsigned int found = 0;
	int err = 0;

	if (primary->primary != primary || primary->sub_asked ||
	    max > VSP_MAX_SUBCHANNELS)
		return -EINVAL;
	while (found < max) {
		struct vsp_offer_params sp = primary->params;
		struct vsp_chan *ch;
		u16 idx = (u16)(found + 1);

		sp.sub_channel_index = idx;
		ch = vsp_chan_new(v, &sp, ops ? ops : primary->ops, primary->priv);
		if (!ch) {
			err = -ENOMEM;
			break;
		}
		ch->primary = primary;
		ch->offer_existing = true;
		ch->next = v->chans;
		v->chans = ch;
		err = send_offer(v, ch);
		while (!err && vsp_chan_state(ch) == VSP_CS_OFFERING) {
			err = vsp_poll_once(v, 1000);
			if (err > 0)
				err = v->hung_up ? -ECONNRESET : -EINTR;
		}
		if (!err && ch->offer_status)
			err = -(int)ch->offer_status;
		if (err) {
			unlink_chan(v, ch);
			vsp_chan_free(ch);
			break;
		}
		found++;
		vsp_info("subchannel %u of relid %u taken over as relid %u", idx,
			 primary->relid, ch->relid);
		if (primary->ops->on_subchannel)
			primary->ops->on_subchannel(primary, ch, idx, 0);
	}
	pthread_mutex_lock(&v->lock);
	primary->sub_asked = (u16)found;
	primary->sub_offered = (u16)found;
	if (ops)
		primary->sub_ops = ops;
	pthread_mutex_unlock(&v->lock);
	/* ENOENT: the first index enl-host does not have, the walk's end */
	return err && err != -ENOENT ? err : (int)found;
}

/* The highest index among primary's subchannels still wanted. */
static u16 sub_highest(struct vsp *v, const struct vsp_chan *primary)
{
	u16 hi = 0;

	for (struct vsp_chan *ch = v->chans; ch; ch = ch->next)
		if (ch->primary == primary && ch != primary && !ch->withdrawn &&
		    !ch->withdraw_pending &&
		    vsp_chan_state(ch) != VSP_CS_OFFER_FAILED &&
		    ch->params.sub_channel_index > hi)
			hi = ch->params.sub_channel_index;
	return hi;
}

/* Mark ch withdrawn and tell enl-host; the object goes at the sweep. */
static int withdraw(struct vsp *v, struct vsp_chan *ch)
{
	struct vsp_relid m = { .hdr = { VSP_WITHDRAW, sizeof(m) },
			       .relid = ch->relid };
	struct vsp_gpadl_map **pp;

	if (vsp_chan_state(ch) == VSP_CS_OFFERING) {
		ch->withdraw_pending = true;	/* finished at OFFER_RESULT */
		return 0;
	}
	vsp_chan_shutdown(ch);
	/* enl-host sends no teardown for them any more: ours to drop */
	pthread_mutex_lock(&v->lock);
	for (pp = &v->gpadls; *pp;) {
		if ((*pp)->relid == ch->relid)
			vsp_gpadl_drop(pp, *pp);
		else
			pp = &(*pp)->next;
	}
	pthread_mutex_unlock(&v->lock);
	ch->withdrawn = true;
	vsp_info("subchannel %u (relid %u) withdrawn", ch->params.sub_channel_index,
		 ch->relid);
	return vsp_send_msg(v, &m, sizeof(m));
}

int vsp_chan_withdraw(struct vsp_chan *ch)
{
	struct vsp *v = ch->v;
	struct vsp_chan *p = ch->primary;
	enum vsp_chan_state s = vsp_chan_state(ch);
	u16 pending;
	int err;

	if (p == ch || s == VSP_CS_OFFER_FAILED)
		return -EINVAL;
	if (ch->withdrawn || ch->withdraw_pending)
		return -EALREADY;
	err = withdraw(v, ch);
	/* later requests follow the highest index left */
	pthread_mutex_lock(&v->lock);
	pending = (u16)(p->sub_asked - p->sub_offered);
	p->sub_offered = sub_highest(v, p);
	p->sub_asked = (u16)(p->sub_offered + pending);
	pthread_mutex_unlock(&v->lock);
	return err;
}

int vsp_withdraw_subchannels(struct vsp_chan *primary)
{
	struct vsp *v = primary->v;
	int n = 0, err = 0;

	if (primary->primary != primary)
		return -EINVAL;
	for (struct vsp_chan *ch = v->chans; ch; ch = ch->next) {
		int e;

		if (ch->primary != primary || ch == primary || ch->withdrawn ||
		    ch->withdraw_pending ||
		    vsp_chan_state(ch) == VSP_CS_OFFER_FAILED)
			continue;
		e = withdraw(v, ch);
		if (e && !err)
			err = e;
		n++;
	}
	/* requests not offered yet go too: the next ones start at 1 */
	pthread_mutex_lock(&v->lock);
	primary->sub_asked = 0;
	primary->sub_offered = 0;
	pthread_mutex_unlock(&v->lock);
	return err ? err : n;
}

/* A subchannel of p withdrawn while enl-host has not answered its offer:
 * a new offer of its index would be taken for it. */
static bool withdrawing(struct vsp *v, const struct vsp_chan *p)
{
	for (struct vsp_chan *ch = v->chans; ch; ch = ch->next)
		if (ch->primary == p && ch->withdraw_pending)
			return true;
	return false;
}

void vsp_chan_sweep(struct vsp *v)
{
	for (struct vsp_chan **pp = &v->chans; *pp;) {
		struct vsp_chan *ch = *pp;

		if (ch->withdrawn) {
			*pp = ch->next;
			vsp_chan_free(ch);
		} else {
			pp = &ch->next;
		}
	}
}

void vsp_offer_pending_subchannels(struct vsp *v)
{
	bool pending;

	pthread_mutex_lock(&v->lock);
	pending = v->subs_pending;
	v->subs_pending = false;
	pthread_mutex_unlock(&v->lock);
	if (!pending)
		return;
	/* Only this thread adds channels; new ones go to the list's head,
	 * so the walk does not meet them. */
	for (struct vsp_chan *p = v->chans; p; p = p->next) {
		const struct vsp_chan_ops *ops;
		u16 asked;

		if (withdrawing(v, p))
			continue;	/* offered again at its OFFER_RESULT */
		pthread_mutex_lock(&v->lock);
		asked = p->sub_asked;
		ops = p->sub_ops ? p->sub_ops : p->ops;
		pthread_mutex_unlock(&v->lock);
		while (p->sub_offered < asked) {
			struct vsp_offer_params sp = p->params;
			struct vsp_chan *ch;
			u16 idx = (u16)(p->sub_offered + 1);
			int err;

			sp.sub_channel_index = idx;
			ch = vsp_chan_new(v, &sp, ops, p->priv);
			err = ch ? 0 : -ENOMEM;
			if (ch) {
				ch->primary = p;
				ch->offer_async = true;
				err = send_offer(v, ch);
				if (err) {
					vsp_chan_free(ch);
				} else {
					ch->next = v->chans;
					v->chans = ch;
				}
			}
			p->sub_offered = idx;
			if (err) {
				vsp_err("subchannel %u of relid %u not offered: %s",
					idx, p->relid, strerror(-err));
				if (p->ops->on_subchannel)
					p->ops->on_subchannel(p, NULL, idx, err);
			}
		}
	}
}

int vsp_status_set(struct vsp *v, u32 relid, const char *key,
		   const char *fmt, ...)
{
	struct vsp_status_set m;
	va_list ap;
	size_t kl = strnlen(key, sizeof(m.key));

	memset(&m, 0, sizeof(m));
	if (kl >= sizeof(m.key))
		return -EINVAL;
	memcpy(m.key, key, kl);
	if (!vspc_status_key_ok(m.key))
		return -EINVAL;
	m.hdr.type = VSP_STATUS_SET;
	m.hdr.len = sizeof(m);
	m.relid = relid;
	va_start(ap, fmt);
	vsnprintf(m.value, sizeof(m.value), fmt, ap);
	va_end(ap);
	return vsp_send_msg(v, &m, sizeof(m));
}

