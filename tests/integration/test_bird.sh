#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: integration test of anycheck-bird with the real BIRD 2
#
# Builds the lab (helpers/lab.sh): a router running BIRD 2, site A running
# its own BIRD 2 (eBGP + BFD to the router, exporting only anycheck's
# routes) with anycheck-bird beside it on the site's control socket, and a
# client. Checks what a user would observe:
#   - "-n" validates the config; "-g -" output is accepted by "bird -p";
#   - the BGP session's BFD session is Up at both ends;
#   - the prefix appears at the router once the HTTP service is healthy and
#     the client reaches site A; it goes when the service stops and comes
#     back when it recovers;
#   - a protocol enabled by hand (birdc) while the service is down is
#     disabled again within ~2 s, and anycheck-bird logs the correction;
#     one disabled by hand while healthy is enabled again;
#   - "birdc configure" on the site (BIRD re-reads "disabled yes") while
#     healthy: the protocol is up again within 1 s;
#   - the include file loses the protocol ("birdc configure"): the route
#     goes and anycheck-bird says BIRD has no such protocol; with the
#     include fixed and BIRD reconfigured the protocol is up within 1.5 s;
#   - kill -9 of the site's BIRD withdraws the route; once BIRD runs again
#     the protocol is up at the site within 1 s of its control socket
#     answering (the figure is printed), and the route is back at the
#     router once the session re-establishes; meanwhile anycheck-bird
#     warns once (not once per retry) that it cannot reach BIRD;
#   - BFD: with the site's BIRD frozen (SIGSTOP) the router withdraws the
#     prefix within 1 s ("BFD session down"), and it returns once thawed;
#   - SIGTERM: anycheck-bird exits 0 within 5 s, the route is withdrawn at
#     the router and the protocol is disabled in the site's BIRD.
#
# Needs root. Environment:
#   ANYCHECK_BIRD  the binary (default $BUILD_DIR/anycheck-bird, BUILD_DIR
#                  defaulting to ./build of the repository)
# Prints "PASS name" / "FAIL name (why)" per assertion, then
# "N passed, N failed"; exits non-zero on any failure.

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source-path=SCRIPTDIR/../..
# shellcheck source=helpers/lab.sh
. "$repo/helpers/lab.sh"

# shellcheck source=tests/integration/harness.sh
. "$(dirname "${BASH_SOURCE[0]}")/harness.sh"
prefix=192.0.2.1/32
url=http://192.0.2.1/
proto=anycheck_web_v4

harness_need_root
harness_need_programs ip "$LAB_BIRD" "$LAB_BIRDC" "$LAB_PYTHON" curl
harness_binary ANYCHECK_BIRD anycheck-bird

# Seconds since a "date +%s.%N" stamp, as a number for awk comparisons.
since() {
	lab_elapsed_since "$1"
}

# le A B: A <= B (decimals).
# shellcheck disable=SC2317  # called through check
le() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'
}

# check_route NAME present|absent TIMEOUT (at the router: BIRD and kernel).
check_route() {
	check "$1" "$prefix not $2 at the router within ${3}s" \
	    lab_wait_route "$prefix" "$2" "$3"
}

# check_client NAME EXPECT TIMEOUT
check_client() {
	check "$1" "client got '$(lab_client_get "$url")', not '$2', for ${3}s" \
	    lab_wait_client "$url" "$2" "$3"
}

# check_proto NAME up|down TIMEOUT: the site's BIRD shows the protocol in
# that state within TIMEOUT s.
check_proto() {
	if lab_wait_for "$3" lab_site_proto_is A "$proto" "$2"; then
		pass "$1"
	else
		fail "$1" "$proto is '$(lab_site_proto_state A "$proto")', not '$2', after ${3}s"
	fi
}

anycheck_log() {
	cat "$LAB_DIR/site-A/anycheck-bird.log" 2>/dev/null
}


lab_init acb || { fail "setup" "lab_init"; finish; }
config="$LAB_DIR/anycheck.json"

if ! { lab_router && lab_site A 65001 && lab_client; }; then
	fail "setup" "the lab did not come up; see messages above"
	finish
