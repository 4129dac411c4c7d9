//! Distributors: filled in by the Organization namespace work.

use poem_openapi::OpenApi;

pub struct DistributorsApi;

#[OpenApi(prefix_path = "/api/v1/organization", tag = "crate::tags::ApiTags::Organization")]
impl DistributorsApi {}
