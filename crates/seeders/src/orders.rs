//! The orders of `promostore seed --scale`: what the shoppers of active,
//! closed and complete campaigns bought, with each order's lines, allowance
//! ledger entries, history (events) and a few notes.
//!
//! **Every order is one checkout would accept.** A basket is filled line by
//! line, and a line goes in only if `domain::shopping::checkout(rules,
//! ordered, used, basket)` accepts the basket with it, given what the
//! shopper's earlier orders in the campaign add up to (cancelled ones left
//! out) and what they took of the allowance; the order's split is that
//! function's answer. So the limits and the allowance rule hold
//! cumulatively, per shopper and campaign, by the domain's own code, and a
//! shopper whose room is used up stops ordering. Ledger balances are
//! `domain::order::balance`; statuses are walked with
//! `domain::order::Status::next` and every step's actor is one
//! `domain::order::transition` accepts.
//!
//! **Two steps per distributor.** `Orders::plan` decides every order of
//! every campaign first, as a light `Plan` (whose, which lines, the split,
//! cancelled or not): shoppers take turns, round after round, until the
//! campaign has its share of the orders or nobody has room left; orders a
//! campaign had no room for go to campaigns that still have room (then to
//! the next distributor), so the total stays near `Sizes::orders`. Then
//! `Orders::next_chunk` writes the rows campaign by campaign, in order of
//! time (ids and order numbers follow the order they were placed in), a few
//! thousand orders at a time, so memory holds one distributor's plans, never
//! its rows.
//!
//! **Histories.** A shopper's orders are spread over the campaign's dates
//! (from its start to its end, or to [`crate::generate::now`] for an active
//! one). After the `created` event (written as `storage::shopping::place_order`
//! writes it), one `status_changed` event per step of the machine: complete
//! campaigns' orders are mostly delivered, closed ones' ordered, shipped or
//! delivered, active ones' anywhere from processing to shipped (a step not
//! yet due by now is not taken), and about 5% are cancelled, from processing
//! or approved. A cancellation gives the allowance back with a ledger entry
//! before the shopper's next order, so ids and time agree on what the next
//! checkout saw. About 5% of orders carry a note, some of them edited once:
//! their replaced text is an `order_note_versions` row written here, since
//! the table's trigger fires only on UPDATE and these notes are COPYed.

use crate::generate::{Starts, World, at, days, now, split, take};
use crate::json_text::{Object, array};
use crate::words;
use chrono::{DateTime, TimeDelta, Utc};
use domain::Role;
use domain::campaign::{CheckoutField, CheckoutFieldKind, Status as CampaignStatus};
use domain::money::to_wire;
use domain::order::{Actor, Status, balance, transition};
use domain::shopping::{Limits, Line, Rules, Split, Usage, checkout, order_number, usage_of};
use rand::Rng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use storage::bulk;

/// Share of orders cancelled (before they are ordered from the supplier).
const CANCELLED: f64 = 0.05;
/// Share of orders with a note, and of notes edited once.
const NOTED: f64 = 0.05;
const EDITED: f64 = 0.15;
/// The most turns a shopper gets in one campaign (so a campaign without
/// limits cannot take every order the others had no room for).
const MAX_ROUNDS: u32 = 120;
/// How often the orders a campaign had no room for are offered again to
/// the campaigns that still have room.
const PASSES: usize = 4;
/// Orders written per chunk: a few MiB of rows.
const CHUNK_ORDERS: usize = 4_000;
/// Lines per order, 1 to 6 (weights; mean 3.47 where no limit shrinks them).
const LINES: [u32; 6] = [10, 18, 24, 22, 15, 11];

/// Rows of the order tables, handed over a chunk at a time.
#[derive(Debug, Default, Clone)]
pub struct OrderRows {
    pub orders: Vec<bulk::Order>,
    pub items: Vec<bulk::OrderItem>,
    pub ledger: Vec<bulk::LedgerEntry>,
    pub events: Vec<bulk::OrderEvent>,
    pub notes: Vec<bulk::OrderNote>,
    pub note_versions: Vec<bulk::OrderNoteVersion>,
}

/// How many orders a distributor's campaigns should get.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Want {
    /// Over all its campaigns but the big one.
    pub orders: usize,
    /// The big campaign's id and orders.
    pub big: Option<(i64, usize)>,
}

/// How many orders [`Orders::plan`] placed: never more than it was asked for.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Placed {
    pub regular: usize,
    pub big: usize,
}

/// An item of a campaign as an order line copies it.
struct Item {
    id: i64,
    price: Decimal,
    sku: String,
    product_name: String,
    /// The members of its line in a `created` event that do not depend on
    /// the quantity.
    line: Object,
}

/// A campaign as its orders need it.
struct Shop {
    id: i64,
    status: CampaignStatus,
    rules: Rules,
    /// When orders were placed: from `opens` to before `closes`.
    opens: DateTime<Utc>,
    closes: DateTime<Utc>,
    items: Vec<Item>,
    cheapest: usize,
    /// Active shopper members (deactivated ones cannot log in to order).
    shoppers: Vec<i64>,
    /// Admin buyer members: they approve, cancel and write notes.
    buyers: Vec<i64>,
    /// Delivery locations: id and the copy an order keeps (JSON text).
    locations: Vec<(i64, String)>,
    departments: Vec<String>,
    fields: Vec<CheckoutField>,
}

/// One order, decided: its lines are `(index into the shop's items, quantity)`.
struct Plan {
    shopper: u32,
    lines: Vec<(u32, i64)>,
    usage: Usage,
    split: Split,
    cancelled: bool,
}

/// What a shopper has ordered so far in one campaign.
struct Shopper {
    ordered: Usage,
    used: Decimal,
    /// The chance they order on a turn.
    eagerness: f64,
    /// No room left (or stopped ordering).
    done: bool,
}

