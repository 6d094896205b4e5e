#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# packaging/root-check.sh DEB-DIR VERSION KREL...: the .debs as an
# administrator installs them, in a throwaway Debian root (make
# deb-root-check; not part of make test: it downloads a bookworm root,
# about 10 minutes).
#   - mmdebstrap a bookworm root with dkms and linux-headers-KREL for
#     every KREL (under $ENL_BUILD/deb-root, removed afterwards);
#   - apt-get install both .debs there (their dependencies from Debian);
#   - dkms status: enlighten/VERSION installed for every KREL, each
#     module in /lib/modules/KREL/updates/dkms; the user enlighten and
#     /var/lib/enlighten (enlighten-host's postinst);
#   - apt-get purge: dkms forgets the modules, the source is gone.
set -euo pipefail

dir=$1 ver=$2
shift 2
top=$(cd "$(dirname "$0")/.." && pwd)
build=${ENL_BUILD:-$top/build}
root=$build/deb-root
log=$build/deb-root.log
fail=0
bad() { echo "deb-root-check: $*"; fail=1; }
die() { echo "deb-root-check: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "needs root (mmdebstrap --mode=root, chroot)"
command -v mmdebstrap >/dev/null || die "mmdebstrap is not installed; run: make deps"
[[ $# -gt 0 ]] || die "no guest kernels; run: make deps"
host=$(ls "$dir"/enlighten-host_"$ver"_*.deb | head -n1)
dkms=$dir/enlighten-dkms_${ver}_all.deb
[[ -f $host && -f $dkms ]] || die "no .debs of version $ver in $dir; run: make deb"

cleanup() {
	umount "$root/proc" 2>/dev/null || true
	rm -rf "$root"
}
trap cleanup EXIT
cleanup
headers=$(printf 'linux-headers-%s,' "$@")
echo "deb-root-check: a bookworm root with dkms and ${headers%,} (log: ${log#"$top"/})"
mmdebstrap --variant=apt --mode=root --include="dkms,kmod,${headers%,}" bookworm "$root" \
	"deb http://deb.debian.org/debian bookworm main" \
	"deb http://deb.debian.org/debian bookworm-updates main" \
	"deb http://deb.debian.org/debian-security bookworm-security main" > "$log" 2>&1 ||
	{ tail -n 20 "$log"; die "mmdebstrap failed"; }
cp "$host" "$dkms" "$root/tmp/"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
in_root() { chroot "$root" env DEBIAN_FRONTEND=noninteractive "$@"; }

# mmdebstrap leaves no package lists behind: without them apt cannot
# fetch the .debs' dependencies (liburing2)
in_root apt-get update >> "$log" 2>&1 || { tail -n 20 "$log"; die "apt-get update in the root failed"; }
in_root apt-get install -y --no-install-recommends "/tmp/${host##*/}" "/tmp/${dkms##*/}" >> "$log" 2>&1 ||
	{ tail -n 30 "$log"; die "apt-get install of the .debs failed"; }
status=$(in_root dkms status 2>/dev/null)
echo "$status" | sed 's/^/  dkms status: /'
for krel in "$@"; do
	grep -q "^enlighten/$ver, $krel, [^:]*: installed" <<<"$status" ||
		bad "dkms did not install enlighten/$ver for $krel"
	for m in enl_vmbus enl_ic; do
		ls "$root/lib/modules/$krel/updates/dkms/$m.ko"* >/dev/null 2>&1 ||
			bad "$krel: no $m in /lib/modules/$krel/updates/dkms"
	done
done
in_root getent passwd enlighten >/dev/null || bad "no user enlighten"
[[ $(in_root stat -c %U /var/lib/enlighten) == enlighten ]] || bad "/var/lib/enlighten is not enlighten's"
in_root enl-host --help >/dev/null || bad "enl-host does not run in the root"

in_root apt-get purge -y enlighten-dkms enlighten-host >> "$log" 2>&1 || bad "apt-get purge failed"
[[ -z $(in_root dkms status 2>/dev/null) ]] || bad "dkms still knows enlighten after the purge"
[[ ! -e $root/usr/src/enlighten-$ver ]] || bad "/usr/src/enlighten-$ver left after the purge"

[[ $fail -eq 0 ]] && echo "deb-root-check: both .debs install, dkms built enlighten/$ver for $*, purge clean"
exit $fail
