//! Notifications about orders: what a mail says (read in three statements,
//! off the request path), and the `notifications` rows that make each one
//! go out at most once.
//!
//! A notification's key is (order, template, order version). A worker
//! [`claim`]s the key in a transaction, which locks its row: a second worker
//! running the same job (a lost lease, a retry) waits on that lock and then
//! finds the notification `sent`. The worker sends while it holds the lock
//! and marks the row in the same transaction, so a send that failed leaves
//! the row `pending` for the next attempt.

use crate::error::Result;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::{PgExecutor, Row};

/// An order as its mails show it.
#[derive(Debug, Clone)]
pub struct OrderMail {
    pub order_id: i64,
    pub distributor_id: i64,
    pub number: String,
    pub status: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub distributor_name: String,
    pub campaign_name: String,
    pub company_name: String,
    pub campaign_message: String,
    /// Whether the campaign emails its shoppers.
    pub email_shopper: bool,
    pub shopper_name: String,
    /// The e-mail the shopper gave at checkout (a checkout field named
    /// "Email"), else the account's.
    pub shopper_email: String,
    pub department: Option<String>,
    /// The delivery location as chosen at checkout.
    pub location: Option<Value>,
    /// The checkout fields as filled in, in the campaign's order.
    pub checkout_fields: Vec<(String, String)>,
    pub items_count: i64,
    pub subtotal: Decimal,
    pub allowance_applied: Decimal,
    pub payroll_deduction: Decimal,
    pub lines: Vec<MailLine>,
}

/// One line of an order mail.
#[derive(Debug, Clone)]
pub struct MailLine {
    pub sku: String,
    pub product_name: String,
    /// (attribute, value) in the product type's order: ("Size", "M").
    pub attributes: Vec<(String, String)>,
    pub quantity: i64,
    pub unit_price: Decimal,
    pub line_total: Decimal,
}

