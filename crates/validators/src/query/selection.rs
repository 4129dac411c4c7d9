//! Checking a parsed mask against a resource and the caller's role, producing
//! the [`Selection`] storage reads.
//!
//! Rules (DESIGN §4): `*` is every default field and default relation of its
//! level; a field name is that field; a relation name without braces is its
//! target's defaults, with braces the nested mask on the target. Names may
//! repeat (or be covered by `*`): the selection is a set, kept in descriptor
//! order so the same request always reads the same columns in the same order.
//!
//! Fields and relations above the caller's role are 403 when named and
//! silently left out of defaults and `*` (the caller did not ask for them by
//! name). Private fields are not the concern of this module: storage nulls
//! them per row.

use super::access::{require_field, require_relation};
use super::describe::{join, quoted};
use super::error::{QueryError, param};
use super::mask::{Mask, MaskItem};
use domain::Role;
use domain::query::Selection;
use domain::query::limits::MAX_MASK_DEPTH;
use domain::resource::{Relation, RelationKind, Resource};

/// What a relation named without braces stands for: its target's defaults.
static ALL: MaskItem = MaskItem::All;

/// The selection for `mask` (or the defaults without one) on `resource`, as
/// `role` may read it.
pub fn select(mask: Option<&Mask>, resource: &'static Resource, role: Role) -> Result<Selection, QueryError> {
    match mask {
        None => Ok(defaults_for(resource, role, 1)),
        Some(mask) => {
            let items: Vec<&MaskItem> = mask.0.iter().collect();
            select_level(&items, resource, role, 1)
        }
    }
}

/// A relation is embedded by default only when the descriptor says so and it
/// is not a reference: a many-to-one is embedded only when named, and lists
/// are out until asked for (DESIGN §4) except where the list is the point of
/// the resource and bounded (a storefront product's items).
fn in_defaults(relation: &Relation, role: Role) -> bool {
    relation.default && relation.kind != RelationKind::Reference && relation.least_role <= role
}

/// The descriptor's defaults, without what `role` may not read, and cut at the
/// depth limit. `depth` is the depth a relation of `resource` would have.
fn defaults_for(resource: &'static Resource, role: Role, depth: usize) -> Selection {
    let relations = if depth > MAX_MASK_DEPTH {
        Vec::new()
    } else {
        let relations: &'static [Relation] = resource.relations;
        relations
            .iter()
            .filter(|r| in_defaults(r, role))
            .map(|r| (r, defaults_for(r.target(), role, depth + 1)))
            .collect()
    };
    Selection {
        resource,
        fields: resource.fields.iter().filter(|f| f.default && f.least_role <= role).collect(),
        relations,
    }
}

/// One level of a mask: every item that applies to `resource` (several
/// occurrences of a relation are merged into one list of items).
fn select_level(
    items: &[&MaskItem],
    resource: &'static Resource,
    role: Role,
    depth: usize,
) -> Result<Selection, QueryError> {
    let mut level = Level::new(resource, role, depth);
    for item in items {
        match item {
            MaskItem::All => level.all(),
            MaskItem::Name { name, position, children } => {
                level.name(name, *position, children.as_ref())?;
            }
        }
    }
    level.finish()
}

/// What a mask level has asked for so far, indexed like the descriptor.
struct Level<'m> {
    resource: &'static Resource,
    role: Role,
    depth: usize,
    fields: Vec<bool>,
    /// For each relation, the nested items asked for (`None`: not selected).
    relations: Vec<Option<Vec<&'m MaskItem>>>,
}

