//! Login rate limiting: failed attempts are counted per username and per
//! client address in a fixed window; past the limit, attempts are refused
//! with 429 before any password is checked.

use crate::error::ApiError;
use crate::state::AppState;

pub struct LoginLimiter<'a> {
    state: &'a AppState,
    keys: [String; 2],
}

impl<'a> LoginLimiter<'a> {
    pub fn new(state: &'a AppState, username: &str, client: &str) -> Self {
        LoginLimiter {
            state,
            keys: [format!("login:user:{}", username.to_lowercase()), format!("login:addr:{client}")],
        }
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

    /// A successful login clears the username's counter (not the address's).
    pub async fn succeeded(&self) {
        if let Err(e) = self.state.cache.delete(&self.keys[0]).await {
            tracing::warn!(error = %e, "rate-limit reset skipped");
        }
    }
}
