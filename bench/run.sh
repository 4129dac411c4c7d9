#!/usr/bin/env bash
# Benchmarks promostore (see bench/README.md): a release build, a benchmark database seeded at a
# scale (reused when seeded with the same arguments and the same seeder), the server on
# 127.0.0.1, a warm-up, then named scenarios with oha, and pgbench running the read-by-id
# scenario's SQL as the limit. Prints one table (scenario, requests/s, p50, p99, errors, server
# peak RSS, ratio to the limit) and writes the same as JSON under bench/results/.
#
#   bench/run.sh [--scale demo|small|medium|large|N] [--rng-seed N] [--duration SECONDS]
#                [--warmup SECONDS] [--connections N] [--only NAME[,NAME...]]
#
# Traffic goes to 127.0.0.1 only; every scenario is bounded in time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SCALE=large RNG_SEED=42 DURATION=15 WARMUP=3 CONNECTIONS=16 ONLY="" PORT=${BENCH_PORT:-18181}
usage() {
    echo "usage: bench/run.sh [--scale demo|small|medium|large|N] [--rng-seed N] [--duration S] [--warmup S]" >&2
    echo "                    [--connections N] [--only scenario,...]" >&2
    exit 2
}
while [[ $# -gt 0 ]]; do
    [[ $# -ge 2 ]] || usage
    case "$1" in
        --scale) SCALE="$2" ;;
        --rng-seed) RNG_SEED="$2" ;;
        --duration) DURATION="$2" ;;
        --warmup) WARMUP="$2" ;;
        --connections) CONNECTIONS="$2" ;;
        --only) ONLY="$2" ;;
        *) usage ;;
    esac
    shift 2
done
log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }

# ---- tools -------------------------------------------------------------------------------------
export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v oha >/dev/null; then
    log "oha is missing: cargo install oha --locked (a few minutes, once)"
    cargo install oha --locked >&2 || die "could not install oha"
fi
for tool in psql pgbench python3 curl; do
    command -v "$tool" >/dev/null || die "$tool is missing (psql and pgbench: the PostgreSQL client package)"
done

eval "$(scripts/dev-services.sh run)"
SERVER_URL="${DATABASE_URL%/*}"
BENCH_DB=${BENCH_DB:-promostore_bench}
export DATABASE_URL="$SERVER_URL/$BENCH_DB"
psql_bench() { psql -qtAX -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }

# BENCH_BIN benchmarks another build (say, the previous commit's) against the same database.
if [[ -n "${BENCH_BIN:-}" ]]; then
    BIN="$BENCH_BIN"
else
    log "building the release binary"
    cargo build --release -q -p server --bin promostore
    BIN=target/release/promostore
fi

# ---- the benchmark database ----------------------------------------------------------------------
# Tagged with the arguments and a digest of what decides the rows (the seeder, the COPY layer, the
# migrations), so a changed seeder or schema seeds again.
SOURCES_SHA="$(cat migrations/*.sql crates/seeders/src/*.rs crates/storage/src/bulk/*.rs | sha256sum | cut -c1-16)"
SEED_TAG="promostore bench: scale=$SCALE rng-seed=$RNG_SEED sources=$SOURCES_SHA"
current="$(psql -qtAX "$SERVER_URL/postgres" \
    -c "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$BENCH_DB'" 2>/dev/null || true)"
if [[ "$current" == "$SEED_TAG" ]]; then
    log "reusing $BENCH_DB ($SEED_TAG)"
    SEED_REPORT="(reused)"
else
    log "seeding $BENCH_DB: --scale $SCALE --rng-seed $RNG_SEED"
    psql -qX -v ON_ERROR_STOP=1 "$SERVER_URL/postgres" \
        -c "DROP DATABASE IF EXISTS $BENCH_DB" -c "CREATE DATABASE $BENCH_DB" >/dev/null
    SEED_REPORT="$(PROMOSTORE_ENV=development RUST_LOG=error "$BIN" seed --scale "$SCALE" --rng-seed "$RNG_SEED" |
        sed -n '1,3p')"
    echo "$SEED_REPORT" >&2
    psql -qX -v ON_ERROR_STOP=1 "$SERVER_URL/postgres" -c "COMMENT ON DATABASE $BENCH_DB IS '$SEED_TAG'" >/dev/null
