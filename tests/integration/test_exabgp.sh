#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: integration test of anycheck-exabgp with real ExaBGP and BIRD 2
#
# Builds the lab (helpers/lab.sh): a router running BIRD 2, site A running
# ExaBGP whose process is "anycheck-exabgp -c CONFIG", and a client. Checks
# what a user would observe: the prefix appears at the router once the HTTP
# service is healthy and the client reaches site A; stopping the service
# withdraws the prefix and the client fails; restarting it brings it back;
# stopping ExaBGP withdraws cleanly and nothing hangs. The whole scenario
# runs with exabgp.api.ack=true and again with ack=false.
#
# Needs root. Environment:
#   ANYCHECK_EXABGP  the binary (default $BUILD_DIR/anycheck-exabgp,
#                    BUILD_DIR defaulting to ./build of the repository)
#   ACKS="true false" the api.ack values to run (default both)
#   IPV6=1           also announce 2001:db8::1/128 (next hop
#                    2001:db8:ffff::2, over an IPv6 session) and check it
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

harness_need_root
harness_need_programs ip "$LAB_BIRD" "$LAB_BIRDC" "$LAB_PYTHON" curl "$LAB_EXABGP"
# ExaBGP's "run" wants an absolute path: harness_binary gives one.
harness_binary ANYCHECK_EXABGP anycheck-exabgp

prefixes=(192.0.2.1/32)
urls=(http://192.0.2.1/)
prefixes_json='"192.0.2.1/32"'
next_hop_json='"self"'
if [ "${IPV6:-0}" = 1 ]; then
	prefixes+=(2001:db8::1/128)
	urls+=("http://[2001:db8::1]/")
	prefixes_json='"192.0.2.1/32", "2001:db8::1/128"'
	next_hop_json='{ "ipv4": "self", "ipv6": "2001:db8:ffff::2" }'
	export LAB_EXABGP_IPV6=1
fi

write_config() {
	cat >"$1" <<EOF
{
	"local_as": 65001,
	"control": { "socket": "$LAB_DIR/anycheck.sock" },
	"state_directory": "$LAB_DIR",
	"services": [
		{
			"name": "web",
			"prefixes": [$prefixes_json],
			"checks": [
				{ "type": "http", "url": "${urls[0]}", "expect_status": [200] }
			],
			"interval": 0.2,
			"fast_interval": 0.1,
			"rise": 2,
			"fall": 2,
			"timeout": 0.5,
			"announce": { "next_hop": $next_hop_json, "med": 100 }
		}
	]
}
EOF
}

# check_client NAME EXPECT TIMEOUT: the client's fetch of each anycast URL
# prints EXPECT ("site A" or FAIL) within TIMEOUT seconds.
check_client() {
	local url
	for url in "${urls[@]}"; do
		if lab_wait_client "$url" "$2" "$3"; then
			pass "$1 ($url)"
		else
			fail "$1 ($url)" "client got '$(lab_client_get "$url")', not '$2', for ${3}s"
		fi
	done
}

# check_routes NAME present|absent TIMEOUT: each prefix is present|absent
# at the router within TIMEOUT seconds.
check_routes() {
	local prefix
	for prefix in "${prefixes[@]}"; do
		if lab_wait_route "$prefix" "$2" "$3"; then
			pass "$1 ($prefix)"
		else
			fail "$1 ($prefix)" "not $2 at the router within ${3}s"
		fi
	done
}

# lab_site_exabgp_children_changed NAME OLD: ExaBGP has a child, not OLD.
lab_site_exabgp_children_changed() {
	local now
	now=$(lab_site_exabgp_children "$1")
	[ -n "$now" ] && [ "$now" != "$2" ]
}

# One whole scenario with exabgp.api.ack = $1, in a lab of its own.
scenario() {
	local ack=$1 t="[ack=$1]" children before after stop_rc
	lab_init "acl$([ "$ack" = true ] && echo t || echo f)" || {
		fail "$t setup" "lab_init"
		return
	}
	write_config "$LAB_DIR/anycheck.json"
	if ! { lab_router && lab_site A 65001 && lab_client &&
	    lab_site_exabgp A "$ack" "$ANYCHECK_EXABGP" -c "$LAB_DIR/anycheck.json"; }; then
		fail "$t setup" "the lab did not come up; see messages above"
		lab_cleanup
		return
	fi
	before=$(lab_site_exabgp_children A)
	check "$t process started by ExaBGP" "ExaBGP has no child process" \
	    [ -n "$before" ]

	check_routes "$t prefix announced once healthy" present 10
	check_client "$t client reaches site A" "site A" 3

	lab_site_service_stop A
	check_routes "$t service down: prefix withdrawn" absent 5
	check_client "$t service down: client cannot reach the anycast address" FAIL 3

	lab_site_service_start A
	check_routes "$t service back: prefix announced again" present 10
	check_client "$t service back: client reaches site A" "site A" 3

	after=$(lab_site_exabgp_children A)
	check "$t process never restarted by ExaBGP" \
	    "child pid was '$before', now '$after' (crashed or exited?)" \
	    [ -n "$before" ] && [ "$before" = "$after" ]

	# A checker that crashes while its service dies must not leave the
	# dead service announced: ExaBGP keeps the routes of a dead process
	# and starts it again; the new one withdraws what it finds DOWN.
	if [ "${CRASH:-1}" = 1 ] && [ -n "$after" ]; then
		lab_site_service_stop A
		kill -9 "$after" 2>/dev/null
		check_routes "$t checker killed (-9) while the service dies: prefix withdrawn after ExaBGP restarts it" absent 10
		lab_wait_for 10 lab_site_exabgp_children_changed A "$after" >/dev/null 2>&1 || true
		lab_site_service_start A
		check_routes "$t restarted checker announces the recovered service" present 10
		after=$(lab_site_exabgp_children A)
	fi

	children=$after
	stop_rc=0
	lab_site_exabgp_stop A 5 || stop_rc=$?
	check "$t ExaBGP stop: ExaBGP and process exit within 5s" \
	    "ExaBGP or its process ($children) hung after SIGTERM" [ "$stop_rc" = 0 ]
	check_routes "$t ExaBGP stop: prefix withdrawn at the router" absent 5
	check_client "$t ExaBGP stop: client cannot reach the anycast address" FAIL 3
	if grep -q "Too many death" "$LAB_DIR/site-A/exabgp.log" 2>/dev/null; then
		fail "$t no process respawn storm" "ExaBGP logged 'Too many death'"
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
