#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# packaging/deb-check.sh DEB-DIR VERSION [KREL...]: check what `make deb`
# built (make deb-check, part of make test):
#   - lintian: no error (warnings and notes are listed, not fatal);
#   - each package holds what it must (programs, man pages, units, the
#     stop helper; the DKMS source, dkms.conf, the modprobe.d file) and
#     its relations (dkms, hyperv-daemons, adduser);
#   - the packaged DKMS source is the tree `make dkms-check` builds with
#     dkms for every guest kernel (same files, byte for byte), so that
#     check covers the package too; without it (no kernels) dkms builds
#     the packaged source here.
#   - the unit files' command lines run: each program in an ExecStart=
#     or ExecStop= line takes the options given there (--help parse);
#   - enl-vm-stop (ExecStop=): refused, too slow and clean power-off.
set -euo pipefail

dir=$1 ver=$2
shift 2
top=$(cd "$(dirname "$0")/.." && pwd)
build=${ENL_BUILD:-$top/build}
fail=0
bad() { echo "deb-check: $*"; fail=1; }

host=$(ls "$dir"/enlighten-host_"$ver"_*.deb 2>/dev/null | head -n1)
dkms=$(ls "$dir"/enlighten-dkms_"$ver"_all.deb 2>/dev/null | head -n1)
[[ -f $host && -f $dkms ]] || { echo "deb-check: no .debs of version $ver in $dir; run: make deb"; exit 1; }

# lintian, as Debian runs it on an upload (the .changes: both packages)
changes=$(ls "$dir"/enlighten_"$ver"_*.changes | head -n1)
if ! lintian --fail-on error --tag-display-limit 0 "$changes" > "$dir/lintian.log" 2>&1; then
	cat "$dir/lintian.log"
	bad "lintian reports errors (log: ${dir#"$top"/}/lintian.log)"
else
	echo "deb-check: lintian: no error ($(grep -c '^W:' "$dir/lintian.log" || true) warnings, $(grep -c '^I:' "$dir/lintian.log" || true) notes: ${dir#"$top"/}/lintian.log)"
fi

has() {  # has DEB PATH...: each PATH is in DEB
	local deb=$1 list p
	shift
	list=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|; s|/$||')
	for p in "$@"; do
		grep -qxF "$p" <<<"$list" || bad "$(basename "$deb") lacks $p"
	done
}
field() { dpkg-deb -f "$1" "$2"; }

has "$host" /usr/bin/enl-host /usr/bin/enl-icvsp /usr/bin/enl-hidvsp \
	/usr/bin/enl-storvsp /usr/bin/enl-netvsp /usr/bin/enlctl /usr/lib/enlighten/enl-vm-stop \
	/usr/share/man/man1/enl-host.1.gz /usr/share/man/man1/enlctl.1.gz \
	/usr/share/man/man1/enl-icvsp.1.gz /usr/share/man/man1/enl-storvsp.1.gz \
	/usr/share/man/man1/enl-hidvsp.1.gz /usr/share/man/man1/enl-netvsp.1.gz \
	/lib/systemd/system/enl-host@.service /lib/systemd/system/enl-icvsp@.service \
	/lib/systemd/system/enl-hidvsp@.service /lib/systemd/system/enl-storvsp@.service \
	/lib/systemd/system/enl-netvsp@.service \
	/etc/enlighten/vms /var/lib/enlighten \
	/usr/share/doc/enlighten-host/examples/vm.conf
has "$dkms" /usr/src/enlighten-"$ver"/dkms.conf /usr/src/enlighten-"$ver"/Kbuild \
	/etc/modprobe.d/enlighten.conf
[[ $(field "$dkms" Depends) == *dkms* ]] || bad "enlighten-dkms does not depend on dkms"
[[ $(field "$dkms" Recommends) == *hyperv-daemons* ]] || bad "enlighten-dkms does not recommend hyperv-daemons"
[[ $(field "$host" Depends) == *adduser* ]] || bad "enlighten-host does not depend on adduser"
[[ $(field "$host" Depends) == *libc6* ]] || bad "enlighten-host: no shared-library dependencies (linked static?)"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$dkms" "$root"
dpkg-deb -x "$host" "$root"

# the blacklist: every in-tree Hyper-V driver we replace
for m in hv_vmbus hv_utils hv_storvsc hv_netvsc hid_hyperv hyperv_keyboard; do
	grep -qx "blacklist $m" "$root/etc/modprobe.d/enlighten.conf" ||
		bad "modprobe.d/enlighten.conf does not blacklist $m"
done

src=$root/usr/src/enlighten-$ver
grep -qx "PACKAGE_VERSION=\"$ver\"" "$src/dkms.conf" || bad "dkms.conf: PACKAGE_VERSION is not $ver"
if [[ -f $build/dkms/enlighten-$ver/dkms.conf ]]; then
	diff -r "$src" "$build/dkms/enlighten-$ver" > "$dir/dkms-src.diff" ||
		bad "the packaged DKMS source differs from the one make dkms-check builds (${dir#"$top"/}/dkms-src.diff)"
elif [[ $# -gt 0 ]]; then
	ENL_BUILD=$build "$top/kernel/dkms-check.sh" "$src" "$ver" "$@" || fail=1
fi

# The units' command lines: every option they pass is one the program
# takes (each program refuses an unknown option with status 2).
for u in "$root"/lib/systemd/system/*.service; do
	while IFS= read -r line; do
		cmd=${line#Exec*=}
		prog=${cmd%% *}
		[[ -x $root$prog ]] || { bad "$(basename "$u"): $prog is not in the packages"; continue; }
		[[ $prog == */enl-vm-stop ]] && { sh -n "$root$prog" || bad "enl-vm-stop: syntax"; continue; }
		# same options with %i filled in, and --help last: the program
		# parses them all and prints its help (0), or refuses one (2)
		args=${cmd#"$prog"}
		args=${args//%i/vm0}
		# shellcheck disable=SC2086
		if ! "$root$prog" $args --help >/dev/null 2>"$dir/unit-opts.err"; then
			bad "$(basename "$u"): $prog refuses its unit's options: $(head -n1 "$dir/unit-opts.err")"
		fi
	done < <(grep -E '^Exec(Start|Stop)=' "$u")
done

# enl-vm-stop's three ends, with a stand-in enlctl: the guest refuses
# (hard stop at once), accepts but stays up (hard stop after SECONDS),
# accepts and powers off (enl-host's pid ends)
stop=$root/usr/lib/enlighten/enl-vm-stop
sleep 30 & up=$!
out=$(ENLCTL=false "$stop" vm0 "$up" 5 2>&1) && [[ $out == *"did not take the shutdown request"* ]] ||
	bad "enl-vm-stop, guest refusing: '$out'"
out=$(ENLCTL=true "$stop" vm0 "$up" 1 2>&1) && [[ $out == *"did not power off within 1 s"* ]] ||
	bad "enl-vm-stop, guest staying up: '$out'"
kill "$up"; wait "$up" 2>/dev/null || true
sleep 1 & up=$!
out=$(ENLCTL=true "$stop" vm0 "$up" 10 2>&1) && [[ $out == *"the guest powered off after"* ]] ||
	bad "enl-vm-stop, guest powering off: '$out'"
wait "$up" 2>/dev/null || true
out=$("$stop" vm0 "" 2>&1) || bad "enl-vm-stop without a main pid: '$out'"

if [[ $fail -eq 0 ]]; then
	echo "deb-check: $(basename "$host"), $(basename "$dkms"): contents, relations, units and DKMS source as expected"
fi
exit $fail
