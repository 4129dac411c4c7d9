#!/usr/bin/env bash
# Test of scripts/dev-services.sh's private-cluster path: with nothing on the probe ports, `test`
# mode must start a private PostgreSQL and Redis that answer, and `stop` must stop both.
# Prints "1 passed, 0 failed" (exit 0) or "0 passed, 1 failed" (exit 1).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEV_SERVICES="$REPO_ROOT/scripts/dev-services.sh"

log() { printf 'test-dev-services: %s\n' "$*" >&2; }

# A port nobody listens on now (the kernel hands out a free one; we close it straight away).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

tcp_open() {
    # shellcheck disable=SC2016 # $1 is expanded by the inner bash
    timeout 3 bash -c 'exec 9<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

redis_ping() {
    # shellcheck disable=SC2016 # expanded by the inner bash
    timeout 3 bash -c '
        exec 9<>"/dev/tcp/$1/$2" || exit 1
        printf "PING\r\n" >&9
        IFS= read -r -t 2 line <&9 || exit 1
        [[ "$line" == +PONG* ]]' _ "$1" "$2" 2>/dev/null
}

psql_bin() {
    local d
    d="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -n "$d" && -x "$d/psql" ]]; then
        printf '%s\n' "$d/psql"
    else
        command -v psql
    fi
}

DATA_DIR="$(mktemp -d "${TMPDIR:-/tmp}/promostore-dev-services-test.XXXXXX")"
export PROMOSTORE_DATA_DIR="$DATA_DIR"
PG_PROBE_PORT="$(free_port)"
REDIS_PROBE_PORT="$(free_port)"
PG_PRIVATE_PORT="$(free_port)"
REDIS_PRIVATE_PORT="$(free_port)"
export PG_PROBE_PORT REDIS_PROBE_PORT PG_PRIVATE_PORT REDIS_PRIVATE_PORT
# The test must not pick up the caller's services, nor those named in the repo's .env.
unset DATABASE_URL REDIS_URL
export PROMOSTORE_DOTENV=""

finished=0
cleanup() {
    local rc=$?
    if [[ $finished == 0 ]]; then
        echo "test-dev-services: aborted by an unexpected error (exit $rc)"
        echo "0 passed, 1 failed"
    fi
    # Best effort: stop whatever is still running, then remove the data (and any /var/tmp fallback).
    "$DEV_SERVICES" stop >/dev/null 2>&1 || true
    local fb
    fb="/var/tmp/promostore-$(printf '%s' "$DATA_DIR" | sha256sum | cut -c1-12)"
    rm -rf "$DATA_DIR" "$fb"
    if [[ $finished == 0 && $rc == 0 ]]; then
        exit 1
    fi
}
trap cleanup EXIT

failure=""
fail() {
    [[ -n "$failure" ]] || failure="$*"
    log "FAIL: $*"
}

check() {
    local exports psql
    log "data dir $DATA_DIR; probe ports pg=$PG_PROBE_PORT redis=$REDIS_PROBE_PORT;" \
        "private ports pg=$PG_PRIVATE_PORT redis=$REDIS_PRIVATE_PORT"

    if ! exports="$("$DEV_SERVICES" test)"; then
        fail "dev-services.sh test exited non-zero"
        return
    fi
    log "dev-services.sh test printed:"
    printf '%s\n' "$exports" | sed 's/^/    /' >&2
    eval "$exports"

    [[ "${DATABASE_URL:-}" == "postgres://postgres@127.0.0.1:$PG_PRIVATE_PORT/"* ]] ||
        fail "DATABASE_URL is not the private cluster on port $PG_PRIVATE_PORT: '${DATABASE_URL:-}'"
    [[ "${REDIS_URL:-}" == "redis://127.0.0.1:$REDIS_PRIVATE_PORT" ]] ||
        fail "REDIS_URL is not the private redis on port $REDIS_PRIVATE_PORT: '${REDIS_URL:-}'"

    psql="$(psql_bin)" || {
        fail "psql not found"
        return
    }
    local one
    one="$(PGCONNECT_TIMEOUT=5 "$psql" "${DATABASE_URL:-}" -X -q -A -t -c 'select 1' 2>&1)" || true
    if [[ "$one" == 1 ]]; then
        log "ok: select 1 on $DATABASE_URL"
    else
        fail "select 1 on ${DATABASE_URL:-} answered: $one"
    fi
    if redis_ping 127.0.0.1 "$REDIS_PRIVATE_PORT"; then
        log "ok: PING on $REDIS_URL"
    else
        fail "no PONG from 127.0.0.1:$REDIS_PRIVATE_PORT"
    fi

    # A second run reuses what is running and prints the same URLs.
    local again
    if again="$("$DEV_SERVICES" test 2>/dev/null)" && [[ "$again" == "$exports" ]]; then
        log "ok: a second run reuses the services"
    else
        fail "a second run printed something else: $again"
    fi

    if ! "$DEV_SERVICES" stop; then
        fail "dev-services.sh stop exited non-zero"
        return
    fi
    local i
    for i in $(seq 1 50); do
        tcp_open "$PG_PRIVATE_PORT" || tcp_open "$REDIS_PRIVATE_PORT" || break
        [[ $i == 50 ]] || sleep 0.1
    done
    if tcp_open "$PG_PRIVATE_PORT"; then
        fail "PostgreSQL still listens on 127.0.0.1:$PG_PRIVATE_PORT after stop"
    else
        log "ok: PostgreSQL on $PG_PRIVATE_PORT is gone"
    fi
    if tcp_open "$REDIS_PRIVATE_PORT"; then
        fail "Redis still listens on 127.0.0.1:$REDIS_PRIVATE_PORT after stop"
    else
        log "ok: Redis on $REDIS_PRIVATE_PORT is gone"
    fi
}

check
finished=1
if [[ -z "$failure" ]]; then
    echo "test-dev-services: private PostgreSQL + Redis start, answer and stop"
    echo "1 passed, 0 failed"
else
    echo "test-dev-services: $failure"
    echo "0 passed, 1 failed"
    exit 1
fi
