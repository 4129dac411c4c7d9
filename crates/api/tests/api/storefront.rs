//! The storefront: baskets within the campaign's limits, checkout with the
//! allowance and payroll deduction, and the money reconciling everywhere,
//! also when many requests of one shopper race.

use crate::helpers::{Resp, TestApp, World, enc};
use poem::http::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

fn basket_url(campaign: i64) -> String {
    format!("/api/v1/storefront/campaigns/{campaign}/basket")
}

fn item_url(campaign: i64, item: i64) -> String {
    format!("/api/v1/storefront/campaigns/{campaign}/basket/items/{item}")
}

fn checkout_url(campaign: i64) -> String {
    format!("/api/v1/storefront/campaigns/{campaign}/checkout")
}

async fn set(app: &TestApp, token: &str, campaign: i64, item: i64, quantity: i64) -> Resp {
    app.request(Method::PUT, &item_url(campaign, item), Some(token), &[], Some(json!({ "quantity": quantity }))).await
}

async fn checkout(app: &TestApp, token: &str, campaign: i64, key: &str, body: Value) -> Resp {
    app.request(Method::POST, &checkout_url(campaign), Some(token), &[("Idempotency-Key", key)], Some(body)).await
}

/// A delivery location "HQ" in Springfield for the campaign.
async fn add_location(app: &TestApp, campaign: i64, distributor: i64) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO locations (campaign_id, distributor_id, nickname, company_name, street_and_number, city, zip_code, \
                                country) VALUES ($1, $2, 'HQ', 'Client Co', '1 Main St', 'Springfield', '12345', 'US') \
         RETURNING id",
    )
    .bind(campaign)
    .bind(distributor)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// The orders, ledger and basket of the database agree: per shopper and
