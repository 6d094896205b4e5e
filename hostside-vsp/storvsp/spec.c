// SPDX-License-Identifier: GPL-2.0-only
/*
 * --disk PATH[,ro][,lun=N][,serial=S]: parsed here for enl-storvsp and,
 * so that a bad value stops the VM before it boots, for enl-host too.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storvsp.h"

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int storvsp_spec_parse(const char *s, struct storvsp_disk_spec *out,
		       char *err, size_t err_len)
{
	const char *comma = strchr(s, ',');
	size_t plen = comma ? (size_t)(comma - s) : strlen(s);
	char opts[512], *tok, *save;

	memset(out, 0, sizeof(*out));
	out->lun = -1;
	if (!plen)
		return fail(err, err_len, "--disk '%s': no image path", s);
	if (plen >= sizeof(out->path))
		return fail(err, err_len, "--disk: the path is longer than %zu bytes",
			    sizeof(out->path) - 1);
	memcpy(out->path, s, plen);
	if (!comma)
		return 0;
	if (strlen(comma + 1) >= sizeof(opts))
		return fail(err, err_len, "--disk '%s': options too long", s);
	strcpy(opts, comma + 1);
	for (tok = strtok_r(opts, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "ro")) {
			out->ro = true;
		} else if (!strncmp(tok, "lun=", 4)) {
			char *end;
			long v;

			errno = 0;
			v = strtol(tok + 4, &end, 10);
			if (errno || end == tok + 4 || *end || v < 0 ||
			    v >= (long)ENL_VSTOR_MAX_LUNS)
				return fail(err, err_len,
					    "--disk %s: lun '%s' must be a number from 0 to %u",
					    out->path, tok + 4, ENL_VSTOR_MAX_LUNS - 1);
			out->lun = (int)v;
		} else if (!strncmp(tok, "serial=", 7)) {
			const char *c = tok + 7;
			size_t n = strlen(c);

			if (!n || n > STORVSP_SERIAL_MAX)
				return fail(err, err_len,
					    "--disk %s: serial '%s' must be 1 to %d characters",
					    out->path, c, STORVSP_SERIAL_MAX);
			for (; *c; c++)
				if (*c < 0x21 || *c > 0x7E)
					return fail(err, err_len,
						    "--disk %s: serial '%s' must be printable ASCII without spaces",
						    out->path, tok + 7);
			strcpy(out->serial, tok + 7);
		} else {
			return fail(err, err_len,
				    "--disk %s: unknown option '%s' (ro, lun=N, serial=S)",
				    out->path, tok);
		}
	}
	return 0;
}
