//! Uploaded files: streamed multipart uploads checked against their bytes,
//! deduplication per distributor, content streaming with its headers, who
//! may read what, the size limit, and deletes.

use crate::helpers::{BOUNDARY, Part, Resp, TestApp, World, enc, files_under, id_of, multipart, temp_files_dir};
use api::ApiConfig;
use poem::EndpointExt;
use poem::endpoint::BoxEndpoint;
use poem::http::{HeaderMap, Method, StatusCode};
use poem::test::TestClient;
use serde_json::json;
use sqlx::PgPool;
use std::path::PathBuf;

const RESOURCES: &str = "/api/v1/minor/resources";

/// A real 1×1 transparent PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00,
    0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];
const PNG_SHA256: &str = "ebf4f635a17d10d6eb46ba680b70142419aa3220f228001a036d311a22ee9d2a";

/// A response with its raw bytes (content is binary).
struct Raw {
    status: StatusCode,
    headers: HeaderMap,
    bytes: Vec<u8>,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// As a JSON response, for `Resp::expect`.
    fn json(self) -> Resp {
        Resp::new(self.status, self.headers, self.bytes)
    }
}

/// The application with its own files directory and upload limit, and a
/// client that sends and reads raw bytes.
struct FilesApp {
    app: TestApp,
    dir: PathBuf,
    client: TestClient<BoxEndpoint<'static, poem::Response>>,
}

