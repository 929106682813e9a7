#!/bin/sh
# list-conf.sh MAILDIR RULES LIST-ADDRESS DOMAINS [NAME] - prints the casetrail
# configuration a public mailing list archive is read with for rule QA: the
# list is one department (Support) at LIST-ADDRESS, senders at DOMAINS (comma
# separated: the companies whose people answer there) are staff; the source is
# called NAME (default: list).
[ $# -eq 4 ] || [ $# -eq 5 ] || { echo "usage: $0 MAILDIR RULES LIST-ADDRESS DOMAINS [NAME]" >&2; exit 2; }
cat <<CONF
[organization]
internal_domains = $4
rules = $2
[department Support]
addresses = $3
[source ${5:-list}]
type = maildir
path = $1
department = Support
CONF
