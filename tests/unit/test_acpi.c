// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of hostside-vsp/vmm/acpi.c.  The tables are parsed here from
 * raw byte offsets of the ACPI 6.0 specification (not with acpi.c's
 * structures), following pointers as a guest does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hostside-vsp/vmm/acpi.h"
#include "hostside-vsp/vmm/layout.h"

extern const unsigned char enl_dsdt_aml[];
extern const size_t enl_dsdt_aml_len;

#define CANARY		0xa5
#define CANARY_LEN	256
#define HDR		36

static uint8_t *mem;	/* ENL_ACPI_SIZE bytes + canary */

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

static int setup(void **state)
{
	mem = malloc(ENL_ACPI_SIZE + CANARY_LEN);
	assert_non_null(mem);
	memset(mem, CANARY, ENL_ACPI_SIZE + CANARY_LEN);
	return 0;
}

static int teardown(void **state)
{
	free(mem);
	mem = NULL;
	return 0;
}

static void check_canary(size_t from)
{
	for (size_t i = from; i < ENL_ACPI_SIZE + CANARY_LEN; i++)
		if (mem[i] != CANARY)
			fail_msg("byte %zu past the buffer was written", i - from);
}

/* A pointer into mem for [gpa, gpa + len), failing the test if outside. */
static const uint8_t *at(uint64_t gpa, uint64_t len)
{
	assert_true(gpa >= ENL_ACPI_GPA);
	assert_true(len <= ENL_ACPI_SIZE);
	assert_true(gpa - ENL_ACPI_GPA <= ENL_ACPI_SIZE - len);
	return mem + (gpa - ENL_ACPI_GPA);
}

/* A whole table at gpa with the given signature: bounds, length, checksum. */
static const uint8_t *table(uint64_t gpa, const char *sig, uint32_t *lenp)
{
	const uint8_t *t = at(gpa, HDR);
	uint32_t len = le32(t + 4);

	assert_memory_equal(t, sig, 4);
	assert_true(len >= HDR);
	t = at(gpa, len);
	assert_int_equal(sum(t, len), 0);
	assert_memory_equal(t + 10, "ENLGHT", 6);
	if (lenp)
		*lenp = len;
	return t;
}

static uint64_t build(unsigned int ncpus)
{
	struct acpi_cfg cfg = { .ncpus = ncpus };
	uint64_t rsdp = acpi_build(mem, ENL_ACPI_SIZE, ENL_ACPI_GPA, &cfg);

	check_canary(ENL_ACPI_SIZE);
	return rsdp;
}

struct tables {
	const uint8_t *rsdp, *xsdt, *fadt, *madt, *dsdt;
	uint32_t xsdt_len, fadt_len, madt_len, dsdt_len;
};

static void find(unsigned int ncpus, struct tables *t)
{
	uint64_t rsdp = build(ncpus);

	memset(t, 0, sizeof(*t));
	assert_int_equal(rsdp, ENL_ACPI_GPA);
	t->rsdp = at(rsdp, 36);
	t->xsdt = table(le64(t->rsdp + 24), "XSDT", &t->xsdt_len);
	assert_int_equal(t->xsdt_len, HDR + 2 * 8);
	t->fadt = table(le64(t->xsdt + HDR), "FACP", &t->fadt_len);
	t->madt = table(le64(t->xsdt + HDR + 8), "APIC", &t->madt_len);
	t->dsdt = table(le64(t->fadt + 140), "DSDT", &t->dsdt_len);
}

static void test_checksum_helper(void **state)
{
	const uint8_t b[] = { 1, 2, 3, 250 };

	assert_int_equal(acpi_checksum(b, 3), 6);
	assert_int_equal(acpi_checksum(b, 4), 0);
	assert_int_equal(acpi_checksum(b, 0), 0);
}

static void test_rsdp(void **state)
{
	struct tables t;

	find(1, &t);
	assert_memory_equal(t.rsdp, "RSD PTR ", 8);
	assert_int_equal(sum(t.rsdp, 20), 0);		/* ACPI 1.0 checksum */
	assert_int_equal(t.rsdp[15], 2);		/* revision */
	assert_int_equal(le32(t.rsdp + 16), 0);		/* no RSDT */
	assert_int_equal(le32(t.rsdp + 20), 36);	/* length */
	assert_int_equal(sum(t.rsdp, 36), 0);		/* extended checksum */
	/* a legacy scan looks at 16-byte boundaries of 0xE0000..0xFFFFF */
	assert_int_equal(ENL_ACPI_GPA % 16, 0);
	assert_true(ENL_ACPI_GPA >= 0xe0000 && ENL_ACPI_GPA < 0x100000);
}

