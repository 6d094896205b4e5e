// SPDX-License-Identifier: GPL-2.0-only
/*
 * VSP socket server: the listening socket, the clients, their send queues
 * and the one table that says which message each client may send, how long
 * it is and who handles it.  Runs on the main thread; every handler runs
 * under the bus lock, because the VMBus server is also driven from vCPU
 * threads.
 *
 * Sends never block the main thread and never drop a message: what the
 * socket does not take now waits in the client's queue and goes out when
 * poll() says the socket has room.  Only a client whose queue passes
 * VSP_CLIENT_QUEUE_MAX, or whose socket fails, is disconnected.
 */
#include "vsp_server_int.h"
#include "layout.h"

#include <poll.h>
#include <signal.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

void vsp_hdr_init(void *msg, uint32_t type, size_t len)
{
	struct vsp_hdr *h = msg;

	memset(msg, 0, len);
	h->type = type;
	h->len = (uint32_t)len;
}

uint64_t vsp_now(struct vsp_server *v)
{
	return v->host->now_ms(v->vm);
}

static const char *cname(const struct vsp_client *c)
{
	return c->name[0] ? c->name : "?";
}

/* ---- send queue ------------------------------------------------------------ */

static void qmsg_free(struct vsp_qmsg *q)
{
	vspc_close_fds(q->fds, q->nfds);
	free(q);
}

