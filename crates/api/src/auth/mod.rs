//! Tag Auth: login, refresh, logout, password change, and the caller's own account.

pub mod limits;
pub mod password;
pub mod scheme;
pub mod tokens;

use crate::error::{ApiError, ApiResult, FieldError};
use crate::params::{FieldsQuery, XFields};
use crate::resource::{AccountDoc, Masked, ReadResponse};
use crate::state::AppState;
use crate::strict::Text;
use crate::tags::ApiTags;
use chrono::Utc;
use domain::Principal;
use domain::resource::ACCOUNT;
use poem::Request;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use scheme::Auth;
use storage::sessions::{self, Rotation};
use tokens::{family_key, jti_key, random_token};

#[derive(Default)]
pub struct AuthApi;

/// Credentials.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields, example)]
pub struct LoginRequest {
    /// Username or email address (case-insensitive).
    #[oai(validator(max_length = 254))]
    pub username: Text,
    #[oai(validator(max_length = 1024))]
    pub password: Text,
}

impl poem_openapi::types::Example for LoginRequest {
    fn example() -> Self {
        LoginRequest { username: "admin".into(), password: "admin".into() }
    }
}

/// A new session.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Exchange at `POST /auth/refresh` for a new pair; single use.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The logged-in account (default fields).
    pub account: Masked<AccountDoc>,
}

/// A rotated token pair.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct TokenPair {
    pub access_token: String,
    /// The next refresh token; the one presented no longer works.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token from login or the previous refresh.
    #[oai(validator(max_length = 512))]
    pub refresh_token: Text,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct PasswordChange {
    #[oai(validator(max_length = 1024))]
    pub current_password: Text,
    /// At least 12 characters, not only whitespace, not containing the
    /// username or the email address.
    #[oai(validator(max_length = 1024))]
    pub new_password: Text,
}

#[derive(ApiResponse)]
pub enum LoginResult {
    /// Logged in.
    #[oai(status = 200)]
    Ok(Json<LoginResponse>),
}

#[derive(ApiResponse)]
pub enum RefreshResult {
    /// A new token pair.
    #[oai(status = 200)]
    Ok(Json<TokenPair>),
}

#[derive(ApiResponse)]
pub enum Done {
    /// Done.
    #[oai(status = 204)]
    NoContent,
}

/// Denies the access tokens of revoked sessions (refresh families) for as long
/// as such a token can live; their refresh tokens are already revoked in the
/// database. With [`deny`], the one way every revocation reaches the cache.
pub async fn deny_sessions(state: &AppState, families: impl IntoIterator<Item = String>) -> ApiResult<()> {
    let ttl = state.config.access_ttl;
    deny(state, families.into_iter().map(|family| (family_key(&family), ttl))).await
}

