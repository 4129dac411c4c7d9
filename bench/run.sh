#!/usr/bin/env bash
# Benchmarks promostore: release build, a seeded benchmark database (reused when
# seeded with the same arguments), the server on 127.0.0.1, then wrk scenarios.
# Prints one table (scenario, requests/s, p50, p99, errors, server peak RSS) and
# writes the same as JSON under bench/results/.
#
#   bench/run.sh [--accounts N] [--distributors N] [--duration SECONDS] [--connections N]
#
# Traffic goes to 127.0.0.1 only; every scenario is bounded in time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ACCOUNTS=5000 DISTRIBUTORS=10 DURATION=15 CONNECTIONS=16 PORT=${BENCH_PORT:-18181}
while [[ $# -gt 0 ]]; do
    case "$1" in
        --accounts) ACCOUNTS="$2"; shift 2 ;;
        --distributors) DISTRIBUTORS="$2"; shift 2 ;;
        --duration) DURATION="$2"; shift 2 ;;
        --connections) CONNECTIONS="$2"; shift 2 ;;
        *) echo "usage: bench/run.sh [--accounts N] [--distributors N] [--duration S] [--connections N]" >&2; exit 2 ;;
    esac
done
log() { echo "bench: $*" >&2; }

command -v wrk >/dev/null || { [[ $EUID -eq 0 ]] && apt-get install -y wrk >/dev/null 2>&1; } || { log "wrk is missing: apt-get install wrk"; exit 1; }
command -v psql >/dev/null || { log "psql is missing (PostgreSQL client)"; exit 1; }

eval "$(scripts/dev-services.sh run)"
SERVER_URL="${DATABASE_URL%/*}"
export DATABASE_URL="$SERVER_URL/promostore_bench"

log "building the release binary"
cargo build --release -q -p server --bin promostore
BIN=target/release/promostore

# Reuse the database when it was seeded with the same arguments.
SEED_TAG="accounts=$ACCOUNTS distributors=$DISTRIBUTORS v1"
current="$(psql -qtAX "$DATABASE_URL" -c "SELECT tag FROM bench_seed" 2>/dev/null || true)"
if [[ "$current" != "$SEED_TAG" ]]; then
    log "seeding $DATABASE_URL ($SEED_TAG)"
    psql -qX "$SERVER_URL/postgres" -c "DROP DATABASE IF EXISTS promostore_bench" -c "CREATE DATABASE promostore_bench" >/dev/null
    PROMOSTORE_ENV=development "$BIN" seed >/dev/null
    psql -qX -v ON_ERROR_STOP=1 "$DATABASE_URL" >/dev/null <<SQL
INSERT INTO distributors (name, email) SELECT 'Bench Distributor ' || g, 'd' || g || '@bench.example' FROM generate_series(1, $DISTRIBUTORS) g;
INSERT INTO accounts (username, email, first_name, last_name, password_hash, role, distributor_id, last_login_at)
SELECT 'bench_user_' || g, 'user' || g || '@bench.example', 'First' || g, 'Last' || g,
       (SELECT password_hash FROM accounts WHERE username = 'admin'),
       (ARRAY['shopper', 'shopper', 'shopper', 'admin_buyer', 'sales_executive'])[1 + g % 5],
       (SELECT id FROM distributors WHERE name = 'Bench Distributor ' || (1 + g % $DISTRIBUTORS)),
       CASE WHEN g % 3 = 0 THEN NULL ELSE now() - (g || ' minutes')::interval END
FROM generate_series(1, $ACCOUNTS) g;
ANALYZE;
CREATE TABLE bench_seed (tag TEXT NOT NULL);
INSERT INTO bench_seed VALUES ('$SEED_TAG');
SQL
fi

log "starting the server on 127.0.0.1:$PORT"
PROMOSTORE_ENV=production JWT_SECRET="bench-secret-bench-secret-bench-secret-0123" RUST_LOG=warn \
    BIND="127.0.0.1:$PORT" LOGIN_MAX_FAILURES=1000000 CACHE_PREFIX="bench-$$:" \
    "$BIN" serve --migrate >target/bench-server.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.2; done
