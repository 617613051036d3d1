#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: run every benchmark in --smoke mode (correctness only, a few seconds
# each, no timing assertions). Exits non-zero if any of them could not take
# its measurement or got nonsense; exits 77 (skipped) when none failed but
# some could not run here (not root, a package missing; with
# ANYCHECK_REQUIRE_INTEGRATION=1 those fail instead). For CI; needs root,
# nginx-light, exabgp, bird2 (the same packages as the integration tests).
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
BENCH_NAME=smoke
bench_need_root
failed=()
skipped=()
for bench in cpu_per_check scale failover "failover --backend bird"; do
	read -r -a words <<<"$bench"   # the bench's name, then its options
	echo "=== bench/${words[0]}.sh --smoke ${words[*]:1}"
	"$here/${words[0]}.sh" --smoke "${words[@]:1}"
	case $? in
	0) echo "=== PASS $bench" ;;
	77) echo "=== SKIP $bench"; skipped+=("$bench") ;;
	*) echo "=== FAIL $bench"; failed+=("$bench") ;;
	esac
	# Build once; the others reuse it.
	export BENCH_NO_BUILD=1
done
if [ -x "$here/bird_update.sh" ]; then
	echo "=== bench/bird_update.sh --smoke"
	"$here/bird_update.sh" --smoke
	case $? in
	0) echo "=== PASS bird_update" ;;
	77) echo "=== SKIP bird_update"; skipped+=(bird_update) ;;
	*) echo "=== FAIL bird_update"; failed+=(bird_update) ;;
	esac
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
if [ ${#skipped[@]} -gt 0 ]; then
	echo "smoke: skipped: ${skipped[*]}"
	exit 77
fi
echo "smoke: all benchmarks passed"
