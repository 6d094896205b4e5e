# SPDX-License-Identifier: GPL-2.0-only
# tests/nested/lib.sh: L0-side helpers of the nested test bed (bash).
# Sourced by tests/nested/run and tests/nested/mkimage.

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
NESTED=$TOP/tests/nested
INTEG=$TOP/tests/integration
NB=$TOP/build/nested                 # everything the test bed writes
ENL_CACHE=${ENL_CACHE:-$HOME/.cache/enlighten}
KDIR=$ENL_CACHE/kernels
BUSYBOX=${BUSYBOX:-/bin/busybox}

# Top-level modules each image needs; their dependencies are resolved with
# modprobe --show-depends on the unpacked Debian tree.
L1_EARLY_MODULES="virtio_pci 9pnet_virtio 9p"     # the 9p shares
# tun: the net scenario's taps; vhost_net: bench-net's virtio-net under QEMU
L1_KVM_MODULES="kvm-amd tun vhost_net"             # irqbypass ccp kvm kvm-amd
# virtio_*: the benchmarks' QEMU/KVM comparison guests (bench/README.md)
L2_MODULES="hv_vmbus hv_utils hv_storvsc hv_netvsc hid_hyperv hyperv_keyboard msr evdev sd_mod ext4 virtio_pci virtio_blk virtio_net"

die() { echo "nested: $*" >&2; exit 1; }

# krel_of SERIES: the kernel release deps.sh resolved for 6.1 or 6.12.
krel_of() {
	local series pkg krel
	[[ -s $KDIR/resolved ]] || die "no guest kernels in $KDIR; run: make deps"
	while read -r series pkg krel; do
		[[ $series == "$1" ]] && { echo "$krel"; return 0; }
	done < "$KDIR/resolved"
	die "no guest kernel for series '$1' (have: $(awk '{printf "%s ", $1}' "$KDIR/resolved"))"
}

# stage_modules KREL DEST MOD...: copy MOD and its dependencies from the
# unpacked Debian tree into DEST/lib/modules/KREL (same relative paths,
# decompressed so busybox insmod can load them).  Prints the relative
# paths in load order.
stage_modules() {
	local krel=$1 dest=$2 src=$KDIR/$1 m f rel out
	shift 2
	local order
	order=$(for m in "$@"; do
			modprobe -d "$src" -S "$krel" --show-depends "$m" ||
				die "modprobe --show-depends $m failed for $krel"
		done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }')
	for f in $order; do
		rel=${f#"$src/lib/modules/$krel/"}
		rel=${rel%.xz}; rel=${rel%.zst}; rel=${rel%.gz}
		out=$dest/lib/modules/$krel/$rel
		mkdir -p "${out%/*}"
		case $f in
		*.xz)  xz -dc "$f" > "$out" ;;
		*.zst) zstd -qdc "$f" > "$out" ;;
		*.gz)  gzip -dc "$f" > "$out" ;;
		*)     cp "$f" "$out" ;;
		esac
		echo "$rel"
	done
}

# Module names a .ko depends on (its modinfo "depends" field).
ko_depends() {
	# Our own modules (enl_*) ship beside it, not in Debian's tree.
	modinfo -F depends "$1" 2>/dev/null | tr ',' '\n' | grep -v '^enl_' | tr '\n' ' '
}

# Write a newc cpio of directory $1 to $2.  Uncompressed on purpose: the
# nested guests decompress very slowly and the images are a few MiB.
mkcpio() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) > "$2.tmp"
	mv "$2.tmp" "$2"
}

# Hash of everything that goes into an image: a stable name for the cache.
# The module lists are hashed as this shell holds them, not only through
# lib.sh's file: a run that started before lib.sh changed builds with its
# old lists, and must not file that image under the new file's hash (it
# did once: an image without evdev, cached as the one with it).
inputs_hash() {
	{ sha256sum "$@"; echo "$L1_EARLY_MODULES|$L1_KVM_MODULES|$L2_MODULES"; } |
		sha256sum | cut -c1-16
}

# Common busybox root: the binary, applet links made at boot by /init.
skeleton() {
	local root=$1
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,etc,enl,results}
	cp "$BUSYBOX" "$root/bin/busybox"
	ln -sf busybox "$root/bin/sh"
}

