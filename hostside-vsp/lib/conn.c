// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvsp: the connection to enl-host.  HELLO / WELCOME, OFFER, and the
 * event loop that dispatches enl-host's messages and the channels' kicks
 * and timers.  Every message is length-checked before use; a malformed
 * message is logged and dropped (its fds closed), never trusted.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

int vsp_send_msg(struct vsp *v, const void *msg, u32 len)
{
	ssize_t n;

	do
		n = send(v->fd, msg, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

static void close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

int vsp_recv_msg(int fd, void *buf, u32 buf_len, int *fds, int *nfds)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * (VSP_MAX_FDS + 2))];
	} c;
	struct iovec iov = { .iov_base = buf, .iov_len = buf_len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = c.b, .msg_controllen = sizeof(c.b),
	};
	struct cmsghdr *cm;
	struct vsp_hdr hdr;
	bool bad = false;
	ssize_t n;

	*nfds = 0;
	for (int i = 0; i < VSP_MAX_FDS; i++)
		fds[i] = -1;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;

	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		int k, *p;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		p = (int *)CMSG_DATA(cm);
		for (int i = 0; i < k; i++) {
			int f;

			memcpy(&f, p + i, sizeof(f));
			if (*nfds < VSP_MAX_FDS) {
				fds[(*nfds)++] = f;
			} else {
				close(f);
				bad = true;
			}
		}
	}
	if (n == 0) {
		close_fds(fds, *nfds);
		*nfds = 0;
		return 0;
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		bad = true;
	if ((size_t)n < sizeof(hdr)) {
		bad = true;
	} else {
		memcpy(&hdr, buf, sizeof(hdr));
		if (hdr.len != (u32)n)
			bad = true;
	}
	if (bad) {
		close_fds(fds, *nfds);
		*nfds = 0;
		return -EBADMSG;
	}
	return (int)n;
}

/* ---- connect ----------------------------------------------------------- */

static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

static int send_hello(int fd, u32 role, const char *name)
{
	struct vsp_hello h;
	ssize_t n;

	memset(&h, 0, sizeof(h));
	h.hdr.type = VSP_HELLO;
	h.hdr.len = sizeof(h);
	h.version = VSP_PROTO_VERSION;
	h.role = role;
	snprintf(h.name, sizeof(h.name), "%s", name ? name : "");
	n = send(fd, &h, sizeof(h), MSG_NOSIGNAL);
	if (n < 0)
		return -errno;
	return n == sizeof(h) ? 0 : -EIO;
}

static int unix_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

struct vsp *vsp_connect(const char *path, const char *name, int *err)
{
	int fd = unix_connect(path);

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
	v->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	snprintf(v->name, sizeof(v->name), "%s", name ? name : "vsp");
	if (v->stop_fd < 0) {
		err = -errno;
		goto fail;
	}
	err = send_hello(fd, VSP_ROLE_DAEMON, v->name);
	if (err)
		goto fail;
	err = wait_readable(fd, VSP_CONNECT_TIMEOUT_MS);
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
		close_fds(fds, nfds);
		err = -EPROTO;
		goto fail;
	}
	memcpy(&w, v->msgbuf, sizeof(w));
	if (w.version != VSP_PROTO_VERSION) {
		vsp_err("enl-host speaks VSP protocol %u, we speak %u",
			w.version, VSP_PROTO_VERSION);
		close_fds(fds, nfds);
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
		close_fds(fds, nfds);
		err = -EPROTO;
		goto fail;
	}
	v->ram.base = mmap(NULL, v->ram.size, PROT_READ | PROT_WRITE,
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
		if (ch->kick_fd >= 0)
			close(ch->kick_fd);
		if (ch->call_fd >= 0)
			close(ch->call_fd);
		free(ch);
	}
	while (v->gpadls)
		vsp_gpadl_drop(&v->gpadls, v->gpadls);
	vsp_ram_unmap(&v->ram);
	if (v->ram.fd >= 0)
		close(v->ram.fd);
	if (v->stop_fd >= 0)
		close(v->stop_fd);
	if (v->fd >= 0)
		close(v->fd);
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
		if (ch->have_relid && ch->relid == relid)
			return ch;
	return NULL;
}

