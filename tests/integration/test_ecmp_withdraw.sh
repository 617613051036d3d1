#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: measured: the share of long-lived flows to the *surviving* sites that one withdraw breaks, hash-threshold ECMP vs resilient next-hop groups
#
# Three sites (A, B, C: BIRD 2 + anycheck-bird, eBGP) announce 192.0.2.1/32
# with equal attributes to the lab router (BIRD 2, "merge paths"), which
# forwards to all three at once: per-flow ECMP, hashed on the 5-tuple
# (net.ipv4.fib_multipath_hash_policy=1). The client holds 90 long-lived TCP
# connections to 192.0.2.1:9000 (an echo service in each site that says
# which site it is) and sends a line on each every 0.2 s. Then one site
# withdraws (maintenance file, drain.seconds 0) and the test counts the
# connections that broke among those to the two sites that stayed.
#
# Each of A, B and C withdraws in turn, once with the router's route as a
# plain multipath route (Linux's hash-threshold: the route BIRD itself
# installs) and once as a resilient next-hop group (ip nexthop ... type
# resilient, 64 buckets). BIRD 2.0.12 and FRR 8.4 only install the former,
# so the router's BIRD exports to kernel table 100 and the lab's follower
# mirrors that route into the main table in the mode under test
# (helpers/lab.sh: LAB_ROUTER_MULTIPATH=resilient, lab_router_fib_mode).
#
# Prints per round "MEASURE ecmp MODE withdraw SITE: ..." and the totals.
# Asserts what is true: a resilient group breaks no flow to a surviving
# site; hash-threshold breaks some (with three paths, theory says a quarter
# of the survivors' flows when the first or last path leaves, none when the
# middle one does); every flow to the withdrawn site breaks either way.
#
# Needs root, bird2, ip with nexthop objects (Linux 5.13+ for resilient
# groups). ANYCHECK_BIRD / BUILD_DIR as for test_bird.sh. FLOWS=N sets the
# number of connections (default 90).

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=helpers/lab.sh
. "$repo/helpers/lab.sh"
# shellcheck source=tests/integration/harness.sh
. "$here/harness.sh"

harness_need_root
harness_need_programs ip "$LAB_BIRD" "$LAB_BIRDC" "$LAB_PYTHON" curl
harness_binary ANYCHECK_BIRD anycheck-bird

flows=${FLOWS:-90}
prefix=192.0.2.1/32
sites=(A B C)
t_start=$(date +%s)

lab_init ace || { fail "setup" "lab_init"; finish; }
export LAB_ROUTER_KIND=bird LAB_ROUTER_MULTIPATH=resilient
if ! { lab_router && lab_site A 65001 && lab_site B 65002 && lab_site C 65003 &&
    lab_client; }; then
	fail "setup" "the lab did not come up"
	finish
fi
if ! lab_exec router ip nexthop add id 1 blackhole 2>/dev/null ||
    ! lab_exec router ip nexthop add id 2 group 1 type resilient buckets 8 2>/dev/null; then
	lab_cleanup
	harness_skip "this kernel has no resilient next-hop groups (Linux 5.13+)"
fi
lab_exec router ip nexthop del id 2
lab_exec router ip nexthop del id 1

for site in "${sites[@]}"; do
	as=$((65000 + $(lab_site_index "$site") + 1))
	cat >"$LAB_DIR/$site.json" <<EOF
{
	"local_as": $as,
	"bird": { "socket": "$(lab_site_bird_socket "$site")" },
	"control": { "socket": "$LAB_DIR/$site.sock" },
	"state_directory": "$LAB_DIR/state-$site",
	"services": [ {
		"name": "web",
		"prefixes": ["$prefix"],
		"checks": [ { "type": "http", "url": "http://192.0.2.1/", "expect_status": [200] } ],
		"interval": 0.2, "fast_interval": 0.1, "rise": 2, "fall": 2, "timeout": 0.5,
		"maintenance_file": "$LAB_DIR/maintenance-$site",
		"drain": { "seconds": 0 }
	} ]
}
EOF
	mkdir -p "$LAB_DIR/state-$site"
	if ! { lab_site_echo_start "$site" && lab_site_bird "$site" "$LAB_DIR/$site.json"; }; then
		fail "setup" "site $site did not come up"
		finish
	fi
done

# shellcheck disable=SC2317  # called through lab_wait_for
nexthop_count() {
	lab_router_kernel_nexthops "$prefix" 2>/dev/null | grep -c .
}
# shellcheck disable=SC2317
has_nexthops() {	# N
	[ "$(nexthop_count)" = "$1" ]
}
if ! lab_wait_for 15 has_nexthops 3; then
	fail "setup" "the router's kernel route has not 3 paths: $(lab_router_kernel_route $prefix | tr '\n' ' ')"
	finish