impl<'m> Level<'m> {
    fn new(resource: &'static Resource, role: Role, depth: usize) -> Level<'m> {
        Level {
            resource,
            role,
            depth,
            fields: vec![false; resource.fields.len()],
            relations: vec![None; resource.relations.len()],
        }
    }

    /// `*`: the defaults the role may read.
    fn all(&mut self) {
        for (on, field) in self.fields.iter_mut().zip(self.resource.fields) {
            *on |= field.default && field.least_role <= self.role;
        }
        if self.depth > MAX_MASK_DEPTH {
            return;
        }
        for (slot, relation) in self.relations.iter_mut().zip(self.resource.relations) {
            if in_defaults(relation, self.role) {
                slot.get_or_insert_with(Vec::new).push(&ALL);
            }
        }
    }

    fn name(&mut self, name: &str, position: usize, children: Option<&'m Mask>) -> Result<(), QueryError> {
        if let Some(i) = self.resource.fields.iter().position(|f| f.name == name) {
            return self.field(i, position, children);
        }
        if let Some(i) = self.resource.relations.iter().position(|r| r.name == name) {
            return self.relation(i, position, children);
        }
        Err(QueryError::bad_request(
            param::X_FIELDS,
            format!(
                "unknown field `{}` at position {position} of the mask; valid names here: {}",
                quoted(name),
                join(self.resource.mask_names())
            ),
        )
        .at(position))
    }

    fn field(&mut self, i: usize, position: usize, children: Option<&Mask>) -> Result<(), QueryError> {
        let field = &self.resource.fields[i];
        require_field(param::X_FIELDS, self.resource, field, self.role).map_err(|e| e.at(position))?;
        if children.is_some() {
            return Err(QueryError::bad_request(
                param::X_FIELDS,
                format!(
                    "field `{}` of {} at position {position} of the mask has no fields of its own; \
                     remove the braces after it",
                    field.name, self.resource.model
                ),
            )
            .at(position));
        }
        self.fields[i] = true;
        Ok(())
    }

    fn relation(&mut self, i: usize, position: usize, children: Option<&'m Mask>) -> Result<(), QueryError> {
        let relation = &self.resource.relations[i];
        require_relation(param::X_FIELDS, self.resource, relation, self.role).map_err(|e| e.at(position))?;
        if self.depth > MAX_MASK_DEPTH {
            return Err(QueryError::bad_request(
                param::X_FIELDS,
                format!(
                    "relation `{}` at position {position} of the mask nests {} levels deep; \
                     the limit is {MAX_MASK_DEPTH}",
                    relation.name, self.depth
                ),
            )
            .at(position));
        }
        let nested = self.relations[i].get_or_insert_with(Vec::new);
        match children {
            Some(mask) => nested.extend(mask.0.iter()),
            None => nested.push(&ALL),
        }
        Ok(())
    }

    /// The selection, in descriptor order, nested levels checked in turn.
    fn finish(self) -> Result<Selection, QueryError> {
        let resource = self.resource;
        let fields = resource.fields.iter().zip(&self.fields).filter(|(_, on)| **on).map(|(f, _)| f).collect();
        let relations_of: &'static [Relation] = resource.relations;
        let mut relations = Vec::new();
        for (relation, nested) in relations_of.iter().zip(&self.relations) {
            if let Some(items) = nested {
                relations.push((relation, select_level(items, relation.target(), self.role, self.depth + 1)?));
            }
        }
        Ok(Selection { resource, fields, relations })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::query::QueryErrorKind;
    use crate::query::fixtures::SAMPLE;
    use crate::query::mask::parse_mask;
    use domain::resource::{ACCOUNT, DISTRIBUTOR};

    fn sel(text: &str, resource: &'static Resource, role: Role) -> Result<Selection, QueryError> {
        select(Some(&parse_mask(text).unwrap()), resource, role)
    }

    fn names(s: &Selection) -> Vec<&'static str> {
        s.fields.iter().map(|f| f.name).collect()
    }

    fn relations(s: &Selection) -> Vec<&'static str> {
        s.relations.iter().map(|(r, _)| r.name).collect()
    }

    #[test]
    fn no_mask_is_the_descriptor_defaults_for_roles_that_read_everything() {
        for resource in [&ACCOUNT, &DISTRIBUTOR] {
            let all = select(None, resource, Role::SuperAdmin).unwrap();
            let defaults: Vec<&str> = resource.fields.iter().filter(|f| f.default).map(|f| f.name).collect();
            assert_eq!(all.fields.iter().map(|f| f.name).collect::<Vec<_>>(), defaults);
            assert!(all.relations.is_empty(), "no one-to-one relations yet");
        }
    }

    #[test]
    fn defaults_and_star_leave_out_what_the_role_may_not_read() {
        let shopper = select(None, &DISTRIBUTOR, Role::Shopper).unwrap();
        assert_eq!(names(&shopper), ["id", "name", "email", "address", "created_at", "modified_at", "version"]);
        assert_eq!(sel("*", &DISTRIBUTOR, Role::Shopper).unwrap(), shopper);
        let staff = sel("*", &DISTRIBUTOR, Role::SalesExecutive).unwrap();
        assert!(staff.has_field("ow_cost"));
    }

    #[test]
    fn star_takes_default_one_to_one_relations_but_never_references() {
        let all = sel("*", &SAMPLE, Role::Shopper).unwrap();
        assert_eq!(relations(&all), ["child"]);
        assert!(!all.has_field("extra") && !all.has_field("secret"));
        assert_eq!(select(None, &SAMPLE, Role::Shopper).unwrap(), all);
        let owner = sel("owner", &SAMPLE, Role::Shopper).unwrap();
        assert_eq!(relations(&owner), ["owner"]);
    }

