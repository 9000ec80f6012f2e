#!/usr/bin/env bash
# fresh-root.sh — `make check-fresh`: the README's first command on a machine
# that has nothing.
#
# Builds a minimal Debian 12 root with mmdebstrap (minbase: apt, bash,
# coreutils; plus make and git, what the README asks a newcomer to have),
# clones this repository's HEAD into it, and runs `DEMO_SECONDS=20 make demo`
# inside it with chroot, so the demo must install every package it needs
# and build before it can run. Passes only when the demo's verdict is
# "every table matches". Prints how long each step took. Unmounts and
# removes the root whatever happens (FRESH_KEEP=1 keeps the root, unmounted).
#
# Needs root (chroot, mount). FRESH_ROOT sets where the root is built
# (default build/fresh-root), FRESH_MIRROR a Debian mirror (default: the one
# mmdebstrap picks, deb.debian.org with updates and security),
# FRESH_TIMEOUT the limit for the demo step in seconds (default 2400).
# FRESH_CMD runs another command instead of the demo (e.g. "make check",
# then no verdict is looked for), and FRESH_USER=NAME runs it as a new user
# who has sudo (sudo is then added to the root first), the README's other
# way.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
root=${FRESH_ROOT:-$top/build/fresh-root}
limit=${FRESH_TIMEOUT:-2400}

say() { printf 'check-fresh: %s\n' "$*"; }
die() { say "FAIL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (chroot and mount); run it as root or with sudo"
command -v mmdebstrap >/dev/null || die "mmdebstrap is missing (make deps installs it)"
git -C "$top" rev-parse --verify -q HEAD >/dev/null || die "$top is not a git checkout with a commit"

# Everything below is undone by cleanup, in reverse: processes still running
# in the root (a daemon the demo left, or one the timeout cut short), then
# the mounts, then the root itself. rm never crosses into a mount: it runs
# only when nothing is mounted below the root, and with --one-file-system.
mounted() { awk -v r="$root" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/self/mounts; }
kill_inside() {
	local p n
	for n in 1 2 3; do
		local left=0
		for p in /proc/[0-9]*; do
			[ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] || continue
			kill -"$([ $n = 3 ] && echo KILL || echo TERM)" "${p#/proc/}" 2>/dev/null && left=1
		done
		[ $left = 0 ] && return
		sleep 2
	done
}
cleanup() {
	local rc=$? m
	kill_inside
	# Deepest first; a lazy unmount for anything still busy.
	for m in $(mounted | sort -r); do umount "$m" 2>/dev/null || umount -l "$m"; done
	if [ -n "$(mounted)" ]; then
		say "still mounted under $root, not removing it:"; mounted
		exit 1
	fi
	if [ "${FRESH_KEEP:-0}" = 1 ]; then say "root kept in $root"; else rm -rf --one-file-system "$root"; fi
	exit $rc
}

[ -e "$root" ] && { [ -z "$(mounted)" ] || die "$root has mounts from an earlier run; unmount them first"; rm -rf --one-file-system "$root"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

t0=$(date +%s)
step=$t0
lap() { local now; now=$(date +%s); say "$1 took $((now - step)) s"; step=$now; }

say "building a minimal Debian 12 root in $root (mmdebstrap --variant=minbase, + make git) …"
mkdir -p "$(dirname "$root")"
# shellcheck disable=SC2086
mmdebstrap --quiet --variant=minbase --include=make,git bookworm "$root" ${FRESH_MIRROR:-} ||
	die "mmdebstrap"
lap "the root"

# A chroot is not a booted machine: no init to start services, so package
# scripts must not try (the usual policy-rc.d of chroots). The demo starts
# its own PostgreSQL, as it does everywhere.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

cmd=${FRESH_CMD:-DEMO_SECONDS=20 make demo}
home=/root
if [ -n "${FRESH_USER:-}" ]; then
	home=/home/$FRESH_USER
	chroot "$root" bash -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sudo >/dev/null &&
		useradd -m -s /bin/bash '$FRESH_USER' &&
		echo '$FRESH_USER ALL=(ALL) NOPASSWD:ALL' >/etc/sudoers.d/fresh-user" || die "adding user $FRESH_USER with sudo"
fi
say "cloning $(git -C "$top" rev-parse --short HEAD) into the root …"
git clone --quiet --no-hardlinks "$top" "$root$home/dbrepl" || die "git clone"
[ -n "${FRESH_USER:-}" ] && chown -R --reference="$root$home" "$root$home/dbrepl"

mount -t proc proc "$root/proc" || die "mount proc"
mount -t sysfs sysfs "$root/sys" || die "mount sys"
mount --rbind /dev "$root/dev" || die "mount dev"
mount --make-rslave "$root/dev"

say "running '$cmd' in the root as ${FRESH_USER:-root}, as a newcomer would …"
log=$top/build/fresh-root.log
mkdir -p "$top/build"
as=()
[ -n "${FRESH_USER:-}" ] && as=(runuser -u "$FRESH_USER" --)
timeout -k 30 "$limit" chroot "$root" "${as[@]}" /usr/bin/env -i HOME="$home" TERM=dumb LANG=C.UTF-8 \
	USER="${FRESH_USER:-root}" PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	bash -c "cd $home/dbrepl && $cmd" </dev/null 2>&1 | tee "$log" |
	grep --line-buffered -E '^(make deps|demo:|· |ok |FAIL|integration:|unit)'
rc=${PIPESTATUS[0]}
lap "'$cmd' (packages, build, run)"
say "the whole check took $(($(date +%s) - t0)) s; the output is in $log"

[ "$rc" = 0 ] || { tail -n 40 "$log"; die "'$cmd' exited $rc"; }
if [ -z "${FRESH_CMD:-}" ]; then
	grep -q '^demo: every table matches\.' "$log" || { tail -n 40 "$log"; die "the demo did not say that every table matches"; }
	say "ok: on a fresh Debian 12 root, the first 'make demo' installed, built and replicated every table"
else
	say "ok: on a fresh Debian 12 root, '$cmd' passed"
fi