/// One campaign's orders being decided.
struct Sim {
    shop: Shop,
    shoppers: Vec<Shopper>,
    /// The order shoppers take turns in, and where the current round is.
    turns: Vec<u32>,
    cursor: usize,
    rounds: u32,
    plans: Vec<Plan>,
}

/// A distributor's orders: decided by [`Orders::plan`], written by [`Orders::next_chunk`].
pub(crate) struct Orders {
    distributor_id: i64,
    name: String,
    /// Managers and sales executives.
    staff: Vec<i64>,
    sims: std::vec::IntoIter<Sim>,
    writing: Option<Writing>,
}

impl Orders {
    /// Decides the orders of `w`'s campaigns (see the module documentation).
    pub(crate) fn plan(w: &World, want: Want, rng: &mut ChaCha8Rng) -> (Orders, Placed) {
        let staff: Vec<i64> = w
            .accounts
            .iter()
            .filter(|a| a.role == Role::DistributorManager.as_str() || a.role == Role::SalesExecutive.as_str())
            .map(|a| a.id)
            .collect();
        let mut sims: Vec<Sim> = shops(w).into_iter().map(|shop| Sim::new(shop, rng)).collect();
        let big = want.big.and_then(|(id, n)| sims.iter().position(|s| s.shop.id == id).map(|i| (i, n)));
        let mut placed = Placed::default();
        if let Some((i, n)) = big {
            sims[i].run(n, rng);
            placed.big = sims[i].plans.len();
        }
        let regular: Vec<usize> = (0..sims.len()).filter(|&i| big.is_none_or(|(b, _)| b != i)).collect();
        let weights: Vec<f64> =
            regular.iter().map(|&i| sims[i].shoppers.len() as f64 * rng.random_range(0.5..1.5)).collect();
        let mut targets = split(want.orders, &weights, 0);
        for (&i, &target) in regular.iter().zip(&targets) {
            sims[i].run(target, rng);
        }
        // What campaigns had no room for goes to those that still have some.
        for _ in 0..PASSES {
            let done: usize = regular.iter().map(|&i| sims[i].plans.len()).sum();
            let short = want.orders.saturating_sub(done);
            let open: Vec<usize> = (0..regular.len()).filter(|&k| sims[regular[k]].is_open()).collect();
            if short == 0 || open.is_empty() {
                break;
            }
            let weights: Vec<f64> = open.iter().map(|&k| targets[k].max(1) as f64).collect();
            for (&k, extra) in open.iter().zip(split(short, &weights, 0)) {
                targets[k] = sims[regular[k]].plans.len() + extra;
                sims[regular[k]].run(targets[k], rng);
            }
        }
        placed.regular = regular.iter().map(|&i| sims[i].plans.len()).sum();
        let distributor = w.distributors.first();
        let orders = Orders {
            distributor_id: distributor.map_or(0, |d| d.id),
            name: distributor.map_or_else(String::new, |d| d.name.clone()),
            staff,
            sims: sims.into_iter(),
            writing: None,
        };
        (orders, placed)
    }

    /// The rows of the next orders (up to [`CHUNK_ORDERS`]), with ids and
    /// order numbers taken from `next`; `None` when all are written.
    pub(crate) fn next_chunk(&mut self, rng: &mut ChaCha8Rng, next: &mut Starts) -> Option<OrderRows> {
        loop {
            if let Some(writing) = &mut self.writing
                && writing.cursor < writing.queue.len()
            {
                let ctx = Ctx { distributor_id: self.distributor_id, name: &self.name, staff: &self.staff };
                return Some(writing.chunk(&ctx, rng, next));
            }
            let sim = self.sims.next()?;
            self.writing = Some(Writing::new(sim, rng));
        }
    }
}

/// The campaigns of `w` that take orders, with what their orders need.
fn shops(w: &World) -> Vec<Shop> {
    let mut items: BTreeMap<i64, Vec<Item>> = BTreeMap::new();
    for i in &w.items {
        let line = Object::with_capacity(160)
            .num("campaign_item_id", i.id)
            .str("sku", &i.sku)
            .str("product_name", &i.product_name)
            .str("unit_price", &to_wire(i.price));
        items.entry(i.campaign_id).or_default().push(Item {
            id: i.id,
            price: i.price,
            sku: i.sku.clone(),
            product_name: i.product_name.clone(),
            line,
        });
    }
    let accounts: BTreeMap<i64, &bulk::Account> = w.accounts.iter().map(|a| (a.id, a)).collect();
    let mut shoppers: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    let mut buyers: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for m in &w.members {
        match accounts.get(&m.account_id) {
            Some(a) if a.role == Role::Shopper.as_str() && a.active => {
                shoppers.entry(m.campaign_id).or_default().push(a.id);
            }
            Some(a) if a.role == Role::AdminBuyer.as_str() => buyers.entry(m.campaign_id).or_default().push(a.id),
            _ => {}
        }
    }
    let mut locations: BTreeMap<i64, Vec<(i64, String)>> = BTreeMap::new();
    for l in &w.locations {
        locations.entry(l.campaign_id).or_default().push((l.id, location_copy(l)));
    }
    let mut out = Vec::new();
    for c in &w.campaigns {
        let Ok(status) = c.status.parse::<CampaignStatus>() else { continue };
        let (Some(start), Some(end)) = (c.start_date, c.end_date) else { continue };
        if status == CampaignStatus::Draft {
            continue;
        }
        let items = items.remove(&c.id).unwrap_or_default();
        let cheapest = (0..items.len()).min_by_key(|&i| (items[i].price, i)).unwrap_or(0);
        let opens = at(start, 6 * 3600);
        // Orders come while the store is open: until its last day ends, or now.
        let closes = if status == CampaignStatus::Active { now() } else { at(days(end, 1), 0).min(now()) };
        out.push(Shop {
            id: c.id,
            status,
            rules: Rules {
                limits: Limits { items_count: c.items_count_limit.map(i64::from), price: c.price_limit },
                allowance: c.company_allowance,
                personal_pay: c.personal_pay,
            },
            opens,
            closes: closes.max(opens + TimeDelta::hours(1)),
            items,
            cheapest,
            shoppers: shoppers.remove(&c.id).unwrap_or_default(),
            buyers: buyers.remove(&c.id).unwrap_or_default(),
            locations: locations.remove(&c.id).unwrap_or_default(),
            departments: c.departments.clone(),
            // Written from `CheckoutField`s by the generator, so they read back.
            fields: serde_json::from_value(c.checkout_fields.clone()).unwrap_or_default(),
        });
    }
    out
}

