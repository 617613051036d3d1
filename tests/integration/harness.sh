# SPDX-License-Identifier: BSD-2-Clause
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

harness_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# harness_need_root: end the test with a FAIL unless it runs as root.
harness_need_root() {
	[ "$(id -u)" = 0 ] && return 0
	fail "setup" "must run as root"
	finish
}

# harness_binary VAR PROGRAM: set and export VAR to the absolute path of
# PROGRAM (VAR from the environment, else $BUILD_DIR/PROGRAM, BUILD_DIR
# defaulting to the repository's build/); end with a FAIL when missing.
harness_binary() {
	local var=$1 program=$2 path
	path=${!var:-${BUILD_DIR:-$harness_repo/build}/$program}
	if [ ! -x "$path" ]; then
		fail "setup" "no executable $program at $path (set $var or BUILD_DIR)"
		finish
	fi
	printf -v "$var" '%s' "$(readlink -f "$path")"
	export "${var?}"
}
