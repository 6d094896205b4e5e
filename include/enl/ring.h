/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * VMBus ring buffer core, shared by the guest kernel modules and the host
 * daemons (see shared/PROTOCOL.md "Ring buffers").
 *
 * A ring is a 4 KiB header page (indices, interrupt mask, pending send
 * size, feature bits) plus a data area used circularly.  Each ring has one
 * writer and one reader, on opposite sides of the VM boundary: everything
 * read from shared memory is snapshotted once and validated, and a
 * corrupted ring is reported as -EPROTO, never followed out of bounds.
 *
 * The core allocates nothing and does not care how the caller mapped the
 * pages, as long as hdr and data are each virtually contiguous (user space
 * maps the GPADL pages into one range; the kernel vmaps them).
 *
 * Writer:  enl_ring_write() / enl_ring_send(); signal the reader if told so.
 * Reader:  enl_ring_read() packets (private cursor), then enl_ring_commit()
 *          publishes the new read index and says whether to signal the
 *          writer.  After a commit, check again (enl_ring_empty()): a packet
 *          written just before the commit may not have been signalled.
 */
#ifndef ENL_RING_H
#define ENL_RING_H

#include <enl/types.h>
#include <enl/vmbus_packet.h>

#ifdef __KERNEL__
#include <linux/compiler.h>
#include <linux/errno.h>
#include <asm/barrier.h>
#define ENL_RD_ONCE(x)		READ_ONCE(x)
#define ENL_WR_ONCE(x, v)	WRITE_ONCE(x, v)
/*
 * The ring is shared with the host: virt_ barriers, which stay barriers on
 * a !SMP build.  Acquire: the other side's index before the bytes it
 * covers; release: our bytes before the index that hands them over; full:
 * a store of ours before a load of the other side's state (ring.c).
 */
#define ENL_LOAD_ACQUIRE(p)	virt_load_acquire(p)	/* index, then bytes */
#define ENL_STORE_RELEASE(p, v)	virt_store_release(p, v)	/* bytes, then index */
#define ENL_MB()		virt_mb()	/* store, then load */
#else
#include <stdbool.h>
#include <errno.h>
#define ENL_RD_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define ENL_WR_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define ENL_LOAD_ACQUIRE(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define ENL_STORE_RELEASE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define ENL_MB()		__atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

#define ENL_RING_HDR_SIZE		4096
/* feature_bits: bit 0 = the reader honours pending_send_sz */
#define ENL_RING_FEAT_PENDING_SEND_SZ	0x1u

/* The start of the header page; the rest of the page is reserved. */
struct enl_ring_hdr {
	u32 write_index;	/* byte offset into data, written by the writer */
	u32 read_index;		/* byte offset into data, written by the reader */
	u32 interrupt_mask;	/* reader: 1 = do not signal me */
	u32 pending_send_sz;	/* writer: signal me when this much is free */
	u32 reserved1[12];
	u32 feature_bits;
};

ENL_SIZE_ASSERT(struct enl_ring_hdr, 68);
ENL_OFFSET_ASSERT(struct enl_ring_hdr, read_index, 4);
ENL_OFFSET_ASSERT(struct enl_ring_hdr, interrupt_mask, 8);
ENL_OFFSET_ASSERT(struct enl_ring_hdr, pending_send_sz, 12);
ENL_OFFSET_ASSERT(struct enl_ring_hdr, feature_bits, 64);

/* Largest data area the core accepts (indices stay far from u32 wrap). */
#define ENL_RING_MAX_DATA	(1u << 30)
/* enl_ring_send() takes at most this many payload pieces */
#define ENL_RING_MAX_IOV	8

struct enl_ring {
	struct enl_ring_hdr *hdr;
	u8 *data;
	u32 size;		/* data area bytes, multiple of 8 */
	u32 cursor;		/* reader: next packet, not yet published */
	u32 published;		/* reader: read index at the batch start */
	bool in_batch;		/* reader: cursor/published are loaded */
};

struct enl_iov {
	const void *base;
	u32 len;
};

/*
 * View over a ring: hdr = the header page, data = data_size bytes of data
 * area.  Touches no shared memory.  -EINVAL if data_size is 0, not a
 * multiple of 8 or above ENL_RING_MAX_DATA.
 */
int enl_ring_init(struct enl_ring *r, void *hdr, void *data, u32 data_size);

/*
 * Writer: append one packet whose bytes are the concatenation of iov[]
 * (the caller provides the descriptor as the first bytes; its len8 must
 * match), zero-pad it to 8 bytes and add the trailer.  0 on success;
 * -EAGAIN if it does not fit now (free space must stay above zero);
 * -EMSGSIZE if it can never fit; -EPROTO if the shared indices are bad.
 * *signal (may be NULL) is set when the reader must be interrupted.
 */
int enl_ring_write(struct enl_ring *r, const struct enl_iov *iov,
		   unsigned int niov, bool *signal);

/* Writer: build the descriptor (offset8 = 2) in front of iov[] and write. */
int enl_ring_send(struct enl_ring *r, u16 type, u16 flags, u64 trans_id,
		  const struct enl_iov *iov, unsigned int niov, bool *signal);

/*
 * Reader: copy the next packet (descriptor + payload, len8 * 8 bytes, no
 * trailer) into buf and move the private cursor past it.  Returns 1 with
 * *pkt_len set, 0 if the ring is empty, -EMSGSIZE if buf is too small
 * (*pkt_len = bytes needed; the packet stays), -EPROTO if the ring is
 * corrupt.  The descriptor in buf is the validated copy: len8 * 8 ==
 * *pkt_len, 16 <= offset8 * 8 <= *pkt_len.
 */
int enl_ring_read(struct enl_ring *r, void *buf, u32 buf_len, u32 *pkt_len);

/*
 * Reader: publish the cursor as the new read index.  Returns true if the
 * writer must be signalled (it set pending_send_sz, feature bit 0 is on,
 * and this commit made the free space cross it).
 */
bool enl_ring_commit(struct enl_ring *r);

/* Reader: true if no packet is waiting past the cursor (or ring corrupt). */
bool enl_ring_empty(struct enl_ring *r);

/* Reader: ask not to be signalled (busy polling). */
void enl_ring_mask_interrupts(struct enl_ring *r);
/*
 * Reader: ask to be signalled again.  Returns true if data arrived
 * meanwhile: the caller must then read again, since the writer may have
 * seen the mask still set and not signalled.
 */
bool enl_ring_unmask_interrupts(struct enl_ring *r);

/*
 * Writer: ask the reader to signal once more than `bytes` are free (0
 * clears the request).  Returns true if that much is already free (the
 * request is then cleared and the caller retries at once).
 */
bool enl_ring_request_space(struct enl_ring *r, u32 bytes);

/* Bytes a writer could use now (-EPROTO if the indices are bad). */
int enl_ring_free_bytes(struct enl_ring *r);

/* Total ring bytes a packet with this payload length occupies. */
static inline u32 enl_ring_pkt_space(u32 payload_len)
{
	return (u32)sizeof(struct vmbus_pkt_desc) + VMBUS_PKT_ALIGN(payload_len) +
	       VMBUS_PKT_TRAILER_LEN;
}

#endif
