#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# kernel/dkms-check.sh STAGED-SRC VERSION KREL...: build the DKMS package
# from STAGED-SRC (a /usr/src/enlighten-<ver> look-alike) with dkms itself,
# in a private DKMS tree under $ENL_BUILD/dkms (nothing on the system
# changes), for every KREL, and check that DKMS produced every module
# `make modules` built into $ENL_BUILD/modules/KREL, each with the right
# vermagic.  Called by `make dkms-check` (ENL_BUILD: its BUILD, default
# build/).
set -euo pipefail

src=$1 ver=$2
shift 2
top=$(cd "$(dirname "$0")/.." && pwd)
build=${ENL_BUILD:-$top/build}
work=$build/dkms
tree=$work/tree
srctree=$work/src

die() { echo "dkms-check: $*" >&2; exit 1; }
command -v dkms >/dev/null || die "dkms is not installed; run: make deps"

rm -rf "$tree" "$srctree"
mkdir -p "$tree" "$srctree"
cp -r "$src" "$srctree/enlighten-$ver"
opts=(--dkmstree "$tree" --sourcetree "$srctree")

dkms add "${opts[@]}" "enlighten/$ver" > "$work/add.log" 2>&1 ||
	{ cat "$work/add.log"; die "dkms add failed"; }
fail=0
for krel in "$@"; do
	log=$work/build-$krel.log
	# the headers are a private tree (scripts/deps.sh), not /lib/modules
	ksrc=${ENL_HEADERS_DIR:?run make deps}/$krel/build
	[[ -f $ksrc/Makefile ]] || die "no headers for $krel in $ksrc; run: make deps"
	if ! dkms build "${opts[@]}" -k "$krel" --kernelsourcedir "$ksrc" \
		"enlighten/$ver" > "$log" 2>&1; then
		tail -n 30 "$log"
		[[ -f $tree/enlighten/$ver/build/make.log ]] &&
			tail -n 30 "$tree/enlighten/$ver/build/make.log"
		echo "dkms-check: dkms build for $krel failed (log: ${log#"$top"/})"
		fail=1
		continue
	fi
	out=$tree/enlighten/$ver/$krel/$(uname -m)/module
	for ko in "$build/modules/$krel"/*.ko; do
		m=$(basename "$ko")
		# dkms compresses the way the kernel's own modules are
		built=
		for f in "$out/$m" "$out/$m.xz" "$out/$m.zst" "$out/$m.gz"; do
			[[ -f $f ]] && built=$f
		done
		if [[ -z $built ]]; then
			echo "dkms-check: $krel: DKMS did not build $m (add it to dkms.conf)"
			fail=1
			continue
		fi
		vm=$(modinfo -F vermagic "$built")
		if [[ $vm != "$krel "* ]]; then
			echo "dkms-check: $krel: $m has vermagic '$vm'"
			fail=1
		fi
	done
	echo "dkms-check: $krel: $(cd "$out" && echo *.ko*)"
done
dkms status "${opts[@]}" "enlighten/$ver" 2>/dev/null | sed 's/^/dkms-check: status: /'
[[ $fail -eq 0 ]] || die "failed"
echo "dkms-check: passed"
