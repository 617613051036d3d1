# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# DOC: the chaos soak shared by test_chaos_exabgp.sh and test_chaos_bird.sh
#
# Sourced; chaos_main exabgp|bird runs it. In the lab (helpers/lab.sh): the
# router (BIRD 2) and one site peering with it over IPv4 and IPv6, either
# ExaBGP + anycheck-exabgp or BIRD 2 + anycheck-bird, with CHAOS_SERVICES
# services (300), each owning one prefix (192.0.2.10-249/32 and
# 2001:db8::c:N/128, the ranges the lab router imports) and checked by a
# file check on a file the soak owns, so the ground truth is exact. Most
# services carry a MED and a community, some announce with `down` or
# `disabled` attribute sets (MED 1000 / 500 and a community), so attributes
# matter, not only presence.
#
# For CHAOS_SECONDS (90) a schedule drawn from CHAOS_SEED (printed; random
# when unset) runs:
#   - health flips and maintenance files (not the same service twice in 3 s);
#   - reloads (SIGHUP) that add, remove, change attributes of and move
#     prefixes between services (swaps, fresh prefixes); the soak waits for
#     the "reloaded" log line and only then expects the new config;
#   - invalid configs on SIGHUP (an unknown key, rise 0, a prefix in two
#     services, a bad prefix, a cut file): "reload failed" must be logged
#     and nothing may change (any change shows as a divergence);
#   - BIRD only: `birdc configure` at the site and hand toggles
#     (`birdc enable`/`disable` of anycheck's protocols), which anycheck-bird
#     must undo (bird.verify_interval 1 s);
# and, spread over the run, disruptions, each inside a recorded window:
#   - kill -9 of anycheck (ExaBGP respawns its process; anycheck-bird is
#     started again) and kill -9 + restart of the routing daemon, both in
#     the first 40 % of the run only, so the anycheck process that ends the
#     run has lived through the rest (its RSS and fds are compared);
#   - BGP session flaps (disable/enable at the router) and SIGSTOP/SIGCONT
#     of the routing daemon (ExaBGP: 1-4 s, under the 9 s hold time; BIRD:
#     BFD drops the session in 0.3 s), anywhere in the run.
# A monitor (chaos_monitor.py) compares, every second, the expected routes
# with the router's (prefix, MED, communities) and records every divergence.
#
# Bounds (see docs/testing.md, Chaos soaks): a divergence may last at most
# CHAOS_BOUND (4) s outside the disruption windows, each window extended by
# CHAOS_GRACE (5) s after the routing is back (session Established, new
# anycheck running). Timings: interval 0.5 s, fast_interval 0.1 s, rise 2,
# fall 1, hold_down 0, drain.seconds 0: a flip is decided within 0.5 s
# (failure) or 0.7 s (recovery), the routing daemon and the router add
# milliseconds, and the monitor samples once a second, so a divergence
# normally spans one or two samples; 4 s leaves room for a slow sanitized
# build on a shared machine, and stays well below anything a real bug
# leaves (a lost update stays wrong until the next change, typically tens
# of seconds). After a disruption: the session re-establishes (BIRD's
# connect delay 1 s), the restarted anycheck starts in INIT and rises in
# ~0.3 s, anycheck-bird re-applies ~150 protocols: measured, every
# divergence was gone 0.2-2.4 s after a window's end; 5 s covers that.
#
# At the end: the router must converge to exactly the expected routes,
# anycheck must exit 0 on SIGTERM, its log must hold no sanitizer report,
# abort or "out of memory", no anycheck process may have died other than
# by the soak's kill -9, every fault kind must have happened, and anycheck's
# open fds and RSS must be flat: the value at the middle of the run (after
# warm-up) against the last one, fds within CHAOS_FD_SLACK (2) and RSS
# within CHAOS_RSS_SLACK_PERCENT (10 %) + 1 MiB. Both are printed, with the
# RSS curve (every tenth of the run).
#
# Environment: CHAOS_SECONDS, CHAOS_SEED, CHAOS_SERVICES, CHAOS_BOUND,
# CHAOS_GRACE; ANYCHECK_EXABGP / ANYCHECK_BIRD (the daemon to run: the
# build-asan one in tests/run.sh); CHAOS_KEEP=DIR copies the soak's records
# (samples, events, windows, logs) there before the lab is removed.

chaos_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
chaos_repo=$(cd "$chaos_here/../.." && pwd)
# shellcheck source=helpers/lab.sh
. "$chaos_repo/helpers/lab.sh"
# shellcheck source=tests/integration/harness.sh
. "$chaos_here/harness.sh"

CHAOS_MONITOR="$chaos_here/chaos_monitor.py"

# ---------------------------------------------------------------- model
# Per service i (0..N-1): pfx[i] its prefix ("" when not configured),
# med[i] / comm[i] its UP MED and community value ("" = none), down[i] and
# dis[i] "w" (withdraw) or the MED of that attribute set.
pfx=() med=() comm=() down=() dis=() touched=()
free4=()
next6=0

chaos_now() { date +%s.%N; }
chaos_t() { lab_elapsed_since "$chaos_t0"; }

# chaos_rand N: a number 0..N-1 from the seeded sequence.
chaos_rand() { echo $((RANDOM % $1)); }

