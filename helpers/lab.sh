#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: anycheck network-namespace lab
#
# A reusable lab of real daemons in network namespaces, for integration tests
# and demos: a "router" namespace running BIRD 2 (AS 64500; or FRR or GoBGP
# with LAB_ROUTER_KIND, see lab_router) that learns the anycast prefixes
# over eBGP (iBGP for a site in AS 64500) from "site" namespaces, each holding the
# anycast address on lo, a real HTTP service bound to it and either ExaBGP
# running a health-checking process (anycheck-exabgp or a stand-in:
# lab_site_exabgp) or BIRD 2 with anycheck-bird beside it, over eBGP + BFD
# (lab_site_bird); and a "client" namespace behind the router that fetches
# the anycast URL, once (lab_client_get) or as timed traffic recording which
# site answered each request (lab_client_traffic_start / _wait), or long-lived
# TCP flows to an echo service in the sites (lab_site_echo_start,
# lab_client_flows_start / _wait). The router honours RFC 8326 (BIRD and
# FRR by default, GoBGP with a policy): a route with GRACEFUL_SHUTDOWN
# (65535:0) gets local preference 0, so another site's route wins while it
# drains. With LAB_ROUTER_MULTIPATH the router spreads flows over several
# sites (ECMP). lab_site_mute makes a site drop all it sends while its link
# stays up (BFD's case).
#
# Source it (". helpers/lab.sh") for the lab_* functions, or run it:
#   helpers/lab.sh selftest   quick self-check with the stand-in process
#   helpers/lab.sh help       this list
#
# Only documentation addresses are used:
#   anycast        192.0.2.1/32, 2001:db8::1/128 on each site's lo
#   router-site N  198.51.100.(4N)/30: router .4N+1, site .4N+2
#                  2001:db8:ffff:N::/64: router ::1, site ::2
#   router-client  203.0.113.0/24: router .1, client .2
#                  2001:db8:fffe::/64: router ::1, client ::2
# Every wait is bounded; lab_init installs a trap that stops every daemon
# started and deletes every namespace and the temp dir, even on failure.

LAB_ROUTER_AS=64500
LAB_ANYCAST4=192.0.2.1
LAB_ANYCAST6=2001:db8::1
LAB_PYTHON=/usr/bin/python3     # the system one: has no pyenv shim delay
# The routing daemons: Debian's, unless the caller names others (the
# version matrix, tests/versions/run.sh, runs those of Debian 13 and
# unstable from chroots through wrappers).
LAB_BIRD=${LAB_BIRD:-/usr/sbin/bird}
LAB_BIRDC=${LAB_BIRDC:-/usr/sbin/birdc}
LAB_EXABGP=${LAB_EXABGP:-/usr/sbin/exabgp}
LAB_FRR_DIR=${LAB_FRR_DIR:-/usr/lib/frr}   # zebra, bgpd, bfdd (Debian package frr)
LAB_VTYSH=${LAB_VTYSH:-/usr/bin/vtysh}
LAB_FRR_TMP=/var/tmp/frr         # where FRR keeps DAEMON.PID crash-log dirs
LAB_GOBGPD=${LAB_GOBGPD:-/usr/bin/gobgpd}  # Debian package gobgpd
LAB_GOBGP=${LAB_GOBGP:-/usr/bin/gobgp}

# The site's HTTP service: python's static file handler on ADDR PORT DIR.
# Not "python3 -m http.server": its HTTPServer does a reverse DNS lookup of
# the bind address (socket.getfqdn), which stalls ~5 s in a namespace.
LAB_HTTP_SERVER='
import functools, http.server, socket, socketserver, sys
addr, port, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    address_family = socket.AF_INET6 if ":" in addr else socket.AF_INET
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
with Server((addr, port), handler) as server:
    print("serving", root, "on", addr, port, flush=True)
    server.serve_forever()
'

LAB_ID=""
LAB_DIR=""
LAB_T0=""
LAB_SITES=()
LAB_CLEANED=0
LAB_ROUTER_RUN=""               # the router's daemon: bird, frr or gobgp

# ---------------------------------------------------------------- utilities

# Print a timestamped lab message on stderr. With LAB_QUIET=1 only
# problems (TIMEOUT, ERROR, HUNG, killing) are printed.
lab_log() {
	local now
	if [ "${LAB_QUIET:-0}" = 1 ]; then
		case $* in TIMEOUT* | ERROR* | *HUNG* | *killing*) ;; *) return 0 ;; esac
	fi
	now=$(date +%s.%N)
	printf '[lab %6.2fs] %s\n' "$(lab_elapsed_since "${LAB_T0:-$now}" "$now")" "$*" >&2
}

# Print seconds elapsed between two "date +%s.%N" stamps (second defaults to now).
lab_elapsed_since() {
	local from=$1 to=${2:-}
	[ -n "$to" ] || to=$(date +%s.%N)
	awk -v a="$from" -v b="$to" 'BEGIN { printf "%.2f", b - a }'
}

# Print an error and return 1 (use as: lab_die "msg" || return 1).
lab_die() {
	lab_log "ERROR: $*"
	return 1
}

# Print the last lines of a log file, indented, labelled (for failures).
lab_log_tail() {
	local file=$1 lines=${2:-20}
	if [ -s "$file" ]; then
		printf '  --- last %s lines of %s ---\n' "$lines" "$file" >&2
		tail -n "$lines" "$file" | sed 's/^/  | /' >&2
	else
		printf '  --- %s is empty or missing ---\n' "$file" >&2
	fi
}

# Full namespace name of a lab host (router, client, or a site name).
lab_ns() {
	printf '%s-%s' "$LAB_ID" "$1"
}

# Run a command inside a lab host's network namespace. nsenter execs the
# command itself (ip netns exec may stay as its parent), so "$!" of a
# background lab_exec is the daemon's own pid.
lab_exec() {
	local host=$1
	shift
	nsenter --net="/run/netns/$(lab_ns "$host")" -- "$@"
}

# Start a daemon in a lab host's namespace in the background, output to
# LOGFILE, tracked as NAME: lab_spawn NAME LOGFILE HOST CMD [ARG...].
# The subshell execs nsenter which execs CMD, so the tracked pid is CMD's.
lab_spawn() {
	local name=$1 logfile=$2 host=$3
	shift 3
	(exec nsenter --net="/run/netns/$(lab_ns "$host")" -- "$@" \
	    </dev/null >>"$logfile" 2>&1) &
	lab_track "$name" $!
}

# Poll "cmd..." every 0.1 s until it succeeds or timeout seconds pass.
lab_wait_for() {
	local timeout=$1
	shift
	local deadline
	deadline=$(awk -v t="$timeout" -v n="$(date +%s.%N)" 'BEGIN { printf "%.3f", n + t }')
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		awk -v d="$deadline" -v n="$(date +%s.%N)" 'BEGIN { exit !(n >= d) }' && break
		sleep 0.1
	done
	"$@" >/dev/null 2>&1
}

# Remember a pid so lab_cleanup stops it: lab_track NAME PID.
lab_track() {
	printf '%s\n' "$2" >"$LAB_DIR/pids/$1.pid"
}

# Is the tracked daemon NAME alive?
lab_alive() {
	local pid
	pid=$(cat "$LAB_DIR/pids/$1.pid" 2>/dev/null) || return 1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# Stop the tracked daemon NAME: SIGTERM, wait up to timeout s, then SIGKILL.
# Returns 0 if it exited on SIGTERM in time, 2 if it had to be killed.
lab_stop() {
	local name=$1 timeout=${2:-3} pidfile pid
	pidfile="$LAB_DIR/pids/$name.pid"
	pid=$(cat "$pidfile" 2>/dev/null) || return 0
	rm -f "$pidfile"
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	kill -CONT "$pid" 2>/dev/null      # a frozen daemon must see the TERM
	if lab_wait_for "$timeout" lab_pid_gone "$pid"; then
		return 0
	fi
	lab_log "$name (pid $pid) still running ${timeout}s after SIGTERM: killing it"
	kill -KILL "$pid" 2>/dev/null
	lab_wait_for 2 lab_pid_gone "$pid"
	return 2
}

# True when no process has this pid (or it is a zombie of ours).
lab_pid_gone() {
	local state
	state=$(ps -o stat= -p "$1" 2>/dev/null) || return 0
	case $state in Z*) return 0 ;; esac
	return 1
}

# ---------------------------------------------------------------- lifecycle

# Create the run id, temp dir and cleanup trap. Optional arg: id prefix.
lab_init() {
	local prefix=${1:-acl}
	LAB_ID="$prefix-$$"
	LAB_DIR=$(mktemp -d "/tmp/anycheck-lab.$LAB_ID.XXXXXX") || return 1
	mkdir -p "$LAB_DIR/pids" "$LAB_DIR/router/sites"
	LAB_T0=$(date +%s.%N)
	LAB_SITES=()
	LAB_CLEANED=0
	LAB_ROUTER_RUN=""
	# Tests count failures in $failed (tests/integration/harness.sh): a lab
	# torn down after a failure prints its daemons' logs first.
	LAB_FAILED_AT_INIT=${failed:-0}
	trap lab_cleanup EXIT
	trap 'lab_cleanup; exit 130' INT
	trap 'lab_cleanup; exit 143' TERM
	# A reader that goes away (test | head) must not leave the lab behind.
	trap 'lab_cleanup; exit 141' PIPE
	lab_log "lab $LAB_ID in $LAB_DIR"
}

