// SPDX-License-Identifier: GPL-2.0-only
/*
 * vCPUs: creation, Hyper-V enablement, boot registers and the run loop.
 * One thread per vCPU; all exits are handled on the vCPU's own thread.
 */
#include "vm.h"
#include "layout.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#define SIG_KICK SIGUSR1	/* also in synic.c: vcpu_kick() */

static int enable_cap(int fd, uint32_t cap)
{
	struct kvm_enable_cap c = { .cap = cap };

	return ioctl(fd, KVM_ENABLE_CAP, &c);
}

int vcpu_init(struct vm *vm, struct vcpu *vcpu, unsigned int index)
{
	vcpu->vm = vm;
	vcpu->index = index;
	vcpu->msg_irqfd = vcpu->msg_resamplefd = -1;
	pthread_mutex_init(&vcpu->mq_lock, NULL);
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
	if (vcpu->fd < 0) {
		enl_err("KVM_CREATE_VCPU %u: %s", index, strerror(errno));
		return -1;
	}
	vcpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		vcpu->run = NULL;
		enl_err("mmap kvm_run: %s", strerror(errno));
		return -1;
	}
	/* CPUID "Hv#1" first: it switches on KVM's Hyper-V MSRs. */
	if (cpuid_setup(vm, vcpu) < 0)
		return -1;
	if (enable_cap(vcpu->fd, KVM_CAP_HYPERV_SYNIC2) < 0) {
		enl_err("enabling SynIC on vCPU %u: %s", index, strerror(errno));
		return -1;
	}
	/* Gate hypercalls and MSRs on what CPUID says, like Hyper-V does. */
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION,
		  KVM_CAP_HYPERV_ENFORCE_CPUID) > 0 &&
	    enable_cap(vcpu->fd, KVM_CAP_HYPERV_ENFORCE_CPUID) < 0) {
		enl_err("enforcing Hyper-V CPUID on vCPU %u: %s", index,
			strerror(errno));
		return -1;
	}
	return 0;
}

