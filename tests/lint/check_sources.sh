#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: CMakeLists.txt lists every source, test and tool, sorted; the top level holds only the agreed entries
#
# CMakeLists.txt names its files one per line instead of globbing them. This
# fails when a file exists that no line names (a new module or test that
# would not be built or run), when a line names a file that does not exist,
# or when a list is not sorted (sorted lists merge without conflicts).
# Prints what is wrong and exits 1 if anything is.
set -u
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo" || exit 1
shopt -s nullglob

# The file names CMakeLists.txt lists: lines that are a bare path.
listed=$(sed -nE 's/^[[:space:]]*((src|tests|bench|fuzz)\/[^[:space:]]+)[[:space:]]*$/\1/p' \
    CMakeLists.txt)
problems=0

for file in src/*.c src/*.h tests/unit/test_*.c tests/tools/*.c \
    bench/tools/*.c tests/integration/test_*.sh tests/lint/*.sh \
    fuzz/*.c fuzz/*.h; do
	if ! grep -qxF "$file" <<<"$listed"; then
		echo "FAIL $file is not listed in CMakeLists.txt"
		problems=$((problems + 1))
	fi
done
while IFS= read -r file; do
	if [ ! -e "$file" ]; then
		echo "FAIL CMakeLists.txt lists $file, which does not exist"
		problems=$((problems + 1))
	fi
done <<<"$listed"

# Each run of consecutive path lines is one list; each must be sorted.
unsorted=$(LC_ALL=C awk '
	function flush() {
		if (n > 1 && !sorted) print "FAIL list starting at CMakeLists.txt:" start " is not sorted (LC_ALL=C sort)"
		n = 0; sorted = 1
	}
	BEGIN { sorted = 1 }
	/^[[:space:]]*(src|tests|bench|fuzz)\/[^[:space:]]+[[:space:]]*$/ {
		path = $1
		if (n == 0) start = NR
		else if (path < previous) sorted = 0
		previous = path; n++
		next
	}
	{ flush() }
	END { flush() }
' CMakeLists.txt)
if [ -n "$unsorted" ]; then
	echo "$unsorted"
	problems=$((problems + $(wc -l <<<"$unsorted")))
fi

# The top level of the tree holds only the agreed folders and files (a stray
# one, such as a soak's records committed by mistake, fails here).
if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
	allowed=" .ci .gitignore CMakeLists.txt LICENSE README.md bench bird debian docs exabgp fuzz helpers src tests "
	while IFS= read -r top; do
		case "$allowed" in
		*" $top "*) ;;
		*)
			echo "FAIL $top is tracked at the top level, which holds only:$allowed"
			problems=$((problems + 1))
			;;
		esac
	done < <(git -C "$repo" ls-files | cut -d/ -f1 | sort -u)
fi

if [ "$problems" -gt 0 ]; then
	echo "$problems problem(s) in CMakeLists.txt's file lists or the top level"
	exit 1
fi
echo "PASS CMakeLists.txt lists every file, sorted"
