//! The one error type of the query language.
//!
//! A client who sends a bad mask or filter needs to know which parameter is
//! wrong, what is wrong with it and, for masks, where: the API turns a
//! [`QueryError`] into a problem+json body without rewording it.

use thiserror::Error;

/// The names of the parameters an error can be about, as the client spells them.
pub mod param {
    /// The `X-Fields` request header (a mask).
    pub const X_FIELDS: &str = "X-Fields";
    /// The `fields` query parameter (a mask, where a header cannot be set).
    pub const FIELDS: &str = "fields";
    pub const FILTER: &str = "filter";
    pub const SORT: &str = "sort";
    pub const PAGE_SIZE: &str = "page_size";
    pub const PAGE_NUMBER: &str = "page_number";
    pub const CURSOR: &str = "cursor";
    pub const COUNT: &str = "count";
}

/// Whether the request is malformed or asks for something the caller may not see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryErrorKind {
    /// Malformed or unknown: answer 400.
    BadRequest,
    /// Well-formed, but names a field or relation above the caller's role: answer 403.
    Forbidden,
}

impl QueryErrorKind {
    /// The HTTP status the API answers with.
    pub fn status(self) -> u16 {
        match self {
            QueryErrorKind::BadRequest => 400,
            QueryErrorKind::Forbidden => 403,
        }
    }
}

/// A query parameter the caller must change before the request can succeed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{param}: {message}")]
pub struct QueryError {
    pub kind: QueryErrorKind,
    /// The parameter at fault: `"X-Fields"`, `"fields"`, `"filter"`, `"sort"`,
    /// `"page_size"`, `"page_number"`, `"cursor"` or `"count"` (see [`param`]).
    pub param: &'static str,
    /// What is wrong, in words a client developer can act on.
    pub message: String,
    /// The byte offset in the mask text, for mask errors.
    pub position: Option<usize>,
}

impl QueryError {
    /// A malformed or unknown value: 400.
    pub fn bad_request(param: &'static str, message: impl Into<String>) -> QueryError {
        QueryError { kind: QueryErrorKind::BadRequest, param, message: message.into(), position: None }
    }

    /// A value the caller's role may not use: 403.
    pub fn forbidden(param: &'static str, message: impl Into<String>) -> QueryError {
        QueryError { kind: QueryErrorKind::Forbidden, param, message: message.into(), position: None }
    }

    /// The same error, pointing at a byte offset of the parameter's text.
    pub fn at(mut self, position: usize) -> QueryError {
        self.position = Some(position);
        self
    }

    /// The same error, about another parameter (a mask read from `fields`
    /// rather than `X-Fields`).
    pub fn for_param(mut self, param: &'static str) -> QueryError {
        self.param = param;
        self
    }

    /// The HTTP status the API answers with.
    pub fn status(&self) -> u16 {
        self.kind.status()
    }
}
