#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: shared helpers for the anycheck benchmarks
#
# Sourced by bench/*.sh. Gives: a temp dir and a cleanup trap that stops
# every process the bench started (by pid) and deletes the namespaces it
# created; a private nginx on loopback; precise CPU readings of a process
# tree; machine information; and writing a result table to
# bench/results/NAME.md. Every wait is bounded.

BENCH_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_ROOT=$(cd "$BENCH_HERE/.." && pwd)
BENCH_BUILD=${BENCH_BUILD:-$BENCH_ROOT/build}
BENCH_EXABGP_BIN=$BENCH_BUILD/anycheck-exabgp
BENCH_BIRD_BIN=$BENCH_BUILD/anycheck-bird
BENCH_DIR=""
BENCH_PIDS=()
BENCH_NETNS=()
BENCH_CLEANED=0
BENCH_CLK_TCK=$(getconf CLK_TCK)

bench_log() {
	printf '[%s %s] %s\n' "${BENCH_NAME:-bench}" "$(date +%H:%M:%S)" "$*" >&2
}

bench_die() {
	bench_log "ERROR: $*"
	exit 1
}

# bench_skip WHY: this machine cannot run the bench: log "SKIP: WHY" and
# exit 77 (bench/smoke.sh and ctest report it as skipped). With
# ANYCHECK_REQUIRE_INTEGRATION=1 (tests/run.sh, CI: root, every package
# installed) a skip would hide a broken setup, so it is an error instead.
bench_skip() {
	if [ "${ANYCHECK_REQUIRE_INTEGRATION:-0}" = 1 ]; then
		bench_die "$1; not skipped: ANYCHECK_REQUIRE_INTEGRATION=1"
	fi
	bench_log "SKIP: $1"
	exit 77
}

# bench_need_root: skip unless running as root.
bench_need_root() {
	[ "$(id -u)" = 0 ] || bench_skip "needs root to create network namespaces"
}

