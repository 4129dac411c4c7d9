//! Accounts: list and read through the query language; create, update and
//! delete.
//!
//! Who may write what (DESIGN §2): super admins manage every account;
//! distributor managers manage the sales executives, admin buyers and shoppers
//! of their own distributor; every account may change its own name and email.
//! An account outside the caller's view is 404; one it sees but may not
//! change is 403. A distributor has at most `max_sales_count` sales
//! executives. Deactivating an account, changing its role or deleting it ends
//! all of its sessions at once, because access tokens carry the role.

use crate::auth::limits::ExistenceProbes;
use crate::auth::scheme::Auth;
use crate::error::{ApiError, ApiResult, from_issues};
use crate::idempotency::IdempotencyKey;
use crate::params::{
    CountQuery, CursorQuery, FieldsQuery, FilterQuery, ListArgs, PageNumberQuery, PageSizeQuery, SortQuery, XFields,
};
use crate::precondition::IfMatch;
use crate::resource::{self, AccountDoc, ListResponse, Masked, ReadResponse};
use crate::state::AppState;
use crate::strict::{Inline, Text};
use crate::tags::ApiTags;
use crate::write::{Constraint, Created, Deleted, begin, check_version, commit, on_constraint, read_back};
use domain::Principal;
use domain::Role;
use domain::organization::AccountFields;
use domain::principal::Denied;
use domain::query::Selection;
use domain::resource::ACCOUNT;
use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Header, Path};
use poem_openapi::payload::Json;
use poem_openapi::types::Example;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use storage::StorageError;
use storage::accounts::{NewAccount, Subject};
use validators::FieldIssue;

#[derive(Default)]
pub struct AccountsApi;

/// Reads one account as `who` may see it (shared with `GET /auth/me`).
pub async fn read(
    state: &AppState,
    who: &Principal,
    selection: &Selection,
    id: i64,
    if_none_match: Option<&str>,
) -> ApiResult<ReadResponse<AccountDoc>> {
    resource::read_one(state, who, selection, id, if_none_match).await
}

/// An account's role, from the least to the most powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum AccountRole {
    Shopper,
    AdminBuyer,
    SalesExecutive,
    DistributorManager,
    SuperAdmin,
}

impl From<AccountRole> for Role {
    fn from(role: AccountRole) -> Role {
        match role {
            AccountRole::Shopper => Role::Shopper,
            AccountRole::AdminBuyer => Role::AdminBuyer,
            AccountRole::SalesExecutive => Role::SalesExecutive,
            AccountRole::DistributorManager => Role::DistributorManager,
            AccountRole::SuperAdmin => Role::SuperAdmin,
        }
    }
}

/// A new account.
// No `Debug`: the body carries a password.
#[derive(Object)]
#[oai(example, deny_unknown_fields)]
pub struct AccountCreate {
    /// Unique login name (case-insensitive): 1 to 150 of `A-Z a-z 0-9 . _ + -`
    /// (never `@`: an identifier with `@` logs in by email).
    pub username: Text,
    /// Unique email address (case-insensitive).
    pub email: Text,
    /// Given name, at most 150 characters.
    #[oai(default)]
    pub first_name: Text,
    /// Family name, at most 150 characters.
    #[oai(default)]
    pub last_name: Text,
    /// The account's role. A distributor manager may create sales
    /// executives, admin buyers and shoppers.
    pub role: Inline<AccountRole>,
    /// The distributor the account belongs to: required for every role but
    /// `super_admin` (which must leave it out). A distributor manager's
    /// accounts always go into its own distributor, so it may leave it out.
    pub distributor_id: Option<i64>,
    /// At least 12 characters, not only whitespace, not containing the
    /// username or the email address. Stored only as an argon2id hash.
    pub password: Text,
    /// Inactive accounts cannot log in.
    #[oai(default = "active_by_default")]
    pub active: bool,
    /// Whether the account may download reports.
    #[oai(default)]
    pub reports_enabled: bool,
}

fn active_by_default() -> bool {
    true
}

impl Example for AccountCreate {
    fn example() -> Self {
        AccountCreate {
            username: "jane.doe".into(),
            email: "jane.doe@acme-promo.example".into(),
            first_name: "Jane".into(),
            last_name: "Doe".into(),
            role: Inline(AccountRole::SalesExecutive),
            distributor_id: Some(1),
            password: "a-long-passphrase".into(),
            active: true,
            reports_enabled: false,
        }
    }
}