fi

# Who and what the scenarios read: the manager of the distributor with the most accounts (its
# staff see only its rows), one of its shoppers, and its campaign with the most items.
DISTRIBUTOR_ID="$(psql_bench -c "SELECT distributor_id FROM accounts WHERE distributor_id IS NOT NULL
    GROUP BY distributor_id ORDER BY count(*) DESC, distributor_id LIMIT 1")"
read -r MANAGER_ID MANAGER <<<"$(psql_bench -F' ' -c "SELECT id, username FROM accounts
    WHERE distributor_id = $DISTRIBUTOR_ID AND role = 'distributor_manager' AND active ORDER BY id LIMIT 1")"
ACCOUNT_ID="$(psql_bench -c "SELECT id FROM accounts WHERE distributor_id = $DISTRIBUTOR_ID
    AND role = 'shopper' ORDER BY id OFFSET (SELECT count(*) / 2 FROM accounts WHERE distributor_id = $DISTRIBUTOR_ID
    AND role = 'shopper') LIMIT 1")"
# The storefront scenarios' own store (bench/storefront_prep.sql) is left out: on a reused database
# it would be the campaign with the most items, and the scenario would read another campaign than
# on a fresh seed.
CAMPAIGN_ID="$(psql_bench -c "SELECT campaign_id FROM campaign_items WHERE distributor_id = $DISTRIBUTOR_ID
    AND campaign_id NOT IN (SELECT id FROM campaigns WHERE name = 'Bench Storefront')
    GROUP BY campaign_id ORDER BY count(*) DESC, campaign_id LIMIT 1")"
# The distributor's product type with the most products (Wearables: colours × sizes), for the
# admin list of 24 products with their variants and attribute values.
TYPE_ID="$(psql_bench -c "SELECT product_type_id FROM products WHERE distributor_id = $DISTRIBUTOR_ID
    AND product_type_id IS NOT NULL GROUP BY product_type_id ORDER BY count(*) DESC, product_type_id LIMIT 1")"
COUNTS="$(psql_bench -F' ' -c "SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM products),
    (SELECT count(*) FROM product_variants), (SELECT count(*) FROM campaign_items),
    (SELECT count(*) FROM campaign_items WHERE campaign_id = '$CAMPAIGN_ID'::int8)")"
log "caller $MANAGER (distributor $DISTRIBUTOR_ID); rows: accounts products variants items items-in-campaign = $COUNTS"

# ---- the server --------------------------------------------------------------------------------------
# No job workers in the benchmarked process (BENCH_WORKERS, default 0): pgbench, the limits beside
# the scenarios, drains no queue, and on two cores the workers draining the checkouts' notification
# jobs took a quarter of the machine from the scenario that queued them (checkout 475-491 orders/s
# with the default 2 workers, 625 without). bench/queue.sh measures the queue on its own.
log "starting the server on 127.0.0.1:$PORT (WORKERS=${BENCH_WORKERS:-0})"
BENCH_SECRET="bench-secret-bench-secret-bench-secret-0123"
PROMOSTORE_ENV=production JWT_SECRET="$BENCH_SECRET" RUST_LOG=warn ACCESS_TOKEN_TTL=86400 NOTIFICATIONS_DISABLED=true \
    WORKERS="${BENCH_WORKERS:-0}" \
    BIND="127.0.0.1:$PORT" LOGIN_MAX_FAILURES=1000000 CACHE_PREFIX="bench-$$:" \
    "$BIN" serve --migrate >target/bench-server.log 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true' EXIT
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 150); do curl -fs "$BASE/ready" >/dev/null && break; sleep 0.2; done
curl -fs "$BASE/ready" >/dev/null || die "the server did not start: see target/bench-server.log"

