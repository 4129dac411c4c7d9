//! JSON objects written straight to text, for the order rows the scale
//! seeder generates by the million: a `serde_json::Value` tree per event
//! (a map per object, a string per key) took most of the generator's time,
//! mostly in the allocator. The database stores the text as `jsonb`, which
//! orders keys itself, so the text needs only to be valid JSON.

use std::fmt::{Display, Write as _};

/// A JSON object being written: `Object::new().str("a", "x").num("b", 1).end()`.
#[derive(Debug, Clone)]
pub struct Object(String);

impl Object {
    pub fn new() -> Object {
        Object::with_capacity(64)
    }

    pub fn with_capacity(bytes: usize) -> Object {
        let mut text = String::with_capacity(bytes);
        text.push('{');
        Object(text)
    }

    fn key(&mut self, key: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        quote_into(&mut self.0, key);
        self.0.push(':');
    }

    /// A string member.
    pub fn str(mut self, key: &str, value: &str) -> Object {
        self.key(key);
        quote_into(&mut self.0, value);
        self
    }

    /// A number member (an integer: its `Display` is JSON).
    pub fn num(mut self, key: &str, value: impl Display) -> Object {
        self.key(key);
        // Writing to a String cannot fail.
        let _ = write!(self.0, "{value}");
        self
    }

    /// A member whose value is JSON text already (`null`, an object, an array).
    pub fn raw(mut self, key: &str, json: &str) -> Object {
        self.key(key);
        self.0.push_str(json);
        self
    }

    /// The members of another object, added to this one.
    pub fn merge(mut self, other: &Object) -> Object {
        let members = &other.0[1..];
        if !members.is_empty() {
            if self.0.len() > 1 {
                self.0.push(',');
            }
            self.0.push_str(members);
        }
        self
    }

    /// The text, closed.
    pub fn end(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

impl Default for Object {
    fn default() -> Object {
        Object::new()
    }
}

/// `value` as a JSON string: quoted, with `"`, `\` and control characters escaped.
pub fn quote_into(out: &mut String, value: &str) {
    out.push('"');
    if !value.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.push_str(value);
        out.push('"');
        return;
    }
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// JSON text of an array of texts that are JSON already.
pub fn array<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::from("[");
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(item);
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn objects_are_the_json_serde_writes() {
        let nested = Object::new().str("a", "b").end();
        let tail = Object::new().num("n", 3);
        let text = Object::new()
            .str("quote", "say \"hi\"\\ \n\t\u{1} é →")
            .num("i", -42)
            .raw("null", "null")
            .raw("nested", &nested)
            .raw("list", &array(["1", "{}"]))
            .merge(&tail)
            .merge(&Object::new())
            .end();
        let parsed: Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(
            parsed,
            json!({"quote": "say \"hi\"\\ \n\t\u{1} é →", "i": -42, "null": null, "nested": {"a": "b"},
                   "list": [1, {}], "n": 3})
        );
        assert_eq!(Object::new().merge(&tail).end(), "{\"n\":3}");
        assert_eq!(Object::new().end(), "{}");
    }
}
