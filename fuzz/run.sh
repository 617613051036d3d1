#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: run the libFuzzer targets for a while
#
# Usage: fuzz/run.sh [SECONDS] [NAME...]
#
# Builds the fuzz targets with clang, libFuzzer, ASan and UBSan in
# build-fuzz/ (FUZZ_BUILD_DIR; an existing build is only brought up to
# date), then runs each target NAME (default: every fuzz/fuzz_NAME.c), one
# after the other, for SECONDS (default 60) from its seeds
# (fuzz/corpus/NAME, fuzz/regressions/NAME) with fuzz/NAME.dict. New corpus
# entries go to a temporary directory, never into the repository; it is
# removed at the end unless something crashed or FUZZ_KEEP=1. Prints one
# line per target with its exec count. On a crash, leak, timeout or
# out-of-memory prints the reproducer's path and how to replay it, and
# exits 1 once every target has run.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

seconds=${1:-60}
shift || true
case $seconds in
'' | *[!0-9]*) echo "usage: fuzz/run.sh [SECONDS] [NAME...]" >&2; exit 2 ;;
esac
if [ $# -gt 0 ]; then
	names=("$@")
else
	names=()
	for source in fuzz/fuzz_*.c; do
		name=${source#fuzz/fuzz_}
		names+=("${name%.c}")
	done
fi
for name in "${names[@]}"; do
	if [ ! -f "fuzz/fuzz_$name.c" ]; then
		echo "fuzz/run.sh: no target $name (fuzz/fuzz_$name.c)" >&2
		exit 2
	fi
done

build=${FUZZ_BUILD_DIR:-build-fuzz}
# -O1 keeps the sources' checks and runs fast enough; the daemons and the
# unit tests are not needed here.
if [ ! -f "$build/CMakeCache.txt" ]; then
	CC=clang cmake -S . -B "$build" -DANYCHECK_FUZZ=ON \
		-DBUILD_TESTING=OFF -DANYCHECK_WERROR=ON \
		-DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS=-O1 >/dev/null
fi
targets=()
for name in "${names[@]}"; do
	targets+=("fuzz_$name")
done
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}" >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/anycheck-fuzz.XXXXXX")
failed=0
for name in "${names[@]}"; do
	# Longest input: a config file, a few BIRD replies past the reply
	# caps (16 KiB of text), ExaBGP lines past the reader's 4 KiB,
	# one config string.
	case $name in
	bird_reply) max_len=20000 ;;
	config | exabgp_input) max_len=8192 ;;
	*) max_len=512 ;;
	esac
	mkdir -p "$work/$name/corpus" "$work/$name/artifacts"
	dict=()
	[ -f "fuzz/$name.dict" ] && dict=("-dict=fuzz/$name.dict")
	seeds=("fuzz/corpus/$name")
	[ -d "fuzz/regressions/$name" ] && seeds+=("fuzz/regressions/$name")
	status=0
	"$build/fuzz_$name" "$work/$name/corpus" "${seeds[@]}" "${dict[@]}" \
		-max_total_time="$seconds" -max_len="$max_len" -timeout=10 \
		-print_final_stats=1 \
		-artifact_prefix="$work/$name/artifacts/" \
		>"$work/$name/log" 2>&1 || status=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
		"$work/$name/log" | tail -n 1)
	corpus=$(find "$work/$name/corpus" -type f | wc -l)
	artifacts=$(find "$work/$name/artifacts" -type f | LC_ALL=C sort)
	if [ "$status" -eq 0 ] && [ -z "$artifacts" ]; then
		printf 'fuzz %-13s ok: %s execs in %s s, %s new corpus entries\n' \
			"$name" "${execs:-?}" "$seconds" "$corpus"
		continue
	fi
	failed=1
	printf 'fuzz %-13s FAILED (exit %s) after %s execs\n' "$name" \
		"$status" "${execs:-?}"
	grep -E 'ERROR|SUMMARY|expectation failed|runtime error' \
		"$work/$name/log" | head -n 20 | sed 's/^/    /' || true
	for artifact in $artifacts; do
		echo "    reproducer: $artifact"
		echo "    replay: $build/fuzz_$name $artifact"
		echo "    keep as a regression: cp $artifact fuzz/regressions/$name/"
	done
	echo "    log: $work/$name/log"
done

if [ "$failed" -ne 0 ] || [ "${FUZZ_KEEP:-0}" = 1 ]; then
	echo "fuzz: corpora, artifacts and logs kept in $work"
else
	rm -rf "$work"
fi
exit "$failed"
