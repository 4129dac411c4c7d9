//! Account rules a client's input must meet.
//!
//! Each function checks every field it is given and reports one issue per bad
//! field, all at once, so a form can show every mistake after one round trip.

use crate::issue::FieldIssue;
use domain::Role;
use domain::organization::AccountFields;
use validator::ValidateEmail;

/// The shortest password accepted (ASVS 2.1.1: at least 12 characters).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest username (the database CHECK agrees).
pub const MAX_USERNAME_CHARS: usize = 150;
/// The longest email address (RFC 5321's path limit; the database CHECK agrees).
pub const MAX_EMAIL_CHARS: usize = 254;
/// The longest first or last name.
pub const MAX_NAME_CHARS: usize = 150;
/// Names shorter than this are not looked for inside a password: a
/// one- or two-letter username would forbid half the passwords there are.
const MIN_CONTAINED_CHARS: usize = 3;

/// A new password for the account `username` with `email`: at least 12
/// characters, at most 1024 bytes, not only whitespace, and containing
/// neither the username nor the email address (nor its local part).
///
/// Length, not composition rules: NIST SP 800-63B and ASVS 2.1 advise
/// against forced character classes, which make passwords harder to remember
/// and no harder to guess; 12 characters put the common short passwords
/// (`password`, `12345678`) out of reach without a breach list.
pub fn new_password(password: &str, username: &str, email: &str) -> Result<(), Vec<FieldIssue>> {
    let issues = password_issues("new_password", password, username, email);
    if issues.is_empty() { Ok(()) } else { Err(issues) }
}

/// Every password rule broken, reported under `field`; each issue's code and
/// message say which rule it is.
fn password_issues(field: &str, password: &str, username: &str, email: &str) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    if password.chars().count() < MIN_PASSWORD_CHARS {
        issues.push(FieldIssue::new(field, "too_short", format!("must be at least {MIN_PASSWORD_CHARS} characters")));
    }
    if password.len() > 1024 {
        issues.push(FieldIssue::new(field, "too_long", "must be at most 1024 bytes"));
    }
    if !password.is_empty() && password.chars().all(char::is_whitespace) {
        issues.push(FieldIssue::new(field, "whitespace_only", "must not be only whitespace"));
    }
    let lower = password.to_lowercase();
    let contains = |name: &str| name.chars().count() >= MIN_CONTAINED_CHARS && lower.contains(&name.to_lowercase());
    if contains(username) {
        issues.push(FieldIssue::new(field, "contains_username", "must not contain the username"));
    }
    let local = email.split('@').next().unwrap_or_default();
    if contains(email) || contains(local) {
        issues.push(FieldIssue::new(field, "contains_email", "must not contain the email address or its local part"));
    }
    if password.contains('\0') {
        issues.push(FieldIssue::new(field, "invalid_character", "must not contain NUL characters"));
    }
    issues
}

/// A username: 1 to 150 of `A-Z a-z 0-9 . _ + -`, so it is safe in URLs,
/// logs and CSV files and cannot impersonate another name with look-alike
/// characters. Never `@`: an identifier with `@` logs in by email, so a
/// username that looked like someone's email could catch their logins.
pub fn username_issue(username: &str) -> Option<FieldIssue> {
    let n = username.chars().count();
    if n == 0 || n > MAX_USERNAME_CHARS {
        return Some(FieldIssue::new("username", "length", format!("must be 1 to {MAX_USERNAME_CHARS} characters")));
    }
    if username.contains('@') {
        return Some(FieldIssue::new(
            "username",
            "contains_at",
            "must not contain `@`: usernames never look like email addresses (log in by email instead)",
        ));
    }
    if !username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-')) {
        return Some(FieldIssue::new(
            "username",
            "invalid_character",
            "may contain only letters A-Z and a-z, digits and . _ + -",
        ));
    }
    None
}

/// An email address under `field`: the HTML5 form rule (the `validator`
/// crate's), at most 254 characters.
pub fn email_issue(field: &str, email: &str) -> Option<FieldIssue> {
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Some(FieldIssue::new(field, "length", format!("must be at most {MAX_EMAIL_CHARS} characters")));
    }
    if !email.validate_email() {
        return Some(FieldIssue::new(field, "email", "must be a valid email address"));
    }
    None
}

/// A free-text field: at most `max` characters and no control characters
/// (NUL cannot be stored; the others only ever arrive by mistake or malice).
pub fn text_issue(field: &str, value: &str, max: usize) -> Option<FieldIssue> {
    if value.chars().count() > max {
        return Some(FieldIssue::new(field, "length", format!("must be at most {max} characters")));
    }
    if value.chars().any(char::is_control) {
        return Some(FieldIssue::new(field, "invalid_character", "must not contain control characters"));
    }
    None
}

/// Where an account of `role` may live: super admins stand outside every
/// distributor, every other role belongs to one.
pub fn placement_issue(role: Role, distributor_id: Option<i64>) -> Option<FieldIssue> {
    match (role, distributor_id) {
        (Role::SuperAdmin, Some(_)) => Some(FieldIssue::new(
            "distributor_id",
            "not_allowed",
            "super_admin accounts belong to no distributor; leave it out",
        )),
        (Role::SuperAdmin, None) | (_, Some(_)) => None,
        (_, None) => Some(FieldIssue::new(
            "distributor_id",
            "required",
            format!("a {role} account needs the distributor it belongs to"),
        )),
    }
}

