//! API integration tests: the real application in-process, a fresh PostgreSQL
//! database per test (`#[sqlx::test]`) and the real Redis from `REDIS_URL`
//! under a per-test key prefix. `make test` finds or starts both.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]

mod access;
mod accounts_write;
mod auth;
mod auth_matrix;
mod campaign_items;
mod campaigns;
mod catalog_matrix;
mod catalog_setup;
mod contract;
mod distributors;
mod errors;
mod files;
mod helpers;
mod imports;
mod jobs;
mod locations_members;
mod matrix;
mod matrix_kit;
mod orders;
mod products_variants;
mod query;
mod reports;
mod reports_browser;
mod security;
mod snapshots;
mod statements;
mod storefront;
mod storefront_catalog;
mod tokens;
mod wire;
