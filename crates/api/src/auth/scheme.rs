//! The bearer security scheme: every protected operation takes [`Auth`], so
//! the spec marks it secured and the handler receives a verified session.

use super::tokens::{Claims, family_key, jti_key};
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

async fn authenticate(request: &Request, bearer: Bearer) -> poem::Result<Session> {
    let state = request.data::<AppState>().ok_or_else(|| poem::Error::from(ApiError::internal(&"state missing")))?;
    check(state, &bearer.token).await.map_err(poem::Error::from)
}

/// Verifies the token and that neither it nor its session was revoked.
pub async fn check(state: &AppState, token: &str) -> Result<Session, ApiError> {
    let claims = state.tokens.verify(token).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind;
        let detail = match e.kind() {
            ErrorKind::ExpiredSignature => "the access token has expired; refresh it",
            _ => "the access token is not valid",
        };
        ApiError::unauthorized(detail)
    })?;
    let principal = claims.principal().ok_or_else(|| ApiError::unauthorized("the access token is not valid"))?;
    let revoked = state.cache.any_set(&[&jti_key(&claims.jti), &family_key(&claims.fam)]).await?;
    if revoked {
        return Err(ApiError::unauthorized("the access token has been revoked; log in again"));
    }
    Ok(Session { principal, claims })
}
