#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests: installs Debian's postgresql if it is
# missing (as root), creates a cluster in a temporary directory owned by the
# postgres user, starts it on 127.0.0.1 on a free port and creates a
# database.
#
#   eval "$(bash .ci/postgres.sh start)"   # exports HOOKLEDGER_TEST_POSTGRES and HOOKLEDGER_PG_DIR
#   bash .ci/postgres.sh stop "$HOOKLEDGER_PG_DIR"
#
# start prints only the export lines on stdout; progress goes to stderr.
set -euo pipefail

PG_VERSION=15
PG_BIN=/usr/lib/postgresql/$PG_VERSION/bin

log() { echo "postgres.sh: $*" >&2; }

install_postgres() {
  if [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] && id postgres >/dev/null 2>&1; then
    return
  fi
  if [ "$(id -u)" -ne 0 ]; then
    log "PostgreSQL $PG_VERSION is not installed and installing it needs root"; exit 1
  fi
  log "installing postgresql with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends postgresql >&2
}

free_port() {
  # Ask the kernel for a free port on loopback.
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null && return
  # No python: try ports until one is free.
  local p
  for p in $(seq 25432 25532); do
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then echo "$p"; return; fi
  done
  log "no free port"; exit 1
}

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

start() {
  install_postgres
  local dir port
  dir=$(mktemp -d /tmp/hookledger-pg.XXXXXX)
  chown postgres:postgres "$dir"
  chmod 700 "$dir"
  port=$(free_port)
  as_postgres "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  # Unix socket in the cluster's own directory; TCP on loopback only.
  # fsync and synchronous_commit stay on: the tests check durable commits.
  as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 -c shared_buffers=128MB" start >&2 ||
    { cat "$dir/server.log" >&2; exit 1; }
  as_postgres "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres hookledger_test >&2
  log "PostgreSQL $PG_VERSION on 127.0.0.1:$port, cluster in $dir"
  echo "export HOOKLEDGER_TEST_POSTGRES='postgres://postgres@127.0.0.1:$port/hookledger_test?sslmode=disable'"
  echo "export HOOKLEDGER_PG_DIR='$dir'"
}

stop() {
  local dir=${1:-${HOOKLEDGER_PG_DIR:-}}
  if [ -z "$dir" ] || [ ! -d "$dir/data" ]; then
    log "stop: no cluster directory given"; return 0
  fi
  as_postgres "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