static void test_xsdt(void **state)
{
	struct tables t;

	find(2, &t);
	assert_int_equal(t.xsdt[8], 1);			/* revision */
	assert_int_equal(t.fadt_len, 276);
	assert_int_equal(t.madt_len, 44 + 2 * 8 + 12);
}

static void check_gas_io8(const uint8_t *g, uint16_t port)
{
	assert_int_equal(g[0], 1);			/* SystemIO */
	assert_int_equal(g[1], 8);			/* bit width */
	assert_int_equal(g[2], 0);			/* bit offset */
	assert_int_equal(g[3], 1);			/* byte access */
	assert_int_equal(le64(g + 4), port);
}

static void test_fadt(void **state)
{
	struct tables t;
	const uint8_t *f;
	uint32_t flags;
	uint16_t boot;

	find(2, &t);
	f = t.fadt;
	assert_int_equal(f[8], 6);			/* revision */
	assert_int_equal(f[131], 0);			/* minor: ACPI 6.0 */

	flags = le32(f + 112);
	assert_true(flags & (1u << 20));		/* HW_REDUCED_ACPI */
	assert_true(flags & (1u << 10));		/* RESET_REG_SUP */
	assert_true(flags & (1u << 4));			/* no fixed power button */
	assert_true(flags & (1u << 5));			/* no fixed sleep button */
	assert_false(flags & (1u << 8));		/* no PM timer */

	boot = le16(f + 109);
	assert_false(boot & (1u << 1));			/* no 8042 */
	assert_true(boot & (1u << 2));			/* VGA not present */
	assert_true(boot & (1u << 5));			/* CMOS RTC not present */
	assert_int_equal(f[108], 0);			/* no RTC century */

	/* hardware reduced: no FACS, SCI, SMI, PM1/PM2/PM timer/GPE blocks */
	assert_int_equal(le32(f + 36), 0);
	assert_int_equal(le64(f + 132), 0);
	assert_int_equal(le16(f + 46), 0);
	assert_int_equal(le32(f + 48), 0);
	for (int off = 56; off < 96; off++)
		assert_int_equal(f[off], 0);
	for (int off = 148; off < 244; off++)
		assert_int_equal(f[off], 0);

	/* DSDT: both addresses, equal */
	assert_int_equal(le32(f + 40), le64(f + 140));

	check_gas_io8(f + 116, ENL_PORT_RESET);
	assert_int_equal(f[128], ENL_RESET_VALUE);
	check_gas_io8(f + 244, ENL_PORT_SLEEP_CTL);
	check_gas_io8(f + 256, ENL_PORT_SLEEP_STS);
}

static void check_madt(unsigned int ncpus)
{
	struct tables t;
	const uint8_t *m, *e;
	unsigned int lapics = 0, ioapics = 0;
	uint32_t off;

	find(ncpus, &t);
	m = t.madt;
	assert_int_equal(t.madt_len, 44 + 8 * ncpus + 12);
	assert_int_equal(le32(m + 36), ENL_LAPIC_GPA);
	assert_int_equal(le32(m + 40), 0);		/* no PCAT_COMPAT */

	for (off = 44; off < t.madt_len; off += e[1]) {
		e = m + off;
		assert_true(off + 2 <= t.madt_len);
		assert_true(e[1] >= 2 && off + e[1] <= t.madt_len);
		switch (e[0]) {
		case 0:		/* Processor Local APIC */
			assert_int_equal(e[1], 8);
			assert_int_equal(e[2], lapics);	/* processor uid */
			assert_int_equal(e[3], lapics);	/* APIC id */
			assert_int_equal(le32(e + 4), 1);	/* enabled */
			lapics++;
			break;
		case 1:		/* I/O APIC */
			assert_int_equal(e[1], 12);
			assert_int_equal(e[2], ncpus);	/* I/O APIC id */
			assert_int_equal(e[3], 0);		/* reserved */
			assert_int_equal(le32(e + 4), ENL_IOAPIC_GPA);
			assert_int_equal(le32(e + 8), 0);	/* GSI base */
			ioapics++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u", e[0]);
		}
	}
	assert_int_equal(off, t.madt_len);
	assert_int_equal(lapics, ncpus);
	assert_int_equal(ioapics, 1);
}

static void test_madt_1(void **state)   { check_madt(1); }
static void test_madt_2(void **state)   { check_madt(2); }
static void test_madt_64(void **state)  { check_madt(64); }
static void test_madt_255(void **state) { check_madt(255); }

static const uint8_t *find_bytes(const uint8_t *p, size_t len, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(p + i, s, n) == 0)
			return p + i;
	return NULL;
}

/* Decode one AML integer constant (ZeroOp, OneOp, BytePrefix, WordPrefix). */
static uint64_t aml_int(const uint8_t *p)
{
	switch (p[0]) {
	case 0x00: return 0;
	case 0x01: return 1;
	case 0x0a: return p[1];
	case 0x0b: return le16(p + 1);
	default: fail_msg("not a small AML integer: opcode %#x", p[0]);
	}
	return 0;
}

