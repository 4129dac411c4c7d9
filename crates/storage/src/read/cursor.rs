//! Opaque keyset cursors.
//!
//! A cursor carries the sort-key values and id of the last row of a page, and
//! a fingerprint of the filter and sort it was issued for, signed with an HMAC
//! so a client can neither forge a position nor reuse a cursor with another
//! query (which would silently skip or repeat rows).

use super::columns::scalar_to_json;
use crate::error::{Result, StorageError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use domain::query::{ListQuery, Scalar, Sort};
use domain::resource::FieldType;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The length of a cursor's tag: the HMAC-SHA256 truncated to 128 bits.
const TAG_BYTES: usize = 16;

/// The key cursors are signed with (derived from the server secret).
#[derive(Clone)]
pub struct CursorKey([u8; 32]);

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

#[derive(Serialize, Deserialize)]
struct Body {
    /// Fingerprint of resource, filter and sort.
    f: String,
    /// Sort-key values of the last row.
    v: Vec<Value>,
    /// Id of the last row (the tiebreak).
    i: i64,
}

/// Identifies the query a cursor belongs to.
pub(crate) fn fingerprint(q: &ListQuery) -> String {
    let filter = q.filter.as_ref().map(|f| f.to_string()).unwrap_or_default();
    let digest = Sha256::digest(format!("{}|{filter}|{}", q.selection.resource.model, q.sort));
    B64.encode(&digest[..12])
}

fn bad(msg: &str) -> StorageError {
    StorageError::BadCursor(format!("invalid cursor: {msg}"))
}

impl CursorKey {
    /// Derives the cursor key from the server secret, so it differs from the
    /// token-signing key even though both come from one setting.
    pub fn derive(secret: &[u8]) -> CursorKey {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(secret).unwrap_or_else(|_| {
            // HMAC accepts keys of any length; this branch cannot run.
            <HmacSha256 as Mac>::new_from_slice(b"promostore").unwrap_or_else(|_| unreachable!())
        });
        mac.update(b"promostore keyset cursor v1");
        CursorKey(mac.finalize().into_bytes().into())
    }

    fn mac(&self) -> HmacSha256 {
        <HmacSha256 as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!())
    }

    pub(crate) fn encode(&self, fingerprint: &str, values: &[Option<Scalar>], id: i64) -> String {
        let body = Body {
            f: fingerprint.to_owned(),
            v: values.iter().map(|v| v.as_ref().map_or(Value::Null, scalar_to_json)).collect(),
            i: id,
        };
        let payload = B64.encode(serde_json::to_vec(&body).unwrap_or_default());
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        let sig = B64.encode(&mac.finalize().into_bytes()[..TAG_BYTES]);
        format!("{payload}.{sig}")
    }

    /// Checks the signature and the fingerprint, and types the values by the
    /// sort's fields.
    pub(crate) fn decode(&self, token: &str, fingerprint: &str, sort: &Sort) -> Result<(Vec<Option<Scalar>>, i64)> {
        let (payload, sig) = token.split_once('.').ok_or_else(|| bad("malformed"))?;
        let sig = B64.decode(sig).map_err(|_| bad("malformed signature"))?;
        // The whole tag or nothing: `verify_truncated_left` alone accepts a
        // prefix of any length, and a 1-byte tag is guessed in ~256 tries.
        if sig.len() != TAG_BYTES {
            return Err(bad("signature does not match (tampered or from another server)"));
        }
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        mac.verify_truncated_left(&sig)
            .map_err(|_| bad("signature does not match (tampered or from another server)"))?;
        let body: Body = B64
            .decode(payload)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| bad("malformed payload"))?;
        if body.f != fingerprint {
            return Err(StorageError::BadCursor(
                "invalid cursor: it was issued for another filter or sort; start again without `cursor`".into(),
            ));
        }
        if body.v.len() != sort.0.len() {
            return Err(bad("wrong number of values"));
        }
        let values = body
            .v
            .iter()
            .zip(&sort.0)
            .map(|(v, key)| typed(v, key.field.ty))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| bad("values of the wrong type"))?;
        Ok((values, body.i))
    }
}

/// A cursor value back into a scalar of the field's type (`Some(None)` for null).
fn typed(v: &Value, ty: FieldType) -> Option<Option<Scalar>> {
    if v.is_null() {
        return Some(None);
    }
    let s = match ty {
        FieldType::Id | FieldType::Int => Scalar::Int(v.as_i64()?),
        FieldType::Text | FieldType::Enum(_) => Scalar::Text(v.as_str()?.to_owned()),
        FieldType::Bool => Scalar::Bool(v.as_bool()?),
        FieldType::Money => Scalar::Money(v.as_str()?.parse().ok()?),
        FieldType::Date => Scalar::Date(v.as_str()?.parse().ok()?),
        FieldType::DateTime => {
            Scalar::DateTime(chrono::DateTime::parse_from_rfc3339(v.as_str()?).ok()?.with_timezone(&chrono::Utc))
        }
        FieldType::TextList | FieldType::Json => return None,
    };
    Some(Some(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cursor with its tag cut to `n` bytes (still a prefix of the real one).
    fn truncated(cursor: &str, n: usize) -> String {
        let (payload, sig) = cursor.split_once('.').unwrap_or_default();
        let sig = B64.decode(sig).unwrap_or_default();
        format!("{payload}.{}", B64.encode(&sig[..n]))
    }

    #[test]
    fn only_the_whole_tag_is_accepted() {
        let key = CursorKey::derive(b"a test secret of at least 32 bytes!");
        let sort = Sort(Vec::new());
        let cursor = key.encode("fp", &[], 42);
        assert_eq!(key.decode(&cursor, "fp", &sort).map(|(_, id)| id).ok(), Some(42));
        // A prefix of the right tag was accepted before: a 1-byte tag is
        // guessed in about 256 tries.
        for n in [1, 8, TAG_BYTES - 1] {
            assert!(key.decode(&truncated(&cursor, n), "fp", &sort).is_err(), "{n}-byte tag");
        }
        let other = CursorKey::derive(b"another secret of at least 32 bytes");
        assert!(other.decode(&cursor, "fp", &sort).is_err());
    }
}
