// SPDX-License-Identifier: GPL-2.0-only
/*
 * Linux 64-bit boot protocol: load a bzImage's protected-mode kernel, the
 * initrd and the command line, fill the zero page (setup header, e820,
 * RSDP), build identity page tables and a flat GDT, and point the BSP at
 * the 64-bit entry.  See Documentation/arch/x86/boot.rst.
 */
#include "vm.h"
#include "acpi.h"
#include "layout.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Offsets in the zero page (struct boot_params) and its setup header. */
#define BP_ACPI_RSDP_ADDR	0x070
#define BP_EXT_RAMDISK_IMAGE	0x0c0
#define BP_EXT_RAMDISK_SIZE	0x0c4
#define BP_EXT_CMD_LINE_PTR	0x0c8
#define BP_E820_ENTRIES		0x1e8
#define BP_HDR			0x1f1	/* setup header starts here */
#define BP_SETUP_SECTS		0x1f1
#define BP_VID_MODE		0x1fa
#define BP_BOOT_FLAG		0x1fe
#define BP_JUMP			0x200
#define BP_HEADER_MAGIC		0x202
#define BP_VERSION		0x206
#define BP_TYPE_OF_LOADER	0x210
#define BP_LOADFLAGS		0x211
#define BP_RAMDISK_IMAGE	0x218
#define BP_RAMDISK_SIZE		0x21c
#define BP_HEAP_END_PTR		0x224
#define BP_CMD_LINE_PTR		0x228
#define BP_INITRD_ADDR_MAX	0x22c
#define BP_KERNEL_ALIGNMENT	0x230
#define BP_RELOCATABLE		0x234
#define BP_XLOADFLAGS		0x236
#define BP_CMDLINE_SIZE		0x238
#define BP_PREF_ADDRESS		0x258
#define BP_INIT_SIZE		0x260
#define BP_E820_TABLE		0x2d0
#define BP_E820_MAX		128

#define LOADED_HIGH		0x01
#define CAN_USE_HEAP		0x80
#define XLF_KERNEL_64		0x01
#define E820_RAM		1
#define E820_RESERVED		2

#define PAGE_SIZE		4096ull

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

static uint8_t *read_file(const char *path, const char *what, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		enl_err("cannot open %s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		enl_err("%s %s is not a regular file", what, path);
		close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		enl_err("out of memory reading %s", path);
		close(fd);
		return NULL;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			enl_err("cannot read %s %s: %s", what, path,
				n ? strerror(errno) : "short read");
			free(buf);
			close(fd);
			return NULL;
		}
		done += (size_t)n;
	}
	close(fd);
	*len = done;
	return buf;
}

static void e820_add(uint8_t *bp, uint64_t addr, uint64_t size, uint32_t type)
{
	uint8_t n = bp[BP_E820_ENTRIES];
	uint8_t *e = bp + BP_E820_TABLE + 20 * n;

	put64(e, addr);
	put64(e + 8, size);
	put32(e + 16, type);
	bp[BP_E820_ENTRIES] = (uint8_t)(n + 1);
}

/* Identity map the low 4 GiB with 2 MiB pages, and a flat 64-bit GDT. */
static void setup_page_tables(struct vm *vm)
{
	uint64_t *pml4 = vm_gpa(vm, ENL_PML4_GPA, PAGE_SIZE);
	uint64_t *pdpt = vm_gpa(vm, ENL_PDPT_GPA, PAGE_SIZE);
	uint64_t *pd = vm_gpa(vm, ENL_PD_GPA, 4 * PAGE_SIZE);
	uint64_t *gdt = vm_gpa(vm, ENL_GDT_GPA, 4 * sizeof(uint64_t));
	unsigned int i;

	memset(pml4, 0, PAGE_SIZE);
	memset(pdpt, 0, PAGE_SIZE);
	pml4[0] = ENL_PDPT_GPA | 0x3;			/* present, writable */
	for (i = 0; i < 4; i++)
		pdpt[i] = (ENL_PD_GPA + i * PAGE_SIZE) | 0x3;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;	/* 2 MiB page */

	gdt[0] = 0;
	gdt[1] = 0;
	gdt[2] = 0x00af9b000000ffffull;	/* 0x10: __BOOT_CS, 64-bit code */
	gdt[3] = 0x00cf93000000ffffull;	/* 0x18: __BOOT_DS, flat data */
}

