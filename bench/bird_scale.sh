#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: benchmark 5 — anycheck-bird with thousands of services against a real BIRD
#
# One network namespace runs BIRD 2 with only the static protocols of the
# anycheck include file (no BGP, no kernel protocol) and anycheck-bird
# beside it with N services (file checks that pass: every UP protocol is
# wanted enabled). For each binary (before: a git revision built in a temp
# dir, default the merge-base with main; after: this tree) and each mode
# (include: bird.include_file set, anycheck-bird writes the include and
# may reconfigure BIRD; toggle: the include generated once with -g, every
# change an enable/disable) it measures:
#   start   from launching anycheck-bird to every protocol in its wanted
#           state in BIRD (N up);
#   restart after BIRD is killed with -9 and started again (re-reading the
#           include file), from its control socket answering again to
#           every protocol in its wanted state;
#   CPU seconds of anycheck-bird in each, and its log lines in each (the
#   supervisor's per-service lines, "service NAME: ...", not counted).
# BIRD's state is read with "show protocols" on its control socket every
# 100 ms by a small python poller (each listing of 10 000 rows costs BIRD
# ~10 ms; polling faster slows it down), so times are ±100 ms. Every wait
# is bounded (--timeout, 120 s per phase).
#
# Usage: bench/bird_scale.sh [--smoke] [--services N] [--before REV|none]
#        [--modes "include toggle"] [--timeout S]
set -u
. "$(dirname "$0")/lib.sh"

BENCH_MODE=full
SERVICES=10000
BEFORE=""
MODES="include toggle"
TIMEOUT=120
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) BENCH_MODE=smoke; SERVICES=500; BEFORE=none; TIMEOUT=30 ;;
	--services) SERVICES=$2; shift ;;
	--before) BEFORE=$2; shift ;;
	--modes) MODES=$2; shift ;;
	--timeout) TIMEOUT=$2; shift ;;
	-h | --help) sed -n '2,24s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "usage: $0 [--smoke] [--services N] [--before REV|none] [--modes M] [--timeout S]" >&2; exit 2 ;;
	esac
	shift
done

bench_init bird_scale
command -v bird >/dev/null || bench_die "BIRD 2 not installed (apt-get install bird2)"
bench_build
D=$BENCH_DIR

# The "before" binary: REV built from git archive in a temp dir.
if [ -z "$BEFORE" ]; then
	BEFORE=$(git -C "$BENCH_ROOT" merge-base HEAD main 2>/dev/null) ||
	    bench_die "no merge-base with main; pass --before REV or --before none"
fi
BINARIES=()
if [ "$BEFORE" != none ]; then
	BEFORE_SHORT=$(git -C "$BENCH_ROOT" rev-parse --short "$BEFORE") || bench_die "bad --before $BEFORE"
	bench_log "building the before binary ($BEFORE_SHORT)"
	mkdir -p "$D/before-src"
	git -C "$BENCH_ROOT" archive "$BEFORE" | tar -x -C "$D/before-src" || bench_die "git archive $BEFORE"
	cmake -S "$D/before-src" -B "$D/before-build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DANYCHECK_TESTS=OFF >"$D/before-build.log" 2>&1 &&
	    cmake --build "$D/before-build" -j"$(nproc)" --target anycheck-bird >>"$D/before-build.log" 2>&1 ||
	    { tail -n 20 "$D/before-build.log" >&2; bench_die "the before binary did not build"; }
	BINARIES+=("before:$BEFORE_SHORT:$D/before-build/anycheck-bird")
fi
BINARIES+=("after:$(git -C "$BENCH_ROOT" rev-parse --short HEAD 2>/dev/null || echo tree)$(git -C "$BENCH_ROOT" diff --quiet 2>/dev/null || echo +):$BENCH_BIRD_BIN")

bench_netns scale; NS=$BENCH_NS
touch "$D/ok"

