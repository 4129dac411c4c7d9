//! Every report's figures against independent SQL over the orders and
//! their lines, on the `small` seed (about 10,000 orders, some cancelled;
//! `RECONCILE_SCALE=medium` for the benchmark's 100,000):
//! PO quantities are the quantities ordered per item, the payroll
//! deduction is what the orders recorded, sales are the order subtotals,
//! cancelled orders count nowhere, and every meta line is the sum of its
//! table's rows.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]

mod common;

use reports::catalog::Meta;
use reports::{Format, Params};
use rust_decimal::Decimal;
use seeders::{Options, Progress, Scale};
use serde_json::Value;
use sqlx::PgPool;
use std::collections::BTreeMap;

/// A table of a JSON rendering.
#[derive(Debug)]
struct Table {
    name: String,
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
    subtotals: usize,
    meta: BTreeMap<String, Value>,
}

impl Table {
    fn col(&self, name: &str) -> usize {
        self.columns.iter().position(|c| c == name).unwrap_or_else(|| panic!("{}: no column {name}", self.name))
    }

    fn sum(&self, name: &str) -> Decimal {
        let i = self.col(name);
        self.rows.iter().map(|r| number(&r[i])).sum()
    }

    fn numbers(&self, name: &str) -> Vec<Decimal> {
        let i = self.col(name);
        let mut v: Vec<Decimal> = self.rows.iter().map(|r| number(&r[i])).collect();
        v.sort_unstable();
        v
    }

    fn meta(&self, label: &str) -> Decimal {
        number(self.meta.get(label).unwrap_or_else(|| panic!("{}: no meta {label}", self.name)))
    }
}

fn number(v: &Value) -> Decimal {
    match v {
        Value::Number(n) => Decimal::from(n.as_i64().unwrap()),
        Value::String(s) => s.parse().unwrap(),
        Value::Null => Decimal::ZERO,
        other => panic!("not a number: {other}"),
    }
}

async fn tables(pool: &PgPool, who: &reports::ReportAccess, slug: &str, campaign: i64) -> Vec<Table> {
    let report = reports::run(pool, who, slug, campaign, Params::default()).await.unwrap();
    let json: Value = serde_json::from_slice(&report.render_to_vec(Format::Json).await.unwrap()).unwrap();
    json["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let rows = t["rows"].as_array().unwrap();
            Table {
                name: t["name"].as_str().unwrap().to_owned(),
                columns: t["columns"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["name"].as_str().unwrap().to_owned())
                    .collect(),
                rows: rows.iter().filter_map(|r| r.as_array().cloned()).collect(),
                subtotals: rows.iter().filter(|r| r.is_object()).count(),
                meta: t["meta"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| (m["label"].as_str().unwrap().to_owned(), m["value"].clone()))
                    .collect(),
            }
        })
        .collect()
}

async fn scalar(pool: &PgPool, sql: &'static str, campaign: i64) -> Decimal {
    sqlx::query_scalar::<_, Option<Decimal>>(sql).bind(campaign).fetch_one(pool).await.unwrap().unwrap_or_default()
}

async fn list(pool: &PgPool, sql: &'static str, campaign: i64) -> Vec<Decimal> {
    let mut v: Vec<Decimal> = sqlx::query_scalar(sql).bind(campaign).fetch_all(pool).await.unwrap();
    v.sort_unstable();
    v
}

const LIVE: &str = "o.campaign_id = $1 AND o.status <> 'cancelled'";

/// Every meta line that is a sum is the sum of its column over the rows.
fn meta_is_the_sum_of_rows(slug: &str, tables: &[Table]) {
    let def = reports::catalog().iter().find(|d| d.slug == slug).unwrap();
    for (t, d) in tables.iter().zip(def.tables) {
        for m in d.meta {
            match *m {
                Meta::Sum(label, column) => assert_eq!(t.meta(label), t.sum(column), "{slug}/{}: {label}", t.name),
                Meta::Count(label) => {
                    assert_eq!(t.meta(label), Decimal::from(t.rows.len()), "{slug}/{}: {label}", t.name)
                }
                Meta::SumPlus { .. } => {}
            }
        }
    }
}

