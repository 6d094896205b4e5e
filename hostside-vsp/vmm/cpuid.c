// SPDX-License-Identifier: GPL-2.0-only
/*
 * CPUID: what KVM supports, with KVM's own signature leaves replaced by a
 * Hyper-V presentation.  A KVM leaf anywhere in 0x40000000.. would make Linux
 * pick KVM over Hyper-V and never start its Hyper-V platform code.
 */
#include "vm.h"

#include <enl/hv_tlfs.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define MAX_ENTRIES 256

/*
 * Hyper-V features we present, each only if this KVM supports it too.
 *
 * No synthetic timers: when hv_vmbus is unloaded, Linux stops a direct-mode
 * stimer clockevent without unbinding it (hyperv_timer.c says so), and the
 * guest is left with no timer at all.  The LAPIC timer serves instead; its
 * frequency comes from the Hyper-V frequency MSRs, so nothing calibrates.
 */
#define HV_WANT_EAX (HV_MSR_VP_RUNTIME_AVAILABLE | \
		     HV_MSR_TIME_REF_COUNT_AVAILABLE | HV_MSR_SYNIC_AVAILABLE | \
		     HV_MSR_APIC_ACCESS_AVAILABLE | \
		     HV_MSR_HYPERCALL_AVAILABLE | HV_MSR_VP_INDEX_AVAILABLE | \
		     HV_MSR_REFERENCE_TSC_AVAILABLE | HV_ACCESS_FREQUENCY_MSRS)
#define HV_WANT_EBX (HV_POST_MESSAGES | HV_SIGNAL_EVENTS)
#define HV_WANT_EDX HV_FEATURE_FREQUENCY_MSRS_AVAILABLE

/* Without these a VMBus guest cannot work at all. */
static const struct {
	int reg;	/* 0 eax, 1 ebx */
	uint32_t bit;
	const char *name;
} hv_required[] = {
	{ 0, HV_MSR_HYPERCALL_AVAILABLE, "HYPERCALL" },
	{ 0, HV_MSR_VP_INDEX_AVAILABLE, "VP_INDEX" },
	{ 0, HV_MSR_SYNIC_AVAILABLE, "SYNIC" },
	{ 0, HV_MSR_TIME_REF_COUNT_AVAILABLE, "TIME_REF_COUNT" },
	{ 0, HV_MSR_REFERENCE_TSC_AVAILABLE, "REFERENCE_TSC" },
	{ 1, HV_POST_MESSAGES, "POST_MESSAGES" },
	{ 1, HV_SIGNAL_EVENTS, "SIGNAL_EVENTS" },
};

static struct kvm_cpuid2 *cpuid_alloc(void)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) +
				      MAX_ENTRIES * sizeof(c->entries[0]));

	if (c)
		c->nent = MAX_ENTRIES;
	return c;
}

static struct kvm_cpuid_entry2 *find(struct kvm_cpuid2 *c, uint32_t fn)
{
	uint32_t i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn)
			return &c->entries[i];
	return NULL;
}

