#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: benchmark 2 — CPU per check, anycheck vs ExaBGP's healthcheck
#
# One private nginx on 127.0.0.1 serves a small file. Each case runs alone
# for the same number of checks at the same interval (0.1 s):
#   anycheck-exabgp, one service with an http check (libcurl, in-process);
#   anycheck-exabgp, one exec check running curl -sf URL (argv, no shell);
#   anycheck-exabgp, one exec check running /bin/true (fork+exec cost);
#   exabgp-healthcheck --cmd "curl -sf URL" (the anchor: Python, sh -c curl).
# Each runs with stdin from a FIFO kept open (no EOF) and stdout to
# /dev/null. CPU is read from /proc after a warm-up and again after N more
# checks: the process's threads (schedstat, ns) plus its reaped children
# (cutime+cstime, which include the children's own reaped children: sh and
# curl). Checks are counted in nginx's access log (or, for /bin/true, by
# anycheck's -d log lines). Startup cost is excluded.
#
# Usage: bench/cpu_per_check.sh [--smoke] [--checks N]
set -u
. "$(dirname "$0")/lib.sh"

BENCH_MODE=full
CHECKS=300
WARMUP=20
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) BENCH_MODE=smoke; CHECKS=20; WARMUP=3 ;;
	--checks) CHECKS=$2; shift ;;
	-h | --help) sed -n '2,17s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "usage: $0 [--smoke] [--checks N]" >&2; exit 2 ;;
	esac
	shift
done
INTERVAL=0.1

bench_init cpu_per_check
bench_need_programs nginx exabgp-healthcheck curl
bench_build

PORT=$(bench_free_port) || bench_die "no free port"
URL="http://127.0.0.1:$PORT/"
bench_nginx "$BENCH_DIR/nginx" "$PORT" on
ACCESS=$BENCH_DIR/nginx/access.log
mkfifo "$BENCH_DIR/stdin"
# Open read-write: the FIFO never reaches EOF while this shell lives.
exec 3<>"$BENCH_DIR/stdin"

anycheck_config() { # FILE CHECK_JSON
	cat >"$1" <<JSON
{ "state_directory": "$BENCH_DIR",
  "defaults": { "interval": $INTERVAL, "fast_interval": $INTERVAL, "timeout": 2, "rise": 1, "fall": 1 },
  "services": [ { "name": "bench", "prefixes": ["192.0.2.1/32"], "checks": [ $2 ] } ] }
JSON
	"$BENCH_EXABGP_BIN" -n -c "$1" >/dev/null || bench_die "config $1 rejected"
}

count_access() { wc -l <"$ACCESS"; }
count_debug() {
	local n
	n=$(grep -c 'check exec /bin/true: pass' "$BENCH_DIR/$CASE.log" 2>/dev/null)
	echo "${n:-0}"
}

# Wait until COUNTER prints at least TARGET (bounded by TIMEOUT s and by
# the process staying alive). Prints the count reached.
wait_count() { # COUNTER TARGET TIMEOUT PID
	local counter=$1 target=$2 timeout=$3 pid=$4 end n
	end=$(($(date +%s) + timeout))
	while :; do
		n=$($counter)
		[ "$n" -ge "$target" ] && { echo "$n"; return 0; }
		kill -0 "$pid" 2>/dev/null || { echo "$n"; return 1; }
		[ "$(date +%s)" -ge "$end" ] && { echo "$n"; return 1; }
		sleep 0.02
	done
}

RESULTS=$BENCH_DIR/results.tsv
: >"$RESULTS"

# run_case NAME TOOL TYPE COUNTER CMD...
run_case() {
	local name=$1 tool=$2 type=$3 counter=$4 pid base n0 n1 c0 c1 timeout
	shift 4
	CASE=$name
	bench_log "$tool $type: $WARMUP warm-up + $CHECKS checks at ${INTERVAL}s"
	base=$($counter)
	"$@" <&3 >/dev/null 2>"$BENCH_DIR/$name.log" &
	pid=$!
	bench_track "$pid"
	timeout=$((10 + (WARMUP + CHECKS) * 3 / 10 + 10))
	n0=$(wait_count "$counter" $((base + WARMUP)) "$timeout" "$pid") || {
		tail -n 20 "$BENCH_DIR/$name.log" >&2
		bench_die "$tool $type: only $((n0 - base)) checks during warm-up"
	}
	c0=$(bench_cpu_ns "$pid")
	n1=$(wait_count "$counter" $((n0 + CHECKS)) "$timeout" "$pid") || {
		tail -n 20 "$BENCH_DIR/$name.log" >&2
		bench_die "$tool $type: only $((n1 - n0)) of $CHECKS checks"
	}
	c1=$(bench_cpu_ns "$pid")
	bench_stop_pid "$pid"
	printf '%s\t%s\t%s\t%s\t%s\n' "$tool" "$type" $((n1 - n0)) $((c1 - c0)) "$name" >>"$RESULTS"
}

