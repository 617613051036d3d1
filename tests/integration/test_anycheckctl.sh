#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: integration test of anycheckctl against the real daemons
#
# In the lab (helpers/lab.sh: a router running BIRD 2, site A running
# ExaBGP whose process is anycheck-exabgp), checks what the router sees
# and what anycheckctl prints: status (text and --json) agrees with the
# router's routes; "maintenance on --reason" drains (65535:0) then
# withdraws, shows the reason, survives a restart of anycheck-exabgp, and
# "off" announces again; "shift" changes the MED and AS path at the router
# and ends on --clear and on expiry (--for); "reload" reports every error
# of a broken file; every CLI error case (daemon not running, permission
# denied, unknown service, an old daemon without the command, both daemons
# running without -s). anycheck-bird runs too (beside no BIRD: it retries)
# to show that it serves status and refuses shift with the reason.
#
# Needs root. Environment: ANYCHECK_EXABGP, ANYCHECK_BIRD, ANYCHECKCTL
# (default $BUILD_DIR/NAME, BUILD_DIR defaulting to ./build). Prints
# "PASS name" / "FAIL name (why)" per assertion, then "N passed, N failed".

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=helpers/lab.sh
. "$repo/helpers/lab.sh"
# shellcheck source=tests/integration/harness.sh
. "$here/harness.sh"

harness_need_root
harness_need_programs ip "$LAB_BIRD" "$LAB_BIRDC" "$LAB_PYTHON" runuser "$LAB_EXABGP"
harness_binary ANYCHECK_EXABGP anycheck-exabgp
harness_binary ANYCHECK_BIRD anycheck-bird
harness_binary ANYCHECKCTL anycheckctl
export LAB_QUIET=${LAB_QUIET:-1}

WEB=192.0.2.21/32
API=192.0.2.22/32

route_attr() {
	lab_router_routes "$1" 2>/dev/null | awk -v k="$2" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }'
}
route_med_is() { [ "$(route_attr "$1" BGP.med:)" = "$2" ]; }
route_path_is() { [ "$(route_attr "$1" BGP.as_path:)" = "$2" ]; }
route_gshut() {
	lab_router_routes "$1" 2>/dev/null | grep -q '^[[:space:]]*BGP.community:.*(65535,0)'
}
dump_route() { lab_router_routes "$1" 2>&1 | sed 's/^/  | /'; }

ctl() { "$ANYCHECKCTL" -s "$SOCK" "$@"; }
# out_has ERE CMD...: CMD's stdout+stderr matches ERE.
out_has() {
	local ere=$1 out
	shift
	out=$("$@" 2>&1)
	printf '%s\n' "$out" | grep -q -E -- "$ere" || { printf '  got: %s\n' "$out" | head -20; return 1; }
}
# status_json_is EXPR VALUE: a python expression over the status JSON "s".
status_json_is() {
	local got
	got=$(ctl status --json | "$LAB_PYTHON" -c "import json,sys; s=json.load(sys.stdin); print($1)")
	[ "$got" = "$2" ] || { echo "  $1 is '$got', expected '$2'"; return 1; }
}

write_config() {
	cat >"$CFG" <<EOF
{
	"local_as": 65001,
	"control": { "socket": "$SOCK", "group": "anyctl" },
	"state_directory": "$LAB_DIR/state",
	"defaults": { "interval": 0.2, "fast_interval": 0.1, "timeout": 0.5, "rise": 2, "fall": 1, "hold_down": 0 },
	"services": [
		{ "name": "web", "prefixes": ["$WEB"],
		  "checks": [ { "type": "file", "path": "$LAB_DIR/ok-web" } ],
		  "announce": { "med": 100 }, "drain": { "seconds": 2 } },
		{ "name": "api", "prefixes": ["$API"],
		  "checks": [ { "type": "file", "path": "$LAB_DIR/ok-api" } ],
		  "announce": { "med": 100 }$1 }
	]
}
EOF
}

write_wrapper() {
	cat >"$LAB_DIR/wrapper.sh" <<EOF
#!/bin/bash
if [ -e "$LAB_DIR/no-respawn" ]; then exec sleep 600; fi
exec "$ANYCHECK_EXABGP" "\$@" 2>>"$LAB_DIR/anycheck.log"
EOF
	chmod 755 "$LAB_DIR/wrapper.sh"
}

# By the program's name, not its path: through the version matrix's wrapper
# the process runs another path to the same program.
anycheck_pid() { pgrep -f -x "[^ ]*/anycheck-exabgp -c $CFG" | head -1; }
new_instance_ready() {
	local pid
	pid=$(anycheck_pid)
	[ -n "$pid" ] && [ "$pid" != "$1" ] && ctl version >/dev/null 2>&1
}

