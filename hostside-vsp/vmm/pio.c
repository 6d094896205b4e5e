// SPDX-License-Identifier: GPL-2.0-only
/*
 * Port I/O: COM1, the CMOS RTC, the hardware-reduced ACPI sleep and reset
 * registers, and the legacy reset paths Linux may try (8042 reset pulse,
 * port 0xCF9).  Everything else
 * reads as all-ones (no device) and ignores writes.
 */
#include "vm.h"
#include "layout.h"

#include <stdlib.h>
#include <string.h>

#define PORT_RTC		0x70
#define PORT_I8042_CMD		0x64
#define I8042_CMD_RESET		0xfe
#define PORT_RESET_CONTROL	0xcf9
#define RESET_CONTROL_RST_CPU	0x04
#define SLP_EN			0x20

/*
 * Debugging aid: the first few accesses to each port nothing models.
 * Called with dev_lock held.
 */
static void unknown_port(uint16_t port, bool out, uint8_t v)
{
	static struct { uint16_t port; uint8_t count; } seen[64];
	unsigned int i;

	if (!getenv("ENL_HOST_DEBUG"))
		return;
	for (i = 0; i < 64 && seen[i].count && seen[i].port != port; i++)
		;
	if (i == 64 || seen[i].count >= 3)
		return;
	seen[i].port = port;
	seen[i].count++;
	enl_log("unmodelled port %#x %s %#x", port, out ? "write" : "read",
		out ? v : 0xff);
}

static void sleep_control(struct vm *vm, uint8_t v)
{
	if ((v & SLP_EN) && ((v >> 2) & 7) == ENL_S5_SLP_TYP) {
		enl_log("guest entered S5: powering off");
		vm_stop(vm, ENL_EXIT_POWEROFF);
	}
}

void pio_access(struct vm *vm, uint16_t port, bool out, uint8_t *data,
		unsigned int size)
{
	uint8_t v = out ? data[0] : 0xff;

	pthread_mutex_lock(&vm->dev_lock);
	if (port >= ENL_COM1_PORT && port < ENL_COM1_PORT + 8 && size == 1) {
		if (out)
			uart_write(&vm->com1, port - ENL_COM1_PORT, v);
		else
			v = uart_read(&vm->com1, port - ENL_COM1_PORT);
	} else if ((port == PORT_RTC || port == PORT_RTC + 1) && size == 1) {
		if (out)
			rtc_write(&vm->rtc, port - PORT_RTC, v);
		else
			v = rtc_read(&vm->rtc, port - PORT_RTC);
	} else if (port == ENL_PORT_SLEEP_CTL && out) {
		sleep_control(vm, v);
	} else if (port == ENL_PORT_SLEEP_STS && !out) {
		v = 0;
	} else if (port == PORT_I8042_CMD && !out) {
		/*
		 * No keyboard controller, but its reset pulse is a way Linux
		 * reboots: read "ready" so it does not poll 64K times first.
		 */
		v = 0;
	} else if ((port == ENL_PORT_RESET && out && v == ENL_RESET_VALUE) ||
		   (port == PORT_RESET_CONTROL && out &&
		    (v & RESET_CONTROL_RST_CPU)) ||
		   (port == PORT_I8042_CMD && out && v == I8042_CMD_RESET)) {
		enl_log("guest reset through port %#x", port);
		vm_stop(vm, ENL_EXIT_REBOOT);
	} else {
		unknown_port(port, out, v);
	}
	pthread_mutex_unlock(&vm->dev_lock);

	if (!out) {
		memset(data, 0xff, size);
		data[0] = v;
	}
}
