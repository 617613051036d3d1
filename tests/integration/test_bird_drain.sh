#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: integration test of anycheck-bird's lifecycle with the real BIRD 2
#
# The lab of test_bird.sh (router, site A with BIRD and anycheck-bird, a
# client), with a config that has a drain, down attributes, a hold-down,
# drain_on_exit and bird.include_file (anycheck-bird writes the include
# file and reconfigures BIRD itself). What a user would observe at the
# router ("birdc show route all"):
#   - down: {med: 1000}: before the service is healthy and when it fails,
#     the route stays with BGP.med 1000; UP it is sent without a MED;
#   - anti-flap: the first recovery is quick, the second within the flap
#     window is held back by the hold-down (both measured);
#   - maintenance file with a client holding a TCP connection to the
#     anycast address: the route carries (65535,0) while draining; closing
#     the connection ends the drain (connections max 0) long before
#     drain.seconds, then the route is gone;
#   - anycheckctl shift (MED, prepend): the _shift protocol declared in the
#     include file, the attributes at the router, status; --clear and --for;
#   - SIGHUP with a broken config: errors logged, route unchanged (same age);
#   - SIGHUP adding a service: its route appears, the existing route keeps
#     its age (no blip) and BIRD did not restart the existing protocol;
#   - SIGTERM (drain_on_exit): (65535,0) seen, then the route withdrawn,
#     exit 0.
#
# Needs root. ANYCHECK_BIRD, ANYCHECKCTL / BUILD_DIR as for test_bird.sh.

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=helpers/lab.sh
. "$repo/helpers/lab.sh"
# shellcheck source=tests/integration/harness.sh
. "$here/harness.sh"

prefix=192.0.2.1/32
prefix2=192.0.2.53/32
url=http://192.0.2.1/
hold_down=3

harness_need_root
harness_need_programs ip "$LAB_BIRD" "$LAB_BIRDC" "$LAB_PYTHON" curl ss
harness_binary ANYCHECK_BIRD anycheck-bird
harness_binary ANYCHECKCTL anycheckctl

anycheck_log() {
	cat "$LAB_DIR/site-A/anycheck-bird.log" 2>/dev/null
}

