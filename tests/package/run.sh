#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: the Debian packages, built on Debian 12 and 13, lintian-clean, installed, used and purged in chroots
#
#   bash tests/package/run.sh
#
# 1. Builds the packages on this host (Debian 12) with dpkg-buildpackage -b
#    in a copy of the tree (the source tree gets no build droppings), with
#    the nocheck profile: the unit tests have run in this build's own
#    tests/run.sh steps, and this checks that the package builds without
#    Check, as Build-Depends "check <!nocheck>" promises.
# 2. lintian on the .changes: any E: or W: that debian/ does not override
#    (with a comment) fails.
# 3. Builds them in a Debian 13 chroot (helpers/chroot.sh, from the same
#    archive apt uses here), this time running the unit tests with
#    Debian 13's compiler and libraries, and runs Debian 13's lintian.
# 4. Installs the Debian 12 packages into a fresh Debian 12 chroot with
#    bird2 and exabgp, and the Debian 13 ones into a Debian 13 chroot with
#    bird3 and exabgp (both with man-db, for the man pages), where tests/package/in_chroot.sh checks users,
#    directories, the shipped configs (-n), BIRD with the generated include
#    (bird -p, and running), ExaBGP with the shipped process block,
#    systemd-analyze verify on the unit, man pages, both daemons running
#    as their service users, conffiles kept, then remove and purge.
# 5. Boots each release's systemd on such a chroot (systemd-nspawn, private
#    network) with anycheck-bird.service and BIRD enabled, where
#    tests/package/boot_probe.sh checks the unit under the real thing:
#    READY=1, watchdog, the sandbox (checks, BIRD's socket, the include
#    file, sock_diag during a drain), reload (and a refused one), a BIRD
#    restart, stop.
#
# Every step runs under timeout; the chroots are cached for the day
# (/var/cache/anycheck/chroots), so only the first run of a day builds them
# (three chroots, about 5 minutes here; then about 2 minutes for the rest). Needs root, debootstrap, debhelper,
# lintian, dpkg-dev, systemd-container (helpers/install-deps.sh installs
# them) and the Debian archive. Prints PASS/FAIL lines and "N passed, M failed"; exits 1 if any
# check failed, 77 when not root.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
chroot_sh="$repo/helpers/chroot.sh"
jobs=$(nproc)
build_timeout=${PACKAGE_BUILD_TIMEOUT:-900}
export ANYCHECK_CHROOT_TIMEOUT=${ANYCHECK_CHROOT_TIMEOUT:-900}

passed=0
failed=0
pass() {
	echo "PASS $*"
	passed=$((passed + 1))
}
fail() {
	echo "FAIL $*"
	failed=$((failed + 1))
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit $?
}
# show_tail FILE: the end of a log, indented, after a FAIL.
show_tail() {
	tail -n "${2:-25}" "$1" | sed 's/^/    /'
}

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (chroots, mounts)"
	exit 77
fi
for tool in dpkg-buildpackage dh lintian debootstrap flock unshare git systemd-nspawn; do
	if ! command -v "$tool" >/dev/null; then
		fail "$tool is not installed (bash helpers/install-deps.sh)"
	fi
done
[ "$failed" = 0 ] || finish

work=$(mktemp -d /tmp/anycheck-package.XXXXXX)
chmod 0755 "$work"
trap 'rm -rf --one-file-system "$work"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# copy_tree DEST: the files git knows, as they are in the work tree
# (uncommitted changes included, ignored build directories not).
copy_tree() {
	mkdir -p "$1"
	if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
		(cd "$repo" && git ls-files -z -co --exclude-standard |
		    tar --null -cf - -T -) | tar -xf - -C "$1"
	else
		tar -C "$repo" --exclude='./build*' -cf - . | tar -xf - -C "$1"
	fi
}

# The Build-Depends of debian/control as packages for apt-get install: the
# first alternative, without versions and build profiles; debhelper for
# debhelper-compat and dh-sequence-*.
build_depends() {
	sed -n '/^Build-Depends:/,/^[A-Z]/p' "$repo/debian/control" |
	    sed -e '1s/^Build-Depends://' -e '/^[A-Z#]/d' |
	    tr ',' '\n' | sed -e 's/|.*//' -e 's/[(<].*//' -e 's/[[:space:]]//g' |
	    sed -e 's/^debhelper-compat$/debhelper/' -e 's/^dh-sequence-.*/debhelper/' |
	    sed '/^$/d' | LC_ALL=C sort -u
}

