// SPDX-License-Identifier: GPL-2.0-only
/*
 * enl-host's device models as the guest drives them: the 16550A UART
 * through Linux's probe sequence and interrupt-driven transmit/receive,
 * and the CMOS clock's BCD time and offset when the guest sets it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hostside-vsp/vmm/uart.h"
#include "hostside-vsp/vmm/rtc.h"

enum { RBR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5,
       MSR = 6, SCR = 7 };

struct uart_env {
	uint8_t out[64];
	unsigned int nout;
	int level;
	unsigned int edges;
};

static void tx(void *opaque, uint8_t c)
{
	struct uart_env *e = opaque;

	if (e->nout < sizeof(e->out))
		e->out[e->nout++] = c;
}

static void set_irq(void *opaque, int level)
{
	struct uart_env *e = opaque;

	if (level && !e->level)
		e->edges++;
	e->level = level;
}

static void test_uart_probe(void **state)
{
	struct uart u;
	struct uart_env e = { 0 };

	uart_init(&u, tx, set_irq, &e);
	/* Scratch register holds what is written. */
	uart_write(&u, SCR, 0xa5);
	assert_int_equal(uart_read(&u, SCR), 0xa5);
	/* Loopback: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD. */
	uart_write(&u, MCR, 0x10 | 0x0a);
	assert_int_equal(uart_read(&u, MSR) & 0xf0, 0x90);
	uart_write(&u, MCR, 0x10 | 0x05);
	assert_int_equal(uart_read(&u, MSR) & 0xf0, 0x60);
	/* Looped-back bytes come back in, not out. */
	uart_write(&u, RBR, 'x');
	assert_int_equal(e.nout, 0);
	assert_true(uart_read(&u, LSR) & 0x01);
	assert_int_equal(uart_read(&u, RBR), 'x');
	uart_write(&u, MCR, 0);
	/* FIFO enabled shows in IIR bits 6-7 (a 16550A). */
	uart_write(&u, FCR, 0x07);
	assert_int_equal(uart_read(&u, IIR) & 0xc0, 0xc0);
	/* Divisor latch. */
	uart_write(&u, LCR, 0x80);
	uart_write(&u, RBR, 0x01);
	uart_write(&u, IER, 0x00);
	assert_int_equal(uart_read(&u, RBR), 0x01);
	uart_write(&u, LCR, 0x03);
	assert_int_equal(uart_read(&u, LCR), 0x03);
}

static void test_uart_tx_interrupts(void **state)
{
	struct uart u;
	struct uart_env e = { 0 };

	uart_init(&u, tx, set_irq, &e);
	uart_write(&u, MCR, 0x08);		/* OUT2 gates the line */
	/* Enabling THRI while empty raises it at once. */
	uart_write(&u, IER, 0x02);
	assert_int_equal(e.level, 1);
	assert_int_equal(uart_read(&u, IIR) & 0x0f, 0x02);
	/* Reading IIR acknowledged it. */
	assert_int_equal(e.level, 0);
	assert_int_equal(uart_read(&u, IIR) & 0x0f, 0x01);
	/* Each byte written leaves at once and re-arms THRI: a new edge. */
	uart_write(&u, RBR, 'h');
	uart_write(&u, RBR, 'i');
	assert_int_equal(e.nout, 2);
	assert_memory_equal(e.out, "hi", 2);
	assert_int_equal(e.level, 1);
	assert_int_equal(e.edges, 2);
	assert_int_equal(uart_read(&u, LSR) & 0x60, 0x60);
	/* Without OUT2 the line stays low. */
	uart_write(&u, MCR, 0x00);
	assert_int_equal(e.level, 0);
}

