#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: integration test of failure scope: a dependency every site shares dies, no site withdraws
#
# The lab (helpers/lab.sh) with two sites serving the anycast address: site
# A runs BIRD 2 and anycheck-bird, site B ExaBGP and anycheck-exabgp. Both
# services depend on one shared HTTP backend, a "database" in the router's
# namespace on 198.51.100.254:8080 that both reach through the router. Each
# site's service has a local check (its own HTTP service on the anycast
# address) and a global one (the shared backend), and a last_resort of
# MED 700 and community 65000:666. What a user would observe:
#   - both sites healthy: the router has the prefix from A and from B,
#     without 65000:666;
#   - the shared backend dies: both sites go DEGRADED and stay announced,
#     now with MED 700 and (65000,666) at the router; the router never
#     lacks either site's route (sampled all along) and a client fetching
#     the anycast URL every 0.1 s through the change loses no request;
#     each site's log names the global check ("FALLING -> DEGRADED (only global
#     checks fail: ...; announcing with last_resort)"), anycheckctl status
#     says DEGRADED, and BIRD runs the _degraded protocol;
#   - then site A's own service dies too (a local failure): only A
#     withdraws, B stays announced (last resort) and the client reaches B;
#   - everything back: both sites announce with their UP attributes again.
#
# Needs root. ANYCHECK_BIRD, ANYCHECK_EXABGP, ANYCHECKCTL / BUILD_DIR as
# for the other integration tests. About 40 s.

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=helpers/lab.sh
. "$repo/helpers/lab.sh"
# shellcheck source=tests/integration/harness.sh
. "$here/harness.sh"

prefix=192.0.2.1/32
url=http://192.0.2.1/
db_address=198.51.100.254
db_url=http://$db_address:8080/

harness_need_root
harness_need_programs ip "$LAB_BIRD" "$LAB_BIRDC" "$LAB_PYTHON" "$LAB_EXABGP" curl
harness_binary ANYCHECK_BIRD anycheck-bird
harness_binary ANYCHECK_EXABGP anycheck-exabgp
harness_binary ANYCHECKCTL anycheckctl

# The config of site NAME (its BIRD socket for A).
write_config() {	# NAME FILE
	local bird=""
	[ "$1" = A ] && bird="\"bird\": { \"socket\": \"$(lab_site_bird_socket A)\", \"verify_interval\": 1 },"
	cat >"$2" <<EOF
{
	$bird
	"control": { "socket": "$LAB_DIR/anycheck-$1.sock" },
	"state_directory": "$LAB_DIR/site-$1",
	"services": [
		{
			"name": "web",
			"prefixes": ["$prefix"],
			"checks": [
				{ "type": "http", "url": "$url", "expect_status": [200] },
				{ "type": "http", "url": "$db_url", "expect_status": [200], "scope": "global" }
			],
			"interval": 0.2, "fast_interval": 0.1, "rise": 2, "fall": 2,
			"timeout": 0.5, "hold_down": 0,
			"last_resort": { "med": 700, "communities": ["65000:666"] }
		}
	]
}
EOF
}

ctl() {	# SITE ARGS...
	local site=$1
	shift
	"$ANYCHECKCTL" -s "$LAB_DIR/anycheck-$site.sock" "$@"
}
site_log() {
	case $1 in
	A) cat "$LAB_DIR/site-A/anycheck-bird.log" 2>/dev/null ;;
	B) cat "$LAB_DIR/site-B/exabgp.out" 2>/dev/null ;;	# ExaBGP's stderr
	esac
}

