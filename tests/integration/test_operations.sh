#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: integration test of metrics, the textfile and hooks in the lab
#
# Site A runs ExaBGP with anycheck-exabgp (metrics on 127.0.0.1:9642 in the
# site's namespace, a textfile, an on_change hook); the router runs BIRD 2.
# A failover (the HTTP service stops, then comes back) and a maintenance
# (the maintenance file appears) are watched through /metrics with curl,
# with values asserted: the state gauges, the announced prefix, the
# transitions, failing check runs, the maintenance source, the backend.
# Every scrape passes `promtool check metrics`; the textfile is whole at
# every read (atomic rename) and passes too; the hook logged each change.
#
# Needs root. ANYCHECK_EXABGP as in test_exabgp.sh.

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=helpers/lab.sh
. "$repo/helpers/lab.sh"
# shellcheck source=tests/integration/harness.sh
. "$here/harness.sh"

harness_need_root
harness_need_programs ip "$LAB_BIRD" "$LAB_BIRDC" "$LAB_PYTHON" curl \
    "$LAB_EXABGP" promtool
harness_binary ANYCHECK_EXABGP anycheck-exabgp

on_failure() {
	[ -n "$LAB_DIR" ] && tail -n 30 "$LAB_DIR/site-A/exabgp.log" 2>/dev/null
}

scrape() {
	lab_exec A curl -s --max-time 2 http://127.0.0.1:9642/metrics
}

# metric_is NAME SERIES VALUE TIMEOUT: the scraped line "SERIES VALUE"
# appears within TIMEOUT seconds.
metric_is() {
	if lab_wait_for "$4" metric_line "$2 $3" >/dev/null 2>&1; then
		pass "$1"
	else
		fail "$1" "no '$2 $3' in /metrics within ${4}s; got: $(scrape |
		    grep -F "${2%%\{*}" | head -5 | tr '\n' ' ')"
	fi
}
metric_line() {
	scrape | grep -qxF "$1"
}

# promtool_clean NAME FILE: promtool check metrics finds nothing.
promtool_clean() {
	local output
	output=$(promtool check metrics <"$2" 2>&1)
	check "$1" "promtool: $output" [ $? = 0 ] && [ -z "$output" ]
}

lab_init ops || { fail setup lab_init; finish; }
textfile="$LAB_DIR/anycheck.prom"
hooklog="$LAB_DIR/hooks.log"
maintenance="$LAB_DIR/maintenance-web"
cat >"$LAB_DIR/anycheck.json" <<JSON
{
	"local_as": 65001,
	"state_directory": "$LAB_DIR",
	"metrics": { "listen": "127.0.0.1:9642", "textfile": "$textfile",
		"textfile_interval": 1 },
	"hooks": { "on_change": ["/bin/sh", "-c",
		"echo \"\$ANYCHECK_SERVICE \$ANYCHECK_OLD_STATE \$ANYCHECK_NEW_STATE \$ANYCHECK_PREFIXES\" >> $hooklog"],
		"timeout": 5 },
	"services": [{
		"name": "web", "prefixes": ["192.0.2.1/32"],
		"checks": [{ "type": "http", "url": "http://192.0.2.1/", "expect_status": [200] }],
		"interval": 0.2, "fast_interval": 0.1, "rise": 2, "fall": 2, "timeout": 0.5,
		"hold_down": 0, "maintenance_file": "$maintenance",
		"drain": { "seconds": 1, "min_seconds": 0 },
		"announce": { "next_hop": "self" }
	}]
}
JSON
if ! { lab_router && lab_site A 65001 && lab_client &&
    lab_site_exabgp A true "$ANYCHECK_EXABGP" -c "$LAB_DIR/anycheck.json"; }; then
	fail setup "the lab did not come up"
	lab_cleanup
	finish
fi

