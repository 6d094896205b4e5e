/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * enl-icvsp: the integration-services daemon.  One struct ic_service per
 * IC (heartbeat.c, shutdown.c, timesync.c, kvp.c, fcopy.c, vss.c); the
 * framework in icvsp.c offers each service's channel, runs the version
 * NEGOTIATE exchange on every open, matches responses to requests and
 * hands the service its own messages, timer and status.
 */
#ifndef ENL_ICVSP_H
#define ENL_ICVSP_H

#include <enl/ic_msg.h>

#include "hostside-vsp/lib/vsp.h"

struct ic_chan;

struct ic_service {
	const char *name;		/* "heartbeat": logs, status key prefix */
	enl_guid_t if_type;		/* class GUID */
	enl_guid_t default_instance;	/* stable: survives daemon restarts */
	u16 msgtype;			/* ENL_IC_MSG_* of this service */
	const struct enl_ic_version *versions;	/* most preferred first */
	unsigned int nversions;
	size_t priv_size;		/* zeroed state, ic_priv() */

	/* NEGOTIATE done: ic->fw and ic->msgver are set. */
	void (*on_ready)(struct ic_chan *ic);
	/* A response of ours came back (flags RESPONSE); body as received. */
	void (*on_response)(struct ic_chan *ic, const struct enl_icmsg_hdr *h,
			    u64 trans_id, const u8 *body, u32 body_len);
	/* The service's timer (ic_timer()) expired; only while ready. */
	void (*on_timer)(struct ic_chan *ic);
	/* The channel closed; the service's state is reset after this. */
	void (*on_close)(struct ic_chan *ic);
	/* The daemon stops (ic_stop), the connection still up: last words
	 * to the guest (VSS thaws a guest it froze). */
	void (*on_stop)(struct ic_chan *ic);
	/*
	 * An operator command (enlctl, relayed): words[0] is the service's
	 * command word, the rest its arguments, decoded.  Called only while
	 * the service is READY (else the framework answers).  Must answer
	 * req_id once with vsp_command_reply(ic->v, ...), now or later.
	 */
	const char *command;
	void (*on_command)(struct ic_chan *ic, u32 req_id, int nwords,
			   char **words);
};

enum ic_state {
	IC_CLOSED,
	IC_NEGOTIATING,
	IC_READY,
	IC_NO_VERSION,		/* the guest speaks none of our versions */
};

struct ic_chan {
	const struct ic_service *svc;
	struct vsp *v;
	struct vsp_chan *ch;
	enl_guid_t instance;
	enum ic_state state;
	struct enl_ic_version fw;	/* negotiated */
	struct enl_ic_version msgver;
	u64 next_trans_id;
	u64 negotiate_trans_id;
	unsigned int negotiate_ticks;
	int refuse_opens;		/* test option: 0 serve, N > 0 refuse N, < 0 refuse until rescinded */
	/* enl-host's socket (NULL: none): a service that must outlive a
	 * killed daemon keeps its note next to it (SOCKET.icvsp-SVC.state) */
	const char *sock_path;
	void *priv;
};

/*
 * Create the service's channel object and offer it.  refuse_opens (a test
 * option): refuse the guest's first N opens (N > 0) or all until the offer
 * is rescinded (N < 0) with ECONNREFUSED, 0: serve.  0 or -errno.
 */
int ic_offer(struct vsp *v, const struct ic_service *svc,
	     const enl_guid_t *instance, int refuse_opens, struct ic_chan **out);

/* The daemon is stopping: the service's on_stop, while READY.  Before
 * vsp_free(). */
void ic_stop(struct ic_chan *ic);

/* Free what ic_offer() allocated; after vsp_free() of its connection. */
void ic_free(struct ic_chan *ic);

/*
 * An operator command for the service whose command word is words[0]
 * (vsp_set_command_handler's callback in main.c, testable apart): answers
 * ENOENT for an unknown word, ENODEV while the service's channel is not
 * ready, else calls its on_command.
 */
void ic_command(struct ic_chan *const *ics, unsigned int n, struct vsp *v,
		u32 req_id, const char *line);

/* Send a request (flags TRANSACTION|REQUEST) with the negotiated versions.
 * 0 with *trans_id (may be NULL), or the vsp_chan_send() error. */
int ic_send_request(struct ic_chan *ic, const void *body, u16 len,
		    u64 *trans_id);
/* The service's one-shot timer (0 cancels). */
void ic_timer(struct ic_chan *ic, unsigned int ms);
/* Publish <svc name>_<key> = value for enlctl status. */
void ic_status(struct ic_chan *ic, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline void *ic_priv(struct ic_chan *ic) { return ic->priv; }

/* timing of the NEGOTIATE exchange */
#define IC_FIRST_SIGNAL_MS	200	/* extra signal after open */
#define IC_NEGOTIATE_TICK_MS	1000	/* signal again while unanswered */
#define IC_NEGOTIATE_RESEND	5	/* ticks before sending it again */

/* A disk image's copy (imgcopy.c, `enlctl backup DIR`). */
struct img_copy_result {
	u64 size;		/* the image's bytes */
	u64 copied;		/* data bytes written (holes not counted) */
	bool reflinked;		/* FICLONE: extents shared, nothing copied */
};

/*
 * Copy src (a regular file or block device) into the new file dst (never
 * over an existing one): FICLONE where it works, else data only (holes
 * stay holes), then fsync.  0, or -errno with a one-line reason in err;
 * dst does not exist after a failure.
 */
int img_copy(const char *src, const char *dst, struct img_copy_result *res,
	     char *err, size_t err_len);

/* --vss-hold (a test option): ms a backup keeps the guest frozen after
 * its copy, before the THAW, so that a test can act on a frozen guest */
extern unsigned int vss_hold_ms;

/* services */
extern const struct ic_service ic_heartbeat;
extern const struct ic_service ic_shutdown;
extern const struct ic_service ic_timesync;
extern const struct ic_service ic_kvp;
extern const struct ic_service ic_fcopy;
extern const struct ic_service ic_vss;

#endif
