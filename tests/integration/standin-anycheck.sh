#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: stand-in for anycheck-exabgp (lab development only)
#
# A minimal ExaBGP process with the same command line as anycheck-exabgp
# ("-c CONFIG.json"): it takes the first service's prefixes and its first
# http check URL from the config, fetches the URL with curl every 0.2 s,
# announces the prefixes after 2 successes in a row and withdraws them after
# 2 failures in a row. It reads ExaBGP's replies (done/error/shutdown) on
# stdin so they never pile up, exits on "shutdown", EOF or SIGTERM, and
# stops by itself after STANDIN_MAX_SECONDS (default 300). Logs on stderr.
# It is not anycheck: it only lets the lab be verified without the binary.

set -u

config=""
while [ $# -gt 0 ]; do
	case $1 in
	-c) config=${2:-}; shift 2 || break ;;
	*) echo "standin: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -r "$config" ] || { echo "standin: usage: $0 -c CONFIG.json" >&2; exit 2; }

read_config() {
	/usr/bin/python3 - "$config" <<'EOF'
import json, sys
service = json.load(open(sys.argv[1]))["services"][0]
url = next(c["url"] for c in service["checks"] if c["type"] == "http")
print(url)
for prefix in service["prefixes"]:
    print(prefix)
EOF
}

mapfile -t lines < <(read_config)
[ "${#lines[@]}" -ge 2 ] || { echo "standin: no http check/prefix in $config" >&2; exit 2; }
url=${lines[0]}
prefixes=("${lines[@]:1}")

log() {
	echo "standin[$$]: $*" >&2
}

send() {
	local verb=$1 prefix
	for prefix in "${prefixes[@]}"; do
		# next-hop self works for IPv4 sessions; IPv6 needs an explicit one.
		case $prefix in
		*:*) echo "$verb route $prefix next-hop ${STANDIN_NEXT_HOP6:-self}" ;;
		*) echo "$verb route $prefix next-hop self" ;;
		esac
		log "$verb route $prefix"
	done
}

trap 'log "SIGTERM: exiting"; exit 0' TERM
log "checking $url for ${prefixes[*]}"

max=$(( ${STANDIN_MAX_SECONDS:-300} * 5 ))
state=down ok=0 bad=0 i=0
while [ "$i" -lt "$max" ]; do
	i=$((i + 1))
	if curl -sf --max-time 1 -o /dev/null "$url"; then
		ok=$((ok + 1)) bad=0
	else
		bad=$((bad + 1)) ok=0
	fi
	if [ "$state" = down ] && [ "$ok" -ge 2 ]; then
		state=up
		send announce
	elif [ "$state" = up ] && [ "$bad" -ge 2 ]; then
		state=down
		send withdraw
	fi
	# Wait 0.2 s for ExaBGP's replies, consuming every one that arrived.
	while :; do
		rc=0
		IFS= read -r -t 0.2 reply || rc=$?
		if [ "$rc" = 0 ]; then
			case $reply in
			shutdown*) log "ExaBGP shuts down: exiting"; exit 0 ;;
			done | "") ;;
			*) log "ExaBGP said: $reply" ;;
			esac
			continue
		fi
		[ "$rc" -gt 128 ] && break   # timeout: next check
		log "stdin closed: exiting"
		exit 0
	done
done
log "ran ${STANDIN_MAX_SECONDS:-300}s: exiting"
