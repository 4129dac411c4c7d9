//! Orders, the staff side: the status machine and who takes each step, item
//! edits that keep the money exact (with their dry run), notes with their
//! earlier texts, and a history the database will not let anyone rewrite.
//! The money is reconciled after every step, also when requests race and
//! over sampled sequences of edits and cancellations.

use crate::helpers::{Resp, TestApp, World};
use crate::matrix_kit::fingerprint;
use poem::http::Method;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::{Value, json};
use sqlx::PgPool;

fn order_url(id: i64) -> String {
    format!("/api/v1/orders/{id}")
}

/// Another size of the product of campaign item `item`: a second variant
/// and its campaign item, priced 7.70; returns the new item's id.
async fn another_size(app: &TestApp, item: i64, tag: i64) -> i64 {
    sqlx::query_scalar(
        "WITH i AS (SELECT * FROM campaign_items WHERE id = $1), \
              x AS (INSERT INTO product_variants (distributor_id, product_id, supplier_id, vendor_cost, value_ids, sku) \
                    SELECT distributor_id, product_id, supplier_id, 5.00, ARRAY[$2::int8], sku || '-' || $2 FROM i \
                    RETURNING id) \
         INSERT INTO campaign_items (campaign_id, distributor_id, product_variant_id, vendor_cost, margin, sku, \
                                     product_id, product_name, product_type_name, item_number, description, \
                                     attributes, supplier_id, supplier_name, supplier_email, supplier_address, \
                                     total, price, frozen_at) \
         SELECT i.campaign_id, i.distributor_id, x.id, 5.00, 35, i.sku || '-' || $2, i.product_id, i.product_name, \
                i.product_type_name, i.item_number, i.description, i.attributes, i.supplier_id, i.supplier_name, \
                i.supplier_email, i.supplier_address, 5.00, 7.70, now() \
         FROM i, x RETURNING id",
    )
    .bind(item)
    .bind(tag)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// The shopper puts `lines` (item, quantity) in the basket and checks out;
/// returns the order's id.
async fn place(app: &TestApp, shopper: &str, campaign: i64, lines: &[(i64, i64)], key: &str) -> i64 {
    for (item, quantity) in lines {
        let url = format!("/api/v1/storefront/campaigns/{campaign}/basket/items/{item}");
        app.request(Method::PUT, &url, Some(shopper), &[], Some(json!({ "quantity": quantity }))).await.expect(200);
    }
    let url = format!("/api/v1/storefront/campaigns/{campaign}/checkout");
    let r = app.request(Method::POST, &url, Some(shopper), &[("Idempotency-Key", key)], Some(json!({}))).await;
    r.expect(201);
    r.body["id"].as_i64().unwrap()
}

async fn transition(app: &TestApp, token: &str, order: i64, to: &str, tag: Option<&str>) -> Resp {
    let headers: Vec<(&str, &str)> = tag.map(|t| vec![("If-Match", t)]).unwrap_or_default();
    let url = format!("{}/transitions", order_url(order));
    app.request(Method::POST, &url, Some(token), &headers, Some(json!({ "to": to }))).await
}

async fn edit(app: &TestApp, token: &str, order: i64, query: &str, tag: Option<&str>, lines: Value) -> Resp {
    let headers: Vec<(&str, &str)> = tag.map(|t| vec![("If-Match", t)]).unwrap_or_default();
    let url = format!("{}/edits{query}", order_url(order));
    app.request(Method::POST, &url, Some(token), &headers, Some(json!({ "lines": lines }))).await
}

/// The order's lines as (id, item, quantity, unit price).
async fn lines(app: &TestApp, order: i64) -> Vec<(i64, i64, i32, String)> {
    sqlx::query_as(
        "SELECT id, campaign_item_id, quantity, unit_price::text FROM order_items WHERE order_id = $1 ORDER BY id",
    )
    .bind(order)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

/// Every money rule the database can be asked about holds: each order's
/// lines add up to its subtotal and units; per shopper and campaign the
/// ledger adds up to the allowance the non-cancelled orders applied; each
/// order's own entries add up to what it applied (0 once cancelled); the
/// newest balance is the allowance minus the ledger; nobody has spent more
/// than their allowance.
async fn assert_money_reconciles(app: &TestApp) {
    let problems: Vec<String> = sqlx::query_scalar(
        "SELECT 'order ' || o.id || ' lines' FROM orders o JOIN order_items i ON i.order_id = o.id \
         GROUP BY o.id HAVING sum(i.line_total) <> o.subtotal OR sum(i.quantity) <> o.items_count \
         UNION ALL \
         SELECT 'order ' || o.id || ' ledger' FROM orders o \
         LEFT JOIN (SELECT order_id, sum(amount) AS a FROM allowance_ledger GROUP BY 1) l ON l.order_id = o.id \
         WHERE coalesce(l.a, -1) <> CASE WHEN o.status = 'cancelled' THEN 0 ELSE o.allowance_applied END \
         UNION ALL \
         SELECT 'shopper ' || s.account_id || ' campaign ' || s.campaign_id FROM ( \
           SELECT l.account_id, l.campaign_id, sum(l.amount) AS used, \
                  (array_agg(l.balance ORDER BY l.id DESC))[1] AS last_balance, c.company_allowance \
           FROM allowance_ledger l JOIN campaigns c ON c.id = l.campaign_id GROUP BY 1, 2, c.company_allowance) s \
         LEFT JOIN (SELECT account_id, campaign_id, sum(allowance_applied) AS a FROM orders \
                    WHERE status <> 'cancelled' GROUP BY 1, 2) o USING (account_id, campaign_id) \
         WHERE s.used <> coalesce(o.a, 0) \
            OR s.last_balance IS DISTINCT FROM greatest(s.company_allowance - s.used, 0) \
            OR s.used > coalesce(s.company_allowance, s.used)",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(problems.is_empty(), "money does not reconcile: {problems:?}");
}

/// The kinds and actors of the order's events, oldest first.
async fn history(app: &TestApp, token: &str, order: i64) -> Vec<(String, Value)> {
    let r = app.get(&format!("{}/events?page_size=100", order_url(order)), token).await;
    r.expect(200);
    r.body.as_array().unwrap().iter().map(|e| (e["kind"].as_str().unwrap().to_owned(), e["actor_id"].clone())).collect()
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn from_checkout_to_delivery_every_step_is_recorded_with_its_actor(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let c = w.acme_campaign;
    let tee = app.offer_product(w.acme, c, None).await;
    let tee_l = another_size(&app, tee, 1).await;
    app.configure(c, "company_allowance = 10.00, personal_pay = TRUE").await;
    let (shopper, _) = app.login("acme_shopper").await;
    let (buyer, _) = app.login("acme_buyer").await;
    let (sales, _) = app.login("acme_sales").await;
    let (shopper_id, buyer_id, sales_id) = (
        crate::helpers::id_of(&app.pool, "acme_shopper").await,
        crate::helpers::id_of(&app.pool, "acme_buyer").await,
        crate::helpers::id_of(&app.pool, "acme_sales").await,
    );

    // 2 × 6.31 = 12.62: 10.00 from the allowance, 2.62 from payroll.
    let order = place(&app, &shopper, c, &[(tee, 2)], "flow").await;
    let line = lines(&app, order).await[0].0;
    let read = app.get(&order_url(order), &sales).await;
    read.expect(200);
    let tag = read.header("etag").unwrap().to_owned();

    // The preview: the size swapped at its own price, the new split, and
    // nothing written.
    let before = fingerprint(&app.pool, &app.state.cache).await;
    let swap = json!([{ "id": line, "campaign_item_id": tee_l }]);
    let r = edit(&app, &sales, order, "?dry_run=true", Some(&tag), swap.clone()).await;
    r.expect(200);
    assert_eq!(r.body["dry_run"], true);
    assert_eq!(r.header("etag"), None);
    assert_eq!(
        r.body["before"],
        json!({"items_count": 2, "subtotal": "12.62", "allowance_applied": "10.00", "payroll_deduction": "2.62"})
    );
    assert_eq!(
        r.body["after"],
        json!({"items_count": 2, "subtotal": "15.40", "allowance_applied": "10.00", "payroll_deduction": "5.40"})
    );
    assert_eq!(r.body["order"]["subtotal"], "15.40");
    assert_eq!(fingerprint(&app.pool, &app.state.cache).await, before, "a dry run wrote something");

    // The edit itself: the same figures, and a new ETag.
    let r = edit(&app, &sales, order, "", Some(&tag), swap).await;
    r.expect(200);
    assert_eq!(r.body["dry_run"], false);
    assert_eq!(r.body["after"]["payroll_deduction"], "5.40");
    let tag = r.header("etag").unwrap().to_owned();
    assert_eq!(lines(&app, order).await, vec![(line, tee_l, 2, "7.70".to_owned())]);
    // The old tag is stale now.
    let stale = edit(&app, &sales, order, "", read.header("etag"), json!([{ "id": line, "quantity": 1 }])).await;
    stale.expect(412);

    // A cut gives allowance back: 7.70 is all allowance now.
    let r = edit(&app, &sales, order, "", Some(&tag), json!([{ "id": line, "quantity": 1 }])).await;
    r.expect(200);
    assert_eq!(
        r.body["after"],
        json!({"items_count": 1, "subtotal": "7.70", "allowance_applied": "7.70", "payroll_deduction": "0.00"})
    );
    assert_money_reconciles(&app).await;

    // The admin buyer approves; items are fixed from then on.
    let r = transition(&app, &buyer, order, "approved", None).await;
    r.expect(200);
    assert_eq!(r.body["status"], "approved");
    let r = edit(&app, &sales, order, "", None, json!([{ "id": line, "quantity": 2 }])).await;
    r.expect(409);

    // A note, edited: its earlier text is kept.
    let url = format!("{}/notes", order_url(order));
    let r = app
        .request(Method::POST, &url, Some(&buyer), &[("Idempotency-Key", "n1")], Some(json!({"body": "rush"})))
        .await;
    r.expect(201);
    let note = r.body["id"].as_i64().unwrap();
    let note_tag = r.header("etag").unwrap().to_owned();
    let note_url = format!("{url}/{note}");
    let r = app
        .request(
            Method::PATCH,
            &note_url,
            Some(&sales),
            &[("If-Match", &note_tag)],
            Some(json!({"body": "rush, by Friday"})),
        )
        .await;
    r.expect(200);
    assert_eq!(r.body["body"], "rush, by Friday");
    let r = app.get_with(&note_url, &buyer, &[("X-Fields", "{body,edited_by,versions{body,written_by}}")]).await;
    r.expect(200);
    assert_eq!(r.body["versions"], json!([{"body": "rush", "written_by": buyer_id}]));
    assert_eq!(r.body["edited_by"], sales_id);
    // The shopper sees the order but not its notes.
    app.get(&url, &shopper).await.expect(403);

    // Only staff ship; the buyer's attempt is 403, a skipped step 409.
    transition(&app, &buyer, order, "ordered", None).await.expect(403);
    let r = transition(&app, &sales, order, "shipped", None).await;
    r.expect(409);
    assert_eq!(r.body["amounts"]["allowed"], json!(["ordered", "cancelled"]));
    for to in ["ordered", "shipped", "delivered"] {
        transition(&app, &sales, order, to, None).await.expect(200);
    }
    let r = transition(&app, &sales, order, "cancelled", None).await;
    r.expect(409);
    assert_eq!(r.body["amounts"]["allowed"], json!([]));

    // The history: every step, with who took it.
    let staff = history(&app, &sales, order).await;
    let expected = [
        ("created", shopper_id),
        ("items_edited", sales_id),
        ("items_edited", sales_id),
        ("status_changed", buyer_id),
        ("note_added", buyer_id),
        ("note_edited", sales_id),
        ("status_changed", sales_id),
        ("status_changed", sales_id),
        ("status_changed", sales_id),
    ];
    let expected: Vec<(String, Value)> = expected.iter().map(|(k, a)| ((*k).to_owned(), json!(a))).collect();
    assert_eq!(staff, expected);
    // The shopper's view leaves the note events out.
    let own: Vec<String> = history(&app, &shopper, order).await.into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        own,
        [
            "created",
            "items_edited",
            "items_edited",
            "status_changed",
            "status_changed",
            "status_changed",
            "status_changed"
        ]
    );
    // The order as placed stays readable: the first event's lines.
    let r = app
        .get_with(
            &format!(
                "{}/events?filter={}",
                order_url(order),
                crate::helpers::enc(r#"[{"field":"kind","op":"==","value":"created"}]"#)
            ),
            &sales,
            &[("X-Fields", "{data}")],
        )
        .await;
    r.expect(200);
    let placed = &r.body[0]["data"];
    assert_eq!(placed["subtotal"], "12.62");
    assert_eq!(placed["lines"][0]["campaign_item_id"], tee);
    assert_eq!(placed["lines"][0]["quantity"], 2);
    // And the edit event says what changed, before and after.
    let r = app
        .get_with(
            &format!("{}?page_size=100", format_args!("{}/events", order_url(order))),
            &sales,
            &[("X-Fields", "{kind,data}")],
        )
        .await;
    let swap = &r.body[1]["data"];
    assert_eq!(swap["before"]["lines"][0]["campaign_item_id"], tee);
    assert_eq!(swap["after"]["lines"][0]["campaign_item_id"], tee_l);
    assert_eq!(swap["after"]["totals"]["subtotal"], "15.40");
    // Relations on the order: its events, notes and shopper in one read.
    let r = app
        .get_with(&order_url(order), &sales, &[("X-Fields", "{status,account{username},notes{body},events{kind}}")])
        .await;
    r.expect(200);
    assert_eq!(r.body["status"], "delivered");
    assert_eq!(r.body["account"]["username"], "acme_shopper");
    assert_eq!(r.body["notes"], json!([{"body": "rush, by Friday"}]));
    assert_eq!(r.body["events"].as_array().unwrap().len(), 9);
    assert_money_reconciles(&app).await;
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn cancelling_gives_the_allowance_back_and_is_taken_by_whom_the_rules_say(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let c = w.acme_campaign;
    let tee = app.offer_product(w.acme, c, None).await;
    app.configure(c, "company_allowance = 10.00, personal_pay = TRUE, items_count_limit = 3").await;
    let (shopper, _) = app.login("acme_shopper").await;
    let (buyer, _) = app.login("acme_buyer").await;
    let (sales, _) = app.login("acme_sales").await;

    // The shopper cancels their own processing order: allowance and units back.
    let first = place(&app, &shopper, c, &[(tee, 3)], "one").await;
    let r = transition(&app, &shopper, first, "cancelled", None).await;
    r.expect(200);
    assert_eq!(r.body["status"], "cancelled");
    let used: String =
        sqlx::query_scalar("SELECT sum(amount)::text FROM allowance_ledger").fetch_one(&app.pool).await.unwrap();
    assert_eq!(used, "0.00");
    assert_money_reconciles(&app).await;
    // The limit counts only live orders: three more units fit.
    let second = place(&app, &shopper, c, &[(tee, 3)], "two").await;

    // Approved: the shopper may no longer cancel; the buyer may.
    transition(&app, &sales, second, "approved", None).await.expect(200);
    let r = transition(&app, &shopper, second, "cancelled", None).await;
    r.expect(403);
    assert!(r.body["detail"].as_str().unwrap().contains("only while"), "{}", r.text);
    // The shopper may not approve either; the machine's own refusals are 409.
    transition(&app, &shopper, second, "approved", None).await.expect(409);
    transition(&app, &buyer, second, "cancelled", None).await.expect(200);
    transition(&app, &buyer, second, "approved", None).await.expect(409);
    assert_money_reconciles(&app).await;
    let kinds: Vec<String> =
        sqlx::query_scalar("SELECT kind FROM allowance_ledger ORDER BY id").fetch_all(&app.pool).await.unwrap();
    assert_eq!(kinds, ["checkout", "cancellation", "checkout", "cancellation"]);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn bad_edits_and_strangers_change_nothing_and_learn_nothing(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let c = w.acme_campaign;
    let tee = app.offer_product(w.acme, c, None).await;
    let mug = app.offer_product(w.acme, c, None).await;
    let tee_l = another_size(&app, tee, 1).await;
    let globex_item = app.offer_product(w.globex, w.globex_campaign, None).await;
    app.configure(c, "company_allowance = 20.00, personal_pay = FALSE, items_count_limit = 4").await;
    let (shopper, _) = app.login("acme_shopper").await;
    let (buyer, _) = app.login("acme_buyer").await;
    let (sales, _) = app.login("acme_sales").await;
    let (globex, _) = app.login("globex_manager").await;
    let order = place(&app, &shopper, c, &[(tee, 1), (mug, 1)], "o").await;
    let ls = lines(&app, order).await;
    let (tee_line, mug_line) = (ls[0].0, ls[1].0);

    let before = fingerprint(&app.pool, &app.state.cache).await;
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!([{ "id": tee_line, "quantity": 4 }]), 422, "items_count_limit_exceeded"),
        // 3 × 7.70 = 23.10 is past the 20.00 allowance, and this campaign has no payroll deduction.
        (json!([{ "id": tee_line, "campaign_item_id": tee_l, "quantity": 3 }]), 422, "allowance_exceeded"),
        (json!([{ "id": tee_line, "campaign_item_id": mug }]), 422, "other_product"),
        (json!([{ "id": 987_654_321, "quantity": 1 }]), 422, "not_found"),
        (json!([{ "campaign_item_id": globex_item, "quantity": 1 }]), 422, "not_found"),
        (json!([{ "campaign_item_id": mug, "quantity": 1 }]), 422, "duplicate_item"),
        (json!([{ "id": tee_line, "quantity": 0 }, { "id": mug_line, "quantity": 0 }]), 422, "empty"),
        (json!([{ "id": tee_line, "quantity": 1 }, { "id": tee_line, "quantity": 2 }]), 422, "duplicate"),
        (json!([{ "id": tee_line, "quantity": 10_001 }]), 422, "out_of_range"),
        (json!([{ "id": tee_line }]), 422, "required"),
        (json!([]), 422, "length"),
    ];
    for (changes, status, code) in cases {
        let r = edit(&app, &sales, order, "", None, changes.clone()).await;
        r.expect(status);
        let codes: Vec<&str> =
            r.body["errors"].as_array().unwrap().iter().map(|e| e["code"].as_str().unwrap()).collect();
        assert!(codes.contains(&code), "{changes}: {}", r.text);
        // A dry run refuses the same way.
        edit(&app, &sales, order, "?dry_run=true", None, changes).await.expect(status);
    }
    // Not staff: 403 for those who see the order, 404 for another distributor.
    let fine = json!([{ "id": tee_line, "quantity": 2 }]);
    edit(&app, &buyer, order, "", None, fine.clone()).await.expect(403);
    edit(&app, &shopper, order, "", None, fine.clone()).await.expect(403);
    let hidden = edit(&app, &globex, order, "", None, fine.clone()).await;
    hidden.expect(404);
    let ghost = edit(&app, &globex, 987_654_321, "", None, fine.clone()).await;
    assert_eq!(hidden.body["detail"], ghost.body["detail"]);
    transition(&app, &globex, order, "approved", None).await.expect(404);
    let notes = format!("{}/notes", order_url(order));
    app.request(Method::POST, &notes, Some(&globex), &[("Idempotency-Key", "g")], Some(json!({"body": "x"})))
        .await
        .expect(404);
    app.get(&notes, &globex).await.expect(404);
    app.get(&format!("{}/events", order_url(order)), &globex).await.expect(404);
    // Bad notes and transitions.
    app.request(Method::POST, &notes, Some(&sales), &[("Idempotency-Key", "b")], Some(json!({"body": "  "})))
        .await
        .expect(422);
    let url = format!("{}/transitions", order_url(order));
    app.request(Method::POST, &url, Some(&sales), &[], Some(json!({"to": "lost"}))).await.expect(400);
    app.request(
        Method::POST,
        &url,
        Some(&sales),
        &[("If-Match", &format!("\"order-{order}-99\""))],
        Some(json!({"to": "approved"})),
    )
    .await
    .expect(412);
    assert_eq!(fingerprint(&app.pool, &app.state.cache).await, before, "a refused request changed something");

    // The same edit within the rules goes through, and an edit that
    // changes nothing writes nothing.
    edit(&app, &sales, order, "", None, fine).await.expect(200);
    let after = fingerprint(&app.pool, &app.state.cache).await;
    edit(&app, &sales, order, "", None, json!([{ "id": tee_line, "quantity": 2 }])).await.expect(200);
    assert_eq!(fingerprint(&app.pool, &app.state.cache).await, after);
    assert_money_reconciles(&app).await;
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn the_history_cannot_be_rewritten(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let c = w.acme_campaign;
    let tee = app.offer_product(w.acme, c, None).await;
    let (shopper, _) = app.login("acme_shopper").await;
    let (sales, _) = app.login("acme_sales").await;
    app.configure(c, "company_allowance = NULL").await;
    let order = place(&app, &shopper, c, &[(tee, 1)], "h").await;
    let url = format!("{}/notes", order_url(order));
    let r =
        app.request(Method::POST, &url, Some(&sales), &[("Idempotency-Key", "n")], Some(json!({"body": "a"}))).await;
    let note = r.body["id"].as_i64().unwrap();
    app.request(Method::PATCH, &format!("{url}/{note}"), Some(&sales), &[], Some(json!({"body": "b"})))
        .await
        .expect(200);
    app.request(Method::DELETE, &format!("{url}/{note}"), Some(&sales), &[], None).await.expect(204);
    app.get(&format!("{url}/{note}"), &sales).await.expect(404);

    for sql in [
        "UPDATE order_events SET message = 'nothing happened'",
        "DELETE FROM order_events",
        "UPDATE allowance_ledger SET amount = 0",
        "DELETE FROM allowance_ledger",
        "UPDATE order_note_versions SET body = 'c'",
        "DELETE FROM order_note_versions",
        "DELETE FROM orders",
    ] {
        let e = sqlx::query(sql).execute(&app.pool).await.expect_err(sql);
        assert!(e.to_string().contains("append-only") || e.to_string().contains("foreign key"), "{sql}: {e}");
    }
    // The deleted note's text stays in its event.
    let body: String = sqlx::query_scalar("SELECT data->>'body' FROM order_events WHERE kind = 'note_deleted'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(body, "b");
    // Through the API, deleting the shopper or the staff member who acted is
    // a 409 that says to deactivate instead, and changes nothing.
    let (root, _) = app.login("root").await;
    for who in ["acme_shopper", "acme_sales"] {
        let id = crate::helpers::id_of(&app.pool, who).await;
        let url = format!("/api/v1/organization/accounts/{id}");
        let r = app.request(Method::DELETE, &url, Some(&root), &[], None).await;
        r.expect(409);
        assert!(r.text.contains("deactivate"), "{who}: {}", r.text);
    }
    // The acting account cannot be deleted from under its events.
    let sales_id = crate::helpers::id_of(&app.pool, "acme_sales").await;
    let e =
        sqlx::query("DELETE FROM accounts WHERE id = $1").bind(sales_id).execute(&app.pool).await.expect_err("delete");
    assert!(e.to_string().contains("foreign key"), "{e}");
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn racing_edits_transitions_and_checkouts_keep_the_rules(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let c = w.acme_campaign;
    let tee = app.offer_product(w.acme, c, None).await;
    app.configure(c, "company_allowance = 30.00, personal_pay = TRUE, items_count_limit = 12").await;
    let (shopper, _) = app.login("acme_shopper").await;
    let (sales, _) = app.login("acme_sales").await;
    let order = place(&app, &shopper, c, &[(tee, 2)], "first").await;
    let line = lines(&app, order).await[0].0;

    // Two edits with the same If-Match: one wins, the other gets 412.
    let tag = app.get(&order_url(order), &sales).await.header("etag").unwrap().to_owned();
    let (a, b) = tokio::join!(
        edit(&app, &sales, order, "", Some(&tag), json!([{ "id": line, "quantity": 3 }])),
        edit(&app, &sales, order, "", Some(&tag), json!([{ "id": line, "quantity": 1 }])),
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412]);

    // 64 at once: staff raising the order by one unit each, and the shopper
    // checking out more. The units limit holds over both, and the money
    // reconciles to the cent.
    let flows = (0..64).map(|i| {
        let (app, sales, shopper) = (&app, &sales, &shopper);
        async move {
            if i % 2 == 0 {
                let current = lines(app, order).await[0].2;
                edit(app, sales, order, "", None, json!([{ "id": line, "quantity": current + 1 }]))
                    .await
                    .status
                    .as_u16()
            } else {
                let url = format!("/api/v1/storefront/campaigns/{c}/basket/items/{tee}");
                app.request(Method::PUT, &url, Some(shopper), &[], Some(json!({ "quantity": 1 }))).await;
                let url = format!("/api/v1/storefront/campaigns/{c}/checkout");
                let key = format!("race-{i}");
                app.request(Method::POST, &url, Some(shopper), &[("Idempotency-Key", &key)], Some(json!({})))
                    .await
                    .status
                    .as_u16()
            }
        }
    });
    let results = futures_util::future::join_all(flows).await;
    assert!(results.iter().all(|s| matches!(s, 200 | 201 | 422)), "{results:?}");
    let units: i64 = sqlx::query_scalar("SELECT sum(items_count)::int8 FROM orders WHERE status <> 'cancelled'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(units <= 12, "{units} units past the limit of 12");
    assert_money_reconciles(&app).await;
}

/// One step of a sampled sequence.
#[derive(Debug, Clone)]
enum Step {
    /// Set line `n % lines` to `quantity` (0 removes it).
    Quantity(usize, i64),
    /// Swap line `n % lines` to the other size of its product.
    Swap(usize),
    /// Add the item `n % items` with `quantity`.
    Add(usize, i64),
    Approve,
    Cancel,
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    use proptest::prelude::*;
    let step = prop_oneof![
        3 => (0..4usize, 0..5i64).prop_map(|(n, q)| Step::Quantity(n, q)),
        2 => (0..4usize).prop_map(Step::Swap),
        2 => (0..4usize, 1..4i64).prop_map(|(n, q)| Step::Add(n, q)),
        1 => Just(Step::Approve),
        1 => Just(Step::Cancel),
    ];
    proptest::collection::vec(step, 1..8)
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn any_sequence_of_edits_and_cancellations_keeps_ledger_and_orders_equal(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let c = w.acme_campaign;
    // Two products in two sizes each; the sizes are priced 6.31 and 7.70.
    let small = [app.offer_product(w.acme, c, None).await, app.offer_product(w.acme, c, None).await];
    let large = [another_size(&app, small[0], 1).await, another_size(&app, small[1], 2).await];
    let items = [small[0], small[1], large[0], large[1]];
    let other_size = |item: i64| match items.iter().position(|&i| i == item) {
        Some(p) => items[(p + 2) % 4],
        None => item,
    };
    app.configure(c, "company_allowance = 25.00, personal_pay = TRUE, items_count_limit = 14").await;
    let (shopper, _) = app.login("acme_shopper").await;
    let (sales, _) = app.login("acme_sales").await;

    let mut runner = TestRunner::deterministic();
    let strategy = steps();
    let mut written = 0;
    for case in 0..12 {
        let sequence = strategy.new_tree(&mut runner).unwrap().current();
        let order =
            place(&app, &shopper, c, &[(items[case % 2], 1 + (case as i64 % 2))], &format!("case-{case}")).await;
        for step in &sequence {
            let current = lines(&app, order).await;
            let pick = |n: usize| &current[n % current.len()];
            let r = match step {
                Step::Quantity(n, q) => {
                    edit(&app, &sales, order, "", None, json!([{ "id": pick(*n).0, "quantity": q }])).await
                }
                Step::Swap(n) => {
                    let (id, item, _, _) = pick(*n);
                    edit(&app, &sales, order, "", None, json!([{ "id": id, "campaign_item_id": other_size(*item) }]))
                        .await
                }
                Step::Add(n, q) => {
                    edit(&app, &sales, order, "", None, json!([{ "campaign_item_id": items[n % 4], "quantity": q }]))
                        .await
                }
                Step::Approve => transition(&app, &sales, order, "approved", None).await,
                Step::Cancel => transition(&app, &sales, order, "cancelled", None).await,
            };
            // Refusals are part of the property: a limit, an empty order, a
            // duplicate line, a status that no longer allows the step.
            assert!(matches!(r.status.as_u16(), 200 | 409 | 422), "{step:?}: {}", r.text);
            written += usize::from(r.status.as_u16() == 200);
            assert_money_reconciles(&app).await;
        }
        let units: i64 =
            sqlx::query_scalar("SELECT coalesce(sum(items_count), 0)::int8 FROM orders WHERE status <> 'cancelled'")
                .fetch_one(&app.pool)
                .await
                .unwrap();
        assert!(units <= 14, "case {case} {sequence:?}: {units} units past the limit");
        // The next case starts without live orders (this one is processing,
        // approved or cancelled already).
        let r = transition(&app, &sales, order, "cancelled", None).await;
        assert!(matches!(r.status.as_u16(), 200 | 409), "{}", r.text);
        assert_money_reconciles(&app).await;
    }
    // The samples must exercise the writes, not only the refusals.
    assert!(written >= 20, "only {written} steps were written");
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn orders_are_found_by_their_checkout_values(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let c = w.acme_campaign;
    let tee = app.offer_product(w.acme, c, None).await;
    app.configure(
        c,
        "company_allowance = NULL, checkout_fields = '[{\"name\":\"Employee ID\",\"kind\":\"text\",\"required\":true}, \
         {\"name\":\"Badge\",\"kind\":\"number\",\"required\":false}]'",
    )
    .await;
    let (shopper, _) = app.login("acme_shopper").await;
    let (sales, _) = app.login("acme_sales").await;
    let mut ids = Vec::new();
    for (n, (employee, badge)) in [("E-1", 7), ("E-2", 8), ("E-10", 7)].into_iter().enumerate() {
        let url = format!("/api/v1/storefront/campaigns/{c}/basket/items/{tee}");
        app.request(Method::PUT, &url, Some(&shopper), &[], Some(json!({ "quantity": 1 }))).await.expect(200);
        let url = format!("/api/v1/storefront/campaigns/{c}/checkout");
        let body = json!({"checkout_fields": {"Employee ID": employee, "Badge": badge}});
        let key = format!("cv-{n}");
        let r = app.request(Method::POST, &url, Some(&shopper), &[("Idempotency-Key", &key)], Some(body)).await;
        r.expect(201);
        ids.push(r.body["id"].as_i64().unwrap());
    }
    let found = |filter: Value| {
        let (app, sales) = (&app, &sales);
        async move {
            let url = format!("/api/v1/orders?sort=id&filter={}", crate::helpers::enc(&filter.to_string()));
            let r = app.get_with(&url, sales, &[("X-Fields", "{id}")]).await;
            r.expect(200);
            r.body.as_array().unwrap().iter().map(|o| o["id"].as_i64().unwrap()).collect::<Vec<i64>>()
        }
    };
    let key =
        |op: &str, value: Value| json!({"field": "checkout_fields", "key": "Employee ID", "op": op, "value": value});
    assert_eq!(found(key("==", json!("E-2"))).await, [ids[1]]);
    assert_eq!(found(key("in", json!(["E-1", "E-10"]))).await, [ids[0], ids[2]]);
    assert_eq!(found(key("like", json!("E-1%"))).await, [ids[0], ids[2]]);
    // A number compares as its JSON text; a key nobody filled is null.
    assert_eq!(
        found(json!({"field": "checkout_fields", "key": "Badge", "op": "==", "value": "7"})).await,
        [ids[0], ids[2]]
    );
    assert_eq!(found(json!({"field": "checkout_fields", "key": "Shoe", "op": "is_null"})).await, ids);
    // Without a key it is a 400 naming the condition.
    let url = format!(
        "/api/v1/orders?filter={}",
        crate::helpers::enc(r#"{"field":"checkout_fields","op":"==","value":"E-2"}"#)
    );
    let r = app.get(&url, &sales).await;
    r.expect(400);
    assert!(r.text.contains("key"), "{}", r.text);
}