impl Sim {
    fn new(shop: Shop, rng: &mut ChaCha8Rng) -> Sim {
        let shoppers: Vec<Shopper> = shop
            .shoppers
            .iter()
            .map(|_| Shopper {
                ordered: Usage::ZERO,
                used: Decimal::ZERO,
                eagerness: rng.random_range(0.3..1.0),
                done: false,
            })
            .collect();
        let mut turns: Vec<u32> = (0..shoppers.len()).filter_map(|i| u32::try_from(i).ok()).collect();
        turns.shuffle(rng);
        Sim { shop, shoppers, turns, cursor: 0, rounds: 0, plans: Vec::new() }
    }

    /// Whether a shopper may still order here.
    fn is_open(&self) -> bool {
        self.rounds < MAX_ROUNDS && !self.shop.items.is_empty() && self.shoppers.iter().any(|s| !s.done)
    }

    /// Shoppers take turns until the campaign has `until` orders or nobody has room.
    fn run(&mut self, until: usize, rng: &mut ChaCha8Rng) {
        while self.plans.len() < until && self.is_open() {
            while self.cursor < self.turns.len() && self.plans.len() < until {
                let s = self.turns[self.cursor] as usize;
                self.cursor += 1;
                if self.shoppers[s].done || !rng.random_bool(self.shoppers[s].eagerness) {
                    continue;
                }
                match self.decide(s, rng) {
                    Some(plan) => {
                        let shopper = &mut self.shoppers[s];
                        if !plan.cancelled {
                            shopper.ordered = shopper.ordered.plus(plan.usage);
                            shopper.used += plan.split.allowance_applied;
                        }
                        self.plans.push(plan);
                    }
                    None => self.shoppers[s].done = true,
                }
            }
            if self.cursor >= self.turns.len() {
                self.cursor = 0;
                self.rounds += 1;
            }
        }
    }

    /// Shopper `s`'s next order: a basket of 1–6 items, each line kept only
    /// if checkout accepts the basket with it (at the quantity wanted, else
    /// one). When none fits, one of the cheapest item if that fits, and the
    /// shopper is done; `None` when not even that fits.
    fn decide(&mut self, s: usize, rng: &mut ChaCha8Rng) -> Option<Plan> {
        let shop = &self.shop;
        let (ordered, used) = (self.shoppers[s].ordered, self.shoppers[s].used);
        let fits = |basket: Usage| checkout(shop.rules, ordered, used, basket).is_ok();
        let k = pick_weighted(rng, &LINES) + 1;
        let picks = rand::seq::index::sample(rng, shop.items.len(), k.min(shop.items.len()));
        let mut lines = Vec::with_capacity(k);
        let mut basket = Usage::ZERO;
        for i in picks.iter() {
            let wanted = match rng.random_range(0..100) {
                0..78 => 1,
                78..92 => 2,
                92..97 => 3,
                _ => rng.random_range(4..=6),
            };
            for quantity in [wanted, 1].into_iter().take(if wanted > 1 { 2 } else { 1 }) {
                let with = basket.plus(usage_of([Line { quantity, unit_price: shop.items[i].price }]));
                if fits(with) {
                    lines.push((u32::try_from(i).unwrap_or(u32::MAX), quantity));
                    basket = with;
                    break;
                }
            }
        }
        if lines.is_empty() {
            let with = usage_of([Line { quantity: 1, unit_price: shop.items.get(shop.cheapest)?.price }]);
            if !fits(with) {
                return None;
            }
            lines.push((u32::try_from(shop.cheapest).unwrap_or(u32::MAX), 1));
            basket = with;
            self.shoppers[s].done = true;
        }
        let split = checkout(shop.rules, ordered, used, basket).ok()?;
        Some(Plan {
            shopper: u32::try_from(s).unwrap_or(u32::MAX),
            lines,
            usage: basket,
            split,
            cancelled: rng.random_bool(CANCELLED),
        })
    }
}

/// An index drawn with the given weights.
fn pick_weighted(rng: &mut ChaCha8Rng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut roll = rng.random_range(0..total.max(1));
    for (i, &w) in weights.iter().enumerate() {
        if roll < w {
            return i;
        }
        roll -= w;
    }
    0
}

/// What writing needs of the distributor.
struct Ctx<'a> {
    distributor_id: i64,
    name: &'a str,
    staff: &'a [i64],
}

/// One campaign's planned orders being written, in order of time.
struct Writing {
    sim: Sim,
    /// When each plan was placed, and the shopper's next plan after it.
    placed_at: Vec<DateTime<Utc>>,
    next_at: Vec<Option<DateTime<Utc>>>,
    /// Plan indexes by time.
    queue: Vec<u32>,
    cursor: usize,
    /// What each shopper's orders written so far took of the allowance.
    used: Vec<Decimal>,
}

