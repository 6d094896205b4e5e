#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/deps.sh: make sure this Debian 12 machine has everything the build
# and the nested test bed need, then fetch and unpack the guest kernels.
#
#   - Debian packages: installed with apt-get only when one is missing.
#   - Guest kernels: resolved from the package metadata (the kernel that
#     linux-image-amd64 depends on, and the newest 6.12 "-unsigned" image),
#     downloaded with apt-get download into $ENL_CACHE/debs, unpacked into
#     $ENL_CACHE/kernels/<krel>/ and indexed with depmod -b.
#   - Headers for the same releases (linux-headers-<krel>, its -common
#     package and its linux-kbuild-*) are downloaded and unpacked into
#     $ENL_CACHE/headers/<krel>/, never installed: nothing of the host's
#     /boot, /lib/modules or boot loader changes (installing the 6.12
#     headers package would pull a 6.12 image into the host's /boot).
#     Modules build with `make -C $ENL_CACHE/headers/<krel>/build`.
#   - L0's QEMU for the test bed: qemu-system-x86 from bookworm-backports
#     (10.x; bookworm's own 7.2 corrupts nested guests under MTTCG far
#     more often, docs/testbed.md), downloaded through a private apt
#     state in $ENL_CACHE/apt-bpo (the host's apt sources are not
#     touched) and unpacked into $ENL_CACHE/qemu/<version>/, never
#     installed; the libraries it links come from bookworm.
#   - Writes $ENL_CACHE/kernels/list (one release per line, 6.1 first) and
#     build/kernels.mk for the Makefiles.
#
# Every make test/demo calls this, so the common case (all present, answer
# cached) must take well under a second: the only work then is one
# dpkg-query and a few stat calls.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENL_CACHE=${ENL_CACHE:-$HOME/.cache/enlighten}
KDIR=$ENL_CACHE/kernels
DEBS=$ENL_CACHE/debs
RESOLVED=$KDIR/resolved          # "<series> <image package> <krel>" lines
LIST=$KDIR/list                  # one krel per line, 6.1 first
KERNELS_MK=$TOP/build/kernels.mk

# Host packages.  gcc/make/libelf-dev/bc/flex/bison: kernel module builds;
# clang + libclang-rt: the libFuzzer harnesses (ASan, UBSan); dkms: make
# dkms-check builds the DKMS package with dkms itself;
# the rest: the test bed (qemu, busybox initramfs, module handling).
# gcc-12: the compiler Debian built both kernels with (their Kbuild calls
# it by that name); dwarves: pahole, for 6.12's module BTF; libssl3: the
# kbuild tools (sign-file); e2fsprogs: the checks read a guest's file
# system from a disk image (e2fsck -n, debugfs).  dpkg-dev, debhelper,
# dh-dkms, help2man, lintian: make deb / deb-check (the .debs, their man
# pages, lintian); mmdebstrap: make deb-root-check (a throwaway root).
# liburing-dev: the static liburing enl-storvsp links for its io_uring
# backend; dpkg-dev (dpkg-source) and zlib1g-dev: the guests' fio, built
# from Debian's source (fetch_guest_fio).
HOST_PKGS=(
	gcc gcc-12 make libc6-dev libelf-dev bc flex bison dwarves libssl3
	clang libclang-rt-14-dev liburing-dev
	qemu-system-x86 busybox-static cpio kmod xz-utils zstd
	acpica-tools libcmocka-dev dkms socat e2fsprogs
	dpkg-dev debhelper dh-dkms help2man lintian mmdebstrap zlib1g-dev
)

# User space for the L2 guest images beside busybox: Debian's own
# hyperv-daemons (the integration services' user-space half, run unmodified
# on our modules), evtest (input checks), e2fsprogs and its libraries (an
# ext4 file system on a synthetic disk: mke2fs, e2fsck), ethtool and iperf3
# with their libraries (the network scenario; its host step runs iperf3 in
# L1 from the L2 image), and the libc they need.  Unpacked
# into $ENL_CACHE/guest-root, never installed on this host.
GUEST_DEBS=(libc6 libgcc-s1 hyperv-daemons evtest
	e2fsprogs libext2fs2 libcom-err2 libblkid1 libuuid1
	ethtool libmnl0 iperf3 libiperf0 libsctp1 libssl3)

