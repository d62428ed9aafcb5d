#!/usr/bin/env bash
# Starts the interop server in the background on 127.0.0.1:PORT, after installing the node
# packages if they are not current.
#
#   ./start.sh PORT
#
# The PID goes to cap-PORT.pid and the log to cap-PORT.log, beside this script. The script
# returns once both service roots answer, and prints them. The database is SQLite in memory,
# seeded from db/data on every start. Stop the server with ./stop.sh PORT.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

port="${1:-}"
if ! [[ "$port" =~ ^[0-9]+$ ]]; then
    echo "usage: $0 PORT" >&2
    exit 2
fi
pidfile="cap-$port.pid"
logfile="cap-$port.log"
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "interop: already running on port $port, pid $(cat "$pidfile")" >&2
    exit 1
fi

node setup.js

# NODE_ENV unset: CAP's development profile, which mocks authentication.
env -u NODE_ENV node node_modules/@sap/cds/bin/serve.js --in-memory --port "$port" \
    </dev/null >"$logfile" 2>&1 &
pid=$!
echo "$pid" >"$pidfile"

answers() {
    node -e '
        require("http").get(process.argv[1], (res) => process.exit(res.statusCode === 200 ? 0 : 1))
            .on("error", () => process.exit(1))
    ' "$1"
}

v4="http://127.0.0.1:$port/odata/v4/interop/"
v2="http://127.0.0.1:$port/odata/v2/interop/"
deadline=$((SECONDS + 60))
until answers "$v4" && answers "$v2"; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
        echo "interop: the server did not come up; its log:" >&2
        cat "$logfile" >&2
        kill "$pid" 2>/dev/null || true
        rm -f "$pidfile"
        exit 1
    fi
    sleep 0.2
done
echo "interop: pid $pid"
echo "V4: $v4"
echo "V2: $v2"
