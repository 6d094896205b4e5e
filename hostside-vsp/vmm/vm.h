/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * enl-host: one VM, its vCPUs, its memory and its devices.
 */
#ifndef ENL_VMM_VM_H
#define ENL_VMM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "uart.h"
#include "rtc.h"
#include "vmbus_server.h"

/* enl-host exit statuses (documented in hostside-vsp/vmm/README.md). */
enum enl_exit {
	ENL_EXIT_POWEROFF = 0,	/* the guest powered off */
	ENL_EXIT_ERROR = 1,	/* setup failed or the VM failed */
	ENL_EXIT_USAGE = 2,	/* command-line mistake */
	ENL_EXIT_REBOOT = 3,	/* the guest rebooted (or triple-faulted) */
};

struct vm;
struct vsp_server;

/* SynIC state of one vCPU, as the guest last wrote it. */
struct synic {
	uint64_t control;
	uint64_t evt_page;	/* SIEFP MSR value */
	uint64_t msg_page;	/* SIMP MSR value */
};

/* A channel message waiting for its SIMP slot. */
struct synic_msg {
	uint32_t sint;
	uint32_t len;
	uint8_t data[240];
};

/*
 * Messages waiting for one VP grow on demand up to this many: enough for
 * REQUESTOFFERS with every channel offered (VMBUS_MAX_CHANNELS offers and
 * ALLOFFERS_DELIVERED) and the answers to a burst of other requests.
 */
#define SYNIC_QUEUE_MIN 64
#define SYNIC_QUEUE_MAX (4 * (VMBUS_MAX_CHANNELS + 1))
#define SYNIC_GSI_BASE 24	/* GSI of VP n's SINT 2 route: base + n */

struct vcpu {
	struct vm *vm;
	unsigned int index;	/* also its VP index and APIC id */
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	atomic_bool started;
	struct synic synic;	/* under vm->bus_lock */

	/* Messages to this VP, delivered from its own thread. */
	pthread_mutex_t mq_lock;
	struct synic_msg *mq;	/* ring of mq_cap entries, grown on demand */
	unsigned int mq_cap, mq_head, mq_count;
	int msg_irqfd;		/* raises SINT 2 on this VP */
	int msg_resamplefd;	/* fires on the guest's EOM / EOI */
};

struct vm_config {
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	uint64_t mem_size;
	unsigned int ncpus;
	const char *socket;	/* VSP socket path */
	bool no_ic;		/* do not spawn enl-icvsp */
	bool no_input;		/* do not spawn enl-hidvsp */
	uint32_t vmbus_version;	/* highest VMBus version offered; 0: all */
};

struct vm {
	int kvm_fd;
	int vm_fd;
	int mem_fd;		/* guest RAM, shared later with VSP daemons */
	uint8_t *ram;
	uint64_t ram_size;
	uint64_t lowmem_size;	/* RAM below the 32-bit MMIO hole */
	size_t run_size;
	unsigned int ncpus;
	struct vcpu *vcpus;

	pthread_mutex_t dev_lock;	/* serialises device models */
	struct uart com1;
	struct rtc rtc;
	int irq_level[24];

	/* VMBus control plane: the server and the daemons' sockets. */
	pthread_mutex_t bus_lock;
	struct vmbus_server bus;
	struct vsp_server *vsp;

	atomic_bool stopping;
	atomic_int exit_status;
	int stop_fd;		/* eventfd: a vCPU asks the main loop to stop */
};

/* KVM set-up (vm.c) */
int kvm_check(int kvm_fd, char *why, size_t len);
/* /dev/kvm opened and checked (errors logged), or -1. */
int kvm_open(void);
int vm_create(struct vm *vm, const struct vm_config *cfg);
void vm_destroy(struct vm *vm);
void *vm_gpa(struct vm *vm, uint64_t gpa, uint64_t len);
void vm_stop(struct vm *vm, int status);
void vm_set_irq(struct vm *vm, unsigned int gsi, int level);

/* Boot protocol (boot.c) */
int boot_check_kernel(const char *path);
int boot_load(struct vm *vm, const struct vm_config *cfg);

/* CPUID (cpuid.c) */
int cpuid_setup(struct vm *vm, struct vcpu *vcpu);

/* vCPU threads (vcpu.c) */
int vcpu_init(struct vm *vm, struct vcpu *vcpu, unsigned int index);
int vcpu_set_boot_regs(struct vcpu *vcpu, uint64_t entry, uint64_t boot_params);
int vcpus_start(struct vm *vm);
void vcpus_join(struct vm *vm);

/* Port I/O devices (pio.c) */
void pio_access(struct vm *vm, uint16_t port, bool out, uint8_t *data,
		unsigned int size);

/* SynIC message delivery (synic.c) */
int synic_setup(struct vm *vm);
int synic_post(struct vm *vm, uint32_t vp, uint32_t sint, const void *msg,
	       uint32_t len);
void synic_flush(struct vcpu *vcpu);
/* Drop every message still queued for any VP. */
void synic_discard(struct vm *vm);
void synic_resample(struct vcpu *vcpu);
void vcpu_kick(struct vcpu *vcpu);

/* Hyper-V SynIC exits and hypercalls (hyperv.c) */
void hv_synic_exit(struct vcpu *vcpu, const struct kvm_hyperv_exit *e);
uint64_t hv_hypercall(struct vcpu *vcpu, uint64_t input, uint64_t in_gpa,
		      uint64_t out_gpa);

/* Logging */
void enl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void enl_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