log()  { echo "deps: $*" >&2; }
die()  { echo "deps: $*" >&2; exit 1; }

is_root() { [[ $(id -u) -eq 0 ]]; }

# Print the packages of "$@" that are not installed.
missing_pkgs() {
	local p st
	# One dpkg-query for all names; unknown names come out on stderr.
	declare -A have=()
	while read -r p st; do
		[[ $st == ii ]] && have[$p]=1
	done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "$@" 2>/dev/null || true)
	for p in "$@"; do
		[[ -n ${have[$p]:-} ]] || echo "$p"
	done
}

APT_UPDATED=0
apt_update() {
	[[ $APT_UPDATED -eq 1 ]] && return 0
	log "apt-get update"
	apt-get update -qq >&2 || die "apt-get update failed"
	APT_UPDATED=1
}

# Install packages if missing; without root/apt say exactly what to install.
ensure_pkgs() {
	local miss
	mapfile -t miss < <(missing_pkgs "$@")
	[[ ${#miss[@]} -eq 0 ]] && return 0
	if ! is_root || ! command -v apt-get >/dev/null; then
		die "missing packages, run as root: apt-get install -y ${miss[*]}"
	fi
	apt_update
	log "installing ${miss[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${miss[@]}" >&2 || die "apt-get install ${miss[*]} failed"
}

# ---- kernel resolution --------------------------------------------------

# The resolution is cached; it is redone when apt's lists changed (apt-get
# update touches /var/lib/apt/lists) or once a day.
resolution_fresh() {
	[[ -s $RESOLVED ]] || return 1
	[[ $RESOLVED -nt /var/lib/apt/lists ]] || return 1
	[[ -z $(find "$RESOLVED" -mmin +1440 2>/dev/null) ]]
}

# The default kernel: what the linux-image-amd64 metapackage depends on.
resolve_61() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

# The newest 6.12 image for 64-bit PCs (not cloud, not rt).
resolve_612() {
	apt-cache search --names-only '^linux-image-6\.12\..*-amd64-unsigned$' 2>/dev/null |
		awk '{ print $1 }' | grep -Ev -- '-(cloud|rt)-' | sort -V | tail -n 1
}

# linux-image-6.1.0-56-amd64 -> 6.1.0-56-amd64;
# linux-image-6.12.117+deb12-amd64-unsigned -> 6.12.117+deb12-amd64
pkg_to_krel() {
	local r=${1#linux-image-}
	echo "${r%-unsigned}"
}

resolve_kernels() {
	local p61 p612
	p61=$(resolve_61)
	p612=$(resolve_612)
	if [[ -z $p61 || -z $p612 ]]; then
		# Fresh machine with empty apt lists: update once and retry.
		is_root || die "cannot resolve guest kernels from apt metadata; run as root: apt-get update"
		apt_update
		p61=$(resolve_61)
		p612=$(resolve_612)
	fi
	[[ -n $p61 ]]  || die "cannot resolve the kernel of linux-image-amd64 (apt-cache depends)"
	[[ -n $p612 ]] || die "cannot find a linux-image-6.12.*-amd64-unsigned package (apt-cache search)"
	mkdir -p "$KDIR"
	{
		echo "6.1 $p61 $(pkg_to_krel "$p61")"
		echo "6.12 $p612 $(pkg_to_krel "$p612")"
	} > "$RESOLVED.tmp"
	mv "$RESOLVED.tmp" "$RESOLVED"
}

# Download + unpack one image package; idempotent through a stamp file.
fetch_kernel() {
	local pkg=$1 krel=$2 dir=$KDIR/$2 deb tmp
	[[ -f $dir/.complete && -f $dir/boot/vmlinuz-$krel ]] && return 0
	deb=$(fetch_deb "$pkg")
	log "unpacking $(basename "$deb")"
	tmp=$(mktemp -d "$KDIR/.unpack.XXXXXX")
	dpkg-deb -x "$deb" "$tmp"
	[[ -f $tmp/boot/vmlinuz-$krel && -d $tmp/lib/modules/$krel ]] ||
		die "$deb does not contain boot/vmlinuz-$krel and lib/modules/$krel"
	# modules.dep for modprobe -d/--show-depends (6.12: reads .ko.xz, ~10 s).
	depmod -b "$tmp" "$krel"
	rm -rf "$dir"
	mv "$tmp" "$dir"
	echo "$pkg $(basename "$deb")" > "$dir/.complete"
}

# Download one package's .deb into $DEBS (if not there); print its path.
fetch_deb() {
	local pkg=$1 deb
	mkdir -p "$DEBS"
	deb=$(ls "$DEBS/${pkg}"_*.deb 2>/dev/null | sort -V | tail -n 1 || true)
	if [[ -z $deb ]]; then
		log "downloading $pkg"
		if ! (cd "$DEBS" && apt-get download -qq "$pkg" 2>/dev/null); then
			apt_update
			(cd "$DEBS" && apt-get download -qq "$pkg" 2>/dev/null) ||
				die "apt-get download $pkg failed"
		fi
		deb=$(ls "$DEBS/${pkg}"_*.deb | sort -V | tail -n 1)
	fi
	echo "$deb"
}

# The headers of krel as a private tree: linux-headers-<krel> and the
# packages of its own that it depends on (-common, linux-kbuild-*), all
# unpacked into one root.  The arch package's Makefile includes the
# -common one by absolute path, and build/source are absolute links: point
# them into the tree.  Redone when the tree was unpacked elsewhere.
fetch_headers() {
	local krel=$1 dir=$ENL_CACHE/headers/$1 tmp pkgs=() p
	if [[ -f $dir/.complete && $(cat "$dir/.complete") == "$dir" ]]; then
		return 0
	fi
	mapfile -t pkgs < <(apt-cache depends "linux-headers-$krel" 2>/dev/null |
		awk '$1 ~ /Depends:$/ && $2 ~ /^linux-(headers|kbuild)-/ { print $2 }' | sort -u)
	if [[ ${#pkgs[@]} -eq 0 ]]; then
		apt_update
		mapfile -t pkgs < <(apt-cache depends "linux-headers-$krel" 2>/dev/null |
			awk '$1 ~ /Depends:$/ && $2 ~ /^linux-(headers|kbuild)-/ { print $2 }' | sort -u)
	fi
	[[ ${#pkgs[@]} -gt 0 ]] ||
		die "cannot resolve what linux-headers-$krel depends on (apt-cache depends)"
	mkdir -p "$ENL_CACHE/headers"
	tmp=$(mktemp -d "$ENL_CACHE/headers/.unpack.XXXXXX")
	for p in "linux-headers-$krel" "${pkgs[@]}"; do
		dpkg-deb -x "$(fetch_deb "$p")" "$tmp"
	done
	[[ -f $tmp/usr/src/linux-headers-$krel/Makefile ]] ||
		die "linux-headers-$krel has no usr/src/linux-headers-$krel/Makefile"
	sed -i "s|^include /usr/src/|include $dir/usr/src/|" \
		"$tmp/usr/src/linux-headers-$krel/Makefile"
	ln -sfn "usr/src/linux-headers-$krel" "$tmp/build"
	rm -rf "$dir"
	mv "$tmp" "$dir"
	echo "$dir" > "$dir/.complete"
}

# $ENL_CACHE/guest-root: GUEST_DEBS unpacked, for tests/nested/lib.sh to
# add to every L2 image.  Redone when the list changes.
fetch_guest_root() {
	local dir=$ENL_CACHE/guest-root tmp p want
	want="${GUEST_DEBS[*]}"
	[[ -f $dir/.complete && $(cat "$dir/.complete") == "$want" ]] && return 0
	mkdir -p "$ENL_CACHE"
	tmp=$(mktemp -d "$ENL_CACHE/.guest-root.XXXXXX")
	for p in "${GUEST_DEBS[@]}"; do
		dpkg-deb -x "$(fetch_deb "$p")" "$tmp"
	done
	# Only what runs in the guest: no docs, manuals, units or locales.
	rm -rf "$tmp"/usr/share/{doc,man,info,locale,lintian} "$tmp"/lib/systemd "$tmp"/usr/lib/systemd \
		"$tmp"/usr/lib/x86_64-linux-gnu/gconv
	rm -rf "$dir"
	mv "$tmp" "$dir"
	echo "$want" > "$dir/.complete"
}

# $ENL_CACHE/guest-fio: fio for the L2 images (the storage scenario's
# verify jobs).  Debian's fio binary links the libraries of every engine
# (rbd, rados, gluster, rdma, pmem, nbd) and is bound at load (BIND_NOW):
# over 60 MiB of libraries in every L2 image.  So: bookworm's fio source
# package, built here, static, without those engines; its own io_uring
# and psync engines need no library.  The source comes through a private
# apt state with one deb-src line (your apt sources are not changed).
FIO_APT=$ENL_CACHE/apt-src
FIO_CONFIGURE=(--build-static --disable-native --disable-numa --disable-rdma
	--disable-rados --disable-rbd --disable-http --disable-gfapi --disable-libnfs
	--disable-pmem --disable-xnvme --disable-libzbc --disable-tcmalloc --disable-dfs)

apt_src() {
	local tool=$1; shift
	"$tool" -qq -o Dir::Etc::SourceList="$FIO_APT/sources.list" \
		-o Dir::Etc::SourceParts="$FIO_APT/parts" -o Dir::State::Lists="$FIO_APT/lists" \
		-o Dir::Cache="$FIO_APT/cache" -o APT::Sandbox::User=root \
		-o Debug::NoLocking=1 "$@"
}

fetch_guest_fio() {
	local dir=$ENL_CACHE/guest-fio want tmp
	want="bookworm ${FIO_CONFIGURE[*]}"
	[[ -f $dir/.complete && $(cat "$dir/.complete") == "$want" ]] && return 0
	mkdir -p "$FIO_APT"/{parts,lists/partial,cache/archives/partial}
	echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main" \
		> "$FIO_APT/sources.list"
	log "fio for the guests: source package from bookworm (private apt state in $FIO_APT)"
	apt_src apt-get update >&2 || die "apt-get update (deb-src bookworm, state $FIO_APT) failed"
	tmp=$(mktemp -d "$ENL_CACHE/.guest-fio.XXXXXX")
	(cd "$tmp" && apt_src apt-get source --download-only fio >&2) ||
		die "apt-get source fio failed (state $FIO_APT)"
	dpkg-source -x "$tmp"/fio_*.dsc "$tmp/src" >&2 || die "dpkg-source -x fio failed"
	log "building fio (static, a minute or two)"
	(cd "$tmp/src" && ./configure "${FIO_CONFIGURE[@]}" >&2 && make -j2 fio >&2) ||
		die "fio build failed in $tmp/src"
	mkdir -p "$tmp/root/usr/bin"
	install -m 755 -s "$tmp/src/fio" "$tmp/root/usr/bin/fio"
	rm -rf "$dir"
	mv "$tmp/root" "$dir"
	rm -rf "$tmp"
	echo "$want" > "$dir/.complete"
}

# ---- L0 QEMU from bookworm-backports --------------------------------------

BPO=$ENL_CACHE/apt-bpo
BPO_SUITE=bookworm-backports
L0_QEMU_PKGS=(qemu-system-x86 qemu-system-common qemu-system-data seabios)

# apt-get/apt-cache on a private state that knows only the backports suite.
apt_bpo() {
	local tool=$1; shift
	"$tool" -qq -o Dir::Etc::SourceList="$BPO/sources.list" \
		-o Dir::Etc::SourceParts="$BPO/parts" -o Dir::State::Lists="$BPO/lists" \
		-o Dir::Cache="$BPO/cache" -o APT::Sandbox::User=root \
		-o Debug::NoLocking=1 "$@"
}

fetch_l0_qemu() {
	local top=$ENL_CACHE/qemu dir tmp ver p deb libs=()
	[[ -f $top/current/.complete ]] && return 0
	mkdir -p "$BPO"/{parts,lists/partial,cache/archives/partial} "$top"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $BPO_SUITE main" \
		> "$BPO/sources.list"
	log "apt-get update ($BPO_SUITE, private state in $BPO)"
	apt_bpo apt-get update >&2 || die "apt-get update of $BPO_SUITE failed (private state $BPO)"
	ver=$(apt_bpo apt-cache show "qemu-system-x86/$BPO_SUITE" 2>/dev/null |
		awk '/^Version:/ { print $2; exit }')
	[[ -n $ver ]] || die "no qemu-system-x86 in $BPO_SUITE (apt-cache show)"
	dir=$top/${ver//[:~+]/_}
	tmp=$(mktemp -d "$top/.unpack.XXXXXX")
	for p in "${L0_QEMU_PKGS[@]}"; do
		log "downloading $p/$BPO_SUITE"
		(cd "$tmp" && apt_bpo apt-get download "$p/$BPO_SUITE" >&2) ||
			die "apt-get download $p/$BPO_SUITE failed"
	done
	for deb in "$tmp"/*.deb; do
		dpkg-deb -x "$deb" "$tmp/root"
	done
	# Its shared libraries, from bookworm (first alternative of each).
	mapfile -t libs < <(dpkg-deb -f "$tmp"/qemu-system-x86_*.deb Depends | tr ',' '\n' |
		sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | grep -E '^lib')
	ensure_pkgs "${libs[@]}"
	if ldd "$tmp/root/usr/bin/qemu-system-x86_64" | grep -q 'not found'; then
		die "qemu-system-x86 $ver from $BPO_SUITE misses libraries: $(ldd "$tmp/root/usr/bin/qemu-system-x86_64" | grep 'not found' | tr -s ' \n' ' ')"
	fi
	rm -f "$tmp"/*.deb
	rm -rf "$tmp"/root/usr/share/{doc,man,locale}
	echo "$ver" > "$tmp/root/.complete"
	rm -rf "$dir"
	mv "$tmp/root" "$dir"
	rmdir "$tmp"
	ln -sfn "$(basename "$dir")" "$top/current"
	log "L0 QEMU: $("$dir/usr/bin/qemu-system-x86_64" --version | head -n 1)"
}

write_lists() {
	local series pkg krel
	mkdir -p "$TOP/build"
	awk '{ print $3 }' "$RESOLVED" > "$LIST.tmp" && mv "$LIST.tmp" "$LIST"
	{
		echo "# generated by scripts/deps.sh from $RESOLVED"
		echo "ENL_KERNEL_DIR := $KDIR"
		# make -C $(ENL_HEADERS_DIR)/<krel>/build M=... builds a module
		echo "ENL_HEADERS_DIR := $ENL_CACHE/headers"
		while read -r series pkg krel; do
			echo "ENL_KREL_${series//./_} := $krel"
		done < "$RESOLVED"
		echo "ENL_KRELS := $(tr '\n' ' ' < "$LIST" | sed 's/ $//')"
	} > "$KERNELS_MK.tmp"
	# Keep the mtime stable when nothing changed (make dependencies).
	if cmp -s "$KERNELS_MK.tmp" "$KERNELS_MK"; then
		rm -f "$KERNELS_MK.tmp"
	else
		mv "$KERNELS_MK.tmp" "$KERNELS_MK"
	fi
}

main() {
	command -v dpkg-query >/dev/null || die "this script needs Debian (dpkg-query not found)"
	ensure_pkgs "${HOST_PKGS[@]}"

	resolution_fresh || resolve_kernels

	local series pkg krel
	while read -r series pkg krel; do
		fetch_kernel "$pkg" "$krel"
		fetch_headers "$krel"
	done < "$RESOLVED"
	fetch_guest_root
	fetch_guest_fio
	fetch_l0_qemu

	write_lists
}

main "$@"
