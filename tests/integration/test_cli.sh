#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: command-line and process behaviour of the anycheck daemons
#
# For anycheck-exabgp and anycheck-bird: -V, -h, usage errors (exit 2),
# -n on good and bad configs (exit 0 / 3, every error as
# FILE:LINE:COLUMN: path: message on stderr, nothing on stdout), the
# example configs, and that bird/anycheck.conf is what anycheck-bird -g
# renders from bird/anycheck.json. Then anycheck-exabgp runs as ExaBGP
# would run it, with stdin from a fifo and stdout captured: one announce
# when the service comes up (never repeated), one withdraw when it fails,
# and a final withdraw plus exit 0 on EOF and on SIGTERM. File checks only;
# no network, no root needed.
#
# Environment: BUILD_DIR (default ./build of the repository).
# Prints "PASS name" / "FAIL name (why)" per assertion, then
# "N passed, N failed"; exits non-zero on any failure.

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${BUILD_DIR:-$repo/build}
case $build in /*) ;; *) build=$PWD/$build ;; esac

# shellcheck source=tests/integration/harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
tmp=$(mktemp -d /tmp/anycheck-cli-XXXXXX)
daemon_pid=

cleanup() {
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill -KILL "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
	fi
	exec 3>&- 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# run PROGRAM ARGS...: sets rc, and out/err to the files with its output.
run() {
	out=$tmp/stdout err=$tmp/stderr
	"$@" >"$out" 2>"$err"
	rc=$?
}

for program in anycheck-exabgp anycheck-bird; do
	if [ ! -x "$build/$program" ]; then
		fail "$program exists" "no $build/$program; build first"
		finish
	fi
done

cat >"$tmp/good.json" <<EOF
{
	"services": [
		{ "name": "web", "prefixes": ["192.0.2.1/32"],
		  "checks": [ { "type": "file", "path": "$tmp/healthy" } ] }
	]
}
EOF
cat >"$tmp/bad.json" <<'EOF'
{
	"defaults": { "rise": 0 },
	"services": [
		{ "name": "web", "prefixes": ["192.0.2.300/32"],
		  "checks": [ { "type": "nope" } ] }
	]
}
EOF
bad_errors="$tmp/bad.json:2:24: defaults.rise: must be an integer between 1 and 100
$tmp/bad.json:4:33: services[0].prefixes[0]: invalid prefix \"192.0.2.300/32\": invalid address
$tmp/bad.json:5:27: services[0].checks[0].type: unknown check type \"nope\"; known types: address, exec, file, http, listen, process, tcp"

for program in anycheck-exabgp anycheck-bird; do
	bin=$build/$program
	version=$(sed -n 's/^project(anycheck VERSION \([0-9.]*\).*/\1/p' \
	    "$repo/CMakeLists.txt")

	run "$bin" -V
	check "$program -V" "rc $rc, stdout '$(cat "$out")'" \
	    test "$rc" = 0 -a "$(cat "$out")" = "$program $version"

	run "$bin" -h
	check "$program -h" "rc $rc" test "$rc" = 0
	check "$program -h prints usage on stdout" "$(head -1 "$out")" \
	    grep -q "^usage: $program -c FILE" "$out"

	run "$bin"
	check "$program without arguments exits 2" "rc $rc" test "$rc" = 2
	check "$program without arguments names -c" "$(head -1 "$err")" \
	    grep -q -- "-c FILE" "$err"
	check "$program without arguments prints nothing on stdout" \
	    "$(cat "$out")" test ! -s "$out"

	run "$bin" --no-such-flag -c "$tmp/good.json"
	check "$program unknown flag exits 2" "rc $rc" test "$rc" = 2
	check "$program unknown flag is named" "$(head -1 "$err")" \
	    grep -q -- "no-such-flag" "$err"

	run "$bin" -c "$tmp/good.json" extra
	check "$program stray argument exits 2" "rc $rc" test "$rc" = 2

	run "$bin" -n -c "$tmp/good.json"
	check "$program -n good config" "rc $rc, stdout '$(cat "$out")'" \
	    test "$rc" = 0 -a "$(cat "$out")" = "configuration OK"

	run "$bin" -n -c "$tmp/bad.json"
	check "$program -n bad config exits 3" "rc $rc" test "$rc" = 3
	check "$program -n bad config prints nothing on stdout" \
	    "$(cat "$out")" test ! -s "$out"
	while IFS= read -r line; do
		check "$program -n reports '${line#"$tmp/"}'" "stderr: $(cat "$err")" \
		    grep -qxF -- "$line" "$err"
	done <<<"$bad_errors"
	check "$program -n bad config counts its errors" "$(tail -1 "$err")" \
	    grep -qxF "$program: 3 errors in $tmp/bad.json; nothing was started" \
	    "$err"

	run "$bin" -n -c "$tmp/missing.json"
	check "$program missing config exits 3" "rc $rc" test "$rc" = 3
	check "$program missing config says cannot read" "$(cat "$err")" \
	    grep -q "^$tmp/missing.json: cannot read" "$err"

	for example in exabgp/anycheck.json bird/anycheck.json; do
		run "$bin" -n -c "$repo/$example"
		check "$program -n $example" "rc $rc: $(cat "$err")" \
		    test "$rc" = 0 -a "$(cat "$out")" = "configuration OK"
	done
done

