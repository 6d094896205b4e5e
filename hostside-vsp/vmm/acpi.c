// SPDX-License-Identifier: GPL-2.0-only
/*
 * ACPI tables for an enl-host VM.
 *
 * The VM is a hardware-reduced ACPI platform (like other minimal KVM hosts):
 * no PM1 event/control blocks, no PM timer, no GPE blocks, no SCI, no FACS.
 * Power-off goes through the FADT sleep control register, reboot through
 * the FADT reset register, both 8-bit I/O ports handled by enl-host.
 *
 * Buffer layout (offsets from gpa; each table starts 16-byte aligned):
 *
 *   0x000  RSDP  rev 2, 36 bytes; first, so a legacy 0xE0000 scan finds it
 *   0x030  XSDT  52 bytes -> FADT, MADT
 *   0x070  FADT  rev 6, 276 bytes -> DSDT
 *   0x190  MADT  rev 4, 44 + 8 * ncpus + 12 bytes
 *   ...    DSDT  the AML compiled from dsdt.asl
 *   rest   zero (the whole buffer is cleared first)
 *
 * All multi-byte fields are little-endian (htole*), structures are packed
 * and their sizes checked against the ACPI 6.0 specification below.
 */
#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "acpi.h"
#include "layout.h"

/* The DSDT, generated from dsdt.asl by iasl (see vmm.mk). */
extern const unsigned char enl_dsdt_aml[];
extern const size_t enl_dsdt_aml_len;

#define PACKED __attribute__((packed))

#define ACPI_OEM_ID		"ENLGHT"	/* 6 bytes */
#define ACPI_OEM_TABLE_ID	"ENLHOST "	/* 8 bytes */
#define ACPI_OEM_REVISION	1
#define ACPI_CREATOR_ID		"ENLH"		/* 4 bytes */
#define ACPI_CREATOR_REVISION	1

struct acpi_table_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} PACKED;

struct acpi_rsdp {
	char signature[8];		/* "RSD PTR " */
	uint8_t checksum;		/* over the first 20 bytes */
	char oem_id[6];
	uint8_t revision;		/* 2: ACPI 2.0+ */
	uint32_t rsdt_address;		/* 0: no RSDT, XSDT only */
	uint32_t length;		/* 36 */
	uint64_t xsdt_address;
	uint8_t extended_checksum;	/* over all 36 bytes */
	uint8_t reserved[3];
} PACKED;

/* Generic Address Structure */
struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} PACKED;

#define ACPI_GAS_SYSTEM_IO	1
#define ACPI_GAS_ACCESS_BYTE	1

struct acpi_xsdt {
	struct acpi_table_header h;
	uint64_t entry[2];		/* FADT, MADT */
} PACKED;

struct acpi_fadt {
	struct acpi_table_header h;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t fadt_minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	uint64_t hypervisor_vendor_id;
} PACKED;

/* FADT Flags */
#define FADT_F_WBINVD		(1u << 0)
#define FADT_F_PROC_C1		(1u << 2)
#define FADT_F_PWR_BUTTON	(1u << 4)	/* set: no fixed power button */
#define FADT_F_SLP_BUTTON	(1u << 5)	/* set: no fixed sleep button */
#define FADT_F_RESET_REG_SUP	(1u << 10)
#define FADT_F_HW_REDUCED_ACPI	(1u << 20)

/* FADT IAPC_BOOT_ARCH */
#define IAPC_LEGACY_DEVICES	(1u << 0)
#define IAPC_8042		(1u << 1)
#define IAPC_VGA_NOT_PRESENT	(1u << 2)
#define IAPC_MSI_NOT_SUPPORTED	(1u << 3)
#define IAPC_PCIE_ASPM_CONTROLS	(1u << 4)
#define IAPC_CMOS_RTC_NOT_PRESENT (1u << 5)

struct acpi_madt {
	struct acpi_table_header h;
	uint32_t lapic_address;
	uint32_t flags;			/* bit 0: PCAT_COMPAT */
} PACKED;

struct acpi_madt_lapic {
	uint8_t type;			/* 0 */
	uint8_t length;			/* 8 */
	uint8_t processor_uid;
	uint8_t apic_id;
	uint32_t flags;			/* bit 0: enabled */
} PACKED;

