//! CSV import of products and variants.
//!
//! The body is streamed: it is read in chunks and parsed as it arrives
//! (`validators::import`), and only the compact, resolved form of the good
//! rows is kept, so a file near `max_upload_bytes` never sits in memory
//! whole. The distributor's catalog (types, attributes and values, vendors)
//! is read before the body, on a connection released before reading, so no
//! transaction stays open while a slow client uploads. The write is one
//! transaction of set-based statements (`storage::imports`): all rows or
//! none.

use crate::auth::scheme::Auth;
use crate::error::{ApiError, ApiResult, FieldError, Problem, RowError};
use crate::multipart::{Form, FormSchema};
use crate::state::AppState;
use crate::tags::ApiTags;
use crate::write::{begin, commit};
use domain::Role;
use poem::web::Data;
use poem::{Body, FromRequest, Request, RequestBody};
use poem_openapi::param::Query;
use poem_openapi::payload::{Json, ParsePayload, Payload};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
use poem_openapi::{ApiRequest, ApiResponse, Object, OpenApi};
use storage::StorageError;
use tokio::io::{AsyncRead, AsyncReadExt};
use validators::import::{CsvSplitter, Dictionary, Import, RowIssue, Stop};

#[derive(Default)]
pub struct ImportsApi;

/// The example file of the spec: two products, one with four variants.
const EXAMPLE_CSV: &str = "item_number,name,product_type,description,supplier,vendor_cost,Color,Size\n\
TS-100,Classic Tee,T-Shirt,\"Ring-spun cotton, 180 g/m2\",SanMar,4.10,Red,S\n\
TS-100,Classic Tee,T-Shirt,\"Ring-spun cotton, 180 g/m2\",SanMar,4.10,Red,M\n\
TS-100,Classic Tee,T-Shirt,\"Ring-spun cotton, 180 g/m2\",SanMar,4.10,Blue,S\n\
TS-100,Classic Tee,T-Shirt,\"Ring-spun cotton, 180 g/m2\",SanMar,4.35,Blue,XL\n\
MUG-11,Diner Mug,Mug,11 oz ceramic,SanMar,2.35,,\n";

fn essence(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or_default().trim()
}

/// The CSV file itself as the body (`text/csv`, any charset parameter; the
/// text must be UTF-8).
pub struct CsvFile(Body);

impl Payload for CsvFile {
    const CONTENT_TYPE: &'static str = "text/csv";

    fn check_content_type(content_type: &str) -> bool {
        essence(content_type).eq_ignore_ascii_case(Self::CONTENT_TYPE)
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            description: Some(
                "UTF-8 CSV (a byte order mark is allowed) with a header row; one row per variant, \
                 the rows of one item number forming one product.",
            ),
            example: Some(serde_json::Value::String(EXAMPLE_CSV.to_owned())),
            // Raw bytes, not a JSON string: any byte sequence is a body to
            // check (a bare number is a CSV of one header cell).
            ..MetaSchema::new_with_format("string", "binary")
        }))
    }
}

impl ParsePayload for CsvFile {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        Ok(CsvFile(Body::from_request(request, body).await?))
    }
}

/// The CSV file as the `file` part of a form upload, unread: streamed like a
/// plain body, under the same limit.
pub type CsvForm = Form<CsvFormParts>;

/// The one part of an import form, as the spec documents it.
pub struct CsvFormParts;

impl FormSchema for CsvFormParts {
    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            required: vec!["file"],
            properties: vec![(
                "file",
                MetaSchemaRef::Inline(Box::new(MetaSchema {
                    format: Some("binary"),
                    description: Some("The CSV file, as described for `text/csv`. No other part is accepted."),
                    ..MetaSchema::new("string")
                })),
            )],
            ..MetaSchema::new("object")
        }))
    }
}

