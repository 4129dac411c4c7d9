//! Seeding at a scale: `demo`, `small`, `medium`, `large` or a multiple of
//! `small`, with a fixed random seed so the same arguments give the same
//! rows.
//!
//! `demo` is the idempotent demo seed ([`crate::demo`]). Every other scale
//! loads the demo data (dated around [`crate::generate::anchor`], not today, so it
//! is the same on every run) plus generated distributors into an *empty*
//! database, in one transaction:
//!
//! 1. refuse a database that has data (unless `reset`, which empties it);
//! 2. the demo data through the ordinary seed path;
//! 3. reserve [`Sizes::orders`] order numbers (`order_number_seq`), drop the
//!    loaded tables' secondary indexes and foreign keys;
//! 4. generate one distributor at a time (its rows, then its orders in
//!    chunks) on a blocking thread while the batches before are COPYed
//!    (`storage::bulk::copy_encoded`), so generation and the server's
//!    parsing overlap;
//! 5. rebuild the indexes and foreign keys (which checks every row against
//!    them), move the identities past the loaded ids, commit, `ANALYZE`.
//!
//! The order numbers are reserved before anything is generated, and the
//! generator never places more orders than were reserved, so the sequence
//! already ends past every loaded number: a checkout afterwards takes a
//! number no seeded order has.
//!
//! A failure anywhere rolls everything back, indexes included.

use crate::generate::{Generator, Hashes, Piece, Sizes, Starts, World, anchor};
use crate::orders::OrderRows;
use crate::progress::{Progress, thousands};
use crate::{Seeded, apply, plan};
use anyhow::{Context, bail};
use domain::Role;
use sqlx::{PgConnection, PgPool};
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};
use storage::bulk::{self, CopyTiming, Encoded};

/// The random seed used when none is given.
pub const DEFAULT_RNG_SEED: u64 = 42;

/// How much data to seed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// The demo data only (what `make run` loads).
    Demo,
    /// The demo data plus generated data: this many times `small` (1 is
    /// small, 10 medium, 100 large).
    Times(f64),
}

impl Scale {
    pub const SMALL: Scale = Scale::Times(1.0);
    pub const MEDIUM: Scale = Scale::Times(10.0);
    pub const LARGE: Scale = Scale::Times(100.0);

    /// The generated sizes; `None` for the demo data alone.
    pub fn sizes(self) -> Option<Sizes> {
        match self {
            Scale::Demo => None,
            Scale::Times(factor) => Some(Sizes::times_small(factor)),
        }
    }
}

impl FromStr for Scale {
    type Err = String;

    fn from_str(s: &str) -> Result<Scale, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "demo" => Ok(Scale::Demo),
            "small" => Ok(Scale::SMALL),
            "medium" => Ok(Scale::MEDIUM),
            "large" => Ok(Scale::LARGE),
            other => match other.parse::<f64>() {
                Ok(n) if n.is_finite() && n > 0.0 && n <= 1_000.0 => Ok(Scale::Times(n)),
                _ => Err(format!(
                    "`{s}` is not a scale: use demo, small, medium, large, or a multiple of small \
                     between 0 and 1000 (0.1, 3, 100 = large)"
                )),
            },
        }
    }
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Scale::Demo => f.write_str("demo"),
            s if s == Scale::SMALL => f.write_str("small"),
            s if s == Scale::MEDIUM => f.write_str("medium"),
            s if s == Scale::LARGE => f.write_str("large"),
            Scale::Times(n) => write!(f, "{n}"),
        }
    }
}

/// What to seed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub scale: Scale,
    pub rng_seed: u64,
    /// Empty the database first (every table).
    pub reset: bool,
    /// After seeding, time a plain COPY of the same rows (the limit).
    pub compare_copy: bool,
}

impl Options {
    pub fn new(scale: Scale) -> Options {
        Options { scale, rng_seed: DEFAULT_RNG_SEED, reset: false, compare_copy: false }
    }
}

