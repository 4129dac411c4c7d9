//! The operations no other matrix holds: logging in, refreshing, logging
//! out, changing one's password, `/health` and `/ready`, for every role. Each
//! cell checks its outcome, that it changes nothing outside the caller's own
//! distributor (nothing at all when refused), and that a refused login for
//! an account of another distributor answers exactly as one for a name that
//! does not exist. A last test holds the three matrices to the spec: an
//! operation of the spec that no matrix row names fails it.

use crate::helpers::{PASSWORD, Resp, TestApp, World};
use crate::matrix_kit::{ROLES, Who, changed_parts, fingerprint, outside, tells_apart};
use poem::http::Method;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::collections::BTreeSet;

/// The routes this matrix exercises.
pub(crate) const ROUTES: [(&str, &str); 6] = [
    ("GET", "/health"),
    ("GET", "/ready"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/refresh"),
    ("PUT", "/api/v1/auth/password"),
    ("POST", "/api/v1/auth/logout"),
];

/// The other distributor's account of the same role (root has none).
fn counterpart(who: Who) -> Option<&'static str> {
    (who != Who::Root).then(|| {
        who.username().strip_prefix("acme_").map_or("root", |r| match r {
            "manager" => "globex_manager",
            "sales" => "globex_sales",
            "buyer" => "globex_buyer",
            _ => "globex_shopper",
        })
    })
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn every_role_logs_in_refreshes_changes_its_password_and_logs_out(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let failures = std::cell::RefCell::new(Vec::new());
    for who in ROLES {
        let caller = (who != Who::Root).then_some(w.acme);
        // Runs one request, checking its status and what it changed.
        let cell = async |name: &str,
                          method: Method,
                          path: &str,
                          token: Option<&str>,
                          body: Option<Value>,
                          status: u16| {
            let before = fingerprint(&pool, &app.state.cache).await;
            let r = app.request(method, path, token, &[], body).await;
            let after = fingerprint(&pool, &app.state.cache).await;
            let diff = changed_parts(&before, &after);
            if r.status.as_u16() != status {
                failures.borrow_mut().push(format!("{name} {who:?}: expected {status}, got {} ({})", r.status, r.text));
            }
            if !r.status.is_success() && !diff.is_empty() {
                failures.borrow_mut().push(format!("{name} {who:?}: refused but changed {diff:?}"));
            }
            let strays = outside(&before, &diff, caller.unwrap_or(-1), caller);
            if !strays.is_empty() {
                failures.borrow_mut().push(format!("{name} {who:?}: changed rows of another distributor: {strays:?}"));
            }
            r
        };
        for path in ["/health", "/ready"] {
            let r = cell(path, Method::GET, path, None, None, 200).await;
            if r.body != json!({"status": "ok"}) {
                failures.borrow_mut().push(format!("{path}: {}", r.text));
            }
        }
        let login = |username: &str, password: &str| json!({"username": username, "password": password});
        let r =
            cell("login", Method::POST, "/api/v1/auth/login", None, Some(login(who.username(), PASSWORD)), 200).await;
        let (token, refresh) =
            (r.body["access_token"].as_str().unwrap_or_default().to_owned(), r.body["refresh_token"].clone());
        if r.body["account"]["username"] != who.username() {
            failures.borrow_mut().push(format!("login {who:?}: logged in as {}", r.body["account"]["username"]));
        }
        cell("refresh", Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": refresh})), 200).await;
        let change = json!({"current_password": PASSWORD, "new_password": "a-new-long-passphrase-42"});
        cell("change password", Method::PUT, "/api/v1/auth/password", Some(&token), Some(change), 204).await;
        cell("logout", Method::POST, "/api/v1/auth/logout", Some(&token), None, 204).await;
        // The token is dead now, and the old password too.
        cell("after logout", Method::POST, "/api/v1/auth/logout", Some(&token), None, 401).await;
        cell("old password", Method::POST, "/api/v1/auth/login", None, Some(login(who.username(), PASSWORD)), 401)
            .await;
        // Another distributor's account with a wrong password answers as a name nobody has.
        if let Some(other) = counterpart(who) {
            let real: Resp = cell(
                "login other",
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(login(other, "not-their-password")),
                401,
            )
            .await;
            let ghost =
                app.post("/api/v1/auth/login", None, login(&format!("ghost_{other}"), "not-their-password")).await;
            failures.borrow_mut().extend(
                tells_apart(&real, &BTreeSet::new(), &ghost, &BTreeSet::new())
                    .map(|p| format!("login other {who:?}: {p}")),
            );
        }
    }
    let failures = failures.into_inner();
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

/// Every operation of the spec is a row of one of the matrices.
#[test]
fn the_matrices_cover_every_operation_of_the_spec() {
    let spec: Value = serde_json::from_str(&api::document::document()).unwrap();
    let covered: BTreeSet<(String, String)> = crate::matrix::routes()
        .into_iter()
        .chain(crate::catalog_matrix::routes())
        .chain(ROUTES.iter().map(|(m, p)| ((*m).to_owned(), (*p).to_owned())))
        .collect();
    let mut missing = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if !covered.contains(&(method.to_uppercase(), path.clone())) {
                missing.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    assert!(missing.is_empty(), "operations of the spec in no access matrix: {missing:?}");
}