# Stop every daemon started, delete every namespace and the temp dir.
# Idempotent; safe to call after a partial setup.
lab_cleanup() {
	local pidfile ns pid name
	[ "$LAB_CLEANED" = 1 ] && return 0
	LAB_CLEANED=1
	[ -n "$LAB_ID" ] || return 0
	if [ "${failed:-0}" -gt "${LAB_FAILED_AT_INIT:-0}" ]; then
		lab_dump_logs 60
	fi
	if [ -d "$LAB_DIR/pids" ]; then
		for pidfile in "$LAB_DIR"/pids/*.pid; do
			[ -e "$pidfile" ] || continue
			name=$(basename "$pidfile" .pid)
			lab_stop "$name" 2 || true
		done
	fi
	# The crash-log dirs of FRR daemons that had to be killed (FRR removes
	# its own when it exits): exactly the ones lab_router_start_frr noted.
	if [ -s "$LAB_DIR/frr-tmpdirs" ]; then
		while IFS= read -r name; do
			[[ $name =~ ^$LAB_FRR_TMP/(zebra|bfdd|bgpd)\.[0-9]+$ ]] &&
			    rm -rf -- "$name"
		done <"$LAB_DIR/frr-tmpdirs"
	fi
	# Anything still running inside our namespaces (e.g. an orphaned
	# health-check process) is ours: kill it by pid, then drop the namespace.
	for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
		case $ns in "$LAB_ID"-*) ;; *) continue ;; esac
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done
	if [ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ]; then
		if [ -n "${LAB_KEEP_DIR:-}" ]; then
			lab_log "kept $LAB_DIR (LAB_KEEP_DIR set)"
		else
			rm -rf "$LAB_DIR"
		fi
	fi
}

# Create a namespace for a lab host with lo up and forwarding settings.
lab_netns_add() {
	local host=$1 ns
	ns=$(lab_ns "$host")
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up
	lab_exec "$host" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
	    net.ipv6.conf.default.accept_dad=0 \
	    net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
}

# ---------------------------------------------------------------- router

# Start the router namespace (AS 64500), forwarding on, running the routing
# daemon LAB_ROUTER_KIND names: "bird" (BIRD 2, the default), "frr" (FRR:
# zebra, bgpd and bfdd, with their configs, pid files and vty sockets in the
# lab's temp dir; the host's /etc/frr and /run/frr are never used) or
# "gobgp" (gobgpd, no BFD). Either way the router imports only the anycast
# prefixes, exports nothing, runs BFD with the sessions that ask for it
# (not GoBGP) and puts its best routes into the namespace's kernel table.
# The lab_router_* functions answer the same for each. Optional environment:
#   LAB_ROUTER_POLICY   a file of import policy added to the router's config:
#                       BIRD filters (included in bird.conf), FRR lines
#                       (prefix-lists, community-lists, route-maps) put in
#                       bgpd.conf before "router bgp", or GoBGP TOML (defined
#                       sets, policies and the [global.apply-policy.config]
#                       that attaches them)
#   LAB_ROUTER_IMPORT4, LAB_ROUTER_IMPORT6
#                       the BIRD filters or FRR route-maps applied to what the
#                       sites announce (default: the lab's own, which accept
#                       only the anycast prefixes; BIRD's also gives a route
#                       tagged 65535:0 local preference 0, FRR does that by
#                       itself on eBGP, GoBGP not at all); GoBGP: see
#                       lab_router_start_gobgp
#   LAB_ROUTER_MULTIPATH=1
#                       equal routes from several sites become one kernel
#                       multipath (ECMP) route, hashed per flow (L4 hash,
#                       Linux's hash-threshold: a path that leaves or joins
#                       moves flows of the others too)
#   LAB_ROUTER_MULTIPATH=resilient (BIRD only)
#                       the same ECMP set as a resilient next-hop group
#                       (ip nexthop ... type resilient: a path that leaves
#                       moves only its own flows). BIRD 2.0.12 and FRR 8.4
#                       install only hash-threshold routes, so BIRD exports
#                       to kernel table $LAB_FIB_TABLE and a follower in the lab
#                       (LAB_FIB_FOLLOW_PY) programs each route of it as a
#                       resilient group in the main table
lab_router() {
	local kind=${LAB_ROUTER_KIND:-bird}
	case $kind in
	bird | frr | gobgp) ;;
	*) lab_die "LAB_ROUTER_KIND must be bird, frr or gobgp, not '$kind'"; return 1 ;;
	esac
	if [ -n "${LAB_ROUTER_POLICY:-}" ] && [ ! -r "$LAB_ROUTER_POLICY" ]; then
		lab_die "cannot read LAB_ROUTER_POLICY $LAB_ROUTER_POLICY"
		return 1
	fi
	case ${LAB_ROUTER_MULTIPATH:-0}:$kind in
	0:* | 1:* | resilient:bird) ;;
	*) lab_die "LAB_ROUTER_MULTIPATH must be 0, 1 or (with BIRD) resilient, not '${LAB_ROUTER_MULTIPATH}' with $kind"
	    return 1 ;;
	esac
	LAB_ROUTER_RUN=$kind
	lab_netns_add router || return 1
	lab_exec router sysctl -qw net.ipv4.ip_forward=1 \
	    net.ipv6.conf.all.forwarding=1
	if [ "${LAB_ROUTER_MULTIPATH:-0}" != 0 ]; then
		# Linux hashes multipath routes on addresses only by default
		# (policy 0): every flow of one client would take one path.
		lab_exec router sysctl -qw net.ipv4.fib_multipath_hash_policy=1 \
		    net.ipv6.fib_multipath_hash_policy=1
	fi
	"lab_router_start_$kind" || return 1
	if [ "${LAB_ROUTER_MULTIPATH:-0}" = resilient ]; then
		echo resilient >"$LAB_DIR/router/fib-mode"
		lab_spawn fib-follow "$LAB_DIR/router/fib-follow.log" router \
		    "$LAB_PYTHON" -c "$LAB_FIB_FOLLOW_PY" "$LAB_FIB_TABLE" \
		    "$LAB_DIR/router/fib-mode"
		lab_wait_for 3 grep -q following "$LAB_DIR/router/fib-follow.log" || {
			lab_log_tail "$LAB_DIR/router/fib-follow.log"
			lab_die "the resilient FIB follower did not start"
			return 1
		}
	fi
}

# The FIB follower (LAB_ROUTER_MULTIPATH=resilient): every 50 ms, each route
# of kernel table TABLE (where BIRD puts its multipath routes) is mirrored
# in the main table, as MODEFILE says (lab_router_fib_mode): "resilient",
# a route via a resilient next-hop group of the same gateways (64 buckets,
# idle timer 1 s: when a gateway leaves, only the buckets that pointed to it
# move), or "hash-threshold", the same multipath route as BIRD's (what BIRD
# itself installs with "merge paths"). Logs each change.
LAB_FIB_TABLE=100
LAB_FIB_FOLLOW_PY='
import json, subprocess, sys, time
table, modefile = sys.argv[1], sys.argv[2]
def run(*args):
    return subprocess.run(["ip"] + list(args), capture_output=True, text=True)
def routes(fam):
    try:
        return json.loads(run("-j", fam, "route", "show", "table", table).stdout or "[]")
    except ValueError:
        return []
def read_mode():
    try:
        with open(modefile) as f:
            return f.read().strip() or "resilient"
    except OSError:
        return "resilient"
nh_ids, group_ids, current = {}, {}, {}
next_id = [1000]
def new_id():
    next_id[0] += 1
    return next_id[0]
mode = read_mode()
print("following table", table, "as", mode, flush=True)
while True:
    now_mode = read_mode()
    if now_mode != mode:
        mode = now_mode
        current.clear()
        print("%.3f mode %s" % (time.time(), mode), flush=True)
    for fam, full in (("-4", "/32"), ("-6", "/128")):
        want = {}
        for r in routes(fam):
            dst = r.get("dst", "")
            if dst == "default" or not dst:
                continue
            if "/" not in dst:
                dst += full
            hops = [(h.get("gateway"), h.get("dev")) for h in r.get("nexthops", [])]
            if not hops and r.get("gateway"):
                hops = [(r.get("gateway"), r.get("dev"))]
            hops = tuple(h for h in hops if h[0])
            if hops:
                want[dst] = hops
        for dst, hops in want.items():
            if current.get(dst) == hops:
                continue
            if mode == "hash-threshold":
                args = [fam, "route", "replace", dst, "proto", "static"]
                for gw, dev in hops:
                    args += ["nexthop", "via", gw, "dev", dev]
                r = run(*args)
                what = "multipath route"
            else:
                ids = []
                for gw, dev in sorted(hops):
                    if (gw, dev) not in nh_ids:
                        nh_ids[(gw, dev)] = new_id()
                        run("nexthop", "replace", "id", str(nh_ids[(gw, dev)]), "via", gw, "dev", dev)
                    ids.append(str(nh_ids[(gw, dev)]))
                gid = group_ids.get(dst)
                verb = "replace" if gid else "add"
                if not gid:
                    gid = group_ids[dst] = new_id()
                r = run("nexthop", verb, "id", str(gid), "group", "/".join(ids),
                        "type", "resilient", "buckets", "64", "idle_timer", "1")
                if r.returncode == 0:
                    r = run(fam, "route", "replace", dst, "nhid", str(gid), "proto", "static")
                what = "resilient group %d" % gid
            current[dst] = hops
            print("%.3f %s via %s: %s %s" % (time.time(), dst, " ".join(h[0] for h in hops),
                  what, r.stderr.strip() or "ok"), flush=True)
        for dst in [d for d in current if d not in want and (":" in d) == (fam == "-6")]:
            run(fam, "route", "del", dst, "proto", "static")
            del current[dst]
            print("%.3f %s withdrawn" % (time.time(), dst), flush=True)
    time.sleep(0.05)
'

# Set how the FIB follower (LAB_ROUTER_MULTIPATH=resilient) installs the
# router's multipath routes: lab_router_fib_mode resilient|hash-threshold.
# Returns once the follower logged the switch (within 2 s).
lab_router_fib_mode() {
	case $1 in resilient | hash-threshold) ;; *) lab_die "lab_router_fib_mode: resilient|hash-threshold, not '$1'"; return 1 ;; esac
	[ "$(cat "$LAB_DIR/router/fib-mode" 2>/dev/null)" = "$1" ] && return 0
	echo "$1" >"$LAB_DIR/router/fib-mode"
	lab_wait_for 2 eval "tail -n 5 '$LAB_DIR/router/fib-follow.log' | grep -q 'mode $1'"
}

# The router's BIRD 2 (lab_router with LAB_ROUTER_KIND=bird).
lab_router_start_bird() {
	local dir="$LAB_DIR/router" merge="" policy="" ktable=""
	[ "${LAB_ROUTER_MULTIPATH:-0}" != 0 ] && merge="merge paths on;"
	[ "${LAB_ROUTER_MULTIPATH:-0}" = resilient ] && ktable="kernel table $LAB_FIB_TABLE;"
	[ -n "${LAB_ROUTER_POLICY:-}" ] &&
	    policy="include \"$(readlink -f "$LAB_ROUTER_POLICY")\";"
	cat >"$dir/bird.conf" <<EOF
# anycheck lab router (generated)
log "$dir/bird.log" all;
router id 203.0.113.1;

protocol device { scan time 10; }

# Put what the sites announce into the kernel table so the router forwards
# client traffic to the announcing site. Scanned every 2 s: BIRD 3.4.0 was
# seen to count a route as exported to the kernel that the kernel did not
# have (a new prefix announced after a run of withdraws and re-announces;
# no error logged) until its next scan put it there.
protocol kernel kernel4 {
	ipv4 { import none; export where source = RTS_BGP; };
	scan time 2;
	$merge
	$ktable
}
protocol kernel kernel6 {
	ipv6 { import none; export where source = RTS_BGP; };
	scan time 2;
	$merge
	$ktable
}

# Only the anycast prefixes. RFC 8326: a route tagged GRACEFUL_SHUTDOWN
# (65535:0) by a draining site gets local preference 0, so any other site's
# route is preferred while the drained one stays usable until withdrawn.
filter lab_anycast4 {
	if ! (net ~ [ 192.0.2.0/24{24,32} ]) then reject;
	if (65535, 0) ~ bgp_community then bgp_local_pref = 0;
	accept;
}
filter lab_anycast6 {
	if ! (net ~ [ 2001:db8::/48{48,128} ]) then reject;
	if (65535, 0) ~ bgp_community then bgp_local_pref = 0;
	accept;
}
$policy

# BFD for the sessions that ask for it ("bfd on", BIRD sites): detects a
# dead site in 300 ms. Sessions without "bfd on" (ExaBGP sites) ignore it.
protocol bfd lab_bfd {
	interface "*" {
		min rx interval 100 ms;
		min tx interval 100 ms;
		multiplier 3;
	};
}

# eBGP to the sites: only the anycast prefixes are imported, nothing is
# exported. Short timers so sessions come up and recover quickly.
template bgp lab_site {
	local as $LAB_ROUTER_AS;
	connect delay time 1;
	connect retry time 1;
	error wait time 1, 4;
	hold time 9;
	keepalive time 3;
}

include "$dir/sites/*.conf";
EOF
	lab_exec router "$LAB_BIRD" -c "$dir/bird.conf" -s "$dir/bird.ctl" \
	    -P "$dir/bird.pid" >"$dir/bird.out" 2>&1 || {
		lab_log_tail "$dir/bird.out"
		lab_die "BIRD did not start in the router"
		return 1
	}
	lab_wait_for 5 test -s "$dir/bird.pid" || true
	lab_track bird "$(cat "$dir/bird.pid" 2>/dev/null)"
	if ! lab_wait_for 5 lab_birdc show status; then
		lab_log_tail "$dir/bird.out"
		lab_log_tail "$dir/bird.log"
		lab_die "BIRD control socket $dir/bird.ctl did not answer within 5s"
		return 1
	fi
	lab_log "router up (BIRD, AS $LAB_ROUTER_AS)"
}

# Run birdc against the router's BIRD.
lab_birdc() {
	lab_exec router "$LAB_BIRDC" -s "$LAB_DIR/router/bird.ctl" "$@"
}

# Did a "birdc -v configure" (reply codes shown) in FILE succeed? By reply
# code, not wording: 0003 Reconfigured (BIRD 2, and BIRD 3 when it is
# done at once) or 0004 Reconfiguration in progress (BIRD 3 finishing in
# the background).
lab_bird_reconfigured() {
	grep -Eq '^000[34] ' "$1"
}

# BIRD 3 names a route's BGP attributes as its filters do (bgp_med:,
# bgp_path:, bgp_community:), BIRD 2 as BGP.med:, BGP.as_path:,
# BGP.community:. The lab reads them by name and prints BIRD 2's names
# whichever BIRD answered, so tests and the demo match one form.
lab_bird_attribute_names() {
	sed -E 's/^([[:space:]]+)bgp_(origin|next_hop|med|local_pref|community|ext_community|large_community|originator_id|cluster_list|aggregator|atomic_aggr):/\1BGP.\2:/; s/^([[:space:]]+)bgp_path:/\1BGP.as_path:/'
}

# The router's FRR (lab_router with LAB_ROUTER_KIND=frr): zebra (kernel
# routes), bfdd and bgpd, as Debian runs them (user frr), each started in
# the foreground in the router namespace with its config, pid file, log and
# vty socket in $LAB_DIR/router/frr and the zebra socket there too. FRR only
# ever creates /var/tmp/frr/DAEMON.PID for its crash logs, which it removes
# when it exits (lab_cleanup removes those of daemons it had to kill).
lab_router_start_frr() {
	local dir="$LAB_DIR/router/frr" d multipath="" policy=""
	for d in zebra bfdd bgpd; do
		[ -x "$LAB_FRR_DIR/$d" ] || { lab_die "no $LAB_FRR_DIR/$d (Debian package frr)"; return 1; }
	done
	[ -x "$LAB_VTYSH" ] || { lab_die "no $LAB_VTYSH (Debian package frr)"; return 1; }
	id frr >/dev/null 2>&1 || { lab_die "no user frr (Debian package frr)"; return 1; }
	mkdir -p "$dir"
	# The daemons run as user frr: it must reach its directory (only that).
	chmod 0711 "$LAB_DIR" "$LAB_DIR/router"
	if [ "${LAB_ROUTER_MULTIPATH:-0}" = 1 ]; then
		multipath=" bgp bestpath as-path multipath-relax"
	fi
	[ -n "${LAB_ROUTER_POLICY:-}" ] && policy=$(cat "$LAB_ROUTER_POLICY")
	cat >"$dir/zebra.conf" <<EOF
! anycheck lab router: zebra (generated)
hostname lab-router
log file $dir/zebra.log informational
EOF
	cat >"$dir/bfdd.conf" <<EOF
! anycheck lab router: bfdd (generated)
hostname lab-router
log file $dir/bfdd.log informational
! The same detection as the BIRD router: 3 x 100 ms.
bfd
 profile lab
  receive-interval 100
  transmit-interval 100
  detect-multiplier 3
 exit
exit
EOF
	cat >"$dir/bgpd.conf" <<EOF
! anycheck lab router: bgpd (generated)
frr defaults traditional
hostname lab-router
log file $dir/bgpd.log informational
!
! Only the anycast prefixes are imported; nothing is exported. FRR gives a
! route tagged 65535:0 from an eBGP neighbor local preference 0 by itself.
ip prefix-list LAB-ANYCAST4 seq 5 permit 192.0.2.0/24 ge 24
ipv6 prefix-list LAB-ANYCAST6 seq 5 permit 2001:db8::/48 ge 48
route-map LAB-ANYCAST4-IN permit 10
 match ip address prefix-list LAB-ANYCAST4
exit
route-map LAB-ANYCAST6-IN permit 10
 match ipv6 address prefix-list LAB-ANYCAST6
exit
route-map LAB-NONE deny 10
exit
!
! LAB_ROUTER_POLICY (${LAB_ROUTER_POLICY:-none})
$policy
!
router bgp $LAB_ROUTER_AS
 bgp router-id 203.0.113.1
 no bgp default ipv4-unicast
 timers bgp 3 9
$multipath
 address-family ipv4 unicast
  maximum-paths $([ "${LAB_ROUTER_MULTIPATH:-0}" = 1 ] && echo 8 || echo 1)
  maximum-paths ibgp $([ "${LAB_ROUTER_MULTIPATH:-0}" = 1 ] && echo 8 || echo 1)
 exit-address-family
 address-family ipv6 unicast
  maximum-paths $([ "${LAB_ROUTER_MULTIPATH:-0}" = 1 ] && echo 8 || echo 1)
  maximum-paths ibgp $([ "${LAB_ROUTER_MULTIPATH:-0}" = 1 ] && echo 8 || echo 1)
 exit-address-family
exit
EOF
	# vtysh reads vtysh.conf from --config_dir: an empty one, not the host's.
	: >"$dir/vtysh.conf"
	chown -R frr:frr "$dir"
	chmod 0750 "$dir"
	for d in zebra bfdd bgpd; do
		lab_frr_daemon_start "$d" || return 1
	done
	if ! lab_wait_for 5 eval "lab_vtysh -c 'show bgp summary json' | grep -q '{'"; then
		lab_router_diag
		lab_die "FRR bgpd in the router did not answer vtysh within 5s"
		return 1
	fi
	lab_log "router up (FRR $("$LAB_FRR_DIR/bgpd" --version 2>/dev/null | awk '/version/ { print $NF; exit }'), AS $LAB_ROUTER_AS)"
}

# Start FRR daemon D (zebra, bfdd, bgpd) of the router in the foreground,
# config D.conf in $LAB_DIR/router/frr, and wait up to 5 s for its vty
# socket: lab_frr_daemon_start D.
lab_frr_daemon_start() {
	local d=$1 dir="$LAB_DIR/router/frr" extra=()
	case $d in
	bfdd) extra=(--bfdctl "$dir/bfdd.sock") ;;
	esac
	lab_spawn "frr-$d" "$dir/$d.out" router "$LAB_FRR_DIR/$d" \
	    -f "$dir/$d.conf" -i "$dir/$d.pid" --vty_socket "$dir" \
	    -z "$dir/zserv.api" -A 127.0.0.1 -P 0 "${extra[@]}"
	echo "$LAB_FRR_TMP/$d.$(cat "$LAB_DIR/pids/frr-$d.pid")" >>"$LAB_DIR/frr-tmpdirs"
	if ! lab_wait_for 5 test -S "$dir/$d.vty"; then
		lab_log_tail "$dir/$d.out"
		lab_log_tail "$dir/$d.log"
		lab_die "FRR $d did not start in the router (no $dir/$d.vty within 5s)"
		return 1
	fi
}

# Run vtysh against the router's FRR: lab_vtysh -c "COMMAND" [-c ...].
lab_vtysh() {
	lab_exec router "$LAB_VTYSH" --vty_socket "$LAB_DIR/router/frr" \
	    --config_dir "$LAB_DIR/router/frr" "$@"
}

# The router's FRR: declare the sessions to site NAME (see
# lab_router_site_conf) with vtysh.
lab_router_site_conf_frr() {
	local name=$1 bfd=${2:-0} as s4 s6 out peer fam imp cmds=()
	as=$(cat "$LAB_DIR/site-$name/as") || return 1
	s4=$(lab_site_addr "$name" site4)
	s6=$(lab_site_addr "$name" site6)
	cmds=(-c 'configure terminal' -c "router bgp $LAB_ROUTER_AS")
	for peer in "$s4" "$s6"; do
		cmds+=(-c "neighbor $peer remote-as $as"
		    -c "neighbor $peer description lab site $name"
		    -c "neighbor $peer timers connect 1")
		if [ "$bfd" = 1 ]; then
			cmds+=(-c "neighbor $peer bfd profile lab")
		elif [ -e "$LAB_DIR/site-$name/router-bfd" ]; then
			cmds+=(-c "no neighbor $peer bfd")
		fi
	done
	for fam in 4 6; do
		if [ "$fam" = 4 ]; then
			peer=$s4 imp=${LAB_ROUTER_IMPORT4:-LAB-ANYCAST4-IN}
			cmds+=(-c 'address-family ipv4 unicast')
		else
			peer=$s6 imp=${LAB_ROUTER_IMPORT6:-LAB-ANYCAST6-IN}
			cmds+=(-c 'address-family ipv6 unicast')
		fi
		cmds+=(-c "neighbor $peer activate"
		    -c "neighbor $peer route-map $imp in"
		    -c "neighbor $peer route-map LAB-NONE out"
		    -c 'exit-address-family')
	done
	cmds+=(-c end)
	out="$LAB_DIR/site-$name/frr-configure.out"
	if ! lab_vtysh "${cmds[@]}" >"$out" 2>&1 || grep -q '^%' "$out"; then
		cat "$out" >&2
		lab_die "FRR did not accept the BGP sessions for site $name"
		return 1
	fi
	if [ "$bfd" = 1 ]; then
		: >"$LAB_DIR/site-$name/router-bfd"
	else
		rm -f "$LAB_DIR/site-$name/router-bfd"
	fi
	# Apply a changed import route-map to what the site already sent.
	lab_vtysh -c "clear bgp $s4 soft in" -c "clear bgp $s6 soft in" >/dev/null 2>&1 || true
}

# Print FRR's JSON for exactly PREFIX ("show bgp ipv4|ipv6 unicast PREFIX json").
lab_frr_prefix_json() {
	lab_vtysh -c "show bgp $(lab_afi "$1") unicast $1 json" 2>/dev/null
}

# "ipv4" or "ipv6" for a prefix or address; lab_afi_site: the matching
# lab_site_addr name (site4 or site6).
lab_afi() {
	case $1 in *:*) echo ipv6 ;; *) echo ipv4 ;; esac
}
lab_afi_site() {
	case $1 in *:*) echo site6 ;; *) echo site4 ;; esac
}

# "ADDRESS=NAME" for both addresses of every site, one a line (FRR and GoBGP
# name peers by address, the lab by site name).
lab_site_peer_map() {
	local site
	for site in "${LAB_SITES[@]}"; do
		printf '%s=%s\n%s=%s\n' "$(lab_site_addr "$site" site4)" "$site" \
		    "$(lab_site_addr "$site" site6)" "$site"
	done
}

# Read FRR's JSON (from vtysh ... json) on stdin, by attribute name:
#   has                 exit 0 when the prefix has a path
#   sites ADDR=NAME...  the sites it has a path from, best first
#   path ADDR           the path from ADDR in BIRD's words (see
#                       lab_router_site_route); exit 1 when there is none
#   state ADDR          the BGP state of neighbor ADDR ("Established"...)
#   bfd ADDR            exit 0 when the BFD session with ADDR is up
LAB_FRR_JSON_PY='
import ipaddress, json, sys
mode, args = sys.argv[1], sys.argv[2:]
try:
    data = json.load(sys.stdin)
except ValueError:
    sys.exit(2)
def norm(addr):
    """An address in one spelling (2001:db8:ffff:0::2 is 2001:db8:ffff::2)."""
    try:
        return str(ipaddress.ip_address(addr))
    except ValueError:
        return addr
def paths():
    if not isinstance(data, dict):
        return []
    return [p for p in data.get("paths", []) if isinstance(p, dict)]
def peer_of(p):
    return norm((p.get("peer") or {}).get("peerId", ""))
def is_best(p):
    return bool((p.get("bestpath") or {}).get("overall"))
WELL_KNOWN = {"graceful-shutdown": "65535,0", "accept-own": "65535,1",
    "llgr-stale": "65535,6", "no-llgr": "65535,7", "accept-own-nexthop": "65535,8",
    "blackhole": "65535,666", "no-export": "65535,65281",
    "no-advertise": "65535,65282", "local-AS": "65535,65283",
    "no-peer": "65535,65284", "internet": "0,0"}
if mode == "has":
    sys.exit(0 if paths() else 1)
if mode == "sites":
    names = dict((norm(a.split("=", 1)[0]), a.split("=", 1)[1]) for a in args)
    ordered = sorted(paths(), key=lambda p: not is_best(p))
    seen = []
    for p in ordered:
        name = names.get(peer_of(p))
        if name and name not in seen:
            seen.append(name)
    print("\n".join(seen)) if seen else None
    sys.exit(0)
if mode == "path":
    for p in paths():
        if peer_of(p) != norm(args[0]):
            continue
        print("%s from %s%s" % (data.get("prefix", "?"), args[0], " best" if is_best(p) else ""))
        print("\tBGP.as_path: %s" % (p.get("aspath") or {}).get("string", ""))
        if "med" in p or "metric" in p:
            print("\tBGP.med: %s" % p.get("med", p.get("metric")))
        print("\tBGP.local_pref: %s" % p.get("locPrf", p.get("localpref", 100)))
        comm = (p.get("community") or {}).get("string", "")
        if comm:
            words = [WELL_KNOWN.get(w, w.replace(":", ",")) for w in comm.split()]
            print("\tBGP.community: %s" % " ".join("(%s)" % w for w in words))
        sys.exit(0)
    sys.exit(1)
if mode == "state":
    peers = dict((norm(k), v) for k, v in data.items()) if isinstance(data, dict) else {}
    peer = peers.get(norm(args[0]))
    if not isinstance(peer, dict):
        sys.exit(1)
    print(peer.get("bgpState", "unknown"))
    sys.exit(0)
if mode == "bfd":
    for s in data if isinstance(data, list) else []:
        if norm(s.get("peer", "")) == norm(args[0]) and s.get("status") == "up":
            sys.exit(0)
    sys.exit(1)
sys.exit(2)
'
lab_frr_json() {
	"$LAB_PYTHON" -c "$LAB_FRR_JSON_PY" "$@"
}

# The router's GoBGP (lab_router with LAB_ROUTER_KIND=gobgp): gobgpd with
# its gRPC API on the namespace's own 127.0.0.1:50051 (pprof off). GoBGP
# does not touch the kernel by itself and the Debian 12 gobgpd (3.10) cannot
# use FRR 8.4's zebra (it panics decoding zebra's interface messages), so a
# small follower of "gobgp monitor global rib" (LAB_GOBGP_FIB_PY) puts each
# best route into the namespace's kernel table and removes withdrawn ones.
# Policies are global (GoBGP's import policy applies to every neighbor):
# LAB_ROUTER_POLICY (TOML) attaches its own, else LAB_ROUTER_IMPORT4 names
# the import policy for both families (default lab-anycast-in, which accepts
# the anycast prefixes and sets nothing: GoBGP by itself ignores 65535:0).
# gobgpd.toml is rebuilt from its parts and gobgpd reloads it on SIGHUP
# (lab_router_gobgp_reload).
lab_router_start_gobgp() {
	local gdir="$LAB_DIR/router/gobgp" d fam
	for d in "$LAB_GOBGPD" "$LAB_GOBGP"; do
		[ -x "$d" ] || { lab_die "no $d (Debian package gobgpd)"; return 1; }
	done
	mkdir -p "$gdir"
	lab_router_gobgp_conf || return 1
	lab_spawn gobgpd "$gdir/gobgpd.log" router "$LAB_GOBGPD" \
	    -f "$gdir/gobgpd.toml" -t toml -p -l info \
	    --api-hosts 127.0.0.1:50051 --pprof-disable
	if ! lab_wait_for 5 lab_gobgp global; then
		lab_log_tail "$gdir/gobgpd.log"
		lab_die "gobgpd in the router did not answer within 5s"
		return 1
	fi
	for fam in ipv4 ipv6; do
		lab_spawn "gobgp-fib-$fam" "$gdir/fib-$fam.log" router "$LAB_PYTHON" \
		    -c "$LAB_GOBGP_FIB_PY" "$LAB_GOBGP" "$fam"
	done
	if ! lab_wait_for 5 grep -q following "$gdir/fib-ipv4.log" "$gdir/fib-ipv6.log"; then
		lab_log_tail "$gdir/fib-ipv4.log"
		lab_die "the GoBGP FIB follower did not start within 5s"
		return 1
	fi
	lab_log "router up (GoBGP $("$LAB_GOBGPD" --version 2>/dev/null | awk '{ print $NF; exit }'), AS $LAB_ROUTER_AS)"
}

# Follows "gobgp monitor global rib -a FAMILY --current -j" (one JSON list
# of best paths per line, "withdrawal" when the prefix has none left) and
# sets the namespace's kernel route (proto bgp) to each best path's next hop.
LAB_GOBGP_FIB_PY='
import ipaddress, json, subprocess, sys
gobgp, fam = sys.argv[1], sys.argv[2]
cmd = [gobgp, "-u", "127.0.0.1", "-p", "50051", "monitor", "global", "rib",
       "-a", fam, "--current", "-j"]
def nexthop(path):
    for a in path.get("attrs", []):
        if a.get("type") == 3 and a.get("nexthop"):
            return a["nexthop"]
        if a.get("type") == 14 and a.get("nexthop"):
            return a["nexthop"]
    return None
def ip(*args):
    r = subprocess.run(["ip"] + list(args), capture_output=True, text=True)
    print("ip", " ".join(args), "->", r.returncode, r.stderr.strip(), flush=True)
mon = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
print("following", " ".join(cmd), flush=True)
for line in mon.stdout:
    try:
        paths = json.loads(line)
    except ValueError:
        continue
    for p in paths if isinstance(paths, list) else [paths]:
        prefix = (p.get("nlri") or {}).get("prefix")
        if not prefix:
            continue
        fam_flag = "-6" if ":" in prefix else "-4"
        if p.get("withdrawal"):
            ip(fam_flag, "route", "del", prefix, "proto", "bgp")
            continue
        nh = nexthop(p)
        if nh:
            ip(fam_flag, "route", "replace", prefix, "via", nh, "proto", "bgp")
'

# Write the router's gobgpd.toml: global settings, the lab's policy,
# LAB_ROUTER_POLICY (TOML) and one file of neighbors per site. A
# LAB_ROUTER_POLICY attaches its import policy itself
# ([global.apply-policy.config]); without one the lab attaches
# LAB_ROUTER_IMPORT4 (default lab-anycast-in).
lab_router_gobgp_conf() {
	local gdir="$LAB_DIR/router/gobgp" file
	{
		cat <<EOF
# anycheck lab router: gobgpd (generated)
[global.config]
  as = $LAB_ROUTER_AS
  router-id = "203.0.113.1"
  port = 179
EOF
		if [ -z "${LAB_ROUTER_POLICY:-}" ]; then
			cat <<EOF
[global.apply-policy.config]
  import-policy-list = ["${LAB_ROUTER_IMPORT4:-lab-anycast-in}"]
  default-import-policy = "reject-route"
  default-export-policy = "reject-route"
EOF
		fi
		cat <<EOF

# The lab's own import policy: the anycast prefixes, nothing set.
[[defined-sets.prefix-sets]]
  prefix-set-name = "lab-anycast4"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = "192.0.2.0/24"
    masklength-range = "24..32"
[[defined-sets.prefix-sets]]
  prefix-set-name = "lab-anycast6"
  [[defined-sets.prefix-sets.prefix-list]]
    ip-prefix = "2001:db8::/48"
    masklength-range = "48..128"
[[policy-definitions]]
  name = "lab-anycast-in"
  [[policy-definitions.statements]]
    name = "anycast4"
    [policy-definitions.statements.conditions.match-prefix-set]
      prefix-set = "lab-anycast4"
    [policy-definitions.statements.actions]
      route-disposition = "accept-route"
  [[policy-definitions.statements]]
    name = "anycast6"
    [policy-definitions.statements.conditions.match-prefix-set]
      prefix-set = "lab-anycast6"
    [policy-definitions.statements.actions]
      route-disposition = "accept-route"
EOF
		if [ -n "${LAB_ROUTER_POLICY:-}" ]; then
			printf '\n# LAB_ROUTER_POLICY (%s)\n' "$LAB_ROUTER_POLICY"
			cat "$LAB_ROUTER_POLICY"
		fi
		for file in "$LAB_DIR"/router/sites/*.toml; do
			if [ -e "$file" ]; then cat "$file"; fi
		done
	} >"$gdir/gobgpd.toml.tmp" && mv "$gdir/gobgpd.toml.tmp" "$gdir/gobgpd.toml"
	if ! "$LAB_GOBGPD" -d -t toml -f "$gdir/gobgpd.toml" >"$gdir/check.out" 2>&1; then
		lab_log_tail "$gdir/check.out"
		lab_die "gobgpd rejects $gdir/gobgpd.toml"
		return 1
	fi
}

# Rebuild gobgpd.toml (with the current LAB_ROUTER_IMPORT4 and
# LAB_ROUTER_POLICY), make gobgpd reload it (SIGHUP) and re-apply the import
# policy to the routes already received (soft reset in).
lab_router_gobgp_reload() {
	local pid
	lab_router_gobgp_conf || return 1
	pid=$(cat "$LAB_DIR/pids/gobgpd.pid" 2>/dev/null)
	[ -n "$pid" ] || { lab_die "no gobgpd tracked"; return 1; }
	kill -HUP "$pid"
	sleep 0.3
	lab_gobgp neighbor all softresetin >/dev/null 2>&1 || true
}

# Run the gobgp CLI against the router's gobgpd: lab_gobgp ARGS...
lab_gobgp() {
	lab_exec router "$LAB_GOBGP" -u 127.0.0.1 -p 50051 "$@"
}

# The router's GoBGP: declare the sessions to site NAME (see
# lab_router_site_conf) in gobgpd.toml and reload it. GoBGP has no BFD.
lab_router_site_conf_gobgp() {
	local name=$1 as s4 s6 r4 r6 peer laddr fam
	as=$(cat "$LAB_DIR/site-$name/as") || return 1
	s4=$(lab_site_addr "$name" site4)
	s6=$(lab_site_addr "$name" site6)
	r4=$(lab_site_addr "$name" router4)
	r6=$(lab_site_addr "$name" router6)
	{
		printf '\n# lab site %s\n' "$name"
		for fam in 4 6; do
			if [ "$fam" = 4 ]; then
				peer=$s4 laddr=$r4
			else
				peer=$s6 laddr=$r6
			fi
			cat <<EOF
[[neighbors]]
  [neighbors.config]
    neighbor-address = "$peer"
    peer-as = $as
    description = "lab site $name"
  [neighbors.timers.config]
    connect-retry = 1
    hold-time = 9
    keepalive-interval = 3
  [neighbors.transport.config]
    local-address = "$laddr"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv${fam}-unicast"
EOF
		done
	} >"$LAB_DIR/router/sites/$name.toml"
	if lab_alive gobgpd; then
		lab_router_gobgp_reload || return 1
		lab_wait_for 5 eval "lab_gobgp neighbor '$s4' >/dev/null 2>&1" || {
			lab_log_tail "$LAB_DIR/router/gobgp/gobgpd.log"
			lab_die "gobgpd did not add the neighbor $s4 of site $name"
			return 1
		}
	fi
}

# Read gobgp's JSON on stdin, by attribute name (the modes of lab_frr_json):
#   has | sites ADDR=NAME... | path ADDR   for "global rib -a FAMILY PREFIX -j"
#   state ADDR                             for "neighbor ADDR -j"
LAB_GOBGP_JSON_PY='
import ipaddress, json, sys
mode, args = sys.argv[1], sys.argv[2:]
try:
    data = json.load(sys.stdin)
except ValueError:
    sys.exit(2)
def norm(addr):
    try:
        return str(ipaddress.ip_address(addr))
    except ValueError:
        return addr
def paths():
    out = []
    if isinstance(data, dict):
        for prefix, lst in data.items():
            for p in lst if isinstance(lst, list) else []:
                if isinstance(p, dict):
                    p["_prefix"] = prefix
                    out.append(p)
    return out
def peer_of(p):
    return norm(p.get("neighbor-ip") or p.get("source-id") or "")
def attr(p, typ):
    for a in p.get("attrs", []):
        if a.get("type") == typ:
            return a
    return None
WELL_KNOWN = {0xFFFF0000: "65535,0"}
if mode == "has":
    sys.exit(0 if paths() else 1)
if mode == "sites":
    names = dict((norm(a.split("=", 1)[0]), a.split("=", 1)[1]) for a in args)
    seen = []
    for p in sorted(paths(), key=lambda p: not p.get("best")):
        name = names.get(peer_of(p))
        if name and name not in seen:
            seen.append(name)
    if seen:
        print("\n".join(seen))
    sys.exit(0)
if mode == "path":
    for p in paths():
        if peer_of(p) != norm(args[0]):
            continue
        print("%s from %s%s" % (p["_prefix"], args[0], " best" if p.get("best") else ""))
        asp = attr(p, 2) or {}
        ases = [str(a) for seg in asp.get("as_paths", []) for a in seg.get("asns", [])]
        print("\tBGP.as_path: %s" % " ".join(ases))
        med = attr(p, 4)
        if med:
            print("\tBGP.med: %s" % med.get("metric"))
        lp = attr(p, 5)
        print("\tBGP.local_pref: %s" % (lp.get("value") if lp else 100))
        comm = attr(p, 8)
        if comm:
            words = ["%d,%d" % (c >> 16, c & 0xFFFF) for c in comm.get("communities", [])]
            print("\tBGP.community: %s" % " ".join("(%s)" % w for w in words))
        sys.exit(0)
    sys.exit(1)
if mode == "state":
    state = (data.get("state") or {}).get("session_state") if isinstance(data, dict) else None
    if state is None:
        sys.exit(1)
    names = {6: "Established", "6": "Established", "established": "Established",
        "ESTABLISHED": "Established"}
    print(names.get(state, state))
    sys.exit(0)
sys.exit(2)
'
lab_gobgp_json() {
	"$LAB_PYTHON" -c "$LAB_GOBGP_JSON_PY" "$@"
}

# Print gobgp's JSON for exactly PREFIX in the router's global RIB.
lab_gobgp_prefix_json() {
	lab_gobgp global rib -a "$(lab_afi "$1")" "$1" -j 2>/dev/null
}

# Print the router daemon's view of its sessions and the tail of its log
# (for failures).
lab_router_diag() {
	case ${LAB_ROUTER_RUN:-bird} in
	gobgp)
		echo "  --- router: gobgp neighbor ---" >&2
		lab_gobgp neighbor 2>&1 | sed 's/^/  | /' >&2
		lab_log_tail "$LAB_DIR/router/gobgp/gobgpd.log" 10
		lab_log_tail "$LAB_DIR/router/frr/zebra.log" 5
		;;
	frr)
		echo "  --- router: show bgp summary ---" >&2
		lab_vtysh -c "show bgp summary" 2>&1 | sed 's/^/  | /' >&2
		lab_log_tail "$LAB_DIR/router/frr/bgpd.log" 10
		lab_log_tail "$LAB_DIR/router/frr/zebra.log" 5
		;;
	*)
		echo "  --- router: show protocols ---" >&2
		lab_birdc show protocols 2>&1 | sed 's/^/  | /' >&2
		lab_log_tail "$LAB_DIR/router/bird.log" 10
		;;
	esac
}

# Print what the router's routing daemon has for exactly this prefix
# (BIRD: "show route PREFIX all"; FRR: "show bgp ... PREFIX").
lab_router_routes() {
	case ${LAB_ROUTER_RUN:-bird} in
	frr) lab_vtysh -c "show bgp $(lab_afi "$1") unicast $1" ;;
	gobgp) lab_gobgp global rib -a "$(lab_afi "$1")" "$1" ;;
	*) lab_birdc show route "$1" all | lab_bird_attribute_names ;;
	esac
}

# Exit 0 when the router's routing daemon has a route for exactly this prefix.
lab_router_has_route() {
	case ${LAB_ROUTER_RUN:-bird} in
	frr) lab_frr_prefix_json "$1" | lab_frr_json has ;;
	gobgp) lab_gobgp_prefix_json "$1" | lab_gobgp_json has ;;
	*) lab_router_routes "$1" 2>/dev/null | grep -q "^$1 " ;;
	esac
}

# Print the router's kernel route for PREFIX, with each next hop (one
# "nexthop via ..." line per path of a multipath route).
lab_router_kernel_route() {
	local fam=-4
	case $1 in *:*) fam=-6 ;; esac
	lab_exec router ip "$fam" route show exact "$1"
}

# Print the addresses the router's kernel forwards PREFIX to, one a line
# (several for a multipath route, expanded from a nexthop group too).
lab_router_kernel_nexthops() {
	local fam=-4 nhid
	case $1 in *:*) fam=-6 ;; esac
	nhid=$(lab_exec router ip "$fam" route show exact "$1" |
	    awk '{ for (i = 1; i < NF; i++) if ($i == "nhid") { print $(i + 1); exit } }')
	if [ -n "$nhid" ] && lab_exec router ip nexthop show id "$nhid" 2>/dev/null | grep -q group; then
		lab_exec router ip nexthop show id "$nhid" | awk '{
		    for (i = 1; i < NF; i++) if ($i == "group") { print $(i + 1); exit } }' |
		    tr '/' '\n' | sed 's/,.*//' | while read -r nhid; do
			lab_exec router ip nexthop show id "$nhid" |
			    awk '{ for (i = 1; i < NF; i++) if ($i == "via") print $(i + 1) }'
		done
	else
		lab_exec router ip "$fam" route show exact "$1" |
		    awk '{ for (i = 1; i < NF; i++) if ($i == "via") print $(i + 1) }'
	fi
}

