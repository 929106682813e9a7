#!/bin/sh
# t61-install.sh - make install DESTDIR=... PREFIX=/usr puts every file where
# the README says, with the right modes; the installed binary finds the
# installed rules (never ./config/rules.conf of where it runs); the installed
# man pages are found by man; bash completion completes commands, options,
# formats and source names; the systemd units pass systemd-analyze verify; the
# cron line runs the installed binary; make uninstall leaves nothing.
# Works on a copy of the source tree, so the checkout's build is not touched.
set -eu
: "${CASETRAIL:?}" "${TOP:?}" "${TMPDIR:?}"
. "$TOP/tests/integration/lib-mail.sh"
cd "$TMPDIR"
sh "$TOP/tests/deps.sh" man-db groff-base systemd bash-completion ||
	fail "man-db, groff-base, systemd and bash-completion are needed"

# make check runs this test from inside make, with BUILD pointing at the
# checkout's build: none of that (BUILD, SANITIZE, the jobserver...) may reach
# the make of the copy, which builds in its own tree
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES BUILD SANITIZE OPT CFLAGS LDFLAGS FUZZ_ENGINE DESTDIR PREFIX
mk() { make -s -C src -j2 BUILD=build SANITIZE= OPT=-O1 "$@"; }
mkdir src
(cd "$TOP" && tar --exclude='./build*' --exclude=./.git --exclude=./casetrail --exclude='*.db*' \
	--exclude=./examples/out -cf - .) | tar -C src -xf -
root=$TMPDIR/root
mk install DESTDIR="$root" PREFIX=/usr >make.out 2>&1 ||
	fail "make install: $(tail -20 make.out)"

# --- the layout ---
(cd "$root" && find . -type f | sort) >files.txt
cat >want.txt <<'LIST'
./usr/bin/casetrail
./usr/share/bash-completion/completions/casetrail
./usr/share/casetrail/casetrail.conf.example
./usr/share/casetrail/rules.conf
./usr/share/doc/casetrail/README.md
./usr/share/doc/casetrail/SCHEMA.md
./usr/share/doc/casetrail/TICKETS.md
./usr/share/doc/casetrail/examples/cron/casetrail
./usr/share/doc/casetrail/examples/systemd/casetrail-ingest.service
./usr/share/doc/casetrail/examples/systemd/casetrail-ingest.timer
./usr/share/man/man1/casetrail.1
./usr/share/man/man5/casetrail-rules.5
./usr/share/man/man5/casetrail.conf.5
LIST
diff want.txt files.txt >layout.diff || fail "installed files differ: $(cat layout.diff)"
[ -z "$(cd "$root" && find . ! -type f ! -type d)" ] || fail "install made links or other files"
[ -d src/build ] && [ ! -e src/build-san ] || fail "the copy was not built in its own build/"
[ "$(stat -c %a "$root/usr/bin/casetrail")" = 755 ] || fail "the binary is not mode 755"
for f in $(sed 1d want.txt); do
	[ "$(stat -c %a "$root/$f")" = 644 ] || fail "$f is mode $(stat -c %a "$root/$f"), want 644"
done
cmp -s "$root/usr/share/casetrail/rules.conf" "$TOP/config/rules.conf" || fail "installed rules differ"
grep -qx 'ExecStart=/usr/bin/casetrail -c /etc/casetrail/casetrail.conf ingest --log /var/log/casetrail/ingest.log' \
	"$root/usr/share/doc/casetrail/examples/systemd/casetrail-ingest.service" || fail "ExecStart of the unit"
! grep -q '@BINDIR@' "$root/usr/share/doc/casetrail/examples/systemd/casetrail-ingest.service" \
	"$root/usr/share/doc/casetrail/examples/cron/casetrail" || fail "@BINDIR@ left in an example"

# --- the installed binary finds the installed rules, wherever it runs ---
ct=$root/usr/bin/casetrail
mkdir -p elsewhere/config && cd elsewhere
# a checkout-like directory around it must not matter: the working directory plays no part
printf '[rule x.y]\ncategory = trap\npattern = \\bnever\\b\nexample = never\n' >config/rules.conf
: >Makefile
"$ct" rules check >chk.out 2>&1 || fail "installed rules check: $(cat chk.out)"
grep -q "^$root/usr/share/casetrail/rules.conf: [0-9]* rules, [0-9]* examples, 0 failing" chk.out ||
	fail "the installed binary used other rules: $(cat chk.out)"
generate_message md from="Ana <ana@acme.example>" body="You charged us twice for March."
"$ct" --db s.db ingest --maildir md 2>err || fail "installed ingest: $(cat err)"
[ "$(sqlite3 s.db "select count(distinct item_id) from tags where category = 'billing_dispute'")" = 1 ] ||
	fail "the installed rules did not tag: $(sqlite3 s.db 'select category, rule_id from tags')"
