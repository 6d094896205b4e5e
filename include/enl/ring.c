// SPDX-License-Identifier: GPL-2.0-only
/*
 * VMBus ring buffer core; see ring.h for the contract.  Builds in the
 * kernel (__KERNEL__) and in user space.
 *
 * Index arithmetic: indices are byte offsets in [0, size), multiple of 8.
 * The ring is empty when read == write; the writer keeps at least one
 * 8-byte granule free so that a full ring never looks empty.
 */
#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <string.h>
#endif

#include <enl/ring.h>

static bool idx_ok(const struct enl_ring *r, u32 idx)
{
	return idx < r->size && (idx & 7) == 0;
}

/* bytes from rd up to wr (both already validated) */
static u32 used_bytes(const struct enl_ring *r, u32 rd, u32 wr)
{
	return wr >= rd ? wr - rd : r->size - rd + wr;
}

static u32 free_bytes(const struct enl_ring *r, u32 rd, u32 wr)
{
	return r->size - used_bytes(r, rd, wr);
}

static void copy_out(const struct enl_ring *r, u32 off, void *dst, u32 len)
{
	u32 first = r->size - off;

	if (first > len)
		first = len;
	memcpy(dst, r->data + off, first);
	if (len > first)
		memcpy((u8 *)dst + first, r->data, len - first);
}

static void copy_in(struct enl_ring *r, u32 off, const void *src, u32 len)
{
	u32 first = r->size - off;

	if (first > len)
		first = len;
	memcpy(r->data + off, src, first);
	if (len > first)
		memcpy(r->data, (const u8 *)src + first, len - first);
}

static void zero_in(struct enl_ring *r, u32 off, u32 len)
{
	u32 first = r->size - off;

	if (first > len)
		first = len;
	memset(r->data + off, 0, first);
	if (len > first)
		memset(r->data, 0, len - first);
}

static u32 advance(const struct enl_ring *r, u32 idx, u32 len)
{
	/* idx < size <= 2^30 and len <= size: no u32 overflow */
	idx += len;
	return idx >= r->size ? idx - r->size : idx;
}

int enl_ring_init(struct enl_ring *r, void *hdr, void *data, u32 data_size)
{
	if (!hdr || !data || data_size == 0 || (data_size & 7) ||
	    data_size > ENL_RING_MAX_DATA)
		return -EINVAL;
	r->hdr = hdr;
	r->data = data;
	r->size = data_size;
	r->cursor = 0;
	r->published = 0;
	r->in_batch = false;
	return 0;
}

int enl_ring_free_bytes(struct enl_ring *r)
{
	u32 wr = ENL_RD_ONCE(r->hdr->write_index);
	u32 rd = ENL_RD_ONCE(r->hdr->read_index);

	if (!idx_ok(r, wr) || !idx_ok(r, rd))
		return -EPROTO;
	return (int)free_bytes(r, rd, wr);
}

int enl_ring_write(struct enl_ring *r, const struct enl_iov *iov,
		   unsigned int niov, bool *signal)
{
	u64 len = 0;
	u32 wr, rd, total, pos, new_wr;
	vmbus_pkt_trailer_t trailer;
	unsigned int i;

	if (signal)
		*signal = false;
	for (i = 0; i < niov; i++)
		len += iov[i].len;
	if (len < sizeof(struct vmbus_pkt_desc))
		return -EINVAL;
	if (len > VMBUS_PKT_MAX_LEN || VMBUS_PKT_ALIGN(len) + 8 >= r->size)
		return -EMSGSIZE;
	total = (u32)VMBUS_PKT_ALIGN(len) + VMBUS_PKT_TRAILER_LEN;

	/* Our own index, but in shared memory: validate it as well. */
	wr = ENL_RD_ONCE(r->hdr->write_index);
	rd = ENL_LOAD_ACQUIRE(&r->hdr->read_index);
	if (!idx_ok(r, wr) || !idx_ok(r, rd))
		return -EPROTO;
	if (free_bytes(r, rd, wr) <= total)
		return -EAGAIN;

	pos = wr;
	for (i = 0; i < niov; i++) {
		if (!iov[i].len)
			continue;
		copy_in(r, pos, iov[i].base, iov[i].len);
		pos = advance(r, pos, iov[i].len);
	}
	if (VMBUS_PKT_ALIGN(len) != len) {
		zero_in(r, pos, (u32)(VMBUS_PKT_ALIGN(len) - len));
		pos = advance(r, pos, (u32)(VMBUS_PKT_ALIGN(len) - len));
	}
	trailer = (u64)wr << 32;
	copy_in(r, pos, &trailer, sizeof(trailer));
	new_wr = advance(r, wr, total);

	/* Data before index; then the index before looking at the mask. */
	ENL_STORE_RELEASE(&r->hdr->write_index, new_wr);
	ENL_MB();
	if (signal && ENL_RD_ONCE(r->hdr->interrupt_mask) == 0 &&
	    ENL_RD_ONCE(r->hdr->read_index) == wr)
		*signal = true;
	return 0;
}

