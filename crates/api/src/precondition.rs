//! `If-Match` for writes: the ETag of the version the client read. A write
//! with a stale one is 412; storage checks the version in the same UPDATE, so
//! there is no window between the check and the write.

use crate::error::ApiError;
use crate::params::{Param, ParamDoc};
use poem_openapi::registry::MetaParamIn;

pub struct IfMatchDoc;
impl ParamDoc for IfMatchDoc {
    const IN: MetaParamIn = MetaParamIn::Header;
    const DESCRIPTION: &'static str = "The ETag from your last read. When the resource has changed since, the write is \
        refused with 412; read it again and retry. Optional: without it the write is unconditional.";
    const EXAMPLE: Option<&'static str> = Some("\"campaign-7-3\"");
}

/// The documented `If-Match` header.
pub type IfMatch = Param<IfMatchDoc>;

impl IfMatch {
    /// The version the client expects, if it sent `If-Match`. An ETag of
    /// another resource (or garbage) can never match: 412.
    pub fn expected_version(&self, model: &str, id: i64) -> Result<Option<i64>, ApiError> {
        let Some(raw) = self.as_deref() else { return Ok(None) };
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(ApiError::BadRequest(poem_openapi::payload::Json(
                crate::error::Problem::new(400, "If-Match is empty; send the ETag from your last read")
                    .with_errors(vec![crate::error::FieldError::new("If-Match", "empty", "send an ETag")]),
            )));
        }
        if raw == "*" {
            return Ok(None);
        }
        let prefix = format!("\"{}-{id}-", model.to_ascii_lowercase());
        raw.strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix('"'))
            .and_then(|v| v.parse::<i64>().ok())
            .map(Some)
            .ok_or_else(ApiError::precondition_failed)
    }
}
