#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and benchmarks: `tools/pg.sh start DIR` initialises DIR (as the
# unprivileged `postgres` user when run as root: PostgreSQL refuses to run as root), starts it on 127.0.0.1 at a
# free port and prints its URL; `tools/pg.sh stop DIR` stops it. Debian's `postgresql` package provides the
# binaries (tools/test-setup.sh installs it).
set -euo pipefail
cmd=${1:?usage: tools/pg.sh start|stop DIR}
dir=${2:?usage: tools/pg.sh start|stop DIR}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    as_pg "$bin/initdb" -D "$dir/data" -U hallops --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    # Tests want speed, not durability of a throwaway cluster: fsync off here only (production keeps it on).
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o "-c listen_addresses=127.0.0.1 -p $port \
      -c unix_socket_directories=$dir -c max_connections=300 -c fsync=off -c synchronous_commit=off \
      -c full_page_writes=off" start >/dev/null
    as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U hallops hallops
    echo "postgresql://hallops@127.0.0.1:$port/hallops"
    ;;
  stop)
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    ;;
  *) echo "usage: tools/pg.sh start|stop DIR" >&2; exit 2 ;;
esac
