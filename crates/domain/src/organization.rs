//! The write models of the organization: distributors and accounts.
//!
//! A write model holds every field a client sets, as it will be stored: a
//! create fills the defaults, a patch is applied to the current fields. The
//! validators check it whole and storage writes it whole (see
//! `storage::write` for why PATCH works that way).

use crate::Role;
use rust_decimal::Decimal;

/// A distributor's write model. The costs and `max_sales_count` are
/// platform settings: only a super admin changes them (the API's rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributorFields {
    pub name: String,
    pub email: String,
    pub address: String,
    /// Platform cost per item.
    pub ow_cost: Decimal,
    /// Platform cost per campaign.
    pub campaign_cost: Decimal,
    /// Platform cost per order.
    pub transaction_cost: Decimal,
    /// The most sales executives the distributor may have.
    pub max_sales_count: i64,
}

/// An account's write model: what an update may change. The username, the
/// password and the distributor are set once, at creation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountFields {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: Role,
    pub active: bool,
    pub reports_enabled: bool,
}