static int build_hv_leaves(struct vm *vm, struct kvm_cpuid2 *out)
{
	struct kvm_cpuid2 *hv = cpuid_alloc();
	struct kvm_cpuid_entry2 *f, *e;
	uint32_t regs[2];
	size_t i;
	int ret = -1;

	if (!hv) {
		enl_err("out of memory");
		return -1;
	}
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_HV_CPUID, hv) < 0) {
		enl_err("KVM_GET_SUPPORTED_HV_CPUID: %s", strerror(errno));
		goto out;
	}
	f = find(hv, HV_CPUID_FEATURES);
	if (!f) {
		enl_err("KVM reports no Hyper-V feature leaf");
		goto out;
	}
	regs[0] = f->eax;
	regs[1] = f->ebx;
	for (i = 0; i < sizeof(hv_required) / sizeof(hv_required[0]); i++) {
		if (!(regs[hv_required[i].reg] & hv_required[i].bit)) {
			enl_err("this KVM does not offer the Hyper-V %s feature",
				hv_required[i].name);
			goto out;
		}
	}
	if (out->nent + 7 > MAX_ENTRIES) {
		enl_err("too many CPUID entries");
		goto out;
	}

	e = &out->entries[out->nent++];
	memset(e, 0, sizeof(*e));
	e->function = HV_CPUID_VENDOR;
	e->eax = HV_CPUID_HW_FEATURES;
	memcpy(&e->ebx, "Micr", 4);
	memcpy(&e->ecx, "osof", 4);
	memcpy(&e->edx, "t Hv", 4);

	e = &out->entries[out->nent++];
	memset(e, 0, sizeof(*e));
	e->function = HV_CPUID_INTERFACE;
	e->eax = HV_CPUID_INTERFACE_HV1;

	e = &out->entries[out->nent++];
	memset(e, 0, sizeof(*e));
	e->function = HV_CPUID_VERSION;
	f = find(hv, HV_CPUID_VERSION);
	if (f) {
		e->eax = f->eax;
		e->ebx = f->ebx;
	}

	f = find(hv, HV_CPUID_FEATURES);
	e = &out->entries[out->nent++];
	memset(e, 0, sizeof(*e));
	e->function = HV_CPUID_FEATURES;
	e->eax = f->eax & HV_WANT_EAX;
	e->ebx = f->ebx & HV_WANT_EBX;
	e->edx = f->edx & HV_WANT_EDX;

	/*
	 * Recommendations are guest-side advice: relaxed timing (the nested
	 * test bed is slow), no AutoEOI (KVM's SynIC needs the guest's EOI for
	 * the resample fd), never spin-wait notify.
	 */
	e = &out->entries[out->nent++];
	memset(e, 0, sizeof(*e));
	e->function = HV_CPUID_ENLIGHTENMENT;
	e->eax = HV_RELAXED_TIMING_RECOMMENDED | HV_DEPRECATING_AEOI_RECOMMENDED;
	e->ebx = 0xffffffff;

	e = &out->entries[out->nent++];
	memset(e, 0, sizeof(*e));
	e->function = HV_CPUID_LIMITS;
	f = find(hv, HV_CPUID_LIMITS);
	e->eax = f && f->eax ? f->eax : vm->ncpus;
	e->ebx = f && f->ebx ? f->ebx : vm->ncpus;

	e = &out->entries[out->nent++];
	memset(e, 0, sizeof(*e));
	e->function = HV_CPUID_HW_FEATURES;
	ret = 0;
out:
	free(hv);
	return ret;
}

/*
 * Start with every XSAVE feature the CPUID offers already enabled in XCR0.
 * KVM recomputes CPUID 0xD's size fields when it sees XCR0 change, but
 * where the guest's XSETBV is not intercepted (SVM emulated by TCG in the
 * nested test bed) it never does, and the guest finds its XSAVE size
 * inconsistent.  Linux enables the same set itself, so nothing differs.
 */
static void xcr0_setup(struct vcpu *vcpu, struct kvm_cpuid2 *c)
{
	struct kvm_cpuid_entry2 *d = NULL;
	struct kvm_xcrs xcrs;
	uint32_t i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == 0xd && c->entries[i].index == 0)
			d = &c->entries[i];
	if (!d || ioctl(vcpu->fd, KVM_GET_XCRS, &xcrs) < 0)
		return;
	for (i = 0; i < xcrs.nr_xcrs; i++) {
		if (xcrs.xcrs[i].xcr != 0)
			continue;
		/* Supervisor-only bits never go in XCR0. */
		xcrs.xcrs[i].value = (d->eax | (uint64_t)d->edx << 32) &
				     ~0xffffffff00000000ull;
		if (ioctl(vcpu->fd, KVM_SET_XCRS, &xcrs) < 0)
			enl_log("vCPU %u: KVM_SET_XCRS %#llx: %s", vcpu->index,
				(unsigned long long)xcrs.xcrs[i].value,
				strerror(errno));
	}
}

int cpuid_setup(struct vm *vm, struct vcpu *vcpu)
{
	struct kvm_cpuid2 *all = cpuid_alloc(), *c = cpuid_alloc();
	uint32_t i;
	int ret = -1;

	if (!all || !c) {
		enl_err("out of memory");
		goto out;
	}
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, all) < 0) {
		enl_err("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		goto out;
	}
	c->nent = 0;
	for (i = 0; i < all->nent; i++) {
		struct kvm_cpuid_entry2 e = all->entries[i];

		/* Drop every hypervisor leaf KVM offers (its own signature). */
		if (e.function >= 0x40000000 && e.function <= 0x4fffffff)
			continue;
		switch (e.function) {
		case 1:
			e.ebx = (e.ebx & 0x00ffffff) | (vcpu->index << 24);
			e.ecx |= 1u << 31;	/* running on a hypervisor */
			break;
		case 0xb:
		case 0x1f:
			e.edx = vcpu->index;	/* x2APIC id */
			break;
		}
		c->entries[c->nent++] = e;
	}
	if (build_hv_leaves(vm, c) < 0)
		goto out;
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, c) < 0) {
		enl_err("KVM_SET_CPUID2: %s", strerror(errno));
		goto out;
	}
	xcr0_setup(vcpu, c);
	ret = 0;
out:
	free(all);
	free(c);
	return ret;
}
