#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: a shared cache of Debian chroots, and a way to run commands in them
#
#   helpers/chroot.sh ensure SUITE [PACKAGE ...]
#	Prints the path of a debootstrap --variant=minbase chroot of Debian
#	SUITE (bookworm, trixie, sid, ...) with PACKAGE ... installed
#	(apt-get --no-install-recommends), building it when it is missing.
#	Chroots are cached under $ANYCHECK_CHROOT_CACHE
#	(/var/cache/anycheck/chroots), one per SUITE, sorted package list
#	and day: SUITE-HASH-YYYY-MM-DD, HASH the first 12 hex digits of the
#	sha256 of the sorted, de-duplicated package names, one a line. So a
#	chroot is rebuilt from the archive once a day; the older days of the
#	same SUITE-HASH, and any chroot two or more days old, are removed by
#	the next "ensure", unless a "run" is using them. A chroot is built in a temporary directory beside the
#	cache and renamed into place only when complete, so the path printed
#	always holds a whole chroot; two "ensure" calls for the same chroot
#	wait for each other (flock) instead of building it twice. Building
#	is bounded by $ANYCHECK_CHROOT_TIMEOUT seconds (900): a mirror that
#	hangs fails the build instead of hanging the caller. Progress goes to
#	stderr; stdout is only the path.
#
#   helpers/chroot.sh run [OPTION ...] DIR COMMAND [ARG ...]
#	Runs COMMAND inside the chroot DIR and exits with its status. By
#	default DIR is never changed: the command sees an overlay (writes go
#	to a temporary directory, thrown away at the end), so many runs can
#	share one cached chroot at once, each starting from the same state.
#	The command gets /proc (of its own PID namespace), a minimal /dev
#	(null, zero, full, random, urandom, tty, pts, shm), /sys read-only,
#	an empty /run and the host's /etc/resolv.conf, in a mount namespace
#	and PID namespace of its own: when COMMAND exits, every process it
#	left behind is killed and every mount disappears with the namespace,
#	also when this script is killed (unshare --kill-child), and the
#	overlay's directory is removed. The environment is empty but for
#	PATH, HOME=/root, LANG=C.UTF-8, DEBIAN_FRONTEND=noninteractive and
#	--env. Options:
#	  --persist           write to DIR itself (no overlay)
#	  --upper UPPER       keep the overlay's writes in UPPER (made when
#	                      missing, never removed): a later run or boot
#	                      with the same UPPER starts where this one ended
#	  --bind SRC[:DEST]   bind-mount the host's SRC at DEST inside (DEST
#	                      defaults to SRC), read-write
#	  --ro-bind SRC[:DEST]  the same, read-only
#	  --netns NAME        run in the network namespace NAME (ip netns add
#	                      NAME first); default: the caller's
#	  --env NAME=VALUE    add to the command's environment
#	  --chdir DIR         working directory inside (default /)
#
#   helpers/chroot.sh boot [--upper UPPER] [--bind ...] [--ro-bind ...] DIR
#	Boots the chroot's own systemd (systemd-nspawn -b, package
#	systemd-container) on an overlay of DIR, as for run (--upper to
#	keep or reuse its writes; binds as for run), with a private network
#	(only lo), until the system powers off: install the units to test and
#	one that ends with "systemctl poweroff" first (run --upper). Bound it
#	with timeout(1): killing this script kills the container.
#
#   helpers/chroot.sh list          the cached chroots, with their sizes
#   helpers/chroot.sh clean [--all] remove the chroots of other days than
#	today (with --all: every chroot) that no "run" is using
#
# Chroots never start services: each has a /usr/sbin/policy-rc.d that
# refuses (exit 101), so a package's postinst only installs its daemon; a
# test starts what it needs itself (in a --netns of its own).
#
# Environment: ANYCHECK_CHROOT_CACHE (the cache directory),
# ANYCHECK_CHROOT_MIRROR (default: the first Debian archive URI in apt's
# sources here, else http://deb.debian.org/debian; for SUITE-security the
# debian-security URI likewise), ANYCHECK_CHROOT_TIMEOUT (seconds to build
# one chroot), ANYCHECK_CHROOT_DATE (the day, YYYY-MM-DD, default today). Needs root, debootstrap, flock and unshare (util-linux).
# Exit status: that of COMMAND for run; 0 or 1 otherwise; 2 for a usage error.
set -euo pipefail