chaos_event() {
	printf 'E %s %s\n' "$(chaos_now)" "$*" >>"$CHAOS_DIR/events"
	counts[$1]=$((${counts[$1]:-0} + 1))
}

chaos_window() {	# begin|end KIND
	printf '%s %s %s\n' "$1" "$(chaos_now)" "$2" >>"$CHAOS_DIR/windows"
}

# A new IPv6 prefix into REPLY.
chaos_new6() {
	printf -v REPLY '2001:db8::c:%x/128' "$next6"
	next6=$((next6 + 1))
}

# Take a free IPv4 prefix (random) into REPLY, or an IPv6 one when none.
chaos_fresh_prefix() {
	local i
	if [ "${#free4[@]}" -gt 0 ] && [ "$(chaos_rand 2)" = 0 ]; then
		i=$(chaos_rand "${#free4[@]}")
		REPLY=${free4[$i]}
		free4=("${free4[@]:0:$i}" "${free4[@]:$((i + 1))}")
	else
		chaos_new6
	fi
}

chaos_release_prefix() {
	case $1 in 192.0.2.*) free4+=("$1") ;; esac
}

chaos_model_init() {
	local i n=$1 a
	for a in $(seq 10 249); do free4+=("192.0.2.$a/32"); done
	for ((i = 0; i < n; i++)); do
		if [ $((i % 2)) = 0 ]; then
			pfx[i]=${free4[0]}
			free4=("${free4[@]:1}")
		else
			chaos_new6
			pfx[i]=$REPLY
		fi
		chaos_random_attrs "$i"
		touched[i]=0
		touch "$CHAOS_DIR/ok/$i"
	done
}

# New random attributes for service I.
chaos_random_attrs() {
	local i=$1
	case $(chaos_rand 8) in 0) med[i]="" ;; *) med[i]=$((100 + 10 * $(chaos_rand 20))) ;; esac
	case $(chaos_rand 4) in 0) comm[i]="" ;; *) comm[i]=$((1 + $(chaos_rand 9999))) ;; esac
	case $(chaos_rand 3) in 0) down[i]=$((1000 + $(chaos_rand 10))) ;; *) down[i]=w ;; esac
	case $(chaos_rand 4) in 0) dis[i]=$((500 + $(chaos_rand 10))) ;; *) dis[i]=w ;; esac
}

chaos_name() { printf 's%03d' "$1"; }

# chaos_write_config FILE [BROKEN_KIND]
chaos_write_config() {
	local file=$1 broken=${2:-} i first=1 name attrs extra
	{
		printf '{\n\t"local_as": 65001,\n'
		printf '\t"control": { "socket": "%s/anycheck.sock" },\n' "$CHAOS_DIR"
		if [ "$CHAOS_BACKEND" = bird ]; then
			printf '\t"bird": { "socket": "%s", "verify_interval": 1, "include_file": "%s" },\n' \
			    "$(lab_site_bird_socket A)" "$LAB_DIR/site-A/anycheck.conf"
		else
			printf '\t"state_directory": "%s",\n' "$CHAOS_DIR"
		fi
		printf '\t"defaults": { "interval": 0.5, "fast_interval": 0.1, "timeout": 0.5, "rise": 2, "fall": 1, "hold_down": 0, "drain": { "seconds": 0 } },\n'
		[ "$broken" = key ] && printf '\t"colour": "blue",\n'
		printf '\t"services": [\n'
		for i in "${!pfx[@]}"; do
			[ -n "${pfx[i]}" ] || continue
			name=$(chaos_name "$i")
			[ "$first" = 1 ] || printf ',\n'
			first=0
			attrs=""
			[ -n "${med[i]}" ] && attrs="\"med\": ${med[i]}"
			[ -n "${comm[i]}" ] && attrs="$attrs${attrs:+, }\"communities\": [\"65001:${comm[i]}\"]"
			extra=""
			[ "${down[i]}" != w ] && extra="$extra, \"down\": { \"med\": ${down[i]}, \"communities\": [\"65001:1\"] }"
			[ "${dis[i]}" != w ] && extra="$extra, \"disabled\": { \"med\": ${dis[i]}, \"communities\": [\"65001:2\"] }"
			printf '\t\t{ "name": "%s", "prefixes": ["%s"], "checks": [ { "type": "file", "path": "%s/ok/%s" } ], "maintenance_file": "%s/maint/%s", "announce": { %s }%s }' \
			    "$name" "${pfx[i]}" "$CHAOS_DIR" "$i" "$CHAOS_DIR" "$i" "$attrs" "$extra"
		done
		case $broken in
		rise) printf ',\n\t\t{ "name": "broken", "prefixes": ["192.0.2.250/32"], "rise": 0, "checks": [ { "type": "file", "path": "/" } ] }' ;;
		duplicate) printf ',\n\t\t{ "name": "broken", "prefixes": ["%s"], "checks": [ { "type": "file", "path": "/" } ] }' "$(chaos_some_prefix)" ;;
		prefix) printf ',\n\t\t{ "name": "broken", "prefixes": ["192.0.2.300/32"], "checks": [ { "type": "file", "path": "/" } ] }' ;;
		esac
		printf '\n\t]\n}\n'
	} >"$file.tmp"
	if [ "$broken" = cut ]; then
		head -c $(($(wc -c <"$file.tmp") / 2)) "$file.tmp" >"$file.cut" && mv "$file.cut" "$file.tmp"
	fi
	mv "$file.tmp" "$file"
}

