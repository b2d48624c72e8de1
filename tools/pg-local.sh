#!/bin/sh
# A throw-away PostgreSQL server for the tests: `make test-postgres` and CI.
#
#   sh tools/pg-local.sh start   # install (Debian package, as root, only if missing), init, start
#   sh tools/pg-local.sh url     # the SQLAlchemy URL of its test database
#   sh tools/pg-local.sh admin-url  # its superuser, through its socket (tests that make roles)
#   sh tools/pg-local.sh stop    # stop it and delete its data folder
#
# It listens on 127.0.0.1 only (and a socket in its own folder), on PG_LOCAL_PORT
# (default 54329), with its data in PG_LOCAL_DIR (default /tmp/csdesk-pg-PORT): it
# never touches a server that is already there. It creates the role `csdesk`
# (password `csdesk`; each test makes a schema of its own in its database) and
# the database `csdesk` it owns, as the README's set-up for a shared book does (no
# extension is needed).
set -eu

PORT=${PG_LOCAL_PORT:-54329}
DIR=${PG_LOCAL_DIR:-/tmp/csdesk-pg-$PORT}
ROLE=csdesk
PASSWORD=csdesk
DATABASE=csdesk

bindir() {
    for candidate in "$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/x)")" \
        $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$candidate/pg_ctl" ] && [ -x "$candidate/initdb" ] && [ -x "$candidate/postgres" ]; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

install_server() {
    if bindir >/dev/null; then
        return 0
    fi
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        echo "pg-local: no PostgreSQL server found; install the Debian package 'postgresql' (apt-get install postgresql)" >&2
        exit 2
    fi
    # Only the programs: no cluster of its own listening on 5432.
    mkdir -p /etc/postgresql-common
    [ -f /etc/postgresql-common/createcluster.conf ] ||
        echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
}

# Runs a server program as an unprivileged user when we are root (PostgreSQL refuses root).
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

psql_admin() {
    as_owner psql -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres "$@"
}

start() {
    install_server
    BIN=$(bindir)
    if [ -f "$DIR/postmaster.pid" ] && as_owner "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
        url
        return 0
    fi
    if [ ! -f "$DIR/PG_VERSION" ]; then
        rm -rf "$DIR"
        mkdir -p "$DIR"
        if [ "$(id -u)" = 0 ]; then
            as_owner true # creates the user if needed
            chown postgres "$DIR"
        fi
        as_owner "$BIN/initdb" -D "$DIR" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
            --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    fi
    as_owner "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -t 60 start \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=$DIR -c fsync=off -c max_connections=200" >/dev/null
    if ! psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'" | grep -q 1; then
        psql_admin -c "CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD'"
    fi
    if ! psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'" | grep -q 1; then
        psql_admin -c "CREATE DATABASE $DATABASE OWNER $ROLE"
    fi
    url
}

stop() {
    BIN=$(bindir) || exit 0
    if [ -f "$DIR/postmaster.pid" ]; then
        as_owner "$BIN/pg_ctl" -D "$DIR" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$DIR"
}

url() {
    echo "postgresql+psycopg://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DATABASE"
}

admin_url() { # nothing when this server is not running
    if [ -S "$DIR/.s.PGSQL.$PORT" ]; then
        echo "postgresql+psycopg://postgres@/postgres?host=$DIR&port=$PORT"
    fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
url) url ;;
admin-url) admin_url ;;
*)
    echo "usage: $0 start|stop|url|admin-url" >&2
    exit 2
    ;;
esac