cache=${ANYCHECK_CHROOT_CACHE:-/var/cache/anycheck/chroots}
build_timeout=${ANYCHECK_CHROOT_TIMEOUT:-900}
self=$(readlink -f "${BASH_SOURCE[0]}")

log() {
	echo "chroot.sh: $*" >&2
}

die() {
	log "$*"
	exit 1
}

usage() {
	sed -n '/^#   helpers/,/^# Chroots never/p' "$self" | sed 's/^#//; $d' >&2
	exit 2
}

# The archive URI apt uses here for SUITE ("" for the main archive,
# "security" for debian-security): deb822 sources first, then one-line ones.
apt_mirror() {
	local want=$1 uri
	uri=$(
		cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		    sed -n 's/^URIs:[[:space:]]*//p'
		cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		    sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\).*/\2/p'
	) || true
	uri=$(tr ' ' '\n' <<<"$uri" | grep -E '^https?://' | {
		if [ "$want" = security ]; then
			grep -- '-security' || true
		else
			grep -v -- '-security' || true
		fi
	} | head -n 1)
	if [ -n "$uri" ]; then
		echo "${uri%/}"
	elif [ "$want" = security ]; then
		echo http://deb.debian.org/debian-security
	else
		echo http://deb.debian.org/debian
	fi
}

# Lines of /proc/self/mountinfo's mount points at or under $1, deepest
# first (so they can be unmounted in that order).
mounts_under() {
	local dir=$1
	awk -v dir="$dir" '{
		path = $5
		gsub(/\\040/, " ", path)
		if (path == dir || index(path, dir "/") == 1) print path
	}' /proc/self/mountinfo | sort -r
}

# Remove a directory tree that may be a chroot: first unmount whatever a
# killed process may have left mounted inside it (never follow into another
# file system: a bind mount of the host's /dev must not be emptied).
remove_tree() {
	local dir=$1 mount
	[ -e "$dir" ] || return 0
	while IFS= read -r mount; do
		if [ -n "$mount" ]; then
			umount -l "$mount" 2>/dev/null || true
		fi
	done < <(mounts_under "$dir")
	if [ -n "$(mounts_under "$dir")" ]; then
		log "not removing $dir: something is still mounted inside it"
		return 1
	fi
	rm -rf --one-file-system "$dir"
}

# The script that runs inside the new mount and PID namespaces (as PID 1):
# mounts, chroot, then the same mounts undone on the way out. Arguments:
# LOWER ROOT UPPER PERSIST CHDIR, then BIND specs up to "--", then
# environment up to "--", then the command.
# shellcheck disable=SC2016 # expanded by the inner bash
inner_script='
set -u
lower=$1 root=$2 upper=$3 persist=$4 chdir=$5 boot=$6
shift 6
binds=()
while [ "$1" != -- ]; do binds+=("$1"); shift; done
shift
envs=()
while [ "$1" != -- ]; do envs+=("$1"); shift; done
shift
mounted=()
undo() {
	local i
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount -l "${mounted[i]}" 2>/dev/null || true
	done
}
trap undo EXIT
mnt() { # mount ARGS... TARGET: remember TARGET to unmount it
	mount "$@" || { echo "chroot.sh: mount $* failed" >&2; exit 1; }
	mounted+=("${!#}")
}
if [ "$persist" = 1 ]; then
	mnt --bind "$lower" "$root"
else
	mkdir -p "$upper/data" "$upper/work"
	mnt -t overlay overlay -o "lowerdir=$lower,upperdir=$upper/data,workdir=$upper/work" "$root"
