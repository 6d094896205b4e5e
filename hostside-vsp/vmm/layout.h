/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest physical layout and I/O ports of an enl-host VM.  Single source of
 * truth: the boot code, the ACPI tables (C and ASL: iasl's preprocessor
 * includes this file) and the device models all use these names.
 * Keep it to plain #defines so that iasl can read it.
 */
#ifndef ENL_VMM_LAYOUT_H
#define ENL_VMM_LAYOUT_H

/* Low memory: usable RAM below the EBDA, the rest up to 1 MiB reserved. */
#define ENL_LOWMEM_END		0x9fc00
#define ENL_GDT_GPA		0x00500
#define ENL_BOOT_PARAMS_GPA	0x07000
#define ENL_PML4_GPA		0x09000
#define ENL_PDPT_GPA		0x0a000
#define ENL_PD_GPA		0x0b000	/* 4 pages: identity map of 4 GiB */
#define ENL_CMDLINE_GPA		0x20000
#define ENL_CMDLINE_MAX		0x10000

/* ACPI tables live in the BIOS area, where a legacy RSDP scan finds them. */
#define ENL_ACPI_GPA		0xe0000
#define ENL_ACPI_SIZE		0x10000
/*
 * The real-mode reset vector (F000:FFF0).  Linux reboots through it when
 * its other ways fail or are skipped (a hardware-reduced FADT makes it
 * prefer EFI, and without EFI it falls back to "BIOS"), so a small stub
 * there writes the ACPI reset register, as firmware would reset the machine.
 */
#define ENL_RESET_VECTOR_GPA	0xffff0

#define ENL_HIGHMEM_START	0x100000
/* RAM is split around the 32-bit MMIO hole [3 GiB, 4 GiB). */
#define ENL_MMIO_HOLE_START	0xc0000000
#define ENL_MMIO_HOLE_END	0x100000000

#define ENL_IOAPIC_GPA		0xfec00000
#define ENL_LAPIC_GPA		0xfee00000

/* Hardware-reduced ACPI registers (I/O ports, 8 bits wide). */
#define ENL_PORT_SLEEP_CTL	0x600
#define ENL_PORT_SLEEP_STS	0x601
#define ENL_PORT_RESET		0x602
#define ENL_RESET_VALUE		0x01
/* SLP_TYP of \_S5; the guest writes (SLP_TYP << 2) | SLP_EN (bit 5). */
#define ENL_S5_SLP_TYP		5

#define ENL_COM1_PORT		0x3f8
#define ENL_COM1_IRQ		4
/* IRQ named in the VMBus device's _CRS; x86 guests use vector 0xF3. */
#define ENL_VMBUS_IRQ		5

#endif
