"""Checks of our own for the schemathesis run; scripts/schemathesis_run.py loads them.

Without them a run can pass having tested little: if the fuzzer's token stopped working, every
answer would be a documented 401 and pass every built-in check; and an operation the run never
reached is not a failure to schemathesis.

Environment (set by scripts/schemathesis.sh):
  FUZZ_TOKEN                the access token every request carries
  FUZZ_EXPECTED_OPERATIONS  the labels ("GET /api/v1/...") the run must exercise, one per line;
                            empty when only some operations were asked for
"""

import json
import os

import schemathesis

TOKEN = os.environ.get("FUZZ_TOKEN", "")
EXPECTED = {line.strip() for line in os.environ.get("FUZZ_EXPECTED_OPERATIONS", "").splitlines() if line.strip()}


def _detail(response) -> str:
    try:
        return str(json.loads(response.content or b"{}").get("detail", ""))
    except (ValueError, AttributeError):
        return ""


@schemathesis.check
def fuzzer_token_accepted(ctx, response, case):
    """A 401 about the access token the fuzzer sends means the run lost its session."""
    sent = response.request.headers.get("Authorization", "")
    if TOKEN and response.status_code == 401 and sent == f"Bearer {TOKEN}" and "access token" in _detail(response):
        raise AssertionError(
            f"the fuzzer's own access token was refused ({_detail(response)}): every later answer would be a 401"
        )


@schemathesis.check
class EveryOperationExercised:
    """Fails the run when an operation of the spec got no request at all."""

    def __init__(self):
        self.tested = set()

    def after_response(self, ctx, response, case):
        self.tested.add(case.operation.label)

    def after_run(self, ctx):
        missing = sorted(EXPECTED - self.tested)
        if missing:
            raise AssertionError(
                f"{len(missing)} of {len(EXPECTED)} operations were never exercised: " + ", ".join(missing)
            )
