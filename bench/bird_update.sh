#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: benchmark 4 — BIRD update cost vs the number of prefixes
#
# Two network namespaces: "site" runs BIRD 2 with N always-on static IPv6
# prefixes (2001:db8:1::/48 hosts, background load, exported too) and the
# anycast prefix 192.0.2.1/32; "up" runs BIRD 2 peering over eBGP and
# installing what it learns into its kernel table, watched by
# "ip -ts monitor route". Two ways to move 192.0.2.1/32, each REPS times in
# each direction, for N = 10, 1000, 10000:
#   toggle   (anycheck-bird's way): the prefix is in its own static protocol;
#            "birdc disable|enable anycheck_web_v4" (birdc as a stand-in for
#            anycheck-bird's one command on the control socket; the fork of
#            birdc is included, so this is pessimistic);
#   rewrite  (anycast-healthchecker's way): a prefix-set file included by
#            bird.conf is rewritten with or without the prefix, then
#            "birdc configure" (BIRD re-reads the whole config, N routes).
# Time = from just before the command to the route's add/delete at "up".
#
# Usage: bench/bird_update.sh [--smoke] [--reps N]
set -u
. "$(dirname "$0")/lib.sh"

BENCH_MODE=full
REPS=5
SIZES="10 1000 10000"
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) BENCH_MODE=smoke; REPS=1; SIZES="10" ;;
	--reps) REPS=$2; shift ;;
	-h | --help) sed -n '2,19s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "usage: $0 [--smoke] [--reps N]" >&2; exit 2 ;;
	esac
	shift
done

bench_init bird_update
bench_need_programs ip bird birdc
bench_netns site; SITE=$BENCH_NS
bench_netns up; UP=$BENCH_NS
ip link add bu-site netns "$SITE" type veth peer name bu-up netns "$UP" || bench_die "veth"
ip -n "$SITE" addr add 198.51.100.2/30 dev bu-site
ip -n "$UP" addr add 198.51.100.1/30 dev bu-up
ip -n "$SITE" addr add 2001:db8:ffff::2/64 dev bu-site nodad
ip -n "$UP" addr add 2001:db8:ffff::1/64 dev bu-up nodad
ip -n "$SITE" link set bu-site up
ip -n "$UP" link set bu-up up

D=$BENCH_DIR
cat >"$D/up.conf" <<CONF
log "$D/up.log" { warning, error };
router id 198.51.100.1;
protocol device { scan time 10; }
protocol kernel { ipv4 { import none; export all; }; scan time 60; }
protocol kernel { ipv6 { import none; export all; }; scan time 60; }
protocol bgp site {
	local 198.51.100.1 as 64500; neighbor 198.51.100.2 as 65001;
	connect retry time 1; error wait time 1, 4;
	ipv4 { import all; export none; };
	ipv6 { import all; export none; next hop self; };
}
CONF

# site_conf N: the site's config with N background prefixes.
site_conf() {
	local n=$1 i
	{
		cat <<CONF
log "$D/site.log" { warning, error };
router id 198.51.100.2;
include "$D/advertise.conf";
protocol device { scan time 10; }
protocol static bulk {
	ipv6;
CONF
		for ((i = 1; i <= n; i++)); do printf '\troute 2001:db8:1::%x/128 blackhole;\n' "$i"; done
		cat <<CONF
}
# anycheck-bird's way: one protocol per prefix set, toggled.
protocol static anycheck_web_v4 { ipv4; route 192.0.2.1/32 blackhole; }
# anycast-healthchecker's way: always originated, exported when in the set.
protocol static ahc_v4 { ipv4; route 192.0.2.2/32 blackhole; }
filter to_up {
	if proto = "anycheck_web_v4" then accept;
	if proto = "ahc_v4" then { if net ~ ACAST_PS_ADVERTISE then accept; reject; }
	if proto = "bulk" then accept;
	reject;
}
protocol bgp up {
	local 198.51.100.2 as 65001; neighbor 198.51.100.1 as 64500;
	connect retry time 1; error wait time 1, 4;
	ipv4 { import none; export filter to_up; next hop self; };
	ipv6 { import none; export filter to_up; next hop address 2001:db8:ffff::2; };
}
CONF
	} >"$D/site.conf"
}
advertise() { # yes|no
	if [ "$1" = yes ]; then
		echo 'define ACAST_PS_ADVERTISE = [ 192.0.2.2/32 ];' >"$D/advertise.conf.new"
	else
		echo 'define ACAST_PS_ADVERTISE = [ 0.0.0.0/32 ];' >"$D/advertise.conf.new"
	fi
	mv "$D/advertise.conf.new" "$D/advertise.conf"
}
sbirdc() { ip netns exec "$SITE" birdc -s "$D/site.ctl" "$@"; }
ubirdc() { ip netns exec "$UP" birdc -s "$D/up.ctl" "$@"; }
up_has() { ip -n "$UP" route show exact "$1" | grep -q .; }
up_count6() { ubirdc show route count | grep -o '^[0-9]* of [0-9]* routes' | head -1; }

