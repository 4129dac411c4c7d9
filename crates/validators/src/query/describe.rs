//! Wording shared by the error messages of every parameter.
//!
//! Client text is echoed back in messages, so it is escaped (no control
//! characters reach a log line or a terminal) and truncated (a 4 KiB name does
//! not come back as a 4 KiB message).

use domain::resource::FieldType;
use serde_json::Value;

/// The longest piece of client text quoted in a message, in characters.
const MAX_QUOTED_CHARS: usize = 64;

/// Client text, escaped and truncated, for quoting inside backticks.
pub(crate) fn quoted(text: &str) -> String {
    let mut out: String = text.chars().take(MAX_QUOTED_CHARS).flat_map(char::escape_debug).collect();
    if text.chars().nth(MAX_QUOTED_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// `a, b, c`, for listing the valid choices.
pub(crate) fn join<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names.into_iter().collect::<Vec<_>>().join(", ")
}

/// A field type in words, with its article.
pub(crate) fn type_name(ty: FieldType) -> &'static str {
    match ty {
        FieldType::Id => "an id",
        FieldType::Int => "an integer",
        FieldType::Text => "a text",
        FieldType::Bool => "a boolean",
        FieldType::Money => "a money amount",
        FieldType::Date => "a date",
        FieldType::DateTime => "a date-time",
        FieldType::Enum(_) => "an enumeration",
        FieldType::TextList => "a text list",
        FieldType::Json => "a JSON document",
    }
}

/// What a JSON value is, for "found ..." in messages.
pub(crate) fn json_kind(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string \"{}\"", quoted(s)),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_control_characters_and_truncates() {
        assert_eq!(quoted("a\0b\n"), "a\\0b\\n");
        let long = "x".repeat(100);
        assert_eq!(quoted(&long), format!("{}…", "x".repeat(64)));
        assert_eq!(quoted(&"x".repeat(64)), "x".repeat(64));
    }
}
