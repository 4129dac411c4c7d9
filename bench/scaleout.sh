#!/usr/bin/env bash
# One process against two (see bench/README.md, "Scale-out"): the same release binary, the same
# database as bench/run.sh (run it first: this script seeds nothing) and the same Redis; oha
# spreads requests over the processes' ports at random (`--rand-regex-url`), as a load balancer
# without sticky sessions would.
#
#   bench/scaleout.sh [--duration SECONDS] [--connections N]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DURATION=15 CONNECTIONS=32 PORT=${BENCH_PORT:-18281}
while [[ $# -gt 0 ]]; do
    case "$1" in
        --duration) DURATION="$2" ;;
        --connections) CONNECTIONS="$2" ;;
        *) echo "usage: bench/scaleout.sh [--duration S] [--connections N]" >&2; exit 2 ;;
    esac
    shift 2
done
log() { echo "scaleout: $*" >&2; }

eval "$(scripts/dev-services.sh run)"
export DATABASE_URL="${DATABASE_URL%/*}/${BENCH_DB:-promostore_bench}"
BIN="${BENCH_BIN:-target/release/promostore}"
[[ -x "$BIN" ]] || cargo build --release -q -p server --bin promostore
psql_bench() { psql -qtAX -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }

DISTRIBUTOR_ID="$(psql_bench -c "SELECT distributor_id FROM accounts WHERE distributor_id IS NOT NULL
    GROUP BY distributor_id ORDER BY count(*) DESC, distributor_id LIMIT 1")"
MANAGER="$(psql_bench -c "SELECT username FROM accounts WHERE distributor_id = $DISTRIBUTOR_ID
    AND role = 'distributor_manager' AND active ORDER BY id LIMIT 1")"
ACCOUNT_ID="$(psql_bench -c "SELECT id FROM accounts WHERE distributor_id = $DISTRIBUTOR_ID
    AND role = 'shopper' ORDER BY id LIMIT 1")"

PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
start() {
    local port="$1"
    PROMOSTORE_ENV=production JWT_SECRET="bench-secret-bench-secret-bench-secret-0123" RUST_LOG=warn \
        ACCESS_TOKEN_TTL=86400 BIND="127.0.0.1:$port" LOGIN_MAX_FAILURES=1000000 CACHE_PREFIX="scaleout-$$:" \
        WORKERS=0 NOTIFICATIONS_DISABLED=true "$BIN" serve >"target/scaleout-$port.log" 2>&1 &
    PIDS+=($!)
    for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:$port/ready" >/dev/null && return 0; sleep 0.2; done
    log "the server on $port did not start (target/scaleout-$port.log)"
    exit 1
}
start "$PORT"
start "$((PORT + 1))"
TOKEN="$(curl -fs -X POST "http://127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$MANAGER\",\"password\":\"manager-demo\"}" |
    python3 -c 'import sys, json; print(json.load(sys.stdin)["access_token"])')"
MASK="%7Bid%2Cusername%2Cemail%2Crole%2Cdistributor%7Bname%7D%7D"

run() {
    local label="$1" ports="$2"
    oha --no-tui -z 3s -c "$CONNECTIONS" --output-format quiet -H "Authorization: Bearer $TOKEN" --rand-regex-url \
        "http://127[.]0[.]0[.]1:($ports)/api/v1/organization/accounts/$ACCOUNT_ID[?]fields=$MASK" >/dev/null 2>&1 || true
    oha --no-tui -z "${DURATION}s" -c "$CONNECTIONS" --output-format json -H "Authorization: Bearer $TOKEN" \
        --rand-regex-url "http://127[.]0[.]0[.]1:($ports)/api/v1/organization/accounts/$ACCOUNT_ID[?]fields=$MASK" |
        python3 -c 'import sys, json
r = json.load(sys.stdin)
rps, p50, p99 = r["summary"]["requestsPerSec"], r["latencyPercentiles"]["p50"], r["latencyPercentiles"]["p99"]
codes = r.get("statusCodeDistribution") or {}
bad = sum(n for c, n in codes.items() if not str(c).startswith("2"))
print(f"{sys.argv[1]:<24} {rps:>10,.1f} req/s  p50 {p50 * 1000:6.2f} ms  p99 {p99 * 1000:6.2f} ms  non-2xx {bad}")' "$label"
}
log "read by id as $MANAGER, $CONNECTIONS connections, ${DURATION}s each"
run "one process" "$PORT"
run "two processes" "$PORT|$((PORT + 1))"
