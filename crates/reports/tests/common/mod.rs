//! Helpers of the report tests: the demo data at a fixed day and time, the
//! callers, and readable dumps of every format.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, reason = "test helpers")]

use chrono::{DateTime, NaiveDate, Utc};
use domain::{Principal, Role};
use reports::{Format, Report, ReportAccess};
use sqlx::PgPool;
use std::io::Read;

/// The day the demo data is dated around, and the moment its orders are placed.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 5, 14).unwrap()
}

pub fn placed_at() -> DateTime<Utc> {
    "2026-05-14T15:30:00Z".parse().unwrap()
}

/// The demo data with its orders stamped at [`placed_at`] (the demo seed
/// stamps them with the time of the run).
pub async fn demo(pool: &PgPool) {
    seeders::demo_on(pool, today()).await.unwrap();
    sqlx::query("UPDATE orders SET created_at = $1").bind(placed_at()).execute(pool).await.unwrap();
    more_orders(pool).await;
}

/// Two more orders in Acme's active campaign, by `acme.shopper3`, so the
/// reports have several orders, lines and sizes, a payroll deduction and a
/// cancelled order: one over the $150.00 allowance (2 hoodies XL and a
/// tee M: $196.54, $46.54 deducted) an hour after the demo order, and one
/// pencil two hours after it, cancelled (it must count nowhere).
async fn more_orders(pool: &PgPool) {
    use rust_decimal::Decimal;
    use storage::shopping::{BasketLine, NewOrder};
    let (campaign, distributor): (i64, i64) = sqlx::query_as(
        "SELECT c.id, c.distributor_id FROM campaigns c JOIN distributors d ON d.id = c.distributor_id \
         WHERE d.name = 'Acme Promo' AND c.status = 'active'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let shopper: i64 =
        sqlx::query_scalar("SELECT id FROM accounts WHERE username = 'acme.shopper3'").fetch_one(pool).await.unwrap();
    let location: (i64, serde_json::Value) = sqlx::query_as(
        "SELECT id, jsonb_build_object('id', id, 'nickname', nickname, 'company_name', company_name, \
                'street_and_number', street_and_number, 'suite_unit', suite_unit, 'city', city, \
                'zip_code', zip_code, 'region', region, 'country', country, 'delivery_contact', delivery_contact) \
         FROM locations WHERE campaign_id = $1 AND nickname = 'Dallas office'",
    )
    .bind(campaign)
    .fetch_one(pool)
    .await
    .unwrap();
    let line = |sku: &'static str, quantity: i64| async move {
        let (id, price, product_name): (i64, Decimal, String) =
            sqlx::query_as("SELECT id, price, product_name FROM campaign_items WHERE campaign_id = $1 AND sku = $2")
                .bind(campaign)
                .bind(sku)
                .fetch_one(pool)
                .await
                .unwrap();
        BasketLine {
            campaign_item_id: id,
            quantity,
            unit_price: price,
            current_price: Some(price),
            sku: sku.to_owned(),
            product_name,
        }
    };
    let orders = [
        (
            vec![line("HD-200-Heather Grey-XL-LEFT CHEST", 2).await, line("TS-100-Navy-M-FRONT", 1).await],
            "ACME-GOLDEN-1",
            1,
        ),
        (vec![line("PC-02-Red-BARREL", 1).await], "ACME-GOLDEN-2", 2),
    ];
    let allowance = Decimal::new(15_000, 2);
    let mut used = Decimal::ZERO;
    for (lines, number, hours) in orders {
        let usage = storage::shopping::usage(&lines);
        let applied = usage.amount.min(allowance - used);
        used += applied;
        let values = serde_json::json!({
            "Department": "Sales", "Employee ID": "E-2042", "Delivery location": location.0, "Shirt size": "L",
        });
        let mut tx = pool.begin().await.unwrap();
        let placed = storage::shopping::place_order(
            &mut tx,
            &NewOrder {
                number,
                distributor_id: distributor,
                account_id: shopper,
                campaign_id: campaign,
                checkout_fields: &values,
                location: Some(&location.1),
                department: Some("Sales"),
                lines: &lines,
                usage,
                allowance_applied: applied,
                payroll_deduction: usage.amount - applied,
                allowance_remaining: Some(allowance - used),
                at: placed_at() + chrono::TimeDelta::hours(hours),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        if hours == 2 {
            sqlx::query("UPDATE orders SET status = 'cancelled' WHERE id = $1")
                .bind(placed.id)
                .execute(pool)
                .await
                .unwrap();
        }
    }
}

/// The caller logged in as `username`, with reports enabled.
pub async fn who(pool: &PgPool, username: &str) -> ReportAccess {
    let (id, role, distributor): (i64, String, Option<i64>) =
        sqlx::query_as("SELECT id, role, distributor_id FROM accounts WHERE username = $1")
            .bind(username)
            .fetch_one(pool)
            .await
            .unwrap();
    let role = Role::ALL.into_iter().find(|r| r.as_str() == role).unwrap();
    ReportAccess::new(Principal { account_id: id, role, distributor_id: distributor }, true)
}

/// The campaign of `distributor` in `status` (the first by id).
pub async fn campaign(pool: &PgPool, distributor: &str, status: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT c.id FROM campaigns c JOIN distributors d ON d.id = c.distributor_id \
         WHERE d.name = $1 AND c.status = $2 ORDER BY c.id LIMIT 1",
    )
    .bind(distributor)
    .bind(status)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The entries of a ZIP, by name, as text.
pub fn unzip(bytes: &[u8]) -> Vec<(String, String)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut entries = Vec::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let mut text = String::new();
        f.read_to_string(&mut text).unwrap();
        entries.push((f.name().unwrap().into_owned(), text));
    }
    entries
}

/// A readable dump of a rendering, for golden files: JSON pretty-printed, a
/// ZIP as its entries, an XLSX as its workbook and sheet XML.
pub fn dump(format: Format, bytes: &[u8]) -> String {
    match format {
        Format::Json => {
            let v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
            serde_json::to_string_pretty(&v).unwrap()
        }
        Format::Csv if bytes.starts_with(b"PK") => unzip(bytes)
            .into_iter()
            .map(|(name, text)| format!("==> {name} <==\n{text}"))
            .collect::<Vec<_>>()
            .join("\n"),
        Format::Csv | Format::Html => String::from_utf8(bytes.to_vec()).unwrap(),
        Format::Xlsx => unzip(bytes)
            .into_iter()
            .filter(|(name, _)| {
                name == "xl/workbook.xml" || name == "xl/sharedStrings.xml" || name.starts_with("xl/worksheets/")
            })
            .map(|(name, text)| format!("==> {name} <==\n{}", text.replace("><", ">\n<")))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// `report` rendered as `format`, dumped.
pub async fn rendered(report: &Report, format: Format) -> String {
    dump(format, &report.render_to_vec(format).await.unwrap())
}