anycheck_config "$BENCH_DIR/http.json" "{ \"type\": \"http\", \"url\": \"$URL\" }"
anycheck_config "$BENCH_DIR/exec_curl.json" \
    "{ \"type\": \"exec\", \"command\": [\"/usr/bin/curl\", \"-sf\", \"-o\", \"/dev/null\", \"$URL\"] }"
anycheck_config "$BENCH_DIR/exec_true.json" "{ \"type\": \"exec\", \"command\": [\"/bin/true\"] }"

run_case ac_http anycheck-exabgp "http (libcurl multi)" count_access \
    "$BENCH_EXABGP_BIN" -c "$BENCH_DIR/http.json"
run_case ac_exec_curl anycheck-exabgp "exec curl -sf URL" count_access \
    "$BENCH_EXABGP_BIN" -c "$BENCH_DIR/exec_curl.json"
run_case ac_exec_true anycheck-exabgp "exec /bin/true" count_debug \
    "$BENCH_EXABGP_BIN" -d -c "$BENCH_DIR/exec_true.json"
# Reference clients (not checkers): the kernel's floor and libcurl alone.
# CMake builds http_floor with the tests; a build without them
# (BUILD_TESTING=OFF) has none, so compile it here then.
HTTP_FLOOR=$BENCH_BUILD/http_floor
if [ ! -x "$HTTP_FLOOR" ] && cc -O2 -Wall -o "$BENCH_DIR/http_floor" \
    "$BENCH_HERE/tools/http_floor.c" -lcurl 2>"$BENCH_DIR/cc.log"; then
	HTTP_FLOOR=$BENCH_DIR/http_floor
fi
if [ -x "$HTTP_FLOOR" ]; then
	run_case ref_raw "reference: C client" "blocking socket GET (kernel floor)" count_access \
	    "$HTTP_FLOOR" raw "$PORT" 100 100000
	run_case ref_curl "reference: C client" "curl_easy_perform (libcurl alone)" count_access \
	    "$HTTP_FLOOR" curl "$PORT" 100 100000
else
	bench_log "cannot compile bench/tools/http_floor.c: no reference rows"
fi
run_case anchor exabgp-healthcheck "--cmd \"curl -sf URL\"" count_access \
    exabgp-healthcheck --cmd "curl -sf $URL" --interval "$INTERVAL" \
    --fast-interval "$INTERVAL" --rise 1 --fall 1 --ip 192.0.2.1/32 \
    --no-ip-setup --no-ack --no-syslog

# Correctness: every request nginx saw was answered 200, anycheck's http
# service came UP, every case did the checks it was asked for.
grep -qv '" 200$' "$ACCESS" && bench_die "nginx answered something other than 200"
grep -q -- '-> UP' "$BENCH_DIR/ac_http.log" || bench_die "anycheck http service never came UP"

TABLE=$BENCH_DIR/table.md
NOTES=$BENCH_DIR/notes.md
python3 - "$RESULTS" "$CHECKS" >"$TABLE" <<'PY' || bench_die "nonsense results"
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
want = int(sys.argv[2])
anchor = [r for r in rows if r[4] == "anchor"][0]
anchor_us = int(anchor[3]) / 1e3 / int(anchor[2])
print("| tool | check | checks | CPU ms total | CPU µs per check | anchor / this |")
print("| --- | --- | ---: | ---: | ---: | ---: |")
bad = False
for tool, typ, n, ns, name in rows:
    n, ns = int(n), int(ns)
    us = ns / 1e3 / n
    if n < want or ns <= 0:
        bad = True
    ratio = "1 (anchor)" if name == "anchor" else "%.0f×" % (anchor_us / us) if us > 0 else "∞"
    print("| %s | %s | %d | %.1f | %.1f | %s |" % (tool, typ.replace("|", "\\|"), n, ns / 1e6, us, ratio))
http = [r for r in rows if r[4] == "ac_http"][0]
http_us = int(http[3]) / 1e3 / int(http[2])
print()
print("Target: anycheck's http check at most 1/50 of the anchor's CPU per check: "
      + ("**met** (%.0f×)" % (anchor_us / http_us) if http_us * 50 <= anchor_us
         else "**missed** (%.1f×)" % (anchor_us / http_us)))
sys.exit(1 if bad else 0)
PY
cat >"$NOTES" <<NOTES
Interval ${INTERVAL} s for every case, checks counted after a warm-up of $WARMUP checks
(startup excluded). CPU = user+sys of the process and its threads (/proc/PID/task/*/schedstat,
ns) plus its reaped children (cutime+cstime: sh, curl, true). The /bin/true case runs
with -d (every result logged) because that is how its checks are counted.
Reproduce: \`bench/cpu_per_check.sh\` (as root; \`--checks N\` to change the count).
NOTES
bench_write_result "CPU per check" "$TABLE" "$NOTES"