scenario() {
	local t0 el pid1 pid2 out rc bird_pid old_pid made_group
	lab_init actl || { fail "setup" "lab_init"; return; }
	CFG=$LAB_DIR/anycheck.json
	SOCK=$LAB_DIR/anycheck-exabgp.sock
	mkdir -p "$LAB_DIR/state"
	made_group=0
	if ! getent group anyctl >/dev/null; then
		groupadd -r anyctl && made_group=1
	fi
	touch "$LAB_DIR/ok-web" "$LAB_DIR/ok-api" "$LAB_DIR/anycheck.log"
	write_config ""
	write_wrapper
	if ! { lab_router && lab_site A 65001 &&
	    lab_site_exabgp A true "$LAB_DIR/wrapper.sh" -c "$CFG"; }; then
		fail "setup" "the lab did not come up"
		lab_cleanup
		return
	fi
	lab_wait_route "$WEB" present 10 && lab_wait_route "$API" present 10
	check "both services announced" "$(dump_route "$WEB")" lab_router_has_route "$WEB"
	check "the socket is mode 0660, group anyctl" "$(stat -c '%a %G' "$SOCK")" \
	    [ "$(stat -c '%a %G' "$SOCK")" = "660 anyctl" ]

	# status: text and JSON agree with the router.
	check "status: a line per service, UP, ExaBGP has read it" "" \
	    out_has '^web +UP .* 1/1 sent +up, med 100' ctl status
	check "status: the route's state at ExaBGP" "" \
	    out_has '192.0.2.21/32 +told announce, sent and read by ExaBGP' ctl status web
	check "status --json: told announce with MED 100" "" \
	    status_json_is "s['services'][0]['announcement']['med'] == 100 and s['services'][0]['routing']['routes'][0]['told']" announce
	check "the router has MED 100" "$(dump_route "$WEB")" route_med_is "$WEB" 100

	# maintenance with a reason: drain, withdraw, reason shown.
	t0=$(date +%s.%N)
	check "maintenance on: accepted" "" \
	    out_has '^web: maintenance on; now DRAINING \(maintenance on by request: disk swap\)' \
	    ctl maintenance web on --reason "disk swap"
	check "maintenance on: the router sees (65535,0) first" "$(dump_route "$WEB")" lab_wait_for 2 route_gshut "$WEB"
	lab_wait_route "$WEB" absent 5
	el=$(lab_elapsed_since "$t0")
	check "maintenance on: then withdrawn, after the 2 s drain" "after ${el}s" \
	    awk -v a="$el" 'BEGIN { exit !(a >= 1.9) }'
	check "status: DISABLED with the reason" "" \
	    out_has 'maintenance: on by request, reason: disk swap' ctl status web
	check "the log has the reason" "" grep -q 'service web: maintenance on by request: disk swap' "$LAB_DIR/anycheck.log"

	# It survives a restart of anycheck-exabgp (ExaBGP starts it again).
	pid1=$(anycheck_pid)
	kill -9 "$pid1"
	lab_wait_for 15 new_instance_ready "$pid1"
	pid2=$(anycheck_pid)
	check "restart: a new anycheck-exabgp runs" "pid $pid1 -> $pid2" new_instance_ready "$pid1"
	sleep 1
	check "restart: still DISABLED with the reason" "" \
	    out_has 'DISABLED .*maintenance on by request: disk swap' ctl status web
	check "restart: the route stays withdrawn" "$(dump_route "$WEB")" eval '! lab_router_has_route "$WEB"'
	check "maintenance off: announced again" "" eval 'ctl maintenance web off >/dev/null && lab_wait_route "$WEB" present 5'

	# shift: MED and AS path at the router; clear; expiry.
	check "shift: accepted" "" out_has '^web: shifted \(med 500, prepend 2\)' ctl shift web --med 500 --prepend 2
	check "shift: MED 500 at the router" "$(dump_route "$WEB")" lab_wait_for 3 route_med_is "$WEB" 500
	check "shift: AS path 65001 65001 65001 at the router" "$(dump_route "$WEB")" route_path_is "$WEB" "65001 65001 65001"
	check "status: the shift shows" "" out_has 'shift: med 500, prepend 2 \(until cleared\)' ctl status web
	check "shift --clear: MED 100, AS path 65001 again" "$(dump_route "$WEB")" \
	    eval 'ctl shift web --clear >/dev/null && lab_wait_for 3 route_med_is "$WEB" 100 && route_path_is "$WEB" 65001'
	ctl shift web --med 700 --for 3s >/dev/null
	t0=$(date +%s.%N)
	check "shift --for 3s: MED 700" "$(dump_route "$WEB")" lab_wait_for 2 route_med_is "$WEB" 700
	lab_wait_for 6 route_med_is "$WEB" 100
	el=$(lab_elapsed_since "$t0")
	check "shift --for 3s: MED 100 again on expiry" "$(dump_route "$WEB")" route_med_is "$WEB" 100
	check "shift --for 3s: not before" "after ${el}s" awk -v a="$el" 'BEGIN { exit !(a >= 2.5) }'
	check "shift: prepend beyond 32 refused" "" \
	    out_has 'prepend must be an integer between 0 and 32' ctl shift web --prepend 33

	# check, reload, dump, version.
	check "check: runs" "" out_has '^web: checking now' ctl check web
	cp "$CFG" "$CFG.good"
	write_config ', "colour": "blue", "rise": 0'
	out=$(ctl reload 2>&1)
	rc=$?
	check "reload of a broken file: exit status 1" "$out" [ "$rc" = 1 ]
	check "reload: still running the previous configuration" "$out" \
	    eval 'printf "%s" "$out" | grep -q "reload failed; still running the previous configuration (2 errors"'
	check "reload: every error line" "$out" \
	    eval 'printf "%s" "$out" | grep -q "error: .*services\[1\].colour: unknown key" && printf "%s" "$out" | grep -q "error: .*services\[1\].rise: must be"'
	cp "$CFG.good" "$CFG"
	check "reload of a good file" "" out_has 'reloaded .*: 2 unchanged' ctl reload
	check "dump: the text status" "" out_has '^web +UP' ctl dump
	check "version" "" out_has '^anycheckctl .*; anycheck-exabgp .* \(protocol 1\)' ctl version

	# CLI errors.
	check "error: unknown service names those that exist" "" \
	    out_has 'no service "nope"; the services are: web, api' ctl status nope
	check "error: unknown service exits 1" "" eval 'ctl check nope 2>/dev/null; [ $? = 1 ]'
	check "error: no daemon (which socket was tried)" "" \
	    out_has "cannot reach the daemon: $LAB_DIR/none.sock does not exist" "$ANYCHECKCTL" -s "$LAB_DIR/none.sock" status
	chmod 711 "$LAB_DIR"
	check "error: permission denied (which group)" "" \
	    out_has "permission denied on $SOCK: .*group anyctl" runuser -u nobody -- "$ANYCHECKCTL" -s "$SOCK" status
	"$LAB_PYTHON" - "$LAB_DIR/old.sock" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); s.settimeout(20)