/// Changes to an account: absent fields stay as they are. An account may
/// change its own `email`, `first_name` and `last_name`; the other fields
/// are for whoever manages it.
///
/// `null` on a field that cannot be empty leaves it unchanged, like leaving
/// it out; on a nullable field (dates, limits, references) it clears it.
// No `Debug`: the body may carry a password.
#[derive(Object)]
#[oai(example, deny_unknown_fields, nullable_all)]
pub struct AccountPatch {
    /// Unique email address (case-insensitive). A shopper or admin buyer
    /// changing their own email must send `current_password`, and is answered
    /// 202 whether or not the address is free: the change takes effect only
    /// when no other account uses it.
    pub email: Option<Text>,
    /// Your current password: required when a shopper or admin buyer changes
    /// their own email (the login identifier), ignored otherwise.
    #[oai(validator(max_length = 1024))]
    pub current_password: Option<Text>,
    /// Given name, at most 150 characters.
    pub first_name: Option<Text>,
    /// Family name, at most 150 characters.
    pub last_name: Option<Text>,
    /// The new role. Managers may choose sales_executive, admin_buyer or
    /// shopper; an account cannot move to or from super_admin (create one).
    /// Changing it ends the account's sessions.
    pub role: Option<Inline<AccountRole>>,
    /// `false` deactivates the account and ends its sessions.
    pub active: Option<bool>,
    /// Whether the account may download reports.
    pub reports_enabled: Option<bool>,
}

impl Example for AccountPatch {
    fn example() -> Self {
        AccountPatch {
            email: None,
            current_password: None,
            first_name: Some("Janet".into()),
            last_name: None,
            role: Some(Inline(AccountRole::AdminBuyer)),
            active: None,
            reports_enabled: Some(true),
        }
    }
}

impl AccountPatch {
    /// The fields after the patch (`current_password` is not a field).
    fn apply(&self, current: &AccountFields) -> AccountFields {
        let c = current.clone();
        AccountFields {
            email: self.email.clone().map_or(c.email, Into::into),
            first_name: self.first_name.clone().map_or(c.first_name, Into::into),
            last_name: self.last_name.clone().map_or(c.last_name, Into::into),
            role: self.role.map_or(c.role, |r| Role::from(r.0)),
            active: self.active.unwrap_or(c.active),
            reports_enabled: self.reports_enabled.unwrap_or(c.reports_enabled),
        }
    }
}

/// Whether `who` manages `target` (an account it sees that is not its own):
/// super admins manage everyone, managers the lower roles of their own
/// distributor.
fn manages(who: &Principal, target: &Subject) -> Result<(), Denied> {
    let manager_of = who.role == Role::DistributorManager
        && who.is_staff_of(target.distributor_id)
        && target.role() < Role::DistributorManager;
    if who.is_super_admin() || manager_of { Ok(()) } else { Err(Denied::Forbidden) }
}

/// Accounts outside the caller's view are hidden (404): the same rule as the
/// read scope (super admins all, staff their distributor, others themselves).
fn sees(who: &Principal, target: &Subject) -> Result<(), Denied> {
    if target.id == who.account_id || who.is_staff_of(target.distributor_id) { Ok(()) } else { Err(Denied::Hidden) }
}

/// May `who` apply an update that `manages_fields` (role, active or
/// reports_enabled changes) and possibly sets `new_role`?
fn authorize_update(
    who: &Principal,
    target: &Subject,
    manages_fields: bool,
    new_role: Option<Role>,
) -> Result<(), Denied> {
    sees(who, target)?;
    if target.id == who.account_id {
        // Nobody raises, restores or switches off their own account.
        return if manages_fields { Err(Denied::Forbidden) } else { Ok(()) };
    }
    manages(who, target)?;
    match new_role {
        Some(r) if !who.is_super_admin() && r >= Role::DistributorManager => Err(Denied::Forbidden),
        _ => Ok(()),
    }
}

