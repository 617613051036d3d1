#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: integration test of anycheck-exabgp's lifecycle features at the router
#
# In the lab (helpers/lab.sh: a router running BIRD 2, site A running ExaBGP
# whose process is anycheck-exabgp, a client), checks what the router and
# the log show for: a maintenance drain (GRACEFUL_SHUTDOWN community
# 65535:0, then no route), a drain ended early by the last client
# connection closing, the anti-flap hold-down of a bouncing service, SIGHUP
# with a broken config (nothing changes), SIGHUP adding and removing
# services, "down" attributes (the route stays with MED 1000), SIGUSR1, and
# SIGTERM (drain_on_exit drains then withdraws, on_exit "keep" stays, exit
# status 0).
#
# Most services use a file check (a file in the lab dir that the test
# creates or removes) so their health is set exactly; "web" checks the
# site's real HTTP service on 192.0.2.1. ExaBGP runs a small wrapper (made
# here) as its process: it runs anycheck-exabgp with its stderr in
# LAB_DIR/anycheck.log, writes its exit status to LAB_DIR/anycheck.status,
# forwards SIGTERM/SIGINT to it, and once LAB_DIR/no-respawn exists idles
# instead of starting anycheck-exabgp again (ExaBGP respawns a process that
# exits). ExaBGP logs at DEBUG so the commands it receives are in its log.
#
# Needs root. Environment:
#   ANYCHECK_EXABGP  the binary (default $BUILD_DIR/anycheck-exabgp,
#                    BUILD_DIR defaulting to ./build of the repository)
#   ACKS="true false" the api.ack values to run (default both)
# Prints "PASS name" / "FAIL name (why)" per assertion, then
# "N passed, N failed"; exits non-zero on any failure.

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=helpers/lab.sh
. "$repo/helpers/lab.sh"
# shellcheck source=tests/integration/harness.sh
. "$here/harness.sh"

harness_need_root
harness_need_programs ip "$LAB_BIRD" "$LAB_BIRDC" "$LAB_PYTHON" curl ss "$LAB_EXABGP"
harness_binary ANYCHECK_EXABGP anycheck-exabgp
export LAB_EXABGP_LOG_LEVEL=DEBUG LAB_QUIET=${LAB_QUIET:-1}

WEB=192.0.2.1/32
MAINT=192.0.2.11/32
FLAP=192.0.2.12/32
MED=192.0.2.13/32
GONE=192.0.2.14/32
EXIT=192.0.2.15/32
KEEP=192.0.2.16/32
ADDED=192.0.2.2/32
HOLD_DOWN=2

# ---------------------------------------------------------------- helpers

now() { date +%s.%N; }

# ge A B / lt A B: numeric comparisons of decimals.
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

# route_time P: the time stamp of the router's route for P ("12:00:01.234").
route_time() {
	lab_birdc show route "$1" 2>/dev/null |
	    awk -v p="$1" '$1 == p { if (match($0, /\[[^] ]+ [^]]+\]/)) {
	        s = substr($0, RSTART + 1, RLENGTH - 2); sub(/^[^ ]+ /, "", s);
	        print s; exit } }'
}

# route_times P...: the time stamps of the routes for P..., one a line.
route_times() {
	local p
	for p; do route_time "$p"; done
}

# same_times A B: two lists of time stamps are the same, each within 50 ms
# (BIRD prints its monotonic route time converted to the wall clock, which
# can move by a millisecond between two looks; a route announced again has
# a time stamp at least a second later here). Also false when either list
# misses a time stamp (a route is gone).
same_times() {
	[ -n "$1" ] && [ "$(printf '%s\n' "$1" | wc -l)" = "$(printf '%s\n' "$2" | wc -l)" ] &&
	    printf '%s\n%s\n' "$1" "$2" | awk '
	    { split($1, t, ":"); v[NR] = (t[1] * 3600 + t[2] * 60 + t[3]) * 1000 }
	    $1 !~ /^[0-9][0-9]:[0-9][0-9]:[0-9.]+$/ { bad = 1 }
	    END { n = NR / 2; for (i = 1; i <= n; i++) { d = v[i] - v[i + n];
	        if (d < -50 || d > 50) bad = 1 } exit bad }'
}

