//! Product types.

use poem_openapi::OpenApi;

pub struct ProductTypesApi;

#[OpenApi(prefix_path = "/api/v1/catalog")]
impl ProductTypesApi {}
