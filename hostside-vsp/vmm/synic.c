// SPDX-License-Identifier: GPL-2.0-only
/*
 * SynIC message delivery.  A message for a VP is queued, the VP is kicked
 * out of KVM_RUN, and its own thread copies the message into the SIMP slot
 * before it re-enters the guest: the guest cannot be touching that slot at
 * the same time.  A busy slot gets msg_pending; the guest's EOM (or EOI)
 * fires the irqfd's resample fd and the VP is kicked to try again.
 */
#include "vm.h"

#include <enl/hv_tlfs.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* KVM_SET_GSI_ROUTING replaces the table: keep the irqchip's own routes. */
int synic_setup(struct vm *vm)
{
	struct kvm_irq_routing *r;
	unsigned int n = 0, i;
	size_t sz = sizeof(*r) + (16 + 24 + vm->ncpus) * sizeof(r->entries[0]);

	r = calloc(1, sz);
	if (!r) {
		enl_err("out of memory");
		return -1;
	}
	for (i = 0; i < 24; i++) {
		r->entries[n].gsi = i;
		r->entries[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		r->entries[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		r->entries[n].u.irqchip.pin = i;
		n++;
		if (i < 16) {
			r->entries[n].gsi = i;
			r->entries[n].type = KVM_IRQ_ROUTING_IRQCHIP;
			r->entries[n].u.irqchip.irqchip = i < 8 ?
				KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
			r->entries[n].u.irqchip.pin = i % 8;
			n++;
		}
	}
	for (i = 0; i < vm->ncpus; i++) {
		r->entries[n].gsi = SYNIC_GSI_BASE + i;
		r->entries[n].type = KVM_IRQ_ROUTING_HV_SINT;
		r->entries[n].u.hv_sint.vcpu = i;
		r->entries[n].u.hv_sint.sint = HV_VMBUS_SINT;
		n++;
	}
	r->nr = n;
	if (ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, r) < 0) {
		enl_err("KVM_SET_GSI_ROUTING: %s", strerror(errno));
		free(r);
		return -1;
	}
	free(r);

	for (i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		struct kvm_irqfd irqfd = { 0 };

		v->msg_irqfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		v->msg_resamplefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (v->msg_irqfd < 0 || v->msg_resamplefd < 0) {
			enl_err("eventfd: %s", strerror(errno));
			return -1;
		}
		irqfd.fd = (uint32_t)v->msg_irqfd;
		irqfd.gsi = SYNIC_GSI_BASE + i;
		irqfd.flags = KVM_IRQFD_FLAG_RESAMPLE;
		irqfd.resamplefd = (uint32_t)v->msg_resamplefd;
		if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
			enl_err("KVM_IRQFD (SINT %d of VP %u): %s",
				HV_VMBUS_SINT, i, strerror(errno));
			return -1;
		}
	}
	return 0;
}

void vcpu_kick(struct vcpu *vcpu)
{
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (atomic_load(&vcpu->started))
		pthread_kill(vcpu->thread, SIGUSR1);
}

/* Under mq_lock: double the ring, keeping the order. */
static int synic_queue_grow(struct vcpu *v)
{
	unsigned int cap = v->mq_cap ? 2 * v->mq_cap : SYNIC_QUEUE_MIN, i;
	struct synic_msg *n;

	if (cap > SYNIC_QUEUE_MAX)
		cap = SYNIC_QUEUE_MAX;
	if (cap <= v->mq_cap)
		return -1;
	n = malloc((size_t)cap * sizeof(*n));
	if (!n)
		return -1;
	for (i = 0; i < v->mq_count; i++)
		n[i] = v->mq[(v->mq_head + i) % v->mq_cap];
	free(v->mq);
	v->mq = n;
	v->mq_cap = cap;
	v->mq_head = 0;
	return 0;
}