/// The file to import: the CSV as the whole body, or as the `file` part of a
/// form.
///
/// Columns (header names are case-insensitive, in any order): `item_number`,
/// `name`, `product_type`, `supplier`, `vendor_cost` (required);
/// `description` (the product's) and `variant_description` (optional: when
/// the column is absent, stored descriptions are kept); and one column per
/// attribute, named like the attribute (`Color`, `Size`). Any other column is
/// an error.
#[derive(ApiRequest)]
pub enum ImportBody {
    Csv(CsvFile),
    Form(CsvForm),
}

/// What an import did (or, for a dry run, would do).
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, example)]
pub struct ImportReport {
    /// Whether this was a dry run (nothing was written).
    pub dry_run: bool,
    /// Data rows read (the header and rows with only empty cells are not counted).
    pub rows: u64,
    pub created_products: u64,
    /// Products whose name, type or description changed.
    pub updated_products: u64,
    pub unchanged_products: u64,
    pub created_variants: u64,
    /// Variants whose supplier, vendor cost or description changed.
    pub updated_variants: u64,
    pub unchanged_variants: u64,
    /// How many errors the file has (only a dry run answers 200 with errors; the counts above are then 0, as a
    /// real run would write nothing).
    pub error_count: u64,
    /// The errors in row order, at most 1000 of them.
    pub errors: Vec<RowError>,
}

impl poem_openapi::types::Example for ImportReport {
    fn example() -> Self {
        ImportReport {
            dry_run: false,
            rows: 5,
            created_products: 1,
            updated_products: 1,
            unchanged_products: 0,
            created_variants: 3,
            updated_variants: 1,
            unchanged_variants: 1,
            error_count: 0,
            errors: vec![],
        }
    }
}

#[derive(ApiResponse)]
pub enum ImportResponse {
    /// The report: for a real run, what was written; for a dry run, what would be, or the file's errors.
    #[oai(status = 200)]
    Ok(Json<ImportReport>),
}

fn row_error(i: RowIssue) -> RowError {
    RowError { row: i.row, column: i.column, code: i.code.to_owned(), message: i.message }
}

fn too_large(detail: String) -> ApiError {
    ApiError::PayloadTooLarge(Json(Problem::new(413, detail)))
}

fn stopped(stop: Stop) -> ApiError {
    let detail = stop.to_string();
    match stop {
        Stop::NotUtf8 { row, column } => ApiError::BadRequest(Json(Problem {
            row_errors: Some(vec![RowError { row, column, code: "not_utf8".into(), message: detail.clone() }]),
            ..Problem::new(400, detail)
        })),
        Stop::TooManyRows { .. } => too_large(detail),
    }
}

/// The 413 of a file past the upload limit, whichever way it was sent.
fn file_too_large(limit: u64) -> ApiError {
    too_large(format!("the file is larger than {limit} bytes"))
}

/// The limit bounds the whole form (file, other parts and their headers).
fn form_too_large(limit: u64) -> ApiError {
    too_large(format!("the form is larger than {limit} bytes"))
}

/// The parser, fed chunk by chunk as the file arrives, whether as the whole
/// body or as a form's part.
struct CsvFeed<'i, 'd> {
    splitter: CsvSplitter,
    import: &'i mut Import<'d>,
}

impl<'i, 'd> CsvFeed<'i, 'd> {
    fn new(import: &'i mut Import<'d>) -> Self {
        CsvFeed { splitter: CsvSplitter::new(), import }
    }

    fn feed(&mut self, chunk: &[u8]) -> ApiResult<()> {
        let import = &mut *self.import;
        let mut each = |n: u64, fields: &[&[u8]]| import.record(n, fields);
        self.splitter.feed(chunk, &mut each).map_err(stopped)
    }

    fn finish(mut self) -> ApiResult<()> {
        let import = &mut *self.import;
        let mut each = |n: u64, fields: &[&[u8]]| import.record(n, fields);
        self.splitter.finish(&mut each).map_err(stopped)
    }
}

