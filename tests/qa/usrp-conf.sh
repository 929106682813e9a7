#!/bin/sh
# usrp-conf.sh MAILDIR RULES - prints the casetrail configuration the QA report
# (report.sh) and the ingest bench (tests/bench/usrp.sh) read the usrp-users
# archive with: the list's own domains are staff, the list is one department.
[ $# -eq 2 ] || { echo "usage: $0 MAILDIR RULES" >&2; exit 2; }
cat <<CONF
[organization]
internal_domains = ettus.com, ni.com, emerson.com
rules = $2
[department Support]
addresses = usrp-users@lists.ettus.com
[source usrp]
type = maildir
path = $1
department = Support
CONF