fi
cat >"$config" <<EOF
{
	"local_as": 65001,
	"bird": { "socket": "$(lab_site_bird_socket A)", "verify_interval": 1 },
	"control": { "socket": "$LAB_DIR/anycheck-bird.sock" },
	"state_directory": "$LAB_DIR",
	"services": [
		{
			"name": "web",
			"prefixes": ["$prefix"],
			"checks": [
				{ "type": "http", "url": "$url", "expect_status": [200] }
			],
			"interval": 0.2,
			"fast_interval": 0.1,
			"rise": 2,
			"fall": 2,
			"timeout": 0.5
		}
	]
}
EOF

# ---- the config tools
out=$("$ANYCHECK_BIRD" -c "$config" -n 2>&1)
check "-n prints 'configuration OK'" "printed: $out" \
    grep -q "configuration OK" <<<"$out"
"$ANYCHECK_BIRD" -c "$config" -g - >"$LAB_DIR/generated.conf" 2>"$LAB_DIR/generate.err"
check "-g - writes the include file" "exit $?: $(cat "$LAB_DIR/generate.err")" \
    grep -q "protocol static $proto" "$LAB_DIR/generated.conf"
if (cd / && "$LAB_BIRD" -p -c "$LAB_DIR/generated.conf") >"$LAB_DIR/bird-p.out" 2>&1; then
	pass "bird -p accepts the '-g -' output"
else
	fail "bird -p accepts the '-g -' output" "$(cat "$LAB_DIR/bird-p.out")"
fi

# ---- the site with BIRD and anycheck-bird
if ! lab_site_bird A "$config"; then
	fail "setup" "BIRD or anycheck-bird did not come up in site A; see above"
	finish
fi
check "BFD session Up at the router and the site" \
    "router: $(lab_birdc show bfd sessions 2>&1 | tail -n +2 | tr '\n' ' ')" \
    lab_wait_for 5 lab_bfd_up A

check_route "prefix announced once healthy" present 10
check_proto "protocol up in the site's BIRD" up 1
check_client "client reaches site A" "site A" 3
check "the site's kernel has no route for the prefix (kernel export filter)" \
    "ip route show exact $prefix in site A: $(lab_exec A ip -4 route show exact "$prefix")" \
    eval "[ -z \"\$(lab_exec A ip -4 route show exact $prefix)\" ]"

lab_site_service_stop A
check_route "service down: prefix withdrawn" absent 5
check_proto "service down: protocol down in the site's BIRD" down 1
check_client "service down: client cannot reach the anycast address" FAIL 3

# ---- drift: a hand-run "birdc enable" while the service is down
corrections_before=$(anycheck_log | grep -c "changed by hand")
reapplied_before=$(anycheck_log | grep -cE 'changed by hand\?\); correcting|re-applying every|applying the state of')
lab_site_birdc A enable "$proto" >"$LAB_DIR/enable.out" 2>&1
check "drift: birdc enable by hand took effect" "birdc said: $(cat "$LAB_DIR/enable.out")" \
    grep -q "$proto: enabled" "$LAB_DIR/enable.out"
t0=$(date +%s.%N)
if lab_wait_for 2.5 lab_site_proto_is A "$proto" down; then
	pass "drift: anycheck-bird disabled the protocol again ($(since "$t0")s)"
else
	fail "drift: anycheck-bird disabled the protocol again" \
	    "$proto still '$(lab_site_proto_state A "$proto")' after 2.5s"
fi
# The verify pass logs the drift it corrects; should a re-apply of every
# protocol (after a reconnect or a status change, each logged) have won the
# race, that is logged too, and noted here so the path is visible.
check "drift: anycheck-bird logged the correction" \
    "no new 'changed by hand?); correcting' (nor a logged re-apply) in its log" \
    lab_wait_for 1.5 eval "[ \"\$(anycheck_log | grep -cE 'changed by hand\?\); correcting|re-applying every|applying the state of')\" -gt $reapplied_before ]"
[ "$(anycheck_log | grep -c 'changed by hand?); correcting')" -gt "$corrections_before" ] ||
	echo "NOTE drift corrected by a re-apply, not the verify pass: $(anycheck_log | grep -E 're-applying every|applying the state of|lost the connection' | tail -n 2 | tr '\n' ' ')"
check_route "drift: prefix withdrawn at the router" absent 5

lab_site_service_start A
check_route "service back: prefix announced again" present 10
check_client "service back: client reaches site A" "site A" 3

