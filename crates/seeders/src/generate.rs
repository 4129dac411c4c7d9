//! The generator behind `promostore seed --scale …`: realistic rows for
//! every table that exists, one distributor at a time.
//!
//! Deterministic: one ChaCha8 stream seeded from `--rng-seed` drives every
//! choice, in a fixed order, and nothing iterates a hash map, so the same
//! sizes, seed and starting ids give the same rows, byte for byte. Dates are
//! placed around a fixed day ([`anchor`]), not the day of the run.
//!
//! Every row obeys the rules the API enforces, so reports and invariants can
//! be checked on it: accounts of member roles are campaign members only of
//! their own distributor's campaigns; campaigns past draft have what
//! activation requires and their items are frozen at activation; a variant
//! has exactly one value per attribute of its product's type, `value_ids`
//! sorted, and its sku is `domain::catalog::variant_sku`; an item's copies,
//! total and price are what `storage::derived::refresh` computes, here with
//! `domain::catalog::{total, price, item_sku}`; decorations name active
//! decorators with their cost as a decimal string.
//!
//! A distributor is a client-facing promo company: staff (a manager, sales
//! executives), client companies whose buyers and shoppers are its other
//! accounts, campaigns run for those clients (shoppers are members of their
//! own company's campaigns), vendors of every role, and a catalog of
//! Wearables (Color, Size), Mugs (Color), Posters (no attribute) and Pencils
//! (Color). Then the orders its shoppers placed ([`crate::orders`]): the
//! generator yields a distributor's [`World`] first, then its orders in
//! chunks ([`Piece`]), so a million orders never sit in memory at once.
//!
//! Where the orders fit: most campaigns limit what each shopper may order
//! (1 to 8 units, a price limit, an allowance without personal pay), which
//! leaves room for one or two orders per shopper, while the sizes ask for
//! several per shopper. So each distributor's first complete campaign is an
//! *open store*: every shopper of its client company is a member, and it has
//! no limits and takes personal pay (the allowance drawn stays), so it takes
//! the orders the limited campaigns have no room for. And one campaign of the
//! distributor with the most accounts, its first active one, is *the big
//! campaign* ([`Sizes::big_campaign_orders`] of the orders): every shopper of
//! the distributor is a member, it has no limits and a $250 allowance with
//! personal pay, and has been open for three months, so reports have one
//! campaign with hundreds of thousands of orders to chew on.

use crate::orders::{OrderRows, Orders, Want};
use crate::words::{self, Kind};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use domain::Role;
use domain::campaign::{CampaignFields, CheckoutField, Status};
use domain::catalog::{item_sku, price, total, variant_sku};
use fake::Fake;
use fake::faker::address::en::{
    BuildingNumber, CityName, SecondaryAddress, StateAbbr, StreetName, StreetSuffix, ZipCode,
};
use fake::faker::company::en::CompanyName;
use fake::faker::name::en::{FirstName, LastName};
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use storage::bulk;

/// The day generated dates are placed around: campaigns completed and
/// closed before it, active across it, drafts after it.
pub fn anchor() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default()
}

/// The moment the generated history ends: the anchor day, 09:00 UTC. The
/// demo data is stamped with it too, and no generated order, event or note
/// is later.
pub fn now() -> DateTime<Utc> {
    at(anchor(), 9 * 3600)
}

/// How many rows of each kind to generate, in total over all distributors.
/// Variants and items are targets: products come in whole sets of
/// variants, and a campaign's items in whole products.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    pub distributors: usize,
    pub accounts: usize,
    pub campaigns: usize,
    pub products: usize,
    pub variants: usize,
    pub items: usize,
    /// Orders at most: the load reserves this many order numbers, and the
    /// generator places fewer only when the campaigns' limits leave no room.
    pub orders: usize,
    /// The orders of the big campaign (part of `orders`).
    pub big_campaign_orders: usize,
}

impl Sizes {
    /// `large` (the issue's orders of magnitude), and `small` = large/100.
    pub const LARGE: Sizes = Sizes {
        distributors: 50,
        accounts: 200_000,
        campaigns: 2_000,
        products: 20_000,
        variants: 150_000,
        items: 100_000,
        orders: 1_000_000,
        big_campaign_orders: 300_000,
    };

    /// `factor` times `small` (so 1 is small, 10 medium, 100 large); at
    /// least 2 distributors, each with a campaign in every status.
    pub fn times_small(factor: f64) -> Sizes {
        let of = |n: usize| ((n as f64) * factor / 100.0).round().max(1.0) as usize;
        let l = Sizes::LARGE;
        Sizes {
            distributors: of(l.distributors).max(2),
            accounts: of(l.accounts),
            campaigns: of(l.campaigns),
            products: of(l.products),
            variants: of(l.variants),
            items: of(l.items),
            orders: of(l.orders),
            big_campaign_orders: of(l.big_campaign_orders),
        }
    }
}

/// The first id of each table the generator may use (past any rows there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Starts {
    pub distributors: i64,
    pub accounts: i64,
    pub vendors: i64,
    pub campaigns: i64,
    pub locations: i64,
    pub attributes: i64,
    pub attribute_values: i64,
    pub product_types: i64,
    pub products: i64,
    pub variants: i64,
    pub items: i64,
    pub orders: i64,
    pub order_items: i64,
    pub ledger: i64,
    pub order_events: i64,
    pub order_notes: i64,
    pub note_versions: i64,
    /// The first of the [`Sizes::orders`] values of `order_number_seq` the
    /// load reserved (`storage::bulk::reserve_range`); 1 until it does.
    pub order_numbers: i64,
}

impl Starts {
    /// The next ids after the largest ids per table (`storage::bulk::max_ids`).
    pub fn after(max_ids: &[(&str, i64)]) -> Starts {
        let next = |table: &str| max_ids.iter().find(|(t, _)| *t == table).map_or(1, |(_, m)| m + 1);
        Starts {
            distributors: next("distributors"),
            accounts: next("accounts"),
            vendors: next("vendors"),
            campaigns: next("campaigns"),
            locations: next("locations"),
            attributes: next("attributes"),
            attribute_values: next("attribute_values"),
            product_types: next("product_types"),
            products: next("products"),
            variants: next("product_variants"),
            items: next("campaign_items"),
            orders: next("orders"),
            order_items: next("order_items"),
            ledger: next("allowance_ledger"),
            order_events: next("order_events"),
            order_notes: next("order_notes"),
            note_versions: next("order_note_versions"),
            order_numbers: 1,
        }
    }
}

/// One argon2 hash per role, shared by every generated account of the role
/// (hashing each of 200,000 passwords would take hours).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hashes {
    pub manager: String,
    pub sales: String,
    pub buyer: String,
    pub shopper: String,
}