LOGIN_BODY="{\"username\":\"$MANAGER\",\"password\":\"manager-demo\"}"
TOKEN="$(curl -fs -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' -d "$LOGIN_BODY" |
    python3 -c 'import sys, json; print(json.load(sys.stdin)["access_token"])')" || die "login as $MANAGER failed"
AUTH="Authorization: Bearer $TOKEN"

enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
ACCOUNT_FILTER="$(enc '[{"field":"role","op":"in","value":["shopper","admin_buyer"]},{"field":"last_login_at","op":"is_not_null"},{"field":"active","op":"==","value":true}]')"
ACCOUNT_MASK="$(enc '{id,username,email,role,last_login_at,distributor{id,name}}')"
FIRST_PAGE="/api/v1/organization/accounts?page_size=50&sort=username&filter=$ACCOUNT_FILTER&fields=$ACCOUNT_MASK"
# The keyset page: the second page, through the cursor the first page links to.
NEXT_PAGE="$(curl -fs -D - -o /dev/null -H "$AUTH" "$BASE$FIRST_PAGE" |
    python3 -c 'import sys, re
for line in sys.stdin:
    m = re.match(r"(?i)link:\s*<([^>]+)>", line)
    if m: print(m.group(1)); break')" || true
[[ -n "$NEXT_PAGE" ]] || { log "the account list gave no next page; benchmarking the first"; NEXT_PAGE="$FIRST_PAGE"; }
[[ "$NEXT_PAGE" == http* ]] || NEXT_PAGE="$BASE$NEXT_PAGE"
READ_MASK="$(enc '{id,username,email,role,distributor{name}}')"
TYPE_FILTER="$(enc "[{\"field\":\"product_type_id\",\"op\":\"==\",\"value\":${TYPE_ID:-0}}]")"
ITEM_FILTER="$(enc "[{\"field\":\"campaign_id\",\"op\":\"==\",\"value\":${CAMPAIGN_ID:-0}}]")"

# ---- scenarios ---------------------------------------------------------------------------------------
RESULTS=() ROWS=()
selected() { [[ -z "$ONLY" || ",$ONLY," == *",$1,"* ]]; }
peak_rss_reset() { echo 5 >"/proc/$PID/clear_refs" 2>/dev/null || true; }
peak_rss_mib() { awk '/VmHWM/ {printf "%d", $2 / 1024}' "/proc/$PID/status"; }

# oha's JSON report -> one result line.
scenario_py='
import json, sys
name, rss, what = sys.argv[1], int(sys.argv[2]), sys.argv[3]
r = json.load(sys.stdin)
s = r["summary"]
codes = r.get("statusCodeDistribution", {}) or {}
ok = sum(n for c, n in codes.items() if str(c).startswith("2"))
bad = sum(n for c, n in codes.items() if not str(c).startswith("2"))
# Requests still in flight when the time is up are cut off, not failed.
errors = {k: n for k, n in (r.get("errorDistribution") or {}).items() if k != "aborted due to deadline"}
conn_errors = sum(errors.values())
p = r.get("latencyPercentiles", {})
print(json.dumps({"scenario": name, "what": what, "requests_per_second": round(s["requestsPerSec"], 1),
    "p50_ms": round((p.get("p50") or 0) * 1000, 2), "p99_ms": round((p.get("p99") or 0) * 1000, 2),
    "ok": ok, "errors": bad + conn_errors, "status_codes": codes, "error_kinds": errors, "peak_rss_mib": rss}))
'
# scenario NAME DESCRIPTION OHA-ARGS... URL: a warm-up, then the measured run.
: >target/bench-rows.jsonl
scenario() {
    local name="$1" what="$2" out
    shift 2
    selected "$name" || return 0
    log "$name: $what"
    oha --no-tui -z "${WARMUP}s" -c "$CONNECTIONS" --output-format quiet "$@" >/dev/null 2>&1 || true
    peak_rss_reset
    out="$(oha --no-tui -z "${DURATION}s" -c "$CONNECTIONS" --output-format json "$@")" || die "oha failed in $name"
    command python3 -c "$scenario_py" "$name" "$(peak_rss_mib)" "$what" <<<"$out" >>target/bench-rows.jsonl
}

scenario login "POST /api/v1/auth/login as $MANAGER (argon2id)" \
    -m POST -H 'content-type: application/json' -d "$LOGIN_BODY" "$BASE/api/v1/auth/login"
scenario account_list_filter_mask_keyset "GET accounts: 3-condition filter, nested mask, the keyset page after the first" \
    -H "$AUTH" "$NEXT_PAGE"
scenario account_read_by_id_masked "GET accounts/$ACCOUNT_ID with a mask" \
    -H "$AUTH" "$BASE/api/v1/organization/accounts/$ACCOUNT_ID?fields=$READ_MASK"
scenario product_list_variants_mask "GET catalog/products, X-Fields {id,name,variants{sku,attribute_values{name}}}" \
    -H "$AUTH" -H 'X-Fields: {id,name,variants{sku,attribute_values{name}}}' "$BASE/api/v1/catalog/products"
scenario product_type_variants_values_admin "GET catalog/products: 24 of type $TYPE_ID, X-Fields {id,name,item_number,variants{id,sku,vendor_cost,attribute_values{name}}}" \
    -H "$AUTH" -H 'X-Fields: {id,name,item_number,variants{id,sku,vendor_cost,attribute_values{name}}}' \
    "$BASE/api/v1/catalog/products?page_size=24&filter=$TYPE_FILTER"
# The same request as the issue measured it (wrk sends no Accept-Encoding): the body uncompressed.
scenario product_type_variants_values_admin_identity "the same, sent uncompressed (Accept-Encoding: identity)" \
    -H "$AUTH" -H 'Accept-Encoding: identity' -H 'X-Fields: {id,name,item_number,variants{id,sku,vendor_cost,attribute_values{name}}}' \
    "$BASE/api/v1/catalog/products?page_size=24&filter=$TYPE_FILTER"
scenario campaign_items_of_one_campaign "GET catalog/campaign-items filtered on campaign $CAMPAIGN_ID" \
    -H "$AUTH" "$BASE/api/v1/catalog/campaign-items?filter=$ITEM_FILTER"

# ---- the storefront: the catalog (cached and not) and checkout ------------------------------------------
# bench/storefront_prep.sql adds an open store of 24 products for the benchmark shopper and
# prepares CHECKOUT_JOBS baskets of three lines for distinct shoppers (see its header).
CHECKOUT_JOBS=${CHECKOUT_JOBS:-40000}
if selected storefront_catalog_cached || selected storefront_catalog_uncached || selected checkout; then
    SHOPPER="$(psql_bench -c "SELECT username FROM accounts WHERE id = $ACCOUNT_ID")"
    log "storefront: preparing the store and $CHECKOUT_JOBS checkout baskets"
    psql_bench -v distributor="$DISTRIBUTOR_ID" -v shopper="$ACCOUNT_ID" -v jobs="$CHECKOUT_JOBS" \
        -f bench/storefront_prep.sql >/dev/null
    STORE_ID="$(psql_bench -c "SELECT id FROM campaigns WHERE distributor_id = $DISTRIBUTOR_ID AND name = 'Bench Storefront'")"
    SHOP_TOKEN="$(curl -fs -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
        -d "{\"username\":\"$SHOPPER\",\"password\":\"shopper-demo\"}" |
        python3 -c 'import sys, json; print(json.load(sys.stdin)["access_token"])')" || die "login as $SHOPPER failed"
    CATALOG="$BASE/api/v1/storefront/campaigns/$STORE_ID/products?page_size=24"
    PAGE_BYTES="$(curl -fs -H "Authorization: Bearer $SHOP_TOKEN" "$CATALOG" | wc -c)"
    PAGE_GZ="$(curl -fs -H "Authorization: Bearer $SHOP_TOKEN" -H 'Accept-Encoding: gzip' "$CATALOG" | wc -c)"
    log "catalog page: 24 products, $PAGE_BYTES bytes of JSON ($PAGE_GZ gzip-compressed)"
fi
scenario storefront_catalog_cached "GET storefront/campaigns/{id}/products: 24 products with their items, cached, gzip" \
    -H "Authorization: Bearer ${SHOP_TOKEN:-}" -H 'Accept-Encoding: gzip' "${CATALOG:-$BASE/}"
scenario storefront_catalog_cached_identity "the same page, cached, sent uncompressed (${PAGE_BYTES:-?} bytes)" \
    -H "Authorization: Bearer ${SHOP_TOKEN:-}" "${CATALOG:-$BASE/}"
# Uncached: every request filters on `id >= -<7 random digits>` (every product passes), so each
# one has a query of its own, misses the cache and builds its page (and stores it). oha reads the
# whole URL as a pattern: a literal `.` or `?` must be written `[.]`, `[?]` (a `\.` there became
# random characters, and the requests went to a made-up host).
UNCACHED_FILTER="$(enc '[{"field":"id","op":">=","value":-')"
scenario storefront_catalog_uncached "the same 24 products, a query of its own per request: built every time" \
    -H "Authorization: Bearer ${SHOP_TOKEN:-}" -H 'Accept-Encoding: gzip' --rand-regex-url \
    "http://127[.]0[.]0[.]1:$PORT/api/v1/storefront/campaigns/${STORE_ID:-0}/products[?]page_size=24&filter=${UNCACHED_FILTER}[1-9][0-9]{6}%7D%5D"
if selected checkout; then
    log "checkout: distinct shoppers check out their 3-line baskets"
    psql_bench -F' ' -c "SELECT j.account_id, j.distributor_id, j.campaign_id, c.checkout_fields, c.departments,
        (SELECT min(l.id) FROM locations l WHERE l.campaign_id = c.id)
        FROM bench_checkout_jobs j JOIN campaigns c ON c.id = j.campaign_id" -F'|' |
        command python3 -c '
import json, sys
for line in sys.stdin:
    account, distributor, campaign, fields, departments, location = line.rstrip("\n").split("|")
    departments = departments.strip("{}").split(",") if departments.strip("{}") else []
    values = {}
    for f in json.loads(fields):
        kind = f.get("kind")
        if kind == "select": values[f["name"]] = f["options"][0]
        elif kind == "number": values[f["name"]] = 1
        elif kind == "location" and location: values[f["name"]] = int(location)
        elif kind == "department" and departments: values[f["name"]] = departments[0].strip("\"")
        elif kind == "text": values[f["name"]] = "bench"
    body = json.dumps({"checkout_fields": values}, separators=(",", ":"))
    print("shopper", account, distributor, "POST", f"/api/v1/storefront/campaigns/{campaign}/checkout", body)
' >target/checkout-jobs.txt
    cargo build --release -q -p server --example jobs_load
    ORDERS_BEFORE="$(psql_bench -c "SELECT count(*) FROM orders")"
    JWT_SECRET="$BENCH_SECRET" target/release/examples/jobs_load "$BASE" target/checkout-jobs.txt \
        "$CONNECTIONS" "$DURATION" 201 >target/checkout-row.json
    VIOLATIONS="$(psql_bench -f bench/checkout_check.sql)"
    command python3 - "$(peak_rss_mib)" "$VIOLATIONS" "$ORDERS_BEFORE" >>target/bench-rows.jsonl <<'PY'
import json, sys
r = json.load(open("target/checkout-row.json"))
r.update({"scenario": "checkout", "what": "POST storefront/campaigns/{id}/checkout, distinct shoppers, 3-line baskets",
          "peak_rss_mib": int(sys.argv[1]), "violations_after": int(sys.argv[2])})
print(json.dumps(r))
PY
    log "checkout: $(cat target/checkout-row.json); limit or allowance violations afterwards: $VIOLATIONS"
    # The limit: pgbench runs the same statements (bench/checkout.sql) on as many database
    # connections as the server's pool holds (DATABASE_MAX_CONNECTIONS, 16): the HTTP clients'
    # 32 connections share those, and more backends than that only contend on the two cores.
    # CHECKOUT_SQL names another file, for a BENCH_BIN that runs other statements.
    # It checks out baskets prepared afresh: the HTTP run above may have left only a few hundred
    # full, and a limit measured over a second of pgbench is mostly its start and end.
    psql_bench -v distributor="$DISTRIBUTOR_ID" -v shopper="$ACCOUNT_ID" -v jobs="$CHECKOUT_JOBS" \
        -f bench/storefront_prep.sql >/dev/null
    POOL="${DATABASE_MAX_CONNECTIONS:-16}"
    psql_bench -c "DROP TABLE IF EXISTS bench_checkout_jobs_n" \
        -c "CREATE TABLE bench_checkout_jobs_n AS SELECT row_number() OVER (ORDER BY account_id, campaign_id) AS n, j.*
            FROM bench_checkout_jobs j WHERE EXISTS (SELECT 1 FROM basket_items b
                                                     WHERE b.account_id = j.account_id AND b.campaign_id = j.campaign_id)" \
        -c "ALTER TABLE bench_checkout_jobs_n ADD PRIMARY KEY (n)" -c "ANALYZE bench_checkout_jobs_n" >/dev/null
    NJOBS="$(psql_bench -c "SELECT count(*) FROM bench_checkout_jobs_n")"
    # Each client checks out its own share of the baskets, at most what 1,000 per second
    # would take in the scenario's duration: a client that ran out of baskets would abort the run.
    PER_CLIENT=$(( NJOBS / POOL < DURATION * 1000 / POOL ? NJOBS / POOL : DURATION * 1000 / POOL ))
    if ((PER_CLIENT == 0)); then
        log "pgbench: fewer baskets are left than connections; the checkout limit is not measured"
    else
    pg_out="$(pgbench -n -M prepared -c "$POOL" -j 2 -t "$PER_CLIENT" -D njobs="$NJOBS" -D nclients="$POOL" -D k=0 \
        -f "${CHECKOUT_SQL:-bench/checkout.sql}" "$DATABASE_URL" 2>&1)" || die "pgbench failed: $pg_out"
    command python3 - "$pg_out" >>target/bench-rows.jsonl <<'PY'
import json, re, sys
out = sys.argv[1]
tps = float(re.search(r"tps = ([0-9.]+)", out).group(1))
lat = re.search(r"latency average = ([0-9.]+) ms", out)
failed = re.search(r"number of failed transactions: (\d+)", out)
print(json.dumps({"scenario": "pgbench: checkout SQL", "what": "the same statements, no HTTP, the server's pool size",
    "requests_per_second": round(tps, 1), "p50_ms": float(lat.group(1)) if lat else 0, "p99_ms": 0,
    "ok": 0, "errors": int(failed.group(1)) if failed else 0, "peak_rss_mib": None}))
PY
    fi
fi

# ---- orders: the staff list, a status change, an item edit -------------------------------------------------
# The manager's distributor's orders (seeded at scale): a page of the list with a status and date
# filter and a mask reaching the shopper and the lines; then distinct processing orders approved,
# and distinct processing orders edited (a line cut by one unit: a real edit, re-split, with a
# ledger entry), each once, by jobs_load. Each run consumes processing orders of the benchmark
# database; `--scale` with a fresh seed gives them back.
ORDER_FILTER="$(enc '[{"field":"status","op":"in","value":["processing","approved","shipped"]},{"field":"created_at","op":">=","value":"2026-01-01T00:00:00Z"}]')"
scenario orders_list_filter_mask "GET orders: status and date filter, X-Fields {number,status,subtotal,account{username},items{quantity,unit_price}}" \
    -H "$AUTH" -H 'X-Fields: {number,status,subtotal,account{username},items{quantity,unit_price}}' \
    "$BASE/api/v1/orders?page_size=50&sort=-created_at&filter=$ORDER_FILTER"
if selected order_transition || selected order_item_edit; then
    cargo build --release -q -p server --example jobs_load
    # Odd processing orders are approved, even ones with a line of 2+ units are edited.
    psql_bench -F' ' -c "SELECT o.id FROM orders o WHERE o.distributor_id = $DISTRIBUTOR_ID
        AND o.status = 'processing' AND o.id % 2 = 1 ORDER BY o.id" |
        awk -v m="$MANAGER_ID" -v d="$DISTRIBUTOR_ID" \
            '{ printf "distributor_manager %s %s POST /api/v1/orders/%s/transitions {\"to\":\"approved\"}\n", m, d, $1 }' \
        >target/transition-jobs.txt
    psql_bench -F' ' -c "SELECT DISTINCT ON (o.id) o.id, i.id, i.quantity - 1 FROM orders o
        JOIN order_items i ON i.order_id = o.id AND i.quantity >= 2
        WHERE o.distributor_id = $DISTRIBUTOR_ID AND o.status = 'processing' AND o.id % 2 = 0 ORDER BY o.id, i.id" |
        awk -v m="$MANAGER_ID" -v d="$DISTRIBUTOR_ID" \
            '{ printf "distributor_manager %s %s POST /api/v1/orders/%s/edits {\"lines\":[{\"id\":%s,\"quantity\":%s}]}\n", m, d, $1, $2, $3 }' \
        >target/edit-jobs.txt
    log "orders: $(wc -l <target/transition-jobs.txt) processing orders to approve, $(wc -l <target/edit-jobs.txt) to edit"
fi
order_jobs() {
    local name="$1" what="$2" jobs="$3" out
    selected "$name" || return 0
    [[ -s "$jobs" ]] || { log "$name: no processing orders left to work on; skipped"; return 0; }
    log "$name: $what"
    peak_rss_reset
    out="$(JWT_SECRET="$BENCH_SECRET" target/release/examples/jobs_load "$BASE" "$jobs" "$CONNECTIONS" "$DURATION" 200)" ||
        die "jobs_load failed in $name"
    command python3 - "$name" "$what" "$(peak_rss_mib)" "$out" >>target/bench-rows.jsonl <<'PY'
import json, sys
name, what, rss, out = sys.argv[1:]
r = json.loads(out)
r.update({"scenario": name, "what": what, "peak_rss_mib": int(rss)})
print(json.dumps(r))
PY
}
order_jobs order_transition "POST orders/{id}/transitions processing → approved, distinct orders" target/transition-jobs.txt
order_jobs order_item_edit "POST orders/{id}/edits: a line cut by one unit, re-split, distinct orders" target/edit-jobs.txt
if selected order_transition || selected order_item_edit; then
    VIOLATIONS="$(psql_bench -c "SELECT count(*) FROM (
        SELECT o.id FROM orders o LEFT JOIN (SELECT order_id, sum(amount) AS a FROM allowance_ledger GROUP BY 1) l
          ON l.order_id = o.id
        WHERE coalesce(l.a, -1) <> CASE WHEN o.status = 'cancelled' THEN 0 ELSE o.allowance_applied END
          AND o.distributor_id = $DISTRIBUTOR_ID) x")"
    log "orders: orders whose ledger does not add up afterwards: $VIOLATIONS"
fi

# ---- the limit: pgbench runs the read-by-id scenario's SQL with as many connections --------------------
if selected account_read_by_id_masked; then
    # READ_BY_ID_SQL: another build's statements (a BENCH_BIN that runs other SQL).
    READ_BY_ID_SQL="$(realpath "${READ_BY_ID_SQL:-bench/read_by_id.sql}")"
    log "pgbench: the SQL of account_read_by_id_masked ($READ_BY_ID_SQL), $CONNECTIONS connections"
    rm -f target/pgbench_log.*
    PGBENCH_VARS=(-D me="$MANAGER_ID" -D distributor="$DISTRIBUTOR_ID" -D distributors="{$DISTRIBUTOR_ID}" -D id="$ACCOUNT_ID")
    # One thread per connection: with several connections per thread pgbench reads the clock
    # lazily and logs many transactions as taking 0 µs.
    pgbench -n -M prepared -c "$CONNECTIONS" -j "$CONNECTIONS" -T "$WARMUP" -f "$READ_BY_ID_SQL" \
        "${PGBENCH_VARS[@]}" "$DATABASE_URL" >/dev/null 2>&1 || true
    pg_out="$(cd target && pgbench -n -M prepared -c "$CONNECTIONS" -j "$CONNECTIONS" -T "$DURATION" -l --log-prefix=pgbench_log \
        -f "$READ_BY_ID_SQL" "${PGBENCH_VARS[@]}" "$DATABASE_URL" 2>&1)" ||
        die "pgbench failed: $pg_out"
    command python3 - "$pg_out" >>target/bench-rows.jsonl <<'PY'
import glob, json, re, sys
out = sys.argv[1]
tps = float(re.search(r"tps = ([0-9.]+)", out).group(1))
failed = re.search(r"number of failed transactions: (\d+)", out)
lat = sorted(int(line.split()[2]) for f in glob.glob("target/pgbench_log.*") for line in open(f))
pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] / 1000 if lat else 0
print(json.dumps({"scenario": "pgbench: account_read_by_id_masked SQL", "what": "the same statements, no HTTP",
    "requests_per_second": round(tps, 1), "p50_ms": round(pct(0.50), 2), "p99_ms": round(pct(0.99), 2),
    "ok": len(lat), "errors": int(failed.group(1)) if failed else 0, "peak_rss_mib": None}))