/* Is this a bzImage we can boot through its 64-bit entry point? */
static int check_header(const uint8_t *img, size_t len, const char *path)
{
	uint16_t version;
	size_t setup_len, hdr_end;

	if (len < 0x1000 || get16(img + BP_BOOT_FLAG) != 0xaa55 ||
	    memcmp(img + BP_HEADER_MAGIC, "HdrS", 4)) {
		enl_err("kernel %s is not a bzImage (no Linux boot header)", path);
		return -1;
	}
	version = get16(img + BP_VERSION);
	if (version < 0x020c || !(img[BP_XLOADFLAGS] & XLF_KERNEL_64)) {
		enl_err("kernel %s is not a bzImage with a 64-bit entry point (boot protocol %u.%02u)",
			path, version >> 8, version & 0xff);
		return -1;
	}
	setup_len = (size_t)((img[BP_SETUP_SECTS] ? img[BP_SETUP_SECTS] : 4) + 1) * 512;
	hdr_end = BP_JUMP + 2 + img[BP_JUMP + 1];
	if (setup_len >= len || hdr_end > setup_len || hdr_end > 0x1000) {
		enl_err("kernel %s is not a bzImage (truncated setup code)", path);
		return -1;
	}
	return 0;
}

/* mov dx, ENL_PORT_RESET; mov al, ENL_RESET_VALUE; out dx, al; hlt; jmp $-1 */
static void setup_reset_vector(struct vm *vm)
{
	const uint8_t stub[] = {
		0xba, ENL_PORT_RESET & 0xff, ENL_PORT_RESET >> 8,
		0xb0, ENL_RESET_VALUE,
		0xee,
		0xf4,
		0xeb, 0xfd,
	};

	memcpy(vm_gpa(vm, ENL_RESET_VECTOR_GPA, sizeof(stub)), stub,
	       sizeof(stub));
}

int boot_check_kernel(const char *path)
{
	size_t len;
	uint8_t *img = read_file(path, "kernel", &len);
	int ret = img ? check_header(img, len, path) : -1;

	free(img);
	return ret;
}

