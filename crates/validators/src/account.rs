//! Account rules a client's input must meet.

use crate::issue::FieldIssue;

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// A new password: at least 8 characters, at most 1024 bytes, not the username.
///
/// Length, not composition rules: NIST SP 800-63B advises against forced
/// character classes, which make passwords harder to remember and no harder
/// to guess.
pub fn new_password(password: &str, username: &str) -> Result<(), Vec<FieldIssue>> {
    let mut issues = Vec::new();
    if password.chars().count() < MIN_PASSWORD_CHARS {
        issues.push(FieldIssue::new(
            "new_password",
            "too_short",
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if password.len() > 1024 {
        issues.push(FieldIssue::new("new_password", "too_long", "must be at most 1024 bytes"));
    }
    if password.eq_ignore_ascii_case(username) {
        issues.push(FieldIssue::new("new_password", "same_as_username", "must not be the username"));
    }
    if password.contains('\0') {
        issues.push(FieldIssue::new("new_password", "invalid_character", "must not contain NUL characters"));
    }
    if issues.is_empty() { Ok(()) } else { Err(issues) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_username_passwords_are_refused() {
        assert!(new_password("longenough", "ann").is_ok());
        let issues = new_password("short", "ann").unwrap_err();
        assert_eq!(issues[0].code, "too_short");
        let issues = new_password("AnnaMaria", "annamaria").unwrap_err();
        assert_eq!(issues[0].code, "same_as_username");
    }
}
