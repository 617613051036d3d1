#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: integration test of the event-driven checks (process, address) in the lab
#
# The lab (helpers/lab.sh): a router (BIRD 2), site A with its HTTP service
# on the anycast address 192.0.2.1 and a client. Site A runs anycheck with
# interval 1 s, fall 2 and rise 2, and three checks on its one service: the
# HTTP check, a process check on the HTTP server's pidfile and an address
# check of 192.0.2.1 on lo. What a user would observe at the router:
#   - the HTTP server killed (SIGKILL): the route is gone within 0.5 s,
#     where rounds alone would take interval x fall (1 to 2 s); measured
#     from the kill to the router's kernel route going away
#     ("ip -ts monitor route" in the router), printed as MEASURE;
#   - the server restarted: announced again;
#   - the VIP removed from lo: withdrawn within 0.5 s (MEASURE);
#   - the VIP restored: announced again after rise (two passing rounds,
#     fast_interval 0.5 s apart: not before 0.4 s, within 5 s).
# Runs with each backend in BACKENDS (default "exabgp bird"): ExaBGP with
# anycheck-exabgp, and BIRD 2 with anycheck-bird beside it.
#
# Needs root. ANYCHECK_EXABGP, ANYCHECK_BIRD / BUILD_DIR as for the other
# integration tests. Prints "PASS name" / "FAIL name (why)", then
# "N passed, N failed"; exits non-zero on any failure.

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=helpers/lab.sh
. "$repo/helpers/lab.sh"
# shellcheck source=tests/integration/harness.sh
. "$here/harness.sh"

prefix=192.0.2.1/32
limit_ms=500

harness_need_root
harness_need_programs ip "$LAB_BIRD" "$LAB_BIRDC" "$LAB_PYTHON" python3 curl "$LAB_EXABGP"
harness_binary ANYCHECK_EXABGP anycheck-exabgp
harness_binary ANYCHECK_BIRD anycheck-bird

# write_config FILE [BIRD_SOCKET]
write_config() {
	local bird=""
	[ -n "${2:-}" ] && bird="\"bird\": { \"socket\": \"$2\" },"
	cat >"$1" <<EOF
{
	"local_as": 65001, $bird
	"control": { "socket": "$LAB_DIR/anycheck.sock" },
	"state_directory": "$LAB_DIR",
	"defaults": { "interval": 1, "fast_interval": 0.5, "timeout": 1,
	              "rise": 2, "fall": 2, "hold_down": 0 },
	"services": [
		{
			"name": "web",
			"prefixes": ["$prefix"],
			"checks": [
				{ "type": "http", "url": "http://$LAB_ANYCAST4/" },
				{ "type": "process", "pidfile": "$LAB_DIR/pids/http-A.pid" },
				{ "type": "address", "address": "$LAB_ANYCAST4", "interface": "lo" }
			]
		}
	]
}
EOF
}

# The first change of the router's kernel route for 192.0.2.1 at or after
# epoch T0_NS in a "ip -ts monitor route" log, in ms after T0_NS ("nan":
# none). With "added", the first route (re)appearing instead.
route_change_ms() {
	python3 - "$1" "$2" "${3:-deleted}" <<'PY'
import datetime, sys
t0 = int(sys.argv[1]) / 1e9
for line in open(sys.argv[2], errors="replace"):
    if not line.startswith("[") or " 192.0.2.1 " not in line + " ":
        continue
    stamp, rest = line[1:].split("] ", 1)
    ts = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f").timestamp()
    if ts < t0:
        continue
    deleted = rest.startswith("Deleted")
    if (sys.argv[3] == "deleted") == deleted:
        print("%.1f" % ((ts - t0) * 1000))
        sys.exit(0)
print("nan")
PY
}

below() {
	[ "$1" != nan ] && awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'
}

# monitor NAME: start "ip -ts monitor route" in the router as NAME.
monitor() {
	lab_spawn "$1" "$LAB_DIR/$1.log" router ip -ts monitor route
	disown -a 2>/dev/null || true
	sleep 0.3       # let it subscribe before anything happens
}

