#!/bin/sh
# fetch-usrp.sh GITDIR OUTDIR - writes the messages of a public-inbox archive
# (a bare git repository, one message per commit in the file "m") into a
# Maildir at OUTDIR, one file per message, named after its commit.
#
# Used for rule QA on real technical mail (tests/qa/README.md): the
# usrp-users list, public at
#   https://github.com/linux-mailinglist-archives/usrp-users.lists.ettus.com.0
# (clone it bare, or fetch it with any mirror tool). Nothing is committed.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 GITDIR OUTDIR" >&2; exit 2; }
git_dir=$1 out=$2
mkdir -p "$out/cur" "$out/new" "$out/tmp"
git --git-dir="$git_dir" rev-list --all |
	sed 's/$/:m/' |
	git --git-dir="$git_dir" cat-file --batch |
	python3 -c '
import sys, os
out = sys.argv[1]
inp = sys.stdin.buffer
n = 0
while True:
    head = inp.readline()
    if not head:
        break
    parts = head.split()
    if len(parts) < 3 or parts[1] != b"blob":
        continue
    size = int(parts[2])
    data = inp.read(size)
    inp.read(1)
    name = parts[0].decode()
    with open(os.path.join(out, "cur", name + ":2,S"), "wb") as f:
        f.write(data)
    n += 1
print(f"{n} messages in {out}", file=sys.stderr)
' "$out"