/// What a seed run did and how long it took.
#[derive(Debug, Clone)]
pub struct Report {
    pub options: Options,
    /// What the demo part created.
    pub demo: Seeded,
    /// Generated rows per table (`storage::bulk::TABLES` order), and the
    /// time spent COPYing them (generation overlaps it, on another thread).
    pub tables: Vec<(&'static str, u64, Duration)>,
    /// Generating and COPYing the generated rows.
    pub load: Duration,
    /// Rebuilding the deferred indexes and foreign keys.
    pub rebuild: Duration,
    /// How many indexes and foreign keys were rebuilt.
    pub rebuilt: usize,
    pub analyze: Duration,
    /// Everything, from the first statement to the end of `ANALYZE`.
    pub total: Duration,
    /// The plain COPY of the same rows, when asked.
    pub limit: Option<Vec<CopyTiming>>,
}

impl Report {
    /// Generated rows in all tables.
    pub fn generated(&self) -> u64 {
        self.tables.iter().map(|(_, n, _)| n).sum()
    }

    /// A plain-text account of the run, for a terminal or a log.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let secs = |d: Duration| format!("{:.1} s", d.as_secs_f64());
        let per_s = |rows: u64, d: Duration| thousands((rows as f64 / d.as_secs_f64().max(1e-9)) as u64);
        let o = &self.options;
        if o.scale == Scale::Demo {
            if self.demo.is_empty() {
                out.push_str(&format!("the demo data is already there: nothing seeded ({})\n", secs(self.total)));
            } else {
                out.push_str(&format!("seeded {} ({})\n", self.demo, secs(self.total)));
            }
            return out;
        }
        let rows = self.generated();
        out.push_str(&format!(
            "seeded scale {} (rng seed {}) in {}: {} generated rows, {} rows/s overall\n",
            o.scale,
            o.rng_seed,
            secs(self.total),
            thousands(rows),
            per_s(rows, self.total)
        ));
        out.push_str(&format!("  demo data: {}\n", self.demo));
        out.push_str(&format!(
            "  generate + COPY: {} ({} rows/s); rebuild {} indexes and foreign keys: {}; analyze: {}\n",
            secs(self.load),
            per_s(rows, self.load),
            self.rebuilt,
            secs(self.rebuild),
            secs(self.analyze)
        ));
        // With --compare-copy, each table's plain COPY beside the load's.
        let plain = |table: &str| self.limit.as_ref().and_then(|l| l.iter().find(|c| c.table == table));
        out.push_str(&format!("  {:<26} {:>11} {:>9} {:>11}", "table", "rows", "COPY", "rows/s"));
        out.push_str(if self.limit.is_some() { "  plain COPY    rows/s   MiB\n" } else { "\n" });
        for (table, n, took) in &self.tables {
            out.push_str(&format!("  {table:<26} {:>11} {:>9} {:>11}", thousands(*n), secs(*took), per_s(*n, *took)));
            if let Some(c) = plain(table) {
                out.push_str(&format!(
                    "  {:>10} {:>9} {:>5}",
                    secs(c.elapsed),
                    per_s(c.rows, c.elapsed),
                    c.bytes >> 20
                ));
            }
            out.push('\n');
        }
        if let Some(limit) = &self.limit {
            let (rows, took, bytes) =
                limit.iter().fold((0, Duration::ZERO, 0), |(r, t, b), c| (r + c.rows, t + c.elapsed, b + c.bytes));
            out.push_str(&format!(
                "plain COPY of the same {} rows ({} MiB) into bare tables: {} ({} rows/s); \
                 the seed's load ran at {:.0}% of that and its whole run at {:.0}%\n",
                thousands(rows),
                bytes / (1 << 20),
                secs(took),
                per_s(rows, took),
                100.0 * took.as_secs_f64() / self.load.as_secs_f64().max(1e-9),
                100.0 * took.as_secs_f64() / self.total.as_secs_f64().max(1e-9)
            ));
        }
        out
    }
}

