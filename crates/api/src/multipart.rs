//! The one `multipart/form-data` reader, on `multer`.
//!
//! Form bodies are uploads (files, CSV imports): they may be far larger than
//! any JSON body, and a chunked one is only known to be too large while it is
//! read. So a form is taken unread ([`Form`]) and streamed part by part,
//! chunk by chunk ([`Parts`], [`Part`]), the whole body cut off at the
//! endpoint's limit. poem's `Multipart` has no such limit, and poem-openapi's
//! `Upload` first copies each part whole into an unbounded temporary file.
//!
//! Every read error is mapped here, once: 413 past the limit (in the
//! endpoint's own words, naming the limit), 400 `malformed multipart body:
//! …` for anything else the parser refuses.

use crate::error::{ApiError, ApiResult};
use bytes::Bytes;
use poem::http::{StatusCode, header};
use poem::{Body, Request, RequestBody};
use poem_openapi::impl_apirequest_for_payload;
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::MetaSchemaRef;
use std::marker::PhantomData;

/// The parts one form takes, as the spec documents them. Each endpoint
/// names its own, so that the reading is shared while every operation keeps
/// its documented request schema.
pub trait FormSchema {
    /// The schema of the form's body (an object, one property per part).
    fn schema_ref() -> MetaSchemaRef;
}

/// A `multipart/form-data` body, unread: the boundary from its Content-Type
/// and the body itself, for the handler to stream under its own limit (the
/// request middleware passes upload bodies on unread). `S` is only the
/// form's documented schema.
pub struct Form<S> {
    body: Body,
    boundary: String,
    // `fn() -> S`: the form holds no `S`, so it is `Send` whatever `S` is.
    schema: PhantomData<fn() -> S>,
}

impl<S: FormSchema> Payload for Form<S> {
    const CONTENT_TYPE: &'static str = "multipart/form-data";

    /// Any parameters (the boundary, a charset) are allowed; the media type
    /// is compared without case, as HTTP says it is.
    fn check_content_type(content_type: &str) -> bool {
        content_type.split(';').next().is_some_and(|e| e.trim().eq_ignore_ascii_case(Self::CONTENT_TYPE))
    }

    fn schema_ref() -> MetaSchemaRef {
        S::schema_ref()
    }
}

impl<S: FormSchema> ParsePayload for Form<S> {
    const IS_REQUIRED: bool = true;

    /// Takes the boundary and the body; nothing is read yet, so a form
    /// without a boundary is refused before a byte of it is.
    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let content_type = request.header(header::CONTENT_TYPE).unwrap_or_default();
        let boundary = multer::parse_boundary(content_type).map_err(|e| {
            poem::Error::from_string(format!("bad multipart Content-Type: {e}"), StatusCode::BAD_REQUEST)
        })?;
        Ok(Form { body: body.take()?, boundary, schema: PhantomData })
    }
}

// The macro names itself unqualified, so it is imported above.
impl_apirequest_for_payload!(Form<S>, S: FormSchema);

impl<S> Form<S> {
    /// Starts reading the parts. The whole body, boundaries and part headers
    /// included, is limited to `limit` bytes: the same measure the request
    /// middleware applies to a declared `Content-Length`. Past it, the read
    /// fails with `too_large(limit)`, the endpoint's own 413.
    pub fn parts(self, limit: u64, too_large: fn(u64) -> ApiError) -> Parts {
        let constraints = multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(limit));
        let inner = multer::Multipart::with_constraints(self.body.into_bytes_stream(), self.boundary, constraints);
        Parts { inner, limit: Limit { bytes: limit, too_large } }
    }
}

/// The size limit of one form and how its endpoint words a 413.
struct Limit {
    bytes: u64,
    too_large: fn(u64) -> ApiError,
}

impl Limit {
    /// The one mapping of a parser error: 413 past the limit, 400 for a
    /// malformed body (a truncated one, a part without headers, a body read
    /// that failed).
    fn error(&self, err: multer::Error) -> ApiError {
        match err {
            multer::Error::StreamSizeExceeded { .. } => (self.too_large)(self.bytes),
            other => ApiError::bad_request(format!("malformed multipart body: {other}")),
        }
    }
}

/// A form's parts, read in order.
pub struct Parts {
    inner: multer::Multipart<'static>,
    limit: Limit,
}

impl Parts {
    /// The next part, or `None` after the last. The part borrows the form:
    /// multer needs each part dropped before the next is asked for, and the
    /// borrow makes that a compile-time rule instead of a runtime error.
    pub async fn next_part(&mut self) -> ApiResult<Option<Part<'_>>> {
        match self.inner.next_field().await {
            Ok(Some(field)) => Ok(Some(Part { field, limit: &self.limit })),
            Ok(None) => Ok(None),
            Err(e) => Err(self.limit.error(e)),
        }
    }
}

/// One part, its content streamed by [`Part::chunk`]. A part dropped before
/// its end is skipped by the next [`Parts::next_part`] (still counted
/// against the limit).
pub struct Part<'p> {
    field: multer::Field<'static>,
    limit: &'p Limit,
}

