//! Reads from a replica (issue #16, item 6): `promostore serve` with
//! DATABASE_URL on a private primary and DATABASE_READ_URL on a streaming
//! standby of it (`pg_basebackup -R`). Which pool a request read is shown
//! by pausing replay on the standby and writing a row on the primary
//! directly: what reads the standby does not see it until replay resumes.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails by panicking")]

mod common;

use common::cluster::{Postgres, Serve};
use serde_json::json;
use sqlx::PgPool;
use std::time::Duration;

/// A primary, its standby, and a server writing to the one and reading
/// lists, reads by id and reports from the other.
struct Replicated {
    // Dropped in this order: the server first, then the standby, then the primary.
    serve: Serve,
    _standby: Postgres,
    _primary: Postgres,
    primary_db: PgPool,
    standby_db: PgPool,
    campaign: i64,
    item: i64,
    product: i64,
    manager: String,
}

impl Replicated {
    async fn start() -> Replicated {
        let primary = Postgres::primary("replica-primary");
        // The database exists before the standby is copied, so the server's
        // read pool finds it there at once.
        let admin = primary.pool("postgres").await;
        sqlx::query("CREATE DATABASE promostore").execute(&admin).await.unwrap();
        admin.close().await;
        let standby = Postgres::standby_of(&primary, "replica-standby");
        let serve = Serve::start(
            &["--migrate", "--seed-if-empty"],
            &[("DATABASE_URL", primary.url("promostore")), ("DATABASE_READ_URL", standby.url("promostore"))],
        )
        .await;
        let primary_db = primary.pool("promostore").await;
        let standby_db = standby.pool("promostore").await;
        let in_recovery: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()").fetch_one(&standby_db).await.unwrap();
        assert!(in_recovery, "the standby is not a standby");
        caught_up(&primary_db, &standby_db).await;
        let (campaign, item, product): (i64, i64, i64) = sqlx::query_as(
            "SELECT c.id, i.id, i.product_id FROM campaigns c JOIN distributors d ON d.id = c.distributor_id \
             JOIN campaign_items i ON i.campaign_id = c.id \
             WHERE d.name = 'Acme Promo' AND c.status = 'active' ORDER BY c.id, i.id LIMIT 1",
        )
        .fetch_one(&primary_db)
        .await
        .unwrap();
        let manager = serve.login("manager", "manager-demo").await;
        Replicated {
            serve,
            _standby: standby,
            _primary: primary,
            primary_db,
            standby_db,
            campaign,
            item,
            product,
            manager,
        }
    }

    /// Stops replay on the standby: from now on it does not see what the
    /// primary writes.
    async fn pause_replay(&self) {
        sqlx::query("SELECT pg_wal_replay_pause()").execute(&self.standby_db).await.unwrap();
        let db = self.standby_db.clone();
        common::wait_for("replay paused on the standby", Duration::from_secs(10), || {
            let db = db.clone();
            async move {
                sqlx::query_scalar::<_, String>("SELECT pg_get_wal_replay_pause_state()").fetch_one(&db).await.unwrap()
                    == "paused"
            }
        })
        .await;
    }

    async fn resume_replay(&self) {
        sqlx::query("SELECT pg_wal_replay_resume()").execute(&self.standby_db).await.unwrap();
        caught_up(&self.primary_db, &self.standby_db).await;
    }

    /// Renames the campaign item and its product on the primary directly
    /// (behind the API's back, as another writer would).
    async fn rename_on_primary(&self, name: &str) {
        let mut tx = self.primary_db.begin().await.unwrap();
        sqlx::query("UPDATE products SET name = $2 WHERE id = $1")
            .bind(self.product)
            .bind(name)
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query("UPDATE campaign_items SET product_name = $2 WHERE id = $1")
            .bind(self.item)
            .bind(name)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    /// The campaign's product list report as JSON text.
    async fn product_list_report(&self) -> String {
        let path = format!("/api/v1/reports/campaign-product-list/campaigns/{}?format=json", self.campaign);
        let r = self.serve.call("GET", &path, Some(&self.manager), &[], None).await.unwrap();
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        r.text
    }

    /// `GET path` as the manager: 200, the body as text.
    async fn read(&self, path: &str) -> String {
        let r = self.serve.call("GET", path, Some(&self.manager), &[], None).await.unwrap();
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        r.text
    }
}

/// Waits until the standby has replayed everything the primary has written.
async fn caught_up(primary: &PgPool, standby: &PgPool) {
    let lsn: String = sqlx::query_scalar("SELECT pg_current_wal_lsn()::text").fetch_one(primary).await.unwrap();
    common::wait_for("the standby to catch up", Duration::from_secs(20), || {
        let (standby, lsn) = (standby.clone(), lsn.clone());
        async move {
            sqlx::query_scalar::<_, bool>("SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)")
                .bind(lsn)
                .fetch_one(&standby)
                .await
                .unwrap()
        }
    })
    .await;
}

/// With a standby configured: reports read it (they miss a row the primary
/// has while replay is paused, and show it once replay resumes); lists and
/// reads answer; every write (POST, PATCH) succeeds on the primary, and its
/// response, read back after the write, shows what was written although the
/// standby has not seen it. The next read, from the standby, shows the
/// write once replay resumes (read-your-writes holds for the write's own
/// response only).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reports_read_the_standby_and_writes_go_to_the_primary() {
    let s = Replicated::start().await;
    assert!(!s.product_list_report().await.contains("Renamed On The Primary"));

