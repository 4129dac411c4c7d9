//! Deterministic development data.
//!
//! `minimal` is what `make run` loads into an empty database: a super admin
//! (`admin` / `admin`, development only) and one demo distributor with a
//! manager, so the API can be tried at once. Larger scales come with the
//! benchmark seeder.

use anyhow::Context;
use domain::Role;
use sqlx::PgPool;
use storage::accounts::{self, NewAccount};

/// The demo login `make run` prints.
pub const DEMO_ADMIN: (&str, &str) = ("admin", "admin");
/// The demo distributor and its manager.
pub const DEMO_DISTRIBUTOR: &str = "Acme Promo";
pub const DEMO_MANAGER: (&str, &str) = ("manager", "manager-demo");

/// What a seed run created.
#[derive(Debug, Default)]
pub struct Seeded {
    pub accounts: usize,
    pub distributors: usize,
}

/// Seeds the minimal demo data in one transaction. Idempotent: rows that
/// exist (by name) are left alone.
pub async fn minimal(pool: &PgPool) -> anyhow::Result<Seeded> {
    let mut tx = pool.begin().await.context("begin")?;
    let mut seeded = Seeded::default();
    let distributor = match storage::distributors::id_by_name(&mut *tx, DEMO_DISTRIBUTOR).await? {
        Some(id) => id,
        None => {
            seeded.distributors += 1;
            storage::distributors::create(
                &mut *tx,
                DEMO_DISTRIBUTOR,
                "hello@acme-promo.example",
                "1 Market St, Springfield",
            )
            .await?
        }
    };
    let people = [
        (DEMO_ADMIN, "admin@promostore.example", "Ada", "Admin", Role::SuperAdmin, None),
        (DEMO_MANAGER, "manager@acme-promo.example", "Max", "Manager", Role::DistributorManager, Some(distributor)),
    ];
    for ((username, password), email, first, last, role, distributor_id) in people {
        if accounts::id_by_username(&mut *tx, username).await?.is_some() {
            continue;
        }
        let password_hash = domain::password::hash(password).map_err(anyhow::Error::msg)?;
        accounts::create(
            &mut *tx,
            &NewAccount {
                username,
                email,
                first_name: first,
                last_name: last,
                password_hash: &password_hash,
                role,
                distributor_id,
                reports_enabled: true,
            },
        )
        .await
        .with_context(|| format!("create account {username}"))?;
        seeded.accounts += 1;
    }
    tx.commit().await.context("commit")?;
    Ok(seeded)
}