static void client_queue(struct vsp_client *c, const void *msg, size_t len,
			 const int *fds, int nfds)
{
	struct vsp_qmsg *q;
	int i;

	if (c->q_bytes + len > VSP_CLIENT_QUEUE_MAX) {
		enl_err("VSP client %s: %zu bytes wait unread; disconnecting it",
			cname(c), c->q_bytes);
		c->dead = true;
		return;
	}
	q = malloc(sizeof(*q) + len);
	if (!q) {
		enl_err("VSP client %s: out of memory; disconnecting it", cname(c));
		c->dead = true;
		return;
	}
	q->next = NULL;
	q->len = len;
	q->nfds = 0;
	memcpy(q->data, msg, len);
	/* Our fds may be closed before this goes out: send copies. */
	for (i = 0; i < nfds; i++) {
		q->fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
		if (q->fds[i] < 0) {
			enl_err("VSP client %s: cannot keep an fd (%s); disconnecting it",
				cname(c), strerror(errno));
			qmsg_free(q);
			c->dead = true;
			return;
		}
		q->nfds++;
	}
	if (c->q_tail) {
		c->q_tail->next = q;
	} else {
		uint64_t one = 1;

		c->q_head = q;
		/* Queued from a vCPU thread, the main loop must learn it has
		 * something to send (it polls without POLLOUT meanwhile). */
		if (write(c->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			enl_err("VSP server: cannot wake the main loop: %s",
				strerror(errno));
	}
	c->q_tail = q;
	c->q_bytes += len;
}

/* Send what waits, until the socket is full. */
static void client_flush(struct vsp_client *c)
{
	while (c->q_head && !c->dead) {
		struct vsp_qmsg *q = c->q_head;
		int err = vspc_send(c->fd, q->data, q->len, q->fds, q->nfds,
				    MSG_DONTWAIT);

		if (err == -EAGAIN)
			return;
		if (err) {
			enl_err("VSP client %s: send failed (%s); disconnecting it",
				cname(c), strerror(-err));
			c->dead = true;
			return;
		}
		c->q_head = q->next;
		if (!c->q_head)
			c->q_tail = NULL;
		c->q_bytes -= q->len;
		qmsg_free(q);
	}
}

void vsp_client_send(struct vsp_client *c, const void *msg, size_t len,
		     const int *fds, int nfds)
{
	int err;

	if (!c || c->dead)
		return;
	if (!c->q_head) {
		err = vspc_send(c->fd, msg, len, fds, nfds, MSG_DONTWAIT);
		if (!err)
			return;
		if (err != -EAGAIN) {
			enl_err("VSP client %s: send failed (%s); disconnecting it",
				cname(c), strerror(-err));
			c->dead = true;
			return;
		}
	}
	client_queue(c, msg, len, fds, nfds);
}

/* ---- messages from clients ------------------------------------------------- */

static void on_hello(struct vsp_server *v, struct vsp_client *c, const void *p)
{
	const struct vsp_hello *m = p;
	struct vsp_welcome w;
	struct vm *vm = v->vm;

	if (m->version != VSP_PROTO_VERSION ||
	    (m->role != VSP_ROLE_DAEMON && m->role != VSP_ROLE_CONTROL)) {
		enl_err("VSP client speaks protocol %u role %u; enl-host speaks %u",
			m->version, m->role, VSP_PROTO_VERSION);
		c->dead = true;
		return;
	}
	c->role = m->role;
	memcpy(c->name, m->name, sizeof(c->name));
	c->name[sizeof(c->name) - 1] = 0;
	vsp_hdr_init(&w, VSP_WELCOME, sizeof(w));
	w.version = VSP_PROTO_VERSION;
	w.ncpus = vm->ncpus;
	w.ram_size = vm->ram_size;
	w.lowmem_size = vm->lowmem_size;
	w.highmem_gpa = ENL_MMIO_HOLE_END;
	if (c->role == VSP_ROLE_DAEMON)
		vsp_client_send(c, &w, sizeof(w), &vm->mem_fd, 1);
	else
		vsp_client_send(c, &w, sizeof(w), NULL, 0);
	enl_log("VSP client %s connected (%s)", cname(c),
		c->role == VSP_ROLE_DAEMON ? "daemon" : "control");
}


/* ---- enlctl commands relayed to daemons ----------------------------------- */

/* CTL_REPLY with text (cut to fit one message). */
static void relay_answer(struct vsp_server *v, struct vsp_client *c,
			 uint32_t status, const char *text, size_t n)
{
	struct vsp_ctl_reply *r = (struct vsp_ctl_reply *)v->tx;

	if (n > VSP_MSG_MAX - sizeof(*r) - 1)
		n = VSP_MSG_MAX - sizeof(*r) - 1;
	vsp_hdr_init(r, VSP_CTL_REPLY, sizeof(*r) + n + 1);
	r->status = status;
	memcpy(r->text, text, n);
	vsp_client_send(c, r, sizeof(*r) + n + 1, NULL, 0);
}

__attribute__((format(printf, 4, 5)))
static void relay_fail(struct vsp_server *v, struct vsp_client *c,
		       uint32_t status, const char *fmt, ...)
{
	char msg[160];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	relay_answer(v, c, status, msg,
		     n < 0 ? 0 : (size_t)n < sizeof(msg) ? (size_t)n :
		     sizeof(msg) - 1);
}

static void on_ctl_daemon(struct vsp_server *v, struct vsp_client *c,
			  const void *p)
{
	const struct vsp_ctl_daemon *m = p;
	struct vsp_daemon_cmd *cmd = (struct vsp_daemon_cmd *)v->tx;
	struct vsp_client *d = NULL;
	struct vsp_relay *slot = NULL;
	uint32_t timeout = m->timeout_ms ? m->timeout_ms : VSP_DAEMON_TIMEOUT_MS;
	size_t nl = strnlen(m->daemon, sizeof(m->daemon));
	size_t cl = strnlen(m->cmd, sizeof(m->cmd));
	unsigned int i;

	if (nl == 0 || nl == sizeof(m->daemon) || cl == sizeof(m->cmd)) {
		relay_fail(v, c, EINVAL, "daemon name or command not NUL-terminated");
		return;
	}
	if (timeout > VSP_DAEMON_TIMEOUT_MAX_MS) {
		relay_fail(v, c, EINVAL, "timeout %u ms is longer than %u ms",
			   m->timeout_ms, VSP_DAEMON_TIMEOUT_MAX_MS);
		return;
	}
	/* Several connections may say the same name (a restarted daemon
	 * whose predecessor has not hung up yet): the newest one serves. */
	for (i = 0; i < VSP_MAX_CLIENTS; i++) {
		struct vsp_client *x = v->clients[i];

		if (x && !x->dead && x->role == VSP_ROLE_DAEMON &&
		    !strncmp(x->name, m->daemon, sizeof(x->name)) &&
		    (!d || x->since >= d->since))
			d = x;
	}
	if (!d) {
		relay_fail(v, c, ENOENT, "no daemon named \"%.*s\" is connected",
			   (int)sizeof(m->daemon), m->daemon);
		return;
	}
	for (i = 0; i < VSP_RELAY_MAX && !slot; i++)
		if (!v->relay[i].ctl)
			slot = &v->relay[i];
	if (!slot) {
		relay_fail(v, c, EBUSY, "%u daemon commands wait already",
			   VSP_RELAY_MAX);
		return;
	}
	if (!++v->next_req_id)	/* 0 is never a request */
		v->next_req_id = 1;
	*slot = (struct vsp_relay){
		.ctl = c, .daemon = d, .req_id = v->next_req_id,
		.timeout_ms = timeout, .deadline = vsp_now(v) + timeout,
	};
	vsp_hdr_init(cmd, VSP_DAEMON_CMD, sizeof(*cmd));
	cmd->req_id = slot->req_id;
	memcpy(cmd->cmd, m->cmd, cl);
	vsp_client_send(d, cmd, sizeof(*cmd), NULL, 0);
}

static void on_daemon_reply(struct vsp_server *v, struct vsp_client *c,
			    const void *p)
{
	const struct vsp_daemon_reply *m = p;
	size_t room = m->hdr.len - sizeof(*m);	/* len checked by the table */
	size_t n = strnlen(m->text, room);
	unsigned int i;

	if (n == room) {
		enl_err("VSP daemon %s: DAEMON_REPLY text not NUL-terminated; disconnecting it",
			cname(c));
		c->dead = true;
		return;
	}
	for (i = 0; i < VSP_RELAY_MAX; i++) {
		struct vsp_relay *r = &v->relay[i];

		if (r->ctl && r->daemon == c && r->req_id == m->req_id) {
			/* A status that is not an errno would confuse
			 * enlctl's error line. */
			relay_answer(v, r->ctl,
				     m->status < 4096 ? m->status : EPROTO,
				     m->text, n);
			r->ctl = NULL;
			return;
		}
	}
	/* Timed out already, or its enlctl left: nobody waits for it. */
}

/* Requests whose time is up get ETIMEDOUT. */
static void relay_check_deadlines(struct vsp_server *v)
{
	uint64_t now = vsp_now(v);
	unsigned int i;

	for (i = 0; i < VSP_RELAY_MAX; i++) {
		struct vsp_relay *r = &v->relay[i];

		if (r->ctl && now >= r->deadline) {
			relay_fail(v, r->ctl, ETIMEDOUT,
				   "daemon %s did not answer within %u ms",
				   cname(r->daemon), r->timeout_ms);
			r->ctl = NULL;
		}
	}
}

/* A client leaves: what it asked is forgotten, what it was asked fails. */
static void relay_client_gone(struct vsp_server *v, struct vsp_client *c)
{
	unsigned int i;

	for (i = 0; i < VSP_RELAY_MAX; i++) {
		struct vsp_relay *r = &v->relay[i];

		if (!r->ctl)
			continue;
		if (r->ctl == c) {
			r->ctl = NULL;
		} else if (r->daemon == c) {
			relay_fail(v, r->ctl, EPIPE,
				   "daemon %s disconnected before it answered",
				   cname(c));
			r->ctl = NULL;
		}
	}
}

/*
 * Every message a client may send: its type, its length (exact, or the
 * least for the one variable-length message, DAEMON_REPLY), the role that
 * may send it (0: only before HELLO) and its handler.  No client message carries descriptors.  Anything else
 * is a protocol error and costs the client its connection.
 */
static const struct vsp_rule {
	uint32_t type;
	uint32_t len;
	bool var;		/* len is the minimum */
	uint32_t role;
	void (*handle)(struct vsp_server *v, struct vsp_client *c,
		       const void *m);
} rules[] = {
	{ VSP_HELLO, sizeof(struct vsp_hello), false, 0,
	  on_hello },
	{ VSP_OFFER, sizeof(struct vsp_offer), false, VSP_ROLE_DAEMON,
	  vsp_on_offer },
	{ VSP_CLOSE_DONE, sizeof(struct vsp_relid), false, VSP_ROLE_DAEMON,
	  vsp_on_close_done },
	{ VSP_GPADL_RELEASED, sizeof(struct vsp_gpadl_ref), false, VSP_ROLE_DAEMON,
	  vsp_on_gpadl_released },
	{ VSP_STATUS_SET, sizeof(struct vsp_status_set), false, VSP_ROLE_DAEMON,
	  vsp_on_status_set },
	{ VSP_OPEN_REPLY, sizeof(struct vsp_open_reply), false, VSP_ROLE_DAEMON,
	  vsp_on_open_reply },
	{ VSP_INFLIGHT_GET, sizeof(struct vsp_inflight_msg), false, VSP_ROLE_DAEMON,
	  vsp_on_inflight_get },
	{ VSP_DAEMON_REPLY, sizeof(struct vsp_daemon_reply), true, VSP_ROLE_DAEMON,
	  on_daemon_reply },
	{ VSP_WITHDRAW, sizeof(struct vsp_relid), false, VSP_ROLE_DAEMON,
	  vsp_on_withdraw },
	{ VSP_CTL_STATUS, sizeof(struct vsp_ctl), false, VSP_ROLE_CONTROL,
	  vsp_on_ctl_status },
	{ VSP_CTL_RESCIND, sizeof(struct vsp_ctl), false, VSP_ROLE_CONTROL,
	  vsp_on_ctl_rescind },
	{ VSP_CTL_REOFFER, sizeof(struct vsp_ctl), false, VSP_ROLE_CONTROL,
	  vsp_on_ctl_reoffer },
	{ VSP_CTL_DAEMON, sizeof(struct vsp_ctl_daemon), false, VSP_ROLE_CONTROL,
	  on_ctl_daemon },
};

static void client_message(struct vsp_server *v, struct vsp_client *c,
			   const uint8_t *buf, size_t len, int nfds)
{
	const struct vsp_rule *r = NULL;
	struct vsp_hdr h;
	size_t i;

	/* vspc_recv() checked the header and its length already. */
	memcpy(&h, buf, sizeof(h));
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].type == h.type)
			r = &rules[i];
	if (!r || (r->var ? len < r->len : len != r->len) ||
	    r->role != c->role || nfds) {
		enl_err("VSP client %s sent a malformed or unexpected message (type %u, %zu bytes, %d fds); disconnecting it",
			cname(c), h.type, len, nfds);
		c->dead = true;
		return;
	}
	r->handle(v, c, buf);
}

