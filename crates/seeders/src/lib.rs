//! Deterministic development and benchmark data.
//!
//! [`demo`] is what `promostore seed` and `make run` (on an empty database)
//! load: the super admin (`admin` / `admin`, development only) and two
//! distributors, *Acme Promo* (manager `manager` / `manager-demo`) and
//! *Globex Merch*, each with staff of every role and one campaign in every
//! status, with members and delivery locations, and a catalog ([`catalog`]):
//! vendors of every role, the attributes Color and Size, the product types
//! Wearables, Mugs, Posters and Pencils, products with all their variants,
//! and decorated campaign items in the demo campaigns (frozen in the active,
//! closed and complete ones). [`logins`] lists the demo logins. [`minimal`]
//! is the super admin and Acme Promo's manager only.
//!
//! Every demo run writes in one transaction and creates only what is missing
//! (by name: distributors, usernames, campaign names, location nicknames,
//! vendors, attributes, product types, item numbers…), so seeding twice
//! creates nothing the second time. The data is fixed text except the
//! campaign dates, which are offsets from the day of the run, so the active
//! campaign is open (and its shoppers can log in) whenever the data is loaded.
//!
//! [`seed`] seeds at a [`Scale`]: `demo`, or the demo data plus generated
//! distributors (`small`, `medium`, `large`, or a multiple of small) with
//! their shoppers' orders, bulk-loaded with COPY; see [`scale`], [`generate`]
//! and [`orders`].

mod apply;
mod apply_catalog;
mod apply_shopping;
pub mod catalog;
pub mod generate;
mod json_text;
mod lookup;
pub mod orders;
pub mod plan;
pub mod progress;
pub mod scale;
mod words;

pub use progress::Progress;
pub use scale::{DEFAULT_RNG_SEED, Options, Report, Scale, seed};

use chrono::NaiveDate;
use domain::Role;
use sqlx::PgPool;

/// The super admin login `make run` prints.
pub const DEMO_ADMIN: (&str, &str) = ("admin", plan::SUPER_ADMIN_PASSWORD);
/// The first demo distributor and its manager.
pub const DEMO_DISTRIBUTOR: &str = "Acme Promo";
pub const DEMO_MANAGER: (&str, &str) = ("manager", plan::MANAGER_PASSWORD);

/// What a seed run created.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Seeded {
    pub distributors: usize,
    pub accounts: usize,
    pub campaigns: usize,
    pub members: usize,
    pub locations: usize,
    pub vendors: usize,
    pub attributes: usize,
    pub attribute_values: usize,
    pub product_types: usize,
    pub products: usize,
    pub variants: usize,
    pub items: usize,
    /// Demo orders checked out (one per open campaign's first shopper).
    pub orders: usize,
    /// Demo baskets filled (one per open campaign's second shopper).
    pub baskets: usize,
}

impl Seeded {
    /// Whether the run created nothing (the data was all there).
    pub fn is_empty(&self) -> bool {
        *self == Seeded::default()
    }
}

impl std::fmt::Display for Seeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Seeded {
            distributors,
            accounts,
            campaigns,
            members,
            locations,
            vendors,
            attributes,
            attribute_values,
            product_types,
            products,
            variants,
            items,
            orders,
            baskets,
        } = self;
        write!(
            f,
            "{distributors} distributors, {accounts} accounts, {campaigns} campaigns, \
             {members} campaign members, {locations} locations, {vendors} vendors, {attributes} attributes \
             with {attribute_values} values, {product_types} product types, {products} products, \
             {variants} variants, {items} campaign items, {orders} orders and {baskets} filled baskets"
        )
    }
}

/// Seeds the super admin and Acme Promo with its manager.
pub async fn minimal(pool: &PgPool) -> anyhow::Result<Seeded> {
    apply::apply(pool, &plan::minimal()).await
}

/// Seeds the demo data, dated from today (UTC, the day the shopper login rule uses).
pub async fn demo(pool: &PgPool) -> anyhow::Result<Seeded> {
    demo_on(pool, chrono::Utc::now().date_naive()).await
}

/// Seeds the demo data with the campaign dates placed around `today`.
pub async fn demo_on(pool: &PgPool, today: NaiveDate) -> anyhow::Result<Seeded> {
    apply::apply(pool, &plan::demo(today)).await
}

/// The demo logins of one role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logins {
    pub role: Role,
    pub password: &'static str,
    pub usernames: Vec<&'static str>,
    /// What limits these logins, if anything.
    pub note: Option<String>,
}

/// The demo logins, most powerful role first. Shoppers are listed only when
/// they can log in (a member of the active campaign); the others are noted.
pub fn logins() -> Vec<Logins> {
    // Membership does not depend on the day.
    let plan = plan::demo(NaiveDate::default());
    let in_active: Vec<&str> = plan
        .distributors
        .iter()
        .flat_map(|d| &d.campaigns)
        .filter(|c| c.status == domain::campaign::Status::Active)
        .flat_map(|c| c.members.iter().copied())
        .collect();
    Role::ALL
        .into_iter()
        .rev()
        .map(|role| {
            let of_role = plan.people().map(|(p, _)| p).filter(|p| p.role == role);
            let (usernames, note) = if role == Role::Shopper {
                let (open, shut): (Vec<_>, Vec<_>) = of_role.partition(|p| in_active.contains(&p.username));
                let shut: Vec<&str> = shut.iter().map(|p| p.username).collect();
                let note = (!shut.is_empty())
                    .then(|| format!("{} are in no open campaign: their login is refused", shut.join(", ")));
                (open.iter().map(|p| p.username).collect(), note)
            } else {
                (of_role.map(|p| p.username).collect(), None)
            };
            Logins { role, password: plan::demo_password(role), usernames, note }
        })
        .collect()
}

/// [`logins`] as an indented plain-text table for a terminal.
pub fn logins_table(indent: &str) -> String {
    let rows = logins();
    let width = rows.iter().map(|r| r.role.as_str().len()).max().unwrap_or(0);
    let pw_width = rows.iter().map(|r| r.password.len()).max().unwrap_or(0);
    let mut out = String::new();
    for r in &rows {
        out.push_str(&format!(
            "{indent}{:width$}  {:pw_width$}  {}\n",
            r.role.as_str(),
            r.password,
            r.usernames.join(", ")
        ));
        if let Some(note) = &r.note {
            out.push_str(&format!("{indent}{:width$}  ({note})\n", ""));
        }
    }
    out
}
