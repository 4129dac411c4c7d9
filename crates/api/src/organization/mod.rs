//! Tag Organization: distributors, accounts, campaigns, members and locations.

pub mod accounts;
pub mod campaigns;
pub mod distributors;
pub mod locations;
pub mod members;

/// The Organization namespace's APIs. Every namespace exports its APIs as one value, so adding an
/// endpoint group touches its namespace and not `lib.rs`.
/// This namespace's APIs: an endpoint group is added here and nowhere else
/// (nested tuples implement `OpenApi`, and `Default` builds them).
pub type Api = (
    distributors::DistributorsApi,
    accounts::AccountsApi,
    campaigns::CampaignsApi,
    members::MembersApi,
    locations::LocationsApi,
);
