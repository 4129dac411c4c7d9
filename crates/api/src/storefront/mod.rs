//! Tag Storefront: where shoppers shop.
//!
//! Shoppers who are members of a campaign that is open today shop in it:
//! they list their open campaigns with their own figures, browse the
//! campaign's catalog ([`catalog`]), fill a basket within the campaign's
//! limits and check out ([`basket`]). Staff of the campaign's distributor
//! and its admin buyers may preview its catalog; everyone else gets 404.

pub mod basket;
pub mod catalog;

/// The Storefront namespace's APIs.
/// This namespace's APIs: an endpoint group is added here and nowhere else
/// (nested tuples implement `OpenApi`, and `Default` builds them).
pub type Api = (catalog::CatalogApi, basket::BasketApi);

/// 409 `campaign_not_open` unless a campaign with this status and these
/// dates is open today (UTC).
pub(crate) fn require_open(
    status: domain::campaign::Status,
    start: Option<chrono::NaiveDate>,
    end: Option<chrono::NaiveDate>,
) -> crate::error::ApiResult<()> {
    use crate::error::{ApiError, FieldError, Problem};
    if domain::campaign::is_open_on(status, start, end, chrono::Utc::now().date_naive()) {
        return Ok(());
    }
    Err(ApiError::Conflict(poem_openapi::payload::Json(
        Problem::new(409, "this campaign's store is not open today").with_errors(vec![FieldError::new(
            "campaign",
            "campaign_not_open",
            "the store is closed today",
        )]),
    )))
}
