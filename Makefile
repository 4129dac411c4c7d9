# promostore — developer and CI entry points. `make` alone lists the targets.
#
# PostgreSQL and Redis come from scripts/dev-services.sh: DATABASE_URL/REDIS_URL when set, else the
# servers on 127.0.0.1:5432/6379, else a private cluster and redis-server under .data/.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
SERVE_FLAGS ?= --migrate --seed-if-empty

# With prepared sqlx query data (.sqlx/, from `cargo sqlx prepare --workspace`), compile the query
# macros against it rather than against whatever database DATABASE_URL points at.
ifneq ($(wildcard .sqlx),)
export SQLX_OFFLINE ?= true
endif

.PHONY: help run test test-services test-rust fuzz lint fmt services stop openapi build bench

help: ## List the targets
	@echo "usage: make <target>"
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo
	@echo "variables: DATABASE_URL, REDIS_URL (use these servers), PROMOSTORE_DATA_DIR (private"
	@echo "  services' data, default .data), FUZZ_SECONDS (schemathesis budget, default 120)"

run: ## Start the API on 127.0.0.1:8080 (migrates, seeds an empty database; login admin/admin)
	@exports="$$(scripts/dev-services.sh run)" && eval "$$exports" && \
	$(CARGO) run -p server --bin promostore -- serve $(SERVE_FLAGS)

test: ## Everything CI tests: dev-services test, cargo test (and doctests), schemathesis against the API
	@exports="$$(scripts/dev-services.sh test)" && eval "$$exports" && \
	deps="$$(scripts/test-deps.sh)" && eval "$$deps" && \
	scripts/test-dev-services.sh && \
	mkdir -p target && \
	$(CARGO) test --workspace --all-targets 2>&1 | tee target/cargo-test.log && \
	$(CARGO) test --workspace --doc 2>&1 | tee -a target/cargo-test.log && \
	scripts/check-test-floor.sh target/cargo-test.log && \
	scripts/check-spec.sh && \
	scripts/check-client.sh && \
	scripts/schemathesis.sh

test-services: ## Test scripts/dev-services.sh's private PostgreSQL + Redis path
	@scripts/test-dev-services.sh

test-rust: ## Only cargo test, against real PostgreSQL, Redis, an SMTP listener and Chromium
	@exports="$$(scripts/dev-services.sh test)" && eval "$$exports" && \
	deps="$$(scripts/test-deps.sh)" && eval "$$deps" && \
	$(CARGO) test --workspace --all-targets

fuzz: ## Only schemathesis against a fresh database (FUZZ_SECONDS, default 120)
	@exports="$$(scripts/dev-services.sh test)" && eval "$$exports" && \
	scripts/schemathesis.sh

lint: ## rustfmt check and clippy with warnings as errors
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt: ## Format the code
	$(CARGO) fmt --all

bench: ## Load-test a release build on seeded data (BENCH_ARGS="--scale large"; see bench/README.md)
	@bench/run.sh $(BENCH_ARGS)

build: ## Release build of the promostore binary
	$(CARGO) build --release -p server --bin promostore

services: ## Find or start PostgreSQL and Redis; print the exports (eval "$(make -s services)")
	@scripts/dev-services.sh run

stop: ## Stop the private PostgreSQL and Redis that `make services/run/test` started
	@scripts/dev-services.sh stop

openapi: ## Print the OpenAPI spec (make -s openapi > openapi.json)
	@$(CARGO) run -q -p server --bin promostore -- openapi
