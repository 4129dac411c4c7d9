//! Bulk loading with COPY, for the seeders at scale.
//!
//! A million rows inserted one statement at a time take minutes of round
//! trips; COPY streams them in one statement per table. This module owns the
//! SQL of that path:
//!
//! - one row type per loaded table ([`Distributor`], [`Account`], …,
//!   [`CampaignItem`], [`Order`] … [`OrderNoteVersion`]) that knows its
//!   columns and encodes itself in COPY's text format, so callers build plain
//!   values and never spell a column;
//! - [`copy`]: one `COPY … FROM STDIN` of a slice of rows, streamed to the
//!   server in chunks of [`CHUNK_BYTES`];
//! - [`defer_indexes`] / [`Deferred::restore`]: drop the secondary indexes and
//!   foreign keys of the loaded tables, and rebuild them once at the end (a
//!   sorted index build and one set-based check per key are far cheaper than
//!   maintaining them row by row). Both run in the caller's transaction, so a
//!   failed load leaves the schema as it was, and a rebuilt unique index or
//!   foreign key still checks every loaded row;
//! - the housekeeping around a load: [`is_empty`], [`truncate_all`],
//!   [`reserve_ids`], [`reserve_range`] (order numbers), [`sync_identities`],
//!   [`analyze`];
//! - [`checksum`]: a digest of every loaded table's content, to show that two
//!   loads produced the same rows;
//! - [`plain_copy`]: the limit to compare a load against, the same bytes
//!   (kept in a [`Spool`], a temporary file) COPYed into bare tables (no
//!   index, no constraint but NOT NULL).
//!
//! Rows carry explicit ids (COPY accepts them for identity columns), so a
//! loader can link rows before any of them exists; [`sync_identities`] moves
//! the identity sequences past them afterwards.
//!
//! The module is split by what each part holds: [`encode`] (COPY's text
//! format), [`rows`] (the row type of each loaded table), [`load`] (the COPY
//! and INSERT paths and the plain-COPY limit), [`housekeeping`] (what runs
//! around a load) and [`keys`] (what a top-up finds already there).

pub mod encode;
pub mod housekeeping;
pub mod keys;
pub mod load;
pub mod rows;

pub use encode::*;
pub use housekeeping::*;
pub use keys::*;
pub use load::*;
pub use rows::*;