impl Writing {
    /// Gives every plan its time: each shopper's orders at random instants
    /// of the campaign's window, in the order they were decided.
    fn new(sim: Sim, rng: &mut ChaCha8Rng) -> Writing {
        let mut by_shopper: Vec<Vec<u32>> = vec![Vec::new(); sim.shoppers.len()];
        for (p, plan) in sim.plans.iter().enumerate() {
            by_shopper[plan.shopper as usize].push(u32::try_from(p).unwrap_or(u32::MAX));
        }
        let span = micros(sim.shop.closes - sim.shop.opens).max(1);
        let mut placed_at = vec![sim.shop.opens; sim.plans.len()];
        let mut next_at = vec![None; sim.plans.len()];
        for plans in &by_shopper {
            let mut offsets: Vec<i64> = plans.iter().map(|_| rng.random_range(0..span)).collect();
            offsets.sort_unstable();
            // Distinct instants, so the shopper's orders keep their order.
            let mut last = -1;
            for o in &mut offsets {
                *o = (*o).max(last + 1);
                last = *o;
            }
            for (k, &p) in plans.iter().enumerate() {
                placed_at[p as usize] = sim.shop.opens + TimeDelta::microseconds(offsets[k]);
                if k > 0 {
                    next_at[plans[k - 1] as usize] = Some(placed_at[p as usize]);
                }
            }
        }
        let mut queue: Vec<u32> = (0..sim.plans.len()).filter_map(|p| u32::try_from(p).ok()).collect();
        queue.sort_by_key(|&p| (placed_at[p as usize], p));
        let used = vec![Decimal::ZERO; sim.shoppers.len()];
        Writing { sim, placed_at, next_at, queue, cursor: 0, used }
    }

    fn chunk(&mut self, ctx: &Ctx<'_>, rng: &mut ChaCha8Rng, next: &mut Starts) -> OrderRows {
        let mut rows = OrderRows::default();
        let end = (self.cursor + CHUNK_ORDERS).min(self.queue.len());
        for q in self.cursor..end {
            let p = self.queue[q] as usize;
            self.write(p, ctx, rng, next, &mut rows);
        }
        self.cursor = end;
        rows
    }

    /// Writes plan `p`: the order, its lines, ledger entries, events and note.
    fn write(&mut self, p: usize, ctx: &Ctx<'_>, rng: &mut ChaCha8Rng, next: &mut Starts, rows: &mut OrderRows) {
        let shop = &self.sim.shop;
        let plan = &self.sim.plans[p];
        let shopper = shop.shoppers[plan.shopper as usize];
        let placed = self.placed_at[p];
        let id = take(&mut next.orders);
        let number = order_number(ctx.name, u64::try_from(take(&mut next.order_numbers)).unwrap_or_default());
        let d = ctx.distributor_id;

        // The status history: each step one the machine has, by someone it allows.
        let target = target(rng, shop.status, plan.cancelled);
        let via_approved = rng.random_bool(0.4);
        let deadline = if plan.cancelled { self.next_at[p].map_or(now(), |n| n.min(now())) } else { now() };
        let truncate = shop.status == CampaignStatus::Active && !plan.cancelled;
        let steps = history(rng, target, via_approved, placed, deadline, truncate);
        let mut events: Vec<Event> = Vec::with_capacity(steps.len() + 2);
        let mut from = Status::Processing;
        for &(to, when) in &steps {
            let actor = actor(rng, from, to, shopper, &shop.buyers, ctx.staff);
            // What `POST orders/{id}/transitions` records.
            let mut data = Object::new().str("from", from.as_str()).str("to", to.as_str()).raw("note", "null");
            if to == Status::Cancelled {
                data = data.str("allowance_returned", &to_wire(plan.split.allowance_applied));
            }
            let message = format!("{from} → {to}");
            events.push(Event { at: when, kind: "status_changed", message, actor, data: data.end() });
            from = to;
        }
        let status = from;
        let changed = steps.last().map_or(placed, |&(_, when)| when);

        // Lines, as checkout writes them, and the `created` event's copy.
        let mut placed_lines = Vec::with_capacity(plan.lines.len());
        for &(i, quantity) in &plan.lines {
            let item = &shop.items[i as usize];
            let line_total = Line { quantity, unit_price: item.price }.total();
            placed_lines.push(
                Object::with_capacity(192)
                    .merge(&item.line)
                    .num("quantity", quantity)
                    .str("line_total", &to_wire(line_total))
                    .end(),
            );
            rows.items.push(bulk::OrderItem {
                id: take(&mut next.order_items),
                order_id: id,
                distributor_id: d,
                campaign_item_id: item.id,
                sku: item.sku.clone(),
                product_name: item.product_name.clone(),
                quantity: i32::try_from(quantity).unwrap_or(i32::MAX),
                unit_price: item.price,
                line_total,
                created_at: placed,
                modified_at: placed,
            });
        }
        // The order as placed, as `storage::shopping::place_order` keeps it.
        let summary = Object::with_capacity(256 + 192 * placed_lines.len())
            .raw("lines", &array(placed_lines.iter().map(String::as_str)))
            .str("number", &number)
            .num("items_count", plan.usage.items)
            .str("subtotal", &to_wire(plan.usage.amount))
            .str("allowance_applied", &to_wire(plan.split.allowance_applied))
            .str("payroll_deduction", &to_wire(plan.split.payroll_deduction))
            .end();
        events.insert(
            0,
            Event {
                at: placed,
                kind: "created",
                message: "order created at checkout".to_owned(),
                actor: shopper,
                data: summary,
            },
        );

        // The ledger: what checkout took, and what a cancellation gave back.
        let allowance = shop.rules.allowance;
        let used = &mut self.used[plan.shopper as usize];
        *used += plan.split.allowance_applied;
        let mut entry = |kind, amount, balance, created_at| bulk::LedgerEntry {
            id: take(&mut next.ledger),
            account_id: shopper,
            campaign_id: shop.id,
            distributor_id: d,
            order_id: id,
            kind,
            amount,
            balance,
            created_at,
        };
        rows.ledger.push(entry("checkout", plan.split.allowance_applied, balance(allowance, *used), placed));
        if status == Status::Cancelled {
            *used -= plan.split.allowance_applied;
            rows.ledger.push(entry("cancellation", -plan.split.allowance_applied, balance(allowance, *used), changed));
        }

        if rng.random_bool(NOTED) {
            note(rng, id, d, placed, changed, &shop.buyers, ctx.staff, next, rows, &mut events);
        }
        // The history in order of time (the `created` event first).
        events.sort_by_key(|e| e.at);
        for e in events {
            rows.events.push(bulk::OrderEvent {
                id: take(&mut next.order_events),
                order_id: id,
                distributor_id: d,
                kind: e.kind,
                message: e.message,
                actor_id: Some(e.actor),
                data: bulk::Json(e.data),
                created_at: e.at,
            });
        }

        let (department, location) = choices(shop, shopper);
        rows.orders.push(bulk::Order {
            id,
            number,
            distributor_id: d,
            account_id: shopper,
            campaign_id: shop.id,
            status: status.as_str(),
            checkout_fields: bulk::Json(checkout_values(rng, shop, shopper, department, location.map(|l| l.0))),
            location: location.map(|l| bulk::Json(l.1.clone())),
            department: department.map(str::to_owned),
            items_count: i32::try_from(plan.usage.items).unwrap_or(i32::MAX),
            subtotal: plan.usage.amount,
            allowance_applied: plan.split.allowance_applied,
            payroll_deduction: plan.split.payroll_deduction,
            created_at: placed,
            modified_at: changed,
            // Each status change bumped it, as the API's writes do.
            version: i32::try_from(steps.len() + 1).unwrap_or(i32::MAX),
        });
    }
}

