//! The demo data: what it contains, that seeding is idempotent and
//! deterministic, and that it fits the rules the API enforces.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]

mod common;

use chrono::NaiveDate;
use domain::Role;
use domain::campaign::Status;
use seeders::Seeded;
use sqlx::PgPool;
use std::time::Instant;

/// A fixed day, so the campaign dates are the same on every run.
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 5, 14).unwrap()
}

/// What the first run on an empty database creates.
const EVERYTHING: Seeded = Seeded {
    distributors: 2,
    accounts: 17,
    campaigns: 8,
    members: 32,
    locations: 18,
    vendors: 13,
    attributes: 4,
    attribute_values: 40,
    product_types: 8,
    products: 13,
    variants: 106,
    items: 80,
    orders: 2,
    baskets: 2,
};

/// What the first run creates, per table (`storage::bulk::TABLES` order).
const ROWS: [i64; 21] = [2, 17, 13, 8, 32, 18, 4, 40, 8, 8, 8, 13, 106, 195, 80, 2, 2, 2, 2, 0, 0];

/// Row counts of every seeded table, in `storage::bulk::TABLES` order.
async fn counts(pool: &PgPool) -> Vec<i64> {
    let (_, sums) = storage::bulk::checksum(pool).await.unwrap();
    sums.iter().map(|s| s.rows).collect()
}

/// A digest of every seeded table's content (ids included; timestamps and
/// salted password hashes not), from storage, plus the organization tables
/// by name, so a change of ids alone cannot hide a change of content.
async fn checksum(pool: &PgPool) -> String {
    let (all, _) = storage::bulk::checksum(pool).await.unwrap();
    format!("{all}/{}", organization_checksum(pool).await)
}

