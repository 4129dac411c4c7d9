//! Uploaded files ("resources"): product images, logos, documents.
//!
//! An upload is streamed, never held in memory: the multipart `file` part is
//! written to a temporary file under `files_dir` while it is hashed, and the
//! whole body is cut off at `max_upload_bytes` (the request middleware only
//! refuses a too large `Content-Length`; chunked bodies reach this handler
//! unread). The bytes are stored once per distributor and hash, at
//! `<files_dir>/<distributor_id>/<sha256[0..2]>/<sha256>`, and the row is
//! unique on the same pair, so uploading the same bytes again answers the
//! existing file.
//!
//! Who sees what: the metadata is for staff (like the rest of the catalog),
//! the content for every account of the owning distributor, because
//! shoppers see product images in the storefront.

use crate::auth::scheme::Auth;
use crate::error::{ApiError, ApiResult, FieldError, Problem};
use crate::params::{
    CountQuery, CursorQuery, FieldsQuery, FilterQuery, ListArgs, PageNumberQuery, PageSizeQuery, SortQuery, XFields,
};
use crate::precondition::IfMatch;
use crate::precondition::none_match;
use crate::resource::{self, FileDoc, ListResponse, Masked, ReadResponse};
use crate::state::{ApiConfig, AppState};
use crate::tags::ApiTags;
use crate::write::{
    Deleted, begin, check_version, commit, owning_distributor, read_back, require_live_distributor, staff_row,
};
use domain::Role;
use domain::resource::FILE;
use poem::http::{StatusCode, header};
use poem::web::Data;
use poem::{Body, IntoResponse, Request, RequestBody, Response};
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::{Json, ParsePayload, Payload};
use poem_openapi::registry::{
    MetaHeader, MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::{ApiResponse, OpenApi};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path as FsPath, PathBuf};
use storage::StorageError;
use storage::write::Lock;
use tokio::io::AsyncWriteExt;

pub struct FilesApi;

/// The upload path (the request middleware and the idempotency layer treat
/// it as a streamed upload).
pub const UPLOAD_PATH: &str = "/api/v1/minor/resources";

/// What a file may be uploaded for.
const LINK_KINDS: &[&str] = &["product", "campaign", "vendor", "logo", "document"];

/// The link kinds whose `linked_id` names a row that must exist.
const LINKED_ROWS: &[&str] = &["product", "campaign", "vendor"];

/// Media types recognised from their first bytes; for these the stored type
/// is what the bytes are, whatever the client declared.
const SNIFFED: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"];

/// Media types taken as declared (their bytes have no signature).
const DECLARED_TEXT: &[&str] = &["text/plain", "text/csv"];

/// Enough leading bytes to recognise every type in [`SNIFFED`].
const SNIFF_LEN: usize = 16;

/// The most bytes a text part (`linked_kind`, `linked_id`,
/// `distributor_id`) may have; anything longer is not a valid value.
const MAX_TEXT_PART: usize = 64;

/// The longest stored original name, in characters.
const MAX_NAME_CHARS: usize = 255;

/// How long a client may reuse content without asking again. Content never
/// changes under an id, but access can (an account leaves the distributor),
/// so caches are private and the time is short.
const CACHE_CONTROL: &str = "private, max-age=3600";

fn file_path(config: &ApiConfig, distributor_id: i64, sha256: &str) -> PathBuf {
    let shard = sha256.get(..2).unwrap_or("00");
    config.files_dir.join(distributor_id.to_string()).join(shard).join(sha256)
}

fn resource_path(id: i64) -> String {
    format!("{UPLOAD_PATH}/{id}")
}

/// The type the first bytes of a file show, if it is one of [`SNIFFED`].
fn sniff(head: &[u8]) -> Option<&'static str> {
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

fn unsupported(detail: String) -> ApiError {
    ApiError::UnsupportedMediaType(Json(Problem::new(415, detail)))
}

