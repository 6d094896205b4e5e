// SPDX-License-Identifier: GPL-2.0-only
/*
 * acpi_dump NCPUS DIR: build enl-host's ACPI tables for NCPUS vCPUs and
 * write each one to DIR/<signature>.dat (rsdp, xsdt, facp, apic, dsdt), so
 * that ACPICA's disassembler can check them (tests/unit/acpi_iasl_check.sh).
 * The tables are found by following the pointers, as a guest would.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostside-vsp/vmm/acpi.h"
#include "hostside-vsp/vmm/layout.h"

static uint8_t mem[ENL_ACPI_SIZE];

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Bounds-checked view of a table at guest address gpa. */
static const uint8_t *at(uint64_t gpa, uint64_t len)
{
	if (gpa < ENL_ACPI_GPA || len > ENL_ACPI_SIZE ||
	    gpa - ENL_ACPI_GPA > ENL_ACPI_SIZE - len) {
		fprintf(stderr, "acpi_dump: table at %#llx+%llu outside the buffer\n",
			(unsigned long long)gpa, (unsigned long long)len);
		exit(1);
	}
	return mem + (gpa - ENL_ACPI_GPA);
}

static const uint8_t *table(uint64_t gpa, uint32_t *len)
{
	*len = le32(at(gpa, 36) + 4);
	return at(gpa, *len);
}

static void put(const char *dir, const char *name, const uint8_t *p, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "acpi_dump: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct acpi_cfg cfg;
	const uint8_t *rsdp, *xsdt, *t;
	uint32_t xlen, len;
	uint64_t rsdp_gpa;

	if (argc != 3) {
		fprintf(stderr, "usage: acpi_dump NCPUS DIR\n");
		return 2;
	}
	cfg.ncpus = (unsigned int)strtoul(argv[1], NULL, 0);
	rsdp_gpa = acpi_build(mem, sizeof(mem), ENL_ACPI_GPA, &cfg);
	if (!rsdp_gpa) {
		fprintf(stderr, "acpi_dump: acpi_build failed for %u vCPUs\n", cfg.ncpus);
		return 1;
	}

	rsdp = at(rsdp_gpa, 36);
	put(argv[2], "rsdp", rsdp, 36);
	xsdt = table(le64(rsdp + 24), &xlen);
	put(argv[2], "xsdt", xsdt, xlen);
	for (uint32_t off = 36; off + 8 <= xlen; off += 8) {
		char name[5];

		t = table(le64(xsdt + off), &len);
		for (int i = 0; i < 4; i++)
			name[i] = (char)(t[i] >= 'A' && t[i] <= 'Z' ? t[i] - 'A' + 'a' : t[i]);
		name[4] = 0;
		put(argv[2], name, t, len);
		if (memcmp(t, "FACP", 4) == 0 && len >= 148) {
			const uint8_t *d = table(le64(t + 140), &len);

			put(argv[2], "dsdt", d, len);
		}
	}
	return 0;
}
