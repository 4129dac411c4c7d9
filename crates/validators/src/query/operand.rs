//! Which operators apply to which field types, and the typing of a
//! condition's JSON `value` into a [`Scalar`].
//!
//! Values are typed here, not in SQL, so a wrong type is a 400 naming the
//! condition rather than a database error, and storage binds every value as
//! a parameter of the right type. Messages are returned without the
//! condition's path; [`filter`](super::filter) prefixes it.

use super::describe::{json_kind, quoted, type_name};
use chrono::{DateTime, NaiveDate, Utc};
use domain::query::limits::MAX_IN_VALUES;
use domain::query::{Op, Operand, Scalar};
use domain::resource::{Field, FieldType};
use rust_decimal::Decimal;
use serde_json::{Number, Value};

/// Whether `op` makes sense on `field`'s type; the error says what it applies to.
pub(crate) fn check_applies(op: Op, spelled: &str, field: &Field) -> Result<(), String> {
    let ty = field.ty;
    let (applies, to) = match op {
        Op::Like | Op::Ilike | Op::NotIlike => (ty == FieldType::Text, "text fields only"),
        Op::Gt | Op::Lt | Op::Ge | Op::Le => (
            ty.is_ordered() && !matches!(ty, FieldType::Enum(_)),
            "ids, integers, texts, money amounts, dates and date-times",
        ),
        Op::Any | Op::NotAny => (ty == FieldType::TextList, "text lists only"),
        Op::Eq | Op::Ne | Op::In | Op::NotIn => {
            (ty != FieldType::TextList, "every type but text lists (use `any`/`not_any` on those)")
        }
        Op::IsNull | Op::IsNotNull => (true, "every type"),
    };
    if applies {
        return Ok(());
    }
    Err(format!(
        "operator `{}` does not apply to field `{}`, {}; it applies to {to}",
        quoted(spelled),
        field.name,
        type_name(ty)
    ))
}

/// The operand of `op` on `field` from the condition's `value` (absent: `None`).
pub(crate) fn operand(op: Op, spelled: &str, field: &Field, value: Option<&Value>) -> Result<Operand, String> {
    match op {
        Op::IsNull | Op::IsNotNull => no_value(spelled, value),
        Op::In | Op::NotIn => list(spelled, field.ty, value),
        _ => one(op, spelled, field.ty, value),
    }
}

fn no_value(spelled: &str, value: Option<&Value>) -> Result<Operand, String> {
    match value {
        None | Some(Value::Null) => Ok(Operand::None),
        Some(other) => {
            Err(format!("operator `{}` takes no value; found {} (remove `value`)", quoted(spelled), json_kind(other)))
        }
    }
}

fn one(op: Op, spelled: &str, ty: FieldType, value: Option<&Value>) -> Result<Operand, String> {
    let spelled = quoted(spelled);
    match value {
        None => Err(format!("operator `{spelled}` needs a `value`")),
        Some(Value::Null) => Err(match op {
            Op::Eq => format!("operator `{spelled}` cannot compare with null; use `is_null`"),
            Op::Ne => format!("operator `{spelled}` cannot compare with null; use `is_not_null`"),
            _ => format!("operator `{spelled}` needs a value other than null"),
        }),
        Some(v) => scalar(ty, v).map(Operand::One),
    }
}

/// `in` / `not_in`: a non-empty JSON array of at most [`MAX_IN_VALUES`]
/// values of the field's type. Null is refused: `x IN (NULL)` never matches.
fn list(spelled: &str, ty: FieldType, value: Option<&Value>) -> Result<Operand, String> {
    let spelled = quoted(spelled);
    let Some(Value::Array(items)) = value else {
        return Err(format!("operator `{spelled}` needs a JSON array value"));
    };
    if items.is_empty() {
        return Err(format!("operator `{spelled}` needs at least one value in its array"));
    }
    if items.len() > MAX_IN_VALUES {
        return Err(format!("operator `{spelled}` takes at most {MAX_IN_VALUES} values; found {}", items.len()));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Null => Err(format!("value[{i}] is null, which `{spelled}` never matches; use `is_null`")),
            _ => scalar(ty, item).map_err(|m| format!("value[{i}]: {m}")),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Operand::List)
}

