# lib-dovecot.sh - sourced by the IMAP/POP3 integration tests (and the IMAP
# bench): a throwaway Dovecot on 127.0.0.1, on free high ports, with its own
# config, passwd-file, Maildir and test CA under $DV (default $TMPDIR/dovecot).
# It is always stopped by the EXIT trap that dovecot_start installs.
#
#   dovecot_start           install if missing (or skip), generate certs, start
#   dovecot_stop            stop it (also done on exit)
#   gen_messages DIR N PFX [HEADER...]   write N messages into Maildir DIR/new
#   deliver N PFX [HEADER...]            ... into the test user's INBOX
#   dv_config NAME [KEY=VALUE...]        a casetrail config with one IMAP source
#
# After dovecot_start: $IMAP_PORT $IMAPS_PORT $POP3_PORT $POP3S_PORT,
# $DV_USER/$DV_PASS (the test user), $DV_CA (the CA that signed the server
# certificate), $DV_CONF, $DV_MAIL (the user's Maildir, INBOX at its top).

: "${TMPDIR:?}" "${TOP:?}"
DV=${DV:-$TMPDIR/dovecot}
DV_USER=billing
DV_PASS='s3cret-Pass'
DV_CONF=$DV/dovecot.conf
DV_CA=$DV/ca.crt
DV_MAIL=$DV/mail/$DV_USER

. "$TOP/tests/integration/lib-server.sh"

dv_make_certs() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=casetrail test CA" \
		-keyout "$DV/ca.key" -out "$DV_CA" >/dev/null 2>&1 || return 1
	openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
		-keyout "$DV/server.key" -out "$DV/server.csr" >/dev/null 2>&1 || return 1
	printf 'subjectAltName = IP:127.0.0.1, DNS:localhost\nbasicConstraints = CA:FALSE\n' >"$DV/ext.cnf"
	openssl x509 -req -in "$DV/server.csr" -CA "$DV_CA" -CAkey "$DV/ca.key" -CAcreateserial \
		-days 2 -extfile "$DV/ext.cnf" -out "$DV/server.crt" >/dev/null 2>&1 || return 1
	# A second CA that signed nothing: "the wrong CA" for the refusal cases.
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other CA" \
		-keyout "$DV/other.key" -out "$DV/other-ca.crt" >/dev/null 2>&1
}

dovecot_stop() {
	[ -f "$DV_CONF" ] || return 0
	doveadm -c "$DV_CONF" stop >/dev/null 2>&1
	if [ -f "$DV/run/master.pid" ]; then
		pid=$(cat "$DV/run/master.pid")
		n=0
		while kill -0 "$pid" 2>/dev/null && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
		kill -9 "$pid" 2>/dev/null
	fi
	rm -f "$DV/run/master.pid"
}

# With DV_OAUTH2_URL set (a token-info URL the token is appended to), the
# server also offers XOAUTH2 and OAUTHBEARER and checks tokens there; the
# answer's "email" must be the user name.
dv_oauth2_passdb() {
	[ -n "${DV_OAUTH2_URL:-}" ] || return 0
	printf 'tokeninfo_url = %s\nusername_attribute = email\nactive_attribute = active\nactive_value = true\n' \
		"$DV_OAUTH2_URL" >"$DV/oauth2.conf"
	printf 'passdb {\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = %s\n}\n' "$DV/oauth2.conf"
}