static void client_read(struct vsp_server *v, struct vsp_client *c)
{
	int fds[VSP_MAX_FDS], nfds;
	int n = vspc_recv(c->fd, v->rx, sizeof(v->rx), fds, &nfds,
			  MSG_DONTWAIT);

	if (n == -EAGAIN || n == -EINTR)
		return;
	if (n <= 0) {
		if (n == -EBADMSG)
			enl_err("VSP client %s broke the transport rules; disconnecting it",
				cname(c));
		c->dead = true;
		return;
	}
	vspc_close_fds(fds, nfds);	/* never wanted: see the table */
	client_message(v, c, v->rx, (size_t)n, nfds);
}

static void client_free(struct vsp_client *c)
{
	while (c->q_head) {
		struct vsp_qmsg *q = c->q_head;

		c->q_head = q->next;
		qmsg_free(q);
	}
	close(c->fd);
	free(c);
}

static void client_drop(struct vsp_server *v, unsigned int idx)
{
	struct vsp_client *c = v->clients[idx];

	relay_client_gone(v, c);
	vsp_bus_client_gone(v, c);
	if (c->role == VSP_ROLE_DAEMON)
		enl_log("VSP daemon %s disconnected", cname(c));
	client_free(c);
	v->clients[idx] = NULL;
}

