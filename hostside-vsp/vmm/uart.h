/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * 16550A UART model.  Pure logic: the caller serialises access and supplies
 * the transmit and interrupt-line callbacks, so unit tests drive it as is.
 */
#ifndef ENL_VMM_UART_H
#define ENL_VMM_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UART_FIFO_SIZE 16

struct uart {
	uint8_t ier, lcr, mcr, lsr, msr, scr, dll, dlm, fcr;
	bool thri_pending;	/* transmitter-empty interrupt latched */
	uint8_t rx[UART_FIFO_SIZE];
	unsigned int rx_head, rx_count;
	int irq_level;
	void (*tx)(void *opaque, uint8_t c);
	void (*set_irq)(void *opaque, int level);
	void *opaque;
};

void uart_init(struct uart *u, void (*tx)(void *, uint8_t),
	       void (*set_irq)(void *, int), void *opaque);
uint8_t uart_read(struct uart *u, unsigned int reg);
void uart_write(struct uart *u, unsigned int reg, uint8_t val);
/* Queue received bytes; returns how many fitted in the FIFO. */
size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len);

#endif