static void on_offer_result(struct vsp *v, const struct vsp_offer_result *m)
{
	struct vsp_chan *ch = chan_by_cookie(v, m->cookie);

	if (!ch) {
		vsp_err("OFFER_RESULT for unknown cookie %u", m->cookie);
		return;
	}
	ch->offer_done = true;
	ch->offer_status = m->status;
	if (m->status)
		return;
	if (m->relid == 0 || m->relid > VMBUS_MAX_RELID ||
	    (vsp_chan_by_relid(v, m->relid) &&
	     vsp_chan_by_relid(v, m->relid) != ch)) {
		vsp_err("OFFER_RESULT: bad relid %u", m->relid);
		ch->offer_status = EPROTO;
		return;
	}
	ch->relid = m->relid;
	ch->connection_id = m->connection_id;
	ch->have_relid = true;
}

static void on_gpadl(struct vsp *v, const u8 *buf, u32 len)
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
	r = vsp_gpadl_part(&v->gpadls, &m, (const u64 *)(buf + sizeof(m)),
			   v->ram.size / VSP_PAGE_SIZE);
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

static void on_gpadl_teardown(struct vsp *v, const struct vsp_gpadl_ref *m)
{
	struct vsp_gpadl_map *g = vsp_gpadl_find(v->gpadls, m->relid, m->gpadl);
	struct vsp_chan *ch = vsp_chan_by_relid(v, m->relid);
	struct vsp_gpadl_ref r = {
		.hdr = { VSP_GPADL_RELEASED, sizeof(r) },
		.relid = m->relid, .gpadl = m->gpadl,
	};

	if (g) {
		if (ch && ch->open && ch->ring_gpadl == g) {
			/* Torn down under an open channel: stop using it. */
			vsp_err("relid %u: ring GPADL %u torn down while open",
				m->relid, m->gpadl);
			vsp_chan_shutdown(ch);
		}
		if (ch && ch->ops->on_gpadl_teardown)
			ch->ops->on_gpadl_teardown(ch, m->gpadl);
		vsp_gpadl_drop(&v->gpadls, g);
	}
	/* Always answer: enl-host waits for it. */
	vsp_send_msg(v, &r, sizeof(r));
}

static void on_target(struct vsp *v, const struct vsp_channel_target *m,
		      int *fds, int nfds)
{
	struct vsp_chan *ch = vsp_chan_by_relid(v, m->relid);

	if (!ch || !ch->open || nfds != 1) {
		vsp_err("CHANNEL_TARGET for relid %u ignored", m->relid);
		return;
	}
	if (ch->call_fd >= 0)
		close(ch->call_fd);
	ch->call_fd = fds[0];
	fds[0] = -1;
	ch->sief_gpa = m->sief_gpa;
	ch->warned_sief = false;
}

static void dispatch(struct vsp *v, const u8 *buf, u32 len, int *fds, int nfds)
{
	struct vsp_hdr h;
	struct vsp_chan *ch;
	union {
		struct vsp_offer_result offer_result;
		struct vsp_channel_open open;
		struct vsp_relid relid;
		struct vsp_gpadl_ref gref;
		struct vsp_channel_target target;
	} m;
	bool size_ok;

	memcpy(&h, buf, sizeof(h));
	switch (h.type) {
	case VSP_OFFER_RESULT:	size_ok = len == sizeof(m.offer_result); break;
	case VSP_GPADL:		size_ok = len >= sizeof(struct vsp_gpadl); break;
	case VSP_CHANNEL_OPEN:	size_ok = len == sizeof(m.open); break;
	case VSP_CHANNEL_CLOSE:
	case VSP_CHANNEL_RESCINDED: size_ok = len == sizeof(m.relid); break;
	case VSP_GPADL_TEARDOWN: size_ok = len == sizeof(m.gref); break;
	case VSP_CHANNEL_TARGET: size_ok = len == sizeof(m.target); break;
	default:
		vsp_err("unexpected message type %u (%u bytes) from enl-host",
			h.type, len);
		goto out;
	}
	if (!size_ok) {
		vsp_err("message type %u: bad length %u", h.type, len);
		goto out;
	}
	if (h.type != VSP_GPADL)
		memcpy(&m, buf, len);

	switch (h.type) {
	case VSP_OFFER_RESULT:
		on_offer_result(v, &m.offer_result);
		break;
	case VSP_GPADL:
		on_gpadl(v, buf, len);
		break;
	case VSP_CHANNEL_OPEN:
		if (nfds != 2) {
			vsp_err("CHANNEL_OPEN relid %u: %d fds, want 2",
				m.open.relid, nfds);
			break;
		}
		vsp_chan_handle_open(v, &m.open, fds[0], fds[1]);
		fds[0] = fds[1] = -1;
		break;
	case VSP_CHANNEL_CLOSE:
		ch = vsp_chan_by_relid(v, m.relid.relid);
		if (ch)
			vsp_chan_shutdown(ch);
		send_relid_msg(v, VSP_CLOSE_DONE, m.relid.relid);
		break;
	case VSP_GPADL_TEARDOWN:
		on_gpadl_teardown(v, &m.gref);
		break;
	case VSP_CHANNEL_TARGET:
		on_target(v, &m.target, fds, nfds);
		break;
	case VSP_CHANNEL_RESCINDED:
		ch = vsp_chan_by_relid(v, m.relid.relid);
		if (!ch)
			break;
		vsp_chan_shutdown(ch);
		ch->rescinded = true;
		if (ch->ops->on_rescind)
			ch->ops->on_rescind(ch);
		break;
	}
out:
	close_fds(fds, nfds);
}

