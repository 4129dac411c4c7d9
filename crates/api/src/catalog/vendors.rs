//! Vendors: suppliers, decorators, pick/pack partners.

use poem_openapi::OpenApi;

pub struct VendorsApi;

#[OpenApi(prefix_path = "/api/v1/catalog")]
impl VendorsApi {}
