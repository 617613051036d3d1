# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# DOC: PASS/FAIL bookkeeping shared by the integration tests.
#
# Sourced. Each assertion prints "PASS name" or "FAIL name (why)"; finish
# prints the closing "N passed, N failed" line CI reads and exits non-zero
# when anything failed. A test this machine cannot run (not root, a daemon
# missing) exits 77, which ctest reports as skipped (harness_skip).

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

# harness_skip WHY: end the test as skipped, printing "SKIP WHY" and exiting
# 77 (ctest's SKIP_RETURN_CODE), because this machine cannot run it. With
# ANYCHECK_REQUIRE_INTEGRATION=1 (tests/run.sh, CI: root, every package
# installed) a skip would hide a broken setup, so it is a FAIL instead.
harness_skip() {
	if [ "${ANYCHECK_REQUIRE_INTEGRATION:-0}" = 1 ]; then
		fail "setup" "$1; not skipped: ANYCHECK_REQUIRE_INTEGRATION=1"
		finish
	fi
	echo "SKIP $1"
	exit 77
}

# harness_need_root: skip the test unless it runs as root.
harness_need_root() {
	[ "$(id -u)" = 0 ] && return 0
	harness_skip "needs root to create network namespaces"
}

# harness_need_programs PROGRAM...: skip the test unless every PROGRAM (a
# name looked up in PATH, or a path) is there to run.
harness_need_programs() {
	local program missing=()
	for program in "$@"; do
		case $program in
		*/*) [ -x "$program" ] || missing+=("$program") ;;
		*) command -v "$program" >/dev/null || missing+=("$program") ;;
		esac
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	harness_skip "needs ${missing[*]}, not installed; helpers/install-deps.sh installs them"
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