/// An event before it gets its id (events are numbered in order of time).
struct Event {
    at: DateTime<Utc>,
    kind: &'static str,
    message: String,
    actor: i64,
    /// JSON text.
    data: String,
}

fn micros(d: TimeDelta) -> i64 {
    d.num_microseconds().unwrap_or(i64::MAX)
}

/// Where an order ends up, by its campaign's status.
fn target(rng: &mut ChaCha8Rng, campaign: CampaignStatus, cancelled: bool) -> Status {
    use Status::*;
    if cancelled {
        return Cancelled;
    }
    match campaign {
        CampaignStatus::Complete => [Delivered, Shipped][pick_weighted(rng, &[97, 3])],
        CampaignStatus::Closed => [Ordered, Shipped, Delivered][pick_weighted(rng, &[20, 30, 50])],
        _ => [Processing, Approved, Ordered, Shipped][pick_weighted(rng, &[20, 25, 25, 30])],
    }
}

/// How long after the step before a step is taken (microseconds).
fn delay(rng: &mut ChaCha8Rng, to: Status) -> i64 {
    const HOUR: i64 = 3_600_000_000;
    let (lo, hi) = match to {
        Status::Approved => (HOUR, 48 * HOUR),
        Status::Ordered => (2 * HOUR, 72 * HOUR),
        Status::Shipped => (24 * HOUR, 192 * HOUR),
        Status::Delivered => (24 * HOUR, 168 * HOUR),
        Status::Cancelled => (HOUR / 6, 72 * HOUR),
        Status::Processing => (1, 2),
    };
    rng.random_range(lo..hi)
}

/// The steps from `processing` to `target` (through `approved` first when
/// `via_approved` and the machine allows either), each with its time after
/// `placed`. A step due after `deadline` is dropped when `truncate` (an
/// active campaign's order has not got there yet); otherwise the steps are
/// squeezed in before it (a cancellation comes before the shopper's next
/// order, a closed campaign's orders are ordered by now).
fn history(
    rng: &mut ChaCha8Rng,
    target: Status,
    via_approved: bool,
    placed: DateTime<Utc>,
    deadline: DateTime<Utc>,
    truncate: bool,
) -> Vec<(Status, DateTime<Utc>)> {
    let mut path = Vec::new();
    let mut at = Status::Processing;
    while at != target && path.len() < Status::ALL.len() {
        let next = at.next();
        let step =
            if next.contains(&target) && !(target == Status::Cancelled && via_approved && at == Status::Processing) {
                target
            } else if let Some(&s) = next.iter().find(|&&s| s != Status::Cancelled) {
                s
            } else {
                break;
            };
        path.push(step);
        at = step;
    }
    let mut offsets: Vec<i64> = Vec::with_capacity(path.len());
    let mut total = 0_i64;
    for &step in &path {
        total += delay(rng, step);
        offsets.push(total);
    }
    let room = micros(deadline - placed);
    if total >= room {
        if truncate {
            let kept = offsets.iter().take_while(|&&o| o < room).count();
            path.truncate(kept);
            offsets.truncate(kept);
        } else {
            // Nine tenths of the room, in proportion; each step still after the one before.
            let mut last = 0_i64;
            for o in &mut offsets {
                let squeezed = i64::try_from(i128::from(*o) * i128::from(room.max(1)) * 9 / (10 * i128::from(total)))
                    .unwrap_or(*o);
                *o = squeezed.max(last + 1);
                last = *o;
            }
        }
    }
    path.into_iter().zip(offsets).map(|(s, o)| (s, placed + TimeDelta::microseconds(o))).collect()
}

/// Who takes a step: the campaign's admin buyer approves when it has one,
/// the shopper or a buyer sometimes cancels, staff do the rest; whoever it
/// is, `domain::order::transition` allows it (staff otherwise).
fn actor(rng: &mut ChaCha8Rng, from: Status, to: Status, shopper: i64, buyers: &[i64], staff: &[i64]) -> i64 {
    let staffer = staff.choose(rng).copied().unwrap_or(shopper);
    let buyer = buyers.choose(rng).copied();
    let (who, id) = match (to, buyer) {
        (Status::Approved, Some(b)) => (Actor::AdminBuyer, b),
        (Status::Cancelled, _) if from == Status::Processing && rng.random_bool(0.4) => (Actor::Owner, shopper),
        (Status::Cancelled, Some(b)) if rng.random_bool(0.5) => (Actor::AdminBuyer, b),
        _ => (Actor::Staff, staffer),
    };
    if transition(from, to, who).is_ok() { id } else { staffer }
}