struct acpi_madt_ioapic {
	uint8_t type;			/* 1 */
	uint8_t length;			/* 12 */
	uint8_t ioapic_id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
} PACKED;

#define MADT_TYPE_LAPIC		0
#define MADT_TYPE_IOAPIC	1
#define MADT_LAPIC_ENABLED	(1u << 0)

/* Sizes and offsets from the ACPI 6.0 specification. */
_Static_assert(sizeof(struct acpi_table_header) == 36, "header size");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP size");
_Static_assert(offsetof(struct acpi_rsdp, length) == 20, "RSDP v1 part");
_Static_assert(offsetof(struct acpi_rsdp, xsdt_address) == 24, "RSDP XSDT");
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS size");
_Static_assert(sizeof(struct acpi_xsdt) == 36 + 2 * 8, "XSDT size");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT rev 6 size");
_Static_assert(offsetof(struct acpi_fadt, dsdt) == 40, "FADT DSDT");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT IAPC");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT flags");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "FADT RESET_REG");
_Static_assert(offsetof(struct acpi_fadt, reset_value) == 128, "FADT RESET_VALUE");
_Static_assert(offsetof(struct acpi_fadt, fadt_minor_version) == 131, "FADT minor");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT X_DSDT");
_Static_assert(offsetof(struct acpi_fadt, x_gpe1_blk) == 232, "FADT X_GPE1");
_Static_assert(offsetof(struct acpi_fadt, sleep_control_reg) == 244, "FADT SLEEP_CONTROL");
_Static_assert(offsetof(struct acpi_fadt, sleep_status_reg) == 256, "FADT SLEEP_STATUS");
_Static_assert(offsetof(struct acpi_fadt, hypervisor_vendor_id) == 268, "FADT HV id");
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT size");
_Static_assert(sizeof(struct acpi_madt_lapic) == 8, "MADT LAPIC size");
_Static_assert(sizeof(struct acpi_madt_ioapic) == 12, "MADT IOAPIC size");

/* Registers are 8-bit I/O ports; the address fields hold 16-bit ports. */
_Static_assert(ENL_PORT_SLEEP_CTL <= 0xffff && ENL_PORT_SLEEP_STS <= 0xffff &&
	       ENL_PORT_RESET <= 0xffff, "I/O ports");
_Static_assert(ENL_RESET_VALUE <= 0xff, "RESET_VALUE is one byte");
_Static_assert(ENL_S5_SLP_TYP <= 7, "SLP_TYP is 3 bits");
_Static_assert((ENL_ACPI_GPA & 15) == 0, "RSDP must be 16-byte aligned");

#define ACPI_MAX_CPUS	255	/* xAPIC ids 0..254; 0xff is broadcast */
#define ACPI_ALIGN	16

uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return sum;
}

static size_t align_up(size_t x)
{
	return (x + ACPI_ALIGN - 1) & ~(size_t)(ACPI_ALIGN - 1);
}

static void fill_header(struct acpi_table_header *h, const char sig[4],
			uint32_t length, uint8_t revision)
{
	memcpy(h->signature, sig, 4);
	h->length = htole32(length);
	h->revision = revision;
	h->checksum = 0;
	memcpy(h->oem_id, ACPI_OEM_ID, 6);
	memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, 8);
	h->oem_revision = htole32(ACPI_OEM_REVISION);
	memcpy(h->creator_id, ACPI_CREATOR_ID, 4);
	h->creator_revision = htole32(ACPI_CREATOR_REVISION);
}

/* Set the checksum byte (offset 9 of a table header) so the table sums to 0. */
static void seal(void *table, size_t len)
{
	struct acpi_table_header *h = table;

	h->checksum = 0;
	h->checksum = (uint8_t)(0 - acpi_checksum(table, len));
}

static struct acpi_gas io8(uint16_t port)
{
	struct acpi_gas g = {
		.space_id = ACPI_GAS_SYSTEM_IO,
		.bit_width = 8,
		.bit_offset = 0,
		.access_size = ACPI_GAS_ACCESS_BYTE,
		.address = htole64(port),
	};
	return g;
}

