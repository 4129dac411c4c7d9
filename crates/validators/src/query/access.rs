//! Role checks shared by masks, filters and sorts.
//!
//! DESIGN §4: a field the caller may not read cannot be selected, filtered or
//! sorted on either, otherwise a filter could probe a value the mask hides.
//! Each check answers 403 with the role that would be needed.

use super::error::QueryError;
use domain::Role;
use domain::resource::{Field, Relation, Resource};

/// The caller may read `field` of `resource`, else 403.
pub(crate) fn require_field(
    param: &'static str,
    resource: &Resource,
    field: &Field,
    role: Role,
) -> Result<(), QueryError> {
    require(param, "field", field.name, resource, field.least_role, role)
}

/// The caller may follow `relation` of `resource`, else 403.
pub(crate) fn require_relation(
    param: &'static str,
    resource: &Resource,
    relation: &Relation,
    role: Role,
) -> Result<(), QueryError> {
    require(param, "relation", relation.name, resource, relation.least_role, role)
}

fn require(
    param: &'static str,
    what: &str,
    name: &str,
    resource: &Resource,
    least: Role,
    role: Role,
) -> Result<(), QueryError> {
    if role >= least {
        return Ok(());
    }
    Err(QueryError::forbidden(param, format!("{what} `{name}` of {} needs role {least} or above", resource.model)))
}
