#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: narrated demo of an anycast DNS resolver on two sites, failing over when one resolver dies
#
# Builds the lab (helpers/lab.sh): a router running BIRD 2 (AS 64500) and
# two sites announcing the resolver's anycast address 192.0.2.1/32, each
# running unbound on it and ExaBGP + anycheck-exabgp with a dns check of
# that unbound (site B's AS path prepended twice, so the router prefers A
# while both announce). Each unbound answers "whoami.example.net TXT" with
# its site's name, so the client behind the router, which resolves through
# the anycast address (one query every 50 ms, each given up after 0.5 s),
# records which site answered. Then site A's unbound is killed: anycheck
# sees the port refuse, withdraws A, and the client's queries go to B
# without the client changing anything. A's unbound is started again and
# traffic returns to A. Ends with what the client saw.
#
# Everything is removed at the end, also on failure or Ctrl-C. Needs root,
# unbound (helpers/install-deps.sh) and a build; about 12 s.
#
#   BUILD_DIR        where the binaries are built (default ./build)
#   ANYCHECK_EXABGP  the binary (default $BUILD_DIR/anycheck-exabgp)

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=helpers/lab.sh
. "$here/lab.sh"

[ "$(id -u)" = 0 ] || { echo "demo_dns.sh: must run as root" >&2; exit 1; }
UNBOUND=/usr/sbin/unbound
[ -x "$UNBOUND" ] || { echo "demo_dns.sh: needs unbound (bash helpers/install-deps.sh)" >&2; exit 1; }
ANYCHECK_EXABGP=${ANYCHECK_EXABGP:-${BUILD_DIR:-$repo/build}/anycheck-exabgp}
[ -x "$ANYCHECK_EXABGP" ] || { echo "demo_dns.sh: no $ANYCHECK_EXABGP: build first (docs/building.md) or set ANYCHECK_EXABGP" >&2; exit 1; }
ANYCHECK_EXABGP=$(readlink -f "$ANYCHECK_EXABGP")
export LAB_QUIET=1
prefix=$LAB_ANYCAST4/32

say() { printf '\n== %s\n' "$*"; }

# Site NAME's unbound on the anycast address: its own data only.
unbound_config() {
	cat <<EOF
server:
	interface: $LAB_ANYCAST4
	do-ip6: no
	access-control: 0.0.0.0/0 allow
	username: ""
	chroot: ""
	directory: "$LAB_DIR/site-$1"
	pidfile: "$LAB_DIR/site-$1/unbound.pid"
	logfile: "$LAB_DIR/site-$1/unbound.log"
	use-syslog: no
	num-threads: 1
	module-config: "iterator"
	local-zone: "example.net." static
	local-data: "health.example.net. 0 IN A 192.0.2.10"
	local-data: "whoami.example.net. 0 IN TXT \"site-$1\""
remote-control:
	control-enable: no
EOF
}
unbound_listening() {
	lab_exec "$1" ss -Hlun "src $LAB_ANYCAST4:53" | grep -q .
}
unbound_start() {
	lab_spawn "unbound-$1" "$LAB_DIR/site-$1/unbound.log" "$1" "$UNBOUND" \
	    -d -c "$LAB_DIR/site-$1/unbound.conf"
	lab_wait_for 5 unbound_listening "$1"
}

# Site NAME's anycheck: one service, the resolver, judged by a dns check
# of its own data (see docs/health.md, DNS checks).
anycheck_config() {
	local as=$2 extra=${3:-}
	cat <<EOF
{
	"local_as": $as,
	"control": { "socket": "$LAB_DIR/site-$1/anycheck.sock" },
	"state_directory": "$LAB_DIR/site-$1",
	"services": [ {
		"name": "resolver",
		"prefixes": ["$prefix"],
		"checks": [ { "type": "dns", "server": "$LAB_ANYCAST4",
		              "name": "health.example.net",
		              "expect_answer": "192.0.2.10" } ],
		"interval": 0.2, "fast_interval": 0.1, "rise": 2, "fall": 2,
		"timeout": 0.5,
		"announce": { "next_hop": "self"$extra }
	} ]
}
EOF
}

# The client: COUNT queries for whoami.example.net TXT to the anycast
# address, one every INTERVAL s, each in its own thread, given up after
# TIMEOUT s; writes "START SITE" lines (SITE: A, B or lost) to OUT. The
# query is a fixed TXT question; the answer is only searched for the
# site's name, so no DNS parsing is needed here.
DNS_TRAFFIC_PY='
import os, socket, struct, sys, threading, time
server, count, interval, timeout, out = sys.argv[1], int(sys.argv[2]), \
    float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
