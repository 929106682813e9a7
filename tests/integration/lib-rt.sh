#!/bin/sh
# lib-rt.sh - a throwaway Request Tracker 5 on 127.0.0.1 for the tests:
# installs Debian's request-tracker5 if missing (no questions, SQLite, no MTA
# daemon), builds a fresh database in $RT_DIR with its own site config (the
# /etc config is ignored), makes an API token for root and starts the
# standalone server on a free port. rt_stop (run from a trap) stops it.
# Sets RT_URL, RT_TOKEN. Needs: TMPDIR, TOP.

. "$TOP/tests/integration/lib-server.sh"

rt_install() {
	command -v rt-setup-database-5 >/dev/null 2>&1 && [ -x /usr/share/request-tracker5/libexec/rt-server ] && return 0
	[ "$(id -u)" -eq 0 ] || return 1
	debconf-set-selections <<'SEL'
request-tracker5 request-tracker5/dbconfig-install boolean false
request-tracker5 request-tracker5/install-cronjobs boolean false
request-tracker5 request-tracker5/handle-siteconfig-permissions boolean true
request-tracker5 request-tracker5/rtname string casetrail.test
SEL
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends request-tracker5 rt5-db-sqlite rt5-standalone \
		rt5-clients msmtp-mta w3m curl >"$TMPDIR/rt-apt.log" 2>&1 || {
		apt-get update -q >/dev/null 2>&1
		apt-get install -y -q --no-install-recommends request-tracker5 rt5-db-sqlite rt5-standalone \
			rt5-clients msmtp-mta w3m curl >"$TMPDIR/rt-apt.log" 2>&1
	}
}

rt_start() {
	rt_install || return 1
	RT_DIR="$TMPDIR/rt"
	RT_PORT=$(free_port)
	mkdir -p "$RT_DIR/siteconfig.d" "$RT_DIR/var"
	cat > "$RT_DIR/RT_SiteConfig.pm" <<CONF
Set(\$rtname, 'casetrail.test');   Set(\$Organization, 'casetrail.test');
Set(\$WebDomain, '127.0.0.1');     Set(\$WebPort, $RT_PORT);   Set(\$WebPath, '');
Set(\$DatabaseType, 'SQLite');     Set(\$DatabaseName, '$RT_DIR/rtdb');
Set(\$Timezone, 'UTC');            Set(\$BcryptCost, 4);
Set(\$LogToSyslog, undef);         Set(\$LogToSTDERR, 'error');
Set(\$LogToFile, 'warning');       Set(\$LogDir, '$RT_DIR');
Set(\$MailCommand, 'mbox');        Set(\$VarPath, '$RT_DIR/var');
1;
CONF
	# Everyone may open tickets by mail and reply (rt-mailgate); staff users for the moves.
	cat > "$RT_DIR/seed.pl" <<'SEED'
@Users = (
    { Name => 'alice', EmailAddress => 'alice@northwind.example', Privileged => 1, Password => 'alice-pass' },
    { Name => 'bob', EmailAddress => 'bob@northwind.example', Privileged => 1, Password => 'bob-pass' },
);
@ACL = (
    { GroupDomain => 'SystemInternal', GroupType => 'Everyone', Right => 'CreateTicket' },
    { GroupDomain => 'SystemInternal', GroupType => 'Everyone', Right => 'ReplyToTicket' },
    { GroupDomain => 'SystemInternal', GroupType => 'Everyone', Right => 'SeeQueue' },
);
1;
SEED
	export RT_SITE_CONFIG="$RT_DIR/RT_SiteConfig.pm" RT_SITE_CONFIG_DIR="$RT_DIR/siteconfig.d"
	(cd "$RT_DIR" && rt-setup-database-5 --action init --skip-create >"$RT_DIR/setup.log" 2>&1) || return 1
	(cd "$RT_DIR" && rt-setup-database-5 --action insert --datafile "$RT_DIR/seed.pl" >>"$RT_DIR/setup.log" 2>&1) || return 1
	RT_TOKEN=$(cd "$RT_DIR" && perl -I/usr/share/request-tracker5/lib -e 'use RT; RT::LoadConfig(); RT::Init();
		my $u=RT::User->new(RT->SystemUser); $u->Load("root");
		my (undef,undef,$t)=RT::AuthToken->new(RT::CurrentUser->new($u))->Create(Owner=>$u->Id, Description=>"casetrail test");
		print "$t\n"' 2>>"$RT_DIR/setup.log")
	[ -n "$RT_TOKEN" ] || return 1
	(cd "$RT_DIR" && setsid /usr/share/request-tracker5/libexec/rt-server --server Starlet \
		--listen "127.0.0.1:$RT_PORT" --max-workers 2 >"$RT_DIR/server.log" 2>&1 </dev/null &
	 echo $! > "$RT_DIR/rt.pid")
	RT_URL="http://127.0.0.1:$RT_PORT"
	n=0
	while [ $n -lt 120 ]; do
		code=$(curl -s -o /dev/null -w '%{http_code}' "$RT_URL/REST/2.0/rt" 2>/dev/null)
		[ "$code" = 401 ] || [ "$code" = 200 ] && return 0
		sleep 0.5
		n=$((n + 1))
	done
	return 1
}

rt_stop() {
	[ -n "${RT_DIR:-}" ] && [ -f "$RT_DIR/rt.pid" ] || return 0
	pid=$(cat "$RT_DIR/rt.pid")
	kill -TERM "$pid" 2>/dev/null
	pkill -TERM -f "rt-server --server Starlet --listen 127.0.0.1:$RT_PORT" 2>/dev/null
	n=0
	while kill -0 "$pid" 2>/dev/null && [ $n -lt 40 ]; do sleep 0.25; n=$((n + 1)); done
	kill -KILL "$pid" 2>/dev/null
	rm -f "$RT_DIR/rt.pid"
}

# rt_api METHOD PATH [JSON] - a REST2 call as root; prints the answer.
rt_api() {
	if [ -n "${3:-}" ]; then
		curl -s -X "$1" -H "Authorization: token $RT_TOKEN" -H 'Content-Type: application/json' \
			-d "$3" "$RT_URL/REST/2.0$2"
	else
		curl -s -X "$1" -H "Authorization: token $RT_TOKEN" "$RT_URL/REST/2.0$2"
	fi
}
