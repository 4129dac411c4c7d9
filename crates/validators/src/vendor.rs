//! Vendor fields a client sends.
//!
//! Every field is checked at once so a form can show every mistake after one
//! round trip; whether a role flag may be cleared depends on what uses the
//! vendor, which only the database knows, so that rule lives in the API.

use crate::issue::FieldIssue;
use crate::record;
use domain::catalog::VendorFields;
use domain::resource::VENDOR;

/// The role flags, by their field names, for messages.
pub const ROLE_FIELDS: [&str; 3] = ["is_supplier", "is_decorator", "is_pick_pack"];

/// Every rule a vendor must meet: those its descriptor declares (a name of 1
/// to 200 characters, an email that is empty or valid, an address of at most
/// 1000 characters), and at least one role (one issue per flag, so each
/// checkbox can show it).
pub fn vendor(v: &VendorFields) -> Vec<FieldIssue> {
    let mut issues = record::check(&VENDOR, v);
    if !v.roles().any() {
        let message = format!("a vendor needs at least one role: set one of {} to true", ROLE_FIELDS.join(", "));
        issues.extend(ROLE_FIELDS.iter().map(|f| FieldIssue::new(*f, "no_role", message.clone())));
    }
    record::sort(&mut issues);
    issues
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::catalog::VendorRoles;

    fn input(name: &str, email: &str, roles: VendorRoles) -> VendorFields {
        VendorFields {
            name: name.into(),
            email: email.into(),
            address: "1 Main St".into(),
            is_supplier: roles.supplier,
            is_decorator: roles.decorator,
            is_pick_pack: roles.pick_pack,
            is_active: true,
        }
    }

    const SUPPLIER: VendorRoles = VendorRoles { supplier: true, decorator: false, pick_pack: false };

    #[test]
    fn a_named_vendor_with_a_role_is_valid() {
        assert_eq!(vendor(&input("Sanmar", "po@sanmar.example", SUPPLIER)), []);
        assert_eq!(vendor(&input("Sanmar", "", SUPPLIER)), [], "the email may be left empty");
    }

    #[test]
    fn a_vendor_without_a_role_names_every_flag() {
        let issues = vendor(&input("Sanmar", "", VendorRoles::default()));
        let fields: Vec<_> = issues.iter().map(|i| (i.field.as_str(), i.code.as_str())).collect();
        assert_eq!(fields, [("is_decorator", "no_role"), ("is_pick_pack", "no_role"), ("is_supplier", "no_role")]);
        assert!(issues[0].message.contains("is_supplier, is_decorator, is_pick_pack"));
    }

    #[test]
    fn bad_fields_are_reported_together() {
        let long = "n".repeat(201);
        let fields: Vec<_> = vendor(&input(&long, "nope", SUPPLIER)).into_iter().map(|i| i.field).collect();
        assert_eq!(fields, ["email", "name"]);
        let blank: Vec<_> = vendor(&input("  ", "", SUPPLIER)).into_iter().map(|i| i.code).collect();
        assert_eq!(blank, ["required"]);
        let mut v = input("Sanmar", "", SUPPLIER);
        v.address = "a\0b".to_owned();
        assert_eq!(vendor(&v).into_iter().map(|i| i.field).collect::<Vec<_>>(), ["address"]);
    }
}
