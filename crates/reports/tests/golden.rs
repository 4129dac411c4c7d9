//! Golden files: every report of the demo active campaign in every format,
//! so a change of a column, a total or a chart shows in review. The demo is
//! seeded at a fixed day, its order stamped at a fixed time, the report
//! stamped at a fixed time and rendered in America/Chicago. An XLSX is
//! compared as its workbook and sheet XML, not as zip bytes.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]

mod common;

use reports::{Format, Params};
use sqlx::PgPool;

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn every_report_of_the_demo_campaign_in_every_format(pool: PgPool) {
    common::demo(&pool).await;
    let who = common::who(&pool, "manager").await;
    let campaign = common::campaign(&pool, "Acme Promo", "active").await;
    let tz = reports::parse_tz("America/Chicago").unwrap();
    for def in reports::catalog().iter().filter(|d| d.scope == reports::Scope::Campaign) {
        let params = Params { tz, ..Params::default() };
        let report = reports::run(&pool, &who, def.slug, campaign, params)
            .await
            .unwrap()
            .with_generated_at("2026-05-15T12:00:00Z".parse().unwrap());
        for format in Format::ALL {
            let text = common::rendered(&report, format).await;
            insta::assert_snapshot!(format!("{}.{}", def.slug, format.as_str()), text);
        }
    }
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn the_distributor_sales_report_in_every_format(pool: PgPool) {
    common::demo(&pool).await;
    let who = common::who(&pool, "manager").await;
    let acme: i64 =
        sqlx::query_scalar("SELECT id FROM distributors WHERE name = 'Acme Promo'").fetch_one(&pool).await.unwrap();
    let day = common::today();
    let report = reports::distributor_sales(&pool, &who, acme, day, day, reports::Tz::UTC, None)
        .await
        .unwrap()
        .with_generated_at("2026-05-15T12:00:00Z".parse().unwrap());
    for format in Format::ALL {
        let text = common::rendered(&report, format).await;
        insta::assert_snapshot!(format!("distributor-sales.{}", format.as_str()), text);
    }
}

/// A report renders on its own task into a pipe far smaller than the
/// output (as an HTTP body would take it), and the bytes are the same as
/// rendered into memory.
#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_report_streams_through_a_small_pipe_from_another_task(pool: PgPool) {
    use tokio::io::AsyncReadExt;
    common::demo(&pool).await;
    let who = common::who(&pool, "manager").await;
    let campaign = common::campaign(&pool, "Acme Promo", "active").await;
    for format in Format::ALL {
        let report = reports::run(&pool, &who, "all", campaign, Params::default())
            .await
            .unwrap()
            .with_generated_at("2026-05-15T12:00:00Z".parse().unwrap());
        let expected = report.render_to_vec(format).await.unwrap();
        let (mut writer, mut reader) = tokio::io::duplex(1024);
        let task = tokio::spawn(async move { report.render(format, &mut writer).await });
        let mut got = Vec::new();
        reader.read_to_end(&mut got).await.unwrap();
        task.await.unwrap().unwrap();
        if format == Format::Xlsx {
            // The zip of an XLSX carries its creation time: compare the sheets.
            assert_eq!(common::dump(format, &got), common::dump(format, &expected));
        } else {
            assert_eq!(got, expected, "{format:?}");
        }
    }
}