/// May `who` delete `target`? Nobody deletes their own account here.
fn authorize_delete(who: &Principal, target: &Subject) -> Result<(), Denied> {
    sees(who, target)?;
    if target.id == who.account_id {
        return Err(Denied::Forbidden);
    }
    manages(who, target)
}

/// What the accounts' constraints mean to a client.
const CONSTRAINTS: &[Constraint] = &[
    Constraint { name: "accounts_username_key", field: "username", message: "this username is already taken" },
    Constraint {
        name: "accounts_email_key",
        field: "email",
        message: "this email address is already used by another account",
    },
];

/// A clearer 409 for the account's unique names. Such an answer tells the
/// caller that a name is in use somewhere on the platform, so it is counted
/// against the caller's [`ExistenceProbes`] and logged.
async fn taken(probes: &ExistenceProbes<'_>, who: &Principal, err: StorageError) -> ApiError {
    let answer = on_constraint(CONSTRAINTS, "")(err);
    if let ApiError::Conflict(problem) = &answer
        && problem.errors.is_some()
    {
        probes.spend().await;
        tracing::warn!(account.id = who.account_id, conflict = %problem.detail, "account write refused: a name in use");
    }
    answer
}

/// The answer to an account update.
#[derive(ApiResponse)]
pub enum AccountWritten {
    /// The account as it is now, shaped by the mask, with its new ETag.
    #[oai(status = 200)]
    Ok(Masked<AccountDoc>, #[oai(header = "ETag")] String),
    /// A shopper's or admin buyer's change of their own email was taken in:
    /// the same answer whether or not the address was free, so it tells
    /// nobody whether an address is in use. The email changes only when it
    /// was free; every other field sent is applied.
    #[oai(status = 202)]
    Accepted,
}

/// Whether a distributor with `n` sales executives can take one more. The
/// caller counts under the distributor's row lock, held until its
/// transaction ends, so two concurrent writes cannot both take the last place.
fn room_for_sales_executive(n: i64, max_sales_count: i32) -> ApiResult<()> {
    if n >= i64::from(max_sales_count) {
        return Err(ApiError::conflict(format!(
            "the distributor has {n} sales executives and may have at most {max_sales_count} (max_sales_count); \
             remove or demote one, or ask a super admin to raise the limit"
        )));
    }
    Ok(())
}

/// Checks `current` against the password of account `id` (422 when missing
/// or wrong; a wrong one counts against the caller's probes, so the password
/// cannot be guessed here either).
async fn confirm_password(
    state: &AppState,
    probes: &ExistenceProbes<'_>,
    id: i64,
    current: Option<&str>,
) -> ApiResult<()> {
    let Some(current) = current else {
        return Err(from_issues(vec![FieldIssue::new(
            "current_password",
            "required",
            "changing your own email (your login) needs your current password",
        )]));
    };
    let account = storage::accounts::credentials(&state.pool, id).await?.ok_or_else(ApiError::not_found)?;
    if !crate::auth::password::verify(current.to_owned(), Some(account.password_hash)).await {
        probes.spend().await;
        return Err(from_issues(vec![FieldIssue::new(
            "current_password",
            "mismatch",
            "the current password is not correct",
        )]));
    }
    Ok(())
}

#[OpenApi(prefix_path = "/api/v1/organization", tag = "ApiTags::Organization")]
impl AccountsApi {
    /// List accounts
    ///
    /// Staff see their distributor's accounts (super admins every account);
    /// other roles see only their own. Email and last login are private:
    /// null unless the account is yours or you are staff of its distributor.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/accounts", method = "get", operation_id = "list_accounts")]
    async fn list_accounts(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        request: &Request,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        filter: FilterQuery,
        sort: SortQuery,
        page_size: PageSizeQuery,
        page_number: PageNumberQuery,
        cursor: CursorQuery,
        count: CountQuery,
    ) -> ApiResult<ListResponse<AccountDoc>> {
        let args = ListArgs { x_fields, fields, filter, sort, page_size, page_number, cursor, count };
        resource::list_page(&state, auth.principal(), &args, request).await
    }

    /// Read an account
    ///
    /// 404 when the account does not exist or is outside your scope.
    #[oai(path = "/accounts/:id", method = "get", operation_id = "get_account")]
    async fn get_account(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The account's id.
        id: Path<i64>,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        #[oai(name = "If-None-Match")] if_none_match: Header<Option<String>>,
    ) -> ApiResult<ReadResponse<AccountDoc>> {
        let who = auth.principal();
        let selection = crate::params::selection(&x_fields, &fields, &ACCOUNT, who.role)?;
        read(&state, who, &selection, id.0, if_none_match.0.as_deref()).await
    }

