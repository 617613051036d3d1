#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: anycheck network-namespace lab
#
# A reusable lab of real daemons in network namespaces, for integration tests
# and demos: a "router" namespace running BIRD 2 (AS 64500) that learns the
# anycast prefixes over eBGP from "site" namespaces, each site holding the
# anycast address on lo, a real HTTP service bound to it and either ExaBGP
# running a health-checking process (anycheck-exabgp or a stand-in:
# lab_site_exabgp) or BIRD 2 with anycheck-bird beside it, over eBGP + BFD
# (lab_site_bird); and a "client" namespace behind the router that fetches
# the anycast URL, once (lab_client_get) or as timed traffic recording which
# site answered each request (lab_client_traffic_start / _wait). The router
# honours RFC 8326: a route with GRACEFUL_SHUTDOWN (65535:0) gets local
# preference 0, so another site's route wins while it drains. lab_site_mute
# makes a site drop all it sends while its link stays up (BFD's case).
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

# Start the router namespace with BIRD 2 (AS 64500), forwarding on.
lab_router() {
	local dir="$LAB_DIR/router"
	lab_netns_add router || return 1
	lab_exec router sysctl -qw net.ipv4.ip_forward=1 \
	    net.ipv6.conf.all.forwarding=1
	cat >"$dir/bird.conf" <<EOF
# anycheck lab router (generated)
log "$dir/bird.log" all;
router id 203.0.113.1;

protocol device { scan time 10; }

# Put what the sites announce into the kernel table so the router forwards
# client traffic to the announcing site.
protocol kernel kernel4 {
	ipv4 { import none; export where source = RTS_BGP; };
	scan time 10;
}
protocol kernel kernel6 {
	ipv6 { import none; export where source = RTS_BGP; };
	scan time 10;
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

# Print what the router's BIRD has for exactly this prefix.
lab_router_routes() {
	lab_birdc show route "$1" all | lab_bird_attribute_names
}

# Exit 0 when the router's BIRD has a route for exactly this prefix.
lab_router_has_route() {
	lab_router_routes "$1" 2>/dev/null | grep -q "^$1 "
}

# Exit 0 when the router's kernel forwards this prefix (the BGP route was
# exported to its table).
lab_router_kernel_has_route() {
	local fam=-4
	case $1 in *:*) fam=-6 ;; esac
	lab_exec router ip "$fam" route show exact "$1" | grep -q .
}

# Wait until the prefix is present|absent at the router (BIRD and kernel).
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
		echo "  --- router: show route $prefix all ---"
		lab_router_routes "$prefix" 2>&1 | sed 's/^/  | /'
		echo "  --- router: show protocols ---"
		lab_birdc show protocols 2>&1 | sed 's/^/  | /'
	} >&2
	lab_log_tail "$LAB_DIR/router/bird.log" 10
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
lab_router_site_route() {
	lab_birdc show route "$1" protocol "$(lab_bgp_proto "$2")" all 2>/dev/null |
	    sed -n '/^[0-9a-f]/,$p' | lab_bird_attribute_names
}

# Print the names of the sites the router has a route for PREFIX from,
# best (primary) route first, one a line.
lab_router_route_sites() {
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
	local proto
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
	lab_birdc show protocols all "$(lab_bgp_proto "$site" "$fam")" 2>&1 | sed 's/^/  | /' >&2
	lab_log_tail "$LAB_DIR/router/bird.log" 10
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

# Declare (or redeclare) the router's BGP sessions to site NAME and reload
# the router's BIRD: lab_router_site_conf NAME BFD (BFD: 1 = "bfd on").
lab_router_site_conf() {
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
	ipv4 { import filter lab_anycast4; export none; };
}
protocol bgp site6_$name from lab_site {
	description "lab site $name (IPv6 session)";
	neighbor $s6 as $as;
	source address $r6;
	$bfd_line
	ipv6 { import filter lab_anycast6; export none; };
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
	lab_birdc show bfd sessions 2>/dev/null |
	    awk -v a="$s4" '$1 == a && $3 == "Up" { f = 1 } END { exit !f }' &&
	    lab_site_birdc "$1" show bfd sessions 2>/dev/null |
	    awk -v a="$r4" '$1 == a && $3 == "Up" { f = 1 } END { exit !f }'
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
	    "$LAB_DIR"/router/bird.log; do
		[ -s "$file" ] || continue
		echo "---- ${file#"$LAB_DIR"/} (last $lines lines)"
		tail -n "$lines" "$file"
	done
	echo "----"
}
