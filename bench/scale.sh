#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: benchmark 3 — many services in one anycheck-exabgp process
#
# A private network namespace (only lo) holds a private nginx on
# 127.0.0.1 and one anycheck-exabgp with N services (stdin from a FIFO kept
# open, stdout to /dev/null): HTTP checks at 1 s for N = 1, 100, 1000 and
# TCP checks at 1 s for N = 1, 100, 1000, 10000. Prefixes are host routes
# from the documentation ranges (they go nowhere: the announce lines go to
# /dev/null). For each N, two runs:
#   - CPU/RSS run (no debug log): after a warm-up, CPU % = delta of the
#     process's CPU time (threads' schedstat + reaped children) over the
#     window; RSS = VmRSS at the end of the window (and VmHWM, the peak).
#   - lateness run (-d: every check result is logged with a millisecond
#     timestamp and the check's duration): start of a check = log time -
#     duration; with interval = fast_interval = 1 s and rounds scheduled at
#     a fixed rate from the previous round's start, lateness of a round =
#     (its start - the previous round's start) - 1 s. p50/p99/max over every
#     round of every service in the window. The log itself costs CPU, so
#     this run is pessimistic.
# The anchor (exabgp-healthcheck, one Python process per service) is
# measured once (one process, curl check at 1 s) and multiplied by N.
#
# Usage: bench/scale.sh [--smoke] [--window S]
set -u
. "$(dirname "$0")/lib.sh"

BENCH_MODE=full
WARMUP=5
WINDOW=20
HTTP_NS="1 100 1000"
TCP_NS="1 100 1000 10000"
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) BENCH_MODE=smoke; WARMUP=2; WINDOW=5; HTTP_NS="1 20"; TCP_NS="1 50" ;;
	--window) WINDOW=$2; shift ;;
	-h | --help) sed -n '2,23s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "usage: $0 [--smoke] [--window S]" >&2; exit 2 ;;
	esac
	shift
done

bench_init scale
bench_need_programs ip nginx nsenter
bench_build

# Each TCP check holds a socket while it runs: allow as many as we may.
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -ge 65536 ]; then ulimit -n 65536; else ulimit -n "$hard"; fi
bench_log "open files limit $(ulimit -n)"

bench_netns scale
NS=$BENCH_NS
# Per-namespace settings only: a deep accept queue for 10 000 connects in a
# burst, and a wide ephemeral port range.
ip netns exec "$NS" sysctl -qw net.core.somaxconn=16384 \
    net.ipv4.ip_local_port_range="1024 65000" net.ipv4.tcp_tw_reuse=1 ||
    bench_die "cannot tune the namespace"
PORT=28080
bench_nginx "$BENCH_DIR/nginx" "$PORT" off "$NS"
mkfifo "$BENCH_DIR/stdin"
exec 3<>"$BENCH_DIR/stdin"

# prefix_for I: a distinct documentation host prefix per service.
prefix_for() {
	local i=$1
	if [ "$i" -lt 256 ]; then echo "198.51.100.$i/32"
	elif [ "$i" -lt 512 ]; then echo "203.0.113.$((i - 256))/32"
	else printf '2001:db8::%x/128\n' "$i"; fi
}

# make_config FILE TYPE N
make_config() {
	local file=$1 type=$2 n=$3 i check
	if [ "$type" = http ]; then
		check="{ \"type\": \"http\", \"url\": \"http://127.0.0.1:$PORT/\" }"
	else
		check="{ \"type\": \"tcp\", \"host\": \"127.0.0.1\", \"port\": $PORT }"
	fi
	{
		printf '{ "state_directory": "%s",\n' "$BENCH_DIR"
		printf '  "defaults": { "interval": 1, "fast_interval": 1, "timeout": 1, "rise": 1, "fall": 2 },\n'
		printf '  "services": [\n'
		for ((i = 0; i < n; i++)); do
			[ "$i" -gt 0 ] && printf ',\n'
			printf '    { "name": "s%d", "prefixes": ["%s"], "checks": [ %s ] }' \
			    "$i" "$(prefix_for "$i")" "$check"
		done
		printf '\n  ] }\n'
	} >"$file"
	"$BENCH_EXABGP_BIN" -n -c "$file" >/dev/null || bench_die "config $file rejected"
}