static pid_t peer_pid(int fd);

int vsp_server_adopt(struct vsp_server *v, int fd)
{
	struct vsp_client *c;
	unsigned int i;

	for (i = 0; i < VSP_MAX_CLIENTS && v->clients[i]; i++)
		;
	c = i < VSP_MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		enl_err("too many VSP clients; refusing one");
		close(fd);
		return -ENOSPC;
	}
	c->fd = fd;
	c->wake_fd = v->wake_fd;
	c->since = vsp_now(v);
	c->pid = peer_pid(fd);
	v->clients[i] = c;
	return 0;
}

/* The peer process of a daemon socket; 0 for a socketpair of our own
 * (SO_PEERCRED then names us) or when the kernel cannot say. */
static pid_t peer_pid(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 ||
	    cr.pid <= 0 || cr.pid == getpid())
		return 0;
	return cr.pid;
}

/*
 * A daemon that does not let go of guest memory in time is killed, not
 * only disconnected: it maps all of guest RAM, and a frozen daemon that
 * wakes up later would write its rings and event flags into pages the
 * guest has freed and reused (seen: a resumed enl-icvsp signalled a relid
 * that hv_utils was opening again, and the guest oopsed).  Waits (up to
 * 2 s) until it is gone, so that the guest hears GPADL_TORNDOWN only
 * then.
 */