# config MODE: the anycheck config (N services, one IPv4 /32 each).
write_config() {
	local mode=$1 include=""
	[ "$mode" = include ] && include=", \"include_file\": \"$D/anycheck.conf\""
	python3 - "$SERVICES" "$D" "$include" >"$D/anycheck.json" <<'PY'
import json, sys
n, d, include = int(sys.argv[1]), sys.argv[2], sys.argv[3]
services = []
for i in range(n):
    services.append('{"name": "s%05d", "prefixes": ["10.%d.%d.%d/32"], '
                    '"checks": [{"type": "file", "path": "%s/ok"}]}'
                    % (i, (i >> 16) & 255, (i >> 8) & 255, i & 255, d))
print('{"local_as": 65001, "bird": {"socket": "%s/bird.ctl", "verify_interval": 30%s},'
      % (d, include))
print(' "services": [\n  ' + ',\n  '.join(services) + '\n ]}')
PY
	cat >"$D/bird.conf" <<CONF
log "$D/bird.log" { warning, error };
router id 192.0.2.254;
include "$D/anycheck.conf";
CONF
}

start_bird() {
	rm -f "$D/bird.pid"
	(cd "$D" && ip netns exec "$NS" bird -c "$D/bird.conf" -s "$D/bird.ctl" -P "$D/bird.pid") ||
	    bench_die "BIRD rejected its config (see $D/bird.log)"
	bench_wait_for 10 test -s "$D/bird.pid" || bench_die "BIRD wrote no pid file"
	BIRD_PID=$(cat "$D/bird.pid")
	bench_track "$BIRD_PID"
}

# poll N TIMEOUT T0_NS|answer: read "show protocols" every 100 ms until N
# anycheck protocols are up; print the seconds since T0_NS, or since BIRD
# first greeted the poller ("answer": BIRD parses its whole config before
# it greets, 30 s with 10 000 services), and "timeout" when it does not
# happen in TIMEOUT s.
poll() {
	ip netns exec "$NS" python3 - "$D/bird.ctl" "$@" <<'PY'
import socket, sys, time
path, want, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
t0 = None if sys.argv[4] == "answer" else int(sys.argv[4]) / 1e9
end = time.time() + limit
def connect():
    while time.time() < end:
        try:
            s = socket.socket(socket.AF_UNIX); s.connect(path)
            f = s.makefile("rb"); line = f.readline()
            if line.startswith(b"0001"):
                return s, f
        except OSError:
            pass
        time.sleep(0.005)
    print("timeout"); sys.exit(0)
def count_up(s, f):
    s.sendall(b"show protocols\n"); up = 0
    while True:
        line = f.readline()
        if not line: raise OSError("closed")
        words = line[5:].split() if line[:1] != b" " else line[1:].split()
        if len(words) >= 4 and words[0].startswith(b"anycheck_") and words[3] in (b"up", b"start"):
            up += 1
        if len(line) >= 5 and line[:4].isdigit() and line[4:5] == b" ":
            return up
s, f = connect()
if t0 is None:
    t0 = time.time()
while time.time() < end:
    try:
        if count_up(s, f) == want:
            print("%.3f" % (time.time() - t0)); sys.exit(0)
    except OSError:
        s, f = connect()
    time.sleep(0.1)
print("timeout")
PY
}