# ---- images --------------------------------------------------------------
# Images are cached under $NB/images by a hash of their inputs; a changed
# init script, busybox, kernel package or module builds a new one.

# build_l1_image KREL: prints the path of the L1 initramfs.
build_l1_image() {
	local krel=$1 hash img root
	hash=$(inputs_hash "$NESTED/l1-init" "$NESTED/lib.sh" "$BUSYBOX" "$KDIR/$krel/.complete")
	img=$NB/images/l1-$krel-$hash.cpio
	if [[ ! -s $img ]]; then
		root=$(mktemp -d "$NB/images/.l1.XXXXXX")
		skeleton "$root"
		mkdir -p "$root/etc/enl"
		cp "$NESTED/l1-init" "$root/init"
		# shellcheck disable=SC2086 # word lists
		stage_modules "$krel" "$root" $L1_EARLY_MODULES > "$root/etc/enl/early.order"
		# shellcheck disable=SC2086
		stage_modules "$krel" "$root" $L1_KVM_MODULES > "$root/etc/enl/kvm.order"
		mkcpio "$root" "$img"
		rm -rf "$root"
		find "$NB/images" -name "l1-$krel-*.cpio" ! -name "${img##*/}" -delete
	fi
	echo "$img"
}

# build_l2_base KREL: busybox, /init, the in-tree Hyper-V modules and
# build/modules/KREL/*.ko (ours, if built) with a modules.dep.
build_l2_base() {
	local krel=$1 hash img root ours=() ko deps
	shopt -s nullglob
	ours=("$TOP/build/modules/$krel"/*.ko)
	shopt -u nullglob
	local groot=$ENL_CACHE/guest-root gfio=$ENL_CACHE/guest-fio
	[[ -f $groot/.complete ]] || die "no $groot; run: make deps"
	[[ -f $gfio/.complete ]] || die "no $gfio; run: make deps"
	hash=$(inputs_hash "$NESTED/l2-init" "$NESTED/lib.sh" "$BUSYBOX" "$KDIR/$krel/.complete" \
		"$groot/.complete" "$gfio/.complete" "$gfio/usr/bin/fio" ${ours[@]+"${ours[@]}"})
	img=$NB/images/l2-base-$krel-$hash.cpio
	if [[ ! -s $img ]]; then
		root=$(mktemp -d "$NB/images/.l2.XXXXXX")
		# Debian user space first (scripts/deps.sh GUEST_DEBS: libc,
		# hyperv-daemons, evtest under /usr and /lib), busybox over it.
		cp -a "$groot/." "$root/"
		# fio, built static from Debian's source (scripts/deps.sh)
		cp -a "$gfio/." "$root/"
		rm -f "$root/.complete"
		skeleton "$root"
		cp "$NESTED/l2-init" "$root/init"
		deps=""
		for ko in ${ours[@]+"${ours[@]}"}; do
			deps="$deps $(ko_depends "$ko")"
		done
		# shellcheck disable=SC2086
		stage_modules "$krel" "$root" $L2_MODULES $deps > /dev/null
		if [[ ${#ours[@]} -gt 0 ]]; then
			mkdir -p "$root/lib/modules/$krel/extra"
			cp "${ours[@]}" "$root/lib/modules/$krel/extra/"
		fi
		cp "$KDIR/$krel/lib/modules/$krel"/modules.{order,builtin,builtin.modinfo} "$root/lib/modules/$krel/" 2>/dev/null || true
		depmod -b "$root" "$krel"
		mkcpio "$root" "$img"
		rm -rf "$root"
		find "$NB/images" -name "l2-base-$krel-*.cpio" ! -name "${img##*/}" -delete
	fi
	echo "$img"
}

# build_overlay OUT: the guest helpers and every scenario, appended to the
# base image (the kernel unpacks concatenated cpio archives in order), so
# editing a scenario never rebuilds the base.
build_overlay() {
	local out=$1 root
	root=$(mktemp -d "$NB/images/.ov.XXXXXX")
	mkdir -p "$root/enl"
	cp "$NESTED/guest-lib.sh" "$root/enl/"
	cp -r "$INTEG" "$root/enl/integration"
	mkcpio "$root" "$out"
	rm -rf "$root"
}
