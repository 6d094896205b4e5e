/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * DSDT of an enl-host VM (hardware-reduced ACPI, no PCI).
 *
 * Compiled by iasl at build time (hostside-vsp/vmm/vmm.mk, ACPI block) into a
 * C array that acpi.c copies into guest memory.  Ports and IRQs come from
 * layout.h through iasl's preprocessor, so C and ASL share one definition.
 *
 * Deliberately absent:
 * - Processor / ACPI0007 devices: x86 Linux brings CPUs up from the MADT
 *   alone; namespace processor objects only feed the ACPI processor driver
 *   (_CST, _PSS, hotplug), none of which this VM offers.
 * - A CMOS RTC (PNP0B00): the FADT says "no CMOS RTC", see acpi.c.
 * - _PTS/_WAK etc.: the guest only ever enters S5.
 */
#include "layout.h"

DefinitionBlock ("", "DSDT", 2, "ENLGHT", "ENLHOST ", 0x00000001)
{
    /*
     * S5 (soft off): { SLP_TYPa, SLP_TYPb, reserved, reserved }.  On a
     * hardware-reduced platform OSPM writes (SLP_TYPa << 2) | SLP_EN to the
     * FADT SLEEP_CONTROL_REG; SLP_TYPb has no register and is unused.
     */
    Name (\_S5, Package (0x04)
    {
        ENL_S5_SLP_TYP,
        ENL_S5_SLP_TYP,
        Zero,
        Zero
    })

    Scope (\_SB)
    {
        /* 16550A UART on stdio; Linux's 8250_pnp binds PNP0501. */
        Device (COM1)
        {
            Name (_HID, EisaId ("PNP0501"))
            Name (_UID, One)
            Name (_STA, 0x0F)
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, ENL_COM1_PORT, ENL_COM1_PORT, 0x01, 0x08)
                IRQNoFlags () {ENL_COM1_IRQ}
            })
        }

        /*
         * The VMBus root.  hv_vmbus (and enl_vmbus) match _HID "VMBUS" and
         * fail to probe unless _CRS can be walked; the IRQ is not used on
         * x86 (VMBus interrupts arrive on vector 0xF3 through the SynIC).
         * "VMBUS" is not a valid PNP/ACPI ID, hence iasl -vw 6033.
         */
        Device (VMBS)
        {
            Name (_HID, "VMBUS")
            Name (_UID, Zero)
            Name (_STA, 0x0F)
            Name (_CRS, ResourceTemplate ()
            {
                IRQNoFlags () {ENL_VMBUS_IRQ}
            })
        }
    }
}
