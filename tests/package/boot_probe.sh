#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: anycheck-bird.service under a real systemd (a booted Debian chroot)
#
# Run by tests/package/run.sh in two steps on one overlay of a Debian chroot
# with BIRD (helpers/chroot.sh run --upper, then boot --upper):
#
#   boot_probe.sh setup DEBS_DIR   (chroot) install the packages, a config
#                                  whose service passes (an exec check), a
#                                  bird.conf including the generated file,
#                                  and enable bird, anycheck-bird and the
#                                  probe (a oneshot after them)
#   boot_probe.sh probe            (booted, as the probe unit) check the
#                                  unit, write PASS/FAIL lines to
#                                  /results/probe.out, power off
#
# What the probe checks is what the unit promises: Type=notify (active only
# once READY=1 came, STATUS= shown), the watchdog armed, the hardened
# sandbox letting everything through that anycheck-bird does (BIRD's socket
# through group bird, the include file, the control socket and state, exec
# checks, sock_diag during a drain), reload through ExecReload (and refused
# for a config that does not validate, the daemon running on), a BIRD
# restart not restarting it, and a clean stop that disables its protocols.
set -u

case ${1:-} in
setup)
	debs=$2
	apt-get install -q -y "$debs"/anycheck_*.deb "$debs"/anycheck-bird_*.deb \
	    "$debs"/anycheck-exabgp_*.deb >/tmp/setup.log 2>&1 || {
		tail -n 20 /tmp/setup.log
		exit 1
	}
	cat >/etc/anycheck/anycheck-bird.json <<'EOF'
{
  "local_as": 65001,
  "defaults": { "interval": 0.2, "fast_interval": 0.2, "timeout": 1.0, "rise": 2, "fall": 2 },
  "bird": { "socket": "/run/bird/bird.ctl", "include_file": "/etc/bird/anycheck.d/anycheck.conf" },
  "control": { "socket": "/run/anycheck/anycheck-bird.sock", "group": "anycheck" },
  "state_directory": "/var/lib/anycheck",
  "drain_on_exit": true,
  "services": [
    {
      "name": "web",
      "prefixes": ["192.0.2.1/32"],
      "checks": [ { "type": "exec", "command": ["/bin/true"] } ],
      "maintenance_file": "/etc/anycheck/maintenance/web",
      "announce": { "next_hop": "self", "med": 100 },
      "drain": { "seconds": 3, "min_seconds": 1, "med": 500,
                 "connections": { "max": 0, "ports": [80] } }
    }
  ]
}
EOF
	anycheck-bird -g /etc/bird/anycheck.d/anycheck.conf \
	    -c /etc/anycheck/anycheck-bird.json 2>/dev/null &&
	    chown anycheck:bird /etc/bird/anycheck.d/anycheck.conf || exit 1
	cat >/etc/bird/bird.conf <<'EOF'
router id 192.0.2.254;
include "/etc/bird/anycheck.d/*.conf";
protocol device {
}
EOF
	cat >/etc/systemd/system/anycheck-probe.service <<'EOF'
[Unit]
Description=anycheck package test: probe anycheck-bird.service, then power off
After=anycheck-bird.service bird.service

[Service]
Type=oneshot
ExecStart=/bin/bash /test/boot_probe.sh probe
ExecStopPost=/bin/systemctl --no-block poweroff

[Install]
WantedBy=multi-user.target
EOF
	systemctl enable bird.service anycheck-bird.service anycheck-probe.service \
	    >/dev/null 2>&1 || exit 1
	# Nothing else to wait for in a container.
	systemctl mask getty@.service console-getty.service \
	    systemd-networkd-wait-online.service >/dev/null 2>&1
	exit 0
	;;
probe) ;;
*)
	echo "usage: boot_probe.sh setup DEBS_DIR | probe" >&2
	exit 2
	;;
esac

exec >/results/probe.out 2>&1
say() {
	echo "$1 $2"
}
wait_for() { # SECONDS COMMAND...
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.2
	done
}
property() {
	systemctl show -P "$2" "$1"
}
unit=anycheck-bird.service
journal() {
	journalctl -b --no-pager -o cat -u "$unit"
}
echo "-- systemd $(systemctl --version | head -n 1 | cut -d' ' -f2), $(bird --version 2>&1 | grep -i version)"

if wait_for 30 sh -c "[ \"\$(systemctl show -P SubState $unit)\" = running ]"; then
	say PASS "$unit is active (running): READY=1 came, status \"$(property $unit StatusText)\""