impl FilesApp {
    async fn new(pool: PgPool, max_upload_bytes: usize) -> FilesApp {
        let dir = temp_files_dir();
        let config = ApiConfig { files_dir: dir.clone(), max_upload_bytes, ..ApiConfig::default() };
        let app = TestApp::with_config(pool, config).await;
        let client = TestClient::new(api::app(app.state.clone()).map_to_response().boxed());
        FilesApp { app, dir, client }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        token: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Raw {
        let mut req = self.client.request(method, path).header("Authorization", format!("Bearer {token}"));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some((ct, bytes)) = body {
            req = req.content_type(ct).body(bytes);
        }
        let resp = req.send().await;
        let status = resp.0.status();
        let headers = resp.0.headers().clone();
        let bytes = resp.0.into_body().into_vec().await.unwrap();
        Raw { status, headers, bytes }
    }

    async fn upload(&self, token: &str, parts: &[Part<'_>]) -> Resp {
        let ct = format!("multipart/form-data; boundary={BOUNDARY}");
        self.send(Method::POST, RESOURCES, token, &[], Some((&ct, multipart(parts)))).await.json()
    }

    async fn upload_file(&self, token: &str, name: &str, content_type: &str, bytes: &[u8]) -> Resp {
        self.upload(token, &[("file", Some(name), Some(content_type), bytes)]).await
    }

    async fn content(&self, id: i64, token: &str, headers: &[(&str, &str)]) -> Raw {
        self.send(Method::GET, &format!("{RESOURCES}/{id}/content"), token, headers, None).await
    }

    fn stored(&self, distributor: i64, sha: &str) -> PathBuf {
        self.dir.join(distributor.to_string()).join(&sha[..2]).join(sha)
    }

    async fn rows(&self) -> Vec<(i64, i64, String, String, i64)> {
        sqlx::query_as("SELECT id, distributor_id, sha256, content_type, size FROM resources ORDER BY id")
            .fetch_all(&self.app.pool)
            .await
            .unwrap()
    }
}

impl Drop for FilesApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn upload_read_back_and_dedup(pool: PgPool) {
    let f = FilesApp::new(pool.clone(), 1024 * 1024).await;
    let w = World::build(&f.app).await;
    let (sales, _) = f.app.login("acme_sales").await;
    let (globex, _) = f.app.login("globex_sales").await;
    let sales_id = id_of(&pool, "acme_sales").await;

    let r = f
        .upload(
            &sales,
            &[
                ("linked_kind", None, None, b"logo"),
                ("file", Some("../../uploads\\Acme logo.png"), Some("image/png"), PNG),
            ],
        )
        .await;
    r.expect(201);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(r.header("location"), Some(format!("{RESOURCES}/{id}").as_str()));
    crate::helpers::assert_etag(&r, &format!("\"resource-{id}-1\""));
    let created_at = r.body["created_at"].clone();
    assert_eq!(
        r.body,
        json!({
            "id": id,
            "distributor_id": w.acme,
            "sha256": PNG_SHA256,
            "content_type": "image/png",
            "size": PNG.len(),
            "original_name": "Acme logo.png",
            "linked_kind": "logo",
            "linked_id": null,
            "created_by": sales_id,
            "created_at": created_at,
            "modified_at": created_at,
            "version": 1,
        })
    );
    assert_eq!(files_under(&f.dir), vec![f.stored(w.acme, PNG_SHA256)], "stored once, no temporary file left");
    assert_eq!(std::fs::read(f.stored(w.acme, PNG_SHA256)).unwrap(), PNG);

    // The content comes back byte for byte, with its headers.
    let c = f.content(id, &sales, &[]).await;
    assert_eq!(c.status, StatusCode::OK);
    assert_eq!(c.bytes, PNG);
    assert_eq!(c.header("content-type"), Some("image/png"));
    assert_eq!(c.header("content-length"), Some(PNG.len().to_string().as_str()));
    assert_eq!(c.header("content-disposition"), Some("inline; filename=\"Acme logo.png\""));
    assert_eq!(c.header("etag"), Some(format!("\"{PNG_SHA256}\"").as_str()));
    assert_eq!(c.header("cache-control"), Some("private, max-age=3600"));
    assert_eq!(c.header("x-content-type-options"), Some("nosniff"));
    let tag = format!("\"{PNG_SHA256}\"");
    let c = f.content(id, &sales, &[("If-None-Match", &tag)]).await;
    assert_eq!(c.status, StatusCode::NOT_MODIFIED);
    assert!(c.bytes.is_empty());
    assert_eq!(c.header("etag"), Some(tag.as_str()));
    let c = f.content(id, &sales, &[("If-None-Match", "\"something-else\"")]).await;
    assert_eq!(c.status, StatusCode::OK);

    // The metadata reads with its ETag and the mask.
    let r = f.app.get_with(&format!("{RESOURCES}/{id}"), &sales, &[("X-Fields", "{id,sha256}")]).await;
    r.expect(200);
    assert_eq!(r.body, json!({"id": id, "sha256": PNG_SHA256}));
    let etag = r.header("etag").unwrap().to_owned();
    let masked = [("X-Fields", "{id,sha256}"), ("If-None-Match", etag.as_str())];
    let r = f.app.get_with(&format!("{RESOURCES}/{id}"), &sales, &masked).await;
    r.expect(304);
    // The tag names the masked representation: a client holding it does
    // not hold the whole resource, so a read without the mask is a 200.
    let r = f.app.get_with(&format!("{RESOURCES}/{id}"), &sales, &[("If-None-Match", &etag)]).await;
    r.expect(200);
    assert_ne!(r.header("etag"), Some(etag.as_str()));
    assert!(r.header("vary").is_some_and(|v| v.contains("x-fields")));

    // The same bytes again: the existing file, unchanged, stored once.
    let r = f.upload_file(&sales, "other name.png", "image/png", PNG).await;
    r.expect(200);
    assert_eq!(r.body["id"], id);
    assert_eq!(r.body["original_name"], "Acme logo.png");
    assert_eq!(r.header("location"), Some(format!("{RESOURCES}/{id}").as_str()));
    assert_eq!(files_under(&f.dir), vec![f.stored(w.acme, PNG_SHA256)]);

    // Another distributor's copy is its own row and its own file.
    let r = f.upload_file(&globex, "g.png", "image/png", PNG).await;
    r.expect(201);
    let globex_id = r.body["id"].as_i64().unwrap();
    assert_ne!(globex_id, id);
    assert_eq!(r.body["distributor_id"], w.globex);
    let rows = f.rows().await;
    assert_eq!(
        rows,
        vec![
            (id, w.acme, PNG_SHA256.to_owned(), "image/png".to_owned(), PNG.len() as i64),
            (globex_id, w.globex, PNG_SHA256.to_owned(), "image/png".to_owned(), PNG.len() as i64),
        ]
    );
    let mut expected = vec![f.stored(w.acme, PNG_SHA256), f.stored(w.globex, PNG_SHA256)];
    expected.sort();
    assert_eq!(files_under(&f.dir), expected);

    // Lists: staff see their own distributor's files; the query language applies.
    let r = f.app.get(&format!("{RESOURCES}?count=exact&fields=id,distributor_id"), &sales).await;
    r.expect(200);
    assert_eq!(r.body, json!([{"id": id, "distributor_id": w.acme}]));
    assert_eq!(r.header("x-total-count"), Some("1"));
    let (root, _) = f.app.login("root").await;
    let filter = enc(r#"[{"field":"content_type","op":"like","value":"image/%"}]"#);
    let r = f.app.get(&format!("{RESOURCES}?filter={filter}&sort=-id&fields=id"), &root).await;
    r.expect(200);
    assert_eq!(r.body, json!([{"id": globex_id}, {"id": id}]));
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn content_types_are_checked_against_the_bytes(pool: PgPool) {
    let f = FilesApp::new(pool.clone(), 1024 * 1024).await;
    let w = World::build(&f.app).await;
    let (sales, _) = f.app.login("acme_sales").await;

    // A PNG declared as JPEG is stored as what it is.
    let r = f.upload_file(&sales, "photo.jpg", "image/jpeg", PNG).await;
    r.expect(201);
    assert_eq!(r.body["content_type"], "image/png");
    let png_id = r.body["id"].as_i64().unwrap();
    let c = f.content(png_id, &sales, &[]).await;
    assert_eq!(c.header("content-type"), Some("image/png"));

    // Text that claims to be an image is refused and leaves nothing.
    let r = f.upload_file(&sales, "fake.png", "image/png", b"<svg onload=alert(1)>not a png</svg>").await;
    r.expect(415);
    assert!(r.body["detail"].as_str().unwrap().contains("image/png"), "{}", r.text);
    // So is an unrecognised binary, and an SVG however it is declared.
    let r = f.upload_file(&sales, "blob.bin", "application/octet-stream", &[0u8, 1, 2, 3, 4, 5]).await;
    r.expect(415);
    let r = f.upload_file(&sales, "x.svg", "image/svg+xml", b"<svg xmlns='http://www.w3.org/2000/svg'/>").await;
    r.expect(415);
    assert_eq!(f.rows().await.len(), 1);
    assert_eq!(files_under(&f.dir), vec![f.stored(w.acme, PNG_SHA256)]);

    // CSV and plain text are kept as declared, and downloaded as attachments
    // under their (non-ASCII) name.
    let csv = b"sku,qty\nMUG-1,2\n";
    let r = f.upload_file(&sales, "Bestellübersicht.csv", "text/csv", csv).await;
    r.expect(201);
    assert_eq!(r.body["content_type"], "text/csv");
    assert_eq!(r.body["original_name"], "Bestellübersicht.csv");
    let c = f.content(r.body["id"].as_i64().unwrap(), &sales, &[]).await;
    assert_eq!(c.status, StatusCode::OK);
    assert_eq!(c.bytes, csv);
    assert_eq!(c.header("content-type"), Some("text/csv"));
    assert_eq!(
        c.header("content-disposition"),
        Some("attachment; filename=\"Bestell_bersicht.csv\"; filename*=UTF-8''Bestell%C3%BCbersicht.csv")
    );

    // Empty file: 422 naming it, nothing stored.
    let r = f.upload_file(&sales, "empty.txt", "text/plain", b"").await;
    r.expect(422);
    assert_eq!(r.body["errors"], json!([{"field": "file", "code": "empty", "message": "the file has no content"}]));
    assert_eq!(f.rows().await.len(), 2);
    assert_eq!(files_under(&f.dir).len(), 2);

    // Uploads take no Idempotency-Key (they are never buffered to hash
    // them): the same key with other bytes is just another upload.
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    for bytes in [&b"first\n"[..], &b"second\n"[..]] {
        let body = multipart(&[("file", Some("n.txt"), Some("text/plain"), bytes)]);
        let r = f.send(Method::POST, RESOURCES, &sales, &[("Idempotency-Key", "same-key")], Some((&ct, body))).await;
        r.json().expect(201);
    }
    assert_eq!(f.rows().await.len(), 4);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn oversized_uploads_are_413_and_leave_nothing(pool: PgPool) {
    let f = FilesApp::new(pool.clone(), 1024).await;
    World::build(&f.app).await;
    let (sales, _) = f.app.login("acme_sales").await;
    let mut big = PNG[..16].to_vec();
    big.resize(8 * 1024, b'x');

    // Streamed (no Content-Length): the handler stops at the limit.
    let r = f.upload_file(&sales, "big.png", "image/png", &big).await;
    r.expect(413);
    assert_eq!(r.body["detail"], "the upload is larger than the limit of 1024 bytes; nothing was stored");
    assert!(f.rows().await.is_empty());
    assert_eq!(files_under(&f.dir), Vec::<PathBuf>::new(), "no stored or temporary file is left");

    // With a Content-Length above the limit the request is refused unread.
    let body = multipart(&[("file", Some("big.png"), Some("image/png"), &big)]);
    let len = body.len().to_string();
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    let r = f.send(Method::POST, RESOURCES, &sales, &[("Content-Length", &len)], Some((&ct, body))).await.json();
    r.expect(413);
    assert!(f.rows().await.is_empty());
    assert_eq!(files_under(&f.dir), Vec::<PathBuf>::new());

    // Under the limit it works.
    f.upload_file(&sales, "small.png", "image/png", PNG).await.expect(201);
}

/// Security finding 6: admin buyers and shoppers read the content of a
/// file only when it shows something of a campaign they are a member of
/// (shoppers: an active one); any other file of their distributor, such as
/// a staff cost sheet, answers exactly as a file that does not exist.
#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn members_read_only_the_files_their_campaigns_show(pool: PgPool) {
    let f = FilesApp::new(pool.clone(), 1024 * 1024).await;
    let w = World::build(&f.app).await;
    let (sales, _) = f.app.login("acme_sales").await;
    let (shopper, _) = f.app.login("acme_shopper").await;
    let (buyer, _) = f.app.login("acme_buyer").await;
    let (globex_shopper, _) = f.app.login("globex_shopper").await;
    let costs = f.upload_file(&sales, "costs.csv", "text/csv", b"sku,cost,margin\nA,1.00,35\n").await;
    costs.expect(201);
    let costs = costs.body["id"].as_i64().unwrap();
    let image = f.upload_file(&sales, "tee.png", "image/png", PNG).await.body["id"].as_i64().unwrap();
    let campaign = w.acme_campaign.to_string();
    let logo = f
        .upload(
            &sales,
            &[
                ("linked_kind", None, None, b"campaign"),
                ("linked_id", None, None, campaign.as_bytes()),
                ("file", Some("logo.gif"), Some("image/gif"), b"GIF89a-logo"),
            ],
        )
        .await;
    logo.expect(201);
    let logo = logo.body["id"].as_i64().unwrap();

    let nonexistent = f.content(costs + 1000, &shopper, &[]).await.json();
    nonexistent.expect(404);
    // Before the image is in the campaign, members see neither file.
    for token in [&shopper, &buyer] {
        for file in [costs, image] {
            let r = f.content(file, token, &[]).await.json();
            r.expect(404);
            assert_eq!(r.body["detail"], nonexistent.body["detail"]);
        }
        assert_eq!(f.content(logo, token, &[]).await.status, StatusCode::OK, "the campaign's own logo");
    }
    f.app.offer_product(w.acme, w.acme_campaign, Some(image)).await;
    for token in [&shopper, &buyer] {
        let c = f.content(image, token, &[]).await;
        assert_eq!(c.status, StatusCode::OK);
        assert_eq!(c.bytes, PNG);
        f.content(costs, token, &[]).await.json().expect(404);
    }
    // Another distributor's shopper sees none of them.
    for file in [costs, image, logo] {
        f.content(file, &globex_shopper, &[]).await.json().expect(404);
    }
    // A shopper whose campaign is no longer active sees nothing; its admin
    // buyer still does (buyers read closed campaigns).
    sqlx::query("UPDATE campaigns SET status = 'closed' WHERE id = $1")
        .bind(w.acme_campaign)
        .execute(&pool)
        .await
        .unwrap();
    f.content(image, &shopper, &[]).await.json().expect(404);
    assert_eq!(f.content(image, &buyer, &[]).await.status, StatusCode::OK);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn who_may_read_and_write_files(pool: PgPool) {
    let f = FilesApp::new(pool.clone(), 1024 * 1024).await;
    let w = World::build(&f.app).await;
    let (sales, _) = f.app.login("acme_sales").await;
    let (shopper, _) = f.app.login("acme_shopper").await;
    let (buyer, _) = f.app.login("acme_buyer").await;
    let (globex, _) = f.app.login("globex_manager").await;
    let (root, _) = f.app.login("root").await;
    let id = f.upload_file(&sales, "p.png", "image/png", PNG).await.body["id"].as_i64().unwrap();

    // Staff read the content of every file of their distributor; the
    // metadata is for staff too.
    for token in [&sales, &root] {
        let c = f.content(id, token, &[]).await;
        assert_eq!(c.status, StatusCode::OK);
        assert_eq!(c.bytes, PNG);
    }
    // Admin buyers and shoppers only files that show something of their
    // campaigns (security finding 6): not this one, which shows nothing.
    for token in [&shopper, &buyer] {
        f.content(id, token, &[]).await.json().expect(404);
    }
    f.app.get(RESOURCES, &shopper).await.expect(403);
    f.app.get(RESOURCES, &buyer).await.expect(403);
    f.app.get(&format!("{RESOURCES}/{id}"), &shopper).await.expect(403);
    f.upload_file(&shopper, "s.png", "image/png", PNG).await.expect(403);
    f.upload_file(&buyer, "b.png", "image/png", PNG).await.expect(403);

    // Another distributor sees nothing of it.
    f.content(id, &globex, &[]).await.json().expect(404);
    f.app.get(&format!("{RESOURCES}/{id}"), &globex).await.expect(404);
    f.app.request(Method::DELETE, &format!("{RESOURCES}/{id}"), Some(&globex), &[], None).await.expect(404);
    let r = f.app.get(RESOURCES, &globex).await;
    r.expect(200);
    assert_eq!(r.body, json!([]));
    f.content(id + 1000, &sales, &[]).await.json().expect(404);

    // Staff upload for their own distributor only; super admins name it.
    let r = f
        .upload(
            &sales,
            &[
                ("distributor_id", None, None, w.globex.to_string().as_bytes()),
                ("file", Some("g.png"), Some("image/png"), PNG),
            ],
        )
        .await;
    r.expect(422);
    assert_eq!(r.body["errors"][0]["field"], "distributor_id");
    let r = f.upload_file(&root, "r.png", "image/png", PNG).await;
    r.expect(422);
    assert_eq!(r.body["errors"][0]["code"], "required");
    let r = f
        .upload(
            &root,
            &[
                ("file", Some("r.png"), Some("image/png"), PNG),
                ("distributor_id", None, None, w.globex.to_string().as_bytes()),
            ],
        )
        .await;
    r.expect(201);
    assert_eq!(r.body["distributor_id"], w.globex);
    assert_eq!(r.body["created_by"], id_of(&pool, "root").await);
    let globex_file = r.body["id"].as_i64().unwrap();
    assert_eq!(f.content(globex_file, &globex, &[]).await.bytes, PNG);
    f.content(globex_file, &shopper, &[]).await.json().expect(404);
    let r = f
        .upload(&root, &[("file", Some("r.png"), Some("image/png"), PNG), ("distributor_id", None, None, b"999999")])
        .await;
    r.expect(422);
    assert_eq!(r.body["errors"][0]["code"], "not_found");
    assert_eq!(f.rows().await.len(), 2);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn bad_upload_bodies_are_refused(pool: PgPool) {
    let f = FilesApp::new(pool.clone(), 1024 * 1024).await;
    let w = World::build(&f.app).await;
    let (sales, _) = f.app.login("acme_sales").await;
    let globex_vendor = f.app.vendor(w.globex, "Globex Supply", &["supplier"]).await;
    let acme_vendor = f.app.vendor(w.acme, "Acme Supply", &["supplier"]).await;

    // No file part.
    let r = f.upload(&sales, &[("linked_kind", None, None, b"logo")]).await;
    r.expect(422);
    assert_eq!(
        r.body["errors"],
        json!([{"field": "file", "code": "required", "message": "send the file in a part named `file`"}])
    );
    // Not multipart at all, or a multipart body without a boundary.
    let r = f.send(Method::POST, RESOURCES, &sales, &[], Some(("application/json", b"{}".to_vec()))).await.json();
    r.expect(415);
    let r = f.send(Method::POST, RESOURCES, &sales, &[], Some(("multipart/form-data", multipart(&[])))).await.json();
    r.expect(400);
    // An unknown part, like an unknown JSON field: a 422 naming it.
    let r =
        f.upload(&sales, &[("file", Some("p.png"), Some("image/png"), PNG), ("linkedkind", None, None, b"logo")]).await;
    r.expect(422);
    assert_eq!(r.body["errors"][0]["field"], "linkedkind");
    // A truncated body.
    let mut body = multipart(&[("file", Some("p.png"), Some("image/png"), PNG)]);
    body.truncate(body.len() - 10);
    let ct = format!("multipart/form-data; boundary={BOUNDARY}");
    f.send(Method::POST, RESOURCES, &sales, &[], Some((&ct, body))).await.json().expect(400);

    // Links: a known kind, and an id of that kind in the same distributor.
    let r = f
        .upload(&sales, &[("linked_kind", None, None, b"poster"), ("file", Some("p.png"), Some("image/png"), PNG)])
        .await;
    r.expect(422);
    assert_eq!(r.body["errors"][0]["field"], "linked_kind");
    let foreign = globex_vendor.to_string();
    let r = f
        .upload(
            &sales,
            &[
                ("linked_kind", None, None, b"vendor"),
                ("linked_id", None, None, foreign.as_bytes()),
                ("file", Some("p.png"), Some("image/png"), PNG),
            ],
        )
        .await;
    r.expect(422);
    assert_eq!(r.body["errors"], json!([{"field": "linked_id", "code": "not_found", "message": "no such vendor"}]));
    let r =
        f.upload(&sales, &[("linked_id", None, None, b"abc"), ("file", Some("p.png"), Some("image/png"), PNG)]).await;
    r.expect(422);
    assert_eq!(r.body["errors"][0]["code"], "invalid");
    assert!(f.rows().await.is_empty());
    assert_eq!(files_under(&f.dir), Vec::<PathBuf>::new());

    let own = acme_vendor.to_string();
    let r = f
        .upload(
            &sales,
            &[
                ("linked_kind", None, None, b"vendor"),
                ("linked_id", None, None, own.as_bytes()),
                ("file", Some("p.png"), Some("image/png"), PNG),
            ],
        )
        .await;
    r.expect(201);
    assert_eq!((r.body["linked_kind"].clone(), r.body["linked_id"].clone()), (json!("vendor"), json!(acme_vendor)));
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn delete_refuses_used_files_and_removes_the_bytes(pool: PgPool) {
    let f = FilesApp::new(pool.clone(), 1024 * 1024).await;
    let w = World::build(&f.app).await;
    let (sales, _) = f.app.login("acme_sales").await;
    let (shopper, _) = f.app.login("acme_shopper").await;
    let id = f.upload_file(&sales, "p.png", "image/png", PNG).await.body["id"].as_i64().unwrap();
    let csv_id = f.upload_file(&sales, "l.csv", "text/csv", b"a,b\n").await.body["id"].as_i64().unwrap();
    let path = f.stored(w.acme, PNG_SHA256);

    // A product shows the image: 409, nothing changes.
    let product: i64 = sqlx::query_scalar(
        "WITH t AS (INSERT INTO product_types (distributor_id, name) VALUES ($1, 'Mugs') RETURNING id) \
         INSERT INTO products (distributor_id, product_type_id, name, item_number) \
         SELECT $1, t.id, 'Mug', 'MUG-1' FROM t RETURNING id",
    )
    .bind(w.acme)
    .fetch_one(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO product_images (product_id, resource_id, distributor_id, position) VALUES ($1, $2, $3, 0)",
    )
    .bind(product)
    .bind(id)
    .bind(w.acme)
    .execute(&pool)
    .await
    .unwrap();
    let url = format!("{RESOURCES}/{id}");
    f.app
        .request(Method::DELETE, &url, Some(&sales), &[("If-Match", &format!("\"resource-{id}-1\""))], None)
        .await
        .expect(409);
    assert_eq!(f.rows().await.len(), 2);
    assert!(path.exists());

    // Shoppers may not delete; a stale If-Match is 412.
    f.app.request(Method::DELETE, &url, Some(&shopper), &[], None).await.expect(403);
    sqlx::query("DELETE FROM product_images").execute(&pool).await.unwrap();
    f.app
        .request(Method::DELETE, &url, Some(&sales), &[("If-Match", &format!("\"resource-{id}-7\""))], None)
        .await
        .expect(412);
    assert!(path.exists());

    // Unused: 204, row and bytes gone, the other file untouched.
    let r =
        f.app.request(Method::DELETE, &url, Some(&sales), &[("If-Match", &format!("\"resource-{id}-1\""))], None).await;
    r.expect(204);
    assert!(!path.exists());
    assert_eq!(f.rows().await.iter().map(|r| r.0).collect::<Vec<_>>(), vec![csv_id]);
    assert_eq!(files_under(&f.dir).len(), 1);
    f.content(id, &sales, &[]).await.json().expect(404);
    f.app.request(Method::DELETE, &url, Some(&sales), &[], None).await.expect(404);

    // Uploading the bytes again stores them again.
    let r = f.upload_file(&sales, "p.png", "image/png", PNG).await;
    r.expect(201);
    assert_ne!(r.body["id"], id);
    assert_eq!(std::fs::read(&path).unwrap(), PNG);
}
