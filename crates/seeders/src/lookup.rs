//! The few lookups by natural key that idempotent seeding needs and
//! `storage` does not offer (every write goes through `storage`).

use domain::campaign::Status;
use sqlx::PgExecutor;
use storage::named::Named;

/// The id and status of `distributor_id`'s campaign named `name` (case-insensitive, as `campaigns_name_key`).
pub async fn campaign(db: impl PgExecutor<'_>, distributor_id: i64, name: &str) -> sqlx::Result<Option<(i64, Status)>> {
    let row: Option<(i64, Named<Status>)> =
        sqlx::query_as("SELECT id, status FROM campaigns WHERE distributor_id = $1 AND lower(name) = lower($2)")
            .bind(distributor_id)
            .bind(name.trim())
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(id, status)| (id, status.0)))
}

/// The account ids of campaign `campaign_id`'s members.
pub async fn member_ids(db: impl PgExecutor<'_>, campaign_id: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar("SELECT account_id FROM campaign_members WHERE campaign_id = $1")
        .bind(campaign_id)
        .fetch_all(db)
        .await
}

/// The nicknames of campaign `campaign_id`'s locations, lower-cased.
pub async fn location_nicknames(db: impl PgExecutor<'_>, campaign_id: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT lower(nickname) FROM locations WHERE campaign_id = $1")
        .bind(campaign_id)
        .fetch_all(db)
        .await
}
