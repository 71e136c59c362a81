#!/bin/sh
# Registers (or updates) the PostgreSQL sessions sink on the Connect cluster. PUT on
# /connectors/<name>/config is idempotent, so re-running after a change applies it.
set -eu
CONNECT="${CONNECT_URL:-http://connect:8083}"
NAME=runnel-sessions-postgres
# The JSON file is {"name": ..., "config": {...}}; PUT wants the inner object.
CONFIG=$(sed -n '/"config": {/,/^  }/p' /config/postgres-sessions-sink.json | sed '1s/.*"config": {/{/; $s/^  }/}/')
code=$(curl -sS -o /tmp/answer -w '%{http_code}' -X PUT -H 'Content-Type: application/json' \
  --data "$CONFIG" "$CONNECT/connectors/$NAME/config")
cat /tmp/answer; echo
case "$code" in
  200|201) echo "connector $NAME registered" ;;
  *) echo "Connect refused connector $NAME: HTTP $code" >&2; exit 1 ;;
esac
