#!/usr/bin/env bash
# Stops the server that ./start.sh PORT started: the PID in cap-PORT.pid and no other.
#
#   ./stop.sh PORT
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

port="${1:-}"
if ! [[ "$port" =~ ^[0-9]+$ ]]; then
    echo "usage: $0 PORT" >&2
    exit 2
fi
pidfile="cap-$port.pid"
if [ ! -f "$pidfile" ]; then
    echo "interop: nothing started on port $port"
    exit 0
fi
pid="$(cat "$pidfile")"
rm -f "$pidfile"
# A PID from a stale file may belong to another process by now: only a CAP server is stopped.
if ! grep -qa '@sap/cds/bin/serve.js' "/proc/$pid/cmdline" 2>/dev/null; then
    echo "interop: pid $pid is not running the server any more"
    exit 0
fi
kill -TERM "$pid"
for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || { echo "interop: stopped pid $pid"; exit 0; }
    sleep 0.1
done
kill -KILL "$pid"
echo "interop: killed pid $pid"
