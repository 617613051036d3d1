# shellcheck shell=bash
# DOC: PASS/FAIL bookkeeping shared by the integration tests.
#
# Sourced. Each assertion prints "PASS name" or "FAIL name (why)"; finish
# prints the closing "N passed, N failed" line CI reads and exits non-zero
# when anything failed.

passed=0
failed=0

pass() {
	echo "PASS $1"
	passed=$((passed + 1))
}

fail() {
	echo "FAIL $1 ($2)"
	failed=$((failed + 1))
}

# check NAME WHY CMD...: PASS when CMD succeeds, else FAIL with WHY.
check() {
	local name=$1 why=$2
	shift 2
	if "$@"; then pass "$name"; else fail "$name" "$why"; fi
}

# A test may define on_failure (for example to print daemon logs); finish
# calls it before the closing line when anything failed.
finish() {
	if [ "$failed" != 0 ] && declare -F on_failure >/dev/null; then
		on_failure
	fi
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit $?
}
