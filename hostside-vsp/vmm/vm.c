// SPDX-License-Identifier: GPL-2.0-only
/*
 * VM creation: capabilities, guest RAM in a memfd, in-kernel irqchip and PIT,
 * vCPUs and devices.
 */
#include "vm.h"
#include "layout.h"
#include "vsp_server.h"
#include "hostside-vsp/common/vsp_common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

void enl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("enl-host: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void enl_log(const char *fmt, ...)
{
	va_list ap;

	if (!getenv("ENL_HOST_DEBUG"))
		return;
	fputs("enl-host: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define CAP(name, why) { name, #name, why }
static const struct {
	int cap;
	const char *name;
	const char *why;
} required_caps[] = {
	CAP(KVM_CAP_IRQCHIP, "in-kernel interrupt controller"),
	CAP(KVM_CAP_USER_MEMORY, "user memory regions"),
	CAP(KVM_CAP_SET_TSS_ADDR, "TSS address"),
	CAP(KVM_CAP_PIT2, "in-kernel PIT"),
	CAP(KVM_CAP_IRQ_ROUTING, "interrupt routing"),
	CAP(KVM_CAP_IRQFD, "irqfd"),
	CAP(KVM_CAP_IRQFD_RESAMPLE, "irqfd resample (SynIC end of message)"),
	CAP(KVM_CAP_HYPERV, "Hyper-V emulation"),
	CAP(KVM_CAP_HYPERV_VP_INDEX, "Hyper-V VP index"),
	CAP(KVM_CAP_HYPERV_TIME, "Hyper-V reference time"),
	CAP(KVM_CAP_HYPERV_SYNIC2, "Hyper-V SynIC"),
	CAP(KVM_CAP_HYPERV_EVENTFD, "Hyper-V event fds"),
	CAP(KVM_CAP_SYS_HYPERV_CPUID, "Hyper-V CPUID query"),
};

/*
 * Tests set ENL_HOST_HIDE_CAP to pretend one capability is missing, so the
 * message for a KVM without Hyper-V support is exercised on any host.
 */
static int has_cap(int kvm_fd, int cap, const char *name)
{
	const char *hide = getenv("ENL_HOST_HIDE_CAP");

	if (hide && !strcmp(hide, name))
		return 0;
	return ioctl(kvm_fd, KVM_CHECK_EXTENSION, cap) > 0;
}

int kvm_check(int kvm_fd, char *why, size_t len)
{
	int v = ioctl(kvm_fd, KVM_GET_API_VERSION, 0);
	size_t i;

	if (v != KVM_API_VERSION) {
		snprintf(why, len, "/dev/kvm is not a KVM device with API %d",
			 KVM_API_VERSION);
		return -1;
	}
	for (i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++) {
		if (!has_cap(kvm_fd, required_caps[i].cap,
			     required_caps[i].name)) {
			snprintf(why, len,
				 "/dev/kvm lacks %s (%s): this host's KVM cannot present Hyper-V to a guest; use a kernel with CONFIG_KVM_HYPERV, or the nested test bed (make test)",
				 required_caps[i].name, required_caps[i].why);
			return -1;
		}
	}
	return 0;
}

int kvm_open(void)
{
	char why[256];
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		enl_err("cannot open /dev/kvm: %s (load kvm and kvm-amd or kvm-intel, or run the nested test bed: make demo)",
			strerror(errno));
		return -1;
	}
	if (kvm_check(fd, why, sizeof(why)) < 0) {
		enl_err("%s", why);
		close(fd);
		return -1;
	}
	return fd;
}

void *vm_gpa(struct vm *vm, uint64_t gpa, uint64_t len)
{
	/* The same translation the daemons do on the same memfd. */
	struct vspc_ram_layout l = {
		.size = vm->ram_size, .lowmem_size = vm->lowmem_size,
		.highmem_gpa = ENL_MMIO_HOLE_END,
	};
	uint64_t off;

	if (vspc_ram_offset(&l, gpa, len, &off))
		return NULL;
	return vm->ram + off;
}

void vm_stop(struct vm *vm, int status)
{
	uint64_t one = 1;
	bool expected = false;

	if (!atomic_compare_exchange_strong(&vm->stopping, &expected, true))
		return;
	atomic_store(&vm->exit_status, status);
	if (write(vm->stop_fd, &one, sizeof(one)) < 0)
		enl_err("cannot signal stop: %s", strerror(errno));
}

void vm_set_irq(struct vm *vm, unsigned int gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		enl_err("KVM_IRQ_LINE %u: %s", gsi, strerror(errno));
}

static void com1_tx(void *opaque, uint8_t c)
{
	(void)opaque;
	/* The console is the guest's only voice: retry short writes. */
	while (write(STDOUT_FILENO, &c, 1) < 0 && errno == EINTR)
		;
}

static void com1_irq(void *opaque, int level)
{
	vm_set_irq(opaque, ENL_COM1_IRQ, level);
}

static time_t host_now(void *opaque)
{
	(void)opaque;
	return time(NULL);
}

static int vm_setup_memory(struct vm *vm)
{
	struct kvm_userspace_memory_region low = { 0 }, high = { 0 };

	vm->mem_fd = memfd_create("enl-guest-ram", MFD_CLOEXEC);
	if (vm->mem_fd < 0) {
		enl_err("memfd_create: %s", strerror(errno));
		return -1;
	}
	if (ftruncate(vm->mem_fd, (off_t)vm->ram_size) < 0) {
		enl_err("cannot size guest RAM to %llu MiB: %s",
			(unsigned long long)(vm->ram_size >> 20), strerror(errno));
		return -1;
	}
	vm->ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->mem_fd, 0);
	if (vm->ram == MAP_FAILED) {
		vm->ram = NULL;
		enl_err("cannot map %llu MiB of guest RAM: %s",
			(unsigned long long)(vm->ram_size >> 20), strerror(errno));
		return -1;
	}
	madvise(vm->ram, vm->ram_size, MADV_MERGEABLE);
	/*
	 * Transparent huge pages where the host allows them for shmem
	 * (shmem_enabled=advise or always): KVM then maps guest RAM 2 MiB at
	 * a time in its nested page tables, so a guest takes ~512 times fewer
	 * nested page faults while it touches its memory.  Best effort: a
	 * host with THP off keeps 4 KiB pages.
	 */
	madvise(vm->ram, vm->ram_size, MADV_HUGEPAGE);

	vm->lowmem_size = vm->ram_size < ENL_MMIO_HOLE_START ?
			  vm->ram_size : ENL_MMIO_HOLE_START;
	low.slot = 0;
	low.guest_phys_addr = 0;
	low.memory_size = vm->lowmem_size;
	low.userspace_addr = (uintptr_t)vm->ram;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &low) < 0) {
		enl_err("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		return -1;
	}
	if (vm->ram_size > vm->lowmem_size) {
		high.slot = 1;
		high.guest_phys_addr = ENL_MMIO_HOLE_END;
		high.memory_size = vm->ram_size - vm->lowmem_size;
		high.userspace_addr = (uintptr_t)(vm->ram + vm->lowmem_size);
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &high) < 0) {
			enl_err("KVM_SET_USER_MEMORY_REGION (high): %s",
				strerror(errno));
			return -1;
		}
	}
	return 0;
}