ip netns exec "$UP" bird -c "$D/up.conf" -s "$D/up.ctl" -P "$D/up.pid" || bench_die "up BIRD"
bench_wait_for 5 test -s "$D/up.pid"; bench_track "$(cat "$D/up.pid")"

RESULTS=$D/results.tsv
: >"$RESULTS"

# timed METHOD N DIR PREFIX WANT(present|absent) CMD...: one measurement.
timed() {
	local method=$1 n=$2 dir=$3 prefix=$4 want=$5 mon t0 ms
	shift 5
	mon=$D/mon.$method.$n.$dir.$RANDOM
	(exec ip -n "$UP" -ts monitor route >"$mon" 2>&1) &
	local mpid=$!
	bench_track "$mpid"
	sleep 0.2
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1 || bench_die "$method: $* failed"
	if [ "$want" = present ]; then bench_wait_for 30 up_has "$prefix"
	else bench_wait_for 30 eval "! up_has $prefix"; fi || bench_die "$method: $prefix not $want at up"
	sleep 0.05
	bench_stop_pid "$mpid"
	ms=$(python3 - "$t0" "$mon" "${prefix%/*}" <<'PY'
import datetime, sys
t0, ip = int(sys.argv[1]) / 1e9, sys.argv[3]
for line in open(sys.argv[2], errors="replace"):
    if line.startswith("[") and (" %s " % ip) in line + " ":
        ts = datetime.datetime.strptime(line[1:].split("]")[0], "%Y-%m-%dT%H:%M:%S.%f").timestamp()
        if ts >= t0:
            print("%.1f" % ((ts - t0) * 1000)); break
else:
    print("nan")
PY
)
	printf '%s\t%s\t%s\t%s\n' "$method" "$n" "$dir" "$ms" >>"$RESULTS"
}

for n in $SIZES; do
	bench_log "N = $n background prefixes"
	[ -f "$D/site.pid" ] && { bench_stop_pid "$(cat "$D/site.pid")"; rm -f "$D/site.pid"; }
	site_conf "$n"
	advertise no
	ip netns exec "$SITE" bird -c "$D/site.conf" -s "$D/site.ctl" -P "$D/site.pid" ||
	    bench_die "site BIRD rejected its config"
	bench_wait_for 5 test -s "$D/site.pid"; bench_track "$(cat "$D/site.pid")"
	bench_wait_for 60 up_has 192.0.2.1/32 || bench_die "session / routes not up"
	bench_wait_for 60 eval "[ \$(ip -n $UP -6 route show proto bird | wc -l) -ge $n ]" ||
	    bench_die "up did not learn the $n background prefixes"
	for rep in $(seq "$REPS"); do
		timed toggle "$n" withdraw 192.0.2.1/32 absent sbirdc disable anycheck_web_v4
		timed toggle "$n" announce 192.0.2.1/32 present sbirdc enable anycheck_web_v4
		advertise yes
		timed rewrite "$n" announce 192.0.2.2/32 present sbirdc configure
		advertise no
		timed rewrite "$n" withdraw 192.0.2.2/32 absent sbirdc configure
	done
done

TABLE=$D/table.md
NOTES=$D/notes.md
python3 - "$RESULTS" >"$TABLE" <<'PY' || bench_die "nonsense results"
import math, sys
rows = {}
for line in open(sys.argv[1]):
    m, n, d, ms = line.split()
    rows.setdefault((m, int(n)), []).append(float(ms))
print("| method | background prefixes | changes | p50 ms | max ms |")
print("| --- | ---: | ---: | ---: | ---: |")
bad = False
for (m, n), v in sorted(rows.items()):
    if any(math.isnan(x) or x <= 0 for x in v):
        bad = True
    v = sorted(v)
    name = "toggle (anycheck-bird: enable/disable one protocol)" if m == "toggle" else \
        "rewrite + birdc configure (anycast-healthchecker)"
    print("| %s | %d | %d | %.1f | %.1f |" % (name, n, len(v), v[(len(v) - 1) // 2], v[-1]))
sys.exit(1 if bad else 0)
PY
cat >"$NOTES" <<NOTES
Site BIRD with N always-on static IPv6 host routes exported to an upstream BIRD over
eBGP; time from the command to the upstream kernel's route change (ip -ts monitor
route), announce and withdraw together. The toggle is sent with birdc (the fork of birdc
is counted; anycheck-bird writes the same command on its open control socket).
$(bird --version 2>&1 | head -n 1). Reproduce: \`bench/bird_update.sh\` (as root).
NOTES
bench_write_result "BIRD update cost" "$TABLE" "$NOTES"