PY
fi

# ---- the table and the JSON -------------------------------------------------------------------------------
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p bench/results
command python3 - "$STAMP" "$SCALE" "$RNG_SEED" "$CONNECTIONS" "$DURATION" "$COUNTS" "$SEED_REPORT" \
    "bench/results/$STAMP.json" <<'PY'
import json, os, platform, sys
stamp, scale, seed, conns, duration, counts, seed_report, path = sys.argv[1:]
rows = [json.loads(l) for l in open("target/bench-rows.jsonl") if l.strip()]
limit = next((r for r in rows if r["scenario"] == "pgbench: account_read_by_id_masked SQL"), None)
for r in rows:
    if limit and r["scenario"] == "account_read_by_id_masked" and limit["requests_per_second"]:
        r["vs_limit"] = round(r["requests_per_second"] / limit["requests_per_second"], 3)
    checkout_limit = next((x for x in rows if x["scenario"] == "pgbench: checkout SQL"), None)
    if checkout_limit and r["scenario"] == "checkout" and checkout_limit["requests_per_second"]:
        r["vs_limit"] = round(r["requests_per_second"] / checkout_limit["requests_per_second"], 3)
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next((int(l.split()[1]) // 1024 // 1024 for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
a, p, v, i, ic = [int(x) if x.isdigit() else x for x in (counts.split() + ["?"] * 5)[:5]]
head = f"{'scenario':<40} {'requests/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'peak RSS':>9} {'vs limit':>9}"
print(head)
print("-" * len(head))
for r in rows:
    rss = f"{r['peak_rss_mib']} MiB" if r.get("peak_rss_mib") is not None else "-"
    ratio = f"{r['vs_limit']:.2f}x" if "vs_limit" in r else ""
    print(f"{r['scenario']:<40} {r['requests_per_second']:>11,.1f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} "
          f"{r['errors']:>7} {rss:>9} {ratio:>9}")
n = lambda x: f"{x:,}" if isinstance(x, int) else x
print(f"\nscale {scale} (rng seed {seed}): {n(a)} accounts, {n(p)} products, {n(v)} variants, {n(i)} campaign items "
      f"({ic} in the benchmarked campaign); {conns} connections, {duration} s per scenario; "
      f"{os.cpu_count()} cores ({cpu}), {mem} GiB")
json.dump({"when": stamp, "machine": {"cores": os.cpu_count(), "cpu": cpu, "memory_gib": mem,
           "kernel": platform.release()},
           "scale": scale, "rng_seed": int(seed), "connections": int(conns), "duration_s": int(duration),
           "rows": {"accounts": a, "products": p, "variants": v, "campaign_items": i, "items_in_campaign": ic},
           "seed": seed_report, "scenarios": rows}, open(path, "w"), indent=2)
print(f"wrote {path}", file=sys.stderr)
PY
