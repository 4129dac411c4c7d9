//! Field-level validation issues: what the API turns into a 422's `errors`.

use validator::{ValidationErrors, ValidationErrorsKind};

/// One invalid field of a request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldIssue {
    /// The field's name; nested fields are joined with `.` (`decorations[0].cost`).
    pub field: String,
    /// A stable code (`length`, `email`, `range`, `too_short`...).
    pub code: String,
    pub message: String,
}

impl FieldIssue {
    pub fn new(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        FieldIssue { field: field.into(), code: code.into(), message: message.into() }
    }
}

/// Flattens the `validator` crate's nested errors into one issue per rule,
/// sorted by field so responses are stable.
pub fn from_validator(errors: &ValidationErrors) -> Vec<FieldIssue> {
    let mut out = Vec::new();
    flatten("", errors, &mut out);
    out.sort_by(|a, b| a.field.cmp(&b.field).then(a.code.cmp(&b.code)));
    out
}

fn flatten(prefix: &str, errors: &ValidationErrors, out: &mut Vec<FieldIssue>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() { field.to_string() } else { format!("{prefix}.{field}") };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let message =
                        e.message.as_ref().map_or_else(|| format!("fails the `{}` rule", e.code), |m| m.to_string());
                    out.push(FieldIssue::new(path.clone(), e.code.to_string(), message));
                }
            }
            ValidationErrorsKind::Struct(inner) => flatten(&path, inner, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    flatten(&format!("{path}[{i}]"), inner, out);
                }
            }
        }
    }
}
