//! Uploaded files (resources).

use poem_openapi::OpenApi;

pub struct FilesApi;

#[OpenApi(prefix_path = "/api/v1/minor")]
impl FilesApi {}
