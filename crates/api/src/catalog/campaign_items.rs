//! Campaign items.

use poem_openapi::OpenApi;

pub struct CampaignItemsApi;

#[OpenApi(prefix_path = "/api/v1/catalog")]
impl CampaignItemsApi {}
