#!/usr/bin/env bash
# make install PREFIX=… installs every program and every man page, and the
# installed man pages are found by man(1).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
dest=$(mktemp -d /tmp/dbrepl-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
# The plain build (bin/), which `make check` builds first: up to date, so
# nothing is compiled here.
make -s -C "$top" install PREFIX="$dest" >/dev/null || { echo "FAIL: make install"; exit 1; }
rc=0
for p in pgcdc-read snapshot kpub ksub mssql-apply wwi-gen; do
	[ -x "$dest/bin/$p" ] || { echo "FAIL: bin/$p not installed"; rc=1; }
	[ -f "$dest/share/man/man1/$p.1" ] || { echo "FAIL: man1/$p.1 not installed"; rc=1; }
done
for m in man5/pgcdc-record.5 man7/dbrepl.7; do
	[ -f "$dest/share/man/$m" ] || { echo "FAIL: $m not installed"; rc=1; }
done
MANPATH="$dest/share/man" man -w kpub 2>/dev/null | grep -q "$dest" || { echo "FAIL: man does not find the installed kpub(1)"; rc=1; }
[ $rc = 0 ] && echo "install: programs and man pages installed under PREFIX"
exit $rc
