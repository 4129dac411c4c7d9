//! Demo shopping: in every active campaign, the first shopper member has
//! checked out one order and the second has a basket with one line, so
//! `make run` shows a store in use. Each is added only when the shopper has
//! neither orders nor basket lines in the campaign yet, and only within the
//! campaign's limits and allowance rule, exactly as checkout would decide
//! (`domain::shopping`); the order is written by the same storage function
//! checkout uses, so its ledger entry, event and notification jobs are there too.

use crate::Seeded;
use anyhow::Context;
use chrono::{DateTime, Utc};
use domain::Role;
use domain::campaign::{CheckoutFieldKind, Status};
use domain::shopping::{Limits, Line, Rules, check_limits, usage_of};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use sqlx::PgConnection;
use storage::campaigns::Campaign;
use storage::shopping::{self, BasketLine, NewOrder};
use storage::write::Lock;

/// Seeds the demo orders and baskets of campaign `id`.
pub(crate) async fn campaign(
    tx: &mut PgConnection,
    id: i64,
    now: DateTime<Utc>,
    seeded: &mut Seeded,
) -> anyhow::Result<()> {
    let system = domain::Principal { account_id: 0, role: Role::SuperAdmin, distributor_id: None };
    let c = storage::campaigns::load(&mut *tx, &system, id, Lock::Share).await?.context("campaign vanished")?;
    let s = &c.settings;
    // Active campaigns only; the plan puts their dates around its day.
    if c.status != Status::Active {
        return Ok(());
    }
    let cheapest: Option<(i64, Decimal)> = sqlx::query_as(
        "SELECT id, price FROM campaign_items WHERE campaign_id = $1 AND price IS NOT NULL ORDER BY price, id LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((item, price)) = cheapest else { return Ok(()) };
    let shoppers: Vec<i64> = sqlx::query_scalar(
        "SELECT a.id FROM campaign_members m JOIN accounts a ON a.id = m.account_id \
         WHERE m.campaign_id = $1 AND a.role = 'shopper' AND a.active ORDER BY a.username",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    for (n, &shopper) in shoppers.iter().take(2).enumerate() {
        shopping::lock_basket(&mut *tx, shopper, id, c.distributor_id).await?;
        let history = shopping::history(&mut *tx, shopper, id).await?;
        if history.ordered.items > 0 || !shopping::basket_lines(&mut *tx, shopper, id).await?.is_empty() {
            continue;
        }
        let basket = usage_of([Line { quantity: 1, unit_price: price }]);
        let rules = Rules {
            limits: Limits { items_count: s.items_count_limit, price: s.price_limit },
            allowance: s.company_allowance,
            personal_pay: s.personal_pay,
        };
        if check_limits(rules.limits, history.ordered, basket).is_err() {
            continue;
        }
        shopping::set_line(&mut *tx, shopper, id, c.distributor_id, item, 1, price).await?;
        shopping::touch_basket(&mut *tx, shopper, id).await?;
        if n == 1 {
            seeded.baskets += 1;
            continue;
        }
        // Checked out exactly as the API decides a checkout.
        let Ok(split) = domain::shopping::checkout(rules, history.ordered, history.allowance_used, basket) else {
            continue;
        };
        let (lines, context): (Vec<BasketLine>, _) =
            shopping::checkout_basket(&mut *tx, shopper, id, c.distributor_id).await?;
        let locations = context.location_ids;
        let values = checkout_values(&c, &locations);
        let location = match locations.first() {
            Some(&l) => shopping::location_copy(&mut *tx, id, l).await?,
            None => None,
        };
        shopping::place_order(
            &mut *tx,
            &NewOrder {
                number: &context.order_number,
                distributor_id: c.distributor_id,
                account_id: shopper,
                campaign_id: id,
                checkout_fields: &values,
                location: location.as_ref(),
                department: s.departments.first().map(String::as_str),
                lines: &lines,
                usage: basket,
                allowance_applied: split.allowance_applied,
                payroll_deduction: split.payroll_deduction,
                allowance_remaining: split.allowance_remaining,
                at: now,
            },
        )
        .await?;
        seeded.orders += 1;
    }
    Ok(())
}

/// A value for each of the campaign's checkout fields that its rules accept.
fn checkout_values(c: &Campaign, locations: &[i64]) -> Value {
    let mut values = Map::new();
    for f in &c.settings.checkout_fields {
        let value = match CheckoutFieldKind::parse(&f.kind) {
            Some(CheckoutFieldKind::Select) => f.options.first().cloned().map(Value::from),
            Some(CheckoutFieldKind::Number) => Some(Value::from(1)),
            Some(CheckoutFieldKind::Location) => locations.first().copied().map(Value::from),
            Some(CheckoutFieldKind::Department) => c.settings.departments.first().cloned().map(Value::from),
            Some(CheckoutFieldKind::Text) | None => Some(Value::from("demo")),
        };
        if let Some(v) = value {
            values.insert(f.name.clone(), v);
        }
    }
    Value::Object(values)
}
