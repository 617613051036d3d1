#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: narrated demo of anycast failover between two sites driven by anycheck
#
# Builds the lab (helpers/lab.sh): a router running BIRD 2 (AS 64500) and
# two sites announcing the same anycast prefix 192.0.2.1/32, each serving
# HTTP on it ("site A" / "site B"):
#   site A (AS 65001): BIRD 2 + anycheck-bird, BFD on its BGP session;
#   site B (AS 65002): ExaBGP + anycheck-exabgp, AS path prepended twice,
#                      so the router prefers site A while both announce;
# and a client behind the router that, in each scenario, sends a fixed
# number of requests to http://192.0.2.1/ at a fixed rate (one every 50 ms,
# each abandoned after 0.5 s) and records which site answered each one.
# Scenarios, each measured from the client's records:
#   1. A's service fails      -> traffic moves to B;
#   2. A's service recovers   -> traffic returns to A;
#   3. A fails again at once and recovers -> A is held down (anti-flap)
#      before traffic returns;
#   4. A is put in maintenance -> drained (GRACEFUL_SHUTDOWN 65535:0 seen at
#      the router, which then prefers B) and then withdrawn;
#   5. A's host stops answering, its link up (tc qdisc "pfifo limit 0") ->
#      BFD takes A's session down in well under a second.
# Ends with a summary table: scenario, requests, lost, time until traffic
# moved.
# Everything is removed at the end, also on failure or Ctrl-C. Needs root;
# takes about a minute.
#
#   BUILD_DIR        where the binaries are built (default ./build)
#   ANYCHECK_BIRD, ANYCHECK_EXABGP
#                    the binaries (default $BUILD_DIR/anycheck-bird, -exabgp);
#                    when both are given, nothing is installed or built
#   DEMO_QUIET=1     CI mode: no router/log excerpts, no colour; skips the
#                    install and build when both binaries exist already
#   DEMO_SUMMARY=F   also write the summary to F, tab-separated:
#                    key status requests lost moved_s extra

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=helpers/lab.sh
. "$here/lab.sh"

[ "$(id -u)" = 0 ] || { echo "demo.sh: must run as root" >&2; exit 1; }
BUILD_DIR=${BUILD_DIR:-$repo/build}
quiet=${DEMO_QUIET:-0}

# Install what is missing and build first, unless both binaries are given
# (or, in quiet mode, already built).
need_build=1
if [ -n "${ANYCHECK_BIRD:-}" ] && [ -n "${ANYCHECK_EXABGP:-}" ]; then
	need_build=0
elif [ "$quiet" = 1 ] && [ -x "$BUILD_DIR/anycheck-bird" ] &&
    [ -x "$BUILD_DIR/anycheck-exabgp" ]; then
	need_build=0
fi
if [ "$need_build" = 1 ]; then
	echo "== installing dependencies (only what is missing) and building"
	bash "$repo/helpers/install-deps.sh" || exit 1
	mkdir -p "$BUILD_DIR" || exit 1
	build_log=$BUILD_DIR/demo-build.log
	{ cmake -S "$repo" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
	    cmake --build "$BUILD_DIR" -j"$(nproc)" \
	    --target anycheck-bird anycheck-exabgp; } \
	    >"$build_log" 2>&1 || { cat "$build_log" >&2; exit 1; }
fi
ANYCHECK_BIRD=${ANYCHECK_BIRD:-$BUILD_DIR/anycheck-bird}
ANYCHECK_EXABGP=${ANYCHECK_EXABGP:-$BUILD_DIR/anycheck-exabgp}
for bin in "$ANYCHECK_BIRD" "$ANYCHECK_EXABGP"; do
	[ -x "$bin" ] || {
		echo "demo.sh: no executable $bin (set BUILD_DIR, or ANYCHECK_BIRD and ANYCHECK_EXABGP)" >&2
		exit 1
	}
done
ANYCHECK_BIRD=$(readlink -f "$ANYCHECK_BIRD")
ANYCHECK_EXABGP=$(readlink -f "$ANYCHECK_EXABGP")
export ANYCHECK_BIRD

export LAB_QUIET=1   # the lab only reports problems; the demo narrates
bold="" plain=""
if [ -t 1 ] && [ "$quiet" != 1 ]; then
	bold=$(printf '\033[1m') plain=$(printf '\033[0m')
fi