    /// Create an account
    ///
    /// Super admins create any role in any distributor (`super_admin`
    /// accounts belong to none; every other role needs `distributor_id`).
    /// Distributor managers create sales executives, admin buyers and
    /// shoppers in their own distributor (another role is 403, another
    /// distributor 404). Everyone else gets 403. A taken username or email
    /// is 409 (such answers are limited per account: 429 with
    /// `Retry-After`), and so is a sales executive beyond the distributor's
    /// `max_sales_count`. Answers 201 with the account's default fields, its
    /// URL in `Location` and its `ETag`; the password is never returned.
    #[oai(path = "/accounts", method = "post", operation_id = "create_account")]
    async fn create_account(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        #[oai(name = "Idempotency-Key")] _idempotency_key: IdempotencyKey,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<AccountCreate>,
    ) -> ApiResult<Created<AccountDoc>> {
        let who = auth.principal();
        who.require(Role::DistributorManager)?;
        let selection = crate::params::selection(&x_fields, &fields, &ACCOUNT, who.role)?;
        let probes = ExistenceProbes::of(&state, who.account_id);
        probes.check().await?;
        let b = &body.0;
        let role = Role::from(b.role.0);
        let distributor_id = if who.is_super_admin() {
            b.distributor_id
        } else {
            if role >= Role::DistributorManager {
                return Err(ApiError::forbidden(
                    "a distributor manager may create sales executives, admin buyers and shoppers only",
                ));
            }
            if let Some(d) = b.distributor_id {
                who.require_in(Role::DistributorManager, Some(d))?;
            }
            who.distributor_id
        };
        let new = AccountFields {
            email: b.email.to_string(),
            first_name: b.first_name.to_string(),
            last_name: b.last_name.to_string(),
            role,
            active: b.active,
            reports_enabled: b.reports_enabled,
        };
        validators::account::new_account(&b.username, &b.password, distributor_id, &new).map_err(from_issues)?;
        // Hash before the transaction: the distributor stays locked only for
        // the few statements below, not for argon2's deliberate slowness.
        let password_hash =
            crate::auth::password::hash(b.password.to_string()).await.map_err(|e| ApiError::internal(&e))?;

        let mut tx = begin(&state).await?;
        if let Some(d) = distributor_id {
            let limit = storage::distributors::lock(&mut *tx, d).await?.filter(|l| !l.is_deleted);
            let Some(limit) = limit else {
                return Err(if who.is_super_admin() {
                    from_issues(vec![FieldIssue::new("distributor_id", "not_found", "no such distributor")])
                } else {
                    ApiError::not_found()
                });
            };
            if role == Role::SalesExecutive {
                let n = storage::accounts::count_sales_executives(&mut *tx, d).await?;
                room_for_sales_executive(n, limit.max_sales_count)?;
            }
        }
        let record = NewAccount { username: &b.username, password_hash: &password_hash, distributor_id, fields: &new };
        let id = match storage::accounts::insert(&mut *tx, &record).await {
            Ok(id) => id,
            Err(e) => return Err(taken(&probes, who, e).await),
        };
        commit(tx).await?;
        tracing::info!(account.id = id, role = %role, "account created");
        let (body, tag) = read_back::<AccountDoc>(&state, who, &selection, id).await?;
        Ok(Created::Created(body, format!("/api/v1/organization/accounts/{id}"), tag))
    }