RESULTS=$D/results.tsv
: >"$RESULTS"
for entry in "${BINARIES[@]}"; do
	IFS=: read -r label rev bin <<<"$entry"
	for mode in $MODES; do
		bench_log "$label ($rev), $mode mode, $SERVICES services"
		write_config "$mode"
		"$bin" -c "$D/anycheck.json" -g "$D/anycheck.conf" 2>/dev/null ||
		    bench_die "$bin -g failed"
		protocols=$(grep -c '^protocol static' "$D/anycheck.conf")
		start_bird
		log=$D/anycheck.$label.$mode.log
		t0=$(date +%s%N)
		(exec ip netns exec "$NS" "$bin" -c "$D/anycheck.json" 2>"$log") &
		apid=$!
		bench_track "$apid"
		start_s=$(poll "$SERVICES" "$TIMEOUT" "$t0")
		sleep 1   # let it finish what it does after (include writes)
		cpu_start=$(bench_cpu_ns "$apid")
		lines_start=$(grep -vc 'info: service s[0-9]*:' "$log")
		kill -KILL "$BIRD_PID"
		bench_wait_for 5 eval "! kill -0 $BIRD_PID" || bench_die "BIRD did not die"
		# From BIRD's first greeting (anycheck-bird, retrying every 0.1
		# to 0.5 s, may connect a little after the poller).
		(start_bird >/dev/null) &
		restart_s=$(poll "$SERVICES" "$TIMEOUT" answer)
		wait $! || bench_die "BIRD did not restart"
		BIRD_PID=$(cat "$D/bird.pid"); bench_track "$BIRD_PID"
		sleep 1
		cpu_end=$(bench_cpu_ns "$apid")
		lines_end=$(grep -vc 'info: service s[0-9]*:' "$log")
		kill -0 "$apid" 2>/dev/null || bench_die "anycheck-bird died: $(tail -n 3 "$log")"
		bench_stop_pid "$apid"
		bench_stop_pid "$BIRD_PID"
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$rev" "$mode" "$SERVICES" \
		    "$protocols" "$start_s" "$restart_s" "$cpu_start" "$((cpu_end - cpu_start))" \
		    "$lines_start $((lines_end - lines_start))" >>"$RESULTS"
		bench_log "start $start_s s, restart $restart_s s, log lines $lines_start + $((lines_end - lines_start))"
	done
done

TABLE=$D/table.md
NOTES=$D/notes.md
python3 - "$RESULTS" "$BENCH_MODE" >"$TABLE" <<'PY' || bench_die "nonsense results (see above)"
import sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
smoke = sys.argv[2] == "smoke"
print("| mode | binary | services | protocols | start → all wanted s | BIRD kill -9 + restart → all wanted s | CPU s (start / restart) | log lines (start / restart) |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
bad = False
for label, rev, mode, n, protocols, start, restart, cpu_start, cpu_restart, lines in sorted(rows, key=lambda r: (r[2], r[0] != "before")):
    ls, lr = lines.split()
    if start == "timeout" or restart == "timeout" or float(start) <= 0:
        bad = bad or label == "after"
    print("| %s | %s (%s) | %s | %s | %s | %s | %.2f / %.2f | %s / %s |" % (
        mode, label, rev, n, protocols, start, restart,
        int(cpu_start) / 1e9, int(cpu_restart) / 1e9, ls, lr))
for label, rev, mode, n, protocols, start, restart, *_ in rows:
    if label == "after" and mode == "include" and not smoke:
        ok = start != "timeout" and restart != "timeout" and float(start) <= 3 and float(restart) <= 2
        print("\nTarget (%s services, include mode): all wanted within 3 s of start and 2 s of BIRD answering after a restart: **%s** (%s s, %s s)"
              % (n, "met" if ok else "missed", start, restart))
sys.exit(1 if bad else 0)
PY
cat >"$NOTES" <<NOTES
One namespace: BIRD with only the include's static protocols (no BGP), anycheck-bird with
$SERVICES file-check services (all healthy: interval 1 s, rise 3, fast_interval 0.2 s, so the
supervisor decides them all within ~1.4 s). "include": bird.include_file set; "toggle": the
include generated once with -g (all "disabled yes"), every change an enable/disable.
Start is measured from launching anycheck-bird; restart from BIRD's first greeting after
kill -9 and a new start (BIRD re-reads the include file; it greets only once it parsed it). Log lines exclude the supervisor's per-service lines ("service NAME: ...",
four per service at start, the same in both binaries). Times from a poller reading
"show protocols" every 100 ms. $(bird --version 2>&1 | head -n 1).
Reproduce: \`bench/bird_scale.sh\` (as root; \`--before REV\` picks the baseline, default
the merge-base with main).
NOTES
bench_write_result "anycheck-bird at scale (start and BIRD restart)" "$TABLE" "$NOTES"
