/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Synthetic input devices: the mouse (SynthHID, a HID device behind a pipe
 * header) and the keyboard (raw scan-code messages).  Little-endian,
 * packed.  See shared/PROTOCOL-devices.md section 4.
 *
 * Mouse: every inband packet's payload is
 *
 *   pipe header (8 B: type 1 = data, size) | SynthHID header (8 B: type,
 *   size) | body
 *
 * Guest -> host: PROTOCOL_REQUEST {version 2.0}, DEVICE_INFO_ACK.  Host ->
 * guest: PROTOCOL_RESPONSE {version, approved} first, then
 * INITIAL_DEVICE_INFO {dev info, HID descriptor, report descriptor}, then
 * INPUT_REPORTs.  The stock guest sends packets padded to its struct size
 * (6.1: 3 bytes more than 6.12), so sizes come from the size fields, never
 * from the VMBus packet length.
 *
 * Keyboard: no pipe header; u32 type then the body.  Guest: PROTOCOL_REQUEST
 * {version 1.0}; host: PROTOCOL_RESPONSE {status, bit 0 accepted}, then
 * EVENTs carrying scan-code set 1 make codes.
 */
#ifndef ENL_SYNTHHID_MSG_H
#define ENL_SYNTHHID_MSG_H

#include <enl/types.h>

#ifdef __KERNEL__
#include <linux/errno.h>
#else
#include <errno.h>
#include <stdbool.h>
#endif

/* ---- mouse ---------------------------------------------------------- */

#define ENL_SYNTHHID_PIPE_DATA		1u
#define ENL_SYNTHHID_VERSION		0x00020000u	/* 2.0: major << 16 */

enum enl_synthhid_type {
	ENL_SYNTHHID_PROTOCOL_REQUEST = 0,
	ENL_SYNTHHID_PROTOCOL_RESPONSE = 1,
	ENL_SYNTHHID_INITIAL_DEVICE_INFO = 2,
	ENL_SYNTHHID_DEVICE_INFO_ACK = 3,
	ENL_SYNTHHID_INPUT_REPORT = 4,
};

struct enl_synthhid_pipe_hdr {
	u32 type;		/* ENL_SYNTHHID_PIPE_DATA */
	u32 size;		/* bytes after this header */
} __attribute__((packed));
ENL_SIZE_ASSERT(struct enl_synthhid_pipe_hdr, 8);

struct enl_synthhid_hdr {
	u32 type;		/* enum enl_synthhid_type */
	u32 size;		/* bytes after this header (report length) */
} __attribute__((packed));
ENL_SIZE_ASSERT(struct enl_synthhid_hdr, 8);

/* Both headers: where every mouse message body starts in the payload. */
#define ENL_SYNTHHID_BODY_OFF	16u

struct enl_synthhid_protocol_request {
	struct enl_synthhid_hdr hdr;
	u32 version;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct enl_synthhid_protocol_request, 12);

struct enl_synthhid_protocol_response {
	struct enl_synthhid_hdr hdr;
	u32 version;
	u8 approved;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct enl_synthhid_protocol_response, 13);
ENL_OFFSET_ASSERT(struct enl_synthhid_protocol_response, approved, 12);

/*
 * The stock 6.1 guest copies a PROTOCOL_RESPONSE of pipe size + 11 bytes
 * into a 24-byte buffer and ignores (with a WARN) anything bigger: a host
 * must send exactly the 13 bytes above.
 */
#define ENL_SYNTHHID_RESPONSE_PIPE_MAX	13u

struct enl_synthhid_dev_info {
	u32 size;
	u16 vendor;
	u16 product;
	u16 version;
	u16 reserved[11];
} __attribute__((packed));
ENL_SIZE_ASSERT(struct enl_synthhid_dev_info, 32);

