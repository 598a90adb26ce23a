#!/bin/sh
# Start a throw-away `sonde serve` on a free loopback port, feed it the
# redis-cli commands read from stdin, print the replies, stop it.
set -eu
dir=$(mktemp -d)
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sonde serve --port "$port" --bind 127.0.0.1 --save "" --dir "$dir" --logfile "$dir/log" &
i=0
until redis-cli -p "$port" ping >/dev/null 2>&1; do
  i=$((i + 1)); [ "$i" -lt 100 ] || { cat "$dir/log" >&2; exit 2; }
  sleep 0.05
done
redis-cli -p "$port" | sed '/^$/d'