# start_anycheck CONFIG LOG [-d]: sets PID
start_anycheck() {
	local config=$1 log=$2
	shift 2
	nsenter --net="/run/netns/$NS" -- "$BENCH_EXABGP_BIN" "$@" -c "$config" \
	    <&3 >/dev/null 2>"$log" &
	PID=$!
	bench_track "$PID"
}

RESULTS=$BENCH_DIR/results.tsv
: >"$RESULTS"

# measure TYPE N: one CPU/RSS run and one lateness run.
measure() {
	local type=$1 n=$2 cfg c0 c1 t0 t1 rss hwm lat
	cfg="$BENCH_DIR/$type-$n.json"
	make_config "$cfg" "$type" "$n"
	bench_log "$type x $n: CPU/RSS run (${WARMUP}s warm-up, ${WINDOW}s window)"
	start_anycheck "$cfg" "$BENCH_DIR/$type-$n.cpu.log"
	sleep "$WARMUP"
	kill -0 "$PID" 2>/dev/null || { tail "$BENCH_DIR/$type-$n.cpu.log" >&2; bench_die "anycheck died"; }
	c0=$(bench_cpu_ns "$PID"); t0=$(date +%s%N)
	sleep "$WINDOW"
	c1=$(bench_cpu_ns "$PID"); t1=$(date +%s%N)
	rss=$(bench_rss_kib "$PID")
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$PID/status")
	bench_stop_pid "$PID"
	bench_log "$type x $n: lateness run (-d)"
	start_anycheck "$cfg" "$BENCH_DIR/$type-$n.lat.log" -d
	sleep $((WARMUP + WINDOW))
	kill -0 "$PID" 2>/dev/null || { tail "$BENCH_DIR/$type-$n.lat.log" >&2; bench_die "anycheck died"; }
	bench_stop_pid "$PID"
	lat=$(python3 - "$BENCH_DIR/$type-$n.lat.log" "$n" "$WARMUP" <<'PY'
import re, sys, datetime
path, n, warmup = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
pat = re.compile(r'^(\S+)Z \S+ (?:debug|info): service (\S+): check .*: (pass|fail|timeout|error)(?:: | -> ).*\(([\d.]+) ms\)$')
starts, results, first = {}, {"pass": 0}, None
for line in open(path, errors="replace"):
    m = pat.match(line.rstrip("\n"))
    if not m:
        continue
    ts = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").timestamp()
    if first is None:
        first = ts
    if ts - first < warmup:
        continue
    start = ts - float(m.group(4)) / 1000
    starts.setdefault(m.group(2), []).append(start)
    results[m.group(3)] = results.get(m.group(3), 0) + 1
late = []
for s in starts.values():
    s.sort()
    late += [(b - a - 1.0) * 1000 for a, b in zip(s, s[1:])]
late.sort()
def pct(p):
    return late[min(len(late) - 1, int(p / 100 * len(late)))] if late else float("nan")
checks = sum(results.values())
fails = checks - results["pass"]
span = max(max(s) for s in starts.values()) - min(min(s) for s in starts.values()) if starts else 0
# services seen, checks, failed, p50, p99, max (ms), checks per second
print("%d %d %d %.1f %.1f %.1f %.1f" % (len(starts), checks, fails, pct(50), pct(99),
      late[-1] if late else float("nan"), checks / span if span > 0 else 0))
PY
) || bench_die "cannot parse the lateness log"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$type" "$n" $((c1 - c0)) $((t1 - t0)) "$rss" "$hwm" "$lat" >>"$RESULTS"
}