# Exit 0 when the router's kernel forwards this prefix (the BGP route was
# exported to its table).
lab_router_kernel_has_route() {
	local fam=-4
	case $1 in *:*) fam=-6 ;; esac
	lab_exec router ip "$fam" route show exact "$1" | grep -q .
}

# Wait until the prefix is present|absent at the router (its routing daemon
# and its kernel).
lab_wait_route() {
	local prefix=$1 want=$2 timeout=${3:-10} t0 site
	t0=$(date +%s.%N)
	case $want in
	present) lab_wait_for "$timeout" lab_route_both_present "$prefix" && {
		lab_log "route $prefix present after $(lab_elapsed_since "$t0")s"
		return 0
	} ;;
	absent) lab_wait_for "$timeout" lab_route_both_absent "$prefix" && {
		lab_log "route $prefix absent after $(lab_elapsed_since "$t0")s"
		return 0
	} ;;
	*) lab_die "lab_wait_route: want present|absent, got '$want'"; return 1 ;;
	esac
	lab_log "TIMEOUT: route $prefix not $want at the router after ${timeout}s"
	{
		echo "  --- router: routes for $prefix ---"
		lab_router_routes "$prefix" 2>&1 | sed 's/^/  | /'
		echo "  --- router: kernel route ---"
		lab_router_kernel_route "$prefix" 2>&1 | sed 's/^/  | /'
	} >&2
	lab_router_diag
	for site in "${LAB_SITES[@]}"; do
		lab_site_logs_tail "$site"
	done
	return 1
}

