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

/// Whether `If-None-Match` names `tag` or is `*`. The comparison is weak
/// (RFC 9110 §13.1.2): `W/"x"` matches `"x"`.
pub fn none_match(header: Option<&str>, tag: &str) -> bool {
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    header.is_some_and(|h| h.split(',').map(str::trim).any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == tag))
}

/// A version no row ever has: an `If-Match` that names another resource, or
/// no ETag at all, expects it, so the write finds the row (404 when it does
/// not exist) and then refuses it as stale (412).
const NO_VERSION: i64 = -1;

/// What `If-Match` asks of the row a write is about to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// No `If-Match`, or `*`: any current version.
    Any,
    /// One of these versions (a list of ETags matches when any does).
    OneOf(Vec<i64>),
}

impl IfMatch {
    /// The versions the client expects, if it sent `If-Match` (strong
    /// comparison: a weak tag never matches). An ETag of this resource's
    /// version matches whatever mask it was read with; one of another
    /// resource (or garbage) can never match, and is answered 412 once the
    /// row is found (404 when there is none). A list (`"a", "b"`) matches
    /// when any of its tags does (RFC 9110 §13.1.1).
    pub fn expected(&self, model: &str, id: i64) -> Result<Expected, ApiError> {
        let Some(raw) = self.as_deref() else { return Ok(Expected::Any) };
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(ApiError::BadRequest(poem_openapi::payload::Json(
                crate::error::Problem::new(400, "If-Match is empty; send the ETag from your last read")
                    .with_errors(vec![crate::error::FieldError::new("If-Match", "empty", "send an ETag")]),
            )));
        }
        if raw == "*" {
            return Ok(Expected::Any);
        }
        let prefix = format!("\"{}-{id}-", model.to_ascii_lowercase());
        let version = |tag: &str| {
            tag.strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix('"'))
                .map(|rest| rest.split_once('-').map_or(rest, |(v, _digest)| v))
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or(NO_VERSION)
        };
        Ok(Expected::OneOf(raw.split(',').map(|tag| version(tag.trim())).collect()))
    }
}
