//! A report as a streamed download: a task renders it into one end of an
//! in-memory pipe while the response body reads the other, so the server
//! holds a row and a chunk of output (about 64 KiB) whatever the size.
//!
//! The response waits for the first chunk before answering, so a report
//! that fails before writing anything (its statements refused, the database
//! gone) is a problem+json like any other error. A failure after that cuts
//! the body off with an error (the client sees an incomplete transfer,
//! never a short file that looks whole); a client that goes away stops the
//! rendering, and with it the statement, at the next chunk.

use crate::compression::Streamed;
use crate::error::{ApiError, ApiResult};
use poem::http::{HeaderValue, StatusCode, header};
use poem::{Body, IntoResponse, Response};
use poem_openapi::registry::{
    MetaHeader, MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::types::{Example, Type};
use poem_openapi::{ApiResponse, Enum, Object};
use reports::{Format, Report, ReportError};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncReadExt, DuplexStream, ReadBuf};
use tokio::sync::oneshot;
use tracing::Instrument;

/// The pipe between the rendering task and the response body.
const PIPE: usize = 64 * 1024;

/// The XLSX media type.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// What the HTML page may do in a browser: show itself (inline styles and
/// SVG), nothing else. It has no script.
const HTML_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// A report on its way to the client.
pub struct ReportDownload {
    body: Body,
    content_type: &'static str,
    disposition: String,
    html: bool,
}

impl IntoResponse for ReportDownload {
    fn into_response(self) -> Response {
        let mut resp = Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, self.content_type)
            .header(header::CONTENT_DISPOSITION, self.disposition)
            .header(header::VARY, "accept")
            .body(self.body);
        if self.html {
            resp.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(HTML_CSP));
        }
        resp.set_data(Streamed);
        resp
    }
}

fn header_doc(name: &str, doc: &str) -> MetaHeader {
    MetaHeader {
        name: name.to_owned(),
        description: Some(doc.to_owned()),
        required: true,
        deprecated: false,
        schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new("string"))),
    }
}

/// A downloaded file's schema, with an example of its start.
fn file(example: &str) -> MetaSchemaRef {
    let mut s = MetaSchema::new_with_format("string", "binary");
    s.example = Some(serde_json::Value::from(example));
    MetaSchemaRef::Inline(Box::new(s))
}

impl ApiResponse for ReportDownload {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "The report, streamed as it is produced, in the format asked for.",
                status: Some(200),
                status_range: None,
                content: vec![
                    MetaMediaType { content_type: "application/json", schema: ReportDocument::schema_ref() },
                    MetaMediaType {
                        content_type: "text/csv",
                        schema: file(
                            "SKU,Item #,Vendor,Quantity,Cost,Total Cost\r\nTS-100-Navy-M,TS-100,Pacific Apparel Supply,2,8.25,16.50\r\n\r\n,,,,Total quantity,2\r\n",
                        ),
                    },
                    MetaMediaType {
                        content_type: "application/zip",
                        schema: file("A ZIP of one CSV per table (`<table>.csv`)."),
                    },
                    MetaMediaType {
                        content_type: XLSX,
                        schema: file("An XLSX workbook with one sheet per table; money as numbers with 2 decimals."),
                    },
                    MetaMediaType {
                        content_type: "text/html",
                        schema: file("<!DOCTYPE html><html lang=\"en\">… the tables, their totals and charts …</html>"),
                    },
                ],
                headers: vec![
                    header_doc(
                        "Content-Disposition",
                        "`attachment` (`inline` for HTML) with a file name made of the campaign's (or \
                         distributor's) and the report's names, and the table's when `table` picked one, e.g. \
                         `attachment; filename=\"initech-welcome-kits_vendor-po.csv\"` (`filename*` when it is \
                         not plain ASCII).",
                    ),
                    header_doc("Vary", "`accept`: the format follows `Accept` when `format` is not given."),
                ],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        ReportDocument::register(registry);
    }
}

