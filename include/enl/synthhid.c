// SPDX-License-Identifier: GPL-2.0-only
/*
 * Synthetic mouse and keyboard messages, both ends.  Pure: no allocation,
 * every read checked against the given length, so the guest module, the
 * daemon, the unit tests and the fuzzer run the same checks.
 */
#ifdef __KERNEL__
#include <linux/string.h>
#else
#include <string.h>
#endif

#include <enl/synthhid_msg.h>

static u32 get_le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static u16 get_le16(const u8 *p)
{
	return (u16)(p[0] | p[1] << 8);
}

int enl_synthhid_parse(const void *payload, u32 len, struct enl_synthhid_msg *m)
{
	const u8 *p = payload;
	u32 pipe_size;

	if (len < ENL_SYNTHHID_BODY_OFF)
		return -EINVAL;
	if (get_le32(p) != ENL_SYNTHHID_PIPE_DATA)
		return -EPROTO;
	pipe_size = get_le32(p + 4);
	/* the packet may be padded beyond the pipe size, never shorter */
	if (pipe_size > len - 8)
		return -EMSGSIZE;
	if (pipe_size < 8)
		return -EINVAL;
	m->type = get_le32(p + 8);
	m->size = get_le32(p + 12);
	m->body = p + ENL_SYNTHHID_BODY_OFF;
	m->body_len = pipe_size - 8;
	if (m->size > m->body_len)
		return -EMSGSIZE;
	return 0;
}

int enl_synthhid_parse_request(const struct enl_synthhid_msg *m, u32 *version)
{
	if (m->body_len < 4)
		return -EINVAL;
	*version = get_le32(m->body);
	return 0;
}

int enl_synthhid_parse_response(const struct enl_synthhid_msg *m, u32 *version,
				bool *approved)
{
	if (m->body_len < 5)
		return -EINVAL;
	*version = get_le32(m->body);
	*approved = m->body[4] != 0;
	return 0;
}

int enl_synthhid_parse_devinfo(const struct enl_synthhid_msg *m,
			       struct enl_synthhid_devinfo *d)
{
	const u32 info_len = sizeof(struct enl_synthhid_dev_info);
	const u8 *hd;
	u32 off;

	if (m->body_len < info_len + sizeof(struct enl_hid_descriptor))
		return -EINVAL;
	memcpy(&d->info, m->body, info_len);
	hd = m->body + info_len;
	d->desc.bLength = hd[0];
	d->desc.bDescriptorType = hd[1];
	d->desc.bcdHID = get_le16(hd + 2);
	d->desc.bCountryCode = hd[4];
	d->desc.bNumDescriptors = hd[5];
	d->desc.bReportType = hd[6];
	d->desc.wReportLength = get_le16(hd + 7);
	if (d->desc.bLength < sizeof(struct enl_hid_descriptor) ||
	    d->desc.bDescriptorType != ENL_HID_DT_HID ||
	    d->desc.bNumDescriptors < 1 ||
	    d->desc.bReportType != ENL_HID_DT_REPORT)
		return -EINVAL;
	if (d->desc.wReportLength < ENL_SYNTHHID_MIN_RDESC)
		return -EINVAL;
	if (d->desc.wReportLength > ENL_SYNTHHID_MAX_RDESC)
		return -EMSGSIZE;
	/* bLength <= 255 and body_len < 4 GiB: no overflow in u32 */
	off = info_len + d->desc.bLength;
	if (off > m->body_len || m->body_len - off < d->desc.wReportLength)
		return -EMSGSIZE;
	d->rdesc = m->body + off;
	d->rdesc_len = d->desc.wReportLength;
	return 0;
}

int enl_synthhid_parse_report(const struct enl_synthhid_msg *m, u32 max,
			      const u8 **report, u32 *len)
{
	if (!m->size)
		return -EINVAL;
	if (m->size > max)
		return -EMSGSIZE;
	*report = m->body;
	*len = m->size;
	return 0;
}