static void build_fadt(struct acpi_fadt *f, uint64_t dsdt_gpa)
{
	fill_header(&f->h, "FACP", sizeof(*f), 6);
	f->fadt_minor_version = 0;	/* ACPI 6.0 */

	/*
	 * Hardware-reduced: no FACS (firmware_ctrl 0, allowed when
	 * HW_REDUCED_ACPI is set), no SCI (sci_int 0; Linux skips SCI set-up
	 * on reduced hardware), no SMI_CMD (the OS finds ACPI already enabled),
	 * and every PM1/PM2/PM timer/GPE block and length zero.
	 */
	f->dsdt = htole32(dsdt_gpa <= UINT32_MAX ? (uint32_t)dsdt_gpa : 0);
	f->x_dsdt = htole64(dsdt_gpa);

	/* C2/C3 latencies above 100/1000 us mean "not supported". */
	f->p_lvl2_lat = htole16(101);
	f->p_lvl3_lat = htole16(1001);

	/*
	 * IA-PC boot architecture:
	 * - LEGACY_DEVICES: COM1 is an ISA-style device (port 0x3f8, ISA IRQ 4)
	 *   the OS must load a driver for.  (Linux x86 only uses this bit to
	 *   keep the 32-bit PnP BIOS probe; harmless.)
	 * - 8042 clear: there is no keyboard controller at 0x60/0x64; Linux
	 *   then skips the i8042 probe.
	 * - VGA_NOT_PRESENT: no VGA; Linux must not poke the legacy VGA range.
	 * - CMOS_RTC_NOT_PRESENT: no CMOS RTC is described to the OS, so Linux
	 *   does not register the rtc_cmos fallback platform device (its IRQ 8
	 *   has no routing on a reduced-hardware platform).  CENTURY stays 0.
	 * - MSI_NOT_SUPPORTED / PCIE_ASPM_CONTROLS clear: no PCI at all, so
	 *   nothing to forbid.
	 */
	f->iapc_boot_arch = htole16(IAPC_LEGACY_DEVICES | IAPC_VGA_NOT_PRESENT |
				    IAPC_CMOS_RTC_NOT_PRESENT);

	/*
	 * - HW_REDUCED_ACPI: see above; Linux then uses no legacy PIC and no
	 *   PIT/HPET timer set-up (acpi_generic_reduced_hw_init).
	 * - RESET_REG_SUP: reboot by writing RESET_VALUE to RESET_REG.
	 * - PWR_BUTTON / SLP_BUTTON set: no fixed-feature buttons (there are
	 *   no PM1 registers to carry them), so no LNXPWRBN/LNXSLPBN devices.
	 * - WBINVD and PROC_C1: true of any x86 vCPU (WBINVD works, HLT is C1).
	 */
	f->flags = htole32(FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_PWR_BUTTON |
			   FADT_F_SLP_BUTTON | FADT_F_RESET_REG_SUP |
			   FADT_F_HW_REDUCED_ACPI);

	f->reset_reg = io8(ENL_PORT_RESET);
	f->reset_value = ENL_RESET_VALUE;

	/*
	 * Reduced-hardware sleep registers.  Linux offers S5 (power-off) only
	 * when both are present; it writes WAK_STS to the status register and
	 * then (SLP_TYP << 2) | SLP_EN to the control register.
	 */
	f->sleep_control_reg = io8(ENL_PORT_SLEEP_CTL);
	f->sleep_status_reg = io8(ENL_PORT_SLEEP_STS);

	f->hypervisor_vendor_id = 0;	/* optional; the guest finds Hyper-V by CPUID */
	seal(f, sizeof(*f));
}

static size_t madt_size(unsigned int ncpus)
{
	return sizeof(struct acpi_madt) + ncpus * sizeof(struct acpi_madt_lapic) +
	       sizeof(struct acpi_madt_ioapic);
}