lab_route_both_present() {
	lab_router_has_route "$1" && lab_router_kernel_has_route "$1"
}

lab_route_both_absent() {
	! lab_router_has_route "$1" && ! lab_router_kernel_has_route "$1"
}

# Print the router's route for PREFIX learned from site NAME, with all its
# attributes (empty when that site does not announce it): lab_router_site_route
# PREFIX NAME.
# With FRR the attributes are printed as BIRD names them ("BGP.local_pref:
# 0", "BGP.community: (65000,100) (65535,0)"), well-known communities as
# numbers, so tests can read either router the same way.
lab_router_site_route() {
	case ${LAB_ROUTER_RUN:-bird} in
	frr) lab_frr_prefix_json "$1" |
	    lab_frr_json path "$(lab_site_addr "$2" "$(lab_afi_site "$1")")" ;;
	gobgp) lab_gobgp_prefix_json "$1" |
	    lab_gobgp_json path "$(lab_site_addr "$2" "$(lab_afi_site "$1")")" ;;
	*) lab_birdc show route "$1" protocol "$(lab_bgp_proto "$2")" all 2>/dev/null |
	    sed -n '/^[0-9a-f]/,$p' | lab_bird_attribute_names ;;
	esac
}

# Print the names of the sites the router has a route for PREFIX from,
# best (primary) route first, one a line.
lab_router_route_sites() {
	case ${LAB_ROUTER_RUN:-bird} in
	frr | gobgp)
		local map=()
		mapfile -t map < <(lab_site_peer_map)
		"lab_${LAB_ROUTER_RUN}_prefix_json" "$1" | "lab_${LAB_ROUTER_RUN}_json" sites "${map[@]}" ;;
	*) lab_router_route_sites_bird "$1" ;;
	esac
}

