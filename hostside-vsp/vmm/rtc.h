/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * MC146818 CMOS real-time clock at ports 0x70/0x71: gives the guest its
 * wall-clock time at boot.  Pure logic; the caller serialises access.
 */
#ifndef ENL_VMM_RTC_H
#define ENL_VMM_RTC_H

#include <stdint.h>
#include <time.h>

struct rtc {
	uint8_t index;
	uint8_t cmos[128];
	int64_t offset;			/* guest time - host time, seconds */
	time_t (*now)(void *opaque);	/* host UTC seconds */
	void *opaque;
};

void rtc_init(struct rtc *r, time_t (*now)(void *), void *opaque);
uint8_t rtc_read(struct rtc *r, unsigned int port_off);
void rtc_write(struct rtc *r, unsigned int port_off, uint8_t val);

#endif