/* A HID class descriptor with one subordinate (the report descriptor). */
struct enl_hid_descriptor {
	u8 bLength;		/* >= 9; the report descriptor follows it */
	u8 bDescriptorType;	/* 0x21 */
	u16 bcdHID;
	u8 bCountryCode;
	u8 bNumDescriptors;	/* >= 1 */
	u8 bReportType;		/* 0x22 */
	u16 wReportLength;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct enl_hid_descriptor, 9);
ENL_OFFSET_ASSERT(struct enl_hid_descriptor, wReportLength, 7);

#define ENL_HID_DT_HID		0x21
#define ENL_HID_DT_REPORT	0x22

struct enl_synthhid_device_info {
	struct enl_synthhid_hdr hdr;
	struct enl_synthhid_dev_info info;
	struct enl_hid_descriptor desc;
	/* report descriptor: wReportLength bytes at desc + desc.bLength */
} __attribute__((packed));
ENL_SIZE_ASSERT(struct enl_synthhid_device_info, 49);
ENL_OFFSET_ASSERT(struct enl_synthhid_device_info, desc, 40);

struct enl_synthhid_ack {
	struct enl_synthhid_hdr hdr;
	u8 reserved;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct enl_synthhid_ack, 9);

/*
 * Limits.  The guest reads each packet into a 4 KiB buffer (descriptor
 * included, VMBUS_DEFAULT_MAX_PKT_SIZE): a longer one desynchronises the
 * stock driver's ring.  The HID core refuses report descriptors above
 * 4096 bytes; our reports are tiny, 64 is the most either side accepts.
 */
#define ENL_SYNTHHID_MAX_PKT		4096u
#define ENL_SYNTHHID_MAX_PAYLOAD	(ENL_SYNTHHID_MAX_PKT - 16u)
#define ENL_SYNTHHID_MAX_RDESC		(ENL_SYNTHHID_MAX_PAYLOAD - 16u - 32u - 9u)
#define ENL_SYNTHHID_MAX_REPORT		64u
/* The stock driver patches byte 14 of the report descriptor (0x25->0x29). */
#define ENL_SYNTHHID_MIN_RDESC		15u

/* What Hyper-V's mouse says; hid-hyperv's HID driver matches these. */
#define ENL_SYNTHHID_VENDOR		0x045e
#define ENL_SYNTHHID_PRODUCT		0x0621
#define ENL_SYNTHHID_DEV_VERSION	0x0001

/* ---- keyboard --------------------------------------------------------- */

#define ENL_SYNTHKBD_VERSION		0x00010000u	/* 1.0 */

enum enl_synthkbd_type {
	ENL_SYNTHKBD_PROTOCOL_REQUEST = 1,
	ENL_SYNTHKBD_PROTOCOL_RESPONSE = 2,
	ENL_SYNTHKBD_EVENT = 3,
	ENL_SYNTHKBD_LED_INDICATORS = 4,
};

struct enl_synthkbd_protocol_request {
	u32 type;
	u32 version;
} __attribute__((packed));
ENL_SIZE_ASSERT(struct enl_synthkbd_protocol_request, 8);

#define ENL_SYNTHKBD_ACCEPTED		0x1u

struct enl_synthkbd_protocol_response {
	u32 type;
	u32 status;		/* bit 0: accepted */
} __attribute__((packed));
ENL_SIZE_ASSERT(struct enl_synthkbd_protocol_response, 8);

#define ENL_SYNTHKBD_INFO_UNICODE	0x1u	/* never sent: guests misread it */
#define ENL_SYNTHKBD_INFO_BREAK		0x2u
#define ENL_SYNTHKBD_INFO_E0		0x4u
#define ENL_SYNTHKBD_INFO_E1		0x8u

struct enl_synthkbd_event {
	u32 type;
	u16 make_code;		/* scan-code set 1, without the 0x80 bit */
	u16 reserved;
	u32 info;		/* ENL_SYNTHKBD_INFO_* */
} __attribute__((packed));
ENL_SIZE_ASSERT(struct enl_synthkbd_event, 12);
ENL_OFFSET_ASSERT(struct enl_synthkbd_event, info, 8);

