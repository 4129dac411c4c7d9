//! Product variants.

use poem_openapi::OpenApi;

pub struct VariantsApi;

#[OpenApi(prefix_path = "/api/v1/catalog")]
impl VariantsApi {}
