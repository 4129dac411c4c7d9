//! Forged, tampered, expired and malformed tokens: all 401 problem+json.

use crate::helpers::{TestApp, World};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::{Value, json};
use sqlx::PgPool;

/// `claims` signed HS256 with `secret`.
pub fn sign(claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(&jsonwebtoken::Header::default(), claims, &jsonwebtoken::EncodingKey::from_secret(secret))
        .unwrap()
}

/// The claims of a token, unverified.
pub fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&B64.decode(payload).unwrap()).unwrap()
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn forged_and_tampered_tokens_are_refused(pool: PgPool) {
    let app = TestApp::new(pool).await;
    World::build(&app).await;
    let (token, _) = app.login("acme_shopper").await;
    let claims = claims_of(&token);
    let secret = app.state.config.jwt_secret.as_bytes().to_vec();

    // Sanity: the same claims signed with the right key pass.
    app.get("/api/v1/auth/me", &sign(&claims, &secret)).await.expect(200);

    let wrong_key = sign(&claims, b"another-secret-another-secret-another");
    let mut elevated = claims.clone();
    elevated["role"] = json!("super_admin");
    let [header, _, signature] = <[&str; 3]>::try_from(token.split('.').collect::<Vec<_>>()).unwrap();
    let tampered = format!("{header}.{}.{signature}", B64.encode(elevated.to_string()));
    let alg_none = format!("{}.{}.", B64.encode(r#"{"alg":"none","typ":"JWT"}"#), B64.encode(elevated.to_string()));
    let mut expired_claims = claims.clone();
    expired_claims["exp"] = json!(chrono::Utc::now().timestamp() - 3600);
    let expired = sign(&expired_claims, &secret);
    let mut foreign_issuer = claims.clone();
    foreign_issuer["iss"] = json!("someone-else");
    let foreign = sign(&foreign_issuer, &secret);
    let hs512 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&secret),
    )
    .unwrap();

    for (case, bad) in [
        ("wrong key", wrong_key),
        ("tampered claims", tampered),
        ("alg none", alg_none),
        ("expired", expired),
        ("foreign issuer", foreign),
        ("other algorithm", hs512),
        ("garbage", "not.a.jwt".to_owned()),
        ("empty", String::new()),
    ] {
        let r = app.get("/api/v1/auth/me", &bad).await;
        assert_eq!(r.status.as_u16(), 401, "{case}: {}", r.text);
        r.expect(401);
    }
    let expired_detail = app.get("/api/v1/auth/me", &sign(&expired_claims, &secret)).await;
    assert!(expired_detail.body["detail"].as_str().unwrap().contains("expired"));
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_missing_token_is_401_with_a_challenge(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let r = app.request(poem::http::Method::GET, "/api/v1/auth/me", None, &[], None).await;
    r.expect(401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    assert!(r.body["detail"].as_str().unwrap().contains("Authorization"), "{}", r.text);
    let basic =
        app.request(poem::http::Method::GET, "/api/v1/auth/me", None, &[("Authorization", "Basic YTpi")], None).await;
    basic.expect(401);
}