static void build_madt(uint8_t *p, unsigned int ncpus)
{
	struct acpi_madt *m = (struct acpi_madt *)p;
	struct acpi_madt_ioapic *io;
	size_t len = madt_size(ncpus);
	size_t off = sizeof(*m);

	fill_header(&m->h, "APIC", len, 4);	/* MADT revision 4: ACPI 6.0 */
	m->lapic_address = htole32(ENL_LAPIC_GPA);
	/*
	 * No PCAT_COMPAT: the guest is not given dual 8259s (a reduced-hardware
	 * Linux guest uses null_legacy_pic regardless).
	 */
	m->flags = 0;

	for (unsigned int i = 0; i < ncpus; i++, off += sizeof(struct acpi_madt_lapic)) {
		struct acpi_madt_lapic *l = (struct acpi_madt_lapic *)(p + off);

		l->type = MADT_TYPE_LAPIC;
		l->length = sizeof(*l);
		l->processor_uid = (uint8_t)i;
		l->apic_id = (uint8_t)i;
		l->flags = htole32(MADT_LAPIC_ENABLED);
	}

	/*
	 * One I/O APIC (KVM's in-kernel one, 24 pins) covering GSIs 0..23.
	 * No interrupt source overrides: every ISA IRQ maps to the GSI of the
	 * same number with the ISA default (edge, active high), which is how
	 * COM1 (IRQ 4, IRQNoFlags in the DSDT) is wired.  The PIT (IRQ 0 ->
	 * GSI 2 on PCs) is not used by a reduced-hardware guest, and there is
	 * no SCI to override.
	 */
	io = (struct acpi_madt_ioapic *)(p + off);
	io->type = MADT_TYPE_IOAPIC;
	io->length = sizeof(*io);
	io->ioapic_id = (uint8_t)ncpus;		/* distinct from every APIC id */
	io->reserved = 0;
	io->address = htole32(ENL_IOAPIC_GPA);
	io->gsi_base = 0;

	seal(m, len);
}

uint64_t acpi_build(void *buf, size_t size, uint64_t gpa,
		    const struct acpi_cfg *cfg)
{
	uint8_t *p = buf;
	size_t rsdp_off, xsdt_off, fadt_off, madt_off, dsdt_off, end;
	struct acpi_rsdp *rsdp;
	struct acpi_xsdt *xsdt;
	uint32_t dsdt_len;

	if (!buf || !cfg || cfg->ncpus == 0 || cfg->ncpus > ACPI_MAX_CPUS)
		return 0;
	if (gpa == 0 || (gpa & (ACPI_ALIGN - 1)))
		return 0;

	/* The generated AML must be a whole table. */
	if (enl_dsdt_aml_len < sizeof(struct acpi_table_header) ||
	    memcmp(enl_dsdt_aml, "DSDT", 4) != 0)
		return 0;
	dsdt_len = (uint32_t)enl_dsdt_aml[4] | (uint32_t)enl_dsdt_aml[5] << 8 |
		   (uint32_t)enl_dsdt_aml[6] << 16 | (uint32_t)enl_dsdt_aml[7] << 24;
	if (dsdt_len != enl_dsdt_aml_len)
		return 0;

	rsdp_off = 0;
	xsdt_off = align_up(rsdp_off + sizeof(struct acpi_rsdp));
	fadt_off = align_up(xsdt_off + sizeof(struct acpi_xsdt));
	madt_off = align_up(fadt_off + sizeof(struct acpi_fadt));
	dsdt_off = align_up(madt_off + madt_size(cfg->ncpus));
	end = dsdt_off + dsdt_len;
	if (end > size)
		return 0;
	/* The tables are addressed by 64-bit GPAs; they must not wrap. */
	if (gpa > UINT64_MAX - size)
		return 0;

	memset(p, 0, size);

	memcpy(p + dsdt_off, enl_dsdt_aml, dsdt_len);
	seal(p + dsdt_off, dsdt_len);

	build_madt(p + madt_off, cfg->ncpus);
	build_fadt((struct acpi_fadt *)(p + fadt_off), gpa + dsdt_off);

	xsdt = (struct acpi_xsdt *)(p + xsdt_off);
	fill_header(&xsdt->h, "XSDT", sizeof(*xsdt), 1);
	xsdt->entry[0] = htole64(gpa + fadt_off);
	xsdt->entry[1] = htole64(gpa + madt_off);
	seal(xsdt, sizeof(*xsdt));

	rsdp = (struct acpi_rsdp *)(p + rsdp_off);
	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, ACPI_OEM_ID, 6);
	rsdp->revision = 2;
	rsdp->rsdt_address = 0;
	rsdp->length = htole32(sizeof(*rsdp));
	rsdp->xsdt_address = htole64(gpa + xsdt_off);
	rsdp->checksum = (uint8_t)(0 - acpi_checksum(rsdp, 20));
	rsdp->extended_checksum = (uint8_t)(0 - acpi_checksum(rsdp, sizeof(*rsdp)));

	return gpa + rsdp_off;
}