void vsp_client_kill(struct vsp_client *c)
{
	struct pollfd p = { .events = POLLIN };
	int pfd;

	if (!c->pid)
		return;
	pfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	if (kill(c->pid, SIGKILL) < 0) {
		enl_err("VSP daemon %s (pid %d): cannot kill it: %s; it may still write guest memory",
			c->name, (int)c->pid, strerror(errno));
	} else if (pfd >= 0) {
		p.fd = pfd;
		if (poll(&p, 1, 2000) <= 0)
			enl_err("VSP daemon %s (pid %d) still there 2 s after SIGKILL",
				c->name, (int)c->pid);
		else
			enl_err("VSP daemon %s (pid %d) killed", c->name, (int)c->pid);
	}
	if (pfd >= 0)
		close(pfd);
	c->pid = 0;
}

static void accept_client(struct vsp_server *v)
{
	int fd = accept4(v->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd >= 0)
		vsp_server_adopt(v, fd);
}

int vsp_server_pollfds(struct vsp_server *v, struct pollfd *p, int max)
{
	int n = 0;
	unsigned int i;

	if (max < 1)
		return 0;
	/* vCPU threads queue messages too (under the bus lock). */
	pthread_mutex_lock(&v->vm->bus_lock);
	p[n++] = (struct pollfd){ .fd = v->listen_fd, .events = POLLIN };
	for (i = 0; i < VSP_MAX_CLIENTS && n < max; i++) {
		struct vsp_client *c = v->clients[i];

		p[n++] = (struct pollfd){
			.fd = c ? c->fd : -1,
			.events = POLLIN | (c && c->q_head ? POLLOUT : 0),
		};
	}
	if (n < max)
		p[n++] = (struct pollfd){ .fd = v->wake_fd, .events = POLLIN };
	pthread_mutex_unlock(&v->vm->bus_lock);
	return n;
}

