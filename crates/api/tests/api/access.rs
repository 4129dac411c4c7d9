//! Row scoping: a user of one distributor never lists, reads, counts or
//! probes another distributor's accounts; non-staff see only themselves.

use crate::helpers::{TestApp, World, enc};
use sqlx::PgPool;

const LIST: &str = "/api/v1/organization/accounts";

async fn visible(app: &TestApp, token: &str) -> Vec<String> {
    let r = app.get(&format!("{LIST}?page_size=500&sort=username&count=exact"), token).await;
    r.expect(200);
    let names: Vec<String> =
        r.body.as_array().unwrap().iter().map(|a| a["username"].as_str().unwrap().to_owned()).collect();
    assert_eq!(r.header("x-total-count"), Some(names.len().to_string().as_str()), "count matches what is visible");
    names
}

async fn id_of(pool: &PgPool, username: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM accounts WHERE username = $1").bind(username).fetch_one(pool).await.unwrap()
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn each_role_sees_its_scope(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    World::build(&app).await;
    let acme_all = ["acme_buyer", "acme_manager", "acme_sales", "acme_shopper"];
    for (who, expected) in [
        ("root", 9usize),
        ("acme_manager", 4),
        ("acme_sales", 4),
        ("acme_buyer", 1),
        ("acme_shopper", 1),
        ("globex_manager", 4),
    ] {
        let (token, _) = app.login(who).await;
        let names = visible(&app, &token).await;
        assert_eq!(names.len(), expected, "{who} sees {names:?}");
        if who.starts_with("acme_") && expected == 4 {
            assert_eq!(names, acme_all);
        }
        if expected == 1 {
            assert_eq!(names, [who]);
        }
        if who != "root" {
            let prefix = who.split('_').next().unwrap();
            assert!(names.iter().all(|n| n.starts_with(prefix)), "{who} sees another distributor: {names:?}");
        }
    }
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn another_distributors_accounts_are_404_and_unprobeable(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    World::build(&app).await;
    let globex_sales = id_of(&pool, "globex_sales").await;
    let acme_sales = id_of(&pool, "acme_sales").await;
    let (manager, _) = app.login("acme_manager").await;
    let (shopper, _) = app.login("acme_shopper").await;

    let hidden = app.get(&format!("{LIST}/{globex_sales}"), &manager).await;
    hidden.expect(404);
    // Indistinguishable from an id that does not exist.
    let absent = app.get(&format!("{LIST}/999999"), &manager).await;
    absent.expect(404);
    assert_eq!(hidden.body["detail"], absent.body["detail"]);
    app.get(&format!("{LIST}/{acme_sales}"), &manager).await.expect(200);
    // A shopper reads only itself.
    app.get(&format!("{LIST}/{acme_sales}"), &shopper).await.expect(404);

    // Filters and relation filters cannot reach across: nothing, and a count of 0.
    for filter in [
        format!(r#"[{{"field":"id","op":"==","value":{globex_sales}}}]"#),
        r#"[{"model":"Distributor","field":"name","op":"==","value":"Globex"}]"#.to_owned(),
        r#"[{"field":"email","op":"ilike","value":"globex%"}]"#.to_owned(),
    ] {
        let r = app.get(&format!("{LIST}?count=exact&filter={}", enc(&filter)), &manager).await;
        r.expect(200);
        assert_eq!(r.body, serde_json::json!([]), "{filter}");
        assert_eq!(r.header("x-total-count"), Some("0"));
    }
    // Expanding the distributor relation shows only the caller's own.
    let r = app.get(&format!("{LIST}?fields={}", enc("username,distributor{name,accounts{username}}")), &manager).await;
    r.expect(200);
    let acme_accounts: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM accounts a JOIN distributors d ON d.id = a.distributor_id WHERE d.name = 'Acme'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let items = r.body.as_array().unwrap();
    assert_eq!(items.len() as i64, acme_accounts, "the manager lists every Acme account");
    for item in items {
        assert_eq!(item["distributor"]["accounts"].as_array().unwrap().len() as i64, acme_accounts);
        assert_eq!(item["distributor"]["name"], "Acme");
        for acc in item["distributor"]["accounts"].as_array().unwrap() {
            assert!(acc["username"].as_str().unwrap().starts_with("acme_"));
        }
    }
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn staff_only_fields_are_403_for_others_in_masks_filters_and_relations(pool: PgPool) {
    let app = TestApp::new(pool.clone()).await;
    World::build(&app).await;
    let (shopper, _) = app.login("acme_shopper").await;
    let (sales, _) = app.login("acme_sales").await;
    let mask = enc("{id,distributor{name,ow_cost}}");
    let r = app.get(&format!("{LIST}?fields={mask}"), &shopper).await;
    r.expect(403);
    assert!(r.body["detail"].as_str().unwrap().contains("ow_cost"));
    app.get(&format!("{LIST}?fields={mask}"), &sales).await.expect(200);
    let filter = enc(r#"[{"model":"Distributor","field":"ow_cost","op":">","value":"0"}]"#);
    app.get(&format!("{LIST}?filter={filter}"), &shopper).await.expect(403);
    app.get(&format!("{LIST}?filter={filter}"), &sales).await.expect(200);
    // The to-many relation itself needs staff.
    app.get(&format!("{LIST}?fields={}", enc("id,distributor{accounts}")), &shopper).await.expect(403);
    let me = id_of(&pool, "acme_shopper").await;
    app.get(&format!("{LIST}/{me}?fields={mask}"), &shopper).await.expect(403);
    // Their own private fields are readable.
    let own = app.get(&format!("{LIST}/{me}?fields=email,last_login_at"), &shopper).await;
    own.expect(200);
    assert_eq!(own.body["email"], "acme_shopper@example.com");
}
