#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: the dns check against real DNS servers: unbound (a resolver) and nsd (an authority)
#
# Two network namespaces joined by a veth (helpers/lab.sh for the plumbing
# and the cleanup):
#   res   192.0.2.53 on lo: unbound, a resolver with a local-data record
#         (health.example.net) and a stub zone example.org. pointing at
#         the authority; 198.51.100.1/24 on the veth. anycheck-exabgp runs
#         here, beside the resolver, as it would on a resolver site.
#   auth  198.51.100.2/24: nsd, authoritative for example.org. (TTL 0, so
#         unbound answers from the authority every time, never a cache).
# anycheck-exabgp runs without ExaBGP (stdin a FIFO, stdout a file: the
# announce/withdraw lines ExaBGP would get), one service per check, each
# with its own /32, so each line says which check decided:
#   local      unbound, local-data             192.0.2.101/32
#   recursive  unbound, www.example.org. via nsd  192.0.2.102/32
#   authority  nsd, www.example.org., no RD     192.0.2.103/32
#   nxdomain   nsd, missing.example.org., expect NXDOMAIN  192.0.2.104/32
#   big        nsd, a 3 KB TXT: truncated over UDP, then TCP  192.0.2.105/32
# Asserted, as a user would see it: all five announced while both servers
# run, with the details in the log (found, NXDOMAIN, truncated then TCP);
# nsd stopped -> unbound answers SERVFAIL and "recursive" is withdrawn
# ("SERVFAIL (expected NOERROR)"), the nsd checks are withdrawn (refused),
# "local" stays announced; unbound stopped -> "local" is withdrawn.
#
# Run as root: tests/integration/test_dns.sh. Environment: ANYCHECK_EXABGP
# (default $BUILD_DIR/anycheck-exabgp). Only documentation addresses, only
# inside the namespaces; every wait is bounded; the daemons, namespaces
# and temp dir are removed on exit, also on failure. About 5 s.

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=helpers/lab.sh
. "$repo/helpers/lab.sh"
# shellcheck source=tests/integration/harness.sh
. "$here/harness.sh"

UNBOUND=/usr/sbin/unbound
NSD=/usr/sbin/nsd
harness_need_root
harness_need_programs ip ss nsenter "$UNBOUND" "$NSD"
harness_binary ANYCHECK_EXABGP anycheck-exabgp

RESOLVER=192.0.2.53
AUTH=198.51.100.2

on_failure() {
	[ -n "$LAB_DIR" ] || return 0
	lab_log_tail "$LAB_DIR/anycheck.err" 40
	lab_log_tail "$LAB_DIR/anycheck.out" 20
	lab_log_tail "$LAB_DIR/unbound.log" 20
	lab_log_tail "$LAB_DIR/nsd.log" 20
}

LAB_QUIET=${LAB_QUIET:-1}
lab_init acdns || { fail setup "lab_init"; finish; }
# A failure must not leave anycheck holding the FIFO open: lab_cleanup stops
# every tracked pid, and the trap below closes our end first.
trap 'exec 3>&- 2>/dev/null; lab_cleanup' EXIT

# --- network -------------------------------------------------------------
setup_network() {
	local veth_res=acd$$r veth_auth=acd$$a
	lab_netns_add res && lab_netns_add auth || return 1
	ip -n "$(lab_ns res)" link add "$veth_res" type veth peer name \
	    "$veth_auth" netns "$(lab_ns auth)" || return 1
	ip -n "$(lab_ns res)" addr add 198.51.100.1/24 dev "$veth_res" &&
	ip -n "$(lab_ns auth)" addr add "$AUTH/24" dev "$veth_auth" &&
	ip -n "$(lab_ns res)" addr add "$RESOLVER/32" dev lo &&
	ip -n "$(lab_ns res)" link set "$veth_res" up &&
	ip -n "$(lab_ns auth)" link set "$veth_auth" up
}
setup_network || { fail setup "network namespaces"; finish; }

