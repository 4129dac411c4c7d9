//! HTTP semantics caches and clients rely on (RFC 9110/9111): one validator
//! per representation, weak comparison for `If-None-Match`, and 404 before
//! 412.

use crate::helpers::{TestApp, World};
use poem::http::Method;
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn each_representation_has_its_own_validator(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let (sales, _) = app.login("acme_sales").await;
    let vendor = app.vendor(w.acme, "Tagged", &["supplier"]).await;
    let url = format!("/api/v1/catalog/vendors/{vendor}");
    let whole = app.get(&url, &sales).await;
    let slim = app.get_with(&url, &sales, &[("X-Fields", "{id}")]).await;
    let same_slim = app.get_with(&url, &sales, &[("X-Fields", "id")]).await;
    let (whole_tag, slim_tag) = (whole.header("etag").unwrap(), slim.header("etag").unwrap());
    assert_ne!(whole_tag, slim_tag, "two representations, two validators");
    assert_eq!(same_slim.header("etag"), Some(slim_tag), "one selection, however it is written, one validator");
    for r in [&whole, &slim] {
        assert!(r.header("vary").is_some_and(|v| v.contains("x-fields")), "{:?}", r.headers);
    }
    // A client holding the slim body does not hold the whole one.
    app.get_with(&url, &sales, &[("If-None-Match", slim_tag)]).await.expect(200);
    let r = app.get_with(&url, &sales, &[("X-Fields", "{id}"), ("If-None-Match", slim_tag)]).await;
    assert_eq!(r.status.as_u16(), 304);
    // Weak comparison: W/"…" matches.
    let weak = format!("W/{whole_tag}");
    assert_eq!(app.get_with(&url, &sales, &[("If-None-Match", &weak)]).await.status.as_u16(), 304);
    // If-Match compares the version, whatever mask the tag was read with.
    let r = app
        .request(Method::PATCH, &url, Some(&sales), &[("If-Match", slim_tag)], Some(json!({"address": "2 Way"})))
        .await;
    r.expect(200);
    let r = app
        .request(Method::PATCH, &url, Some(&sales), &[("If-Match", slim_tag)], Some(json!({"address": "3 Way"})))
        .await;
    r.expect(412);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_missing_row_is_404_before_any_precondition(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let (sales, _) = app.login("acme_sales").await;
    let vendor = app.vendor(w.acme, "Present", &["supplier"]).await;
    for tag in ["\"vendor-999999-1\"", "\"something-else\"", "W/\"vendor-999999-1\""] {
        let missing = app
            .request(
                Method::PATCH,
                "/api/v1/catalog/vendors/999999",
                Some(&sales),
                &[("If-Match", tag)],
                Some(json!({"address": "x"})),
            )
            .await;
        missing.expect(404);
        let present = app
            .request(
                Method::PATCH,
                &format!("/api/v1/catalog/vendors/{vendor}"),
                Some(&sales),
                &[("If-Match", tag)],
                Some(json!({"address": "x"})),
            )
            .await;
        present.expect(412);
    }
}
