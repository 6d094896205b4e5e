// SPDX-License-Identifier: GPL-2.0-only
/*
 * enl_vmbus: the hypervisor side of the bus.  Hypercalls through the
 * kernel's hypercall page, SynIC set up per CPU through cpuhp, and the
 * callback-vector handler that takes SINT 2 messages and event flags.
 *
 * The only file of the module that includes the kernel's Hyper-V headers.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpuhotplug.h>
#include <linux/cpu.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/irqflags.h>
#include <linux/percpu.h>
#include <linux/delay.h>
#include <asm/mshyperv.h>
#include <asm/msr.h>
#include <asm/irq_vectors.h>
#include <asm/sync_bitops.h>
#include "enl_vmbus_priv.h"

/* Synthetic MSRs and SynIC bits (TLFS), under our own names. */
#define ENL_MSR_SCONTROL	0x40000080
#define ENL_MSR_SIEFP		0x40000082
#define ENL_MSR_SIMP		0x40000083
#define ENL_MSR_EOM		0x40000084
#define ENL_MSR_SINT0		0x40000090
#define ENL_SINT_VMBUS		2
#define ENL_SINT_VECTOR_MASK	0xffull
#define ENL_SINT_MASKED		BIT_ULL(16)
#define ENL_SINT_AUTO_EOI	BIT_ULL(17)
#define ENL_PAGE_ENABLE		1ull
#define ENL_CPUID_SYNIC		BIT(2)	/* features EAX */
#define ENL_PRIV_POST_MESSAGES	BIT(4)	/* features EBX */
#define ENL_PRIV_SIGNAL_EVENTS	BIT(5)
#define ENL_AEOI_DEPRECATED	BIT(9)	/* hints EAX */
#define ENL_HVCALL_POST_MESSAGE	0x005c
#define ENL_HVCALL_SIGNAL_EVENT	0x005d
#define ENL_STATUS_MASK		0xffffull
#define ENL_STATUS_INSUFFICIENT_BUFFERS 0x13

/* A SIMP slot: type u32, size u8, flags u8 (bit 0 pending), payload @16 */
struct enl_slot {
	u32 type;
	u8 size;
	u8 flags;
	u16 reserved;
	u64 origin;
	u8 payload[240];
} __packed;
static_assert(sizeof(struct enl_slot) == 256);

struct enl_post_input {
	u32 conn_id;
	u32 reserved;
	u32 msg_type;
	u32 size;
	u8 payload[240];
} __packed;

struct enl_synic {
	struct enl_slot *simp;		/* 16 slots */
	unsigned long *sief;		/* 16 bitmaps of 2048 bits */
	bool enabled;
};

static DEFINE_PER_CPU(struct enl_synic, enl_synic);
static int enl_cpuhp_state = -1;

int enl_hv_check_platform(void)
{
	if (!hv_is_hyperv_initialized() || !hv_hypercall_pg) {
		pr_err("no Hyper-V hypercall page: not on a Hyper-V platform\n");
		return -ENODEV;
	}
	if (!(ms_hyperv.features & ENL_CPUID_SYNIC) ||
	    !(ms_hyperv.priv_high & ENL_PRIV_POST_MESSAGES) ||
	    !(ms_hyperv.priv_high & ENL_PRIV_SIGNAL_EVENTS)) {
		pr_err("hypervisor lacks SynIC, PostMessage or SignalEvent\n");
		return -ENODEV;
	}
	if (!hyperv_pcpu_input_arg || !hv_vp_index) {
		pr_err("kernel did not set up Hyper-V per-CPU data\n");
		return -ENODEV;
	}
	return 0;
}

u32 enl_hv_vp_index(unsigned int cpu)
{
	return hv_vp_index[cpu];
}

u64 enl_hv_post_message(u32 conn_id, const void *payload, u32 len)
{
	struct enl_post_input *in;
	unsigned long flags;
	u64 status;

	if (len > sizeof(in->payload))
		return U64_MAX;
	local_irq_save(flags);
	in = *this_cpu_ptr(hyperv_pcpu_input_arg);
	in->conn_id = conn_id;
	in->reserved = 0;
	in->msg_type = 1;	/* VMBus */
	in->size = len;
	memcpy(in->payload, payload, len);
	status = hv_do_hypercall(ENL_HVCALL_POST_MESSAGE, in, NULL);
	local_irq_restore(flags);
	return status & ENL_STATUS_MASK;
}

void enl_hv_signal_event(u32 conn_id)
{
	hv_do_fast_hypercall8(ENL_HVCALL_SIGNAL_EVENT, conn_id);
}

/* ---- interrupt ---------------------------------------------------------- */

static void enl_scan_events(struct enl_synic *s)
{
	unsigned long *bits = s->sief + ENL_SINT_VMBUS * (2048 / BITS_PER_LONG);
	unsigned int w, b;

	for (w = 0; w < 2048 / BITS_PER_LONG; w++) {
		unsigned long v = READ_ONCE(bits[w]);

		while (v) {
			b = __ffs(v);
			v &= v - 1;
			if (sync_test_and_clear_bit(b, &bits[w]))
				enl_vmbus_on_event(w * BITS_PER_LONG + b);
		}
	}
}