/// Seeds as `options` says; see the module documentation.
pub async fn seed(pool: &PgPool, options: &Options, progress: &mut Progress) -> anyhow::Result<Report> {
    let started = Instant::now();
    let Some(sizes) = options.scale.sizes() else {
        if options.reset {
            let mut conn = pool.acquire().await?;
            bulk::truncate_all(&mut conn).await.context("emptying the database")?;
        }
        let demo = crate::demo(pool).await?;
        return Ok(Report {
            options: *options,
            demo,
            tables: Vec::new(),
            load: Duration::ZERO,
            rebuild: Duration::ZERO,
            rebuilt: 0,
            analyze: Duration::ZERO,
            total: started.elapsed(),
            limit: None,
        });
    };

    let mut tx = pool.begin().await?;
    if options.reset {
        progress.note("emptying the database (--reset)");
        bulk::truncate_all(&mut tx).await.context("emptying the database")?;
    } else if !bulk::is_empty(&mut tx).await? {
        bail!(
            "the database already has data (distributors or accounts), and seeding scale {} into it would \
             mix two data sets: run again with --reset to empty it first (this deletes everything in it), \
             or point DATABASE_URL at an empty database",
            options.scale
        );
    }

    let demo_plan = plan::demo(anchor());
    let demo = apply::apply_in(&mut tx, &demo_plan, generate_now()).await.context("seeding the demo data")?;
    let mut starts = Starts::after(&bulk::max_ids(&mut tx).await?);
    starts.order_numbers = bulk::reserve_range(&mut tx, "order_number_seq", sizes.orders as u64)
        .await
        .context("reserving order numbers")?;
    let hashes = role_hashes().await?;
    let taken: Vec<&'static str> = demo_plan.distributors.iter().map(|d| d.name).collect();

    let deferred = bulk::defer_indexes(&mut tx).await?;
    let rebuilt = deferred.len();
    let load_started = Instant::now();
    progress.start(&expected(&sizes));
    let tables =
        load(&mut tx, Generator::new(&sizes, options.rng_seed, starts, hashes.clone(), &taken), &sizes, progress)
            .await?;
    let load = load_started.elapsed();

    progress.note(&format!("rebuilding {rebuilt} indexes and foreign keys"));
    let rebuild_started = Instant::now();
    deferred.restore(&mut tx).await.context("rebuilding indexes and foreign keys")?;
    bulk::sync_identities(&mut tx).await?;
    tx.commit().await?;
    let rebuild = rebuild_started.elapsed();

    progress.note("analyzing");
    let analyze_started = Instant::now();
    bulk::analyze(pool).await?;
    let analyze = analyze_started.elapsed();
    let total = started.elapsed();

    let limit = if options.compare_copy {
        progress.note("timing a plain COPY of the same rows into bare tables (--compare-copy)");
        let generator = Generator::new(&sizes, options.rng_seed, starts, hashes, &taken);
        let spooled = tokio::task::spawn_blocking(move || spool_all(generator))
            .await?
            .context("writing the rows for the plain COPY to temporary files")?;
        Some(bulk::plain_copy(pool, &spooled).await?)
    } else {
        None
    };
    Ok(Report { options: *options, demo, tables, load, rebuild, rebuilt, analyze, total, limit })
}

/// The moment the seeded demo rows are stamped with: the anchor day, 09:00
/// UTC, when the generated history ends too.
fn generate_now() -> chrono::DateTime<chrono::Utc> {
    crate::generate::now()
}

/// One argon2 hash of each role's demo password, computed once (in
/// parallel on blocking threads) and shared by every generated account.
async fn role_hashes() -> anyhow::Result<Hashes> {
    let hash = |role: Role| tokio::task::spawn_blocking(move || domain::password::hash(plan::demo_password(role)));
    let tasks = [Role::DistributorManager, Role::SalesExecutive, Role::AdminBuyer, Role::Shopper].map(hash);
    let mut out = Vec::with_capacity(4);
    for task in tasks {
        out.push(task.await.context("hashing thread")?.map_err(anyhow::Error::msg)?);
    }
    let [manager, sales, buyer, shopper]: [String; 4] =
        out.try_into().map_err(|_| anyhow::anyhow!("expected four password hashes"))?;
    Ok(Hashes { manager, sales, buyer, shopper })
}

