/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What both ends of the VSP socket need, written once: enl-host
 * (hostside-vsp/vmm) and libvsp (hostside-vsp/lib) link the same objects.
 *
 *   - one message with its descriptors over SCM_RIGHTS, each way, with the
 *     exact-length rule of docs/vsp-socket.md and the descriptors counted;
 *   - the guest-RAM layout of WELCOME and the GPA -> memfd offset rule;
 *   - the GUID text form, the monotonic millisecond clock, the status-key
 *     rule and the GPADL page cap;
 *   - connecting, HELLO, and the control client's (paged) request.
 *
 * Plain user-space C, no global state, no logging: callers decide what an
 * error means to them.
 */
#ifndef ENL_VSP_COMMON_H
#define ENL_VSP_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <enl/guid.h>
#include <enl/vsp_proto.h>

/* Largest GPADL either side accepts, in 4 KiB pages (1 GiB). */
#define VSPC_GPADL_MAX_PAGES	(1u << 18)
#define VSPC_PAGE_SIZE		4096u

/*
 * Send one message and nfds (0..VSP_MAX_FDS) descriptors beside it.
 * flags go to sendmsg() (MSG_NOSIGNAL is always added).  Returns 0, a
 * negative errno (-EAGAIN when a non-blocking socket is full), or -EIO
 * when the socket took only part of the message.
 */
int vspc_send(int fd, const void *msg, size_t len, const int *fds, int nfds,
	      int flags);

/*
 * Receive one message into buf (cap bytes) and up to VSP_MAX_FDS
 * descriptors (close-on-exec) into fds[], their number in *nfds; unused
 * fds[] slots are -1.  Returns the message length, 0 at end of stream
 * (descriptors closed), or a negative errno: -EAGAIN/-EINTR as recvmsg
 * gives them, -EBADMSG for a message that breaks the transport rules
 * (truncated, shorter than a header, header length not the packet length,
 * more descriptors than VSP_MAX_FDS): its descriptors are closed then.
 */
int vspc_recv(int fd, void *buf, size_t cap, int *fds, int *nfds, int flags);

/* Connect to enl-host's socket: the fd, or a negative errno. */
int vspc_unix_connect(const char *path);
/* Send HELLO {VSP_PROTO_VERSION, role, name}: 0 or a negative errno. */
int vspc_send_hello(int fd, uint32_t role, const char *name);

/*
 * Control client: connect to path, send one VSP_CTL_* request and return
 * enl-host's CTL_REPLY status (0 or a positive errno) and text (malloc'd,
 * NUL-terminated).  A VSP_CTL_STATUS report is fetched page by page and
 * returned whole.  Returns 0, or a negative errno (-ETIMEDOUT after 10 s
 * of silence, -EPROTO for a reply that breaks the rules), *text NULL then.
 */
#define VSP_MAX_PAGES 2048
int vspc_ctl_request(const char *path, uint32_t type, uint32_t flags,
		     uint32_t relid, uint32_t *status, char **text);

/*
 * Control client: relay cmd (one line) to the daemon whose HELLO name is
 * daemon, through enl-host (CTL_DAEMON), and wait for the answer: 0 with
 * *status (the daemon's, or enl-host's ENOENT / EPIPE / ETIMEDOUT / EBUSY
 * / EINVAL) and *text (malloc'd), or a negative errno (-EINVAL for a bad
 * argument, socket errors, -ETIMEDOUT when enl-host stays silent).
 * timeout_ms 0: VSP_DAEMON_TIMEOUT_MS.
 */
int vspc_ctl_daemon(const char *path, const char *daemon, uint32_t timeout_ms,
		    const char *cmd, uint32_t *status, char **text);

/*
 * The words of a relayed command line (docs/vsp-socket.md "Commands for a
 * daemon"): words are separated by one space; inside a word, bytes up to
 * 0x20, 0x7f and '%' are written %XX, so that any word (a KVP value with
 * spaces, a path) survives.  vspc_cmd_encode() appends word to line
 * (cap bytes, NUL-terminated), with a space before it unless line is
 * empty: 0, or -ENOSPC (line unchanged).  vspc_cmd_split() cuts line in
 * place into at most max words, decoding each: the number of words, or
 * -EINVAL (a bad %XX, an empty word, a decoded NUL, more than max).
 */
int vspc_cmd_encode(char *line, size_t cap, const char *word);
int vspc_cmd_split(char *line, char **words, int max);

/* Close the valid ones of n descriptors and set them to -1. */
void vspc_close_fds(int *fds, int n);

/*
 * Guest RAM as WELCOME describes it: memfd offset 0 is GPA 0 up to
 * lowmem_size, the rest (size - lowmem_size) is GPA highmem_gpa onwards.
 */
struct vspc_ram_layout {
	uint64_t size;
	uint64_t lowmem_size;
	uint64_t highmem_gpa;	/* unused while lowmem_size == size */
};

/* 0 if the layout is consistent (page multiples, high part above low). */
int vspc_ram_layout_check(const struct vspc_ram_layout *l);

/*
 * memfd offset of [gpa, gpa + len): 0 and *off, or -ERANGE when any byte
 * is outside RAM (the MMIO hole, beyond RAM, or crossing the hole).
 */
int vspc_ram_offset(const struct vspc_ram_layout *l, uint64_t gpa,
		    uint64_t len, uint64_t *off);

/* "aabbccdd-eeff-..." (lower case) <-> the wire form. */
#define VSPC_GUID_STR_LEN 37
void vspc_guid_format(const enl_guid_t *g, char out[VSPC_GUID_STR_LEN]);
int vspc_guid_parse(const char *s, enl_guid_t *g);

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t vspc_now_ms(void);

/*
 * A STATUS_SET key: 1..VSP_KEY_LEN-1 characters of [a-z0-9_] followed by
 * a NUL within the VSP_KEY_LEN bytes of the field.
 */
bool vspc_status_key_ok(const char key[VSP_KEY_LEN]);

#endif
