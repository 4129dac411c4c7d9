//! Cells and how each format prints them.

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

/// What a column holds; decides how every format prints its cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Text,
    Integer,
    /// Exact decimal, printed with 2 places.
    Money,
    /// A non-money decimal (a margin in percent), printed with 2 places.
    Number,
    /// A moment, printed in the report's time zone.
    Timestamp,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Integer => "integer",
            Kind::Money => "money",
            Kind::Number => "number",
            Kind::Timestamp => "timestamp",
        }
    }
}

/// One value of a report table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    Money(Decimal),
    Number(Decimal),
    Time(DateTime<Utc>),
}

/// A column of a table as run: its header and kind.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
    /// Set on the columns of a repeated group (Pick, Pack and Bag's
    /// `Product i`/`Quantity i`, one pair per line of the longest order):
    /// a page folds the group into one column, where CSV and XLSX keep the
    /// old layout of one column each.
    #[serde(skip)]
    pub fold: Option<Fold>,
}

/// How a page shows a group of repeated columns: one column headed `title`,
/// each row's cell listing the group's non-empty units of `stride` cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fold {
    pub title: &'static str,
    pub stride: usize,
}

/// A data row, or a subtotal row a table adds between groups (not counted
/// in the meta).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    Data,
    Subtotal,
}

/// The characters a spreadsheet reads as the start of a formula (OWASP CSV
/// injection), so a text cell starting with one is printed after a `'`.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `text`, defused for a spreadsheet: prefixed with `'` if it could be read
/// as a formula. Numbers are never text cells, so they stay numbers.
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) { format!("'{text}").into() } else { text.into() }
}

/// A decimal with exactly 2 places (half away from zero, as the database rounds).
pub fn two_places(d: Decimal) -> String {
    let mut r = d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    r.to_string()
}

/// A moment as the old reports printed it, in `tz`: `11/04/2026, 14:03:00`.
pub fn local_time(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%m/%d/%Y, %H:%M:%S").to_string()
}

/// A moment as RFC 3339 in `tz` (JSON).
pub fn rfc3339(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).to_rfc3339_opts(SecondsFormat::Secs, false)
}

impl Cell {
    /// The cell as plain text for CSV and HTML (text not neutralised).
    pub fn plain(&self, tz: Tz) -> std::borrow::Cow<'_, str> {
        match self {
            Cell::Empty => "".into(),
            Cell::Text(t) => t.as_str().into(),
            Cell::Int(n) => n.to_string().into(),
            Cell::Money(d) | Cell::Number(d) => two_places(*d).into(),
            Cell::Time(t) => local_time(*t, tz).into(),
        }
    }

    /// The cell for a spreadsheet (CSV): text neutralised, numbers as numbers.
    pub fn spreadsheet(&self, tz: Tz) -> std::borrow::Cow<'_, str> {
        match self {
            Cell::Text(t) => neutralise(t),
            other => other.plain(tz),
        }
    }

    /// The cell as JSON: money and decimals as exact strings, moments as
    /// RFC 3339 in the report's zone, empty as null.
    pub fn json(&self, tz: Tz) -> serde_json::Value {
        match self {
            Cell::Empty => serde_json::Value::Null,
            Cell::Text(t) => t.as_str().into(),
            Cell::Int(n) => (*n).into(),
            Cell::Money(d) | Cell::Number(d) => two_places(*d).into(),
            Cell::Time(t) => rfc3339(*t, tz).into(),
        }
    }

    /// The number in the cell, for sums and charts.
    pub fn decimal(&self) -> Option<Decimal> {
        match self {
            Cell::Int(n) => Some(Decimal::from(*n)),
            Cell::Money(d) | Cell::Number(d) => Some(*d),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_defused_and_the_rest_kept() {
        for bad in ["=SUM(A1)", "+1", "-2", "@cmd", "\tx", "\rx"] {
            assert_eq!(neutralise(bad), format!("'{bad}"));
        }
        for fine in ["Sally", "1-2", "", " =x", "'quoted"] {
            assert_eq!(neutralise(fine), fine);
        }
    }

    #[test]
    fn money_has_two_places() {
        assert_eq!(two_places(Decimal::new(125, 1)), "12.50");
        assert_eq!(two_places(Decimal::new(3, 0)), "3.00");
        assert_eq!(two_places(Decimal::new(12345, 3)), "12.35");
        assert_eq!(two_places(Decimal::new(-5, 3)), "-0.01");
    }
}
