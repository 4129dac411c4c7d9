//! Tag Organization: distributors, accounts, campaigns, members and locations.

pub mod accounts;