# The committed include file is what the binary renders (from the root).
(cd "$repo" && "$build/anycheck-bird" -g - -c bird/anycheck.json) \
    >"$tmp/anycheck.conf" 2>"$tmp/generate.err"
rc=$?
check "anycheck-bird -g - exits 0" "rc $rc: $(cat "$tmp/generate.err")" \
    test "$rc" = 0
check "bird/anycheck.conf is up to date" \
    "$(diff "$repo/bird/anycheck.conf" "$tmp/anycheck.conf")" \
    cmp -s "$repo/bird/anycheck.conf" "$tmp/anycheck.conf"
run "$build/anycheck-exabgp" -g - -c "$repo/exabgp/anycheck.json"
check "anycheck-exabgp has no -g" "rc $rc" test "$rc" = 2

# --- anycheck-exabgp as a process --------------------------------------

cat >"$tmp/run.json" <<EOF
{
	"defaults": { "interval": 0.05, "fast_interval": 0.05, "rise": 1, "fall": 1 },
	"services": [
		{ "name": "web", "prefixes": ["192.0.2.1/32"],
		  "checks": [ { "type": "file", "path": "$tmp/healthy" } ] }
	]
}
EOF

# start_daemon: anycheck-exabgp with stdin from a fifo held open on fd 3.
start_daemon() {
	rm -f "$tmp/in" "$tmp/out" "$tmp/err"
	mkfifo "$tmp/in"
	"$build/anycheck-exabgp" -c "$tmp/run.json" <"$tmp/in" \
	    >"$tmp/out" 2>"$tmp/err" &
	daemon_pid=$!
	exec 3>"$tmp/in"
}

# count PATTERN: lines of the daemon's stdout starting with PATTERN.
count() {
	grep -c "^$1" "$tmp/out"
}

# wait_for PATTERN N SECONDS: until N lines start with PATTERN.
wait_for() {
	local deadline=$((SECONDS + $3 + 1)) i
	for ((i = 0; i < $3 * 20; i++)); do
		[ "$(count "$1")" -ge "$2" ] && return 0
		[ $SECONDS -ge $deadline ] && break
		sleep 0.05
	done
	[ "$(count "$1")" -ge "$2" ]
}

# wait_exit SECONDS: sets exit_rc once the daemon exited, or fails.
wait_exit() {
	local i
	for ((i = 0; i < $1 * 20; i++)); do
		if ! kill -0 "$daemon_pid" 2>/dev/null; then
			wait "$daemon_pid"
			exit_rc=$?
			daemon_pid=
			return 0
		fi
		sleep 0.05
	done
	exit_rc=timeout
	return 1
}

announce="announce route 192.0.2.1/32 next-hop self"
withdraw="withdraw route 192.0.2.1/32 next-hop self"

touch "$tmp/healthy"
start_daemon
check "announces when the check passes" "stdout: $(cat "$tmp/out")" \
    wait_for "announce route" 1 3
check "the announce line" "$(head -1 "$tmp/out")" \
    grep -qxF "$announce" "$tmp/out"
sleep 1
check "the announce is not repeated" "$(count announce) announces" \
    test "$(count announce)" = 1
check "nothing else is written" "stdout: $(cat "$tmp/out")" \
    test "$(wc -l <"$tmp/out")" = 1
rm "$tmp/healthy"
check "withdraws when the check fails" "stdout: $(cat "$tmp/out")" \
    wait_for "withdraw route" 1 3
sleep 0.5
check "exactly one withdraw" "$(count withdraw) withdraws" \
    test "$(count withdraw)" = 1
check "the withdraw line" "stdout: $(cat "$tmp/out")" \
    test "$(tail -1 "$tmp/out")" = "$withdraw"
touch "$tmp/healthy"
check "announces again on recovery" "stdout: $(cat "$tmp/out")" \
    wait_for "announce route" 2 3
exec 3>&-
check "exits on EOF within 2 s" "still running" wait_exit 2
check "exit status 0 on EOF" "status $exit_rc" test "$exit_rc" = 0
check "withdraws on EOF" "stdout: $(cat "$tmp/out")" \
    test "$(count withdraw)" = 2 -a "$(tail -1 "$tmp/out")" = "$withdraw"
check "logs go to stderr" "stderr empty" grep -q "anycheck-exabgp info" \
    "$tmp/err"

start_daemon
check "announces (SIGTERM run)" "stdout: $(cat "$tmp/out")" \
    wait_for "announce route" 1 3
kill -TERM "$daemon_pid"
check "exits on SIGTERM within 2 s" "still running" wait_exit 2
check "exit status 0 on SIGTERM" "status $exit_rc" test "$exit_rc" = 0
check "withdraws on SIGTERM" "stdout: $(cat "$tmp/out")" \
    test "$(count withdraw)" = 1 -a "$(tail -1 "$tmp/out")" = "$withdraw"
exec 3>&-

# Found DOWN at start: the first decision is sent (an earlier instance may
# have announced the prefix and ExaBGP keeps it), once, and nothing more on
# the way out.
rm "$tmp/healthy"
start_daemon
sleep 0.5
exec 3>&-
check "exits on EOF when never announced" "still running" wait_exit 2
check "exit status 0 when never announced" "status $exit_rc" \
    test "$exit_rc" = 0
check "a service found DOWN at start is withdrawn once, never announced" \
    "stdout: $(cat "$tmp/out")" \
    test "$(count withdraw)" = 1 -a "$(count announce)" = 0

finish
