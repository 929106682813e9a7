#!/bin/sh
# deps.sh PKG... - installs the Debian packages that are missing (as root with
# apt-get), or prints the apt-get line to run. Quiet and quick when all are present.
missing=""
for p in "$@"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "casetrail: missing Debian packages:$missing" >&2
	echo "hint: sudo apt-get install$missing" >&2
	exit 1
fi
echo "casetrail: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends $missing >/tmp/casetrail-apt.log 2>&1; then
	apt-get update -q >/dev/null 2>&1
	apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends $missing >/tmp/casetrail-apt.log 2>&1 || {
		echo "casetrail: apt-get install failed, see /tmp/casetrail-apt.log" >&2
		tail -5 /tmp/casetrail-apt.log >&2
		exit 1
	}
fi