static void test_dsdt(void **state)
{
	struct tables t;
	const uint8_t *s5;

	find(2, &t);
	/* it is the compiled AML, byte for byte (iasl already checksummed it) */
	assert_int_equal(t.dsdt_len, enl_dsdt_aml_len);
	assert_int_equal(le32(enl_dsdt_aml + 4), enl_dsdt_aml_len);
	assert_memory_equal(t.dsdt, enl_dsdt_aml, enl_dsdt_aml_len);
	assert_int_equal(t.dsdt[8], 2);			/* 64-bit integers */

	assert_non_null(find_bytes(t.dsdt, t.dsdt_len, "VMBUS"));
	assert_non_null(find_bytes(t.dsdt, t.dsdt_len, "COM1"));

	/* NameOp "_S5_" PackageOp PkgLength NumElements SLP_TYPa ... */
	s5 = find_bytes(t.dsdt, t.dsdt_len, "_S5_");
	assert_non_null(s5);
	assert_int_equal(s5[-1], 0x08);			/* NameOp */
	assert_int_equal(s5[4], 0x12);			/* PackageOp */
	assert_int_equal(s5[5] & 0xc0, 0);		/* 1-byte PkgLength */
	assert_true(s5[6] >= 1);			/* NumElements */
	assert_int_equal(aml_int(s5 + 7), ENL_S5_SLP_TYP);
}

static void test_layout(void **state)
{
	struct tables t;
	uint64_t gpas[4];

	find(255, &t);
	gpas[0] = le64(t.rsdp + 24);
	gpas[1] = le64(t.xsdt + HDR);
	gpas[2] = le64(t.xsdt + HDR + 8);
	gpas[3] = le64(t.fadt + 140);
	/* tables are 16-byte aligned, in order, and do not overlap */
	for (int i = 0; i < 4; i++)
		assert_int_equal(gpas[i] % 16, 0);
	assert_true(gpas[0] >= ENL_ACPI_GPA + 36);
	assert_true(gpas[1] >= gpas[0] + t.xsdt_len);
	assert_true(gpas[2] >= gpas[1] + t.fadt_len);
	assert_true(gpas[3] >= gpas[2] + t.madt_len);
	/* everything after the DSDT is zero */
	for (uint64_t i = gpas[3] + t.dsdt_len - ENL_ACPI_GPA; i < ENL_ACPI_SIZE; i++)
		assert_int_equal(mem[i], 0);
}

static size_t needed(unsigned int ncpus)
{
	struct tables t;

	find(ncpus, &t);
	return le64(t.fadt + 140) - ENL_ACPI_GPA + t.dsdt_len;
}

static void test_too_small(void **state)
{
	struct acpi_cfg cfg = { .ncpus = 64 };
	size_t need = needed(64);

	for (size_t size = 0; size <= need; size++) {
		memset(mem, CANARY, ENL_ACPI_SIZE + CANARY_LEN);
		if (size < need) {
			/* refused, and nothing written at all */
			assert_int_equal(acpi_build(mem, size, ENL_ACPI_GPA, &cfg), 0);
			check_canary(0);
		} else {
			assert_int_equal(acpi_build(mem, size, ENL_ACPI_GPA, &cfg),
					 ENL_ACPI_GPA);
			check_canary(size);
		}
	}
}

static void test_bad_args(void **state)
{
	struct acpi_cfg cfg = { .ncpus = 0 };

	assert_int_equal(acpi_build(mem, ENL_ACPI_SIZE, ENL_ACPI_GPA, &cfg), 0);
	cfg.ncpus = 256;
	assert_int_equal(acpi_build(mem, ENL_ACPI_SIZE, ENL_ACPI_GPA, &cfg), 0);
	cfg.ncpus = 100000;
	assert_int_equal(acpi_build(mem, ENL_ACPI_SIZE, ENL_ACPI_GPA, &cfg), 0);
	cfg.ncpus = 1;
	assert_int_equal(acpi_build(mem, ENL_ACPI_SIZE, ENL_ACPI_GPA, NULL), 0);
	assert_int_equal(acpi_build(NULL, ENL_ACPI_SIZE, ENL_ACPI_GPA, &cfg), 0);
	/* the RSDP must be 16-byte aligned */
	assert_int_equal(acpi_build(mem, ENL_ACPI_SIZE, ENL_ACPI_GPA + 8, &cfg), 0);
	/* nothing was written by any of these */
	check_canary(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum_helper),
		cmocka_unit_test_setup_teardown(test_rsdp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xsdt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fadt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_madt_1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_madt_2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_madt_64, setup, teardown),
		cmocka_unit_test_setup_teardown(test_madt_255, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dsdt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
	};

	return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}
