//! The storage layer's one error type. Callers above map it to HTTP statuses;
//! nothing above this layer inspects sqlx errors.

/// What went wrong in storage.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// No such row, or not visible to the caller.
    #[error("not found")]
    NotFound,
    /// A unique or exclusion constraint refused the write.
    #[error("conflict on {constraint}")]
    Conflict { constraint: String },
    /// A check or foreign-key constraint refused the write.
    #[error("constraint {constraint} refused the write")]
    Invalid { constraint: String },
    /// The row changed since the caller read it (`If-Match` is stale).
    #[error("the row changed since it was read")]
    Stale,
    /// Text PostgreSQL cannot store (a NUL character). Validators refuse it
    /// first; this is the net for any value that slips past them.
    #[error("text contains a NUL character")]
    BadText,
    /// A keyset cursor that was tampered with or issued for another query.
    #[error("{0}")]
    BadCursor(String),
    /// The database or cache could not be reached.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StorageError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::RowNotFound => StorageError::NotFound,
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StorageError::Unavailable(err.to_string())
            }
            sqlx::Error::Database(db) if db.code().as_deref() == Some("22021") => StorageError::BadText,
            sqlx::Error::Database(db) => {
                let constraint = db.constraint().unwrap_or_default().to_owned();
                match db.kind() {
                    sqlx::error::ErrorKind::UniqueViolation => StorageError::Conflict { constraint },
                    sqlx::error::ErrorKind::CheckViolation
                    | sqlx::error::ErrorKind::ForeignKeyViolation
                    | sqlx::error::ErrorKind::NotNullViolation => StorageError::Invalid { constraint },
                    _ => StorageError::Database(err),
                }
            }
            _ => StorageError::Database(err),
        }
    }
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;