prefix=192.0.2.1/32
url=http://192.0.2.1/
rate=0.05          # one request every 50 ms
req_timeout=0.5    # each abandoned after 0.5 s
lead=0.5           # traffic runs this long before each trigger
hold_down=3        # anti-flap hold-down of site A (2nd DOWN in flap_window)
drain_seconds=2    # how long site A drains before its withdraw
step_no=0
summary_rows=()    # "label|requests|lost|moved text"
summary_file=${DEMO_SUMMARY:-}
[ -z "$summary_file" ] || : >"$summary_file" || exit 1

say() {
	printf '\n%s== %s%s\n' "$bold" "$*" "$plain"
}

step() {
	step_no=$((step_no + 1))
	say "Step $step_no: $*"
}

now() {
	date +%s.%N
}

# ------------------------------------------------------------ what we show

# The router's routes for the prefix: which sites, which is best, and the
# attributes that decide it.
show_router() {
	[ "$quiet" = 1 ] && return 0
	local site route
	echo "  router: routes for $prefix (best first):"
	for site in $(lab_router_route_sites "$prefix"); do
		route=$(lab_router_site_route "$prefix" "$site")
		printf '    from site %s: %s\n' "$site" "$(printf '%s\n' "$route" |
		    awk '/BGP.as_path:/ { sub(/^[ \t]*BGP.as_path: */, ""); p = "AS path " $0 }
			/BGP.local_pref:/ { sub(/^[ \t]*BGP.local_pref: */, ""); l = ", local pref " $0 }
			/BGP.community:/ { sub(/^[ \t]*BGP.community: */, ""); c = ", communities " $0 }
			END { printf "%s%s%s", p, l, c }')"
	done
	[ -n "$(lab_router_route_sites "$prefix")" ] || echo "    (none)"
	echo "  router kernel table: $(lab_exec router ip route show exact "$prefix" | head -n 1)"
}

