// SPDX-License-Identifier: GPL-2.0-only
/*
 * Guest RAM and GPADLs: translate guest physical addresses to offsets in
 * the guest-RAM memfd (with bounds checks: a GPA the guest gives us may be
 * anything), reassemble GPADLs sent in parts, and map a GPADL's pages into
 * one contiguous virtual range.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vsp_internal.h"

int vsp_ram_setup(struct vsp_ram *ram, int fd, u64 fd_size, u64 ram_size,
		  u64 lowmem_size, u64 highmem_gpa)
{
	struct vspc_ram_layout l = {
		.size = ram_size, .lowmem_size = lowmem_size,
		.highmem_gpa = lowmem_size < ram_size ? highmem_gpa : 0,
	};

	memset(ram, 0, sizeof(*ram));
	ram->fd = -1;
	if (vspc_ram_layout_check(&l) || ram_size > fd_size ||
	    ram_size > SIZE_MAX)
		return -EPROTO;
	ram->fd = fd;
	ram->l = l;
	return 0;
}

void vsp_ram_unmap(struct vsp_ram *ram)
{
	if (ram->base)
		munmap(ram->base, ram->l.size);
	ram->base = NULL;
}

int vsp_ram_offset(const struct vsp_ram *ram, u64 gpa, u64 len, u64 *off)
{
	return vspc_ram_offset(&ram->l, gpa, len, off);
}

int vsp_ram_map_pfns(const struct vsp_ram *ram, const u64 *pfn, u32 n,
		     void **va)
{
	size_t len = (size_t)n * VSP_PAGE_SIZE;
	u8 *base;
	u32 i, run;
	u64 off, off2;

	if (n == 0 || n > VSP_GPADL_MAX_PAGES || ram->fd < 0)
		return -EINVAL;
	/* Check every page before mapping anything. */
	for (i = 0; i < n; i++)
		if (pfn[i] > (UINT64_MAX >> VSP_PAGE_SHIFT) ||
		    vsp_ram_offset(ram, pfn[i] << VSP_PAGE_SHIFT,
				   VSP_PAGE_SIZE, &off))
			return -ERANGE;

	/* Reserve the range, then put the pages in it (runs of consecutive
	 * memfd pages in one mmap). */
	base = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	for (i = 0; i < n; i += run) {
		vsp_ram_offset(ram, pfn[i] << VSP_PAGE_SHIFT, VSP_PAGE_SIZE, &off);
		for (run = 1; i + run < n; run++) {
			if (vsp_ram_offset(ram, pfn[i + run] << VSP_PAGE_SHIFT,
					   VSP_PAGE_SIZE, &off2) ||
			    off2 != off + (u64)run * VSP_PAGE_SIZE)
				break;
		}
		if (mmap(base + (size_t)i * VSP_PAGE_SIZE,
			 (size_t)run * VSP_PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, ram->fd, (off_t)off) == MAP_FAILED) {
			int err = -errno;

			munmap(base, len);
			return err;
		}
	}
	*va = base;
	return 0;
}

struct vsp_gpadl_map *vsp_gpadl_find(struct vsp_gpadl_map *list, u32 relid, u32 id)
{
	for (; list; list = list->next)
		if (list->relid == relid && list->id == id)
			return list;
	return NULL;
}

static void gpadl_free(struct vsp_gpadl_map *g)
{
	if (g->va)
		munmap(g->va, g->map_len);
	free(g->pfn);
	free(g);
}

void vsp_gpadl_drop(struct vsp_gpadl_map **list, struct vsp_gpadl_map *g)
{
	struct vsp_gpadl_map **pp;

	for (pp = list; *pp; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			gpadl_free(g);
			return;
		}
	}
}

int vsp_gpadl_part(struct vsp_gpadl_map **list, const struct vsp_gpadl *m,
		   const u64 *pfn, u64 max_pages)
{
	struct vsp_gpadl_map *g = vsp_gpadl_find(*list, m->relid, m->gpadl);

	if (m->first == 0) {
		/* A new GPADL.  The same handle again is a protocol error
		 * (enl-host tears a GPADL down before its handle is reused):
		 * a half-received one is dropped, a complete one kept. */
		if (g) {
			if (g->received != g->total_pages)
				vsp_gpadl_drop(list, g);
			return -EPROTO;
		}
		if (m->total_pages == 0 || m->total_pages > VSP_GPADL_MAX_PAGES ||
		    m->total_pages > max_pages || m->count == 0 ||
		    m->count > m->total_pages ||
		    (u64)m->byte_offset + m->byte_count >
		    (u64)m->total_pages * VSP_PAGE_SIZE ||
		    m->byte_offset >= VSP_PAGE_SIZE)
			return -EPROTO;
		g = calloc(1, sizeof(*g));
		if (!g)
			return -ENOMEM;
		g->pfn = calloc(m->total_pages, sizeof(u64));
		if (!g->pfn) {
			free(g);
			return -ENOMEM;
		}
		g->relid = m->relid;
		g->id = m->gpadl;
		g->total_pages = m->total_pages;
		g->byte_offset = m->byte_offset;
		g->byte_count = m->byte_count;
		g->next = *list;
		*list = g;
	} else {
		/* A continuation: same shape, next pages in order. */
		if (!g)
			return -EPROTO;
		if (g->received == g->total_pages ||
		    m->total_pages != g->total_pages ||
		    m->byte_offset != g->byte_offset ||
		    m->byte_count != g->byte_count ||
		    m->first != g->received || m->count == 0 ||
		    m->count > g->total_pages - g->received) {
			if (g->received != g->total_pages)
				vsp_gpadl_drop(list, g);
			return -EPROTO;
		}
	}
	memcpy(g->pfn + g->received, pfn, (size_t)m->count * sizeof(u64));
	g->received += m->count;
	return g->received == g->total_pages ? 1 : 0;
}

int vsp_gpadl_mmap(const struct vsp_ram *ram, struct vsp_gpadl_map *g)
{
	int err;

	if (g->va)
		return 0;
	if (g->received != g->total_pages)
		return -EINVAL;
	err = vsp_ram_map_pfns(ram, g->pfn, g->total_pages, &g->va);
	if (err)
		return err;
	g->map_len = (size_t)g->total_pages * VSP_PAGE_SIZE;
	return 0;
}
