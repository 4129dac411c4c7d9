//! Tag Organization: distributors, accounts, campaigns, members and locations.

pub mod accounts;
pub mod campaigns;
pub mod distributors;
pub mod locations;
pub mod members;