fi
if [ "$boot" = 1 ]; then
	# systemd-nspawn makes /proc, /dev, /sys and /run itself. Its own
	# state under /run/systemd/nspawn stays in this mount namespace.
	mkdir -p /run/systemd/nspawn
	mount -t tmpfs -o mode=0755 tmpfs /run/systemd/nspawn || exit 1
	nspawn=(systemd-nspawn --quiet --register=no --keep-unit
	    --private-network --resolv-conf=off --timezone=off
	    --directory="$root" --boot)
	for spec in "${binds[@]}"; do
		mode=${spec%%:*} rest=${spec#*:}
		if [ "$mode" = ro ]; then
			nspawn+=("--bind-ro=$rest")
		else
			nspawn+=("--bind=$rest")
		fi
	done
	# exec: systemd-nspawn becomes the child of unshare, which kills it
	# (--kill-child), and the container with it, if this script dies.
	exec "${nspawn[@]}"
fi
mnt -t proc -o nosuid,nodev,noexec proc "$root/proc"
mnt -t sysfs -o ro,nosuid,nodev,noexec sysfs "$root/sys"
mnt -t tmpfs -o mode=0755,nosuid,size=64m tmpfs "$root/dev"
for node in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
	IFS=: read -r name major minor <<<"$node"
	mknod -m 0666 "$root/dev/$name" c "$major" "$minor"
done
ln -s /proc/self/fd "$root/dev/fd"
ln -s /proc/self/fd/0 "$root/dev/stdin"
ln -s /proc/self/fd/1 "$root/dev/stdout"
ln -s /proc/self/fd/2 "$root/dev/stderr"
mkdir "$root/dev/pts" "$root/dev/shm"
mnt -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts"
ln -s pts/ptmx "$root/dev/ptmx"
mnt -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/dev/shm"
mnt -t tmpfs -o mode=0755,nosuid,nodev,size=256m tmpfs "$root/run"
mkdir -p "$root/run/lock"
if [ -f /etc/resolv.conf ]; then
	rm -f "$root/etc/resolv.conf"
	cat /etc/resolv.conf >"$root/etc/resolv.conf"
fi
for spec in "${binds[@]}"; do
	mode=${spec%%:*} rest=${spec#*:}
	src=${rest%%:*} dest=${rest#*:}
	if [ -d "$src" ]; then
		mkdir -p "$root$dest"
	else
		mkdir -p "$(dirname "$root$dest")"
		[ -e "$root$dest" ] || : >"$root$dest"
	fi
	mnt --bind "$src" "$root$dest"
	if [ "$mode" = ro ]; then
		mount -o remount,bind,ro "$root$dest" ||
		    { echo "chroot.sh: read-only remount of $dest failed" >&2; exit 1; }
	fi
done
chroot "$root" /usr/bin/env -i -C "$chdir" \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
    "${envs[@]}" "$@"
'

cmd_run() {
	local persist=0 chdir=/ netns="" dir spec src dest boot=0 upper=""
	local -a binds=() envs=() prefix=() pid_namespace=(--pid)
	if [ "${1:-}" = --boot ]; then
		boot=1
		pid_namespace=()
		shift
		command -v systemd-nspawn >/dev/null ||
		    die "boot needs systemd-nspawn (package systemd-container)"
	fi
	while [ $# -gt 0 ]; do
		case $1 in
		--persist) persist=1; shift ;;
		--upper)
			[ $# -ge 2 ] || usage
			mkdir -p "$2"
			upper=$(readlink -f "$2")
			shift 2
			;;
		--bind | --ro-bind)
			[ $# -ge 2 ] || usage
			src=${2%%:*} dest=${2#*:}
			[ "$dest" = "$2" ] && dest=$src
			src=$(readlink -f "$src") || die "no such file: $2"
			[ -e "$src" ] || die "no such file: $src"
			case $dest in /*) ;; *) die "$1 $2: DEST must be absolute" ;; esac
			if [ "$1" = --bind ]; then spec=rw; else spec=ro; fi
			binds+=("$spec:$src:$dest")
			shift 2
			;;
		--netns) [ $# -ge 2 ] || usage; netns=$2; shift 2 ;;
		--env)
			[ $# -ge 2 ] || usage
			case $2 in *=*) ;; *) die "--env $2: expected NAME=VALUE" ;; esac
			envs+=("$2")
			shift 2
			;;
		--chdir) [ $# -ge 2 ] || usage; chdir=$2; shift 2 ;;
		--) shift; break ;;
		-*) usage ;;
		*) break ;;
		esac
	done
	if [ "$boot" = 1 ]; then
		[ $# = 1 ] || usage
		if [ -n "$netns" ] || [ "$chdir" != / ] || [ "$persist" = 1 ] ||
		    [ ${#envs[@]} -gt 0 ]; then
			die "boot takes only --upper, --bind and --ro-bind"
		fi
	else
		[ $# -ge 2 ] || usage
	fi
	dir=$(readlink -f "$1") || die "no such chroot: $1"
	shift
	[ -x "$dir/usr/bin/env" ] || die "$dir does not look like a chroot (no usr/bin/env)"
	if [ -n "$netns" ]; then
		[ -e "/run/netns/$netns" ] || die "no network namespace $netns (ip netns add $netns)"
		prefix=(nsenter "--net=/run/netns/$netns")
	fi

	# A shared lock on DIR.lock (when there is one: the cache's chroots)
	# tells "clean" and "ensure" that this chroot is in use.
	if [ -e "$dir.lock" ]; then
		exec {use_lock}<"$dir.lock"
		flock -s "$use_lock"
	fi
	local status=0
	run_work=$(mktemp -d "${TMPDIR:-/tmp}/anycheck-chroot.XXXXXX")
	run_child=""
	mkdir "$run_work/root"
	# shellcheck disable=SC2317 # called from the traps
	run_cleanup() {
		if [ -n "$run_child" ]; then
			kill -TERM "$run_child" 2>/dev/null || true
			wait "$run_child" 2>/dev/null || true
			run_child=""
		fi
		if [ -n "$run_work" ]; then
			remove_tree "$run_work" || true
			run_work=""
		fi
	}
	trap 'run_cleanup; exit 143' TERM
	trap 'run_cleanup; exit 130' INT
	trap 'run_cleanup; exit 129' HUP
	trap run_cleanup EXIT
	"${prefix[@]}" unshare --mount --propagation private "${pid_namespace[@]}" \
	    --kill-child=SIGKILL -- bash -c "$inner_script" inner \
	    "$dir" "$run_work/root" "${upper:-$run_work/upper}" "$persist" "$chdir" \
	    "$boot" "${binds[@]}" -- "${envs[@]}" -- "$@" &
	run_child=$!
	wait "$run_child" || status=$?
	run_child=""
	run_cleanup
	trap - EXIT TERM INT HUP
	if [ -n "${use_lock:-}" ]; then
		exec {use_lock}<&-
		use_lock=""
	fi
	return "$status"
}

valid_name() {
	[[ $1 =~ ^[a-z0-9][a-z0-9.+-]*$ ]]
}

# The build of one chroot, run under timeout by cmd_ensure: debootstrap
# into TMP in a private mount namespace (whatever debootstrap leaves
# mounted vanishes with it), then apt sources, policy-rc.d and packages.
cmd_build() {
	local suite=$1 tmp=$2
	shift 2
	local mirror security
	mirror=${ANYCHECK_CHROOT_MIRROR:-$(apt_mirror main)}
	security=$(apt_mirror security)
	log "debootstrap --variant=minbase $suite from $mirror"
	unshare --mount --propagation private -- \
	    debootstrap --variant=minbase "$suite" "$tmp" "$mirror" >&2 ||
	    die "debootstrap $suite failed"
	{
		echo "deb $mirror $suite main"
		case $suite in
		sid | unstable | experimental) ;;
		*)
			echo "deb $mirror $suite-updates main"
			echo "deb $security $suite-security main"
			;;
		esac
	} >"$tmp/etc/apt/sources.list"
	printf '#!/bin/sh\n# chroot.sh: never start services in a chroot\nexit 101\n' \
	    >"$tmp/usr/sbin/policy-rc.d"
	chmod 0755 "$tmp/usr/sbin/policy-rc.d"
	cat >"$tmp/etc/apt/apt.conf.d/90anycheck-chroot" <<'EOF'
// chroot.sh: small, quiet and non-interactive
APT::Install-Recommends "false";
APT::Get::Assume-Yes "true";
Acquire::Languages "none";
Dpkg::Use-Pty "false";
// The archive mirror here can serve a suite's Release file past its
// Valid-Until (sid's lasts a week): apt would refuse it and install nothing.
// The signatures are still checked.
Acquire::Check-Valid-Until "false";
EOF
	log "apt-get update, upgrade and install: ${*:-nothing}"
	cmd_run --persist "$tmp" sh -c '
		set -e
		apt-get -q update
		apt-get -q -o Dpkg::Options::=--force-confold dist-upgrade
		if [ $# -gt 0 ]; then apt-get -q install "$@"; fi
		apt-get clean
		rm -rf /var/lib/apt/lists/partial/*
	' sh "$@" >&2 || die "installing packages into the $suite chroot failed"
}

cmd_ensure() {
	[ $# -ge 1 ] || usage
	local suite=$1 package
	shift
	valid_name "$suite" || die "bad suite name: $suite"
	for package in "$@"; do
		valid_name "$package" || die "bad package name: $package"
	done
	local hash key today dir tmp lock_fd
	local -a packages=()
	mapfile -t packages < <(printf '%s\n' "$@" | LC_ALL=C sort -u | sed '/^$/d')
	hash=$(printf '%s\n' "${packages[@]}" | sha256sum | cut -c1-12)
	key="$suite-$hash"
	today=${ANYCHECK_CHROOT_DATE:-$(date +%F)}
	dir="$cache/$key-$today"
	mkdir -p "$cache"
	exec {lock_fd}>"$cache/$key.lock"
	flock -w "$build_timeout" "$lock_fd" ||
	    die "another build of $key did not finish within $build_timeout s"
	if [ ! -f "$dir/.anycheck-chroot" ]; then
		# Leftovers of a build that was killed (we hold the lock).
		for tmp in "$cache/.build-$key-"*; do
			[ -e "$tmp" ] && remove_tree "$tmp"
		done
		tmp="$cache/.build-$key-$today.$$"
		mkdir "$tmp"
		local started=$SECONDS
		trap 'remove_tree "$tmp" || true' EXIT
		trap 'remove_tree "$tmp" || true; exit 143' TERM
		trap 'remove_tree "$tmp" || true; exit 130' INT
		if ! timeout --kill-after=10 "$build_timeout" \
		    bash "$self" _build "$suite" "$tmp" "${packages[@]}"; then
			die "building the $suite chroot failed or took over $build_timeout s"
		fi
		{
			echo "suite: $suite"
			echo "date: $today"
			echo "packages: ${packages[*]}"
			echo "mirror: ${ANYCHECK_CHROOT_MIRROR:-$(apt_mirror main)}"
		} >"$tmp/.anycheck-chroot"
		: >"$dir.lock"
		mv -T "$tmp" "$dir"
		trap - EXIT TERM INT
		log "built $dir in $((SECONDS - started)) s"
	fi
	# Other days of the same chroot, and any chroot at least two days old
	# (ensure never returns it again), unless a run holds them.
	local old old_lock old_date cutoff
	cutoff=$(date -d "$today -2 days" +%F)
	for old in "$cache/"*-????-??-??; do
		if [ ! -d "$old" ] || [ "$old" = "$dir" ]; then
			continue
		fi
		old_date=${old: -10}
		if [[ $old != "$cache/$key-"* ]] && [[ $old_date > $cutoff ]]; then
			continue
		fi
		exec {old_lock}>>"$old.lock"
		if flock -n "$old_lock"; then
			log "removing $old (stale)"
			remove_tree "$old" && rm -f "$old.lock"
		else
			log "keeping $old: in use"
		fi
		exec {old_lock}>&-
	done
	echo "$dir"
}

cmd_list() {
	local dir
	for dir in "$cache"/*-????-??-??; do
		[ -f "$dir/.anycheck-chroot" ] || continue
		printf '%s\t%s\t%s\n' "$(du -sh --one-file-system "$dir" | cut -f1)" \
		    "$dir" "$(sed -n 's/^packages: //p' "$dir/.anycheck-chroot")"
	done
}

cmd_clean() {
	local all=0 dir today lock
	[ "${1:-}" = --all ] && all=1
	today=$(date +%F)
	for dir in "$cache"/*-????-??-??; do
		[ -d "$dir" ] || continue
		if [ $all = 0 ] && [[ $dir == *"-$today" ]]; then
			continue
		fi
		exec {lock}>>"$dir.lock"
		if flock -n "$lock"; then
			log "removing $dir"
			remove_tree "$dir" && rm -f "$dir.lock"
		else
			log "keeping $dir: in use"
		fi
		exec {lock}>&-
	done
}

[ $# -ge 1 ] || usage
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, mounts, chroot)"
command=$1
shift
case $command in
ensure) cmd_ensure "$@" ;;
run) cmd_run "$@" ;;
boot) cmd_run --boot "$@" ;;
list) cmd_list ;;
clean) cmd_clean "$@" ;;
_build) cmd_build "$@" ;;
*) usage ;;
esac
