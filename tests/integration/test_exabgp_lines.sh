#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
#
# DOC: does the real ExaBGP accept every line anycheck renders?
#
# Two network namespaces joined by a veth: "a" runs ExaBGP 4.2 (AS 65001),
# "b" runs BIRD 2 (AS 65002) accepting everything into its tables. Four BGP
# sessions: n1 (eBGP, add-path), n2 (eBGP), n3 (iBGP, for local-preference)
# over IPv4 and n6 (eBGP) over IPv6. ExaBGP's processes are tiny shell
# scripts that copy lines from a FIFO to ExaBGP and record ExaBGP's replies.
# The lines come from tests/tools/exabgp_render_sample.c, which calls the
# same renderer as anycheck-exabgp. For each line the test asserts ExaBGP's
# reply ("done"), what BIRD received (attributes, which sessions), that
# withdraw lines remove exactly that route (path-information included),
# that ExaBGP logged no error, and that ExaBGP says "shutdown" on SIGTERM.
#
# Run as root: tests/integration/test_exabgp_lines.sh [BUILD_DIR]
# Only documentation addresses (198.51.100.0/24, 203.0.113.0/24,
# 2001:db8::/32) are used, inside the namespaces. Everything started is
# stopped and the namespaces deleted on exit, also on failure.

set -u

HERE=$(cd "$(dirname "$0")" && pwd)
# For harness_need_root and harness_need_programs (skips); this test keeps
# its own pass/fail below, which harness_skip's FAIL then uses.
# shellcheck source=tests/integration/harness.sh
. "$HERE/harness.sh"
BUILD_DIR=${1:-${ANYCHECK_BUILD_DIR:-$HERE/../../build}}
RENDER=$BUILD_DIR/exabgp_render_sample
NS_A=ac-lines-$$-a
NS_B=ac-lines-$$-b
VETH_A=acl$$a
VETH_B=acl$$b
WORK=
EXABGP_PID=
BIRD_PID=
passed=0
failed=0

pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

cleanup() {
	local pid
	[ -n "$EXABGP_PID" ] && kill "$EXABGP_PID" 2>/dev/null
	[ -n "$BIRD_PID" ] && kill "$BIRD_PID" 2>/dev/null
	if [ -n "$WORK" ]; then
		# ExaBGP puts each process in its own process group.
		for pid in "$WORK"/proc4.pid "$WORK"/proc6.pid; do
			[ -s "$pid" ] && kill -- -"$(cat "$pid")" 2>/dev/null
		done
	fi
	for pid in "$EXABGP_PID" "$BIRD_PID"; do
		[ -z "$pid" ] && continue
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
	done
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	[ -n "$WORK" ] && [ -z "${KEEP_WORK:-}" ] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "FAIL: $*"; failed=$((failed + 1)); echo "$passed passed, $failed failed"; exit 1; }

harness_need_root
harness_need_programs ip exabgp bird birdc
[ -x "$RENDER" ] || die "missing $RENDER (build the project first)"

WORK=$(mktemp -d /tmp/ac-lines.XXXXXX)
chmod 755 "$WORK"

# --- network ---------------------------------------------------------------
ip netns add "$NS_A" || die "cannot create netns $NS_A"
ip netns add "$NS_B" || die "cannot create netns $NS_B"
ip -n "$NS_A" link add "$VETH_A" type veth peer name "$VETH_B" netns "$NS_B" ||
    die "cannot create veth"
for a in 198.51.100.1/24 198.51.100.11/24 198.51.100.21/24; do
	ip -n "$NS_A" addr add "$a" dev "$VETH_A"
done
ip -n "$NS_A" addr add 2001:db8:100::1/64 dev "$VETH_A" nodad
ip -n "$NS_A" addr add 2001:db8:100::11/64 dev "$VETH_A" nodad
for a in 198.51.100.2/24 198.51.100.3/24 198.51.100.4/24; do
	ip -n "$NS_B" addr add "$a" dev "$VETH_B"
done
ip -n "$NS_B" addr add 2001:db8:100::2/64 dev "$VETH_B" nodad
for ns in "$NS_A" "$NS_B"; do
	ip -n "$ns" link set lo up
done
ip -n "$NS_A" link set "$VETH_A" up
ip -n "$NS_B" link set "$VETH_B" up

