//! Attributes and their ordered values.

use poem_openapi::OpenApi;

pub struct AttributesApi;

#[OpenApi(prefix_path = "/api/v1/catalog")]
impl AttributesApi {}
