#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The whole anycheck test suite: installs what it needs, compiles the
# daemons as a packager would (no tests, Release, gcc and clang), builds
# twice (plain, and with AddressSanitizer + UndefinedBehaviorSanitizer), runs
# every unit test in both builds, every fuzz target for a short while (clang,
# libFuzzer), the chaos soaks with the sanitized daemons, and every
# integration test (real BIRD and ExaBGP in network namespaces) in the plain
# build, the Debian packages (tests/package/run.sh) and the version matrix
# (tests/versions/run.sh: Debian 13's and unstable's BIRD and ExaBGP). Every
# build treats warnings as errors. Needs root. Exits non-zero if any test
# fails.
#
# --default-versions: only the host's daemons (Debian 12's BIRD 2.0.12 and
# ExaBGP 4.2.21), without the version matrix, for quick local runs; CI runs
# everything.
set -euo pipefail
cd "$(dirname "$0")/.."

matrix=1
case ${1:-} in
"") ;;
--default-versions) matrix=0 ;;
*) echo "usage: tests/run.sh [--default-versions]" >&2; exit 2 ;;
esac

bash helpers/install-deps.sh

# Everything the integration tests need is installed and we are root: a test
# that would skip (exit 77) fails instead, saying why.
export ANYCHECK_REQUIRE_INTEGRATION=1

jobs=$(nproc)
for cc in gcc clang; do
	echo "== compile only: the daemons without tests (BUILD_TESTING=OFF), Release, $cc"
	CC=$cc cmake -S . -B "build-packager-$cc" -DCMAKE_BUILD_TYPE=Release \
		-DBUILD_TESTING=OFF -DANYCHECK_WERROR=ON >/dev/null
	cmake --build "build-packager-$cc" -j"$jobs"
done
echo "== build (plain)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DANYCHECK_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
echo "== build (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DANYCHECK_SANITIZE=ON \
	-DANYCHECK_WERROR=ON -DANYCHECK_INTEGRATION_TESTS=OFF >/dev/null
cmake --build build-asan -j"$jobs"

status=0
echo "== unit tests under ASan + UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir build-asan -L unit --output-on-failure || status=1
# Long enough to catch a regression in the parsers (each target reaches
# its seeds' coverage within seconds), short enough for CI: FUZZ_SECONDS
# per target, about 2 minutes for the step with the build on 2 cores.
echo "== fuzz targets, ${FUZZ_SECONDS:=20} s each (libFuzzer, ASan + UBSan)"
bash fuzz/run.sh "$FUZZ_SECONDS" || status=1

# The chaos soaks with the sanitized daemons (about 100 s each): a report
# aborts the daemon (abort_on_error) and lands in its log, which the soak
# reads; LeakSanitizer runs at the SIGTERM that ends each soak.
echo "== chaos soaks under ASan + UBSan (build-asan daemons)"
for backend in exabgp bird; do
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ANYCHECK_EXABGP="$PWD/build-asan/anycheck-exabgp" \
	ANYCHECK_BIRD="$PWD/build-asan/anycheck-bird" \
	CHAOS_SECONDS="${CHAOS_SECONDS:-90}" \
		bash "tests/integration/test_chaos_$backend.sh" || status=1
done
echo "== all tests (unit + integration)"
ctest --test-dir build --output-on-failure || status=1
# The Debian packages: built here and in a Debian 13 chroot, lintian, then
# installed, run and purged in fresh chroots, and booted under systemd
# (about 2 minutes once the day's chroots are cached, 7 when they are built).
echo "== Debian package (build, lintian, install in a chroot)"
bash tests/package/run.sh || status=1
# The integration tests against Debian 13's and unstable's BIRD 2.17, 3.1,
# 3.4 and ExaBGP 4.2.25, 5.0 from chroots; anycheck built and unit-tested
# in them (docs/testing.md, "The version matrix").
if [ "$matrix" = 1 ]; then
	echo "== version matrix (Debian 13 and unstable daemons, from chroots)"
	bash tests/versions/run.sh || status=1
else
	echo "== version matrix skipped (--default-versions)"
fi
exit $status
