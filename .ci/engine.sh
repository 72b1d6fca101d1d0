# The external engine the integration tests also run on: PostgreSQL from Debian's packages, on loopback with its
# data in a throwaway folder, and FerretDB on it (./internal/cmd/ferretdb-pg, built from the FerretDB module the
# directory embeds). Sourced by .ci/run; usable by hand the same way:
#
#   source .ci/engine.sh && engine_start
#   TEST_MONGODB_URI=$ENGINE_MONGODB_URI TEST_POSTGRESQL_URL=$ENGINE_POSTGRESQL_URL go test ./...
#   engine_stop
#
# engine_start sets ENGINE_MONGODB_URI (FerretDB), ENGINE_POSTGRESQL_URL (a role that may create databases, for
# tests that run FerretDB of their own), ENGINE_NAME and ENGINE_DIR; engine_stop ends both servers and removes
# the folder.

engine_start() {
  if ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  fi
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  ENGINE_DIR=$(mktemp -d /tmp/directory-engine.XXXXXX)
  # PostgreSQL refuses to run as root, and CI runs as root: then the server runs as the postgres user that
  # Debian's package creates.
  local as=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$ENGINE_DIR"
    as=(runuser -u postgres --)
  fi
  "${as[@]}" "$bin/initdb" -D "$ENGINE_DIR/pg" -U ferretdb --auth=trust -E UTF8 --locale=C >"$ENGINE_DIR/initdb.log"

  local port=55432
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  "${as[@]}" "$bin/pg_ctl" -D "$ENGINE_DIR/pg" -l "$ENGINE_DIR/postgresql.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $ENGINE_DIR -c max_connections=300" start >/dev/null
  "$bin/createdb" -h 127.0.0.1 -p "$port" -U ferretdb ferretdb
  ENGINE_POSTGRESQL_URL="postgres://ferretdb@127.0.0.1:$port/postgres"
  ENGINE_NAME="FerretDB on PostgreSQL $("$bin/postgres" --version | awk '{print $3}')"

  go build -o "$ENGINE_DIR/ferretdb-pg" ./internal/cmd/ferretdb-pg
  "$ENGINE_DIR/ferretdb-pg" -postgresql-url "postgres://ferretdb@127.0.0.1:$port/ferretdb" -listen-addr 127.0.0.1:0 \
    >"$ENGINE_DIR/ferretdb.out" 2>"$ENGINE_DIR/ferretdb.log" &
  ENGINE_FERRETDB_PID=$!
  local i
  for i in $(seq 600); do
    ENGINE_MONGODB_URI=$(sed -n 's/^ready: MONGODB_URI=//p' "$ENGINE_DIR/ferretdb.out")
    [ -n "$ENGINE_MONGODB_URI" ] && break
    if ! kill -0 "$ENGINE_FERRETDB_PID" 2>/dev/null; then break; fi
    sleep 0.1
  done
  if [ -z "$ENGINE_MONGODB_URI" ]; then
    echo "FerretDB on PostgreSQL did not start:" >&2
    cat "$ENGINE_DIR/ferretdb.log" >&2
    return 1
  fi
  echo "$ENGINE_NAME: PostgreSQL on 127.0.0.1:$port (data in $ENGINE_DIR/pg), FerretDB at $ENGINE_MONGODB_URI"
}

# engine_psql runs SQL as the engine's PostgreSQL superuser in its database db.
engine_psql() {
  local db=$1
  shift
  psql "${ENGINE_POSTGRESQL_URL%/*}/$db" -X -A -t -q "$@"
}

# engine_check says how much the suite wrote to PostgreSQL and fails if a test left its database behind: each
# test drops the database it made, on FerretDB (a schema in the ferretdb database) and on PostgreSQL itself.
engine_check() {
  local rows left
  rows=$(engine_psql ferretdb -c "SELECT tup_inserted FROM pg_stat_database WHERE datname = 'ferretdb'")
  left=$(engine_psql ferretdb -c "SELECT string_agg(schema_name, ' ') FROM information_schema.schemata WHERE schema_name LIKE 't\_%'")
  left+=$(engine_psql postgres -c "SELECT string_agg(datname, ' ') FROM pg_database WHERE datname LIKE 't\_%'")
  echo "the tests inserted $rows rows into PostgreSQL through FerretDB"
  if [ -n "$left" ]; then
    echo "tests left their databases behind: $left" >&2
    return 1
  fi
}

engine_stop() {
  [ -n "${ENGINE_DIR:-}" ] || return 0
  if [ -n "${ENGINE_FERRETDB_PID:-}" ]; then
    kill "$ENGINE_FERRETDB_PID" 2>/dev/null && wait "$ENGINE_FERRETDB_PID" 2>/dev/null
    ENGINE_FERRETDB_PID=
  fi
  local bin as=()
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
  if [ -f "$ENGINE_DIR/pg/postmaster.pid" ]; then
    "${as[@]}" "$bin/pg_ctl" -D "$ENGINE_DIR/pg" -m fast -w stop >/dev/null || true
  fi
  rm -rf "$ENGINE_DIR"
  ENGINE_DIR=
}