# The man pages docs/man/ has (in_chroot.sh checks each is installed).
man_pages=()
for page in anycheck-bird.8 anycheck-exabgp.8 anycheckctl.8 anycheck.json.5; do
	[ -f "$repo/docs/man/$page" ] && man_pages+=("$page")
done

# lintian_check LABEL OUTPUT_FILE: PASS unless an E: or W: line.
lintian_check() {
	local label=$1 output=$2 errors
	errors=$(grep -E '^[EW]: ' "$output")
	if [ -z "$errors" ]; then
		pass "$label: lintian: no error, no warning ($(grep -c '^O: ' "$output") overridden, $(grep -c '^[IP]: ' "$output") info)"
	else
		fail "$label: lintian:"
		sed 's/^/    /' <<<"$errors"
	fi
	grep -E '^[OIP]: ' "$output" | sed 's/^/    /'
}

# ---- 1. Debian 12, on this host
echo "-- Debian 12 (this host): dpkg-buildpackage"
tree_before=$(git -C "$repo" status --porcelain --ignored -- debian 2>/dev/null)
copy_tree "$work/bookworm/anycheck"
started=$SECONDS
if (cd "$work/bookworm/anycheck" &&
    timeout "$build_timeout" env DEB_BUILD_OPTIONS="nocheck parallel=$jobs" \
    DEB_BUILD_PROFILES=nocheck dpkg-buildpackage -us -uc -b) \
    >"$work/bookworm/build.log" 2>&1; then
	pass "Debian 12: dpkg-buildpackage -us -uc -b (nocheck) in $((SECONDS - started)) s"
else
	fail "Debian 12: dpkg-buildpackage failed (see below)"
	show_tail "$work/bookworm/build.log" 40
fi
if [ "$(git -C "$repo" status --porcelain --ignored -- debian 2>/dev/null)" = "$tree_before" ]; then
	pass "the source tree's debian/ is unchanged by the build"
else
	fail "the build left files in $repo/debian"
fi
for package in anycheck anycheck-bird anycheck-exabgp; do
	if ! ls "$work/bookworm/${package}_"*.deb >/dev/null 2>&1; then
		fail "Debian 12: no ${package}_*.deb"
	fi