/* ---- the loop ---------------------------------------------------------- */

u64 vsp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000 + (u64)ts.tv_nsec / 1000000;
}

static int read_socket(struct vsp *v)
{
	int fds[VSP_MAX_FDS], nfds;
	int n = vsp_recv_msg(v->fd, v->msgbuf, VSP_MSG_MAX, fds, &nfds);

	if (n == -EBADMSG) {
		vsp_err("malformed message from enl-host dropped");
		return 0;
	}
	if (n == -EAGAIN)
		return 0;
	if (n < 0)
		return n;
	if (n == 0) {
		v->hung_up = true;
		return 1;
	}
	dispatch(v, v->msgbuf, (u32)n, fds, nfds);
	return 0;
}

int vsp_poll_once(struct vsp *v, int timeout_ms)
{
	struct pollfd pfd[2 + 64];
	struct vsp_chan *who[2 + 64];
	u64 now = vsp_now_ms(), due = 0;
	int n = 2, r;

	if (v->hung_up)
		return 1;
	pfd[0] = (struct pollfd){ .fd = v->fd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = v->stop_fd, .events = POLLIN };
	for (struct vsp_chan *ch = v->chans; ch; ch = ch->next) {
		if (ch->open && ch->kick_fd >= 0 && n < (int)(sizeof(pfd) / sizeof(pfd[0]))) {
			pfd[n] = (struct pollfd){ .fd = ch->kick_fd, .events = POLLIN };
			who[n++] = ch;
		}
		if (ch->timer_due_ms && (!due || ch->timer_due_ms < due))
			due = ch->timer_due_ms;
	}
	if (due) {
		int t = due <= now ? 0 : (int)(due - now);

		if (timeout_ms < 0 || t < timeout_ms)
			timeout_ms = t;
	}
	r = poll(pfd, (nfds_t)n, timeout_ms);
	if (r < 0 && errno != EINTR)
		return -errno;

	if (r > 0) {
		for (int i = 2; i < n; i++) {
			struct vsp_chan *ch = who[i];
			u64 cnt;

			if (!(pfd[i].revents & POLLIN))
				continue;
			/* The kick fd belongs to enl-host's eventfd. */
			if (read(ch->kick_fd, &cnt, sizeof(cnt)) < 0 &&
			    errno != EAGAIN)
				continue;
			if (ch->open && ch->ops->on_kick)
				ch->ops->on_kick(ch);
		}
		vsp_chan_reap(v);
		if (pfd[1].revents & POLLIN) {
			u64 cnt;

			if (read(v->stop_fd, &cnt, sizeof(cnt)) < 0) {
				/* nothing: the flag below is what counts */
			}
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			r = read_socket(v);
			vsp_chan_reap(v);
			if (r)
				return r;
		}
	}

	now = vsp_now_ms();
	for (struct vsp_chan *ch = v->chans; ch; ch = ch->next) {
		if (ch->timer_due_ms && ch->timer_due_ms <= now) {
			ch->timer_due_ms = 0;
			if (ch->ops->on_timer)
				ch->ops->on_timer(ch);
		}
	}
	vsp_chan_reap(v);
	return v->stopping ? 1 : 0;
}

int vsp_run(struct vsp *v)
{
	int r;

	do
		r = vsp_poll_once(v, -1);
	while (r == 0 && !v->stopping);
	for (struct vsp_chan *ch = v->chans; ch; ch = ch->next)
		vsp_chan_shutdown(ch);
	vsp_chan_reap(v);
	return r < 0 ? r : 0;
}

void vsp_stop(struct vsp *v)
{
	u64 one = 1;

	v->stopping = 1;
	if (write(v->stop_fd, &one, sizeof(one)) < 0) {
		/* the flag is set; poll wakes up at its next event */
	}
}

/* ---- requests to enl-host --------------------------------------------------- */