/// Sets the denylist flags `(key, lifetime)` of revocations the database
/// already holds. A cache that is down does not undo them: the revocation
/// stands (the caller answers as usual), tokens are checked against the
/// database while the cache cannot be trusted, and the denylist is restored
/// from the database when it is back.
async fn deny(state: &AppState, flags: impl IntoIterator<Item = (String, std::time::Duration)>) -> ApiResult<()> {
    for (key, ttl) in flags {
        match state.cache.set_flag(&key, ttl).await {
            Ok(()) => {}
            Err(storage::StorageError::Unavailable(cause)) => {
                tracing::warn!(error = %cause, "the cache is unavailable; the revocation stands in the database");
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Drops the cached state of accounts that just changed, so the next request
/// with one of their tokens reads the account afresh (see `scheme::check`).
pub async fn forget_accounts(state: &AppState, ids: impl IntoIterator<Item = i64>) -> ApiResult<()> {
    for id in ids {
        state.cache.delete(&tokens::account_key(id)).await?;
    }
    Ok(())
}

/// The client address for rate limiting.
fn client_address(state: &AppState, request: &Request) -> String {
    if state.config.trust_forwarded_for
        && let Some(first) = request.header("X-Forwarded-For").and_then(|h| h.split(',').next())
    {
        return first.trim().to_owned();
    }
    request.remote_addr().as_socket_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "unknown".into())
}

/// Refuses accounts that may not start or extend a session: inactive ones,
/// and every account of a deleted distributor (403, after the password or
/// refresh token proved who is asking).
fn refuse_unusable(account: &storage::accounts::Credentials) -> ApiResult<()> {
    if account.distributor_deleted {
        return Err(ApiError::forbidden("this account's distributor has been deleted"));
    }
    if !account.active {
        return Err(ApiError::forbidden("this account is inactive"));
    }
    Ok(())
}

/// Starts a session: a new refresh family and an access token.
async fn start_session(state: &AppState, who: &Principal) -> ApiResult<(String, String, u64)> {
    let family = random_token(16);
    let refresh = random_token(32);
    let expires = Utc::now() + state.config.refresh_ttl;
    sessions::insert(&state.pool, who.account_id, &family, &refresh, expires).await?;
    let (access, _) = state.tokens.issue(who, &family).map_err(|e| ApiError::internal(&e))?;
    Ok((access, refresh, state.config.access_ttl.as_secs()))
}

#[OpenApi(prefix_path = "/api/v1/auth", tag = "ApiTags::Auth")]
impl AuthApi {
    /// Log in
    ///
    /// Exchanges a username or an email address (an identifier with `@` is
    /// matched against emails only) and password for an access token and a
    /// refresh token. Repeated failures for one account or client address
    /// are refused with 429 and `Retry-After`. Inactive accounts and the
    /// accounts of a deleted distributor get 403; so do shoppers who are not a member of an active campaign whose dates
    /// include today (UTC): "no active campaign".
    #[oai(path = "/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        state: Data<&AppState>,
        request: &Request,
        body: Json<LoginRequest>,
    ) -> ApiResult<LoginResult> {
        let account = storage::accounts::find_for_login(&state.pool, &body.username).await?;
        let limiter = limits::LoginLimiter::new(
            &state,
            account.as_ref().map(|a| a.id),
            &body.username,
            &client_address(&state, request),
        );
        limiter.check().await?;
        let ok = password::verify(body.password.to_string(), account.as_ref().map(|a| a.password_hash.clone())).await;
        let Some(account) = account.filter(|_| ok) else {
            limiter.failed().await;
            return Err(ApiError::unauthorized("invalid username or password"));
        };
        limiter.succeeded().await;
        refuse_unusable(&account)?;
        let who = Principal { account_id: account.id, role: account.role(), distributor_id: account.distributor_id };
        if who.role == domain::Role::Shopper
            && !storage::campaigns::shopper_has_open_campaign(&state.pool, account.id, Utc::now().date_naive()).await?
        {
            return Err(ApiError::forbidden(
                "no active campaign: a shopper can log in only while a member of an active campaign that is open today",
            ));
        }
        storage::accounts::record_login(&state.pool, account.id, Utc::now()).await?;
        let (access_token, refresh_token, expires_in) = start_session(&state, &who).await?;
        let defaults = validators::query::select(None, &ACCOUNT, who.role)?;
        let (me, _) =
            crate::write::read_back::<crate::resource::AccountDoc>(&state, &who, &defaults, account.id).await?;
        tracing::info!(account.id = account.id, "login");
        Ok(LoginResult::Ok(Json(LoginResponse {
            access_token,
            refresh_token,
            token_type: "Bearer".into(),
            expires_in,
            account: me,
        })))
    }

    /// Refresh the session
    ///
    /// Exchanges a refresh token for a new pair. Each refresh token works
    /// once: presenting one that was already used revokes the whole session
    /// (every token descended from the same login).
    #[oai(path = "/refresh", method = "post", operation_id = "refresh")]
    async fn refresh(&self, state: Data<&AppState>, body: Json<RefreshRequest>) -> ApiResult<RefreshResult> {
        let next = random_token(32);
        let expires = Utc::now() + state.config.refresh_ttl;
        match sessions::rotate(&state.pool, &body.refresh_token, &next, expires).await? {
            Rotation::Rotated { account_id, family } => {
                let account = storage::accounts::credentials(&state.pool, account_id)
                    .await?
                    .ok_or_else(|| ApiError::unauthorized("the account is gone"))?;
                refuse_unusable(&account)?;
                let who = Principal { account_id, role: account.role(), distributor_id: account.distributor_id };
                let (access_token, _) = state.tokens.issue(&who, &family).map_err(|e| ApiError::internal(&e))?;
                Ok(RefreshResult::Ok(Json(TokenPair {
                    access_token,
                    refresh_token: next,
                    token_type: "Bearer".into(),
                    expires_in: state.config.access_ttl.as_secs(),
                })))
            }
            Rotation::Reused { family, account_id } => {
                deny_sessions(&state, [family]).await?;
                tracing::warn!(account.id = account_id, "refresh token reuse: session revoked");
                Err(ApiError::unauthorized("this refresh token was already used; the session has been revoked"))
            }
            Rotation::Invalid => Err(ApiError::unauthorized("the refresh token is not valid or has expired")),
        }
    }

    /// Log out
    ///
    /// Revokes this access token and the session's refresh tokens.
    #[oai(path = "/logout", method = "post", operation_id = "logout")]
    async fn logout(&self, state: Data<&AppState>, auth: Auth) -> ApiResult<Done> {
        let claims = &auth.0.claims;
        // The database first: it holds the revocation, whatever becomes of
        // the cache (the denylist is restored from it when Redis is back).
        sessions::revoke_family(&state.pool, &claims.fam).await?;
        let left = u64::try_from(claims.exp - Utc::now().timestamp()).unwrap_or(1);
        // The cache being down does not fail the logout (204), nor a
        // retry: the revocation is in the database.
        let flags = [
            (jti_key(&claims.jti), std::time::Duration::from_secs(left)),
            (family_key(&claims.fam), state.config.access_ttl),
        ];
        deny(&state, flags).await?;
        Ok(Done::NoContent)
    }

    /// Change my password
    ///
    /// Needs the current password. Every other session of the account is
    /// revoked; this one stays logged in.
    #[oai(path = "/password", method = "put", operation_id = "change_password")]
    async fn change_password(&self, state: Data<&AppState>, auth: Auth, body: Json<PasswordChange>) -> ApiResult<Done> {
        let who = auth.principal();
        let account =
            storage::accounts::credentials(&state.pool, who.account_id).await?.ok_or_else(ApiError::not_found)?;
        if !password::verify(body.current_password.to_string(), Some(account.password_hash.clone())).await {
            return Err(ApiError::unprocessable(vec![FieldError::new(
                "current_password",
                "mismatch",
                "the current password is not correct",
            )]));
        }
        validators::account::new_password(&body.new_password, &account.username, &account.email)
            .map_err(crate::error::from_issues)?;
        let hash = password::hash(body.new_password.to_string()).await.map_err(|e| ApiError::internal(&e))?;
        let mut tx = crate::write::begin(&state).await?;
        storage::accounts::set_password(&mut *tx, who.account_id, &hash).await?;
        let revoked = sessions::revoke_account(&mut *tx, who.account_id, Some(&auth.0.claims.fam)).await?;
        crate::write::commit(tx).await?;
        deny_sessions(&state, revoked).await?;
        Ok(Done::NoContent)
    }

    /// My account
    ///
    /// The caller's own account, shaped by the X-Fields mask.
    #[oai(path = "/me", method = "get", operation_id = "get_me")]
    async fn me(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        #[oai(name = "X-Fields")] x_fields: XFields,
        fields: FieldsQuery,
        #[oai(name = "If-None-Match")] if_none_match: poem_openapi::param::Header<Option<String>>,
    ) -> ApiResult<ReadResponse<AccountDoc>> {
        let who = auth.principal();
        let selection = crate::params::selection(&x_fields, &fields, &ACCOUNT, who.role)?;
        crate::organization::accounts::read(&state, who, &selection, who.account_id, if_none_match.0.as_deref()).await
    }
}