chaos_some_prefix() {
	local i
	for i in "${!pfx[@]}"; do [ -n "${pfx[i]}" ] && { echo "${pfx[i]}"; return; }; done
}

# A configured service (into REPLY) not touched within 3 s; 1 if none found.
chaos_pick() {
	local tries i now
	now=$(date +%s)
	for tries in 1 2 3 4 5 6 7 8; do
		i=$(chaos_rand "${#pfx[@]}")
		[ -n "${pfx[i]}" ] || continue
		[ $((now - touched[i])) -ge 3 ] || continue
		touched[i]=$now
		REPLY=$i
		return 0
	done
	return 1
}

# ---------------------------------------------------------------- anycheck

chaos_log() {	# the current anycheck log
	if [ "$CHAOS_BACKEND" = bird ]; then
		echo "$LAB_DIR/site-A/anycheck-bird.log"
	else
		echo "$CHAOS_DIR/anycheck.log"
	fi
}

# The pid of the running anycheck (empty if none is running).
chaos_anycheck_pid() {
	local pid
	pid=$(cat "$CHAOS_PIDFILE" 2>/dev/null) || return 0
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# Wait until an anycheck runs that has been up for at least a second (its
# signal handling is in place), other than OLD_PID: pid in REPLY.
chaos_wait_anycheck() {
	local old=${1:-} timeout=${2:-20} deadline pid age
	deadline=$(($(date +%s) + timeout))
	while [ "$(date +%s)" -le "$deadline" ]; do
		pid=$(chaos_anycheck_pid)
		if [ -n "$pid" ] && [ "$pid" != "$old" ]; then
			age=$(ps -o etimes= -p "$pid" 2>/dev/null | tr -d ' ')
			if [ -n "$age" ] && [ "$age" -ge 1 ]; then
				REPLY=$pid
				return 0
			fi
		fi
		sleep 0.2
	done
	return 1
}

chaos_write_wrapper() {
	cat >"$CHAOS_DIR/wrapper.sh" <<EOF
#!/bin/bash
# The soak's ExaBGP process: anycheck-exabgp with its stderr appended to
# anycheck.log, its pid in anycheck.pid and "pid status" in statuses.
"$ANYCHECK_EXABGP" "\$@" 0<&0 2>>"$CHAOS_DIR/anycheck.log" &
child=\$!
echo "\$child" >"$CHAOS_DIR/anycheck.pid"
trap 'kill -TERM \$child 2>/dev/null' TERM
trap 'kill -INT \$child 2>/dev/null' INT
# A trap interrupts wait (status 128+n); once the child is gone, wait
# gives its own status.
while kill -0 \$child 2>/dev/null; do
	wait \$child
done
wait \$child
rc=\$?
echo "\$child \$rc" >>"$CHAOS_DIR/statuses"
exit "\$rc"
EOF
	chmod 755 "$CHAOS_DIR/wrapper.sh"
}

chaos_sessions_up() {
	lab_bgp_established A 4 && lab_bgp_established A 6
}

chaos_wait_sessions() {
	lab_wait_for "${1:-20}" chaos_sessions_up
}

# Start the site with its routing daemon and anycheck.
chaos_start_site() {
	if [ "$CHAOS_BACKEND" = bird ]; then
		lab_site_bird A "$CHAOS_CONFIG"
	else
		LAB_EXABGP_IPV6=1 lab_site_exabgp A "$CHAOS_ACK" \
		    "$CHAOS_DIR/wrapper.sh" -c "$CHAOS_CONFIG"
	fi
}

# Copy the config to running.json once anycheck logged the reload: from
# then on the monitor expects it. MARK: the log's line count before SIGHUP.
chaos_reload() {
	local mark=$1 pid=$2 log
	log=$(chaos_log)
	kill -HUP "$pid" 2>/dev/null || return 1
	if lab_wait_for 10 eval "tail -n +$((mark + 1)) '$log' | grep -q 'reloaded $CHAOS_CONFIG'"; then
		cp "$CHAOS_CONFIG" "$CHAOS_DIR/running.json"
		return 0
	fi
	return 1
}

# ---------------------------------------------------------------- faults

chaos_do_flip() {
	chaos_pick || return 0
	if [ -e "$CHAOS_DIR/ok/$REPLY" ]; then
		rm -f "$CHAOS_DIR/ok/$REPLY"
		chaos_event flip "$(chaos_name "$REPLY") unhealthy"
	else
		touch "$CHAOS_DIR/ok/$REPLY"
		chaos_event flip "$(chaos_name "$REPLY") healthy"
	fi
}

chaos_do_maintenance() {
	chaos_pick || return 0
	if [ -e "$CHAOS_DIR/maint/$REPLY" ]; then
		rm -f "$CHAOS_DIR/maint/$REPLY"
		chaos_event maintenance "$(chaos_name "$REPLY") end"
	else
		touch "$CHAOS_DIR/maint/$REPLY"
		chaos_event maintenance "$(chaos_name "$REPLY") start"
	fi
}

# One to five changes, then SIGHUP.
chaos_do_reload() {
	local pid changes n what i j tmp mark log
	pid=$(chaos_anycheck_pid)
	[ -n "$pid" ] || return 0
	changes=""
	for ((n = 1 + $(chaos_rand 5); n > 0; n--)); do
		chaos_pick || continue
		i=$REPLY
		case $(chaos_rand 5) in
		0)	# remove i
			chaos_release_prefix "${pfx[i]}"
			pfx[i]=""
			what="remove $(chaos_name "$i")" ;;
		1)	# add: a service not configured now, or a new one
			for ((j = 0; j < ${#pfx[@]}; j++)); do [ -z "${pfx[j]}" ] && break; done
			[ "$j" -ge "${#pfx[@]}" ] && j=${#pfx[@]}
			chaos_fresh_prefix
			pfx[j]=$REPLY
			chaos_random_attrs "$j"
			touched[j]=$(date +%s)
			[ "$(chaos_rand 4)" = 0 ] || touch "$CHAOS_DIR/ok/$j"
			what="add $(chaos_name "$j") ${pfx[j]}" ;;
		2)	# change attributes
			chaos_random_attrs "$i"
			what="attributes $(chaos_name "$i")" ;;
		3)	# move: swap the prefixes of i and another service
			chaos_pick || continue
			j=$REPLY
			tmp=${pfx[i]}
			pfx[i]=${pfx[j]}
			pfx[j]=$tmp
			what="swap $(chaos_name "$i") $(chaos_name "$j")" ;;
		4)	# move: i gets a fresh prefix, its old one is free
			tmp=${pfx[i]}
			chaos_fresh_prefix
			pfx[i]=$REPLY
			chaos_release_prefix "$tmp"
			what="reprefix $(chaos_name "$i") $tmp -> ${pfx[i]}" ;;
		esac
		changes="$changes${changes:+; }$what"
	done
	[ -n "$changes" ] || return 0
	chaos_write_config "$CHAOS_CONFIG"
	if ! "$CHAOS_BINARY" -n -c "$CHAOS_CONFIG" >"$CHAOS_DIR/check.out" 2>&1; then
		fail "soak: the soak's own config is valid" "$(head -n 3 "$CHAOS_DIR/check.out")"
		return 1
	fi
	log=$(chaos_log)
	mark=$(wc -l <"$log")
	chaos_event reload "$changes"
	if ! chaos_reload "$mark" "$pid"; then
		chaos_event reload-lost "no 'reloaded' line within 10 s"
		reload_lost=$((reload_lost + 1))
		cp "$CHAOS_CONFIG" "$CHAOS_DIR/running.json"
	fi
}

