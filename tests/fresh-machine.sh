#!/bin/sh
# fresh-machine.sh - proves the README's first command works on a machine that
# lacks a build package: removes one -dev package, clones the repository into
# a temporary directory and runs `make demo` there, which must install what is
# missing and build at the first try. Runs as root (CI on a fresh Debian 12).
# Usage: sh tests/fresh-machine.sh [DEB-PACKAGE]   (default libinih-dev)
set -e
pkg=${1:-libinih-dev}
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
	echo "fresh-machine.sh: needs root (apt-get remove $pkg)" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get remove -y -q "$pkg" >/dev/null
git clone -q . "$tmp/casetrail"
if ! make -C "$tmp/casetrail" -j2 demo >"$tmp/demo.log" 2>&1; then
	tail -20 "$tmp/demo.log" >&2
	echo "FAILED: make demo in a fresh clone without $pkg" >&2
	exit 1
fi
dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || {
	echo "FAILED: make demo did not install $pkg" >&2
	exit 1
}
echo "ok: make demo in a fresh clone without $pkg"
