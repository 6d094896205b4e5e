# SPDX-License-Identifier: GPL-2.0-only
# tests/nested/guest-lib.sh: helpers for scenario guest() functions; runs
# in the L2 guest's busybox sh.  Everything printed goes to the guest's
# COM1, i.e. to RESULTS/<instance>/guest.log on the host side, so markers
# are lines "ENL-<NAME>=<value>" that check() greps for.

marker() { echo "ENL-$1=$2"; }

# The guest boots with loglevel=5 (host-run): each console byte costs
# about two exits to enl-host, and the kernel's info lines were three
# quarters of them.  What the checks look for among those lines (the
# hypervisor, VMBus and our modules, errors) comes here once, at power-off
# or reboot, as "ENL-KLOG: <line>"; warnings and worse went to the
# console as they happened.  busybox dmesg -r: "<level>[time] text".
klog_dump() {
	dmesg -r 2>/dev/null | grep -E '^<[5-7]>' |
		grep -E 'Hyper-V|hyperv|hv_|vmbus|VMBus|enl_|rror|fail' |
		sed 's/^<[0-9]*>/ENL-KLOG: /'
}

# load_modules MOD...: busybox modprobe over the image's modules.dep.
load_modules() {
	for m in "$@"; do
		if modprobe "$m"; then marker MODPROBE "$m ok"; else marker MODPROBE "$m failed"; fi
	done
}

# The modules of the VMBus stack under test ($STACK: stock = Debian's
# in-tree hv_* drivers, enl = ours from build/modules/<krel>/).
stack_modules() {
	case $STACK in
	stock) echo "hv_vmbus" ;;
	enl)   echo "enl_vmbus" ;;
	esac
}

# Online CPUs as the guest sees them.
online_cpus() {
	grep -c '^processor' /proc/cpuinfo
}

# read_msr CPU MSR: 16 hex digits, or nothing if it cannot be read.
read_msr() {
	[ -e /dev/cpu/$1/msr ] || modprobe msr 2>/dev/null
	dd if=/dev/cpu/$1/msr bs=8 count=1 skip=$(($2)) iflag=skip_bytes 2>/dev/null |
		od -An -tx8 | tr -d ' '
}

# Hyper-V facts the kernel knows: detection line, hypercall MSR (bit 0 =
# the hypercall page is enabled; bits 12.. = its guest page number).
report_hyperv() {
	dmesg | grep -E 'Hypervisor detected|Hyper-V' | sed 's/^/ENL-DMESG: /'
	marker HYPERCALL-MSR "$(read_msr 0 0x40000001)"
	marker GUEST-OS-ID "$(read_msr 0 0x40000000)"
	marker CLOCKSOURCE "$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)"
}
