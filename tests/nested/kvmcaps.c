// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvmcaps: print which KVM capabilities /dev/kvm offers that enl-host
 * cares about.  The test bed uses it to log what L1's KVM offers and to
 * tell on L0 whether /dev/kvm exists but lacks the Hyper-V caps.
 *
 * Exit status: 0 all Hyper-V caps present, 1 some missing (named on
 * stdout), 2 /dev/kvm cannot be opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct cap {
	const char *name;
	int nr;
	int needed;	/* enl-host cannot run a Hyper-V guest without it */
};

#define CAP(n, need) { #n, n, need }
static const struct cap caps[] = {
	CAP(KVM_CAP_IRQCHIP, 1),
	CAP(KVM_CAP_HYPERV, 1),
	CAP(KVM_CAP_HYPERV_VP_INDEX, 1),
	CAP(KVM_CAP_HYPERV_TIME, 1),
	CAP(KVM_CAP_HYPERV_SYNIC2, 1),
	CAP(KVM_CAP_HYPERV_EVENTFD, 1),
	CAP(KVM_CAP_HYPERV_CPUID, 0),
	CAP(KVM_CAP_SYS_HYPERV_CPUID, 1),
	CAP(KVM_CAP_HYPERV_ENFORCE_CPUID, 0),
	CAP(KVM_CAP_HYPERV_SEND_IPI, 0),
	CAP(KVM_CAP_HYPERV_TLBFLUSH, 0),
};

int main(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int missing = 0;

	if (fd < 0) {
		printf("/dev/kvm: %s\n", strerror(errno));
		return 2;
	}
	printf("KVM_API_VERSION %d\n", ioctl(fd, KVM_GET_API_VERSION, 0));
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		int r = ioctl(fd, KVM_CHECK_EXTENSION, caps[i].nr);

		printf("%-32s %s\n", caps[i].name, r > 0 ? "yes" : "no");
		if (r <= 0 && caps[i].needed)
			missing++;
	}
	close(fd);
	return missing ? 1 : 0;
}
