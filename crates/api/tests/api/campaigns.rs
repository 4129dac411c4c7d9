//! Campaigns: create, read, edit, delete, the status lifecycle, activation,
//! duplication; who may do what in which distributor; validation; If-Match;
//! Idempotency-Key; the shopper login rule.

use crate::helpers::{PASSWORD, Resp, TestApp, World, enc};
use domain::Role;
use poem::http::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

const LIST: &str = "/api/v1/organization/campaigns";

fn url(id: i64) -> String {
    format!("{LIST}/{id}")
}

async fn id_of(pool: &PgPool, username: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM accounts WHERE username = $1").bind(username).fetch_one(pool).await.unwrap()
}

/// The campaign row as the database holds it, for "nothing changed" checks.
async fn row(pool: &PgPool, id: i64) -> Value {
    sqlx::query_scalar("SELECT to_jsonb(c) FROM campaigns c WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
        .unwrap()
        .unwrap_or(Value::Null)
}

async fn patch(app: &TestApp, id: i64, token: &str, headers: &[(&str, &str)], body: Value) -> Resp {
    app.request(Method::PATCH, &url(id), Some(token), headers, Some(body)).await
}

async fn status(app: &TestApp, id: i64, token: &str, headers: &[(&str, &str)], to: &str) -> Resp {
    app.request(Method::POST, &format!("{}/status", url(id)), Some(token), headers, Some(json!({"to": to}))).await
}

async fn delete(app: &TestApp, id: i64, token: &str, headers: &[(&str, &str)]) -> Resp {
    app.request(Method::DELETE, &url(id), Some(token), headers, None).await
}

/// A campaign body with every setting.
fn full(name: &str) -> Value {
    json!({
        "name": name,
        "company_name": "Initech",
        "start_date": "2027-03-01",
        "end_date": "2027-03-31",
        "storefront_pricing": false,
        "company_allowance": "50.00",
        "personal_pay": true,
        "items_count_limit": 5,
        "price_limit": "120.5",
        "email_shopper": true,
        "checkout_fields": [
            {"name": "Size", "kind": "select", "required": true, "options": ["S", "M", "L"]},
            {"name": "Deliver to", "kind": "location", "required": true},
            {"name": "Employee id", "kind": "text"}
        ],
        "departments": ["Sales", "Engineering"],
        "message": "Welcome!",
        "bfl_cost": "1.25",
        "distributor_po": "PO-7",
        "pick_pack_partner_message": "Pack by department"
    })
}

/// Creates a draft as `token` and returns its id.
async fn create(app: &TestApp, token: &str, body: Value) -> i64 {
    let r = app.post(LIST, Some(token), body).await;
    r.expect(201);
    r.body["id"].as_i64().unwrap()
}

fn names(r: &Resp) -> Vec<String> {
    r.body.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect()
}

fn fields_of(r: &Resp) -> Vec<String> {
    r.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect()
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn staff_create_read_edit_and_delete_a_draft(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let sales_id = id_of(&pool, "acme_sales").await;
    let (sales, _) = app.login("acme_sales").await;

    let packer = app.vendor(w.acme, "Packers", &["pick_pack"]).await;
    let mut body = full("Initech spring");
    body["pick_pack_partner_id"] = json!(packer);
    let r = app.post(LIST, Some(&sales), body).await;
    r.expect(201);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(r.header("location"), Some(url(id).as_str()));
    crate::helpers::assert_etag(&r, &format!("\"campaign-{id}-1\""));
    let b = &r.body;
    assert_eq!(b["status"], "draft", "a new campaign is always a draft");
    assert_eq!(b["distributor_id"], w.acme);
    assert_eq!(b["created_by"], sales_id);
    assert_eq!((b["company_allowance"].as_str(), b["price_limit"].as_str()), (Some("50.00"), Some("120.50")));
    assert_eq!(b["bfl_cost"], "1.25");
    assert_eq!((b["start_date"].as_str(), b["end_date"].as_str()), (Some("2027-03-01"), Some("2027-03-31")));
    assert_eq!(
        b["checkout_fields"][0],
        json!({"name": "Size", "kind": "select", "required": true, "options": ["S", "M", "L"]})
    );
    assert_eq!(
        b["checkout_fields"][1],
        json!({"name": "Deliver to", "kind": "location", "required": true, "options": []})
    );
    assert_eq!(b["departments"], json!(["Sales", "Engineering"]));
    assert_eq!((b["items_count_limit"].as_i64(), b["storefront_pricing"].as_bool()), (Some(5), Some(false)));
    assert_eq!((b["distributor_po"].as_str(), b["pick_pack_partner_id"].as_i64()), (Some("PO-7"), Some(packer)));

    let read = app.get(&url(id), &sales).await;
    read.expect(200);
    assert_eq!(read.body, r.body);
    let etag = read.header("etag").unwrap().to_owned();
    app.get_with(&url(id), &sales, &[("If-None-Match", &etag)]).await.expect(304);

    // Only what is sent changes; null clears a nullable field.
    let r =
        patch(&app, id, &sales, &[("If-Match", &etag)], json!({"name": "Initech summer", "price_limit": null})).await;
    r.expect(200);
    crate::helpers::assert_etag(&r, &format!("\"campaign-{id}-2\""));
    assert_eq!((r.body["name"].as_str(), r.body["price_limit"].is_null()), (Some("Initech summer"), true));
    assert_eq!(r.body["company_name"], "Initech");
    // The old ETag is stale now: 412, and nothing changes.
    let before = row(&pool, id).await;
    patch(&app, id, &sales, &[("If-Match", &etag)], json!({"name": "Stale"})).await.expect(412);
    delete(&app, id, &sales, &[("If-Match", &etag)]).await.expect(412);
    // An ETag of another resource never matches.
    patch(&app, id, &sales, &[("If-Match", "\"account-1-1\"")], json!({"name": "Other"})).await.expect(412);
    assert_eq!(row(&pool, id).await, before);

    delete(&app, id, &sales, &[("If-Match", &format!("\"campaign-{id}-2\""))]).await.expect(204);
    app.get(&url(id), &sales).await.expect(404);
    delete(&app, id, &sales, &[]).await.expect(404);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn the_allowance_starts_at_zero_and_null_means_the_company_pays_everything(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    World::build(&app).await;
    let (sales, _) = app.login("acme_sales").await;
    // Left out: 0, so an allowance nobody set never bills the company without bound.
    let unset = app.post(LIST, Some(&sales), json!({"name": "Unset"})).await;
    unset.expect(201);
    assert_eq!(unset.body["company_allowance"], "0.00");
    // Sent as null: no allowance, the company pays everything.
    let open = app.post(LIST, Some(&sales), json!({"name": "Open", "company_allowance": null})).await;
    open.expect(201);
    assert_eq!(open.body["company_allowance"], Value::Null);
    let id = unset.body["id"].as_i64().unwrap();
    let r = patch(&app, id, &sales, &[], json!({"company_allowance": null})).await;
    r.expect(200);
    assert_eq!(r.body["company_allowance"], Value::Null);
    assert_eq!(row(&pool, id).await["company_allowance"], Value::Null);
    // Left out of a patch, it stays as it is; a value sets it again.
    let r = patch(&app, id, &sales, &[], json!({"message": "Hi"})).await;
    assert_eq!(r.body["company_allowance"], Value::Null);
    let r = patch(&app, id, &sales, &[], json!({"company_allowance": "12.5"})).await;
    assert_eq!(r.body["company_allowance"], "12.50");
    // Filters see the difference.
    let filter = enc(r#"[{"field":"company_allowance","op":"is_null"}]"#);
    let r = app.get(&format!("{LIST}?filter={filter}"), &sales).await;
    r.expect(200);
    assert_eq!(names(&r), ["Open"]);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn only_staff_create_and_only_for_their_own_distributor(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let (buyer, _) = app.login("acme_buyer").await;
    let (shopper, _) = app.login("acme_shopper").await;
    let (manager, _) = app.login("acme_manager").await;
    let (root, _) = app.login("root").await;
    let before = app.count("campaigns").await;

    app.post(LIST, Some(&buyer), json!({"name": "Nope"})).await.expect(403);
    app.post(LIST, Some(&shopper), json!({"name": "Nope"})).await.expect(403);
    let r = app.post(LIST, Some(&manager), json!({"name": "Nope", "distributor_id": w.globex})).await;
    r.expect(422);
    assert_eq!(fields_of(&r), ["distributor_id"]);
    let r = app.post(LIST, Some(&root), json!({"name": "Nope"})).await;
    r.expect(422);
    assert_eq!(r.body["errors"][0]["code"], "required");
    app.post(LIST, Some(&root), json!({"name": "Nope", "distributor_id": 999_999})).await.expect(422);
    assert_eq!(app.count("campaigns").await, before, "refused creates wrote nothing");

    // Staff may name their own distributor; a super admin names any.
    let own = create(&app, &manager, json!({"name": "Own", "distributor_id": w.acme})).await;
    let r = app.get(&url(own), &manager).await;
    assert_eq!(r.body["distributor_id"], w.acme);
    let r = app.post(LIST, Some(&root), json!({"name": "Root's", "distributor_id": w.globex})).await;
    r.expect(201);
    assert_eq!(r.body["distributor_id"], w.globex);
    assert_eq!(r.body["created_by"], id_of(&pool, "root").await);

    // Names are unique per distributor, case-insensitively.
    let r = app.post(LIST, Some(&manager), json!({"name": "  acme STORE "})).await;
    r.expect(409);
    assert!(r.body["detail"].as_str().unwrap().contains("already has a campaign named"), "{}", r.text);
    create(&app, &manager, json!({"name": "Root's"})).await;
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn invalid_settings_are_one_422_listing_every_field(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    World::build(&app).await;
    let (sales, _) = app.login("acme_sales").await;
    let before = app.count("campaigns").await;
    let body = json!({
        "name": " ",
        "start_date": "2027-04-01",
        "end_date": "2027-03-01",
        "company_allowance": "-1",
        "price_limit": "1.234",
        "bfl_cost": "99999999999",
        "items_count_limit": 0,
        "departments": ["Sales", "sales", ""],
        "checkout_fields": [
            {"name": "Size", "kind": "select", "options": []},
            {"name": "size", "kind": "text", "options": ["x"]},
            {"name": "Color", "kind": "select", "options": ["Red", "Red"]},
            {"name": "", "kind": "dropdown"}
        ]
    });
    let r = app.post(LIST, Some(&sales), body).await;
    r.expect(422);
    assert_eq!(
        fields_of(&r),
        [
            "bfl_cost",
            "checkout_fields[0].options",
            "checkout_fields[1].name",
            "checkout_fields[1].options",
            "checkout_fields[2].options[1]",
            "checkout_fields[3].kind",
            "checkout_fields[3].name",
            "company_allowance",
            "departments[1]",
            "departments[2]",
            "end_date",
            "items_count_limit",
            "name",
            "price_limit",
        ]
    );
    assert_eq!(r.body["detail"], "14 fields are invalid");
    let many: Vec<Value> = (0..51).map(|i| json!({"name": format!("f{i}"), "kind": "number"})).collect();
    let r = app.post(LIST, Some(&sales), json!({"name": "Many", "checkout_fields": many})).await;
    r.expect(422);
    assert_eq!(r.body["errors"][0]["code"], "too_many");
    // A body of the wrong shape is a 400.
    app.post(LIST, Some(&sales), json!({"name": "Bad", "company_allowance": true})).await.expect(400);
    assert_eq!(app.count("campaigns").await, before);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn reads_follow_each_roles_scope(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let shopper_id = id_of(&pool, "acme_shopper").await;
    let (sales, _) = app.login("acme_sales").await;
    let (shopper, _) = app.login("acme_shopper").await;
    let (buyer, _) = app.login("acme_buyer").await;
    let (globex, _) = app.login("globex_manager").await;
    let (root, _) = app.login("root").await;
    // A draft with the shopper as a member, and one without members.
    let draft = create(&app, &sales, json!({"name": "Draft with shopper"})).await;
    sqlx::query("INSERT INTO campaign_members (campaign_id, account_id, distributor_id) VALUES ($1, $2, $3)")
        .bind(draft)
        .bind(shopper_id)
        .bind(w.acme)
        .execute(&pool)
        .await
        .unwrap();
    create(&app, &sales, json!({"name": "Lonely draft"})).await;

    let list = |token: String| {
        let app = &app;
        async move {
            let r = app.get(&format!("{LIST}?count=exact"), &token).await;
            r.expect(200);
            assert_eq!(r.header("x-total-count"), Some(r.body.as_array().unwrap().len().to_string().as_str()));
            names(&r)
        }
    };
    assert_eq!(list(sales.clone()).await, ["Acme Store", "Draft with shopper", "Lonely draft"]);
    assert_eq!(list(root.clone()).await.len(), 4);
    assert_eq!(list(globex.clone()).await, ["Globex Store"]);
    assert_eq!(list(buyer.clone()).await, ["Acme Store"], "buyer: member campaigns only");
    // The admin buyer is a member of the draft too once added; a shopper never sees a draft.
    sqlx::query("INSERT INTO campaign_members (campaign_id, account_id, distributor_id) SELECT $1, id, $2 FROM accounts WHERE username = 'acme_buyer'")
        .bind(draft)
        .bind(w.acme)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(list(buyer.clone()).await, ["Acme Store", "Draft with shopper"]);
    assert_eq!(list(shopper.clone()).await, ["Acme Store"]);

    // Single reads: the same scope, 404 outside it.
    app.get(&url(w.acme_campaign), &globex).await.expect(404);
    app.get(&url(draft), &shopper).await.expect(404);
    app.get(&url(w.globex_campaign), &shopper).await.expect(404);
    app.get(&url(w.globex_campaign), &buyer).await.expect(404);
    app.get(&url(w.globex_campaign), &root).await.expect(200);

    // The shopper's defaults leave the staff-only fields out; naming them is 403.
    let r = app.get(&url(w.acme_campaign), &shopper).await;
    r.expect(200);
    for staff_only in ["bfl_cost", "distributor_po", "pick_pack_partner_id", "pick_pack_partner_message", "created_by"]
    {
        assert!(r.body.get(staff_only).is_none(), "{staff_only} leaks to a shopper: {}", r.text);
    }
    assert_eq!(r.body["message"], "Welcome");
    let staff_view = app.get(&url(w.acme_campaign), &sales).await;
    assert!(staff_view.body.get("bfl_cost").is_some());
    let r = app.get_with(&url(w.acme_campaign), &shopper, &[("X-Fields", "{id,bfl_cost}")]).await;
    r.expect(403);
    assert!(r.body["detail"].as_str().unwrap().contains("bfl_cost"));
    app.get(&format!("{LIST}?fields=id,distributor_po"), &buyer).await.expect(403);
    let filter = enc(r#"[{"field":"bfl_cost","op":">","value":"0"}]"#);
    app.get(&format!("{LIST}?filter={filter}"), &shopper).await.expect(403);
    app.get(&format!("{LIST}?filter={filter}"), &sales).await.expect(200);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn masks_load_locations_and_members_in_batches(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let (sales, _) = app.login("acme_sales").await;
    let (shopper, _) = app.login("acme_shopper").await;
    for (nickname, city) in [("HQ", "Austin"), ("Depot", "Boston")] {
        app.post(
            &format!("{}/locations", url(w.acme_campaign)),
            Some(&sales),
            json!({"nickname": nickname, "city": city}),
        )
        .await
        .expect(201);
    }
    let mask = "{id,name,status,locations{city},accounts{username}}";
    let r = app.get_with(LIST, &sales, &[("X-Fields", mask)]).await;
    r.expect(200);
    assert_eq!(
        r.body,
        json!([{
            "id": w.acme_campaign, "name": "Acme Store", "status": "active",
            "locations": [{"city": "Boston"}, {"city": "Austin"}],
            "accounts": [{"username": "acme_buyer"}, {"username": "acme_shopper"}]
        }]),
        "locations by nickname, members by username"
    );
    // The members relation is staff-only; locations are not.
    app.get_with(LIST, &shopper, &[("X-Fields", mask)]).await.expect(403);
    let r = app.get_with(&url(w.acme_campaign), &shopper, &[("X-Fields", "{id,name,locations{city}}")]).await;
    r.expect(200);
    assert_eq!(r.body["locations"].as_array().unwrap().len(), 2);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn writes_are_for_staff_of_the_campaigns_distributor(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let id = w.acme_campaign;
    let mut tokens = Vec::new();
    for who in ["acme_manager", "acme_sales", "root", "globex_manager", "globex_sales", "acme_buyer", "acme_shopper"] {
        tokens.push((who, app.login(who).await.0));
    }
    let before = row(&pool, id).await;
    for (who, token) in &tokens {
        let expected = match *who {
            "acme_manager" | "acme_sales" | "root" => continue,
            "acme_buyer" | "acme_shopper" => 403, // members: they can read it
            _ => 404,                             // another distributor: it does not exist
        };
        patch(&app, id, token, &[], json!({"message": "Hacked"})).await.expect(expected);
        status(&app, id, token, &[], "closed").await.expect(expected);
        delete(&app, id, token, &[]).await.expect(expected);
        app.post(&format!("{}/duplicate", url(id)), Some(token), json!({"name": "Copy"})).await.expect(expected);
    }
    assert_eq!(row(&pool, id).await, before, "refused writes changed nothing");
    assert_eq!(app.count("campaigns").await, 2);
    for (i, (_, token)) in tokens.iter().take(3).enumerate() {
        let r = patch(&app, id, token, &[], json!({"message": format!("Hello {i}")})).await;
        r.expect(200);
        assert_eq!(r.body["message"], format!("Hello {i}"));
    }
    // A buyer of the same distributor who is not a member cannot see a draft at all.
    let draft = create(&app, &tokens[1].1, json!({"name": "Draft"})).await;
    patch(&app, draft, &tokens[5].1, &[], json!({"message": "x"})).await.expect(404);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn the_lifecycle_moves_one_step_at_a_time_and_activation_needs_everything(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    World::build(&app).await;
    let (sales, _) = app.login("acme_sales").await;
    let id = create(&app, &sales, json!({"name": "Spring"})).await;

    // Activation lists everything missing at once; nothing changes.
    let before = row(&pool, id).await;
    let r = status(&app, id, &sales, &[], "active").await;
    r.expect(422);
    assert_eq!(fields_of(&r), ["company_name", "end_date", "message", "start_date"]);
    assert_eq!(row(&pool, id).await, before);
    // Invalid checkout definitions stored by other means are caught too.
    sqlx::query(
        r#"UPDATE campaigns SET checkout_fields = '[{"name":"Size","kind":"select","required":true,"options":[]}]' WHERE id = $1"#,
    )
    .bind(id)
    .execute(&pool)
    .await
    .unwrap();
    let r = status(&app, id, &sales, &[], "active").await;
    r.expect(422);
    assert!(fields_of(&r).contains(&"checkout_fields[0].options".to_owned()), "{}", r.text);
    sqlx::query("UPDATE campaigns SET checkout_fields = '[]' WHERE id = $1").bind(id).execute(&pool).await.unwrap();

    // Anything but the next step is a 409 naming it.
    for to in ["closed", "complete", "draft"] {
        let r = status(&app, id, &sales, &[], to).await;
        r.expect(409);
        assert!(r.body["detail"].as_str().unwrap().contains("only allowed next status is active"), "{}", r.text);
    }
    app.request(Method::POST, &format!("{}/status", url(id)), Some(&sales), &[], Some(json!({"to": "open"})))
        .await
        .expect(400);
    let v = row(&pool, id).await["version"].as_i64().unwrap();

    let r = patch(
        &app,
        id,
        &sales,
        &[],
        json!({"company_name": "Initech", "start_date": "2027-03-01", "end_date": "2027-03-31", "message": "Hi"}),
    )
    .await;
    r.expect(200);
    let etag = r.header("etag").unwrap().to_owned();
    // A stale If-Match is refused before anything else.
    status(&app, id, &sales, &[("If-Match", &format!("\"campaign-{id}-{v}\""))], "active").await.expect(412);
    let r = status(&app, id, &sales, &[("If-Match", &etag)], "active").await;
    r.expect(200);
    assert_eq!(r.body["status"], "active");
    assert_ne!(r.header("etag"), Some(etag.as_str()));

    let r = status(&app, id, &sales, &[], "complete").await;
    r.expect(409);
    assert!(r.body["detail"].as_str().unwrap().contains("only allowed next status is closed"));
    status(&app, id, &sales, &[], "draft").await.expect(409);
    status(&app, id, &sales, &[], "active").await.expect(409);
    status(&app, id, &sales, &[], "closed").await.expect(200);
    status(&app, id, &sales, &[], "complete").await.expect(200);
    for to in ["draft", "active", "closed", "complete"] {
        let r = status(&app, id, &sales, &[], to).await;
        r.expect(409);
        assert!(r.body["detail"].as_str().unwrap().contains("last status"), "{}", r.text);
    }
    assert_eq!(row(&pool, id).await["status"], "complete");
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn after_draft_only_the_message_fields_change(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let (sales, _) = app.login("acme_sales").await;
    let id = w.acme_campaign;
    let before = row(&pool, id).await;

    let r = patch(&app, id, &sales, &[], json!({"name": "Renamed", "message": "New", "bfl_cost": "2"})).await;
    r.expect(409);
    let detail = r.body["detail"].as_str().unwrap();
    assert!(detail.contains("refused: name, bfl_cost"), "{detail}");
    assert!(detail.contains("message, email_shopper, pick_pack_partner_message, distributor_po"), "{detail}");
    // An active campaign keeps what activation needed.
    let r = patch(&app, id, &sales, &[], json!({"message": " "})).await;
    r.expect(422);
    assert_eq!(fields_of(&r), ["message"]);
    app.request(Method::DELETE, &url(id), Some(&sales), &[], None).await.expect(409);
    assert_eq!(row(&pool, id).await, before, "nothing changed");

    // Sending a field's current value is not a change.
    let r = patch(
        &app,
        id,
        &sales,
        &[],
        json!({
            "name": "Acme Store", "message": "Welcome to spring", "email_shopper": true,
            "pick_pack_partner_message": "Fragile", "distributor_po": "PO-9"
        }),
    )
    .await;
    r.expect(200);
    assert_eq!(r.body["message"], "Welcome to spring");
    assert_eq!((r.body["distributor_po"].as_str(), r.body["email_shopper"].as_bool()), (Some("PO-9"), Some(true)));
    status(&app, id, &sales, &[], "closed").await.expect(200);
    patch(&app, id, &sales, &[], json!({"distributor_po": null})).await.expect(200);
    patch(&app, id, &sales, &[], json!({"end_date": "2099-01-01"})).await.expect(409);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn duplicate_copies_settings_and_locations_but_not_members(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let sales_id = id_of(&pool, "acme_sales").await;
    let (sales, _) = app.login("acme_sales").await;
    let source = create(&app, &sales, full("Initech spring")).await;
    let locations = format!("{}/locations", url(source));
    app.post(&locations, Some(&sales), json!({"nickname": "HQ", "city": "Austin", "country": "US"})).await.expect(201);
    app.post(&locations, Some(&sales), json!({"nickname": "Lab", "city": "Berlin", "country": "DE"})).await.expect(201);
    let member = id_of(&pool, "acme_shopper").await;
    app.post(&format!("{}/members", url(source)), Some(&sales), json!({"account_id": member})).await.expect(201);

    let r = app.post(&format!("{}/duplicate", url(source)), Some(&sales), json!({"name": "Initech autumn"})).await;
    r.expect(201);
    let copy = r.body["id"].as_i64().unwrap();
    assert_ne!(copy, source);
    assert_eq!(r.header("location"), Some(url(copy).as_str()));
    assert_eq!((r.body["name"].as_str(), r.body["status"].as_str()), (Some("Initech autumn"), Some("draft")));
    assert_eq!(r.body["created_by"], sales_id);
    let original = app.get(&url(source), &sales).await.body;
    for key in [
        "company_name",
        "start_date",
        "end_date",
        "storefront_pricing",
        "company_allowance",
        "personal_pay",
        "items_count_limit",
        "price_limit",
        "email_shopper",
        "checkout_fields",
        "departments",
        "message",
        "bfl_cost",
        "distributor_po",
        "pick_pack_partner_id",
        "pick_pack_partner_message",
        "distributor_id",
    ] {
        assert_eq!(r.body[key], original[key], "{key} is copied");
    }
    let mask = enc("{nickname,city,country,campaign_id}");
    let copied = app.get(&format!("{}/locations?fields={mask}", url(copy)), &sales).await;
    assert_eq!(
        copied.body,
        json!([
            {"nickname": "HQ", "city": "Austin", "country": "US", "campaign_id": copy},
            {"nickname": "Lab", "city": "Berlin", "country": "DE", "campaign_id": copy}
        ])
    );
    let members = app.get(&format!("{}/members", url(copy)), &sales).await;
    assert_eq!(members.body, json!([]), "members are not copied");

    // Duplicating an active campaign works the same; a taken name is a 409.
    let r =
        app.post(&format!("{}/duplicate", url(w.acme_campaign)), Some(&sales), json!({"name": "initech AUTUMN"})).await;
    r.expect(409);
    let r = app.post(&format!("{}/duplicate", url(w.acme_campaign)), Some(&sales), json!({"name": ""})).await;
    r.expect(422);
    let before = app.count("campaigns").await;
    app.post(&format!("{}/duplicate", url(w.acme_campaign)), Some(&sales), json!({"name": "Acme Store II"}))
        .await
        .expect(201);
    assert_eq!(app.count("campaigns").await, before + 1);
    app.post(&format!("{}/duplicate", url(999_999)), Some(&sales), json!({"name": "Ghost"})).await.expect(404);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn an_idempotency_key_replays_the_create(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    World::build(&app).await;
    let (sales, _) = app.login("acme_sales").await;
    let key = [("Idempotency-Key", "create-spring-1")];
    let body = json!({"name": "Spring"});
    let first = app.request(Method::POST, LIST, Some(&sales), &key, Some(body.clone())).await;
    first.expect(201);
    let again = app.request(Method::POST, LIST, Some(&sales), &key, Some(body)).await;
    again.expect(201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("location"), first.header("location"));
    app.request(Method::POST, LIST, Some(&sales), &key, Some(json!({"name": "Autumn"}))).await.expect(422);
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM campaigns WHERE name IN ('Spring', 'Autumn')")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn shoppers_log_in_only_while_a_campaign_of_theirs_is_open(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    // The World's shoppers are members of an open campaign.
    app.login_as("acme_shopper", PASSWORD).await.expect(200);

    let ann = app.account("ann", Role::Shopper, Some(w.acme)).await;
    let refused = app.login_as("ann", PASSWORD).await;
    refused.expect(403);
    assert!(refused.body["detail"].as_str().unwrap().starts_with("no active campaign"), "{}", refused.text);
    assert_eq!(
        sqlx::query_scalar::<_, Option<chrono::DateTime<chrono::Utc>>>(
            "SELECT last_login_at FROM accounts WHERE id = $1"
        )
        .bind(ann)
        .fetch_one(&pool)
        .await
        .unwrap(),
        None,
        "a refused login is not recorded"
    );
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM refresh_tokens WHERE account_id = $1")
        .bind(ann)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(sessions, 0);

    // A member of campaigns that are not open today: still refused.
    let join = |campaign: i64| {
        let pool = pool.clone();
        async move {
            sqlx::query("INSERT INTO campaign_members (campaign_id, account_id, distributor_id) VALUES ($1, $2, $3)")
                .bind(campaign)
                .bind(ann)
                .bind(w.acme)
                .execute(&pool)
                .await
                .unwrap();
        }
    };
    let campaign = |name: &'static str, status: &'static str, start: i32, end: i32| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO campaigns (distributor_id, name, status, start_date, end_date) \
                 VALUES ($1, $2, $3, (now() AT TIME ZONE 'UTC')::date + $4, (now() AT TIME ZONE 'UTC')::date + $5) \
                 RETURNING id",
            )
            .bind(w.acme)
            .bind(name)
            .bind(status)
            .bind(start)
            .bind(end)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    join(campaign("Draft now", "draft", -1, 1).await).await;
    join(campaign("Ended", "active", -10, -1).await).await;
    join(campaign("Not yet", "active", 1, 10).await).await;
    join(campaign("Closed now", "closed", -1, 1).await).await;
    app.login_as("ann", PASSWORD).await.expect(403);
    // One open today (the bounds are inclusive) lets the shopper in.
    join(campaign("Today only", "active", 0, 0).await).await;
    app.login_as("ann", PASSWORD).await.expect(200);

    // The rule is for shoppers: a buyer without any campaign logs in.
    app.account("bea", Role::AdminBuyer, Some(w.acme)).await;
    app.login_as("bea", PASSWORD).await.expect(200);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn the_pick_pack_partner_is_an_active_pick_pack_vendor_of_the_distributor(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let (sales, _) = app.login("acme_sales").await;
    let (root, _) = app.login("root").await;
    let packer = app.vendor(w.acme, "Packers", &["pick_pack"]).await;
    let supplier = app.vendor(w.acme, "Supplier", &["supplier"]).await;
    let retired = app.vendor(w.acme, "Old Packers", &["pick_pack"]).await;
    sqlx::query("UPDATE vendors SET is_active = FALSE WHERE id = $1").bind(retired).execute(&pool).await.unwrap();
    let foreign = app.vendor(w.globex, "Globex Packers", &["pick_pack"]).await;

    // Not a pick/pack vendor, retired, another distributor's, absent: one 422 each, nothing written.
    let before = app.count("campaigns").await;
    for partner in [supplier, retired, foreign, 999_999] {
        let r = app.post(LIST, Some(&sales), json!({"name": "Packed", "pick_pack_partner_id": partner})).await;
        r.expect(422);
        assert_eq!(fields_of(&r), ["pick_pack_partner_id"], "{}", r.text);
        assert!(r.body["errors"][0]["message"].as_str().unwrap().starts_with("no such pick/pack partner"));
    }
    let r = app
        .post(LIST, Some(&root), json!({"name": "Packed", "distributor_id": w.globex, "pick_pack_partner_id": packer}))
        .await;
    r.expect(422);
    assert_eq!(fields_of(&r), ["pick_pack_partner_id"]);
    assert_eq!(app.count("campaigns").await, before, "refused creates wrote nothing");

    let id = create(&app, &sales, json!({"name": "Packed", "pick_pack_partner_id": packer})).await;
    let r = app
        .post(
            LIST,
            Some(&root),
            json!({"name": "Globex packed", "distributor_id": w.globex, "pick_pack_partner_id": foreign}),
        )
        .await;
    r.expect(201);
    assert_eq!(r.body["pick_pack_partner_id"], foreign);

    // Edits are checked the same way.
    let before = row(&pool, id).await;
    for partner in [supplier, retired, foreign, 999_999] {
        let r = patch(&app, id, &sales, &[], json!({"pick_pack_partner_id": partner})).await;
        r.expect(422);
        assert_eq!(fields_of(&r), ["pick_pack_partner_id"], "{}", r.text);
    }
    assert_eq!(row(&pool, id).await, before, "refused edits changed nothing");
    let r = patch(&app, id, &sales, &[], json!({"pick_pack_partner_id": null})).await;
    r.expect(200);
    assert!(r.body["pick_pack_partner_id"].is_null());
    let r = patch(&app, id, &sales, &[], json!({"pick_pack_partner_id": packer})).await;
    r.expect(200);
    assert_eq!(r.body["pick_pack_partner_id"], packer);
    // Keeping a partner that retired since is not a change, so it is not refused.
    sqlx::query("UPDATE vendors SET is_active = FALSE WHERE id = $1").bind(packer).execute(&pool).await.unwrap();
    let r = patch(&app, id, &sales, &[], json!({"pick_pack_partner_id": packer, "message": "Hi"})).await;
    r.expect(200);
    assert_eq!(r.body["message"], "Hi");
}