metric_is "up: state gauge" 'anycheck_service_state{service="web",state="up"}' 1 10
metric_is "up: prefix announced" 'anycheck_service_announced{service="web",prefix="192.0.2.1/32"}' 1 5
metric_is "up: backend up" 'anycheck_backend_up{backend="exabgp"}' 1 5
lab_wait_route 192.0.2.1/32 present 10 >/dev/null 2>&1 || true
scrape >"$LAB_DIR/scrape-up.txt"
promtool_clean "up: promtool check metrics" "$LAB_DIR/scrape-up.txt"
check "up: ExaBGP acknowledged the announce" "no ok command" \
    grep -qE '^anycheck_backend_commands_total\{backend="exabgp",result="ok"\} [1-9]' \
    "$LAB_DIR/scrape-up.txt"

# Failover: the service stops.
lab_site_service_stop A
metric_is "failover: state down" 'anycheck_service_state{service="web",state="down"}' 1 5
metric_is "failover: prefix withdrawn" 'anycheck_service_announced{service="web",prefix="192.0.2.1/32"}' 0 3
metric_is "failover: up -> falling counted" 'anycheck_service_transitions_total{service="web",from="up",to="falling"}' 1 3
failing_runs() {
	scrape | grep -qE '^anycheck_check_runs_total\{service="web",check="http [^"]*",result="(fail|timeout)"\} [1-9]'
}
check "failover: failing runs counted" "no failing http run" failing_runs
lab_site_service_start A
metric_is "recovered: state up" 'anycheck_service_state{service="web",state="up"}' 1 10
metric_is "recovered: down -> rising counted" 'anycheck_service_transitions_total{service="web",from="down",to="rising"}' 1 3

# Maintenance: the file appears; drained, then disabled.
touch "$maintenance"
metric_is "maintenance: source file" 'anycheck_service_maintenance{service="web",source="file"}' 1 5
metric_is "maintenance: disabled" 'anycheck_service_state{service="web",state="disabled"}' 1 5
metric_is "maintenance: withdrawn" 'anycheck_service_announced{service="web",prefix="192.0.2.1/32"}' 0 3
metric_is "maintenance: drained first" 'anycheck_service_transitions_total{service="web",from="up",to="draining"}' 1 3
scrape >"$LAB_DIR/scrape-maintenance.txt"
promtool_clean "maintenance: promtool check metrics" "$LAB_DIR/scrape-maintenance.txt"

# The textfile: whole at every read (written to a temporary file and
# renamed), the same families, clean for promtool.
whole=0
for _ in $(seq 1 20); do
	if cp "$textfile" "$LAB_DIR/textfile.copy" 2>/dev/null &&
	    tail -n 1 "$LAB_DIR/textfile.copy" | grep -q '^anycheck_reload_timestamp_seconds \|^process_start_time_seconds '; then
		whole=$((whole + 1))
	fi
	sleep 0.1
done
check "textfile: whole at each of 20 reads" "$whole of 20 complete" [ "$whole" = 20 ]
check "textfile: shows the maintenance" "no disabled state" \
    grep -qxF 'anycheck_service_state{service="web",state="disabled"} 1' "$LAB_DIR/textfile.copy"
promtool_clean "textfile: promtool check metrics" "$LAB_DIR/textfile.copy"
check "textfile: no temporary file left" "$(ls "$LAB_DIR")" \
    [ "$(find "$LAB_DIR" -maxdepth 1 -name '*.prom.*' | wc -l)" = 0 ]

# Hooks: every change, in order, with the prefixes.
rm -f "$maintenance"
metric_is "maintenance over: up" 'anycheck_service_state{service="web",state="up"}' 1 10
sleep 0.5
check "hooks: the failover and the maintenance" "$(tr '\n' ';' <"$hooklog" 2>/dev/null)" \
    grep -q 'web UP FALLING 192.0.2.1/32' "$hooklog"
check "hooks: drained into maintenance" "$(tr '\n' ';' <"$hooklog" 2>/dev/null)" \
    grep -q 'web DRAINING DISABLED 192.0.2.1/32' "$hooklog"

lab_site_exabgp_stop A 10 >/dev/null 2>&1 || true
lab_cleanup
finish
