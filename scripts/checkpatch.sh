#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/checkpatch.sh: the kernel's checkpatch.pl over the kernel-side C
# (make checkpatch; a developer check, not part of make test: the first run
# downloads ~140 MB).
#
# checkpatch.pl, spelling.txt and const_structs.checkpatch come from
# Debian's linux-source-6.1 (a tarball of the whole tree inside a .deb):
# downloaded once with apt-get download, only those three members kept in
# $ENL_CACHE/checkpatch/, the .deb removed.
#
# Flags:
#   --no-tree   an out-of-tree module: there is no kernel tree around us
#               (the checks that need one, e.g. MAINTAINERS or
#               Documentation lookups, do not apply).
#   --file      check files as they are, not a patch.
#   --strict    the stricter rules too (alignment, spacing, CHECK:s);
#               what upstream asks of new drivers.
#   --show-types  each finding names its rule, so it can be ignored
#               below with a reason.
#   --quiet     only the findings and the per-file totals with findings.
# Rules ignored, each with its reason.  Everywhere:
#   LINUX_VERSION_CODE  one module source for 6.1 and 6.12: kernel/compat.h
#               is the one place that tests it, on purpose.
#   CAMELCASE   the only CamelCase names are others' (the SCSI midlayer's
#               struct Scsi_Host, C11's _Static_assert); without a tree
#               checkpatch cannot tell them from ours.
# Only in include/enl/, which also compiles in user space (daemons, unit
# tests, fuzzers), where the kernel's helpers do not exist:
#   PREFER_DEFINED_ATTRIBUTE_MACRO  no __packed there: __attribute__((packed)).
#   BIT_MACRO   no BIT() there: (1u << n).
#   PREFER_KERNEL_TYPES  types.h makes u8..u64 from <stdint.h> for user space.
#   NEW_TYPEDEFS  enl_guid_t, the GUID type both sides name the same way.
#   COMPLEX_MACRO  the *_GUID_BYTES lists are initializer bytes: they
#               cannot be parenthesised.
#   MACRO_ARG_REUSE  ENL_GUID() splits constants into bytes.
#
# Exits non-zero when checkpatch reports an error or a warning (CHECK:s
# included: --strict findings count too).
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENL_CACHE=${ENL_CACHE:-$HOME/.cache/enlighten}
CP=$ENL_CACHE/checkpatch
PKG=linux-source-6.1
FILES=(checkpatch.pl spelling.txt const_structs.checkpatch)

die() { echo "checkpatch: $*" >&2; exit 1; }

fetch() {
	local f tmp deb have=1 members=()
	for f in "${FILES[@]}"; do
		[[ -s $CP/$f ]] || have=0
	done
	[[ $have -eq 1 ]] && return 0
	command -v apt-get >/dev/null || die "cannot fetch checkpatch.pl: no apt-get (needs Debian's $PKG)"
	mkdir -p "$ENL_CACHE"
	tmp=$(mktemp -d "$ENL_CACHE/.checkpatch.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	echo "checkpatch: downloading $PKG (~140 MB, once) for scripts/checkpatch.pl" >&2
	(cd "$tmp" && apt-get download -qq "$PKG" >/dev/null 2>&1) ||
		die "cannot fetch checkpatch.pl: 'apt-get download $PKG' failed (network? apt-get update?)"
	deb=$(ls "$tmp/${PKG}"_*.deb)
	for f in "${FILES[@]}"; do
		members+=("$PKG/scripts/$f")
	done
	mkdir -p "$tmp/src"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xO "./usr/src/$PKG.tar.xz" |
		tar -xJ -C "$tmp/src" "${members[@]}" ||
		die "cannot fetch checkpatch.pl: unpacking $deb failed"
	mkdir -p "$CP"
	for f in "${FILES[@]}"; do
		mv "$tmp/src/$PKG/scripts/$f" "$CP/$f"
	done
	chmod +x "$CP/checkpatch.pl"
	rm -rf "$tmp"
	trap - EXIT
}

fetch
command -v perl >/dev/null || die "perl is needed to run checkpatch.pl"

cd "$TOP"
# The kernel-side C: the modules' folders and the shared pure logic the
# kernel builds (all of include/enl/; the user-space-only files there are
# few and kept to the same style).  With arguments: those files only.
if [[ $# -gt 0 ]]; then
	SRC=("$@")
	for f in "${SRC[@]}"; do
		[[ -f $f ]] || die "no such file: $f"
	done
else
	mapfile -t SRC < <(git ls-files -- 'kernel/*.[ch]' 'vsc-storage/*.[ch]' \
		'vsc-net/*.[ch]' 'vsc-hid/*.[ch]' 'ic-services/*.[ch]' \
		'include/enl/*.[ch]' | grep -v '\.mod\.c$')
fi
[[ ${#SRC[@]} -gt 0 ]] || die "no sources found"

COMMON=(--no-tree --file --strict --show-types --quiet
	--ignore LINUX_VERSION_CODE,CAMELCASE)
SHARED_IGNORE=PREFER_DEFINED_ATTRIBUTE_MACRO,BIT_MACRO,PREFER_KERNEL_TYPES,NEW_TYPEDEFS,COMPLEX_MACRO,MACRO_ARG_REUSE
KSRC=() SHARED=()
for f in "${SRC[@]}"; do
	case $f in
	include/enl/*) SHARED+=("$f") ;;
	*) KSRC+=("$f") ;;
	esac
done
rc=0
if [[ ${#KSRC[@]} -gt 0 ]]; then
	"$CP/checkpatch.pl" "${COMMON[@]}" "${KSRC[@]}" || rc=1
fi
if [[ ${#SHARED[@]} -gt 0 ]]; then
	"$CP/checkpatch.pl" "${COMMON[@]}" --ignore "$SHARED_IGNORE" "${SHARED[@]}" || rc=1
fi
# checkpatch leaves a CamelCase cache named after HEAD in the cwd; its
# rule is off (above), so the cache is of no use: no file per commit.
rm -f "$TOP"/.checkpatch-camelcase.git.*
if [[ $rc -ne 0 ]]; then
	echo "checkpatch: findings above (errors, warnings or checks)" >&2
else
	echo "checkpatch: ${#SRC[@]} files clean"
fi
exit $rc
