//! Tag Minor: reference data and files.

pub mod files;

/// This namespace's APIs: an endpoint group is added here and nowhere else
/// (nested tuples implement `OpenApi`, and `Default` builds them).
pub type Api = (MinorApi, files::FilesApi);

use crate::auth::scheme::Auth;
use crate::error::ApiResult;
use crate::tags::ApiTags;
use domain::Role;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

#[derive(Default)]
pub struct MinorApi;

/// A role and its level: a higher level can do what a lower one can, within its scope.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct RoleInfo {
    /// The role's name, as in `Account.role`.
    pub name: String,
    /// 0 (shopper) to 4 (super admin).
    pub level: u8,
}

#[derive(ApiResponse)]
pub enum RolesResponse {
    /// The roles, least first.
    #[oai(status = 200)]
    Ok(Json<Vec<RoleInfo>>),
}

#[OpenApi(prefix_path = "/api/v1/minor", tag = "ApiTags::Minor")]
impl MinorApi {
    /// List roles
    ///
    /// The fixed roles with their levels.
    #[oai(path = "/roles", method = "get", operation_id = "list_roles")]
    async fn list_roles(&self, _auth: Auth) -> ApiResult<RolesResponse> {
        Ok(RolesResponse::Ok(Json(
            Role::ALL.iter().map(|r| RoleInfo { name: r.as_str().to_owned(), level: r.level() }).collect(),
        )))
    }
}
