//! Access tokens (JWT, HS256) and opaque refresh tokens.
//!
//! Access tokens are short-lived and verified without a database round trip;
//! one cache round trip checks the denylist (logout, revoked families).
//! Refresh tokens are random strings stored hashed (see `storage::sessions`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use domain::{Principal, Role};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::time::Duration;

const ISSUER: &str = "promostore";

/// The access token's claims.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The account id.
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    /// Unique token id: the denylist key on logout.
    pub jti: String,
    pub iss: String,
    pub role: Role,
    /// The account's distributor (absent for super admins).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub dist: Option<i64>,
    /// The refresh family (login session) this token belongs to.
    pub fam: String,
}

impl Claims {
    pub fn principal(&self) -> Option<Principal> {
        Some(Principal { account_id: self.sub.parse().ok()?, role: self.role, distributor_id: self.dist })
    }
}

/// Signs and verifies access tokens.
#[derive(Clone)]
pub struct TokenIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl: Duration,
}

impl TokenIssuer {
    pub fn new(secret: &[u8], access_ttl: Duration) -> TokenIssuer {
        // Only HS256 is accepted: `alg: none` and algorithm-confusion tokens fail.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "jti"]);
        validation.leeway = 5;
        TokenIssuer {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl,
        }
    }

    /// A signed access token for `who` in session `family`, and its claims.
    pub fn issue(&self, who: &Principal, family: &str) -> Result<(String, Claims), jsonwebtoken::errors::Error> {
        let now = chrono::Utc::now().timestamp();
        let ttl = i64::try_from(self.access_ttl.as_secs()).unwrap_or(900);
        let claims = Claims {
            sub: who.account_id.to_string(),
            iat: now,
            exp: now + ttl,
            jti: random_token(16),
            iss: ISSUER.into(),
            role: who.role,
            dist: who.distributor_id,
            fam: family.to_owned(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, claims))
    }

    /// Verifies signature, algorithm, issuer and expiry, and that the token
    /// was not issued in the future nor for longer than this server issues
    /// tokens: a token that breaks either was not made by this code, so it is
    /// refused even if its signature holds (a leaked key is then worth less).
    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        use jsonwebtoken::errors::ErrorKind;
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)?.claims;
        let now = chrono::Utc::now().timestamp();
        let leeway = i64::try_from(self.validation.leeway).unwrap_or(0);
        let ttl = i64::try_from(self.access_ttl.as_secs()).unwrap_or(i64::MAX);
        if claims.iat > now + leeway {
            return Err(ErrorKind::ImmatureSignature.into());
        }
        if claims.exp.saturating_sub(claims.iat) > ttl {
            return Err(ErrorKind::InvalidToken.into());
        }
        Ok(claims)
    }
}

/// `bytes` random bytes, base64url: refresh tokens, `jti`s and family ids.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    B64.encode(buf)
}

/// Denylist keys.
pub fn jti_key(jti: &str) -> String {
    format!("deny:jti:{jti}")
}

pub fn family_key(family: &str) -> String {
    format!("deny:fam:{family}")
}

/// The cache key of an account's state as the auth check last read it.
pub fn account_key(account_id: i64) -> String {
    format!("acct:{account_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer() -> TokenIssuer {
        TokenIssuer::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(900))
    }

    fn sign(claims: &Claims) -> String {
        let key = EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef");
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key).unwrap_or_default()
    }

    fn claims(iat: i64, exp: i64) -> Claims {
        Claims {
            sub: "1".into(),
            iat,
            exp,
            jti: "j".into(),
            iss: ISSUER.into(),
            role: Role::Shopper,
            dist: Some(1),
            fam: "f".into(),
        }
    }

    #[test]
    fn tokens_from_the_future_or_living_too_long_are_refused() {
        let now = chrono::Utc::now().timestamp();
        assert!(issuer().verify(&sign(&claims(now, now + 900))).is_ok());
        assert!(issuer().verify(&sign(&claims(now + 3600, now + 4000))).is_err(), "iat in the future");
        assert!(issuer().verify(&sign(&claims(now, now + 901))).is_err(), "longer than the lifetime");
        assert!(issuer().verify(&sign(&claims(now - 10, now + 86_400 * 365))).is_err(), "a year-long token");
    }
}