# route_med P: the BGP.med of the router's route for P.
route_med() {
	lab_router_routes "$1" 2>/dev/null | awk '$1 == "BGP.med:" { print $2; exit }'
}

# route_med_is P M: present with MED M.
route_med_is() { [ "$(route_med "$1")" = "$2" ]; }

# route_gshut P: the router's route for P carries community (65535,0).
route_gshut() {
	lab_router_routes "$1" 2>/dev/null | grep -q '^[[:space:]]*BGP.community:.*(65535,0)'
}

# The anycheck log, and marks in it: log_mark prints its line count now;
# log_since MARK ERE greps the lines after MARK.
log_mark() { wc -l <"$LAB_DIR/anycheck.log"; }
log_since() { tail -n "+$(($1 + 1))" "$LAB_DIR/anycheck.log" | grep -E -- "$2"; }
log_has() { log_since "$1" "$2" >/dev/null; }
wait_log() { lab_wait_for "$3" log_has "$1" "$2"; }

# Lines ExaBGP received from its process since MARK of the ExaBGP log.
exa_mark() { wc -l <"$LAB_DIR/site-A/exabgp.log"; }
exa_commands_since() {
	tail -n "+$(($1 + 1))" "$LAB_DIR/site-A/exabgp.log" |
	    grep -E 'command from process [^ ]+ : (announce|withdraw)' || true
}

# The running anycheck-exabgp: the child of the wrapper ExaBGP runs.
anycheck_pid() {
	local wrapper
	wrapper=$(lab_site_exabgp_children A)
	[ -n "$wrapper" ] || return 1
	pgrep -P "$wrapper" -x anycheck-exabgp
}

# route_check NAME P present|absent TIMEOUT
route_check() {
	if lab_wait_route "$2" "$3" "$4"; then pass "$1"; else fail "$1" "$2 not $3 at the router within ${4}s"; fi
}

dump_route() {
	echo "  --- router: show route $1 all ---"
	lab_router_routes "$1" 2>&1 | sed 's/^/  | /'
}

ok_file() { echo "$LAB_DIR/ok-$1"; }
maint_file() { echo "$LAB_DIR/maint-$1"; }

# file_service NAME PREFIX EXTRA_JSON: a service healthy while ok-NAME exists.
file_service() {
	cat <<EOF
		{
			"name": "$1",
			"prefixes": ["$2"],
			"checks": [ { "type": "file", "path": "$(ok_file "$1")" } ],
			"announce": { "med": 100 }$3
		}
EOF
}

