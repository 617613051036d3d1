#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The whole anycheck test suite: installs what it needs, builds twice (plain,
# and with AddressSanitizer + UndefinedBehaviorSanitizer), runs every unit
# test in both builds and every integration test (real BIRD and ExaBGP in
# network namespaces) in the plain build. Needs root. Exits non-zero if any
# test fails.
set -euo pipefail
cd "$(dirname "$0")/.."

bash helpers/install-deps.sh

jobs=$(nproc)
echo "== build (plain)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
echo "== build (ASan + UBSan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DANYCHECK_SANITIZE=ON \
	-DANYCHECK_INTEGRATION_TESTS=OFF >/dev/null
cmake --build build-asan -j"$jobs"

status=0
echo "== unit tests under ASan + UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --test-dir build-asan -L unit --output-on-failure || status=1
echo "== all tests (unit + integration)"
ctest --test-dir build --output-on-failure || status=1
exit $status
