// SPDX-License-Identifier: GPL-2.0-only
/* libvsp: logging; GUID text form (hostside-vsp/common). */
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

int vsp_guid_parse(const char *s, enl_guid_t *g)
{
	return vspc_guid_parse(s, g);
}

void vsp_guid_format(const enl_guid_t *g, char out[37])
{
	vspc_guid_format(g, out);
}
