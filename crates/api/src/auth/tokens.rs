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

    /// Verifies signature, algorithm, issuer and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map(|d| d.claims)
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