fn too_large(limit: u64) -> ApiError {
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
fn content_type(head: &[u8], declared: Option<&str>) -> ApiResult<String> {
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
fn sanitize_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    match cleaned.trim() {
        "." | ".." => String::new(),
        name => name.chars().take(MAX_NAME_CHARS).collect(),
    }
}

/// RFC 5987 `attr-char`s pass; every other byte of the UTF-8 is %XX.
fn ext_value(name: &str) -> String {
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
fn disposition(content_type: &str, name: &str, id: i64) -> String {
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

// ---- the upload body --------------------------------------------------------

/// The `multipart/form-data` upload body, unread: the handler streams it
/// under its own size limit. (poem-openapi's `Upload` would first copy the
/// whole part into an unbounded temporary file.)
pub struct UploadForm {
    body: Body,
    boundary: String,
}

impl Payload for UploadForm {
    const CONTENT_TYPE: &'static str = "multipart/form-data";

    fn check_content_type(content_type: &str) -> bool {
        content_type.split(';').next().is_some_and(|e| e.trim().eq_ignore_ascii_case(Self::CONTENT_TYPE))
    }

    fn schema_ref() -> MetaSchemaRef {
        fn prop(ty: &'static str, format: Option<&'static str>, doc: &'static str) -> MetaSchemaRef {
            let mut s = match format {
                Some(f) => MetaSchema::new_with_format(ty, f),
                None => MetaSchema::new(ty),
            };
            s.description = Some(doc);
            MetaSchemaRef::Inline(Box::new(s))
        }
        let mut kind = MetaSchema::new("string");
        kind.description = Some("What the file is for.");
        kind.enum_items = LINK_KINDS.iter().map(|k| Value::from(*k)).collect();
        let mut s = MetaSchema::new("object");
        s.description = Some(
            "One `file` part and optional text parts. The part's own `Content-Type` is checked against its bytes.",
        );
        s.required = vec!["file"];
        s.properties = vec![
            (
                "file",
                prop(
                    "string",
                    Some("binary"),
                    "The content: PNG, JPEG, GIF, WebP or PDF (recognised from the bytes), or text/plain or \
                     text/csv (as declared by the part's Content-Type). Not empty. Its file name is kept, without \
                     any path, as `original_name`.",
                ),
            ),
            ("linked_kind", MetaSchemaRef::Inline(Box::new(kind))),
            (
                "linked_id",
                prop(
                    "integer",
                    Some("int64"),
                    "The id of the product, campaign or vendor it is for (of the same distributor); only with \
                     `linked_kind` product, campaign or vendor.",
                ),
            ),
            (
                "distributor_id",
                prop(
                    "integer",
                    Some("int64"),
                    "The owning distributor: required for super admins; others may omit it (it is always their own).",
                ),
            ),
        ];
        MetaSchemaRef::Inline(Box::new(s))
    }
}

impl ParsePayload for UploadForm {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let content_type = request.header(header::CONTENT_TYPE).unwrap_or_default();
        let boundary = multer::parse_boundary(content_type).map_err(|e| {
            poem::Error::from_string(format!("bad multipart Content-Type: {e}"), StatusCode::BAD_REQUEST)
        })?;
        Ok(UploadForm { body: body.take()?, boundary })
    }
}

// The macro names itself unqualified, so it must be in scope.
use poem_openapi::impl_apirequest_for_payload;
impl_apirequest_for_payload!(UploadForm);

/// A file being received under `files_dir`; removed when dropped unless it
/// was moved into place, so a refused or abandoned upload leaves nothing.
struct TempFile {
    path: PathBuf,
    kept: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl TempFile {
    /// Moves the file to `dest` unless a file is already there (the same
    /// bytes, since the name is their hash).
    async fn place(&mut self, dest: &FsPath) -> std::io::Result<()> {
        if tokio::fs::try_exists(dest).await? {
            return Ok(());
        }
        if let Some(parent) = dest.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        tokio::fs::rename(&self.path, dest).await?;
        self.kept = true;
        Ok(())
    }
}

/// The received `file` part.
struct ReceivedFile {
    temp: TempFile,
    sha256: String,
    size: u64,
    /// `None` when the file is empty (then there is nothing to check).
    content_type: Option<String>,
    original_name: String,
}

/// The whole upload, read.
#[derive(Default)]
struct Received {
    file: Option<ReceivedFile>,
    linked_kind: Option<String>,
    linked_id: Option<String>,
    distributor_id: Option<String>,
    /// Field errors found while reading (a repeated or overlong part).
    errors: Vec<FieldError>,
}

/// A multipart error: 413 past the size limit, 400 for a malformed body.
fn multipart_error(err: multer::Error, limit: u64) -> ApiError {
    match err {
        multer::Error::StreamSizeExceeded { .. } => too_large(limit),
        other => ApiError::bad_request(format!("malformed multipart body: {other}")),
    }
}

fn io_error(err: std::io::Error) -> ApiError {
    ApiError::internal(&err)
}

/// Reads the multipart body: the `file` part to a temporary file (hashed and
/// sniffed on the way), the text parts into strings; an unknown part is a 422 naming it.
async fn receive(form: UploadForm, config: &ApiConfig) -> ApiResult<Received> {
    let limit = config.max_upload_bytes as u64;
    let constraints = multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(limit));
    let mut multipart = multer::Multipart::with_constraints(form.body.into_bytes_stream(), form.boundary, constraints);
    let mut received = Received::default();
    while let Some(mut field) = multipart.next_field().await.map_err(|e| multipart_error(e, limit))? {
        let name = field.name().unwrap_or_default().to_owned();
        let slot = match name.as_str() {
            "file" if received.file.is_some() => {
                received.errors.push(FieldError::new("file", "repeated", "send exactly one file part"));
                None
            }
            "file" => {
                received.file = Some(receive_file(field, config, limit).await?);
                continue;
            }
            "linked_kind" => Some(&mut received.linked_kind),
            "linked_id" => Some(&mut received.linked_id),
            "distributor_id" => Some(&mut received.distributor_id),
            // Like unknown fields of a JSON body: a 422 naming it, so a
            // misspelt part is not silently dropped.
            other => return Err(ApiError::unprocessable(vec![FieldError::unknown(other)])),
        };
        let mut text = Vec::new();
        let mut too_long = false;
        while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, limit))? {
            // Keep reading (bounded by the stream limit) so the next part is
            // reached, but keep nothing past what a valid value can be.
            if text.len() + chunk.len() <= MAX_TEXT_PART {
                text.extend_from_slice(&chunk);
            } else {
                too_long = true;
            }
        }
        let Some(slot) = slot else { continue };
        if slot.is_some() {
            received.errors.push(FieldError::new(name, "repeated", "send this part at most once"));
        } else if too_long {
            received.errors.push(FieldError::new(name, "too_long", format!("at most {MAX_TEXT_PART} bytes")));
        } else {
            match String::from_utf8(text) {
                Ok(t) => *slot = Some(t.trim().to_owned()),
                Err(_) => received.errors.push(FieldError::new(name, "invalid", "must be UTF-8 text")),
            }
        }
    }
    Ok(received)
}

