//! The order mails' templates (`crates/server/templates/mail/`, embedded in
//! the binary) and the view of an order they are rendered from.
//!
//! Each mail has a plain-text and an HTML body from templates of the same
//! name; the HTML ones are auto-escaped (minijinja escapes `.html`
//! templates), so a product name or a checkout field cannot inject markup.
//! Amounts arrive as text already formatted (`$1,234.50`), so the templates
//! never do arithmetic or rounding.

use chrono::{DateTime, Utc};
use minijinja::Environment;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use storage::notifications::OrderMail;

/// A mail the workers send about an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    OrderConfirmation,
    NewOrderNotice,
    OrderShipped,
}

impl Template {
    /// The template's name: also the job kind that sends it and the
    /// `template` of its notification key.
    pub fn name(self) -> &'static str {
        match self {
            Template::OrderConfirmation => "order_confirmation",
            Template::NewOrderNotice => "new_order_notice",
            Template::OrderShipped => "order_shipped",
        }
    }

    /// How the order's history names it.
    pub fn title(self) -> &'static str {
        match self {
            Template::OrderConfirmation => "order confirmation",
            Template::NewOrderNotice => "new-order notice",
            Template::OrderShipped => "shipping notice",
        }
    }

    pub fn subject(self, order: &OrderMail) -> String {
        match self {
            Template::OrderConfirmation => format!("Order {} confirmed: {}", order.number, order.campaign_name),
            Template::NewOrderNotice => {
                format!("New order {} in {} from {}", order.number, order.campaign_name, order.shopper_name)
            }
            Template::OrderShipped => format!("Your order {} has shipped", order.number),
        }
    }
}

/// A rendered mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The templates, parsed once.
pub struct Templates {
    env: Environment<'static>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").finish_non_exhaustive()
    }
}

/// Every template file, by name.
const FILES: &[(&str, &str)] = &[
    ("layout.html", include_str!("../../templates/mail/layout.html")),
    ("lines.html", include_str!("../../templates/mail/lines.html")),
    ("lines.txt", include_str!("../../templates/mail/lines.txt")),
    ("location.txt", include_str!("../../templates/mail/location.txt")),
    ("order_confirmation.html", include_str!("../../templates/mail/order_confirmation.html")),
    ("order_confirmation.txt", include_str!("../../templates/mail/order_confirmation.txt")),
    ("new_order_notice.html", include_str!("../../templates/mail/new_order_notice.html")),
    ("new_order_notice.txt", include_str!("../../templates/mail/new_order_notice.txt")),
    ("order_shipped.html", include_str!("../../templates/mail/order_shipped.html")),
    ("order_shipped.txt", include_str!("../../templates/mail/order_shipped.txt")),
];

impl Templates {
    /// Parses every template; an error names the template and line.
    pub fn new() -> Result<Templates, minijinja::Error> {
        let mut env = Environment::new();
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder().trim_blocks(true).keep_trailing_newline(true).build()?,
        );
        for (name, source) in FILES {
            env.add_template(name, source)?;
        }
        Ok(Templates { env })
    }

    /// Renders `template` for `order`.
    pub fn render(&self, template: Template, order: &OrderMail) -> Result<Rendered, minijinja::Error> {
        let view = View::of(order);
        let context = minijinja::context! { order => minijinja::Value::from(minijinja::value::Serde(&view)) };
        let text = self.env.get_template(&format!("{}.txt", template.name()))?.render(&context)?;
        let html = self.env.get_template(&format!("{}.html", template.name()))?.render(&context)?;
        Ok(Rendered { subject: template.subject(order), text, html })
    }
}

/// What the templates see of an order: texts, amounts formatted.
#[derive(Debug, Serialize)]
struct View<'a> {
    number: &'a str,
    distributor_name: &'a str,
    campaign_name: &'a str,
    company_name: &'a str,
    campaign_message: &'a str,
    shopper_name: &'a str,
    shopper_email: &'a str,
    department: Option<&'a str>,
    placed_at: String,
    location: Option<String>,
    checkout_fields: Vec<Pair<'a>>,
    items_count: i64,
    subtotal: String,
    allowance_applied: String,
    payroll_deduction: String,
    lines: Vec<LineView<'a>>,
}

#[derive(Debug, Serialize)]
struct Pair<'a> {
    name: &'a str,
    value: &'a str,
}

#[derive(Debug, Serialize)]
struct LineView<'a> {
    sku: &'a str,
    product_name: &'a str,
    attributes: Vec<Pair<'a>>,
    quantity: i64,
    unit_price: String,
    line_total: String,
}

