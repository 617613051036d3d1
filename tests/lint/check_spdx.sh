#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: every source and script carries the project's SPDX license line
#
# Checks *.c, *.h, *.sh, CMakeLists.txt, .ci/run, bird/*.conf and
# exabgp/*.conf (not bird/anycheck.conf, which anycheck-bird generates): the
# line "SPDX-License-Identifier: BSD-2-Clause" must be within the first five
# lines. The files are the tracked ones (git ls-files) in a git checkout,
# else every file under the source tree (a release tarball). Prints each
# offending file and exits 1 if there is any.
set -u
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo" || exit 1
spdx='SPDX-License-Identifier: BSD-2-Clause'

# The files to look at, relative to the source tree. An empty git listing
# (git missing, or the tree untracked inside another repository) falls back
# to find, which skips .git and CMake's build directories.
list_files() {
	local tracked
	tracked=$(git ls-files 2>/dev/null)
	if [ -n "$tracked" ]; then
		printf '%s\n' "$tracked"
		return
	fi
	find . \( -name .git -o -name CMakeFiles -o -path './build*' \) -prune \
	    -o -type f -print | sed 's|^\./||' | LC_ALL=C sort
}

checked=0
missing=()
while IFS= read -r file; do
	case $file in
	bird/anycheck.conf) continue ;;
	*.c | *.h | *.sh | CMakeLists.txt | */CMakeLists.txt | .ci/run | \
	    bird/*.conf | exabgp/*.conf) ;;
	*) continue ;;
	esac
	[ -f "$file" ] || continue      # tracked but deleted in the work tree
	checked=$((checked + 1))
	head -n 5 "$file" | grep -qF "$spdx" || missing+=("$file")
done < <(list_files)

if [ "$checked" = 0 ]; then
	echo "FAIL no files to check under $repo"
	exit 1
fi
if [ ${#missing[@]} -gt 0 ]; then
	echo "FAIL ${#missing[@]} of $checked files lack \"$spdx\" in their first 5 lines:"
	printf '  %s\n' "${missing[@]}"
	exit 1
fi
echo "PASS $checked files carry \"$spdx\""
