#!/usr/bin/env bash
# The job queue's benchmark (see bench/README.md, "The job queue"): a release build of
# crates/server/examples/queue_bench.rs on a scratch database (promostore_queue_bench, made
# afresh on the server of DATABASE_URL): no-op jobs and order confirmations into .eml files
# through 2 workers, and the outbox write's cost at checkout. Prints markdown tables.
#
#   bench/queue.sh [--noop N] [--mail N] [--samples N]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
eval "$(scripts/dev-services.sh run)"
cargo build --release -p server --example queue_bench >&2
exec target/release/examples/queue_bench "$@"
