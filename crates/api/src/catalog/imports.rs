//! CSV import of products and variants.

use poem_openapi::OpenApi;

pub struct ImportsApi;

#[OpenApi(prefix_path = "/api/v1/catalog")]
impl ImportsApi {}
