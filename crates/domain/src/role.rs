//! The fixed roles. They are ordered: a higher role can do what a lower one can,
//! within its scope (DESIGN §2), so guards compare levels instead of listing roles.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// An account's role, from the least to the most powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An employee of a client company buying from one campaign.
    Shopper,
    /// The client company's buyer: reads their campaigns, orders and reports.
    AdminBuyer,
    /// Distributor staff: catalog, campaigns, orders, reports of their distributor.
    SalesExecutive,
    /// Distributor staff who also manage the distributor's accounts.
    DistributorManager,
    /// Platform operator: everything, every distributor.
    SuperAdmin,
}

impl Role {
    /// Every role, least first.
    pub const ALL: [Role; 5] =
        [Role::Shopper, Role::AdminBuyer, Role::SalesExecutive, Role::DistributorManager, Role::SuperAdmin];

    /// The numeric level used by `require_level(n)` guards.
    pub fn level(self) -> u8 {
        match self {
            Role::Shopper => 0,
            Role::AdminBuyer => 1,
            Role::SalesExecutive => 2,
            Role::DistributorManager => 3,
            Role::SuperAdmin => 4,
        }
    }

    /// The wire and database name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Shopper => "shopper",
            Role::AdminBuyer => "admin_buyer",
            Role::SalesExecutive => "sales_executive",
            Role::DistributorManager => "distributor_manager",
            Role::SuperAdmin => "super_admin",
        }
    }

    /// Distributor staff (sales executive and above) see their whole distributor.
    pub fn is_staff(self) -> bool {
        self >= Role::SalesExecutive
    }

    /// The wire names of every role, least first (for enum documentation).
    pub fn names() -> [&'static str; 5] {
        Role::ALL.map(Role::as_str)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not one of the role names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}`; expected one of shopper, admin_buyer, sales_executive, distributor_manager, super_admin")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_order() {
        for pair in Role::ALL.windows(2) {
            assert!(pair[0] < pair[1]);
            assert_eq!(pair[0].level() + 1, pair[1].level());
        }
    }

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("admin".parse::<Role>().is_err());
    }
}