/// Feeds the body to the parser as it arrives, refusing it past `limit`
/// bytes (the middleware refuses a declared Content-Length above it; a
/// chunked body is only known to be too large while it is read).
async fn read_csv(mut body: impl AsyncRead + Unpin, limit: usize, import: &mut Import<'_>) -> ApiResult<()> {
    let mut csv = CsvFeed::new(import);
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0usize;
    loop {
        let n = body
            .read(&mut buf)
            .await
            .map_err(|e| ApiError::bad_request(format!("cannot read the request body: {e}")))?;
        if n == 0 {
            break;
        }
        total += n;
        if total > limit {
            return Err(file_too_large(limit as u64));
        }
        csv.feed(&buf[..n])?;
    }
    csv.finish()
}

/// The CSV of a form: its `file` part, streamed like a plain body. The
/// reader bounds the whole form by `limit`, as the middleware bounds a
/// declared Content-Length.
async fn read_form(form: CsvForm, limit: usize, import: &mut Import<'_>) -> ApiResult<()> {
    let mut parts = form.parts(limit as u64, form_too_large);
    // The part borrows the form until this block ends.
    {
        let Some(mut file) = parts.next_part().await? else {
            return Err(ApiError::bad_request("the form has no `file` part"));
        };
        if file.name() != Some("file") {
            let name = file.name().unwrap_or_default().to_owned();
            return Err(ApiError::bad_request(format!("unexpected form part `{name}`; send only `file`")));
        }
        let mut csv = CsvFeed::new(import);
        while let Some(chunk) = file.chunk().await? {
            csv.feed(&chunk)?;
        }
        csv.finish()?;
    }
    if parts.next_part().await?.is_some() {
        return Err(ApiError::bad_request("send only one part, `file`"));
    }
    Ok(())
}

/// The distributor the import is for: the caller's own (naming it is
/// allowed), or, for super admins, the one they name.
async fn distributor_of(state: &AppState, who: &domain::Principal, asked: Option<i64>) -> ApiResult<i64> {
    who.require(Role::SalesExecutive)?;
    match (who.distributor_id, asked) {
        (Some(own), None) => Ok(own),
        (Some(_), Some(asked)) => {
            // Another distributor's id is as unknown as a missing one.
            who.require_in(Role::SalesExecutive, Some(asked))?;
            Ok(asked)
        }
        (None, Some(asked)) => {
            if storage::campaigns::distributor_is_live(&state.pool, asked).await? {
                Ok(asked)
            } else {
                Err(ApiError::not_found())
            }
        }
        (None, None) => Err(ApiError::unprocessable(vec![FieldError::new(
            "distributor_id",
            "required",
            "super admins must name the distributor in ?distributor_id=",
        )])),
    }
}

fn dictionary(catalog: storage::imports::Catalog) -> Dictionary {
    use validators::import::{DictAttribute, DictType, DictVendor};
    Dictionary {
        product_types: catalog
            .product_types
            .into_iter()
            .map(|t| DictType { id: t.id, name: t.name, attribute_ids: t.attribute_ids })
            .collect(),
        attributes: catalog
            .attributes
            .into_iter()
            .map(|a| DictAttribute { id: a.id, name: a.name, values: a.values })
            .collect(),
        vendors: catalog
            .vendors
            .into_iter()
            .map(|v| DictVendor { id: v.id, name: v.name, is_supplier: v.is_supplier, is_active: v.is_active })
            .collect(),
    }
}