/// campaign, the ledger's sum is the orders' allowance_applied, every order's
/// lines add up to its subtotal and units, and no ledger balance is negative.
async fn assert_money_reconciles(app: &TestApp) {
    let mismatches: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ( \
           SELECT o.id FROM orders o JOIN order_items i ON i.order_id = o.id \
           GROUP BY o.id, o.subtotal, o.items_count \
           HAVING sum(i.line_total) <> o.subtotal OR sum(i.quantity) <> o.items_count \
           UNION ALL \
           SELECT 1 FROM (SELECT account_id, campaign_id, sum(allowance_applied) AS a FROM orders \
                          GROUP BY 1, 2) o \
           FULL JOIN (SELECT account_id, campaign_id, sum(amount) AS a FROM allowance_ledger GROUP BY 1, 2) l \
             USING (account_id, campaign_id) \
           WHERE o.a IS DISTINCT FROM l.a) x",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(mismatches, 0, "orders, lines and ledger disagree");
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_shopper_fills_a_basket_and_checks_out(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let c = w.acme_campaign;
    let tee = app.offer_product(w.acme, c, None).await;
    let mug = app.offer_product(w.acme, c, None).await;
    app.configure(
        c,
        "company_allowance = 20.00, personal_pay = TRUE, departments = '{Sales,Ops}', \
        checkout_fields = '[{\"name\":\"employee_id\",\"kind\":\"text\",\"required\":true}]'",
    )
    .await;
    let location = add_location(&app, c, w.acme).await;
    let (shopper, _) = app.login("acme_shopper").await;

    let empty = app.get(&basket_url(c), &shopper).await;
    empty.expect(200);
    assert_eq!(empty.body["lines"], json!([]));
    assert_eq!(empty.body["checkout_allowed"], false);
    let r = checkout(&app, &shopper, c, "empty", json!({"checkout_fields": {"employee_id": "E-1"}})).await;
    r.expect(422);
    assert_eq!(r.body["errors"][0]["code"], "empty");

    set(&app, &shopper, c, tee, 3).await.expect(200);
    let r = set(&app, &shopper, c, mug, 1).await;
    r.expect(200);
    // 4 × 6.31 = 25.24: 20.00 from the allowance, 5.24 from payroll.
    assert_eq!(r.body["items_count"], 4);
    assert_eq!(r.body["subtotal"], "25.24");
    assert_eq!(r.body["allowance_applied"], "20.00");
    assert_eq!(r.body["payroll_deduction"], "5.24");
    assert_eq!(r.body["checkout_allowed"], true);
    let tag = r.header("etag").unwrap().to_owned();
    let same = app.get_with(&basket_url(c), &shopper, &[("If-None-Match", &tag)]).await;
    assert_eq!(same.status.as_u16(), 304);

    // Checkout fields are checked, each error naming its field.
    let r = checkout(&app, &shopper, c, "bad", json!({"checkout_fields": {"shoe": 1}, "department": "HR"})).await;
    r.expect(422);
    let fields: Vec<&str> = r.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    // Every 422 lists its errors by field, then code (the one order of the write kit).
    assert_eq!(fields, ["checkout_fields.employee_id", "checkout_fields.shoe", "department"]);
    assert_eq!(app.count("orders").await, 0);

    let body = json!({"checkout_fields": {"employee_id": "E-1"}, "location_id": location, "department": "Sales"});
    let r = checkout(&app, &shopper, c, "first", body.clone()).await;
    r.expect(201);
    assert_eq!(r.body["subtotal"], "25.24");
    assert_eq!(r.body["allowance_applied"], "20.00");
    assert_eq!(r.body["payroll_deduction"], "5.24");
    assert_eq!(r.body["items_count"], 4);
    assert_eq!(r.body["status"], "processing");
    assert_eq!(r.body["location"]["nickname"], "HQ");
    assert_eq!(r.body["checkout_fields"], json!({"employee_id": "E-1"}));
    let number = r.body["number"].as_str().unwrap().to_owned();
    assert!(domain::shopping::order_number_is_valid(&number), "{number}");
    assert!(number.starts_with("ACME-"), "{number}");
    let order = r.body["id"].as_i64().unwrap();
    assert_eq!(r.header("location"), Some(format!("/api/v1/orders/{order}").as_str()));

    // The same key replays the same order; another body with it is 422.
    let again = checkout(&app, &shopper, c, "first", body.clone()).await;
    again.expect(201);
    assert_eq!(again.body["id"], order);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    checkout(&app, &shopper, c, "first", json!({"checkout_fields": {"employee_id": "E-2"}})).await.expect(422);
    // The mask is part of the request too: the stored answer was shaped by none.
    let url = checkout_url(c);
    let masked = [("Idempotency-Key", "first"), ("X-Fields", "{id}")];
    app.request(Method::POST, &url, Some(&shopper), &masked, Some(body.clone())).await.expect(422);
    assert_eq!(app.count("orders").await, 1);

    // The basket is empty; a later edit of the location leaves the order alone.
    let r = app.get(&basket_url(c), &shopper).await;
    assert_eq!(r.body["lines"], json!([]));
    assert_eq!(r.body["room"]["allowance_remaining"], "0.00");
    sqlx::query("UPDATE locations SET nickname = 'Moved' WHERE id = $1")
        .bind(location)
        .execute(&app.pool)
        .await
        .unwrap();
    let mine = app
        .get_with(
            "/api/v1/orders",
            &shopper,
            &[("X-Fields", "{number,location,items{sku,quantity,unit_price,line_total}}")],
        )
        .await;
    mine.expect(200);
    assert_eq!(mine.body.as_array().unwrap().len(), 1);
    assert_eq!(mine.body[0]["number"], number.as_str());
    assert_eq!(mine.body[0]["location"]["nickname"], "HQ");
    let lines = mine.body[0]["items"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["line_total"], "18.93");

    // The next order is paid from payroll alone: the allowance is spent.
    set(&app, &shopper, c, mug, 1).await.expect(200);
    let r = checkout(&app, &shopper, c, "second", json!({"checkout_fields": {"employee_id": "E-1"}})).await;
    r.expect(201);
    assert_eq!(r.body["allowance_applied"], "0.00");
    assert_eq!(r.body["payroll_deduction"], "6.31");
    let ledger: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT amount::text, balance::text FROM allowance_ledger ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(ledger, [("20.00".into(), Some("0.00".into())), ("0.00".into(), Some("0.00".into()))]);
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM order_events WHERE kind = 'created'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(events, 2);
    // Each order queued its confirmation and its notice to admin buyers.
    assert_eq!(app.count("jobs").await, 4);
    assert_money_reconciles(&app).await;
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn limits_count_earlier_orders_and_allow_reaching_them(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let c = w.acme_campaign;
    let tee = app.offer_product(w.acme, c, None).await;
    app.configure(c, "items_count_limit = 3, price_limit = 100.00, company_allowance = 100.00").await;
    let (shopper, _) = app.login("acme_shopper").await;
    set(&app, &shopper, c, tee, 2).await.expect(200);
    checkout(&app, &shopper, c, "a", json!({})).await.expect(201);
    // 2 ordered + 2 would make 4 > 3.
    let r = set(&app, &shopper, c, tee, 2).await;
    r.expect(422);
    assert_eq!(r.body["errors"][0]["code"], "items_count_limit_exceeded");
    assert_eq!(
        r.body["amounts"][0],
        json!({"code": "items_count_limit_exceeded", "limit": 3, "ordered": 2, "would_be": 4})
    );
    assert_eq!(app.get(&basket_url(c), &shopper).await.body["lines"], json!([]), "the refused change changed nothing");
    // Reaching the limit exactly is allowed.
    let r = set(&app, &shopper, c, tee, 1).await;
    r.expect(200);
    assert_eq!(r.body["room"]["items_left"], 0);
    checkout(&app, &shopper, c, "b", json!({})).await.expect(201);

    // The price limit likewise: 6.31 × 3 = 18.93 ordered; a limit of 25.24 leaves one more.
    app.configure(c, "items_count_limit = NULL, price_limit = 25.24").await;
    let r = set(&app, &shopper, c, tee, 2).await;
    r.expect(422);
    assert_eq!(
        r.body["amounts"][0],
        json!({"code": "price_limit_exceeded", "limit": "25.24", "ordered": "18.93", "would_be": "31.55"})
    );
    set(&app, &shopper, c, tee, 1).await.expect(200);
    // A limit lowered after the basket was filled is still enforced at checkout.
    app.configure(c, "price_limit = 20.00").await;
    let r = checkout(&app, &shopper, c, "c", json!({})).await;
    r.expect(422);
    assert_eq!(r.body["errors"][0]["code"], "price_limit_exceeded");
    // Lowering a quantity is always allowed.
    set(&app, &shopper, c, tee, 0).await.expect(200);
    assert_eq!(app.count("orders").await, 2);
    assert_money_reconciles(&app).await;
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn without_personal_pay_the_allowance_is_a_hard_limit(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let c = w.acme_campaign;
    let tee = app.offer_product(w.acme, c, None).await;
    app.configure(c, "company_allowance = 10.00, personal_pay = FALSE").await;
    let (shopper, _) = app.login("acme_shopper").await;
    let r = set(&app, &shopper, c, tee, 2).await;
    r.expect(200);
    assert_eq!(r.body["checkout_allowed"], false);
    let r = checkout(&app, &shopper, c, "a", json!({})).await;
    r.expect(422);
    assert_eq!(r.body["errors"][0]["code"], "allowance_exceeded");
    assert_eq!(r.body["amounts"], json!({"subtotal": "12.62", "allowance_remaining": "10.00", "shortfall": "2.62"}));
    set(&app, &shopper, c, tee, 1).await.expect(200);
    let r = checkout(&app, &shopper, c, "b", json!({})).await;
    r.expect(201);
    assert_eq!(r.body["payroll_deduction"], "0.00");
    set(&app, &shopper, c, tee, 1).await.expect(200);
    let r = checkout(&app, &shopper, c, "c", json!({})).await;
    r.expect(422);
    assert_eq!(r.body["amounts"]["allowance_remaining"], "3.69");
    assert_eq!(app.count("orders").await, 1);
    assert_money_reconciles(&app).await;
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn without_an_allowance_the_company_pays_everything(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let c = w.acme_campaign;
    let tee = app.offer_product(w.acme, c, None).await;
    app.configure(c, "company_allowance = NULL, personal_pay = FALSE, price_limit = 100.00").await;
    let (shopper, _) = app.login("acme_shopper").await;
    let r = set(&app, &shopper, c, tee, 5).await;
    r.expect(200);
    assert_eq!(r.body["allowance_applied"], "31.55");
    assert_eq!(r.body["payroll_deduction"], "0.00");
    assert_eq!(r.body["room"]["company_allowance"], Value::Null);
    assert_eq!(r.body["room"]["allowance_remaining"], Value::Null);
    assert_eq!(r.body["checkout_allowed"], true);
    let r = checkout(&app, &shopper, c, "a", json!({})).await;
    r.expect(201);
    assert_eq!((r.body["subtotal"].as_str(), r.body["allowance_applied"].as_str()), (Some("31.55"), Some("31.55")));
    assert_eq!(r.body["payroll_deduction"], "0.00");
    // The ledger records what the company paid, with no balance to run out.
    let (amount, balance): (String, Option<String>) =
        sqlx::query_as("SELECT amount::text, balance::text FROM allowance_ledger WHERE campaign_id = $1")
            .bind(c)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((amount.as_str(), balance), ("31.55", None));
    let list = app
        .get(
            &format!(
                "/api/v1/storefront/campaigns?filter={}",
                enc(&format!(r#"[{{"field":"id","op":"==","value":{c}}}]"#))
            ),
            &shopper,
        )
        .await;
    list.expect(200);
    let mine = &list.body[0];
    assert_eq!((mine["company_allowance"].clone(), mine["allowance_remaining"].clone()), (Value::Null, Value::Null));
    assert_eq!(mine["allowance_used"], "31.55");
    // The campaign's other limits still hold.
    set(&app, &shopper, c, tee, 11).await.expect(422);
    assert_money_reconciles(&app).await;
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_location_or_department_picked_in_a_checkout_field_is_the_orders(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let c = w.acme_campaign;
    let tee = app.offer_product(w.acme, c, None).await;
    app.configure(
        c,
        "company_allowance = NULL, departments = '{Sales,Ops}', \
         checkout_fields = '[{\"name\":\"Deliver to\",\"kind\":\"location\",\"required\":true}, \
                             {\"name\":\"Team\",\"kind\":\"department\",\"required\":true}]'",
    )
    .await;
    let location = add_location(&app, c, w.acme).await;
    let (shopper, _) = app.login("acme_shopper").await;
    set(&app, &shopper, c, tee, 1).await.expect(200);
    let r = checkout(&app, &shopper, c, "k", json!({"checkout_fields": {"Deliver to": location, "Team": "Ops"}})).await;
    r.expect(201);
    assert_eq!(r.body["department"], "Ops");
    assert_eq!(
        (r.body["location"]["id"].as_i64(), r.body["location"]["city"].as_str()),
        (Some(location), Some("Springfield"))
    );
    // The copy stays as it was when the location changes later.
    sqlx::query("UPDATE locations SET city = 'Shelbyville' WHERE id = $1")
        .bind(location)
        .execute(&app.pool)
        .await
        .unwrap();
    let order = app.get(&format!("/api/v1/orders/{}", r.body["id"]), &shopper).await;
    assert_eq!(order.body["location"]["city"], "Springfield");
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_checkout_is_a_fixed_number_of_statements_whatever_the_basket(pool: PgPool) {
    let app = TestApp::counted(pool).await;
    let w = World::build(&app).await;
    let c = w.acme_campaign;
    let mut items = Vec::new();
    for _ in 0..5 {
        items.push(app.offer_product(w.acme, c, None).await);
    }
    app.configure(c, "company_allowance = NULL").await;
    let (shopper, _) = app.login("acme_shopper").await;
    let mut counts = Vec::new();
    for (n, lines) in [1, 5].into_iter().enumerate() {
        for &item in &items[..lines] {
            set(&app, &shopper, c, item, 2).await.expect(200);
        }
        let drawn = || sqlx::query_scalar::<_, i64>("SELECT last_value FROM order_number_seq").fetch_one(&app.pool);
        let before = drawn().await.unwrap();
        let (statements, r) =
            crate::statements::statements_of(&app, checkout(&app, &shopper, c, &format!("k{n}"), json!({}))).await;
        r.expect(201);
        counts.push(statements);
        // One order number drawn, however many lines share the statement.
        assert_eq!(drawn().await.unwrap(), before + 1, "numbers drawn by a checkout of {lines} lines");
    }
    // The idempotency claim; BEGIN, the campaign with the basket lock, its
    // lines with the history, locations and number, the order's one write,
    // the key marked committed, COMMIT; the order read back; the idempotency
    // record.
    assert_eq!(counts, [9, 9], "statements per checkout of 1 and of 5 lines");
    assert_money_reconciles(&app).await;
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_changed_price_is_never_charged_silently(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let c = w.acme_campaign;
    let tee = app.offer_product(w.acme, c, None).await;
    app.configure(c, "company_allowance = 100.00").await;
    let (shopper, _) = app.login("acme_shopper").await;
    set(&app, &shopper, c, tee, 1).await.expect(200);
    sqlx::query("UPDATE campaign_items SET price = 7.00 WHERE id = $1").bind(tee).execute(&app.pool).await.unwrap();
    let r = checkout(&app, &shopper, c, "a", json!({})).await;
    r.expect(409);
    assert_eq!(r.body["errors"][0]["code"], "price_changed");
    assert_eq!(r.body["amounts"], json!([{"campaign_item_id": tee, "old_price": "6.31", "new_price": "7.00"}]));
    assert_eq!(app.get(&basket_url(c), &shopper).await.body["lines"][0]["price_changed"], true);
    // Setting the line again accepts the new price.
    set(&app, &shopper, c, tee, 1).await.expect(200);
    let r = checkout(&app, &shopper, c, "b", json!({})).await;
    r.expect(201);
    assert_eq!(r.body["subtotal"], "7.00");
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn bad_input_and_strangers_change_nothing(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let c = w.acme_campaign;
    let tee = app.offer_product(w.acme, c, None).await;
    let globex_item = app.offer_product(w.globex, w.globex_campaign, None).await;
    let (shopper, _) = app.login("acme_shopper").await;
    let (globex_shopper, _) = app.login("globex_shopper").await;
    let (sales, _) = app.login("acme_sales").await;
    let (buyer, _) = app.login("acme_buyer").await;

    for q in [-1, 10_001] {
        let r = set(&app, &shopper, c, tee, q).await;
        r.expect(422);
        assert_eq!(r.body["errors"][0]["field"], "quantity");
    }
    let r = app
        .request(Method::PUT, &item_url(c, tee), Some(&shopper), &[], Some(json!({"quantity": 1, "price": "0.01"})))
        .await;
    r.expect(422);
    assert_eq!(r.body["errors"][0]["field"], "price");
    // Another campaign's item, and a campaign that is not the shopper's.
    set(&app, &shopper, c, globex_item, 1).await.expect(404);
    set(&app, &shopper, w.globex_campaign, globex_item, 1).await.expect(404);
    set(&app, &globex_shopper, c, tee, 1).await.expect(404);
    app.get(&basket_url(c), &globex_shopper).await.expect(404);
    app.get(&basket_url(999_999), &shopper).await.expect(404);
    // Staff and buyers see the campaign but have no basket.
    set(&app, &sales, c, tee, 1).await.expect(403);
    app.get(&basket_url(c), &buyer).await.expect(403);
    checkout(&app, &buyer, c, "x", json!({})).await.expect(403);
    // A stale If-Match.
    let r = set(&app, &shopper, c, tee, 1).await;
    r.expect(200);
    let stale = r.header("etag").unwrap().to_owned();
    set(&app, &shopper, c, tee, 2).await.expect(200);
    let r = app
        .request(Method::PUT, &item_url(c, tee), Some(&shopper), &[("If-Match", &stale)], Some(json!({"quantity": 5})))
        .await;
    r.expect(412);
    app.request(Method::DELETE, &basket_url(c), Some(&shopper), &[("If-Match", &stale)], None).await.expect(412);
    assert_eq!(app.get(&basket_url(c), &shopper).await.body["items_count"], 2);
    // A store not open today (the campaign ended yesterday): 409.
    app.configure(c, "end_date = (now() AT TIME ZONE 'UTC')::date - 1").await;
    let r = set(&app, &shopper, c, tee, 3).await;
    r.expect(409);
    assert_eq!(r.body["errors"][0]["code"], "campaign_not_open");
    checkout(&app, &shopper, c, "y", json!({})).await.expect(409);
    // A closed campaign is invisible to its shoppers.
    app.configure(c, "status = 'closed'").await;
    app.get(&basket_url(c), &shopper).await.expect(404);
    assert_eq!(app.count("orders").await, 0);
    let line: i64 = sqlx::query_scalar("SELECT quantity::int8 FROM basket_items").fetch_one(&app.pool).await.unwrap();
    assert_eq!(line, 2, "no refused request changed the basket");
}

/// Orders are read within scope: shoppers their own, admin buyers their
/// campaigns', staff their distributor's, nobody another distributor's.
#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn orders_are_read_within_scope(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let tee = app.offer_product(w.acme, w.acme_campaign, None).await;
    let globex_tee = app.offer_product(w.globex, w.globex_campaign, None).await;
    app.configure(w.acme_campaign, "company_allowance = 100.00").await;
    app.configure(w.globex_campaign, "company_allowance = 100.00").await;
    let (shopper, _) = app.login("acme_shopper").await;
    let (globex_shopper, _) = app.login("globex_shopper").await;
    set(&app, &shopper, w.acme_campaign, tee, 1).await.expect(200);
    let acme_order = checkout(&app, &shopper, w.acme_campaign, "a", json!({})).await.body["id"].as_i64().unwrap();
    set(&app, &globex_shopper, w.globex_campaign, globex_tee, 1).await.expect(200);
    let globex_order =
        checkout(&app, &globex_shopper, w.globex_campaign, "g", json!({})).await.body["id"].as_i64().unwrap();

    let ids = |r: &Resp| -> Vec<i64> { r.body.as_array().unwrap().iter().map(|o| o["id"].as_i64().unwrap()).collect() };
    for (who, expected) in [
        ("acme_shopper", vec![acme_order]),
        ("acme_buyer", vec![acme_order]),
        ("acme_sales", vec![acme_order]),
        ("acme_manager", vec![acme_order]),
        ("globex_shopper", vec![globex_order]),
        ("root", vec![acme_order, globex_order]),
    ] {
        let (token, _) = app.login(who).await;
        let r = app.get("/api/v1/orders?sort=id", &token).await;
        r.expect(200);
        assert_eq!(ids(&r), expected, "{who}");
        let foreign = if expected.contains(&acme_order) && who != "root" { globex_order } else { acme_order };
        if who != "root" {
            let hidden = app.get(&format!("/api/v1/orders/{foreign}"), &token).await;
            let nonexistent = app.get("/api/v1/orders/999999", &token).await;
            hidden.expect(404);
            assert_eq!(hidden.body["detail"], nonexistent.body["detail"]);
        }
    }
    let filter = enc(r#"[{"field":"payroll_deduction","op":"==","value":"0.00"}]"#);
    let r = app.get(&format!("/api/v1/orders?filter={filter}&count=exact"), &shopper).await;
    assert_eq!(r.header("x-total-count"), Some("1"));
}

/// 64 racing basket changes and checkouts of one shopper (distinct keys)
/// never pass a limit nor the allowance, and leave the ledger equal to the
/// orders; 64 racing checkouts with one key make one order; two tabs adding
/// different items both keep their lines.
#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn racing_requests_keep_limits_and_money_exact(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let c = w.acme_campaign;
    let tee = app.offer_product(w.acme, c, None).await;
    let mug = app.offer_product(w.acme, c, None).await;
    app.configure(c, "items_count_limit = 10, price_limit = 60.00, company_allowance = 30.00, personal_pay = TRUE")
        .await;
    let (shopper, _) = app.login("acme_shopper").await;

    // Two tabs: different items at once, both lines kept.
    let (a, b) = tokio::join!(set(&app, &shopper, c, tee, 1), set(&app, &shopper, c, mug, 1));
    a.expect(200);
    b.expect(200);
    assert_eq!(app.get(&basket_url(c), &shopper).await.body["lines"].as_array().unwrap().len(), 2);
    set(&app, &shopper, c, mug, 0).await.expect(200);

    let keys: Vec<String> = (0..64).map(|i| format!("race-{i}")).collect();
    let flows = keys.iter().enumerate().map(|(i, key)| {
        let app = &app;
        let shopper = &shopper;
        async move {
            let item = if i % 2 == 0 { tee } else { mug };
            let set_status = set(app, shopper, c, item, 1 + (i as i64 % 3)).await.status.as_u16();
            let out = checkout(app, shopper, c, key, json!({})).await.status.as_u16();
            (set_status, out)
        }
    });
    let results = futures_util::future::join_all(flows).await;
    for (s, o) in &results {
        assert!(matches!(s, 200 | 422), "basket change answered {s}");
        assert!(matches!(o, 201 | 422), "checkout answered {o}");
    }
    let placed = results.iter().filter(|(_, o)| *o == 201).count() as i64;
    assert!(placed > 0);
    let (orders, units, amount, applied): (i64, i64, String, String) = sqlx::query_as(
        "SELECT count(*), coalesce(sum(items_count), 0)::int8, coalesce(sum(subtotal), 0)::text, \
                coalesce(sum(allowance_applied), 0)::text FROM orders",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(orders, placed);
    assert!(units <= 10, "{units} units ordered past the limit of 10");
    assert!(amount.parse::<f64>().unwrap() <= 60.0, "{amount} ordered past the limit of 60.00");
    assert!(applied.parse::<f64>().unwrap() <= 30.0, "{applied} of an allowance of 30.00 spent");
    assert_money_reconciles(&app).await;

    // One key, 64 racing checkouts: one order.
    app.configure(c, "items_count_limit = NULL, price_limit = NULL").await;
    set(&app, &shopper, c, tee, 1).await.expect(200);
    let before = app.count("orders").await;
    let same = (0..64).map(|_| checkout(&app, &shopper, c, "one-key", json!({})));
    let answers = futures_util::future::join_all(same).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status.as_u16()).collect();
    assert!(statuses.iter().all(|s| matches!(s, 201 | 409)), "{statuses:?}");
    assert!(statuses.contains(&201));
    assert_eq!(app.count("orders").await, before + 1);
    // Every 201 is the one order: the first run's, or its replay.
    let mut ids: Vec<i64> =
        answers.iter().filter(|r| r.status == 201).map(|r| r.body["id"].as_i64().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 1, "one key answered with orders {ids:?}");
    assert_money_reconciles(&app).await;
}

/// The checkout's transaction marks its `Idempotency-Key` committed, seen
/// here from inside that transaction at its commit (a deferred trigger on
/// the order): so a process that dies between the commit and storing the
/// response leaves a key that never runs the checkout again. What such a
/// death leaves behind (the key as it was at the commit, its lease run out)
/// is then retried with the basket full again: 409, no second order.
#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_checkout_marks_its_key_committed_in_its_own_transaction(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let c = w.acme_campaign;
    let item = app.offer_product(w.acme, c, None).await;
    app.configure(c, "company_allowance = NULL").await;
    let (shopper, _) = app.login("acme_shopper").await;
    set(&app, &shopper, c, item, 1).await.expect(200);
    sqlx::raw_sql(
        "CREATE TABLE seen_at_commit (headers jsonb, status smallint); \
         CREATE FUNCTION see_key() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
           INSERT INTO seen_at_commit SELECT headers, status FROM idempotency_keys WHERE key = 'crash-1'; \
           RETURN NULL; END $$; \
         CREATE CONSTRAINT TRIGGER see_key AFTER INSERT ON orders DEFERRABLE INITIALLY DEFERRED \
           FOR EACH ROW EXECUTE FUNCTION see_key();",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    checkout(&app, &shopper, c, "crash-1", json!({})).await.expect(201);
    let (seen, status): (Value, Option<i16>) =
        sqlx::query_as("SELECT headers, status FROM seen_at_commit").fetch_one(&app.pool).await.unwrap();
    assert_eq!((seen["committed"].clone(), status), (json!(true), None), "the key at the commit: {seen}");

    sqlx::query(
        "UPDATE idempotency_keys SET status = NULL, body = NULL, headers = $1, created_at = now() - interval '1 minute' \
         WHERE key = 'crash-1'",
    )
    .bind(&seen)
    .execute(&app.pool)
    .await
    .unwrap();
    set(&app, &shopper, c, item, 1).await.expect(200);
    let orders = || sqlx::query_scalar::<_, i64>("SELECT count(*) FROM orders").fetch_one(&app.pool);
    let before = orders().await.unwrap();
    let r = checkout(&app, &shopper, c, "crash-1", json!({})).await;
    r.expect(409);
    assert!(r.text.contains("carried out"), "{}", r.text);
    assert_eq!(orders().await.unwrap(), before, "a second order from one key");
}