lab_router_route_sites_bird() {
	lab_birdc show route "$1" 2>/dev/null | awk '
	    match($0, /\[site6?_[A-Za-z0-9]+ /) {
		name = substr($0, RSTART + 1, RLENGTH - 2)
		sub(/^site6?_/, "", name)
		if ($0 ~ /\] \* /) best = name; else rest = rest name "\n"
	    }
	    END { if (best != "") print best; printf "%s", rest }'
}

# Print the name of the site whose route for PREFIX the router uses (best).
lab_router_best_site() {
	local best
	best=$(lab_router_route_sites "$1" | head -n 1)
	[ -n "$best" ] && printf '%s\n' "$best"
}

# Wait until the router's best route for PREFIX is site NAME's (or, with
# NAME "none", until it has none): lab_wait_best_site PREFIX NAME [TIMEOUT_S].
lab_wait_best_site() {
	local prefix=$1 want=$2 timeout=${3:-10}
	[ "$want" = none ] && want=""
	lab_wait_for "$timeout" eval "[ \"\$(lab_router_best_site '$prefix')\" = '$want' ]" && return 0
	lab_log "TIMEOUT: best route for $prefix at the router not from '${want:-none}' after ${timeout}s (now: '$(lab_router_best_site "$prefix")')"
	return 1
}

# Exit 0 when the router's route for PREFIX from site NAME carries the
# standard community COMMUNITY ("65535,0" for GRACEFUL_SHUTDOWN):
# lab_router_site_route_has_community PREFIX NAME ASN,VALUE.
lab_router_site_route_has_community() {
	lab_router_site_route "$1" "$2" |
	    grep -E '^[[:space:]]*BGP\.community:' | grep -qF "($3)"
}

# Router's BGP protocol name for a site: lab_bgp_proto NAME [4|6].
lab_bgp_proto() {
	if [ "${2:-4}" = 6 ]; then echo "site6_$1"; else echo "site_$1"; fi
}

# Print the BGP state of the router's session to a site ("Established"...).
# Usage: lab_bgp_state NAME [4|6]
lab_bgp_state() {
	local proto peer
	if [ "${LAB_ROUTER_RUN:-bird}" != bird ]; then
		if [ "${2:-4}" = 6 ]; then
			peer=$(lab_site_addr "$1" site6)
		else
			peer=$(lab_site_addr "$1" site4)
		fi || return 1
		if [ "$LAB_ROUTER_RUN" = gobgp ]; then
			lab_gobgp neighbor "$peer" -j 2>/dev/null | lab_gobgp_json state "$peer"
		else
			lab_vtysh -c "show bgp neighbors $peer json" 2>/dev/null |
			    lab_frr_json state "$peer"
		fi
		return
	fi
	proto=$(lab_bgp_proto "$1" "${2:-4}")
	lab_birdc show protocols "$proto" 2>/dev/null |
	    awk -v p="$proto" '$1 == p { print $6; found = 1 } END { exit !found }'
}

# Exit 0 when the router's session to a site is Established: NAME [4|6].
lab_bgp_established() {
	[ "$(lab_bgp_state "$1" "${2:-4}")" = Established ]
}

# Wait until the router's BGP session to a site is Established.
# Usage: lab_wait_bgp NAME [TIMEOUT_S] [4|6]
lab_wait_bgp() {
	local site=$1 timeout=${2:-10} fam=${3:-4} t0
	t0=$(date +%s.%N)
	if lab_wait_for "$timeout" lab_bgp_established "$site" "$fam"; then
		lab_log "BGP session (IPv$fam) to site $site Established after $(lab_elapsed_since "$t0")s"
		return 0
	fi
	lab_log "TIMEOUT: BGP session (IPv$fam) to site $site not Established after ${timeout}s"
	if [ "${LAB_ROUTER_RUN:-bird}" = bird ]; then
		lab_birdc show protocols all "$(lab_bgp_proto "$site" "$fam")" 2>&1 |
		    sed 's/^/  | /' >&2
	fi
	lab_router_diag
	lab_site_logs_tail "$site"
	return 1
}

# ---------------------------------------------------------------- sites

# Index of a site (order of creation), for its addresses.
lab_site_index() {
	local i
	for i in "${!LAB_SITES[@]}"; do
		[ "${LAB_SITES[$i]}" = "$1" ] && { echo "$i"; return 0; }
	done
	return 1
}

# Addresses of a site's link: lab_site_addr NAME router4|site4|router6|site6
lab_site_addr() {
	local i
	i=$(lab_site_index "$1") || return 1
	case $2 in
	router4) echo "198.51.100.$((4 * i + 1))" ;;
	site4) echo "198.51.100.$((4 * i + 2))" ;;
	router6) printf '2001:db8:ffff:%x::1\n' "$i" ;;
	site6) printf '2001:db8:ffff:%x::2\n' "$i" ;;
	*) return 1 ;;
	esac
}