/// A non-null JSON value typed as `ty`.
fn scalar(ty: FieldType, value: &Value) -> Result<Scalar, String> {
    match ty {
        FieldType::Id | FieldType::Int => integer(value).map(Scalar::Int),
        FieldType::Text | FieldType::TextList => text(value).map(Scalar::Text),
        FieldType::Bool => boolean(value).map(Scalar::Bool),
        FieldType::Money => money(value).map(Scalar::Money),
        FieldType::Date => date(value).map(Scalar::Date),
        FieldType::DateTime => date_time(value).map(Scalar::DateTime),
        FieldType::Enum(values) => one_of(values, value).map(Scalar::Text),
        // Never filterable (the descriptors say so); refused here as well.
        FieldType::Json => Err("JSON fields cannot be compared".to_owned()),
    }
}

fn expected(what: &str, value: &Value) -> String {
    format!("expected {what}; found {}", json_kind(value))
}

/// A JSON integer, or a string of one (ids beyond 2^53 survive JavaScript
/// clients only as strings).
fn integer(value: &Value) -> Result<i64, String> {
    const WHAT: &str = "an integer (a JSON integer or a string of digits)";
    match value {
        Value::Number(n) => n.as_i64().ok_or_else(|| expected("an integer within 64 bits", value)),
        Value::String(s) if is_integer_text(s) => s.parse().map_err(|_| expected("an integer within 64 bits", value)),
        _ => Err(expected(WHAT, value)),
    }
}

/// `-?[0-9]+`: Rust's integer parser would also take a leading `+`.
fn is_integer_text(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A JSON string, unchanged. NUL is refused: PostgreSQL text cannot hold it.
fn text(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) if s.contains('\0') => {
            Err("text values cannot contain the NUL character (\\u0000)".to_owned())
        }
        Value::String(s) => Ok(s.clone()),
        _ => Err(expected("a string", value)),
    }
}

fn boolean(value: &Value) -> Result<bool, String> {
    value.as_bool().ok_or_else(|| expected("true or false", value))
}

/// A JSON number or a decimal string (`"12.50"`). Send strings for exact
/// amounts: a JSON number has been through a 64-bit float.
fn money(value: &Value) -> Result<Decimal, String> {
    const WHAT: &str = "a money amount (a JSON number or a decimal string like \"12.50\")";
    match value {
        Value::Number(n) => decimal_of_number(n).ok_or_else(|| expected("a money amount within range", value)),
        Value::String(s) if is_decimal_text(s) => {
            Decimal::from_str_exact(s).map_err(|_| expected("a money amount within range", value))
        }
        _ => Err(expected(WHAT, value)),
    }
}

fn decimal_of_number(n: &Number) -> Option<Decimal> {
    if let Some(i) = n.as_i64() {
        return Some(Decimal::from(i));
    }
    if let Some(u) = n.as_u64() {
        return Some(Decimal::from(u));
    }
    let text = n.to_string();
    Decimal::from_str_exact(&text).or_else(|_| Decimal::from_scientific(&text)).ok()
}

/// `-?[0-9]+(\.[0-9]+)?`: rust_decimal alone would also take `1_000` and the like.
fn is_decimal_text(s: &str) -> bool {
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    all_digits(whole) && all_digits(fraction)
}