BASE="http://127.0.0.1:$PORT"
TOKEN="$(curl -fs -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"username":"admin","password":"admin"}' | python3 -c 'import sys, json; print(json.load(sys.stdin)["access_token"])')"
ID="$(psql -qtAX "$DATABASE_URL" -c "SELECT id FROM accounts WHERE username = 'bench_user_42'")"

enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
LIST_FILTER="$(enc '[{"field":"role","op":"in","value":["shopper","admin_buyer"]},{"model":"Distributor","field":"name","op":"ilike","value":"Bench%"},{"field":"last_login_at","op":"is_not_null"}]')"
LIST_MASK="$(enc '{id,username,email,role,last_login_at,distributor{id,name}}')"
READ_MASK="$(enc '{id,username,email,distributor{name}}')"
CAMPAIGN_MASK="$(enc '{id,name,status,locations{city},accounts{username}}')"

RESULTS=()
printf '%-34s %12s %10s %10s %8s\n' scenario "requests/s" p50 p99 errors
# scenario NAME WRK-ARGS...: a 2 s warm-up, then the measured run.
scenario() {
    local name="$1" out rps p50 p99 non2xx sock errors
    shift
    wrk -t 2 -c "$CONNECTIONS" -d 2s "$@" >/dev/null 2>&1 || true
    out="$(wrk -t 2 -c "$CONNECTIONS" -d "${DURATION}s" --latency "$@")"
    rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
    p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
    p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
    non2xx="$(awk '/Non-2xx/ {print $NF}' <<<"$out")"
    sock="$(awk -F'[ ,]+' '/Socket errors/ {print $4+$6+$8+$10}' <<<"$out")"
    errors=$(( ${non2xx:-0} + ${sock:-0} ))
    printf '%-34s %12s %10s %10s %8s\n' "$name" "$rps" "$p50" "$p99" "$errors"
    RESULTS+=("{\"scenario\":\"$name\",\"requests_per_second\":$rps,\"p50\":\"$p50\",\"p99\":\"$p99\",\"errors\":$errors}")
}
AUTH=(-H "Authorization: Bearer $TOKEN")
scenario read_by_id_masked "${AUTH[@]}" "$BASE/api/v1/organization/accounts/$ID?fields=$READ_MASK"
scenario account_list_filter_mask_keyset "${AUTH[@]}" \
    "$BASE/api/v1/organization/accounts?page_size=50&sort=-last_login_at&filter=$LIST_FILTER&fields=$LIST_MASK"
scenario account_list_default_page "${AUTH[@]}" "$BASE/api/v1/organization/accounts"
scenario campaign_list_nested "${AUTH[@]}" "$BASE/api/v1/organization/campaigns?fields=$CAMPAIGN_MASK"
scenario me "${AUTH[@]}" "$BASE/api/v1/auth/me"
scenario login_argon2 -s bench/login.lua "$BASE/api/v1/auth/login"
scenario health "$BASE/health"
RSS_KB="$(awk '/VmHWM/ {print $2}' "/proc/$PID/status")"
echo "server peak RSS: $((RSS_KB / 1024)) MiB; $CONNECTIONS connections, ${DURATION}s per scenario, $ACCOUNTS accounts in $DISTRIBUTORS distributors"

mkdir -p bench/results
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
{
    printf '{"when":"%s","machine":"%s cores, %s","accounts":%s,"distributors":%s,"connections":%s,"duration_s":%s,"peak_rss_kib":%s,"scenarios":[' \
        "$STAMP" "$(nproc)" "$(awk '/MemTotal/ {print $2 " kB"}' /proc/meminfo)" "$ACCOUNTS" "$DISTRIBUTORS" "$CONNECTIONS" "$DURATION" "$RSS_KB"
    (IFS=,; printf '%s' "${RESULTS[*]}")
    printf ']}\n'
} >"bench/results/$STAMP.json"
log "wrote bench/results/$STAMP.json"