# --- nsd: the authority ----------------------------------------------------
mkdir -p "$LAB_DIR/nsd"
{
	echo '$ORIGIN example.org.'
	echo '$TTL 0'
	echo '@ SOA ns1 hostmaster 1 3600 600 86400 0'
	echo '@ NS ns1'
	echo "ns1 A $AUTH"
	echo 'www A 192.0.2.20'
	# 12 strings of 250 bytes: about 3 KB, more than the check's EDNS
	# buffer (1232), so nsd sets TC over UDP.
	printf 'big TXT'
	for _ in $(seq 12); do printf ' "%s"' "$(printf '%0250d' 0)"; done
	echo
} >"$LAB_DIR/nsd/example.org.zone"
cat >"$LAB_DIR/nsd/nsd.conf" <<EOF
server:
	ip-address: $AUTH
	port: 53
	username: ""
	chroot: ""
	zonesdir: "$LAB_DIR/nsd"
	database: ""
	zonelistfile: "$LAB_DIR/nsd/zone.list"
	xfrdfile: "$LAB_DIR/nsd/xfrd.state"
	xfrdir: "$LAB_DIR/nsd"
	pidfile: "$LAB_DIR/nsd/nsd.pid"
	logfile: "$LAB_DIR/nsd.log"
	server-count: 1
	verbosity: 1
remote-control:
	control-enable: no
zone:
	name: "example.org"
	zonefile: "example.org.zone"
EOF

# --- unbound: the resolver -------------------------------------------------
mkdir -p "$LAB_DIR/unbound"
cat >"$LAB_DIR/unbound/unbound.conf" <<EOF
server:
	interface: $RESOLVER
	port: 53
	do-ip6: no
	access-control: 192.0.2.0/24 allow
	username: ""
	chroot: ""
	directory: "$LAB_DIR/unbound"
	pidfile: "$LAB_DIR/unbound/unbound.pid"
	logfile: "$LAB_DIR/unbound.log"
	use-syslog: no
	verbosity: 1
	num-threads: 1
	module-config: "iterator"
	# Give up on a dead authority after 2 tries (about 1.7 s here), not
	# 5: then SERVFAIL comes within the recursive check's 3 s timeout.
	outbound-msg-retry: 2
	cache-max-ttl: 0
	cache-max-negative-ttl: 0
	local-zone: "example.net." static
	local-data: "health.example.net. 0 IN A 192.0.2.10"
stub-zone:
	name: "example.org."
	stub-addr: $AUTH
remote-control:
	control-enable: no
EOF

listening() { # HOST ADDRESS:PORT
	lab_exec "$1" ss -Hlun "src $2" | grep -q .
}

start_nsd() {
	lab_spawn nsd "$LAB_DIR/nsd.log" auth "$NSD" -d -c "$LAB_DIR/nsd/nsd.conf"
	lab_wait_for 10 listening auth "$AUTH:53"
}
start_unbound() {
	lab_spawn unbound "$LAB_DIR/unbound.log" res "$UNBOUND" -d -c \
	    "$LAB_DIR/unbound/unbound.conf"
	lab_wait_for 10 listening res "$RESOLVER:53"
}
check "nsd starts and listens on $AUTH:53" "not listening" start_nsd
check "unbound starts and listens on $RESOLVER:53" "not listening" \
    start_unbound