done
if ls "$work/bookworm/"*.changes >/dev/null 2>&1; then
	# Not as root (lintian says it should not be), on copies nobody can read.
	timeout 300 runuser -u nobody -- sh -c 'cd / && lintian --show-overrides "$@"' \
	    sh "$work"/bookworm/*.changes >"$work/bookworm/lintian.txt" 2>&1
	lintian_check "Debian 12" "$work/bookworm/lintian.txt"
fi

# ---- 2. Debian 13, in a chroot
echo "-- Debian 13 (chroot): dpkg-buildpackage, with the unit tests"
started=$SECONDS
mapfile -t depends < <(build_depends)
if trixie_build=$("$chroot_sh" ensure trixie build-essential lintian "${depends[@]}" \
    2>"$work/chroot-trixie-build.log"); then
	pass "Debian 13 build chroot ready in $((SECONDS - started)) s ($(basename "$trixie_build"))"
	copy_tree "$work/trixie/anycheck"
	started=$SECONDS
	if timeout "$build_timeout" "$chroot_sh" run --bind "$work/trixie:/build" \
	    --chdir /build/anycheck --env "DEB_BUILD_OPTIONS=parallel=$jobs" \
	    "$trixie_build" dpkg-buildpackage -us -uc -b >"$work/trixie/build.log" 2>&1; then
		tests=$(grep -o '[0-9]*% tests passed, [0-9]* tests failed out of [0-9]*' \
		    "$work/trixie/build.log" | tail -n 1)
		pass "Debian 13: dpkg-buildpackage -us -uc -b in $((SECONDS - started)) s (${tests:-no test summary})"
	else
		fail "Debian 13: dpkg-buildpackage failed (see below)"
		show_tail "$work/trixie/build.log" 40
	fi
	if ls "$work/trixie/"*.changes >/dev/null 2>&1; then
		timeout 300 "$chroot_sh" run --ro-bind "$work/trixie:/build" "$trixie_build" \
		    runuser -u nobody -- sh -c 'cd / && lintian --show-overrides /build/*.changes' \
		    >"$work/trixie/lintian.txt" 2>&1
		lintian_check "Debian 13" "$work/trixie/lintian.txt"
	fi
else
	fail "Debian 13 build chroot could not be made"
	show_tail "$work/chroot-trixie-build.log"
fi

# ---- 3. install, use, purge: each release's packages in a fresh chroot
install_test() { # LABEL SUITE BIRD DEBS_DIR
	local label=$1 suite=$2 bird=$3 debs=$4 dir started
	echo "-- $label (chroot): install, use, purge"
	if ! ls "$debs/"anycheck-bird_*.deb >/dev/null 2>&1; then
		fail "$label: no packages to install"
		return
	fi
	started=$SECONDS
	if ! dir=$("$chroot_sh" ensure "$suite" "$bird" exabgp man-db 2>"$work/chroot-$suite.log"); then
		fail "$label chroot with $bird, exabgp and man-db could not be made"
		show_tail "$work/chroot-$suite.log"
		return
	fi
	pass "$label chroot with $bird, exabgp and man-db ready in $((SECONDS - started)) s ($(basename "$dir"))"
	started=$SECONDS
	timeout 300 "$chroot_sh" run --ro-bind "$debs:/debs" \
	    --ro-bind "$repo/tests/package:/test" "$dir" \
	    bash /test/in_chroot.sh /debs "${man_pages[@]}" >"$work/install-$suite.log" 2>&1
	local status=$?
	while IFS= read -r line; do
		case $line in
		"PASS "*) pass "$label: ${line#PASS }" ;;
		"FAIL "*) fail "$label: ${line#FAIL }" ;;
		*) echo "$line" ;;
		esac
	done <"$work/install-$suite.log"
	if [ "$status" != 0 ] && ! grep -q '^FAIL ' "$work/install-$suite.log"; then
		fail "$label: in_chroot.sh exited $status without a FAIL line"
		show_tail "$work/install-$suite.log"
	fi
	echo "   ($label install test: $((SECONDS - started)) s)"
	boot_test "$label" "$dir" "$debs"
}

# boot_test LABEL CHROOT DEBS_DIR: anycheck-bird.service under the release's
# own systemd, booted with systemd-nspawn (tests/package/boot_probe.sh).
boot_test() {
	local label=$1 dir=$2 debs=$3 upper results started status line
	echo "-- $label (systemd-nspawn): anycheck-bird.service under systemd"
	upper=$(mktemp -d "$work/boot-upper.XXXXXX")
	results=$(mktemp -d "$work/boot-results.XXXXXX")
	started=$SECONDS
	if ! timeout 300 "$chroot_sh" run --upper "$upper" --ro-bind "$debs:/debs" \
	    --ro-bind "$repo/tests/package:/test" "$dir" \
	    bash /test/boot_probe.sh setup /debs >"$results/setup.log" 2>&1; then
		fail "$label: preparing the system to boot failed"
		show_tail "$results/setup.log"
		return
	fi
	timeout 180 "$chroot_sh" boot --upper "$upper" \
	    --ro-bind "$repo/tests/package:/test" --bind "$results:/results" \
	    "$dir" >"$results/boot.log" 2>&1
	status=$?
	if [ ! -s "$results/probe.out" ]; then
		fail "$label: the booted system wrote no results (exit $status)"
		show_tail "$results/boot.log"
		return
	fi
	while IFS= read -r line; do
		case $line in
		"PASS "*) pass "$label, systemd: ${line#PASS }" ;;
		"FAIL "*) fail "$label, systemd: ${line#FAIL }" ;;
		*) echo "    $line" ;;
		esac
	done <"$results/probe.out"
	if [ "$status" != 0 ]; then
		fail "$label: the booted system did not power off by itself (exit $status)"
	fi
	echo "   ($label boot test: $((SECONDS - started)) s)"
	rm -rf --one-file-system "$upper"
}

install_test "Debian 12" bookworm bird2 "$work/bookworm"
install_test "Debian 13" trixie bird3 "$work/trixie"

finish