async fn reconcile(pool: &PgPool, who: &reports::ReportAccess, c: i64) {
    let ordered_qty = scalar(
        pool,
        "SELECT sum(l.quantity)::numeric FROM orders o JOIN order_items l ON l.order_id = o.id \
         WHERE o.campaign_id = $1 AND o.status <> 'cancelled'",
        c,
    )
    .await;
    let per_item = list(
        pool,
        "SELECT sum(l.quantity)::numeric FROM orders o JOIN order_items l ON l.order_id = o.id \
         WHERE o.campaign_id = $1 AND o.status <> 'cancelled' GROUP BY l.campaign_item_id",
        c,
    )
    .await;
    let subtotals =
        scalar(pool, "SELECT sum(o.subtotal) FROM orders o WHERE o.campaign_id = $1 AND o.status <> 'cancelled'", c)
            .await;
    let orders =
        scalar(pool, "SELECT count(*)::numeric FROM orders o WHERE o.campaign_id = $1 AND o.status <> 'cancelled'", c)
            .await;
    let lines = scalar(
        pool,
        "SELECT count(*)::numeric FROM orders o JOIN order_items l ON l.order_id = o.id \
         WHERE o.campaign_id = $1 AND o.status <> 'cancelled'",
        c,
    )
    .await;
    let _ = LIVE;

    for def in reports::catalog().iter().filter(|d| d.scope == reports::Scope::Campaign) {
        let t = tables(pool, who, def.slug, c).await;
        meta_is_the_sum_of_rows(def.slug, &t);
    }

    // Vendor PO: one row per item ordered, its quantity what was ordered.
    let vendor = &tables(pool, who, "vendor-po", c).await[0];
    assert_eq!(vendor.numbers("Quantity"), per_item);
    assert_eq!(vendor.meta("Total quantity"), ordered_qty);
    let cost = scalar(
        pool,
        "SELECT sum(round(q * ci.vendor_cost, 2)) FROM campaign_items ci JOIN \
           (SELECT l.campaign_item_id AS id, sum(l.quantity) AS q FROM orders o JOIN order_items l ON l.order_id = o.id \
            WHERE o.campaign_id = $1 AND o.status <> 'cancelled' GROUP BY 1) x ON x.id = ci.id",
        c,
    )
    .await;
    assert_eq!(vendor.meta("Total cost"), cost);

    // Decorator PO: the same quantities; the bag/fold/label PO counts every unit.
    let decorator = tables(pool, who, "decorator-po", c).await;
    assert_eq!(decorator[0].numbers("Total ordered in campaign"), per_item);
    assert_eq!(decorator[1].sum("Total items ordered"), ordered_qty);
    let with_bfl = decorator[2].meta("Total PO amounts") + decorator[1].sum("PO Amount");
    assert_eq!(decorator[2].meta("Total PO amounts with Bag/Fold/Label PO"), with_bfl);
    let decorated = scalar(
        pool,
        "SELECT sum(l.quantity * jsonb_array_length(ci.decorations))::numeric FROM orders o \
         JOIN order_items l ON l.order_id = o.id JOIN campaign_items ci ON ci.id = l.campaign_item_id \
         WHERE o.campaign_id = $1 AND o.status <> 'cancelled'",
        c,
    )
    .await;
    assert_eq!(decorator[2].sum("Total items ordered"), decorated);

    // Bin and labels: the same units.
    assert_eq!(tables(pool, who, "bin", c).await[0].numbers("Total Ordered in Campaign"), per_item);
    assert_eq!(Decimal::from(tables(pool, who, "label-report", c).await[0].rows.len()), ordered_qty);

    // Itemized and Sales Executives' Shopper: every line, a subtotal per order.
    for slug in ["itemized-shopper", "sales-executives-shopper"] {
        let t = &tables(pool, who, slug, c).await[0];
        assert_eq!(Decimal::from(t.rows.len()), lines, "{slug}");
        assert_eq!(Decimal::from(t.subtotals), orders, "{slug}");
        assert_eq!(t.meta("Total price"), subtotals, "{slug}");
        assert_eq!(t.meta("Total quantity"), ordered_qty, "{slug}");
    }

    // Shopper Summary: one row per order, sales = Σ order subtotals.
    let summary = &tables(pool, who, "shopper-summary", c).await[0];
    assert_eq!(summary.meta("Total orders"), orders);
    assert_eq!(summary.meta("Total sales"), subtotals);
    assert_eq!(summary.meta("Total items"), ordered_qty);

    // Pick, pack and bag: one row per order, every unit picked.
    let pick = &tables(pool, who, "pick-pack-and-bag", c).await[0];
    assert_eq!(Decimal::from(pick.rows.len()), orders);
    assert_eq!(pick.sum("Totals"), ordered_qty);

    // Payroll deduction: one row per shopper who owes one; the deduction is
    // what the orders recorded, the allowance what the ledger says.
    let payroll = &tables(pool, who, "payroll-deduction", c).await[0];
    let deduction = scalar(
        pool,
        "SELECT sum(o.payroll_deduction) FROM orders o WHERE o.campaign_id = $1 AND o.status <> 'cancelled'",
        c,
    )
    .await;
    assert_eq!(payroll.meta("Total payroll deduction"), deduction);
    let people = scalar(
        pool,
        "SELECT count(*)::numeric FROM (SELECT account_id FROM orders o WHERE o.campaign_id = $1 \
           AND o.status <> 'cancelled' GROUP BY 1 HAVING sum(payroll_deduction) > 0) x",
        c,
    )
    .await;
    assert_eq!(payroll.meta("Total people"), people);
    let allowance = scalar(
        pool,
        "SELECT sum(g.amount) FROM allowance_ledger g WHERE g.campaign_id = $1 AND g.account_id IN \
           (SELECT account_id FROM orders o WHERE o.campaign_id = $1 AND o.status <> 'cancelled' \
            GROUP BY 1 HAVING sum(payroll_deduction) > 0)",
        c,
    )
    .await;
    assert_eq!(payroll.sum("Allowance"), allowance);
    let (total, applied, owed) =
        (payroll.col("Total Price"), payroll.col("Allowance"), payroll.col("Payroll Deduction"));
    for r in &payroll.rows {
        assert_eq!(number(&r[total]) - number(&r[applied]), number(&r[owed]), "{r:?}");
        assert!(number(&r[owed]) > Decimal::ZERO);
    }

    // Location PO: the campaign's locations, and the orders sent to each.
    let locations = &tables(pool, who, "location-po", c).await[0];
    let count = scalar(pool, "SELECT count(*)::numeric FROM locations WHERE campaign_id = $1", c).await;
    assert_eq!(locations.meta("Total locations"), count);
    let located = scalar(
        pool,
        "SELECT count(*)::numeric FROM orders o WHERE o.campaign_id = $1 AND o.status <> 'cancelled' \
         AND o.location IS NOT NULL",
        c,
    )
    .await;
    assert_eq!(locations.sum("Orders"), located);

    // Campaign product list: every item.
    let items = scalar(pool, "SELECT count(*)::numeric FROM campaign_items WHERE campaign_id = $1", c).await;
    assert_eq!(Decimal::from(tables(pool, who, "campaign-product-list", c).await[0].rows.len()), items);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn every_report_reconciles_with_the_orders(pool: PgPool) {
    // `small` in the test suite; the benchmark runs it on `medium` too
    // (RECONCILE_SCALE=medium, see bench/README.md).
    let scale: Scale = std::env::var("RECONCILE_SCALE").ok().map_or(Scale::SMALL, |s| s.parse().unwrap());
    seeders::seed(&pool, &Options::new(scale), &mut Progress::silent()).await.unwrap();
    // The busiest campaign, and the one with the most payroll deductions
    // among those with cancelled orders (so leaving them out matters).
    let campaigns: Vec<(i64, i64)> = sqlx::query_as(
        "(SELECT campaign_id, distributor_id FROM orders GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1) \
         UNION \
         (SELECT campaign_id, distributor_id FROM orders GROUP BY 1, 2 \
          HAVING bool_or(status = 'cancelled') ORDER BY sum(payroll_deduction) DESC LIMIT 1)",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(!campaigns.is_empty());
    for (c, distributor) in campaigns {
        let manager: String = sqlx::query_scalar(
            "SELECT username FROM accounts WHERE distributor_id = $1 AND role = 'distributor_manager' ORDER BY id LIMIT 1",
        )
        .bind(distributor)
        .fetch_one(&pool)
        .await
        .unwrap();
        let who = common::who(&pool, &manager).await;
        let cancelled = scalar(
            &pool,
            "SELECT count(*)::numeric FROM orders o WHERE o.campaign_id = $1 AND o.status = 'cancelled'",
            c,
        )
        .await;
        eprintln!("campaign {c}: {cancelled} cancelled orders");
        reconcile(&pool, &who, c).await;
    }
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn distributor_sales_add_up_to_the_orders(pool: PgPool) {
    seeders::seed(&pool, &Options::new(Scale::Times(0.2)), &mut Progress::silent()).await.unwrap();
    let (distributor, manager): (i64, String) = sqlx::query_as(
        "SELECT a.distributor_id, a.username FROM accounts a JOIN orders o ON o.distributor_id = a.distributor_id \
         WHERE a.role = 'distributor_manager' GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let who = common::who(&pool, &manager).await;
    let from = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    let to = chrono::NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
    let tz: reports::Tz = "America/Chicago".parse().unwrap();
    let report = reports::distributor_sales(&pool, &who, distributor, from, to, tz, None).await.unwrap();
    let json: Value = serde_json::from_slice(&report.render_to_vec(Format::Json).await.unwrap()).unwrap();
    let (sales, orders): (Decimal, i64) = sqlx::query_as(
        "SELECT sum(subtotal), count(*) FROM orders WHERE distributor_id = $1 AND status <> 'cancelled'",
    )
    .bind(distributor)
    .fetch_one(&pool)
    .await
    .unwrap();
    for t in json["tables"].as_array().unwrap() {
        let meta: BTreeMap<&str, &Value> =
            t["meta"].as_array().unwrap().iter().map(|m| (m["label"].as_str().unwrap(), &m["value"])).collect();
        assert_eq!(number(meta["Total sales"]), sales, "{}", t["name"]);
        assert_eq!(number(meta["Total orders"]), Decimal::from(orders), "{}", t["name"]);
    }
    let html = String::from_utf8(report.render_to_vec(Format::Html).await.unwrap()).unwrap();
    assert_eq!(html.matches("<svg").count(), 2);
}