/// `Content-Disposition` for `name` (RFC 6266): the quoted name in ASCII,
/// and `filename*` with the real one when they differ.
pub fn disposition(name: &str, inline: bool) -> String {
    let kind = if inline { "inline" } else { "attachment" };
    let fallback: String =
        name.chars().map(|c| if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%') { c } else { '_' }).collect();
    if fallback == name {
        return format!("{kind}; filename=\"{fallback}\"");
    }
    let mut encoded = String::with_capacity(name.len() * 3);
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// A refusal or failure of the reports crate as the API answers it.
pub fn report_error(e: ReportError) -> ApiError {
    match e {
        ReportError::NotFound => ApiError::not_found(),
        ReportError::Forbidden => ApiError::forbidden("your role may not run this report"),
        ReportError::BadParam { name, message } => super::input::bad(name, message),
        ReportError::Storage(e) => e.into(),
        e @ (ReportError::Io(_) | ReportError::Render(_)) => ApiError::internal(&e),
    }
}

/// Starts rendering `report` as `format` and answers once its first chunk
/// is out (or it failed before writing anything).
pub async fn stream(report: Report, format: Format) -> ApiResult<ReportDownload> {
    let content_type = report.content_type(format);
    let disposition = disposition(&report.file_name(format), format == Format::Html);
    let (mut writer, mut pipe) = tokio::io::duplex(PIPE);
    let (done, outcome) = oneshot::channel::<Result<(), ReportError>>();
    let slug = report.slug();
    tokio::spawn(
        async move {
            let result = report.render(format, &mut writer).await;
            if let Err(e) = &result {
                // A client that left shows as a broken pipe: not an error of ours.
                match e {
                    ReportError::Io(io) if io.kind() == io::ErrorKind::BrokenPipe => {
                        tracing::info!(report = slug, "the client left before the report was complete")
                    }
                    e => tracing::error!(report = slug, error = %e, "the report failed while streaming"),
                }
            }
            // The outcome first: the body reads it at the end of the pipe.
            let _ = done.send(result);
            drop(writer);
        }
        .instrument(tracing::Span::current()),
    );
    let mut first = Vec::with_capacity(PIPE);
    let n = pipe.read_buf(&mut first).await.map_err(|e| ApiError::internal(&e))?;
    if n == 0 {
        // Nothing written: the rendering is over, its outcome decides.
        match outcome.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(report_error(e)),
            Err(_) => return Err(ApiError::internal(&"the report's rendering ended abnormally")),
        }
        return Ok(ReportDownload { body: Body::empty(), content_type, disposition, html: format == Format::Html });
    }
    let rest = Rendered { pipe, outcome: Some(outcome) };
    Ok(ReportDownload {
        body: Body::from_async_read(io::Cursor::new(first).chain(rest)),
        content_type,
        disposition,
        html: format == Format::Html,
    })
}

/// The rest of the pipe; at its end, an error if the rendering failed.
struct Rendered {
    pipe: DuplexStream,
    outcome: Option<oneshot::Receiver<Result<(), ReportError>>>,
}

impl AsyncRead for Rendered {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.pipe).poll_read(cx, buf))?;
        if buf.filled().len() > before || buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        let Some(outcome) = self.outcome.as_mut() else { return Poll::Ready(Ok(())) };
        let result = ready!(Pin::new(outcome).poll(cx));
        self.outcome = None;
        Poll::Ready(match result {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(io::Error::other(format!("the report stopped: {e}"))),
            Err(_) => Err(io::Error::other("the report's rendering ended abnormally")),
        })
    }
}

// ---- the JSON format, for the document ----------------------------------------