int boot_load(struct vm *vm, const struct vm_config *cfg)
{
	uint8_t *img = NULL, *initrd = NULL, *bp;
	size_t img_len, initrd_len = 0, setup_len, kernel_len, hdr_end;
	uint64_t load, init_size, initrd_max, initrd_gpa = 0, rsdp;
	uint16_t version;
	struct acpi_cfg acpi = { .ncpus = vm->ncpus };
	size_t cmdline_len = strlen(cfg->cmdline);
	uint32_t cmdline_max;
	int ret = -1;

	img = read_file(cfg->kernel, "kernel", &img_len);
	if (!img || check_header(img, img_len, cfg->kernel) < 0)
		goto out;
	version = get16(img + BP_VERSION);
	setup_len = (size_t)((img[BP_SETUP_SECTS] ? img[BP_SETUP_SECTS] : 4) + 1) * 512;
	hdr_end = BP_JUMP + 2 + img[BP_JUMP + 1];
	kernel_len = img_len - setup_len;
	load = version >= 0x020a ? get64(img + BP_PREF_ADDRESS) : ENL_HIGHMEM_START;
	if (load < ENL_HIGHMEM_START || load >= ENL_MMIO_HOLE_START)
		load = ENL_HIGHMEM_START;
	init_size = get32(img + BP_INIT_SIZE);
	if (init_size < kernel_len)
		init_size = kernel_len;
	if (load + init_size > vm->lowmem_size) {
		enl_err("--memory %llu MiB is too little for kernel %s: it needs %llu MiB to unpack; use --memory 256M or more",
			(unsigned long long)(vm->ram_size >> 20), cfg->kernel,
			(unsigned long long)((load + init_size) >> 20) + 1);
		goto out;
	}
	memcpy(vm_gpa(vm, load, kernel_len), img + setup_len, kernel_len);

	cmdline_max = version >= 0x0206 ? get32(img + BP_CMDLINE_SIZE) : 255;
	if (cmdline_len > cmdline_max || cmdline_len >= ENL_CMDLINE_MAX) {
		enl_err("--cmdline is %zu bytes; this kernel takes at most %u",
			cmdline_len, cmdline_max);
		goto out;
	}
	memcpy(vm_gpa(vm, ENL_CMDLINE_GPA, cmdline_len + 1), cfg->cmdline,
	       cmdline_len + 1);

	if (cfg->initrd) {
		initrd = read_file(cfg->initrd, "initrd", &initrd_len);
		if (!initrd)
			goto out;
		initrd_max = get32(img + BP_INITRD_ADDR_MAX);
		if (initrd_max == 0 || initrd_max >= vm->lowmem_size)
			initrd_max = vm->lowmem_size - 1;
		/* Highest page-aligned spot, above the unpacked kernel. */
		if (initrd_max + 1 < load + init_size + PAGE_SIZE ||
		    initrd_len > initrd_max + 1 - load - init_size - PAGE_SIZE) {
			enl_err("--memory %llu MiB is too little for kernel and initrd (%zu MiB); use a larger --memory",
				(unsigned long long)(vm->ram_size >> 20),
				initrd_len >> 20);
			goto out;
		}
		initrd_gpa = (initrd_max + 1 - initrd_len) & ~(PAGE_SIZE - 1);
		memcpy(vm_gpa(vm, initrd_gpa, initrd_len), initrd, initrd_len);
	}

	rsdp = acpi_build(vm_gpa(vm, ENL_ACPI_GPA, ENL_ACPI_SIZE),
			  ENL_ACPI_SIZE, ENL_ACPI_GPA, &acpi);
	if (!rsdp) {
		enl_err("cannot build ACPI tables for %u vCPUs", vm->ncpus);
		goto out;
	}
	setup_reset_vector(vm);

	bp = vm_gpa(vm, ENL_BOOT_PARAMS_GPA, PAGE_SIZE);
	memset(bp, 0, PAGE_SIZE);
	memcpy(bp + BP_HDR, img + BP_HDR, hdr_end - BP_HDR);
	put16(bp + BP_VID_MODE, 0xffff);
	bp[BP_TYPE_OF_LOADER] = 0xff;
	bp[BP_LOADFLAGS] |= LOADED_HIGH | CAN_USE_HEAP;
	put16(bp + BP_HEAP_END_PTR, 0xfe00);
	put32(bp + BP_CMD_LINE_PTR, ENL_CMDLINE_GPA);
	put32(bp + BP_EXT_CMD_LINE_PTR, 0);
	put32(bp + BP_RAMDISK_IMAGE, (uint32_t)initrd_gpa);
	put32(bp + BP_RAMDISK_SIZE, (uint32_t)initrd_len);
	put32(bp + BP_EXT_RAMDISK_IMAGE, (uint32_t)(initrd_gpa >> 32));
	put32(bp + BP_EXT_RAMDISK_SIZE, (uint32_t)((uint64_t)initrd_len >> 32));
	put64(bp + BP_ACPI_RSDP_ADDR, rsdp);

	e820_add(bp, 0, ENL_LOWMEM_END, E820_RAM);
	e820_add(bp, ENL_LOWMEM_END, ENL_HIGHMEM_START - ENL_LOWMEM_END,
		 E820_RESERVED);
	e820_add(bp, ENL_HIGHMEM_START, vm->lowmem_size - ENL_HIGHMEM_START,
		 E820_RAM);
	if (vm->ram_size > vm->lowmem_size)
		e820_add(bp, ENL_MMIO_HOLE_END, vm->ram_size - vm->lowmem_size,
			 E820_RAM);

	setup_page_tables(vm);
	/* 64-bit entry: 0x200 past the start of the protected-mode kernel. */
	if (vcpu_set_boot_regs(&vm->vcpus[0], load + 0x200,
			       ENL_BOOT_PARAMS_GPA) < 0)
		goto out;
	enl_log("kernel at %#llx (%zu bytes, init_size %#llx), initrd at %#llx (%zu bytes)",
		(unsigned long long)load, kernel_len,
		(unsigned long long)init_size, (unsigned long long)initrd_gpa,
		initrd_len);
	ret = 0;
out:
	free(img);
	free(initrd);
	return ret;
}