int vsp_offer(struct vsp *v, const struct vsp_offer_params *p,
	      const struct vsp_chan_ops *ops, void *priv, struct vsp_chan **out)
{
	struct vsp_chan *ch = calloc(1, sizeof(*ch));
	struct vsp_offer m;
	int err;

	if (!ch)
		return -ENOMEM;
	ch->v = v;
	ch->ops = ops;
	ch->priv = priv;
	ch->cookie = ++v->next_cookie;
	ch->kick_fd = -1;
	ch->call_fd = -1;
	ch->next = v->chans;
	v->chans = ch;

	memset(&m, 0, sizeof(m));
	m.hdr.type = VSP_OFFER;
	m.hdr.len = sizeof(m);
	m.cookie = ch->cookie;
	m.chn_flags = p->chn_flags;
	m.mmio_megabytes = p->mmio_megabytes;
	m.if_type = p->if_type;
	m.if_instance = p->if_instance;
	m.sub_channel_index = p->sub_channel_index;
	memcpy(m.user_defined, p->user_defined, sizeof(m.user_defined));
	err = vsp_send_msg(v, &m, sizeof(m));
	while (!err && !ch->offer_done) {
		err = vsp_poll_once(v, 1000);
		if (err > 0)
			err = v->hung_up ? -ECONNRESET : -EINTR;
	}
	if (!err && ch->offer_status)
		err = -(int)ch->offer_status;
	if (err) {
		/* Unlink: the offer does not exist. */
		struct vsp_chan **pp;

		for (pp = &v->chans; *pp; pp = &(*pp)->next) {
			if (*pp == ch) {
				*pp = ch->next;
				break;
			}
		}
		free(ch);
		return err;
	}
	*out = ch;
	return 0;
}

int vsp_status_set(struct vsp *v, u32 relid, const char *key,
		   const char *fmt, ...)
{
	struct vsp_status_set m;
	va_list ap;
	size_t kl = strlen(key);

	if (kl == 0 || kl >= sizeof(m.key))
		return -EINVAL;
	for (size_t i = 0; i < kl; i++)
		if (!((key[i] >= 'a' && key[i] <= 'z') ||
		      (key[i] >= '0' && key[i] <= '9') || key[i] == '_'))
			return -EINVAL;
	memset(&m, 0, sizeof(m));
	m.hdr.type = VSP_STATUS_SET;
	m.hdr.len = sizeof(m);
	m.relid = relid;
	memcpy(m.key, key, kl);
	va_start(ap, fmt);
	vsnprintf(m.value, sizeof(m.value), fmt, ap);
	va_end(ap);
	return vsp_send_msg(v, &m, sizeof(m));
}

/* ---- control client ------------------------------------------------------ */

int vsp_ctl_request(const char *path, u32 type, u32 flags, u32 relid,
		    u32 *status, char **text)
{
	struct vsp_ctl req = {
		.hdr = { type, sizeof(req) }, .flags = flags, .relid = relid,
	};
	u8 *buf = malloc(VSP_MSG_MAX);
	int fd, err, fds[VSP_MAX_FDS], nfds, n;
	struct vsp_hdr h;

	if (!buf)
		return -ENOMEM;
	fd = unix_connect(path);
	if (fd < 0) {
		free(buf);
		return fd;
	}
	err = send_hello(fd, VSP_ROLE_CONTROL, "enlctl");
	if (!err) {
		ssize_t s = send(fd, &req, sizeof(req), MSG_NOSIGNAL);

		if (s < 0)
			err = -errno;
		else if (s != sizeof(req))
			err = -EIO;
	}
	while (!err) {
		err = wait_readable(fd, VSP_CONNECT_TIMEOUT_MS);
		if (err)
			break;
		n = vsp_recv_msg(fd, buf, VSP_MSG_MAX, fds, &nfds);
		if (n == 0) {
			err = -ECONNRESET;
			break;
		}
		if (n < 0) {
			err = n == -EBADMSG ? -EPROTO : n;
			break;
		}
		close_fds(fds, nfds);
		memcpy(&h, buf, sizeof(h));
		if (h.type != VSP_CTL_REPLY)
			continue;	/* e.g. a WELCOME: not for us */
		if ((u32)n < sizeof(struct vsp_ctl_reply)) {
			err = -EPROTO;
			break;
		}
		memcpy(status, buf + offsetof(struct vsp_ctl_reply, status),
		       sizeof(*status));
		n -= (int)sizeof(struct vsp_ctl_reply);
		*text = malloc((size_t)n + 1);
		if (!*text) {
			err = -ENOMEM;
			break;
		}
		memcpy(*text, buf + sizeof(struct vsp_ctl_reply), (size_t)n);
		(*text)[n] = 0;
		break;
	}
	close(fd);
	free(buf);
	return err;
}
