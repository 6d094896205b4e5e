/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libvsp internals, shared by its files and by the unit tests (which drive
 * the GPADL code directly).  Not for daemons.
 */
#ifndef ENL_LIBVSP_INTERNAL_H
#define ENL_LIBVSP_INTERNAL_H

#include "vsp.h"

#define VSP_PAGE_SIZE	4096u
#define VSP_PAGE_SHIFT	12

/* Guest RAM as WELCOME described it, mapped whole. */
struct vsp_ram {
	int fd;			/* the memfd, -1 if none */
	u64 size;		/* bytes of the memfd we may use */
	u64 lowmem_size;
	u64 highmem_gpa;
	u8 *base;		/* MAP_SHARED mapping of [0, size) */
};

/* A GPADL being received (parts) or complete, maybe mapped. */
struct vsp_gpadl_map {
	struct vsp_gpadl_map *next;
	u32 relid;
	u32 id;
	u32 total_pages;
	u32 received;		/* pages received so far, in order */
	u32 byte_offset;
	u32 byte_count;
	u64 *pfn;		/* total_pages entries */
	void *va;		/* contiguous mapping, or NULL */
	size_t map_len;
	int users;		/* open channels using it as their ring */
};

struct vsp_chan {
	struct vsp_chan *next;
	struct vsp *v;
	const struct vsp_chan_ops *ops;
	void *priv;
	u32 cookie;
	u32 relid;
	u32 connection_id;
	bool have_relid;	/* OFFER_RESULT received with status 0 */
	bool open;		/* rings usable */
	bool rescinded;
	bool warned_sief;
	bool close_pending;	/* failed: on_close still to be called */
	bool offer_done;	/* OFFER_RESULT arrived */
	u32 offer_status;
	struct vsp_channel_open open_msg;
	struct vsp_gpadl_map *ring_gpadl;
	struct enl_ring in;	/* guest -> host: we read */
	struct enl_ring out;	/* host -> guest: we write */
	int kick_fd;
	int call_fd;
	u64 sief_gpa;
	u64 timer_due_ms;	/* 0: not armed */
};

struct vsp {
	int fd;
	int stop_fd;		/* eventfd: vsp_stop() */
	char name[VSP_NAME_LEN];
	struct vsp_vm_info vm;
	struct vsp_ram ram;
	struct vsp_chan *chans;
	struct vsp_gpadl_map *gpadls;
	u32 next_cookie;
	bool hung_up;
	volatile int stopping;
	u8 *msgbuf;		/* VSP_MSG_MAX bytes */
};

/* ---- guest RAM and GPADLs (gpadl.c) ------------------------------------- */

/* Check WELCOME's numbers against the memfd size; 0 or -EPROTO. */
int vsp_ram_setup(struct vsp_ram *ram, int fd, u64 fd_size, u64 ram_size,
		  u64 lowmem_size, u64 highmem_gpa);
void vsp_ram_unmap(struct vsp_ram *ram);
/* memfd offset of [gpa, gpa + len): 0 or -ERANGE (not RAM, or crosses
 * the end of the low or high piece). */
int vsp_ram_offset(const struct vsp_ram *ram, u64 gpa, u64 len, u64 *off);
/* Map pfns[0..n) back to back at one new address: 0 or -errno. */
int vsp_ram_map_pfns(const struct vsp_ram *ram, const u64 *pfn, u32 n,
		     void **va);

/*
 * Feed one VSP_GPADL message (already length-checked: count pfns follow).
 * Returns 1 when the GPADL is complete, 0 when more parts are expected,
 * -EPROTO if this part is inconsistent (the partial GPADL is dropped).
 */
int vsp_gpadl_part(struct vsp_gpadl_map **list, const struct vsp_gpadl *msg,
		   const u64 *pfn, u64 max_pages);
struct vsp_gpadl_map *vsp_gpadl_find(struct vsp_gpadl_map *list, u32 relid, u32 id);
/* Map a complete GPADL (no-op if mapped); 0 or -errno. */
int vsp_gpadl_mmap(const struct vsp_ram *ram, struct vsp_gpadl_map *g);
/* Unlink, unmap and free. */
void vsp_gpadl_drop(struct vsp_gpadl_map **list, struct vsp_gpadl_map *g);

/* Largest GPADL accepted, in pages (1 GiB). */
#define VSP_GPADL_MAX_PAGES	(1u << 18)

/* ---- messages (conn.c) ------------------------------------------------- */

int vsp_send_msg(struct vsp *v, const void *msg, u32 len);
/* Receive one message into v->msgbuf; fds in fds[] (-1 if absent).
 * Returns length, 0 on hang-up, -errno. */
int vsp_recv_msg(int fd, void *buf, u32 buf_len, int *fds, int *nfds);

/* ---- channels (chan.c) ------------------------------------------------- */

void vsp_chan_handle_open(struct vsp *v, const struct vsp_channel_open *m,
			  int kick_fd, int call_fd);
/* Stop using the channel; tell the daemon (on_close) if it was open. */
void vsp_chan_shutdown(struct vsp_chan *ch);
/* The ring is corrupt: stop using it now, on_close from the loop. */
void vsp_chan_fail(struct vsp_chan *ch, const char *why);
/* Run what vsp_chan_fail() deferred. */
void vsp_chan_reap(struct vsp *v);
struct vsp_chan *vsp_chan_by_relid(struct vsp *v, u32 relid);

#endif