/// Streams the `file` part to a temporary file, hashing it, and checks its
/// content type as soon as enough bytes are in (415 early, before the rest
/// of a large refused file is written).
async fn receive_file(mut field: multer::Field<'static>, config: &ApiConfig, limit: u64) -> ApiResult<ReceivedFile> {
    let declared = field.content_type().map(|m| m.essence_str().to_ascii_lowercase());
    let original_name = sanitize_name(field.file_name().unwrap_or_default());
    let tmp_dir = config.files_dir.join(".tmp");
    tokio::fs::create_dir_all(&tmp_dir).await.map_err(io_error)?;
    let temp = TempFile { path: tmp_dir.join(uuid::Uuid::new_v4().simple().to_string()), kept: false };
    let file = tokio::fs::File::create(&temp.path).await.map_err(io_error)?;
    let mut out = tokio::io::BufWriter::new(file);
    let mut hasher = Sha256::new();
    let mut head = Vec::with_capacity(SNIFF_LEN);
    let mut checked: Option<String> = None;
    let mut size = 0u64;
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, limit))? {
        if checked.is_none() {
            let take = (SNIFF_LEN - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
            if head.len() == SNIFF_LEN {
                checked = Some(content_type(&head, declared.as_deref())?);
            }
        }
        hasher.update(&chunk);
        size += chunk.len() as u64;
        out.write_all(&chunk).await.map_err(io_error)?;
    }
    out.flush().await.map_err(io_error)?;
    out.into_inner().sync_all().await.map_err(io_error)?;
    let content_type = match checked {
        Some(c) => Some(c),
        None if size == 0 => None,
        None => Some(content_type(&head, declared.as_deref())?),
    };
    Ok(ReceivedFile { temp, sha256: format!("{:x}", hasher.finalize()), size, content_type, original_name })
}