# The router's view of a prefix: "absent", or its attributes.
route_all() {
	lab_router_routes "$1" 2>/dev/null
}
has_med() {	# PREFIX MED
	route_all "$1" | grep -q "BGP.med: $2\$"
}
up_attrs() {	# present without MED 1000 and without (65535,0)
	route_all "$1" | grep -q "^$1 " && ! has_med "$1" 1000 &&
	    ! route_all "$1" | grep -q "(65535,0)"
}
gshut() {
	route_all "$1" | grep -q "BGP.community:.*(65535,0)"
}
absent() {
	! lab_router_has_route "$1"
}
# The time BIRD at the router got the route: "[site_A 21:00:41.123]".
route_stamp() {
	route_all "$1" | grep -o "\[site_A [^]]*\]" | head -n 1
}
le() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'
}
# same_stamp A B: two "[site_A HH:MM:SS.mmm]" route stamps name the same
# moment. BIRD derives the shown time anew on each read, so it can move by
# a millisecond; a re-announce here would be a second or more later.
same_stamp() {
	[ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" '
	function ms(s,  t) { gsub(/[^0-9:.]/, "", s); split(s, t, ":")
		return (t[1] * 3600 + t[2] * 60 + t[3]) * 1000 }
	BEGIN { d = ms(a) - ms(b); exit !(d <= 50 && d >= -50) }'
}

# hold_client: a TCP connection from the client to the anycast address,
# idle, held open until release_client.
# The holder execs into sleep: its pid (in the pid file) owns the socket.
hold_client() {
	rm -f "$LAB_DIR/holder.pid"
	lab_exec client bash -c 'echo $$ >"$1"; exec 3<>/dev/tcp/192.0.2.1/80 && exec sleep 60' \
	    holder "$LAB_DIR/holder.pid" &
	holder_job=$!
	lab_wait_for 2 test -s "$LAB_DIR/holder.pid"
	holder=$(cat "$LAB_DIR/holder.pid")
}
release_client() {
	kill "$holder" 2>/dev/null
	wait "$holder_job" 2>/dev/null
}

lab_init acd || { fail "setup" "lab_init"; finish; }
config="$LAB_DIR/anycheck.json"
maint="$LAB_DIR/maintenance-web"
include="$LAB_DIR/site-A/anycheck.conf"

if ! { lab_router && lab_site A 65001 && lab_client; }; then
	fail "setup" "the lab did not come up"
	finish
fi

web_service() {
	cat <<EOF2
		{
			"name": "web",
			"prefixes": ["$prefix"],
			"checks": [ { "type": "http", "url": "$url", "expect_status": [200] } ],
			"interval": 0.2, "fast_interval": 0.1, "rise": 2, "fall": 2, "timeout": 0.5,
			"hold_down": $hold_down, "flap_window": 120,
			"maintenance_file": "$maint",
			"drain": { "seconds": 20, "connections": { "max": 0 } },
			"down": { "med": 1000 }
		}
EOF2
}
write_config() {	# [extra service JSON]
	{
		cat <<EOF2
{
	"local_as": 65001,
	"drain_on_exit": true,
	"bird": { "socket": "$(lab_site_bird_socket A)", "verify_interval": 1,
		"include_file": "$include" },
	"control": { "socket": "$LAB_DIR/anycheck-bird.sock" },
	"state_directory": "$LAB_DIR",
	"services": [
EOF2
		web_service
		[ -n "${1:-}" ] && printf ',\n%s\n' "$1"
		printf '\t]\n}\n'
	} >"$config.tmp" && mv "$config.tmp" "$config"
}
write_config

if ! lab_site_bird A "$config"; then
	fail "setup" "BIRD or anycheck-bird did not come up in site A"
	finish
fi
check "include_file: anycheck-bird wrote the include file with the variants" \
    "$(grep -c "protocol static" "$include") protocols in $include" \
    lab_wait_for 3 eval "grep -q 'protocol static anycheck_web_v4_drain' '$include' && grep -q 'protocol static anycheck_web_v4_down' '$include'"
check "include_file: BIRD reconfigured by anycheck-bird" \
    "$(anycheck_log | grep -i configure | tail -n 2 | tr '\n' ' ')" \
    lab_wait_for 3 eval "anycheck_log | grep -q 'BIRD reconfigured'"

# ---- (6) down attributes, and UP
check "UP: route at the router without MED 1000" "router: $(route_all $prefix | tr '\n' ' ')" \
    lab_wait_for 15 up_attrs "$prefix"
lab_site_service_stop A
check "down: route stays at the router with BGP.med 1000" \
    "router: $(route_all $prefix | tr '\n' ' ')" lab_wait_for 5 has_med "$prefix" 1000
check "down: route never withdrawn (still there 1 s later)" "absent" \
    eval "sleep 1; lab_router_has_route $prefix"
check "down: the site runs the _down protocol, not the UP one" \
    "web_v4 $(lab_site_proto_state A anycheck_web_v4), web_v4_down $(lab_site_proto_state A anycheck_web_v4_down)" \
    eval "lab_site_proto_is A anycheck_web_v4_down up && lab_site_proto_is A anycheck_web_v4 down"

# ---- (3) anti-flap: the first recovery is quick, the second held down
# t0 is taken before the start: the hold-down counts from the first passing
# check, which can come before lab_site_service_start returns.
t0=$(date +%s.%N)
lab_site_service_start A
if lab_wait_for 10 up_attrs "$prefix"; then
	first=$(lab_elapsed_since "$t0")
	echo "MEASURE first recovery: UP at the router ${first}s after the service returned"
	check "anti-flap: the first recovery is not held down" "took ${first}s" le "$first" "$hold_down"
else
	fail "anti-flap: first recovery" "not UP at the router within 10 s"
fi
sleep 0.5
lab_site_service_stop A
check "anti-flap: second failure, MED 1000 again" "router: $(route_all $prefix | tr '\n' ' ')" \
    lab_wait_for 5 has_med "$prefix" 1000
t0=$(date +%s.%N)
lab_site_service_start A
if lab_wait_for $((hold_down + 10)) up_attrs "$prefix"; then
	second=$(lab_elapsed_since "$t0")
	echo "MEASURE second recovery within the flap window: UP ${second}s after the service returned (hold_down ${hold_down}s)"
	check "anti-flap: the second recovery waited out the hold-down" "took ${second}s" \
	    le "$hold_down" "$second"
else
	fail "anti-flap: second recovery" "not UP within $((hold_down + 10)) s"
fi
check "anti-flap: the log says it was held down" "$(anycheck_log | grep -i 'held down' | tail -n 1)" \
    eval "anycheck_log | grep -q 'held down'"

# ---- (1)+(2) maintenance: drain with GRACEFUL_SHUTDOWN, ended by the last connection
hold_client
sleep 0.5
check "drain: the client holds a connection to the anycast address" \
    "no established connection in site A" \
    eval "lab_exec A ss -Htn state established '( sport = :80 )' | grep -q ."
touch "$maint"
t_maint=$(date +%s.%N)
check "maintenance: route carries (65535,0) at the router while draining" \
    "router: $(route_all $prefix | tr '\n' ' ')" lab_wait_for 3 gshut "$prefix"
check "maintenance: the drain waits for the connection (still there 1.5 s later)" \
    "router: $(route_all $prefix | tr '\n' ' ')" eval "sleep 1.5; gshut $prefix"
release_client
t0=$(date +%s.%N)
if lab_wait_for 5 absent "$prefix"; then
	ended=$(lab_elapsed_since "$t0")
	total=$(lab_elapsed_since "$t_maint")
	echo "MEASURE drain ended ${ended}s after the last connection closed (${total}s after the maintenance file; drain.seconds 20)"
	check "maintenance: drain ended by connections, well before drain.seconds" \
	    "${total}s" le "$total" 10
else
	fail "maintenance: route withdrawn after the connection closed" "router: $(route_all $prefix | tr '\n' ' ')"
fi
check "maintenance: the log says the drain ended on connections" \
    "$(anycheck_log | grep 'drain ended' | tail -n 1)" \
    eval "anycheck_log | grep 'drain ended' | tail -n 1 | grep -qi 'connection'"
rm -f "$maint"
check "maintenance over: UP again" "router: $(route_all $prefix | tr '\n' ' ')" \
    lab_wait_for 15 up_attrs "$prefix"

# ---- (3b) anycheckctl shift: the service's _shift protocol, declared in
# the include file anycheck-bird rewrites, carries the shifted attributes
ctl() { "$ANYCHECKCTL" -s "$LAB_DIR/anycheck-bird.sock" "$@"; }
as_path_is() {	# PREFIX PATH
	route_all "$1" | grep -q "BGP.as_path: $2\$"
}
shifted() {	# PREFIX MED PATH
	has_med "$1" "$2" && as_path_is "$1" "$3" && ! gshut "$1"
}
out=$(ctl shift web --med 500 --prepend 1 2>&1)
check "shift: accepted by anycheck-bird" "$out" eval "printf '%s' \"\$out\" | grep -q '^web: shifted (med 500, prepend 1)'"
check "shift: MED 500 and AS path 65001 65001 at the router" \
    "router: $(route_all $prefix | tr '\n' ' ')" lab_wait_for 3 shifted "$prefix" 500 "65001 65001"
check "shift: the include file declares the _shift protocol" "see $include" \
    grep -q "protocol static anycheck_web_v4_shift {" "$include"
check "shift: BIRD runs the _shift protocol, not the UP one" \
    "web_v4 $(lab_site_proto_state A anycheck_web_v4), web_v4_shift $(lab_site_proto_state A anycheck_web_v4_shift)" \
    eval "lab_site_proto_is A anycheck_web_v4_shift up && lab_site_proto_is A anycheck_web_v4 down"
check "shift: status shows it, and BIRD's confirmed state" "$(ctl status web 2>&1 | tr '\n' ' ')" \
    eval "ctl status web | grep -q 'shift: med 500, prepend 1' && ctl status web | grep -Eq 'anycheck_web_v4_shift +wanted enabled, BIRD: enabled'"
# A new shift of the shifted service: BIRD changes the route in place.
ctl shift web --med 550 --prepend 1 >/dev/null 2>&1
check "shift again: MED 550 at the router (the _shift protocol's routes changed in place)" \
    "router: $(route_all $prefix | tr '\n' ' ')" lab_wait_for 3 shifted "$prefix" 550 "65001 65001"
out=$(ctl shift web --clear 2>&1)
check "shift --clear: UP attributes again at the router" \
    "$out; router: $(route_all $prefix | tr '\n' ' ')" \
    lab_wait_for 3 eval "up_attrs $prefix && ! has_med $prefix 500 && as_path_is $prefix 65001"
ctl shift web --med 600 --for 2s >/dev/null 2>&1
check "shift --for 2s: MED 600 at the router" "router: $(route_all $prefix | tr '\n' ' ')" \
    lab_wait_for 3 has_med "$prefix" 600
check "shift --for 2s: UP attributes again once it expired" "router: $(route_all $prefix | tr '\n' ' ')" \
    lab_wait_for 5 eval "up_attrs $prefix && ! has_med $prefix 600"

# ---- (4) SIGHUP with a broken config changes nothing
sleep 1.5
stamp=$(route_stamp "$prefix")
cp "$config" "$config.good"
printf '{ "services": [ { "name": "web", "prefixes": ["192.0.2.1/33"], "checks": [] } ], "colour": 1 }\n' >"$config"
anycheck_pid=$(cat "$LAB_DIR/pids/anycheck-A.pid")
kill -HUP "$anycheck_pid"
check "broken reload: errors logged, previous config kept" \
    "$(anycheck_log | tail -n 4 | tr '\n' ' ')" \
    lab_wait_for 3 eval "anycheck_log | grep -q 'reload failed; still running the previous configuration'"
check "broken reload: every error is logged (the prefix and the unknown key)" \
    "$(anycheck_log | grep -E 'colour|prefixes' | tail -n 3 | tr '\n' ' ')" \
    eval "anycheck_log | grep -q 'colour' && anycheck_log | grep -q 'prefixes\[0\]'"
sleep 1
check "broken reload: route unchanged at the router (same age)" \
    "before $stamp, now $(route_stamp $prefix)" eval "same_stamp \"\$(route_stamp $prefix)\" '$stamp' && up_attrs $prefix"
cp "$config.good" "$config"

# ---- (5) SIGHUP adding a service: announced, the existing route untouched
touch "$LAB_DIR/dns-ok"
restarts_before=$(grep -c "anycheck_web_v4.*\(Restarting\|Disabling\|Shutting down\)" "$LAB_DIR/site-A/bird.log")
write_config "$(cat <<EOF2
		{
			"name": "dns",
			"prefixes": ["$prefix2"],
			"checks": [ { "type": "file", "path": "$LAB_DIR/dns-ok" } ],
			"interval": 0.2, "fast_interval": 0.1, "rise": 2, "fall": 2,
			"drain": { "seconds": 0 }
		}
EOF2
)"
kill -HUP "$anycheck_pid"
check "add: the new service's route appears at the router" \
    "router: $(route_all $prefix2 | tr '\n' ' ')" lab_wait_for 10 lab_router_has_route "$prefix2"
check "add: the include file declares the new protocol" "see $include" \
    grep -q "protocol static anycheck_dns_v4 {" "$include"
check "add: the existing route keeps its age at the router (no blip)" \
    "before $stamp, now $(route_stamp $prefix)" eval "same_stamp \"\$(route_stamp $prefix)\" '$stamp'"
check "add: BIRD did not restart or disable the existing protocol" \
    "$(grep "anycheck_web_v4" "$LAB_DIR/site-A/bird.log" | tail -n 3 | tr '\n' ' ')" \
    [ "$(grep -c "anycheck_web_v4.*\(Restarting\|Disabling\|Shutting down\)" "$LAB_DIR/site-A/bird.log")" = "$restarts_before" ]

# ---- (7) SIGTERM with drain_on_exit: (65535,0), then withdrawn, exit 0
hold_client
sleep 0.5
rm -f "$LAB_DIR/seen-gshut"
(
	if lab_wait_for 5 gshut "$prefix"; then
		touch "$LAB_DIR/seen-gshut"
	fi
	sleep 0.5
	kill "$holder" 2>/dev/null
) &
watcher=$!
t0=$(date +%s.%N)
lab_site_anycheck_stop A 15
rc=$?
wait "$watcher" 2>/dev/null
release_client
echo "MEASURE SIGTERM: exited ${rc} after $(lab_elapsed_since "$t0")s"
check "SIGTERM: the route carried (65535,0) during the exit drain" "never seen at the router" \
    [ -e "$LAB_DIR/seen-gshut" ]
check "SIGTERM: anycheck-bird exits 0" "exit status $rc" [ "$rc" = 0 ]
check "SIGTERM: both routes withdrawn at the router" \
    "router: $(route_all $prefix | head -n 1) $(route_all $prefix2 | head -n 1)" \
    lab_wait_for 5 eval "absent $prefix && absent $prefix2"
check "anycheck-bird logged no unexpected error" \
    "$(anycheck_log | grep -i "error" | grep -v "reload failed\|t.json\|anycheck.json" | tail -n 3 | tr '\n' ' ')" \
    eval "! anycheck_log | grep -i 'error' | grep -v 'anycheck.json' | grep -vq 'reload failed'"

if [ "$failed" != 0 ]; then
	lab_site_logs_tail A
fi
lab_cleanup
finish