async fn organization_checksum(pool: &PgPool) -> String {
    sqlx::query_scalar(
        "SELECT md5(concat_ws(' | ', \
           (SELECT string_agg(concat_ws(',', id, name, email, address, ow_cost, campaign_cost, transaction_cost, \
                                        max_sales_count, is_deleted, version), ';' ORDER BY id) FROM distributors), \
           (SELECT string_agg(concat_ws(',', a.id, a.username, a.email, a.first_name, a.last_name, a.role, \
                                        coalesce(d.name, '-'), a.active, a.reports_enabled, a.version), ';' \
                              ORDER BY a.id) \
              FROM accounts a LEFT JOIN distributors d ON d.id = a.distributor_id), \
           (SELECT string_agg(concat_ws(',', c.id, d.name, c.name, c.status, c.company_name, c.start_date, \
                                        c.end_date, c.storefront_pricing, c.company_allowance, c.personal_pay, \
                                        coalesce(c.items_count_limit::text, '-'), coalesce(c.price_limit::text, '-'), \
                                        c.email_shopper, c.checkout_fields::text, c.departments::text, c.message, \
                                        c.bfl_cost, coalesce(c.distributor_po, '-'), c.pick_pack_partner_message, \
                                        author.username, c.version), ';' ORDER BY c.id) \
              FROM campaigns c JOIN distributors d ON d.id = c.distributor_id \
              LEFT JOIN accounts author ON author.id = c.created_by), \
           (SELECT string_agg(concat_ws(',', c.name, a.username, d.name), ';' ORDER BY c.id, a.id) \
              FROM campaign_members m JOIN campaigns c ON c.id = m.campaign_id \
              JOIN accounts a ON a.id = m.account_id JOIN distributors d ON d.id = m.distributor_id), \
           (SELECT string_agg(concat_ws(',', l.id, c.name, d.name, l.nickname, l.company_name, l.street_and_number, \
                                        l.suite_unit, l.city, l.zip_code, l.region, l.country, l.delivery_contact, \
                                        l.version), ';' ORDER BY l.id) \
              FROM locations l JOIN campaigns c ON c.id = l.campaign_id JOIN distributors d ON d.id = l.distributor_id)))",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn seeding_twice_creates_nothing_the_second_time(pool: PgPool) {
    let started = Instant::now();
    let first = seeders::demo_on(&pool, today()).await.unwrap();
    let first_took = started.elapsed();
    assert_eq!(first, EVERYTHING);
    let (rows, sum) = (counts(&pool).await, checksum(&pool).await);
    assert_eq!(rows, ROWS);

    let started = Instant::now();
    let second = seeders::demo_on(&pool, today()).await.unwrap();
    let second_took = started.elapsed();
    assert!(second.is_empty(), "the second run created {second}");
    assert_eq!(counts(&pool).await, rows);
    assert_eq!(checksum(&pool).await, sum);
    eprintln!("seeding took {first_took:?} on an empty database, {second_took:?} when seeded");

    // Another day changes nothing either: existing campaigns are found by name.
    let later = today().succ_opt().unwrap();
    assert!(seeders::demo_on(&pool, later).await.unwrap().is_empty());
    assert_eq!(checksum(&pool).await, sum);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn every_fresh_database_gets_the_same_rows(pool: PgPool) {
    seeders::demo_on(&pool, today()).await.unwrap();
    let sum = checksum(&pool).await;
    storage::bulk::truncate_all(&mut pool.acquire().await.unwrap()).await.unwrap();
    assert_eq!(counts(&pool).await, [0; 21]);
    assert_eq!(seeders::demo_on(&pool, today()).await.unwrap(), EVERYTHING);
    assert_eq!(checksum(&pool).await, sum);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn both_distributors_have_every_role_and_every_status(pool: PgPool) {
    seeders::demo_on(&pool, today()).await.unwrap();
    for distributor in ["Acme Promo", "Globex Merch"] {
        let roles: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT a.role FROM accounts a JOIN distributors d ON d.id = a.distributor_id \
             WHERE d.name = $1 ORDER BY 1",
        )
        .bind(distributor)
        .fetch_all(&pool)
        .await
        .unwrap();
        let mut want: Vec<&str> = Role::ALL.iter().filter(|r| **r != Role::SuperAdmin).map(|r| r.as_str()).collect();
        want.sort_unstable();
        assert_eq!(roles, want, "{distributor}");

        let statuses: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT c.status, (SELECT count(*) FROM campaign_members m WHERE m.campaign_id = c.id), \
                    (SELECT count(*) FROM locations l WHERE l.campaign_id = c.id) \
             FROM campaigns c JOIN distributors d ON d.id = c.distributor_id WHERE d.name = $1 ORDER BY c.id",
        )
        .bind(distributor)
        .fetch_all(&pool)
        .await
        .unwrap();
        let names: Vec<&str> = statuses.iter().map(|(s, _, _)| s.as_str()).collect();
        assert_eq!(names, Status::ALL.map(Status::as_str), "{distributor}");
        for (status, members, locations) in &statuses {
            assert!(*members >= 1 && (2..=3).contains(locations), "{distributor} {status}: {members} {locations}");
        }
    }
    let admins: Vec<String> =
        sqlx::query_scalar("SELECT username FROM accounts WHERE role = 'super_admin'").fetch_all(&pool).await.unwrap();
    assert_eq!(admins, ["admin"]);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn members_and_locations_fit_the_api_rules(pool: PgPool) {
    seeders::demo_on(&pool, today()).await.unwrap();
    // Members: an account of the campaign's distributor with a member role.
    let misfits: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM campaign_members m JOIN campaigns c ON c.id = m.campaign_id \
         JOIN accounts a ON a.id = m.account_id \
         WHERE m.distributor_id <> c.distributor_id OR a.distributor_id IS DISTINCT FROM c.distributor_id \
            OR a.role NOT IN ('shopper', 'admin_buyer', 'sales_executive')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(misfits, 0);
    let misplaced: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM locations l JOIN campaigns c ON c.id = l.campaign_id \
         WHERE l.distributor_id <> c.distributor_id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(misplaced, 0);
    let countries: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT country FROM locations ORDER BY 1").fetch_all(&pool).await.unwrap();
    assert_eq!(countries, ["CA", "DE", "US"]);
    assert!(countries.iter().all(|c| validators::location::is_country(c)));

    // Campaigns past draft meet activation's requirements; the active ones are open today.
    let who = domain::Principal { account_id: 0, role: Role::SuperAdmin, distributor_id: None };
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM campaigns ORDER BY id").fetch_all(&pool).await.unwrap();
    for id in ids {
        let c = storage::campaigns::load(&pool, &who, id, storage::write::Lock::None).await.unwrap().unwrap();
        assert_eq!(validators::campaign::settings(&c.settings), [], "{}", c.settings.name);
        if c.status != Status::Draft {
            assert_eq!(validators::campaign::activation(&c.settings), [], "{}", c.settings.name);
        }
        let open = domain::campaign::is_open_on(c.status, c.settings.start_date, c.settings.end_date, today());
        assert_eq!(open, c.status == Status::Active, "{}", c.settings.name);
    }
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn shoppers_of_the_active_campaigns_can_log_in(pool: PgPool) {
    seeders::demo_on(&pool, today()).await.unwrap();
    let shoppers: Vec<(i64, String, bool)> = sqlx::query_as(
        "SELECT a.id, a.username, EXISTS (SELECT 1 FROM campaign_members m JOIN campaigns c ON c.id = m.campaign_id \
                                          WHERE m.account_id = a.id AND c.status = 'active') \
         FROM accounts a WHERE a.role = 'shopper' ORDER BY a.username",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(shoppers.len(), 8);
    for (id, username, in_active) in &shoppers {
        let may = storage::campaigns::shopper_has_open_campaign(&pool, *id, today()).await.unwrap();
        assert_eq!(may, *in_active, "{username}");
        assert_eq!(may, !username.ends_with("shopper4"), "{username}");
    }
    // The login table names exactly the shoppers who may log in.
    let listed = seeders::logins().into_iter().find(|l| l.role == Role::Shopper).unwrap().usernames;
    let may: Vec<&str> = shoppers.iter().filter(|s| s.2).map(|s| s.1.as_str()).collect();
    assert_eq!(listed, may);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn every_listed_login_works_with_its_password(pool: PgPool) {
    // Seeded for the real today, as `make run` does, so the login rule holds now.
    seeders::demo(&pool).await.unwrap();
    let now = chrono::Utc::now().date_naive();
    for logins in seeders::logins() {
        assert!(!logins.usernames.is_empty(), "{}", logins.role);
        for username in &logins.usernames {
            let account = storage::accounts::find_for_login(&pool, username).await.unwrap().unwrap();
            assert_eq!(account.role(), logins.role, "{username}");
            assert!(account.active, "{username}");
            if account.role() == Role::Shopper {
                assert!(storage::campaigns::shopper_has_open_campaign(&pool, account.id, now).await.unwrap());
            }
        }
        // Argon2 is slow: one verification per password (they are shared per role).
        let first = storage::accounts::find_for_login(&pool, logins.usernames[0]).await.unwrap().unwrap();
        assert!(domain::password::verify(logins.password, &first.password_hash), "{}", logins.role);
    }
    let (admin, password) = seeders::DEMO_ADMIN;
    let (manager, manager_password) = seeders::DEMO_MANAGER;
    assert_eq!((admin, password, manager, manager_password), ("admin", "admin", "manager", "manager-demo"));
    let hashes: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT password_hash) FROM accounts").fetch_one(&pool).await.unwrap();
    assert_eq!(hashes, 5, "one hash per distinct password");
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn the_minimal_data_grows_into_the_demo_data(pool: PgPool) {
    let minimal = seeders::minimal(&pool).await.unwrap();
    assert_eq!(minimal, Seeded { distributors: 1, accounts: 2, ..Seeded::default() });
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM accounts ORDER BY id").fetch_all(&pool).await.unwrap();
    let more = seeders::demo_on(&pool, today()).await.unwrap();
    assert_eq!(more, Seeded { distributors: 1, accounts: 15, ..EVERYTHING });
    let kept: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM accounts WHERE username IN ('admin', 'manager') ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(kept, ids);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn what_was_removed_comes_back_and_nothing_else_changes(pool: PgPool) {
    seeders::demo_on(&pool, today()).await.unwrap();
    let rows = counts(&pool).await;
    // A shopper (and by cascade their memberships), a location of an active
    // campaign, and a whole draft campaign.
    for sql in [
        "DELETE FROM accounts WHERE username = 'globex.shopper2'",
        "DELETE FROM locations WHERE nickname = 'Toronto office'",
        "DELETE FROM campaigns WHERE name = 'Vandelay Trade Show Kit'",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    // A campaign the user edited keeps the edit.
    sqlx::query("UPDATE campaigns SET message = 'Edited' WHERE name = 'Initech Welcome Kits'")
        .execute(&pool)
        .await
        .unwrap();
    let again = seeders::demo_on(&pool, today()).await.unwrap();
    // The draft campaign comes back with its locations and its 4 items, and
    // the returning shopper (the second of an active campaign) its demo basket.
    assert_eq!(
        again,
        Seeded {
            accounts: 1,
            campaigns: 1,
            members: 2 + 1,
            locations: 1 + 2,
            items: 4,
            baskets: 1,
            ..Seeded::default()
        }
    );
    assert_eq!(counts(&pool).await, rows);
    let message: String = sqlx::query_scalar("SELECT message FROM campaigns WHERE name = 'Initech Welcome Kits'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(message, "Edited");
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn each_distributor_has_a_whole_catalog(pool: PgPool) {
    seeders::demo_on(&pool, today()).await.unwrap();
    common::invariants(&pool).await;
    for distributor in ["Acme Promo", "Globex Merch"] {
        let roles: (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT count(*) FILTER (WHERE is_supplier), count(*) FILTER (WHERE is_decorator), \
                    count(*) FILTER (WHERE is_pick_pack), count(*) FILTER (WHERE NOT is_active) \
             FROM vendors v JOIN distributors d ON d.id = v.distributor_id WHERE d.name = $1",
        )
        .bind(distributor)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert!(roles.0 >= 3 && roles.1 >= 3 && roles.2 >= 1, "{distributor}: {roles:?}");

        // Types with their attributes in order, and the variants each product has.
        let types: Vec<(String, String)> = sqlx::query_as(
            "SELECT t.name, coalesce(string_agg(a.name, ',' ORDER BY ta.position), '') \
             FROM product_types t JOIN distributors d ON d.id = t.distributor_id \
             LEFT JOIN product_type_attributes ta ON ta.product_type_id = t.id \
             LEFT JOIN attributes a ON a.id = ta.attribute_id \
             WHERE d.name = $1 GROUP BY t.id, t.name ORDER BY t.id",
        )
        .bind(distributor)
        .fetch_all(&pool)
        .await
        .unwrap();
        let want = [("Wearables", "Color,Size"), ("Mugs", "Color"), ("Posters", ""), ("Pencils", "Color")];
        assert_eq!(types, want.map(|(t, a)| (t.to_owned(), a.to_owned())), "{distributor}");
        let sizes: Vec<String> = sqlx::query_scalar(
            "SELECT v.name FROM attribute_values v JOIN attributes a ON a.id = v.attribute_id \
             JOIN distributors d ON d.id = a.distributor_id WHERE d.name = $1 AND a.name = 'Size' ORDER BY v.position",
        )
        .bind(distributor)
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(sizes, domain::catalog::SIZES);
        let posters: Vec<(String, String)> = sqlx::query_as(
            "SELECT p.item_number, v.sku FROM product_variants v JOIN products p ON p.id = v.product_id \
             JOIN product_types t ON t.id = p.product_type_id JOIN distributors d ON d.id = p.distributor_id \
             WHERE d.name = $1 AND t.name = 'Posters'",
        )
        .bind(distributor)
        .fetch_all(&pool)
        .await
        .unwrap();
        assert_eq!(posters.len(), 1, "a type without attributes: one variant");
        assert_eq!(posters[0].0, posters[0].1);

        // Items in every demo campaign; frozen past draft (invariants), with a pick/pack partner.
        let campaigns: Vec<(String, i64, bool)> = sqlx::query_as(
            "SELECT c.status, (SELECT count(*) FROM campaign_items i WHERE i.campaign_id = c.id), \
                    c.pick_pack_partner_id IS NOT NULL \
             FROM campaigns c JOIN distributors d ON d.id = c.distributor_id WHERE d.name = $1 ORDER BY c.id",
        )
        .bind(distributor)
        .fetch_all(&pool)
        .await
        .unwrap();
        assert!(campaigns.iter().all(|(_, items, partner)| *items > 0 && *partner), "{distributor}: {campaigns:?}");
    }
    // The sku of a decorated item: the variant's, then each location in upper case.
    let (sku, price): (String, rust_decimal::Decimal) = sqlx::query_as(
        "SELECT i.sku, i.price FROM campaign_items i JOIN campaigns c ON c.id = i.campaign_id \
         JOIN product_variants v ON v.id = i.product_variant_id \
         WHERE c.name = 'Initech Summer Picnic' AND v.sku = 'TS-100-White-XL'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(sku, "TS-100-White-XL-FRONT-BACK");
    // 4.10 + 0 (bfl) + 1.50 (Acme's ow_cost) + 1.20 + 1.40 = 8.20; / 0.60 = 13.666… → 13.67
    assert_eq!(price.to_string(), "13.67");
}