name = b"".join(bytes([len(l)]) + l for l in b"whoami.example.net".split(b".")) + b"\0"
results = ["lost"] * count
def one(i):
    query = struct.pack(">HHHHHH", int.from_bytes(os.urandom(2), "big"), 0x0100, 1, 0, 0, 0) + name + struct.pack(">HH", 16, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(query, (server, 53))
        reply = s.recv(512)
        if reply[:2] == query[:2]:
            for site in ("A", "B"):
                if ("site-" + site).encode() in reply:
                    results[i] = site
    except OSError:
        pass
    s.close()
t0 = time.time()
starts, threads = [], []
for i in range(count):
    delay = t0 + i * interval - time.time()
    if delay > 0:
        time.sleep(delay)
    starts.append(time.time())
    th = threading.Thread(target=one, args=(i,), daemon=True)
    th.start()
    threads.append(th)
for th in threads:
    th.join(timeout + 1)
with open(out + ".tmp", "w") as f:
    for start, result in zip(starts, results):
        f.write("%.3f %s\n" % (start, result))
os.rename(out + ".tmp", out)
'
traffic() { # OUT COUNT: run the client's queries (bounded by their count)
	rm -f "$1"
	lab_spawn "traffic-$(basename "$1")" "$1.log" client "$LAB_PYTHON" -c \
	    "$DNS_TRAFFIC_PY" "$LAB_ANYCAST4" "$2" 0.05 0.5 "$1"
}
traffic_wait() { # OUT COUNT
	lab_wait_for "$(($2 / 20 + 5))" test -s "$1" ||
	    { echo "demo_dns.sh: the client's queries did not finish" >&2; return 1; }
}
# What OUT shows: answers per site, and when SITE first answered after the
# event (an epoch from date +%s.%N).
traffic_summary() { # OUT EVENT SITE
	awk -v event="$2" -v site="$3" '
		{ n[$2]++; total++ }
		$1 >= event && $2 == site && at == "" { at = $1 - event }
		END {
			printf "  client: %d queries: site A answered %d, site B %d, %d lost", total, n["A"], n["B"], n["lost"]
			if (at != "")
				printf "\n  client: first answer from site %s %.2f s after the event", site, at
			printf "\n"
		}' "$1"
}

say "anycheck DNS demo: one anycast resolver address, two sites"
echo "  router: BIRD 2, AS 64500; client 203.0.113.2 resolves through $LAB_ANYCAST4"
echo "  sites A (AS 65001) and B (AS 65002, AS path prepended twice): unbound on"
echo "  $LAB_ANYCAST4, ExaBGP + anycheck-exabgp with a dns check of it every 0.2 s"
lab_init acl-dnsdemo || exit 1
for site in A B; do
	mkdir -p "$LAB_DIR/site-$site"
	unbound_config "$site" >"$LAB_DIR/site-$site/unbound.conf"
done
anycheck_config A 65001 >"$LAB_DIR/site-A/anycheck.json"
anycheck_config B 65002 ', "as_path_prepend": 2' >"$LAB_DIR/site-B/anycheck.json"
t0=$(date +%s.%N)
if ! { lab_router && lab_site A 65001 && lab_site B 65002 && lab_client &&
    unbound_start A && unbound_start B &&
    lab_site_exabgp A true "$ANYCHECK_EXABGP" -c "$LAB_DIR/site-A/anycheck.json" &&
    lab_site_exabgp B true "$ANYCHECK_EXABGP" -c "$LAB_DIR/site-B/anycheck.json"; }; then
	echo "demo_dns.sh: lab setup failed" >&2
	exit 1
fi
both_sites() { [ "$(lab_router_route_sites "$prefix" | sort | tr -d '\n')" = AB ]; }
if ! lab_wait_for 15 both_sites || ! lab_wait_best_site "$prefix" A 5; then
	echo "demo_dns.sh: the router does not have $prefix from both sites, A first" >&2
	exit 1
fi
echo "  -> both sites announce $prefix, the router prefers A; ready after $(lab_elapsed_since "$t0") s"

say "site A's resolver dies (unbound killed) while the client resolves"
traffic "$LAB_DIR/kill" 100
sleep 1.5
killed=$(date +%s.%N)
kill -KILL "$(cat "$LAB_DIR/pids/unbound-A.pid")"
lab_wait_best_site "$prefix" B 5 || exit 1
echo "  -> the router's best route is B's after $(lab_elapsed_since "$killed") s"
traffic_wait "$LAB_DIR/kill" 100 || exit 1
traffic_summary "$LAB_DIR/kill" "$killed" B
# anycheck's log is ExaBGP's stderr.
grep -hE "check dns .*pass -> fail|resolver: .* -> DOWN" \
    "$LAB_DIR/site-A/exabgp.out" | grep -oE "service resolver: .*" |
    head -n 2 | cut -c 1-150 | sed 's/^/  site A anycheck: /'

say "site A's resolver comes back"
started=$(date +%s.%N)
unbound_start A || { echo "demo_dns.sh: unbound of A did not start" >&2; exit 1; }
traffic "$LAB_DIR/back" 60
lab_wait_best_site "$prefix" A 10 || exit 1
echo "  -> A is announced and preferred again $(lab_elapsed_since "$started") s after its restart"
traffic_wait "$LAB_DIR/back" 60 || exit 1
traffic_summary "$LAB_DIR/back" "$started" A
echo
echo "The client never changed its resolver address: 192.0.2.1 moved between sites."
