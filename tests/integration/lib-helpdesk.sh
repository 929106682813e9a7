#!/bin/sh
# lib-helpdesk.sh - starts tests/helpdesk_server.py on a free port on
# 127.0.0.1 with the data in $HD_DATA; hd_stop (from a trap) stops it.
# Sets HD_URL.
hd_start() {
	rm -f "$HD_DATA/port"
	python3 "$TOP/tests/helpdesk_server.py" "$HD_DATA/port" "$HD_DATA" 2>"$HD_DATA/server.err" &
	HD_PID=$!
	n=0
	while [ ! -s "$HD_DATA/port" ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
	[ -s "$HD_DATA/port" ] || return 1
	HD_URL="http://127.0.0.1:$(cat "$HD_DATA/port")"
}
hd_stop() {
	[ -n "${HD_PID:-}" ] && kill "$HD_PID" 2>/dev/null
	wait 2>/dev/null
}