/// A note on the order by staff or the campaign's admin buyer, with its
/// `note_added` event, and sometimes an edit (by the author when a buyer
/// wrote it: buyers edit only their own) with the replaced text kept.
#[allow(clippy::too_many_arguments, reason = "one order's parts")]
fn note(
    rng: &mut ChaCha8Rng,
    order_id: i64,
    d: i64,
    placed: DateTime<Utc>,
    changed: DateTime<Utc>,
    buyers: &[i64],
    staff: &[i64],
    next: &mut Starts,
    rows: &mut OrderRows,
    events: &mut Vec<Event>,
) {
    let by_buyer = !buyers.is_empty() && rng.random_bool(0.4);
    let pool = if by_buyer { buyers } else { staff };
    let Some(&author) = pool.choose(rng) else { return };
    let body = words::NOTES.choose(rng).copied().unwrap_or("Noted.");
    let horizon = (changed + TimeDelta::days(7)).min(now());
    let written = placed + TimeDelta::microseconds(rng.random_range(1..=micros(horizon - placed).max(1)));
    let id = take(&mut next.order_notes);
    events.push(Event {
        at: written,
        kind: "note_added",
        message: "note added".to_owned(),
        actor: author,
        data: Object::new().num("note_id", id).end(),
    });
    let mut note = bulk::OrderNote {
        id,
        order_id,
        distributor_id: d,
        author_id: author,
        edited_by: author,
        body: body.to_owned(),
        is_deleted: false,
        created_at: written,
        modified_at: written,
        version: 1,
    };
    if rng.random_bool(EDITED) {
        let editor = if by_buyer { author } else { staff.choose(rng).copied().unwrap_or(author) };
        let edit = words::NOTE_EDITS.choose(rng).copied().unwrap_or("Update.");
        let edited = written + TimeDelta::microseconds(rng.random_range(1..=micros(now() - written).max(1)));
        rows.note_versions.push(bulk::OrderNoteVersion {
            id: take(&mut next.note_versions),
            note_id: id,
            distributor_id: d,
            version: 1,
            body: note.body.clone(),
            written_by: author,
            written_at: written,
        });
        events.push(Event {
            at: edited,
            kind: "note_edited",
            message: "note edited".to_owned(),
            actor: editor,
            data: Object::new().num("note_id", id).num("replaced_version", 1).end(),
        });
        note.body = format!("{body} {edit}");
        note.edited_by = editor;
        note.modified_at = edited;
        note.version = 2;
    }
    rows.notes.push(note);
}

/// The shopper's department and delivery location in this campaign: the
/// same on each of their orders.
fn choices(shop: &Shop, shopper: i64) -> (Option<&str>, Option<&(i64, String)>) {
    let nth = |len: usize| usize::try_from(shopper.unsigned_abs() % len.max(1) as u64).unwrap_or(0);
    (
        shop.departments.get(nth(shop.departments.len())).map(String::as_str),
        shop.locations.get(nth(shop.locations.len())),
    )
}

/// A value for each of the campaign's checkout fields, as a shopper fills
/// them in: every required one, most optional ones, each of its kind.
fn checkout_values(
    rng: &mut ChaCha8Rng,
    shop: &Shop,
    shopper: i64,
    department: Option<&str>,
    location: Option<i64>,
) -> String {
    let mut values = Object::new();
    for f in &shop.fields {
        if !f.required && !rng.random_bool(0.7) {
            continue;
        }
        values = match CheckoutFieldKind::parse(&f.kind) {
            Some(CheckoutFieldKind::Select) => match f.options.choose(rng) {
                Some(option) => values.str(&f.name, option),
                None => values,
            },
            Some(CheckoutFieldKind::Number) => values.num(&f.name, rng.random_range(1000..10_000)),
            Some(CheckoutFieldKind::Location) => match location {
                Some(l) => values.num(&f.name, l),
                None => values,
            },
            Some(CheckoutFieldKind::Department) => match department {
                Some(d) => values.str(&f.name, d),
                None => values,
            },
            Some(CheckoutFieldKind::Text) | None => values.str(&f.name, &format!("E-{shopper}")),
        };
    }
    values.end()
}

