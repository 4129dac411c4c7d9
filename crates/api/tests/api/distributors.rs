//! Distributors: list and read, create, update, soft delete; who may do what,
//! validation, uniqueness, If-Match, If-None-Match and Idempotency-Key.

use crate::helpers::{PASSWORD, Resp, TestApp, World, enc};
use poem::http::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

const LIST: &str = "/api/v1/organization/distributors";

fn url(id: i64) -> String {
    format!("{LIST}/{id}")
}

async fn patch(app: &TestApp, id: i64, token: &str, headers: &[(&str, &str)], body: Value) -> Resp {
    app.request(Method::PATCH, &url(id), Some(token), headers, Some(body)).await
}

async fn delete(app: &TestApp, id: i64, token: &str, headers: &[(&str, &str)]) -> Resp {
    app.request(Method::DELETE, &url(id), Some(token), headers, None).await
}

/// The distributor row as the database holds it, for "nothing changed" checks.
async fn row(pool: &PgPool, id: i64) -> Value {
    sqlx::query_scalar("SELECT to_jsonb(d) FROM distributors d WHERE id = $1").bind(id).fetch_one(pool).await.unwrap()
}

fn names(r: &Resp) -> Vec<String> {
    r.body.as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap().to_owned()).collect()
}

fn new_body(name: &str) -> Value {
    json!({
        "name": name, "email": "hello@initech.example", "address": "4120 Freidrich Ln",
        "ow_cost": "1.50", "campaign_cost": "250", "transaction_cost": "0.5", "max_sales_count": 3
    })
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_super_admin_creates_a_distributor(pool: PgPool) {
    let app = TestApp::new(pool).await;
    World::build(&app).await;
    let (root, _) = app.login("root").await;
    let r = app.post(LIST, Some(&root), new_body("Initech")).await;
    r.expect(201);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(r.header("location"), Some(url(id).as_str()));
    crate::helpers::assert_etag(&r, &format!("\"distributor-{id}-1\""));
    assert_eq!(r.body["name"], "Initech");
    assert_eq!(r.body["ow_cost"], "1.50");
    assert_eq!(r.body["campaign_cost"], "250.00");
    assert_eq!(r.body["transaction_cost"], "0.50");
    assert_eq!(r.body["max_sales_count"], 3);
    assert_eq!(r.body["is_deleted"], false);

    let read = app.get(&url(id), &root).await;
    read.expect(200);
    assert_eq!(read.body, r.body);
    assert_eq!(read.header("etag"), r.header("etag"));
    let cached = app.get_with(&url(id), &root, &[("If-None-Match", r.header("etag").unwrap())]).await;
    cached.expect(304);
    assert!(cached.text.is_empty());

    // Omitted settings take their defaults.
    let r = app.post(LIST, Some(&root), json!({"name": "Umbrella", "email": "info@umbrella.example"})).await;
    r.expect(201);
    assert_eq!((r.body["ow_cost"].as_str(), r.body["max_sales_count"].as_i64()), (Some("0.00"), Some(5)));
    assert_eq!(r.body["address"], "");
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn only_super_admins_create_distributors(pool: PgPool) {
    let app = TestApp::new(pool).await;
    World::build(&app).await;
    for who in ["acme_manager", "acme_sales", "acme_buyer", "acme_shopper"] {
        let (token, _) = app.login(who).await;
        app.post(LIST, Some(&token), new_body("Initech")).await.expect(403);
    }
    app.post(LIST, None, new_body("Initech")).await.expect(401);
    assert_eq!(app.count("distributors").await, 2);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn invalid_distributors_are_422_naming_every_field(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let (root, _) = app.login("root").await;
    let bad = json!({
        "name": " ", "email": "not-an-email", "address": "a\u{0}b", "ow_cost": "-1",
        "campaign_cost": "1.005", "transaction_cost": "99999999999", "max_sales_count": -1
    });
    let r = app.post(LIST, Some(&root), bad).await;
    r.expect(422);
    let fields: Vec<&str> = r.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    // Every 422 lists its errors by field, then code (the one order of the write kit).
    assert_eq!(fields, ["address", "campaign_cost", "email", "max_sales_count", "name", "ow_cost", "transaction_cost"]);
    assert_eq!(app.count("distributors").await, 2);

    // Malformed bodies are 400: a missing name, a non-decimal cost.
    for body in [json!({"email": "a@b.example"}), json!({"name": "X", "email": "a@b.example", "ow_cost": "cheap"})] {
        app.post(LIST, Some(&root), body).await.expect(400);
    }
    // A field the body does not have is refused (not ignored) with a 422 naming it.
    let r = app.post(LIST, Some(&root), json!({"name": "X", "email": "a@b.example", "is_deleted": true})).await;
    r.expect(422);
    assert_eq!(r.body["errors"][0]["field"], "is_deleted");
    assert_eq!(app.count("distributors").await, 2);

    let before = row(&app.pool, w.acme).await;
    let r = patch(&app, w.acme, &root, &[], json!({"email": "nope", "ow_cost": "0.001"})).await;
    r.expect(422);
    assert_eq!(r.body["errors"].as_array().unwrap().len(), 2);
    assert_eq!(row(&app.pool, w.acme).await, before);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn names_are_unique_ignoring_case(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let (root, _) = app.login("root").await;
    let r = app.post(LIST, Some(&root), new_body("ACME")).await;
    r.expect(409);
    assert!(r.body["detail"].as_str().unwrap().contains("name"), "{}", r.text);
    let before = row(&app.pool, w.globex).await;
    patch(&app, w.globex, &root, &[], json!({"name": "acme"})).await.expect(409);
    assert_eq!(row(&app.pool, w.globex).await, before);
    assert_eq!(app.count("distributors").await, 2);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn each_role_updates_what_it_may(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let (root, _) = app.login("root").await;
    let (manager, _) = app.login("acme_manager").await;

    // A super admin changes anything of any distributor.
    let r = patch(&app, w.globex, &root, &[], json!({"name": "Globex Corp", "ow_cost": "2.25", "max_sales_count": 9}))
        .await;
    r.expect(200);
    assert_eq!((r.body["name"].as_str(), r.body["ow_cost"].as_str()), (Some("Globex Corp"), Some("2.25")));
    assert_eq!(r.body["max_sales_count"], 9);
    crate::helpers::assert_etag(&r, &format!("\"distributor-{}-2\"", w.globex));

    // A manager changes its own distributor's contact details...
    let r = patch(
        &app,
        w.acme,
        &manager,
        &[],
        json!({"name": "Acme Promo", "email": "x@acme.example", "address": "Elm 2"}),
    )
    .await;
    r.expect(200);
    assert_eq!(r.body["name"], "Acme Promo");
    assert_eq!(r.body["address"], "Elm 2");
    // ...but not the platform settings, and nothing of another distributor.
    let before = row(&app.pool, w.acme).await;
    for body in [json!({"ow_cost": "0"}), json!({"name": "Sneaky", "max_sales_count": 50})] {
        patch(&app, w.acme, &manager, &[], body).await.expect(403);
    }
    let globex_before = row(&app.pool, w.globex).await;
    patch(&app, w.globex, &manager, &[], json!({"name": "Mine now"})).await.expect(404);
    // Staff below manager and non-staff may not change it.
    for who in ["acme_sales", "acme_buyer", "acme_shopper"] {
        let (token, _) = app.login(who).await;
        patch(&app, w.acme, &token, &[], json!({"address": "Nope"})).await.expect(403);
        patch(&app, w.globex, &token, &[], json!({"address": "Nope"})).await.expect(404);
    }
    patch(&app, 999_999, &root, &[], json!({"address": "Nowhere"})).await.expect(404);
    assert_eq!(row(&app.pool, w.acme).await, before);
    assert_eq!(row(&app.pool, w.globex).await, globex_before);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn stale_if_match_is_412_and_changes_nothing(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let (root, _) = app.login("root").await;
    let first = app.get(&url(w.acme), &root).await;
    let etag1 = first.header("etag").unwrap().to_owned();
    let r = patch(&app, w.acme, &root, &[("If-Match", &etag1)], json!({"address": "Elm 3"})).await;
    r.expect(200);
    let etag2 = r.header("etag").unwrap().to_owned();
    assert_ne!(etag1, etag2);

    let before = row(&app.pool, w.acme).await;
    patch(&app, w.acme, &root, &[("If-Match", &etag1)], json!({"address": "Lost update"})).await.expect(412);
    patch(&app, w.acme, &root, &[("If-Match", "\"account-1-2\"")], json!({"address": "Wrong"})).await.expect(412);
    delete(&app, w.acme, &root, &[("If-Match", &etag1)]).await.expect(412);
    assert_eq!(row(&app.pool, w.acme).await, before);

    // An empty patch with a current ETag changes nothing and succeeds.
    let r = patch(&app, w.acme, &root, &[("If-Match", &etag2)], json!({})).await;
    r.expect(200);
    assert_eq!(r.header("etag"), Some(etag2.as_str()));
    patch(&app, w.acme, &root, &[("If-Match", &etag1)], json!({})).await.expect(412);
    delete(&app, w.acme, &root, &[("If-Match", &etag2)]).await.expect(204);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn soft_deleted_distributors_are_hidden(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let (root, _) = app.login("root").await;
    let (acme_manager, _) = app.login("acme_manager").await;
    let (globex_manager, _) = app.login("globex_manager").await;
    let (acme_sales, _) = app.login("acme_sales").await;

    // Only super admins delete: 403 for a manager of it, 404 for anyone else.
    delete(&app, w.acme, &acme_manager, &[]).await.expect(403);
    delete(&app, w.acme, &acme_sales, &[]).await.expect(403);
    delete(&app, w.globex, &acme_manager, &[]).await.expect(404);
    delete(&app, 999_999, &root, &[]).await.expect(404);
    assert_eq!(
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM distributors WHERE is_deleted")
            .fetch_one(&app.pool)
            .await
            .unwrap(),
        0
    );

    delete(&app, w.globex, &root, &[]).await.expect(204);
    // Deleting again changes nothing.
    let before = row(&app.pool, w.globex).await;
    delete(&app, w.globex, &root, &[]).await.expect(204);
    assert_eq!(row(&app.pool, w.globex).await, before);
    assert_eq!(before["is_deleted"], true);

    let list = |token: String, filter: Option<&str>| {
        let app = &app;
        let q = filter.map(|f| format!("&filter={}", enc(f))).unwrap_or_default();
        async move { app.get(&format!("{LIST}?count=exact{q}"), &token).await }
    };
    let r = list(root.clone(), None).await;
    r.expect(200);
    assert_eq!(names(&r), ["Acme"]);
    assert_eq!(r.header("x-total-count"), Some("1"));
    // A filter that mentions is_deleted decides for itself.
    let r = list(root.clone(), Some(r#"[{"field":"is_deleted","op":"==","value":true}]"#)).await;
    assert_eq!(names(&r), ["Globex"]);
    let r = list(
        root.clone(),
        Some(r#"[{"or":[{"field":"is_deleted","op":"==","value":true},{"field":"name","op":"==","value":"Acme"}]}]"#),
    )
    .await;
    assert_eq!(names(&r), ["Acme", "Globex"]);
    assert_eq!(r.header("x-total-count"), Some("2"));
    // Other filters still hide it.
    let r = list(root.clone(), Some(r#"[{"field":"name","op":"ilike","value":"%"}]"#)).await;
    assert_eq!(names(&r), ["Acme"]);

    // A super admin still reads it by id; its own manager's session ended
    // with it (security finding 4), and it cannot log in again.
    let r = app.get(&url(w.globex), &root).await;
    r.expect(200);
    assert_eq!(r.body["is_deleted"], true);
    app.get(&url(w.globex), &globex_manager).await.expect(401);
    patch(&app, w.globex, &globex_manager, &[], json!({"address": "Still here"})).await.expect(401);
    app.login_as("globex_manager", PASSWORD).await.expect(403);
    // Others are unaffected.
    app.get(&url(w.acme), &acme_manager).await.expect(200);
    assert_eq!(names(&list(acme_manager.clone(), None).await), ["Acme"]);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn lists_speak_the_query_language_within_scope(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let (root, _) = app.login("root").await;
    for name in ["Initech", "Initrode"] {
        app.post(LIST, Some(&root), new_body(name)).await.expect(201);
    }
    let filter = enc(r#"[{"field":"name","op":"ilike","value":"ini%"}]"#);
    let r = app.get(&format!("{LIST}?filter={filter}&sort=-name&count=exact&page_size=1"), &root).await;
    r.expect(200);
    assert_eq!(names(&r), ["Initrode"]);
    assert_eq!(r.header("x-total-count"), Some("2"));
    let next = r.header("link").unwrap();
    let next = &next[next.find('<').unwrap() + 1..next.find('>').unwrap()];
    let r = app.get(next, &root).await;
    r.expect(200);
    assert_eq!(names(&r), ["Initech"]);
    assert!(r.header("link").is_none());

    // A mask shapes the items; everyone else sees only their own distributor.
    let r = app.get_with(LIST, &root, &[("X-Fields", "{id,name}")]).await;
    assert_eq!(r.body.as_array().unwrap()[0].as_object().unwrap().len(), 2);
    let (shopper, _) = app.login("acme_shopper").await;
    let r = app.get(LIST, &shopper).await;
    r.expect(200);
    assert_eq!(names(&r), ["Acme"]);
    assert!(r.body[0].get("ow_cost").is_none(), "costs are staff only: {}", r.text);
    app.get(&format!("{LIST}?filter={}", enc(r#"[{"field":"is_deleted","op":"==","value":true}]"#)), &shopper)
        .await
        .expect(403);
    app.get(&url(w.globex), &shopper).await.expect(404);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn idempotent_creates_run_once(pool: PgPool) {
    let app = TestApp::new(pool).await;
    World::build(&app).await;
    let (root, _) = app.login("root").await;
    let key = [("Idempotency-Key", "create-initech-1")];
    let first = app.request(Method::POST, LIST, Some(&root), &key, Some(new_body("Initech"))).await;
    first.expect(201);
    assert_eq!(first.header("idempotent-replayed"), Some("false"));
    let again = app.request(Method::POST, LIST, Some(&root), &key, Some(new_body("Initech"))).await;
    again.expect(201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.text, first.text);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("etag"), first.header("etag"));
    // The replay has its own request id, and names the first one apart.
    assert_ne!(again.header("x-request-id"), first.header("x-request-id"));
    assert_eq!(again.header("idempotent-original-request-id"), first.header("x-request-id"));
    assert_eq!(app.count("distributors").await, 3);

    let other = app.request(Method::POST, LIST, Some(&root), &key, Some(new_body("Initrode"))).await;
    other.expect(422);
    assert_eq!(other.body["errors"][0]["field"], "Idempotency-Key");
    assert_eq!(app.count("distributors").await, 3);
}