# --- BIRD --------------------------------------------------------------------
cat > "$WORK/bird.conf" <<EOF
log "$WORK/bird.log" all;
router id 198.51.100.2;
protocol device { }
protocol direct { ipv4; ipv6; interface "$VETH_B"; }
template bgp exa {
	passive on;
	hold time 30;
}
protocol bgp n1 from exa {
	local 198.51.100.2 as 65002;
	neighbor 198.51.100.1 as 65001;
	ipv4 { import all; export none; add paths rx; };
}
protocol bgp n2 from exa {
	local 198.51.100.3 as 65002;
	neighbor 198.51.100.11 as 65001;
	ipv4 { import all; export none; };
}
protocol bgp n3 from exa {
	local 198.51.100.4 as 65002;
	neighbor 198.51.100.21 as 65002;
	direct;
	ipv4 { import all; export none; };
}
protocol bgp n6 from exa {
	local 2001:db8:100::2 as 65002;
	neighbor 2001:db8:100::1 as 65001;
	ipv6 { import all; export none; };
}
EOF
BIRD_SOCK=$WORK/bird.ctl
ip netns exec "$NS_B" bird -f -c "$WORK/bird.conf" -s "$BIRD_SOCK" \
    -P "$WORK/bird.pid" 2>>"$WORK/bird.log" &
BIRD_PID=$!

birdc_run() { birdc -s "$BIRD_SOCK" "$@" 2>&1; }

# --- ExaBGP ------------------------------------------------------------------
# The process: copies lines written to its FIFO to ExaBGP (stdout) and
# appends everything ExaBGP writes to it (stdin) to a log.
cat > "$WORK/proc.sh" <<'EOF'
#!/bin/bash
# $1 FIFO to read commands from, $2 file for ExaBGP's replies, $3 pid file
echo $$ > "$3"
cat >> "$2" <&0 &
exec 3<>"$1"
while IFS= read -r line <&3; do
	printf '%s\n' "$line"
done
EOF
chmod 755 "$WORK/proc.sh"
for f in 4 6; do
	mkfifo "$WORK/fifo$f"
	: > "$WORK/replies$f"
done

cat > "$WORK/exabgp.conf" <<EOF
process lines4 {
	run $WORK/proc.sh $WORK/fifo4 $WORK/replies4 $WORK/proc4.pid;
	encoder text;
}
process lines6 {
	run $WORK/proc.sh $WORK/fifo6 $WORK/replies6 $WORK/proc6.pid;
	encoder text;
}
neighbor 198.51.100.2 {
	router-id 198.51.100.1;
	local-address 198.51.100.1;
	local-as 65001;
	peer-as 65002;
	family { ipv4 unicast; }
	capability { add-path send; }
	api { processes [ lines4 ]; }
}
neighbor 198.51.100.3 {
	router-id 198.51.100.1;
	local-address 198.51.100.11;
	local-as 65001;
	peer-as 65002;
	family { ipv4 unicast; }
	api { processes [ lines4 ]; }
}
neighbor 198.51.100.4 {
	router-id 198.51.100.1;
	local-address 198.51.100.21;
	local-as 65002;
	peer-as 65002;
	family { ipv4 unicast; }
	api { processes [ lines4 ]; }
}
neighbor 2001:db8:100::2 {
	router-id 198.51.100.1;
	local-address 2001:db8:100::1;
	local-as 65001;
	peer-as 65002;
	family { ipv6 unicast; }
	api { processes [ lines6 ]; }
}
EOF
ip netns exec "$NS_A" env \
    exabgp.daemon.user=root \
    exabgp.daemon.daemonize=false \
    exabgp.daemon.pid= \
    exabgp.log.destination="$WORK/exabgp.log" \
    exabgp.log.level=INFO \
    exabgp.api.ack=true \
    exabgp.api.cli=false \
    exabgp.tcp.bind= \
    exabgp "$WORK/exabgp.conf" >>"$WORK/exabgp.out" 2>&1 &
EXABGP_PID=$!

# --- helpers -------------------------------------------------------------------
# Poll a command until it succeeds, at most $1 seconds.
wait_for() {
	local seconds=$1
	shift
	local end=$((SECONDS + seconds))
	while [ "$SECONDS" -lt "$end" ]; do
		"$@" && return 0
		sleep 0.2
	done
	"$@"
}

established() {
	local p
	for p in n1 n2 n3 n6; do
		birdc_run show protocols "$p" | grep -q Established || return 1
	done
}

ack_count() { grep -cE '^(done|error)$' "$WORK/replies$1"; }
ack_more_than() { [ "$(ack_count "$1")" -gt "$2" ]; }

