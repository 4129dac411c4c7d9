//! Who may run which report of which campaign: another distributor's
//! campaign is not found, a report the role may not run is forbidden, bad
//! parameters are refused before any row is read.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]

mod common;

use reports::{Format, Params, ReportError};
use sqlx::PgPool;

fn not_found(r: Result<reports::Report, ReportError>) -> bool {
    matches!(r, Err(ReportError::NotFound))
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_campaign_of_another_distributor_is_not_found(pool: PgPool) {
    common::demo(&pool).await;
    let acme = common::who(&pool, "manager").await;
    let globex = common::who(&pool, "globex.manager").await;
    let acme_campaign = common::campaign(&pool, "Acme Promo", "active").await;
    let globex_campaign = common::campaign(&pool, "Globex Merch", "active").await;
    for def in reports::catalog().iter().filter(|d| d.scope == reports::Scope::Campaign) {
        assert!(
            not_found(reports::run(&pool, &acme, def.slug, globex_campaign, Params::default()).await),
            "{}",
            def.slug
        );
        assert!(
            not_found(reports::run(&pool, &globex, def.slug, acme_campaign, Params::default()).await),
            "{}",
            def.slug
        );
        reports::run(&pool, &acme, def.slug, acme_campaign, Params::default()).await.unwrap();
    }
    // A campaign that does not exist, a report that does not exist.
    assert!(not_found(reports::run(&pool, &acme, "vendor-po", 999_999, Params::default()).await));
    assert!(not_found(reports::run(&pool, &acme, "no-such-report", acme_campaign, Params::default()).await));
    // The distributor report of another distributor.
    let globex_id: i64 =
        sqlx::query_scalar("SELECT id FROM distributors WHERE name = 'Globex Merch'").fetch_one(&pool).await.unwrap();
    let day = common::today();
    let r = reports::distributor_sales(&pool, &acme, globex_id, day, day, reports::Tz::UTC, None).await;
    assert!(not_found(r));
    // Super admins see every distributor's campaigns.
    let admin = common::who(&pool, "admin").await;
    reports::run(&pool, &admin, "vendor-po", globex_campaign, Params::default()).await.unwrap();
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn admin_buyers_run_four_reports_of_their_own_campaigns(pool: PgPool) {
    common::demo(&pool).await;
    let buyer = common::who(&pool, "acme.buyer").await;
    let active = common::campaign(&pool, "Acme Promo", "active").await;
    let draft = common::campaign(&pool, "Acme Promo", "draft").await;
    let allowed = ["payroll-deduction", "shopper-summary", "itemized-shopper", "location-po"];
    for def in reports::catalog().iter().filter(|d| d.scope == reports::Scope::Campaign) {
        let r = reports::run(&pool, &buyer, def.slug, active, Params::default()).await;
        if allowed.contains(&def.slug) {
            r.unwrap();
        } else {
            assert!(matches!(r, Err(ReportError::Forbidden)), "{}", def.slug);
        }
        // Not a member of the draft: as if it did not exist.
        assert!(not_found(reports::run(&pool, &buyer, def.slug, draft, Params::default()).await), "{}", def.slug);
    }
    let mut listed: Vec<&str> = reports::catalog_for(&buyer).iter().map(|d| d.slug).collect();
    listed.sort_unstable();
    let mut expected = allowed.to_vec();
    expected.sort_unstable();
    assert_eq!(listed, expected);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn shoppers_and_accounts_without_reports_run_nothing(pool: PgPool) {
    common::demo(&pool).await;
    let active = common::campaign(&pool, "Acme Promo", "active").await;
    let shopper = common::who(&pool, "acme.shopper1").await;
    let mut disabled = common::who(&pool, "manager").await;
    disabled.reports_enabled = false;
    for who in [shopper, disabled] {
        assert!(reports::catalog_for(&who).is_empty());
        let r = reports::run(&pool, &who, "shopper-summary", active, Params::default()).await;
        assert!(matches!(r, Err(ReportError::Forbidden)), "{r:?}");
    }
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn bad_parameters_are_refused(pool: PgPool) {
    common::demo(&pool).await;
    let who = common::who(&pool, "manager").await;
    let active = common::campaign(&pool, "Acme Promo", "active").await;
    let bad = |r: Result<reports::Report, ReportError>, name: &str| match r {
        Err(ReportError::BadParam { name: n, .. }) => assert_eq!(n, name),
        other => panic!("expected a bad {name}, got {other:?}"),
    };
    let vendor = Params { vendor: Some("Summit Drinkware".into()), ..Params::default() };
    bad(reports::run(&pool, &who, "bin", active, vendor.clone()).await, "vendor");
    let table = Params { table: Some("Nope".into()), ..Params::default() };
    bad(reports::run(&pool, &who, "decorator-po", active, table).await, "table");
    assert!(matches!(reports::parse_tz("Mars/Olympus"), Err(ReportError::BadParam { name: "tz", .. })));
    assert!(matches!("pdf".parse::<Format>(), Err(ReportError::BadParam { name: "format", .. })));

    // The vendor filter drops the Vendor column and keeps that vendor's items only.
    let r = reports::run(&pool, &who, "vendor-po", active, vendor).await.unwrap();
    let columns: Vec<&str> = r.tables()[0].1.iter().map(|c| c.name.as_str()).collect();
    assert!(!columns.contains(&"Vendor"), "{columns:?}");
    let csv = String::from_utf8(r.render_to_vec(Format::Csv).await.unwrap()).unwrap();
    assert!(csv.contains("Ceramic Mug"), "{csv}");
    let none = Params { vendor: Some("Pacific Apparel Supply".into()), ..Params::default() };
    let r = reports::run(&pool, &who, "vendor-po", active, none).await.unwrap();
    let csv = String::from_utf8(r.render_to_vec(Format::Csv).await.unwrap()).unwrap();
    assert!(!csv.contains("Ceramic Mug"), "{csv}");

    // One table of several: a CSV, not a ZIP, named after the table.
    let one = Params { table: Some("decorators-po".into()), ..Params::default() };
    let r = reports::run(&pool, &who, "decorator-po", active, one).await.unwrap();
    assert_eq!(r.content_type(Format::Csv), "text/csv; charset=utf-8");
    assert!(r.file_name(Format::Csv).ends_with("_decorator-po_decorators-po.csv"), "{}", r.file_name(Format::Csv));
    let all = reports::run(&pool, &who, "decorator-po", active, Params::default()).await.unwrap();
    assert_eq!(all.content_type(Format::Csv), "application/zip");
    assert_eq!(all.file_name(Format::Csv), "initech-welcome-kits_decorator-po.zip");
}