impl<'a> View<'a> {
    fn of(o: &'a OrderMail) -> View<'a> {
        let pairs = |v: &'a [(String, String)]| v.iter().map(|(n, v)| Pair { name: n, value: v }).collect();
        View {
            number: &o.number,
            distributor_name: &o.distributor_name,
            campaign_name: &o.campaign_name,
            company_name: &o.company_name,
            campaign_message: &o.campaign_message,
            shopper_name: &o.shopper_name,
            shopper_email: &o.shopper_email,
            department: o.department.as_deref(),
            placed_at: placed_at(o.created_at),
            location: o.location.as_ref().map(location),
            checkout_fields: pairs(&o.checkout_fields),
            items_count: o.items_count,
            subtotal: dollars(o.subtotal),
            allowance_applied: dollars(o.allowance_applied),
            payroll_deduction: dollars(o.payroll_deduction),
            lines: o
                .lines
                .iter()
                .map(|l| LineView {
                    sku: &l.sku,
                    product_name: &l.product_name,
                    attributes: pairs(&l.attributes),
                    quantity: l.quantity,
                    unit_price: dollars(l.unit_price),
                    line_total: dollars(l.line_total),
                })
                .collect(),
        }
    }
}

/// `$1,234.50`: two places, thousands grouped.
pub fn dollars(amount: Decimal) -> String {
    let text = domain::money::to_wire(amount);
    let (sign, digits) = text.strip_prefix('-').map_or(("", text.as_str()), |d| ("-", d));
    let (whole, cents) = digits.split_once('.').unwrap_or((digits, "00"));
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}${grouped}.{cents}")
}

/// The time an order was placed, in UTC (the mail cannot know the reader's zone).
fn placed_at(at: DateTime<Utc>) -> String {
    at.format("%B %-d, %Y at %H:%M UTC").to_string()
}

/// A delivery location on one line: nickname, street, suite, city, region,
/// zip, country, then the contact in parentheses.
fn location(v: &Value) -> String {
    let field = |k: &str| v.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    let place: Vec<&str> =
        ["nickname", "company_name", "street_and_number", "suite_unit", "city", "region", "zip_code", "country"]
            .iter()
            .filter_map(|k| field(k))
            .collect();
    match field("delivery_contact") {
        Some(contact) => format!("{} (attn. {contact})", place.join(", ")),
        None => place.join(", "),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails by panicking")]
    use super::*;
    use storage::notifications::MailLine;

    fn order() -> OrderMail {
        OrderMail {
            order_id: 7,
            distributor_id: 1,
            number: "AC-000123".into(),
            status: "processing".into(),
            version: 1,
            created_at: DateTime::parse_from_rfc3339("2026-12-04T10:03:00Z").unwrap().with_timezone(&Utc),
            distributor_name: "Acme Promo".into(),
            campaign_name: "Welcome Kits".into(),
            company_name: "Initech".into(),
            campaign_message: "Enjoy <b>your</b> gear".into(),
            email_shopper: true,
            shopper_name: "Pat Doe".into(),
            shopper_email: "pat@initech.example".into(),
            department: Some("Engineering".into()),
            location: Some(serde_json::json!({"nickname": "HQ", "city": "Austin", "delivery_contact": "Linda"})),
            checkout_fields: vec![("Employee ID".into(), "E-17".into())],
            items_count: 3,
            subtotal: Decimal::new(123_450, 2),
            allowance_applied: Decimal::new(100_000, 2),
            payroll_deduction: Decimal::new(23_450, 2),
            lines: vec![MailLine {
                sku: "TEE-M-FRONT".into(),
                product_name: "Tee <script>".into(),
                attributes: vec![("Size".into(), "M".into()), ("Color".into(), "Navy".into())],
                quantity: 3,
                unit_price: Decimal::new(41_150, 2),
                line_total: Decimal::new(123_450, 2),
            }],
        }
    }

    #[test]
    fn every_template_renders_the_amounts_lines_and_location() {
        let t = Templates::new().unwrap();
        if std::env::var_os("PRINT_MAIL").is_some() {
            println!("{}", t.render(Template::OrderConfirmation, &order()).unwrap().text);
        }
        for template in [Template::OrderConfirmation, Template::NewOrderNotice, Template::OrderShipped] {
            let r = t.render(template, &order()).unwrap();
            assert!(r.subject.contains("AC-000123"), "{}", r.subject);
            for body in [&r.text, &r.html] {
                for needle in ["AC-000123", "$1,234.50", "$1,000.00", "$234.50", "$411.50", "Size: M", "Austin"] {
                    assert!(body.contains(needle), "{} lacks {needle}:\n{body}", template.name());
                }
            }
            assert!(!r.html.contains("<script>"), "the HTML body escapes what the order holds");
            assert!(r.html.contains("Tee &lt;script&gt;"));
        }
        let confirmation = t.render(Template::OrderConfirmation, &order()).unwrap();
        assert!(confirmation.text.contains("Enjoy <b>your</b> gear"), "the text body keeps the message as is");
        assert!(confirmation.text.contains("Employee ID: E-17"));
        assert!(confirmation.html.contains("Enjoy &lt;b&gt;your&lt;"), "{}", confirmation.html);
        assert!(!confirmation.html.contains("<b>your"));
    }

    #[test]
    fn dollars_group_thousands_and_keep_cents() {
        assert_eq!(dollars(Decimal::new(0, 0)), "$0.00");
        assert_eq!(dollars(Decimal::new(5, 1)), "$0.50");
        assert_eq!(dollars(Decimal::new(123_456_789, 2)), "$1,234,567.89");
        assert_eq!(dollars(Decimal::new(-100_000, 2)), "-$1,000.00");
        assert_eq!(dollars(Decimal::new(99_999, 2)), "$999.99");
    }
}
