#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: run every benchmark in --smoke mode (correctness only, a few seconds
# each, no timing assertions). Exits non-zero if any of them could not take
# its measurement or got nonsense. For CI; needs root, nginx-light, exabgp,
# bird2 (the same packages as the integration tests).
set -u
here=$(cd "$(dirname "$0")" && pwd)
failed=()
for bench in cpu_per_check scale failover "failover --backend bird"; do
	read -r -a words <<<"$bench"   # the bench's name, then its options
	echo "=== bench/${words[0]}.sh --smoke ${words[*]:1}"
	if "$here/${words[0]}.sh" --smoke "${words[@]:1}"; then
		echo "=== PASS $bench"
	else
		echo "=== FAIL $bench"
		failed+=("$bench")
	fi
	# Build once; the others reuse it.
	export BENCH_NO_BUILD=1
done
if [ -x "$here/bird_update.sh" ]; then
	echo "=== bench/bird_update.sh --smoke"
	if "$here/bird_update.sh" --smoke; then echo "=== PASS bird_update"; else
		echo "=== FAIL bird_update"; failed+=(bird_update); fi
fi
if [ -x "$here/bird_scale.sh" ]; then
	echo "=== bench/bird_scale.sh --smoke (500 services, this build only)"
	if "$here/bird_scale.sh" --smoke; then echo "=== PASS bird_scale"; else
		echo "=== FAIL bird_scale"; failed+=(bird_scale); fi
fi
if [ ${#failed[@]} -gt 0 ]; then
	echo "smoke: failed: ${failed[*]}"
	exit 1
fi
echo "smoke: all benchmarks passed"
