//! Who is asking. Every scope decision (which distributor, whose rows) is a
//! method here so the API guard and the SQL scoping agree.

use crate::role::Role;

/// The authenticated caller, as carried by an access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub account_id: i64,
    pub role: Role,
    /// `None` only for super admins.
    pub distributor_id: Option<i64>,
}

/// Why a guard refused. The API maps `Forbidden` to 403 and `Hidden` to 404, so
/// a caller never learns that another distributor's resource exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// The caller may know the resource exists but lacks the role.
    Forbidden,
    /// The resource is outside the caller's scope: answer as if it did not exist.
    Hidden,
}

impl Principal {
    pub fn is_super_admin(&self) -> bool {
        self.role == Role::SuperAdmin
    }

    /// The role guard: the caller's role is at least `least`.
    pub fn require(&self, least: Role) -> Result<(), Denied> {
        if self.role >= least { Ok(()) } else { Err(Denied::Forbidden) }
    }

    /// Whether the caller may see anything of distributor `id` at all.
    pub fn in_distributor(&self, id: i64) -> bool {
        self.is_super_admin() || self.distributor_id == Some(id)
    }

    /// Whether the caller is staff of distributor `id` (or a super admin).
    pub fn is_staff_of(&self, id: Option<i64>) -> bool {
        self.is_super_admin() || (self.role.is_staff() && id.is_some() && self.distributor_id == id)
    }

    /// The combined guard used by every endpoint: a resource of distributor
    /// `owner` that needs role `least`. Outside the caller's distributor it is
    /// hidden (404) whatever the role; inside, a missing role is 403.
    pub fn require_in(&self, least: Role, owner: Option<i64>) -> Result<(), Denied> {
        match owner {
            Some(d) if !self.in_distributor(d) => Err(Denied::Hidden),
            None if !self.is_super_admin() => Err(Denied::Hidden),
            _ => self.require(least),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(role: Role, d: Option<i64>) -> Principal {
        Principal { account_id: 1, role, distributor_id: d }
    }

    #[test]
    fn another_distributor_is_hidden_not_forbidden() {
        let manager = p(Role::DistributorManager, Some(1));
        assert_eq!(manager.require_in(Role::Shopper, Some(2)), Err(Denied::Hidden));
        assert_eq!(manager.require_in(Role::SuperAdmin, Some(1)), Err(Denied::Forbidden));
        assert_eq!(manager.require_in(Role::SalesExecutive, Some(1)), Ok(()));
        assert_eq!(manager.require_in(Role::Shopper, None), Err(Denied::Hidden));
    }

    #[test]
    fn super_admin_sees_every_distributor() {
        let admin = p(Role::SuperAdmin, None);
        assert!(admin.in_distributor(7));
        assert!(admin.is_staff_of(Some(7)));
        assert_eq!(admin.require_in(Role::SuperAdmin, None), Ok(()));
    }

    #[test]
    fn shoppers_are_not_staff() {
        let shopper = p(Role::Shopper, Some(1));
        assert!(!shopper.is_staff_of(Some(1)));
        assert!(shopper.in_distributor(1));
    }
}