# Create site NAME with private AS: link to the router, anycast address on
# lo, BGP session declared at the router, HTTP service started.
lab_site() {
	local name=$1 as=${2:-65001} dir r4 s4 r6 s6 i
	case $name in
	*[!A-Za-z0-9]* | "") lab_die "site name must be alphanumeric: '$name'"; return 1 ;;
	esac
	[ "${#LAB_SITES[@]}" -lt 60 ] || { lab_die "too many sites"; return 1; }
	LAB_SITES+=("$name")
	i=$(lab_site_index "$name")
	dir="$LAB_DIR/site-$name"
	mkdir -p "$dir/www"
	echo "$as" >"$dir/as"
	r4=$(lab_site_addr "$name" router4)
	s4=$(lab_site_addr "$name" site4)
	r6=$(lab_site_addr "$name" router6)
	s6=$(lab_site_addr "$name" site6)

	lab_netns_add "$name" || return 1
	# The veth ends are created directly inside the namespaces, so their
	# names never clash with other runs or the host.
	ip link add "site$i" netns "$(lab_ns router)" type veth \
	    peer name uplink netns "$(lab_ns "$name")" || return 1
	ip -n "$(lab_ns router)" addr add "$r4/30" dev "site$i"
	ip -n "$(lab_ns router)" addr add "$r6/64" dev "site$i" nodad
	ip -n "$(lab_ns router)" link set "site$i" up
	ip -n "$(lab_ns "$name")" addr add "$s4/30" dev uplink
	ip -n "$(lab_ns "$name")" addr add "$s6/64" dev uplink nodad
	ip -n "$(lab_ns "$name")" link set uplink up
	ip -n "$(lab_ns "$name")" addr add "$LAB_ANYCAST4/32" dev lo
	ip -n "$(lab_ns "$name")" addr add "$LAB_ANYCAST6/128" dev lo
	ip -n "$(lab_ns "$name")" route add default via "$r4"
	ip -n "$(lab_ns "$name")" -6 route add default via "$r6"

	lab_router_site_conf "$name" 0 || return 1
	printf 'site %s\n' "$name" >"$dir/www/index.html"
	lab_site_service_start "$name" || return 1
	lab_log "site $name up (AS $as, $s4 / $s6, anycast $LAB_ANYCAST4 $LAB_ANYCAST6)"
}

# Declare (or redeclare) the router's BGP sessions to site NAME (eBGP, or
# iBGP when the site's AS is the router's) and apply them at the router:
# lab_router_site_conf NAME BFD (BFD: 1 = with BFD).
lab_router_site_conf() {
	case ${LAB_ROUTER_RUN:-bird} in
	frr) lab_router_site_conf_frr "$@" ;;
	gobgp) lab_router_site_conf_gobgp "$@" ;;
	*) lab_router_site_conf_bird "$@" ;;
	esac
}

lab_router_site_conf_bird() {
	local name=$1 bfd=${2:-0} as r4 s4 r6 s6 bfd_line="" out
	as=$(cat "$LAB_DIR/site-$name/as") || return 1
	r4=$(lab_site_addr "$name" router4)
	s4=$(lab_site_addr "$name" site4)
	r6=$(lab_site_addr "$name" router6)
	s6=$(lab_site_addr "$name" site6)
	[ "$bfd" = 1 ] && bfd_line="bfd on;"
	cat >"$LAB_DIR/router/sites/$name.conf" <<EOF
protocol bgp site_$name from lab_site {
	description "lab site $name";
	neighbor $s4 as $as;
	source address $r4;
	$bfd_line
	ipv4 { import filter ${LAB_ROUTER_IMPORT4:-lab_anycast4}; export none; };
}
protocol bgp site6_$name from lab_site {
	description "lab site $name (IPv6 session)";
	neighbor $s6 as $as;
	source address $r6;
	$bfd_line
	ipv6 { import filter ${LAB_ROUTER_IMPORT6:-lab_anycast6}; export none; };
}
EOF
	out="$LAB_DIR/site-$name/bird-configure.out"
	if ! lab_birdc -v configure >"$out" 2>&1 || ! lab_bird_reconfigured "$out"; then
		cat "$out" >&2
		lab_die "BIRD did not accept the BGP sessions for site $name"
		return 1
	fi
}

# Is the site's HTTP service answering on the anycast address (from inside)?
lab_site_service_ok() {
	lab_exec "$1" curl -sf --max-time 1 -o /dev/null "http://$LAB_ANYCAST4/"
}

# Start the site's HTTP service (python http.server on the anycast IPv4
# and IPv6 addresses, port 80) and wait until it answers.
lab_site_service_start() {
	local name=$1 dir
	dir="$LAB_DIR/site-$name"
	lab_alive "http-$name" && return 0
	lab_spawn "http-$name" "$dir/http.log" "$name" "$LAB_PYTHON" \
	    -c "$LAB_HTTP_SERVER" "$LAB_ANYCAST4" 80 "$dir/www"
	lab_spawn "http6-$name" "$dir/http6.log" "$name" "$LAB_PYTHON" \
	    -c "$LAB_HTTP_SERVER" "$LAB_ANYCAST6" 80 "$dir/www"
	if ! lab_wait_for 5 lab_site_service_ok "$name"; then
		lab_log_tail "$dir/http.log"
		lab_die "HTTP service of site $name not answering within 5s"
		return 1
	fi
}

# Stop the site's HTTP service and wait until it no longer answers.
lab_site_service_stop() {
	local name=$1
	lab_stop "http-$name" 3
	lab_stop "http6-$name" 3
	if ! lab_wait_for 3 eval "! lab_site_service_ok $name"; then
		lab_die "HTTP service of site $name still answering after stop"
		return 1
	fi
}

# A long-lived TCP service for measuring broken flows: on ADDR PORT it greets
# each connection with "site NAME" and echoes every line back, forever.
LAB_ECHO_SERVER='
import socket, socketserver, sys
addr, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 256
    address_family = socket.AF_INET6 if ":" in addr else socket.AF_INET
class Echo(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(("site %s\n" % name).encode())
        for line in self.rfile:
            self.wfile.write(line)
with Server((addr, port), Echo) as server:
    print("echo as site", name, "on", addr, port, flush=True)
    server.serve_forever()
'

# Start the long-lived TCP service (LAB_ECHO_SERVER) of site NAME on the
# anycast IPv4 address, port PORT (default 9000), and wait until it answers:
# lab_site_echo_start NAME [PORT].
lab_site_echo_start() {
	local name=$1 port=${2:-9000} dir
	dir="$LAB_DIR/site-$name"
	lab_alive "echo-$name" && return 0
	lab_spawn "echo-$name" "$dir/echo.log" "$name" "$LAB_PYTHON" \
	    -c "$LAB_ECHO_SERVER" "$LAB_ANYCAST4" "$port" "$name"
	if ! lab_wait_for 5 grep -q "^echo as" "$dir/echo.log"; then
		lab_log_tail "$dir/echo.log"
		lab_die "echo service of site $name not up within 5s"
		return 1
	fi
}

# Run ExaBGP in site NAME with api.ack ACK (true|false), peering with the
# router over IPv4 (and IPv6 when LAB_EXABGP_IPV6=1), running the given
# process command as process "anycheck" (encoder text).
# Usage: lab_site_exabgp NAME ACK PROCESS_CMD [ARG...]
lab_site_exabgp() {
	local name=$1 ack=$2 dir as r4 s4 r6 s6 arg run=""
	shift 2
	[ $# -ge 1 ] || { lab_die "lab_site_exabgp: no process command"; return 1; }
	case $ack in true | false) ;; *) lab_die "ack must be true|false"; return 1 ;; esac
	for arg in "$@"; do
		case $arg in
		*[[:space:]\;\{\}\"\']* | "")
			lab_die "ExaBGP 'run' cannot quote '$arg' (spaces, ; {} or quotes)"
			return 1 ;;
		esac
		run="$run $arg"
	done
	[ -x "$1" ] || { lab_die "process command $1 is not an executable file"; return 1; }
	dir="$LAB_DIR/site-$name"
	as=$(cat "$dir/as")
	r4=$(lab_site_addr "$name" router4)
	s4=$(lab_site_addr "$name" site4)
	r6=$(lab_site_addr "$name" router6)
	s6=$(lab_site_addr "$name" site6)
	{
		cat <<EOF
# anycheck lab site $name (generated)
process anycheck {
	run$run;
	encoder text;
}

neighbor $r4 {
	router-id $s4;
	local-address $s4;
	local-as $as;
	peer-as $LAB_ROUTER_AS;
	hold-time 9;
	family { ipv4 unicast; }
	api { processes [ anycheck ]; }
}
EOF
		if [ "${LAB_EXABGP_IPV6:-0}" = 1 ]; then
			cat <<EOF

neighbor $r6 {
	router-id $s4;
	local-address $s6;
	local-as $as;
	peer-as $LAB_ROUTER_AS;
	hold-time 9;
	family { ipv6 unicast; }
	api { processes [ anycheck ]; }
}
EOF
		fi
	} >"$dir/exabgp.conf"
	: >"$dir/exabgp.log"
	# Settings through the environment (they override /etc/exabgp/exabgp.env).
	lab_spawn "exabgp-$name" "$dir/exabgp.out" "$name" env \
	    exabgp.daemon.user=root \
	    exabgp.daemon.drop=false \
	    exabgp.daemon.daemonize=false \
	    exabgp.daemon.pid="$dir/exabgp.pid" \
	    exabgp.log.destination="$dir/exabgp.log" \
	    exabgp.log.level="${LAB_EXABGP_LOG_LEVEL:-INFO}" \
	    exabgp.log.processes=true \
	    exabgp.log.network=true \
	    exabgp.api.ack="$ack" \
	    exabgp.api.cli=false \
	    exabgp.tcp.port=179 \
	    "$LAB_EXABGP" "$dir/exabgp.conf"
	echo "$ack" >"$dir/exabgp.ack"
	# Stop waiting early if ExaBGP exits (bad config, process dying).
	lab_wait_for 15 lab_exabgp_up_or_dead "$name" || true
	if ! lab_alive "exabgp-$name"; then
		lab_log "ERROR: ExaBGP in site $name exited during startup"
		lab_log_tail "$dir/exabgp.log"
		lab_log_tail "$dir/exabgp.out"
		return 1
	fi
	if ! lab_wait_bgp "$name" 1; then
		lab_die "ExaBGP in site $name did not bring its BGP session up"
		return 1
	fi
	if [ "${LAB_EXABGP_IPV6:-0}" = 1 ] && ! lab_wait_bgp "$name" 15 6; then
		lab_die "ExaBGP in site $name did not bring its IPv6 BGP session up"
		return 1
	fi
	lab_log "ExaBGP up in site $name (api.ack=$ack): run$run"
}

lab_exabgp_up_or_dead() {
	lab_bgp_established "$1" || ! lab_alive "exabgp-$1"
}

# Pids of the processes ExaBGP of site NAME runs (its children).
lab_site_exabgp_children() {
	local pid
	pid=$(cat "$LAB_DIR/pids/exabgp-$1.pid" 2>/dev/null) || return 0
	pgrep -P "$pid" || true
}

# Stop ExaBGP of site NAME with SIGTERM; wait up to TIMEOUT s (default 5)
# for it and its processes to exit. Returns 1 (and says so) if it hung.
lab_site_exabgp_stop() {
	local name=$1 timeout=${2:-5} children pid rc=0 t0
	children=$(lab_site_exabgp_children "$name")
	t0=$(date +%s.%N)
	lab_stop "exabgp-$name" "$timeout" || rc=$?
	if [ "$rc" = 2 ]; then
		lab_log "ExaBGP of site $name HUNG: not gone ${timeout}s after SIGTERM"
		lab_log_tail "$LAB_DIR/site-$name/exabgp.log"
		lab_log_tail "$LAB_DIR/site-$name/exabgp.out"
		rc=1
	fi
	for pid in $children; do
		if ! lab_wait_for 2 lab_pid_gone "$pid"; then
			lab_log "process $pid of ExaBGP in site $name HUNG after ExaBGP stopped: killing it"
			kill -KILL "$pid" 2>/dev/null
			rc=1
		fi
	done
	[ "$rc" = 0 ] && lab_log "ExaBGP of site $name stopped in $(lab_elapsed_since "$t0")s"
	return "$rc"
}

# ---------------------------------------------------------------- BIRD sites

# Path of the control socket of site NAME's BIRD (put it in the config's
# bird.socket before lab_site_bird).
lab_site_bird_socket() {
	printf '%s/site-%s/bird.ctl\n' "$LAB_DIR" "$1"
}

# Run birdc against site NAME's BIRD: lab_site_birdc NAME ARGS...
lab_site_birdc() {
	local name=$1
	shift
	lab_exec "$name" "$LAB_BIRDC" -s "$(lab_site_bird_socket "$name")" "$@"
}

# Print the state column ("up", "down", "start"...) of a protocol of site
# NAME's BIRD: lab_site_proto_state NAME PROTOCOL.
lab_site_proto_state() {
	lab_site_birdc "$1" show protocols "$2" 2>/dev/null |
	    awk -v p="$2" '$1 == p { print $4; found = 1 } END { exit !found }'
}

# Exit 0 when protocol PROTOCOL of site NAME's BIRD is in STATE (up|down).
lab_site_proto_is() {
	[ "$(lab_site_proto_state "$1" "$2")" = "$3" ]
}

# Print the tails of site NAME's daemon logs (for failures).
lab_site_logs_tail() {
	local dir="$LAB_DIR/site-$1"
	if [ -e "$dir/exabgp.conf" ]; then
		lab_log_tail "$dir/exabgp.log" 15
		lab_log_tail "$dir/exabgp.out" 15
	fi
	if [ -e "$dir/bird.conf" ]; then
		lab_log_tail "$dir/bird.log" 15
		lab_log_tail "$dir/bird.out" 5
		lab_log_tail "$dir/anycheck-bird.log" 15
	fi
}

# Exit 0 when the BFD session between the router and site NAME is Up at
# both ends.
lab_bfd_up() {
	local r4 s4
	r4=$(lab_site_addr "$1" router4) || return 1
	s4=$(lab_site_addr "$1" site4) || return 1
	lab_router_bfd_up "$s4" &&
	    lab_site_birdc "$1" show bfd sessions 2>/dev/null |
	    awk -v a="$r4" '$1 == a && $3 == "Up" { f = 1 } END { exit !f }'
}

# Exit 0 when the router's BFD session with address ADDR is Up.
lab_router_bfd_up() {
	case ${LAB_ROUTER_RUN:-bird} in
	frr) lab_vtysh -c "show bfd peers json" 2>/dev/null | lab_frr_json bfd "$1" ;;
	gobgp) return 1 ;;      # GoBGP has no BFD
	*) lab_birdc show bfd sessions 2>/dev/null |
	    awk -v a="$1" '$1 == a && $3 == "Up" { f = 1 } END { exit !f }' ;;
	esac
}

