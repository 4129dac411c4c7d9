//! The job queue as the API writes and shows it: checkout queues the
//! order's mails in its own transaction (a refused or rolled-back checkout
//! queues nothing), shipping queues the shipping mail at the order's new
//! version, and staff list, read and retry their distributor's jobs. The
//! workers that run the jobs are tested in the server crate.

use crate::helpers::{TestApp, World};
use crate::matrix_kit::fingerprint;
use poem::http::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

async fn checkout(
    app: &TestApp,
    shopper: &str,
    campaign: i64,
    item: i64,
    quantity: i64,
    key: &str,
) -> crate::helpers::Resp {
    let url = format!("/api/v1/storefront/campaigns/{campaign}/basket/items/{item}");
    app.request(Method::PUT, &url, Some(shopper), &[], Some(json!({ "quantity": quantity }))).await.expect(200);
    let url = format!("/api/v1/storefront/campaigns/{campaign}/checkout");
    app.request(Method::POST, &url, Some(shopper), &[("Idempotency-Key", key)], Some(json!({}))).await
}

/// (kind, payload) of every job, oldest first.
async fn jobs(app: &TestApp) -> Vec<(String, Value)> {
    sqlx::query_as("SELECT kind, payload FROM jobs ORDER BY id").fetch_all(&app.pool).await.unwrap()
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn a_checkout_queues_its_mails_exactly_when_it_commits(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let c = w.acme_campaign;
    let tee = app.offer_product(w.acme, c, None).await;
    app.configure(c, "company_allowance = 10.00, personal_pay = FALSE, items_count_limit = 3").await;
    let (shopper, _) = app.login("acme_shopper").await;

    // Refused (over the allowance without payroll deduction): no order, no job.
    let r = checkout(&app, &shopper, c, tee, 2, "too-much").await;
    r.expect(422);
    assert!(jobs(&app).await.is_empty(), "a refused checkout queued a job");

    // Placed: the confirmation and the admin buyers' notice, about this
    // order at version 1, in the distributor's name.
    let r = checkout(&app, &shopper, c, tee, 1, "ok").await;
    r.expect(201);
    let order = r.body["id"].as_i64().unwrap();
    let payload = json!({ "order_id": order, "version": 1 });
    assert_eq!(
        jobs(&app).await,
        [("order_confirmation".to_owned(), payload.clone()), ("new_order_notice".to_owned(), payload)]
    );
    let (states, distributors): (Vec<String>, Vec<i64>) =
        sqlx::query_as("SELECT array_agg(state ORDER BY id), array_agg(distributor_id ORDER BY id) FROM jobs")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(states, ["queued", "queued"]);
    assert_eq!(distributors, [w.acme, w.acme]);

    // The outbox property itself: a job queued in a transaction that rolls
    // back is gone with it.
    let mut tx = app.pool.begin().await.unwrap();
    storage::jobs::enqueue(&mut *tx, Some(w.acme), &domain::job::Job::Noop(domain::job::Noop {})).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(app.count("jobs").await, 2);
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn shipping_an_order_queues_its_mail_at_the_new_version(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let c = w.acme_campaign;
    let tee = app.offer_product(w.acme, c, None).await;
    app.configure(c, "company_allowance = 100.00").await;
    let (shopper, _) = app.login("acme_shopper").await;
    let (sales, _) = app.login("acme_sales").await;
    let order = checkout(&app, &shopper, c, tee, 1, "ship-me").await;
    order.expect(201);
    let order = order.body["id"].as_i64().unwrap();
    let url = format!("/api/v1/orders/{order}/transitions");
    for to in ["approved", "ordered"] {
        app.request(Method::POST, &url, Some(&sales), &[], Some(json!({ "to": to }))).await.expect(200);
    }
    assert_eq!(app.count("jobs").await, 2, "only shipping sends a status mail");
    let shipped = app.request(Method::POST, &url, Some(&sales), &[], Some(json!({ "to": "shipped" }))).await;
    shipped.expect(200);
    let version: i64 = sqlx::query_scalar("SELECT version::int8 FROM orders WHERE id = $1")
        .bind(order)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(version, 4);
    assert_eq!(jobs(&app).await[2], ("order_shipped".to_owned(), json!({ "order_id": order, "version": 4 })));
}

#[sqlx::test(migrator = "storage::MIGRATOR")]
async fn staff_list_read_and_retry_their_distributors_jobs(pool: PgPool) {
    let app = TestApp::new(pool).await;
    let w = World::build(&app).await;
    let dead = |d: i64| {
        sqlx::query_scalar::<_, i64>(
            "INSERT INTO jobs (distributor_id, kind, state, attempts, last_error, finished_at, errors) \
             VALUES ($1, 'noop', 'dead', 8, 'SMTP: connection refused', now(), \
                     '[{\"attempt\": 8, \"error\": \"SMTP: connection refused\"}]') RETURNING id",
        )
        .bind(d)
        .fetch_one(&app.pool)
    };
    let acme_job = dead(w.acme).await.unwrap();
    let globex_job = dead(w.globex).await.unwrap();
    let done: i64 = sqlx::query_scalar(
        "INSERT INTO jobs (distributor_id, kind, state, attempts, finished_at) VALUES ($1, 'noop', 'done', 1, now()) \
         RETURNING id",
    )
    .bind(w.acme)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let (manager, _) = app.login("acme_manager").await;
    let (shopper, _) = app.login("acme_shopper").await;

    // The dead ones of Acme, with why they died.
    let filter = crate::helpers::enc(r#"[{"field":"state","op":"eq","value":"dead"}]"#);
    let list = app
        .request(
            Method::GET,
            &format!("/api/v1/jobs?count=exact&filter={filter}"),
            Some(&manager),
            &[("X-Fields", "{id,state,attempts,last_error,errors}")],
            None,
        )
        .await;
    list.expect(200);
    assert_eq!(list.header("x-total-count"), Some("1"));
    assert_eq!(list.body[0]["id"], acme_job);
    assert_eq!(list.body[0]["last_error"], "SMTP: connection refused");
    assert_eq!(list.body[0]["errors"][0]["attempt"], 8);

    // Retrying: stale ETag 412, then queued with a fresh round of attempts.
    let url = format!("/api/v1/jobs/{acme_job}/retry");
    let before = fingerprint(&app.pool, &app.state.cache).await;
    let stale = format!("\"job-{acme_job}-999\"");
    app.request(Method::POST, &url, Some(&manager), &[("If-Match", &stale)], None).await.expect(412);
    app.request(Method::POST, &url, Some(&shopper), &[], None).await.expect(403);
    let foreign = format!("/api/v1/jobs/{globex_job}/retry");
    let hidden = app.request(Method::POST, &foreign, Some(&manager), &[], None).await;
    hidden.expect(404);
    let ghost = app.request(Method::POST, "/api/v1/jobs/987654321/retry", Some(&manager), &[], None).await;
    assert_eq!(hidden.body["detail"], ghost.body["detail"], "another distributor's job answers as a missing one");
    let done_retry = app.request(Method::POST, &format!("/api/v1/jobs/{done}/retry"), Some(&manager), &[], None).await;
    done_retry.expect(409);
    assert_eq!(fingerprint(&app.pool, &app.state.cache).await, before, "a refused retry changed something");

    let read = app.get(&format!("/api/v1/jobs/{acme_job}"), &manager).await;
    read.expect(200);
    let tag = read.header("etag").unwrap().to_owned();
    let r = app
        .request(
            Method::POST,
            &url,
            Some(&manager),
            &[("If-Match", &tag), ("X-Fields", "{state,attempts,retries,last_error}")],
            None,
        )
        .await;
    r.expect(200);
    assert_eq!(
        r.body,
        json!({"state": "queued", "attempts": 0, "retries": 1, "last_error": "SMTP: connection refused"})
    );
    assert_ne!(r.header("etag"), Some(tag.as_str()));
    // Queued now, so not again.
    app.request(Method::POST, &url, Some(&manager), &[], None).await.expect(409);
    let errors: Value =
        sqlx::query_scalar("SELECT errors FROM jobs WHERE id = $1").bind(acme_job).fetch_one(&app.pool).await.unwrap();
    assert_eq!(errors.as_array().unwrap().len(), 1, "the earlier errors stay");
}
