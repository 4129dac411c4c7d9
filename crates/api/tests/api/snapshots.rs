//! The public contract under review: the OpenAPI document and a few error
//! bodies are insta snapshots (`tests/api/snapshots/`), so a change to what
//! clients see shows up as a diff in review, not as a surprise in a
//! generated client. After a deliberate change, `cargo insta review` (or
//! `INSTA_UPDATE=always cargo test`) rewrites them; read the diff.

use crate::helpers::{TestApp, World};
use poem::http::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

/// The whole OpenAPI document, as `GET /openapi.json` serves it.
#[test]
fn the_openapi_document() {
    let spec: Value = serde_json::from_str(&api::document::document()).unwrap();
    insta::with_settings!({ omit_expression => true }, {
        insta::assert_json_snapshot!("openapi", spec);
    });
}

/// A problem body without its per-request id.
fn problem(body: &Value) -> Value {
    let mut body = body.clone();
    let request_id = body.as_object_mut().and_then(|o| o.remove("request_id"));
    assert!(request_id.is_some_and(|id| id.is_string()), "every problem carries its request id: {body}");
    body
}

/// The problem bodies a client codes against, one per kind of refusal.
#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn error_bodies(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let (sales, _) = app.login("acme_sales").await;
    let vendors = "/api/v1/catalog/vendors";
    let vendor = app.vendor(w.acme, "Sanmar", &["supplier"]).await;

    let invalid = app.post(vendors, Some(&sales), json!({"name": " ", "email": "nope"})).await;
    invalid.expect(422);
    let unknown = app.post(vendors, Some(&sales), json!({"name": "N", "is_supplier": true, "id": 5})).await;
    unknown.expect(422);
    let taken = app.post(vendors, Some(&sales), json!({"name": "SANMAR", "is_supplier": true})).await;
    taken.expect(409);
    let stale = app
        .request(
            Method::PATCH,
            &format!("{vendors}/{vendor}"),
            Some(&sales),
            &[("If-Match", "\"vendor-1-99\"")],
            Some(json!({"name": "Renamed"})),
        )
        .await;
    stale.expect(412);
    let missing = app.get(&format!("{vendors}/999999"), &sales).await;
    missing.expect(404);
    let malformed = app.post(vendors, Some(&sales), json!({"name": 5})).await;
    malformed.expect(400);
    let anonymous = app.request(Method::GET, vendors, None, &[], None).await;
    anonymous.expect(401);

    let bodies = json!({
            "422 invalid fields": problem(&invalid.body),
            "422 unknown field": problem(&unknown.body),
            "409 taken": problem(&taken.body),
            "412 stale": problem(&stale.body),
            "404 missing": problem(&missing.body),
            "400 malformed": problem(&malformed.body),
            "401 anonymous": problem(&anonymous.body),
    });
    insta::with_settings!({ omit_expression => true }, {
        insta::assert_json_snapshot!("error_bodies", bodies);
    });
}