/// A report as JSON, written as its rows are read (documentation of the
/// `application/json` download; the server streams it, never builds it).
#[derive(Debug, Object)]
#[oai(example)]
pub struct ReportDocument {
    pub report: ReportName,
    /// The campaign of a campaign report (absent in the distributor report).
    #[oai(skip_serializing_if_is_none)]
    pub campaign: Option<ReportCampaign>,
    /// The distributor and range of the distributor report (absent otherwise).
    #[oai(skip_serializing_if_is_none)]
    pub distributor: Option<ReportDistributor>,
    /// When the report was produced, RFC 3339 in its time zone.
    pub generated_at: String,
    /// The IANA zone dates are printed in.
    pub time_zone: String,
    pub tables: Vec<ReportTable>,
}

/// Which report.
#[derive(Debug, Object)]
pub struct ReportName {
    pub slug: String,
    pub name: String,
}

/// The campaign a report is about.
#[derive(Debug, Object)]
pub struct ReportCampaign {
    pub id: i64,
    pub name: String,
    pub company_name: String,
}

/// The distributor a distributor report is about, and its range.
#[derive(Debug, Object)]
pub struct ReportDistributor {
    pub id: i64,
    pub name: String,
    /// `YYYY-MM-DD – YYYY-MM-DD`.
    pub range: String,
}

/// One table: its columns, rows and totals.
#[derive(Debug, Object)]
pub struct ReportTable {
    pub name: String,
    pub columns: Vec<ReportColumn>,
    /// One array per row, a value per column: text and timestamps (RFC 3339)
    /// as strings, integers as numbers, money and other decimals as strings
    /// with 2 places (exact), empty cells as null. A subtotal row (Itemized
    /// Shopper, after each order) is `{"subtotal": [...]}`, so a client
    /// summing rows can skip it.
    pub rows: Vec<serde_json::Value>,
    /// The totals under the table; each equals the sum of the rows shown.
    pub meta: Vec<ReportMeta>,
}

/// A column of a table.
#[derive(Debug, Object)]
pub struct ReportColumn {
    pub name: String,
    pub kind: ColumnKind,
}

/// How a column's cells are written.
#[derive(Debug, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ColumnKind {
    Text,
    Integer,
    Money,
    Number,
    Timestamp,
}

/// A total under a table.
#[derive(Debug, Object)]
pub struct ReportMeta {
    pub label: String,
    /// A number for counts, a decimal string with 2 places for amounts.
    pub value: serde_json::Value,
}

impl Example for ReportDocument {
    fn example() -> ReportDocument {
        let column = |name: &str, kind| ReportColumn { name: name.into(), kind };
        ReportDocument {
            report: ReportName { slug: "vendor-po".into(), name: "Vendor PO".into() },
            campaign: Some(ReportCampaign {
                id: 2,
                name: "Initech Welcome Kits".into(),
                company_name: "Initech".into(),
            }),
            distributor: None,
            generated_at: "2026-05-15T07:00:00-05:00".into(),
            time_zone: "America/Chicago".into(),
            tables: vec![ReportTable {
                name: "Vendor PO".into(),
                columns: vec![
                    column("Item #", ColumnKind::Text),
                    column("Vendor", ColumnKind::Text),
                    column("Product Name", ColumnKind::Text),
                    column("Size", ColumnKind::Text),
                    column("Quantity", ColumnKind::Integer),
                    column("Cost", ColumnKind::Money),
                    column("Total Cost", ColumnKind::Money),
                ],
                rows: vec![serde_json::json!([
                    "HD-200",
                    "Pacific Apparel Supply",
                    "Pullover Hoodie",
                    "XL",
                    2,
                    "14.50",
                    "29.00"
                ])],
                meta: vec![
                    ReportMeta { label: "Total quantity".into(), value: serde_json::json!(2) },
                    ReportMeta { label: "Total cost".into(), value: serde_json::json!("29.00") },
                ],
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_quoted_and_encoded_when_not_ascii() {
        assert_eq!(disposition("acme_vendor-po.csv", false), "attachment; filename=\"acme_vendor-po.csv\"");
        assert_eq!(
            disposition("café_bin.html", true),
            "inline; filename=\"caf__bin.html\"; filename*=UTF-8''caf%C3%A9_bin.html"
        );
    }
}