#[OpenApi(prefix_path = "/api/v1/catalog", tag = "ApiTags::Catalog")]
impl ImportsApi {
    /// Import products and variants from CSV
    ///
    /// Sales executives, managers and super admins (admin buyers and
    /// shoppers get 403). The import is for the caller's distributor; super
    /// admins name it in `distributor_id` (422 without it, 404 when it does
    /// not exist); staff naming another distributor get 404.
    ///
    /// The body is the CSV (`text/csv`, or the `file` part of a
    /// `multipart/form-data` form), UTF-8 with or without a byte order mark,
    /// with a header row. One row is one variant; rows with the same
    /// `item_number` (case-insensitive) are one product and must agree on its
    /// name, type and description. `product_type` and `supplier` are names
    /// (case-insensitive) of the distributor's product type and of an active
    /// vendor that is a supplier. Each attribute of the row's type needs a
    /// value in its column, named like an existing value of that attribute
    /// (values are never created: add them first); attribute columns of other
    /// types stay empty. `vendor_cost` is a decimal such as `4.10`, at least 0,
    /// with at most 2 decimal places. Rows with only empty cells are skipped.
    ///
    /// Products are matched by item number among the distributor's products
    /// that are not deleted, and updated when their name, type or description
    /// differs (a product that has variants cannot change type); variants are
    /// matched by their product and set of values, and updated when their
    /// supplier, vendor cost or description differs. Variant skus (item
    /// number, then the values in the type's attribute order, joined by `-`)
    /// and draft campaign items follow. The import is all or nothing, and
    /// importing the same file again changes nothing (no `version` moves), so
    /// it takes no `Idempotency-Key`: retrying is always safe.
    ///
    /// With `dry_run=true` everything is checked and nothing written: 200 with
    /// the counts a real run would report, or with every error. Errors name
    /// the row (the header is row 1, the first data row 2, as a spreadsheet
    /// shows them) and the column (its header, or null for the whole row); at
    /// most 1000 are listed, `error_count` counts them all.
    ///
    /// Errors: 400 when the text is not UTF-8 (naming the row) or the body is
    /// malformed; 401 without a valid token; 403 for admin buyers and
    /// shoppers; 404 for another or an unknown distributor; 413 when the file
    /// is larger than the upload limit or has more data rows than the row
    /// limit; 415 for another content type; 422 when a real run finds errors
    /// in the file — `row_errors` lists them as a dry run would, and nothing
    /// is written.
    #[oai(path = "/imports", method = "post", operation_id = "import_catalog")]
    async fn import_catalog(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// Check the file and report, without writing anything.
        dry_run: Query<Option<bool>>,
        /// The distributor to import into: required for super admins; others may only name their own.
        distributor_id: Query<Option<i64>>,
        body: ImportBody,
    ) -> ApiResult<ImportResponse> {
        let who = auth.principal();
        let dry_run = dry_run.0.unwrap_or(false);
        let distributor = distributor_of(&state, who, distributor_id.0).await?;

        let catalog = {
            let mut conn = state.pool.acquire().await.map_err(StorageError::from)?;
            storage::imports::dictionary(&mut conn, distributor).await?
        };
        let dict = dictionary(catalog);
        let mut import = Import::new(&dict, state.config.max_import_rows);
        let limit = state.config.max_upload_bytes;
        match body {
            ImportBody::Csv(CsvFile(body)) => read_csv(body.into_async_read(), limit, &mut import).await?,
            ImportBody::Form(form) => read_form(form, limit, &mut import).await?,
        }
        let mut parsed = import.finish();

        let write = !dry_run && parsed.issue_count == 0;
        let mut tx = begin(&state).await?;
        let outcome = {
            let products: Vec<storage::imports::ImportProduct<'_>> = parsed
                .products
                .iter()
                .map(|p| storage::imports::ImportProduct {
                    row: p.row,
                    item_number: &p.item_number,
                    name: &p.name,
                    product_type_id: p.product_type_id,
                    description: p.description.as_deref(),
                })
                .collect();
            let variants: Vec<storage::imports::ImportVariant<'_>> = parsed
                .variants
                .iter()
                .map(|v| storage::imports::ImportVariant {
                    row: v.row,
                    product: v.product,
                    supplier_id: v.supplier_id,
                    vendor_cost: v.vendor_cost,
                    description: v.description.as_deref(),
                    value_ids: &v.value_ids,
                })
                .collect();
            storage::imports::run(&mut tx, distributor, &products, &variants, write).await?
        };
        if outcome.written {
            commit(tx).await?;
        } else {
            tx.rollback().await.map_err(StorageError::from)?;
        }
        let type_changes = outcome.type_changes.iter().map(|c| {
            RowIssue::new(
                c.row,
                Some("product_type"),
                "type_change",
                format!(
                    "product {} already has variants of type \"{}\"; its type cannot change to \"{}\"",
                    c.item_number, c.from, c.to
                ),
            )
        });
        validators::import::merge(&mut parsed, type_changes.collect());

        let errors: Vec<RowError> = parsed.issues.into_iter().map(row_error).collect();
        let error_count = parsed.issue_count;
        tracing::info!(
            distributor,
            dry_run,
            rows = parsed.rows,
            errors = error_count,
            written = outcome.written,
            "catalog import"
        );
        if error_count > 0 && !dry_run {
            let listed = if error_count as usize > errors.len() {
                format!(" (the first {} are listed)", errors.len())
            } else {
                String::new()
            };
            let noun = if error_count == 1 { "error" } else { "errors" };
            return Err(ApiError::Unprocessable(Json(Problem {
                row_errors: Some(errors),
                ..Problem::new(422, format!("the file has {error_count} {noun}{listed}; nothing was imported"))
            })));
        }
        let counted = error_count == 0;
        let n = |x: u64| if counted { x } else { 0 };
        Ok(ImportResponse::Ok(Json(ImportReport {
            dry_run,
            rows: parsed.rows,
            created_products: n(outcome.created_products),
            updated_products: n(outcome.updated_products),
            unchanged_products: n(outcome.unchanged_products),
            created_variants: n(outcome.created_variants),
            updated_variants: n(outcome.updated_variants),
            unchanged_variants: n(outcome.unchanged_variants),
            error_count,
            errors,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A form of `(name, content)` parts.
    async fn form(parts: &[(&str, &str)]) -> CsvForm {
        let mut body = String::new();
        for (name, content) in parts {
            body.push_str(&format!("--XyZ\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{content}\r\n"));
        }
        body.push_str("--XyZ--\r\n");
        let (request, mut body) = Request::builder()
            .header("content-type", "multipart/form-data; boundary=XyZ")
            .body(Body::from(body))
            .split();
        CsvForm::from_request(&request, &mut body).await.unwrap()
    }

    /// The rows read, or the status and detail of the refusal.
    async fn read(form: CsvForm, limit: usize) -> Result<u64, (u16, String)> {
        let dict = Dictionary::default();
        let mut import = Import::new(&dict, 100);
        match read_form(form, limit, &mut import).await {
            Ok(()) => Ok(import.finish().rows),
            Err(ApiError::BadRequest(Json(p)) | ApiError::PayloadTooLarge(Json(p))) => Err((p.status, p.detail)),
            Err(_) => panic!("neither 400 nor 413"),
        }
    }

    const CSV: &str = "item_number,name,product_type,supplier,vendor_cost\nA,a,T,S,1\nB,b,T,S,1\n";

    #[tokio::test]
    async fn the_file_part_is_read() {
        assert_eq!(read(form(&[("file", CSV)]).await, 1024).await, Ok(2));
    }

    #[tokio::test]
    async fn past_the_limit_the_form_is_413_naming_it() {
        let got = read(form(&[("file", CSV)]).await, 64).await;
        assert_eq!(got, Err((413, "the form is larger than 64 bytes".into())));
    }

    #[tokio::test]
    async fn only_one_part_named_file_is_taken() {
        let got = read(form(&[]).await, 1024).await;
        assert_eq!(got, Err((400, "the form has no `file` part".into())));
        let got = read(form(&[("csv", CSV)]).await, 1024).await;
        assert_eq!(got, Err((400, "unexpected form part `csv`; send only `file`".into())));
        let got = read(form(&[("file", CSV), ("file", CSV)]).await, 1024).await;
        assert_eq!(got, Err((400, "send only one part, `file`".into())));
    }

    #[tokio::test]
    async fn a_truncated_form_is_400() {
        let (request, mut body) = Request::builder()
            .header("content-type", "multipart/form-data; boundary=XyZ")
            .body(Body::from("--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nitem_number,name\nA,a\n"))
            .split();
        let form = CsvForm::from_request(&request, &mut body).await.unwrap();
        let Err((status, detail)) = read(form, 1024).await else { panic!("accepted") };
        assert_eq!(status, 400);
        assert!(detail.starts_with("malformed multipart body: "), "{detail}");
    }
}
