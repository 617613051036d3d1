#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: the man pages are lint-clean and document every config key, flag, command, signal and exit code
#
# docs/man/*.[0-9] are mdoc. Each must start with its SPDX line and pass
# `mandoc -T lint -W warning` without a word of output. Then, from the
# sources (never from a list kept here):
#
# - config keys: every table of allowed keys that src/*.c hands to
#   config_reject_unknown_keys() (the loader's only way to accept a key).
#   Each key must be an item (".It Ic KEY") of anycheck.json.5, named by
#   its full path (services[].drain.connections.max). Where a table sits is
#   not in the C code in a form worth parsing, so TABLE_PATHS below says it,
#   per table; a table missing there fails, so a new block cannot slip by.
#   Keys of a check type (the "allowed" table of src/check_TYPE.c, whose
#   ops name the type) must be items of the ".Ss TYPE checks" subsection,
#   or of the common check keys (services[].checks[].KEY).
# - flags: the getopt_long tables and option strings of src/cli.c (shared
#   by the daemons; src/main_NAME.c passes allow_generate) and of
#   src/main_anycheckctl.c. Each short flag must have its item
#   (".It Fl c") in the program's page, naming its long form on the same
#   line ("Fl -config"); an anycheckctl command's own options
#   (ctl_parse_COMMAND) must appear as "Fl -LONG" in anycheckctl.8.
# - anycheckctl commands: strcmp(command, "NAME") in main_anycheckctl.c and
#   the control protocol's command names; each an item ".It Cm NAME".
# - signals the daemons handle (daemon.c), the environment they read
#   (getenv), and the exit codes (enum cli_exit, enum ctl_exit).
#
# Prints what is missing and exits 1; exits 77 (skipped) when all of that
# passes but mandoc is not installed (Debian package mandoc).
set -u
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo" || exit 1
man=docs/man
problems=0
checked_keys=0
checked_flags=0
checked_commands=0

fail() {
	echo "FAIL $*"
	problems=$((problems + 1))
}

# Where each key table of the loader sits in the config, as the prefix of
# its keys' names in anycheck.json.5.
declare -A TABLE_PATHS=(
	[config_top_keys]=""
	[config_defaults_keys]="defaults."
	[config_bird_keys]="bird."
	[config_control_keys]="control."
	[config_metrics_keys]="metrics."
	[config_hooks_keys]="hooks."
	[config_service_keys]="services[]."
	[config_announce_keys]="services[].announce."
	[config_next_hop_keys]="services[].announce.next_hop."
	[config_drain_keys]="services[].drain."
	[config_connections_keys]="services[].drain.connections."
	[config_exabgp_keys]="services[].exabgp."
	[bird_names_service_keys]="services[].bird."
)

# The string literals of the initializer of NAME[] in FILE.
table_strings() {
	awk -v name="$2" '
		!on && index($0, name "[] =") { on = 1 }
		on {
			line = $0
			while (match(line, /"[^"]*"/)) {
				print substr(line, RSTART + 1, RLENGTH - 2)
				line = substr(line, RSTART + RLENGTH)
			}
			if ($0 ~ /};/) exit
		}
	' "$1"
}

