"""Runs the schemathesis CLI with ast.parse serialised across threads.

CPython 3.11's AST constructor keeps its recursion-depth counter in shared
state, so two threads parsing at once can fail with "SystemError: AST
constructor recursion depth mismatch" (python/cpython#106905). Hypothesis
parses source with ast.parse to describe lambdas, and schemathesis runs its
workers as threads, so a run with several workers can crash inside the
fuzzer itself, never because of a server response. A lock around ast.parse
removes the race without slowing anything that matters.
"""

import ast
import os
import runpy
import sys
import threading

_lock = threading.Lock()
_parse = ast.parse


def _serialised_parse(*args, **kwargs):
    with _lock:
        return _parse(*args, **kwargs)


ast.parse = _serialised_parse

# Our own checks (scripts/schemathesis_checks.py) register themselves on import.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import schemathesis_checks  # noqa: E402,F401

sys.argv[0] = "schemathesis"
runpy.run_module("schemathesis.cli", run_name="__main__", alter_sys=True)
