#!/usr/bin/env bash
# The reports benchmark (see bench/README.md, "Reports"): the Itemized Shopper report of one
# campaign as CSV and XLSX through a release `promostore serve`, a fresh process per download so
# its peak RSS (VmHWM) is the download's, beside `COPY (the same SELECT) TO STDOUT` run by
# crates/reports/examples/copy_limit.rs in the same run.
#
#   DATABASE_URL=... bench/reports.sh USERNAME PASSWORD CAMPAIGN_ID [CAMPAIGN_ID...]
#
# The database must be seeded (promostore seed --scale large); USERNAME is staff of the
# campaigns' distributor. Prints one markdown row per campaign and format.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ $# -ge 3 ]] || { echo "usage: bench/reports.sh USERNAME PASSWORD CAMPAIGN_ID..." >&2; exit 2; }
USERNAME="$1" PASSWORD="$2"
shift 2
: "${DATABASE_URL:?DATABASE_URL names the seeded database}"
cargo build --release -p server --bin promostore -p reports --example copy_limit >&2
BIN=target/release/promostore
PORT="${BENCH_PORT:-18283}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"; [[ -n "${PID:-}" ]] && kill "$PID" 2>/dev/null || true' EXIT

serve() {
    RUST_LOG=warn WORKERS=0 BIND="127.0.0.1:$PORT" "$BIN" serve >"$OUT/serve.log" 2>&1 &
    PID=$!
    for _ in $(seq 1 100); do
        curl -sf "127.0.0.1:$PORT/ready" >/dev/null && return
        sleep 0.1
    done
    echo "the server did not start" >&2
    exit 1
}
stop() {
    kill "$PID"
    wait "$PID" 2>/dev/null || true
    PID=""
}

echo "| campaign | lines | format | bytes | first byte ms | seconds | lines/s | COPY lines/s | ratio | server peak RSS MB |"
echo "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"
for campaign in "$@"; do
    limit="$(target/release/examples/copy_limit "$campaign")"
    copy_rate="$(sed -n 's/.*rows_per_s=\([0-9]*\).*/\1/p' <<<"$limit")"
    lines="$(sed -n 's/.*rows=\([0-9]*\).*/\1/p' <<<"$limit")"
    for format in csv xlsx; do
        serve
        token="$(curl -s "127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
            -d "{\"username\":\"$USERNAME\",\"password\":\"$PASSWORD\"}" |
            python3 -c 'import sys,json; print(json.load(sys.stdin)["access_token"])')"
        timing="$(curl -s -o "$OUT/report" -H "Authorization: Bearer $token" -H 'Accept-Encoding: identity' \
            -w '%{http_code} %{size_download} %{time_starttransfer} %{time_total}' \
            "127.0.0.1:$PORT/api/v1/reports/itemized-shopper/campaigns/$campaign?format=$format")"
        read -r code size first total <<<"$timing"
        [[ "$code" == 200 ]] || { echo "HTTP $code for campaign $campaign ($format)" >&2; exit 1; }
        rss_kb="$(awk '/VmHWM/ {print $2}' "/proc/$PID/status")"
        stop
        python3 - "$campaign" "$lines" "$format" "$size" "$first" "$total" "$copy_rate" "$rss_kb" <<'PY'
import sys
c, lines, fmt, size, first, total, copy, rss = sys.argv[1:]
lines, size, first, total, copy, rss = int(lines), int(size), float(first), float(total), float(copy), int(rss)
rate = lines / total
ratio = f"{rate / copy:.2f}" if fmt == "csv" else "–"
print(f"| {c} | {lines:,} | {fmt} | {size:,} | {first * 1000:.0f} | {total:.2f} | {rate:,.0f} | {copy:,.0f} | {ratio} | {rss / 1024:.0f} |")
PY
    done
done
