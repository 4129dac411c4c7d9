//! Login, refresh rotation, logout, password change, rate limits.

use crate::helpers::{PASSWORD, TestApp, World, config_with_login_limit};
use poem::http::Method;
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn login_returns_tokens_and_the_account(pool: PgPool) {
    let app = TestApp::new(pool).await;
    World::build(&app).await;
    let r = app.login_as("acme_manager", PASSWORD).await;
    r.expect(200);
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["expires_in"], 900);
    assert_eq!(r.body["account"]["username"], "acme_manager");
    assert_eq!(r.body["account"]["role"], "distributor_manager");
    assert!(r.body["account"].get("password_hash").is_none());
    assert!(!r.text.contains("argon2"), "no hash leaks: {}", r.text);

    let me = app.get("/api/v1/auth/me", r.body["access_token"].as_str().unwrap()).await;
    me.expect(200);
    assert_eq!(me.body["username"], "acme_manager");
    assert!(me.body["last_login_at"].is_string(), "login is recorded");
    assert!(me.header("etag").is_some());
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn login_accepts_the_email_case_insensitively(pool: PgPool) {
    let app = TestApp::new(pool).await;
    World::build(&app).await;
    for identifier in ["ACME_MANAGER@example.com", "Acme_Manager"] {
        let r = app.login_as(identifier, PASSWORD).await;
        r.expect(200);
        assert_eq!(r.body["account"]["username"], "acme_manager", "{identifier}");
        // The token is the manager's too.
        let me = app.get("/api/v1/auth/me", r.body["access_token"].as_str().unwrap()).await;
        assert_eq!(me.body["username"], "acme_manager", "{identifier}");
    }
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn wrong_credentials_are_401_and_create_no_session(pool: PgPool) {
    let app = TestApp::new(pool).await;
    World::build(&app).await;
    let r = app.login_as("acme_manager", "wrong-password").await;
    r.expect(401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    let unknown = app.login_as("nobody", PASSWORD).await;
    unknown.expect(401);
    // Same answer for an unknown user as for a wrong password.
    assert_eq!(r.body["detail"], unknown.body["detail"]);
    assert_eq!(app.count("refresh_tokens").await, 0);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn inactive_accounts_cannot_log_in(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    World::build(&app).await;
    sqlx::query("UPDATE accounts SET active = FALSE WHERE username = 'acme_sales'").execute(&pool).await.unwrap();
    app.login_as("acme_sales", PASSWORD).await.expect(403);
    assert_eq!(app.count("refresh_tokens").await, 0);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn refresh_rotates_and_reuse_revokes_the_family(pool: PgPool) {
    let app = TestApp::new(pool).await;
    World::build(&app).await;
    let (access1, refresh1) = app.login("acme_sales").await;

    let r = app.post("/api/v1/auth/refresh", None, json!({"refresh_token": refresh1})).await;
    r.expect(200);
    let refresh2 = r.body["refresh_token"].as_str().unwrap().to_owned();
    let access2 = r.body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(refresh1, refresh2);
    app.get("/api/v1/auth/me", &access2).await.expect(200);

    // The rotated token presented again: refused, and the whole family dies.
    app.post("/api/v1/auth/refresh", None, json!({"refresh_token": refresh1})).await.expect(401);
    app.post("/api/v1/auth/refresh", None, json!({"refresh_token": refresh2})).await.expect(401);
    app.get("/api/v1/auth/me", &access2).await.expect(401);
    app.get("/api/v1/auth/me", &access1).await.expect(401);

    // Another session of the same account is untouched.
    let (other, _) = app.login("acme_sales").await;
    app.get("/api/v1/auth/me", &other).await.expect(200);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn unknown_refresh_tokens_are_401(pool: PgPool) {
    let app = TestApp::new(pool).await;
    app.post("/api/v1/auth/refresh", None, json!({"refresh_token": "made-up"})).await.expect(401);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn logout_revokes_the_access_token_and_the_refresh_family(pool: PgPool) {
    let app = TestApp::new(pool).await;
    World::build(&app).await;
    let (access, refresh) = app.login("acme_buyer").await;
    let (other, _) = app.login("acme_buyer").await;
    app.request(Method::POST, "/api/v1/auth/logout", Some(&access), &[], None).await.expect(204);
    app.get("/api/v1/auth/me", &access).await.expect(401);
    app.post("/api/v1/auth/refresh", None, json!({"refresh_token": refresh})).await.expect(401);
    app.get("/api/v1/auth/me", &other).await.expect(200);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn password_change_revokes_other_sessions(pool: PgPool) {
    let app = TestApp::new(pool).await;
    World::build(&app).await;
    let (mine, _) = app.login("acme_shopper").await;
    let (other_access, other_refresh) = app.login("acme_shopper").await;

    let put = |token: String, body| {
        let app = &app;
        async move { app.request(Method::PUT, "/api/v1/auth/password", Some(&token), &[], Some(body)).await }
    };
    let wrong = put(mine.clone(), json!({"current_password": "nope", "new_password": "a-new-password"})).await;
    wrong.expect(422);
    assert_eq!(wrong.body["errors"][0]["field"], "current_password");
    let short = put(mine.clone(), json!({"current_password": PASSWORD, "new_password": "short"})).await;
    short.expect(422);
    assert_eq!(short.body["errors"][0]["code"], "too_short");
    // Refused changes changed nothing.
    app.login_as("acme_shopper", PASSWORD).await.expect(200);

    put(mine.clone(), json!({"current_password": PASSWORD, "new_password": "a-new-password"})).await.expect(204);
    app.get("/api/v1/auth/me", &mine).await.expect(200);
    app.get("/api/v1/auth/me", &other_access).await.expect(401);
    app.post("/api/v1/auth/refresh", None, json!({"refresh_token": other_refresh})).await.expect(401);
    app.login_as("acme_shopper", PASSWORD).await.expect(401);
    app.login_as("acme_shopper", "a-new-password").await.expect(200);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn repeated_failures_are_rate_limited(pool: PgPool) {
    let app = TestApp::with_config(pool, config_with_login_limit(3)).await;
    World::build(&app).await;
    for _ in 0..3 {
        app.login_as("acme_manager", "wrong-password").await.expect(401);
    }
    // Blocked now, even with the right password.
    let blocked = app.login_as("acme_manager", PASSWORD).await;
    blocked.expect(429);
    let retry: u64 = blocked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    // Accounts are counted apart (the address limit is looser).
    app.login_as("acme_sales", PASSWORD).await.expect(200);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_success_resets_the_username_counter(pool: PgPool) {
    let app = TestApp::with_config(pool, config_with_login_limit(3)).await;
    World::build(&app).await;
    for _ in 0..2 {
        app.login_as("acme_manager", "wrong-password").await.expect(401);
    }
    app.login_as("acme_manager", PASSWORD).await.expect(200);
    for _ in 0..2 {
        app.login_as("acme_manager", "wrong-password").await.expect(401);
    }
    app.login_as("acme_manager", PASSWORD).await.expect(200);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn the_address_limit_stops_username_spraying(pool: PgPool) {
    let config = api::ApiConfig { login_address_max_failures: 4, ..config_with_login_limit(1) };
    let app = TestApp::with_config(pool, config).await;
    World::build(&app).await;
    // Limit 1 per account, 4 per address: four different usernames fail once each.
    for name in ["a", "b", "c", "d"] {
        app.login_as(name, "x").await.expect(401);
    }
    app.login_as("acme_manager", PASSWORD).await.expect(429);
}