chaos_do_invalid() {
	local pid kind mark log
	pid=$(chaos_anycheck_pid)
	[ -n "$pid" ] || return 0
	kind=$(printf '%s\n' key rise duplicate prefix cut | sed -n "$(($(chaos_rand 5) + 1))p")
	cp "$CHAOS_CONFIG" "$CHAOS_DIR/good.json"
	chaos_write_config "$CHAOS_CONFIG" "$kind"
	log=$(chaos_log)
	mark=$(wc -l <"$log")
	chaos_event invalid "$kind"
	kill -HUP "$pid" 2>/dev/null
	if lab_wait_for 10 eval "tail -n +$((mark + 1)) '$log' | grep -q 'reload failed'"; then
		invalid_refused=$((invalid_refused + 1))
	else
		invalid_missed="$invalid_missed $kind"
	fi
	mv "$CHAOS_DIR/good.json" "$CHAOS_CONFIG"
}

# BIRD: enable or disable one of a service's protocols by hand.
chaos_do_hand() {
	local i proto fam how variants
	chaos_pick || return 0
	i=$REPLY
	case ${pfx[i]} in *:*) fam=v6 ;; *) fam=v4 ;; esac
	variants=("")
	[ "${down[i]}" != w ] && variants+=(_down)
	[ "${dis[i]}" != w ] && variants+=(_disabled)
	proto="anycheck_$(chaos_name "$i")_$fam${variants[$(chaos_rand ${#variants[@]})]}"
	how=$(printf 'enable\ndisable\n' | sed -n "$(($(chaos_rand 2) + 1))p")
	chaos_event hand "$how $proto"
	lab_site_birdc A "$how" "$proto" >/dev/null 2>&1
}

chaos_do_configure() {
	chaos_event configure "birdc configure at the site"
	lab_site_birdc A configure >/dev/null 2>&1
}

# kill -9 of anycheck; ExaBGP respawns it, anycheck-bird is started again.
chaos_do_kill_anycheck() {
	local pid
	pid=$(chaos_anycheck_pid)
	[ -n "$pid" ] || return 0
	chaos_window begin kill-anycheck
	chaos_event kill-anycheck "pid $pid"
	echo "$pid" >>"$CHAOS_DIR/killed"
	kill -KILL "$pid"
	lab_wait_for 5 lab_pid_gone "$pid"
	if [ "$CHAOS_BACKEND" = bird ]; then
		cat "$(chaos_log)" >>"$CHAOS_DIR/anycheck-earlier.log"
		rm -f "$LAB_DIR/pids/anycheck-A.pid"
		lab_site_anycheck_start A || fail "soak: anycheck-bird starts again" "see above"
	fi
	chaos_wait_anycheck "$pid" 20 ||
	    fail "soak: anycheck runs again after kill -9" "none within 20 s"
	chaos_window end kill-anycheck
}