# The sites the router has a route for the prefix from, sorted: "A B".
route_sites() {
	lab_router_route_sites "$prefix" | sort | tr '\n' ' ' | sed 's/ $//'
}
last_resort_at() {	# SITE: the router's route from SITE has the last resort
	lab_router_site_route "$prefix" "$1" | grep -q "BGP.med: 700\$" &&
	    lab_router_site_route_has_community "$prefix" "$1" 65000,666
}
up_attributes_at() {	# SITE: present, without the last resort
	lab_router_site_route "$prefix" "$1" | grep -q "^$prefix " &&
	    ! lab_router_site_route_has_community "$prefix" "$1" 65000,666
}
db_ok() {
	lab_exec A curl -sf --max-time 1 -o /dev/null "$db_url"
}
db_start() {
	lab_spawn db "$LAB_DIR/db.log" router "$LAB_PYTHON" -c "$LAB_HTTP_SERVER" \
	    "$db_address" 8080 "$LAB_DIR/db-www"
	lab_wait_for 5 db_ok
}

# sample_routes OUT SECONDS: every 0.1 s for SECONDS (bounded), one line
# with the sites the router has a route from.
sample_routes() {
	local out=$1 count i
	count=$(awk -v s="$2" 'BEGIN { printf "%d", s * 10 }')
	: >"$out"
	for ((i = 0; i < count; i++)); do
		route_sites >>"$out"
		echo >>"$out"
		sleep 0.1
	done
}

lab_init acs || { fail "setup" "lab_init"; finish; }
mkdir -p "$LAB_DIR/db-www"
echo "db ok" >"$LAB_DIR/db-www/index.html"
write_config A "$LAB_DIR/anycheck-A.json"
write_config B "$LAB_DIR/anycheck-B.json"
if ! { lab_router && lab_site A 65001 && lab_site B 65002 && lab_client; }; then
	fail "setup" "the lab did not come up"
	finish
fi
# The shared backend: on the router's lo, reached by both sites through it.
ip -n "$(lab_ns router)" addr add "$db_address/32" dev lo
if ! db_start; then
	fail "setup" "the shared backend did not answer from site A"
	finish
fi
if ! { lab_site_bird A "$LAB_DIR/anycheck-A.json" &&
    lab_site_exabgp B true "$ANYCHECK_EXABGP" -c "$LAB_DIR/anycheck-B.json"; }; then
	fail "setup" "BIRD/anycheck-bird in A or ExaBGP/anycheck-exabgp in B did not come up"
	finish
fi

# ---- both healthy: announced by both, UP attributes
check "healthy: the router has the prefix from A and B" "router: $(route_sites)" \
    lab_wait_for 15 eval '[ "$(route_sites)" = "A B" ]'
check "healthy: neither route carries the last resort" \
    "A: $(lab_router_site_route $prefix A | tr '\n' ' '); B: $(lab_router_site_route $prefix B | tr '\n' ' ')" \
    eval "up_attributes_at A && up_attributes_at B"
check "healthy: the client reaches the anycast address" "got '$(lab_client_get $url)'" \
    eval "lab_client_get $url | grep -q '^site [AB]\$'"

# ---- the shared backend dies: both DEGRADED, both announced, no loss
traffic="$LAB_DIR/traffic-db"
lab_client_traffic_start "$traffic" "$url" 60 0.1 1
sample_routes "$LAB_DIR/samples-db" 5 &
sampler=$!
lab_track sampler "$sampler"	# stopped by lab_cleanup if the test dies
sleep 1
t0=$(date +%s.%N)
lab_stop db 3
if lab_wait_for 5 eval "last_resort_at A && last_resort_at B"; then
	echo "MEASURE shared backend dead: both sites announce the last resort $(lab_elapsed_since "$t0")s later"
	pass "backend dead: both sites announce with the last resort (MED 700, 65000:666)"
else
	fail "backend dead: both sites announce with the last resort" \
	    "A: $(lab_router_site_route $prefix A | tr '\n' ' '); B: $(lab_router_site_route $prefix B | tr '\n' ' ')"
fi
wait "$sampler"
rm -f "$LAB_DIR/pids/sampler.pid"
lab_client_traffic_wait "$traffic" || true
samples=$(grep -c . "$LAB_DIR/samples-db")
check "backend dead: the router never lacked either site's route ($samples samples over 5 s)" \
    "$(sort "$LAB_DIR/samples-db" | uniq -c | tr '\n' ';')" \
    eval "[ $samples -ge 20 ] && ! grep -v '^A B\$' '$LAB_DIR/samples-db' | grep -q ."