/// Everything generated for one distributor, table by table.
#[derive(Debug, Default, Clone)]
pub struct World {
    pub distributors: Vec<bulk::Distributor>,
    pub accounts: Vec<bulk::Account>,
    pub vendors: Vec<bulk::Vendor>,
    pub campaigns: Vec<bulk::Campaign>,
    pub members: Vec<bulk::CampaignMember>,
    pub locations: Vec<bulk::Location>,
    pub attributes: Vec<bulk::Attribute>,
    pub attribute_values: Vec<bulk::AttributeValue>,
    pub product_types: Vec<bulk::ProductType>,
    pub type_attributes: Vec<bulk::ProductTypeAttribute>,
    pub type_vendors: Vec<bulk::ProductTypeVendor>,
    pub products: Vec<bulk::Product>,
    pub variants: Vec<bulk::Variant>,
    pub variant_values: Vec<bulk::VariantValue>,
    pub items: Vec<bulk::CampaignItem>,
}

impl World {
    /// Row counts in `storage::bulk::TABLES` order.
    pub fn counts(&self) -> [u64; 15] {
        let n = |len: usize| len as u64;
        [
            n(self.distributors.len()),
            n(self.accounts.len()),
            n(self.vendors.len()),
            n(self.campaigns.len()),
            n(self.members.len()),
            n(self.locations.len()),
            n(self.attributes.len()),
            n(self.attribute_values.len()),
            n(self.product_types.len()),
            n(self.type_attributes.len()),
            n(self.type_vendors.len()),
            n(self.products.len()),
            n(self.variants.len()),
            n(self.variant_values.len()),
            n(self.items.len()),
        ]
    }
}

/// One distributor's share of the sizes.
#[derive(Debug, Clone, Copy)]
struct Share {
    accounts: usize,
    campaigns: usize,
    products: usize,
    items: usize,
    /// Orders outside the big campaign.
    orders: usize,
    /// The big campaign's orders: 0 but for one distributor.
    big: usize,
}

/// What the generator yields: a distributor's rows, then its orders' rows in
/// chunks, then the next distributor's.
#[derive(Debug, Clone)]
pub enum Piece {
    World(Box<World>),
    Orders(OrderRows),
}

/// Yields, per distributor, its [`World`] and then its orders ([`Piece`]).
pub struct Generator {
    rng: ChaCha8Rng,
    next: Starts,
    hashes: Hashes,
    shares: std::vec::IntoIter<Share>,
    /// Lower-cased distributor names already taken.
    taken: BTreeSet<String>,
    /// The orders of the distributor yielded last, still to yield.
    orders: Option<Orders>,
    /// Order numbers left of the reserved [`Sizes::orders`].
    numbers_left: usize,
    /// Orders that earlier distributors' campaigns had no room for: later
    /// ones take them, so the total stays near [`Sizes::orders`].
    carry: usize,
}

impl Generator {
    /// `taken`: distributor names already in the database.
    pub fn new(sizes: &Sizes, seed: u64, starts: Starts, hashes: Hashes, taken: &[&str]) -> Generator {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // Distributors differ in size: weights between 0.4 and 1.6.
        let weights: Vec<f64> = (0..sizes.distributors).map(|_| rng.random_range(0.4..1.6)).collect();
        let accounts = split(sizes.accounts, &weights, 12);
        let campaigns = split(sizes.campaigns, &weights, 4);
        let products = split(sizes.products, &weights, 4);
        let items = split(sizes.items, &weights, 4);
        let big = sizes.big_campaign_orders.min(sizes.orders);
        let orders = split(sizes.orders - big, &weights, 0);
        // The big campaign belongs to the distributor with the most accounts
        // (the one `bench/run.sh` logs in to).
        let biggest = (0..weights.len()).max_by(|&a, &b| weights[a].total_cmp(&weights[b]).then(b.cmp(&a)));
        let shares: Vec<Share> = (0..sizes.distributors)
            .map(|i| Share {
                accounts: accounts[i],
                campaigns: campaigns[i],
                products: products[i],
                items: items[i],
                orders: orders[i],
                big: if Some(i) == biggest { big } else { 0 },
            })
            .collect();
        Generator {
            rng,
            next: starts,
            hashes,
            shares: shares.into_iter(),
            taken: taken.iter().map(|t| t.to_lowercase()).collect(),
            orders: None,
            numbers_left: sizes.orders,
            carry: 0,
        }
    }
}

impl Iterator for Generator {
    type Item = Piece;

    fn next(&mut self) -> Option<Piece> {
        if let Some(orders) = &mut self.orders {
            if let Some(rows) = orders.next_chunk(&mut self.rng, &mut self.next) {
                return Some(Piece::Orders(rows));
            }
            self.orders = None;
        }
        let share = self.shares.next()?;
        let world = self.distributor(share);
        // The big campaign is the distributor's second, its first active one.
        let big = (share.big > 0).then(|| world.campaigns.get(1).map(|c| (c.id, share.big))).flatten();
        let big_orders = big.map_or(0, |(_, n)| n).min(self.numbers_left);
        let regular = (share.orders + self.carry).min(self.numbers_left - big_orders);
        let want = Want { orders: regular, big: big.map(|(id, _)| (id, big_orders)) };
        let (orders, placed) = Orders::plan(&world, want, &mut self.rng);
        self.carry = regular - placed.regular;
        self.numbers_left -= placed.regular + placed.big;
        self.orders = Some(orders);
        Some(Piece::World(Box::new(world)))
    }
}

/// `total` split in proportion to `weights` (largest remainders), each part
/// at least `min`; each `min` when no weight is positive.
pub(crate) fn split(total: usize, weights: &[f64], min: usize) -> Vec<usize> {
    let sum: f64 = weights.iter().sum();
    if sum <= 0.0 || !sum.is_finite() {
        return vec![min; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut parts: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b)));
    let short = total.saturating_sub(parts.iter().sum());
    for &i in order.iter().take(short) {
        parts[i] += 1;
    }
    parts.into_iter().map(|p| p.max(min)).collect()
}

pub(crate) fn take(counter: &mut i64) -> i64 {
    let id = *counter;
    *counter += 1;
    id
}

fn money(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

pub(crate) fn at(day: NaiveDate, seconds: i64) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() + TimeDelta::seconds(seconds)
}

pub(crate) fn days(day: NaiveDate, n: i64) -> NaiveDate {
    day.checked_add_signed(TimeDelta::days(n)).unwrap_or(day)
}

/// Lower-case ASCII letters and digits of `s` (for usernames and domains).
fn slug(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

/// A domain for a company name: `acme-and-sons.example`.
fn domain_of(company: &str) -> String {
    let words: Vec<String> =
        company.split(|c: char| !c.is_ascii_alphanumeric()).map(slug).filter(|w| !w.is_empty()).collect();
    if words.is_empty() { "company.example".to_owned() } else { format!("{}.example", words.join("-")) }
}

/// What kind of store a campaign is (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Store {
    Ordinary,
    Open,
    Big,
}