# Start site NAME's BIRD (config and socket in the site dir) and wait up to
# 5 s until its control socket answers. Used by lab_site_bird and
# lab_site_bird_restart.
lab_site_bird_start() {
	local name=$1 dir
	dir="$LAB_DIR/site-$name"
	lab_alive "bird-$name" && { lab_die "BIRD of site $name already runs"; return 1; }
	rm -f "$dir/bird.pid"
	lab_exec "$name" "$LAB_BIRD" -c "$dir/bird.conf" -s "$dir/bird.ctl" \
	    -P "$dir/bird.pid" >>"$dir/bird.out" 2>&1 || {
		lab_log_tail "$dir/bird.out"
		lab_die "BIRD did not start in site $name"
		return 1
	}
	lab_wait_for 5 test -s "$dir/bird.pid" || true
	lab_track "bird-$name" "$(cat "$dir/bird.pid" 2>/dev/null)"
	if ! lab_wait_for 5 lab_site_birdc "$name" show status; then
		lab_site_logs_tail "$name"
		lab_die "BIRD control socket $dir/bird.ctl of site $name did not answer within 5s"
		return 1
	fi
}

# Run BIRD and anycheck-bird ($ANYCHECK_BIRD) in site NAME, created by
# lab_site: lab_site_bird NAME CONFIG_JSON. CONFIG_JSON's bird.socket must
# be "lab_site_bird_socket NAME". Generates the include file from it, runs
# BIRD with eBGP + BFD to the router exporting only anycheck's routes, waits
# for the sessions, then starts anycheck-bird (log: site dir/anycheck-bird.log).
lab_site_bird() {
	local name=$1 config=$2 dir as r4 s4 r6 s6 sock want
	dir="$LAB_DIR/site-$name"
	[ -d "$dir" ] || { lab_die "no site $name (call lab_site first)"; return 1; }
	if [ -z "${ANYCHECK_BIRD:-}" ] || [ ! -x "$ANYCHECK_BIRD" ]; then
		lab_die "ANYCHECK_BIRD ('${ANYCHECK_BIRD:-}') is not an executable file"
		return 1
	fi
	[ -r "$config" ] || { lab_die "cannot read config $config"; return 1; }
	sock=$(lab_site_bird_socket "$name")
	want=$("$LAB_PYTHON" -c 'import json, sys
print(json.load(open(sys.argv[1])).get("bird", {}).get("socket", ""))' "$config") || {
		lab_die "config $config is not valid JSON"
		return 1
	}
	[ "$want" = "$sock" ] || {
		lab_die "config $config: bird.socket is '$want', must be '$sock'"
		return 1
	}
	as=$(cat "$dir/as")
	r4=$(lab_site_addr "$name" router4)
	s4=$(lab_site_addr "$name" site4)
	r6=$(lab_site_addr "$name" router6)
	s6=$(lab_site_addr "$name" site6)
	readlink -f "$config" >"$dir/anycheck-bird.config"
	if ! "$ANYCHECK_BIRD" -c "$config" -g "$dir/anycheck.conf" \
	    >"$dir/generate.out" 2>&1; then
		lab_log_tail "$dir/generate.out"
		lab_die "anycheck-bird -g failed for site $name"
		return 1
	fi
	cat >"$dir/bird.conf" <<EOF
# anycheck lab site $name with BIRD (generated)
log "$dir/bird.log" all;
router id $s4;

# anycheck's static protocols (all "disabled yes"; their routes carry their
# BGP attributes and anycheck_route) and the filter anycheck_export.
include "anycheck.conf";

protocol device { scan time 10; }

# The kernel never gets anycheck's routes.
protocol kernel kernel4 {
	ipv4 { import none; export where !defined(anycheck_route); };
	scan time 10;
}
protocol kernel kernel6 {
	ipv6 { import none; export where !defined(anycheck_route); };
	scan time 10;
}

protocol bfd lab_bfd {
	interface "uplink" {
		min rx interval 100 ms;
		min tx interval 100 ms;
		multiplier 3;
	};
}

# eBGP to the router, the same short timers as the router's side.
template bgp lab_upstream {
	local as $as;
	bfd on;
	connect delay time 1;
	connect retry time 1;
	error wait time 1, 4;
	hold time 9;
	keepalive time 3;
}
protocol bgp upstream4 from lab_upstream {
	description "lab router (IPv4 session)";
	local $s4;
	neighbor $r4 as $LAB_ROUTER_AS;
	ipv4 { import none; export filter anycheck_export; };
}
protocol bgp upstream6 from lab_upstream {
	description "lab router (IPv6 session)";
	local $s6;
	neighbor $r6 as $LAB_ROUTER_AS;
	ipv6 { import none; export filter anycheck_export; };
}
EOF
	if ! (cd / && "$LAB_BIRD" -p -c "$dir/bird.conf") >"$dir/bird.out" 2>&1; then
		lab_log_tail "$dir/bird.out"
		lab_die "BIRD rejects the config of site $name ($dir/bird.conf)"
		return 1
	fi
	lab_router_site_conf "$name" 1 || return 1
	lab_site_bird_start "$name" || return 1
	lab_wait_bgp "$name" 15 4 || { lab_die "site $name: IPv4 session not up"; return 1; }
	lab_wait_bgp "$name" 15 6 || { lab_die "site $name: IPv6 session not up"; return 1; }
	lab_site_anycheck_start "$name" || return 1
	lab_log "BIRD and anycheck-bird up in site $name (socket $sock)"
}

# Start anycheck-bird in site NAME again with the config lab_site_bird got,
# and wait up to 5 s until it logs that it connected to BIRD.
lab_site_anycheck_start() {
	local name=$1 dir config
	dir="$LAB_DIR/site-$name"
	config=$(cat "$dir/anycheck-bird.config") || return 1
	lab_alive "anycheck-$name" && { lab_die "anycheck-bird of site $name already runs"; return 1; }
	: >"$dir/anycheck-bird.log"
	lab_spawn "anycheck-$name" "$dir/anycheck-bird.log" "$name" \
	    "$ANYCHECK_BIRD" -c "$config"
	lab_wait_for 5 eval "grep -q 'connected to BIRD' '$dir/anycheck-bird.log' || ! lab_alive anycheck-$name" || true
	if ! lab_alive "anycheck-$name" ||
	    ! grep -q 'connected to BIRD' "$dir/anycheck-bird.log"; then
		lab_log_tail "$dir/anycheck-bird.log"
		lab_die "anycheck-bird in site $name did not connect to BIRD within 5s"
		return 1
	fi
}

# kill -9 site NAME's BIRD (its control socket file stays behind, stale).
lab_site_bird_kill9() {
	local name=$1 pid
	pid=$(cat "$LAB_DIR/pids/bird-$name.pid" 2>/dev/null)
	[ -n "$pid" ] || { lab_die "no BIRD tracked in site $name"; return 1; }
	rm -f "$LAB_DIR/pids/bird-$name.pid"
	kill -KILL "$pid" 2>/dev/null
	lab_wait_for 3 lab_pid_gone "$pid" || { lab_die "BIRD $pid of site $name survived kill -9"; return 1; }
	lab_log "BIRD of site $name (pid $pid) killed with SIGKILL"
}

# Freeze (SIGSTOP) or thaw (SIGCONT) site NAME's BIRD: a hung site that
# sends nothing, not even a FIN; only BFD (or the hold time) notices.
# Usage: lab_site_bird_freeze NAME [stop|cont]
lab_site_bird_freeze() {
	local name=$1 how=${2:-stop} pid
	pid=$(cat "$LAB_DIR/pids/bird-$name.pid" 2>/dev/null)
	[ -n "$pid" ] || { lab_die "no BIRD tracked in site $name"; return 1; }
	case $how in
	stop) kill -STOP "$pid" && lab_log "BIRD of site $name (pid $pid) frozen" ;;
	cont) kill -CONT "$pid" && lab_log "BIRD of site $name (pid $pid) thawed" ;;
	*) lab_die "lab_site_bird_freeze: stop|cont, not '$how'"; return 1 ;;
	esac
}

# Make site NAME drop every packet it sends to the router while its link
# stays up (a root qdisc "pfifo limit 0" on its uplink), or send again:
# lab_site_mute NAME on|off. A host that stops answering without a link
# down: only BFD (or the BGP hold time) notices.
lab_site_mute() {
	local name=$1 how=${2:-on}
	command -v tc >/dev/null || { lab_die "lab_site_mute: no tc (iproute2)"; return 1; }
	case $how in
	on) lab_exec "$name" tc qdisc replace dev uplink root pfifo limit 0 &&
	    lab_log "site $name muted (drops all it sends; link up)" ;;
	off) lab_exec "$name" tc qdisc del dev uplink root 2>/dev/null
	    lab_log "site $name sends again" ;;
	*) lab_die "lab_site_mute: on|off, not '$how'"; return 1 ;;
	esac
}

# Exit 0 when site NAME is muted by lab_site_mute.
lab_site_muted() {
	lab_exec "$1" tc qdisc show dev uplink root 2>/dev/null | grep -q 'pfifo.*limit 0'
}

# Start site NAME's BIRD again (same config and socket) after it stopped;
# returns once its control socket answers (within 5 s).
lab_site_bird_restart() {
	lab_site_bird_start "$1" || return 1
	lab_log "BIRD of site $1 restarted"
}

# Stop site NAME's anycheck-bird with SIGTERM, wait up to TIMEOUT s (default
# 5) and report its exit status: returns it (124 if it had to be killed,
# 127 if unknown). Call it from the shell that started anycheck-bird (not
# in a $(...) subshell), or the exit status cannot be collected.
lab_site_anycheck_stop() {
	local name=$1 timeout=${2:-5} pid status t0
	pid=$(cat "$LAB_DIR/pids/anycheck-$name.pid" 2>/dev/null)
	[ -n "$pid" ] || { lab_die "no anycheck-bird tracked in site $name"; return 1; }
	rm -f "$LAB_DIR/pids/anycheck-$name.pid"
	t0=$(date +%s.%N)
	kill -TERM "$pid" 2>/dev/null
	if ! lab_wait_for "$timeout" lab_pid_gone "$pid"; then
		lab_log "anycheck-bird of site $name (pid $pid) HUNG: not gone ${timeout}s after SIGTERM; killing it"
		kill -KILL "$pid" 2>/dev/null
		lab_wait_for 2 lab_pid_gone "$pid"
		wait "$pid" 2>/dev/null
		return 124
	fi
	wait "$pid" 2>/dev/null
	status=$?
	if [ "$status" = 127 ]; then
		lab_log "anycheck-bird of site $name gone $(lab_elapsed_since "$t0")s after SIGTERM; exit status unknown (not a child of this shell)"
	else
		lab_log "anycheck-bird of site $name exited with status $status $(lab_elapsed_since "$t0")s after SIGTERM"
	fi
	return "$status"
}