# kill -9 of the routing daemon, then start it again.
chaos_do_kill_daemon() {
	local pid old
	chaos_window begin kill-daemon
	if [ "$CHAOS_BACKEND" = bird ]; then
		chaos_event kill-daemon "BIRD"
		lab_site_bird_kill9 A
		sleep "0.$(chaos_rand 10)"
		lab_site_bird_restart A || fail "soak: the site's BIRD starts again" "see above"
	else
		old=$(chaos_anycheck_pid)
		pid=$(cat "$LAB_DIR/pids/exabgp-A.pid")
		chaos_event kill-daemon "ExaBGP pid $pid (its process: $old)"
		rm -f "$LAB_DIR/pids/exabgp-A.pid"
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null     # the lab started it: no "Killed" notice
		lab_wait_for 3 lab_pid_gone "$pid"
		# The orphaned anycheck-exabgp sees EOF and must exit by itself.
		[ -n "$old" ] && echo "$old" >>"$CHAOS_DIR/orphaned"
		if [ -n "$old" ] && ! lab_wait_for 15 lab_pid_gone "$old"; then
			fail "soak: anycheck-exabgp exits when ExaBGP dies" "pid $old still there 15 s after"
			kill -KILL "$old" 2>/dev/null
			echo "$old" >>"$CHAOS_DIR/killed"
		fi
		chaos_start_site || fail "soak: ExaBGP starts again" "see above"
		chaos_wait_anycheck "$old" 20 || fail "soak: ExaBGP runs anycheck again" "none within 20 s"
	fi
	chaos_wait_sessions 30 || fail "soak: sessions up again after the routing daemon's restart" "not within 30 s"
	chaos_window end kill-daemon
}

chaos_do_flap() {
	chaos_window begin flap
	chaos_event flap "router disables the sessions"
	lab_birdc disable site_A >/dev/null
	lab_birdc disable site6_A >/dev/null
	sleep "$((1 + $(chaos_rand 2))).$(chaos_rand 10)"
	lab_birdc enable site_A >/dev/null
	lab_birdc enable site6_A >/dev/null
	chaos_wait_sessions 30 || fail "soak: sessions up again after a flap" "not within 30 s"
	chaos_window end flap
}

chaos_do_freeze() {
	local pid name
	name=$([ "$CHAOS_BACKEND" = bird ] && echo bird-A || echo exabgp-A)
	pid=$(cat "$LAB_DIR/pids/$name.pid")
	chaos_window begin freeze
	chaos_event freeze "SIGSTOP $name"
	kill -STOP "$pid"
	sleep "$((1 + $(chaos_rand 3))).$(chaos_rand 10)"
	kill -CONT "$pid"
	chaos_wait_sessions 30 || fail "soak: sessions up after SIGCONT" "not within 30 s"
	chaos_window end freeze
}

# ---------------------------------------------------------------- schedule