/// A client company of a distributor, with the accounts that work there.
struct Client {
    name: String,
    domain: String,
    buyers: Vec<i64>,
    shoppers: Vec<i64>,
    campaigns: Vec<usize>,
}

/// A product as the items generator needs it.
struct ProductInfo {
    kind: &'static Kind,
    type_index: usize,
    /// Indexes into the world's variants.
    variants: std::ops::Range<usize>,
    /// The variants' colour, per variant (None for types without Color).
    colors: Vec<Option<usize>>,
}

/// A vendor's copy fields.
#[derive(Clone)]
struct VendorInfo {
    id: i64,
    name: String,
    email: String,
    address: String,
}

impl Generator {
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        // Every list here is a non-empty constant or checked non-empty.
        items.choose(&mut self.rng).unwrap_or(&items[0])
    }

    fn street_address(&mut self) -> (String, String, String, String, String) {
        let number: String = BuildingNumber().fake_with_rng(&mut self.rng);
        let street: String = StreetName().fake_with_rng(&mut self.rng);
        let suffix: String = StreetSuffix().fake_with_rng(&mut self.rng);
        let suite: String =
            if self.rng.random_bool(0.4) { SecondaryAddress().fake_with_rng(&mut self.rng) } else { String::new() };
        let city: String = CityName().fake_with_rng(&mut self.rng);
        let zip: String = ZipCode().fake_with_rng(&mut self.rng);
        let state: String = StateAbbr().fake_with_rng(&mut self.rng);
        (format!("{number} {street} {suffix}"), suite, city, zip, state)
    }

    fn one_line_address(&mut self) -> String {
        let (street, suite, city, zip, state) = self.street_address();
        if suite.is_empty() {
            format!("{street}, {city}, {state} {zip}")
        } else {
            format!("{street}, {suite}, {city}, {state} {zip}")
        }
    }

    /// A name not yet taken: `base`, else `base 2`, `base 3`…
    fn unique(taken: &mut BTreeSet<String>, base: String) -> String {
        let mut name = base.clone();
        let mut n = 2;
        while !taken.insert(name.to_lowercase()) {
            name = format!("{base} {n}");
            n += 1;
        }
        name
    }

    fn distributor(&mut self, share: Share) -> World {
        let mut w = World::default();
        let id = take(&mut self.next.distributors);
        let founder: String = LastName().fake_with_rng(&mut self.rng);
        let suffix = *self.pick(words::DISTRIBUTOR_SUFFIXES);
        let name = Self::unique(&mut self.taken, format!("{founder} {suffix}"));
        let domain = domain_of(&name);
        let since = days(anchor(), -self.rng.random_range(900..2200));
        let address = self.one_line_address();
        let ow_cost = money(self.rng.random_range(10..50) * 5);

        // Staff: a manager (two in large distributors), sales executives;
        // the rest work for client companies: 1 in 40 an admin buyer.
        let sales = (share.accounts / 400).clamp(1, 20);
        let managers = if share.accounts >= 2_000 { 2 } else { 1 };
        let max_sales_count = i32::try_from(sales + self.rng.random_range(0..5)).unwrap_or(i32::MAX);
        w.distributors.push(bulk::Distributor {
            id,
            name: name.clone(),
            email: format!("hello@{domain}"),
            address,
            ow_cost,
            campaign_cost: money(self.rng.random_range(15..40) * 1_000),
            transaction_cost: money(self.rng.random_range(15..45)),
            max_sales_count,
            is_deleted: false,
            created_at: at(since, 9 * 3600),
            modified_at: at(since, 9 * 3600),
        });

        let client_count = (share.campaigns / 4).max(1);
        let mut clients: Vec<Client> = Vec::with_capacity(client_count);
        let mut client_names = BTreeSet::new();
        for _ in 0..client_count {
            let base: String = CompanyName().fake_with_rng(&mut self.rng);
            let name = Self::unique(&mut client_names, base);
            let domain = domain_of(&name);
            clients.push(Client { name, domain, buyers: Vec::new(), shoppers: Vec::new(), campaigns: Vec::new() });
        }

        let (mut manager_ids, mut sales_ids) = (Vec::new(), Vec::new());
        for n in 0..share.accounts {
            let role = if n < managers {
                Role::DistributorManager
            } else if n < managers + sales {
                Role::SalesExecutive
            } else if n % 40 == 0 {
                Role::AdminBuyer
            } else {
                Role::Shopper
            };
            let account = self.account(id, role, &domain, &mut clients, since);
            match role {
                Role::DistributorManager => manager_ids.push(account.id),
                Role::SalesExecutive => sales_ids.push(account.id),
                _ => {}
            }
            w.accounts.push(account);
        }

        let vendors = self.vendors(&mut w, id, since);
        let catalog = self.catalog(&mut w, id, since, &vendors, share.products);
        let authors: Vec<i64> = manager_ids.iter().chain(&sales_ids).copied().collect();
        self.campaigns(&mut w, id, share, &mut clients, &authors, &sales_ids, &vendors);
        self.items(&mut w, share.items, &catalog, &vendors, ow_cost);
        w
    }

    fn account(
        &mut self,
        distributor_id: i64,
        role: Role,
        domain: &str,
        clients: &mut [Client],
        since: NaiveDate,
    ) -> bulk::Account {
        let id = take(&mut self.next.accounts);
        let first: String = FirstName().fake_with_rng(&mut self.rng);
        let last: String = LastName().fake_with_rng(&mut self.rng);
        let local = match (slug(&first), slug(&last)) {
            (f, l) if f.is_empty() || l.is_empty() => format!("user{id}"),
            (f, l) => format!("{f}.{l}{id}"),
        };
        let (email_domain, hash) = match role {
            Role::DistributorManager => (domain.to_owned(), &self.hashes.manager),
            Role::SalesExecutive => (domain.to_owned(), &self.hashes.sales),
            _ => {
                let c = self.rng.random_range(0..clients.len());
                let client = &mut clients[c];
                if role == Role::AdminBuyer {
                    client.buyers.push(id);
                } else {
                    client.shoppers.push(id);
                }
                let hash = if role == Role::AdminBuyer { &self.hashes.buyer } else { &self.hashes.shopper };
                (client.domain.clone(), hash)
            }
        };
        let password_hash = hash.clone();
        let created = at(days(since, self.rng.random_range(0..600)), self.rng.random_range(0..86_400));
        let last_login_at = self
            .rng
            .random_bool(0.7)
            .then(|| at(days(anchor(), -self.rng.random_range(0..90)), self.rng.random_range(0..86_400)));
        bulk::Account {
            id,
            email: format!("{local}@{email_domain}"),
            username: local,
            first_name: first,
            last_name: last,
            password_hash,
            role: role.as_str().to_owned(),
            distributor_id: Some(distributor_id),
            // Staff stay active; 3% of the client accounts were deactivated.
            active: role >= Role::SalesExecutive || self.rng.random_bool(0.97),
            reports_enabled: role >= Role::AdminBuyer && self.rng.random_bool(0.8),
            last_login_at,
            created_at: created,
            modified_at: created,
        }
    }

    fn vendors(&mut self, w: &mut World, distributor_id: i64, since: NaiveDate) -> Vendors {
        let mut taken = BTreeSet::new();
        let mut out = Vendors::default();
        // (suffixes, supplier, decorator, pick/pack, how many)
        let plan: [(&[&str], bool, bool, bool, usize); 6] = [
            (words::APPAREL_SUPPLIERS, true, false, false, 3),
            (words::DRINKWARE_SUPPLIERS, true, false, false, 2),
            (words::PAPER_SUPPLIERS, true, true, false, 2),
            (&[], false, true, false, 3),
            (words::PICK_PACK, false, false, true, 2),
            (words::APPAREL_SUPPLIERS, true, false, false, 1),
        ];
        for (group, (suffixes, supplier, decorator, pick_pack, n)) in plan.into_iter().enumerate() {
            for _ in 0..n {
                let founder: String = LastName().fake_with_rng(&mut self.rng);
                let (suffix, verb) = if suffixes.is_empty() {
                    let (s, v) = *self.pick(words::DECORATORS);
                    (s, Some(v))
                } else {
                    (*self.pick(suffixes), None)
                };
                let name = Self::unique(&mut taken, format!("{founder} {suffix}"));
                let id = take(&mut self.next.vendors);
                let created = at(days(since, self.rng.random_range(0..300)), 10 * 3600);
                // The last group is a supplier the distributor stopped using.
                let is_active = group != 5;
                let v = bulk::Vendor {
                    id,
                    distributor_id,
                    email: format!("orders@{}", domain_of(&name)),
                    address: self.one_line_address(),
                    name,
                    is_supplier: supplier,
                    is_decorator: decorator,
                    is_pick_pack: pick_pack,
                    is_active,
                    created_at: created,
                    modified_at: created,
                };
                let info = VendorInfo { id, name: v.name.clone(), email: v.email.clone(), address: v.address.clone() };
                match group {
                    0 => out.apparel.push(info),
                    1 => out.drinkware.push(info),
                    2 => out.paper.push(info.clone()),
                    3 => out.decorators.push((info, verb.unwrap_or("printed"))),
                    4 => out.pick_pack.push(id),
                    _ => {}
                }
                if group == 2 {
                    out.decorators.push((out.paper[out.paper.len() - 1].clone(), "printed"));
                }
                w.vendors.push(v);
            }
        }
        out
    }

    fn catalog(&mut self, w: &mut World, d: i64, since: NaiveDate, vendors: &Vendors, products: usize) -> Catalog {
        let created = at(since, 11 * 3600);
        let attribute = |g: &mut Generator, w: &mut World, name: &str| {
            let id = take(&mut g.next.attributes);
            w.attributes.push(bulk::Attribute {
                id,
                distributor_id: d,
                name: name.to_owned(),
                created_at: created,
                modified_at: created,
            });
            id
        };
        let color = attribute(self, w, crate::catalog::COLOR);
        let size = attribute(self, w, crate::catalog::SIZE);

        // The distributor's colours: 10 to 16 of the catalog's, in catalog order.
        let n = self.rng.random_range(10..=16);
        let mut picked: Vec<usize> = rand::seq::index::sample(&mut self.rng, words::COLORS.len(), n).into_vec();
        picked.sort_unstable();
        let mut colors: Vec<(i64, &'static str)> = Vec::with_capacity(n);
        for (position, &c) in picked.iter().enumerate() {
            let id = take(&mut self.next.attribute_values);
            colors.push((id, words::COLORS[c]));
            w.attribute_values.push(value_row(id, color, d, words::COLORS[c], position, created));
        }
        let mut sizes: Vec<(i64, &'static str)> = Vec::with_capacity(domain::catalog::SIZES.len());
        for (position, name) in domain::catalog::SIZES.iter().enumerate() {
            let id = take(&mut self.next.attribute_values);
            sizes.push((id, name));
            w.attribute_values.push(value_row(id, size, d, name, position, created));
        }

        let spec = |name, attributes, suppliers, kinds| TypeSpec { name, attributes, suppliers, kinds };
        let types = [
            spec("Wearables", vec![color, size], &vendors.apparel, words::WEARABLES),
            spec("Mugs", vec![color], &vendors.drinkware, words::MUGS),
            spec("Posters", Vec::new(), &vendors.paper, words::POSTERS),
            spec("Pencils", vec![color], &vendors.paper, words::PENCILS),
        ];
        let mut type_ids = Vec::with_capacity(types.len());
        for TypeSpec { name, attributes, suppliers, .. } in &types {
            let id = take(&mut self.next.product_types);
            type_ids.push(id);
            w.product_types.push(bulk::ProductType {
                id,
                distributor_id: d,
                name: (*name).to_owned(),
                created_at: created,
                modified_at: created,
            });
            for (position, attribute_id) in attributes.iter().enumerate() {
                w.type_attributes.push(bulk::ProductTypeAttribute {
                    product_type_id: id,
                    attribute_id: *attribute_id,
                    distributor_id: d,
                    position: i32::try_from(position).unwrap_or(i32::MAX),
                });
            }
            for s in suppliers.iter() {
                w.type_vendors.push(bulk::ProductTypeVendor {
                    product_type_id: id,
                    vendor_id: s.id,
                    distributor_id: d,
                });
            }
        }

        let mut catalog = Catalog {
            products: Vec::with_capacity(products),
            variant_info: Vec::new(),
            type_names: ["Wearables", "Mugs", "Posters", "Pencils"],
        };
        for n in 0..products {
            let roll: f64 = self.rng.random();
            let type_index = match roll {
                r if r < 0.45 => 0,
                r if r < 0.70 => 1,
                r if r < 0.80 => 2,
                _ => 3,
            };
            let TypeSpec { attributes, suppliers, kinds, .. } = &types[type_index];
            let kinds: &'static [Kind] = kinds;
            let kind = self.pick(kinds);
            let supplier = self.pick(suppliers).clone();
            let id = take(&mut self.next.products);
            let item_number = format!("{}-{}", kind.prefix, 1000 + n);
            let adjective = *self.pick(words::ADJECTIVES);
            let name = format!("{adjective} {}", kind.name);
            let description = format!("{}; {}.", self.pick(words::MATERIALS), self.pick(words::FEATURES));
            let base = money(self.rng.random_range(kind.cost_cents.0..=kind.cost_cents.1));
            let created = at(days(since, self.rng.random_range(30..800)), self.rng.random_range(0..86_400));

            // The product's values of each attribute.
            let product_colors: Vec<usize> = if attributes.contains(&color) {
                let (lo, hi) = match type_index {
                    0 => (2, 4),
                    1 => (2, 6),
                    _ => (3, 8),
                };
                let k = self.rng.random_range(lo..=hi).min(colors.len());
                let mut idx = rand::seq::index::sample(&mut self.rng, colors.len(), k).into_vec();
                idx.sort_unstable();
                idx
            } else {
                Vec::new()
            };
            let product_sizes: Vec<(i64, &str)> = if attributes.contains(&size) {
                let ladder = if self.rng.random_bool(0.8) { words::SIZES_LONG } else { words::SIZES_SHORT };
                let len = self.rng.random_range(3..=5).min(ladder.len());
                let first = self.rng.random_range(0..=ladder.len() - len).min(3);
                ladder[first..first + len]
                    .iter()
                    .filter_map(|s| sizes.iter().find(|(_, name)| name == s).copied())
                    .collect()
            } else {
                Vec::new()
            };

            let first_variant = w.variants.len();
            let mut variant_colors = Vec::new();
            // Combinations in the type's attribute order: colour, then size.
            let color_choices: Vec<Option<usize>> =
                if product_colors.is_empty() { vec![None] } else { product_colors.iter().map(|c| Some(*c)).collect() };
            let size_choices: Vec<Option<(i64, &str)>> =
                if product_sizes.is_empty() { vec![None] } else { product_sizes.iter().map(|s| Some(*s)).collect() };
            for c in &color_choices {
                for s in &size_choices {
                    let variant_id = take(&mut self.next.variants);
                    let mut parts: Vec<(i64, i64, &str)> = Vec::with_capacity(2);
                    if let Some(c) = c {
                        parts.push((color, colors[*c].0, colors[*c].1));
                    }
                    if let Some((value_id, name)) = s {
                        parts.push((size, *value_id, name));
                    }
                    let mut value_ids: Vec<i64> = parts.iter().map(|(_, v, _)| *v).collect();
                    value_ids.sort_unstable();
                    let sku = variant_sku(&item_number, parts.iter().map(|(_, _, name)| *name));
                    let cost = base + s.map_or(Decimal::ZERO, |(_, name)| crate::catalog::size_upcharge(name));
                    for (position, (attribute_id, value_id, _)) in parts.iter().enumerate() {
                        w.variant_values.push(bulk::VariantValue {
                            variant_id,
                            attribute_id: *attribute_id,
                            attribute_value_id: *value_id,
                            distributor_id: d,
                            position: i32::try_from(position).unwrap_or(i32::MAX),
                        });
                    }
                    let attributes: Vec<Value> = parts
                        .iter()
                        .map(|(a, _, value)| json!({"attribute": if *a == color { "Color" } else { "Size" }, "value": value}))
                        .collect();
                    catalog
                        .variant_info
                        .push(VariantInfo { attributes: Value::Array(attributes), supplier: supplier.clone() });
                    w.variants.push(bulk::Variant {
                        id: variant_id,
                        distributor_id: d,
                        product_id: id,
                        supplier_id: supplier.id,
                        description: String::new(),
                        vendor_cost: cost,
                        value_ids,
                        sku,
                        created_at: created,
                        modified_at: created,
                    });
                    variant_colors.push(*c);
                }
            }
            catalog.products.push(ProductInfo {
                kind,
                type_index,
                variants: first_variant..w.variants.len(),
                colors: variant_colors,
            });
            w.products.push(bulk::Product {
                id,
                distributor_id: d,
                product_type_id: type_ids[type_index],
                name,
                item_number,
                description,
                is_deleted: false,
                created_at: created,
                modified_at: created,
            });
        }
        catalog
    }

    #[allow(clippy::too_many_arguments, reason = "one distributor's parts")]
    fn campaigns(
        &mut self,
        w: &mut World,
        d: i64,
        share: Share,
        clients: &mut [Client],
        authors: &[i64],
        sales: &[i64],
        vendors: &Vendors,
    ) {
        let mut names = BTreeSet::new();
        let mut open: Option<(usize, usize)> = None;
        for n in 0..share.campaigns {
            // Every distributor has each status; then 30% active, 30% complete, 20% each draft and closed.
            let status = if n < 4 {
                Status::ALL[n]
            } else {
                match self.rng.random_range(0..10) {
                    0 | 1 => Status::Draft,
                    2..=4 => Status::Active,
                    5 | 6 => Status::Closed,
                    _ => Status::Complete,
                }
            };
            let c = self.rng.random_range(0..clients.len());
            let store = match n {
                1 if share.big > 0 => Store::Big,
                3 => Store::Open,
                _ => Store::Ordinary,
            };
            let big = store == Store::Big;
            let (start, end) = match status {
                Status::Complete => {
                    let start = days(anchor(), -self.rng.random_range(150..900));
                    (start, days(start, self.rng.random_range(14..60)))
                }
                Status::Closed => {
                    let end = days(anchor(), -self.rng.random_range(1..60));
                    (days(end, -self.rng.random_range(14..60)), end)
                }
                Status::Active => {
                    let start = days(anchor(), -self.rng.random_range(0..45));
                    (start, days(anchor(), self.rng.random_range(180..540)))
                }
                Status::Draft => {
                    let start = days(anchor(), self.rng.random_range(14..120));
                    (start, days(start, self.rng.random_range(14..60)))
                }
            };
            // The big campaign has been open for a season: its orders spread over three months.
            let start = if big { days(anchor(), -90) } else { start };
            // Drafts may still be missing their dates.
            let dated = status != Status::Draft || self.rng.random_bool(0.7);
            let occasion = *self.pick(words::OCCASIONS);
            let company = clients[c].name.clone();
            let year = chrono::Datelike::year(&start);
            let name = Self::unique(&mut names, format!("{company} {occasion} {year}"));
            let settings =
                self.settings(name, company, status, dated.then_some((start, end)), &vendors.pick_pack, store);
            let id = take(&mut self.next.campaigns);
            let created = at(days(start, -self.rng.random_range(7..60)), self.rng.random_range(8 * 3600..18 * 3600));
            let author = *self.pick(authors);
            w.campaigns.push(campaign_row(id, d, status, &settings, author, created));

            // Members: the client's buyers, one sales executive, and the
            // client's shoppers (each in one of the client's campaigns, some
            // in two; all of them in its open store).
            if store == Store::Open {
                open = Some((w.campaigns.len() - 1, c));
            }
            let client = &mut clients[c];
            client.campaigns.push(w.campaigns.len() - 1);
            for &buyer in &client.buyers {
                w.members.push(bulk::CampaignMember {
                    campaign_id: id,
                    account_id: buyer,
                    distributor_id: d,
                    created_at: created,
                });
            }
            if let Some(&s) = sales.get(n % sales.len().max(1)) {
                w.members.push(bulk::CampaignMember {
                    campaign_id: id,
                    account_id: s,
                    distributor_id: d,
                    created_at: created,
                });
            }
            for _ in 0..self.rng.random_range(1..=4) {
                let location = self.location(id, d, &settings.company_name, created);
                w.locations.push(location);
            }
        }
        // Locations need unique nicknames per campaign.
        dedupe_nicknames(&mut w.locations);
        let big = (share.big > 0).then(|| w.campaigns.get(1).cloned()).flatten();

        for client in clients.iter() {
            if client.campaigns.is_empty() {
                continue;
            }
            for &shopper in &client.shoppers {
                let first = *self.pick(&client.campaigns);
                let mut chosen = vec![first];
                if client.campaigns.len() > 1 && self.rng.random_bool(0.2) {
                    let second = *self.pick(&client.campaigns);
                    if second != first {
                        chosen.push(second);
                    }
                }
                for i in chosen {
                    let campaign = &w.campaigns[i];
                    w.members.push(bulk::CampaignMember {
                        campaign_id: campaign.id,
                        account_id: shopper,
                        distributor_id: d,
                        created_at: campaign.created_at,
                    });
                }
            }
        }
        // The open store takes every shopper of its client, the big campaign
        // every shopper of the distributor (their orders need that many people).
        if let Some((i, c)) = open {
            let campaign = w.campaigns[i].clone();
            add_members(w, &campaign, clients[c].shoppers.iter());
        }
        if let Some(big) = big {
            add_members(w, &big, clients.iter().flat_map(|c| &c.shoppers));
        }
    }

    fn settings(
        &mut self,
        name: String,
        company: String,
        status: Status,
        dates: Option<(NaiveDate, NaiveDate)>,
        pick_pack: &[i64],
        store: Store,
    ) -> CampaignFields {
        let mut departments: Vec<String> = Vec::new();
        let k = self.rng.random_range(3..=6);
        for i in rand::seq::index::sample(&mut self.rng, words::DEPARTMENTS.len(), k).into_vec() {
            departments.push(words::DEPARTMENTS[i].to_owned());
        }
        let field = |name: &str, kind: &str, required: bool, options: &[&str]| CheckoutField {
            name: name.to_owned(),
            kind: kind.to_owned(),
            required,
            options: options.iter().map(|o| (*o).to_owned()).collect(),
        };
        let mut checkout_fields = vec![
            field("Department", "department", true, &[]),
            field("Employee ID", "text", self.rng.random_bool(0.6), &[]),
            field("Delivery location", "location", true, &[]),
        ];
        if self.rng.random_bool(0.4) {
            checkout_fields.push(field("Shirt size", "select", true, &["XS", "S", "M", "L", "XL", "2XL"]));
        }
        if self.rng.random_bool(0.2) {
            checkout_fields.push(field("Cost center", "number", false, &[]));
        }
        // One draw in 41 is no allowance at all: the company pays everything.
        let draw = self.rng.random_range(0..=40);
        let mut allowance = (draw < 40).then(|| money(draw * 500));
        let mut personal_pay = self.rng.random_bool(0.5);
        let mut items_count_limit = self.rng.random_bool(0.7).then(|| self.rng.random_range(1..=8));
        let mut price_limit = self
            .rng
            .random_bool(0.5)
            .then(|| allowance.unwrap_or_default() + money(self.rng.random_range(0..=20) * 500));
        match store {
            Store::Ordinary => {}
            // No limits; what the allowance does not cover, the shopper pays.
            Store::Open => (personal_pay, items_count_limit, price_limit) = (true, None, None),
            // Likewise, with an allowance its shoppers' dozens of orders soon
            // use up, so most of them are split with a payroll deduction.
            Store::Big => {
                (allowance, personal_pay, items_count_limit, price_limit) = (Some(money(25_000)), true, None, None);
            }
        }
        let po = (status != Status::Draft).then(|| format!("PO-{}", self.rng.random_range(10_000..99_999)));
        let message = format!(
            "Welcome to the {company} store! {}",
            match allowance {
                None => "Your company covers everything you order.".to_owned(),
                Some(a) if a.is_zero() => "Order what your team needs; delivery is free.".to_owned(),
                Some(a) => format!("The first ${} is on us.", domain::money::to_wire(a)),
            }
        );
        CampaignFields {
            company_name: company,
            start_date: dates.map(|d| d.0),
            end_date: dates.map(|d| d.1),
            storefront_pricing: self.rng.random_bool(0.8),
            company_allowance: allowance,
            personal_pay,
            items_count_limit,
            price_limit,
            email_shopper: self.rng.random_bool(0.6),
            checkout_fields,
            departments,
            message,
            bfl_cost: money(self.rng.random_range(0..=6) * 25),
            distributor_po: po,
            pick_pack_partner_id: if self.rng.random_bool(0.7) {
                pick_pack.choose(&mut self.rng).copied()
            } else {
                None
            },
            pick_pack_partner_message: String::new(),
            ..CampaignFields::named(name)
        }
    }

    fn location(&mut self, campaign_id: i64, d: i64, company: &str, created: DateTime<Utc>) -> bulk::Location {
        let (street, suite, city, zip, state) = self.street_address();
        let site = *self.pick(words::SITES);
        let contact_first: String = FirstName().fake_with_rng(&mut self.rng);
        let contact_last: String = LastName().fake_with_rng(&mut self.rng);
        let phone = format!("+1 {} 555 {:04}", self.rng.random_range(201..990), self.rng.random_range(100..10_000));
        bulk::Location {
            id: take(&mut self.next.locations),
            campaign_id,
            distributor_id: d,
            nickname: format!("{city} {site}"),
            company_name: company.to_owned(),
            street_and_number: street,
            suite_unit: suite,
            city,
            zip_code: zip,
            region: state,
            country: "US".to_owned(),
            delivery_contact: format!("{contact_first} {contact_last}, {phone}"),
            created_at: created,
            modified_at: created,
        }
    }

    fn items(&mut self, w: &mut World, total_items: usize, catalog: &Catalog, vendors: &Vendors, ow_cost: Decimal) {
        if catalog.products.is_empty() || w.campaigns.is_empty() {
            return;
        }
        let weights: Vec<f64> = w.campaigns.iter().map(|_| self.rng.random_range(0.5..1.5)).collect();
        let per_campaign = split(total_items, &weights, 1);
        let campaigns = w.campaigns.clone();
        for (campaign, want) in campaigns.iter().zip(per_campaign) {
            let frozen_at = (campaign.status != Status::Draft.as_str())
                .then(|| at(campaign.start_date.unwrap_or_else(anchor), 8 * 3600));
            let company = campaign.company_name.clone();
            let mut order: Vec<usize> = (0..catalog.products.len()).collect();
            order.shuffle(&mut self.rng);
            let mut bins = 0;
            let mut added = 0;
            for p in order {
                if added >= want {
                    break;
                }
                let product = &catalog.products[p];
                // Apparel in one or two colours (every size); other products in some colours.
                let mut colors: Vec<Option<usize>> = product.colors.clone();
                colors.dedup();
                colors.shuffle(&mut self.rng);
                let keep =
                    if product.type_index == 0 { self.rng.random_range(1..=2) } else { self.rng.random_range(1..=3) };
                colors.truncate(keep);
                let decorations = self.decorations(product.kind, &company, vendors);
                let margin = money(self.rng.random_range(50..=90) * 50);
                let ow_override = self.rng.random_bool(0.15).then(|| money(self.rng.random_range(0..=6) * 25));
                for v in product.variants.clone() {
                    if added >= want {
                        break;
                    }
                    if !colors.contains(&product.colors[v - product.variants.start]) {
                        continue;
                    }
                    let bin_id = (frozen_at.is_some()
                        && campaign.status != Status::Active.as_str()
                        && self.rng.random_bool(0.6))
                    .then(|| {
                        bins += 1;
                        format!("B-{bins:03}")
                    });
                    let item = derive_item(ItemInputs {
                        id: take(&mut self.next.items),
                        campaign,
                        variant: &w.variants[v],
                        info: &catalog.variant_info[v],
                        product: &w.products[p],
                        type_name: catalog.type_names[product.type_index],
                        ow_cost: ow_override,
                        distributor_ow_cost: ow_cost,
                        margin,
                        decorations: &decorations,
                        bin_id,
                        frozen_at,
                    });
                    w.items.push(item);
                    added += 1;
                }
            }
        }
    }

    fn decorations(&mut self, kind: &Kind, company: &str, vendors: &Vendors) -> Vec<Decoration> {
        let n = match kind.locations.len() {
            1 => self.rng.random_range(0..=1),
            _ => self.rng.random_range(1..=2),
        };
        let mut locations: Vec<&str> = kind.locations.to_vec();
        locations.shuffle(&mut self.rng);
        locations
            .into_iter()
            .take(n)
            .map(|location| {
                let (decorator, verb) = self.pick(&vendors.decorators).clone();
                let colours = self.rng.random_range(1..=4);
                Decoration {
                    location: location.to_owned(),
                    logo_description: format!("{colours}-colour {company} logo, {verb}"),
                    cost: money(self.rng.random_range(5..=70) * 5),
                    decorator,
                }
            })
            .collect()
    }
}

#[derive(Default)]
struct Vendors {
    apparel: Vec<VendorInfo>,
    drinkware: Vec<VendorInfo>,
    paper: Vec<VendorInfo>,
    decorators: Vec<(VendorInfo, &'static str)>,
    pick_pack: Vec<i64>,
}

struct Catalog {
    products: Vec<ProductInfo>,
    /// Per variant (world index): its copies for items.
    variant_info: Vec<VariantInfo>,
    type_names: [&'static str; 4],
}

/// A product type as the generator builds it.
struct TypeSpec<'a> {
    name: &'static str,
    /// Attribute ids, in the type's order.
    attributes: Vec<i64>,
    suppliers: &'a [VendorInfo],
    kinds: &'static [Kind],
}

struct VariantInfo {
    attributes: Value,
    supplier: VendorInfo,
}

#[derive(Clone)]
struct Decoration {
    location: String,
    logo_description: String,
    cost: Decimal,
    decorator: VendorInfo,
}

fn value_row(
    id: i64,
    attribute_id: i64,
    d: i64,
    name: &str,
    position: usize,
    at: DateTime<Utc>,
) -> bulk::AttributeValue {
    bulk::AttributeValue {
        id,
        attribute_id,
        distributor_id: d,
        name: name.to_owned(),
        position: i32::try_from(position).unwrap_or(i32::MAX),
        created_at: at,
        modified_at: at,
    }
}

fn campaign_row(
    id: i64,
    d: i64,
    status: Status,
    s: &CampaignFields,
    author: i64,
    created: DateTime<Utc>,
) -> bulk::Campaign {
    let checkout_fields: Vec<Value> = s
        .checkout_fields
        .iter()
        .map(|f| json!({"name": f.name, "kind": f.kind, "required": f.required, "options": f.options}))
        .collect();
    bulk::Campaign {
        id,
        distributor_id: d,
        name: s.name.clone(),
        company_name: s.company_name.clone(),
        status: status.as_str().to_owned(),
        start_date: s.start_date,
        end_date: s.end_date,
        storefront_pricing: s.storefront_pricing,
        company_allowance: s.company_allowance,
        personal_pay: s.personal_pay,
        items_count_limit: s.items_count_limit.and_then(|n| i32::try_from(n).ok()),
        price_limit: s.price_limit,
        email_shopper: s.email_shopper,
        checkout_fields: Value::Array(checkout_fields),
        departments: s.departments.clone(),
        message: s.message.clone(),
        bfl_cost: s.bfl_cost,
        distributor_po: s.distributor_po.clone(),
        pick_pack_partner_id: s.pick_pack_partner_id,
        pick_pack_partner_message: s.pick_pack_partner_message.clone(),
        created_by: Some(author),
        created_at: created,
        modified_at: created,
    }
}

/// Makes `shoppers` members of `campaign`, those not members already.
fn add_members<'a>(w: &mut World, campaign: &bulk::Campaign, shoppers: impl Iterator<Item = &'a i64>) {
    let already: BTreeSet<i64> =
        w.members.iter().filter(|m| m.campaign_id == campaign.id).map(|m| m.account_id).collect();
    for &shopper in shoppers {
        if !already.contains(&shopper) {
            w.members.push(bulk::CampaignMember {
                campaign_id: campaign.id,
                account_id: shopper,
                distributor_id: campaign.distributor_id,
                created_at: campaign.created_at,
            });
        }
    }
}

/// Gives every location of a campaign a distinct nickname (`Springfield office 2`).
fn dedupe_nicknames(locations: &mut [bulk::Location]) {
    let mut seen: BTreeSet<(i64, String)> = BTreeSet::new();
    for l in locations.iter_mut() {
        let base = l.nickname.clone();
        let mut n = 2;
        while !seen.insert((l.campaign_id, l.nickname.to_lowercase())) {
            l.nickname = format!("{base} {n}");
            n += 1;
        }
    }
}

struct ItemInputs<'a> {
    id: i64,
    campaign: &'a bulk::Campaign,
    variant: &'a bulk::Variant,
    info: &'a VariantInfo,
    product: &'a bulk::Product,
    type_name: &'a str,
    ow_cost: Option<Decimal>,
    distributor_ow_cost: Decimal,
    margin: Decimal,
    decorations: &'a [Decoration],
    bin_id: Option<String>,
    frozen_at: Option<DateTime<Utc>>,
}

