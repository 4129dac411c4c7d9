#!/usr/bin/env bash
# Find or start the PostgreSQL and Redis that promostore needs on a developer or CI machine.
#
#   eval "$(scripts/dev-services.sh run)"    # DATABASE_URL (+ REDIS_URL if a Redis is available)
#   eval "$(scripts/dev-services.sh test)"   # DATABASE_URL + REDIS_URL (a real Redis is required)
#   scripts/dev-services.sh stop             # stop the private PostgreSQL/Redis this script started
#   scripts/dev-services.sh status           # say what is running
#
# stdout carries only `export NAME='value'` lines; every message goes to stderr.
#
# PostgreSQL, in order: $DATABASE_URL; a server answering on 127.0.0.1:$PG_PROBE_PORT (5432);
# a private cluster in $PROMOSTORE_DATA_DIR/pg (default <repo>/.data/pg) on 127.0.0.1:$PG_PRIVATE_PORT
# (55432), created with the system's PostgreSQL binaries (installed with apt-get when running as
# root and none are found).
# Redis, in order: $REDIS_URL; a server answering on 127.0.0.1:$REDIS_PROBE_PORT (6379); a private
# redis-server on 127.0.0.1:$REDIS_PRIVATE_PORT (56379), pid and log in the data dir; in `run` mode
# only, nothing (the app then uses its in-process fallback).
set -euo pipefail

# Keep stdout for the export lines only: everything else (ours, apt-get's, pg_ctl's) goes to stderr.
exec 3>&1 1>&2

readonly SCRIPT_NAME="dev-services.sh"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT

