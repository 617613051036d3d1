#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: benchmark 1 — failover time
#
# The lab (helpers/lab.sh): a router (BIRD 2), site A (AS 65001) and site B
# (AS 65002, announcing with AS-path prepend 2, so less preferred), each
# with its HTTP service on the anycast address 192.0.2.1 and ExaBGP running
# anycheck-exabgp (an http check of http://192.0.2.1/), and a client behind
# the router. For each (interval, fall) setting (rise 2, fast_interval =
# interval / 2, timeout = interval), REPS repetitions of:
#   - wait until the router's kernel routes 192.0.2.1 to A and the client
#     gets "site A"; sleep a random part of the interval (random phase);
#   - t0 = SIGKILL of A's HTTP service;
#   - (a) = first change of the router's kernel route 192.0.2.1/32 away from
#     A (timestamped by "ip -ts monitor route" in the router namespace);
#   - (b) = the client's first answer from site B (a poller in the client
#     namespace: one HTTP GET every 5 ms, 0.3 s timeout, timestamped);
#   - restart A's service and wait until A is preferred again.
# Prints p50 / p95 / max of (a) and (b) per setting. Target: p95 of (a)
# within interval × fall + 50 ms. A setting "INTERVAL:FALL:process" adds a
# process check on the HTTP server's pidfile beside the http check (its
# exit is seen through a pidfd and withdraws at once): target p95(a) within
# 50 ms whatever the interval.
#
# Usage: bench/failover.sh [--smoke] [--backend exabgp|bird] [--reps N]
#                          [--settings "0.1:2 1:2 1:2:process ..."]
set -u
BENCH_HERE=$(cd "$(dirname "$0")" && pwd)
. "$BENCH_HERE/lib.sh"
. "$BENCH_ROOT/helpers/lab.sh"

BENCH_MODE=full
BENCH_NAME=failover
BACKEND=exabgp
REPS=20
SETTINGS="0.1:2 0.2:3 1:2 1:2:process"
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) BENCH_MODE=smoke; REPS=2; SETTINGS="0.1:2 1:2:process" ;;
	--backend) BACKEND=$2; shift ;;
	--reps) REPS=$2; shift ;;
	--settings) SETTINGS=$2; shift ;;
	-h | --help) sed -n '2,26s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "usage: $0 [--smoke] [--backend exabgp|bird] [--reps N] [--settings LIST]" >&2; exit 2 ;;
	esac
	shift
done
case $BACKEND in
exabgp) ;;
bird) ;;
*) bench_die "--backend must be exabgp or bird" ;;
esac
BENCH_NAME=failover-$BACKEND
bench_need_root
bench_need_programs ip "$LAB_BIRD" "$LAB_BIRDC" "$LAB_EXABGP" "$LAB_PYTHON" python3 curl
LAB_QUIET=${LAB_QUIET:-1}

BENCH_DIR=$(mktemp -d /tmp/anycheck-bench.failover.XXXXXX) || exit 1
bench_build
rm -rf "$BENCH_DIR"
lab_init acb-fo || bench_die "lab_init failed"
BENCH_DIR=$LAB_DIR/bench
mkdir -p "$BENCH_DIR"
ANYCHECK=$(readlink -f "$BENCH_EXABGP_BIN")
ANYCHECK_BIRD=$(readlink -f "$BENCH_BIRD_BIN")
export ANYCHECK_BIRD

# The client's poller: GET / every 5 ms, print "EPOCH_NS RESULT" lines;
# stops after 3 answers from site B or after MAX seconds.
POLLER='
import socket, sys, time
addr, deadline = sys.argv[1], time.time() + float(sys.argv[2])
seen_b = 0
out = sys.stdout
while time.time() < deadline and seen_b < 3:
    t = time.time_ns()
    res = "FAIL"
    try:
        s = socket.create_connection((addr, 80), timeout=0.3)
        s.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        body = data.split(b"\r\n\r\n", 1)[1].decode().splitlines()
        res = body[0].replace(" ", "_") if body else "EMPTY"
    except Exception:
        pass
    if res == "site_B":
        seen_b += 1
    out.write("%d %s\n" % (t, res))
    out.flush()
    time.sleep(0.005)
'