# The disruptions: "SECONDS KIND" lines sorted by time. The killing ones
# (they end the anycheck process) in the first 40 % of the run, once each;
# flaps and freezes over the whole run, at least once each; more of each
# about every 35 s from 60 s on.
chaos_plan() {
	local d=$1 early=$(($1 * 4 / 10)) t kinds k
	{
		echo "$((early / 8 + $(chaos_rand $((early / 4 + 1))))) kill-anycheck"
		echo "$((early / 2 + $(chaos_rand $((early / 3 + 1))))) kill-daemon"
		echo "$((early + $(chaos_rand $(((d - early) / 3 + 1))))) flap"
		echo "$((early + (d - early) / 2 + $(chaos_rand $(((d - early) / 3 + 1))))) freeze"
		kinds=(flap freeze)
		[ "$CHAOS_BACKEND" = bird ] && kinds+=(kill-daemon)
		for ((t = 60; t < d - 15; t += 30 + $(chaos_rand 15))); do
			k=${kinds[$(chaos_rand ${#kinds[@]})]}
			[ "$t" -lt "$early" ] && [ "$(chaos_rand 2)" = 0 ] && k=kill-anycheck
			echo "$t $k"
		done
	} | sort -n
}

# One non-disruptive event, by weight; the first ones go through every
# kind once, so a short run has them all.
chaos_small_count=0
chaos_small_event() {
	local r first=(10 60 70 82 90 98)
	r=$(chaos_rand 100)
	[ "$chaos_small_count" -lt ${#first[@]} ] && r=${first[$chaos_small_count]}
	chaos_small_count=$((chaos_small_count + 1))
	if [ "$r" -lt 50 ]; then chaos_do_flip
	elif [ "$r" -lt 65 ]; then chaos_do_maintenance
	elif [ "$r" -lt 80 ]; then chaos_do_reload
	elif [ "$r" -lt 86 ]; then chaos_do_invalid
	elif [ "$CHAOS_BACKEND" != bird ]; then chaos_do_flip
	elif [ "$r" -lt 96 ]; then chaos_do_hand
	else chaos_do_configure
	fi
}

# ---------------------------------------------------------------- checks

# RSS/fd samples of the anycheck pid PID: "time rss fds" lines.
chaos_usage_of() {
	awk -v p="$1" '$1 == "R" && $3 == p { print $2, $4, $5 }' "$CHAOS_DIR/samples"
}

chaos_check_usage() {
	local pid=$1 lines warm last n
	lines=$(chaos_usage_of "$pid")
	n=$(printf '%s\n' "$lines" | grep -c .)
	if [ "$n" -lt 10 ]; then
		fail "soak: anycheck's RSS and fds measured" "only $n samples of pid $pid"
		return
	fi
	# Warm-up: the sample at the middle of the run (the last anycheck
	# kill is before 40 %), else the middle of this process's life.
	warm=$(printf '%s\n' "$lines" | awk -v t="$chaos_mid" 'NR == 1 { f = $0 } $1 >= t { print; found = 1; exit } END { if (!found) print f }')
	[ "$(printf '%s\n' "$lines" | head -n 1)" = "$warm" ] &&
	    warm=$(printf '%s\n' "$lines" | sed -n "$((n / 2))p")
	last=$(printf '%s\n' "$lines" | tail -n 1)
	echo "  RSS curve of anycheck pid $pid (KiB, every tenth of its samples):" \
	    "$(printf '%s\n' "$lines" | awk -v n="$n" 'NR % int((n + 9) / 10) == 1 || NR == n { printf "%s%d", sep, $2; sep = " " }')"
	read -r wt wrss wfds <<<"$warm"
	read -r lt lrss lfds <<<"$last"
	echo "  after warm-up ($(lab_elapsed_since "$chaos_t0" "$wt") s): RSS $wrss KiB, $wfds fds;" \
	    "at the end ($(lab_elapsed_since "$chaos_t0" "$lt") s): RSS $lrss KiB, $lfds fds"
	check "soak: anycheck's open fds flat after warm-up ($wfds -> $lfds, slack $CHAOS_FD_SLACK)" \
	    "grew by $((lfds - wfds))" [ "$lfds" -le $((wfds + CHAOS_FD_SLACK)) ]
	check "soak: anycheck's RSS flat after warm-up ($wrss -> $lrss KiB, slack $CHAOS_RSS_SLACK_PERCENT % + 1 MiB)" \
	    "grew by $((lrss - wrss)) KiB" \
	    [ "$lrss" -le $((wrss + wrss * CHAOS_RSS_SLACK_PERCENT / 100 + 1024)) ]
}

chaos_keep() {
	[ -n "${CHAOS_KEEP:-}" ] || return 0
	mkdir -p "$CHAOS_KEEP"
	echo "$seed" >"$CHAOS_DIR/seed"
	cp "$CHAOS_DIR"/{seed,samples,events,windows,analysis,running.json,anycheck*.log,statuses,killed} \
	    "$CHAOS_KEEP"/ 2>/dev/null
	cp "$LAB_DIR"/site-A/*.log "$CHAOS_KEEP"/ 2>/dev/null
	echo "  records kept in $CHAOS_KEEP"
}

# ---------------------------------------------------------------- main

chaos_main() {
	CHAOS_BACKEND=$1
	local seed d plan_t plan_k i t final_pid status rc killed orphaned kinds k logs plan mark
	declare -gA counts=()
	reload_lost=0 invalid_refused=0 invalid_missed=""

	harness_need_root
	harness_need_programs ip "$LAB_BIRD" "$LAB_BIRDC" "$LAB_PYTHON"
	if [ "$CHAOS_BACKEND" = bird ]; then
		harness_binary ANYCHECK_BIRD anycheck-bird
		CHAOS_BINARY=$ANYCHECK_BIRD
	else
		harness_need_programs "$LAB_EXABGP"
		harness_binary ANYCHECK_EXABGP anycheck-exabgp
		CHAOS_BINARY=$ANYCHECK_EXABGP
	fi
	d=${CHAOS_SECONDS:-90}
	[ "$d" -ge 30 ] 2>/dev/null || { fail "setup" "CHAOS_SECONDS must be an integer >= 30, not '$d'"; finish; }
	seed=${CHAOS_SEED:-$(( $(date +%s%N) % 1000000 ))}
	CHAOS_BOUND=${CHAOS_BOUND:-4}
	CHAOS_GRACE=${CHAOS_GRACE:-5}
	CHAOS_FD_SLACK=${CHAOS_FD_SLACK:-2}
	CHAOS_RSS_SLACK_PERCENT=${CHAOS_RSS_SLACK_PERCENT:-10}
	RANDOM=$seed
	CHAOS_ACK=$([ $((seed % 2)) = 0 ] && echo true || echo false)
	# A sanitizer report is fatal and lands in anycheck's log (stderr);
	# settings given by the caller win (they come later). ASan's
	# quarantine of freed memory (256 MiB by default) would make RSS grow
	# for minutes; 8 MiB fill in seconds here, so RSS can be flat.
	export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:quarantine_size_mb=8${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
	echo "chaos seed: $seed (CHAOS_SEED=$seed replays the same schedule), $d s," \
	    "$CHAOS_BACKEND backend$([ "$CHAOS_BACKEND" = exabgp ] && echo ", api.ack $CHAOS_ACK"), $CHAOS_BINARY"

	export LAB_QUIET=${LAB_QUIET:-1}
	lab_init "ach${CHAOS_BACKEND:0:1}" || { fail "setup" "lab_init"; finish; }
	CHAOS_DIR="$LAB_DIR/chaos"
	mkdir -p "$CHAOS_DIR/ok" "$CHAOS_DIR/maint"
	CHAOS_CONFIG="$CHAOS_DIR/anycheck.json"
	if [ "$CHAOS_BACKEND" = bird ]; then
		CHAOS_PIDFILE="$LAB_DIR/pids/anycheck-A.pid"
	else
		CHAOS_PIDFILE="$CHAOS_DIR/anycheck.pid"
		chaos_write_wrapper
	fi
	: >"$CHAOS_DIR/anycheck.log" >"$CHAOS_DIR/events" >"$CHAOS_DIR/windows" \
	    >"$CHAOS_DIR/killed" >"$CHAOS_DIR/orphaned" >"$CHAOS_DIR/statuses"
	chaos_model_init "${CHAOS_SERVICES:-300}"
	if ! { lab_router && lab_site A 65001; }; then
		fail "setup" "the lab did not come up; see above"
		finish
	fi
	chaos_write_config "$CHAOS_CONFIG"
	if ! "$CHAOS_BINARY" -n -c "$CHAOS_CONFIG" >"$CHAOS_DIR/check.out" 2>&1; then
		fail "setup" "the soak's config is invalid: $(head -n 3 "$CHAOS_DIR/check.out")"
		finish
	fi
	cp "$CHAOS_CONFIG" "$CHAOS_DIR/running.json"
	if ! chaos_start_site; then
		fail "setup" "the site did not come up; see above"
		finish
	fi
	chaos_wait_sessions 20 || { fail "setup" "sessions not up"; finish; }
	chaos_wait_anycheck "" 20 || { fail "setup" "anycheck is not running"; finish; }
	if lab_wait_for 30 "$LAB_PYTHON" "$CHAOS_MONITOR" compare "$CHAOS_DIR" \
	    "$LAB_BIRDC" "$LAB_DIR/router/bird.ctl"; then
		pass "soak: the router holds the expected routes before the chaos"
	else
		fail "soak: the router holds the expected routes before the chaos" \
		    "$("$LAB_PYTHON" "$CHAOS_MONITOR" compare "$CHAOS_DIR" "$LAB_BIRDC" "$LAB_DIR/router/bird.ctl")"
	fi
	lab_spawn monitor "$CHAOS_DIR/monitor.out" router "$LAB_PYTHON" "$CHAOS_MONITOR" \
	    monitor "$CHAOS_DIR" "$LAB_BIRDC" "$LAB_DIR/router/bird.ctl" "$CHAOS_PIDFILE" $((d + 120))

	# The run.
	mapfile -t plan < <(chaos_plan "$d")
	echo "  disruptions planned: $(printf '%s\n' "${plan[@]}" | awk '{ printf "%s%s@%ss", s, $2, $1; s = ", " }')"
	chaos_t0=$(chaos_now)
	chaos_mid=$(awk -v a="$chaos_t0" -v d="$d" 'BEGIN { printf "%.3f", a + d / 2 }')
	i=0
	while :; do
		t=$(chaos_t)
		awk -v t="$t" -v d="$d" 'BEGIN { exit !(t >= d) }' && break
		if [ "$i" -lt "${#plan[@]}" ]; then
			read -r plan_t plan_k <<<"${plan[$i]}"
			if awk -v t="$t" -v p="$plan_t" 'BEGIN { exit !(t >= p) }'; then
				i=$((i + 1))
				chaos_do_"${plan_k//-/_}"
				continue
			fi
		fi
		chaos_small_event
		sleep "0.$((2 + $(chaos_rand 7)))"
	done
	echo "  events: $(for k in "${!counts[@]}"; do printf '%s %s, ' "$k" "${counts[$k]}"; done | sed 's/, $//')"

	# The end: the router converges to exactly the expected routes.
	if lab_wait_for 20 "$LAB_PYTHON" "$CHAOS_MONITOR" compare "$CHAOS_DIR" \
	    "$LAB_BIRDC" "$LAB_DIR/router/bird.ctl" >/dev/null; then
		pass "soak: the final state at the router is exactly the expected one ($(
		    "$LAB_PYTHON" "$CHAOS_MONITOR" compare "$CHAOS_DIR" "$LAB_BIRDC" "$LAB_DIR/router/bird.ctl" | tail -n 1 | sed 's/^ *//'))"
	else
		fail "soak: the final state at the router is exactly the expected one" \
		    "$("$LAB_PYTHON" "$CHAOS_MONITOR" compare "$CHAOS_DIR" "$LAB_BIRDC" "$LAB_DIR/router/bird.ctl")"
	fi
	sleep 1.5
	touch "$CHAOS_DIR/stop"
	lab_stop monitor 5
	final_pid=$(chaos_anycheck_pid)
	if [ -n "$final_pid" ]; then
		chaos_check_usage "$final_pid"
	else
		fail "soak: anycheck runs at the end" "no process"
	fi

	# Divergences.
	if "$LAB_PYTHON" "$CHAOS_MONITOR" analyze "$CHAOS_DIR" "$CHAOS_BOUND" "$CHAOS_GRACE"; then
		pass "soak: no divergence outside the disruption windows lasted over $CHAOS_BOUND s"
	else
		fail "soak: no divergence outside the disruption windows lasted over $CHAOS_BOUND s" \
		    "see the VIOLATION lines above; CHAOS_SEED=$seed"
		while read -r p start end; do
			echo "  events around $p:"
			awk -v a="$start" -v b="$end" -v t0="$chaos_t0" '$2 >= a - 6 && $2 <= b { printf "    t=%.1f %s\n", $2 - t0, substr($0, index($0, $3)) }' \
			    "$CHAOS_DIR/events" | grep -F -e "$p" -e kill -e flap -e freeze -e reload -e configure | head -n 15
		done < <(tail -n +2 "$CHAOS_DIR/analysis" | head -n 3)
	fi
	check "soak: the monitor saw the disruptions (it can see a divergence)" \
	    "no divergence recorded at all" \
	    [ "$(head -n 1 "$CHAOS_DIR/analysis" | cut -d' ' -f1)" -gt 0 ]

	# Every fault happened.
	kinds=(flip maintenance reload invalid kill-anycheck kill-daemon flap freeze)
	[ "$CHAOS_BACKEND" = bird ] && kinds+=(hand configure)
	for k in "${kinds[@]}"; do
		[ "${counts[$k]:-0}" -gt 0 ] || fail "soak: every kind of fault happened" "no $k"
	done
	check "soak: every invalid config was refused ('reload failed'), ${invalid_refused} of them" \
	    "not refused:$invalid_missed" [ -z "$invalid_missed" ]
	check "soak: every reload was applied ('reloaded' logged)" "$reload_lost lost" [ "$reload_lost" = 0 ]

	# SIGTERM: a clean exit (LeakSanitizer runs then).
	if [ "$CHAOS_BACKEND" = bird ]; then
		mark=$(wc -l <"$(chaos_log)")
		lab_site_anycheck_stop A 10
		rc=$?
		# Not asserted, printed: errors anycheck-bird logs while
		# exiting. The exit's bulk rewrite once declared no protocol,
		# so BIRD removed them all and every disable that followed
		# failed; the include written at the exit now keeps the
		# stopped services' protocols declared (eb8fff9).
		k=$(tail -n +$((mark + 1)) "$(chaos_log)" | grep -c ' error: ')
		[ "$k" = 0 ] || echo "NOTE anycheck-bird logged $k errors while exiting:" \
		    "$(tail -n +$((mark + 1)) "$(chaos_log)" | grep -m 1 ' error: ' | cut -c 1-160)"
		cat "$(chaos_log)" >>"$CHAOS_DIR/anycheck-earlier.log"
		logs="$CHAOS_DIR/anycheck-earlier.log"
	else
		lab_site_exabgp_stop A 15
		lab_wait_for 3 eval "grep -q '^$final_pid ' '$CHAOS_DIR/statuses'"
		rc=$(awk -v p="$final_pid" '$1 == p { print $2 }' "$CHAOS_DIR/statuses")
		logs="$CHAOS_DIR/anycheck.log"
	fi
	check "soak: anycheck exits 0 on SIGTERM at the end" "exit status '$rc'" [ "$rc" = 0 ]
	check "soak: no sanitizer report, abort or fatal error in anycheck's log" \
	    "$(grep -m 5 -iE 'Sanitizer|runtime error|out of memory|fatal|abort' "$logs")" \
	    eval "! grep -qiE 'Sanitizer|runtime error|out of memory|fatal|abort' '$logs'"
	if [ "$CHAOS_BACKEND" = exabgp ]; then
		# 137: the soak's kill -9; 1: a process orphaned by ExaBGP's
		# kill -9 could not hand its withdraws to anyone.
		killed=" $(tr '\n' ' ' <"$CHAOS_DIR/killed") "
		orphaned=" $(tr '\n' ' ' <"$CHAOS_DIR/orphaned") "
		status=$(awk -v k="$killed" -v o="$orphaned" '$2 != 0 &&
		    !(index(k, " " $1 " ") && $2 == 137) && !(index(o, " " $1 " ") && $2 == 1)' \
		    "$CHAOS_DIR/statuses")
		check "soak: no anycheck-exabgp died other than by the soak's kill -9" \
		    "pid status: $status" [ -z "$status" ]
		check "soak: ExaBGP never gave up respawning" "ExaBGP logged 'Too many death'" \
		    eval "! grep -q 'Too many death' '$LAB_DIR/site-A/exabgp.log'"
	fi
	if [ "$failed" != 0 ]; then
		echo "  --- last lines of anycheck's log ---"
		tail -n 25 "$logs" | sed 's/^/  | /'
	fi
	chaos_keep
	lab_cleanup
	finish
}
