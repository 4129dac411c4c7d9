//! The multipart upload body, read as a stream under the upload limit (by
//! the shared [`crate::multipart`] reader): the `file` part into a temporary
//! file while it is hashed, the text parts into strings.

use super::*;
use crate::multipart::{Form, FormSchema, Part};

// ---- the upload body --------------------------------------------------------

/// The upload form, unread: the handler streams it under the upload limit.
pub type UploadForm = Form<UploadParts>;

/// The parts of an upload, as the spec documents them.
pub struct UploadParts;

impl FormSchema for UploadParts {
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

/// A file being received under `files_dir`; removed when dropped unless it
/// was moved into place, so a refused or abandoned upload leaves nothing.
pub(super) struct TempFile {
    pub(super) path: PathBuf,
    pub(super) kept: bool,
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
    pub(super) async fn place(&mut self, dest: &FsPath) -> std::io::Result<()> {
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
pub(super) struct ReceivedFile {
    pub(super) temp: TempFile,
    pub(super) sha256: String,
    pub(super) size: u64,
    /// `None` when the file is empty (then there is nothing to check).
    pub(super) content_type: Option<String>,
    pub(super) original_name: String,
}

/// The whole upload, read.
#[derive(Default)]
pub(super) struct Received {
    pub(super) file: Option<ReceivedFile>,
    pub(super) linked_kind: Option<String>,
    pub(super) linked_id: Option<String>,
    pub(super) distributor_id: Option<String>,
    /// Field errors found while reading (a repeated or overlong part).
    pub(super) errors: Vec<FieldError>,
}

pub(super) fn io_error(err: std::io::Error) -> ApiError {
    ApiError::internal(&err)
}

/// Reads the multipart body: the `file` part to a temporary file (hashed and
/// sniffed on the way), the text parts into strings; an unknown part is a 422 naming it.
pub(super) async fn receive(form: UploadForm, config: &ApiConfig) -> ApiResult<Received> {
    let mut parts = form.parts(config.max_upload_bytes as u64, too_large);
    let mut received = Received::default();
    while let Some(mut part) = parts.next_part().await? {
        let name = part.name().unwrap_or_default().to_owned();
        let slot = match name.as_str() {
            "file" if received.file.is_some() => {
                received.errors.push(FieldError::new("file", "repeated", "send exactly one file part"));
                None
            }
            "file" => {
                received.file = Some(receive_file(part, config).await?);
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
        while let Some(chunk) = part.chunk().await? {
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
pub(super) async fn receive_file(mut part: Part<'_>, config: &ApiConfig) -> ApiResult<ReceivedFile> {
    let declared = part.content_type().map(str::to_ascii_lowercase);
    let original_name = sanitize_name(part.file_name().unwrap_or_default());
    let tmp_dir = config.files_dir.join(".tmp");
    tokio::fs::create_dir_all(&tmp_dir).await.map_err(io_error)?;
    let temp = TempFile { path: tmp_dir.join(uuid::Uuid::new_v4().simple().to_string()), kept: false };
    let file = tokio::fs::File::create(&temp.path).await.map_err(io_error)?;
    let mut out = tokio::io::BufWriter::new(file);
    let mut hasher = Sha256::new();
    let mut head = Vec::with_capacity(SNIFF_LEN);
    let mut checked: Option<String> = None;
    let mut size = 0u64;
    while let Some(chunk) = part.chunk().await? {
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

pub(super) fn parse_id(name: &str, raw: Option<String>, errors: &mut Vec<FieldError>) -> Option<i64> {
    let raw = raw?;
    match raw.parse::<i64>() {
        Ok(v) if v > 0 => Some(v),
        _ => {
            errors.push(FieldError::new(name, "invalid", "must be a positive integer"));
            None
        }
    }
}