static void enl_take_message(struct enl_synic *s)
{
	struct enl_slot *m = &s->simp[ENL_SINT_VMBUS];
	u8 buf[240];
	u32 type, size;
	u8 flags;

	type = READ_ONCE(m->type);
	if (type == 0)
		return;
	/* the host finished writing the slot before it raised the SINT */
	virt_rmb();
	size = READ_ONCE(m->size);
	flags = READ_ONCE(m->flags);
	if (size <= sizeof(buf))
		memcpy(buf, m->payload, size);

	WRITE_ONCE(m->type, 0);
	/* the slot is free before we tell the host to post the next one */
	virt_mb();
	if (flags & 1)
		wrmsrl(ENL_MSR_EOM, 0);

	if (type != 1 || size > sizeof(buf)) {
		enl_ratelimited("dropped SynIC message type %#x size %u\n",
				type, size);
		return;
	}
	enl_vmbus_on_message(buf, size);
}

static void enl_vmbus_isr(void)
{
	struct enl_synic *s = this_cpu_ptr(&enl_synic);

	if (!READ_ONCE(s->enabled))
		return;
	enl_scan_events(s);
	enl_take_message(s);
}

/* ---- SynIC per CPU ----------------------------------------------------- */

static int enl_synic_online(unsigned int cpu)
{
	struct enl_synic *s = per_cpu_ptr(&enl_synic, cpu);
	u64 v;

	/* allocated for every possible CPU in enl_hv_synic_start() */
	if (!s->simp || !s->sief)
		return -ENOMEM;
	memset(s->simp, 0, PAGE_SIZE);
	memset(s->sief, 0, PAGE_SIZE);

	rdmsrl(ENL_MSR_SIMP, v);
	wrmsrl(ENL_MSR_SIMP, (v & 0xffe) | virt_to_phys(s->simp) | ENL_PAGE_ENABLE);
	rdmsrl(ENL_MSR_SIEFP, v);
	wrmsrl(ENL_MSR_SIEFP, (v & 0xffe) | virt_to_phys(s->sief) | ENL_PAGE_ENABLE);

	rdmsrl(ENL_MSR_SINT0 + ENL_SINT_VMBUS, v);
	v &= ~(ENL_SINT_VECTOR_MASK | ENL_SINT_MASKED | ENL_SINT_AUTO_EOI);
	v |= HYPERVISOR_CALLBACK_VECTOR;
	/* the kernel's vector handler EOIs the APIC itself with this hint */
	if (!(ms_hyperv.hints & ENL_AEOI_DEPRECATED))
		v |= ENL_SINT_AUTO_EOI;
	WRITE_ONCE(s->enabled, true);
	wrmsrl(ENL_MSR_SINT0 + ENL_SINT_VMBUS, v);

	rdmsrl(ENL_MSR_SCONTROL, v);
	wrmsrl(ENL_MSR_SCONTROL, v | 1);
	return 0;
}

static int enl_synic_offline(unsigned int cpu)
{
	struct enl_synic *s = per_cpu_ptr(&enl_synic, cpu);
	u64 v;

	if (!enl_vmbus_unloading && enl_vmbus_cpu_busy(cpu)) {
		pr_info("CPU %u has open channels: not going offline\n", cpu);
		return -EBUSY;
	}
	rdmsrl(ENL_MSR_SINT0 + ENL_SINT_VMBUS, v);
	wrmsrl(ENL_MSR_SINT0 + ENL_SINT_VMBUS, v | ENL_SINT_MASKED);
	WRITE_ONCE(s->enabled, false);
	rdmsrl(ENL_MSR_SIMP, v);
	wrmsrl(ENL_MSR_SIMP, v & 0xffe);
	rdmsrl(ENL_MSR_SIEFP, v);
	wrmsrl(ENL_MSR_SIEFP, v & 0xffe);
	rdmsrl(ENL_MSR_SCONTROL, v);
	wrmsrl(ENL_MSR_SCONTROL, v & ~1ull);
	/*
	 * The pages stay allocated until the module goes: a host that still
	 * writes to an old SIMP/SIEF address then hits our page, not memory
	 * the kernel has reused.
	 */
	return 0;
}

static void enl_synic_free_pages(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct enl_synic *s = per_cpu_ptr(&enl_synic, cpu);

		free_page((unsigned long)s->simp);
		free_page((unsigned long)s->sief);
		s->simp = NULL;
		s->sief = NULL;
	}
}

int enl_hv_synic_start(void)
{
	unsigned int cpu;
	int ret;

	for_each_possible_cpu(cpu) {
		struct enl_synic *s = per_cpu_ptr(&enl_synic, cpu);

		s->simp = (void *)get_zeroed_page(GFP_KERNEL);
		s->sief = (void *)get_zeroed_page(GFP_KERNEL);
		if (!s->simp || !s->sief) {
			enl_synic_free_pages();
			return -ENOMEM;
		}
	}
	hv_setup_vmbus_handler(enl_vmbus_isr);
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "enl_vmbus:online",
				enl_synic_online, enl_synic_offline);
	if (ret < 0) {
		hv_remove_vmbus_handler();
		enl_synic_free_pages();
		return ret;
	}
	enl_cpuhp_state = ret;
	return 0;
}

void enl_hv_synic_stop(void)
{
	if (enl_cpuhp_state >= 0)
		cpuhp_remove_state(enl_cpuhp_state);
	enl_cpuhp_state = -1;
	hv_remove_vmbus_handler();
	enl_synic_free_pages();
}