# bench_need_programs PROGRAM...: skip unless every PROGRAM (a name looked
# up in PATH, or a path) is there to run.
bench_need_programs() {
	local program missing=()
	for program in "$@"; do
		case $program in
		*/*) [ -x "$program" ] || missing+=("$program") ;;
		*) command -v "$program" >/dev/null || missing+=("$program") ;;
		esac
	done
	[ ${#missing[@]} -eq 0 ] ||
	    bench_skip "needs ${missing[*]}, not installed; helpers/install-deps.sh installs them"
}

# Create the temp dir and the cleanup trap: bench_init NAME (skips unless
# root).
bench_init() {
	BENCH_NAME=$1
	bench_need_root
	BENCH_DIR=$(mktemp -d "/tmp/anycheck-bench.$1.XXXXXX") || exit 1
	trap bench_cleanup EXIT
	trap 'bench_cleanup; exit 130' INT
	trap 'bench_cleanup; exit 143' TERM
}

# Build anycheck (RelWithDebInfo) unless BENCH_NO_BUILD=1 and it is built.
bench_build() {
	if [ "${BENCH_NO_BUILD:-0}" = 1 ] && [ -x "$BENCH_EXABGP_BIN" ]; then
		return 0
	fi
	if [ ! -f "$BENCH_BUILD/CMakeCache.txt" ]; then
		cmake -S "$BENCH_ROOT" -B "$BENCH_BUILD" \
		    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || bench_die "cmake failed"
	fi
	cmake --build "$BENCH_BUILD" -j"$(nproc)" >"$BENCH_DIR/build.log" 2>&1 || {
		tail -n 30 "$BENCH_DIR/build.log" >&2
		bench_die "build failed"
	}
}

# Remember a pid for the cleanup.
bench_track() {
	BENCH_PIDS+=("$1")
}

# Stop a pid: SIGTERM, wait up to 3 s, then SIGKILL. Only our own pids.
bench_stop_pid() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 30); do
		kill -0 "$pid" 2>/dev/null || break
		# A zombie child of ours is gone for practical purposes.
		case $(ps -o stat= -p "$pid" 2>/dev/null) in Z* | "") break ;; esac
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

bench_cleanup() {
	local pid ns p
	[ "$BENCH_CLEANED" = 1 ] && return 0
	BENCH_CLEANED=1
	for pid in "${BENCH_PIDS[@]}"; do
		bench_stop_pid "$pid"
	done
	for ns in "${BENCH_NETNS[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done
	if [ -n "$BENCH_DIR" ] && [ -d "$BENCH_DIR" ]; then
		if [ -n "${BENCH_KEEP_DIR:-}" ]; then
			bench_log "kept $BENCH_DIR"
		else
			rm -rf "$BENCH_DIR"
		fi
	fi
}

# Create a private network namespace with only lo (up): bench_netns NAME.
# Sets BENCH_NS to its full name (not a command substitution: the cleanup
# list must be updated in this shell).
bench_netns() {
	BENCH_NS="acbench-$1-$$"
	ip netns add "$BENCH_NS" || bench_die "cannot create namespace $BENCH_NS"
	BENCH_NETNS+=("$BENCH_NS")
	ip -n "$BENCH_NS" link set lo up
}

# Poll "cmd..." every 0.05 s until it succeeds or TIMEOUT s pass.
bench_wait_for() {
	local timeout=$1 end
	shift
	end=$(($(date +%s%N) + ${timeout%.*} * 1000000000))
	while [ "$(date +%s%N)" -lt "$end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	"$@" >/dev/null 2>&1
}

# Start a private nginx (Debian nginx-light) serving DIR/www/index.html on
# 127.0.0.1:PORT: bench_nginx DIR PORT ACCESS_LOG(on|off) [NETNS].
# Sets BENCH_NGINX_PID. The config keeps every path inside DIR.
bench_nginx() {
	local dir=$1 port=$2 access=$3 ns=${4:-} alog
	mkdir -p "$dir/www" "$dir/tmp"
	echo ok >"$dir/www/index.html"
	if [ "$access" = on ]; then alog="access_log $dir/access.log bench;"
	else alog="access_log off;"; fi
	cat >"$dir/nginx.conf" <<NGX
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 20000;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 16000; multi_accept on; }
http {
	log_format bench '\$msec \$remote_addr "\$request" \$status';
	$alog
	client_body_temp_path $dir/tmp/body;
	proxy_temp_path $dir/tmp/proxy;
	fastcgi_temp_path $dir/tmp/fastcgi;
	uwsgi_temp_path $dir/tmp/uwsgi;
	scgi_temp_path $dir/tmp/scgi;
	keepalive_timeout 0;
	server {
		listen 127.0.0.1:$port backlog=16384 reuseport;
		root $dir/www;
		location / { }
	}
}
NGX
	if [ -n "$ns" ]; then
		(exec ip netns exec "$ns" nginx -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" \
		    </dev/null >"$dir/nginx.out" 2>&1) &
	else
		(exec nginx -e "$dir/error.log" -p "$dir" -c "$dir/nginx.conf" \
		    </dev/null >"$dir/nginx.out" 2>&1) &
	fi
	BENCH_NGINX_PID=$!
	bench_track "$BENCH_NGINX_PID"
	local get=(curl -sf --max-time 1 -o /dev/null "http://127.0.0.1:$port/")
	[ -n "$ns" ] && get=(ip netns exec "$ns" "${get[@]}")
	if ! bench_wait_for 5 "${get[@]}"; then
		cat "$dir/nginx.out" "$dir/error.log" >&2 2>/dev/null
		bench_die "nginx did not answer on 127.0.0.1:$port"
	fi
}

# A TCP port nobody listens on in the current namespace (20000..59999).
bench_free_port() {
	local port i
	for i in $(seq 50); do
		port=$((20000 + RANDOM % 40000))
		ss -Hltn "sport = :$port" | grep -q . || { echo "$port"; return 0; }
	done
	return 1
}

# CPU time (ns) used so far by PID, its threads and its reaped children:
# sum of /proc/PID/task/*/schedstat (ns, precise) plus cutime+cstime from
# /proc/PID/stat (clock ticks: the kernel adds a child there when it is
# reaped, with its own reaped children).
bench_cpu_ns() {
	local pid=$1 t a total=0 stat rest
	for t in /proc/"$pid"/task/*/schedstat; do
		read -r a _ <"$t" 2>/dev/null || continue
		total=$((total + a))
	done
	stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
	rest=${stat##*) }
	# shellcheck disable=SC2086
	set -- $rest
	# fields 16 and 17 of stat (cutime, cstime) are $14 and $15 here
	total=$((total + (${14} + ${15}) * 1000000000 / BENCH_CLK_TCK))
	echo "$total"
}

# Resident set size of PID in KiB.
bench_rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

# Markdown lines describing the machine.
bench_machine_info() {
	local cpu
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	printf -- '- date: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	printf -- '- machine: %s CPUs (nproc), %s, %s MiB RAM\n' "$(nproc)" "${cpu:-unknown CPU}" \
	    "$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)"
	printf -- '- kernel: %s; OS: %s\n' "$(uname -r)" \
	    "$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
	printf -- '- anycheck: %s (git %s)\n' "$("$BENCH_EXABGP_BIN" -V 2>&1 | head -n 1)" \
	    "$(git -C "$BENCH_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
}

# Write bench/results/NAME.md (or NAME-smoke.md) from a title, a mode, the
# table file and a notes file; print it too. bench_write_result TITLE TABLE NOTES
bench_write_result() {
	local title=$1 table=$2 notes=$3 out
	mkdir -p "$BENCH_HERE/results"
	if [ "${BENCH_MODE:-full}" = smoke ]; then
		out="$BENCH_HERE/results/$BENCH_NAME-smoke.md"
	else
		out="$BENCH_HERE/results/$BENCH_NAME.md"
	fi
	{
		printf '# %s (%s run)\n\n' "$title" "${BENCH_MODE:-full}"
		cat "$table"
		printf '\n'
		[ -s "$notes" ] && { cat "$notes"; printf '\n'; }
		bench_machine_info
	} >"$out"
	cat "$out"
	bench_log "written to $out"
}
