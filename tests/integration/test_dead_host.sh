#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: measured: how long a silently dead host black-holes its clients, with BFD and with the BGP hold timer alone
#
# anycheck withdraws a prefix when the service fails, but a host that dies
# (or whose link goes silent, or whose BGP speaker hangs) withdraws nothing:
# the router keeps sending it traffic until it notices the session is gone.
# Two sites (BIRD 2 + anycheck-bird, eBGP to the lab's BIRD router; A
# preferred, B prepends) and a client sending a request every 0.1 s. Site
# A then goes mute (lab_site_mute: it drops everything it sends, its link
# stays up), twice:
#   1. with BFD on the session (100 ms x 3): the router drops A's session
#      when BFD times out;
#   2. without BFD at the router: only the BGP hold time (9 s, keepalive
#      3 s) ends the session.
# Prints "MEASURE dead host ..." with how long the client's requests failed
# (first failure to the first answer from B). Asserts the bounds, with
# slack for a loaded machine: with BFD under 1.5 s; without BFD more than
# 3 s and at most the hold time plus 2 s.
#
# Needs root and bird2. ANYCHECK_BIRD / BUILD_DIR as for test_bird.sh.

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=helpers/lab.sh
. "$repo/helpers/lab.sh"
# shellcheck source=tests/integration/harness.sh
. "$here/harness.sh"

harness_need_root
harness_need_programs ip tc "$LAB_BIRD" "$LAB_BIRDC" "$LAB_PYTHON" curl
harness_binary ANYCHECK_BIRD anycheck-bird

prefix=192.0.2.1/32
url=http://192.0.2.1/
hold=9
t_start=$(date +%s)

site_config() {	# NAME AS PREPEND
	mkdir -p "$LAB_DIR/state-$1"
	cat >"$LAB_DIR/$1.json" <<EOF
{
	"local_as": $2,
	"bird": { "socket": "$(lab_site_bird_socket "$1")" },
	"control": { "socket": "$LAB_DIR/$1.sock" },
	"state_directory": "$LAB_DIR/state-$1",
	"services": [ {
		"name": "web",
		"prefixes": ["$prefix"],
		"checks": [ { "type": "http", "url": "$url", "expect_status": [200] } ],
		"interval": 0.2, "fast_interval": 0.1, "rise": 2, "fall": 2, "timeout": 0.5,
		"announce": { "as_path_prepend": $3 }
	} ]
}
EOF
}

lab_init add || { fail "setup" "lab_init"; finish; }
if ! { lab_router && lab_site A 65001 && lab_site B 65002 && lab_client &&
    site_config A 65001 0 && site_config B 65002 1 &&
    lab_site_bird A "$LAB_DIR/A.json" && lab_site_bird B "$LAB_DIR/B.json" &&
    lab_wait_best_site "$prefix" A 15 && lab_wait_for 10 lab_bfd_up A; }; then
	fail "setup" "the lab did not come up"
	finish
fi

# black_hole LABEL TAG REQUESTS: mute A under traffic (REQUESTS every
# 0.1 s); measure how long requests failed; unmute; wait until A is best
# again.
black_hole() {
	local label=$1 traffic="$LAB_DIR/traffic-$2" t_mute first_fail first_b fails hole
	lab_client_traffic_start "$traffic" "$url" "$3" 0.1 0.5
	sleep 1
	lab_site_mute A on
	t_mute=$(date +%s.%N)
	lab_wait_best_site "$prefix" B $((hold + 5)) || true
	sleep 1
	lab_site_mute A off
	lab_client_traffic_wait "$traffic" || { fail "$label: traffic" "no result"; return 1; }
	first_fail=$(awk -v t="$t_mute" '$1 >= t - 0.6 && $2 == "FAIL" { print $1; exit }' "$traffic")
	first_b=$(awk '$2 == "site_B" { print $1; exit }' "$traffic")
	fails=$(awk '$2 == "FAIL"' "$traffic" | grep -c .)
	if [ -z "$first_b" ]; then
		fail "$label: the client reached B" "no answer from B"
		hole=-
	else
		hole=$(awk -v a="${first_fail:-$t_mute}" -v b="$first_b" 'BEGIN { printf "%.2f", b - a }')
	fi
	echo "MEASURE dead host, $label: clients black-holed ${hole}s (first failed request to the first answer from B; $fails requests failed, router moved $(awk -v a="$t_mute" -v b="${first_b:-$t_mute}" 'BEGIN { printf "%.2f", b - a }')s after the mute)"
	printf '%s\n' "$hole" >"$LAB_DIR/hole-$2"
	lab_wait_best_site "$prefix" A 30 || fail "$label: A best again after the unmute" "best $(lab_router_best_site $prefix)"
}

black_hole "BFD 100 ms x 3" bfd 40
hole=$(cat "$LAB_DIR/hole-bfd")
check "dead host with BFD: black hole under 1.5 s (BFD detects in 0.3 s)" "${hole}s" \
    awk -v h="$hole" 'BEGIN { exit !(h != "-" && h < 1.5) }'

# BFD off at both ends (a site whose BFD peer goes quiet would close its
# session itself): only the hold time is left.
sed -i 's/^\tbfd on;/\tbfd off;/' "$LAB_DIR/site-A/bird.conf"
lab_site_birdc A configure >/dev/null || fail "setup" "BFD off in site A"
lab_router_site_conf A 0 || fail "setup" "BFD off for A at the router"
sleep 2
lab_wait_bgp A 15 || fail "setup" "A's session not up without BFD"
lab_wait_best_site "$prefix" A 15 || fail "setup" "A not best without BFD"
sleep 3
check "setup: A's session stays up without BFD" "best $(lab_router_best_site $prefix)" \
    eval "[ \"\$(lab_router_best_site $prefix)\" = A ] && lab_bgp_established A"
black_hole "no BFD, BGP hold time ${hold} s" hold 140
hole=$(cat "$LAB_DIR/hole-hold")
check "dead host without BFD: black hole lasts until the hold time expires (more than 3 s, at most ${hold} s + 2 s)" \
    "${hole}s" awk -v h="$hole" -v m="$((hold + 2))" 'BEGIN { exit !(h != "-" && h > 3 && h <= m) }'
echo "MEASURE test_dead_host ran $(( $(date +%s) - t_start ))s"
lab_cleanup
finish