#define ENL_SYNTHKBD_MAX_MSG		256u

/* ---- parsers (include/enl/synthhid.c) --------------------------------- */

/* One mouse message, checked: body lies inside the given buffer. */
struct enl_synthhid_msg {
	u32 type;		/* enum enl_synthhid_type (unchecked) */
	u32 size;		/* SynthHID header size, <= body_len */
	const u8 *body;		/* after both headers */
	u32 body_len;		/* pipe size - 8 */
};

/*
 * Split a mouse payload (after the VMBus descriptor) into its headers and
 * body.  0, -EPROTO (pipe type not data), -EINVAL (too short for the
 * headers) or -EMSGSIZE (a size field reaches past the buffer).
 */
int enl_synthhid_parse(const void *payload, u32 len, struct enl_synthhid_msg *m);

/* PROTOCOL_REQUEST: *version.  0 or -EINVAL (body too short). */
int enl_synthhid_parse_request(const struct enl_synthhid_msg *m, u32 *version);
/* PROTOCOL_RESPONSE: *version, *approved.  0 or -EINVAL. */
int enl_synthhid_parse_response(const struct enl_synthhid_msg *m, u32 *version,
				bool *approved);

/* INITIAL_DEVICE_INFO, checked to the last byte of the report descriptor. */
struct enl_synthhid_devinfo {
	struct enl_synthhid_dev_info info;
	struct enl_hid_descriptor desc;
	const u8 *rdesc;	/* inside the message */
	u32 rdesc_len;		/* 1..ENL_SYNTHHID_MAX_RDESC */
};

/*
 * 0, -EINVAL (too short, bLength < 9, wrong descriptor types, no report
 * descriptor, report descriptor shorter than ENL_SYNTHHID_MIN_RDESC) or
 * -EMSGSIZE (report descriptor past the message or above the limit).
 */
int enl_synthhid_parse_devinfo(const struct enl_synthhid_msg *m,
			       struct enl_synthhid_devinfo *d);

/*
 * INPUT_REPORT: the report is m->body[0 .. size).  0, -EINVAL (empty) or
 * -EMSGSIZE (larger than max).
 */
int enl_synthhid_parse_report(const struct enl_synthhid_msg *m, u32 max,
			      const u8 **report, u32 *len);

/*
 * Build a mouse message of `type` with body[body_len] into buf: both
 * headers + body.  Returns the payload length or -ENOSPC.
 */
int enl_synthhid_build(void *buf, u32 buf_len, u32 type, const void *body,
		       u32 body_len);
/*
 * INITIAL_DEVICE_INFO with the given report descriptor.  Payload length,
 * -ENOSPC or -EINVAL (descriptor empty or above ENL_SYNTHHID_MAX_RDESC).
 */
int enl_synthhid_build_devinfo(void *buf, u32 buf_len, u16 vendor,
			       u16 product, u16 version, const u8 *rdesc,
			       u32 rdesc_len);

/* Keyboard: the message type of payload[len].  0 or -EINVAL (< 4 bytes). */
int enl_synthkbd_type(const void *payload, u32 len, u32 *type);
/* PROTOCOL_REQUEST / PROTOCOL_RESPONSE: the u32 after the type; -EINVAL. */
int enl_synthkbd_parse_u32(const void *payload, u32 len, u32 *val);
/*
 * EVENT: *make_code and *info.  0, -EINVAL (shorter than 12 bytes) or
 * -ERANGE (make code above 0x7f, or the UNICODE flag: not a scan code).
 */
int enl_synthkbd_parse_event(const void *payload, u32 len, u16 *make_code,
			     u32 *info);
/*
 * The bytes an i8042 in translated mode would deliver for an event:
 * [E0|E1] code|0x80-if-break.  Returns how many (1 or 2) in out[2].
 */
unsigned int enl_synthkbd_event_bytes(u16 make_code, u32 info, u8 out[2]);

#endif
