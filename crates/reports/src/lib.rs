//! Campaign reports: the purchase orders, pick lists, shopper summaries and
//! payroll deductions distributors send to vendors, decorators, payroll and
//! pick/pack partners, plus a distributor-wide sales report.
//!
//! A wrong number here is a wrong purchase order or a wrong paycheck, and a
//! campaign can have a million order lines, so the crate is built around
//! two rules:
//!
//! - **Every table is one SQL statement, streamed.** The statements live in
//!   `storage::reports` (scoped by distributor *and* campaign); here a
//!   table is data ([`catalog`]): its statement, how its columns map onto
//!   the statement's, its meta and chart. Rows are pulled one at a time and
//!   handed to a renderer, which writes into a 64 KiB chunk buffer drained
//!   into the caller's writer. Memory stays flat whatever the size.
//! - **Meta is the sum of the rows shown.** Totals are added up while the
//!   rows stream past, from the very cells that were rendered, so a meta
//!   line can never disagree with its table (subtotal rows excluded).
//!
//! Nothing here knows HTTP: the API maps [`ReportError`] to statuses, picks
//! a [`Format`] from `Accept` or `?format=`, and streams
//! [`Report::render`] into the response body.
//!
//! ```no_run
//! # async fn demo(pool: &storage::PgPool, who: reports::ReportAccess) -> Result<(), reports::ReportError> {
//! let params = reports::Params { vendor: None, tz: reports::parse_tz("America/Chicago")?, table: None };
//! let report = reports::run(pool, &who, "vendor-po", 42, params).await?;
//! let mut out = tokio::io::sink();
//! report.render(reports::Format::Csv, &mut out).await?;
//! # Ok(()) }
//! ```
//!
//! Access ([`run`], [`distributor_sales`]): an account without
//! `reports_enabled` runs nothing; shoppers nothing; admin buyers Payroll
//! Deduction, Shopper Summary, Itemized Shopper and Location PO of the
//! campaigns they are members of; distributor staff every report of their
//! distributor's campaigns; super admins everything. A campaign outside the
//! caller's reach is [`ReportError::NotFound`] (404, never a hint that it
//! exists), a report the role may not run [`ReportError::Forbidden`].
//!
//! Deliberate differences from the replaced system (`REPORTS.md`):
//! cancelled orders count nowhere; Payroll Deduction is one row per shopper
//! (their allowance applied is the allowance ledger's sum, their deduction
//! what their orders recorded); attribute columns follow the product
//! type's order and sizes sort by the catalog's value positions; shopper
//! reports start with the account's first name, last name and email before
//! the campaign's checkout fields (a checkout field with one of those names
//! is not repeated); CSV money is a plain decimal with 2 places.

pub mod catalog;
pub mod cell;
mod chart;
mod render;
mod run;

pub use catalog::{ParamDef, ReportDef, Scope, TableDef};
pub use cell::{Cell, Column, Kind};
pub use chrono_tz::Tz;
pub use render::Format;
pub use run::{
    MetaItem, Params, Report, ReportAccess, ReportError, Subject, catalog, catalog_for, checkout_columns,
    distributor_sales, parse_tz, run,
};