# write_config FILE [added] [without-gone] [broken]
write_config() {
	local file=$1 with_added=0 with_gone=1 broken=0 arg
	shift
	for arg; do
		case $arg in
		added) with_added=1 ;;
		without-gone) with_gone=0 ;;
		broken) broken=1 ;;
		esac
	done
	{
		cat <<EOF
{
	"local_as": 65001,
	"control": { "socket": "$LAB_DIR/anycheck.sock" },
	"state_directory": "$LAB_DIR",
	"defaults": {
		"interval": 0.2, "fast_interval": 0.1, "timeout": 0.5,
		"rise": 2, "fall": 1, "hold_down": 0
	},
	"services": [
		{
			"name": "web",
			"prefixes": ["$WEB"],
			"checks": [
				{ "type": "http", "url": "http://192.0.2.1/", "expect_status": [200] }
			],
			"maintenance_file": "$(maint_file web)",
			"announce": { "med": 100 },
			"drain": { "seconds": 20, "connections": { "max": 0, "ports": [80] } }
		},
EOF
		file_service maint "$MAINT" ",
			\"maintenance_file\": \"$(maint_file maint)\",
			\"drain\": { \"seconds\": 2 }"
		echo ","
		file_service flap "$FLAP" ",
			\"hold_down\": $HOLD_DOWN, \"flap_window\": 60"
		echo ","
		file_service med "$MED" ",
			\"down\": { \"med\": 1000 }"
		if [ "$with_gone" = 1 ]; then
			echo ","
			file_service gone "$GONE" ",
			\"drain\": { \"seconds\": 2 }"
		fi
		echo ","
		file_service exit "$EXIT" ",
			\"drain_on_exit\": true,
			\"drain\": { \"seconds\": 2 }"
		echo ","
		if [ "$broken" = 1 ]; then
			file_service keep "$KEEP" ",
			\"on_exit\": \"keep\", \"colour\": \"blue\", \"rise\": 0"
		else
			file_service keep "$KEEP" ",
			\"on_exit\": \"keep\""
		fi
		if [ "$with_added" = 1 ]; then
			echo ","
			file_service added "$ADDED" ""
		fi
		printf '\t]\n}\n'
	} >"$file"
}

write_wrapper() {
	cat >"$LAB_DIR/wrapper.sh" <<EOF
#!/bin/bash
# Runs anycheck-exabgp for ExaBGP; see the DOC of $0.
if [ -e "$LAB_DIR/no-respawn" ]; then
	exec sleep 600
fi
"$ANYCHECK_EXABGP" "\$@" 0<&0 2>>"$LAB_DIR/anycheck.log" &
child=\$!
trap 'kill -TERM \$child 2>/dev/null' TERM
trap 'kill -INT \$child 2>/dev/null' INT
while :; do
	wait \$child
	rc=\$?
	kill -0 \$child 2>/dev/null || break
done
echo "\$rc" >>"$LAB_DIR/anycheck.status"
exit "\$rc"
EOF
	chmod 755 "$LAB_DIR/wrapper.sh"
}

# ---------------------------------------------------------------- scenario

scenario() {
	local ack=$1 t="[ack=$1]" cfg pid mark emark t0 t1 el el1 el2 name
	local ts_web ts_before ts_keep p ok
	lab_init "alc$([ "$ack" = true ] && echo t || echo f)" || {
		fail "$t setup" "lab_init"
		return
	}
	cfg="$LAB_DIR/anycheck.json"
	: >"$LAB_DIR/anycheck.log"
	for name in maint flap med gone exit keep added; do
		touch "$(ok_file "$name")"
	done
	write_config "$cfg"
	write_wrapper
	if ! "$ANYCHECK_EXABGP" -n -c "$cfg" >/dev/null; then
		fail "$t setup" "the test's config is invalid"
		lab_cleanup
		return
	fi
	if ! { lab_router && lab_site A 65001 && lab_client &&
	    lab_site_exabgp A "$ack" "$LAB_DIR/wrapper.sh" -c "$cfg"; }; then
		fail "$t setup" "the lab did not come up; see messages above"
		lab_cleanup
		return
	fi
	ok=1
	for p in $WEB $MAINT $FLAP $MED $GONE $EXIT $KEEP; do
		lab_wait_route "$p" present 10 || ok=0
	done
	check "$t every service announced once healthy" "see above" [ "$ok" = 1 ]
	pid=$(anycheck_pid)
	check "$t anycheck-exabgp runs under ExaBGP" "no anycheck-exabgp child of the wrapper" [ -n "$pid" ]

	# (9) SIGUSR1: one line per service with its state.
	mark=$(log_mark)
	kill -USR1 "$pid"
	wait_log "$mark" 'state of 7 services:' 3 || true
	sleep 0.3
	ok=1
	for name in web maint flap med gone exit keep; do
		log_has "$mark" "service $name: UP for [0-9.]+ s.*announced with the UP attributes" || ok=0
	done
	[ "$(log_since "$mark" ' service [a-z]+: [A-Z]+ for [0-9.]+ s' | wc -l)" = 7 ] || ok=0
	check "$t SIGUSR1: a line per service with its state" \
	    "got: $(log_since "$mark" 'state of|for [0-9.]+ s' | tr '\n' '|')" [ "$ok" = 1 ]

	# (7) down: {med: 1000}: a failed service stays, less preferred.
	check "$t down attributes: announced with MED 100 while UP" \
	    "MED is '$(route_med "$MED")'" route_med_is "$MED" 100
	rm -f "$(ok_file med)"
	if lab_wait_for 3 route_med_is "$MED" 1000; then
		sleep 0.5
		check "$t down attributes: the failed service stays at the router with MED 1000" \
		    "MED is '$(route_med "$MED")' 0.5 s later" route_med_is "$MED" 1000
	else
		fail "$t down attributes: the failed service stays at the router with MED 1000" \
		    "$(dump_route "$MED")"
	fi
	touch "$(ok_file med)"
	check "$t down attributes: MED 100 again on recovery" \
	    "MED is '$(route_med "$MED")'" lab_wait_for 3 route_med_is "$MED" 100

	# (1) Maintenance file: drain with 65535:0, then no route.
	mark=$(log_mark)
	t0=$(now)
	touch "$(maint_file maint)"
	if lab_wait_for 2 route_gshut "$MAINT"; then
		pass "$t maintenance: the router sees the route with community (65535,0)"
	else
		fail "$t maintenance: the router sees the route with community (65535,0)" "$(dump_route "$MAINT")"
	fi
	route_check "$t maintenance: then the route is withdrawn" "$MAINT" absent 5
	el=$(lab_elapsed_since "$t0")
	echo "  maintenance drain: route gone ${el}s after the file appeared (drain.seconds 2)"
	check "$t maintenance: withdrawn after the drain's 2 s, not before" "after ${el}s" ge "$el" 1.9
	check "$t maintenance: log says the drain started and why" "$(log_since "$mark" maint)" \
	    log_has "$mark" "service maint: drain started \(maintenance: maintenance file $(maint_file maint) appeared\)"
	check "$t maintenance: log says how the drain ended" "$(log_since "$mark" maint)" \
	    log_has "$mark" 'service maint: drain ended after [0-9.]+ s: time bound reached'
	check "$t maintenance: log says DISABLED" "$(log_since "$mark" maint)" \
	    log_has "$mark" 'service maint: DRAINING -> DISABLED'

	# (3) Anti-flap: the second DOWN within flap_window holds the next UP.
	mark=$(log_mark)
	rm -f "$(ok_file flap)"
	route_check "$t flap: 1st failure withdraws" "$FLAP" absent 3
	t0=$(now)
	touch "$(ok_file flap)"
	route_check "$t flap: 1st recovery announces" "$FLAP" present 5
	el1=$(lab_elapsed_since "$t0")
	rm -f "$(ok_file flap)"
	route_check "$t flap: 2nd failure withdraws" "$FLAP" absent 3
	t0=$(now)
	touch "$(ok_file flap)"
	route_check "$t flap: 2nd recovery announces" "$FLAP" present 8
	el2=$(lab_elapsed_since "$t0")
	echo "  flap: back ${el1}s after the 1st recovery, ${el2}s after the 2nd (hold_down $HOLD_DOWN)"
	check "$t flap: 1st return not held down (< hold_down)" "took ${el1}s" lt "$el1" "$HOLD_DOWN"
	check "$t flap: 2nd return delayed by >= hold_down" "took ${el2}s" ge "$el2" "$HOLD_DOWN"
	check "$t flap: log says held down" "$(log_since "$mark" flap)" \
	    log_has "$mark" "service flap: held down for $HOLD_DOWN s: 2nd DOWN in 60 s"
	check "$t flap: log says the hold-down was served" "$(log_since "$mark" flap)" \
	    log_has "$mark" 'service flap: hold-down served'

	# (2) A drain ended by connections: an idle client connection holds
	# it; closing it ends the drain long before drain.seconds (20).
	lab_spawn conn "$LAB_DIR/conn.log" client bash -c \
	    'exec 3<>/dev/tcp/192.0.2.1/80 && echo open && exec sleep 60'
	if ! lab_wait_for 3 eval "lab_exec A ss -Htn state established '( sport = :80 )' | grep -q 203.0.113.2"; then
		fail "$t connection drain: setup" "the client connection did not open: $(cat "$LAB_DIR/conn.log")"
	fi
	mark=$(log_mark)
	touch "$(maint_file web)"
	t0=$(now)
	if lab_wait_for 2 route_gshut "$WEB"; then
		pass "$t connection drain: the router sees (65535,0)"
	else
		fail "$t connection drain: the router sees (65535,0)" "$(dump_route "$WEB")"
	fi
	sleep 1.5
	kill -USR1 "$(anycheck_pid)"
	sleep 1.5
	check "$t connection drain: an open client connection keeps the drain going (3 s)" \
	    "$(dump_route "$WEB")" route_gshut "$WEB"
	t1=$(now)
	lab_stop conn 2
	route_check "$t connection drain: withdrawn once the connection closes" "$WEB" absent 3
	el=$(lab_elapsed_since "$t1")
	el1=$(lab_elapsed_since "$t0")
	echo "  connection drain: withdrawn ${el}s after the connection closed, ${el1}s after the drain started (drain.seconds 20)"
	check "$t connection drain: ended well before drain.seconds" "after ${el1}s" lt "$el1" 10
	check "$t connection drain: log says ended by connections" "$(log_since "$mark" 'web|drain')" \
	    log_has "$mark" 'service web: drain ended after [0-9.]+ s: connections drained; 0 connections left'
	check "$t connection drain: SIGUSR1 during it: draining, 1 connection left" "$(log_since "$mark" 'web|drain')" \
	    log_has "$mark" 'service web: DRAINING for [0-9.]+ s.*draining \(maintenance\) for [0-9.]+ s, [0-9.]+ s left, 1 connection left'
	rm -f "$(maint_file web)"
	route_check "$t maintenance over: web announced again" "$WEB" present 5

	# (4) SIGHUP with a broken config: nothing changes.
	pid=$(anycheck_pid)
	sleep 1.1       # a re-announce now would change the route's time stamp
	ts_web=$(route_time "$WEB")
	ts_before=$(route_times $WEB $FLAP $MED $GONE $EXIT $KEEP)
	cp "$cfg" "$cfg.good"
	write_config "$cfg" broken
	mark=$(log_mark)
	emark=$(exa_mark)
	kill -HUP "$pid"
	check "$t broken reload: log says reload failed" "$(log_since "$mark" .)" \
	    wait_log "$mark" 'reload failed; still running the previous configuration' 3
	check "$t broken reload: log has the unknown key" "$(log_since "$mark" .)" \
	    log_has "$mark" 'services\[6\]\.colour: unknown key "colour"'
	check "$t broken reload: log has the bad rise" "$(log_since "$mark" .)" \
	    log_has "$mark" 'services\[6\]\.rise: '
	sleep 1
	check "$t broken reload: the route stays, same time stamp at the router" \
	    "was '$ts_web', now '$(route_time "$WEB")'" same_times "$(route_time "$WEB")" "$ts_web"
	check "$t broken reload: no route of any service touched" \
	    "time stamps were '$ts_before'" \
	    same_times "$(route_times $WEB $FLAP $MED $GONE $EXIT $KEEP)" "$ts_before"
	check "$t broken reload: nothing sent to ExaBGP" "sent: $(exa_commands_since "$emark")" \
	    [ -z "$(exa_commands_since "$emark")" ]
	check "$t broken reload: still the same process" "pid was $pid, now '$(anycheck_pid)'" \
	    [ "$(anycheck_pid)" = "$pid" ]

	# (5) SIGHUP adding a service: announced; the others untouched.
	write_config "$cfg" added
	mark=$(log_mark)
	emark=$(exa_mark)
	kill -HUP "$pid"
	route_check "$t reload adds a service: its prefix is announced" "$ADDED" present 5
	check "$t reload adds a service: log says so" "$(log_since "$mark" .)" \
	    log_has "$mark" 'reloaded .*: 7 unchanged, 0 changed, 1 added, 0 removed'
	check "$t reload adds a service: the existing route's time stamp is unchanged" \
	    "was '$ts_web', now '$(route_time "$WEB")'" same_times "$(route_time "$WEB")" "$ts_web"
	check "$t reload adds a service: no route of the others touched" \
	    "time stamps were '$ts_before'" \
	    same_times "$(route_times $WEB $FLAP $MED $GONE $EXIT $KEEP)" "$ts_before"
	check "$t reload adds a service: only its announce sent to ExaBGP" \
	    "sent: $(exa_commands_since "$emark")" \
	    [ -z "$(exa_commands_since "$emark" | grep -v "announce route $ADDED ")" ]

	# (6) SIGHUP removing an announced service: drain, then withdraw.
	write_config "$cfg" added without-gone
	mark=$(log_mark)
	emark=$(exa_mark)
	t0=$(now)
	kill -HUP "$pid"
	if lab_wait_for 2 route_gshut "$GONE"; then
		pass "$t reload removes a service: the router sees (65535,0)"
	else
		fail "$t reload removes a service: the router sees (65535,0)" "$(dump_route "$GONE")"
	fi
	route_check "$t reload removes a service: then withdrawn" "$GONE" absent 5
	el=$(lab_elapsed_since "$t0")
	echo "  removed service: withdrawn ${el}s after SIGHUP (drain.seconds 2)"
	check "$t reload removes a service: withdrawn after the drain's 2 s" "after ${el}s" ge "$el" 1.9
	check "$t reload removes a service: log says drain started (removed)" "$(log_since "$mark" .)" \
	    log_has "$mark" 'service gone: drain started \(removed from the config'
	check "$t reload removes a service: log says the drain ended" "$(log_since "$mark" .)" \
	    log_has "$mark" 'service gone: drain ended after [0-9.]+ s: time bound reached'
	check "$t reload removes a service: the others untouched" \
	    "time stamps were '$ts_before'" \
	    same_times "$(route_times $WEB $FLAP $MED $EXIT $KEEP)" "$(echo "$ts_before" | sed 4d)"
	check "$t reload removes a service: only its routes sent to ExaBGP" \
	    "sent: $(exa_commands_since "$emark")" \
	    [ -z "$(exa_commands_since "$emark" | grep -v "route $GONE ")" ]
	# Rounds go on after two reloads and a removed service's config freed.
	sleep 1
	check "$t two reloads later: still the same process, checks running" \
	    "pid was $pid, now '$(anycheck_pid)'" [ "$(anycheck_pid)" = "$pid" ]

	# (9) A crash after an edit: "added" is removed from the file, then
	# anycheck-exabgp dies (kill -9) before any SIGHUP. ExaBGP starts it
	# again, and the new process withdraws "added" at once (from its state
	# file) and withdraws nothing else.
	write_config "$cfg" without-gone
	emark=$(exa_mark)
	old_pid=$pid
	t0=$(now)
	kill -KILL "$pid"
	route_check "$t crash after an edit: the removed service's route is withdrawn" \
	    "$ADDED" absent 10
	el=$(lab_elapsed_since "$t0")
	echo "  crash after an edit: withdrawn ${el}s after kill -9 (ExaBGP's respawn included)"
	lab_wait_for 10 anycheck_pid >/dev/null
	pid=$(anycheck_pid)
	check "$t crash after an edit: ExaBGP started a new process" \
	    "pid was $old_pid, now '$pid'" [ -n "$pid" ] && [ "$pid" != "$old_pid" ]
	check "$t crash after an edit: the new process says why it withdrew" \
	    "$(tail -n 20 "$LAB_DIR/anycheck.log")" \
	    grep -Eq 'withdrawing [0-9]+ routes? the last run may have announced' \
	    "$LAB_DIR/anycheck.log"
	# The killed process's status; the exit checked below is the new one's.
	check "$t crash after an edit: the wrapper saw the kill" \
	    "status '$(cat "$LAB_DIR/anycheck.status" 2>/dev/null)'" \
	    [ "$(cat "$LAB_DIR/anycheck.status" 2>/dev/null)" = 137 ]
	: >"$LAB_DIR/anycheck.status"
	sleep 1
	# Routes no service has or that are withdrawn anyway may be withdrawn
	# again; nothing that is announced is.
	for p in $WEB $FLAP $MED $EXIT $KEEP; do
		check "$t crash after an edit: $p not withdrawn" \
		    "sent: $(exa_commands_since "$emark")" \
		    [ -z "$(exa_commands_since "$emark" | grep "withdraw route $p ")" ]
		route_check "$t crash after an edit: $p still at the router" "$p" present 3
	done

	# (8) SIGTERM: "exit" drains then is withdrawn, "keep" stays,
	# the others are withdrawn, exit status 0. The wrapper does not
	# start anycheck-exabgp again.
	touch "$LAB_DIR/no-respawn"
	ts_keep=$(route_time "$KEEP")
	mark=$(log_mark)
	t0=$(now)
	kill -TERM "$pid"
	if lab_wait_for 2 route_gshut "$EXIT"; then
		pass "$t SIGTERM: drain_on_exit: the router sees (65535,0)"
	else
		fail "$t SIGTERM: drain_on_exit: the router sees (65535,0)" "$(dump_route "$EXIT")"
	fi
	route_check "$t SIGTERM: a service without drain_on_exit is withdrawn" "$WEB" absent 3
	route_check "$t SIGTERM: drain_on_exit: then withdrawn" "$EXIT" absent 5
	el=$(lab_elapsed_since "$t0")
	echo "  SIGTERM: the drain_on_exit service withdrawn ${el}s after SIGTERM (drain.seconds 2)"
	check "$t SIGTERM: withdrawn after the drain's 2 s" "after ${el}s" ge "$el" 1.9
	check "$t SIGTERM: anycheck-exabgp exits" "pid $pid still there" lab_wait_for 3 lab_pid_gone "$pid"
	lab_wait_for 2 test -s "$LAB_DIR/anycheck.status" || true
	check "$t SIGTERM: exit status 0" "status '$(cat "$LAB_DIR/anycheck.status" 2>/dev/null)'" \
	    [ "$(cat "$LAB_DIR/anycheck.status" 2>/dev/null)" = 0 ]
	sleep 1
	check "$t SIGTERM: on_exit keep: the route stays at the router, same time stamp" \
	    "was '$ts_keep', now '$(route_time "$KEEP")'" same_times "$(route_time "$KEEP")" "$ts_keep"
	ok=1
	for p in $MED $FLAP $ADDED; do lab_router_has_route "$p" && ok=0; done
	check "$t SIGTERM: every other service withdrawn" "a route is left" [ "$ok" = 1 ]
	check "$t SIGTERM: log says the exit drain started" "$(log_since "$mark" .)" \
	    log_has "$mark" 'service exit: drain started \(exit'
	check "$t SIGTERM: log says keep" "$(log_since "$mark" .)" \
	    log_has "$mark" 'service keep: on_exit keep'

	lab_site_exabgp_stop A 5 || fail "$t ExaBGP stops within 5 s" "it hung"
	check "$t no crash or sanitizer report in the anycheck log" \
	    "$(grep -E -m 3 'Sanitizer|runtime error|Segmentation' "$LAB_DIR/anycheck.log" "$LAB_DIR/site-A/exabgp.out")" \
	    eval "! grep -q -E 'Sanitizer|runtime error|Segmentation' '$LAB_DIR/anycheck.log' '$LAB_DIR/site-A/exabgp.out'"
	if grep -q "Too many death" "$LAB_DIR/site-A/exabgp.log" 2>/dev/null; then
		fail "$t no process respawn storm" "ExaBGP logged 'Too many death'"
	fi
	if [ "$failed" != 0 ]; then
		lab_log_tail "$LAB_DIR/anycheck.log" 40
	fi
	lab_cleanup
}

for ack in ${ACKS:-true false}; do
	case $ack in
	true | false) scenario "$ack" ;;
	*) fail "setup" "ACKS must hold true/false, got '$ack'" ;;
	esac
done
finish