/// Rough row counts per table, for the progress bars.
fn expected(s: &Sizes) -> Vec<(&'static str, u64)> {
    let d = s.distributors as u64;
    let estimates = [
        d,
        s.accounts as u64,
        13 * d,
        s.campaigns as u64,
        s.accounts as u64 * 11 / 10,
        s.campaigns as u64 * 5 / 2,
        2 * d,
        25 * d,
        4 * d,
        4 * d,
        9 * d,
        s.products as u64,
        s.variants as u64,
        s.variants as u64 * 8 / 5,
        s.items as u64,
        // Orders: about 3 lines, 1.05 ledger entries and 4 events each, a note on 5%.
        s.orders as u64,
        s.orders as u64 * 3,
        s.orders as u64 * 21 / 20,
        s.orders as u64 * 4,
        s.orders as u64 / 20,
        s.orders as u64 / 130,
    ];
    bulk::TABLES.iter().map(|(t, _)| *t).zip(estimates).collect()
}

/// How much of one table is encoded before it is COPYed: few, large COPYs
/// (each costs a round trip and a delayed acknowledgement, see
/// `storage::bulk::copy_encoded`), and bounded memory.
const BATCH_BYTES: usize = 16 << 20;

/// How many tables a load fills.
const TABLES: usize = bulk::TABLES.len();

/// Encoded rows of one table, ready to COPY, and how far generation got.
struct Batch {
    table: usize,
    rows: Encoded,
    distributors_done: usize,
}

/// One encoder per loaded table, in `storage::bulk::TABLES` order.
fn encoders() -> [Encoded; TABLES] {
    [
        Encoded::new::<bulk::Distributor>(),
        Encoded::new::<bulk::Account>(),
        Encoded::new::<bulk::Vendor>(),
        Encoded::new::<bulk::Campaign>(),
        Encoded::new::<bulk::CampaignMember>(),
        Encoded::new::<bulk::Location>(),
        Encoded::new::<bulk::Attribute>(),
        Encoded::new::<bulk::AttributeValue>(),
        Encoded::new::<bulk::ProductType>(),
        Encoded::new::<bulk::ProductTypeAttribute>(),
        Encoded::new::<bulk::ProductTypeVendor>(),
        Encoded::new::<bulk::Product>(),
        Encoded::new::<bulk::Variant>(),
        Encoded::new::<bulk::VariantValue>(),
        Encoded::new::<bulk::CampaignItem>(),
        Encoded::new::<bulk::Order>(),
        Encoded::new::<bulk::OrderItem>(),
        Encoded::new::<bulk::LedgerEntry>(),
        Encoded::new::<bulk::OrderEvent>(),
        Encoded::new::<bulk::OrderNote>(),
        Encoded::new::<bulk::OrderNoteVersion>(),
    ]
}

/// Encodes a piece of generated rows; returns whether it was a distributor's
/// [`World`] (progress counts those).
fn push(e: &mut [Encoded; TABLES], piece: &Piece) -> bool {
    match piece {
        Piece::World(w) => {
            push_world(e, w);
            true
        }
        Piece::Orders(o) => {
            push_orders(e, o);
            false
        }
    }
}

fn push_orders(e: &mut [Encoded; TABLES], o: &OrderRows) {
    e[15].push(&o.orders);
    e[16].push(&o.items);
    e[17].push(&o.ledger);
    e[18].push(&o.events);
    e[19].push(&o.notes);
    e[20].push(&o.note_versions);
}

fn push_world(e: &mut [Encoded; TABLES], w: &World) {
    e[0].push(&w.distributors);
    e[1].push(&w.accounts);
    e[2].push(&w.vendors);
    e[3].push(&w.campaigns);
    e[4].push(&w.members);
    e[5].push(&w.locations);
    e[6].push(&w.attributes);
    e[7].push(&w.attribute_values);
    e[8].push(&w.product_types);
    e[9].push(&w.type_attributes);
    e[10].push(&w.type_vendors);
    e[11].push(&w.products);
    e[12].push(&w.variants);
    e[13].push(&w.variant_values);
    e[14].push(&w.items);
}

