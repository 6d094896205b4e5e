// SPDX-License-Identifier: GPL-2.0-only
/*
 * 16550A UART: enough of the chip for Linux's 8250 driver to detect a
 * 16550A (scratch and loopback probes, FIFO identification) and to run a
 * console in both directions, interrupt driven.  Transmission is instant.
 */
#include "uart.h"

#include <string.h>

enum {
	REG_RBR_THR = 0, REG_IER = 1, REG_IIR_FCR = 2, REG_LCR = 3,
	REG_MCR = 4, REG_LSR = 5, REG_MSR = 6, REG_SCR = 7,
};

#define IER_RDI		0x01	/* received data available */
#define IER_THRI	0x02	/* transmitter holding register empty */
#define IER_RLSI	0x04	/* receiver line status */
#define IER_MSI		0x08	/* modem status */

#define IIR_NO_INT	0x01
#define IIR_MSI		0x00
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_RLSI	0x06
#define IIR_FIFO_ON	0xc0

#define FCR_ENABLE	0x01
#define FCR_CLEAR_RX	0x02

#define LCR_DLAB	0x80

#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10

#define LSR_DR		0x01
#define LSR_OE		0x02
#define LSR_BI		0x10
#define LSR_THRE	0x20
#define LSR_TEMT	0x40

#define MSR_DCTS	0x01
#define MSR_DDSR	0x02
#define MSR_TERI	0x04
#define MSR_DDCD	0x08
#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_RI		0x40
#define MSR_DCD		0x80
#define MSR_DELTAS	0x0f

static uint8_t uart_pending(const struct uart *u)
{
	if ((u->ier & IER_RLSI) && (u->lsr & (LSR_OE | LSR_BI)))
		return IIR_RLSI;
	if ((u->ier & IER_RDI) && u->rx_count)
		return IIR_RDI;
	if ((u->ier & IER_THRI) && u->thri_pending)
		return IIR_THRI;
	if ((u->ier & IER_MSI) && (u->msr & MSR_DELTAS))
		return IIR_MSI;
	return IIR_NO_INT;
}

static void uart_update_irq(struct uart *u)
{
	/* OUT2 gates the interrupt line on PC serial ports. */
	int level = uart_pending(u) != IIR_NO_INT && (u->mcr & MCR_OUT2);

	if (level != u->irq_level) {
		u->irq_level = level;
		if (u->set_irq)
			u->set_irq(u->opaque, level);
	}
}

/* Modem status as seen through the loopback wiring or a present cable. */
static uint8_t uart_modem_lines(const struct uart *u)
{
	uint8_t m = 0;

	if (!(u->mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	if (u->mcr & MCR_RTS)
		m |= MSR_CTS;
	if (u->mcr & MCR_DTR)
		m |= MSR_DSR;
	if (u->mcr & MCR_OUT1)
		m |= MSR_RI;
	if (u->mcr & MCR_OUT2)
		m |= MSR_DCD;
	return m;
}

static void uart_update_msr(struct uart *u)
{
	uint8_t lines = uart_modem_lines(u);
	uint8_t changed = (u->msr ^ lines) & 0xf0;
	uint8_t deltas = 0;

	if (changed & MSR_CTS)
		deltas |= MSR_DCTS;
	if (changed & MSR_DSR)
		deltas |= MSR_DDSR;
	if (changed & MSR_DCD)
		deltas |= MSR_DDCD;
	/* TERI: trailing edge of ring indicator only. */
	if ((changed & MSR_RI) && !(lines & MSR_RI))
		deltas |= MSR_TERI;
	u->msr = lines | (u->msr & MSR_DELTAS) | deltas;
}

void uart_init(struct uart *u, void (*tx)(void *, uint8_t),
	       void (*set_irq)(void *, int), void *opaque)
{
	memset(u, 0, sizeof(*u));
	u->lsr = LSR_THRE | LSR_TEMT;
	u->dll = 12;		/* 9600 baud, like a PC after reset */
	u->tx = tx;
	u->set_irq = set_irq;
	u->opaque = opaque;
	u->msr = uart_modem_lines(u);
}

static void uart_push_rx(struct uart *u, uint8_t c)
{
	if (u->rx_count == UART_FIFO_SIZE) {
		u->lsr |= LSR_OE;
		return;
	}
	u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = c;
	u->rx_count++;
	u->lsr |= LSR_DR;
}

static void uart_transmit(struct uart *u, uint8_t c)
{
	if (u->mcr & MCR_LOOP)
		uart_push_rx(u, c);
	else if (u->tx)
		u->tx(u->opaque, c);
	/* The byte left at once: the holding register is empty again. */
	u->lsr |= LSR_THRE | LSR_TEMT;
	u->thri_pending = true;
}

uint8_t uart_read(struct uart *u, unsigned int reg)
{
	uint8_t v = 0xff;

	switch (reg) {
	case REG_RBR_THR:
		if (u->lcr & LCR_DLAB) {
			v = u->dll;
			break;
		}
		v = 0;
		if (u->rx_count) {
			v = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
			u->rx_count--;
		}
		if (!u->rx_count)
			u->lsr &= ~LSR_DR;
		break;
	case REG_IER:
		v = (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
		break;
	case REG_IIR_FCR:
		v = uart_pending(u);
		/* Reading IIR acknowledges a transmitter-empty interrupt. */
		if (v == IIR_THRI)
			u->thri_pending = false;
		if (u->fcr & FCR_ENABLE)
			v |= IIR_FIFO_ON;
		break;
	case REG_LCR:
		v = u->lcr;
		break;
	case REG_MCR:
		v = u->mcr;
		break;
	case REG_LSR:
		v = u->lsr;
		/* Error bits clear on read. */
		u->lsr &= ~(LSR_OE | LSR_BI);
		break;
	case REG_MSR:
		v = u->msr;
		u->msr &= ~MSR_DELTAS;
		break;
	case REG_SCR:
		v = u->scr;
		break;
	}
	uart_update_irq(u);
	return v;
}

void uart_write(struct uart *u, unsigned int reg, uint8_t val)
{
	switch (reg) {
	case REG_RBR_THR:
		if (u->lcr & LCR_DLAB) {
			u->dll = val;
			break;
		}
		uart_transmit(u, val);
		break;
	case REG_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = val;
			break;
		}
		/* Enabling THRI while the holding register is empty fires. */
		if ((val & IER_THRI) && !(u->ier & IER_THRI) &&
		    (u->lsr & LSR_THRE))
			u->thri_pending = true;
		u->ier = val & 0x0f;
		break;
	case REG_IIR_FCR:
		if (val & FCR_CLEAR_RX) {
			u->rx_count = 0;
			u->rx_head = 0;
			u->lsr &= ~LSR_DR;
		}
		/* FCR_CLEAR_TX: nothing is ever queued for transmission. */
		u->fcr = val & 0xc1;
		break;
	case REG_LCR:
		u->lcr = val;
		break;
	case REG_MCR:
		u->mcr = val & 0x1f;
		uart_update_msr(u);
		break;
	case REG_LSR:
	case REG_MSR:
		break;		/* read-only on a 16550A */
	case REG_SCR:
		u->scr = val;
		break;
	}
	uart_update_irq(u);
}

size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	/* In loopback mode the line input is disconnected. */
	if (u->mcr & MCR_LOOP)
		return len;
	while (n < len && u->rx_count < UART_FIFO_SIZE)
		uart_push_rx(u, buf[n++]);
	uart_update_irq(u);
	return n;
}