# Is there an item line (".It ...") in PAGE whose macro MACRO has the
# argument WORD? With SECTION, only between ".Ss SECTION" and the next
# .Ss or .Sh (or ".Sh SECTION" and the next .Sh).
has_item() {
	awk -v macro="$2" -v word="$3" -v section="${4:-}" '
		BEGIN { inside = section == "" }
		section != "" && /^\.S[hs] / {
			title = $0
			sub(/^\.S[hs] /, "", title)
			gsub(/"/, "", title)
			inside = title == section
			next
		}
		inside && /^\.It / && index($0 " ", " " macro " " word " ") {
			found = 1
			exit
		}
		END { exit found ? 0 : 1 }
	' "$1"
}

# One line of C text per file, for statements that span lines.
flat() {
	tr '\n\t' '  ' <"$1"
}

for page in "$man"/*.[0-9]; do
	if [ "$(head -n 1 "$page")" != '.\" SPDX-License-Identifier: BSD-2-Clause' ]; then
		fail "$page: the first line must be .\\\" SPDX-License-Identifier: BSD-2-Clause"
	fi
done

# Config keys.
json5="$man/anycheck.json.5"
tables=0
for file in src/*.c; do
	calls=$(flat "$file" | grep -o 'config_reject_unknown_keys([^)]*)' |
	    grep -v 'struct config_parser' |
	    sed -E 's/.*,[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*\)$/\1/')
	for table in $calls; do
		tables=$((tables + 1))
		keys=$(table_strings "$file" "$table")
		if [ -z "$keys" ]; then
			fail "$file: cannot read the keys of $table; update tests/lint/check_man.sh"
			continue
		fi
		case $file in
		src/check_*.c)
			type=$(grep -oE '\.type = "[a-z]+"' "$file" |
			    sed -E 's/.*"(.*)"/\1/')
			if [ -z "$type" ]; then
				fail "$file: no check type name (.type = \"...\")"
				continue
			fi
			for key in $keys; do
				checked_keys=$((checked_keys + 1))
				has_item "$json5" Ic "$key" "$type checks" ||
				    has_item "$json5" Ic "services[].checks[].$key" ||
				    fail "$json5: key \"$key\" of $type checks ($file) is not an item of \"$type checks\" nor services[].checks[].$key"
			done
			;;
		*)
			if [ -z "${TABLE_PATHS[$table]+set}" ]; then
				fail "$file: key table $table is not in TABLE_PATHS of tests/lint/check_man.sh: say where its keys live in the config"
				continue
			fi
			for key in $keys; do
				checked_keys=$((checked_keys + 1))
				name="${TABLE_PATHS[$table]}$key"
				has_item "$json5" Ic "$name" ||
				    fail "$json5: config key $name ($table, $file) has no item (.It Ic $name)"
			done
			;;
		esac
	done
done
# A table named here that the loader no longer has.
for table in "${!TABLE_PATHS[@]}"; do
	grep -q "config_reject_unknown_keys(.*$table\|^[[:space:]]*$table);" \
	    src/*.c || fail "TABLE_PATHS names $table, which no config_reject_unknown_keys() call in src/ uses"
done
[ "$tables" -ge "${#TABLE_PATHS[@]}" ] ||
    fail "found only $tables key tables in src/; expected at least ${#TABLE_PATHS[@]}"

# Flags: "LONG SHORT" per entry of the struct option table(s) of FILE in
# function FUNC.
option_table() {
	awk -v func_name="$2" '
		/^[a-z_][a-z0-9_]*\(/ { current = $0; sub(/\(.*/, "", current) }
		current == func_name && /struct option [a-z_]+\[\] = \{/ { on = 1; next }
		on && /};/ { on = 0 }
		on && match($0, /\{ "[^"]+", [a-z_]+, NULL, .[^,]*\}/) {
			entry = substr($0, RSTART, RLENGTH)
			long = entry; sub(/^\{ "/, "", long); sub(/".*/, "", long)
			short = entry; sub(/.*NULL, /, "", short); sub(/ *\}$/, "", short)
			gsub(/\047/, "", short)
			print long, short
		}
	' "$1"
}

# Check a program's flags: SHORTS (getopt option string) and the
# "LONG SHORT" lines of its table, against PAGE.
check_flags() {
	local page=$1 shorts=$2 table=$3 letters letter long short
	letters=$(tr -d ':+' <<<"$shorts" | fold -w 1)
	for letter in $letters; do
		checked_flags=$((checked_flags + 1))
		long=$(awk -v s="$letter" '$2 == s { print $1 }' <<<"$table")
		if ! awk -v s="$letter" -v l="$long" '
			index($0 " ", ".It Fl " s " ") == 1 &&
			    (l == "" || index($0 " ", " Fl -" l " ")) { found = 1 }
			END { exit found ? 0 : 1 }' "$page"; then
			if [ -n "$long" ]; then
				fail "$page: no item \".It Fl $letter ... Fl -$long\" for -$letter, --$long"
			else
				fail "$page: no item \".It Fl $letter\" for -$letter"
			fi
		fi
	done
	# Long options without a short one in the option string are not
	# accepted (cli.c rejects --generate without allow_generate).
	while read -r long short; do
		[ -n "$long" ] || continue
		case $letters in
		*"$short"*) ;;
		*) [ "${#short}" = 1 ] || fail "$page: --$long has no short form; check_man.sh does not handle that yet" ;;
		esac
	done <<<"$table"
}

cli=$(flat src/cli.c)
cli_table=$(option_table src/cli.c cli_parse)
ternary='getopt_long\(argc, argv, allow_generate \?[[:space:]]*"([^"]*)"[[:space:]]*:[[:space:]]*"([^"]*)"'
if [[ $cli =~ $ternary ]]; then
	shorts_generate=${BASH_REMATCH[1]}
	shorts_plain=${BASH_REMATCH[2]}
else
	fail "src/cli.c: cannot find getopt_long's option strings; update tests/lint/check_man.sh"
	shorts_generate=
	shorts_plain=
fi
[ -n "$cli_table" ] || fail "src/cli.c: cannot read cli_parse's option table"