# site_config FILE INTERVAL FALL LOCAL_AS PREPEND SITE CHECKS [BIRD_SOCKET]
# CHECKS: "http", or "process" for a process check on SITE's HTTP server
# (its pidfile) beside the http check.
site_config() {
	local file=$1 interval=$2 fall=$3 as=$4 prepend=$5 site=$6 checks=$7 bird="" process=""
	[ -n "${8:-}" ] && bird="\"bird\": { \"socket\": \"$8\" },"
	[ "$checks" = process ] &&
	    process=", { \"type\": \"process\", \"pidfile\": \"$LAB_DIR/pids/http-$site.pid\" }"
	cat >"$file" <<JSON
{ "local_as": $as, $bird
  "state_directory": "$(dirname "$file")",
  "defaults": { "interval": $interval,
                "fast_interval": $(awk -v i="$interval" 'BEGIN { print i / 2 }'),
                "timeout": $interval, "rise": 2, "fall": $fall,
                "hold_down": 0 },
  "services": [ { "name": "web", "prefixes": ["$LAB_ANYCAST4/32"],
                  "checks": [ { "type": "http", "url": "http://$LAB_ANYCAST4/" }$process ],
                  "announce": { "as_path_prepend": $prepend } } ] }
JSON
	"$ANYCHECK" -n -c "$file" >/dev/null || bench_die "config $file rejected"
}

# Exit 0 when the router's kernel forwards 192.0.2.1 to site A.
router_via_a() {
	lab_exec router ip -4 route show exact "$LAB_ANYCAST4/32" | grep -q "dev site0 "
}

client_gets_a() {
	[ "$(lab_client_get "http://$LAB_ANYCAST4/")" = "site A" ]
}

lab_router || bench_die "router failed"
lab_site A 65001 || bench_die "site A failed"
lab_site B 65002 || bench_die "site B failed"
lab_client || bench_die "client failed"

RESULTS=$BENCH_DIR/results.tsv
: >"$RESULTS"

# One repetition: appends "setting a_ms b_ms" to RESULTS.
one_rep() {
	local setting=$1 interval=$2 rep=$3 mon poll pid t0 a b
	mon=$BENCH_DIR/mon.$setting.$rep
	poll=$BENCH_DIR/poll.$setting.$rep
	lab_wait_for 20 router_via_a || bench_die "rep $rep: the router does not route to A"
	lab_wait_for 10 client_gets_a || bench_die "rep $rep: the client does not reach A"
	lab_spawn "mon" "$mon" router ip -ts monitor route
	lab_spawn "poll" "$poll" client "$LAB_PYTHON" -c "$POLLER" "$LAB_ANYCAST4" 20
	disown -a 2>/dev/null || true
	# random phase against the check schedule, and let both tools start
	sleep "$(awk -v i="$interval" -v r=$RANDOM 'BEGIN { printf "%.3f", 0.3 + i * r / 32768 }')"
	pid=$(cat "$LAB_DIR/pids/http-A.pid")
	t0=$(date +%s%N)
	kill -KILL "$pid" "$(cat "$LAB_DIR/pids/http6-A.pid")"
	rm -f "$LAB_DIR/pids/http-A.pid" "$LAB_DIR/pids/http6-A.pid"
	# bounded: the poller stops by itself after 20 s at most
	lab_wait_for 25 eval "! lab_alive poll" || true
	lab_stop poll 1 || true
	sleep 0.05
	lab_stop mon 1 || true
	read -r a b < <(python3 - "$t0" "$mon" "$poll" <<'PY'
import datetime, sys
t0 = int(sys.argv[1]) / 1e9
a = b = None
for line in open(sys.argv[2], errors="replace"):
    if not line.startswith("[") or " 192.0.2.1 " not in line + " ":
        continue
    stamp, rest = line[1:].split("] ", 1)
    ts = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f").timestamp()
    if ts >= t0 and ("Deleted" in rest or "dev site0" not in rest):
        a = ts - t0
        break
for line in open(sys.argv[3]):
    t, res = line.split()
    if int(t) / 1e9 >= t0 and res == "site_B":
        b = int(t) / 1e9 - t0
        break
print("%s %s" % ("%.1f" % (a * 1000) if a is not None else "nan",
                 "%.1f" % (b * 1000) if b is not None else "nan"))
PY
)
	printf '%s\t%s\t%s\n' "$setting" "$a" "$b" >>"$RESULTS"
	bench_log "$setting rep $rep: route away from A after $a ms, client at B after $b ms"
	lab_site_service_start A || bench_die "cannot restart A's service"
	disown -a 2>/dev/null || true
}

for setting in $SETTINGS; do
	IFS=: read -r interval fall checks <<<"$setting"
	checks=${checks:-http}
	case $checks in
	http | process) ;;
	*) bench_die "setting $setting: INTERVAL:FALL or INTERVAL:FALL:process" ;;
	esac
	site_config "$BENCH_DIR/B.json" "$interval" "$fall" 65002 2 B "$checks"
	lab_site_exabgp_stop B 5 >/dev/null 2>&1 || true
	if [ "$BACKEND" = bird ]; then
		# Site A: BIRD + anycheck-bird (BFD on its session); a new
		# setting restarts anycheck-bird on the rewritten config.
		site_config "$BENCH_DIR/A.json" "$interval" "$fall" 65001 0 A \
		    "$checks" "$(lab_site_bird_socket A)"
		if lab_alive anycheck-A; then
			lab_site_anycheck_stop A 5 >/dev/null 2>&1 || true
			lab_site_anycheck_start A || bench_die "anycheck-bird A failed"
		else
			lab_site_bird A "$BENCH_DIR/A.json" || bench_die "BIRD A failed"
		fi
	else
		site_config "$BENCH_DIR/A.json" "$interval" "$fall" 65001 0 A "$checks"
		lab_site_exabgp_stop A 5 >/dev/null 2>&1 || true
		lab_site_exabgp A true "$ANYCHECK" -c "$BENCH_DIR/A.json" || bench_die "ExaBGP A failed"
	fi
	lab_site_exabgp B true "$ANYCHECK" -c "$BENCH_DIR/B.json" || bench_die "ExaBGP B failed"
	lab_wait_for 20 router_via_a || bench_die "the router never preferred A"
	bench_log "setting interval ${interval}s fall $fall checks $checks: $REPS repetitions"
	for rep in $(seq "$REPS"); do
		one_rep "$interval:$fall:$checks" "$interval" "$rep"
	done