/// Checks a new account: what only a create sets (the username, the
/// password, the distributor it is placed in, as resolved for the caller)
/// and its fields; one issue per bad field.
pub fn new_account(
    username: &str,
    password: &str,
    distributor_id: Option<i64>,
    fields: &AccountFields,
) -> Result<(), Vec<FieldIssue>> {
    let issues: Vec<FieldIssue> = [
        username_issue(username),
        email_issue("email", &fields.email),
        text_issue("first_name", &fields.first_name, MAX_NAME_CHARS),
        text_issue("last_name", &fields.last_name, MAX_NAME_CHARS),
        // The first broken password rule is enough to act on.
        password_issues("password", password, username, &fields.email).into_iter().next(),
        placement_issue(fields.role, distributor_id),
    ]
    .into_iter()
    .flatten()
    .collect();
    if issues.is_empty() { Ok(()) } else { Err(issues) }
}

/// Checks an account's fields as they will be stored; one issue per bad
/// field. (Whether the caller may change the role, `active` or
/// `reports_enabled` is the API's rule, and so is [`role_change`].)
pub fn account(fields: &AccountFields) -> Result<(), Vec<FieldIssue>> {
    let issues: Vec<FieldIssue> = [
        email_issue("email", &fields.email),
        text_issue("first_name", &fields.first_name, MAX_NAME_CHARS),
        text_issue("last_name", &fields.last_name, MAX_NAME_CHARS),
    ]
    .into_iter()
    .flatten()
    .collect();
    if issues.is_empty() { Ok(()) } else { Err(issues) }
}

/// A role change keeps the account where it is: an update cannot move an
/// account into or out of a distributor, so a change to or from `super_admin`
/// is refused (create a new account instead).
pub fn role_change(current: Role, new: Role) -> Result<(), Vec<FieldIssue>> {
    if (current == Role::SuperAdmin) != (new == Role::SuperAdmin) {
        return Err(vec![FieldIssue::new(
            "role",
            "crosses_distributor",
            "super_admin accounts belong to no distributor and others to one; an update cannot move an account \
             between the two, create a new account instead",
        )]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused_and_say_which_rule() {
        assert!(new_password("long-enough-phrase", "ann", "ann@example.com").is_ok());
        let code = |p: &str| new_password(p, "annamaria", "ann.lee@example.com").unwrap_err()[0].code.clone();
        assert_eq!(code("password"), "too_short");
        assert_eq!(code("12345678"), "too_short");
        assert_eq!(code("        "), "too_short");
        assert_eq!(code(&" ".repeat(12)), "whitespace_only");
        assert_eq!(code("my-AnnaMaria-2026"), "contains_username");
        assert_eq!(code("x-ann.lee@example.com"), "contains_email");
        assert_eq!(code("xx-Ann.Lee-xx-2026"), "contains_email");
        // Exactly the minimum passes.
        assert!(new_password(&"k".repeat(MIN_PASSWORD_CHARS), "ann", "ann@example.com").is_ok());
        assert!(new_password(&"k".repeat(MIN_PASSWORD_CHARS - 1), "ann", "ann@example.com").is_err());
    }

    fn fields(role: Role) -> AccountFields {
        AccountFields {
            email: "ann@example.com".into(),
            first_name: "Ann".into(),
            last_name: "Lee".into(),
            role,
            active: true,
            reports_enabled: false,
        }
    }

    #[test]
    fn a_good_new_account_passes() {
        let password = "long-enough-password";
        assert_eq!(new_account("ann.lee+1", password, Some(1), &fields(Role::Shopper)), Ok(()));
        assert_eq!(new_account("ann.lee+1", password, None, &fields(Role::SuperAdmin)), Ok(()));
    }

    #[test]
    fn every_bad_field_is_reported_once() {
        let bad = AccountFields {
            email: "not-an-email".into(),
            first_name: "A\u{0}".into(),
            last_name: "x".repeat(151),
            ..fields(Role::SalesExecutive)
        };
        let issues = new_account("ann lee", "short", None, &bad).unwrap_err();
        let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(fields, ["username", "email", "first_name", "last_name", "password", "distributor_id"]);
    }

    #[test]
    fn usernames_are_1_to_150_safe_characters() {
        assert!(username_issue("a").is_none());
        assert!(username_issue(&"a".repeat(150)).is_none());
        assert_eq!(username_issue("").map(|i| i.code), Some("length".into()));
        assert_eq!(username_issue(&"a".repeat(151)).map(|i| i.code), Some("length".into()));
        for bad in ["a b", "é", "a/b", "a\u{0}"] {
            assert_eq!(username_issue(bad).map(|i| i.code), Some("invalid_character".into()), "{bad:?}");
        }
        assert_eq!(username_issue("greta.holm@globex-merch.example").map(|i| i.code), Some("contains_at".into()));
    }

    #[test]
    fn super_admins_have_no_distributor_and_others_one() {
        assert!(placement_issue(Role::SuperAdmin, None).is_none());
        assert!(placement_issue(Role::Shopper, Some(1)).is_none());
        assert_eq!(placement_issue(Role::SuperAdmin, Some(1)).map(|i| i.code), Some("not_allowed".into()));
        assert_eq!(placement_issue(Role::AdminBuyer, None).map(|i| i.code), Some("required".into()));
    }

    #[test]
    fn role_changes_stay_on_one_side_of_super_admin() {
        assert!(role_change(Role::Shopper, Role::SalesExecutive).is_ok());
        assert!(role_change(Role::SuperAdmin, Role::SuperAdmin).is_ok());
        assert!(role_change(Role::SuperAdmin, Role::DistributorManager).is_err());
        assert!(role_change(Role::Shopper, Role::SuperAdmin).is_err());
    }

    #[test]
    fn account_fields_are_checked_whole() {
        assert!(account(&fields(Role::Shopper)).is_ok());
        let issues = account(&AccountFields { email: "x".into(), ..fields(Role::Shopper) }).unwrap_err();
        assert_eq!(issues[0].field, "email");
    }
}