# Settings from <repo>/.env that the environment does not already set (the same file promostore
# reads at start). Only these keys, only plain KEY=value lines; the file is not executed.
# PROMOSTORE_DOTENV names another file; set but empty, no file is read.
load_dotenv() {
    local file="${PROMOSTORE_DOTENV-$REPO_ROOT/.env}" line key value
    [[ -n "$file" && -f "$file" ]] || return 0
    while IFS= read -r line || [[ -n "$line" ]]; do
        [[ "$line" =~ ^[[:space:]]*(export[[:space:]]+)?([A-Z_]+)[[:space:]]*=[[:space:]]*(.*)$ ]] || continue
        key="${BASH_REMATCH[2]}"
        value="${BASH_REMATCH[3]}"
        case "$key" in
        DATABASE_URL | REDIS_URL | PROMOSTORE_DATA_DIR | PG_PROBE_PORT | PG_PRIVATE_PORT | REDIS_PROBE_PORT | REDIS_PRIVATE_PORT) ;;
        *) continue ;;
        esac
        value="${value%"${value##*[![:space:]]}"}"
        if [[ "$value" =~ ^\"(.*)\"$ || "$value" =~ ^\'(.*)\'$ ]]; then
            value="${BASH_REMATCH[1]}"
        fi
        [[ -n "$value" && -z "${!key:-}" ]] || continue
        if [[ "$key" == PROMOSTORE_DATA_DIR && "$value" != /* ]]; then
            value="$REPO_ROOT/$value"
        fi
        printf -v "$key" '%s' "$value"
        export "${key?}"
    done <"$file"
}
load_dotenv

PG_PROBE_PORT="${PG_PROBE_PORT:-5432}"
PG_PRIVATE_PORT="${PG_PRIVATE_PORT:-55432}"
REDIS_PROBE_PORT="${REDIS_PROBE_PORT:-6379}"
REDIS_PRIVATE_PORT="${REDIS_PRIVATE_PORT:-56379}"
DATA_DIR="${PROMOSTORE_DATA_DIR:-$REPO_ROOT/.data}"
[[ "$DATA_DIR" == /* ]] || DATA_DIR="$PWD/$DATA_DIR"
DATA_DIR="${DATA_DIR%/}"

log() { printf '%s: %s\n' "$SCRIPT_NAME" "$*" >&2; }
die() {
    printf '%s: error: %s\n' "$SCRIPT_NAME" "$*" >&2
    exit 1
}

usage() {
    cat >&2 <<EOF
usage: $SCRIPT_NAME run|test|stop|status

  run     print exports for 'promostore serve' (Redis optional: in-process fallback without it)
  test    print exports for 'cargo test' (PostgreSQL and a real Redis required)
  stop    stop the private PostgreSQL cluster and Redis started by this script
  status  report what is running

environment (also read from <repo>/.env, or the file PROMOSTORE_DOTENV names):
  DATABASE_URL, REDIS_URL, PROMOSTORE_DATA_DIR (default: <repo>/.data),
  PG_PROBE_PORT (5432), PG_PRIVATE_PORT (55432), REDIS_PROBE_PORT (6379), REDIS_PRIVATE_PORT (56379)
EOF
}

is_root() { [[ "$(id -u)" == 0 ]]; }

# Run a command that may leave a daemon behind (pg_ctl, redis-server, apt-get's postinst) without
# our stdout pipe (fd 3: the caller's `$(...)` would wait for the daemon to exit) or lock (fd 8).
spawn() { "$@" 3>&- 8>&-; }

# Print `export NAME='value'` on the real stdout, quoted for any POSIX shell.
emit_export() {
    local name="$1" value="$2" q="'\\''"
    printf "export %s='%s'\n" "$name" "${value//\'/$q}" >&3
}

# Anything accepting TCP connections on 127.0.0.1:PORT?
tcp_open() {
    # shellcheck disable=SC2016 # $1 is expanded by the inner bash
    timeout 3 bash -c 'exec 9<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

port_is_free() { ! tcp_open "$1"; }

# A URL fit for a log: scheme://user:secret@host -> scheme://user:***@host
redact() {
    sed -E 's#^([A-Za-z0-9+.-]+://[^:/@]*):[^@/]*@#\1:***@#' <<<"$1"
}

apt_install() {
    is_root || return 1
    command -v apt-get >/dev/null 2>&1 || return 1
    log "installing $* with apt-get (this can take a minute)"
    export DEBIAN_FRONTEND=noninteractive
    spawn apt-get update -qq >&2 || return 1
    spawn apt-get install -y -qq --no-install-recommends "$@" >&2 || return 1
}

# ----------------------------------------------------------------------------------------------
# URLs
# ----------------------------------------------------------------------------------------------

# postgres://user@host:port/db?x=y  ->  prints "postgres://user@host:port|db|?x=y"
split_pg_url() {
    local url="$1" rest base path query=""
    [[ "$url" == *://* ]] || return 1
    if [[ "$url" == *\?* ]]; then
        query="?${url#*\?}"
        url="${url%%\?*}"
    fi
    rest="${url#*://}"
    if [[ "$rest" == */* ]]; then
        base="${url%%://*}://${rest%%/*}"
        path="${rest#*/}"
    else
        base="$url"
        path=""
    fi
    printf '%s|%s|%s\n' "$base" "$path" "$query"
}

# The same server as URL, with another database name.
pg_url_with_db() {
    local parts base query
    parts="$(split_pg_url "$1")" || return 1
    base="${parts%%|*}"
    query="${parts##*|}"
    printf '%s/%s%s\n' "$base" "$2" "$query"
}

pg_url_db() {
    local parts
    parts="$(split_pg_url "$1")" || return 1
    parts="${parts#*|}"
    printf '%s\n' "${parts%%|*}"
}

# ----------------------------------------------------------------------------------------------
# PostgreSQL
# ----------------------------------------------------------------------------------------------

PG_BINDIR=""

# Choose the directory holding initdb/pg_ctl/postgres; prefer $1 (a major version) when given.
find_pg_bindir() {
    local want="${1:-}" d
    if [[ -n "$want" && -x "/usr/lib/postgresql/$want/bin/pg_ctl" ]]; then
        PG_BINDIR="/usr/lib/postgresql/$want/bin"
        return 0
    fi
    d="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
        PG_BINDIR="$d"
        return 0
    fi
    if command -v pg_config >/dev/null 2>&1; then
        d="$(pg_config --bindir 2>/dev/null || true)"
        if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
            PG_BINDIR="$d"
            return 0
        fi
    fi
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        PG_BINDIR="$(dirname "$(command -v pg_ctl)")"
        return 0
    fi
    return 1
}

psql_bin() {
    if [[ -n "$PG_BINDIR" && -x "$PG_BINDIR/psql" ]]; then
        printf '%s\n' "$PG_BINDIR/psql"
    elif command -v psql >/dev/null 2>&1; then
        command -v psql
    else
        return 1
    fi
}

# Is a PostgreSQL server answering on 127.0.0.1:PORT?
pg_answers() {
    local port="$1" rc=0 i
    if command -v pg_isready >/dev/null 2>&1; then
        for i in 1 2 3; do
            rc=0
            pg_isready -q -h 127.0.0.1 -p "$port" -t 3 >/dev/null 2>&1 || rc=$?
            # 0: accepting; 1: rejecting (starting up): ask again; 2/3: nobody there.
            [[ $rc == 1 ]] || break
            [[ $i == 3 ]] || sleep 1
        done
        [[ $rc == 0 ]]
    else
        tcp_open "$port"
    fi
}

# Can we log in with URL? Unknown (no psql) counts as yes.
pg_can_login() {
    local psql
    psql="$(psql_bin)" || return 0
    PGCONNECT_TIMEOUT=5 "$psql" "$1" -X -q -A -t -c 'select 1' >/dev/null 2>&1
}

# Make sure database NAME exists on the server of URL (if psql is available).
# Returns 0 when it exists (or cannot be checked), 1 when it could not be created.
pg_ensure_db() {
    local url="$1" name="$2" psql maint exists
    psql="$(psql_bin)" || {
        log "psql not found: not checking that database '$name' exists (promostore creates it on start)"
        return 0
    }
    [[ "$name" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || {
        log "database name '$name' is not a plain identifier: not checking that it exists"
        return 0
    }
    maint="$(pg_url_with_db "$url" postgres)"
    exists="$(PGCONNECT_TIMEOUT=5 "$psql" "$maint" -X -q -A -t \
        -c "select 1 from pg_database where datname = '$name'" 2>/dev/null)" || {
        log "could not query $maint: not checking that database '$name' exists"
        return 0
    }
    [[ "$exists" == 1 ]] && return 0
    if PGCONNECT_TIMEOUT=5 "$psql" "$maint" -X -q -c "create database \"$name\"" >/dev/null 2>&1; then
        log "created database '$name'"
        return 0
    fi
    # Lost a race with another creator?
    exists="$(PGCONNECT_TIMEOUT=5 "$psql" "$maint" -X -q -A -t \
        -c "select 1 from pg_database where datname = '$name'" 2>/dev/null || true)"
    [[ "$exists" == 1 ]]
}

# Where the private cluster lives. As root the cluster runs as `postgres`, which must be able to
# reach the directory: if it cannot, use /var/tmp/promostore-<hash of the data dir>/pg instead.
pg_fallback_dir() {
    local h
    h="$(printf '%s' "$DATA_DIR" | sha256sum | cut -c1-12)"
    printf '/var/tmp/promostore-%s\n' "$h"
}

pg_user_can_reach() {
    runuser -u postgres -- test -x "$1" -a -w "$1" 2>/dev/null
}

PG_DATA=""

choose_pg_data() {
    local want="$DATA_DIR/pg" fb
    fb="$(pg_fallback_dir)/pg"
    if ! is_root; then
        PG_DATA="$want"
        return 0
    fi
    # An existing cluster wins wherever it is.
    if [[ -f "$want/PG_VERSION" ]]; then
        PG_DATA="$want"
        return 0
    fi
    if [[ -f "$fb/PG_VERSION" ]]; then
        PG_DATA="$fb"
        log "using the private cluster in $fb (the data dir is not reachable by the postgres user)"
        return 0
    fi
    mkdir -p "$DATA_DIR"
    # The data dir is ours: let other users traverse it (not list it), so postgres can reach pg/.
    if [[ "$(stat -c %u "$DATA_DIR")" == 0 ]]; then
        chmod a+x "$DATA_DIR" 2>/dev/null || true
    fi
    mkdir -p "$want"
    chown postgres: "$want"
    chmod 700 "$want"
    if pg_user_can_reach "$want"; then
        PG_DATA="$want"
        return 0
    fi
    rmdir "$want" 2>/dev/null || true
    log "the postgres user cannot reach $want (a parent directory is not traversable):"
    log "using $fb instead"
    mkdir -p "$fb"
    chmod 755 "$(dirname "$fb")"
    chown postgres: "$fb"
    chmod 700 "$fb"
    PG_DATA="$fb"
}

# Run a PostgreSQL server binary as an unprivileged user.
as_pg() {
    if is_root; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Socket directory: the data dir when its path is short enough for a Unix socket, else /tmp.
pg_socket_dir() {
    if ((${#PG_DATA} <= 80)); then
        printf '%s\n' "$PG_DATA"
    else
        printf '/tmp\n'
    fi
}

# Port of the running private cluster (from postmaster.pid), if it runs.
pg_private_running_port() {
    [[ -f "$PG_DATA/PG_VERSION" ]] || return 1
    [[ -n "$PG_BINDIR" ]] || return 1
    as_pg "$PG_BINDIR/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1 || return 1
    sed -n 4p "$PG_DATA/postmaster.pid" 2>/dev/null
}

ensure_pg_binaries() {
    local want=""
    [[ -f "$PG_DATA/PG_VERSION" ]] && want="$(cat "$PG_DATA/PG_VERSION")"
    find_pg_bindir "$want" && return 0
    if is_root; then
        apt_install postgresql || die "apt-get install postgresql failed: install PostgreSQL or set DATABASE_URL"
        find_pg_bindir "$want" && return 0
    fi
    die "no PostgreSQL server on 127.0.0.1:$PG_PROBE_PORT and no PostgreSQL binaries (initdb, pg_ctl) found: install PostgreSQL (e.g. apt-get install postgresql) or set DATABASE_URL"
}

start_private_pg() {
    local port version
    if is_root && ! id postgres >/dev/null 2>&1; then
        log "creating the system user 'postgres' to run the private cluster"
        useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    fi
    choose_pg_data
    ensure_pg_binaries

    if port="$(pg_private_running_port)" && [[ -n "$port" ]]; then
        log "reusing the private PostgreSQL cluster in $PG_DATA (127.0.0.1:$port)"
        PG_PORT="$port"
        return 0
    fi

    if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
        mkdir -p "$PG_DATA"
        if [[ -n "$(ls -A "$PG_DATA" 2>/dev/null)" ]]; then
            die "$PG_DATA is not empty but holds no PostgreSQL cluster: remove it and retry"
        fi
        is_root && chown postgres: "$PG_DATA"
        chmod 700 "$PG_DATA"
        log "creating a private PostgreSQL cluster in $PG_DATA ($PG_BINDIR)"
        # --no-sync: a throwaway dev/test cluster; skipping the final fsync saves seconds.
        local initdb_log
        initdb_log="$(dirname "$PG_DATA")/initdb.log"
        as_pg "$PG_BINDIR/initdb" -D "$PG_DATA" --auth=trust -U postgres -E UTF8 --locale=C.UTF-8 \
            --no-sync >"$initdb_log" 2>&1 ||
            as_pg "$PG_BINDIR/initdb" -D "$PG_DATA" --auth=trust -U postgres -E UTF8 --no-locale \
                --no-sync >"$initdb_log" 2>&1 ||
            {
                cat "$initdb_log" >&2 || true
                die "initdb failed (log: $initdb_log)"
            }
    fi

    version="$(cat "$PG_DATA/PG_VERSION")"
    port="$PG_PRIVATE_PORT"
    if ! port_is_free "$port"; then
        die "port 127.0.0.1:$port is taken by another program: set PG_PRIVATE_PORT to a free port"
    fi
    log "starting the private PostgreSQL $version cluster on 127.0.0.1:$port (log: $PG_DATA/server.log)"
    if ! spawn as_pg "$PG_BINDIR/pg_ctl" start -w -t 60 -D "$PG_DATA" -l "$PG_DATA/server.log" \
        -o "-p $port -c listen_addresses=127.0.0.1 -k '$(pg_socket_dir)' -c max_connections=200" >&2; then
        tail -n 30 "$PG_DATA/server.log" >&2 || true
        die "pg_ctl start failed (log: $PG_DATA/server.log)"
    fi
    PG_PORT="$port"
}

PG_PORT=""

# Sets DATABASE_URL for MODE.
resolve_postgres() {
    local mode="$1" dbname server_url
    dbname="promostore"
    [[ "$mode" == test ]] && dbname="promostore_test"

    if [[ -n "${DATABASE_URL:-}" ]]; then
        log "PostgreSQL: using DATABASE_URL (from the environment or .env)"
        if [[ "$mode" == test ]]; then
            local d
            d="$(pg_url_db "$DATABASE_URL" || true)"
            if [[ -n "$d" ]] && ! pg_ensure_db "$DATABASE_URL" "$d"; then
                log "warning: database '$d' does not exist and could not be created"
            fi
        fi
        return 0
    fi

    server_url="postgres://postgres@127.0.0.1:$PG_PROBE_PORT"
    if pg_answers "$PG_PROBE_PORT"; then
        if pg_can_login "$server_url/postgres"; then
            log "PostgreSQL: found a server on 127.0.0.1:$PG_PROBE_PORT"
            DATABASE_URL="$server_url/$dbname"
            if ! pg_ensure_db "$server_url" "$dbname"; then
                if [[ "$mode" == test ]]; then
                    log "could not create '$dbname': using the 'postgres' database (sqlx::test creates its own)"
                    DATABASE_URL="$server_url/postgres"
                else
                    log "could not create '$dbname' now: promostore will try on start"
                fi
            fi
            return 0
        fi
        log "a PostgreSQL server answers on 127.0.0.1:$PG_PROBE_PORT but refuses user postgres without a password:"
        log "starting a private cluster instead (set DATABASE_URL to use that server)"
    else
        log "PostgreSQL: nothing on 127.0.0.1:$PG_PROBE_PORT, using a private cluster"
    fi

    start_private_pg
    server_url="postgres://postgres@127.0.0.1:$PG_PORT"
    DATABASE_URL="$server_url/$dbname"
    if ! pg_ensure_db "$server_url" "$dbname"; then
        [[ "$mode" == test ]] && DATABASE_URL="$server_url/postgres"
    fi
}

# ----------------------------------------------------------------------------------------------
# Redis
# ----------------------------------------------------------------------------------------------

REDIS_PID_FILE="$DATA_DIR/redis.pid"
REDIS_LOG_FILE="$DATA_DIR/redis.log"
REDIS_PORT_FILE="$DATA_DIR/redis.port"

# Does a Redis answer PING on 127.0.0.1:PORT?
redis_pings() {
    # shellcheck disable=SC2016 # $1 and $line are expanded by the inner bash
    timeout 3 bash -c '
        exec 9<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "PING\r\n" >&9
        IFS= read -r -t 2 line <&9 || exit 1
        [[ "$line" == +PONG* ]]' _ "$1" 2>/dev/null
}

# PID of our private redis-server, if it runs.
redis_private_pid() {
    local pid
    [[ -f "$REDIS_PID_FILE" ]] || return 1
    pid="$(cat "$REDIS_PID_FILE" 2>/dev/null)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [[ -r "/proc/$pid/cmdline" ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'redis-server' || return 1
    printf '%s\n' "$pid"
}

find_redis_server() {
    local c
    for c in "$(command -v redis-server 2>/dev/null || true)" /usr/bin/redis-server /usr/sbin/redis-server; do
        if [[ -n "$c" && -f "$c" && -x "$c" ]]; then
            printf '%s\n' "$c"
            return 0
        fi
    done
    return 1
}

# Sets REDIS_URL (or leaves it empty in run mode when no Redis can be had).
resolve_redis() {
    local mode="$1" bin port pid i
    if [[ -n "${REDIS_URL:-}" ]]; then
        log "Redis: using REDIS_URL (from the environment or .env)"
        return 0
    fi
    if redis_pings "$REDIS_PROBE_PORT"; then
        log "Redis: found a server on 127.0.0.1:$REDIS_PROBE_PORT"
        REDIS_URL="redis://127.0.0.1:$REDIS_PROBE_PORT"
        return 0
    fi

    if pid="$(redis_private_pid)"; then
        port="$(cat "$REDIS_PORT_FILE" 2>/dev/null || true)"
        if [[ -n "$port" ]] && redis_pings "$port"; then
            log "Redis: reusing the private redis-server (pid $pid) on 127.0.0.1:$port"
            REDIS_URL="redis://127.0.0.1:$port"
            return 0
        fi
    fi

    if ! bin="$(find_redis_server)"; then
        if is_root && apt_install redis-server; then
            bin="$(find_redis_server)" || true
        fi
    fi
    if [[ -z "${bin:-}" ]]; then
        if [[ "$mode" == test ]]; then
            die "no Redis on 127.0.0.1:$REDIS_PROBE_PORT and no redis-server found: install Redis (e.g. apt-get install redis-server) or set REDIS_URL"
        fi
        log "note: no Redis found: promostore will use its in-process cache, denylist and rate limits (single instance)"
        REDIS_URL=""
        return 0
    fi

    port="$REDIS_PRIVATE_PORT"
    if ! port_is_free "$port"; then
        die "port 127.0.0.1:$port is taken by another program: set REDIS_PRIVATE_PORT to a free port"
    fi
    mkdir -p "$DATA_DIR"
    log "Redis: starting a private redis-server on 127.0.0.1:$port (log: $REDIS_LOG_FILE)"
    spawn "$bin" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
        --dir "$DATA_DIR" --pidfile "$REDIS_PID_FILE" --logfile "$REDIS_LOG_FILE" >&2 ||
        die "redis-server failed to start (log: $REDIS_LOG_FILE)"
    printf '%s\n' "$port" >"$REDIS_PORT_FILE"
    for i in $(seq 1 50); do
        redis_pings "$port" && break
        [[ $i == 50 ]] && {
            tail -n 20 "$REDIS_LOG_FILE" >&2 || true
            die "redis-server did not answer on 127.0.0.1:$port (log: $REDIS_LOG_FILE)"
        }
        sleep 0.1
    done
    REDIS_URL="redis://127.0.0.1:$port"
}

# ----------------------------------------------------------------------------------------------
# stop / status
# ----------------------------------------------------------------------------------------------

stop_private_pg_in() {
    local dir="$1" pid
    [[ -f "$dir/PG_VERSION" ]] || return 0
    [[ -f "$dir/postmaster.pid" ]] || {
        log "PostgreSQL: the private cluster in $dir is not running"
        return 0
    }
    PG_DATA="$dir"
    if find_pg_bindir "$(cat "$dir/PG_VERSION")"; then
        if as_pg "$PG_BINDIR/pg_ctl" status -D "$dir" >/dev/null 2>&1; then
            log "PostgreSQL: stopping the private cluster in $dir"
            as_pg "$PG_BINDIR/pg_ctl" stop -D "$dir" -m fast -w -t 60 >&2
        else
            log "PostgreSQL: the private cluster in $dir is not running"
        fi
        return 0
    fi
    # No binaries any more: ask the postmaster directly (SIGINT = fast shutdown).
    pid="$(head -n 1 "$dir/postmaster.pid")"
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
        log "PostgreSQL: stopping the private cluster in $dir (pid $pid)"
        kill -INT "$pid"
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || return 0
            sleep 0.1
        done
        die "postmaster $pid did not stop"
    fi
}

stop_private_redis() {
    local pid
    if pid="$(redis_private_pid)"; then
        log "Redis: stopping the private redis-server (pid $pid)"
        kill -TERM "$pid"
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && die "redis-server $pid did not stop"
    else
        log "Redis: no private redis-server running"
    fi
    rm -f "$REDIS_PID_FILE" "$REDIS_PORT_FILE"
}

do_stop() {
    local fb
    fb="$(pg_fallback_dir)/pg"
    if [[ -f "$DATA_DIR/pg/PG_VERSION" || -f "$fb/PG_VERSION" ]]; then
        stop_private_pg_in "$DATA_DIR/pg"
        stop_private_pg_in "$fb"
    else
        log "PostgreSQL: no private cluster in $DATA_DIR/pg"
    fi
    stop_private_redis
}

do_status() {
    local fb dir port pid
    fb="$(pg_fallback_dir)/pg"
    if pg_answers "$PG_PROBE_PORT"; then
        log "PostgreSQL: a server answers on 127.0.0.1:$PG_PROBE_PORT"
    else
        log "PostgreSQL: nothing on 127.0.0.1:$PG_PROBE_PORT"
    fi
    for dir in "$DATA_DIR/pg" "$fb"; do
        [[ -f "$dir/PG_VERSION" ]] || continue
        PG_DATA="$dir"
        find_pg_bindir "$(cat "$dir/PG_VERSION")" || true
        if port="$(pg_private_running_port)"; then
            log "PostgreSQL: private cluster in $dir running on 127.0.0.1:$port"
        else
            log "PostgreSQL: private cluster in $dir is stopped"
        fi
    done
    if redis_pings "$REDIS_PROBE_PORT"; then
        log "Redis: a server answers on 127.0.0.1:$REDIS_PROBE_PORT"
    else
        log "Redis: nothing on 127.0.0.1:$REDIS_PROBE_PORT"
    fi
    if pid="$(redis_private_pid)"; then
        log "Redis: private redis-server pid $pid on 127.0.0.1:$(cat "$REDIS_PORT_FILE" 2>/dev/null || echo '?')"
    else
        log "Redis: no private redis-server running"
    fi
}

# ----------------------------------------------------------------------------------------------
# main
# ----------------------------------------------------------------------------------------------

# One invocation at a time per data dir (two `make` runs must not both initdb).
take_lock() {
    command -v flock >/dev/null 2>&1 || return 0
    mkdir -p "$DATA_DIR"
    exec 8>"$DATA_DIR/.dev-services.lock"
    flock -w 120 8 || die "another $SCRIPT_NAME holds $DATA_DIR/.dev-services.lock"
}

main() {
    local mode="${1:-}"
    case "$mode" in
    run | test)
        take_lock
        resolve_postgres "$mode"
        resolve_redis "$mode"
        emit_export DATABASE_URL "$DATABASE_URL"
        if [[ -n "${REDIS_URL:-}" ]]; then
            emit_export REDIS_URL "$REDIS_URL"
        fi
        log "DATABASE_URL=$(redact "$DATABASE_URL")"
        log "REDIS_URL=$(redact "${REDIS_URL:-(unset: in-process fallback)}")"
        ;;
    stop)
        take_lock
        do_stop
        ;;
    status)
        do_status
        ;;
    -h | --help | help)
        usage
        ;;
    *)
        usage
        exit 2
        ;;
    esac
}

main "$@"
