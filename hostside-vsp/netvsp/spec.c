// SPDX-License-Identifier: GPL-2.0-only
/*
 * --nic tap=NAME[,mac=XX:XX:XX:XX:XX:XX]: parsed here for enl-netvsp and,
 * so that a bad value stops the VM before it boots, for enl-host too.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "netvsp.h"

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_mac(const char *s, u8 mac[6])
{
	unsigned int b[6], i;
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6 || strlen(s) != 17)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = (u8)b[i];
	/* a multicast address cannot be a NIC's; all zeros neither */
	if ((mac[0] & 1) || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return -1;
	return 0;
}

void netvsp_default_mac(const char *tap, unsigned int index, u8 mac[6])
{
	u32 h = 2166136261u;
	const char *c;

	for (c = tap; *c; c++)
		h = (h ^ (u8)*c) * 16777619u;
	/* locally administered, unicast: 02:15:5d is Hyper-V's with bit 1 */
	mac[0] = 0x02;
	mac[1] = 0x15;
	mac[2] = 0x5d;
	mac[3] = (u8)(h >> 16);
	mac[4] = (u8)(h >> 8);
	mac[5] = (u8)(h + index);
}

int netvsp_spec_parse(const char *s, struct netvsp_nic_spec *out, char *err,
		      size_t err_len)
{
	char opts[256], *tok, *save;

	memset(out, 0, sizeof(*out));
	if (strlen(s) >= sizeof(opts))
		return fail(err, err_len, "--nic '%s': too long", s);
	strcpy(opts, s);
	for (tok = strtok_r(opts, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strncmp(tok, "tap=", 4)) {
			const char *n = tok + 4, *c;

			if (!*n || strlen(n) >= NETVSP_IFNAMSIZ)
				return fail(err, err_len,
					    "--nic %s: tap name must be 1 to %d characters",
					    s, NETVSP_IFNAMSIZ - 1);
			for (c = n; *c; c++)
				if (*c <= ' ' || *c == '/' || *c == ':' || *c > '~')
					return fail(err, err_len,
						    "--nic %s: '%s' is not an interface name", s, n);
			strcpy(out->tap, n);
		} else if (!strncmp(tok, "mac=", 4)) {
			if (parse_mac(tok + 4, out->mac))
				return fail(err, err_len,
					    "--nic %s: mac '%s' must be a unicast XX:XX:XX:XX:XX:XX",
					    s, tok + 4);
			out->mac_set = true;
		} else {
			return fail(err, err_len, "--nic %s: unknown option '%s' (tap=NAME, mac=XX:..)",
				    s, tok);
		}
	}
	if (!out->tap[0])
		return fail(err, err_len, "--nic '%s': tap=NAME is required", s);
	return 0;
}
