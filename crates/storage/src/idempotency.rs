//! The durable Idempotency-Key store (see migration 0002).
//!
//! A key is claimed by one run of its request. While that run is in flight
//! (`status` NULL) the row's `headers` hold the claim: the run's own token
//! (`claim`); `committed`, written by [`mark_committed`] inside the run's own
//! transaction, so it is stored exactly when the request took effect; and
//! `lost`, once the run has answered an error after its transaction
//! committed. Once the run has answered and its response is kept, `headers`
//! are the headers the response is replayed with.
//!
//! A claim has a lease, counted from `created_at` (when the claim was made,
//! or last renewed by its run: see [`renew`]). A claim not renewed within the
//! lease (its process died, or its run could not release the key) is taken
//! over by a retry of the same request, unless its transaction committed: a
//! committed claim is never run again (its request took effect), and once
//! its run is gone (lost, or its lease ran out) a retry learns that no
//! response can be replayed. Because the mark commits with the request's own
//! writes, a process that dies between its commit and storing the response
//! leaves a key that refuses to run twice, not one a retry takes over.
//! Every write of a run names its claim token, so a run whose claim was taken
//! over changes nothing in the store.

use crate::error::Result;
use serde_json::Value;
use sqlx::PgPool;
use std::time::Duration;

/// What the store says about a key when a request arrives.
#[derive(Debug, PartialEq, Eq)]
pub enum Begin {
    /// This run holds the key now, under its claim token: it proceeds,
    /// renews the claim while it runs, and then calls [`finish`] or
    /// [`abandon`] with the token.
    New,
    /// The same key with another request body.
    Mismatch,
    /// Another run of the request holds the key and has not answered yet.
    InFlight,
    /// The run that held the key committed its transaction but answered an
    /// error after it, or died before storing its response: what it did is
    /// done, and no response can be replayed.
    Lost,
    /// Finished before: replay this response.
    Done { status: u16, headers: Value, body: Vec<u8> },
}

/// A stored key.
#[derive(sqlx::FromRow)]
struct Stored {
    request_hash: Vec<u8>,
    /// `None` while the request is in flight.
    status: Option<i16>,
    headers: Value,
    body: Option<Vec<u8>>,
    /// Whether the claim's lease ran out (its run is gone).
    expired: bool,
}

/// Claims `key` for `account_id` under `claim` (a token of the caller's
/// run), or reports how it was used. Keys older than a day count as unused;
/// an in-flight claim not renewed within `lease` (whose transaction did not
/// commit) is taken over by the same request (another request with the key
/// is still a mismatch).
pub async fn begin(
    pool: &PgPool,
    account_id: i64,
    key: &str,
    request_hash: &[u8],
    claim: &str,
    lease: Duration,
) -> Result<Begin> {
    // Twice at most: a key released between the claim and the look is
    // claimed on the second pass, unless another run got it first.
    for _ in 0..2 {
        let claimed = sqlx::query(
            "INSERT INTO idempotency_keys (account_id, key, request_hash, headers) \
             VALUES ($1, $2, $3, jsonb_build_object('claim', $4::text)) \
             ON CONFLICT (account_id, key) DO UPDATE \
                SET request_hash = EXCLUDED.request_hash, status = NULL, headers = EXCLUDED.headers, \
                    body = NULL, created_at = now() \
                WHERE idempotency_keys.created_at < now() - interval '1 day' \
                   OR (idempotency_keys.status IS NULL \
                       AND idempotency_keys.request_hash = EXCLUDED.request_hash \
                       AND idempotency_keys.headers->'committed' IS NULL \
                       AND idempotency_keys.headers->'lost' IS NULL \
                       AND idempotency_keys.created_at < now() - make_interval(secs => $5))",
        )
        .bind(account_id)
        .bind(key)
        .bind(request_hash)
        .bind(claim)
        .bind(lease.as_secs_f64())
        .execute(pool)
        .await?;
        if claimed.rows_affected() == 1 {
            return Ok(Begin::New);
        }
        let row: Option<Stored> = sqlx::query_as(
            "SELECT request_hash, status, headers, body, created_at < now() - make_interval(secs => $3) AS expired \
             FROM idempotency_keys WHERE account_id = $1 AND key = $2",
        )
        .bind(account_id)
        .bind(key)
        .bind(lease.as_secs_f64())
        .fetch_optional(pool)
        .await?;
        return Ok(match row {
            // Released in between: a retry may claim it now.
            None => continue,
            Some(s) if s.request_hash != request_hash => Begin::Mismatch,
            Some(Stored { status: None, headers, expired, .. })
                if headers.get("lost").is_some() || (expired && headers.get("committed").is_some()) =>
            {
                Begin::Lost
            }
            Some(Stored { status: None, .. }) => Begin::InFlight,
            Some(Stored { status: Some(status), headers, body, .. }) => {
                Begin::Done { status: u16::try_from(status).unwrap_or(500), headers, body: body.unwrap_or_default() }
            }
        });
    }
    Ok(Begin::InFlight)
}

