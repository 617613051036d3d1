#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: the Debian packages installed, used and purged inside a fresh chroot
#
# Run by tests/package/run.sh inside a throw-away chroot (helpers/chroot.sh
# run) of the release the packages were built for, with BIRD and ExaBGP
# installed and a policy-rc.d that starts nothing:
#
#   in_chroot.sh DEBS_DIR [MAN_PAGE ...]
#
# DEBS_DIR holds anycheck_*.deb, anycheck-bird_*.deb and
# anycheck-exabgp_*.deb; MAN_PAGE ... are the pages docs/man/ has (each must
# be installed). Installs them with apt-get (which fetches their
# dependencies from the archive), checks what an operator relies on (users,
# groups, directories and their owners, the shipped configs pass -n as the
# daemons' users, BIRD accepts the generated include, ExaBGP accepts the
# process block, systemd-analyze verify accepts the unit), runs both
# daemons briefly as their service users beside a real BIRD and ExaBGP in a
# network namespace of their own (no interface but a down lo), keeps an
# edited conffile across a reinstall, then removes and purges the packages
# and checks that nothing is left. One PASS or FAIL line per check; exit 1 if
# any failed.
# shellcheck disable=SC2016 # the sh -c scripts expand their own variables
set -u
debs=$1
shift
man_pages=("$@")
failures=0
log=/tmp/in-chroot.log

pass() {
	echo "PASS $*"
}

fail() {
	echo "FAIL $*"
	failures=$((failures + 1))
}

# check DESCRIPTION COMMAND...: PASS when COMMAND succeeds; else FAIL with the
# end of its output.
check() {
	local what=$1
	shift
	if "$@" >"$log" 2>&1; then
		pass "$what"
	else
		fail "$what (exit $?)"
		tail -n 15 "$log" | sed 's/^/    /'
	fi
}

# expect_mode PATH OWNER:GROUP MODE
expect_mode() {
	local got
	got=$(stat -c '%U:%G %a' "$1" 2>&1)
	if [ "$got" = "$2 $3" ]; then
		pass "$1 is $2, mode $3"
	else
		fail "$1 is '$got', expected '$2 $3'"
	fi
}

# wait_for SECONDS COMMAND...: poll every 0.1 s.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.1
	done
}

# "configuration OK" and not one warning: the shipped configs fit the
# installed system (group anycheck exists, the maintenance directory too).
config_ok() { # USER PROGRAM CONFIG
	local output
	output=$(runuser -u "$1" -- "$2" -n -c "$3" 2>&1) || {
		echo "$output"
		return 1
	}
	echo "$output"
	[ "$output" = "configuration OK" ]
}

# shellcheck disable=SC1091 # the chroot's
release=$(. /etc/os-release && echo "$PRETTY_NAME")
echo "-- in $release: $(dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Version}\n' \
    bird2 bird3 exabgp 2>/dev/null | sed -n 's/^ii  *//p' | paste -sd, | sed 's/,/, /g')"

if [ "$(/usr/sbin/policy-rc.d x start >/dev/null 2>&1; echo $?)" != 101 ]; then
	fail "the chroot has no policy-rc.d refusing to start services"
	exit 1
fi

# ---- install
mkdir -p /tmp/debs
cp "$debs"/anycheck_*.deb "$debs"/anycheck-bird_*.deb "$debs"/anycheck-exabgp_*.deb /tmp/debs/
check "apt-get install of anycheck, anycheck-bird, anycheck-exabgp (and their dependencies)" \
    apt-get install -q -y /tmp/debs/anycheck_*.deb /tmp/debs/anycheck-bird_*.deb \
    /tmp/debs/anycheck-exabgp_*.deb
if [ "$(dpkg-query -W -f='${Status}\n' anycheck anycheck-bird anycheck-exabgp 2>/dev/null |
    grep -cx 'install ok installed')" = 3 ]; then
	pass "the three packages are installed and configured"
else
	fail "the packages are not all installed"
	exit 1
fi
dpkg -L anycheck anycheck-bird anycheck-exabgp | sort -u >/tmp/package-files

# ---- users, groups, directories
check "user anycheck exists" getent passwd anycheck
check "group anycheck exists" getent group anycheck
check "anycheck is a member of group bird" sh -c 'id -nG anycheck | grep -qw bird'
check "exabgp (ExaBGP's user) is a member of group anycheck" \
    sh -c 'id -nG exabgp | grep -qw anycheck'