int enl_ring_send(struct enl_ring *r, u16 type, u16 flags, u64 trans_id,
		  const struct enl_iov *iov, unsigned int niov, bool *signal)
{
	struct enl_iov v[ENL_RING_MAX_IOV + 1];
	struct vmbus_pkt_desc d;
	u64 len = sizeof(d);
	unsigned int i;

	if (signal)
		*signal = false;
	if (niov > ENL_RING_MAX_IOV)
		return -EINVAL;
	for (i = 0; i < niov; i++) {
		len += iov[i].len;
		v[i + 1] = iov[i];
	}
	if (len > VMBUS_PKT_MAX_LEN)
		return -EMSGSIZE;
	d.type = type;
	d.offset8 = sizeof(d) / 8;
	d.len8 = (u16)(VMBUS_PKT_ALIGN(len) / 8);
	d.flags = flags;
	d.trans_id = trans_id;
	v[0].base = &d;
	v[0].len = sizeof(d);
	return enl_ring_write(r, v, niov + 1, signal);
}

/* Load the published read index as the batch start, once per batch. */
static int begin_batch(struct enl_ring *r)
{
	u32 rd;

	if (r->in_batch)
		return 0;
	rd = ENL_RD_ONCE(r->hdr->read_index);
	if (!idx_ok(r, rd))
		return -EPROTO;
	r->cursor = rd;
	r->published = rd;
	r->in_batch = true;
	return 0;
}

int enl_ring_read(struct enl_ring *r, void *buf, u32 buf_len, u32 *pkt_len)
{
	struct vmbus_pkt_desc d;
	u32 wr, avail, len, off;
	int err;

	*pkt_len = 0;
	err = begin_batch(r);
	if (err)
		return err;
	wr = ENL_LOAD_ACQUIRE(&r->hdr->write_index);
	if (!idx_ok(r, wr))
		return -EPROTO;
	avail = used_bytes(r, r->cursor, wr);
	if (avail == 0)
		return 0;
	if (avail < sizeof(d) + VMBUS_PKT_TRAILER_LEN)
		return -EPROTO;

	/* One copy of the descriptor; it is what we validate and return. */
	copy_out(r, r->cursor, &d, sizeof(d));
	len = (u32)d.len8 * 8;
	off = (u32)d.offset8 * 8;
	if (len < sizeof(d) || off < sizeof(d) || off > len ||
	    len + VMBUS_PKT_TRAILER_LEN > avail)
		return -EPROTO;
	*pkt_len = len;
	if (len > buf_len)
		return -EMSGSIZE;
	memcpy(buf, &d, sizeof(d));
	copy_out(r, advance(r, r->cursor, sizeof(d)), (u8 *)buf + sizeof(d),
		 len - (u32)sizeof(d));
	r->cursor = advance(r, r->cursor, len + VMBUS_PKT_TRAILER_LEN);
	return 1;
}

bool enl_ring_commit(struct enl_ring *r)
{
	u32 old, wr, pending, freed, now_free;

	if (!r->in_batch)
		return false;
	old = r->published;
	r->in_batch = false;
	if (r->cursor == old)
		return false;

	/* Reads of the data are done before the writer may reuse it. */
	ENL_STORE_RELEASE(&r->hdr->read_index, r->cursor);
	ENL_MB();

	if (!(ENL_RD_ONCE(r->hdr->feature_bits) & ENL_RING_FEAT_PENDING_SEND_SZ))
		return false;
	pending = ENL_RD_ONCE(r->hdr->pending_send_sz);
	if (pending == 0)
		return false;
	wr = ENL_RD_ONCE(r->hdr->write_index);
	if (!idx_ok(r, wr))
		return false;
	now_free = free_bytes(r, r->cursor, wr);
	if (now_free <= pending)
		return false;	/* still not enough room for the writer */
	freed = used_bytes(r, old, r->cursor);
	/* Signal only if it was not already enough before this commit. */
	return now_free < freed || now_free - freed <= pending;
}

bool enl_ring_empty(struct enl_ring *r)
{
	u32 wr;

	if (begin_batch(r))
		return true;
	wr = ENL_LOAD_ACQUIRE(&r->hdr->write_index);
	if (!idx_ok(r, wr))
		return true;
	return wr == r->cursor;
}

void enl_ring_mask_interrupts(struct enl_ring *r)
{
	ENL_WR_ONCE(r->hdr->interrupt_mask, 1);
	ENL_MB();
}

bool enl_ring_unmask_interrupts(struct enl_ring *r)
{
	ENL_WR_ONCE(r->hdr->interrupt_mask, 0);
	/*
	 * Unmask before looking for data, or a packet written meanwhile is
	 * neither signalled nor seen.
	 */
	ENL_MB();
	return !enl_ring_empty(r);
}

bool enl_ring_request_space(struct enl_ring *r, u32 bytes)
{
	int avail;

	ENL_WR_ONCE(r->hdr->pending_send_sz, bytes);
	if (!bytes)
		return true;
	ENL_MB();
	avail = enl_ring_free_bytes(r);
	if (avail >= 0 && (u32)avail > bytes) {
		ENL_WR_ONCE(r->hdr->pending_send_sz, 0);
		return true;
	}
	return false;
}
