//! Every error is problem+json with the right status, including poem's own.

use crate::helpers::{TestApp, World};
use poem::http::Method;
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn routing_errors_are_problems(pool: PgPool) {
    let app = TestApp::new(pool).await;
    app.request(Method::GET, "/api/v1/nowhere", None, &[], None).await.expect(404);
    app.request(Method::GET, "/", None, &[], None).await.expect(404);
    let wrong = app.request(Method::DELETE, "/api/v1/auth/login", None, &[], None).await;
    wrong.expect(405);
    // Allow names every method the path answers, HEAD and OPTIONS included.
    assert_eq!(wrong.header("allow"), Some("POST, OPTIONS"));
    let me = app.request(Method::PUT, "/api/v1/organization/accounts/1", None, &[], None).await;
    me.expect(405);
    assert_eq!(me.header("allow"), Some("DELETE, GET, PATCH, HEAD, OPTIONS"));
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn malformed_bodies_are_400_and_change_nothing(pool: PgPool) {
    let app = TestApp::new(pool).await;
    World::build(&app).await;
    let login = "/api/v1/auth/login";
    // Types are strict: a number or a boolean where the schema says string is malformed.
    for body in [
        "{\"username\":",
        "[]",
        "{\"username\": \"a\"}",
        "{\"password\": \"a\"}",
        "null",
        "{\"username\": [], \"password\": \"x\"}",
    ] {
        let r = app.request(Method::POST, login, None, &[("content-type", "application/json")], None).await;
        r.expect(400);
        let r = app.client_raw(Method::POST, login, "application/json", body.as_bytes().to_vec()).await;
        r.expect(400);
    }
    // A body that is not JSON at all is the wrong media type.
    let r = app.client_raw(Method::POST, login, "text/plain", b"username=a".to_vec()).await;
    r.expect(415);
    assert_eq!(r.body["type"], "/problems/unsupported-media-type");
    assert_eq!(app.count("refresh_tokens").await, 0);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn oversized_bodies_are_413(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let big = json!({"username": "a".repeat(2 * 1024 * 1024), "password": "x"}).to_string();
    let r = app.client_raw(Method::POST, "/api/v1/auth/login", "application/json", big.into_bytes()).await;
    r.expect(413);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn wrong_parameter_types_are_400(pool: PgPool) {
    let app = TestApp::new(pool).await;
    World::build(&app).await;
    let (token, _) = app.login("root").await;
    app.get("/api/v1/organization/accounts/abc", &token).await.expect(400);
    app.get("/api/v1/organization/accounts?page_size=ten", &token).await.expect(400);
    app.get("/api/v1/organization/accounts?count=maybe", &token).await.expect(400);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn every_response_carries_a_request_id(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let r = app.request(Method::GET, "/health", None, &[], None).await;
    r.expect(200);
    assert!(r.header("x-request-id").is_some_and(|id| id.len() >= 16));
    let given = app.request(Method::GET, "/nowhere", None, &[("X-Request-Id", "abc-123")], None).await;
    assert_eq!(given.header("x-request-id"), Some("abc-123"));
    assert_eq!(given.body["request_id"], "abc-123");
    let hostile = app.request(Method::GET, "/health", None, &[("X-Request-Id", "a b\"<script>")], None).await;
    assert_ne!(hostile.header("x-request-id"), Some("a b\"<script>"));
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn ready_checks_database_and_cache(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let r = app.request(Method::GET, "/ready", None, &[], None).await;
    r.expect(200);
    // Nothing about what backs the service (security finding 11).
    assert_eq!(r.body, serde_json::json!({"status": "ok"}));
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn the_spec_documents_every_operation(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let r = app.request(Method::GET, "/openapi.json", None, &[], None).await;
    r.expect(200);
    let paths = r.body["paths"].as_object().unwrap();
    for path in
        ["/api/v1/auth/login", "/api/v1/auth/me", "/api/v1/organization/accounts", "/api/v1/organization/accounts/{id}"]
    {
        assert!(paths.contains_key(path), "{path} missing");
    }
    let list = &paths["/api/v1/organization/accounts"]["get"];
    let names: Vec<&str> = list["parameters"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    for p in ["X-Fields", "fields", "filter", "sort", "page_size", "page_number", "cursor", "count"] {
        assert!(names.contains(&p), "{p} not documented: {names:?}");
    }
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            assert!(op["operationId"].is_string(), "{method} {path} has no operationId");
            let responses = op["responses"].as_object().unwrap();
            if path.starts_with("/api/") {
                for status in ["400", "401", "404", "500"] {
                    let content = &responses[status]["content"];
                    assert!(content.get("application/problem+json").is_some(), "{method} {path} {status}");
                }
            }
        }
    }
    let account = &r.body["components"]["schemas"]["Account"]["properties"];
    assert!(account.get("email").is_some() && account.get("password_hash").is_none());
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn nul_characters_in_text_are_400_not_500(pool: PgPool) {
    let app = TestApp::new(pool).await;
    World::build(&app).await;
    let r = app.login_as("adm\u{0}in", "x").await;
    r.expect(400);
    assert!(r.body["detail"].as_str().unwrap().contains("NUL"));
    assert_eq!(app.count("refresh_tokens").await, 0);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_body_without_content_type_is_415(pool: PgPool) {
    let app = TestApp::new(pool).await;
    app.request(Method::POST, "/api/v1/auth/login", None, &[], None).await.expect(415);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn money_is_a_decimal_string_never_a_float(pool: PgPool) {
    let app = TestApp::new(pool).await;
    World::build(&app).await;
    let (root, _) = app.login("root").await;
    let created = |cost: serde_json::Value| {
        let app = &app;
        let root = root.clone();
        async move {
            app.post(
                "/api/v1/organization/distributors",
                Some(&root),
                json!({"name": format!("Co {cost}"), "email": "co@example.com", "address": "1 Road", "ow_cost": cost}),
            )
            .await
        }
    };
    created(json!(0.1)).await.expect(400);
    created(json!(1)).await.expect(400);
    created(json!("abc")).await.expect(400);
    let ok = created(json!("0.10")).await;
    ok.expect(201);
    assert_eq!(ok.body["ow_cost"], "0.10");
    assert_eq!(app.count("distributors").await, 3, "only the valid one was created");
}

/// Large textual bodies are compressed as the client asks; small ones, and
/// clients that do not ask, get them as they are.
#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn large_text_bodies_are_compressed(pool: PgPool) {
    use std::io::Read;
    let app = TestApp::new(pool).await;
    let plain = app.request(Method::GET, "/openapi.json", None, &[], None).await;
    plain.expect(200);
    assert_eq!(plain.header("content-encoding"), None);
    assert!(plain.header("vary").is_some_and(|v| v.contains("accept-encoding")));

    let raw = |encoding: &'static str| {
        let app = &app;
        async move { app.raw(Method::GET, "/openapi.json", &[("Accept-Encoding", encoding)]).await }
    };
    let (headers, gz) = raw("gzip").await;
    assert_eq!(headers.get("content-encoding").and_then(|v| v.to_str().ok()), Some("gzip"));
    assert!(gz.len() * 4 < plain.text.len(), "{} compressed bytes of {}", gz.len(), plain.text.len());
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gz[..]).read_to_string(&mut text).unwrap();
    assert_eq!(text, plain.text);

    let (headers, br) = raw("gzip;q=0.5, br").await;
    assert_eq!(headers.get("content-encoding").and_then(|v| v.to_str().ok()), Some("br"));
    let mut text = String::new();
    brotli::Decompressor::new(&br[..], 4096).read_to_string(&mut text).unwrap();
    assert_eq!(text, plain.text);

    // Small bodies go out as they are.
    let (headers, _) = app.raw(Method::GET, "/health", &[("Accept-Encoding", "gzip")]).await;
    assert_eq!(headers.get("content-encoding"), None);
}
