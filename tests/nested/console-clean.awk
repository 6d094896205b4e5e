# SPDX-License-Identifier: GPL-2.0-only
# tests/nested/console-clean.awk: the guest console as checks read it.
# The kernel prints to COM1 whenever it likes, also in the middle of a line
# a guest script is writing; such a message is moved to a line of its own
# and the script's line joined again, and CRs are dropped.
# For example
#   "ENL-X=1[  2.3] msg" "\n" "rest"  ->  "[  2.3] msg" "\n" "ENL-X=1rest"
# Lines "ENL-DMESG: [ts] ..." are the guest's own dmesg copies: their first
# time stamp belongs to them.
BEGIN { ts = "\\[ *[0-9]+\\.[0-9]+\\] " }
{
	sub(/\r+$/, "")
	line = pending $0
	pending = ""
	base = 0
	if (match(line, "^ENL-DMESG: " ts))
		base = RLENGTH
	if (match(substr(line, base + 1), ts) && base + RSTART > 1) {
		print substr(line, base + RSTART)
		pending = substr(line, 1, base + RSTART - 1)
		next
	}
	print line
}
END { if (pending != "") print pending }
