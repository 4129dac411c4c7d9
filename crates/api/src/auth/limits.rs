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
    keys: [String; 2],
}

impl<'a> LoginLimiter<'a> {
    /// `account` is the account the login names, if any; `identifier` what
    /// the client typed.
    pub fn new(state: &'a AppState, account: Option<i64>, identifier: &str, client: &str) -> Self {
        let subject = match account {
            Some(id) => format!("login:acct:{id}"),
            None => format!("login:name:{}", identifier.to_lowercase()),
        };
        LoginLimiter { state, keys: [subject, format!("login:addr:{client}")] }
    }

    /// Refuses when either counter is at the limit. A cache failure fails
    /// open (logged): the limit is a brake, and login must survive a cache outage.
    pub async fn check(&self) -> Result<(), ApiError> {
        let max = self.state.config.login_max_failures;
        // The address limit is looser: one office can share an address.
        let limits = [max, max.saturating_mul(4)];
        for (key, limit) in self.keys.iter().zip(limits) {
            match self.state.cache.counter(key).await {
                Ok(Some((count, retry_after))) if count >= limit => {
                    return Err(ApiError::too_many_requests(
                        retry_after,
                        format!("too many failed logins; try again in {retry_after} seconds"),
                    ));
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "rate-limit check skipped"),
            }
        }
        Ok(())
    }

    pub async fn failed(&self) {
        for key in &self.keys {
            if let Err(e) = self.state.cache.incr_window(key, self.state.config.login_window).await {
                tracing::warn!(error = %e, "rate-limit count skipped");
            }
        }
    }

    /// A successful login clears the account's counter (not the address's).
    pub async fn succeeded(&self) {
        if let Err(e) = self.state.cache.delete(&self.keys[0]).await {
            tracing::warn!(error = %e, "rate-limit reset skipped");
        }
    }
}