# send FAMILY LINE: writes one line to ExaBGP and prints its reply.
send() {
	local family=$1 line=$2 before
	before=$(ack_count "$family")
	printf '%s\n' "$line" > "$WORK/fifo$family"
	if ! wait_for 10 ack_more_than "$family" "$before"; then
		echo "(no reply)"
		return
	fi
	grep -E '^(done|error)$' "$WORK/replies$family" | sed -n "$((before + 1))p"
}

# send_sample FAMILY announce|withdraw SAMPLE: renders and sends, expects done.
send_sample() {
	local family=$1 action=$2 sample=$3 line reply
	line=$("$RENDER" "$action" "$sample") || { fail "render $action $sample"; return; }
	reply=$(send "$family" "$line")
	if [ "$reply" = "done" ]; then
		pass "ExaBGP answers done to: $line"
	else
		fail "ExaBGP answers '$reply' to: $line"
	fi
}

# route_has PREFIX PROTOCOL PATTERN...: BIRD's route from PROTOCOL shows all.
route_has() {
	local prefix=$1 protocol=$2 out pattern
	shift 2
	out=$(birdc_run show route "$prefix" protocol "$protocol" all)
	echo "$out" | grep -q "^$prefix" || return 1
	for pattern in "$@"; do
		echo "$out" | grep -qF -- "$pattern" || return 1
	done
}
route_lacks() {
	local prefix=$1 protocol=$2 out pattern
	shift 2
	out=$(birdc_run show route "$prefix" protocol "$protocol" all)
	echo "$out" | grep -q "^$prefix" || return 0
	for pattern in "$@"; do
		echo "$out" | grep -qF -- "$pattern" && return 1
	done
	return 0
}
route_absent() {
	! birdc_run show route "$1" protocol "$2" | grep -q "^$1"
}

expect_route() {
	local what=$1
	shift
	if wait_for 15 route_has "$@"; then
		pass "$what"
	else
		fail "$what"
		birdc_run show route "$1" all | sed 's/^/    /'
	fi
}
expect_absent() {
	local what=$1
	if wait_for 15 route_absent "$2" "$3"; then
		pass "$what"
	else
		fail "$what"
		birdc_run show route "$2" protocol "$3" all | sed 's/^/    /'
	fi
}

# --- the test --------------------------------------------------------------------
if wait_for 60 established; then
	pass "BIRD has all four sessions with ExaBGP established"
else
	birdc_run show protocols | sed 's/^/    /'
	tail -20 "$WORK/exabgp.log" "$WORK/exabgp.out" "$WORK/bird.log" 2>/dev/null | sed 's/^/    /'
	die "sessions not established"
fi

for sample in v4-all v4-next-hop v4-two-neighbors v4-path-7 v4-path-8 \
    v4-local-preference v4-all-neighbors; do
	send_sample 4 announce "$sample"
done
for sample in v6-self v6-next-hop; do
	send_sample 6 announce "$sample"
done

expect_route "v4-all: MED, communities, large and extended communities, as-path" \
    203.0.113.1/32 n1 "via 198.51.100.1 " "BGP.as_path: 65001 65001 65001" \
    "BGP.med: 100" "BGP.community: (65000,100) (65000,200)" \
    "BGP.ext_community: (rt, 65000, 100) (ro, 65001, 7)" \
    "BGP.large_community: (65000, 1, 2) (4200000000, 3, 4)"
expect_absent "v4-all: targeted at n1 only, not on n2" 203.0.113.1/32 n2
expect_route "v4-next-hop: explicit IPv4 next hop" 203.0.113.2/32 n1 \
    "via 198.51.100.11 " "BGP.next_hop: 198.51.100.11"
expect_route "v4-two-neighbors: on n1" 203.0.113.3/32 n1 "BGP.med: 50"
expect_route "v4-two-neighbors: on n2" 203.0.113.3/32 n2 "BGP.med: 50" \
    "via 198.51.100.11 "
expect_absent "v4-two-neighbors: not on n3" 203.0.113.3/32 n3
expect_route "path-information: both paths 7 and 8 arrive" 203.0.113.4/32 n1 \
    "BGP.med: 10" "BGP.med: 20"
expect_route "v4-local-preference: local-preference on iBGP" 203.0.113.5/32 n3 \
    "BGP.local_pref: 200" "BGP.med: 30" "BGP.community: (65000,100)" \
    "via 198.51.100.21 "
for p in n1 n2 n3; do
	expect_route "v4-all-neighbors: no selector reaches $p" 203.0.113.8/32 "$p" \
	    "BGP.med: 80" "BGP.community: (65000,200)"