dovecot_start() {
	command -v python3 >/dev/null || sh "$TOP/tests/deps.sh" python3 >/dev/null 2>&1
	sh "$TOP/tests/deps.sh" dovecot-imapd dovecot-pop3d openssl sqlite3 python3 ||
		skip_or_die "dovecot is not installed and cannot be installed"
	command -v dovecot >/dev/null || PATH=$PATH:/usr/sbin
	command -v dovecot >/dev/null || skip_or_die "no dovecot binary"
	mkdir -p "$DV/run" "$DV/state" "$DV_MAIL"
	chmod 755 "$DV" "$DV/run"
	dv_make_certs || skip_or_die "openssl cannot make the test certificates"
	IMAP_PORT=$(free_port) IMAPS_PORT=$(free_port) POP3_PORT=$(free_port) POP3S_PORT=$(free_port)
	uid=$(id -u) gid=$(id -g)
	if [ "$uid" = 0 ]; then
		# Dovecot refuses mail access as root: the mail belongs to nobody,
		# so the directories above it must be searchable.
		uid=$(id -u nobody) gid=$(id -g nobody)
		chmod o+x "$TMPDIR" "$DV" "$DV/mail"
		DV_OWNER=$uid:$gid
		chown -R "$DV_OWNER" "$DV_MAIL"
	fi
	echo "$DV_USER:{PLAIN}$DV_PASS:$uid:$gid::$DV/mail/$DV_USER" >"$DV/passwd"
	cat >"$DV_CONF" <<EOF
base_dir = $DV/run
state_dir = $DV/state
instance_name = casetrail-test-$$
log_path = $DV/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <$DV/server.crt
ssl_key = <$DV/server.key
disable_plaintext_auth = no
auth_mechanisms = plain login${DV_OAUTH2_URL:+ xoauth2 oauthbearer}
first_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:~
mail_fsync = never
pop3_uidl_format = %08Xu%08Xv
$(dv_oauth2_passdb)
passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN $DV/passwd
}
userdb {
  driver = passwd-file
  args = $DV/passwd
}
namespace inbox {
  inbox = yes
  separator = .
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $POP3_PORT
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $POP3S_PORT
    ssl = yes
  }
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
service pop3-login {
  chroot =
}
EOF
	trap 'dovecot_stop' EXIT
	trap 'exit 130' INT TERM
	dovecot -c "$DV_CONF" 2>"$DV/start.err" || {
		cat "$DV/start.err" >&2
		skip_or_die "dovecot does not start (see above)"
	}
	n=0
	until python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $IMAP_PORT), 1)" 2>/dev/null; do
		n=$((n + 1))
		[ $n -lt 50 ] || { cat "$DV/dovecot.log" >&2; fail "dovecot does not listen on $IMAP_PORT"; }
		sleep 0.1
	done
	# Create the INBOX so that UIDVALIDITY exists before the first delivery.
	doveadm -c "$DV_CONF" mailbox status -u "$DV_USER" uidvalidity INBOX >/dev/null 2>&1 || true
}

# gen_messages DIR N PREFIX [HEADER...]: N messages into the Maildir DIR (new/),
# with Message-ID <PREFIX-i@test.example>; HEADER lines ("X-Foo: bar") are
# added or replace the default header of the same name.
gen_messages() {
	python3 - "$@" <<'PY'
import os, sys, time
d, n, pfx = sys.argv[1], int(sys.argv[2]), sys.argv[3]
extra = sys.argv[4:]
for sub in ("new", "cur", "tmp"):
    os.makedirs(os.path.join(d, sub), exist_ok=True)
base = int(time.time())
for i in range(n):
    h = {
        "Message-ID": "<%s-%d@test.example>" % (pfx, i),
        "From": "Customer %d <c%d@acme.example>" % (i % 7, i % 7),
        "To": "billing@corp.example",
        "Subject": "Invoice question %s %d" % (pfx, i),
        "Date": "Mon, 04 Mar 2024 %02d:%02d:00 +0000" % (9 + i // 60 % 10, i % 60),
    }
    order = list(h)
    for e in extra:
        k, v = e.split(":", 1)
        if k not in h:
            order.append(k)
        h[k] = v.strip()
    body = "Hello,\n\nyou charged us twice for invoice %d.\n\n-- \nA customer\n" % i
    text = "".join("%s: %s\n" % (k, h[k]) for k in order if h[k]) + "\n" + body
    name = "%d.M%dP%d.%s.test" % (base, i, os.getpid(), pfx)
    with open(os.path.join(d, "tmp", name), "w") as f:
        f.write(text)
    os.rename(os.path.join(d, "tmp", name), os.path.join(d, "new", name))
PY
}

# deliver N PREFIX [HEADER...]: into the test user's INBOX.
deliver() {
	gen_messages "$DV_MAIL" "$@"
	dv_own
}

# Gives files written by the test to the mail user.
dv_own() {
	[ -z "${DV_OWNER:-}" ] || chown -R "$DV_OWNER" "$DV_MAIL"
}

# Message count of INBOX as Dovecot sees it.
dv_count() {
	doveadm -c "$DV_CONF" mailbox status -u "$DV_USER" messages "${1:-INBOX}" | sed 's/.*=//'
}

# All flags of INBOX, one line per message ("uid flags").
dv_flags() {
	doveadm -c "$DV_CONF" fetch -u "$DV_USER" 'uid flags' mailbox "${1:-INBOX}" all | sed "s,\\\\Recent,," | tr "\\n" " " |
		sed 's/uid: /\nuid: /g'
}

# dv_config FILE NAME URL [KEY = VALUE lines on stdin]: a casetrail config.
dv_config() {
	{
		printf '[store]\npath = %s\n\n[department Billing]\naddresses = billing@corp.example\n\n' "$TMPDIR/ct.db"
		printf '[department Support]\naddresses = support@corp.example\n\n'
		printf '[source %s]\ntype = %s\nurl = %s\nuser = %s\npassword_env = CT_TEST_PASSWORD\ndepartment = Billing\n' \
			"$2" "${4:-imap}" "$3" "$DV_USER"
		cat
	} >"$1"
}
export CT_TEST_PASSWORD="$DV_PASS"
export CASETRAIL_NET_BACKOFF_MS=100