# --- anycheck-exabgp, without ExaBGP ---------------------------------------
service() { # NAME PREFIX CHECK
	printf '\t\t{ "name": "%s", "prefixes": ["%s"], "checks": [ %s ] }' \
	    "$1" "$2" "$3"
}
{
	cat <<EOF
{
	"defaults": { "interval": 0.2, "fast_interval": 0.2, "timeout": 1,
	              "rise": 1, "fall": 1 },
	"control": { "socket": "$LAB_DIR/anycheck.sock" },
	"state_directory": "$LAB_DIR",
	"services": [
EOF
	service local 192.0.2.101/32 "{ \"type\": \"dns\", \"server\": \"$RESOLVER\", \"name\": \"health.example.net\", \"expect_answer\": \"192.0.2.10\" }"
	echo ,
	service recursive 192.0.2.102/32 "{ \"type\": \"dns\", \"server\": \"$RESOLVER\", \"name\": \"www.example.org.\", \"expect_answer\": \"192.0.2.20\", \"timeout\": 3 }"
	echo ,
	service authority 192.0.2.103/32 "{ \"type\": \"dns\", \"server\": \"$AUTH\", \"name\": \"www.example.org.\", \"recursion\": false, \"expect_answer\": \"192.0.2.20\" }"
	echo ,
	service nxdomain 192.0.2.104/32 "{ \"type\": \"dns\", \"server\": \"$AUTH\", \"name\": \"missing.example.org.\", \"recursion\": false, \"expect_rcode\": [\"NXDOMAIN\"] }"
	echo ,
	service big 192.0.2.105/32 "{ \"type\": \"dns\", \"server\": \"$AUTH\", \"name\": \"big.example.org.\", \"qtype\": \"TXT\", \"recursion\": false, \"expect_answer\": \"00000\" }"
	printf '\n\t]\n}\n'
} >"$LAB_DIR/anycheck.json"

check "the config is valid" "$("$ANYCHECK_EXABGP" -n -c "$LAB_DIR/anycheck.json" 2>&1)" \
    "$ANYCHECK_EXABGP" -n -c "$LAB_DIR/anycheck.json"

mkfifo "$LAB_DIR/in"
(exec nsenter --net="/run/netns/$(lab_ns res)" -- "$ANYCHECK_EXABGP" \
    -c "$LAB_DIR/anycheck.json" <"$LAB_DIR/in" >"$LAB_DIR/anycheck.out" \
    2>"$LAB_DIR/anycheck.err") &
lab_track anycheck $!
exec 3>"$LAB_DIR/in"

# The last line about PREFIX on anycheck's stdout: announce or withdraw.
last_verb() {
	grep " route $1 " "$LAB_DIR/anycheck.out" | tail -n 1 | cut -d' ' -f1
}
is_announced() { [ "$(last_verb "$1")" = announce ]; }
is_withdrawn() { [ "$(last_verb "$1")" = withdraw ]; }
logged() { grep -qF -- "$1" "$LAB_DIR/anycheck.err"; }

for prefix in 192.0.2.101/32 192.0.2.102/32 192.0.2.103/32 192.0.2.104/32 \
    192.0.2.105/32; do
	check "announced while unbound and nsd answer: $prefix" \
	    "last line: $(last_verb "$prefix")" lab_wait_for 10 is_announced "$prefix"
done
check "unbound's local-data found" "not in the log" \
    logged "NOERROR, 1 answer, 192.0.2.10 found"
check "www.example.org found through unbound and nsd" "not in the log" \
    logged "check dns $RESOLVER:53 www.example.org. A: unknown -> pass: NOERROR, 1 answer, 192.0.2.20 found"
check "nsd's NXDOMAIN is what the nxdomain check expects" "not in the log" \
    logged "unknown -> pass: NXDOMAIN, 0 answers"
check "nsd truncates the big TXT over UDP; the check asks again over TCP" \
    "not in the log" logged "; truncated, retried over TCP"

# --- the authority dies ----------------------------------------------------
lab_stop nsd 5
for prefix in 192.0.2.102/32 192.0.2.103/32 192.0.2.104/32 192.0.2.105/32; do
	check "withdrawn once nsd is stopped: $prefix" \
	    "last line: $(last_verb "$prefix")" lab_wait_for 10 is_withdrawn "$prefix"
done
check "unbound answers SERVFAIL without its authority, and the check says so" \
    "not in the log" logged "-> fail: SERVFAIL (expected NOERROR)"
# (The kernel rate-limits ICMP, so some of the nsd checks time out instead.)
check "nsd's closed port is seen: ICMP port unreachable fails a check at once" \
    "not in the log" logged "-> fail: connection refused (ICMP port unreachable)"
sleep 1
check "the resolver's own data still passes: 192.0.2.101/32 stays announced" \
    "$(grep -c '192.0.2.101/32' "$LAB_DIR/anycheck.out") lines about it" \
    test "$(grep -c ' route 192.0.2.101/32 ' "$LAB_DIR/anycheck.out")" = 1

# --- the resolver dies -----------------------------------------------------
lab_stop unbound 5
check "withdrawn once unbound is stopped: 192.0.2.101/32" \
    "last line: $(last_verb 192.0.2.101/32)" \
    lab_wait_for 10 is_withdrawn 192.0.2.101/32

exec 3>&-
check "anycheck-exabgp exits on EOF" "still running" \
    lab_wait_for 5 eval '! lab_alive anycheck'
# With a sanitized build (ANYCHECK_EXABGP=build-asan/anycheck-exabgp).
check "no sanitizer report" "see the log" \
    eval '! grep -q Sanitizer "$LAB_DIR/anycheck.err"'
finish
