//! The cost of checking a list request's query language, paid on every list
//! call before storage runs: a nested mask (parse + select), a ~10-condition
//! filter with groups and a relation condition, and sorts in both forms.

use criterion::{Criterion, criterion_group, criterion_main};
use domain::Role;
use domain::resource::ACCOUNT;
use std::hint::black_box;
use validators::query::{parse_filter, parse_mask, parse_sort, select};

const MASK: &str = "{id,username,email,distributor{id,name,accounts{username}}}";

const FILTER: &str = r#"[
  {"field": "username", "op": "ilike", "value": "%ann%"},
  {"field": "active", "op": "eq", "value": true},
  {"field": "role", "op": "in", "value": ["shopper", "admin_buyer"]},
  {"field": "created_at", "op": ">=", "value": "2026-01-01T00:00:00Z"},
  {"field": "created_at", "op": "<", "value": "2026-12-31"},
  {"or": [
    {"field": "email", "op": "like", "value": "%@example.com"},
    {"field": "last_login_at", "op": "is_null"},
    {"not": [{"field": "id", "op": "in", "value": [1, 2, "3", 4]}]}
  ]},
  {"model": "Distributor", "field": "name", "op": "not_ilike", "value": "%test%"},
  {"model": "Distributor", "field": "ow_cost", "op": "le", "value": "12.50"}
]"#;

const SORT_SHORT: &str = "-created_at,username,id";
const SORT_JSON: &str =
    r#"[{"field":"created_at","direction":"desc","nulls":"last"},{"field":"username"},{"field":"id"}]"#;

fn mask(c: &mut Criterion) {
    let role = Role::SalesExecutive;
    let parsed = parse_mask(MASK);
    assert!(parsed.as_ref().is_ok_and(|m| select(Some(m), &ACCOUNT, role).is_ok()));
    c.bench_function("parse_mask", |b| b.iter(|| parse_mask(black_box(MASK))));
    c.bench_function("parse_mask+select", |b| {
        b.iter(|| parse_mask(black_box(MASK)).and_then(|m| select(Some(&m), &ACCOUNT, role)))
    });
}

fn filter(c: &mut Criterion) {
    let role = Role::SalesExecutive;
    assert!(parse_filter(FILTER, &ACCOUNT, role).is_ok());
    c.bench_function("parse_filter (10 conditions, groups, relation)", |b| {
        b.iter(|| parse_filter(black_box(FILTER), &ACCOUNT, role))
    });
}

fn sort(c: &mut Criterion) {
    let role = Role::Shopper;
    assert!(parse_sort(SORT_SHORT, &ACCOUNT, role).is_ok() && parse_sort(SORT_JSON, &ACCOUNT, role).is_ok());
    c.bench_function("parse_sort short", |b| b.iter(|| parse_sort(black_box(SORT_SHORT), &ACCOUNT, role)));
    c.bench_function("parse_sort json", |b| b.iter(|| parse_sort(black_box(SORT_JSON), &ACCOUNT, role)));
}

criterion_group!(benches, mask, filter, sort);
criterion_main!(benches);