# The anchor: one exabgp-healthcheck process, curl check at 1 s.
ANCHOR_RSS=""
ANCHOR_CPU=""
if command -v exabgp-healthcheck >/dev/null; then
	bench_log "anchor: one exabgp-healthcheck, curl every 1 s"
	nsenter --net="/run/netns/$NS" -- exabgp-healthcheck \
	    --cmd "curl -sf http://127.0.0.1:$PORT/" --interval 1 --fast-interval 1 \
	    --rise 1 --fall 2 --ip 192.0.2.1/32 --no-ip-setup --no-ack --no-syslog \
	    <&3 >/dev/null 2>"$BENCH_DIR/anchor.log" &
	PID=$!
	bench_track "$PID"
	sleep "$WARMUP"
	c0=$(bench_cpu_ns "$PID"); t0=$(date +%s%N)
	sleep "$WINDOW"
	c1=$(bench_cpu_ns "$PID"); t1=$(date +%s%N)
	ANCHOR_RSS=$(bench_rss_kib "$PID")
	ANCHOR_CPU=$(awk -v c=$((c1 - c0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.4f", 100 * c / t }')
	bench_stop_pid "$PID"
fi

for n in $HTTP_NS; do measure http "$n"; done
for n in $TCP_NS; do measure tcp "$n"; done

TABLE=$BENCH_DIR/table.md
NOTES=$BENCH_DIR/notes.md
python3 - "$RESULTS" "${ANCHOR_RSS:-0}" "${ANCHOR_CPU:-0}" "$WINDOW" >"$TABLE" <<'PY' || bench_die "nonsense results"
import sys
rows = [l.split() for l in open(sys.argv[1])]
anchor_rss, anchor_cpu, window = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
print("| checks | services | CPU % of one core | RSS MiB (peak) | checks/s | failed | lateness p50 / p99 / max ms | anchor: N × exabgp-healthcheck |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
bad, targets = [], []
for typ, n, cpu_ns, wall_ns, rss, hwm, seen, checks, fails, p50, p99, mx, rate in rows:
    n, cpu = int(n), 100 * int(cpu_ns) / int(wall_ns)
    rss, hwm, seen, checks, fails = int(rss), int(hwm), int(seen), int(checks), int(fails)
    anchor = ("%.1f %% CPU, %.0f MiB" % (n * anchor_cpu, n * anchor_rss / 1024)) if anchor_rss else "n/a"
    print("| %s | %d | %.2f | %.1f (%.1f) | %.0f | %d | %s / %s / %s | %s |" % (
        typ, n, cpu, rss / 1024, hwm / 1024, float(rate), fails, p50, p99, mx, anchor))
    if seen != n or checks == 0 or cpu <= 0 or rss <= 0 or fails > 0 or p99 == "nan":
        bad.append("%s x %d: %d of %d services seen, %d checks, %d failed, CPU %.2f%%" % (typ, n, seen, n, checks, fails, cpu))
    if typ == "http" and n == 1000:
        ok = cpu < 10 and rss < 16 * 1024
        targets.append("1 000 HTTP services under 10 %% of a core and 16 MiB RSS: **%s** (%.2f %%, %.1f MiB)"
                       % ("met" if ok else "missed", cpu, rss / 1024))
    if typ == "tcp" and n == 10000:
        ok = float(p99) < 50
        targets.append("10 000 TCP services, p99 lateness under 50 ms: **%s** (%s ms)" % ("met" if ok else "missed", p99))
print()
for t in targets:
    print("Target: " + t + "  ")
for b in bad:
    print("nonsense: " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
cat >"$NOTES" <<NOTES
Interval 1 s (fast_interval 1 s, rise 1, timeout 1 s), every check against one private
nginx on 127.0.0.1 in a network namespace of its own. CPU % and RSS from a run without
debug logging: CPU time of the process (threads' schedstat + reaped children) over a
${WINDOW} s window after a ${WARMUP} s warm-up; RSS = VmRSS at the end (peak = VmHWM).
Lateness from a second run with \`-d\`: a check's start = its log line's time - its
duration; lateness = spacing of consecutive rounds of a service - interval (rounds run at
a fixed rate from the previous round's start); millisecond log resolution, so ±1 ms.
The anchor column multiplies one measured exabgp-healthcheck process (curl check every
1 s: ${ANCHOR_CPU:-?} % CPU, ${ANCHOR_RSS:-?} KiB RSS) by N; it is not run N times.
Open files limit: $(ulimit -n). Reproduce: \`bench/scale.sh\` (as root).
NOTES
bench_write_result "Scale: services in one anycheck-exabgp" "$TABLE" "$NOTES"