/// The order `order_id` as its mails show it; `None` when there is no such order.
pub async fn order_mail(db: impl PgExecutor<'_> + Copy, order_id: i64) -> Result<Option<OrderMail>> {
    let Some(r) = sqlx::query(
        "SELECT o.id, o.distributor_id, o.number, o.status, o.version::int8 AS version, o.created_at, \
                d.name AS distributor_name, c.name AS campaign_name, c.company_name, c.message, c.email_shopper, \
                trim(a.first_name || ' ' || a.last_name) AS shopper_name, \
                coalesce((SELECT NULLIF(trim(f.value), '') FROM jsonb_each_text(o.checkout_fields) f \
                          WHERE lower(f.key) IN ('email', 'e-mail', 'email address') LIMIT 1), a.email) AS shopper_email, \
                o.department, o.location, o.items_count::int8 AS items_count, o.subtotal, o.allowance_applied, \
                o.payroll_deduction, \
                coalesce((SELECT jsonb_agg(jsonb_build_array(f ->> 'name', \
                                  coalesce(o.checkout_fields ->> (f ->> 'name'), '')) ORDER BY n) \
                          FROM jsonb_array_elements(c.checkout_fields) WITH ORDINALITY AS x(f, n) \
                          WHERE f ->> 'kind' <> 'location'), '[]') AS fields \
         FROM orders o JOIN campaigns c ON c.id = o.campaign_id JOIN distributors d ON d.id = o.distributor_id \
              JOIN accounts a ON a.id = o.account_id \
         WHERE o.id = $1",
    )
    .bind(order_id)
    .fetch_optional(db)
    .await?
    else {
        return Ok(None);
    };
    let fields: Value = r.try_get("fields")?;
    let checkout_fields = pairs(&fields);
    let lines = sqlx::query(
        "SELECT l.sku, l.product_name, l.quantity::int8 AS quantity, l.unit_price, l.line_total, \
                coalesce((SELECT jsonb_agg(jsonb_build_array(x.v ->> 'attribute', x.v ->> 'value') ORDER BY x.n) \
                          FROM jsonb_array_elements(i.attributes) WITH ORDINALITY AS x(v, n)), '[]') AS attributes \
         FROM order_items l JOIN campaign_items i ON i.id = l.campaign_item_id \
         WHERE l.order_id = $1 ORDER BY l.id",
    )
    .bind(order_id)
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|l| {
        Ok(MailLine {
            sku: l.try_get("sku")?,
            product_name: l.try_get("product_name")?,
            attributes: pairs(&l.try_get::<Value, _>("attributes")?),
            quantity: l.try_get("quantity")?,
            unit_price: l.try_get("unit_price")?,
            line_total: l.try_get("line_total")?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    Ok(Some(OrderMail {
        order_id: r.try_get("id")?,
        distributor_id: r.try_get("distributor_id")?,
        number: r.try_get("number")?,
        status: r.try_get("status")?,
        version: r.try_get("version")?,
        created_at: r.try_get("created_at")?,
        distributor_name: r.try_get("distributor_name")?,
        campaign_name: r.try_get("campaign_name")?,
        company_name: r.try_get("company_name")?,
        campaign_message: r.try_get("message")?,
        email_shopper: r.try_get("email_shopper")?,
        shopper_name: r.try_get("shopper_name")?,
        shopper_email: r.try_get("shopper_email")?,
        department: r.try_get("department")?,
        location: r.try_get("location")?,
        checkout_fields,
        items_count: r.try_get("items_count")?,
        subtotal: r.try_get("subtotal")?,
        allowance_applied: r.try_get("allowance_applied")?,
        payroll_deduction: r.try_get("payroll_deduction")?,
        lines,
    }))
}

/// `[["a", "b"], ...]` as pairs (values that are not texts print as JSON).
fn pairs(v: &Value) -> Vec<(String, String)> {
    let text = |v: Option<&Value>| match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    v.as_array().map(|a| a.iter().map(|p| (text(p.get(0)), text(p.get(1)))).collect()).unwrap_or_default()
}

/// The active admin buyers of the order's campaign: (name, e-mail).
pub async fn admin_buyers(db: impl PgExecutor<'_>, order_id: i64) -> Result<Vec<(String, String)>> {
    let rows = sqlx::query(
        "SELECT trim(a.first_name || ' ' || a.last_name) AS name, a.email \
         FROM orders o JOIN campaign_members m ON m.campaign_id = o.campaign_id \
              JOIN accounts a ON a.id = m.account_id \
         WHERE o.id = $1 AND a.role = 'admin_buyer' AND a.active AND a.email <> '' ORDER BY a.id",
    )
    .bind(order_id)
    .fetch_all(db)
    .await?;
    rows.into_iter().map(|r| Ok((r.try_get("name")?, r.try_get("email")?))).collect()
}

/// A notification's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key<'a> {
    pub order_id: i64,
    pub template: &'a str,
    pub order_version: i64,
}

/// Where a claimed notification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Not sent yet: the caller holds its row's lock and may send it.
    Pending(i64),
    /// Already sent (by an earlier run of the job), or decided not to send.
    Settled,
}

/// Claims the notification `key` in the caller's transaction: creates its
/// row when missing and locks it until the transaction ends.
pub async fn claim(tx: &mut crate::Connection, distributor_id: i64, key: Key<'_>, job_id: i64) -> Result<Standing> {
    let version = i32::try_from(key.order_version).unwrap_or(i32::MAX);
    sqlx::query(
        "INSERT INTO notifications (distributor_id, order_id, template, order_version, job_id) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (order_id, template, order_version) DO NOTHING",
    )
    .bind(distributor_id)
    .bind(key.order_id)
    .bind(key.template)
    .bind(version)
    .bind(job_id)
    .execute(&mut *tx)
    .await?;
    let row = sqlx::query(
        "SELECT id, state FROM notifications WHERE order_id = $1 AND template = $2 AND order_version = $3 FOR UPDATE",
    )
    .bind(key.order_id)
    .bind(key.template)
    .bind(version)
    .fetch_one(&mut *tx)
    .await?;
    let state: String = row.try_get("state")?;
    Ok(match state.as_str() {
        "pending" | "failed" => Standing::Pending(row.try_get("id")?),
        _ => Standing::Settled,
    })
}

/// How a claimed notification ended.
#[derive(Debug, Clone)]
pub enum Outcome<'a> {
    Sent {
        recipients: &'a [String],
        subject: &'a str,
        message_id: &'a str,
    },
    /// Nobody to send it to (the campaign does not email shoppers, no admin buyer).
    Skipped {
        reason: &'a str,
    },
    /// Every attempt failed.
    Failed,
}

/// Records how the notification `id` ended.
pub async fn settle(db: impl PgExecutor<'_>, id: i64, outcome: &Outcome<'_>) -> Result<()> {
    let (state, recipients, subject, message_id): (&str, &[String], &str, Option<&str>) = match outcome {
        Outcome::Sent { recipients, subject, message_id } => ("sent", recipients, subject, Some(message_id)),
        Outcome::Skipped { .. } => ("skipped", &[], "", None),
        Outcome::Failed => ("failed", &[], "", None),
    };
    sqlx::query(
        "UPDATE notifications SET state = $2, recipients = $3, subject = $4, message_id = $5, \
                sent_at = CASE WHEN $2 = 'sent' THEN now() END \
         WHERE id = $1",
    )
    .bind(id)
    .bind(state)
    .bind(recipients)
    .bind(subject)
    .bind(message_id)
    .execute(db)
    .await?;
    Ok(())
}
