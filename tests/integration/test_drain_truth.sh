#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: measured: what a drain (65535:0, then withdraw) does to established TCP connections, in both topologies the lab builds
#
# A drain keeps the route announced with GRACEFUL_SHUTDOWN (65535:0) for
# drain.seconds before withdrawing it. This test holds long-lived TCP
# connections (lab_client_flows_start: a line every 0.1 s to an echo
# service on 192.0.2.1:9000) through a drain started by the maintenance
# file, and reports when each broke, relative to the maintenance file, to
# the router moving and to the withdraw:
#
# 1. two sites behind one router (FRR, eBGP; FRR gives 65535:0 local
#    preference 0 by itself, the lab's route-map sets nothing): A is
#    preferred (B prepends its AS). At the start of the drain the router
#    moves to B, and every packet of A's established connections goes to B,
#    which resets them. Asserted: they broke at the start of the drain, not
#    at the withdraw; new connections (HTTP every 0.1 s) lost nothing; A's
#    sockets stay ESTABLISHED after the break, so drain.connections (max 0)
#    cannot end the drain early: it ends on drain.seconds.
# 2. one site of two hosts (A1, A2) behind the router at equal cost, per-flow
#    ECMP through a resilient next-hop group (BIRD router, "merge paths",
#    the lab's resilient FIB follower): A1 drains. 65535:0 takes A1 out of
#    the ECMP set at once, so A1's connections break at the start of the
#    drain too; A2's connections survive the drain and the withdraw.
#
# Prints MEASURE lines with the times. Needs root, frr and bird2.
# ANYCHECK_BIRD / BUILD_DIR as for test_bird.sh.

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=helpers/lab.sh
. "$repo/helpers/lab.sh"
# shellcheck source=tests/integration/harness.sh
. "$here/harness.sh"

harness_need_root
harness_need_programs ip ss "$LAB_BIRD" "$LAB_BIRDC" "$LAB_PYTHON" curl \
    "$LAB_FRR_DIR/zebra" "$LAB_FRR_DIR/bgpd" "$LAB_FRR_DIR/bfdd" "$LAB_VTYSH"
harness_binary ANYCHECK_BIRD anycheck-bird

prefix=192.0.2.1/32
drain_seconds=4
t_start=$(date +%s)

# site_config NAME AS PREPEND: anycheck-bird's config for a site.
site_config() {
	local name=$1 as=$2 prepend=$3
	mkdir -p "$LAB_DIR/state-$name"
	cat >"$LAB_DIR/$name.json" <<EOF
{
	"local_as": $as,
	"bird": { "socket": "$(lab_site_bird_socket "$name")" },
	"control": { "socket": "$LAB_DIR/$name.sock" },
	"state_directory": "$LAB_DIR/state-$name",
	"services": [ {
		"name": "web",
		"prefixes": ["$prefix"],
		"checks": [ { "type": "http", "url": "http://192.0.2.1/", "expect_status": [200] } ],
		"interval": 0.2, "fast_interval": 0.1, "rise": 2, "fall": 2, "timeout": 0.5,
		"maintenance_file": "$LAB_DIR/maintenance-$name",
		"announce": { "as_path_prepend": $prepend },
		"drain": { "seconds": $drain_seconds, "connections": { "max": 0, "ports": [9000] } }
	} ]
}
EOF
}

# site_up NAME AS PREPEND: echo service, BIRD and anycheck-bird in site NAME.
site_up() {
	site_config "$1" "$2" "$3" &&
	    lab_site_echo_start "$1" &&
	    lab_site_bird "$1" "$LAB_DIR/$1.json"
}

rel() {	# seconds from $1 to $2 ("-" when $2 is "-")
	[ "$2" = - ] && { echo -; return; }
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'
}
lt() {	# a < b
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'
}

# A's established connections to the echo service, seen in site NAME.
established_in() {
	lab_exec "$1" ss -Htn state established '( sport = :9000 )' | grep -c .
}

