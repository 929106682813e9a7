# lib-server.sh - what every throwaway-server library of the tests needs
# (lib-dovecot.sh, lib-postgres.sh, lib-rt.sh source it). Needs: TOP.

fail() { echo "FAIL: $*" >&2; exit 1; }

# Skips the test (exit 0) or, with CT_TEST_REQUIRE_SERVERS=1, fails it.
skip_or_die() {
	if [ "${CT_TEST_REQUIRE_SERVERS:-0}" = 1 ]; then
		echo "FAIL: $* (CT_TEST_REQUIRE_SERVERS=1)" >&2
		exit 1
	fi
	echo "skip: $*"
	exit 0
}

# A TCP port on 127.0.0.1 nobody listens on now.
free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
