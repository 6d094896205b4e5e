/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ACPI tables for an enl-host VM: RSDP, XSDT, FADT (hardware-reduced),
 * MADT and a DSDT with COM1, \_S5 and the VMBus device.
 */
#ifndef ENL_VMM_ACPI_H
#define ENL_VMM_ACPI_H

#include <stddef.h>
#include <stdint.h>

struct acpi_cfg {
	unsigned int ncpus;	/* local APIC ids and processor uids 0..ncpus-1 */
};

/*
 * Build the tables into buf, which the guest will see at guest physical
 * address gpa (buf holds size bytes).  Returns the GPA of the RSDP, or 0 if
 * the tables do not fit or cfg is invalid (ncpus 0 or > 255).
 */
uint64_t acpi_build(void *buf, size_t size, uint64_t gpa,
		    const struct acpi_cfg *cfg);

/* Sum of len bytes modulo 256; a valid ACPI table sums to 0. */
uint8_t acpi_checksum(const void *p, size_t len);

#endif
