//! Writes a [`Plan`] in one transaction, creating only what is missing.
//!
//! Natural keys decide what exists: distributors by name, accounts by
//! username, campaigns by name within their distributor, locations by
//! nickname within their campaign, members by (campaign, account), and the
//! catalog's keys (see [`crate::apply_catalog`]). An existing row is never
//! changed: a campaign found by name keeps its settings and status; it only
//! gets the members (and, while draft or active, the locations; while draft,
//! the items) it lacks, as the API would allow.
//!
//! A new campaign is created as a draft with its locations and items, then
//! walks the lifecycle one step at a time to its planned status; activation
//! freezes its items (`storage::derived::freeze_campaign`), as the API does.

use crate::Seeded;
use crate::apply_catalog::{self, CatalogIds};
use crate::plan::{CampaignPlan, Person, Plan, is_member_role};
use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use domain::campaign::Status;
use domain::organization::{AccountFields, DistributorFields};
use sqlx::{PgConnection, PgPool};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use storage::accounts::{self, NewAccount};
use storage::distributors;
use storage::{campaigns, locations};

pub(crate) async fn apply(pool: &PgPool, plan: &Plan) -> anyhow::Result<Seeded> {
    let mut tx = pool.begin().await.context("begin")?;
    let seeded = apply_in(&mut tx, plan, Utc::now()).await?;
    tx.commit().await.context("commit")?;
    Ok(seeded)
}

/// [`apply`] in the caller's transaction; `now` stamps the catalog rows.
pub(crate) async fn apply_in(tx: &mut PgConnection, plan: &Plan, now: DateTime<Utc>) -> anyhow::Result<Seeded> {
    let problems = plan.problems();
    if !problems.is_empty() {
        bail!("the seed data breaks the API's rules: {}", problems.join("; "));
    }
    let mut seeded = Seeded::default();

    let mut distributor_ids = Vec::with_capacity(plan.distributors.len());
    for d in &plan.distributors {
        let id = match distributors::id_by_name(&mut *tx, d.name).await? {
            Some(id) => id,
            None => {
                seeded.distributors += 1;
                let new = DistributorFields {
                    name: d.name.to_owned(),
                    email: d.email.to_owned(),
                    address: d.address.to_owned(),
                    ow_cost: d.ow_cost,
                    campaign_cost: d.campaign_cost,
                    transaction_cost: d.transaction_cost,
                    max_sales_count: i64::from(d.max_sales_count),
                };
                distributors::insert(&mut *tx, &new).await.with_context(|| format!("create distributor {}", d.name))?
            }
        };
        distributor_ids.push(id);
    }

    let mut account_ids: HashMap<&str, i64> = HashMap::new();
    let mut missing: Vec<(&Person, Option<i64>)> = Vec::new();
    for (person, distributor) in plan.people() {
        match accounts::id_by_username(&mut *tx, person.username).await? {
            Some(id) => {
                account_ids.insert(person.username, id);
            }
            None => missing.push((person, distributor.map(|i| distributor_ids[i]))),
        }
    }
    let hashes = hash_once_each(missing.iter().map(|(p, _)| p.password())).await?;
    for (person, distributor_id) in missing {
        let password_hash = hashes.get(person.password()).context("a password was not hashed")?;
        let fields = AccountFields {
            email: person.email.to_owned(),
            first_name: person.first_name.to_owned(),
            last_name: person.last_name.to_owned(),
            role: person.role,
            active: true,
            reports_enabled: person.reports_enabled,
        };
        let new = NewAccount { username: person.username, password_hash, distributor_id, fields: &fields };
        let id =
            accounts::insert(&mut *tx, &new).await.with_context(|| format!("create account {}", person.username))?;
        account_ids.insert(person.username, id);
        seeded.accounts += 1;
    }

    for (d, &distributor_id) in plan.distributors.iter().zip(&distributor_ids) {
        // `problems` checked that every distributor has a manager.
        let author = d
            .people
            .iter()
            .find(|p| p.role == domain::Role::DistributorManager)
            .and_then(|p| account_ids.get(p.username).copied())
            .with_context(|| format!("{} has no manager", d.name))?;
        let catalog = match &d.catalog {
            Some(c) => Some(
                apply_catalog::catalog(&mut *tx, distributor_id, c, now, &mut seeded)
                    .await
                    .with_context(|| format!("seed the catalog of {}", d.name))?,
            ),
            None => None,
        };
        for c in &d.campaigns {
            let new = NewCampaign { distributor_id, author, catalog: d.catalog.as_ref().zip(catalog.as_ref()), now };
            campaign(&mut *tx, &new, c, &account_ids, &mut seeded)
                .await
                .with_context(|| format!("seed campaign {} of {}", c.settings.name, d.name))?;
        }
    }
    Ok(seeded)
}