[ "$(sqlite3 s.db "select count(*) from tags where category = 'trap'")" = 0 ] || fail "./config/rules.conf was used"
cd "$TMPDIR"

# --- man finds the installed pages by name ---
for p in "1 casetrail" "5 casetrail.conf" "5 casetrail-rules"; do
	set -- $p
	got=$(MANPATH="$root/usr/share/man" man -w "$1" "$2") || fail "man -w $2: exit $?"
	[ "$got" = "$root/usr/share/man/man$1/$2.$1" ] || fail "man -w $2: $got"
	MANPATH="$root/usr/share/man" LC_ALL=C MANWIDTH=80 man "$1" "$2" >page.txt 2>man.err || fail "man $2: $(cat man.err)"
	[ ! -s man.err ] && grep -q '^NAME' page.txt || fail "man $2 renders: $(cat man.err)"
done

# --- bash completion ---
cat >ct.conf <<'CONF'
[department Billing]
addresses = billing@corp.example
[department Customer Care]
addresses = care@corp.example
[source billing-inbox]
type = maildir
path = md
[source old-archive]
type = mbox
path = a.mbox
CONF
cat >complete.sh <<'SH'
. /usr/share/bash-completion/bash_completion
. "$1"
shift
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
_casetrail casetrail "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}" | sort
SH
comp() { bash complete.sh "$root/usr/share/bash-completion/completions/casetrail" casetrail "$@" 2>comp.err; }
# every command of --help, and nothing else
want=$("$root/usr/bin/casetrail" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }' | sort)
[ -n "$want" ] || fail "no commands in --help"
[ "$(comp "")" = "$want" ] || fail "commands: $(comp "" | tr '\n' ' ') want $(echo $want) $(cat comp.err)"
[ "$(comp -c ct.conf ingest "")" = "$(printf '%s\n' billing-inbox old-archive)" ] ||
	fail "source names: $(comp -c ct.conf ingest "")"
[ "$(comp --config=ct.conf cases --department "")" = "$(printf '%s\n' Billing 'Customer Care')" ] ||
	fail "departments: $(comp --config=ct.conf cases --department "")"
[ "$(comp cases --format "")" = "$(printf '%s\n' csv html json markdown table)" ] || fail "formats: $(comp cases --format "")"
[ "$(comp ingest --su)" = "--summary" ] || fail "ingest --su: $(comp ingest --su)"
[ "$(comp ingest --summary "")" = "$(printf '%s\n' json none text)" ] || fail "--summary values"
[ "$(comp rules "")" = "$(printf '%s\n' check fit masscheck test)" ] || fail "rules sub-commands: $(comp rules "")"
[ "$(comp report complaints --ou)" = "--out" ] || fail "report --ou: $(comp report complaints --ou)"
[ "$(comp rules masscheck --part "")" = "$(printf '%s\n' all held-out tune)" ] || fail "--part values"
[ "$(comp store "")" = "$(printf '%s\n' access check copy grant revoke)" ] || fail "store sub-commands: $(comp store "")"
[ "$(comp store copy --t)" = "--to" ] || fail "store copy --t: $(comp store copy --t)"
[ "$(comp store grant leader --l)" = "--login" ] || fail "store grant --l: $(comp store grant leader --l)"
[ "$(comp store access --f)" = "--format" ] || fail "store access --f: $(comp store access --f)"
[ "$(comp store access --format "")" = "$(printf '%s\n' csv html json markdown table)" ] ||
	fail "store access --format: $(comp store access --format "")"
[ "$(comp -c ct.conf store grant leader --department "")" = "$(printf '%s\n' Billing 'Customer Care')" ] ||
	fail "store grant --department: $(comp -c ct.conf store grant leader --department "")"
[ ! -s comp.err ] || fail "completion printed errors: $(cat comp.err)"