# ---------------------------------------------------------------- client

# Create the client namespace behind the router (default route via it).
lab_client() {
	lab_netns_add client || return 1
	ip link add clients netns "$(lab_ns router)" type veth \
	    peer name uplink netns "$(lab_ns client)" || return 1
	ip -n "$(lab_ns router)" addr add 203.0.113.1/24 dev clients
	ip -n "$(lab_ns router)" addr add 2001:db8:fffe::1/64 dev clients nodad
	ip -n "$(lab_ns router)" link set clients up
	ip -n "$(lab_ns client)" addr add 203.0.113.2/24 dev uplink
	ip -n "$(lab_ns client)" addr add 2001:db8:fffe::2/64 dev uplink nodad
	ip -n "$(lab_ns client)" link set uplink up
	ip -n "$(lab_ns client)" route add default via 203.0.113.1
	ip -n "$(lab_ns client)" -6 route add default via 2001:db8:fffe::1
	lab_log "client up (203.0.113.2, 2001:db8:fffe::2)"
}

# Fetch URL from the client; print the answering site ("site A") or FAIL.
lab_client_get() {
	local body
	if body=$(lab_exec client curl -sf --max-time "${LAB_CLIENT_TIMEOUT:-1}" "$1" 2>/dev/null) &&
	    [ -n "$body" ]; then
		printf '%s\n' "$body" | head -n 1
	else
		echo FAIL
		return 1
	fi
}

# Wait until the client's fetch of URL prints EXPECT ("site A" or FAIL).
lab_wait_client() {
	local url=$1 expect=$2 timeout=${3:-5}
	lab_wait_for "$timeout" eval "[ \"\$(lab_client_get '$url')\" = '$expect' ]"
}

# The client's traffic generator: COUNT GETs of URL, one started every
# INTERVAL s whatever the earlier ones do (each in its own thread, on a new
# connection, abandoned after TIMEOUT s). Writes one line per request, in
# order: "START_EPOCH RESULT LATENCY_MS", RESULT being the first line of the
# body with spaces as "_" ("site_A") or FAIL; then renames OUT.tmp to OUT.
LAB_TRAFFIC_PY='
import http.client, sys, threading, time, urllib.parse
url, count, interval, timeout, out = sys.argv[1], int(sys.argv[2]), \
    float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
u = urllib.parse.urlsplit(url)
results = [None] * count
def one(i, start):
    res = "FAIL"
    try:
        conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout)
        conn.request("GET", u.path or "/", headers={"Connection": "close"})
        resp = conn.getresponse()
        body = resp.read(256).decode("ascii", "replace").strip()
        conn.close()
        if resp.status == 200 and body:
            res = body.splitlines()[0].replace(" ", "_")
    except Exception:
        pass
    results[i] = (start, res, (time.time() - start) * 1000)
t0 = time.time()
threads = []
for i in range(count):
    delay = t0 + i * interval - time.time()
    if delay > 0:
        time.sleep(delay)
    th = threading.Thread(target=one, args=(i, time.time()), daemon=True)
    th.start()
    threads.append(th)
end = time.time() + timeout + 1
for th in threads:
    th.join(max(0.0, end - time.time()))
with open(out + ".tmp", "w") as f:
    for r in results:
        if r is None:
            r = (0.0, "FAIL", timeout * 1000)
        f.write("%.3f %s %.0f\n" % r)
import os
os.rename(out + ".tmp", out)
'

# Start the client's traffic in the background: lab_client_traffic_start
# OUT URL COUNT INTERVAL_S TIMEOUT_S (see LAB_TRAFFIC_PY for OUT's lines).
lab_client_traffic_start() {
	local out=$1 url=$2 count=$3 interval=$4 timeout=$5
	rm -f "$out" "$out.tmp"
	printf '%s %s %s\n' "$count" "$interval" "$timeout" >"$out.params"
	lab_spawn "traffic-$(basename "$out")" "$out.log" client "$LAB_PYTHON" \
	    -c "$LAB_TRAFFIC_PY" "$url" "$count" "$interval" "$timeout" "$out"
}

# Wait until the traffic started with OUT has finished and written OUT
# (bounded by its own duration plus 5 s; then it is stopped, returns 1).
lab_client_traffic_wait() {
	local out=$1 name count interval timeout bound
	name="traffic-$(basename "$out")"
	read -r count interval timeout <"$out.params" || return 1
	bound=$(awk -v c="$count" -v i="$interval" -v t="$timeout" \
	    'BEGIN { printf "%.1f", c * i + t + 5 }')
	if ! lab_wait_for "$bound" test -s "$out"; then
		lab_stop "$name" 1
		lab_log_tail "$out.log"
		lab_die "client traffic $out not finished within ${bound}s"
		return 1
	fi
	lab_stop "$name" 1
}

# The client's long-lived flows: COUNT TCP connections to ADDR PORT (an
# echo service, lab_site_echo_start), each on its own source port, opened
# one after the other; each reads its greeting ("site NAME"), then sends a
# line every INTERVAL s and waits up to 1 s for its echo, until DURATION s
# after the start or until it breaks (reset, timeout, closed). OUT.ready
# appears when every connection is open; OUT gets one line per flow:
# "INDEX SITE OPENED_EPOCH BROKEN_EPOCH|- REASON|-" (SITE FAIL: never open).
LAB_FLOWS_PY='
import os, socket, sys, threading, time
addr, port, count, duration, interval, out = sys.argv[1], int(sys.argv[2]), \
    int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
t0 = time.time()
end = t0 + duration
results = [None] * count
def flow(i, sock, site):
    opened = time.time()
    f = sock.makefile("rb")
    broken, reason = None, None
    try:
        while time.time() < end and not os.path.exists(out + ".stop"):
            sock.sendall(b"x\n")
            line = f.readline()
            if not line:
                broken, reason = time.time(), "closed"
                break
            time.sleep(interval)
    except socket.timeout:
        broken, reason = time.time(), "timeout"
    except ConnectionResetError:
        broken, reason = time.time(), "reset"
    except OSError as e:
        broken, reason = time.time(), type(e).__name__
    results[i] = (site, opened, broken, reason)
    sock.close()
threads = []
for i in range(count):
    try:
        sock = socket.create_connection((addr, port), timeout=1)
        greeting = sock.makefile("rb").readline().decode().split()
        site = greeting[1] if len(greeting) == 2 else "FAIL"
    except OSError:
        results[i] = ("FAIL", time.time(), None, None)
        continue
    th = threading.Thread(target=flow, args=(i, sock, site), daemon=True)
    th.start()
    threads.append(th)
open(out + ".ready", "w").close()
for th in threads:
    th.join(max(0.0, end + 2 - time.time()))
with open(out + ".tmp", "w") as f:
    for i, r in enumerate(results):
        if r is None:
            r = ("FAIL", t0, None, "hung")
        site, opened, broken, reason = r
        f.write("%d %s %.3f %s %s\n" % (i, site, opened,
            "%.3f" % broken if broken else "-", reason or "-"))
os.rename(out + ".tmp", out)
'

# Start the client's long-lived flows in the background:
# lab_client_flows_start OUT ADDR PORT COUNT DURATION_S [INTERVAL_S] (see
# LAB_FLOWS_PY), and wait up to 10 s until every connection is open.
lab_client_flows_start() {
	local out=$1 addr=$2 port=$3 count=$4 duration=$5 interval=${6:-0.2}
	rm -f "$out" "$out.tmp" "$out.ready" "$out.stop"
	printf '%s\n' "$duration" >"$out.params"
	lab_spawn "flows-$(basename "$out")" "$out.log" client "$LAB_PYTHON" \
	    -c "$LAB_FLOWS_PY" "$addr" "$port" "$count" "$duration" "$interval" "$out"
	if ! lab_wait_for 10 test -e "$out.ready"; then
		lab_log_tail "$out.log"
		lab_die "client flows $out not all open within 10s"
		return 1
	fi
}

# Wait until the flows started with OUT have ended and written OUT (bounded
# by their duration plus 5 s; then they are stopped and it returns 1). With
# "stop", end them now: lab_client_flows_wait OUT [stop].
lab_client_flows_wait() {
	local out=$1 name duration
	[ "${2:-}" = stop ] && : >"$out.stop"
	name="flows-$(basename "$out")"
	read -r duration <"$out.params" || return 1
	if ! lab_wait_for "$(awk -v d="$duration" 'BEGIN { print d + 5 }')" test -s "$out"; then
		lab_stop "$name" 1
		lab_log_tail "$out.log"
		lab_die "client flows $out not finished in time"
		return 1
	fi
	lab_stop "$name" 1
}

# ---------------------------------------------------------------- CLI

lab_selftest() {
	local here standin fails=0 got
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	standin="$here/../tests/integration/standin-anycheck.sh"
	lab_init acl-st || return 1
	cat >"$LAB_DIR/anycheck.json" <<EOF
{ "services": [ { "name": "web", "prefixes": ["$LAB_ANYCAST4/32"],
  "checks": [ { "type": "http", "url": "http://$LAB_ANYCAST4/" } ] } ] }
EOF
	lab_router && lab_site A 65001 && lab_client &&
	    lab_site_exabgp A "${LAB_ACK:-true}" "$standin" -c "$LAB_DIR/anycheck.json" ||
	    return 1
	check() {
		if "$@"; then echo "PASS $*"; else echo "FAIL $*"; fails=$((fails + 1)); fi
	}
	check lab_wait_route "$LAB_ANYCAST4/32" present 10
	got=$(lab_client_get "http://$LAB_ANYCAST4/")
	check [ "$got" = "site A" ]
	check lab_site_service_stop A
	check lab_wait_route "$LAB_ANYCAST4/32" absent 10
	check lab_wait_client "http://$LAB_ANYCAST4/" FAIL 3
	check lab_site_service_start A
	check lab_wait_route "$LAB_ANYCAST4/32" present 10
	check lab_wait_client "http://$LAB_ANYCAST4/" "site A" 3
	check lab_site_exabgp_stop A 5
	check lab_wait_route "$LAB_ANYCAST4/32" absent 10
	# Anycast proper: two sites announce, A fails, traffic moves to B.
	check lab_site_exabgp A "${LAB_ACK:-true}" "$standin" -c "$LAB_DIR/anycheck.json"
	check lab_site B 65002
	check lab_site_exabgp B "${LAB_ACK:-true}" "$standin" -c "$LAB_DIR/anycheck.json"
	check lab_wait_client "http://$LAB_ANYCAST4/" "site A" 5
	check lab_site_service_stop A
	check lab_wait_client "http://$LAB_ANYCAST4/" "site B" 5
	echo "selftest: $fails failed"
	[ "$fails" = 0 ]
}

lab_main() {
	case ${1:-help} in
	selftest) lab_selftest ;;
	help | -h | --help)
		# The opening comment, up to the first line that is not one.
		awk 'NR == 1 { next } !/^#/ { exit } { sub(/^# ?/, ""); print }' \
		    "${BASH_SOURCE[0]}"
		echo "Functions:"
		# Each documented function with the first line of its comment.
		awk '/^# / { if (!inc) c = substr($0, 3); inc = 1; next }
		    /^lab_[a-z0-9_]+\(\) \{/ { if (c != "") { sub(/\(\).*/, "");
		        printf "  %-28s %s\n", $0, c } }
		    { inc = 0; c = "" }' "${BASH_SOURCE[0]}"
		;;
	*) echo "usage: $0 selftest|help" >&2; return 2 ;;
	esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	[ "$(id -u)" = 0 ] || { echo "lab.sh: must run as root" >&2; exit 1; }
	lab_main "$@"
	exit $?
fi

# Print the tail of every daemon log of the lab (for a failing test, since
# the lab directory is removed at exit): lab_dump_logs [LINES]
lab_dump_logs() {
	local lines=${1:-40} file
	[ -n "${LAB_DIR:-}" ] && [ -d "$LAB_DIR" ] || return 0
	for file in "$LAB_DIR"/site-*/*.log "$LAB_DIR"/site-*/*.out \
	    "$LAB_DIR"/router/bird.log "$LAB_DIR"/router/frr/*.log \
	    "$LAB_DIR"/router/frr/*.out "$LAB_DIR"/router/gobgp/*.log; do
		[ -s "$file" ] || continue
		echo "---- ${file#"$LAB_DIR"/} (last $lines lines)"
		tail -n "$lines" "$file"
	done
	echo "----"
}