/// What every campaign of one distributor is seeded with.
struct NewCampaign<'a> {
    distributor_id: i64,
    author: i64,
    catalog: Option<(&'a crate::catalog::CatalogPlan, &'a CatalogIds)>,
    now: DateTime<Utc>,
}

/// Makes sure campaign `c` exists with its locations, members and items.
async fn campaign(
    tx: &mut PgConnection,
    new: &NewCampaign<'_>,
    c: &CampaignPlan,
    account_ids: &HashMap<&str, i64>,
    seeded: &mut Seeded,
) -> anyhow::Result<()> {
    let distributor_id = new.distributor_id;
    let (id, status, created) = match crate::lookup::campaign(&mut *tx, distributor_id, &c.settings.name).await? {
        Some((id, status)) => (id, status, false),
        None => {
            seeded.campaigns += 1;
            // The distributor's pick/pack partner handles its new campaigns.
            let settings = match new.catalog.and_then(|(_, ids)| ids.pick_pack) {
                Some(partner) => {
                    domain::campaign::CampaignFields { pick_pack_partner_id: Some(partner), ..c.settings.clone() }
                }
                None => c.settings.clone(),
            };
            (campaigns::create(&mut *tx, distributor_id, new.author, &settings).await?, Status::Draft, true)
        }
    };

    // Items are added while the campaign is a draft, as through the API.
    if status == Status::Draft
        && let Some((plan, ids)) = new.catalog
    {
        let campaign = apply_catalog::Campaign { id, distributor_id, name: &c.settings.name };
        seeded.items += apply_catalog::items(&mut *tx, &campaign, plan, ids, new.now).await?;
    }

    // Locations are added while the campaign allows it (draft or active), as through the API.
    if status.allows_location_changes() {
        let have = crate::lookup::location_nicknames(&mut *tx, id).await?;
        for l in &c.locations {
            if !have.contains(&l.nickname.trim().to_lowercase()) {
                locations::create(&mut *tx, id, distributor_id, l).await?;
                seeded.locations += 1;
            }
        }
    }

    let have: BTreeSet<i64> = crate::lookup::member_ids(&mut *tx, id).await?.into_iter().collect();
    for username in &c.members {
        let account = *account_ids.get(username).with_context(|| format!("no account {username}"))?;
        if have.contains(&account) {
            continue;
        }
        // An account found by username may have been changed since it was
        // seeded: add it only while it still fits, as the API would.
        match campaigns::member_candidate(&mut *tx, account).await? {
            Some((role, Some(d))) if d == distributor_id && is_member_role(role) => {}
            _ => {
                tracing::warn!(
                    username,
                    "not adding as a campaign member: no longer a member role of this distributor"
                );
                continue;
            }
        }
        campaigns::add_member(&mut *tx, id, account, distributor_id).await?;
        seeded.members += 1;
    }

    // A new campaign walks the lifecycle to its status one step at a time.
    if created {
        let mut at = Status::Draft;
        while at < c.status {
            let next = at.next().context("no status after complete")?;
            domain::campaign::transition(at, next)?;
            campaigns::set_status(&mut *tx, id, None, next).await?;
            if next == Status::Active {
                storage::derived::freeze_campaign(&mut *tx, id).await?;
            }
            at = next;
        }
    }
    crate::apply_shopping::campaign(&mut *tx, id, new.now, seeded).await.context("seed demo orders and baskets")
}

/// Argon2 hashes of each distinct password, computed once each, in
/// parallel on blocking threads (each takes tens of milliseconds in a
/// release build, far more in a debug one).
async fn hash_once_each(
    passwords: impl Iterator<Item = &'static str>,
) -> anyhow::Result<BTreeMap<&'static str, String>> {
    let distinct: BTreeSet<&'static str> = passwords.collect();
    let tasks: Vec<_> = distinct
        .into_iter()
        .map(|password| (password, tokio::task::spawn_blocking(move || domain::password::hash(password))))
        .collect();
    let mut hashes = BTreeMap::new();
    for (password, task) in tasks {
        let hash = task.await.context("hashing thread")?.map_err(anyhow::Error::msg)?;
        hashes.insert(password, hash);
    }
    Ok(hashes)
}
