//! Campaign members and delivery locations: listing through the query
//! language, adding and removing members (never across distributors),
//! location CRUD with If-Match, and who may do what.

use crate::helpers::{Resp, TestApp, World, enc};
use poem::http::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

const CAMPAIGNS: &str = "/api/v1/organization/campaigns";

fn members(campaign: i64) -> String {
    format!("{CAMPAIGNS}/{campaign}/members")
}

fn locations(campaign: i64) -> String {
    format!("{CAMPAIGNS}/{campaign}/locations")
}

async fn id_of(pool: &PgPool, username: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM accounts WHERE username = $1").bind(username).fetch_one(pool).await.unwrap()
}

fn usernames(r: &Resp) -> Vec<String> {
    r.body.as_array().unwrap().iter().map(|a| a["username"].as_str().unwrap().to_owned()).collect()
}

async fn member_rows(pool: &PgPool) -> Vec<(i64, i64)> {
    sqlx::query_as("SELECT campaign_id, account_id FROM campaign_members ORDER BY 1, 2").fetch_all(pool).await.unwrap()
}

async fn location_row(pool: &PgPool, id: i64) -> Value {
    sqlx::query_scalar("SELECT to_jsonb(l) FROM locations l WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
        .unwrap()
        .unwrap_or(Value::Null)
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn staff_list_members_with_the_query_language(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let (sales, _) = app.login("acme_sales").await;
    let (root, _) = app.login("root").await;
    let (buyer, _) = app.login("acme_buyer").await;
    let (shopper, _) = app.login("acme_shopper").await;
    let (globex, _) = app.login("globex_manager").await;

    let r = app.get(&format!("{}?count=exact", members(w.acme_campaign)), &sales).await;
    r.expect(200);
    assert_eq!(usernames(&r), ["acme_buyer", "acme_shopper"]);
    assert_eq!(r.header("x-total-count"), Some("2"));
    assert_eq!(r.body[0]["email"], "acme_buyer@example.com", "staff read members' private fields");
    let r = app.get(&members(w.globex_campaign), &root).await;
    assert_eq!(usernames(&r), ["globex_buyer", "globex_shopper"]);

    // The client's filter, sort and mask apply on top of membership.
    let filter = enc(r#"[{"field":"role","op":"==","value":"shopper"}]"#);
    let r = app.get(&format!("{}?filter={filter}&fields=username,role", members(w.acme_campaign)), &sales).await;
    assert_eq!(r.body, json!([{"username": "acme_shopper", "role": "shopper"}]));
    let r = app
        .get(
            &format!("{}?sort=-username&fields={}", members(w.acme_campaign), enc("{username,campaigns{name}}")),
            &sales,
        )
        .await;
    assert_eq!(
        r.body,
        json!([
            {"username": "acme_shopper", "campaigns": [{"name": "Acme Store"}]},
            {"username": "acme_buyer", "campaigns": [{"name": "Acme Store"}]}
        ])
    );
    // Keyset pages stay within the campaign.
    let first = app.get(&format!("{}?page_size=1", members(w.acme_campaign)), &sales).await;
    assert_eq!(usernames(&first), ["acme_buyer"]);
    let link = first.header("link").unwrap();
    let next = link.trim_start_matches('<').split('>').next().unwrap();
    let second = app.get(next, &sales).await;
    second.expect(200);
    assert_eq!(usernames(&second), ["acme_shopper"]);
    assert!(second.header("link").is_none());
    // The cursor belongs to this campaign's list.
    let cursor = next.split("cursor=").nth(1).unwrap();
    app.get(&format!("{}?page_size=1&cursor={cursor}", members(w.globex_campaign)), &root).await.expect(400);

    // Members who can read the campaign are not staff; others do not see it.
    app.get(&members(w.acme_campaign), &buyer).await.expect(403);
    app.get(&members(w.acme_campaign), &shopper).await.expect(403);
    app.get(&members(w.acme_campaign), &globex).await.expect(404);
    app.get(&members(999_999), &sales).await.expect(404);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn staff_add_and_remove_members_of_their_own_distributor(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let (manager, _) = app.login("acme_manager").await;
    let (buyer, _) = app.login("acme_buyer").await;
    let (globex, _) = app.login("globex_manager").await;
    let sales_id = id_of(&pool, "acme_sales").await;
    let list = members(w.acme_campaign);
    let before = member_rows(&pool).await;

    // Refusals first: none of them writes anything.
    for (account, status) in [
        (id_of(&pool, "globex_shopper").await, 404), // another distributor's account: as if absent
        (999_999, 404),
        (id_of(&pool, "acme_manager").await, 422), // not a member role
        (id_of(&pool, "root").await, 404),         // no distributor at all
        (id_of(&pool, "acme_shopper").await, 409), // already a member
    ] {
        let r = app.post(&list, Some(&manager), json!({"account_id": account})).await;
        r.expect(status);
        if status == 422 {
            assert_eq!(r.body["errors"][0]["field"], "account_id");
            assert!(r.body["errors"][0]["message"].as_str().unwrap().contains("distributor_manager"));
        }
    }
    let hidden = app.post(&list, Some(&manager), json!({"account_id": id_of(&pool, "globex_shopper").await})).await;
    let absent = app.post(&list, Some(&manager), json!({"account_id": 999_999})).await;
    assert_eq!(hidden.body["detail"], absent.body["detail"], "another distributor's account is indistinguishable");
    app.post(&list, Some(&buyer), json!({"account_id": sales_id})).await.expect(403);
    app.post(&list, Some(&globex), json!({"account_id": sales_id})).await.expect(404);
    app.post(&members(w.globex_campaign), Some(&manager), json!({"account_id": sales_id})).await.expect(404);
    assert_eq!(member_rows(&pool).await, before);

    let r = app.post(&list, Some(&manager), json!({"account_id": sales_id})).await;
    r.expect(201);
    assert_eq!(r.body["username"], "acme_sales");
    assert_eq!(r.header("location"), Some(format!("/api/v1/organization/accounts/{sales_id}").as_str()));
    assert!(r.header("etag").unwrap().starts_with(&format!("\"account-{sales_id}-")));
    assert_eq!(usernames(&app.get(&list, &manager).await), ["acme_buyer", "acme_sales", "acme_shopper"]);

    // Removing: staff only, and only members.
    let one = format!("{list}/{sales_id}");
    app.request(Method::DELETE, &one, Some(&buyer), &[], None).await.expect(403);
    app.request(Method::DELETE, &one, Some(&globex), &[], None).await.expect(404);
    app.request(Method::DELETE, &one, Some(&manager), &[], None).await.expect(204);
    app.request(Method::DELETE, &one, Some(&manager), &[], None).await.expect(404);
    assert_eq!(member_rows(&pool).await, before);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn locations_crud_with_if_match(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let (sales, _) = app.login("acme_sales").await;
    let (shopper, _) = app.login("acme_shopper").await;
    let list = locations(w.acme_campaign);

    let r = app
        .post(
            &list,
            Some(&sales),
            json!({"nickname": "HQ", "company_name": "Initech", "street_and_number": "4120 Freidrich Ln",
                   "city": "Austin", "zip_code": "78744", "region": "TX", "delivery_contact": "Bill"}),
        )
        .await;
    r.expect(201);
    let id = r.body["id"].as_i64().unwrap();
    let one = format!("{list}/{id}");
    assert_eq!(r.header("location"), Some(one.as_str()));
    crate::helpers::assert_etag(&r, &format!("\"location-{id}-1\""));
    assert_eq!((r.body["country"].as_str(), r.body["campaign_id"].as_i64()), (Some("US"), Some(w.acme_campaign)));
    assert_eq!(r.body["distributor_id"], w.acme);
    app.post(&list, Some(&sales), json!({"nickname": "Depot", "city": "Boston"})).await.expect(201);

    // Shoppers of the campaign read its locations (they pick one at checkout).
    let r = app.get(&list, &shopper).await;
    r.expect(200);
    assert_eq!(r.body.as_array().unwrap().iter().map(|l| l["nickname"].clone()).collect::<Vec<_>>(), ["Depot", "HQ"]);
    let filter = enc(r#"[{"field":"city","op":"ilike","value":"aus%"}]"#);
    let r = app.get(&format!("{list}?filter={filter}&fields=nickname&count=exact"), &shopper).await;
    assert_eq!(r.body, json!([{"nickname": "HQ"}]));
    assert_eq!(r.header("x-total-count"), Some("1"));
    let read = app.get(&one, &shopper).await;
    read.expect(200);
    let etag = read.header("etag").unwrap().to_owned();
    app.get_with(&one, &shopper, &[("If-None-Match", &etag)]).await.expect(304);
    // The same location under another campaign's path does not exist.
    let (root, _) = app.login("root").await;
    app.get(&format!("{}/{id}", locations(w.globex_campaign)), &root).await.expect(404);
    app.request(Method::DELETE, &format!("{}/{id}", locations(w.globex_campaign)), Some(&root), &[], None)
        .await
        .expect(404);

    // Edit with If-Match; a stale one is 412 and changes nothing.
    let r = app
        .request(Method::PATCH, &one, Some(&sales), &[("If-Match", &etag)], Some(json!({"city": "Round Rock"})))
        .await;
    r.expect(200);
    assert_eq!((r.body["city"].as_str(), r.body["nickname"].as_str()), (Some("Round Rock"), Some("HQ")));
    crate::helpers::assert_etag(&r, &format!("\"location-{id}-2\""));
    let before = location_row(&pool, id).await;
    app.request(Method::PATCH, &one, Some(&sales), &[("If-Match", &etag)], Some(json!({"city": "Stale"})))
        .await
        .expect(412);
    app.request(Method::DELETE, &one, Some(&sales), &[("If-Match", &etag)], None).await.expect(412);
    // Invalid fields: all at once.
    let r = app
        .request(
            Method::PATCH,
            &one,
            Some(&sales),
            &[],
            Some(json!({"nickname": "", "country": "us", "zip_code": "9".repeat(201)})),
        )
        .await;
    r.expect(422);
    let fields: Vec<_> = r.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["country", "nickname", "zip_code"]);
    let r = app.post(&list, Some(&sales), json!({"nickname": "Nowhere", "country": "XX"})).await;
    r.expect(422);
    assert_eq!(r.body["errors"][0]["field"], "country");
    assert_eq!(location_row(&pool, id).await, before);

    app.request(Method::DELETE, &one, Some(&sales), &[("If-Match", &format!("\"location-{id}-2\""))], None)
        .await
        .expect(204);
    app.get(&one, &sales).await.expect(404);
    assert_eq!(app.count("locations").await, 1);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn location_writes_are_for_staff_while_the_campaign_is_open(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    let w = World::build(&app).await;
    let (sales, _) = app.login("acme_sales").await;
    let (buyer, _) = app.login("acme_buyer").await;
    let (shopper, _) = app.login("acme_shopper").await;
    let (globex, _) = app.login("globex_sales").await;
    let list = locations(w.acme_campaign);
    let r = app.post(&list, Some(&sales), json!({"nickname": "HQ"})).await;
    r.expect(201);
    let one = format!("{list}/{}", r.body["id"]);
    let id = r.body["id"].as_i64().unwrap();
    let before = location_row(&pool, id).await;

    for (token, status) in [(&buyer, 403), (&shopper, 403), (&globex, 404)] {
        app.post(&list, Some(token), json!({"nickname": "X"})).await.expect(status);
        app.request(Method::PATCH, &one, Some(token), &[], Some(json!({"city": "X"}))).await.expect(status);
        app.request(Method::DELETE, &one, Some(token), &[], None).await.expect(status);
    }
    // Reads: members yes, another distributor no.
    app.get(&one, &buyer).await.expect(200);
    app.get(&one, &globex).await.expect(404);
    app.get(&list, &globex).await.expect(404);
    assert_eq!(location_row(&pool, id).await, before);
    assert_eq!(app.count("locations").await, 1);

    // Once the campaign has closed its locations are frozen.
    app.request(
        Method::POST,
        &format!("{CAMPAIGNS}/{}/status", w.acme_campaign),
        Some(&sales),
        &[],
        Some(json!({"to": "closed"})),
    )
    .await
    .expect(200);
    app.post(&list, Some(&sales), json!({"nickname": "Late"})).await.expect(409);
    app.request(Method::PATCH, &one, Some(&sales), &[], Some(json!({"city": "X"}))).await.expect(409);
    app.request(Method::DELETE, &one, Some(&sales), &[], None).await.expect(409);
    assert_eq!(location_row(&pool, id).await, before);
    app.get(&list, &sales).await.expect(200);
}
