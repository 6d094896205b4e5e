#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# acpi_iasl_check.sh DIR: check the tables that acpi_dump wrote into DIR
# with ACPICA's own tools (acpica-tools), independently of test_acpi.c:
#
# 1. iasl -d disassembles xsdt, facp, apic and dsdt.  iasl exits 0 even on
#    a bad checksum or a malformed name, so its output is also scanned for
#    warnings/errors ("Incorrect checksum", "Invalid character", ...).
# 2. The data tables (xsdt, facp, apic) are compiled back from iasl's
#    disassembly and must equal ours byte for byte, except the checksum
#    (offset 9) and the creator id/revision (28..35), which iasl rewrites.
#    This catches a field at the wrong offset or a wrong table length.
# 3. acpiexec loads facp + dsdt + apic into ACPICA's interpreter (checksums,
#    namespace) and evaluates \_S5 and both _CRS; any warning or error fails.
#
# The RSDP is not an ACPI table iasl can read; test_acpi.c checks it.
set -euo pipefail

dir=${1:?usage: acpi_iasl_check.sh DIR}
IASL=${IASL:-iasl}
ACPIEXEC=${ACPIEXEC:-acpiexec}
bad='warning|error|incorrect|invalid|exception|AE_[A-Z_]+'
fail=0

complain() {
	echo "acpi-check: $*" >&2
	fail=1
}

mkdir -p "$dir/dis" "$dir/rt"

for t in xsdt facp apic dsdt; do
	log=$dir/dis/$t.log
	if ! "$IASL" -vs -d -p "$dir/dis/$t" "$dir/$t.dat" >"$log" 2>&1; then
		complain "iasl -d $t.dat failed:"; cat "$log" >&2; continue
	fi
	if grep -Eiq "$bad" "$log"; then
		complain "iasl -d $t.dat reported problems:"; grep -Ei "$bad" "$log" >&2
	fi
done

for t in xsdt facp apic; do
	log=$dir/rt/$t.log
	if ! "$IASL" -vs -we -p "$dir/rt/$t" "$dir/dis/$t.dsl" >"$log" 2>&1; then
		complain "iasl could not recompile its disassembly of $t:"; cat "$log" >&2
		continue
	fi
	# cmp -l prints 1-based offsets of differing bytes; allow 10 and 29..36.
	diffs=$(cmp -l "$dir/$t.dat" "$dir/rt/$t.aml" 2>&1 |
		awk '$1 != 10 && ($1 < 29 || $1 > 36)' || true)
	if [ -n "$diffs" ]; then
		complain "$t differs from iasl's re-assembly of it (offset ours theirs, octal):"
		echo "$diffs" | head -20 >&2
	fi
done

log=$dir/acpiexec.log
if ! timeout 60 "$ACPIEXEC" \
	-b 'evaluate \_S5; evaluate \_SB.COM1._CRS; evaluate \_SB.VMBS._CRS' \
	"$dir/facp.dat" "$dir/dsdt.dat" "$dir/apic.dat" >"$log" 2>&1; then
	complain "acpiexec failed:"; cat "$log" >&2
elif grep -Eiq "$bad" "$log"; then
	complain "acpiexec reported problems:"; grep -Ei "$bad" "$log" >&2
elif ! grep -q 'Evaluation of \\_S5 returned' "$log"; then
	complain "acpiexec did not evaluate \\_S5:"; cat "$log" >&2
fi

if [ "$fail" = 0 ]; then
	echo "acpi-check: $dir: iasl -d, re-assembly and acpiexec OK"
fi
exit "$fail"
