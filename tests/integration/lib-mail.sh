# lib-mail.sh - a small mail generator for the integration tests (sourced).
#
#   generate_message DIR [key=value...]
#
# writes one message into the Maildir DIR (new/, or cur/ with flags when folder=cur) and sets
# $gen_msg_id (without angle brackets) and $gen_msg_file.  Keys override the defaults:
#   from to cc subject date id in_reply_to references body folder name extra
# (id= sets the Message-ID; id=none leaves it out; date=none leaves the Date out;
#  extra= is one more header line written as is).
# Every call gets a fresh counter, so ids and default subjects/bodies are unique.

gen_msg_cnt=0

generate_message() {
	_dir=$1
	shift
	gen_msg_cnt=$((gen_msg_cnt + 1))
	_from="Customer $gen_msg_cnt <c$gen_msg_cnt@customer.example>"
	_to="support@corp.example"
	_cc=""
	_subject="Test message #$gen_msg_cnt"
	_date="Mon, 04 Mar 2024 09:00:00 +0000"
	_id="msg-$gen_msg_cnt@generated.example"
	_irt=""
	_refs=""
	_body="This is message #$gen_msg_cnt."
	_folder=new
	_name=""
	_extra=""
	for _kv in "$@"; do
		case $_kv in
		from=*) _from=${_kv#from=} ;;
		to=*) _to=${_kv#to=} ;;
		cc=*) _cc=${_kv#cc=} ;;
		subject=*) _subject=${_kv#subject=} ;;
		date=*) _date=${_kv#date=} ;;
		id=*) _id=${_kv#id=} ;;
		in_reply_to=*) _irt=${_kv#in_reply_to=} ;;
		references=*) _refs=${_kv#references=} ;;
		body=*) _body=${_kv#body=} ;;
		folder=*) _folder=${_kv#folder=} ;;
		name=*) _name=${_kv#name=} ;;
		extra=*) _extra=${_kv#extra=} ;;
		*) echo "generate_message: unknown key '$_kv'" >&2; return 2 ;;
		esac
	done
	[ -d "$_dir/new" ] && [ -d "$_dir/cur" ] || mkdir -p "$_dir/cur" "$_dir/new"
	[ -n "$_name" ] || _name="1700000000.M${gen_msg_cnt}P$$.testhost"
	if [ "$_folder" = cur ]; then
		gen_msg_file="$_dir/cur/$_name:2,S"
	else
		gen_msg_file="$_dir/new/$_name"
	fi
	gen_msg_id=$_id
	{
		printf 'From: %s\n' "$_from"
		printf 'To: %s\n' "$_to"
		[ -z "$_cc" ] || printf 'Cc: %s\n' "$_cc"
		printf 'Subject: %s\n' "$_subject"
		[ "$_date" = none ] || printf 'Date: %s\n' "$_date"
		[ "$_id" = none ] || printf 'Message-ID: <%s>\n' "$_id"
		[ -z "$_irt" ] || printf 'In-Reply-To: <%s>\n' "$_irt"
		[ -z "$_refs" ] || printf 'References: %s\n' "$_refs"
		[ -z "$_extra" ] || printf '%s\n' "$_extra"
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%s\n' "$_body"
	} >"$gen_msg_file"
}

# store_digest DB [CONFIG-ARGS...]: a description of a store that does not depend on case ids
# or ingest order: one line per case, its external ids sorted, then its trail.  Needs python3.
store_digest() {
	_db=$1
	shift
	"$CASETRAIL" "$@" --db "$_db" cases --format json | python3 -c '
import json, sys
out = []
for c in json.load(sys.stdin):
    ids = sorted(i["external_id"] for i in c["items"])
    out.append(" ".join(ids) + " | " + ">".join(c["departments"]) +
               " | ping_pong=%s" % c["ping_pong"])
for l in sorted(out):
    print(l)'
}

fail() { echo "FAIL: $*" >&2; exit 1; }