# Print the daemons' log lines that appeared since the last call.
declare -A log_seen
show_logs() {
	[ "$quiet" = 1 ] && return 0
	local what file lines n
	for what in "A anycheck-bird:$LAB_DIR/site-A/anycheck-bird.log" \
	    "B anycheck-exabgp:$LAB_DIR/site-B/exabgp.out"; do
		file=${what#*:}
		what=${what%%:*}
		[ -f "$file" ] || continue
		n=${log_seen[$what]:-0}
		lines=$(grep -a 'anycheck-' "$file" | tail -n +$((n + 1)))
		[ -n "$lines" ] || continue
		log_seen[$what]=$((n + $(printf '%s\n' "$lines" | wc -l)))
		echo "  site $what log:"
		printf '%s\n' "$lines" |
		    sed -E 's/^[0-9-]*T([0-9:.]*)Z? *(anycheck-(bird|exabgp)(\[[0-9]+\])?:? *)?/    \1 /' |
		    cut -c1-150
	done
}

# ------------------------------------------------------------ traffic

# One character per request: A, B, x (failed); "|" marks the trigger.
# Usage: timeline FILE TRIGGER
timeline() {
	awk -v t="$2" '
	    { c = ($2 == "site_A") ? "A" : ($2 == "site_B") ? "B" : ($2 == "FAIL") ? "x" : "?"
	      if (!marked && $1 >= t) { s = s "|"; marked = 1 }
	      s = s c }
	    END { if (!marked) s = s "|"; print s }' "$1"
}

# analyze FILE TRIGGER TO: prints "REQUESTS LOST MOVED" where MOVED is the
# seconds from TRIGGER to the first request started after it that site TO
# answered ("-" if none did).
analyze() {
	awk -v t="$2" -v to="site_$3" '
	    { n++; if ($2 == "FAIL") lost++
	      if (moved == "" && $1 >= t && $2 == to) moved = sprintf("%.2f", $1 - t) }
	    END { printf "%d %d %s\n", n, lost, (moved == "" ? "-" : moved) }' "$1"
}

traffic_no=0
# Start COUNT requests; the caller triggers, then calls traffic_end.
traffic_begin() {
	traffic_no=$((traffic_no + 1))
	traffic_out="$LAB_DIR/traffic-$traffic_no.txt"
	lab_client_traffic_start "$traffic_out" "$url" "$1" "$rate" "$req_timeout"
	sleep "$lead"
}

# Wait for the traffic, print its timeline and result; sets res_n, res_lost,
# res_moved. Usage: traffic_end TRIGGER TO
traffic_end() {
	if ! lab_client_traffic_wait "$traffic_out"; then
		res_n=0 res_lost=0 res_moved=-
		return 1
	fi
	echo "  client, one request every $(awk -v r="$rate" 'BEGIN { print r * 1000 }') ms" \
	    "(A/B: answered by site A/B, x: failed, |: $trigger_what):"
	timeline "$traffic_out" "$1" | fold -w 72 | sed 's/^/    /'
	read -r res_n res_lost res_moved < <(analyze "$traffic_out" "$1" "$2")
	if [ "$res_moved" = - ]; then
		echo "  -> traffic did NOT reach site $2; $res_lost of $res_n requests failed"
	else
		echo "  -> traffic at site $2 ${res_moved} s after the $trigger_what;" \
		    "$res_lost of $res_n requests failed"
	fi
}

# record KEY STATUS LABEL MOVED_TEXT [EXTRA]: one summary row (uses res_*).
record() {
	local key=$1 status=$2 label=$3 text=$4 extra=${5:-}
	summary_rows+=("$label|$res_n|$res_lost|$text")
	[ -z "$summary_file" ] ||
	    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$key" "$status" "$res_n" \
	    "$res_lost" "$res_moved" "$extra" >>"$summary_file"
}

moved_text() {
	if [ "$res_moved" = - ]; then echo "did not move"; else echo "$res_moved s"; fi
}

print_summary() {
	local row label n lost text
	say "Summary (requests: one every 50 ms; time measured at the client, 50 ms resolution)"
	printf '| %-58s | %8s | %4s | %s\n' scenario requests lost "time until traffic moved"
	printf '|%s|%s|%s|%s\n' "$(printf -- '-%.0s' $(seq 60))" "----------" "------" "----------------"
	for row in "${summary_rows[@]}"; do
		IFS='|' read -r label n lost text <<<"$row"
		printf '| %-58s | %8s | %4s | %s\n' "$label" "$n" "$lost" "$text"
	done
}

# Wait (bounded) until the router sends traffic to site $1 again; if it
# does not, print what was measured so far and stop.
settle_at() {
	if ! lab_wait_best_site "$prefix" "$1" "${2:-15}"; then
		echo "  !! the router does not prefer site $1 within ${2:-15} s; stopping" >&2
		show_router >&2
		print_summary
		exit 1
	fi
	lab_wait_client "$url" "site $1" 5 || true
}

# ------------------------------------------------------------ configs

# Site A's anycheck config: a short hold-down and drain for the demo.
config_a() {
	local extra="\"hold_down\": $hold_down, \"flap_window\": 60, \"hold_down_max\": 12,
			\"drain\": { \"seconds\": $drain_seconds },"
	cat <<EOF
{
	"local_as": 65001,
	"bird": { "socket": "$(lab_site_bird_socket A)" },
	"control": { "socket": "$LAB_DIR/site-A/anycheck.sock" },
	"services": [
		{
			"name": "web",
			"prefixes": ["$prefix"],
			"checks": [ { "type": "http", "url": "$url", "expect_status": [200] },
				    { "type": "process", "pidfile": "$LAB_DIR/pids/http-A.pid" } ],
			"interval": 0.2, "fast_interval": 0.1, "rise": 2, "fall": 2, "timeout": 0.5,
			"maintenance_file": "$LAB_DIR/site-A/maintenance",
			$extra
			"announce": { "next_hop": "self" }
		}
	]
}
EOF
}

config_b() {
	cat <<EOF
{
	"local_as": 65002,
	"control": { "socket": "$LAB_DIR/site-B/anycheck.sock" },
	"state_directory": "$LAB_DIR/site-B",
	"services": [
		{
			"name": "web",
			"prefixes": ["$prefix"],
			"checks": [ { "type": "http", "url": "$url", "expect_status": [200] } ],
			"interval": 0.2, "fast_interval": 0.1, "rise": 2, "fall": 2, "timeout": 0.5,
			"announce": { "next_hop": "self", "as_path_prepend": 2 }
		}
	]
}
EOF
}

# ------------------------------------------------------------ the demo

say "anycheck demo: one anycast address, two sites, failover by BGP"
echo "  router: BIRD 2, AS 64500; client 203.0.113.2 fetches $url"
echo "  site A: AS 65001, BIRD 2 + anycheck-bird, BFD on its BGP session (100 ms x 3)"
echo "  site B: AS 65002, ExaBGP + anycheck-exabgp, AS path prepended twice"
echo "  both check their own HTTP service on $url every 0.2 s (rise 2, fall 2);"
echo "  A also watches its HTTP server's process (pidfd): its death withdraws at once"

lab_init acl-demo || exit 1
mkdir -p "$LAB_DIR/site-A" "$LAB_DIR/site-B"

config_a >"$LAB_DIR/anycheck-A.json"
if ! "$ANYCHECK_BIRD" -n -c "$LAB_DIR/anycheck-A.json" >"$LAB_DIR/check-A.out" 2>&1; then
	cat "$LAB_DIR/check-A.out" >&2
	echo "demo.sh: anycheck-bird rejects site A's config" >&2
	exit 1
fi
config_b >"$LAB_DIR/anycheck-B.json"
if ! "$ANYCHECK_EXABGP" -n -c "$LAB_DIR/anycheck-B.json" >"$LAB_DIR/check-B.out" 2>&1; then
	cat "$LAB_DIR/check-B.out" >&2
	echo "demo.sh: anycheck-exabgp rejects site B's config" >&2
	exit 1
fi

step "build the lab: router, site A (BIRD + anycheck-bird), site B (ExaBGP + anycheck-exabgp), client"
t0=$(now)
if ! { lab_router && lab_site A 65001 && lab_site B 65002 && lab_client &&
    lab_site_bird A "$LAB_DIR/anycheck-A.json" &&
    lab_site_exabgp B true "$ANYCHECK_EXABGP" -c "$LAB_DIR/anycheck-B.json"; }; then
	echo "demo.sh: lab setup failed" >&2
	exit 1
fi
both_sites() {
	[ "$(lab_router_route_sites "$prefix" | sort | tr -d '\n')" = AB ]
}
if ! lab_wait_for 15 both_sites; then
	echo "demo.sh: the router did not get the prefix from both sites within 15 s" >&2
	lab_router_routes "$prefix" >&2
	exit 1
fi
echo "  -> both sites announce $prefix; lab ready after $(lab_elapsed_since "$t0") s"
best=$(lab_router_best_site "$prefix")
echo "  -> the router prefers site $best (B's AS path is longer);" \
    "BFD session to A: $(lab_bfd_up A && echo Up || echo NOT up)"
[ "$best" = A ] || { echo "demo.sh: the router prefers site '$best', not A" >&2; exit 1; }
settle_at A 5
echo "  -> client: $(lab_client_get "$url")"
show_router
show_logs

# 1 ------------------------------------------------------------------
step "A's HTTP service fails (stopped): A withdraws, traffic moves to B"
traffic_begin 50
trigger_what="service stop" trigger=$(now)
lab_site_service_stop A
traffic_end "$trigger" B
record fail "$([ "$res_moved" = - ] && echo notmoved || echo ok)" \
    "A's service fails: traffic to B" "$(moved_text)"
show_router
show_logs

# 2 ------------------------------------------------------------------
step "A's service comes back: A announces again, traffic returns to A"
echo "  (1st DOWN of A within its flap_window: no hold-down, only rise 2)"
traffic_begin 50
trigger_what="service start" trigger=$(now)
lab_site_service_start A
traffic_end "$trigger" A
record recover "$([ "$res_moved" = - ] && echo notmoved || echo ok)" \
    "A recovers: traffic back to A" "$(moved_text)"
show_router
show_logs

# 3 ------------------------------------------------------------------
step "A fails again at once and recovers: anti-flap hold-down"
traffic_begin "$(awk -v h="$hold_down" -v r="$rate" 'BEGIN { printf "%d", (h + 4.5) / r }')"
trigger_what="restart of A's service" trigger=$(now)
lab_site_service_stop A
lab_wait_best_site "$prefix" B 5 || echo "  (traffic did not move to B within 5 s)"
# Measured from the restart: A cannot be healthy before it.
trigger=$(now)
lab_site_service_start A
echo "  A's service stopped, traffic went to B, A's service restarted at once;"
echo "  A is healthy again, but this is its 2nd DOWN within the flap window:" \
    "held down for $hold_down s"
traffic_end "$trigger" A
if [ "$res_moved" = - ]; then
	status=notmoved
else
	status=ok
fi
record holddown "$status" "A fails again, recovers: held down ${hold_down} s, then A" \
    "$(moved_text) after A's service restarted" "hold_down=$hold_down"
show_logs
settle_at A 15

# 4 ------------------------------------------------------------------
step "A goes into maintenance: drained (GRACEFUL_SHUTDOWN), then withdrawn"
traffic_begin "$(awk -v d="$drain_seconds" -v r="$rate" 'BEGIN { printf "%d", (d + 2.5) / r }')"
trigger_what="maintenance file" trigger=$(now)
touch "$LAB_DIR/site-A/maintenance"
gs_at=- gone_at=- blips=0
deadline=$(awk -v t="$trigger" -v d="$drain_seconds" 'BEGIN { printf "%.3f", t + d + 3 }')
# Watch A's route at the router: tagged 65535:0? gone (for good: a route
# that comes back, say while a drain variant replaces the UP one, is noted)?
while awk -v d="$deadline" -v n="$(now)" 'BEGIN { exit !(n < d) }'; do
	route=$(lab_router_site_route "$prefix" A)
	if [ -z "$route" ]; then
		[ "$gone_at" = - ] && gone_at=$(lab_elapsed_since "$trigger")
		if [ "$gs_at" != - ] ||
		    awk -v e="$(lab_elapsed_since "$trigger")" -v d="$drain_seconds" \
		    'BEGIN { exit !(e > d + 1) }'; then
			break
		fi
		sleep 0.05
		continue
	fi
	if [ "$gone_at" != - ]; then
		blips=$((blips + 1))
		echo "  !! router: A's route was gone at $gone_at s and is back" \
		    "at $(lab_elapsed_since "$trigger") s"
		gone_at=-
	fi
	if [ "$gs_at" = - ] && printf '%s\n' "$route" |
	    grep -E 'BGP\.community:' | grep -qF '(65535,0)'; then
		gs_at=$(lab_elapsed_since "$trigger")
		echo "  -> router: A's route carries GRACEFUL_SHUTDOWN (65535,0)" \
		    "after $gs_at s, local pref 0: best is now site $(lab_router_best_site "$prefix")"
		show_router
	fi
	sleep 0.05
done
if [ "$gone_at" = - ]; then
	echo "  -> router: A's route NOT withdrawn within $((drain_seconds + 3)) s"
else
	echo "  -> router: A's route withdrawn after $gone_at s"
fi
traffic_end "$trigger" B
if [ "$gs_at" != - ]; then
	record maintenance "$([ "$res_moved" = - ] && echo notmoved || echo ok)" \
	    "A in maintenance: drained, withdrawn, traffic to B" \
	    "$(moved_text) (65535:0 at router after $gs_at s, withdrawn after $gone_at s)" \
	    "gs=$gs_at withdrawn=$gone_at blips=$blips"
else
	echo "  !! no GRACEFUL_SHUTDOWN (65535:0) seen at the router during the drain"
	record maintenance nogs \
	    "A in maintenance: withdrawn, NO drain seen at the router" \
	    "$(moved_text) (withdrawn after $gone_at s; no 65535:0 seen)" \
	    "gs=- withdrawn=$gone_at"
fi
show_logs
echo "  A leaves maintenance (file removed): it starts again from INIT"
t0=$(now)
rm -f "$LAB_DIR/site-A/maintenance"
settle_at A 15
echo "  -> traffic back at site A after $(lab_elapsed_since "$t0") s"

# 5 ------------------------------------------------------------------
step "A's host stops answering, its link stays up: BFD"
echo "  (tc qdisc add dev uplink root pfifo limit 0 in site A: it drops all it sends)"
traffic_begin 60
trigger_what="mute" trigger=$(now)
lab_site_mute A on || exit 1
traffic_end "$trigger" B
record bfd "$([ "$res_moved" = - ] && echo notmoved || echo ok)" \
    "A's host mute, link up: BFD, traffic to B" "$(moved_text)"
echo "  router: session to A: $(lab_birdc show protocols "$(lab_bgp_proto A)" 2>/dev/null |
    awk -v p="$(lab_bgp_proto A)" '$1 == p { $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); print }')"
echo "  (without BFD the router would wait for the BGP hold timer: 9 s in this"
echo "   lab, 90 to 240 s with common defaults)"
show_router
t0=$(now)
lab_site_mute A off
if lab_wait_best_site "$prefix" A 20; then
	echo "  A sends again: its session is back and traffic returns after" \
	    "$(lab_elapsed_since "$t0") s"
else
	echo "  A sends again, but its route is not back within 20 s"
fi

# ------------------------------------------------------------ summary
print_summary

say "done: cleaning up the lab"
