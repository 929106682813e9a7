# lib-postgres.sh - sourced by the tests that need PostgreSQL: a throwaway
# server from Debian's postgresql package, its cluster made by initdb in
# $PG (default $TMPDIR/postgres) and run as an unprivileged user (PostgreSQL
# refuses to run as root: as root the cluster belongs to `nobody`), on
# 127.0.0.1 on a free port, with TLS (a test CA made with openssl) and
# password (scram-sha-256) authentication for one role. Always stopped by
# the EXIT trap that pg_start installs.
#
#   pg_start     install if missing (or skip), initdb, start, create the database
#   pg_stop      stop it (also done on exit)
#   pg_sql SQL   run SQL as the superuser in the test database (psql, tuples only)
#
# After pg_start:
#   $PG_URL            postgresql://ct_admin@127.0.0.1:PORT/casetrail_test (superuser, trust)
#   $PG_SCRAM_URL      the same database as role ct_scram, no password in it
#   $PG_SCRAM_PASSWORD that role's password (the server asks for it: scram-sha-256)
#   $PG_TLS_URL        as ct_tls, which the server accepts only over TLS, with
#                      sslmode=verify-full and sslrootcert=$PG_CA
#   $PG_CA             the CA that signed the server certificate
#   $PG_PORT

: "${TMPDIR:?}" "${TOP:?}"
PG=${PG:-$TMPDIR/postgres}
PG_DB=casetrail_test
PG_SCRAM_PASSWORD='Scr4m-s3cret'

. "$TOP/tests/integration/lib-server.sh"

# The newest installed server's programs (Debian keeps them out of PATH);
# PG_BINDIR overrides it.
pg_bindir() {
	if [ -n "${PG_BINDIR:-}" ]; then
		echo "$PG_BINDIR"
	else
		ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
	fi
}

# Runs a command as the cluster's owner.
pg_as() {
	if [ -n "${PG_OWNER:-}" ]; then
		runuser -u "$PG_OWNER" -- "$@"
	else
		"$@"
	fi
}

pg_make_certs() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=casetrail test CA" \
		-keyout "$PG/ca.key" -out "$PG/ca.crt" >/dev/null 2>&1 || return 1
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
		-keyout "$PG/server.key" -out "$PG/server.csr" >/dev/null 2>&1 || return 1
	printf 'subjectAltName = IP:127.0.0.1, DNS:localhost\nbasicConstraints = CA:FALSE\n' >"$PG/ext.cnf"
	openssl x509 -req -in "$PG/server.csr" -CA "$PG/ca.crt" -CAkey "$PG/ca.key" -CAcreateserial \
		-days 2 -extfile "$PG/ext.cnf" -out "$PG/server.crt" >/dev/null 2>&1 || return 1
	chmod 600 "$PG/server.key"
}

pg_stop() {
	[ -n "${PG_BIN:-}" ] && [ -f "$PG/data/postmaster.pid" ] || return 0
	pg_as "$PG_BIN/pg_ctl" -D "$PG/data" -m immediate -w -t 20 stop >/dev/null 2>&1
	if [ -f "$PG/data/postmaster.pid" ]; then
		pid=$(head -1 "$PG/data/postmaster.pid")
		kill -9 "$pid" 2>/dev/null
	fi
}

pg_sql() {
	"$PG_BIN/psql" -X -q -t -A -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U ct_admin -d "$PG_DB" -c "$1"
}

pg_start() {
	command -v python3 >/dev/null || sh "$TOP/tests/deps.sh" python3 >/dev/null 2>&1
	sh "$TOP/tests/deps.sh" postgresql openssl python3 ||
		skip_or_die "postgresql is not installed and cannot be installed"
	PG_BIN=$(pg_bindir)
	[ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] || skip_or_die "no PostgreSQL server programs in /usr/lib/postgresql"
	mkdir -p "$PG"
	PG_OWNER=
	if [ "$(id -u)" = 0 ]; then
		# PostgreSQL refuses to run as root: the cluster belongs to nobody,
		# so the directories above it must be searchable.
		PG_OWNER=nobody
		chmod o+x "$TMPDIR"
		chmod 755 "$PG"
	fi
	pg_make_certs || skip_or_die "openssl cannot make the test certificates"
	PG_CA=$PG/ca.crt
	[ -z "$PG_OWNER" ] || chown -R "$PG_OWNER" "$PG"
	pg_as "$PG_BIN/initdb" -D "$PG/data" -U ct_admin --auth=trust -E UTF8 --locale=C.UTF-8 \
		>"$PG/initdb.log" 2>&1 || pg_as "$PG_BIN/initdb" -D "$PG/data" -U ct_admin --auth=trust \
		-E UTF8 --locale=C >"$PG/initdb.log" 2>&1 || {
		cat "$PG/initdb.log" >&2
		skip_or_die "initdb fails (see above)"
	}
	PG_PORT=$(free_port)
	cat >>"$PG/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = ''
ssl = on
ssl_cert_file = '$PG/server.crt'
ssl_key_file = '$PG/server.key'
password_encryption = scram-sha-256
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 40
shared_buffers = 64MB
log_min_messages = warning
EOF
	# ct_tls only over TLS, ct_scram only with its password, the admin as it is.
	cat >"$PG/data/pg_hba.conf" <<EOF
hostssl all ct_tls   127.0.0.1/32 trust
host    all ct_tls   127.0.0.1/32 reject
host    all ct_scram 127.0.0.1/32 scram-sha-256
host    all all      127.0.0.1/32 trust
EOF
	trap 'pg_stop' EXIT
	trap 'exit 130' INT TERM
	pg_as "$PG_BIN/pg_ctl" -D "$PG/data" -l "$PG/server.log" -w -t 60 start >"$PG/start.log" 2>&1 || {
		cat "$PG/start.log" "$PG/server.log" >&2
		skip_or_die "PostgreSQL does not start (see above)"
	}
	"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U ct_admin "$PG_DB" || fail "createdb"
	pg_sql "CREATE ROLE ct_scram LOGIN PASSWORD '$PG_SCRAM_PASSWORD';
		CREATE ROLE ct_tls LOGIN;
		GRANT ALL ON SCHEMA public TO ct_scram, ct_tls;" || fail "creating the test roles"
	PG_URL="postgresql://ct_admin@127.0.0.1:$PG_PORT/$PG_DB"
	PG_SCRAM_URL="postgresql://ct_scram@127.0.0.1:$PG_PORT/$PG_DB?sslmode=disable"
	PG_TLS_URL="postgresql://ct_tls@127.0.0.1:$PG_PORT/$PG_DB?sslmode=verify-full&sslrootcert=$PG_CA"
	# No ~/.pgpass or PG* variables of the machine may answer for the tests.
	unset PGPASSWORD PGPASSFILE PGSERVICE PGHOST PGPORT PGUSER PGDATABASE PGSSLMODE
	export PGPASSFILE="$PG/no-pgpass"
	export PG_URL PG_SCRAM_URL PG_SCRAM_PASSWORD PG_TLS_URL PG_CA PG_PORT
}