    s.pause_replay().await;
    s.rename_on_primary("Renamed On The Primary").await;
    // The report comes from the standby: it has not seen the rename.
    let report = s.product_list_report().await;
    assert!(!report.contains("Renamed On The Primary"), "the report read the primary: {report}");
    let on_standby: String = sqlx::query_scalar("SELECT name FROM products WHERE id = $1")
        .bind(s.product)
        .fetch_one(&s.standby_db)
        .await
        .unwrap();
    assert_ne!(on_standby, "Renamed On The Primary");

    // Lists and reads answer while the standby lags.
    s.read("/api/v1/catalog/products?page_size=5").await;
    s.read(&format!("/api/v1/catalog/products/{}", s.product)).await;
    s.read("/api/v1/organization/campaigns").await;

    // Writes go to the primary (the standby would refuse them: read-only)
    // and answer what they wrote, read back from the primary.
    let body = json!({"name": "Written While Replay Is Paused", "is_supplier": true});
    let r = s.serve.call("POST", "/api/v1/catalog/vendors", Some(&s.manager), &[], Some(&body)).await.unwrap();
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["name"], "Written While Replay Is Paused");
    let vendor = r.body["id"].as_i64().unwrap();
    let path = format!("/api/v1/catalog/products/{}", s.product);
    let body = json!({"name": "Patched While Replay Is Paused"});
    let r = s.serve.call("PATCH", &path, Some(&s.manager), &[], Some(&body)).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["name"], "Patched While Replay Is Paused");
    // Read your writes holds for the write's own response only: the next
    // read comes from the standby, which has not seen the writes yet.
    let vendor_path = format!("/api/v1/catalog/vendors/{vendor}");
    let r = s.serve.call("GET", &vendor_path, Some(&s.manager), &[], None).await.unwrap();
    assert_eq!(r.status, 404, "the read of the new vendor read the primary: {}", r.text);
    assert!(
        !s.read(&path).await.contains("Patched While Replay Is Paused"),
        "the read of the product read the primary"
    );
    let on_primary: String = sqlx::query_scalar("SELECT name FROM vendors WHERE id = $1")
        .bind(vendor)
        .fetch_one(&s.primary_db)
        .await
        .unwrap();
    assert_eq!(on_primary, "Written While Replay Is Paused");
    let on_standby: Option<String> = sqlx::query_scalar("SELECT name FROM vendors WHERE id = $1")
        .bind(vendor)
        .fetch_optional(&s.standby_db)
        .await
        .unwrap();
    assert_eq!(on_standby, None, "the standby saw the write while its replay was paused");

    // Replay resumes: the report shows the primary's rename, and the reads
    // show the writes.
    s.resume_replay().await;
    let report = s.product_list_report().await;
    assert!(report.contains("Renamed On The Primary"), "{report}");
    assert!(s.read(&vendor_path).await.contains("Written While Replay Is Paused"));
    assert!(s.read(&path).await.contains("Patched While Replay Is Paused"));
}

/// Lists and single reads come from the standby: while its replay is
/// paused, they do not see a row renamed on the primary.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lists_and_reads_are_served_from_the_standby() {
    let s = Replicated::start().await;
    let before = s.read(&format!("/api/v1/catalog/products/{}", s.product)).await;
    s.pause_replay().await;
    s.rename_on_primary("Renamed On The Primary").await;
    // The product itself, by a filter on its id.
    let filter = format!("%5B%7B%22field%22%3A%22id%22%2C%22op%22%3A%22%3D%3D%22%2C%22value%22%3A{}%7D%5D", s.product);
    let list = s.read(&format!("/api/v1/catalog/products?filter={filter}")).await;
    assert!(list.contains(&format!("\"id\":{}", s.product)), "the filter did not find the product: {list}");
    assert!(!list.contains("Renamed On The Primary"), "the list read the primary");
    let one = s.read(&format!("/api/v1/catalog/products/{}", s.product)).await;
    assert_eq!(one, before, "the read of one product read the primary");
}
