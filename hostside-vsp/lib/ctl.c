// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvsp: the control client (enlctl's request), kept in libvsp's API for
 * daemons and tools that link it; the client itself is hostside-vsp/common's.
 */
#include "vsp_internal.h"

int vsp_ctl_request(const char *path, u32 type, u32 flags, u32 relid,
		    u32 *status, char **text)
{
	return vspc_ctl_request(path, type, flags, relid, status, text);
}