/// Generates and encodes on a blocking thread, handing over a table's rows
/// whenever [`BATCH_BYTES`] of them are ready (and the rest at the end),
/// while this task COPYs the batches before: generation overlaps the
/// server's work, and memory stays bounded.
async fn load(
    conn: &mut PgConnection,
    generator: Generator,
    sizes: &Sizes,
    progress: &mut Progress,
) -> anyhow::Result<Vec<(&'static str, u64, Duration)>> {
    let (sender, mut batches) = tokio::sync::mpsc::channel::<Batch>(2);
    let producer = tokio::task::spawn_blocking(move || {
        let mut e = encoders();
        let mut done = 0;
        for piece in generator {
            if push(&mut e, &piece) {
                done += 1;
            }
            // Its rows are encoded: free them before waiting on the loader.
            drop(piece);
            for (table, rows) in e.iter_mut().enumerate() {
                if rows.bytes() >= BATCH_BYTES {
                    let batch = Batch { table, rows: rows.take(), distributors_done: done };
                    if sender.blocking_send(batch).is_err() {
                        // The loader stopped (it failed): stop generating.
                        return;
                    }
                }
            }
        }
        for (table, rows) in e.iter_mut().enumerate() {
            if rows.rows() > 0
                && sender.blocking_send(Batch { table, rows: rows.take(), distributors_done: done }).is_err()
            {
                return;
            }
        }
    });
    let mut totals = [0_u64; TABLES];
    let mut took = [Duration::ZERO; TABLES];
    while let Some(b) = batches.recv().await {
        let started = Instant::now();
        let loaded = bulk::copy_encoded(&mut *conn, &b.rows).await?;
        took[b.table] += started.elapsed();
        if loaded != b.rows.rows() {
            bail!("the server took {loaded} of {} rows of {}", b.rows.rows(), b.rows.table);
        }
        totals[b.table] += loaded;
        progress.advance(&totals, b.distributors_done, sizes.distributors);
    }
    producer.await.context("generator thread")?;
    progress.finish(&totals, sizes.distributors);
    Ok(bulk::TABLES.iter().zip(totals).zip(took).map(|(((t, _), n), d)| (*t, n, d)).collect())
}

/// Every generated row encoded for COPY, per table, in temporary files (for
/// the limit: `large` is gigabytes of it, which memory need not hold).
fn spool_all(generator: Generator) -> std::io::Result<Vec<bulk::Spool>> {
    let mut e = encoders();
    let mut spools = e.iter().map(bulk::Spool::new).collect::<std::io::Result<Vec<_>>>()?;
    for piece in generator {
        push(&mut e, &piece);
        for (rows, spool) in e.iter_mut().zip(&mut spools) {
            if rows.bytes() >= BATCH_BYTES {
                spool.append(&rows.take())?;
            }
        }
    }
    for (rows, spool) in e.iter_mut().zip(&mut spools) {
        spool.append(&rows.take())?;
        spool.finish()?;
    }
    Ok(spools)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_parse_by_name_or_multiple() {
        assert_eq!("demo".parse::<Scale>(), Ok(Scale::Demo));
        assert_eq!("Large".parse::<Scale>(), Ok(Scale::Times(100.0)));
        assert_eq!("0.5".parse::<Scale>(), Ok(Scale::Times(0.5)));
        for bad in ["", "huge", "0", "-1", "NaN", "inf", "1001"] {
            assert!(bad.parse::<Scale>().is_err(), "{bad}");
        }
        assert_eq!(Scale::MEDIUM.to_string(), "medium");
        assert_eq!(Scale::Times(3.0).to_string(), "3");
    }

    #[test]
    fn the_expected_counts_name_every_table() {
        let e = expected(&Sizes::LARGE);
        assert_eq!(e.len(), bulk::TABLES.len());
        assert_eq!(e[1], ("accounts", 200_000));
    }
}
