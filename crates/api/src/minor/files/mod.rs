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
//!
//! [`content`] holds what a stored file is (its media type, name and path,
//! and how its bytes are answered); [`upload`] reads the multipart body.

mod content;
mod upload;

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
use poem::{Body, IntoResponse, Request, Response};
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
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

use content::*;
use upload::*;

#[derive(Default)]
pub struct FilesApi;

/// The upload path (the request middleware and the idempotency layer treat
/// it as a streamed upload).
pub const UPLOAD_PATH: &str = "/api/v1/minor/resources";

/// What a file may be uploaded for.
const LINK_KINDS: &[&str] = &["product", "campaign", "vendor", "logo", "document"];

/// The link kinds whose `linked_id` names a row that must exist.
const LINKED_ROWS: &[&str] = &["product", "campaign", "vendor"];

// ---- responses --------------------------------------------------------------

/// An upload's answer.
#[derive(ApiResponse)]
pub enum Uploaded {
    /// Stored: the new file's metadata shaped by the mask, where to read it, and its ETag.
    #[oai(status = 201)]
    Created(Masked<FileDoc>, #[oai(header = "Location")] String, #[oai(header = "ETag")] String),
    /// The distributor already has these exact bytes: that file's metadata
    /// (unchanged, whatever this upload said about its name or link), where
    /// to read it, and its ETag.
    #[oai(status = 200)]
    Existing(Masked<FileDoc>, #[oai(header = "Location")] String, #[oai(header = "ETag")] String),
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
        let expected = if_match.expected(FILE.model, id)?;
        who.require(Role::SalesExecutive)?;
        let mut tx = begin(&state).await?;
        let current = staff_row(who, storage::files::find(&mut *tx, id, Lock::Update).await?)?;
        let expected = check_version(&expected, current.version)?;
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