/// The copy of a delivery location an order keeps, as
/// `storage::shopping::location_copy` makes it at checkout.
fn location_copy(l: &bulk::Location) -> String {
    Object::with_capacity(320)
        .num("id", l.id)
        .str("nickname", &l.nickname)
        .str("company_name", &l.company_name)
        .str("street_and_number", &l.street_and_number)
        .str("suite_unit", &l.suite_unit)
        .str("city", &l.city)
        .str("zip_code", &l.zip_code)
        .str("region", &l.region)
        .str("country", &l.country)
        .str("delivery_contact", &l.delivery_contact)
        .end()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{Generator, Hashes, Piece, Sizes};
    use serde_json::Value;
    use std::collections::{BTreeMap, BTreeSet};

    /// Everything generated at a fifth of small, the orders' rows together.
    fn generated(seed: u64) -> (Vec<World>, OrderRows) {
        let hashes = Hashes { manager: "m".into(), sales: "s".into(), buyer: "b".into(), shopper: "p".into() };
        let sizes = Sizes::times_small(0.2);
        let mut worlds = Vec::new();
        let mut all = OrderRows::default();
        for piece in Generator::new(&sizes, seed, Starts::after(&[]), hashes, &["Acme Promo"]) {
            match piece {
                Piece::World(w) => worlds.push(*w),
                Piece::Orders(o) => {
                    all.orders.extend(o.orders);
                    all.items.extend(o.items);
                    all.ledger.extend(o.ledger);
                    all.events.extend(o.events);
                    all.notes.extend(o.notes);
                    all.note_versions.extend(o.note_versions);
                }
            }
        }
        (worlds, all)
    }

    fn campaigns(worlds: &[World]) -> BTreeMap<i64, &bulk::Campaign> {
        worlds.iter().flat_map(|w| &w.campaigns).map(|c| (c.id, c)).collect()
    }

    fn rules(c: &bulk::Campaign) -> Rules {
        Rules {
            limits: Limits { items_count: c.items_count_limit.map(i64::from), price: c.price_limit },
            allowance: c.company_allowance,
            personal_pay: c.personal_pay,
        }
    }

    #[test]
    fn the_orders_add_up_to_the_sizes() {
        let sizes = Sizes::times_small(0.2);
        let (worlds, rows) = generated(42);
        let n = rows.orders.len();
        // Never more than the numbers reserved, and nearly all of them: the
        // open stores take what the limited campaigns have no room for.
        assert!(n <= sizes.orders && n * 10 >= sizes.orders * 9, "{n} orders for {}", sizes.orders);
        let lines = rows.items.len() as f64 / n as f64;
        assert!((2.7..3.5).contains(&lines), "{lines} lines per order");
        // The big campaign: its share of the orders, every shopper of its distributor a member.
        let mut per_campaign: BTreeMap<i64, usize> = BTreeMap::new();
        for o in &rows.orders {
            *per_campaign.entry(o.campaign_id).or_default() += 1;
        }
        // It is the first active campaign of the distributor with the most accounts.
        let w = worlds.iter().max_by_key(|w| w.accounts.len()).unwrap();
        let c = &w.campaigns[1];
        assert_eq!(per_campaign[&c.id], sizes.big_campaign_orders);
        assert_eq!((c.status.as_str(), c.items_count_limit, c.price_limit), ("active", None, None));
        let members: BTreeSet<i64> = w.members.iter().filter(|m| m.campaign_id == c.id).map(|m| m.account_id).collect();
        assert!(w.accounts.iter().filter(|a| a.role == "shopper").all(|a| members.contains(&a.id)));
    }

    #[test]
    fn every_order_is_one_checkout_would_accept_after_the_ones_before() {
        let (worlds, rows) = generated(7);
        let campaigns = campaigns(&worlds);
        let mut lines: BTreeMap<i64, Vec<Line>> = BTreeMap::new();
        for l in &rows.items {
            assert_eq!(l.line_total, (l.unit_price * Decimal::from(l.quantity)).round_dp(2));
            lines
                .entry(l.order_id)
                .or_default()
                .push(Line { quantity: i64::from(l.quantity), unit_price: l.unit_price });
        }
        let prices: BTreeMap<i64, Decimal> = worlds.iter().flat_map(|w| &w.items).map(|i| (i.id, i.price)).collect();
        assert!(rows.items.iter().all(|l| prices[&l.campaign_item_id] == l.unit_price));
        // Replayed in order, per shopper and campaign, with the domain's checkout.
        let mut seen: BTreeMap<(i64, i64), (Usage, Decimal)> = BTreeMap::new();
        let mut orders: Vec<&bulk::Order> = rows.orders.iter().collect();
        orders.sort_by_key(|o| o.id);
        for o in orders {
            let usage = usage_of(lines[&o.id].iter().copied());
            assert_eq!((usage.items, usage.amount), (i64::from(o.items_count), o.subtotal), "order {}", o.id);
            assert_eq!(o.allowance_applied + o.payroll_deduction, o.subtotal);
            let c = campaigns[&o.campaign_id];
            assert!(c.personal_pay || o.payroll_deduction.is_zero(), "order {}", o.id);
            let (ordered, used) = seen.entry((o.account_id, o.campaign_id)).or_insert((Usage::ZERO, Decimal::ZERO));
            let split = checkout(rules(c), *ordered, *used, usage).unwrap();
            assert_eq!((split.allowance_applied, split.payroll_deduction), (o.allowance_applied, o.payroll_deduction));
            if o.status != "cancelled" {
                *ordered = ordered.plus(usage);
                *used += o.allowance_applied;
            }
        }
        // The ledger: one checkout entry per order, one cancellation per
        // cancelled order, balances the allowance left after each entry.
        let mut ledger: Vec<&bulk::LedgerEntry> = rows.ledger.iter().collect();
        ledger.sort_by_key(|e| e.id);
        let mut running: BTreeMap<(i64, i64), Decimal> = BTreeMap::new();
        for e in ledger {
            let sum = running.entry((e.account_id, e.campaign_id)).or_default();
            *sum += e.amount;
            assert_eq!(e.balance, balance(campaigns[&e.campaign_id].company_allowance, *sum), "entry {}", e.id);
        }
        for ((shopper, campaign), (_, used)) in &seen {
            assert_eq!(running[&(*shopper, *campaign)], *used);
        }
        let cancelled = rows.orders.iter().filter(|o| o.status == "cancelled").count();
        assert_eq!(rows.ledger.len(), rows.orders.len() + cancelled);
        assert!(cancelled * 100 >= rows.orders.len() * 3 && cancelled * 100 <= rows.orders.len() * 8, "{cancelled}");
    }

    #[test]
    fn histories_follow_the_status_machine_by_whom_it_allows() {
        let (worlds, rows) = generated(42);
        let campaigns = campaigns(&worlds);
        let roles: BTreeMap<i64, &str> =
            worlds.iter().flat_map(|w| &w.accounts).map(|a| (a.id, a.role.as_str())).collect();
        let members: BTreeSet<(i64, i64)> =
            worlds.iter().flat_map(|w| &w.members).map(|m| (m.campaign_id, m.account_id)).collect();
        let mut events: BTreeMap<i64, Vec<&bulk::OrderEvent>> = BTreeMap::new();
        for e in &rows.events {
            events.entry(e.order_id).or_default().push(e);
        }
        let mut statuses: BTreeSet<(&str, &str)> = BTreeSet::new();
        for o in &rows.orders {
            let mut history = events.remove(&o.id).unwrap_or_default();
            history.sort_by_key(|e| e.id);
            let created = history[0];
            assert_eq!(
                (created.kind, created.actor_id, created.created_at),
                ("created", Some(o.account_id), o.created_at)
            );
            let data: Value = serde_json::from_str(&created.data.0).unwrap();
            assert_eq!(data["number"], o.number.as_str());
            assert_eq!(data["subtotal"], to_wire(o.subtotal).as_str());
            assert_eq!(
                data["lines"].as_array().map(Vec::len),
                Some(rows.items.iter().filter(|l| l.order_id == o.id).count())
            );
            let mut at = Status::Processing;
            let mut steps = 0;
            for pair in history.windows(2) {
                assert!(pair[0].created_at <= pair[1].created_at, "order {}", o.id);
            }
            for e in history.iter().filter(|e| e.kind == "status_changed") {
                let data: Value = serde_json::from_str(&e.data.0).unwrap();
                let (from, to): (Status, Status) =
                    (data["from"].as_str().unwrap().parse().unwrap(), data["to"].as_str().unwrap().parse().unwrap());
                assert_eq!(from, at);
                assert_eq!(e.message, format!("{from} → {to}"));
                let actor = e.actor_id.unwrap();
                let who = match roles[&actor] {
                    "admin_buyer" => {
                        assert!(members.contains(&(o.campaign_id, actor)));
                        Actor::AdminBuyer
                    }
                    "shopper" => {
                        assert_eq!(actor, o.account_id);
                        Actor::Owner
                    }
                    _ => Actor::Staff,
                };
                assert_eq!(transition(from, to, who), Ok(()), "order {}", o.id);
                at = to;
                steps += 1;
            }
            assert_eq!(at.as_str(), o.status);
            assert_eq!(o.version, steps + 1);
            assert_eq!(
                o.modified_at,
                history
                    .iter()
                    .filter(|e| e.kind != "created" && !e.kind.starts_with("note"))
                    .map(|e| e.created_at)
                    .max()
                    .unwrap_or(o.created_at)
            );
            assert!(history.iter().all(|e| e.created_at <= now()), "order {}", o.id);
            statuses.insert((campaigns[&o.campaign_id].status.as_str(), o.status));
        }
        for (campaign, order) in &statuses {
            let fine = match *campaign {
                "active" => order != &"delivered",
                "closed" => ["ordered", "shipped", "delivered", "cancelled"].contains(order),
                "complete" => ["shipped", "delivered", "cancelled"].contains(order),
                _ => false,
            };
            assert!(fine, "a {order} order in a {campaign} campaign");
        }
        assert!(statuses.len() >= 10, "{statuses:?}");
        // Notes: by staff or the campaign's buyers, each with its event; edits keep the text they replaced.
        assert!(!rows.notes.is_empty() && !rows.note_versions.is_empty());
        for n in &rows.notes {
            let o = rows.orders.iter().find(|o| o.id == n.order_id).unwrap();
            assert!(roles[&n.author_id] != "shopper");
            assert!(roles[&n.author_id] != "admin_buyer" || members.contains(&(o.campaign_id, n.author_id)));
            let v = rows.note_versions.iter().find(|v| v.note_id == n.id);
            assert_eq!(n.version, if v.is_some() { 2 } else { 1 });
            if let Some(v) = v {
                assert_eq!((v.version, v.written_by, v.written_at), (1, n.author_id, n.created_at));
                assert!(n.body.starts_with(&v.body) && n.body != v.body);
            }
        }
    }

    #[test]
    fn numbers_are_unique_and_checkout_values_pass_the_api() {
        let sizes = Sizes::times_small(0.2);
        let (worlds, rows) = generated(42);
        let numbers: BTreeSet<&str> = rows.orders.iter().map(|o| o.number.as_str()).collect();
        assert_eq!(numbers.len(), rows.orders.len());
        assert!(numbers.iter().all(|n| domain::shopping::order_number_is_valid(n)));
        // Sequence values 1 ..= sizes.orders, the range the load reserves.
        let names: BTreeMap<i64, &str> =
            worlds.iter().flat_map(|w| &w.distributors).map(|d| (d.id, d.name.as_str())).collect();
        let reserved: BTreeSet<String> =
            (1..=sizes.orders as u64).flat_map(|s| names.values().map(move |n| order_number(n, s))).collect();
        assert!(rows.orders.iter().all(|o| reserved.contains(&o.number)));
        let campaigns = campaigns(&worlds);
        let locations: Vec<&bulk::Location> = worlds.iter().flat_map(|w| &w.locations).collect();
        for o in &rows.orders {
            let c = campaigns[&o.campaign_id];
            let fields: Vec<CheckoutField> = serde_json::from_value(c.checkout_fields.clone()).unwrap();
            let ids: Vec<i64> = locations.iter().filter(|l| l.campaign_id == c.id).map(|l| l.id).collect();
            let values: serde_json::Map<String, Value> = serde_json::from_str(&o.checkout_fields.0).unwrap();
            let choices = validators::checkout::Choices { location_ids: &ids, departments: &c.departments };
            assert_eq!(validators::checkout::checkout_values(&fields, &values, choices), Ok(()), "order {}", o.id);
            let location: Value = serde_json::from_str(&o.location.as_ref().unwrap().0).unwrap();
            assert!(ids.contains(&location["id"].as_i64().unwrap()));
            assert!(c.departments.iter().any(|d| Some(d.as_str()) == o.department.as_deref()));
        }
    }
}
