#!/bin/sh
# usrp-conf.sh MAILDIR RULES - prints the casetrail configuration the QA report
# (report.sh) and the ingest bench (tests/bench/usrp.sh) read the usrp-users
# archive with: the list's own domains are staff, the list is one department.
[ $# -eq 2 ] || { echo "usage: $0 MAILDIR RULES" >&2; exit 2; }
exec sh "$(dirname "$0")/list-conf.sh" "$1" "$2" usrp-users@lists.ettus.com "ettus.com, ni.com, emerson.com" usrp