# ---- 1. two sites behind one router (FRR)
two_sites() {
	local t_m now sites best t_move=- t_wd=- i out traffic broke fails a_left ended
	lab_init adt2 || { fail "two sites: setup" "lab_init"; return; }
	if ! { LAB_ROUTER_KIND=frr lab_router && lab_site A 65001 && lab_site B 65002 &&
	    lab_client && site_up A 65001 0 && site_up B 65002 1; }; then
		fail "two sites: setup" "the lab did not come up"
		lab_cleanup
		return
	fi
	if ! lab_wait_best_site "$prefix" A 10 || ! lab_wait_for 5 eval "lab_router_route_sites $prefix | grep -qx B"; then
		fail "two sites: setup" "router routes: $(lab_router_route_sites $prefix | tr '\n' ' ')"
		lab_cleanup
		return
	fi
	out="$LAB_DIR/flows"
	traffic="$LAB_DIR/traffic"
	lab_client_flows_start "$out" 192.0.2.1 9000 3 12 0.1 || {
		fail "two sites: flows" "not open"
		lab_cleanup
		return
	}
	lab_client_traffic_start "$traffic" http://192.0.2.1/ 90 0.1 1
	sleep 1
	touch "$LAB_DIR/maintenance-A"
	t_m=$(date +%s.%N)
	# Watch the router (bounded: 150 rounds, about 0.1 s each).
	for i in $(seq 1 150); do
		sites=$(lab_router_route_sites "$prefix" 2>/dev/null)
		now=$(date +%s.%N)
		best=$(printf '%s\n' "$sites" | head -n 1)
		[ "$t_move" = - ] && [ "$best" = B ] && t_move=$now
		if ! printf '%s\n' "$sites" | grep -qx A; then
			t_wd=$now
			break
		fi
		# A's socket, seen by the site, 2 s into the drain.
		if [ -z "${a_left:-}" ] && lt 2 "$(rel "$t_m" "$now")"; then
			a_left=$(established_in A)
		fi
		sleep 0.05
	done
	lab_client_flows_wait "$out" stop
	lab_client_traffic_wait "$traffic"
	broke=$(awk '$2 == "A" && $4 != "-" { print $4; exit }' "$out")
	echo "MEASURE drain, two sites (FRR eBGP): router moved to B $(rel "$t_m" "$t_move")s after the maintenance file; withdraw at the router $(rel "$t_m" "$t_wd")s after it; the connection to A broke $(rel "$t_m" "${broke:--}")s after it ($(awk '$2 == "A" { print $5; exit }' "$out")); flows: $(awk '{ printf "%s%s:%s ", $2, ($4 == "-" ? "" : "/broken"), $5 }' "$out")"
	check "two sites: the long-lived connections went to A (the preferred site)" \
	    "$(cut -d' ' -f2 "$out" | tr '\n' ' ')" eval "! awk '\$2 != \"A\"' '$out' | grep -q ."
	check "two sites: the router moved to B during the drain" "t_move $t_move" [ "$t_move" != - ]
	check "two sites: the route was withdrawn after the drain" "t_wd $t_wd" [ "$t_wd" != - ]
	check "two sites: the connection to A broke" "flows: $(tr '\n' ' ' <"$out")" [ -n "$broke" ]
	if [ -n "$broke" ] && [ "$t_wd" != - ]; then
		check "two sites: the connection to A broke at the start of the drain, not at the withdraw" \
		    "broke $(rel "$t_m" "$broke")s after the maintenance file, withdraw $(rel "$t_m" "$t_wd")s" \
		    lt "$(rel "$t_m" "$broke")" "$(awk -v w="$(rel "$t_m" "$t_wd")" 'BEGIN { print w - 1.5 }')"
		check "two sites: ... within 2 s of the maintenance file (the router moving)" \
		    "$(rel "$t_m" "$broke")s" lt "$(rel "$t_m" "$broke")" 2
	fi
	fails=$(grep -c ' FAIL ' "$traffic" 2>/dev/null)
	echo "MEASURE drain, two sites: new connections during the drain: $(grep -c . "$traffic") requests, $fails failed, first answer from B $(rel "$t_m" "$(awk '$2 == "site_B" { print $1; exit }' "$traffic")")s after the maintenance file"
	check "two sites: new connections lost nothing through the drain and the withdraw" \
	    "$fails of $(grep -c . "$traffic") requests failed" [ "$fails" = 0 ]
	echo "MEASURE drain, two sites: 2 s into the drain site A still had ${a_left:-?} ESTABLISHED connection(s) on port 9000 (the client's sockets were reset)"
	check "two sites: A's sockets stay ESTABLISHED after the break (drain.connections cannot see the break)" \
	    "${a_left:-?} established in A" eval "[ '${a_left:-0}' -ge 1 ]"
	ended=$(grep 'drain ended' "$LAB_DIR/site-A/anycheck-bird.log" | tail -n 1)
	echo "MEASURE drain, two sites: anycheck-bird: ${ended:-no 'drain ended' line}"
	check "two sites: the drain ended on drain.seconds (time bound), not on connections" "$ended" \
	    eval "printf '%s' '$ended' | grep -q 'time bound reached'"
	lab_cleanup
}