impl Part<'_> {
    /// The part's name (`Content-Disposition: form-data; name="…"`).
    pub fn name(&self) -> Option<&str> {
        self.field.name()
    }

    /// The file name the client gave, as sent (it may hold a path).
    pub fn file_name(&self) -> Option<&str> {
        self.field.file_name()
    }

    /// The part's declared media type, without parameters.
    pub fn content_type(&self) -> Option<&str> {
        self.field.content_type().map(|m| m.essence_str())
    }

    /// The next chunk of the part's content, or `None` at its end.
    pub async fn chunk(&mut self) -> ApiResult<Option<Bytes>> {
        self.field.chunk().await.map_err(|e| self.limit.error(e))
    }
}

/// Nothing to do, but having a destructor keeps the borrow of [`Parts`]
/// alive until the part is dropped (not only until its last use): without
/// it a part left in scope would still hold multer's state, and the next
/// [`Parts::next_part`] would fail at run time instead of not compiling.
impl Drop for Part<'_> {
    fn drop(&mut self) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Problem;
    use poem_openapi::payload::Json;

    struct Any;

    impl FormSchema for Any {
        fn schema_ref() -> MetaSchemaRef {
            MetaSchemaRef::Reference("Any".into())
        }
    }

    fn too_large(limit: u64) -> ApiError {
        ApiError::PayloadTooLarge(Json(Problem::new(413, format!("over {limit}"))))
    }

    async fn parse(content_type: &str, body: String) -> poem::Result<Form<Any>> {
        let (request, mut body) =
            Request::builder().header(header::CONTENT_TYPE, content_type).body(Body::from(body)).split();
        Form::<Any>::from_request(&request, &mut body).await
    }

    fn body(parts: &[(&str, &str)]) -> String {
        let mut body = String::new();
        for (name, content) in parts {
            body.push_str(&format!("--XyZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{content}\r\n"));
        }
        body + "--XyZ--\r\n"
    }

    async fn drain(parts: &mut Parts, out: &mut Vec<(String, String)>) -> ApiResult<()> {
        while let Some(mut part) = parts.next_part().await? {
            let mut content = Vec::new();
            while let Some(chunk) = part.chunk().await? {
                content.extend_from_slice(&chunk);
            }
            out.push((part.name().unwrap_or_default().to_owned(), String::from_utf8(content).unwrap()));
        }
        Ok(())
    }

    /// Every part's name and content, or the status and detail of the error.
    async fn read(body: String, limit: u64) -> Result<Vec<(String, String)>, (u16, String)> {
        let mut parts = parse("multipart/form-data; boundary=XyZ", body).await.unwrap().parts(limit, too_large);
        let mut out = Vec::new();
        match drain(&mut parts, &mut out).await {
            Ok(()) => Ok(out),
            Err(ApiError::PayloadTooLarge(Json(p)) | ApiError::BadRequest(Json(p))) => Err((p.status, p.detail)),
            Err(_) => panic!("neither 400 nor 413"),
        }
    }

    #[test]
    fn the_media_type_is_compared_without_parameters_or_case() {
        assert!(Form::<Any>::check_content_type("multipart/form-data; boundary=XyZ"));
        assert!(Form::<Any>::check_content_type("Multipart/Form-Data"));
        assert!(!Form::<Any>::check_content_type("multipart/mixed; boundary=XyZ"));
        assert!(!Form::<Any>::check_content_type("text/csv"));
    }

    #[tokio::test]
    async fn a_form_without_a_boundary_is_400() {
        let Err(e) = parse("multipart/form-data", body(&[])).await else { panic!("accepted") };
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert!(e.to_string().starts_with("bad multipart Content-Type: "), "{e}");
    }

    #[tokio::test]
    async fn parts_are_read_in_order() {
        let got = read(body(&[("a", "one"), ("b", "two")]), 1024).await;
        assert_eq!(got, Ok(vec![("a".into(), "one".into()), ("b".into(), "two".into())]));
    }

    #[tokio::test]
    async fn past_the_limit_of_the_whole_body_is_the_endpoints_413() {
        let text = body(&[("a", &"x".repeat(100))]);
        assert_eq!(read(text.clone(), 64).await, Err((413, "over 64".into())));
        // Boundaries and part headers count: the body's exact length passes.
        assert!(read(text.clone(), text.len() as u64).await.is_ok());
        assert_eq!(read(text.clone(), text.len() as u64 - 1).await, Err((413, format!("over {}", text.len() - 1))));
    }

    #[tokio::test]
    async fn a_malformed_body_is_400() {
        let mut text = body(&[("a", "one")]);
        text.truncate(text.len() - 12);
        let Err((status, detail)) = read(text, 1024).await else { panic!("accepted") };
        assert_eq!(status, 400);
        assert!(detail.starts_with("malformed multipart body: "), "{detail}");
    }
}