# ---- drift the other way: a hand-run "birdc disable" while healthy
lab_site_birdc A disable "$proto" >"$LAB_DIR/disable.out" 2>&1
check "drift: birdc disable by hand took effect" "birdc said: $(cat "$LAB_DIR/disable.out")" \
    grep -q "$proto: disabled" "$LAB_DIR/disable.out"
t0=$(date +%s.%N)
if lab_wait_for 2.5 lab_site_proto_is A "$proto" up; then
	pass "drift: anycheck-bird enabled the protocol again ($(since "$t0")s)"
else
	fail "drift: anycheck-bird enabled the protocol again" \
	    "$proto still '$(lab_site_proto_state A "$proto")' after 2.5s"
fi
check_route "drift: prefix announced at the router again" present 10

# ---- BIRD reconfiguration while healthy: BIRD re-applies "disabled yes"
reconfigured_before=$(anycheck_log | grep -cE "BIRD was reconfigured|applying the state of")
reapply_connects=$(anycheck_log | grep -c "applying the state of")
disabling_before=$(grep -c "Disabling protocol $proto" "$LAB_DIR/site-A/bird.log")
lab_site_birdc A -v configure >"$LAB_DIR/configure.out" 2>&1
t0=$(date +%s.%N)
# 0003 "Reconfigured", or 0004 "Reconfiguration in progress" when
# protocols have to shut down first (ours does: "disabled yes").
check "reconfigure: birdc configure accepted" "birdc said: $(cat "$LAB_DIR/configure.out")" \
    lab_bird_reconfigured "$LAB_DIR/configure.out"
if lab_wait_for 1 lab_site_proto_is A "$proto" up; then
	pass "reconfigure: protocol up within 1s ($(since "$t0")s)"
else
	fail "reconfigure: protocol up within 1s" \
	    "$proto is '$(lab_site_proto_state A "$proto")' 1s after configure"
fi
check "reconfigure: BIRD did disable the protocol (else this proves nothing)" \
    "BIRD logged no new 'Disabling protocol $proto'" \
    [ "$(grep -c "Disabling protocol $proto" "$LAB_DIR/site-A/bird.log")" -gt "$disabling_before" ]
check "reconfigure: anycheck-bird noticed the reconfiguration" \
    "no new 'BIRD was reconfigured' (nor a logged re-apply) in its log within 1.5s" \
    lab_wait_for 1.5 eval "[ \"\$(anycheck_log | grep -cE 'BIRD was reconfigured|applying the state of')\" -gt $reconfigured_before ]"
[ "$(anycheck_log | grep -c 'BIRD was reconfigured')" -gt "$(( reconfigured_before - reapply_connects ))" ] ||
	echo "NOTE reconfiguration re-applied after a reconnect: $(anycheck_log | grep -E 'applying the state of|lost the connection' | tail -n 2 | tr '\n' ' ')"
check_route "reconfigure: prefix announced at the router" present 10

# ---- the include file loses our protocol (not regenerated), then is fixed
inc="$LAB_DIR/site-A/anycheck.conf"
cp "$inc" "$inc.good"
awk -v p="protocol static $proto {" '$0 == p { skip = 1 } !skip { print }
    skip && $0 == "}" { skip = 0 }' "$inc.good" >"$inc"
drift_before=$(anycheck_log | grep -c "changed by hand")
lab_site_birdc A configure >"$LAB_DIR/configure-missing.out" 2>&1
check "missing: BIRD dropped $proto" "birdc configure said: $(cat "$LAB_DIR/configure-missing.out")" \
    eval "! lab_site_birdc A show protocols $proto | grep -q '^$proto '"
check_route "missing: prefix withdrawn at the router" absent 5
check "missing: anycheck-bird says BIRD has no protocol $proto" \
    "no 'BIRD has no protocol \"$proto\"' in its log within 2s" \
    lab_wait_for 2 eval "anycheck_log | grep -q 'BIRD has no protocol \"$proto\"'"
sleep 1.5       # verify passes (every 1 s) run meanwhile
cp "$inc.good" "$inc"
lab_site_birdc A configure >"$LAB_DIR/configure-fixed.out" 2>&1
t0=$(date +%s.%N)
if lab_wait_for 1.5 lab_site_proto_is A "$proto" up; then
	pass "missing: protocol up within 1.5s of 'birdc configure' with the include fixed ($(since "$t0")s)"
else
	fail "missing: protocol up within 1.5s of 'birdc configure' with the include fixed" \
	    "$proto is '$(lab_site_proto_state A "$proto")'"
