#!/usr/bin/env bash
# Validates the OpenAPI document the binary serves with a real validator
# (openapi-spec-validator, installed with pip when missing), so a construct
# the document's declared version does not allow fails CI instead of a
# client generator. The document is written to target/openapi.json.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
CARGO="${CARGO:-cargo}"

if ! python3 -c 'import openapi_spec_validator' 2>/dev/null; then
    echo "check-spec.sh: installing openapi-spec-validator" >&2
    python3 -m pip install --quiet --disable-pip-version-check 'openapi-spec-validator>=0.7,<1' >&2
fi
mkdir -p target
"$CARGO" run --quiet -p server --bin promostore -- openapi > target/openapi.json
python3 -m openapi_spec_validator target/openapi.json
