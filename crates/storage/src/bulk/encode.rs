//! COPY's text format: the [`Encoder`], how each column type is written, and
//! [`Encoded`] rows of one table, built ahead of their COPY.

use super::load::CHUNK_BYTES;
use super::rows::CopyRow;
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use std::fmt::Write as _;

/// Rows encoded in COPY's text format: tab-separated fields, `\N` for NULL,
/// backslash escapes, one line per row.
#[derive(Debug, Default, Clone)]
pub struct Encoder {
    pub(super) buf: String,
    at_row_start: bool,
    pub(super) rows: u64,
}

impl Encoder {
    pub fn new() -> Encoder {
        Encoder { buf: String::with_capacity(CHUNK_BYTES + 4096), at_row_start: true, rows: 0 }
    }

    /// The encoded bytes so far.
    pub fn as_str(&self) -> &str {
        &self.buf
    }

    /// How many rows were encoded.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    pub(super) fn clear(&mut self) {
        self.buf.clear();
    }

    fn sep(&mut self) {
        if !self.at_row_start {
            self.buf.push('\t');
        }
        self.at_row_start = false;
    }

    fn null(&mut self) {
        self.sep();
        self.buf.push_str("\\N");
    }

    /// A value whose text needs no escaping (numbers, dates, `t`/`f`).
    fn plain(&mut self, value: impl std::fmt::Display) {
        self.sep();
        // Writing to a String cannot fail.
        let _ = write!(self.buf, "{value}");
    }

    fn text(&mut self, value: &str) {
        self.sep();
        escape_into(&mut self.buf, value);
    }

    pub(super) fn end_row(&mut self) {
        self.buf.push('\n');
        self.at_row_start = true;
        self.rows += 1;
    }
}

/// COPY text escaping: backslash, tab, newline and carriage return.
fn escape_into(out: &mut String, value: &str) {
    if !value.contains(['\\', '\t', '\n', '\r']) {
        out.push_str(value);
        return;
    }
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// A value of a column, as COPY text.
pub trait CopyValue {
    fn put(&self, e: &mut Encoder);
}

impl CopyValue for String {
    fn put(&self, e: &mut Encoder) {
        e.text(self);
    }
}

impl CopyValue for i64 {
    fn put(&self, e: &mut Encoder) {
        e.plain(self);
    }
}

impl CopyValue for i32 {
    fn put(&self, e: &mut Encoder) {
        e.plain(self);
    }
}

impl CopyValue for bool {
    fn put(&self, e: &mut Encoder) {
        e.plain(if *self { 't' } else { 'f' });
    }
}

impl CopyValue for Decimal {
    fn put(&self, e: &mut Encoder) {
        e.plain(self);
    }
}

impl CopyValue for NaiveDate {
    fn put(&self, e: &mut Encoder) {
        e.plain(self.format("%Y-%m-%d"));
    }
}

impl CopyValue for DateTime<Utc> {
    fn put(&self, e: &mut Encoder) {
        e.plain(self.format("%Y-%m-%d %H:%M:%S%.6f+00"));
    }
}

impl CopyValue for serde_json::Value {
    fn put(&self, e: &mut Encoder) {
        e.text(&self.to_string());
    }
}

/// `BIGINT[]`: `{1,2,3}`.
impl CopyValue for Vec<i64> {
    fn put(&self, e: &mut Encoder) {
        e.sep();
        e.buf.push('{');
        for (i, v) in self.iter().enumerate() {
            if i > 0 {
                e.buf.push(',');
            }
            let _ = write!(e.buf, "{v}");
        }
        e.buf.push('}');
    }
}

/// `TEXT[]`: every element double-quoted, `"` and `\` backslash-escaped
/// inside the array literal, and the literal then escaped for COPY.
impl CopyValue for Vec<String> {
    fn put(&self, e: &mut Encoder) {
        let mut literal = String::from("{");
        for (i, v) in self.iter().enumerate() {
            if i > 0 {
                literal.push(',');
            }
            literal.push('"');
            for c in v.chars() {
                if matches!(c, '"' | '\\') {
                    literal.push('\\');
                }
                literal.push(c);
            }
            literal.push('"');
        }
        literal.push('}');
        e.text(&literal);
    }
}

impl<T: CopyValue> CopyValue for Option<T> {
    fn put(&self, e: &mut Encoder) {
        match self {
            Some(v) => v.put(e),
            None => e.null(),
        }
    }
}

/// Appends `rows` to `e`.
pub fn encode<R: CopyRow>(e: &mut Encoder, rows: &[R]) {
    for row in rows {
        row.encode(e);
    }
}

/// Encoded rows of one table, for [`plain_copy`].
#[derive(Debug, Clone)]
pub struct Encoded {
    pub table: &'static str,
    pub columns: &'static [&'static str],
    pub data: Encoder,
}

impl Encoded {
    pub fn new<R: CopyRow>() -> Encoded {
        Encoded { table: R::TABLE, columns: R::COLUMNS, data: Encoder::new() }
    }

    /// Appends rows (they must be of this table's row type).
    pub fn push<R: CopyRow>(&mut self, rows: &[R]) {
        debug_assert_eq!(R::TABLE, self.table);
        encode(&mut self.data, rows);
    }

    /// Encoded bytes so far.
    pub fn bytes(&self) -> usize {
        self.data.buf.len()
    }

    /// Rows encoded so far.
    pub fn rows(&self) -> u64 {
        self.data.rows
    }

    /// Takes the encoded rows, leaving this empty for more of the same table.
    pub fn take(&mut self) -> Encoded {
        let empty = Encoded { table: self.table, columns: self.columns, data: Encoder::new() };
        std::mem::replace(self, empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_copy() {
        let mut e = Encoder::new();
        "a\tb\\c\nd\re".to_owned().put(&mut e);
        Option::<i64>::None.put(&mut e);
        true.put(&mut e);
        vec![3_i64, 10].put(&mut e);
        vec!["Sales".to_owned(), "R&D \"east\"".to_owned(), "a\\b".to_owned()].put(&mut e);
        e.end_row();
        assert_eq!(
            e.as_str(),
            "a\\tb\\\\c\\nd\\re\t\\N\tt\t{3,10}\t{\"Sales\",\"R&D \\\\\"east\\\\\"\",\"a\\\\\\\\b\"}\n"
        );
        assert_eq!(e.rows(), 1);
    }
}