int vcpu_set_boot_regs(struct vcpu *vcpu, uint64_t entry, uint64_t boot_params)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = 0x10,
		.type = 11, .present = 1, .s = 1, .l = 1, .g = 1,
	};
	struct kvm_segment data = {
		.base = 0, .limit = 0xffffffff, .selector = 0x18,
		.type = 3, .present = 1, .s = 1, .db = 1, .g = 1,
	};

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &sregs) < 0) {
		enl_err("KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.gdt.base = ENL_GDT_GPA;
	sregs.gdt.limit = 4 * 8 - 1;
	sregs.cr3 = ENL_PML4_GPA;
	sregs.cr4 = 0x20;			/* PAE */
	sregs.cr0 = 0x80000031;			/* PG, NE, ET, PE */
	sregs.efer = 0x500;			/* LMA, LME */
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &sregs) < 0) {
		enl_err("KVM_SET_SREGS: %s", strerror(errno));
		return -1;
	}
	regs.rip = entry;
	regs.rsi = boot_params;
	regs.rflags = 0x2;
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0) {
		enl_err("KVM_SET_REGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void mmio_access(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	static atomic_bool warned;
	bool expected = false;

	/* Nothing is mapped there: reads float high, writes are dropped. */
	if (!run->mmio.is_write)
		memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
	if (atomic_compare_exchange_strong(&warned, &expected, true))
		enl_log("guest touched unmapped MMIO at %#llx (reported once)",
			(unsigned long long)run->mmio.phys_addr);
}

static void handle_hyperv(struct vcpu *vcpu)
{
	struct kvm_hyperv_exit *e = &vcpu->run->hyperv;

	switch (e->type) {
	case KVM_EXIT_HYPERV_SYNIC:
		hv_synic_exit(vcpu, e);
		break;
	case KVM_EXIT_HYPERV_HCALL:
		e->u.hcall.result = hv_hypercall(vcpu, e->u.hcall.input,
						 e->u.hcall.params[0],
						 e->u.hcall.params[1]);
		break;
	default:
		enl_log("unknown Hyper-V exit type %u", e->type);
		break;
	}
}

/* Returns false when the vCPU must stop. */
static bool handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct vm *vm = vcpu->vm;
	uint32_t i;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		for (i = 0; i < run->io.count; i++)
			pio_access(vm, run->io.port,
				   run->io.direction == KVM_EXIT_IO_OUT,
				   (uint8_t *)run + run->io.data_offset +
				   i * run->io.size, run->io.size);
		return true;
	case KVM_EXIT_MMIO:
		mmio_access(vcpu);
		return true;
	case KVM_EXIT_HYPERV:
		handle_hyperv(vcpu);
		return true;
	case KVM_EXIT_SHUTDOWN:
		/*
		 * A triple fault resets a PC.  Linux only uses it as its last
		 * way to reboot, so say so: usually the guest crashed.  (No
		 * registers: on AMD, KVM has already reset the vCPU.)
		 */
		enl_err("vCPU %u: triple fault; resetting the guest",
			vcpu->index);
		vm_stop(vm, ENL_EXIT_REBOOT);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		switch (run->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN:
			vm_stop(vm, ENL_EXIT_POWEROFF);
			break;
		case KVM_SYSTEM_EVENT_RESET:
			vm_stop(vm, ENL_EXIT_REBOOT);
			break;
		default:
			enl_err("vCPU %u: guest crashed (system event %u)",
				vcpu->index, run->system_event.type);
			vm_stop(vm, ENL_EXIT_ERROR);
		}
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		enl_err("vCPU %u: KVM could not enter the guest (reason %#llx)",
			vcpu->index, (unsigned long long)
			run->fail_entry.hardware_entry_failure_reason);
		vm_stop(vm, ENL_EXIT_ERROR);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		enl_err("vCPU %u: KVM internal error, suberror %u",
			vcpu->index, run->internal.suberror);
		vm_stop(vm, ENL_EXIT_ERROR);
		return false;
	case KVM_EXIT_INTR:
		return true;
	default:
		enl_err("vCPU %u: unexpected KVM exit %u", vcpu->index,
			run->exit_reason);
		vm_stop(vm, ENL_EXIT_ERROR);
		return false;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	struct vm *vm = vcpu->vm;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIG_KICK);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!atomic_load(&vm->stopping)) {
		/* Clear the kick before looking for work, never after. */
		__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
		synic_flush(vcpu);
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			enl_err("vCPU %u: KVM_RUN: %s", vcpu->index,
				strerror(errno));
			vm_stop(vm, ENL_EXIT_ERROR);
			break;
		}
		if (!handle_exit(vcpu))
			break;
	}
	return NULL;
}

static void kick_handler(int sig)
{
	(void)sig;
}

int vcpus_start(struct vm *vm)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	sigset_t set, old;
	unsigned int i;
	int err;

	/* No SA_RESTART: the kick must make KVM_RUN return EINTR. */
	sigaction(SIG_KICK, &sa, NULL);
	/* vCPU threads unblock the kick themselves; others never see it. */
	sigemptyset(&set);
	sigaddset(&set, SIG_KICK);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	for (i = 0; i < vm->ncpus; i++) {
		err = pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread,
				     &vm->vcpus[i]);
		if (!err)
			atomic_store(&vm->vcpus[i].started, true);
		if (err) {
			enl_err("cannot start vCPU thread: %s", strerror(err));
			vm_stop(vm, ENL_EXIT_ERROR);
			return -1;
		}
	}
	return 0;
}

/* Stop every vCPU thread (vm->stopping is set) and wait for it. */
void vcpus_join(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->ncpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	for (i = 0; i < vm->ncpus; i++)
		if (atomic_load(&vm->vcpus[i].started))
			pthread_join(vm->vcpus[i].thread, NULL);
}