int synic_post(struct vm *vm, uint32_t vp, uint32_t sint, const void *msg,
	       uint32_t len)
{
	struct vcpu *v;
	struct synic_msg *m;

	if (vp >= vm->ncpus || sint != HV_VMBUS_SINT ||
	    len > HV_MESSAGE_PAYLOAD_MAX)
		return -EINVAL;
	v = &vm->vcpus[vp];
	pthread_mutex_lock(&v->mq_lock);
	if (v->mq_count == v->mq_cap && synic_queue_grow(v) < 0) {
		pthread_mutex_unlock(&v->mq_lock);
		return -ENOSPC;
	}
	m = &v->mq[(v->mq_head + v->mq_count) % v->mq_cap];
	m->sint = sint;
	m->len = len;
	memcpy(m->data, msg, len);
	v->mq_count++;
	pthread_mutex_unlock(&v->mq_lock);
	vcpu_kick(v);
	return 0;
}

void synic_discard(struct vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		pthread_mutex_lock(&v->mq_lock);
		v->mq_head = v->mq_count = 0;
		pthread_mutex_unlock(&v->mq_lock);
	}
}

/* The guest acknowledged a message: kick the VP if more are waiting. */
void synic_resample(struct vcpu *vcpu)
{
	uint64_t n;
	bool more;

	if (read(vcpu->msg_resamplefd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&vcpu->mq_lock);
	more = vcpu->mq_count > 0;
	pthread_mutex_unlock(&vcpu->mq_lock);
	if (more)
		vcpu_kick(vcpu);
}

/* On the VP's own thread, outside KVM_RUN. */
void synic_flush(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	uint64_t simp, one = 1;
	struct hv_message *page;
	bool raised = false;

	pthread_mutex_lock(&vm->bus_lock);
	simp = vcpu->synic.msg_page;
	pthread_mutex_unlock(&vm->bus_lock);
	if (!(simp & HV_SYNIC_PAGE_ENABLE)) {
		if (vcpu->mq_count)
			enl_log("VP %u: SIMP disabled, %u messages wait",
				vcpu->index, vcpu->mq_count);
		return;		/* delivered once the guest enables SIMP */
	}
	page = vm_gpa(vm, simp & HV_SYNIC_PAGE_GPA_MASK, 4096);
	if (!page)
		return;

	pthread_mutex_lock(&vcpu->mq_lock);
	while (vcpu->mq_count) {
		struct synic_msg *m = &vcpu->mq[vcpu->mq_head];
		struct hv_message *slot = &page[m->sint];

		if (__atomic_load_n(&slot->message_type, __ATOMIC_ACQUIRE) !=
		    HV_MESSAGE_TYPE_NONE) {
			__atomic_fetch_or(&slot->message_flags,
					  HV_MESSAGE_FLAG_PENDING,
					  __ATOMIC_SEQ_CST);
			/* The guest may have emptied it meanwhile. */
			if (__atomic_load_n(&slot->message_type,
					    __ATOMIC_SEQ_CST) !=
			    HV_MESSAGE_TYPE_NONE) {
				enl_log("VP %u: SINT %u slot busy, %u queued",
					vcpu->index, m->sint, vcpu->mq_count);
				break;
			}
		}
		memcpy(slot->payload, m->data, m->len);
		slot->payload_size = (uint8_t)m->len;
		slot->message_flags = 0;
		slot->reserved = 0;
		slot->sender = 0;
		__atomic_store_n(&slot->message_type, HV_MESSAGE_TYPE_VMBUS,
				 __ATOMIC_RELEASE);
		enl_log("VP %u: delivered message %u (%u bytes)", vcpu->index,
			m->len >= 4 ? m->data[0] : 0, m->len);
		vcpu->mq_head = (vcpu->mq_head + 1) % vcpu->mq_cap;
		vcpu->mq_count--;
		raised = true;
	}
	pthread_mutex_unlock(&vcpu->mq_lock);
	if (raised && write(vcpu->msg_irqfd, &one, sizeof(one)) < 0)
		enl_err("VP %u: cannot raise SINT %d: %s", vcpu->index,
			HV_VMBUS_SINT, strerror(errno));
}
