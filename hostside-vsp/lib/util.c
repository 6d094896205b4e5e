// SPDX-License-Identifier: GPL-2.0-only
/* libvsp: GUID text form, logging, clock. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vsp_internal.h"

int vsp_verbose = 1;
static char log_name[VSP_NAME_LEN] = "vsp";

void vsp_set_log_name(const char *name)
{
	snprintf(log_name, sizeof(log_name), "%s", name);
}

void vsp_log(int level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (level > vsp_verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* one write per line: lines of several daemons do not mix */
	fprintf(stderr, "%s: %s\n", log_name, line);
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

/*
 * Text "aabbccdd-eeff-gghh-iijj-kkllmmnnoopp": the first three fields are
 * numbers (stored little-endian on the wire), the last two are bytes in
 * order.
 */
int vsp_guid_parse(const char *s, enl_guid_t *g)
{
	/* byte index in the wire form for each text byte position */
	static const u8 order[16] = { 3, 2, 1, 0, 5, 4, 7, 6,
				      8, 9, 10, 11, 12, 13, 14, 15 };
	int k = 0;

	if (strlen(s) != 36)
		return -EINVAL;
	for (int i = 0; i < 36;) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -EINVAL;
			i++;
			continue;
		}
		hi = hexval(s[i]);
		lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		g->b[order[k++]] = (u8)(hi << 4 | lo);
		i += 2;
	}
	return 0;
}

void vsp_guid_format(const enl_guid_t *g, char out[37])
{
	const u8 *b = g->b;

	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6],
		 b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}