requests=$(grep -c . "$traffic" 2>/dev/null)
lost=$(grep -c ' FAIL ' "$traffic" 2>/dev/null)
echo "MEASURE shared backend dead: $lost of $requests client requests failed (one every 0.1 s across the change)"
check "backend dead: the client lost no request ($requests requests)" "$lost failed" \
    eval "[ '${requests:-0}' -ge 50 ] && [ '${lost:-1}' = 0 ]"
check "backend dead: both sites DEGRADED (anycheckctl status)" \
    "A: $(ctl A status web 2>&1 | head -n 3 | tail -n 1); B: $(ctl B status web 2>&1 | head -n 3 | tail -n 1)" \
    eval "ctl A status web | grep -q '^web *DEGRADED' && ctl B status web | grep -q '^web *DEGRADED'"
check "backend dead: each log names the global check and the last resort" \
    "A: $(site_log A | grep DEGRADED | head -n 1); B: $(site_log B | grep DEGRADED | head -n 1)" \
    eval "site_log A | grep -F -- '-> DEGRADED (only global checks fail: check http GET $db_url (global): ' | grep -q 'announcing with last_resort)' &&
        site_log B | grep -F -- '-> DEGRADED (only global checks fail: check http GET $db_url (global): ' | grep -q 'announcing with last_resort)'"
check "backend dead: BIRD in A runs the _degraded protocol, not the UP one" \
    "web_v4 $(lab_site_proto_state A anycheck_web_v4), web_v4_degraded $(lab_site_proto_state A anycheck_web_v4_degraded)" \
    eval "lab_site_proto_is A anycheck_web_v4_degraded up && lab_site_proto_is A anycheck_web_v4 down"

# ---- and site A's own service dies: only A withdraws
traffic="$LAB_DIR/traffic-local"
lab_client_traffic_start "$traffic" "$url" 40 0.1 1
sleep 0.5
t0=$(date +%s.%N)
lab_site_service_stop A
if lab_wait_for 5 eval '[ "$(route_sites)" = "B" ]'; then
	echo "MEASURE site A's service dead: withdrawn at the router $(lab_elapsed_since "$t0")s later"
	pass "local failure in A: only A withdraws, B stays"
else
	fail "local failure in A: only A withdraws, B stays" "router: $(route_sites)"
fi
check "local failure in A: B still announces the last resort" \
    "B: $(lab_router_site_route $prefix B | tr '\n' ' ')" last_resort_at B
check "local failure in A: the client reaches site B" "got '$(lab_client_get $url)'" \
    lab_wait_client "$url" "site B" 5
lab_client_traffic_wait "$traffic" || true
requests=$(grep -c . "$traffic" 2>/dev/null)
lost=$(grep -c ' FAIL ' "$traffic" 2>/dev/null)
echo "MEASURE site A's service dead while degraded: $lost of $requests client requests failed (the dead site's share until its withdraw)"
check "local failure in A: the last requests all reached site B" \
    "$(tail -n 5 "$traffic" | tr '\n' ';')" \
    eval "[ \"\$(tail -n 5 '$traffic' | awk '{ print \$2 }' | sort -u)\" = site_B ]"
check "local failure in A: A is DOWN, B DEGRADED" \
    "A: $(ctl A status web 2>&1 | head -n 3 | tail -n 1); B: $(ctl B status web 2>&1 | head -n 3 | tail -n 1)" \
    eval "ctl A status web | grep -q '^web *DOWN' && ctl B status web | grep -q '^web *DEGRADED'"

# ---- everything back: UP attributes at both sites
db_start || fail "recovery: the shared backend restarted" "does not answer"
lab_site_service_start A
check "recovery: both sites announce with their UP attributes again" \
    "router: $(route_sites); A: $(lab_router_site_route $prefix A | tr '\n' ' ')" \
    lab_wait_for 10 eval '[ "$(route_sites)" = "A B" ] && up_attributes_at A && up_attributes_at B'

lab_cleanup
finish