/// An item with the derived columns `storage::derived` would store, computed
/// with the domain's rules.
fn derive_item(i: ItemInputs<'_>) -> bulk::CampaignItem {
    let costs: Vec<Decimal> = i.decorations.iter().map(|d| d.cost).collect();
    let applied_ow_cost = i.ow_cost.unwrap_or(i.distributor_ow_cost);
    let total = total(i.variant.vendor_cost, i.campaign.bfl_cost, applied_ow_cost, &costs);
    // Margins are generated below 100, so a price always exists.
    let price = price(total, i.margin).unwrap_or(total);
    let decorations: Vec<Value> = i
        .decorations
        .iter()
        .map(|d| {
            let mut v = crate::apply_catalog::decoration(&d.location, &d.logo_description, d.cost, d.decorator.id);
            if let Value::Object(map) = &mut v {
                map.insert("decorator_name".into(), Value::String(d.decorator.name.clone()));
                map.insert("decorator_email".into(), Value::String(d.decorator.email.clone()));
                map.insert("decorator_address".into(), Value::String(d.decorator.address.clone()));
            }
            v
        })
        .collect();
    let created = i.campaign.created_at + TimeDelta::hours(2);
    bulk::CampaignItem {
        id: i.id,
        campaign_id: i.campaign.id,
        distributor_id: i.campaign.distributor_id,
        product_variant_id: i.variant.id,
        vendor_cost: i.variant.vendor_cost,
        ow_cost: i.ow_cost,
        margin: i.margin,
        decorations: Value::Array(decorations),
        bin_id: i.bin_id,
        sku: item_sku(&i.variant.sku, i.decorations.iter().map(|d| d.location.as_str())),
        product_id: i.product.id,
        product_name: i.product.name.clone(),
        product_type_name: i.type_name.to_owned(),
        item_number: i.product.item_number.clone(),
        description: i.product.description.clone(),
        attributes: i.info.attributes.clone(),
        supplier_id: i.info.supplier.id,
        supplier_name: i.info.supplier.name.clone(),
        supplier_email: i.info.supplier.email.clone(),
        supplier_address: i.info.supplier.address.clone(),
        bfl_cost: i.campaign.bfl_cost,
        applied_ow_cost,
        decoration_cost: costs.iter().copied().sum(),
        total,
        price,
        frozen_at: i.frozen_at,
        created_at: created,
        modified_at: created,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashes() -> Hashes {
        Hashes { manager: "m".into(), sales: "s".into(), buyer: "b".into(), shopper: "p".into() }
    }

    fn worlds(seed: u64) -> Vec<World> {
        Generator::new(&Sizes::times_small(0.2), seed, Starts::after(&[]), hashes(), &["Acme Promo"])
            .filter_map(|piece| match piece {
                Piece::World(w) => Some(*w),
                Piece::Orders(_) => None,
            })
            .collect()
    }

    #[test]
    fn sizes_scale_from_small_to_large() {
        assert_eq!(Sizes::times_small(100.0), Sizes::LARGE);
        let small = Sizes::times_small(1.0);
        assert_eq!((small.distributors, small.accounts, small.campaigns, small.items), (2, 2_000, 20, 1_000));
        assert_eq!(Sizes::times_small(10.0).distributors, 5);
    }

    #[test]
    fn splits_add_up() {
        assert_eq!(split(10, &[1.0, 1.0, 2.0], 0), [3, 2, 5]);
        let parts = split(1_000, &[0.5, 1.2, 0.9], 4);
        assert_eq!(parts.iter().sum::<usize>(), 1_000);
        assert_eq!(split(2, &[1.0, 1.0, 1.0], 4), [4, 4, 4]);
    }

    #[test]
    fn the_same_seed_gives_the_same_rows() {
        let (a, b, c) = (worlds(7), worlds(7), worlds(8));
        assert_eq!(a.len(), 2);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.accounts, y.accounts);
            assert_eq!(x.items, y.items);
            assert_eq!(x.campaigns, y.campaigns);
        }
        assert_ne!(a[0].accounts, c[0].accounts);
    }

    #[test]
    fn generated_rows_meet_the_api_rules() {
        use validators::account::{email_issue, username_issue};
        for w in worlds(42) {
            for a in &w.accounts {
                assert_eq!(username_issue(&a.username), None, "{}", a.username);
                assert_eq!(email_issue("email", &a.email), None, "{}", a.email);
            }
            let statuses: BTreeSet<&str> = w.campaigns.iter().map(|c| c.status.as_str()).collect();
            assert_eq!(statuses.len(), 4);
            for c in &w.campaigns {
                let fields: Vec<CheckoutField> = serde_json::from_value(c.checkout_fields.clone()).unwrap_or_default();
                let s = CampaignFields {
                    company_name: c.company_name.clone(),
                    start_date: c.start_date,
                    end_date: c.end_date,
                    company_allowance: c.company_allowance,
                    items_count_limit: c.items_count_limit.map(i64::from),
                    price_limit: c.price_limit,
                    checkout_fields: fields,
                    departments: c.departments.clone(),
                    message: c.message.clone(),
                    bfl_cost: c.bfl_cost,
                    distributor_po: c.distributor_po.clone(),
                    pick_pack_partner_id: c.pick_pack_partner_id,
                    ..CampaignFields::named(c.name.clone())
                };
                assert_eq!(validators::campaign::settings(&s), [], "{}", c.name);
                if c.status != "draft" {
                    assert_eq!(validators::campaign::activation(&s), [], "{}", c.name);
                }
            }
            for l in &w.locations {
                let fields = domain::campaign::LocationFields {
                    nickname: l.nickname.clone(),
                    company_name: l.company_name.clone(),
                    street_and_number: l.street_and_number.clone(),
                    suite_unit: l.suite_unit.clone(),
                    city: l.city.clone(),
                    zip_code: l.zip_code.clone(),
                    region: l.region.clone(),
                    country: l.country.clone(),
                    delivery_contact: l.delivery_contact.clone(),
                };
                assert_eq!(validators::location::location(&fields), [], "{}", l.nickname);
            }
            for i in &w.items {
                assert_eq!(price(i.total, i.margin), Some(i.price));
                assert_eq!(
                    i.frozen_at.is_some(),
                    w.campaigns.iter().any(|c| c.id == i.campaign_id && c.status != "draft")
                );
            }
        }
    }
}