expect_mode /run/anycheck anycheck:anycheck 2770
expect_mode /var/lib/anycheck anycheck:anycheck 2770
expect_mode /etc/bird/anycheck.d anycheck:bird 2750
expect_mode /etc/bird/anycheck.d/anycheck.conf anycheck:bird 644
expect_mode /etc/anycheck/maintenance root:root 755
check "the configs in /etc/anycheck are conffiles" sh -c '
	dpkg-query -W -f="\${Conffiles}\n" anycheck-bird | grep -q " /etc/anycheck/anycheck-bird.json " &&
	dpkg-query -W -f="\${Conffiles}\n" anycheck-exabgp | grep -q " /etc/anycheck/anycheck-exabgp.json "'
check "anycheck-bird.service is installed but not enabled" sh -c '
	unit=$(dpkg -L anycheck-bird | grep "/systemd/system/anycheck-bird.service\$") &&
	[ -f "$unit" ] && [ ! -e /etc/systemd/system/multi-user.target.wants/anycheck-bird.service ]'

# ---- the shipped configs, as the users that run them
check "anycheck-bird -n on /etc/anycheck/anycheck-bird.json as user anycheck" \
    config_ok anycheck anycheck-bird /etc/anycheck/anycheck-bird.json
check "anycheck-exabgp -n on /etc/anycheck/anycheck-exabgp.json as user exabgp" \
    config_ok exabgp anycheck-exabgp /etc/anycheck/anycheck-exabgp.json
check "anycheck-bird -V prints the package's version" sh -c '
	[ "$(anycheck-bird -V)" = "anycheck-bird $(dpkg-query -W -f="\${Version}" anycheck-bird)" ]'

# ---- BIRD accepts the include file generated at installation
mkdir -p /tmp/bird
cat >/tmp/bird/with-include.conf <<'EOF'
router id 192.0.2.254;
include "/etc/bird/anycheck.d/*.conf";
protocol device {
}
protocol kernel {
	ipv4 { import none; export where !defined(anycheck_route); };
}
protocol bgp upstream4 {
	local 198.51.100.2 as 65001;
	neighbor 198.51.100.1 as 64500;
	ipv4 { import none; export filter anycheck_export; };
	ipv6 { import none; export filter anycheck_export; };
}
EOF
grep -v '^include' /tmp/bird/with-include.conf >/tmp/bird/without-include.conf
check "bird -p: a bird.conf that includes /etc/bird/anycheck.d/*.conf and uses anycheck_export" \
    bird -p -c /tmp/bird/with-include.conf
if bird -p -c /tmp/bird/without-include.conf >/dev/null 2>&1; then
	fail "bird -p accepts the same bird.conf without the include (the check above proves nothing)"
else
	pass "bird -p refuses that bird.conf without the include (the check can fail)"
fi
cp /etc/bird/bird.conf /tmp/bird/debian.conf
echo 'include "/etc/bird/anycheck.d/*.conf";' >>/tmp/bird/debian.conf
check "bird -p: Debian's own bird.conf with the include line added" \
    bird -p -c /tmp/bird/debian.conf

# ---- ExaBGP accepts the shipped process block (it checks the program exists)
{
	cat /usr/share/doc/anycheck/examples/exabgp/anycheck-process.conf
	cat <<'EOF'
neighbor 198.51.100.1 {
	router-id 198.51.100.2;
	local-address 198.51.100.2;
	local-as 65001;
	peer-as 64500;
	family { ipv4 unicast; ipv6 unicast; }
	api { processes [ anycheck ]; }
}
EOF
} >/tmp/exabgp.conf
check "anycheck-process.conf runs /usr/sbin/anycheck-exabgp" \
    grep -q '^[[:space:]]*run /usr/sbin/anycheck-exabgp -c /etc/anycheck/anycheck-exabgp.json;' \
    /usr/share/doc/anycheck/examples/exabgp/anycheck-process.conf
check "exabgp --test accepts the process block (as user exabgp)" \
    runuser -u exabgp -- env exabgp_api_cli=false exabgp --test /tmp/exabgp.conf

# ---- systemd
unit=$(grep '/systemd/system/anycheck-bird.service$' /tmp/package-files)
man_check=--man=no
if man -w anycheck-bird.8 >/dev/null 2>&1 && man -w anycheck.json.5 >/dev/null 2>&1; then
	man_check=--man=yes
fi
verify() {
	local output
	output=$(systemd-analyze verify "$man_check" "$unit" 2>&1)
	local status=$?
	echo "$output"
	[ $status = 0 ] && [ -z "$output" ]
}
check "systemd-analyze verify $man_check $unit (nothing to say)" verify
# (systemd 252 always "Would write /etc/group" when a file has an m line.)
check "sysusers.d files: systemd-sysusers has no user or group left to create" sh -c '
	out=$(systemd-sysusers --dry-run anycheck.conf anycheck-bird.conf anycheck-exabgp.conf 2>&1) &&
	echo "$out" && ! echo "$out" | grep -q "^Creating"'

