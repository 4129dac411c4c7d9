//! The bearer security scheme: every protected operation takes [`Auth`], so
//! the spec marks it secured and the handler receives a verified session.

use super::tokens::{Claims, account_key, family_key, jti_key};
use crate::error::ApiError;
use crate::state::AppState;
use domain::Principal;
use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;

/// A verified access token.
#[derive(Debug, Clone)]
pub struct Session {
    pub principal: Principal,
    pub claims: Claims,
}

/// `Authorization: Bearer <access token>` from `POST /auth/login`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT", checker = "authenticate")]
pub struct Auth(pub Session);

impl Auth {
    pub fn principal(&self) -> &Principal {
        &self.0.principal
    }
}

/// A session a layer in front of the handler already verified for this
/// request's token (the idempotency layer must know the caller first), so
/// the handler does not ask the cache again.
#[derive(Debug, Clone)]
pub struct Verified {
    pub token: String,
    pub session: Session,
}

async fn authenticate(request: &Request, bearer: Bearer) -> poem::Result<Session> {
    if let Some(v) = request.data::<Verified>().filter(|v| v.token == bearer.token) {
        return Ok(v.session.clone());
    }
    let state = request.data::<AppState>().ok_or_else(|| poem::Error::from(ApiError::internal(&"state missing")))?;
    check(state, &bearer.token).await.map_err(poem::Error::from)
}

/// Verifies the token and that neither it nor its session was revoked (the
/// profile's `auth`).
pub async fn check(state: &AppState, token: &str) -> Result<Session, ApiError> {
    storage::profile::timed(storage::profile::Phase::Auth, verify(state, token)).await
}

async fn verify(state: &AppState, token: &str) -> Result<Session, ApiError> {
    let claims = state.tokens.verify(token).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind;
        let detail = match e.kind() {
            ErrorKind::ExpiredSignature => "the access token has expired; refresh it",
            _ => "the access token is not valid",
        };
        ApiError::unauthorized(detail)
    })?;
    let principal = claims.principal().ok_or_else(|| ApiError::unauthorized("the access token is not valid"))?;
    let probed =
        state.cache.probe(&[&jti_key(&claims.jti), &family_key(&claims.fam)], &account_key(principal.account_id)).await;
    let current = match probed {
        Ok((true, _)) => return Err(revoked()),
        Ok((false, Some(text))) => text,
        Ok((false, None)) => {
            let text = AccountState::of(storage::accounts::state(&state.pool, principal.account_id).await?);
            state.cache.set_text(&account_key(principal.account_id), &text, ACCOUNT_STATE_TTL).await?;
            text
        }
        // The cache is down: the database holds the truth it caches (every
        // revocation is written there first), so reads go on, a little slower.
        Err(storage::StorageError::Unavailable(e)) => {
            tracing::warn!(error = %e, "cache unavailable; checking the session in the database");
            if storage::sessions::family_revoked(&state.pool, &claims.fam).await? {
                return Err(revoked());
            }
            AccountState::of(storage::accounts::state(&state.pool, principal.account_id).await?)
        }
        Err(e) => return Err(e.into()),
    };
    if current != AccountState::expected(&principal) {
        return Err(ApiError::unauthorized(
            "the access token no longer matches its account (gone, inactive, or changed); log in again",
        ));
    }
    Ok(Session { principal, claims })
}

fn revoked() -> ApiError {
    ApiError::unauthorized("the access token has been revoked; log in again")
}

/// How long an account's state stays cached. Changes made through the API
/// drop the entry at once ([`crate::auth::forget_accounts`]) and revoke the
/// sessions they affect; the lifetime only bounds how stale the entry can be
/// after a change made behind the API's back (SQL, another tool).
const ACCOUNT_STATE_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// An account's state as the auth check compares it, in one string so the
/// cache holds it as is: `role|distributor|` for a live account, `-` for
/// one that is gone, inactive or in a deleted distributor.
struct AccountState;

impl AccountState {
    fn of(row: Option<storage::accounts::AccountState>) -> String {
        match row {
            Some(a) if a.active && !a.distributor_deleted => {
                format!("{}|{}|", a.role, a.distributor_id.map(|d| d.to_string()).unwrap_or_default())
            }
            _ => "-".to_owned(),
        }
    }

    fn expected(who: &Principal) -> String {
        format!("{}|{}|", who.role.as_str(), who.distributor_id.map(|d| d.to_string()).unwrap_or_default())
    }
}
