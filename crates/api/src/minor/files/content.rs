//! What a stored file is: its media type (sniffed from its first bytes where
//! it has a signature), its sanitized name, where its bytes live, and the
//! response that streams them.

use super::*;

/// Media types recognised from their first bytes; for these the stored type
/// is what the bytes are, whatever the client declared.
pub(super) const SNIFFED: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"];

/// Media types taken as declared (their bytes have no signature).
pub(super) const DECLARED_TEXT: &[&str] = &["text/plain", "text/csv"];

/// Enough leading bytes to recognise every type in [`SNIFFED`].
pub(super) const SNIFF_LEN: usize = 16;

/// The most bytes a text part (`linked_kind`, `linked_id`,
/// `distributor_id`) may have; anything longer is not a valid value.
pub(super) const MAX_TEXT_PART: usize = 64;

/// The longest stored original name, in characters.
pub(super) const MAX_NAME_CHARS: usize = 255;

/// How long a client may reuse content without asking again. Content never
/// changes under an id, but access can (an account leaves the distributor),
/// so caches are private and the time is short.
pub(super) const CACHE_CONTROL: &str = "private, max-age=3600";

pub(super) fn file_path(config: &ApiConfig, distributor_id: i64, sha256: &str) -> PathBuf {
    let shard = sha256.get(..2).unwrap_or("00");
    config.files_dir.join(distributor_id.to_string()).join(shard).join(sha256)
}

pub(super) fn resource_path(id: i64) -> String {
    format!("{UPLOAD_PATH}/{id}")
}

/// The type the first bytes of a file show, if it is one of [`SNIFFED`].
pub(super) fn sniff(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if head.starts_with(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        Some("image/webp")
    } else if head.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

pub(super) fn unsupported(detail: String) -> ApiError {
    ApiError::UnsupportedMediaType(Json(Problem::new(415, detail)))
}

pub(super) fn too_large(limit: u64) -> ApiError {
    ApiError::PayloadTooLarge(Json(Problem::new(
        413,
        format!("the upload is larger than the limit of {limit} bytes; nothing was stored"),
    )))
}

/// The content type to store: what the bytes are when they are an image or
/// a PDF; otherwise the declared type when it is plain text or CSV. A
/// declared image or PDF that the bytes are not, or any other type, is 415:
/// the content endpoint serves files under the stored type, so it must not
/// be one a browser would render from bytes that are something else.
pub(super) fn content_type(head: &[u8], declared: Option<&str>) -> ApiResult<String> {
    if let Some(sniffed) = sniff(head) {
        return Ok(sniffed.to_owned());
    }
    match declared {
        Some(d) if DECLARED_TEXT.contains(&d) => Ok(d.to_owned()),
        Some(d) if d.starts_with("image/") || d == "application/pdf" => {
            Err(unsupported(format!("the file is declared as {d} but its bytes are not a PNG, JPEG, GIF, WebP or PDF")))
        }
        other => Err(unsupported(format!(
            "files may be PNG, JPEG, GIF, WebP or PDF (recognised from their bytes), or text/plain or text/csv \
             (as declared); this one is {}",
            other.unwrap_or("undeclared and unrecognised")
        ))),
    }
}

/// The client's file name without any path, control characters or
/// surrounding blanks, at most [`MAX_NAME_CHARS`] characters.
pub(super) fn sanitize_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    match cleaned.trim() {
        "." | ".." => String::new(),
        name => name.chars().take(MAX_NAME_CHARS).collect(),
    }
}

/// RFC 5987 `attr-char`s pass; every other byte of the UTF-8 is %XX.
pub(super) fn ext_value(name: &str) -> String {
    let mut out = String::with_capacity(name.len() * 3);
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `Content-Disposition` (RFC 6266): inline for what browsers display safely
/// (images, PDF), attachment for the rest. The quoted `filename` is an ASCII
/// fallback; `filename*` carries the real name when the two differ.
pub(super) fn disposition(content_type: &str, name: &str, id: i64) -> String {
    let kind = if SNIFFED.contains(&content_type) { "inline" } else { "attachment" };
    let name = if name.is_empty() { format!("resource-{id}") } else { name.to_owned() };
    let fallback: String = name
        .chars()
        .map(|c| if c == ' ' || (c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%')) { c } else { '_' })
        .collect();
    if fallback == name {
        format!("{kind}; filename=\"{fallback}\"")
    } else {
        format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{}", ext_value(&name))
    }
}

/// A file's bytes, ready to stream.
pub struct FileBody {
    pub(super) body: Body,
    pub(super) content_type: String,
    pub(super) length: u64,
    pub(super) disposition: String,
    pub(super) etag: String,
}

/// The content of a file, or 304.
pub enum FileContent {
    Ok(FileBody),
    NotModified(String),
}

impl IntoResponse for FileContent {
    fn into_response(self) -> Response {
        match self {
            FileContent::Ok(f) => Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, f.content_type)
                .header(header::CONTENT_LENGTH, f.length)
                .header(header::CONTENT_DISPOSITION, f.disposition)
                .header(header::ETAG, f.etag)
                .header(header::CACHE_CONTROL, CACHE_CONTROL)
                .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
                .body(f.body),
            FileContent::NotModified(etag) => Response::builder()
                .status(StatusCode::NOT_MODIFIED)
                .header(header::ETAG, etag)
                .header(header::CACHE_CONTROL, CACHE_CONTROL)
                .finish(),
        }
    }
}

pub(super) fn string_header(name: &str, required: bool, doc: &str) -> MetaHeader {
    MetaHeader {
        name: name.to_owned(),
        description: Some(doc.to_owned()),
        required,
        deprecated: false,
        schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new("string"))),
    }
}

impl ApiResponse for FileContent {
    fn meta() -> MetaResponses {
        let binary = || MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "binary")));
        let etag = || string_header("ETag", true, "`\"<sha256>\"`: the content's hash, for `If-None-Match`.");
        let cache = || string_header("Cache-Control", true, CACHE_CONTROL);
        let mut length = string_header("Content-Length", true, "The size in bytes.");
        length.schema = MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("integer", "int64")));
        MetaResponses {
            responses: vec![
                MetaResponse {
                    description: "The bytes, under the stored content type.",
                    status: Some(200),
                    status_range: None,
                    content: SNIFFED
                        .iter()
                        .chain(DECLARED_TEXT)
                        .map(|ct| MetaMediaType { content_type: ct, schema: binary() })
                        .collect(),
                    headers: vec![
                        length,
                        string_header(
                            "Content-Disposition",
                            true,
                            "`inline` for images and PDF, `attachment` otherwise, with the original file name \
                             (`filename*` when it is not plain ASCII).",
                        ),
                        etag(),
                        cache(),
                        string_header("X-Content-Type-Options", true, "`nosniff`."),
                    ],
                },
                MetaResponse {
                    description: "`If-None-Match` matched: the copy the client holds is current.",
                    status: Some(304),
                    status_range: None,
                    content: vec![],
                    headers: vec![etag(), cache()],
                },
            ],
        }
    }

    fn register(_registry: &mut Registry) {}
}
