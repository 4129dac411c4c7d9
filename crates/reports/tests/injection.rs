//! Formula injection (OWASP CSV injection): text a shopper or staff typed
//! that a spreadsheet would run as a formula is defused with a leading `'`
//! in CSV and XLSX; numbers stay numbers.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]

mod common;

use reports::{Format, Params};
use sqlx::PgPool;

const EVIL: [&str; 5] = ["=HYPERLINK(\"http://x\")", "+1+2", "-3+4", "@SUM(A1)", "\tTAB"];

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn formulas_typed_by_people_are_defused_in_csv_and_xlsx(pool: PgPool) {
    common::demo(&pool).await;
    let who = common::who(&pool, "manager").await;
    let campaign = common::campaign(&pool, "Acme Promo", "active").await;
    // Names and checkout values are what people type.
    sqlx::query("UPDATE accounts SET first_name = $1, last_name = $2 WHERE username = 'acme.shopper1'")
        .bind(EVIL[0])
        .bind(EVIL[1])
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE orders SET checkout_fields = checkout_fields || jsonb_build_object('Employee ID', $1::text, \
         'Department', $2::text, 'Shirt size', $3::text) WHERE campaign_id = $4",
    )
    .bind(EVIL[2])
    .bind(EVIL[3])
    .bind(EVIL[4])
    .bind(campaign)
    .execute(&pool)
    .await
    .unwrap();
    let report = reports::run(&pool, &who, "itemized-shopper", campaign, Params::default()).await.unwrap();

    let csv = String::from_utf8(report.render_to_vec(Format::Csv).await.unwrap()).unwrap();
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(csv.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    for evil in EVIL {
        let defused = format!("'{evil}");
        assert!(records.iter().any(|r| r.iter().any(|f| f == defused)), "{evil:?} is not defused in\n{csv}");
    }
    for r in &records {
        for f in r {
            assert!(!f.starts_with(['=', '+', '-', '@', '\t', '\r']), "{f:?} is live in\n{csv}");
        }
    }
    // Numbers stay numbers: the quantity and the money columns.
    let data = &records[1];
    assert_eq!(data.get(data.len() - 3), Some("1"));
    assert_eq!(data.get(data.len() - 1), Some("46.08"));

    let xlsx = report.render_to_vec(Format::Xlsx).await.unwrap();
    let sheet = common::unzip(&xlsx)
        .into_iter()
        .filter(|(name, _)| name.starts_with("xl/worksheets/") || name == "xl/sharedStrings.xml")
        .map(|(_, text)| text)
        .collect::<String>();
    for evil in ["'=HYPERLINK(\"http://x\")", "'+1+2", "'-3+4", "'@SUM(A1)"] {
        assert!(sheet.contains(evil), "{evil} not in\n{sheet}");
    }
    assert!(!sheet.contains("<f>"), "no formula cells:\n{sheet}");
    // The money is a numeric cell.
    assert!(sheet.contains("<v>46.08</v>"), "{sheet}");
}