else
	say FAIL "$unit is $(property $unit ActiveState)/$(property $unit SubState), result $(property $unit Result)"
	journal | tail -n 20
fi
pid=$(property $unit MainPID)
if [ "$(property $unit WatchdogUSec)" = 30s ] && journal | grep -q 'systemd watchdog: every 15.0 s'; then
	say PASS "the watchdog is armed (WatchdogSec=30s, pinged every 15 s)"
else
	say FAIL "the watchdog is not armed: WatchdogUSec=$(property $unit WatchdogUSec)"
fi
if wait_for 20 sh -c 'anycheckctl status web | grep -Eq "^web +UP"'; then
	say PASS "the service's exec check runs in the sandbox: web is UP"
else
	say FAIL "web did not come UP"
	anycheckctl status web
fi
if wait_for 10 sh -c 'birdc show protocols anycheck_web_v4 | grep -q "anycheck_web_v4 .* up "'; then
	say PASS "anycheck-bird enabled anycheck_web_v4 in BIRD (through group bird)"
else
	say FAIL "anycheck_web_v4 is not up in BIRD"
	birdc show protocols
fi

# A drain counts connections with sock_diag (AF_NETLINK).
anycheckctl maintenance web on --reason "package test" >/dev/null 2>&1
if wait_for 20 sh -c "journalctl -b -o cat -u $unit | grep -q 'service web: drain ended'"; then
	if journal | grep -q 'cannot count connections\|connection count:'; then
		say FAIL "the drain could not count connections (sock_diag refused?)"
		journal | grep 'count' | tail -n 5
	else
		say PASS "a drain counted connections with sock_diag and ended ($(journal |
		    sed -n 's/.*service web: drain ended //p' | head -n 1))"
	fi
else
	say FAIL "the drain did not end within 20 s"
	journal | tail -n 10
fi
anycheckctl maintenance web off >/dev/null 2>&1

if systemctl reload "$unit" && [ "$(property $unit MainPID)" = "$pid" ] &&
    [ "$(property $unit ActiveState)" = active ]; then
	say PASS "systemctl reload: done by the same process"
else
	say FAIL "systemctl reload failed: $(journal | tail -n 3 | tr '\n' ' ')"
fi
cp /etc/anycheck/anycheck-bird.json /tmp/good.json
echo '{ "local_as": 65001, "services": [' >/etc/anycheck/anycheck-bird.json
if ! systemctl reload "$unit" 2>/dev/null && [ "$(property $unit MainPID)" = "$pid" ] &&
    [ "$(property $unit ActiveState)" = active ]; then
	say PASS "systemctl reload with a config that does not validate fails; the daemon runs on"
else
	say FAIL "a reload with a broken config: $(property $unit ActiveState), pid $(property $unit MainPID)"
fi
cp /tmp/good.json /etc/anycheck/anycheck-bird.json

systemctl restart bird.service
# It saw BIRD go (the line is logged once a minute at most), and is
# connected to the new one.
if wait_for 10 sh -c "journalctl -b -o cat -u $unit | grep -q 'lost the connection to BIRD'" &&
    wait_for 10 sh -c 'anycheckctl status --json | grep -q "\"bird\": *\"connected\""' &&
    [ "$(property $unit MainPID)" = "$pid" ] && [ "$(property $unit NRestarts)" = 0 ]; then
	say PASS "systemctl restart bird: anycheck-bird reconnected, not restarted"
else
	say FAIL "after a BIRD restart: pid $(property $unit MainPID) (was $pid), $(property $unit NRestarts) restarts"
fi

systemctl stop "$unit"
if [ "$(property $unit Result)" = success ] && [ "$(property $unit ExecMainStatus)" = 0 ]; then
	say PASS "systemctl stop: exit 0"
else
	say FAIL "systemctl stop: result $(property $unit Result), status $(property $unit ExecMainStatus)"
fi
if ! birdc show protocols | grep -E '^anycheck_' | grep -q ' up '; then
	say PASS "after the stop, BIRD has every anycheck protocol down"
else
	say FAIL "anycheck protocols still up after the stop"
	birdc show protocols
fi
if journal | grep -Eiq 'operation not permitted|permission denied|read-only file system|address family not supported'; then
	say FAIL "the sandbox refused something:"
	journal | grep -Ei 'operation not permitted|permission denied|read-only file system|address family not supported' | head -n 5
else
	say PASS "nothing refused by the sandbox in anycheck-bird's journal"
fi
echo "-- $(systemd-analyze security --no-pager "$unit" 2>/dev/null | tail -n 1)"