void vsp_server_handle(struct vsp_server *v, const struct pollfd *p, int n)
{
	unsigned int i;

	pthread_mutex_lock(&v->vm->bus_lock);
	if (n == VSP_SERVER_POLLFDS && (p[n - 1].revents & POLLIN)) {
		uint64_t cnt;

		if (read(v->wake_fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
			enl_err("VSP server: wake-up eventfd: %s", strerror(errno));
	}
	vsp_bus_check_deadlines(v);
	relay_check_deadlines(v);
	for (i = 0; i < VSP_MAX_CLIENTS; i++) {
		struct vsp_client *c = v->clients[i];

		if (c && !c->role && vsp_now(v) - c->since >= VSP_HELLO_TIMEOUT_MS)
			c->dead = true;
	}
	for (i = 1; i < (unsigned int)n && i <= VSP_MAX_CLIENTS; i++) {
		struct vsp_client *c = v->clients[i - 1];

		if (!c || p[i].fd != c->fd)
			continue;
		if (p[i].revents & POLLOUT)
			client_flush(c);
		if (p[i].revents & (POLLIN | POLLHUP | POLLERR))
			client_read(v, c);
	}
	/* Messages queued by this round's handlers: out as far as they go. */
	for (i = 0; i < VSP_MAX_CLIENTS; i++)
		if (v->clients[i])
			client_flush(v->clients[i]);
	for (i = 0; i < VSP_MAX_CLIENTS; i++)
		if (v->clients[i] && v->clients[i]->dead)
			client_drop(v, i);
	if (n > 0 && (p[0].revents & POLLIN))
		accept_client(v);
	pthread_mutex_unlock(&v->vm->bus_lock);
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		enl_err("--socket %s: path too long (at most %zu bytes)", path,
			sizeof(sa.sun_path) - 1);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		enl_err("socket: %s", strerror(errno));
		return -1;
	}
	/* A socket file nobody answers on is left over from a dead host. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		enl_err("--socket %s: another enl-host is serving it; choose another path",
			path);
		close(fd);
		return -1;
	}
	if (errno == ECONNREFUSED)
		unlink(path);
	close(fd);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 16) < 0) {
		enl_err("--socket %s: cannot listen there: %s (does its directory exist?)",
			path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	chmod(path, 0660);
	return fd;
}

struct vsp_server *vsp_server_create(struct vm *vm, const char *path,
				     const struct vsp_host_ops *host)
{
	struct vsp_server *v = calloc(1, sizeof(*v));
	unsigned int i;

	if (v)
		v->ch = calloc(VMBUS_MAX_CHANNELS, sizeof(*v->ch));
	if (!v || !v->ch) {
		enl_err("out of memory");
		free(v);
		return NULL;
	}
	v->vm = vm;
	v->host = host ? host : &vsp_kvm_host_ops;
	v->listen_fd = -1;
	v->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (v->wake_fd < 0) {
		enl_err("eventfd: %s", strerror(errno));
		free(v->ch);
		free(v);
		return NULL;
	}
	for (i = 0; i < VMBUS_MAX_CHANNELS; i++)
		v->ch[i].kick_fd = v->ch[i].call_fd = v->ch[i].inflight_fd = -1;
	if (path) {
		v->listen_fd = listen_on(path);
		if (v->listen_fd < 0) {
			close(v->wake_fd);
			free(v->ch);
			free(v);
			return NULL;
		}
		snprintf(v->path, sizeof(v->path), "%s", path);
	}
	return v;
}

void vsp_server_destroy(struct vsp_server *v)
{
	unsigned int i;

	if (!v)
		return;
	for (i = 0; i < VSP_MAX_CLIENTS; i++)
		if (v->clients[i])
			client_free(v->clients[i]);
	vsp_bus_fini(v);
	if (v->listen_fd >= 0) {
		close(v->listen_fd);
		unlink(v->path);
	}
	close(v->wake_fd);
	free(v->text.p);
	free(v->ch);
	free(v);
}
