#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/test-phases.sh PHASE...: `make test`'s body.  Runs each PHASE as
# `make PHASE` and times it; prints the time of every phase at the end.
#
# A failed build ("all") stops the run: nothing after it means anything.
# Any other failed phase is reported and the run goes on, so one run shows
# every failure; the exit status is non-zero if any phase failed.
#
# The last line is "test: N passed, M failed": the nested scenarios' own
# count (its checks) plus one per other phase, so a red unit or fuzz phase
# cannot hide behind a green nested run.
set -uo pipefail

MAKE=${MAKE:-make}
declare -a names=() secs=() results=()
nested_line=
failed_phases=0 passed_phases=0 any_failed=0
t_all=$SECONDS

for phase in "$@"; do
	echo "==== make $phase"
	t0=$SECONDS
	log=$(mktemp)
	$MAKE --no-print-directory "$phase" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	names+=("$phase"); secs+=($((SECONDS - t0)))
	if [[ $phase == nested ]]; then
		nested_line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	fi
	rm -f "$log"
	if [[ $rc -eq 0 ]]; then
		results+=(ok)
		[[ $phase == nested ]] || passed_phases=$((passed_phases + 1))
	else
		results+=("FAILED ($rc)")
		any_failed=1
		[[ $phase == nested && -n $nested_line ]] || failed_phases=$((failed_phases + 1))
		[[ $phase == all ]] && { echo "test: the build failed; nothing else run"; break; }
	fi
done

echo
echo "==== time per phase"
for i in "${!names[@]}"; do
	printf '  %-12s %6ss  %s\n' "${names[$i]}" "${secs[$i]}" "${results[$i]}"
done
printf '  %-12s %6ss\n' total $((SECONDS - t_all))

np=$passed_phases nf=$failed_phases
if [[ -n $nested_line ]]; then
	read -r a _ b _ <<< "${nested_line//,/}"
	np=$((np + a)) nf=$((nf + b))
fi
echo "test: $np passed, $nf failed"
[[ $nf -eq 0 && $any_failed -eq 0 ]]
