//! The query language against PostgreSQL: masks, every operator, groups,
//! relation filters, sorts, both paging modes, counts, and hostile input.

use crate::helpers::{Resp, TestApp, World, enc};
use domain::Role;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::collections::BTreeSet;

const LIST: &str = "/api/v1/organization/accounts";

/// Root's token on a world with extra Acme accounts with distinct traits.
async fn setup(pool: PgPool) -> (TestApp, String) {
    let app = TestApp::counted(pool.clone()).await;
    let w = World::build(&app).await;
    for (name, role) in [
        ("anna", Role::Shopper),
        ("hannah", Role::Shopper),
        ("bob", Role::AdminBuyer),
        ("ann-marie", Role::SalesExecutive),
    ] {
        app.account(name, role, Some(w.acme)).await;
    }
    sqlx::query("UPDATE accounts SET active = FALSE WHERE username = 'bob'").execute(&pool).await.unwrap();
    sqlx::query(
        "UPDATE accounts SET last_login_at = now() - interval '1 day' WHERE username IN ('anna', 'acme_sales')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let (token, _) = app.login("root").await; // root's own last_login_at is set too
    (app, token)
}

fn usernames(r: &Resp) -> Vec<String> {
    r.body
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {}", r.text))
        .iter()
        .map(|a| a["username"].as_str().unwrap().to_owned())
        .collect()
}

async fn filtered(app: &TestApp, token: &str, filter: Value) -> Vec<String> {
    let r = app.get(&format!("{LIST}?page_size=500&sort=username&filter={}", enc(&filter.to_string())), token).await;
    r.expect(200);
    usernames(&r)
}

async fn all_usernames(pool: &PgPool, predicate: &str) -> Vec<String> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT username FROM accounts WHERE {predicate} ORDER BY username"
    )))
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn masks_select_exactly_the_named_fields(pool: PgPool) {
    let (app, token) = setup(pool).await;
    let default = app.get(&format!("{LIST}?page_size=1"), &token).await;
    default.expect(200);
    let keys: BTreeSet<&str> = default.body[0].as_object().unwrap().keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> =
        domain::resource::ACCOUNT.fields.iter().filter(|f| f.default).map(|f| f.name).collect();
    assert_eq!(keys, expected);

    let r = app
        .get_with(&format!("{LIST}?page_size=3"), &token, &[("X-Fields", "{id, username, distributor{name}}")])
        .await;
    r.expect(200);
    for item in r.body.as_array().unwrap() {
        let keys: Vec<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["distributor", "id", "username"]);
        if !item["distributor"].is_null() {
            assert_eq!(item["distributor"].as_object().unwrap().keys().collect::<Vec<_>>(), ["name"]);
        }
    }
    // The header wins over the query parameter.
    let both = app.get_with(&format!("{LIST}?page_size=1&fields=role"), &token, &[("X-Fields", "id")]).await;
    assert_eq!(both.body[0].as_object().unwrap().keys().collect::<Vec<_>>(), ["id"]);
    // A relation without braces gives its default fields; `*` the defaults at its level.
    let star = app.get(&format!("{LIST}?page_size=1&sort=username&fields={}", enc("*,distributor")), &token).await;
    star.expect(200);
    assert!(star.body[0]["distributor"]["name"].is_string() && star.body[0]["username"].is_string());
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn masks_never_change_which_rows_come_back(pool: PgPool) {
    let (app, token) = setup(pool).await;
    let ids = |r: &Resp| r.body.as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect::<Vec<_>>();
    let a = app.get(&format!("{LIST}?page_size=500&fields=id"), &token).await;
    let b = app
        .get(&format!("{LIST}?page_size=500&fields={}", enc("id,email,distributor{name,accounts{username}}")), &token)
        .await;
    assert_eq!(ids(&a), ids(&b));
    assert_eq!(ids(&a).len(), 13);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn mask_errors_explain_themselves(pool: PgPool) {
    let (app, token) = setup(pool).await;
    let unknown = app.get_with(LIST, &token, &[("X-Fields", "{id,usrname}")]).await;
    unknown.expect(400);
    let detail = unknown.body["detail"].as_str().unwrap();
    assert!(detail.contains("usrname") && detail.contains("position") && detail.contains("username"), "{detail}");
    assert_eq!(unknown.body["errors"][0]["field"], "X-Fields");
    for bad in ["{id", "id,,name", "{}", "id{", "distributor{accounts{distributor{accounts}}}", "id;drop"] {
        app.get(&format!("{LIST}?fields={}", enc(bad)), &token).await.expect(400);
    }
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn comparison_operators(pool: PgPool) {
    let (app, token) = setup(pool.clone()).await;
    let cases = [
        (json!([{"field": "username", "op": "==", "value": "anna"}]), "username = 'anna'"),
        (json!([{"field": "username", "op": "eq", "value": "anna"}]), "username = 'anna'"),
        (json!([{"field": "role", "op": "!=", "value": "shopper"}]), "role <> 'shopper'"),
        (json!([{"field": "username", "op": ">", "value": "bob"}]), "username > 'bob'"),
        (json!([{"field": "username", "op": "lt", "value": "anna"}]), "username < 'anna'"),
        (json!([{"field": "username", "op": ">=", "value": "hannah"}]), "username >= 'hannah'"),
        (json!([{"field": "username", "op": "le", "value": "anna"}]), "username <= 'anna'"),
        (json!([{"field": "username", "op": "like", "value": "ann%"}]), "username LIKE 'ann%'"),
        (json!([{"field": "username", "op": "ilike", "value": "%ANN%"}]), "username ILIKE '%ann%'"),
        (json!([{"field": "username", "op": "not_ilike", "value": "%a%"}]), "username NOT ILIKE '%a%'"),
        (
            json!([{"field": "role", "op": "in", "value": ["admin_buyer", "super_admin"]}]),
            "role IN ('admin_buyer', 'super_admin')",
        ),
        (
            json!([{"field": "role", "op": "not_in", "value": ["shopper", "admin_buyer"]}]),
            "role NOT IN ('shopper', 'admin_buyer')",
        ),
        (json!([{"field": "last_login_at", "op": "is_null"}]), "last_login_at IS NULL"),
        (json!([{"field": "last_login_at", "op": "is_not_null"}]), "last_login_at IS NOT NULL"),
        (json!([{"field": "active", "op": "==", "value": false}]), "NOT active"),
        (json!([{"field": "distributor_id", "op": "is_null"}]), "distributor_id IS NULL"),
        (json!([{"field": "id", "op": "in", "value": [1, 2, "3"]}]), "id IN (1, 2, 3)"),
        (json!([{"field": "created_at", "op": ">=", "value": "2000-01-01T00:00:00Z"}]), "TRUE"),
        (json!([{"field": "created_at", "op": "<", "value": "2000-01-01"}]), "FALSE"),
    ];
    for (filter, predicate) in cases {
        let got = filtered(&app, &token, filter.clone()).await;
        let want = all_usernames(&pool, predicate).await;
        assert_eq!(got, want, "filter {filter}");
        assert!(!want.is_empty() || predicate == "FALSE", "case {filter} proves nothing");
    }
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn groups_nest(pool: PgPool) {
    let (app, token) = setup(pool.clone()).await;
    let cases = [
        (
            json!([{"or": [{"field": "username", "op": "==", "value": "anna"}, {"field": "role", "op": "==", "value": "admin_buyer"}]}]),
            "username = 'anna' OR role = 'admin_buyer'",
        ),
        (
            json!([{"field": "role", "op": "==", "value": "shopper"}, {"not": [{"field": "username", "op": "like", "value": "%shopper"}]}]),
            "role = 'shopper' AND username NOT LIKE '%shopper'",
        ),
        (
            json!({"and": [{"field": "active", "op": "==", "value": true}, {"or": [{"field": "last_login_at", "op": "is_not_null"}, {"not": [{"field": "role", "op": "!=", "value": "admin_buyer"}]}]}]}),
            "active AND (last_login_at IS NOT NULL OR role = 'admin_buyer')",
        ),
        // `not` over a null comparison is still the complement.
        (
            json!([{"not": [{"field": "last_login_at", "op": ">", "value": "2000-01-01T00:00:00Z"}]}]),
            "NOT COALESCE(last_login_at > '2000-01-01', FALSE)",
        ),
    ];
    for (filter, predicate) in cases {
        assert_eq!(filtered(&app, &token, filter.clone()).await, all_usernames(&pool, predicate).await, "{filter}");
    }
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn relation_filters_use_exists_and_never_duplicate(pool: PgPool) {
    let (app, token) = setup(pool.clone()).await;
    let got =
        filtered(&app, &token, json!([{"model": "Distributor", "field": "name", "op": "==", "value": "Globex"}])).await;
    assert_eq!(got, all_usernames(&pool, "distributor_id = (SELECT id FROM distributors WHERE name = 'Globex')").await);
    // The listed model itself is the resource.
    let own =
        filtered(&app, &token, json!([{"model": "Account", "field": "username", "op": "==", "value": "bob"}])).await;
    assert_eq!(own, ["bob"]);
    let unknown = app
        .get(&format!("{LIST}?filter={}", enc(r#"[{"model":"Vendor","field":"name","op":"==","value":"x"}]"#)), &token)
        .await;
    unknown.expect(400);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn sorts_short_and_json(pool: PgPool) {
    let (app, token) = setup(pool.clone()).await;
    let r = app.get(&format!("{LIST}?page_size=500&sort=-username"), &token).await;
    r.expect(200);
    let desc: Vec<String> =
        sqlx::query_scalar("SELECT username FROM accounts ORDER BY username DESC").fetch_all(&pool).await.unwrap();
    assert_eq!(usernames(&r), desc);

    let json_sort = json!([{"field": "last_login_at", "direction": "desc", "nulls": "last"}, {"field": "username"}]);
    let r = app.get(&format!("{LIST}?page_size=500&sort={}", enc(&json_sort.to_string())), &token).await;
    r.expect(200);
    let want: Vec<String> =
        sqlx::query_scalar("SELECT username FROM accounts ORDER BY last_login_at DESC NULLS LAST, username, id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(usernames(&r), want);
    app.get(&format!("{LIST}?sort=password_hash"), &token).await.expect(400);
    app.get(&format!("{LIST}?sort=version"), &token).await.expect(400);
}

/// Walks every page by following `Link` headers.
async fn walk(app: &TestApp, token: &str, first: &str) -> (Vec<String>, usize) {
    let mut url = first.to_owned();
    let mut names = Vec::new();
    let mut pages = 0;
    loop {
        let r = app.get(&url, token).await;
        r.expect(200);
        names.extend(usernames(&r));
        pages += 1;
        assert!(pages < 100, "runaway paging");
        match r.header("link") {
            Some(link) => {
                let inner = link.strip_prefix('<').and_then(|l| l.split_once(">; rel=\"next\"")).unwrap().0;
                url = inner.to_owned();
            }
            None => return (names, pages),
        }
    }
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn keyset_and_offset_pages_cover_every_row_once(pool: PgPool) {
    let (app, token) = setup(pool.clone()).await;
    for (sort, order_by) in [
        ("username", "username, id"),
        ("-username", "username DESC, id"),
        ("-last_login_at,username", "last_login_at DESC NULLS FIRST, username, id"),
        (r#"[{"field":"last_login_at","direction":"asc","nulls":"first"}]"#, "last_login_at ASC NULLS FIRST, id"),
        (r#"[{"field":"last_login_at","direction":"desc","nulls":"last"}]"#, "last_login_at DESC NULLS LAST, id"),
        ("role,-active", "role, active DESC, id"),
    ] {
        let want: Vec<String> =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT username FROM accounts ORDER BY {order_by}")))
                .fetch_all(&pool)
                .await
                .unwrap();
        let (keyset, pages) =
            walk(&app, &token, &format!("{LIST}?page_size=3&fields=username&sort={}", enc(sort))).await;
        assert_eq!(keyset, want, "keyset with sort {sort}");
        assert_eq!(pages, want.len().div_ceil(3));
        let (offset, _) =
            walk(&app, &token, &format!("{LIST}?page_size=3&page_number=1&fields=username&sort={}", enc(sort))).await;
        assert_eq!(offset, want, "offset with sort {sort}");
    }
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn counts_only_when_asked(pool: PgPool) {
    let (app, token) = setup(pool.clone()).await;
    let plain = app.get(&format!("{LIST}?page_size=2"), &token).await;
    assert!(plain.header("x-total-count").is_none());
    let filter = enc(r#"[{"field":"role","op":"==","value":"shopper"}]"#);
    let counted = app.get(&format!("{LIST}?page_size=2&count=exact&filter={filter}"), &token).await;
    let want: i64 =
        sqlx::query_scalar("SELECT count(*) FROM accounts WHERE role = 'shopper'").fetch_one(&pool).await.unwrap();
    assert_eq!(counted.header("x-total-count"), Some(want.to_string().as_str()));
    assert!(want > 2);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn cursors_are_bound_to_their_query(pool: PgPool) {
    let (app, token) = setup(pool).await;
    let r = app.get(&format!("{LIST}?page_size=2&sort=username"), &token).await;
    let link = r.header("link").unwrap().to_owned();
    let cursor = link.split("cursor=").nth(1).unwrap().split('>').next().unwrap().to_owned();
    // Reused with another sort or filter: refused.
    app.get(&format!("{LIST}?page_size=2&sort=-username&cursor={cursor}"), &token).await.expect(400);
    let filter = enc(r#"[{"field":"active","op":"==","value":true}]"#);
    app.get(&format!("{LIST}?page_size=2&sort=username&filter={filter}&cursor={cursor}"), &token).await.expect(400);
    // Tampered: one character changed.
    let mut bytes = cursor.clone().into_bytes();
    bytes[5] = if bytes[5] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();
    let bad = app.get(&format!("{LIST}?page_size=2&sort=username&cursor={tampered}"), &token).await;
    bad.expect(400);
    assert_eq!(bad.body["errors"][0]["field"], "cursor");
    app.get(&format!("{LIST}?page_size=2&sort=username&cursor=garbage"), &token).await.expect(400);
    app.get(&format!("{LIST}?page_size=2&sort=username&cursor={cursor}&page_number=2"), &token).await.expect(400);
    // Untouched, it works.
    app.get(&format!("{LIST}?page_size=2&sort=username&cursor={cursor}"), &token).await.expect(200);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn bad_filters_are_400_before_any_sql(pool: PgPool) {
    let (app, token) = setup(pool).await;
    // Authentication caches the caller's account state: one request first, so
    // what is counted below is the refused requests' own SQL.
    app.get(LIST, &token).await.expect(200);
    for bad in [
        "not json",
        r#"[{"field":"nope","op":"==","value":1}]"#,
        r#"[{"field":"username","op":"~","value":"a"}]"#,
        r#"[{"field":"username","op":"in","value":"a"}]"#,
        r#"[{"field":"id","op":"==","value":"abc"}]"#,
        r#"[{"field":"created_at","op":">","value":"yesterday"}]"#,
        r#"[{"field":"role","op":"==","value":"emperor"}]"#,
        r#"[{"field":"active","op":"like","value":"t%"}]"#,
        r#"[{"field":"username","op":"==","value":"a\u0000b"}]"#,
        r#"[{"field":"username","op":"==","value":null}]"#,
        r#"[{"field":"password_hash","op":"==","value":"x"}]"#,
        r#"[{"or":[]}]"#,
    ] {
        let (statements, r) =
            crate::statements::statements_of(&app, app.get(&format!("{LIST}?filter={}", enc(bad)), &token)).await;
        r.expect(400);
        assert_eq!(r.body["errors"][0]["field"], "filter", "{bad}");
        assert_eq!(statements, 0, "{bad}: SQL ran for a refused filter");
    }
    let deep =
        (0..9).fold(r#"{"field":"id","op":"==","value":1}"#.to_owned(), |acc, _| format!(r#"{{"and":[{acc}]}}"#));
    app.get(&format!("{LIST}?filter={}", enc(&format!("[{deep}]"))), &token).await.expect(400);
    let long = format!(r#"[{{"field":"username","op":"==","value":"{}"}}]"#, "x".repeat(5000));
    app.get(&format!("{LIST}?filter={}", enc(&long)), &token).await.expect(400);
    for size in ["0", "501", "-1"] {
        app.get(&format!("{LIST}?page_size={size}"), &token).await.expect(400);
    }
    app.get(&format!("{LIST}?page_number=0"), &token).await.expect(400);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn hostile_strings_are_only_ever_values(pool: PgPool) {
    let (app, token) = setup(pool.clone()).await;
    let d: i64 = sqlx::query_scalar("SELECT id FROM distributors WHERE name = 'Acme'").fetch_one(&pool).await.unwrap();
    let corpus = [
        "o'brien",
        "\"quoted\"",
        "x'; DROP TABLE accounts; --",
        "a -- comment",
        "semi;colon",
        "back\\slash",
        "ünïcødé-名前",
        "%_wild",
        "$1",
        "') OR ('1'='1",
    ];
    for name in corpus {
        app.account(name, Role::Shopper, Some(d)).await;
    }
    for name in corpus {
        let got = filtered(&app, &token, json!([{"field": "username", "op": "==", "value": name}])).await;
        assert_eq!(got, [name], "eq {name:?}");
        let none = filtered(&app, &token, json!([{"field": "first_name", "op": "==", "value": name}])).await;
        assert!(none.is_empty(), "{name:?}");
    }
    assert_eq!(app.count("accounts").await, 13 + corpus.len() as i64, "the table survived");
    // As names, they are never accepted.
    for name in corpus {
        let r = app
            .get(
                &format!("{LIST}?filter={}", enc(&json!([{"field": name, "op": "==", "value": 1}]).to_string())),
                &token,
            )
            .await;
        r.expect(400);
        app.get(&format!("{LIST}?fields={}", enc(name)), &token).await.expect(400);
        app.get(&format!("{LIST}?sort={}", enc(name)), &token).await.expect(400);
    }
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn any_and_not_any_filter_list_fields(pool: PgPool) {
    let (app, token) = setup(pool.clone()).await;
    sqlx::query(
        "INSERT INTO campaigns (distributor_id, name, departments) \
         SELECT (SELECT id FROM distributors WHERE name = 'Acme'), n, d FROM (VALUES \
           ('Both', ARRAY['Sales', 'IT']), ('Sales only', ARRAY['Sales']), ('None', ARRAY[]::text[])) v(n, d)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let names = |filter: Value| {
        let app = &app;
        let token = &token;
        async move {
            let url =
                format!("/api/v1/organization/campaigns?sort=name&fields=name&filter={}", enc(&filter.to_string()));
            let r = app.get(&url, token).await;
            r.expect(200);
            r.body.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
        }
    };
    assert_eq!(names(json!([{"field": "departments", "op": "any", "value": "Sales"}])).await, ["Both", "Sales only"]);
    assert_eq!(names(json!([{"field": "departments", "op": "any", "value": "IT"}])).await, ["Both"]);
    let not_it = names(json!([{"field": "departments", "op": "not_any", "value": "IT"}])).await;
    assert!(not_it.contains(&"None".to_owned()) && not_it.contains(&"Sales only".to_owned()));
    assert!(!not_it.contains(&"Both".to_owned()));
    // Only list fields take any/not_any.
    let r = app
        .get(
            &format!("/api/v1/organization/campaigns?filter={}", enc(r#"[{"field":"name","op":"any","value":"x"}]"#)),
            &token,
        )
        .await;
    r.expect(400);
}