int vm_create(struct vm *vm, const struct vm_config *cfg)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	unsigned int i;
	int n;

	vm->vm_fd = vm->mem_fd = vm->stop_fd = -1;
	vm->ncpus = cfg->ncpus;
	vm->ram_size = cfg->mem_size;
	pthread_mutex_init(&vm->dev_lock, NULL);
	pthread_mutex_init(&vm->bus_lock, NULL);
	vmbus_server_init(&vm->bus, &vsp_bus_ops, vm);
	if (cfg->vmbus_version)
		vm->bus.version_max = cfg->vmbus_version;

	vm->kvm_fd = kvm_open();
	if (vm->kvm_fd < 0)
		return -1;
	n = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (n <= 0)
		n = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (n > 0 && cfg->ncpus > (unsigned int)n) {
		enl_err("--cpus %u: this KVM allows at most %d vCPUs",
			cfg->ncpus, n);
		return -1;
	}
	vm->run_size = (size_t)ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		enl_err("KVM_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	/* Both live in the MMIO hole, below the BIOS area at 4 GiB - 2 MiB. */
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000UL) < 0 ||
	    ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR,
		  &(uint64_t){ 0xfffbc000 }) < 0) {
		enl_err("KVM_SET_TSS_ADDR: %s", strerror(errno));
		return -1;
	}
	/* SynIC needs the in-kernel LAPIC. */
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		enl_err("KVM_CREATE_IRQCHIP: %s", strerror(errno));
		return -1;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		enl_err("KVM_CREATE_PIT2: %s", strerror(errno));
		return -1;
	}
	if (vm_setup_memory(vm) < 0)
		return -1;

	vm->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (vm->stop_fd < 0) {
		enl_err("eventfd: %s", strerror(errno));
		return -1;
	}
	uart_init(&vm->com1, com1_tx, com1_irq, vm);
	rtc_init(&vm->rtc, host_now, NULL);

	vm->vcpus = calloc(cfg->ncpus, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		enl_err("out of memory");
		return -1;
	}
	for (i = 0; i < cfg->ncpus; i++)
		vm->vcpus[i].fd = vm->vcpus[i].msg_irqfd =
			vm->vcpus[i].msg_resamplefd = -1;
	for (i = 0; i < cfg->ncpus; i++)
		if (vcpu_init(vm, &vm->vcpus[i], i) < 0)
			return -1;
	/* SINT routes need SynIC active on every vCPU first. */
	if (synic_setup(vm) < 0)
		return -1;
	if (cfg->socket) {
		vm->vsp = vsp_server_create(vm, cfg->socket, NULL);
		if (!vm->vsp)
			return -1;
	}
	return 0;
}

void vm_destroy(struct vm *vm)
{
	unsigned int i;

	vsp_server_destroy(vm->vsp);
	vm->vsp = NULL;
	vmbus_server_fini(&vm->bus);
	for (i = 0; vm->vcpus && i < vm->ncpus; i++) {
		if (vm->vcpus[i].msg_irqfd >= 0)
			close(vm->vcpus[i].msg_irqfd);
		if (vm->vcpus[i].msg_resamplefd >= 0)
			close(vm->vcpus[i].msg_resamplefd);
		free(vm->vcpus[i].mq);
		if (vm->vcpus[i].run)
			munmap(vm->vcpus[i].run, vm->run_size);
		if (vm->vcpus[i].fd >= 0)
			close(vm->vcpus[i].fd);
	}
	free(vm->vcpus);
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	if (vm->mem_fd >= 0)
		close(vm->mem_fd);
	if (vm->stop_fd >= 0)
		close(vm->stop_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
}