    #[test]
    fn fields_come_in_descriptor_order_without_repeats() {
        let s = sel("username,id,username", &ACCOUNT, Role::Shopper).unwrap();
        assert_eq!(names(&s), ["id", "username"]);
        let s = sel("version,*,id", &ACCOUNT, Role::Shopper).unwrap();
        assert_eq!(s, select(None, &ACCOUNT, Role::Shopper).unwrap());
        let s = sel("extra,id", &SAMPLE, Role::Shopper).unwrap();
        assert_eq!(names(&s), ["id", "extra"]);
        assert!(s.relations.is_empty());
    }

    #[test]
    fn a_relation_without_braces_is_its_targets_defaults() {
        let s = sel("id,distributor", &ACCOUNT, Role::Shopper).unwrap();
        assert_eq!(names(&s), ["id"]);
        let (relation, nested) = &s.relations[0];
        assert_eq!(relation.name, "distributor");
        assert_eq!(*nested, select(None, &DISTRIBUTOR, Role::Shopper).unwrap());
    }

    #[test]
    fn a_relation_with_braces_takes_its_nested_mask_and_repeats_merge() {
        let s = sel("distributor{name,id},distributor{email}", &ACCOUNT, Role::Shopper).unwrap();
        assert!(s.fields.is_empty());
        assert_eq!(names(&s.relations[0].1), ["id", "name", "email"]);
        let s = sel("distributor,distributor{ow_cost}", &ACCOUNT, Role::SalesExecutive).unwrap();
        assert_eq!(s.relations[0].1, sel("*,ow_cost", &DISTRIBUTOR, Role::SalesExecutive).unwrap());
    }

    #[test]
    fn nesting_is_bounded_at_three_relations() {
        let s = sel("distributor{accounts{distributor}}", &ACCOUNT, Role::SalesExecutive).unwrap();
        let accounts = &s.relations[0].1.relations[0].1;
        assert_eq!(relations(accounts), ["distributor"]);
        let s = sel("distributor{accounts{distributor{id}}}", &ACCOUNT, Role::SalesExecutive).unwrap();
        assert_eq!(names(&s.relations[0].1.relations[0].1.relations[0].1), ["id"]);

        let text = "distributor{accounts{distributor{accounts}}}";
        let err = sel(text, &ACCOUNT, Role::SuperAdmin).unwrap_err();
        assert_eq!(err.kind, QueryErrorKind::BadRequest);
        assert_eq!(err.position, Some(33));
        assert_eq!(err.message, "relation `accounts` at position 33 of the mask nests 4 levels deep; the limit is 3");
    }

    #[test]
    fn unknown_names_list_the_valid_ones_with_the_position() {
        let err = sel("{id,usrname}", &ACCOUNT, Role::SuperAdmin).unwrap_err();
        assert_eq!(err.kind, QueryErrorKind::BadRequest);
        assert_eq!(err.position, Some(4));
        assert_eq!(
            err.message,
            format!(
                "unknown field `usrname` at position 4 of the mask; valid names here: {}",
                ACCOUNT.mask_names().join(", ")
            )
        );
        let err = sel("distributor{usrname}", &ACCOUNT, Role::SuperAdmin).unwrap_err();
        assert!(err.message.contains("valid names here: id, name, email, address, ow_cost"), "{}", err.message);
        assert_eq!(err.position, Some(12));
        // Names are case-sensitive.
        assert!(sel("ID", &ACCOUNT, Role::SuperAdmin).is_err());
    }

    #[test]
    fn naming_a_field_above_the_role_is_forbidden() {
        let err = sel("id,distributor{ow_cost}", &ACCOUNT, Role::Shopper).unwrap_err();
        assert_eq!(err.kind, QueryErrorKind::Forbidden);
        assert_eq!(err.status(), 403);
        assert_eq!(err.position, Some(15));
        assert_eq!(err.message, "field `ow_cost` of Distributor needs role sales_executive or above");
        assert!(sel("distributor{ow_cost}", &ACCOUNT, Role::SalesExecutive).is_ok());

        let err = sel("accounts", &DISTRIBUTOR, Role::AdminBuyer).unwrap_err();
        assert_eq!(err.kind, QueryErrorKind::Forbidden);
        assert_eq!(err.message, "relation `accounts` of Distributor needs role sales_executive or above");
    }

    #[test]
    fn private_fields_are_selectable_by_anyone() {
        let s = sel("email,last_login_at", &ACCOUNT, Role::Shopper).unwrap();
        assert_eq!(names(&s), ["email", "last_login_at"]);
    }

    #[test]
    fn a_field_cannot_have_a_nested_mask() {
        let err = sel("id,username{x}", &ACCOUNT, Role::Shopper).unwrap_err();
        assert_eq!(err.position, Some(3));
        assert!(err.message.contains("field `username` of Account"), "{}", err.message);
    }
}
