#!/bin/bash
# DOC: narrated demo of anycheck-exabgp failing an anycast prefix over
#
# Builds the lab (helpers/lab.sh): a router running BIRD 2, site A running
# ExaBGP with anycheck-exabgp as its process, and a client. Then, step by
# step, with timings: the prefix appears at the router and the client
# reaches site A; the service is stopped and the prefix is withdrawn, so
# the client cannot reach it; the service returns and so does the prefix.
# Everything is removed at the end. Needs root; takes well under a minute.
#
#   ANYCHECK_EXABGP  the binary (default $BUILD_DIR/anycheck-exabgp)
#   STANDIN=1        fall back to tests/integration/standin-anycheck.sh
#                    when the binary does not exist

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=helpers/lab.sh
. "$here/lab.sh"

[ "$(id -u)" = 0 ] || { echo "demo.sh: must run as root" >&2; exit 1; }
BUILD_DIR=${BUILD_DIR:-$repo/build}
# Unless a binary is given, install what is missing and build first.
if [ -z "${ANYCHECK_EXABGP:-}" ] && [ "${STANDIN:-0}" != 1 ]; then
	echo "== installing dependencies (only what is missing) and building"
	bash "$repo/helpers/install-deps.sh" || exit 1
	{ cmake -S "$repo" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
	    cmake --build "$BUILD_DIR" -j"$(nproc)" --target anycheck-exabgp; } \
	    >"$BUILD_DIR.log" 2>&1 || { cat "$BUILD_DIR.log" >&2; exit 1; }
fi
ANYCHECK_EXABGP=${ANYCHECK_EXABGP:-$BUILD_DIR/anycheck-exabgp}
if [ ! -x "$ANYCHECK_EXABGP" ]; then
	if [ "${STANDIN:-0}" = 1 ]; then
		ANYCHECK_EXABGP=$repo/tests/integration/standin-anycheck.sh
		echo "(no anycheck-exabgp built: using the stand-in script)"
	else
		echo "demo.sh: no executable $ANYCHECK_EXABGP (set ANYCHECK_EXABGP or BUILD_DIR)" >&2
		exit 1
	fi
fi
ANYCHECK_EXABGP=$(readlink -f "$ANYCHECK_EXABGP")

export LAB_QUIET=1   # the lab only reports problems; the demo narrates
bold="" plain=""
if [ -t 1 ]; then
	bold=$(printf '\033[1m') plain=$(printf '\033[0m')
fi
prefix=192.0.2.1/32
url=http://192.0.2.1/
step_no=0

say() {
	printf '\n%s== %s%s\n' "$bold" "$*" "$plain"
}

step() {
	step_no=$((step_no + 1))
	say "Step $step_no: $*"
}

# Show the router's view of the prefix and what the client gets.
show() {
	local routes kernel
	routes=$(lab_router_routes "$prefix" 2>&1 | sed -n '2,5p')
	echo "  router (birdc show route $prefix):"
	printf '%s\n' "$routes" | sed 's/^/    /'
	kernel=$(lab_exec router ip route show exact "$prefix" | head -n 1)
	echo "  router kernel table: ${kernel:-(no route)}"
	echo "  client (curl $url): $(lab_client_get "$url")"
	show_log
}

# Print the anycheck-exabgp log lines that appeared since the last call.
log_seen=0
show_log() {
	local log=$LAB_DIR/site-A/exabgp.out lines
	[ -f "$log" ] || return 0
	lines=$(grep -a 'anycheck-exabgp' "$log" | tail -n +$((log_seen + 1)))
	[ -n "$lines" ] || return 0
	log_seen=$((log_seen + $(printf '%s\n' "$lines" | wc -l)))
	echo "  anycheck-exabgp log:"
	printf '%s\n' "$lines" | sed 's/^[^ ]*T\([0-9:.]*\)Z anycheck-exabgp /    \1 /'
}

# timed WHAT CMD...: run a wait and print how long it took.
timed() {
	local what=$1 t0
	shift
	t0=$(date +%s.%N)
	if "$@" ; then
		echo "  -> $what after $(lab_elapsed_since "$t0") s"
	else
		echo "  -> $what did NOT happen within the time bound" \
		    "($(lab_elapsed_since "$t0") s)"
		return 1
	fi
}

say "anycheck-exabgp demo: anycast failover through BGP"
echo "  router: BIRD 2, AS 64500; site A: AS 65001, anycast $prefix on lo,"
echo "  HTTP service on it answering \"site A\"; ExaBGP runs:"
echo "  $ANYCHECK_EXABGP -c anycheck.json"
echo "  (http check of $url every 0.2 s, rise 2, fall 2)"

lab_init acl-demo  || exit 1
cat >"$LAB_DIR/anycheck.json" <<EOF
{
	"local_as": 65001,
	"control": { "socket": "$LAB_DIR/anycheck.sock" },
	"services": [
		{
			"name": "web",
			"prefixes": ["$prefix"],
			"checks": [ { "type": "http", "url": "$url", "expect_status": [200] } ],
			"interval": 0.2, "fast_interval": 0.1, "rise": 2, "fall": 2, "timeout": 0.5,
			"announce": { "next_hop": "self", "med": 100 }
		}
	]
}
EOF

step "build the lab (router, site A with its HTTP service, client)"
if ! { lab_router && lab_site A 65001 && lab_client; }; then
	echo "lab setup failed" >&2
	exit 1
fi
show

step "start ExaBGP in site A with anycheck-exabgp as its process"
t0=$(date +%s.%N)
lab_site_exabgp A true "$ANYCHECK_EXABGP" -c "$LAB_DIR/anycheck.json"  || {
	echo "ExaBGP did not come up; its log:" >&2
	tail -n 20 "$LAB_DIR/site-A/exabgp.out" >&2
	exit 1
}
echo "  -> BGP session Established after $(lab_elapsed_since "$t0") s"
timed "prefix announced at the router" lab_wait_route "$prefix" present 10
timed "client reaches site A" lab_wait_client "$url" "site A" 5
show

step "stop the HTTP service in site A"
lab_site_service_stop A
timed "prefix withdrawn at the router" lab_wait_route "$prefix" absent 10
show

step "start the HTTP service again"
lab_site_service_start A
timed "prefix announced again" lab_wait_route "$prefix" present 10
timed "client reaches site A again" lab_wait_client "$url" "site A" 5
show

step "stop ExaBGP (SIGTERM)"
timed "ExaBGP and anycheck-exabgp exited" lab_site_exabgp_stop A 5
timed "prefix gone from the router" lab_wait_route "$prefix" absent 10
show

say "done: cleaning up the lab"
