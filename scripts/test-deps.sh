#!/usr/bin/env bash
# What the Rust tests need beyond PostgreSQL and Redis, installed when missing:
# - aiosmtpd (Python): the real SMTP listener the notification tests send to;
# - Chromium: the browser the report page test renders in (Debian's `chromium`
#   package; CHROMIUM names another binary).
# Prints `export` lines (CHROMIUM=...) for `eval`; logs go to stderr.
set -euo pipefail

log() { printf 'test-deps: %s\n' "$*" >&2; }

if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
    log "installing aiosmtpd (the tests' SMTP listener)"
    python3 -m pip install --quiet --disable-pip-version-check 'aiosmtpd>=1.4,<2' >&2
fi
python3 -c 'import aiosmtpd' || { log "aiosmtpd is not importable after pip install"; exit 1; }

chromium="${CHROMIUM:-}"
# A CHROMIUM that names nothing runnable would only fail the report page test much later.
if [[ -n "$chromium" ]] && ! command -v "$chromium" >/dev/null 2>&1; then
    log "CHROMIUM=$chromium is not a runnable binary; looking for Chromium instead"
    chromium=""
fi
if [[ -z "$chromium" ]]; then
    for candidate in chromium chromium-browser google-chrome-stable google-chrome; do
        if command -v "$candidate" >/dev/null 2>&1; then
            chromium="$(command -v "$candidate")"
            break
        fi
    done
fi
if [[ -z "$chromium" ]]; then
    if command -v apt-get >/dev/null 2>&1; then
        sudo=""
        [[ "$(id -u)" == 0 ]] || sudo="sudo"
        log "installing Debian's chromium (the report page test's browser)"
        # The first try is quiet (it fails when the package lists are stale); the second says why.
        if ! $sudo apt-get install -y -qq chromium >/dev/null 2>&1; then
            $sudo apt-get update -qq >&2
            $sudo apt-get install -y -qq chromium >&2
        fi
        chromium="$(command -v chromium)"
    else
        log "no Chromium found and no apt-get to install it: set CHROMIUM to a Chromium or Chrome binary"
        exit 1
    fi
fi
log "using $("$chromium" --version 2>/dev/null || echo "$chromium")"
printf 'export CHROMIUM=%q\n' "$chromium"
