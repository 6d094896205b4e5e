/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * enl_storvsc: the synthetic SCSI controller (VSTOR) as a SCSI low-level
 * driver on enl_vmbus.
 *
 *   init.c   the VSTOR handshake on the primary channel (versions,
 *            properties) and the subchannel request
 *   io.c     the data path: queuecommand, the channel callback, the
 *            completion -> midlayer mapping, abort and host reset
 *   main.c   the VMBus driver: probe, remove, the SCSI host, rescans
 *
 * One blk-mq hardware queue per channel: queue 0 sends on the primary,
 * queue i on subchannel i once the host has offered it (on the primary
 * until then).  Each command carries its own 64-byte VSTOR packet and PFN
 * list in the midlayer's per-command area, and is known to the host by a
 * transaction id from enl_vmbus_request_add() on the channel it went out
 * on: a completion is only accepted on that channel, with that id, once.
 */
#ifndef ENL_STORVSC_H
#define ENL_STORVSC_H

#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <enl/vstor.h>
#include "enl_vmbus.h"

struct Scsi_Host;
struct scsi_cmnd;

/*
 * Ring size per direction, header page included.  Twice the stock
 * driver's 128 KiB: a 256 KiB request needs a 616-byte packet, and the
 * outbound ring bounds how many can be queued per channel.
 */
#define ENL_STORVSC_RING		(256 * 1024)

/* The largest transfer we accept from the host's properties. */
#define ENL_STORVSC_MAX_XFER		(1024 * 1024)
#define ENL_STORVSC_MAX_PFNS		(ENL_STORVSC_MAX_XFER / 4096 + 1)

/* Primary + subchannels; the stock driver asks for at most CPUs - 1. */
#define ENL_STORVSC_MAX_CHANNELS	16

/* The host's answer to one init step, as long as the stock driver waits. */
#define ENL_STORVSC_INIT_TIMEOUT	(180 * HZ)
/* RESET_BUS: how long the host has to answer it. */
#define ENL_STORVSC_RESET_TIMEOUT	(30 * HZ)
/* How long the error handler waits for outstanding commands. */
#define ENL_STORVSC_ABORT_WAIT		(30 * HZ)
#define ENL_STORVSC_DRAIN_WAIT		(120 * HZ)
/* Block-layer timeout of a command, as the stock driver sets it. */
#define ENL_STORVSC_CMD_TIMEOUT		(180 * HZ)

/* Inbound packet buffer, see struct enl_storvsc_chan. */
#define ENL_STORVSC_PKT_BUF		256

/* Sense bytes the host may return (Win8 and later). */
#define ENL_STORVSC_SENSE		ENL_VSTOR_SENSE_SIZE

struct enl_storvsc;

/* One open channel. */
struct enl_storvsc_chan {
	struct enl_storvsc *h;
	struct enl_vmbus_channel *ch;
	u16 index;			/* 0 = primary */
	bool dead;			/* failed or rescinded: no completion comes */
	/*
	 * Completions being handed to the midlayer right now; the error
	 * handler waits for 0 before it reuses a command (io.c).
	 */
	atomic_t completing;
	/*
	 * The channel callback's alone: one packet off the ring.  Larger
	 * than the 80 bytes a well-formed one takes, so that a host padding
	 * its packets gets them checked and refused one by one rather than
	 * the whole channel failed.
	 */
	u8 pkt[ENL_STORVSC_PKT_BUF] __aligned(8);
	unsigned long bad_pkts;		/* callback only */
};

/* Controller state; the midlayer only sees a host in ENL_STORVSC_RUNNING. */
enum enl_storvsc_state {
	ENL_STORVSC_PROBING,	/* handshake: host notices are not acted on */
	ENL_STORVSC_RUNNING,	/* SCSI host added: rescans run */
	ENL_STORVSC_REMOVING,	/* remove started: no new rescan, subchannel */
};

struct enl_storvsc {
	struct enl_vmbus_device *vdev;
	struct Scsi_Host *shost;
	spinlock_t lock;		/* state (written under sc_lock too) */
	enum enl_storvsc_state state;

	/* from the handshake, fixed afterwards */
	u16 version;			/* negotiated VSTOR version */
	u32 max_xfer;			/* bytes per command, multiple of 4096 */
	u16 sc_requested;		/* subchannels asked for */

	/*
	 * chans[0] is the primary; chans[i] is published (release) once
	 * subchannel i is open and read with acquire by queuecommand.  The
	 * array is only cleared after the SCSI host is gone.
	 */
	struct enl_storvsc_chan *chans[ENL_STORVSC_MAX_CHANNELS];
	struct mutex sc_lock;		/* opening subchannels vs remove */

	/* commands sent and not yet given back to the midlayer */
	atomic_t inflight;
	wait_queue_head_t wq;		/* completions wake the error handler */

	struct work_struct rescan_work;	/* ENUMERATE_BUS / REMOVE_DEVICE */
	atomic_t bad_ids;		/* completions for unknown ids */
};

/* State of one command, in its midlayer per-command area. */
enum enl_storvsc_cmd_state {
	ENL_CMD_IDLE,		/* not sent (or given back) */
	ENL_CMD_SENT,		/* the host has it */
	ENL_CMD_DONE,		/* completion taken (or reaped by the error handler) */
};

struct enl_storvsc_cmd {
	struct enl_vstor_packet pkt;	/* request, then the host's reply */
	struct enl_storvsc_chan *chan;	/* the channel it went out on */
	u64 trans_id;
	atomic_t state;			/* enum enl_storvsc_cmd_state */
	u64 pfns[ENL_STORVSC_MAX_PFNS];
};

/* init.c */
int enl_storvsc_handshake(struct enl_storvsc *h);
int enl_storvsc_request_subchannels(struct enl_storvsc *h, u16 count);
int enl_storvsc_reset_bus(struct enl_storvsc *h);

/* io.c */
void enl_storvsc_callback(struct enl_vmbus_channel *ch, void *ctx);
int enl_storvsc_queuecommand(struct Scsi_Host *shost, struct scsi_cmnd *cmd);
int enl_storvsc_eh_abort(struct scsi_cmnd *cmd);
int enl_storvsc_eh_host_reset(struct scsi_cmnd *cmd);
u32 enl_storvsc_max_pkt(u32 max_xfer);
void enl_storvsc_fail_dead(struct enl_storvsc *h);

/* main.c */
void enl_storvsc_notice(struct enl_storvsc *h, u32 op);

#endif
