//! Text columns that hold one of a domain enum's names (a role, a campaign
//! status), decoded straight into the enum.
//!
//! A CHECK constraint keeps such a column one of the names, so an unknown
//! name means the schema and the code disagree. That must not be papered
//! over with a "safe" default: decoding fails, the request answers 500, and
//! the log says which value it was.

use sqlx::error::BoxDynError;
use sqlx::postgres::{PgTypeInfo, PgValueRef};
use sqlx::{Decode, Postgres, Type};
use std::str::FromStr;

/// A `text` column decoded with `T`'s `FromStr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Named<T>(pub T);

impl<T> Type<Postgres> for Named<T> {
    fn type_info() -> PgTypeInfo {
        <String as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <String as Type<Postgres>>::compatible(ty)
    }
}

impl<'r, T> Decode<'r, Postgres> for Named<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<Postgres>>::decode(value)?;
        Ok(Named(text.parse()?))
    }
}
