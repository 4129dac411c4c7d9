//! Field-level validation issues: what the API turns into a 422's `errors`.

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