c, _ = s.accept()
# The whole request line, as a daemon reads it: answering after a first
# part made anycheckctl's next write fail (EPIPE) under load.
request = b""
while not request.endswith(b"\n"):
    chunk = c.recv(65536)
    if not chunk:
        break
    request += chunk
c.sendall(b'{"version":1,"ok":false,"code":"unknown-command","error":"unknown command \\"shift\\""}\n')
c.close()
PY
	old_pid=$!
	lab_wait_for 3 test -S "$LAB_DIR/old.sock"
	check "error: an old daemon without the command" "" \
	    out_has 'the daemon does not know "shift": it is older than this anycheckctl' \
	    "$ANYCHECKCTL" -s "$LAB_DIR/old.sock" shift web --med 1
	wait "$old_pid"
	check "usage: maintenance on needs a reason" "" out_has 'maintenance on needs --reason' ctl maintenance web on

	# anycheck-bird: status served, shift refused with the reason; with
	# both daemons running anycheckctl asks for -s.
	mkdir -p "$LAB_DIR/run"
	ln -s "$SOCK" "$LAB_DIR/run/anycheck-exabgp.sock"
	cat >"$LAB_DIR/bird.json" <<EOF
{ "bird": { "socket": "$LAB_DIR/no-bird.ctl" }, "state_directory": "$LAB_DIR/state",
  "control": { "socket": "$LAB_DIR/run/anycheck-bird.sock" },
  "services": [ { "name": "b", "prefixes": ["192.0.2.31/32"], "checks": [ { "type": "file", "path": "/" } ] } ] }
EOF
	"$ANYCHECK_BIRD" -c "$LAB_DIR/bird.json" 2>"$LAB_DIR/bird.log" &
	bird_pid=$!
	lab_track anycheck-bird "$bird_pid"
	lab_wait_for 5 test -S "$LAB_DIR/run/anycheck-bird.sock"
	check "bird: status shows its protocols" "" \
	    out_has 'anycheck_b_v4 +wanted (enabled|disabled), BIRD: unknown' "$ANYCHECKCTL" -s "$LAB_DIR/run/anycheck-bird.sock" status
	check "bird: shift without bird.include_file is refused, saying why" "" \
	    out_has 'shift needs bird.include_file' "$ANYCHECKCTL" -s "$LAB_DIR/run/anycheck-bird.sock" shift b --med 5
	check "both daemons running: -s required" "" \
	    out_has 'both anycheck-exabgp .* and anycheck-bird .* are running; say which with -s' \
	    env ANYCHECK_CONTROL_DIRECTORY="$LAB_DIR/run" "$ANYCHECKCTL" status
	lab_stop anycheck-bird 5
	check "one daemon running: found, and named" "" \
	    out_has "using $LAB_DIR/run/anycheck-exabgp.sock" env ANYCHECK_CONTROL_DIRECTORY="$LAB_DIR/run" "$ANYCHECKCTL" status

	touch "$LAB_DIR/no-respawn"
	lab_site_exabgp_stop A 10 || fail "ExaBGP stops" "it hung"
	check "no sanitizer report" "" eval "! grep -q -E 'Sanitizer|runtime error' '$LAB_DIR/anycheck.log' '$LAB_DIR/bird.log'"
	if [ "$failed" != 0 ]; then lab_log_tail "$LAB_DIR/anycheck.log" 40; fi
	lab_cleanup
	if [ "$made_group" = 1 ]; then groupdel anyctl; fi
}

scenario
finish