    /// Update an account
    ///
    /// Super admins may change any other account. Distributor managers may
    /// change the sales executives, admin buyers and shoppers of their own
    /// distributor, and give them one of those roles (a sales executive
    /// beyond `max_sales_count` is 409). Every account may change its own
    /// `email`, `first_name` and `last_name`, but not its own role, `active`
    /// or `reports_enabled` (403). An account you cannot see is 404; one you
    /// see but may not change is 403. Deactivating an account or changing
    /// its role ends all its sessions. Send the `ETag` you read as
    /// `If-Match` to avoid overwriting someone else's change (412 when stale).
    ///
    /// A shopper or admin buyer changing their own `email` must send
    /// `current_password` (422 when missing or wrong) and gets 202 with no
    /// body whether or not the address is free: the email changes only when
    /// no other account uses it (read the account to see it). Everyone else
    /// gets 409 for a taken username or email; such answers, and wrong
    /// passwords here, are limited per account (429 with `Retry-After`).
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/accounts/:id", method = "patch", operation_id = "update_account")]
    async fn update_account(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The account's id.
        id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        body: Json<AccountPatch>,
    ) -> ApiResult<AccountWritten> {
        let who = auth.principal();
        let id = id.0;
        let b = &body.0;
        let selection = crate::params::selection(&x_fields, &fields, &ACCOUNT, who.role)?;
        let expected = if_match.expected(ACCOUNT.model, id)?;
        let probes = ExistenceProbes::of(&state, who.account_id);
        // A shopper or admin buyer changing their own login email: it takes
        // their password, and the answer is the same whether the address is
        // free or not (README, Security), so it cannot probe other tenants.
        let quiet_email = id == who.account_id && !who.role.is_staff() && b.email.is_some();
        if b.email.is_some() {
            probes.check().await?;
        }
        if quiet_email {
            confirm_password(&state, &probes, who.account_id, b.current_password.as_deref()).await?;
        }

        let mut tx = begin(&state).await?;
        let target = storage::accounts::lock(&mut *tx, id).await?.ok_or_else(ApiError::not_found)?;
        let current = &target.fields;
        let mut next = b.apply(current);
        // Sending a value the account already has changes nothing, so it
        // needs no right to change it.
        let new_role = Some(next.role).filter(|r| *r != current.role);
        let deactivates = current.active && !next.active;
        let manages_fields =
            new_role.is_some() || next.active != current.active || next.reports_enabled != current.reports_enabled;
        authorize_update(who, &target, manages_fields, new_role)?;
        // The fields' own rules come before If-Match, as they always have
        // for accounts: a malformed address is a 422 whatever tag was sent.
        validators::account::account(&next).map_err(from_issues)?;
        let expected = check_version(&expected, target.version)?;
        if let Some(role) = new_role {
            validators::account::role_change(current.role, role).map_err(from_issues)?;
            if let (Role::SalesExecutive, Some(d)) = (role, target.distributor_id) {
                let limit = storage::distributors::lock(&mut *tx, d).await?.ok_or_else(ApiError::not_found)?;
                let n = storage::accounts::count_sales_executives(&mut *tx, d).await?;
                room_for_sales_executive(n, limit.max_sales_count)?;
            }
        }
        if quiet_email {
            probes.spend().await;
            if next.email != current.email && storage::accounts::email_taken(&mut *tx, &next.email, id).await? {
                tracing::info!(account.id = id, "own email change to an address in use: not applied");
                next.email.clone_from(&current.email);
            }
        }
        if next != *current
            && let Err(e) = storage::accounts::update(&mut *tx, id, expected, &next).await
        {
            return Err(taken(&probes, who, e).await);
        }
        // Access tokens carry the role, and an inactive account must not go
        // on working until its tokens expire: end every session now.
        let revoked = if new_role.is_some() || deactivates {
            storage::sessions::revoke_account(&mut *tx, id, None).await?
        } else {
            Vec::new()
        };
        commit(tx).await?;
        crate::auth::deny_sessions(&state, revoked).await?;
        crate::auth::forget_accounts(&state, [id]).await?;
        if quiet_email {
            return Ok(AccountWritten::Accepted);
        }
        let (body, tag) = read_back::<AccountDoc>(&state, who, &selection, id).await?;
        Ok(AccountWritten::Ok(body, tag))
    }