fi
echo "INFO the router's BIRD installs (table $LAB_FIB_TABLE): $(lab_exec router ip route show table "$LAB_FIB_TABLE" exact "$prefix" | tr -s ' \n' ' ')"

# round MODE VICTIM: one measurement; sets broken_survivors, survivors,
# broken_victim, victim_flows.
round() {
	local mode=$1 victim=$2 out counts t0
	out="$LAB_DIR/flows-$mode-$victim"
	lab_router_fib_mode "$mode" || { fail "$mode $victim: mode" "follower did not switch"; return 1; }
	if ! lab_wait_for 10 has_nexthops 3; then
		fail "$mode withdraw $victim: setup" "route has $(nexthop_count) paths, not 3"
		return 1
	fi
	sleep 0.3
	lab_client_flows_start "$out" 192.0.2.1 9000 "$flows" 20 0.2 || {
		fail "$mode withdraw $victim: flows" "not all open"
		return 1
	}
	sleep 1
	touch "$LAB_DIR/maintenance-$victim"
	t0=$(date +%s.%N)
	if ! lab_wait_for 5 has_nexthops 2; then
		fail "$mode withdraw $victim: withdraw" "route still has $(nexthop_count) paths"
	fi
	echo "INFO $mode withdraw $victim: the router's route had 2 paths $(lab_elapsed_since "$t0")s after the maintenance file"
	sleep 1.5
	lab_client_flows_wait "$out" stop || { fail "$mode withdraw $victim: flows" "no result"; return 1; }
	rm -f "$LAB_DIR/maintenance-$victim"
	# SITE OPENED BROKEN: count per site and the broken ones.
	counts=$(awk -v v="$victim" '
	    $2 == "FAIL" { fail++; next }
	    { n[$2]++; if ($4 != "-") b[$2]++ }
	    $2 == v { vn++; if ($4 != "-") vb++; next }
	    { sn++; if ($4 != "-") sb++ }
	    END {
		split("A B C", s, " "); per = ""
		for (i = 1; i <= 3; i++) per = per s[i] "=" n[s[i]] + 0 "/" b[s[i]] + 0 " "
		printf "%d %d %d %d %d %s\n", sn, sb, vn, vb, fail, per
	    }' "$out")
	read -r survivors broken_survivors victim_flows broken_victim never per_a per_b per_c <<<"$counts"
	echo "MEASURE ecmp $mode withdraw $victim: $broken_survivors of $survivors flows to the surviving sites broke ($(awk -v b="$broken_survivors" -v n="$survivors" 'BEGIN { printf "%.0f", n ? 100 * b / n : 0 }')%); $broken_victim of $victim_flows flows to $victim broke; flows per site (open/broken) $per_a $per_b $per_c; $never never opened"
	check "$mode withdraw $victim: every connection opened" "$never did not" [ "$never" = 0 ]
	check "$mode withdraw $victim: every flow to $victim broke" \
	    "$broken_victim of $victim_flows" [ "$broken_victim" = "$victim_flows" ]
	check "$mode withdraw $victim: flows reached all three sites" \
	    "$per_a $per_b $per_c" eval "[ $victim_flows -gt 0 ] && [ $survivors -gt 0 ]"
	return 0
}

total_ht=0 total_ht_broken=0 total_rs=0 total_rs_broken=0
for mode in hash-threshold resilient; do
	for victim in "${sites[@]}"; do
		broken_survivors=0 survivors=0
		round "$mode" "$victim" || continue
		if [ "$mode" = resilient ]; then
			check "resilient withdraw $victim: no flow to a surviving site broke" \
			    "$broken_survivors of $survivors broke" [ "$broken_survivors" = 0 ]
			total_rs=$((total_rs + survivors))
			total_rs_broken=$((total_rs_broken + broken_survivors))
		else
			total_ht=$((total_ht + survivors))
			total_ht_broken=$((total_ht_broken + broken_survivors))
		fi
	done
done
echo "MEASURE ecmp totals over 3 withdraws each ($flows flows per round): hash-threshold broke $total_ht_broken of $total_ht flows to surviving sites ($(awk -v b="$total_ht_broken" -v n="$total_ht" 'BEGIN { printf "%.0f", n ? 100 * b / n : 0 }')%), resilient groups $total_rs_broken of $total_rs"
check "hash-threshold: a withdraw breaks flows to surviving sites (theory: 1/6 of all flows, twice in three)" \
    "$total_ht_broken of $total_ht broke" [ "$total_ht_broken" -gt 0 ]
echo "MEASURE test_ecmp_withdraw ran $(( $(date +%s) - t_start ))s"
lab_cleanup
finish