fi
check "missing: no 'changed by hand' warning (nothing was)" \
    "$(anycheck_log | grep "changed by hand" | tail -n 2 | tr '\n' ' ')" \
    [ "$(anycheck_log | grep -c "changed by hand")" = "$drift_before" ]
check_route "missing: prefix announced at the router again" present 10

# ---- kill -9 of the site's BIRD, then restart
unreachable_before=$(anycheck_log | grep -c "cannot connect to BIRD")
check "kill -9: BIRD of site A killed" "see above" lab_site_bird_kill9 A
check_route "kill -9: prefix withdrawn at the router" absent 5
check "kill -9: anycheck-bird keeps running while BIRD is down" \
    "anycheck-bird exited: $(anycheck_log | tail -n 3 | tr '\n' ' ')" \
    eval "sleep 1; lab_alive anycheck-A"
# Down ~1 s with retries every <= 0.5 s: one warning, not one per retry.
unreachable=$(($(anycheck_log | grep -c "cannot connect to BIRD") - unreachable_before))
check "kill -9: anycheck-bird says once that it cannot reach BIRD" \
    "$unreachable new 'cannot connect to BIRD' lines" [ "$unreachable" = 1 ]
if lab_site_bird_restart A; then
	# lab_site_bird_restart returns as soon as the socket answers.
	t0=$(date +%s.%N)
	if lab_wait_for 2 lab_site_proto_is A "$proto" up; then
		restore=$(since "$t0")
		echo "MEASURE protocol up ${restore}s after the restarted BIRD's control socket answered"
		check "kill -9: protocol up within 1s of the control socket answering" \
		    "took ${restore}s" le "$restore" 1.0
	else
		fail "kill -9: protocol up within 1s of the control socket answering" \
		    "$proto is '$(lab_site_proto_state A "$proto")' 2s after BIRD answered"
	fi
	check_route "kill -9: prefix back at the router after the session re-establishes" present 15
	check_client "kill -9: client reaches site A again" "site A" 3
	check "kill -9: BFD session Up again" "see lab_bfd_up" lab_wait_for 5 lab_bfd_up A
else
	fail "kill -9: BIRD of site A restarted" "see above"
fi
check "anycheck-bird never exited" "it is gone: $(anycheck_log | tail -n 3 | tr '\n' ' ')" \
    lab_alive anycheck-A

# ---- BFD: a frozen site BIRD (no FIN, no RST) is noticed in < 1 s, not
# after the 9 s hold time
lab_site_bird_freeze A stop
t0=$(date +%s.%N)
if lab_wait_for 1 eval "! lab_router_has_route $prefix"; then
	pass "BFD: frozen site BIRD, prefix withdrawn at the router within 1s ($(since "$t0")s)"
else
	fail "BFD: frozen site BIRD, prefix withdrawn at the router within 1s" \
	    "router: $(lab_birdc show protocols site_A 2>&1 | tail -n 1)"
fi
check "BFD: the router says the BFD session went down" \
    "router: $(lab_birdc show protocols site_A 2>&1 | tail -n 1)" \
    eval "lab_birdc show protocols site_A | grep -q 'BFD session down'"
lab_site_bird_freeze A cont
check_route "BFD: site BIRD thawed, prefix back at the router" present 20
check "BFD: session Up again" "see lab_bfd_up" lab_wait_for 5 lab_bfd_up A

# ---- SIGTERM with a healthy service
check_proto "SIGTERM: protocol up before" up 1
t0=$(date +%s.%N)
lab_site_anycheck_stop A 5
rc=$?
check "SIGTERM: anycheck-bird exits 0 within 5s" "exit status $rc after $(since "$t0")s" \
    [ "$rc" = 0 ]
check_route "SIGTERM: prefix withdrawn at the router" absent 5
check_proto "SIGTERM: protocol disabled in the site's BIRD" down 1
# The only error expected is the missing protocol, on purpose above.
check "anycheck-bird logged no unexpected error" \
    "$(anycheck_log | grep -i "error" | grep -v "BIRD has no protocol" | tail -n 3 | tr '\n' ' ')" \
    eval "! anycheck_log | grep -i 'error' | grep -vq 'BIRD has no protocol'"

if [ "$failed" != 0 ]; then
	lab_site_logs_tail A
fi
lab_cleanup
finish