static void test_uart_rx(void **state)
{
	struct uart u;
	struct uart_env e = { 0 };
	uint8_t many[40];
	unsigned int i;

	uart_init(&u, tx, set_irq, &e);
	uart_write(&u, MCR, 0x08);
	uart_write(&u, IER, 0x05);		/* RDI + RLSI */
	assert_int_equal(uart_receive(&u, (const uint8_t *)"ab", 2), 2);
	assert_int_equal(e.level, 1);
	assert_int_equal(uart_read(&u, IIR) & 0x0f, 0x04);
	assert_int_equal(uart_read(&u, RBR), 'a');
	assert_int_equal(uart_read(&u, RBR), 'b');
	assert_false(uart_read(&u, LSR) & 0x01);
	assert_int_equal(e.level, 0);
	/* The FIFO takes 16; the caller keeps the rest for later. */
	memset(many, 'z', sizeof(many));
	assert_int_equal(uart_receive(&u, many, sizeof(many)), UART_FIFO_SIZE);
	for (i = 0; i < UART_FIFO_SIZE; i++)
		assert_int_equal(uart_read(&u, RBR), 'z');
	assert_int_equal(uart_read(&u, RBR), 0);	/* empty reads 0 */
	/* FCR clears the receive FIFO. */
	uart_receive(&u, many, 3);
	uart_write(&u, FCR, 0x03);
	assert_false(uart_read(&u, LSR) & 0x01);
	/* Loopback ignores the line input. */
	uart_write(&u, MCR, 0x18);
	assert_int_equal(uart_receive(&u, many, 3), 3);
	assert_false(uart_read(&u, LSR) & 0x01);
}

static time_t fixed_now(void *opaque)
{
	return *(time_t *)opaque;
}

static uint8_t cmos(struct rtc *r, uint8_t idx)
{
	rtc_write(r, 0, idx);
	return rtc_read(r, 1);
}

static void test_rtc(void **state)
{
	time_t now = 1795311330;	/* 2026-11-22 01:35:30 UTC, a Sunday */
	struct rtc r;

	rtc_init(&r, fixed_now, &now);
	assert_int_equal(cmos(&r, 0x0a) & 0x80, 0);	/* never updating */
	assert_int_equal(cmos(&r, 0x0d), 0x80);		/* time valid */
	assert_int_equal(cmos(&r, 0x00), 0x30);		/* BCD seconds */
	assert_int_equal(cmos(&r, 0x02), 0x35);
	assert_int_equal(cmos(&r, 0x04), 0x01);
	assert_int_equal(cmos(&r, 0x06), 0x01);		/* Sunday = 1 */
	assert_int_equal(cmos(&r, 0x07), 0x22);
	assert_int_equal(cmos(&r, 0x08), 0x11);
	assert_int_equal(cmos(&r, 0x09), 0x26);
	assert_int_equal(cmos(&r, 0x32), 0x20);
	/* Binary mode. */
	rtc_write(&r, 0, 0x0b);
	rtc_write(&r, 1, 0x06);
	assert_int_equal(cmos(&r, 0x02), 35);
	/* Setting the hour moves the clock by an hour, nothing else. */
	rtc_write(&r, 0, 0x04);
	rtc_write(&r, 1, 3);
	assert_int_equal(r.offset, 2 * 3600);
	assert_int_equal(cmos(&r, 0x04), 3);
	assert_int_equal(cmos(&r, 0x02), 35);
	now += 60;
	assert_int_equal(cmos(&r, 0x02), 36);
	/* NMI bit of the index is ignored; plain CMOS bytes are storage. */
	rtc_write(&r, 0, 0x80 | 0x40);
	rtc_write(&r, 1, 0x5a);
	assert_int_equal(cmos(&r, 0x40), 0x5a);
	assert_int_equal(rtc_read(&r, 0), 0xff);	/* index is write-only */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uart_probe),
		cmocka_unit_test(test_uart_tx_interrupts),
		cmocka_unit_test(test_uart_rx),
		cmocka_unit_test(test_rtc),
	};

	return cmocka_run_group_tests_name("devices", tests, NULL, NULL);
}