# ---- 2. one site, two hosts, resilient ECMP (BIRD)
two_hosts() {
	local t_m now t_move=- t_wd=- i out a1_broke a2_broken a1
	lab_init adte || { fail "two hosts: setup" "lab_init"; return; }
	if ! { LAB_ROUTER_KIND=bird LAB_ROUTER_MULTIPATH=resilient lab_router &&
	    lab_site A1 65001 && lab_site A2 65001 && lab_client &&
	    site_up A1 65001 0 && site_up A2 65001 0; }; then
		fail "two hosts: setup" "the lab did not come up"
		lab_cleanup
		return
	fi
	a1=$(lab_site_addr A1 site4)
	if ! lab_wait_for 10 eval "[ \$(lab_router_kernel_nexthops $prefix | grep -c .) = 2 ]"; then
		fail "two hosts: setup" "kernel route: $(lab_router_kernel_route $prefix | tr '\n' ' ')"
		lab_cleanup
		return
	fi
	out="$LAB_DIR/flows"
	lab_client_flows_start "$out" 192.0.2.1 9000 12 14 0.1 || {
		fail "two hosts: flows" "not open"
		lab_cleanup
		return
	}
	sleep 1
	touch "$LAB_DIR/maintenance-A1"
	t_m=$(date +%s.%N)
	for i in $(seq 1 150); do
		now=$(date +%s.%N)
		[ "$t_move" = - ] && ! lab_router_kernel_nexthops "$prefix" | grep -qxF "$a1" && t_move=$now
		if ! lab_router_route_sites "$prefix" | grep -qx A1; then
			t_wd=$(date +%s.%N)
			break
		fi
		sleep 0.05
	done
	sleep 1      # A2's connections keep talking after the withdraw
	lab_client_flows_wait "$out" stop
	a1_broke=$(awk '$2 == "A1" && $4 != "-" { print $4; exit }' "$out")
	a2_broken=$(awk '$2 == "A2" && $4 != "-"' "$out" | grep -c .)
	echo "MEASURE drain, one site of two hosts (resilient ECMP): A1 left the router's next-hop group $(rel "$t_m" "$t_move")s after the maintenance file; A1's route withdrawn $(rel "$t_m" "$t_wd")s after it; A1's first connection broke $(rel "$t_m" "${a1_broke:--}")s after it; $a2_broken of $(awk '$2 == "A2"' "$out" | grep -c .) connections to A2 broke; $(awk '$2 == "A1"' "$out" | grep -c .) of 12 went to A1"
	check "two hosts: connections reached both hosts" "$(cut -d' ' -f2 "$out" | tr '\n' ' ')" \
	    eval "grep -q ' A1 ' '$out' && grep -q ' A2 ' '$out'"
	check "two hosts: 65535:0 took A1 out of the ECMP set during the drain" "t_move $t_move" [ "$t_move" != - ]
	check "two hosts: A1's route was withdrawn after the drain" "t_wd $t_wd" [ "$t_wd" != - ]
	if [ -n "$a1_broke" ] && [ "$t_wd" != - ]; then
		check "two hosts: A1's connections broke at the start of the drain, not at the withdraw" \
		    "broke $(rel "$t_m" "$a1_broke")s, withdraw $(rel "$t_m" "$t_wd")s" \
		    lt "$(rel "$t_m" "$a1_broke")" "$(awk -v w="$(rel "$t_m" "$t_wd")" 'BEGIN { print w - 1.5 }')"
	else
		fail "two hosts: A1's connections broke" "flows: $(tr '\n' ' ' <"$out")"
	fi
	check "two hosts: no connection to A2 broke (the resilient group pins them)" \
	    "$a2_broken broke" [ "$a2_broken" = 0 ]
	lab_cleanup
}

two_sites
two_hosts
echo "MEASURE test_drain_truth ran $(( $(date +%s) - t_start ))s"
finish
