#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: the README stays short with the two commands first, and every relative link in the docs resolves
#
# Fails when:
#   - README.md is larger than 12 000 bytes (detail belongs in docs/);
#   - the README's first code block no longer holds the two commands
#     `bash helpers/demo.sh` and `bash tests/run.sh`, each on a line of its
#     own (they are the project's contract with a newcomer);
#   - a relative Markdown link in README.md or docs/*.md (inline
#     `[text](target)` or a reference definition `[label]: target`, outside
#     fenced code blocks) points to a file that does not exist, out of the
#     source tree, or to an anchor (`file.md#heading`, `#heading`) that no
#     heading of that Markdown file produces (GitHub's rule: lower case,
#     punctuation dropped, spaces to hyphens, -1, -2 ... for repeats).
# Links with a scheme (https:, mailto:) are not followed. Prints each
# problem and exits 1 if there is any.
set -u
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo" || exit 1
export LC_ALL=C

readme_max=12000

# TEMPORARY, remove at merge: documents written in parallel on other
# branches. Until they land, a link to one of these may dangle; once they
# are merged this list must be emptied so that every link is checked.
pending_docs=(
)

problems=0
fail() {
	echo "FAIL $*"
	problems=$((problems + 1))
}

is_pending() {
	local pattern
	for pattern in "${pending_docs[@]}"; do
		# shellcheck disable=SC2053 # the pattern is a glob on purpose
		[[ $1 == $pattern ]] && return 0
	done
	return 1
}

# 1. The README's size.
if [ ! -f README.md ]; then
	fail "README.md does not exist"
	echo "$problems problem(s) in README.md and docs/"
	exit 1
fi
size=$(wc -c <README.md)
if [ "$size" -gt "$readme_max" ]; then
	fail "README.md is $size bytes, more than $readme_max: move detail into docs/"
fi

# 2. The two commands, in the README's first fenced code block.
first_block=$(awk '
	/^[ \t]*(```|~~~)/ { if (inside) exit; inside = 1; next }
	inside { print }
' README.md)
if [ -z "$first_block" ]; then
	fail "README.md has no fenced code block; the first one must hold bash helpers/demo.sh and bash tests/run.sh"
else
	for command in 'bash helpers/demo.sh' 'bash tests/run.sh'; do
		if ! grep -qE "^[[:space:]]*${command//./\\.}[[:space:]]*$" <<<"$first_block"; then
			fail "README.md's first code block no longer holds the line '$command'"
		fi
	done
fi

# 3. Links. For each Markdown file: its links (FILE LINE TARGET) and its
# headings' anchors, both outside fenced code blocks.
links_of() {
	awk -v file="$1" '
		/^[ \t]*(```|~~~)/ { fence = !fence; next }
		fence { next }
		{
			line = $0
			# Inline code spans are not links.
			gsub(/`[^`]*`/, "", line)
			if (match(line, /^[ \t]*\[[^]]+\]:[ \t]+[^ \t]+/)) {
				target = line
				sub(/^[ \t]*\[[^]]+\]:[ \t]+/, "", target)
				sub(/[ \t].*$/, "", target)
				print file "\t" NR "\t" target
				next
			}
			while (match(line, /\]\([^)]*\)/)) {
				target = substr(line, RSTART + 2, RLENGTH - 3)
				line = substr(line, RSTART + RLENGTH)
				sub(/^[ \t]*</, "", target)
				sub(/>?[ \t].*$/, "", target)
				sub(/>$/, "", target)
				print file "\t" NR "\t" target
			}
		}
	' "$1"
}

anchors_of() {
	awk '
		/^[ \t]*(```|~~~)/ { fence = !fence; next }
		fence { next }
		/^#+[ \t]/ && match($0, /^#+/) && RLENGTH <= 6 {
			heading = $0
			sub(/^#+[ \t]+/, "", heading)
			sub(/[ \t]+#*[ \t]*$/, "", heading)
			slug = tolower(heading)
			gsub(/[^a-z0-9 _-]/, "", slug)
			gsub(/ /, "-", slug)
			if (slug in seen) {
				seen[slug]++
				print slug "-" seen[slug]
			} else {
				seen[slug] = 0
				print slug
			}
		}
	' "$1"
}

shopt -s nullglob
checked=0
for file in README.md docs/*.md; do
	dir=$(dirname "$file")
	while IFS=$'\t' read -r source line target; do
		[ -n "$target" ] || continue
		case $target in
		[a-zA-Z]*:*)
			# A scheme (https:, mailto:): not ours to check.
			[[ $target =~ ^[a-zA-Z][a-zA-Z0-9+.-]*: ]] && continue ;;
		esac
		checked=$((checked + 1))
		path=${target%%#*}
		anchor=
		[[ $target == *'#'* ]] && anchor=${target#*#}
		if [ -z "$path" ]; then
			resolved=$file
		else
			resolved=$(realpath -m --relative-to="$repo" "$dir/$path")
		fi
		case $resolved in
		../* | ..)
			fail "$source:$line: link '$target' leaves the source tree"
			continue ;;
		esac
		if [ ! -e "$resolved" ]; then
			if is_pending "$resolved"; then
				echo "NOTE $source:$line: link '$target': $resolved is not written yet (tolerated until merge)"
			else
				fail "$source:$line: link '$target': $resolved does not exist"
			fi
			continue
		fi
		if [ -n "$anchor" ] && [[ $resolved == *.md ]] &&
		    ! anchors_of "$resolved" | grep -qxF -- "$anchor"; then
			fail "$source:$line: link '$target': $resolved has no heading for #$anchor"
		fi
	done < <(links_of "$file")
done

if [ "$problems" -gt 0 ]; then
	echo "$problems problem(s) in README.md and docs/"
	exit 1
fi
echo "PASS README.md is $size bytes with its two commands first; $checked relative links resolve"
