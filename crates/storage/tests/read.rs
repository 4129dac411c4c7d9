//! The read compiler on a to-many relation: batched children, bounded, and
//! relation filters through EXISTS that never duplicate parents.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]

use domain::query::{Condition, Filter, ListQuery, Op, Operand, Page, PageMode, Scalar, Sort};
use domain::resource::{ACCOUNT, DISTRIBUTOR};
use domain::{Principal, Role};
use sqlx::PgPool;
use storage::read;

fn root() -> Principal {
    Principal { account_id: 0, role: Role::SuperAdmin, distributor_id: None }
}

async fn seed(pool: &PgPool) {
    sqlx::query("INSERT INTO distributors (name) VALUES ('Acme'), ('Globex'), ('Empty')").execute(pool).await.unwrap();
    sqlx::query(
        "INSERT INTO accounts (username, email, password_hash, role, distributor_id) \
         SELECT 'u' || g, 'u' || g || '@x.example', 'x', CASE WHEN g % 3 = 0 THEN 'shopper' ELSE 'admin_buyer' END, \
                (SELECT id FROM distributors WHERE name = CASE WHEN g <= 150 THEN 'Acme' ELSE 'Globex' END) \
         FROM generate_series(1, 160) g",
    )
    .execute(pool)
    .await
    .unwrap();
}

fn query(filter: Option<Filter>, relations: bool) -> ListQuery {
    let mut selection = validators::query::select(None, &DISTRIBUTOR, Role::SuperAdmin).unwrap();
    if relations {
        let accounts = DISTRIBUTOR.relation("accounts").unwrap();
        let sub = validators::query::select(None, &ACCOUNT, Role::SuperAdmin).unwrap();
        selection.relations.push((accounts, sub));
    }
    ListQuery {
        selection,
        filter,
        sort: validators::query::default_sort(&DISTRIBUTOR),
        page: Page { size: 50, mode: PageMode::Keyset { cursor: None } },
        count: true,
    }
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn relation_filters_do_not_duplicate_parents(pool: PgPool) {
    seed(&pool).await;
    let shoppers = Filter::Cond(Condition {
        via: DISTRIBUTOR.relation("accounts"),
        field: ACCOUNT.field("role").unwrap(),
        key: None,
        op: Op::Eq,
        operand: Operand::One(Scalar::Text("shopper".into())),
    });
    let key = storage::CursorKey::derive(b"test");
    let page = read::list(&pool, &root(), &query(Some(shoppers), false), &key).await.unwrap();
    let names: Vec<&str> = page.items.iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Acme", "Globex"], "one row per distributor with shoppers, none for Empty");
    assert_eq!(page.total, Some(2));
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn embedded_children_are_bounded_and_ordered(pool: PgPool) {
    seed(&pool).await;
    let key = storage::CursorKey::derive(b"test");
    let page = read::list(&pool, &root(), &query(None, true), &key).await.unwrap();
    let by_name = |n: &str| page.items.iter().find(|d| d["name"] == n).unwrap()["accounts"].as_array().unwrap().clone();
    let acme = by_name("Acme");
    assert_eq!(acme.len(), domain::query::limits::MAX_EMBEDDED_CHILDREN as usize, "150 accounts, capped");
    let names: Vec<&str> = acme.iter().map(|a| a["username"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "in the target's default order (username)");
    assert_eq!(by_name("Globex").len(), 10);
    assert!(by_name("Empty").is_empty());
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn staff_scope_applies_to_embedded_children_too(pool: PgPool) {
    seed(&pool).await;
    let acme: i64 =
        sqlx::query_scalar("SELECT id FROM distributors WHERE name = 'Acme'").fetch_one(&pool).await.unwrap();
    let manager = Principal { account_id: 1, role: Role::DistributorManager, distributor_id: Some(acme) };
    let key = storage::CursorKey::derive(b"test");
    let page = read::list(&pool, &manager, &query(None, true), &key).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0]["name"], "Acme");
    assert_eq!(page.total, Some(1));
    let _ = Sort::default();
}

/// A type's attributes are an ordered link: they come in the link's
/// position order, at most `MAX_EMBEDDED_CHILDREN` of them, whether the
/// page's links fit the bound and are ordered and capped after the
/// statement (a list of both types) or a parent may pass the cap and the
/// statement orders and caps them (the big type read alone).
#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn ordered_links_come_in_position_order_capped_either_way(pool: PgPool) {
    use domain::resource::{ATTRIBUTE, PRODUCT_TYPE};
    sqlx::query("INSERT INTO distributors (name) VALUES ('Acme')").execute(&pool).await.unwrap();
    let d: i64 = sqlx::query_scalar("SELECT id FROM distributors").fetch_one(&pool).await.unwrap();
    sqlx::query("INSERT INTO attributes (distributor_id, name) SELECT $1, 'a' || g FROM generate_series(1, 123) g")
        .bind(d)
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO product_types (distributor_id, name) VALUES ($1, 'Big'), ($1, 'Small')")
        .bind(d)
        .execute(&pool)
        .await
        .unwrap();
    // Big: a1..a120 at positions that shuffle them (37 is prime to 120);
    // Small: a121..a123 in the reverse of their ids.
    sqlx::query(
        "INSERT INTO product_type_attributes (product_type_id, attribute_id, distributor_id, position) \
         SELECT (SELECT id FROM product_types WHERE name = 'Big'), a.id, $1, (g * 37) % 120 + 1 \
         FROM generate_series(1, 120) g JOIN attributes a ON a.name = 'a' || g \
         UNION ALL \
         SELECT (SELECT id FROM product_types WHERE name = 'Small'), a.id, $1, 124 - g \
         FROM generate_series(121, 123) g JOIN attributes a ON a.name = 'a' || g",
    )
    .bind(d)
    .execute(&pool)
    .await
    .unwrap();
    let mut big: Vec<(i64, String)> = (1..=120).map(|g| ((g * 37) % 120 + 1, format!("a{g}"))).collect();
    big.sort_unstable();
    let big: Vec<String> = big.into_iter().take(100).map(|(_, name)| name).collect();

    let mut selection = validators::query::select(None, &PRODUCT_TYPE, Role::SuperAdmin).unwrap();
    let attributes = PRODUCT_TYPE.relation("attributes").unwrap();
    selection.relations.push((attributes, validators::query::select(None, &ATTRIBUTE, Role::SuperAdmin).unwrap()));
    let names = |item: &serde_json::Value| -> Vec<String> {
        item["attributes"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap().to_owned()).collect()
    };

    let list = ListQuery {
        selection: selection.clone(),
        filter: None,
        sort: validators::query::default_sort(&PRODUCT_TYPE),
        page: Page { size: 50, mode: PageMode::Keyset { cursor: None } },
        count: false,
    };
    let key = storage::CursorKey::derive(b"test");
    let page = read::list(&pool, &root(), &list, &key).await.unwrap();
    let by_name = |n: &str| page.items.iter().find(|t| t["name"] == n).unwrap();
    assert_eq!(names(by_name("Small")), ["a123", "a122", "a121"], "in position order, not id order");
    assert_eq!(names(by_name("Big")), big, "the first 100 by position (ordered after the statement)");

    let big_id: i64 =
        sqlx::query_scalar("SELECT id FROM product_types WHERE name = 'Big'").fetch_one(&pool).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let one = read::get(&mut conn, &root(), &selection, big_id).await.unwrap().unwrap();
    assert_eq!(names(&one.body), big, "the first 100 by position (ordered and capped by the statement)");
}
