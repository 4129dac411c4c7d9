//! The crate layering of DESIGN §3, checked from `cargo metadata`: a crate
//! that depends on a layer above it, or a lower layer that pulls in HTTP or
//! SQL, fails this test.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// crate → the workspace crates it may depend on.
const ALLOWED: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("validators", &["domain"]),
    ("storage", &["domain", "validators"]),
    ("reports", &["domain", "validators", "storage"]),
    ("seeders", &["domain", "validators", "storage"]),
    ("api", &["domain", "validators", "storage", "reports"]),
    ("server", &["domain", "validators", "storage", "reports", "seeders", "api"]),
];

/// crate → external packages it must not depend on (normal dependencies).
const FORBIDDEN: &[(&str, &[&str])] = &[
    ("domain", &["sqlx", "redis", "poem", "poem-openapi", "tokio"]),
    ("validators", &["sqlx", "redis", "poem", "poem-openapi", "tokio"]),
    ("storage", &["poem", "poem-openapi"]),
    ("reports", &["poem", "poem-openapi"]),
    ("seeders", &["poem", "poem-openapi"]),
];

#[test]
fn crates_depend_only_on_layers_below() {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    let allowed: BTreeMap<&str, BTreeSet<&str>> =
        ALLOWED.iter().map(|(k, v)| (*k, v.iter().copied().collect())).collect();
    let forbidden: BTreeMap<&str, &[&str]> = FORBIDDEN.iter().copied().collect();
    let mut broken = Vec::new();
    let packages = meta["packages"].as_array().expect("packages");
    assert_eq!(packages.len(), ALLOWED.len(), "every workspace crate has a layer");
    for package in packages {
        let name = package["name"].as_str().unwrap_or_default();
        let Some(may) = allowed.get(name) else {
            broken.push(format!("{name} is not a known layer"));
            continue;
        };
        for dep in package["dependencies"].as_array().into_iter().flatten() {
            let dep_name = dep["name"].as_str().unwrap_or_default();
            let normal = dep["kind"].is_null();
            if allowed.contains_key(dep_name) && !may.contains(dep_name) && normal {
                broken.push(format!("{name} -> {dep_name}"));
            }
            if normal && forbidden.get(name).is_some_and(|f| f.contains(&dep_name)) {
                broken.push(format!("{name} must not use {dep_name}"));
            }
        }
    }
    assert!(broken.is_empty(), "layering broken: {broken:?}");
}
