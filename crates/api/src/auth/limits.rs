//! Login rate limiting: failed attempts are counted per account and per
//! client address in a fixed window; past the limit, attempts are refused
//! with 429 before any password is checked.
//!
//! The per-account counter is keyed by the account the identifier resolves
//! to, so a username and an email of one account share one budget; an
//! identifier that names no account is counted under itself, so guessing at
//! unknown names is limited the same way and answers the same.

use crate::error::ApiError;
use crate::state::AppState;

pub struct LoginLimiter<'a> {
    state: &'a AppState,
    /// The account's (or unknown identifier's) key, then the address's.
    keys: [String; 2],
}

/// The counter key of an account's failed logins.
pub fn account_key(account_id: i64) -> String {
    format!("login:acct:{account_id}")
}

/// The counter key of failed logins with an identifier that names no account.
pub fn name_key(identifier: &str) -> String {
    format!("login:name:{}", identifier.to_lowercase())
}

/// The counter key of a client address's failed logins.
pub fn address_key(address: &str) -> String {
    format!("login:addr:{address}")
}

impl<'a> LoginLimiter<'a> {
    /// `account` is the account the login names, if any; `identifier` what
    /// the client typed.
    pub fn new(state: &'a AppState, account: Option<i64>, identifier: &str, client: &str) -> Self {
        let subject = match account {
            Some(id) => account_key(id),
            None => name_key(identifier),
        };
        LoginLimiter { state, keys: [subject, address_key(client)] }
    }

    /// Refuses when either counter is at the limit. A cache failure fails
    /// open (logged): the limit is a brake, and login must survive a cache outage.
    pub async fn check(&self) -> Result<(), ApiError> {
        let config = &self.state.config;
        let limits = [config.login_max_failures, config.login_address_max_failures];
        for (key, limit) in self.keys.iter().zip(limits) {
            refuse_when_spent(self.state, key, limit, "too many failed logins").await?;
        }
        Ok(())
    }

    pub async fn failed(&self) {
        let config = &self.state.config;
        for (key, window) in self.keys.iter().zip([config.login_window, config.login_address_window]) {
            spend(self.state, key, window).await;
        }
    }

    /// A successful login clears the account's counter (not the address's).
    pub async fn succeeded(&self) {
        if let Err(e) = self.state.cache.delete(&self.keys[0]).await {
            tracing::warn!(error = %e, "rate-limit reset skipped");
        }
    }
}

/// Answers 429 when the counter `key` has reached `limit` in its window.
/// A cache failure fails open (logged), like the login limit.
async fn refuse_when_spent(state: &AppState, key: &str, limit: i64, what: &str) -> Result<(), ApiError> {
    match state.cache.counter(key).await {
        Ok(Some((count, retry_after))) if count >= limit => {
            Err(ApiError::too_many_requests(retry_after, format!("{what}; try again in {retry_after} seconds")))
        }
        Ok(_) => Ok(()),
        Err(e) => {
            tracing::warn!(error = %e, "rate-limit check skipped");
            Ok(())
        }
    }
}

/// Counts one more against `key` in a fixed `window`. A cache failure is
/// logged and skipped, like the check.
async fn spend(state: &AppState, key: &str, window: std::time::Duration) {
    if let Err(e) = state.cache.incr_window(key, window).await {
        tracing::warn!(error = %e, "rate-limit count skipped");
    }
}

/// Answers that tell whether a username or an email address is in use
/// anywhere (a 409 on account creation or update, an attempt to change
/// one's own login email), counted per asking account in the login window:
/// enough for real work, too few to enumerate the platform's addresses.
pub struct ExistenceProbes<'a> {
    state: &'a AppState,
    key: String,
    limit: i64,
}

impl<'a> ExistenceProbes<'a> {
    /// The budget of account `account_id`: four times the failed-login limit.
    pub fn of(state: &'a AppState, account_id: i64) -> Self {
        ExistenceProbes {
            state,
            key: format!("probe:acct:{account_id}"),
            limit: state.config.login_max_failures.saturating_mul(4),
        }
    }

    /// 429 when the budget is spent.
    pub async fn check(&self) -> Result<(), ApiError> {
        refuse_when_spent(self.state, &self.key, self.limit, "too many attempts with taken usernames or emails").await
    }

    /// Counts one answer that told something.
    pub async fn spend(&self) {
        spend(self.state, &self.key, self.state.config.login_window).await;
    }
}
