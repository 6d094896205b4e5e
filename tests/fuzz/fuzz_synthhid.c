// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the synthetic mouse and keyboard messages
 * (include/enl/synthhid.c), as the guest module parses the host's and
 * enl-hidvsp parses the guest's: pipe and SynthHID sizes past the packet,
 * device infos whose HID descriptor length or report length point past
 * the message, oversized and empty reports, unknown types, keyboard
 * events with any code and flag.  Every pointer a parser returns must lie
 * inside the input; the bytes it covers are read so ASan checks them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <enl/synthhid_msg.h>

static volatile u8 sink;

static void touch(const u8 *base, size_t size, const u8 *p, u32 len)
{
	u32 i;

	if (p < base || p > base + size || len > (size_t)(base + size - p))
		abort();
	for (i = 0; i < len; i++)
		sink ^= p[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct enl_synthhid_devinfo d;
	struct enl_synthhid_msg m;
	u8 *buf, out[2], rebuilt[ENL_SYNTHHID_MAX_PAYLOAD];
	const u8 *r;
	u32 len, v, info, type;
	u16 code;
	bool ok;
	int n;

	if (size > 2 * ENL_SYNTHHID_MAX_PKT)
		return 0;
	/* an exact-size copy: any read past it is an ASan report */
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	if (!enl_synthhid_parse(buf, size, &m)) {
		touch(buf, size, m.body, m.body_len);
		if (m.size > m.body_len)
			abort();
		if (!enl_synthhid_parse_request(&m, &v) && m.body_len < 4)
			abort();
		if (!enl_synthhid_parse_response(&m, &v, &ok) && m.body_len < 5)
			abort();
		if (!enl_synthhid_parse_devinfo(&m, &d)) {
			touch(buf, size, d.rdesc, d.rdesc_len);
			if (d.rdesc_len < ENL_SYNTHHID_MIN_RDESC ||
			    d.rdesc_len > ENL_SYNTHHID_MAX_RDESC)
				abort();
			/* what we accept, we can build again, byte for byte */
			n = enl_synthhid_build_devinfo(rebuilt, sizeof(rebuilt),
						       d.info.vendor, d.info.product,
						       d.info.version, d.rdesc, d.rdesc_len);
			if (n < 0)
				abort();
		}
		if (!enl_synthhid_parse_report(&m, ENL_SYNTHHID_MAX_REPORT, &r, &len)) {
			if (!len || len > ENL_SYNTHHID_MAX_REPORT)
				abort();
			touch(buf, size, r, len);
		}
	}

	if (!enl_synthkbd_type(buf, size, &type)) {
		enl_synthkbd_parse_u32(buf, size, &v);
		if (!enl_synthkbd_parse_event(buf, size, &code, &info)) {
			if (code > 0x7f || (info & ENL_SYNTHKBD_INFO_UNICODE))
				abort();
			n = enl_synthkbd_event_bytes(code, info, out);
			if (n < 1 || n > 2)
				abort();
		}
	}
	free(buf);
	return 0;
}