programs=0
for file in src/main_*.c; do
	program=$(basename "$file" .c)
	program=${program#main_}
	program=${program//_/-}
	page="$man/$program.8"
	programs=$((programs + 1))
	if [ ! -f "$page" ]; then
		fail "$program ($file) has no page $page"
		continue
	fi
	# cli_parse(argc, argv, PROGRAM, SUMMARY, allow_generate, &options)
	allow=$(flat "$file" | grep -oE 'cli_parse\(.*,[[:space:]]*(true|false),[[:space:]]*&options\)' |
	    sed -E 's/.*,[[:space:]]*(true|false),[[:space:]]*&options\)$/\1/')
	if grep -q 'cli_parse(' "$file"; then
		case $allow in
		true) check_flags "$page" "$shorts_generate" "$cli_table" ;;
		false) check_flags "$page" "$shorts_plain" "$cli_table" ;;
		*) fail "$file: cannot tell whether it allows -g; update tests/lint/check_man.sh" ;;
		esac
		for signal in $(grep -o 'signals\[\] = {[^}]*}' src/daemon.c |
		    grep -o 'SIG[A-Z0-9]*'); do
			has_item "$page" Dv "$signal" ||
			    fail "$page: signal $signal (src/daemon.c) has no item (.It Dv $signal)"
		done
		codes=$(awk '/^enum cli_exit/ { on = 1 } on && /}/ { on = 0 }
		    on && match($0, /= [0-9]+/) { print substr($0, RSTART + 2, RLENGTH - 2) }' src/cli.h)
		envs=$(grep -ohE 'getenv\("[A-Z_]+"\)' $(ls src/*.c |
		    grep -v '^src/main_') | sed -E 's/getenv\("(.*)"\)/\1/' | sort -u)
	else
		# A program with its own getopt tables (anycheckctl): global
		# options in main(), each command's in ctl_parse_COMMAND().
		shorts=$(flat "$file" | grep -oE 'getopt_long\(argc, argv, "[^"]*", options' |
		    sed -E 's/.*"([^"]*)".*/\1/' | grep -v '^$' | head -n 1)
		table=$(option_table "$file" main)
		if [ -z "$shorts" ] || [ -z "$table" ]; then
			fail "$file: cannot read main()'s options; update tests/lint/check_man.sh"
		else
			check_flags "$page" "$shorts" "$table"
		fi
		commands=$(grep -oE 'strcmp\(command, "[a-z]+"\)' "$file" |
		    sed -E 's/.*"(.*)".*/\1/')
		commands+=" $(awk '/control_command_names\[/ { on = 1 } on && /};/ { on = 0 }
		    on && match($0, /= "[a-z]+"/) { print substr($0, RSTART + 3, RLENGTH - 4) }' \
		    src/control_protocol.c)"
		[ -n "$commands" ] || fail "$file: cannot find its commands"
		for command in $(tr ' ' '\n' <<<"$commands" | sort -u); do
			checked_commands=$((checked_commands + 1))
			awk -v c="$command" '
				index($0 " ", ".It Cm " c " ") == 1 { found = 1 }
				xo && index($0 " ", ".Cm " c " ") == 1 { found = 1 }
				{ xo = $0 == ".It Xo" }
				END { exit found ? 0 : 1 }' "$page" ||
			    fail "$page: command $command has no item (.It Cm $command)"
		done
		for function in $(grep -oE '^ctl_parse_[a-z]+' "$file"); do
			command=${function#ctl_parse_}
			grep -qxF "$command" <<<"$(tr ' ' '\n' <<<"$commands")" ||
			    fail "$file: $function parses options of $command, which is not a command"
			while read -r long short; do
				[ -n "$long" ] || continue
				checked_flags=$((checked_flags + 1))
				grep -qE "(^| )Fl -$long( |\$)" "$page" ||
				    fail "$page: option --$long of $command ($function) is not documented (Fl -$long)"
			done <<<"$(option_table "$file" "$function")"
		done
		codes=$(awk '/^enum ctl_exit/ { on = 1 } on && /}/ { on = 0 }
		    on && match($0, /= [0-9]+/) { print substr($0, RSTART + 2, RLENGTH - 2) }' "$file")
		envs=$(grep -ohE 'getenv\("[A-Z_]+"\)' "$file" |
		    sed -E 's/getenv\("(.*)"\)/\1/' | sort -u)
	fi
	[ -n "$codes" ] || fail "$file: cannot find its exit codes"
	for code in $codes; do
		awk -v c="$code" '/^\.Sh / { inside = $0 == ".Sh EXIT STATUS" }
			inside && ($0 == ".It " c || index($0, ".It " c " ") == 1) { found = 1 }
			END { exit found ? 0 : 1 }' "$page" ||
		    fail "$page: exit status $code has no item in EXIT STATUS"
	done
	for variable in $envs; do
		has_item "$page" Ev "$variable" ||
		    fail "$page: environment variable $variable (getenv in src/) has no item (.It Ev $variable)"
	done
done
[ "$programs" -ge 3 ] || fail "found only $programs programs (src/main_*.c)"

# mandoc: not a single line of output.
lint_skipped=false
if command -v mandoc >/dev/null 2>&1; then
	for page in "$man"/*.[0-9]; do
		output=$(mandoc -T lint -W warning "$page" 2>&1)
		if [ -n "$output" ]; then
			echo "$output"
			fail "$page: mandoc -T lint -W warning"
		fi
	done
else
	echo "SKIP: mandoc not installed (Debian package mandoc): pages not linted"
	lint_skipped=true
fi

if [ "$problems" -gt 0 ]; then
	echo "$problems problem(s) in the man pages"
	exit 1
fi
if $lint_skipped; then
	exit 77
fi
echo "PASS man pages lint-clean; documented: $checked_keys config keys," \
    "$checked_flags flags, $checked_commands anycheckctl commands, and every" \
    "signal, environment variable and exit code"
