// SPDX-License-Identifier: GPL-2.0-only
/*
 * CMOS RTC.  The time registers are computed from the host clock on every
 * read, so update-in-progress never shows; a guest that sets the clock
 * moves an offset.  Register B is kept in 24-hour mode.
 */
#include "rtc.h"

#include <string.h>

enum {
	RTC_SEC = 0x00, RTC_MIN = 0x02, RTC_HOUR = 0x04, RTC_WDAY = 0x06,
	RTC_MDAY = 0x07, RTC_MON = 0x08, RTC_YEAR = 0x09, RTC_REG_A = 0x0a,
	RTC_REG_B = 0x0b, RTC_REG_C = 0x0c, RTC_REG_D = 0x0d,
	RTC_CENTURY = 0x32,
};

#define REG_B_SET	0x80
#define REG_B_BINARY	0x04
#define REG_B_24H	0x02
#define REG_D_VRT	0x80

static int is_time_reg(unsigned int i)
{
	return i == RTC_SEC || i == RTC_MIN || i == RTC_HOUR ||
	       i == RTC_WDAY || i == RTC_MDAY || i == RTC_MON ||
	       i == RTC_YEAR || i == RTC_CENTURY;
}

static uint8_t to_bcd(unsigned int v)
{
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static unsigned int from_bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t encode(const struct rtc *r, unsigned int v)
{
	return (r->cmos[RTC_REG_B] & REG_B_BINARY) ? (uint8_t)v : to_bcd(v);
}

static unsigned int decode(const struct rtc *r, uint8_t v)
{
	return (r->cmos[RTC_REG_B] & REG_B_BINARY) ? v : from_bcd(v);
}

static void guest_tm(const struct rtc *r, struct tm *tm)
{
	time_t t = r->now(r->opaque) + r->offset;

	gmtime_r(&t, tm);
}

void rtc_init(struct rtc *r, time_t (*now)(void *), void *opaque)
{
	memset(r, 0, sizeof(*r));
	r->now = now;
	r->opaque = opaque;
	r->cmos[RTC_REG_A] = 0x26;	/* 32.768 kHz base, 1024 Hz rate */
	r->cmos[RTC_REG_B] = REG_B_24H;
	r->cmos[RTC_REG_D] = REG_D_VRT;
}

static uint8_t time_reg(const struct rtc *r, unsigned int i)
{
	struct tm tm;

	guest_tm(r, &tm);
	switch (i) {
	case RTC_SEC:
		return encode(r, (unsigned int)tm.tm_sec);
	case RTC_MIN:
		return encode(r, (unsigned int)tm.tm_min);
	case RTC_HOUR:
		return encode(r, (unsigned int)tm.tm_hour);
	case RTC_WDAY:
		return encode(r, (unsigned int)tm.tm_wday + 1);
	case RTC_MDAY:
		return encode(r, (unsigned int)tm.tm_mday);
	case RTC_MON:
		return encode(r, (unsigned int)tm.tm_mon + 1);
	case RTC_YEAR:
		return encode(r, (unsigned int)(tm.tm_year % 100));
	default:
		return encode(r, (unsigned int)((tm.tm_year + 1900) / 100));
	}
}

/* The guest set one field of the clock: keep the others, move the offset. */
static void set_time_reg(struct rtc *r, unsigned int i, uint8_t val)
{
	struct tm tm;
	unsigned int v = decode(r, val);
	time_t t;

	guest_tm(r, &tm);
	switch (i) {
	case RTC_SEC:
		tm.tm_sec = (int)v;
		break;
	case RTC_MIN:
		tm.tm_min = (int)v;
		break;
	case RTC_HOUR:
		tm.tm_hour = (int)v;
		break;
	case RTC_WDAY:
		return;		/* derived from the date */
	case RTC_MDAY:
		tm.tm_mday = (int)v;
		break;
	case RTC_MON:
		tm.tm_mon = (int)v - 1;
		break;
	case RTC_YEAR:
		tm.tm_year = (tm.tm_year + 1900) / 100 * 100 + (int)v - 1900;
		break;
	default:
		tm.tm_year = (int)v * 100 + tm.tm_year % 100 - 1900;
		break;
	}
	t = timegm(&tm);
	if (t != (time_t)-1)
		r->offset = (int64_t)t - (int64_t)r->now(r->opaque);
}

uint8_t rtc_read(struct rtc *r, unsigned int port_off)
{
	unsigned int i = r->index;

	if (port_off == 0)
		return 0xff;	/* the index register is write-only */
	if (is_time_reg(i))
		return time_reg(r, i);
	if (i == RTC_REG_C)
		return 0;	/* no alarm or periodic interrupts */
	return r->cmos[i];
}

void rtc_write(struct rtc *r, unsigned int port_off, uint8_t val)
{
	unsigned int i = r->index;

	if (port_off == 0) {
		r->index = val & 0x7f;	/* bit 7 is the NMI mask */
		return;
	}
	if (is_time_reg(i)) {
		set_time_reg(r, i, val);
		return;
	}
	switch (i) {
	case RTC_REG_A:
		r->cmos[i] = val & 0x7f;	/* UIP is read-only */
		break;
	case RTC_REG_B:
		r->cmos[i] = (val & (REG_B_SET | REG_B_BINARY)) | REG_B_24H;
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break;
	default:
		r->cmos[i] = val;
	}
}