    /// Delete an account
    ///
    /// Super admins may delete any account but their own. Distributor
    /// managers may delete the sales executives, admin buyers and shoppers
    /// of their own distributor. An account you cannot see is 404; one you
    /// see but may not delete (your own included) is 403. The account's
    /// sessions end at once. `If-Match` is honoured (412 when stale).
    #[oai(path = "/accounts/:id", method = "delete", operation_id = "delete_account")]
    async fn delete_account(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        /// The account's id.
        id: Path<i64>,
        #[oai(name = "If-Match")] if_match: IfMatch,
    ) -> ApiResult<Deleted> {
        let who = auth.principal();
        let id = id.0;
        let expected = if_match.expected(ACCOUNT.model, id)?;
        let mut tx = begin(&state).await?;
        let target = storage::accounts::lock(&mut *tx, id).await?.ok_or_else(ApiError::not_found)?;
        authorize_delete(who, &target)?;
        let expected = check_version(&expected, target.version)?;
        // Revoked first so the families are known; the rows then go with the
        // account by cascade, and a refused delete rolls both back.
        let revoked = storage::sessions::revoke_account(&mut *tx, id, None).await?;
        storage::accounts::delete(&mut *tx, id, expected).await.map_err(|e| match e {
            // Orders, their history, notes and ledger keep naming who placed
            // or changed them (no cascade, no SET NULL): such an account stays.
            StorageError::Invalid { constraint } if constraint.ends_with("_fkey") => ApiError::conflict(
                "this account placed or worked on orders, whose history keeps naming it; deactivate it instead                  (PATCH active: false)",
            ),
            other => other.into(),
        })?;
        commit(tx).await?;
        crate::auth::deny_sessions(&state, revoked).await?;
        crate::auth::forget_accounts(&state, [id]).await?;
        tracing::info!(account.id = id, "account deleted");
        Ok(Deleted::NoContent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(id: i64, role: Role, d: Option<i64>) -> Principal {
        Principal { account_id: id, role, distributor_id: d }
    }

    fn t(id: i64, role: Role, d: Option<i64>) -> Subject {
        Subject {
            id,
            distributor_id: d,
            version: 1,
            fields: AccountFields {
                email: String::new(),
                first_name: String::new(),
                last_name: String::new(),
                role,
                active: true,
                reports_enabled: false,
            },
        }
    }

    #[test]
    fn managers_manage_lower_roles_of_their_own_distributor() {
        let manager = p(1, Role::DistributorManager, Some(1));
        assert_eq!(authorize_update(&manager, &t(2, Role::Shopper, Some(1)), true, Some(Role::SalesExecutive)), Ok(()));
        assert_eq!(
            authorize_update(&manager, &t(2, Role::Shopper, Some(1)), true, Some(Role::DistributorManager)),
            Err(Denied::Forbidden)
        );
        assert_eq!(
            authorize_update(&manager, &t(3, Role::DistributorManager, Some(1)), false, None),
            Err(Denied::Forbidden)
        );
        assert_eq!(authorize_update(&manager, &t(4, Role::Shopper, Some(2)), false, None), Err(Denied::Hidden));
        assert_eq!(authorize_update(&manager, &t(5, Role::SuperAdmin, None), false, None), Err(Denied::Hidden));
        assert_eq!(authorize_delete(&manager, &t(2, Role::AdminBuyer, Some(1))), Ok(()));
        assert_eq!(authorize_delete(&manager, &t(1, Role::DistributorManager, Some(1))), Err(Denied::Forbidden));
    }

    #[test]
    fn an_account_changes_only_its_own_profile() {
        for role in Role::ALL {
            let d = (role != Role::SuperAdmin).then_some(1);
            let me = p(7, role, d);
            assert_eq!(authorize_update(&me, &t(7, role, d), false, None), Ok(()), "{role}");
            assert_eq!(authorize_update(&me, &t(7, role, d), true, None), Err(Denied::Forbidden), "{role}");
            assert_eq!(authorize_delete(&me, &t(7, role, d)), Err(Denied::Forbidden), "{role}");
        }
    }

    #[test]
    fn sales_executives_see_but_do_not_manage_and_others_do_not_see() {
        let sales = p(1, Role::SalesExecutive, Some(1));
        assert_eq!(authorize_update(&sales, &t(2, Role::Shopper, Some(1)), false, None), Err(Denied::Forbidden));
        let shopper = p(1, Role::Shopper, Some(1));
        assert_eq!(authorize_update(&shopper, &t(2, Role::Shopper, Some(1)), false, None), Err(Denied::Hidden));
        let admin = p(1, Role::SuperAdmin, None);
        assert_eq!(authorize_update(&admin, &t(2, Role::DistributorManager, Some(3)), true, None), Ok(()));
    }
}
