//! Products.

use poem_openapi::OpenApi;

pub struct ProductsApi;

#[OpenApi(prefix_path = "/api/v1/catalog")]
impl ProductsApi {}
