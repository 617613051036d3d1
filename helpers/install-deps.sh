#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Install the Debian 12 packages anycheck needs to build, test and demo.
# Idempotent: when everything is installed it only asks dpkg and returns.
set -euo pipefail

# libclang-rt-14-dev: clang's libFuzzer and sanitizer runtimes (only
# recommended by clang-14, so --no-install-recommends leaves it out).
packages=(
	build-essential clang libclang-rt-14-dev cmake pkg-config
	libjansson-dev libcurl4-openssl-dev libmicrohttpd-dev libldns-dev check
	bird2 exabgp iproute2 curl python3 nginx-light socat procps
	prometheus mandoc unbound nsd frr gobgpd
	debhelper dpkg-dev lintian debootstrap systemd-container
)
# libldns-dev: builds and parses the dns check's messages (src/check_dns.c).
# mandoc: lints the man pages (tests/lint/check_man.sh).
# unbound, nsd: the real resolver and authority the dns check is tested
# against (tests/integration/test_dns.sh), each run there with its own
# config, pid file and directories in the lab's temp dir.
# debhelper, dpkg-dev, lintian, debootstrap, systemd-container:
# tests/package/run.sh builds the Debian packages here and in a Debian 13
# chroot (helpers/chroot.sh), checks them with lintian, and boots chroots
# with systemd-nspawn to run the unit under systemd. No fakeroot:
# debian/control says Rules-Requires-Root: no, so dpkg-buildpackage never
# needs it.
# prometheus: only for promtool, which checks the /metrics output and the
# sample alert rules (helpers/anycheck-alerts.yml) in the tests. It is the
# one package that ships promtool (19 MB download, 96 MB installed, no
# dependency beyond a few JavaScript libraries); its server is not used.
# frr and gobgpd: upstream routers of the lab (helpers/lab.sh,
# LAB_ROUTER_KIND=frr|gobgp) for the tests of docs/deploy.md's router
# snippets, the drain and the ECMP measurements. The lab runs its own
# instances in network namespaces, with their own config, sockets and pid
# files; the host's services are neither needed nor used.

missing=()
for package in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing+=("$package")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; refresh them only when needed.
if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
	apt-get update
	apt-get install -y --no-install-recommends "${missing[@]}"
fi
# Debian starts bird and nginx as system services where systemd runs; the lab
# runs its own instances in namespaces and does not need those.
# The same for prometheus, installed only for promtool, and for unbound
# and nsd: their services would hold port 53 on the host (unbound on
# 127.0.0.1 and ::1, nsd on every address), and unbound-resolvconf would
# point the host's resolv.conf at that unbound. And for frr (zebra, staticd
# and watchfrr on the host; gobgpd.service only starts once
# /etc/gobgpd.conf exists): the lab works the same with them running.
if [ -d /run/systemd/system ]; then
	systemctl disable --now prometheus unbound unbound-resolvconf nsd frr \
	    >/dev/null 2>&1 || true
fi
