//! The parts of the `promostore` binary that its tests and examples use too:
//! the background workers and the mail they send.
//!
//! - [`worker`]: the worker loop (claim, lease, retry, reap, shutdown) and
//!   the handler of each job kind.
//! - [`mail`]: SMTP or `.eml` files, and the mail templates.

pub mod mail;
pub mod worker;