fn parse_id(name: &str, raw: Option<String>, errors: &mut Vec<FieldError>) -> Option<i64> {
    let raw = raw?;
    match raw.parse::<i64>() {
        Ok(v) if v > 0 => Some(v),
        _ => {
            errors.push(FieldError::new(name, "invalid", "must be a positive integer"));
            None
        }
    }
}

// ---- responses --------------------------------------------------------------

/// An upload's answer.
#[derive(ApiResponse)]
pub enum Uploaded {
    /// Stored: the new file's metadata shaped by the mask, where to read it, and its ETag.
    #[oai(status = 201)]
    Created(Json<Masked<FileDoc>>, #[oai(header = "Location")] String, #[oai(header = "ETag")] String),
    /// The distributor already has these exact bytes: that file's metadata
    /// (unchanged, whatever this upload said about its name or link), where
    /// to read it, and its ETag.
    #[oai(status = 200)]
    Existing(Json<Masked<FileDoc>>, #[oai(header = "Location")] String, #[oai(header = "ETag")] String),
}

/// A file's bytes, ready to stream.
pub struct FileBody {
    body: Body,
    content_type: String,
    length: u64,
    disposition: String,
    etag: String,
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

fn string_header(name: &str, required: bool, doc: &str) -> MetaHeader {
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

// ---- operations -------------------------------------------------------------

#[OpenApi(prefix_path = "/api/v1/minor", tag = "ApiTags::Minor")]
impl FilesApi {
    /// Upload a file
    ///
    /// Sales executives, managers and super admins (admin buyers and shoppers
    /// get 403). A `multipart/form-data` body with one `file` part and
    /// optional `linked_kind`, `linked_id` and `distributor_id` text parts;
    /// the file belongs to the caller's distributor (super admins name it in
    /// `distributor_id`). The body is streamed: past the upload limit
    /// (`MAX_UPLOAD_BYTES`, 50 MiB by default) it is 413 and nothing is kept.
    ///
    /// Content types: PNG, JPEG, GIF, WebP and PDF are recognised from their
    /// bytes and stored as what they are, whatever the part declared; a part
    /// declared as an image or PDF whose bytes are neither is 415, and so is
    /// anything else except text/plain and text/csv, which are kept as
    /// declared. An empty file, a missing `file` part, an unknown
    /// `linked_kind`, a `linked_id` that names no product, campaign or vendor
    /// of the distributor, or a bad `distributor_id` is 422 naming the field.
    ///
    /// The same bytes are stored once per distributor: uploading them again
    /// answers 200 with the existing file (its name and link unchanged)
    /// instead of 201. That makes the upload safe to retry without an
    /// `Idempotency-Key`, which this operation does not take.
    #[oai(path = "/resources", method = "post", operation_id = "upload_resource")]
    async fn upload_resource(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: UploadForm,
    ) -> ApiResult<Uploaded> {
        let who = auth.principal();
        who.require(Role::SalesExecutive)?;
        let selection = crate::params::selection(&x_fields, &fields, &FILE, who.role)?;
        let received = receive(body, &state.config).await?;
        let mut errors = received.errors;
        let asked = parse_id("distributor_id", received.distributor_id, &mut errors);
        let distributor_id = owning_distributor(who, asked, "files").map_err(|e| errors.push(e)).ok();
        let linked_kind = received.linked_kind.filter(|k| !k.is_empty());
        if let Some(k) = &linked_kind
            && !LINK_KINDS.contains(&k.as_str())
        {
            errors.push(FieldError::new("linked_kind", "invalid", format!("must be one of {}", LINK_KINDS.join(", "))));
        }
        let linked_id = parse_id("linked_id", received.linked_id.filter(|v| !v.is_empty()), &mut errors);
        if linked_id.is_some() && !linked_kind.as_deref().is_some_and(|k| LINKED_ROWS.contains(&k)) {
            errors.push(FieldError::new(
                "linked_id",
                "not_allowed",
                "only with linked_kind product, campaign or vendor",
            ));
        }
        let Some(mut file) = received.file else {
            errors.push(FieldError::new("file", "required", "send the file in a part named `file`"));
            errors.sort_by(|a, b| a.field.cmp(&b.field));
            return Err(ApiError::unprocessable(errors));
        };
        let content_type = file.content_type.clone().unwrap_or_default();
        if file.size == 0 {
            errors.push(FieldError::new("file", "empty", "the file has no content"));
        }
        let Some(distributor_id) = distributor_id.filter(|_| errors.is_empty()) else {
            errors.sort_by(|a, b| a.field.cmp(&b.field));
            return Err(ApiError::unprocessable(errors));
        };

        let mut tx = begin(&state).await?;
        require_live_distributor(&mut tx, distributor_id).await?;
        if let (Some(kind), Some(id)) = (linked_kind.as_deref(), linked_id)
            && !storage::files::linked_exists(&mut *tx, kind, distributor_id, id).await?
        {
            return Err(ApiError::unprocessable(vec![FieldError::new(
                "linked_id",
                "not_found",
                format!("no such {kind}"),
            )]));
        }
        let size = i64::try_from(file.size).map_err(|e| ApiError::internal(&e))?;
        let new = storage::files::NewFile {
            distributor_id,
            sha256: &file.sha256,
            content_type: &content_type,
            size,
            original_name: &file.original_name,
            linked_kind: linked_kind.as_deref(),
            linked_id,
            created_by: who.account_id,
        };
        let (id, created) = match storage::files::create(&mut *tx, &new).await? {
            Some(id) => (id, true),
            // Locked FOR SHARE until commit, so a concurrent delete cannot
            // remove the row and its bytes between here and the response.
            None => match storage::files::find_by_hash(&mut *tx, distributor_id, &file.sha256).await? {
                Some(id) => (id, false),
                None => return Err(StorageError::NotFound.into()),
            },
        };
        // The bytes go into place before the commit: once the row is
        // visible, so is its content. An existing row whose file went
        // missing gets it back here.
        file.temp.place(&file_path(&state.config, distributor_id, &file.sha256)).await.map_err(io_error)?;
        commit(tx).await?;
        let (body, tag) = read_back::<FileDoc>(&state, who, &selection, id).await?;
        Ok(if created {
            Uploaded::Created(body, resource_path(id), tag)
        } else {
            Uploaded::Existing(body, resource_path(id), tag)
        })
    }

    /// List files
    ///
    /// Sales executives, managers (their distributor's files) and super
    /// admins (every file); admin buyers and shoppers get 403. The whole
    /// query language applies, e.g. `filter=[{"field":"content_type","op":"like","value":"image/%"}]`.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/resources", method = "get", operation_id = "list_resources")]
    async fn list_resources(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        request: &Request,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        filter: FilterQuery,
        sort: SortQuery,
        page_size: PageSizeQuery,
        page_number: PageNumberQuery,
        cursor: CursorQuery,
        count: CountQuery,
    ) -> ApiResult<ListResponse<FileDoc>> {
        let who = auth.principal();
        who.require(Role::SalesExecutive)?;
        let args = ListArgs { x_fields, fields, filter, sort, page_size, page_number, cursor, count };
        resource::list_page(&state, who, &args, request).await
    }

    /// Read a file's metadata
    ///
    /// Staff of the owning distributor and super admins; admin buyers and
    /// shoppers of that distributor get 403, anyone else 404. The content is
    /// at `/resources/{id}/content`.
    #[oai(path = "/resources/:id", method = "get", operation_id = "get_resource")]
    async fn get_resource(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The file's id.
        id: Path<i64>,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        #[oai(name = "If-None-Match")] if_none_match: Header<Option<String>>,
    ) -> ApiResult<ReadResponse<FileDoc>> {
        let who = auth.principal();
        who.require(Role::SalesExecutive)?;
        staff_row(who, storage::files::find(&state.pool, id.0, Lock::None).await?)?;
        let selection = crate::params::selection(&x_fields, &fields, &FILE, who.role)?;
        resource::read_one(&state, who, &selection, id.0, if_none_match.0.as_deref()).await
    }

    /// Download a file's content
    ///
    /// Staff of the owning distributor and super admins; admin buyers and
    /// shoppers only when the file shows something of a campaign they are a
    /// member of (shoppers: an active one): an image of a product offered in
    /// it, or a file uploaded for that campaign or product. Anyone else, and
    /// any other file, gets 404, exactly as a file that does not exist. Streams the bytes under the
    /// stored content type with `Content-Length`, `Content-Disposition`
    /// (`inline` for images and PDF, `attachment` for text), `ETag`
    /// (`"<sha256>"`; `If-None-Match` with it answers 304),
    /// `Cache-Control: private` and `X-Content-Type-Options: nosniff`.
    #[oai(path = "/resources/:id/content", method = "get", operation_id = "get_resource_content")]
    async fn get_resource_content(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The file's id.
        id: Path<i64>,
        #[oai(name = "If-None-Match")] if_none_match: Header<Option<String>>,
    ) -> ApiResult<FileContent> {
        let who = auth.principal();
        let found = storage::files::find(&state.pool, id.0, Lock::None).await?.ok_or_else(ApiError::not_found)?;
        let visible = who.is_staff_of(Some(found.distributor_id))
            || (who.in_distributor(found.distributor_id)
                && storage::files::shown_to_member(&state.pool, found.id, who.account_id, who.role == Role::Shopper)
                    .await?);
        if !visible {
            return Err(ApiError::not_found());
        }
        let etag = format!("\"{}\"", found.sha256);
        if none_match(if_none_match.0.as_deref(), &etag) {
            return Ok(FileContent::NotModified(etag));
        }
        let path = file_path(&state.config, found.distributor_id, &found.sha256);
        // A row without its bytes is a broken store, not a client error.
        let file = tokio::fs::File::open(&path).await.map_err(|e| {
            ApiError::internal(&format_args!("resource {} content at {}: {e}", found.id, path.display()))
        })?;
        let length = file.metadata().await.map_err(io_error)?.len();
        Ok(FileContent::Ok(FileBody {
            body: Body::from_async_read(file),
            disposition: disposition(&found.content_type, &found.original_name, found.id),
            content_type: found.content_type,
            length,
            etag,
        }))
    }

    /// Delete a file
    ///
    /// Staff of the owning distributor and super admins (admin buyers and
    /// shoppers of that distributor get 403, anyone else 404). Honours
    /// `If-Match` (412 when stale). A file a product still shows is 409:
    /// remove it from the product first. The bytes are removed with the row.
    #[oai(path = "/resources/:id", method = "delete", operation_id = "delete_resource")]
    async fn delete_resource(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The file's id.
        id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
    ) -> ApiResult<Deleted> {
        let who = auth.principal();
        let id = id.0;
        let expected = if_match.expected_version(FILE.model, id)?;
        who.require(Role::SalesExecutive)?;
        let mut tx = begin(&state).await?;
        let current = staff_row(who, storage::files::find(&mut *tx, id, Lock::Update).await?)?;
        check_version(expected, current.version)?;
        // The row lock keeps a product from taking the file meanwhile (its
        // foreign key waits for it).
        if storage::files::in_use(&mut *tx, id).await? {
            return Err(ApiError::conflict("a product still shows this file; remove it from the product first"));
        }
        storage::files::delete(&mut *tx, id, expected).await?;
        // Removed before the commit: an upload of the same bytes waits on
        // this row until then and puts them back after. One row per
        // distributor and hash means no other row uses this path.
        match tokio::fs::remove_file(file_path(&state.config, current.distributor_id, &current.sha256)).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(e)),
        }
        commit(tx).await?;
        Ok(Deleted::NoContent)
    }
}
