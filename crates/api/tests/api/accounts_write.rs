//! Account writes: create, update, delete; who may do what to whom,
//! validation, uniqueness, the sales-executive limit, If-Match, session
//! revocation and Idempotency-Key.

use crate::helpers::{PASSWORD, Resp, TestApp, World};
use poem::http::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

const LIST: &str = "/api/v1/organization/accounts";

fn url(id: i64) -> String {
    format!("{LIST}/{id}")
}

async fn id_of(pool: &PgPool, username: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM accounts WHERE username = $1").bind(username).fetch_one(pool).await.unwrap()
}

/// The account row as the database holds it, for "nothing changed" checks.
async fn row(pool: &PgPool, username: &str) -> Value {
    sqlx::query_scalar("SELECT to_jsonb(a) FROM accounts a WHERE username = $1")
        .bind(username)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn patch(app: &TestApp, id: i64, token: &str, headers: &[(&str, &str)], body: Value) -> Resp {
    app.request(Method::PATCH, &url(id), Some(token), headers, Some(body)).await
}

async fn delete(app: &TestApp, id: i64, token: &str, headers: &[(&str, &str)]) -> Resp {
    app.request(Method::DELETE, &url(id), Some(token), headers, None).await
}

fn new_account(username: &str, role: &str) -> Value {
    json!({
        "username": username, "email": format!("{username}@example.com"), "first_name": "New",
        "last_name": "Person", "role": role, "password": "a-long-passphrase"
    })
}

fn with(mut body: Value, key: &str, value: Value) -> Value {
    body[key] = value;
    body
}

async fn sales_count(pool: &PgPool, distributor: i64) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM accounts WHERE distributor_id = $1 AND role = 'sales_executive'")
        .bind(distributor)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_manager_creates_accounts_in_its_own_distributor(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let (manager, _) = app.login("acme_manager").await;
    // An admin buyer: shoppers log in only while a campaign of theirs is open.
    let body = with(new_account("ann.lee", "admin_buyer"), "reports_enabled", json!(true));
    let r = app.post(LIST, Some(&manager), body).await;
    r.expect(201);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(r.header("location"), Some(url(id).as_str()));
    crate::helpers::assert_etag(&r, &format!("\"account-{id}-1\""));
    assert_eq!(r.body["distributor_id"], w.acme);
    assert_eq!(r.body["role"], "admin_buyer");
    assert_eq!(r.body["email"], "ann.lee@example.com");
    assert_eq!((r.body["active"].as_bool(), r.body["reports_enabled"].as_bool()), (Some(true), Some(true)));
    assert!(r.body.get("password").is_none() && r.body.get("password_hash").is_none());
    assert!(!r.text.contains("a-long-passphrase") && !r.text.contains("argon2"), "{}", r.text);

    let read = app.get(&url(id), &manager).await;
    read.expect(200);
    assert_eq!(read.body, r.body);
    app.get_with(&url(id), &manager, &[("If-None-Match", r.header("etag").unwrap())]).await.expect(304);
    // The password works; the stored value is a hash.
    app.login_as("ann.lee", "a-long-passphrase").await.expect(200);
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM accounts WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"));

    // Naming its own distributor is the same; an inactive account cannot log in.
    let body = with(with(new_account("bob", "shopper"), "distributor_id", json!(w.acme)), "active", json!(false));
    let r = app.post(LIST, Some(&manager), body).await;
    r.expect(201);
    assert_eq!((r.body["distributor_id"].as_i64(), r.body["active"].as_bool()), (Some(w.acme), Some(false)));
    app.login_as("bob", "a-long-passphrase").await.expect(403);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn managers_create_only_lower_roles_and_only_at_home(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let (manager, _) = app.login("acme_manager").await;
    let before = app.count("accounts").await;
    for role in ["distributor_manager", "super_admin"] {
        app.post(LIST, Some(&manager), new_account("climber", role)).await.expect(403);
    }
    // Another distributor is out of sight: 404, and nothing is created anywhere.
    let elsewhere = with(new_account("spy", "shopper"), "distributor_id", json!(w.globex));
    app.post(LIST, Some(&manager), elsewhere).await.expect(404);
    let nowhere = with(new_account("ghost", "shopper"), "distributor_id", json!(999_999));
    app.post(LIST, Some(&manager), nowhere).await.expect(404);
    for who in ["acme_sales", "acme_buyer", "acme_shopper"] {
        let (token, _) = app.login(who).await;
        app.post(LIST, Some(&token), new_account("nobody", "shopper")).await.expect(403);
    }
    assert_eq!(app.count("accounts").await, before);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_super_admin_places_accounts_anywhere(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let (root, _) = app.login("root").await;
    let r = app.post(LIST, Some(&root), new_account("root2", "super_admin")).await;
    r.expect(201);
    assert_eq!(r.body["distributor_id"], Value::Null);
    let r = app
        .post(LIST, Some(&root), with(new_account("gm2", "distributor_manager"), "distributor_id", json!(w.globex)))
        .await;
    r.expect(201);
    assert_eq!(r.body["distributor_id"], w.globex);

    let before = app.count("accounts").await;
    for (body, code) in [
        (with(new_account("root3", "super_admin"), "distributor_id", json!(w.acme)), "not_allowed"),
        (new_account("orphan", "shopper"), "required"),
        (with(new_account("lost", "shopper"), "distributor_id", json!(999_999)), "not_found"),
    ] {
        let r = app.post(LIST, Some(&root), body).await;
        r.expect(422);
        assert_eq!(r.body["errors"][0]["field"], "distributor_id");
        assert_eq!(r.body["errors"][0]["code"], code);
    }
    // A deleted distributor takes no new accounts.
    app.request(Method::DELETE, &format!("/api/v1/organization/distributors/{}", w.globex), Some(&root), &[], None)
        .await
        .expect(204);
    app.post(LIST, Some(&root), with(new_account("late", "shopper"), "distributor_id", json!(w.globex)))
        .await
        .expect(422);
    assert_eq!(app.count("accounts").await, before);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn invalid_accounts_are_422_naming_every_field(pool: PgPool) {
    let app = TestApp::new(pool).await;
    World::build(&app).await;
    let (manager, _) = app.login("acme_manager").await;
    let before = app.count("accounts").await;
    let bad = json!({
        "username": "ann lee", "email": "ann@", "first_name": "x".repeat(151), "last_name": "L\u{0}",
        "role": "shopper", "password": "short"
    });
    let r = app.post(LIST, Some(&manager), bad).await;
    r.expect(422);
    let fields: Vec<&str> = r.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    // Every 422 lists its errors by field, then code (the one order of the write kit).
    assert_eq!(fields, ["email", "first_name", "last_name", "password", "username"]);
    let r = app
        .post(LIST, Some(&manager), with(new_account("same-as-pass", "shopper"), "password", json!("Same-As-Pass")))
        .await;
    r.expect(422);
    assert_eq!(r.body["errors"][0]["code"], "contains_username");
    app.post(LIST, Some(&manager), with(new_account("x", "shopper"), "username", json!(""))).await.expect(422);
    app.post(LIST, Some(&manager), with(new_account("x", "shopper"), "username", json!("a".repeat(151))))
        .await
        .expect(422);
    // A value outside the schema is 400 (an unknown role); a field outside it is a 422 naming it.
    app.post(LIST, Some(&manager), new_account("x", "admin")).await.expect(400);
    let r = app.post(LIST, Some(&manager), with(new_account("x", "shopper"), "password_hash", json!("h"))).await;
    r.expect(422);
    assert_eq!(r.body["errors"][0]["field"], "password_hash");
    assert_eq!(r.body["errors"][0]["code"], "unknown_field");
    assert_eq!(app.count("accounts").await, before);

    let target = id_of(&app.pool, "acme_shopper").await;
    let before = row(&app.pool, "acme_shopper").await;
    let r = patch(&app, target, &manager, &[], json!({"email": "nope", "first_name": "\u{7}"})).await;
    r.expect(422);
    assert_eq!(r.body["errors"].as_array().unwrap().len(), 2);
    assert_eq!(row(&app.pool, "acme_shopper").await, before);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn taken_usernames_and_emails_are_409(pool: PgPool) {
    let app = TestApp::new(pool).await;
    World::build(&app).await;
    let (manager, _) = app.login("acme_manager").await;
    let before = app.count("accounts").await;
    let r = app.post(LIST, Some(&manager), new_account("ACME_SALES", "shopper")).await;
    r.expect(409);
    assert!(r.body["detail"].as_str().unwrap().contains("username"), "{}", r.text);
    let r = app
        .post(LIST, Some(&manager), with(new_account("fresh", "shopper"), "email", json!("Globex_Sales@Example.com")))
        .await;
    r.expect(409);
    assert!(r.body["detail"].as_str().unwrap().contains("email"), "{}", r.text);
    assert_eq!(app.count("accounts").await, before);

    let target = id_of(&app.pool, "acme_shopper").await;
    let snapshot = row(&app.pool, "acme_shopper").await;
    patch(&app, target, &manager, &[], json!({"email": "ACME_BUYER@example.com", "first_name": "Changed"}))
        .await
        .expect(409);
    assert_eq!(row(&app.pool, "acme_shopper").await, snapshot);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_distributor_has_at_most_max_sales_count_sales_executives(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let (root, _) = app.login("root").await;
    let (manager, _) = app.login("acme_manager").await;
    let set_max = |n: i64| {
        let (app, root) = (&app, root.clone());
        async move {
            app.request(
                Method::PATCH,
                &format!("/api/v1/organization/distributors/{}", w.acme),
                Some(&root),
                &[],
                Some(json!({"max_sales_count": n})),
            )
            .await
            .expect(200);
        }
    };
    set_max(2).await;
    app.post(LIST, Some(&manager), new_account("sales2", "sales_executive")).await.expect(201);
    let r = app.post(LIST, Some(&manager), new_account("sales3", "sales_executive")).await;
    r.expect(409);
    assert!(r.body["detail"].as_str().unwrap().contains("max_sales_count"), "{}", r.text);
    // A promotion counts too; other roles are not limited.
    let shopper = id_of(&app.pool, "acme_shopper").await;
    let snapshot = row(&app.pool, "acme_shopper").await;
    patch(&app, shopper, &manager, &[], json!({"role": "sales_executive"})).await.expect(409);
    assert_eq!(row(&app.pool, "acme_shopper").await, snapshot);
    app.post(LIST, Some(&manager), new_account("buyer2", "admin_buyer")).await.expect(201);
    // Another distributor has its own limit.
    let (globex_manager, _) = app.login("globex_manager").await;
    app.post(LIST, Some(&globex_manager), new_account("gsales2", "sales_executive")).await.expect(201);
    assert_eq!(sales_count(&app.pool, w.acme).await, 2);

    // Two concurrent creates for the last place: exactly one wins.
    set_max(3).await;
    let (a, b) = tokio::join!(
        app.post(LIST, Some(&manager), new_account("race_a", "sales_executive")),
        app.post(LIST, Some(&manager), new_account("race_b", "sales_executive")),
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{} / {}", a.text, b.text);
    assert_eq!(sales_count(&app.pool, w.acme).await, 3);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn each_role_updates_whom_it_may(pool: PgPool) {
    let app = TestApp::new(pool).await;
    World::build(&app).await;
    let pool = &app.pool;
    let (root, _) = app.login("root").await;
    let (manager, _) = app.login("acme_manager").await;
    let (sales, _) = app.login("acme_sales").await;
    let (shopper, _) = app.login("acme_shopper").await;
    let id = |name: &'static str| id_of(pool, name);

    // A manager manages the lower roles of its own distributor.
    let r = patch(
        &app,
        id("acme_buyer").await,
        &manager,
        &[],
        json!({"first_name": "Bea", "reports_enabled": true, "role": "shopper"}),
    )
    .await;
    r.expect(200);
    assert_eq!((r.body["first_name"].as_str(), r.body["role"].as_str()), (Some("Bea"), Some("shopper")));
    assert_eq!(r.body["reports_enabled"], true);
    crate::helpers::assert_etag(&r, &format!("\"account-{}-2\"", id("acme_buyer").await));

    let untouched = ["acme_shopper", "acme_manager", "acme_sales", "globex_shopper", "root"];
    let mut before = Vec::new();
    for name in untouched {
        before.push(row(pool, name).await);
    }
    // Refused: a manager raising someone to manager, or touching its peers,
    // itself (beyond its profile), super admins and other distributors.
    patch(&app, id("acme_shopper").await, &manager, &[], json!({"role": "distributor_manager"})).await.expect(403);
    patch(&app, id("globex_shopper").await, &manager, &[], json!({"first_name": "X"})).await.expect(404);
    patch(&app, id("root").await, &manager, &[], json!({"first_name": "X"})).await.expect(404);
    for body in [json!({"active": false}), json!({"role": "sales_executive"}), json!({"reports_enabled": true})] {
        patch(&app, id("acme_manager").await, &manager, &[], body).await.expect(403);
    }
    // A sales executive sees its distributor's accounts but manages none.
    patch(&app, id("acme_shopper").await, &sales, &[], json!({"first_name": "X"})).await.expect(403);
    patch(&app, id("acme_sales").await, &sales, &[], json!({"reports_enabled": true})).await.expect(403);
    // A shopper sees only itself.
    patch(&app, id("acme_sales").await, &shopper, &[], json!({"first_name": "X"})).await.expect(404);
    patch(&app, id("acme_shopper").await, &shopper, &[], json!({"active": false})).await.expect(403);
    // A super admin cannot raise its own rights or move accounts across the super_admin line.
    patch(&app, id("root").await, &root, &[], json!({"active": false})).await.expect(403);
    let r = patch(&app, id("acme_shopper").await, &root, &[], json!({"role": "super_admin"})).await;
    r.expect(422);
    assert_eq!(r.body["errors"][0]["field"], "role");
    for (name, snapshot) in untouched.iter().zip(&before) {
        assert_eq!(&row(pool, name).await, snapshot, "{name} changed");
    }

    // Everyone may change their own profile; sending unchanged values is fine.
    // A shopper's own email change takes the current password and is a 202
    // that says nothing about the address (security finding 3).
    let r = patch(
        &app,
        id("acme_shopper").await,
        &shopper,
        &[],
        json!({"last_name": "Renamed", "email": "acme_shopper@new.example", "active": true, "current_password": PASSWORD}),
    )
    .await;
    r.expect(202);
    assert_eq!(r.text, "");
    let me = app.get("/api/v1/auth/me", &shopper).await;
    me.expect(200);
    assert_eq!(me.body["last_name"], "Renamed");
    assert_eq!(me.body["email"], "acme_shopper@new.example");
    for (token, name) in [(&sales, "acme_sales"), (&manager, "acme_manager"), (&root, "root")] {
        let r = patch(
            &app,
            id(name).await,
            token,
            &[],
            json!({"last_name": "Renamed", "email": format!("{name}@new.example"), "active": true}),
        )
        .await;
        r.expect(200);
        assert_eq!(r.body["last_name"], "Renamed");
        assert_eq!(r.body["email"], format!("{name}@new.example"));
    }
    // A super admin manages anyone else, in any distributor.
    let r = patch(
        &app,
        id("globex_manager").await,
        &root,
        &[],
        json!({"reports_enabled": true, "role": "sales_executive"}),
    )
    .await;
    r.expect(200);
    assert_eq!(r.body["role"], "sales_executive");
    patch(&app, 999_999, &root, &[], json!({"first_name": "X"})).await.expect(404);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn deactivation_and_role_changes_end_sessions(pool: PgPool) {
    let app = TestApp::new(pool).await;
    World::build(&app).await;
    let (manager, _) = app.login("acme_manager").await;
    let shopper = id_of(&app.pool, "acme_shopper").await;
    let buyer = id_of(&app.pool, "acme_buyer").await;
    let (s_access, s_refresh) = app.login("acme_shopper").await;
    let (b_access, b_refresh) = app.login("acme_buyer").await;

    // A profile edit ends nothing.
    patch(&app, shopper, &manager, &[], json!({"first_name": "Still"})).await.expect(200);
    patch(&app, shopper, &s_access, &[], json!({"last_name": "Here"})).await.expect(200);
    app.get("/api/v1/auth/me", &s_access).await.expect(200);

    patch(&app, shopper, &manager, &[], json!({"active": false})).await.expect(200);
    app.get("/api/v1/auth/me", &s_access).await.expect(401);
    app.post("/api/v1/auth/refresh", None, json!({"refresh_token": s_refresh})).await.expect(401);
    app.login_as("acme_shopper", PASSWORD).await.expect(403);

    patch(&app, buyer, &manager, &[], json!({"role": "shopper"})).await.expect(200);
    app.get("/api/v1/auth/me", &b_access).await.expect(401);
    app.post("/api/v1/auth/refresh", None, json!({"refresh_token": b_refresh})).await.expect(401);
    // A new login carries the new role.
    let r = app.login_as("acme_buyer", PASSWORD).await;
    r.expect(200);
    assert_eq!(r.body["account"]["role"], "shopper");
    // The manager's own session is untouched.
    app.get("/api/v1/auth/me", &manager).await.expect(200);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn if_match_guards_updates_and_deletes(pool: PgPool) {
    let app = TestApp::new(pool).await;
    World::build(&app).await;
    let (manager, _) = app.login("acme_manager").await;
    let id = id_of(&app.pool, "acme_shopper").await;
    let etag1 = app.get(&url(id), &manager).await.header("etag").unwrap().to_owned();
    let r = patch(&app, id, &manager, &[("If-Match", &etag1)], json!({"first_name": "One"})).await;
    r.expect(200);
    let etag2 = r.header("etag").unwrap().to_owned();
    assert_ne!(etag1, etag2);

    let before = row(&app.pool, "acme_shopper").await;
    let stale = patch(&app, id, &manager, &[("If-Match", &etag1)], json!({"first_name": "Lost"})).await;
    stale.expect(412);
    patch(&app, id, &manager, &[("If-Match", "garbage")], json!({"first_name": "Lost"})).await.expect(412);
    delete(&app, id, &manager, &[("If-Match", &etag1)]).await.expect(412);
    assert_eq!(row(&app.pool, "acme_shopper").await, before);

    delete(&app, id, &manager, &[("If-Match", &etag2)]).await.expect(204);
    app.get(&url(id), &manager).await.expect(404);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn each_role_deletes_whom_it_may(pool: PgPool) {
    let app = TestApp::new(pool).await;
    World::build(&app).await;
    let pool = &app.pool;
    let (root, _) = app.login("root").await;
    let (manager, _) = app.login("acme_manager").await;
    let (sales, _) = app.login("acme_sales").await;
    let (shopper, _) = app.login("acme_shopper").await;
    let before = app.count("accounts").await;

    delete(&app, id_of(pool, "root").await, &root, &[]).await.expect(403);
    delete(&app, id_of(pool, "acme_manager").await, &manager, &[]).await.expect(403);
    delete(&app, id_of(pool, "globex_shopper").await, &manager, &[]).await.expect(404);
    delete(&app, id_of(pool, "root").await, &manager, &[]).await.expect(404);
    delete(&app, id_of(pool, "acme_buyer").await, &sales, &[]).await.expect(403);
    delete(&app, id_of(pool, "acme_sales").await, &sales, &[]).await.expect(403);
    delete(&app, id_of(pool, "acme_buyer").await, &shopper, &[]).await.expect(404);
    delete(&app, id_of(pool, "acme_shopper").await, &shopper, &[]).await.expect(403);
    delete(&app, 999_999, &root, &[]).await.expect(404);
    assert_eq!(app.count("accounts").await, before);

    // A manager deletes a lower role at home; its sessions end with it.
    let (s_access, s_refresh) = app.login("acme_shopper").await;
    delete(&app, id_of(pool, "acme_shopper").await, &manager, &[]).await.expect(204);
    app.get("/api/v1/auth/me", &s_access).await.expect(401);
    app.get("/api/v1/auth/me", &shopper).await.expect(401);
    app.post("/api/v1/auth/refresh", None, json!({"refresh_token": s_refresh})).await.expect(401);
    // A super admin deletes anyone else, managers included.
    delete(&app, id_of(pool, "globex_manager").await, &root, &[]).await.expect(204);
    delete(&app, id_of(pool, "acme_manager").await, &root, &[]).await.expect(204);
    app.get("/api/v1/auth/me", &manager).await.expect(401);
    assert_eq!(app.count("accounts").await, before - 3);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn idempotent_account_creates_run_once(pool: PgPool) {
    let app = TestApp::new(pool).await;
    World::build(&app).await;
    let (manager, _) = app.login("acme_manager").await;
    let before = app.count("accounts").await;
    let key = [("Idempotency-Key", "new-ann-7")];
    let first = app.request(Method::POST, LIST, Some(&manager), &key, Some(new_account("ann", "shopper"))).await;
    first.expect(201);
    let again = app.request(Method::POST, LIST, Some(&manager), &key, Some(new_account("ann", "shopper"))).await;
    again.expect(201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.text, first.text);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(app.count("accounts").await, before + 1);

    let other = app.request(Method::POST, LIST, Some(&manager), &key, Some(new_account("bob", "shopper"))).await;
    other.expect(422);
    assert_eq!(other.body["errors"][0]["field"], "Idempotency-Key");
    assert_eq!(app.count("accounts").await, before + 1);
}
