#!/bin/sh
# t27-db-postgres.sh - store/db.h against a real PostgreSQL: runs the unit
# test binary test_db (the same statements as on SQLite: placeholders,
# upserts, identity columns, transactions, a pipelined batch of 10,000
# inserts, rows held for multi-row INSERTs, a killed connection) with
# CT_TEST_PG_URL set, plus the password (scram-sha-256) and TLS
# (sslmode=verify-full) connections.
set -u
: "${TMPDIR:?}" "${TOP:?}" "${BUILD:?}"
cd "$TMPDIR"
. "$TOP/tests/integration/lib-postgres.sh"
[ -x "$BUILD/tests/test_db" ] || fail "$BUILD/tests/test_db is not built (make $BUILD/tests/test_db)"
pg_start

CT_TEST_PG_URL=$PG_URL CT_TEST_PG_SCRAM_URL=$PG_SCRAM_URL CT_TEST_PG_SCRAM_PASSWORD=$PG_SCRAM_PASSWORD \
	CT_TEST_PG_TLS_URL=$PG_TLS_URL "$BUILD/tests/test_db" >db.out 2>&1 || {
	cat db.out >&2
	tail -20 "$PG/server.log" >&2
	fail "test_db on PostgreSQL"
}
# Every case ran on PostgreSQL, none skipped, and the figures are printed.
grep -q "not run" db.out && { cat db.out >&2; fail "test_db skipped the PostgreSQL cases"; }
grep -c '^\[       OK \]' db.out >ok.n
[ "$(cat ok.n)" = 22 ] || { cat db.out >&2; fail "$(cat ok.n) cases passed, want 22"; }
grep '10000 inserts' db.out
# The tables the test made are in the server, seen from psql.
[ "$(pg_sql "select count(*) from information_schema.tables where table_name in ('kv', 'items', 'big', 'big2')")" = 4 ] ||
	fail "the test tables are not in the server"
echo "ok: store/db.h on PostgreSQL $(pg_sql "show server_version")"
