// SPDX-License-Identifier: GPL-2.0-only
/*
 * Shared helpers of enl-host and libvsp: guest-RAM layout and GPA
 * translation, GUID text, clock, status keys.
 */
#include "vsp_common.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int vspc_ram_layout_check(const struct vspc_ram_layout *l)
{
	if (l->size == 0 || l->lowmem_size == 0 || l->lowmem_size > l->size ||
	    (l->size | l->lowmem_size | l->highmem_gpa) & (VSPC_PAGE_SIZE - 1))
		return -EINVAL;
	/* With memory above the hole, it must start above low memory and
	 * end below 2^64. */
	if (l->lowmem_size < l->size &&
	    (l->highmem_gpa < l->lowmem_size ||
	     l->highmem_gpa > UINT64_MAX - (l->size - l->lowmem_size)))
		return -EINVAL;
	return 0;
}

int vspc_ram_offset(const struct vspc_ram_layout *l, uint64_t gpa,
		    uint64_t len, uint64_t *off)
{
	uint64_t hi_len;

	if (gpa < l->lowmem_size) {
		if (len > l->lowmem_size - gpa)
			return -ERANGE;
		*off = gpa;
		return 0;
	}
	if (l->lowmem_size >= l->size || gpa < l->highmem_gpa)
		return -ERANGE;
	hi_len = l->size - l->lowmem_size;
	if (gpa - l->highmem_gpa >= hi_len ||
	    len > hi_len - (gpa - l->highmem_gpa))
		return -ERANGE;
	*off = l->lowmem_size + (gpa - l->highmem_gpa);
	return 0;
}

/* Text byte i is wire byte order[i]: the first three fields are
 * little-endian numbers on the wire, the last two plain bytes. */
static const uint8_t guid_order[16] = { 3, 2, 1, 0, 5, 4, 7, 6,
					8, 9, 10, 11, 12, 13, 14, 15 };

void vspc_guid_format(const enl_guid_t *g, char out[VSPC_GUID_STR_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned int i, k = 0;

	for (i = 0; i < 16; i++) {
		uint8_t b = g->b[guid_order[i]];

		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[k++] = '-';
		out[k++] = hex[b >> 4];
		out[k++] = hex[b & 15];
	}
	out[k] = 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int vspc_guid_parse(const char *s, enl_guid_t *g)
{
	enl_guid_t r;
	unsigned int i = 0, k = 0;

	if (strlen(s) != 36)
		return -EINVAL;
	while (i < 36) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i++] != '-')
				return -EINVAL;
			continue;
		}
		hi = hexval(s[i]);
		lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		r.b[guid_order[k++]] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	*g = r;
	return 0;
}

uint64_t vspc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool vspc_status_key_ok(const char key[VSP_KEY_LEN])
{
	unsigned int i;

	for (i = 0; i < VSP_KEY_LEN && key[i]; i++)
		if (!((key[i] >= 'a' && key[i] <= 'z') ||
		      (key[i] >= '0' && key[i] <= '9') || key[i] == '_'))
			return false;
	return i > 0 && i < VSP_KEY_LEN;
}