/// Renews the lease of the claim `claim` on `key` while its run goes on
/// (nothing, if a retry took the key over).
pub async fn renew(pool: &PgPool, account_id: i64, key: &str, claim: &str) -> Result<()> {
    sqlx::query(
        "UPDATE idempotency_keys SET created_at = now() \
         WHERE account_id = $1 AND key = $2 AND status IS NULL AND headers->>'claim' = $3",
    )
    .bind(account_id)
    .bind(key)
    .bind(claim)
    .execute(pool)
    .await?;
    Ok(())
}

/// Stores the response of the run that holds `key` under `claim` (nothing,
/// if a retry took the key over).
pub async fn finish(
    pool: &PgPool,
    account_id: i64,
    key: &str,
    claim: &str,
    status: u16,
    headers: &Value,
    body: &[u8],
) -> Result<()> {
    sqlx::query(
        "UPDATE idempotency_keys SET status = $4, headers = $5, body = $6 \
         WHERE account_id = $1 AND key = $2 AND status IS NULL AND headers->>'claim' = $3",
    )
    .bind(account_id)
    .bind(key)
    .bind(claim)
    .bind(i16::try_from(status).unwrap_or(500))
    .bind(headers)
    .bind(body)
    .execute(pool)
    .await?;
    Ok(())
}

/// Marks the claim `claim` on `key` as committed, inside the run's own
/// transaction (`conn` is it): the mark is stored if and only if the
/// request's writes are, whatever happens to the process or the connection
/// after the commit (see the module's documentation).
pub async fn mark_committed(conn: &mut crate::Connection, account_id: i64, key: &str, claim: &str) -> Result<()> {
    sqlx::query(
        "UPDATE idempotency_keys SET headers = headers || '{\"committed\": true}' \
         WHERE account_id = $1 AND key = $2 AND status IS NULL AND headers->>'claim' = $3",
    )
    .bind(account_id)
    .bind(key)
    .bind(claim)
    .execute(conn)
    .await?;
    Ok(())
}