# measure NAME WHAT: wait (bounded) for the route to go, then the ms from
# $t0 to its deletion at the router, from monitor NAME's log.
measure_withdraw() {
	local name=$1 ms
	lab_wait_route "$prefix" absent 5 >/dev/null 2>&1 || true
	sleep 0.1
	lab_stop "$name" 1 || true
	ms=$(route_change_ms "$t0" "$LAB_DIR/$name.log")
	printf '%s' "$ms"
}

scenario() {
	local backend=$1
	local t="[$backend]" pid ms vip_ms
	lab_init "ace$backend" || { fail "$t setup" "lab_init"; return; }
	if ! { lab_router && lab_site A 65001 && lab_client; }; then
		fail "$t setup" "the lab did not come up"
		lab_cleanup
		return
	fi
	if [ "$backend" = bird ]; then
		write_config "$LAB_DIR/anycheck.json" "$(lab_site_bird_socket A)"
		lab_site_bird A "$LAB_DIR/anycheck.json" ||
		    { fail "$t setup" "BIRD and anycheck-bird"; lab_cleanup; return; }
	else
		write_config "$LAB_DIR/anycheck.json"
		lab_site_exabgp A true "$ANYCHECK_EXABGP" -c "$LAB_DIR/anycheck.json" ||
		    { fail "$t setup" "ExaBGP"; lab_cleanup; return; }
	fi
	check "$t announced once healthy" "route absent after 10 s" \
	    lab_wait_route "$prefix" present 10

	# The HTTP server dies: the process check's pidfd says so at once.
	sleep 0.4
	monitor mon-kill
	pid=$(cat "$LAB_DIR/pids/http-A.pid")
	t0=$(date +%s%N)
	kill -KILL "$pid"
	ms=$(measure_withdraw mon-kill)
	echo "MEASURE $backend: HTTP server killed -> route gone at the router: $ms ms (interval 1 s, fall 2)"
	check "$t server killed: withdrawn within $limit_ms ms" \
	    "took $ms ms" below "$ms" "$limit_ms"
	lab_stop http-A 1 || true
	lab_stop http6-A 1 || true

	lab_site_service_start A
	check "$t server restarted: announced again" "route absent after 10 s" \
	    lab_wait_route "$prefix" present 10

	# The VIP goes away from lo: the address check's netlink event.
	sleep 0.4
	monitor mon-vip
	t0=$(date +%s%N)
	ip -n "$(lab_ns A)" addr del "$LAB_ANYCAST4/32" dev lo
	vip_ms=$(measure_withdraw mon-vip)
	echo "MEASURE $backend: VIP removed from lo -> route gone at the router: $vip_ms ms"
	check "$t VIP removed: withdrawn within $limit_ms ms" \
	    "took $vip_ms ms" below "$vip_ms" "$limit_ms"

	# Back: not at once, after rise.
	monitor mon-back
	t0=$(date +%s%N)
	ip -n "$(lab_ns A)" addr add "$LAB_ANYCAST4/32" dev lo
	lab_wait_route "$prefix" present 10 >/dev/null 2>&1 || true
	sleep 0.1
	lab_stop mon-back 1 || true
	ms=$(route_change_ms "$t0" "$LAB_DIR/mon-back.log" added)
	echo "MEASURE $backend: VIP restored -> announced after $ms ms (rise 2, fast_interval 0.5 s)"
	check "$t VIP restored: announced again within 5 s" "took $ms ms" \
	    below "$ms" 5000
	check "$t VIP restored: only after rise (not before 400 ms)" \
	    "took $ms ms" eval "! below '$ms' 400"
	lab_cleanup
}

for backend in ${BACKENDS:-exabgp bird}; do
	case $backend in
	exabgp | bird) scenario "$backend" ;;
	*) fail "setup" "BACKENDS must hold exabgp/bird, got '$backend'" ;;
	esac
done
finish