/// `YYYY-MM-DD`, a real calendar date.
fn date(value: &Value) -> Result<NaiveDate, String> {
    const WHAT: &str = "a date like \"2026-11-22\"";
    match value {
        Value::String(s) => parse_date(s).ok_or_else(|| expected(WHAT, value)),
        _ => Err(expected(WHAT, value)),
    }
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() });
    if !shape {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// RFC 3339 with any offset (converted to UTC), or a date meaning its
/// midnight UTC.
fn date_time(value: &Value) -> Result<DateTime<Utc>, String> {
    const WHAT: &str = "an RFC 3339 date-time like \"2026-11-22T10:00:00Z\" or a date";
    let Value::String(s) = value else {
        return Err(expected(WHAT, value));
    };
    if let Ok(parsed) = DateTime::parse_from_rfc3339(s) {
        return Ok(parsed.with_timezone(&Utc));
    }
    parse_date(s)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|midnight| midnight.and_utc())
        .ok_or_else(|| expected(WHAT, value))
}

/// One of the enumeration's values, as a text.
fn one_of(values: &[&str], value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) if values.contains(&s.as_str()) => Ok(s.clone()),
        _ => Err(format!("expected one of {}; found {}", values.join(", "), json_kind(value))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::query::fixtures::SAMPLE;
    use crate::query::{QueryError, parse_filter};
    use chrono::{NaiveDate, TimeZone, Utc};
    use domain::Role;
    use domain::query::{Filter, Op, Operand, Scalar};
    use rust_decimal::Decimal;
    use serde_json::{Value, json};
    use std::str::FromStr;

    fn run(field: &str, op: &str, value: Option<Value>) -> Result<Operand, QueryError> {
        let mut condition = json!({"field": field, "op": op});
        if let Some(value) = value {
            condition["value"] = value;
        }
        match parse_filter(&condition.to_string(), &SAMPLE, Role::SuperAdmin)? {
            Filter::Cond(c) => Ok(c.operand),
            other => panic!("{other:?}"),
        }
    }

    fn message(field: &str, op: &str, value: Option<Value>) -> String {
        run(field, op, value).unwrap_err().message
    }

    /// A valid value for each field of SAMPLE.
    fn sample_value(field: &str) -> Value {
        match field {
            "id" | "count" => json!(7),
            "flag" => json!(true),
            "price" => json!("12.50"),
            "day" => json!("2026-11-22"),
            "at" => json!("2026-11-22T10:00:00Z"),
            "state" => json!("open"),
            _ => json!("text"),
        }
    }

    #[test]
    fn every_operator_is_accepted_on_its_types_and_refused_on_the_others() {
        let types = ["id", "count", "title", "flag", "price", "day", "at", "state", "tags"];
        // For each operator, the fields (by type) it applies to.
        let table: &[(Op, &[&str])] = &[
            (Op::Eq, &["id", "count", "title", "flag", "price", "day", "at", "state"]),
            (Op::Ne, &["id", "count", "title", "flag", "price", "day", "at", "state"]),
            (Op::In, &["id", "count", "title", "flag", "price", "day", "at", "state"]),
            (Op::NotIn, &["id", "count", "title", "flag", "price", "day", "at", "state"]),
            (Op::Gt, &["id", "count", "title", "price", "day", "at"]),
            (Op::Lt, &["id", "count", "title", "price", "day", "at"]),
            (Op::Ge, &["id", "count", "title", "price", "day", "at"]),
            (Op::Le, &["id", "count", "title", "price", "day", "at"]),
            (Op::Like, &["title"]),
            (Op::Ilike, &["title"]),
            (Op::NotIlike, &["title"]),
            (Op::Any, &["tags"]),
            (Op::NotAny, &["tags"]),
            (Op::IsNull, &types),
            (Op::IsNotNull, &types),
        ];
        for (op, applies) in table {
            for (spelling, _) in Op::SPELLINGS.iter().filter(|(_, o)| o == op) {
                for field in types {
                    let value = match op {
                        Op::IsNull | Op::IsNotNull => None,
                        Op::In | Op::NotIn => Some(json!([sample_value(field)])),
                        _ => Some(sample_value(field)),
                    };
                    let result = run(field, spelling, value);
                    if applies.contains(&field) {
                        assert!(result.is_ok(), "{spelling} on {field}: {result:?}");
                    } else {
                        let e = result.unwrap_err().message;
                        assert!(e.contains(&format!("operator `{spelling}` does not apply to field `{field}`")), "{e}");
                    }
                }
            }
        }
    }

    #[test]
    fn type_errors_say_what_applies() {
        assert_eq!(
            message("id", "like", Some(json!("1%"))),
            "filter: operator `like` does not apply to field `id`, an id; it applies to text fields only"
        );
        assert_eq!(
            message("state", ">", Some(json!("open"))),
            "filter: operator `>` does not apply to field `state`, an enumeration; \
             it applies to ids, integers, texts, money amounts, dates and date-times"
        );
        assert!(message("tags", "eq", Some(json!("a"))).ends_with("use `any`/`not_any` on those)"));
    }

    #[test]
    fn integers_come_as_json_integers_or_strings_of_digits() {
        assert_eq!(run("id", "eq", Some(json!(42))).unwrap(), Operand::One(Scalar::Int(42)));
        assert_eq!(run("count", "eq", Some(json!(-3))).unwrap(), Operand::One(Scalar::Int(-3)));
        assert_eq!(
            run("id", "eq", Some(json!("9007199254740993"))).unwrap(),
            Operand::One(Scalar::Int(9_007_199_254_740_993))
        );
        for bad in [
            json!(1.5),
            json!("4x"),
            json!("+4"),
            json!(" 4"),
            json!(""),
            json!(true),
            json!(u64::MAX),
            json!("9223372036854775808"),
        ] {
            let m = message("id", "eq", Some(bad.clone()));
            assert!(m.starts_with("filter: expected an integer"), "{bad}: {m}");
        }
    }

    #[test]
    fn texts_pass_unchanged_but_nul_is_refused() {
        let s = "50% off; DROP TABLE x -- 'quoted' \"dq\" \\ é 🎉";
        assert_eq!(run("title", "like", Some(json!(s))).unwrap(), Operand::One(Scalar::Text(s.into())));
        assert_eq!(
            message("title", "eq", Some(json!("a\u{0}b"))),
            "filter: text values cannot contain the NUL character (\\u0000)"
        );
        assert!(
            message("title", "in", Some(json!(["ok", "a\u{0}"]))).starts_with("filter: value[1]: text values cannot")
        );
        assert_eq!(message("title", "eq", Some(json!(5))), "filter: expected a string; found the number 5");
    }

    #[test]
    fn booleans_are_json_booleans() {
        assert_eq!(run("flag", "ne", Some(json!(false))).unwrap(), Operand::One(Scalar::Bool(false)));
        assert_eq!(
            message("flag", "eq", Some(json!("true"))),
            "filter: expected true or false; found the string \"true\""
        );
    }

    #[test]
    fn money_is_a_number_or_a_decimal_string() {
        let dec = |s: &str| Operand::One(Scalar::Money(Decimal::from_str(s).unwrap()));
        assert_eq!(run("price", "eq", Some(json!("12.50"))).unwrap(), dec("12.50"));
        assert_eq!(run("price", "eq", Some(json!("-0.5"))).unwrap(), dec("-0.5"));
        assert_eq!(run("price", "ge", Some(json!(12.5))).unwrap(), dec("12.5"));
        assert_eq!(run("price", "ge", Some(json!(0.1))).unwrap(), dec("0.1"));
        assert_eq!(run("price", "lt", Some(json!(3))).unwrap(), dec("3"));
        for bad in [
            json!("1_000"),
            json!("1e3"),
            json!("12."),
            json!(".5"),
            json!(" 1"),
            json!("NaN"),
            json!(true),
            json!(1e300),
        ] {
            let m = message("price", "eq", Some(bad.clone()));
            assert!(m.starts_with("filter: expected a money amount"), "{bad}: {m}");
        }
    }

    #[test]
    fn dates_and_date_times() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        assert_eq!(run("day", "eq", Some(json!("2026-11-22"))).unwrap(), Operand::One(Scalar::Date(day)));
        for bad in ["2026-02-30", "2026-1-5", "22/11/2026", "2026-11-22T00:00:00Z", "+2026-11-22", ""] {
            let m = message("day", "eq", Some(json!(bad)));
            assert!(m.starts_with("filter: expected a date like"), "{bad}: {m}");
        }
        let at = Utc.with_ymd_and_hms(2026, 11, 22, 8, 0, 0).unwrap();
        assert_eq!(
            run("at", "gt", Some(json!("2026-11-22T10:00:00+02:00"))).unwrap(),
            Operand::One(Scalar::DateTime(at))
        );
        let midnight = Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap();
        assert_eq!(run("at", "lt", Some(json!("2026-11-22"))).unwrap(), Operand::One(Scalar::DateTime(midnight)));
        assert!(message("at", "eq", Some(json!("2026-11-22 10:00"))).starts_with("filter: expected an RFC 3339"));
    }

    #[test]
    fn enums_take_one_of_their_values() {
        assert_eq!(run("state", "eq", Some(json!("open"))).unwrap(), Operand::One(Scalar::Text("open".into())));
        assert_eq!(
            message("state", "eq", Some(json!("OPEN"))),
            "filter: expected one of open, closed; found the string \"OPEN\""
        );
    }

    #[test]
    fn text_lists_take_one_text_with_any() {
        assert_eq!(run("tags", "any", Some(json!("red"))).unwrap(), Operand::One(Scalar::Text("red".into())));
        assert!(message("tags", "not_any", Some(json!(["red"]))).starts_with("filter: expected a string"));
    }

    #[test]
    fn null_handling() {
        assert_eq!(run("title", "is_null", None).unwrap(), Operand::None);
        assert_eq!(run("title", "is_not_null", Some(Value::Null)).unwrap(), Operand::None);
        assert_eq!(
            message("title", "is_null", Some(json!(1))),
            "filter: operator `is_null` takes no value; found the number 1 (remove `value`)"
        );
        assert_eq!(
            message("title", "eq", Some(Value::Null)),
            "filter: operator `eq` cannot compare with null; use `is_null`"
        );
        assert_eq!(
            message("title", "!=", Some(Value::Null)),
            "filter: operator `!=` cannot compare with null; use `is_not_null`"
        );
        assert_eq!(message("id", "gt", Some(Value::Null)), "filter: operator `gt` needs a value other than null");
        assert_eq!(message("id", "gt", None), "filter: operator `gt` needs a `value`");
    }

    #[test]
    fn in_lists() {
        assert_eq!(
            run("count", "not_in", Some(json!([1, "2", 3]))).unwrap(),
            Operand::List(vec![Scalar::Int(1), Scalar::Int(2), Scalar::Int(3)])
        );
        assert_eq!(message("id", "in", Some(json!(1))), "filter: operator `in` needs a JSON array value");
        assert_eq!(message("id", "in", None), "filter: operator `in` needs a JSON array value");
        assert_eq!(message("id", "in", Some(json!([]))), "filter: operator `in` needs at least one value in its array");
        assert_eq!(
            message("id", "in", Some(json!([1, null]))),
            "filter: value[1] is null, which `in` never matches; use `is_null`"
        );
        let max: Vec<i64> = (0..500).collect();
        assert!(run("id", "in", Some(json!(max))).is_ok());
        let over: Vec<i64> = (0..501).collect();
        // 501 small integers still fit the 4 KiB filter limit.
        assert_eq!(message("id", "in", Some(json!(over))), "filter: operator `in` takes at most 500 values; found 501");
        assert_eq!(
            message("state", "in", Some(json!(["open", "shut"]))),
            "filter: value[1]: expected one of open, closed; found the string \"shut\""
        );
    }
}