/// The run that holds `key` under `claim` answered without a response to
/// keep (a refusal, or a failure worth retrying). When its transaction did
/// not commit, the key is released: a retry runs the request again. When
/// it did (the claim is marked committed, also when the commit's answer
/// was lost on the way), the key is kept, marked lost: a retry must not run
/// it again, and learns that it was carried out ([`Begin::Lost`]).
pub async fn abandon(pool: &PgPool, account_id: i64, key: &str, claim: &str) -> Result<()> {
    sqlx::query(
        "WITH released AS (DELETE FROM idempotency_keys \
                            WHERE account_id = $1 AND key = $2 AND status IS NULL AND headers->>'claim' = $3 \
                              AND headers->'committed' IS NULL) \
         UPDATE idempotency_keys SET headers = headers || '{\"lost\": true}' \
          WHERE account_id = $1 AND key = $2 AND status IS NULL AND headers->>'claim' = $3 \
            AND headers->'committed' IS NOT NULL",
    )
    .bind(account_id)
    .bind(key)
    .bind(claim)
    .execute(pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const LEASE: Duration = Duration::from_secs(10);

    async fn account(pool: &PgPool) -> i64 {
        sqlx::query_scalar(
            "INSERT INTO accounts (username, email, password_hash, role) \
             VALUES ('root', 'root@example.com', 'x', 'super_admin') RETURNING id",
        )
        .fetch_one(pool)
        .await
        .unwrap()
    }

    /// Ages the key's claim past the lease.
    async fn expire(pool: &PgPool, account_id: i64, key: &str) {
        sqlx::query(
            "UPDATE idempotency_keys SET created_at = now() - interval '1 minute' WHERE account_id = $1 AND key = $2",
        )
        .bind(account_id)
        .bind(key)
        .execute(pool)
        .await
        .unwrap();
    }

    #[sqlx::test(migrator = "crate::MIGRATOR")]
    async fn a_claim_is_in_flight_until_it_answers_then_replays(pool: PgPool) {
        let a = account(&pool).await;
        assert_eq!(begin(&pool, a, "k", b"one", "run-1", LEASE).await.unwrap(), Begin::New);
        assert_eq!(begin(&pool, a, "k", b"one", "run-2", LEASE).await.unwrap(), Begin::InFlight);
        assert_eq!(begin(&pool, a, "k", b"two", "run-2", LEASE).await.unwrap(), Begin::Mismatch);
        finish(&pool, a, "k", "run-1", 201, &json!({"location": "/x/1"}), b"{}").await.unwrap();
        let done = begin(&pool, a, "k", b"one", "run-2", LEASE).await.unwrap();
        assert_eq!(done, Begin::Done { status: 201, headers: json!({"location": "/x/1"}), body: b"{}".to_vec() });
    }

    #[sqlx::test(migrator = "crate::MIGRATOR")]
    async fn a_failure_before_the_commit_releases_the_key(pool: PgPool) {
        let a = account(&pool).await;
        assert_eq!(begin(&pool, a, "k", b"one", "run-1", LEASE).await.unwrap(), Begin::New);
        // Another run's token releases nothing.
        abandon(&pool, a, "k", "run-2").await.unwrap();
        assert_eq!(begin(&pool, a, "k", b"one", "run-2", LEASE).await.unwrap(), Begin::InFlight);
        abandon(&pool, a, "k", "run-1").await.unwrap();
        assert_eq!(begin(&pool, a, "k", b"one", "run-2", LEASE).await.unwrap(), Begin::New);
    }

    /// What the run's own transaction does with the claim: marks it and
    /// commits, or marks it and rolls back (the request's writes failed).
    async fn run_transaction(pool: &PgPool, a: i64, key: &str, claim: &str, commits: bool) {
        let mut tx = pool.begin().await.unwrap();
        mark_committed(&mut tx, a, key, claim).await.unwrap();
        if commits {
            tx.commit().await.unwrap();
        } else {
            tx.rollback().await.unwrap();
        }
    }

    #[sqlx::test(migrator = "crate::MIGRATOR")]
    async fn a_failure_after_the_commit_keeps_the_key_as_lost(pool: PgPool) {
        let a = account(&pool).await;
        assert_eq!(begin(&pool, a, "k", b"one", "run-1", LEASE).await.unwrap(), Begin::New);
        run_transaction(&pool, a, "k", "run-1", true).await;
        // Another run's token marks and releases nothing.
        run_transaction(&pool, a, "k", "run-2", true).await;
        abandon(&pool, a, "k", "run-2").await.unwrap();
        assert_eq!(begin(&pool, a, "k", b"one", "run-2", LEASE).await.unwrap(), Begin::InFlight);
        abandon(&pool, a, "k", "run-1").await.unwrap();
        assert_eq!(begin(&pool, a, "k", b"one", "run-2", LEASE).await.unwrap(), Begin::Lost);
        // Not even after the lease: the request took effect.
        expire(&pool, a, "k").await;
        assert_eq!(begin(&pool, a, "k", b"one", "run-2", LEASE).await.unwrap(), Begin::Lost);
        assert_eq!(begin(&pool, a, "k", b"two", "run-2", LEASE).await.unwrap(), Begin::Mismatch);
    }

    #[sqlx::test(migrator = "crate::MIGRATOR")]
    async fn a_claim_not_renewed_within_the_lease_is_taken_over_by_the_same_request(pool: PgPool) {
        let a = account(&pool).await;
        assert_eq!(begin(&pool, a, "k", b"one", "run-1", LEASE).await.unwrap(), Begin::New);
        expire(&pool, a, "k").await;
        // Renewed by its run: it holds.
        renew(&pool, a, "k", "run-1").await.unwrap();
        assert_eq!(begin(&pool, a, "k", b"one", "run-2", LEASE).await.unwrap(), Begin::InFlight);
        expire(&pool, a, "k").await;
        // Another request with the key is refused, lease or not.
        assert_eq!(begin(&pool, a, "k", b"two", "run-2", LEASE).await.unwrap(), Begin::Mismatch);
        assert_eq!(begin(&pool, a, "k", b"one", "run-2", LEASE).await.unwrap(), Begin::New);
        // The run that held it can no longer renew, answer or release it.
        expire(&pool, a, "k").await;
        renew(&pool, a, "k", "run-1").await.unwrap();
        finish(&pool, a, "k", "run-1", 201, &json!({}), b"first").await.unwrap();
        abandon(&pool, a, "k", "run-1").await.unwrap();
        renew(&pool, a, "k", "run-2").await.unwrap();
        assert_eq!(begin(&pool, a, "k", b"one", "run-3", LEASE).await.unwrap(), Begin::InFlight);
        finish(&pool, a, "k", "run-2", 201, &json!({}), b"second").await.unwrap();
        let done = begin(&pool, a, "k", b"one", "run-3", LEASE).await.unwrap();
        assert_eq!(done, Begin::Done { status: 201, headers: json!({}), body: b"second".to_vec() });
    }

    /// A process that dies between its commit and storing the response (no
    /// `finish`, no `abandon`) leaves a key that never runs again: in flight
    /// while its lease lasts, then lost; never taken over.
    #[sqlx::test(migrator = "crate::MIGRATOR")]
    async fn a_run_that_dies_after_its_commit_is_never_run_again(pool: PgPool) {
        let a = account(&pool).await;
        assert_eq!(begin(&pool, a, "k", b"one", "run-1", LEASE).await.unwrap(), Begin::New);
        run_transaction(&pool, a, "k", "run-1", true).await;
        assert_eq!(begin(&pool, a, "k", b"one", "run-2", LEASE).await.unwrap(), Begin::InFlight);
        expire(&pool, a, "k").await;
        assert_eq!(begin(&pool, a, "k", b"one", "run-2", LEASE).await.unwrap(), Begin::Lost);
        assert_eq!(begin(&pool, a, "k", b"one", "run-3", LEASE).await.unwrap(), Begin::Lost);
        assert_eq!(begin(&pool, a, "k", b"two", "run-3", LEASE).await.unwrap(), Begin::Mismatch);
        // Its response, stored late (the database came back), is replayed.
        finish(&pool, a, "k", "run-1", 201, &json!({}), b"late").await.unwrap();
        let done = begin(&pool, a, "k", b"one", "run-4", LEASE).await.unwrap();
        assert_eq!(done, Begin::Done { status: 201, headers: json!({}), body: b"late".to_vec() });
    }

    /// A mark in a transaction that rolled back is no mark: the key is
    /// released for a retry, and an expired claim is taken over.
    #[sqlx::test(migrator = "crate::MIGRATOR")]
    async fn a_mark_rolled_back_with_its_transaction_marks_nothing(pool: PgPool) {
        let a = account(&pool).await;
        assert_eq!(begin(&pool, a, "k", b"one", "run-1", LEASE).await.unwrap(), Begin::New);
        run_transaction(&pool, a, "k", "run-1", false).await;
        expire(&pool, a, "k").await;
        assert_eq!(begin(&pool, a, "k", b"one", "run-2", LEASE).await.unwrap(), Begin::New);
        run_transaction(&pool, a, "k", "run-2", false).await;
        abandon(&pool, a, "k", "run-2").await.unwrap();
        assert_eq!(begin(&pool, a, "k", b"one", "run-3", LEASE).await.unwrap(), Begin::New);
    }
}