done
expect_route "v6-self: next-hop self is the IPv6 session address" \
    2001:db8:1::1/128 n6 "via 2001:db8:100::1 " "BGP.med: 60" \
    "BGP.as_path: 65001 65001" "BGP.community: (65000,100) (65000,200)" \
    "BGP.ext_community: (rt, 65000, 100)" \
    "BGP.large_community: (65000, 1, 2)"
expect_route "v6-next-hop: explicit IPv6 next hop" 2001:db8:1::/48 n6 \
    "via 2001:db8:100::11 " "BGP.med: 70"

# Withdraw path 7 only: path 8 must stay.
send_sample 4 withdraw v4-path-7
if wait_for 15 route_lacks 203.0.113.4/32 n1 "BGP.med: 10" &&
    route_has 203.0.113.4/32 n1 "BGP.med: 20"; then
	pass "withdraw with path-information 7 removes path 7 and keeps path 8"
else
	fail "withdraw with path-information 7 removes path 7 and keeps path 8"
	birdc_run show route 203.0.113.4/32 all | sed 's/^/    /'
fi

for sample in v4-all v4-next-hop v4-two-neighbors v4-path-8 \
    v4-local-preference v4-all-neighbors; do
	send_sample 4 withdraw "$sample"
done
for sample in v6-self v6-next-hop; do
	send_sample 6 withdraw "$sample"
done
expect_absent "withdraw v4-all" 203.0.113.1/32 n1
expect_absent "withdraw v4-next-hop" 203.0.113.2/32 n1
expect_absent "withdraw v4-two-neighbors (n1)" 203.0.113.3/32 n1
expect_absent "withdraw v4-two-neighbors (n2)" 203.0.113.3/32 n2
expect_absent "withdraw path 8" 203.0.113.4/32 n1
expect_absent "withdraw v4-local-preference" 203.0.113.5/32 n3
for p in n1 n2 n3; do
	expect_absent "withdraw v4-all-neighbors ($p)" 203.0.113.8/32 "$p"
done
expect_absent "withdraw v6-self" 2001:db8:1::1/128 n6
expect_absent "withdraw v6-next-hop" 2001:db8:1::/48 n6

if grep -Ei 'error|invalid|could not|not understood|no neighbor|not found|not configured|issue' \
    "$WORK/exabgp.log" > "$WORK/exabgp.errors"; then
	fail "ExaBGP logged problems with our lines:"
	sed 's/^/    /' "$WORK/exabgp.errors"
else
	pass "ExaBGP's log has no error for any rendered line"
fi

# ExaBGP rewrites "," to " , " before parsing a process's line
# (configuration/core/format.py formated()), so the glued form
# "neighbor A, neighbor B" targets the same two neighbors as our " , ".
reply=$(send 4 "neighbor 198.51.100.2, neighbor 198.51.100.3 announce route 203.0.113.9/32 next-hop self med 90")
if [ "$reply" = "done" ]; then
	pass "ExaBGP also accepts 'neighbor A, neighbor B' (glued comma)"
else
	fail "ExaBGP answered '$reply' to the glued-comma neighbor form"
fi
expect_route "glued comma: on n1" 203.0.113.9/32 n1 "BGP.med: 90"
expect_route "glued comma: on n2" 203.0.113.9/32 n2 "BGP.med: 90"
expect_absent "glued comma: not on n3" 203.0.113.9/32 n3
send 4 "withdraw route 203.0.113.9/32 next-hop self" > /dev/null

# A line ExaBGP cannot parse is answered "error" and logged: this shows the
# log check above can see a problem when there is one.
reply=$(send 4 "announce route 203.0.113.10/32 next-hop self med not-a-number")
if [ "$reply" = "error" ]; then
	pass "ExaBGP answers error to an unparsable route"
else
	fail "ExaBGP answered '$reply' to an unparsable route"
fi
if wait_for 5 grep -qiE 'error|could not|issue' "$WORK/exabgp.log"; then
	pass "ExaBGP logs the unparsable route"
else
	fail "ExaBGP did not log the unparsable route"
fi

# On SIGTERM ExaBGP tells its processes "shutdown PID PPID" before killing them.
kill -TERM "$EXABGP_PID"
if wait_for 15 grep -qE '^shutdown [0-9]+ [0-9]+$' "$WORK/replies4" &&
    grep -qE '^shutdown [0-9]+ [0-9]+$' "$WORK/replies6"; then
	pass "ExaBGP writes 'shutdown PID PPID' to every process on SIGTERM"
else
	fail "no shutdown line from ExaBGP on SIGTERM"
	tail -5 "$WORK/replies4" | sed 's/^/    /'
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
