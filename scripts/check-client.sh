#!/usr/bin/env bash
# Generates a typed Python client from target/openapi.json (written by
# scripts/check-spec.sh) with openapi-python-client, installed with pip when
# missing, into target/client/promostore_client, and fails when the generator
# drops any operation or schema: what it cannot read, a client cannot call.
# scripts/schemathesis.sh then uses the client against the running server
# (scripts/client_smoke.py: log in, list accounts).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

[[ -f target/openapi.json ]] || scripts/check-spec.sh
if ! command -v openapi-python-client >/dev/null 2>&1; then
    echo "check-client.sh: installing openapi-python-client" >&2
    python3 -m pip install --quiet --disable-pip-version-check 'openapi-python-client>=0.20,<1' >&2
fi
rm -rf target/client
mkdir -p target/client
openapi-python-client generate --path target/openapi.json --meta none \
    --output-path target/client/promostore_client >target/client/generate.log 2>&1 || {
    cat target/client/generate.log >&2
    exit 1
}
if grep -E "will not be generated|Unable to process schema" target/client/generate.log >&2; then
    echo "check-client.sh: the generator dropped parts of the API (target/client/generate.log)" >&2
    exit 1
fi
operations="$(find target/client/promostore_client/api -name '*.py' ! -name '__init__.py' | wc -l)"
echo "check-client.sh: generated a client with $operations operations, none dropped"