# --- systemd: the installed units pass systemd-analyze verify ---
# verify --root resolves ExecStart= inside the root; the units the timer and the
# service name (sysinit.target, timers.target...) come from this machine.
sysunits=$(for d in /usr/lib/systemd/system /lib/systemd/system; do [ -e "$d/sysinit.target" ] && echo "$d" && break; done)
[ -n "$sysunits" ] || fail "no systemd unit directory with sysinit.target"
vroot=$TMPDIR/vroot
mkdir -p "$vroot/etc/systemd/system" "$vroot/usr/lib/systemd" "$vroot/usr/bin"
cp "$root/usr/bin/casetrail" "$vroot/usr/bin/"
cp -a "$sysunits" "$vroot/usr/lib/systemd/system"
cp "$root"/usr/share/doc/casetrail/examples/systemd/* "$vroot/etc/systemd/system/"
verify() { MANPATH="$root/usr/share/man" systemd-analyze verify --root="$vroot" "$@" >verify.out 2>&1; }
verify /etc/systemd/system/casetrail-ingest.service /etc/systemd/system/casetrail-ingest.timer ||
	fail "systemd-analyze verify: $(cat verify.out)"
[ ! -s verify.out ] || fail "systemd-analyze verify warns: $(cat verify.out)"
# ...and it would notice: a misspelt key, a missing binary, a missing man page
sed 's/^OnCalendar=/OnCalender=/' "$vroot/etc/systemd/system/casetrail-ingest.timer" >"$vroot/etc/systemd/system/bad.timer"
! verify /etc/systemd/system/bad.timer || fail "verify passed a timer without OnCalendar"
sed 's|^ExecStart=/usr/bin/casetrail|ExecStart=/usr/bin/casetrail-missing|' \
	"$vroot/etc/systemd/system/casetrail-ingest.service" >"$vroot/etc/systemd/system/bad.service"
! verify /etc/systemd/system/bad.service || fail "verify passed a service whose binary is missing"
! MANPATH=/nonexistent systemd-analyze verify --root="$vroot" /etc/systemd/system/casetrail-ingest.timer >/dev/null 2>&1 ||
	fail "verify does not check Documentation=man:casetrail(1)"

# --- the cron line: six fields, the installed binary, and it runs ---
line=$(grep -v '^#' "$root/usr/share/doc/casetrail/examples/cron/casetrail" | grep .)
[ "$(echo "$line" | wc -l)" = 1 ] || fail "cron file: not one line: $line"
set -f
set -- $line
set +f
[ "$1 $2 $3 $4 $5 $6" = "0 2 * * * casetrail" ] || fail "cron schedule and user: $line"
cmd=${line#0 2 \* \* \* casetrail }
echo "$cmd" | grep -q '/usr/bin/casetrail -q -c /etc/casetrail/casetrail.conf ingest --log /var/log/casetrail/ingest.log$' ||
	fail "cron command: $cmd"
# run it as cron would, with this test's directories: quiet (no mail) and logged
mkdir cronhome
generate_message cronhome/md from="Ben <ben@acme.example>" body="Where is my order?"
printf '[store]\npath = cron.db\n[source inbox]\ntype = maildir\npath = cronhome/md\n' >cron.conf
run=$(echo "$cmd" | sed -e "s|cd /var/lib/casetrail|cd $TMPDIR/cronhome|" -e "s|/usr/bin/casetrail|$root/usr/bin/casetrail|" \
	-e "s|/etc/casetrail/casetrail.conf|$TMPDIR/cron.conf|" -e "s|/var/log/casetrail/ingest.log|$TMPDIR/cron.log|")
sh -c "$run" >cron.out 2>&1 || fail "the cron command: exit $?: $(cat cron.out)"
[ ! -s cron.out ] || fail "the cron command printed (cron would mail it): $(cat cron.out)"
grep -q " ingest end status=ok exit=0 new=1 " cron.log || fail "cron run log: $(cat cron.log)"

# --- a second install without DESTDIR: the path compiled in finds the rules too ---
mk install PREFIX="$TMPDIR/prefix" >make2.out 2>&1 || fail "make install PREFIX: $(tail -5 make2.out)"
mkdir copy && cp "$TMPDIR/prefix/bin/casetrail" copy/
copy/casetrail rules check >chk2.out 2>&1 || fail "a copy of the installed binary: $(cat chk2.out)"
grep -q "^$TMPDIR/prefix/share/casetrail/rules.conf: " chk2.out || fail "compiled-in rules path: $(cat chk2.out)"
mk uninstall PREFIX="$TMPDIR/prefix" >/dev/null || fail "make uninstall PREFIX"
[ -z "$(find "$TMPDIR/prefix" -type f)" ] || fail "uninstall PREFIX left: $(find "$TMPDIR/prefix" -type f)"

# --- make uninstall removes everything install put there ---
echo "kept" >"$root/usr/share/man/man1/other.1"
mk uninstall DESTDIR="$root" PREFIX=/usr >un.out 2>&1 || fail "make uninstall: $(cat un.out)"
left=$(cd "$root" && find . ! -type d | sort)
[ "$left" = "./usr/share/man/man1/other.1" ] || fail "uninstall left or removed: $left"
for d in usr/share/casetrail usr/share/doc/casetrail; do
	[ ! -e "$root/$d" ] || fail "uninstall left $d"
done
[ -d "$root/usr/share/man/man1" ] || fail "uninstall removed a directory it shares with others"
echo ok
