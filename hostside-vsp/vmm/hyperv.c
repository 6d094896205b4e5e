// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hyper-V SynIC exits and the hypercalls KVM leaves to user space.
 * KVM handles the hypercall page, VP index, reference time, SynIC MSRs and
 * HvSignalEvent for registered event fds itself; what comes here is
 * HvPostMessage, HvSignalEvent for unknown connections, and SynIC
 * control/page changes.
 */
#include "vm.h"
#include "vsp_server.h"

#include <enl/hv_tlfs.h>

#include <string.h>

static void synic_zero_page(struct vcpu *vcpu, uint64_t msr, const char *what)
{
	void *page;

	if (!(msr & HV_SYNIC_PAGE_ENABLE))
		return;
	page = vm_gpa(vcpu->vm, msr & HV_SYNIC_PAGE_GPA_MASK, 4096);
	if (!page) {
		enl_err("vCPU %u: %s page %#llx is outside guest RAM; ignoring it",
			vcpu->index, what,
			(unsigned long long)(msr & HV_SYNIC_PAGE_GPA_MASK));
		return;
	}
	/* SynIC2 leaves the page as it was; the guest expects it clear. */
	memset(page, 0, 4096);
}

void hv_synic_exit(struct vcpu *vcpu, const struct kvm_hyperv_exit *e)
{
	struct vm *vm = vcpu->vm;
	struct synic *s = &vcpu->synic;
	uint64_t old_msg, old_evt;

	pthread_mutex_lock(&vm->bus_lock);
	old_msg = s->msg_page;
	old_evt = s->evt_page;
	s->control = e->u.synic.control;
	s->evt_page = e->u.synic.evt_page;
	s->msg_page = e->u.synic.msg_page;
	enl_log("vCPU %u: SynIC msr %#x control %#llx simp %#llx siefp %#llx",
		vcpu->index, e->u.synic.msr,
		(unsigned long long)s->control,
		(unsigned long long)s->msg_page,
		(unsigned long long)s->evt_page);
	if (e->u.synic.msr == HV_X64_MSR_SIMP && s->msg_page != old_msg)
		synic_zero_page(vcpu, s->msg_page, "message (SIMP)");
	if (e->u.synic.msr == HV_X64_MSR_SIEFP && s->evt_page != old_evt) {
		synic_zero_page(vcpu, s->evt_page, "event flags (SIEFP)");
		/* Daemons set event flags there: tell them where it went. */
		if (vm->vsp)
			vsp_server_sief_changed(vm->vsp, vcpu->index);
	}
	pthread_mutex_unlock(&vm->bus_lock);
}

static uint64_t post_message(struct vcpu *vcpu, uint64_t in_gpa)
{
	struct hv_post_message_input msg;
	uint64_t status;
	void *p;

	/* The input block is 8-byte aligned and may not cross a page. */
	if ((in_gpa & 7) || (in_gpa & 4095) + sizeof(msg) > 4096)
		return HV_STATUS_INVALID_ALIGNMENT;
	p = vm_gpa(vcpu->vm, in_gpa, sizeof(msg));
	if (!p)
		return HV_STATUS_INVALID_PARAMETER;
	memcpy(&msg, p, sizeof(msg));
	if (msg.payload_size > HV_MESSAGE_PAYLOAD_MAX ||
	    msg.message_type == HV_MESSAGE_TYPE_NONE ||
	    msg.message_type >= 0x80000000u)
		return HV_STATUS_INVALID_PARAMETER;
	pthread_mutex_lock(&vcpu->vm->bus_lock);
	status = vmbus_server_post(&vcpu->vm->bus, msg.connection_id,
				   msg.message_type, msg.payload,
				   msg.payload_size);
	pthread_mutex_unlock(&vcpu->vm->bus_lock);
	return status;
}

uint64_t hv_hypercall(struct vcpu *vcpu, uint64_t input, uint64_t in_gpa,
		      uint64_t out_gpa)
{
	uint16_t code = input & HV_HYPERCALL_CODE_MASK;

	(void)out_gpa;
	switch (code) {
	case HVCALL_POST_MESSAGE:
		if (input & (HV_HYPERCALL_FAST | HV_HYPERCALL_REP_COUNT_MASK |
			     HV_HYPERCALL_VARHEAD_MASK))
			return HV_STATUS_INVALID_HYPERCALL_INPUT;
		return post_message(vcpu, in_gpa);
	case HVCALL_SIGNAL_EVENT:
		/* KVM only exits here when no event fd has that connection. */
		enl_log("vCPU %u: HvSignalEvent on unknown connection %llu",
			vcpu->index, (unsigned long long)(in_gpa & 0xffffff));
		return HV_STATUS_INVALID_CONNECTION_ID;
	default:
		return HV_STATUS_INVALID_HYPERCALL_CODE;
	}
}
