# syntax=docker/dockerfile:1
# promostore API image.
#   docker build -t promostore .
#   docker run --rm -p 8080:8080 -e DATABASE_URL=... -e JWT_SECRET=... promostore
# or `docker compose up` (see docker-compose.yml).

# ---- build -----------------------------------------------------------------------------------
FROM rust:1.95-bookworm AS builder
WORKDIR /src
# sqlx query macros (if any) compile against the committed .sqlx/ data: no database at build time.
ENV SQLX_OFFLINE=true \
    CARGO_TERM_COLOR=never
COPY . .
# The registry and target caches live in BuildKit cache mounts (not in the image), so the binary is
# copied out of target/ in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p server --bin promostore \
    && install -m 0755 target/release/promostore /usr/local/bin/promostore

# ---- runtime ---------------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 promostore \
    && useradd --system --uid 10001 --gid promostore --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin promostore \
    && install -d -o promostore -g promostore -m 0750 /app
COPY --from=builder /usr/local/bin/promostore /usr/local/bin/promostore
USER 10001:10001
WORKDIR /app
# JWT_SECRET is required in production: pass it at run time (-e JWT_SECRET=..., or compose).
ENV BIND=0.0.0.0:8080 \
    PROMOSTORE_ENV=production \
    RUST_LOG=info
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["promostore"]
CMD ["serve", "--migrate"]
