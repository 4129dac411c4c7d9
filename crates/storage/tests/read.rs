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