done

TABLE=$BENCH_DIR/table.md
NOTES=$BENCH_DIR/notes.md
python3 - "$RESULTS" "$BACKEND" >"$TABLE" <<'PY' || bench_die "nonsense results"
import math, sys
rows = {}
for line in open(sys.argv[1]):
    s, a, b = line.split()
    rows.setdefault(s, []).append((float(a), float(b)))
def stats(v):
    v = sorted(v)
    p = lambda q: v[min(len(v) - 1, math.ceil(q / 100 * len(v)) - 1)]
    return "%.0f / %.0f / %.0f" % (p(50), p(95), v[-1])
print("| backend | checks | interval s | fall | reps | (a) route leaves A: p50 / p95 / max ms | (b) client at B: p50 / p95 / max ms | target p95(a) ≤ ms | met |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
bad = False
for s, v in rows.items():
    interval, fall, checks = s.split(":")
    a = [x[0] for x in v]
    b = [x[1] for x in v]
    if any(math.isnan(x) for x in a + b) or min(a) <= 0 or min(b) <= 0:
        bad = True
        print("nonsense: %s: %s" % (s, v), file=sys.stderr)
        continue
    # A process check sees the exit at once: 50 ms whatever the interval.
    target = 50 if checks == "process" else float(interval) * int(fall) * 1000 + 50
    va = sorted(a)
    p95 = va[min(len(va) - 1, math.ceil(0.95 * len(va)) - 1)]
    print("| %s | %s | %s | %s | %d | %s | %s | %.0f | %s |" % (sys.argv[2],
          "http + process" if checks == "process" else "http", interval, fall, len(v),
          stats(a), stats(b), target, "yes" if p95 <= target else "**no**"))
sys.exit(1 if bad else 0)
PY
cat >"$NOTES" <<NOTES
Lab: router BIRD 2, two sites (A: ExaBGP 4.2 + anycheck-exabgp for the exabgp backend, or
BIRD 2 + anycheck-bird with BFD for the bird backend; B: ExaBGP + anycheck-exabgp, api.ack
true, AS-path prepend 2), client behind the router; veth links in network namespaces.
rise 2, fast_interval = interval / 2, timeout = interval, hold_down 0 (every repetition is
a fresh failure, not a flap), http check of http://192.0.2.1/; "http + process" adds a
process check on the HTTP server's pidfile (immediate: its exit, seen through a pidfd,
withdraws at once).
t0 = SIGKILL of site A's HTTP service at a random phase of the check schedule. (a) from
\`ip -ts monitor route\` in the router namespace (the kernel route moving away from A);
(b) from a client poller (GET every 5 ms). Reproduce: \`bench/failover.sh\` (as root).
NOTES
bench_write_result "Failover time ($BACKEND backend)" "$TABLE" "$NOTES"
