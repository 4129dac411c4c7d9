#!/usr/bin/env bash
# Fails when the cargo test output in $1 shows fewer tests run than the floor kept in
# .ci/test-floor, or any test ignored: CI must not pass having tested little (a test binary
# that stopped being built, a filter left behind, tests marked #[ignore]). Raise the floor when
# tests are added; lowering it is a reviewed decision, not a way to get green.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
log="${1:?usage: scripts/check-test-floor.sh <cargo test output>}"
floor="$(tr -dc '0-9' <.ci/test-floor)"
read -r passed ignored < <(awk '/^test result: /{
    for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^ignored/) g += $i }
} END { print p + 0, g + 0 }' "$log")
echo "check-test-floor: $passed tests passed, $ignored ignored (floor $floor)"
if ((ignored > 0)); then
    echo "check-test-floor: $ignored tests are ignored; run them or delete them" >&2
    exit 1
fi
if ((passed < floor)); then
    echo "check-test-floor: only $passed tests ran, fewer than the floor of $floor (.ci/test-floor)" >&2
    exit 1
fi