# ---- man pages
for page in "${man_pages[@]}"; do
	check "man page $page installed" \
	    test -f "/usr/share/man/man${page##*.}/$page.gz"
done
[ ${#man_pages[@]} -gt 0 ] || echo "SKIP man pages: docs/man/ has none yet"
check "README, docs and examples in /usr/share/doc/anycheck" test -f \
    /usr/share/doc/anycheck/README.md.gz -a -f /usr/share/doc/anycheck/deploy.md.gz -a \
    -f /usr/share/doc/anycheck/examples/bird/bird.conf

# ---- both daemons run as their service users beside BIRD and ExaBGP, in a
# network namespace of their own (nothing leaves it).
live_script=$(
	cat <<'EOF'
set -u
status=0
say() { echo "$1 $2"; [ "$1" = PASS ] || status=1; }
wait_for() {
	local deadline=$((SECONDS + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.1
	done
}
cp /tmp/bird/with-include.conf /etc/bird/bird.conf
/usr/lib/bird/prepare-environment >/dev/null
bird -u bird -g bird -c /etc/bird/bird.conf -s /run/bird/bird.ctl -P /run/bird/bird.pid
if wait_for 10 birdc -s /run/bird/bird.ctl show status; then
	say PASS "BIRD runs with bird.conf including the generated file"
else
	say FAIL "BIRD did not start"
	exit 1
fi
before=$(stat -c %Y /etc/bird/anycheck.d/anycheck.conf)
sleep 1.1
# As anycheck-bird.service runs it: user and group anycheck, supplementary
# groups from /etc/group (bird), no new privileges.
setpriv --reuid=anycheck --regid=anycheck --init-groups --no-new-privs \
    anycheck-bird -c /etc/anycheck/anycheck-bird.json >/tmp/anycheck-bird.log 2>&1 &
daemon=$!
if wait_for 15 anycheckctl -s /run/anycheck/anycheck-bird.sock status web; then
	say PASS "anycheck-bird (user anycheck) answers anycheckctl on /run/anycheck/anycheck-bird.sock"
else
	say FAIL "anycheck-bird does not answer anycheckctl status"
fi
if [ "$(stat -c '%U:%G' /run/anycheck/anycheck-bird.sock 2>&1)" = anycheck:anycheck ]; then
	say PASS "its control socket is anycheck:anycheck"
else
	say FAIL "its control socket is $(stat -c '%U:%G' /run/anycheck/anycheck-bird.sock 2>&1)"
fi
if wait_for 10 sh -c '[ "$(stat -c %Y /etc/bird/anycheck.d/anycheck.conf)" != "'"$before"'" ]' &&
    [ "$(stat -c '%U:%G %a' /etc/bird/anycheck.d/anycheck.conf)" = "anycheck:bird 644" ]; then
	say PASS "it rewrote /etc/bird/anycheck.d/anycheck.conf (anycheck:bird 644) through group bird"
else
	say FAIL "the include file was not rewritten by anycheck-bird"
fi
if wait_for 10 sh -c 'birdc -s /run/bird/bird.ctl show protocols | grep -q anycheck_web_v4' &&
    ! grep -q 'Permission denied\|access denied\|8007' /tmp/anycheck-bird.log; then
	say PASS "BIRD has its protocols, and it reached BIRD's socket through group bird"
else
	say FAIL "anycheck-bird did not get through to BIRD"
fi
if anycheckctl -s /run/anycheck/anycheck-bird.sock maintenance web on --reason package-test >/dev/null &&
    ls /var/lib/anycheck/anycheck-bird.*.control >/dev/null 2>&1; then
	say PASS "a maintenance request is kept in /var/lib/anycheck (written by user anycheck)"
else
	say FAIL "no anycheck-bird state in /var/lib/anycheck"
fi
kill -TERM "$daemon"
if wait_for 15 sh -c "! kill -0 $daemon"; then
	wait "$daemon"
	code=$?
	if [ "$code" = 0 ]; then
		say PASS "anycheck-bird exits 0 on SIGTERM"
	else
		say FAIL "anycheck-bird exited $code on SIGTERM"
	fi
else
	say FAIL "anycheck-bird did not exit within 15 s of SIGTERM"
fi
birdc -s /run/bird/bird.ctl down >/dev/null 2>&1

# ExaBGP as Debian's exabgp.service runs it (User=exabgp: its groups
# include anycheck), starting anycheck-exabgp from the shipped block.
setpriv --reuid=exabgp --regid=exabgp --init-groups \
    env exabgp_api_cli=false exabgp_daemon_daemonize=false \
    exabgp_log_destination=stdout exabgp /tmp/exabgp.conf >/tmp/exabgp.log 2>&1 &
exabgp=$!
if wait_for 20 anycheckctl -s /run/anycheck/anycheck-exabgp.sock status web; then
	say PASS "ExaBGP (user exabgp) started anycheck-exabgp, which answers on /run/anycheck/anycheck-exabgp.sock"
else
	say FAIL "anycheck-exabgp under ExaBGP does not answer anycheckctl status"
	tail -n 20 /tmp/exabgp.log
fi
if [ "$(stat -c %G /run/anycheck/anycheck-exabgp.sock 2>&1)" = anycheck ]; then
	say PASS "its control socket belongs to group anycheck"
else
	say FAIL "its control socket's group is $(stat -c %G /run/anycheck/anycheck-exabgp.sock 2>&1)"
fi
if anycheckctl -s /run/anycheck/anycheck-exabgp.sock maintenance web on --reason package-test >/dev/null &&
    [ "$(stat -c %U /var/lib/anycheck/anycheck-exabgp.*.control 2>&1)" = exabgp ]; then
	say PASS "user exabgp keeps anycheck-exabgp's state in /var/lib/anycheck"
else
	say FAIL "no anycheck-exabgp state in /var/lib/anycheck"
fi
kill -TERM "$exabgp"
wait_for 15 sh -c "! kill -0 $exabgp" || say FAIL "ExaBGP did not exit within 15 s of SIGTERM"
exit $status
EOF
)
if ! unshare --net bash -c "$live_script" >/tmp/live.out 2>&1; then
	failures=$((failures + 1))
fi
grep -E '^(PASS|FAIL) ' /tmp/live.out
if grep -q '^FAIL ' /tmp/live.out; then
	failures=$((failures + $(grep -c '^FAIL ' /tmp/live.out) - 1))
	echo "    anycheck-bird's log:"
	tail -n 15 /tmp/anycheck-bird.log 2>/dev/null | sed 's/^/    /'
fi

# ---- an edited conffile survives a reinstall
sed -i 's/"med": 100,/"med": 150,/' /etc/anycheck/anycheck-bird.json
check "reinstalling keeps an edited /etc/anycheck/anycheck-bird.json" sh -c '
	apt-get install -q -y --reinstall /tmp/debs/anycheck-bird_*.deb &&
	grep -q "\"med\": 150," /etc/anycheck/anycheck-bird.json'

# ---- remove, then purge
check "apt-get remove" apt-get remove -q -y anycheck anycheck-bird anycheck-exabgp
check "after remove, the configs and the include file are still there" test -f \
    /etc/anycheck/anycheck-bird.json -a -f /etc/anycheck/anycheck-exabgp.json -a \
    -f /etc/bird/anycheck.d/anycheck.conf
check "after remove, the programs are gone" sh -c '! command -v anycheck-bird && ! command -v anycheckctl'
check "apt-get purge" apt-get purge -q -y anycheck anycheck-bird anycheck-exabgp
leftover=$(
	while IFS= read -r path; do
		# Directories other packages share (/etc, /usr/lib/sysusers.d, ...).
		[ -d "$path" ] && [ -n "$(ls -A "$path" 2>/dev/null)" ] && continue
		[ -e "$path" ] && echo "$path"
	done </tmp/package-files
	for path in /etc/anycheck /etc/bird/anycheck.d /var/lib/anycheck /run/anycheck; do
		[ -e "$path" ] && echo "$path"
	done
)
if [ -z "$leftover" ]; then
	pass "purge left none of the packages' files or directories behind"
else
	fail "purge left behind: $(tr '\n' ' ' <<<"$leftover")"
fi
if dpkg-query -W -f='${Status}\n' anycheck anycheck-bird anycheck-exabgp 2>/dev/null |
    grep -q 'installed\|config-files'; then
	fail "dpkg still knows the packages after purge"
else
	pass "dpkg forgot the packages"
fi
# Debian keeps system users on purge (files elsewhere may still be theirs).
check "BIRD still parses Debian's bird.conf once the include is gone" \
    sh -c 'grep -v anycheck /tmp/bird/debian.conf >/tmp/bird/plain.conf && bird -p -c /tmp/bird/plain.conf'

[ $failures = 0 ]