static void put_le32(u8 *p, u32 v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

int enl_synthhid_build(void *buf, u32 buf_len, u32 type, const void *body,
		       u32 body_len)
{
	u8 *p = buf;

	if (buf_len < ENL_SYNTHHID_BODY_OFF ||
	    buf_len - ENL_SYNTHHID_BODY_OFF < body_len ||
	    body_len > ENL_SYNTHHID_MAX_PAYLOAD - ENL_SYNTHHID_BODY_OFF)
		return -ENOSPC;
	put_le32(p, ENL_SYNTHHID_PIPE_DATA);
	put_le32(p + 4, 8 + body_len);
	put_le32(p + 8, type);
	put_le32(p + 12, body_len);
	if (body_len)
		memcpy(p + ENL_SYNTHHID_BODY_OFF, body, body_len);
	return (int)(ENL_SYNTHHID_BODY_OFF + body_len);
}

int enl_synthhid_build_devinfo(void *buf, u32 buf_len, u16 vendor,
			       u16 product, u16 version, const u8 *rdesc,
			       u32 rdesc_len)
{
	const u32 fixed = sizeof(struct enl_synthhid_dev_info) +
			  sizeof(struct enl_hid_descriptor);
	u8 *p = buf, *b;
	u32 body_len;

	if (!rdesc_len || rdesc_len > ENL_SYNTHHID_MAX_RDESC)
		return -EINVAL;
	body_len = fixed + rdesc_len;
	if (buf_len < ENL_SYNTHHID_BODY_OFF ||
	    buf_len - ENL_SYNTHHID_BODY_OFF < body_len)
		return -ENOSPC;
	b = p + ENL_SYNTHHID_BODY_OFF;
	memset(b, 0, fixed);
	put_le32(b, sizeof(struct enl_synthhid_dev_info));
	b[4] = vendor;
	b[5] = vendor >> 8;
	b[6] = product;
	b[7] = product >> 8;
	b[8] = version;
	b[9] = version >> 8;
	b += sizeof(struct enl_synthhid_dev_info);
	b[0] = sizeof(struct enl_hid_descriptor);
	b[1] = ENL_HID_DT_HID;
	b[2] = 0x01;		/* bcdHID 1.01 */
	b[3] = 0x01;
	b[4] = 0;		/* not localised */
	b[5] = 1;
	b[6] = ENL_HID_DT_REPORT;
	b[7] = rdesc_len;
	b[8] = rdesc_len >> 8;
	memcpy(b + sizeof(struct enl_hid_descriptor), rdesc, rdesc_len);
	return enl_synthhid_build(buf, buf_len, ENL_SYNTHHID_INITIAL_DEVICE_INFO,
				  p + ENL_SYNTHHID_BODY_OFF, body_len);
}

int enl_synthkbd_type(const void *payload, u32 len, u32 *type)
{
	if (len < 4)
		return -EINVAL;
	*type = get_le32(payload);
	return 0;
}

int enl_synthkbd_parse_u32(const void *payload, u32 len, u32 *val)
{
	if (len < 8)
		return -EINVAL;
	*val = get_le32((const u8 *)payload + 4);
	return 0;
}

int enl_synthkbd_parse_event(const void *payload, u32 len, u16 *make_code,
			     u32 *info)
{
	const u8 *p = payload;

	if (len < sizeof(struct enl_synthkbd_event))
		return -EINVAL;
	*make_code = get_le16(p + 4);
	*info = get_le32(p + 8);
	/* A code unit in a UNICODE event would be misread as a scan code. */
	if (*make_code > 0x7f || (*info & ENL_SYNTHKBD_INFO_UNICODE))
		return -ERANGE;
	return 0;
}

unsigned int enl_synthkbd_event_bytes(u16 make_code, u32 info, u8 out[2])
{
	unsigned int n = 0;

	if (info & ENL_SYNTHKBD_INFO_E1)
		out[n++] = 0xe1;
	else if (info & ENL_SYNTHKBD_INFO_E0)
		out[n++] = 0xe0;
	out[n++] = (make_code & 0x7f) | (info & ENL_SYNTHKBD_INFO_BREAK ? 0x80 : 0);
	return n;
}
